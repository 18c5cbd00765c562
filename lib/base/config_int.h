/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_int.h - what the config reader's own files share (config.h is the
 * contract).  Only lib/base/config*.c include it.
 *
 * The file is read line by line against one declared table, conf_keys[]: each
 * entry names a section kind, a key, the function that parses and stores its
 * value, where in the section's struct it goes, whether it is required, and a
 * phrase saying what a valid value looks like (for messages).  Adding a key is
 * adding a row; nothing else switches on key names except the rules that span
 * two keys or more (config_check.c).  The [camera ID] rows are generated from
 * the camera settings table, NVR_CAMERA_SETTINGS (camera_config.h), which also
 * drives the camera defaults and free.
 *
 *   config.c         the reader: lines, sections, parse, load, free, lookup
 *   config_check.c   the rules across keys, run when a camera or the file ends
 *   config_keys.c    conf_keys[] and the grant.GROUP keys that are not rows
 *   config_values.c  the value parsers the rows name, and their validators
 *   config_report.c  the messages
 * Each calls only files listed below it, never back up.
 *
 * Invariants:
 *  1. Every problem found is written as "FILE:LINE: message" (or "FILE:
 *     message" when no line applies) and counted; parsing goes on after an
 *     error so one run shows them all.  Any error means NVR_ECONFIG and no
 *     config: a half-valid config is never handed out.
 *  2. No message shows a camera URL: the values of the NVR_CS_SECRET camera
 *     settings (url, sub_url, onvif) are never echoed, no message echoes a
 *     whole line, and every message is passed through nvr_url_redact_text()
 *     as a last guard.
 *  3. Hostile input is bounded: the file is at most CONF_MAX_FILE bytes, a line
 *     at most CONF_MAX_LINE bytes, at most CONF_MAX_CAMERAS cameras; bytes that
 *     are control characters or not UTF-8 are errors, never undefined
 *     behaviour.  Sections whose header is itself wrong (unknown name, bad or
 *     missing camera id, one camera too many) are skipped: their keys are not
 *     checked, so one mistake does not bury the output under follow-ups.
 *  4. A key's line is remembered as soon as it is seen, even if its value is
 *     bad, so a bad url does not also produce "has no url".
 *  5. All memory hangs off the struct nvr_config being built; every exit goes
 *     through one `out:` that frees it unless it is handed to the caller.
 *
 * Threads: any thread may read a config: the main thread does (start-up,
 * SIGHUP) and so do HTTP threads (a camera stored over the API:
 * camera_store_parse).  A read keeps all its state in its own struct parser
 * and the struct nvr_config it builds; conf_keys[] is constant; nothing is
 * global.
 */
#ifndef NVR_BASE_CONFIG_INT_H
#define NVR_BASE_CONFIG_INT_H

#include "base/config.h"
#include "base/err.h"

#include <stddef.h>
#include <stdio.h>

#define CONF_MAX_FILE (1024 * 1024)
#define CONF_MAX_LINE 4096
#define CONF_MAX_CAMERAS 1000
#define CONF_MAX_ID 64
#define CONF_ECHO_MAX 64  /* bytes of a bad value quoted back in a message */
#define CONF_MAX_KEYS 256 /* rows of conf_keys[] at most (config_keys.c checks it) */

enum section_kind {
    SEC_NONE, /* before the first section header */
    SEC_SKIP, /* inside a section whose header was wrong: keys are ignored */
    SEC_SERVER,
    SEC_STORAGE,
    SEC_CAMERA,
    SEC_ALERTS,
    SEC_UI,
    SEC_CATALOG,
    SEC_CONSOLE,
    SEC_OIDC,
    SEC_LDAP,
};

enum { KEY_REQUIRED = 1, KEY_SECRET = 2 /* never echo the value: it may hold a password */ };

struct conf_key;

/* Parses val and stores it into base (the struct nvr_config for [server] and
 * [storage], the struct nvr_camera_config for [camera ID]).  Returns NVR_OK,
 * NVR_EINVAL (the caller reports "KEY must be HELP") or NVR_ENOMEM. */
typedef nvr_err (*conf_parse_fn)(const struct conf_key *k, const char *val, void *base);

struct conf_key {
    enum section_kind section;
    const char *name;
    conf_parse_fn parse;
    size_t offset;    /* of the field in base, for the parsers that store one field */
    int flags;        /* KEY_REQUIRED, KEY_SECRET */
    const char *help; /* what a valid value is: "KEY must be HELP" */
    long min, max;    /* bounds, for conf_parse_int */
};

/* One section being read.  Repeated [server] or [storage] sections share one
 * state (so a key given in both is a duplicate); each camera has its own. */
struct section {
    int header_line;             /* 0 if the section has not been seen */
    int key_line[CONF_MAX_KEYS]; /* where each conf_keys[] entry was given, 0 if not */
};

struct parser {
    const char *path;
    FILE *errs;
    int nerrors;
    struct nvr_config *cfg;
    size_t cameras_cap;
    int too_many_reported;
    struct section server, storage, camera, alerts, ui, catalog, console, oidc, ldap;
    /* the section the next key belongs to */
    enum section_kind kind;
    struct section *sec;          /* &server, &storage or &camera */
    void *base;                   /* the struct its keys fill */
    char label[CONF_MAX_ID + 16]; /* "[camera lobby]", for messages */
};

static inline int conf_is_space(char c)
{
    return c == ' ' || c == '\t';
}

static inline int conf_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- config_report.c: the messages (invariants 1 and 2) ---- */

/* Writes "FILE:LINE: message" (line > 0) or "FILE: message" to p->errs, if
 * any, redacted, and counts it. */
void conf_report(struct parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* s itself, or at most CONF_ECHO_MAX bytes of it, cut on a UTF-8 character
 * boundary, with "..." when shortened, copied into out. */
const char *conf_echo(const char *s, char out[CONF_ECHO_MAX + 4]);

/* ---- config_values.c: the parsers that conf_keys[] rows name ---- */

nvr_err conf_parse_text(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_rects(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_abs_path(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_rtsp_url(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_http_url(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_listen(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_max_bytes(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_min_free(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_transport(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_msource(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_int(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_bool(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_alert_url(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_syslog(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_pg_url(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_site(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_time_format(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_totp_policy(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_starttls(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_server_names(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_dirs(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_s3_url(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_days(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_issuer(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_oidc_auth(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_public_url(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_ldap_urls(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_ldap_filter(const struct conf_key *k, const char *val, void *base);
nvr_err conf_parse_ldap_attr(const struct conf_key *k, const char *val, void *base);

/* 1 to CONF_MAX_ID of a-z, 0-9, _ and - (a camera id, a catalog site). */
int conf_valid_camera_id(const char *id);

/* ---- config_keys.c: the keys ---- */

extern const struct conf_key conf_keys[];
extern const size_t conf_nkeys;

/* The index in conf_keys[] of key name in a section of kind, or -1. */
int conf_find_key(enum section_kind kind, const char *name);

/* The grant.GROUP = GRANTS lines of [oidc] (group is the text after
 * "grant.") and of [ldap] (key is the whole key): not rows, since GROUP is
 * the reader's.  Report what is wrong; NVR_ENOMEM is the only error. */
nvr_err conf_oidc_grant(struct parser *p, const char *group, const char *val, int line);
nvr_err conf_ldap_grant(struct parser *p, const char *key, const char *val, int line);

/* ---- config_check.c: the rules across keys ---- */

/* Reports the required keys of kind that sec has not given; label names the
 * section ("[server]", "[camera lobby]"). */
void conf_check_required(struct parser *p, enum section_kind kind, const struct section *sec, const char *label);

/* The rules for whole sections, once the file has been read: [server],
 * [alerts], [catalog], [oidc], [ldap], and the cameras' storage_dir pins. */
void conf_check_file(struct parser *p);

#endif
