/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit.h - the NDAA compliance audit (docs/design/audit.md): which
 * configured cameras are made by a covered company (NDAA FY2019 §889, FCC
 * Covered List) -- Hikvision, Dahua, Huawei, Hytera, ZTE and their brands --
 * including white-labelled ones.
 *
 * Two halves, so that anything (CLI, an HTTP route, a future UI) can call
 * either:
 *  - observation (audit_probe.c): one camera config in, a struct
 *    audit_camera of raw signals out (what the device said: ONVIF strings,
 *    MAC, RTSP/SDP and HTTP headers, vendor endpoints), read-only requests
 *    to the camera's own host only;
 *  - judgement (audit.c): signals + the vendor knowledge (struct vendors,
 *    from the data file) in, a verdict with its evidence out.  Pure: no I/O.
 * Observations are stored (audit_store.c, data_dir/audit.json) and judged
 * again at every report, so an updated data file applies at once, without
 * probing again.
 *
 * Threads: any; no state: every function works on its caller's structs.
 * Callers: the audit runner's thread (audit_runner.h), `nvr audit`, an
 * export (audit_store_load, for the makers it names: the export worker,
 * `nvr export`) and HTTP threads (audit_firewall_parse, audit_contain_addr,
 * and audit_contain_write under the runner's mutex).  What they share is
 * data_dir/audit.json, replaced whole (storage/documents.h).
 */
#ifndef NVR_AUDIT_H
#define NVR_AUDIT_H

#include "base/err.h"
#include "base/config.h"
#include "audit/vendors.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AUDIT_MAX_SIGNALS 48
#define AUDIT_NAME_MAX 32
#define AUDIT_VALUE_MAX 256

/* One observation: signal name (see docs/design/audit.md; names ending in
 * "_error" are probe failures, "onvif_serial", "onvif_main_uri", ... are
 * informative) and the cleaned value (printable ASCII, capped). */
struct audit_signal {
    char name[AUDIT_NAME_MAX];
    char value[AUDIT_VALUE_MAX];
};

/* What was observed of one camera. */
struct audit_camera {
    char id[72];
    int64_t probed_us; /* wall clock of the probe; 0 = never probed */
    size_t n;
    struct audit_signal s[AUDIT_MAX_SIGNALS];
};

/* Adds a signal (value cleaned and cut); ignored when full or value empty. */
void audit_camera_add(struct audit_camera *c, const char *name, const char *value);

/* The value of the first signal called name, NULL if none. */
const char *audit_camera_get(const struct audit_camera *c, const char *name);

enum audit_verdict {
    AUDIT_UNKNOWN = 0, /* nothing identifies the maker */
    AUDIT_OTHER,       /* identified, no covered-company evidence */
    AUDIT_COVERED,     /* a covered company's product (its label, or no other label) */
    AUDIT_WHITE_LABEL, /* another brand on the label, covered-maker evidence underneath */
};

/* "unknown", "other", "covered", "likely_covered_white_label" */
const char *audit_verdict_name(enum audit_verdict v);

struct audit_evidence {
    const struct audit_signal *sig; /* borrowed from the audit_camera */
    int matched;
    struct vendors_match m; /* when matched */
};

struct audit_result {
    enum audit_verdict verdict;
    char maker[128];             /* covered company, or the identified maker */
    char company[32];            /* that maker's company id in the data file, "" if none */
    char label[AUDIT_VALUE_MAX]; /* the brand the device presents (ONVIF manufacturer) */
    char reason[384];            /* one sentence */
    int review;                  /* a person should look (reported OEM label, ...) */
    size_t n;
    struct audit_evidence ev[AUDIT_MAX_SIGNALS];
};

/* Judges c's signals against v.  out borrows from c and v. */
void audit_classify(const struct vendors *v, const struct audit_camera *c, struct audit_result *out);

/* ---- exposure (audit_exposure.c) ---- */

/* What a camera exposes while it stays on the network, judged (pure) from
 * the probe's signals and the data file: kinds "cloud_p2p", "upnp",
 * "default_account", "vulnerable_firmware", "unauthenticated_service",
 * "external_servers".  detail: one sentence; evidence: the signal and its
 * value; source: where the rule comes from (vendor API document, advisory). */
#define AUDIT_MAX_EXPOSURES 16
struct audit_exposure {
    const char *kind;
    char detail[256];
    char evidence[AUDIT_VALUE_MAX + 48];
    char source[320];
};

/* Fills out[0..cap) for camera c judged as r (audit_classify); returns
 * the count. */
size_t audit_exposures(const struct vendors *v, const struct audit_camera *c, const struct audit_result *r,
                       struct audit_exposure *out, size_t cap);

/* 1 if addr (an IPv4 or IPv6 literal) is private to a site: RFC 1918,
 * loopback, link-local, RFC 6598 shared space, IPv6 ULA and link-local;
 * 0 if public; -1 if it is not an address literal. */
int audit_addr_private(const char *addr);

/* ---- containment (audit_contain.c) ---- */

struct audit_store;

#define AUDIT_ADDR_MAX 64 /* an IPv6 literal and more */
#define AUDIT_MAX_ALLOW 8

/* One camera to contain: covered (or a white label), or with an exposure. */
struct audit_contain_target {
    char id[72];
    char addr[AUDIT_ADDR_MAX]; /* the camera's address (validated literal), "" if unresolved */
    int v6;
    char verdict[32];
    char why[160]; /* its exposure kinds, space-separated */
};

struct audit_contain {
    struct audit_contain_target *t; /* owned */
    size_t n;
};

enum audit_firewall { AUDIT_FW_NFT, AUDIT_FW_IPTABLES, AUDIT_FW_TABLE };

struct audit_contain_opts {
    enum audit_firewall format;
    const char *recorder;               /* the recorder's address; NULL: the one this host reaches the cameras from */
    const char *allow[AUDIT_MAX_ALLOW]; /* more hosts allowed to reach the cameras (validated literals) */
    size_t nallow;
    int64_t now_us;
};

/* The cameras of cfg to contain, judged from st with v; a host name in a
 * camera URL is resolved (the name the recorder records it by).  0 or -1. */
int audit_contain_targets(const struct vendors *v, const struct nvr_config *cfg, const struct audit_store *st,
                          struct audit_contain *out);
void audit_contain_clear(struct audit_contain *c);

/* Writes the rules (nft script, iptables-restore input, or a table). */
int audit_contain_write(FILE *f, const struct audit_contain *c, const struct audit_contain_opts *o);

/* An IPv4/IPv6 literal (brackets allowed) rewritten canonically into out;
 * *v6 says which.  -1 for anything else (a name, a prefix, text). */
int audit_contain_addr(const char *in, char out[AUDIT_ADDR_MAX], int *v6);

/* The local address the kernel would use to reach peer (no packet sent). */
int audit_contain_local_addr(const char *peer, char out[AUDIT_ADDR_MAX]);

/* "nft", "iptables", "table" and back (-1 for another word). */
const char *audit_firewall_name(enum audit_firewall f);
int audit_firewall_parse(const char *s, enum audit_firewall *f);

/* ---- observation (audit_probe.c) ---- */

struct audit_probe_opts {
    int timeout_ms; /* per request; default 4000 */
};

/* Probes one camera: ONVIF (cam->onvif, or http://HOST/onvif/device_service),
 * the MAC (ONVIF, else the neighbour table), RTSP OPTIONS+DESCRIBE of cam->url,
 * HTTP GET / and the Hikvision/Dahua info endpoints on the ONVIF URL's
 * host:port (else HOST:80).  Every request goes to the host of cam->url;
 * an onvif URL on another host is refused (recorded as onvif_error).
 * Fills *out (failures are signals too).  Returns 0, or NVR_EINVAL for a
 * camera URL that cannot be parsed. */
nvr_err audit_probe_camera(const struct nvr_camera_config *cam, const struct audit_probe_opts *o,
                           struct audit_camera *out);

/* ---- the stored observations (audit_store.c) ---- */

struct audit_store {
    struct audit_camera *cams; /* owned */
    size_t n;
};

/* Stores a probe's observation of one camera (copied).  A probe that
 * identifies nothing (camera off, unreachable, refusing: verdict unknown
 * against v) does not erase an earlier identification: the stored
 * observation stays, with its own probed_at, and gains a "last_probe" signal
 * (replacing an earlier one) with the time and first error of this probe.
 * Any other probe replaces what was stored. */
nvr_err audit_store_put_probe(struct audit_store *st, const struct vendors *v, const struct audit_camera *fresh);

/* Reads data_dir/audit.json into *st (empty when the file does not exist).
 * NVR_ECORRUPT for a file that is not ours. */
nvr_err audit_store_load(const char *data_dir, struct audit_store *st);

/* Writes *st to data_dir/audit.json atomically. */
nvr_err audit_store_save(const char *data_dir, const struct audit_store *st);

/* Replaces (or adds) the observation of c->id. */
nvr_err audit_store_put(struct audit_store *st, const struct audit_camera *c);

/* The observation of a camera, NULL if none. */
const struct audit_camera *audit_store_get(const struct audit_store *st, const char *id);

void audit_store_clear(struct audit_store *st);

/* ---- reports (audit_report.c) ---- */

/* The report of every configured camera, judged from st, as one JSON
 * document: {"generated":T,"data_file":..,"cameras":[{id,name,verdict,...}]} */
void audit_write_json(FILE *f, const struct vendors *v, const struct nvr_config *cfg, const struct audit_store *st,
                      int64_t now_us);

/* The same as CSV, one row per camera (RFC 4180 quoting, formula-safe). */
void audit_write_csv(FILE *f, const struct vendors *v, const struct nvr_config *cfg, const struct audit_store *st);

/* Human-readable text, one block per camera. */
void audit_write_text(FILE *f, const struct vendors *v, const struct nvr_config *cfg, const struct audit_store *st);

/* Writes the default vendor data file's path into buf: the first that
 * exists of EXE_DIR/../share/nvr/ndaa-vendors.ini (the copy installed with
 * this binary, wherever the tree was put) and EXE_DIR/share/nvr/ (the copy
 * the build puts beside a binary in the build tree); else
 * NVR_DATADIR/ndaa-vendors.ini (the configured install prefix).  No source
 * path is compiled in.  The path is cut to cap. */
void audit_default_vendors_path(char *buf, size_t cap);

#endif
