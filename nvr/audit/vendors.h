/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vendors.h - what the compliance audit knows about camera makers: the
 * vendor data file (data/ndaa-vendors.ini, updatable without recompiling)
 * and the IEEE OUI registry (Debian's ieee-data, /usr/share/ieee-data/oui.csv).
 *
 * The data file is INI with one section per entry; every entry names its
 * source.  Kinds of entry (docs/design/audit.md has the full format):
 *   [company ID]      name, status (covered | other), source
 *   [brand NAME]      company, source       -- a label the company sells under
 *   [oui ID]          company, organization, source
 *                     -- the organisation name exactly as registered with the IEEE
 *   [fingerprint ID]  company, signals, match (word:/contains:/prefix:TEXT), source
 *   [oem LABEL]       company, source       -- a third-party label reported to
 *                                              resell that company's products
 * Problems are reported as "FILE:LINE: message", all of them.
 *
 * Matching: a brand matches as a whole word, case-insensitively, in any
 * text signal; an OUI entry matches when the MAC's registered organisation
 * equals `organization` after lower-casing and dropping everything but
 * letters and digits (so "Shanghai Dahua Scale Factory" never matches
 * "Zhejiang Dahua Technology Co., Ltd.").
 * A loaded struct vendors is read-only, so any thread may use it.
 */
#ifndef NVR_VENDORS_H
#define NVR_VENDORS_H

#include "base/err.h"
#include <stddef.h>
#include <stdio.h>

#define VENDORS_DEFAULT_OUI "/usr/share/ieee-data/oui.csv"

struct vendors;

/* Parses the data file text (named path in messages).  *out owns the result. */
nvr_err vendors_parse(struct vendors **out, const char *path, const char *text, size_t len, FILE *errs);

/* Reads and parses the data file at path, then the OUI registry at oui_path
 * (NULL: VENDORS_DEFAULT_OUI; a missing registry is logged and tolerated,
 * the MAC signal then matches nothing). */
nvr_err vendors_load(struct vendors **out, const char *path, const char *oui_path, FILE *errs);

/* Loads an OUI registry in the IEEE CSV format (Registry,Assignment,
 * Organization Name,Organization Address) into v, replacing any earlier:
 * MA-L, MA-M and MA-S rows; for a path ending in oui.csv also mam.csv and
 * oui36.csv beside it (Debian's ieee-data layout).  A MAC is looked up by
 * its longest registered prefix. */
nvr_err vendors_load_oui(struct vendors *v, const char *oui_path);

void vendors_destroy(struct vendors **v);

/* What a signal matched (pointers borrowed from v). */
struct vendors_match {
    const char *company; /* company id */
    const char *company_name;
    int covered;    /* the company is covered (NDAA §889 / FCC Covered List) */
    int oem;        /* the match is a reported-OEM label, not the maker itself */
    char what[160]; /* "brand EZVIZ", "OUI 44:19:b6 = Hangzhou ...", ... */
    const char *source;
};

/* Matches one signal value; returns 1 and fills m, or 0 if nothing matched. */
int vendors_match(const struct vendors *v, const char *signal, const char *value, struct vendors_match *m);

/* The registered organisation of mac's OUI ("aa:bb:cc:..."), NULL if unknown. */
const char *vendors_oui_org(const struct vendors *v, const char *mac);

/* A firmware vulnerability entry ([vulnerability ID]: company, cve,
 * models (optional comma list of shell patterns), builds YYMMDD-YYMMDD,
 * advisory URL, date, note, source). */
struct vendors_vuln {
    const char *id, *cve, *models, *advisory, *date, *note, *source;
    int build, build_from, build_to;
};

/* The firmware build date (YYMMDD, the six digits after "build"), -1 if none. */
int vendors_firmware_build(const char *firmware);

/* The next [vulnerability] entry (from *iter, which it advances; start at
 * 0) for company whose build range holds firmware's build date and whose
 * models (if any) match model.  1 and *out filled, or 0 when no more. */
int vendors_vulnerable(const struct vendors *v, const char *company, const char *model, const char *firmware,
                       size_t *iter, struct vendors_vuln *out);

/* The source of the [account] entry of company listing name as a vendor
 * default account name (compared exactly), NULL if none. */
const char *vendors_default_account(const struct vendors *v, const char *company, const char *name);

/* Number of entries of the data file and of the OUI registry (for messages). */
size_t vendors_count(const struct vendors *v, size_t *oui_rows);

/* Normalised organisation name: lower-case letters and digits only. */
void vendors_normalise_org(const char *in, char *out, size_t cap);

#endif
