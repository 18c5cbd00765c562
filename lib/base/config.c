/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c - reads the INI configuration file (see config.h, docs/ref/config.md).
 *
 * The file is read line by line against one declared table, conf_keys[]: each
 * entry names a section kind, a key, the function that parses and stores its
 * value, where in the section's struct it goes, whether it is required, and a
 * phrase saying what a valid value looks like (for messages).  Adding a key is
 * adding a row; nothing else switches on key names except the one rule that
 * spans two keys (tls_cert and tls_key go together, check_server()).  The
 * [camera ID] rows are not written here: they are generated from the camera
 * settings table, NVR_CAMERA_SETTINGS (camera_config.h), which also drives
 * the camera defaults and free.
 *
 * Invariants:
 *  1. Every problem found is written as "FILE:LINE: message" (or "FILE:
 *     message" when no line applies) and counted; parsing goes on after an
 *     error so one run shows them all.  Any error means NVR_ECONFIG and no
 *     config: a half-valid config is never handed out.
 *  2. No message shows a camera URL: the values of the NVR_CS_SECRET camera
 *     settings (url, sub_url, onvif) are never echoed, no message echoes a whole line, and every message is passed
 *     through nvr_url_redact_text() as a last guard.
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
 */
#include "base/config.h"

#include "base/err.h"
#include "base/url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONF_MAX_FILE (1024 * 1024)
#define CONF_MAX_LINE 4096
#define CONF_MAX_CAMERAS 1000
#define CONF_MAX_ID 64
#define CONF_ECHO_MAX 64 /* bytes of a bad value quoted back in a message */

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
    long min, max;    /* bounds, for parse_int */
};

static nvr_err parse_text(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_rects(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_abs_path(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_rtsp_url(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_http_url(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_listen(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_max_bytes(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_min_free(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_transport(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_msource(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_int(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_bool(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_alert_url(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_syslog(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_pg_url(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_site(const struct conf_key *k, const char *val, void *base);
static const char *const time_format_names[] = {[NVR_TIME_12H] = "12h", [NVR_TIME_24H] = "24h"};

const char *nvr_time_format_name(enum nvr_time_format f)
{
    return (size_t)f < sizeof time_format_names / sizeof time_format_names[0] ? time_format_names[f] : "12h";
}

static nvr_err parse_time_format(const struct conf_key *k, const char *val, void *base)
{
    for (size_t i = 0; i < sizeof time_format_names / sizeof time_format_names[0]; i++) {
        if (strcasecmp(val, time_format_names[i]) == 0) {
            *(enum nvr_time_format *)((char *)base + k->offset) = (enum nvr_time_format)i;
            return NVR_OK;
        }
    }
    return NVR_EINVAL;
}

static const char *const totp_policy_names[] = {
    [NVR_TOTP_NONE] = "none", [NVR_TOTP_ADMIN] = "admin", [NVR_TOTP_ALL] = "all"};

const char *nvr_totp_policy_name(enum nvr_totp_policy p)
{
    return (size_t)p < sizeof totp_policy_names / sizeof totp_policy_names[0] ? totp_policy_names[p] : "none";
}

static nvr_err parse_totp_policy(const struct conf_key *k, const char *val, void *base)
{
    for (size_t i = 0; i < sizeof totp_policy_names / sizeof totp_policy_names[0]; i++) {
        if (strcasecmp(val, totp_policy_names[i]) == 0) {
            *(enum nvr_totp_policy *)((char *)base + k->offset) = (enum nvr_totp_policy)i;
            return NVR_OK;
        }
    }
    return NVR_EINVAL;
}

static nvr_err parse_starttls(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_server_names(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_dirs(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_s3_url(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_days(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_time_format(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_issuer(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_oidc_auth(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_public_url(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_ldap_urls(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_ldap_filter(const struct conf_key *k, const char *val, void *base);
static nvr_err parse_ldap_attr(const struct conf_key *k, const char *val, void *base);

#define SRV(f) offsetof(struct nvr_config, f)

/* A camera setting's parser by its kind. */
#define parse_TEXT parse_text
#define parse_RTSP_URL parse_rtsp_url
#define parse_HTTP_URL parse_http_url
#define parse_PATH parse_abs_path
#define parse_INT parse_int
#define parse_BOOL parse_bool
#define parse_TRANSPORT parse_transport
#define parse_MSOURCE parse_msource
#define parse_RECTS parse_rects
#define CAMERA_KEY(key, kind, flags, def, min, max, help)                                                              \
    {SEC_CAMERA,                                                                                                       \
     #key,                                                                                                             \
     parse_##kind,                                                                                                     \
     offsetof(struct nvr_camera_config, key),                                                                          \
     ((flags)&NVR_CS_REQUIRED ? KEY_REQUIRED : 0) | ((flags)&NVR_CS_SECRET ? KEY_SECRET : 0),                          \
     help,                                                                                                             \
     min,                                                                                                              \
     max},
#define ALR(f) offsetof(struct nvr_alerts_config, f)
#define OIDC(f) offsetof(struct nvr_oidc_config, f)
#define ADDRS "one or more e-mail addresses, separated by commas"
#define LDP(f) offsetof(struct nvr_config, ldap.f)
#define GROUPS "group names (CN), separated by commas"

static const struct conf_key conf_keys[] = {
    {SEC_SERVER, "listen", parse_listen, 0, 0, "host:port, [IPv6]:port or a port, with the port from 1 to 65535", 0, 0},
    {SEC_SERVER, "data_dir", parse_abs_path, SRV(data_dir), KEY_REQUIRED, "an absolute path", 0, 0},
    {SEC_SERVER, "web_dir", parse_abs_path, SRV(web_dir), 0, "an absolute path", 0, 0},
    {SEC_SERVER, "tls_cert", parse_abs_path, SRV(tls_cert), 0, "an absolute path", 0, 0},
    {SEC_SERVER, "tls_key", parse_abs_path, SRV(tls_key), 0, "an absolute path", 0, 0},
    {SEC_SERVER, "allow_plain_http", parse_bool, SRV(allow_plain_http), 0, "yes, no, on, off, true, false, 1 or 0", 0,
     0},
    {SEC_SERVER, "http_threads", parse_int, SRV(http_threads), 0, "an integer from 0 (one per CPU) to 64", 0, 64},
    {SEC_SERVER, "tls_priority", parse_text, SRV(tls_priority), 0, "a GnuTLS priority string", 0, 0},
    {SEC_SERVER, "server_name", parse_server_names, SRV(server_names), 0,
     "host names or IP addresses separated by commas or spaces (at most 32)", 0, 0},
    {SEC_SERVER, "max_connections", parse_int, SRV(max_connections), 0, "an integer from 16 to 100000", 16, 100000},
    {SEC_SERVER, "max_connections_per_address", parse_int, SRV(max_connections_per_address), 0,
     "an integer from 0 (no limit) to 100000", 0, 100000},
    {SEC_SERVER, "read_timeout", parse_int, SRV(read_timeout), 0, "an integer from 1 to 3600 (seconds)", 1, 3600},
    {SEC_SERVER, "totp_required", parse_totp_policy, SRV(totp_required), 0, "none, admin or all", 0, 0},

    {SEC_STORAGE, "max_bytes", parse_max_bytes, SRV(max_bytes), 0,
     "a size above 0 with an optional K, M, G or T suffix, such as 500G or 1.5T", 0, 0},
    {SEC_STORAGE, "min_free", parse_min_free, 0, 0, "a percentage below 100% (such as 5%) or a size (such as 50G)", 0,
     0},
    {SEC_STORAGE, "archive_url", parse_s3_url, SRV(archive.url), 0, "s3://bucket or s3://bucket/prefix", 0, 0},
    {SEC_STORAGE, "archive_endpoint", parse_http_url, SRV(archive.endpoint), 0,
     "an http:// or https:// URL with a host (the S3 endpoint)", 0, 0},
    {SEC_STORAGE, "archive_region", parse_text, SRV(archive.region), 0, "a non-empty text", 0, 0},
    {SEC_STORAGE, "archive_access_key", parse_text, SRV(archive.access_key), KEY_SECRET, "a non-empty text", 0, 0},
    {SEC_STORAGE, "archive_secret_key", parse_text, SRV(archive.secret_key), KEY_SECRET, "a non-empty text", 0, 0},
    {SEC_STORAGE, "archive_after_days", parse_days, SRV(archive.after_days), 0,
     "a number of days above 0 (decimals allowed, such as 7 or 0.5)", 0, 0},
    {SEC_STORAGE, "archive_path_style", parse_bool, SRV(archive.path_style), 0, "yes, no, on, off, true, false, 1 or 0",
     0, 0},
    {SEC_STORAGE, "archive_cache", parse_max_bytes, SRV(archive.cache_bytes), 0,
     "a size above 0 with an optional K, M, G or T suffix, such as 2G", 0, 0},
    {SEC_STORAGE, "dirs", parse_dirs, SRV(storage_dirs), 0,
     "absolute paths separated by commas (at most 16, none twice, no comma in a path)", 0, 0},

    /* [camera ID]: one row per row of the camera settings table (camera_config.h) */
    NVR_CAMERA_SETTINGS(CAMERA_KEY)

        {SEC_ALERTS, "smtp_url", parse_alert_url, ALR(smtp_url), KEY_SECRET, "an smtp:// or smtps:// URL with a host",
         0, 0},
    {SEC_ALERTS, "smtp_user", parse_text, ALR(smtp_user), 0, "a non-empty text", 0, 0},
    {SEC_ALERTS, "smtp_password", parse_text, ALR(smtp_password), KEY_SECRET, "a non-empty text", 0, 0},
    {SEC_ALERTS, "smtp_starttls", parse_starttls, ALR(smtp_starttls), 0, "auto, required, optional or off", 0, 0},
    {SEC_ALERTS, "email_from", parse_text, ALR(email_from), 0, "an e-mail address", 0, 0},
    {SEC_ALERTS, "email_to", parse_text, ALR(email_to), 0, ADDRS, 0, 0},
    {SEC_ALERTS, "email_to_camera", parse_text, ALR(email_to_camera), 0, ADDRS, 0, 0},
    {SEC_ALERTS, "email_to_storage", parse_text, ALR(email_to_storage), 0, ADDRS, 0, 0},
    {SEC_ALERTS, "email_to_security", parse_text, ALR(email_to_security), 0, ADDRS, 0, 0},
    {SEC_ALERTS, "email_to_audit", parse_text, ALR(email_to_audit), 0, ADDRS, 0, 0},
    {SEC_ALERTS, "email_to_system", parse_text, ALR(email_to_system), 0, ADDRS, 0, 0},
    {SEC_ALERTS, "webhook_url", parse_alert_url, ALR(webhook_url), KEY_SECRET, "an http:// or https:// URL with a host",
     0, 0},
    {SEC_ALERTS, "webhook_secret", parse_text, ALR(webhook_secret), KEY_SECRET, "a non-empty text", 0, 0},
    {SEC_ALERTS, "syslog", parse_syslog, ALR(syslog), 0,
     "local, an absolute path to a unix socket, udp://host:port or tcp://host:port", 0, 0},
    {SEC_ALERTS, "camera_offline_seconds", parse_int, ALR(camera_offline_seconds), 0, "an integer from 1 to 86400", 1,
     86400},
    {SEC_ALERTS, "hold_down_seconds", parse_int, ALR(hold_down_seconds), 0, "an integer from 0 to 86400", 0, 86400},
    {SEC_ALERTS, "signin_failures", parse_int, ALR(signin_failures), 0, "an integer from 1 to 100000", 1, 100000},
    {SEC_ALERTS, "signin_window_seconds", parse_int, ALR(signin_window_seconds), 0, "an integer from 1 to 86400", 1,
     86400},
    {SEC_ALERTS, "cert_warn_days", parse_int, ALR(cert_warn_days), 0, "an integer from 0 to 365", 0, 365},
    {SEC_ALERTS, "storage_seconds", parse_int, ALR(storage_seconds), 0, "an integer from 1 to 86400", 1, 86400},

    {SEC_UI, "time_format", parse_time_format, SRV(time_format), 0, "12h or 24h", 0, 0},

    {SEC_CATALOG, "url", parse_pg_url, SRV(catalog.url), KEY_SECRET,
     "a postgresql:// or postgres:// URL (libpq's connection URI)", 0, 0},
    {SEC_CATALOG, "site", parse_site, SRV(catalog.site), 0, "1 to 64 of a-z, 0-9, _ and -", 0, 0},
    {SEC_CATALOG, "publish_seconds", parse_int, SRV(catalog.publish_seconds), 0, "an integer from 1 to 3600", 1, 3600},
    {SEC_CATALOG, "advertise", parse_public_url, SRV(catalog.advertise), 0,
     "http:// or https:// and a host (and port), without a path", 0, 0},
    {SEC_CONSOLE, "max_proxied", parse_int, SRV(console.max_proxied), 0, "an integer from 1 to 4096", 1, 4096},
    {SEC_CONSOLE, "max_exports", parse_int, SRV(console.max_exports), 0, "an integer from 1 to 64", 1, 64},
    {SEC_CONSOLE, "export_max_bytes", parse_max_bytes, SRV(console.export_max_bytes), 0,
     "a size above 0 with an optional K, M, G or T suffix, such as 20G", 0, 0},
    {SEC_CONSOLE, "export_keep_hours", parse_int, SRV(console.export_keep_hours), 0, "an integer from 1 to 8760", 1,
     8760},
    {SEC_OIDC, "issuer", parse_issuer, OIDC(issuer), 0,
     "an https:// URL without query or fragment (http:// only on loopback)", 0, 0},
    {SEC_OIDC, "client_id", parse_text, OIDC(client_id), 0, "a non-empty text", 0, 0},
    {SEC_OIDC, "client_secret", parse_text, OIDC(client_secret), KEY_SECRET, "a non-empty text", 0, 0},
    {SEC_OIDC, "client_secret_file", parse_abs_path, OIDC(client_secret_file), 0, "an absolute path", 0, 0},
    {SEC_OIDC, "token_auth", parse_oidc_auth, OIDC(auth), 0, "client_secret_basic or client_secret_post", 0, 0},
    {SEC_OIDC, "label", parse_text, OIDC(label), 0, "a non-empty text", 0, 0},
    {SEC_OIDC, "scopes", parse_text, OIDC(scopes), 0, "scopes separated by spaces, openid among them", 0, 0},
    {SEC_OIDC, "username_claim", parse_text, OIDC(username_claim), 0, "a claim name", 0, 0},
    {SEC_OIDC, "groups_claim", parse_text, OIDC(groups_claim), 0, "a claim name", 0, 0},
    {SEC_OIDC, "admin_groups", parse_text, OIDC(admin_groups), 0, "group names separated by commas", 0, 0},
    {SEC_OIDC, "investigator_groups", parse_text, OIDC(investigator_groups), 0, "group names separated by commas", 0,
     0},
    {SEC_OIDC, "viewer_groups", parse_text, OIDC(viewer_groups), 0, "group names separated by commas", 0, 0},
    {SEC_OIDC, "public_url", parse_public_url, OIDC(public_url), 0,
     "http:// or https:// and a host (and port), without a path", 0, 0},
    {SEC_OIDC, "ca_file", parse_abs_path, OIDC(ca_file), 0, "an absolute path", 0, 0},
    /* [ldap]; grant.<group> lines are not rows: ldap_grant() reads them */
    {SEC_LDAP, "url", parse_ldap_urls, LDP(url), KEY_REQUIRED,
     "ldap:// or ldaps:// URLs with a host, separated by spaces or commas (at most 8)", 0, 0},
    {SEC_LDAP, "starttls", parse_bool, LDP(starttls), 0, "yes, no, on, off, true, false, 1 or 0", 0, 0},
    {SEC_LDAP, "ca_file", parse_abs_path, LDP(ca_file), 0, "an absolute path", 0, 0},
    {SEC_LDAP, "bind_dn", parse_text, LDP(bind_dn), 0, "a DN", 0, 0},
    {SEC_LDAP, "bind_password", parse_text, LDP(bind_password), KEY_SECRET, "a non-empty text", 0, 0},
    {SEC_LDAP, "bind_password_file", parse_abs_path, LDP(bind_password_file), 0, "an absolute path", 0, 0},
    {SEC_LDAP, "user_base", parse_text, LDP(user_base), KEY_REQUIRED, "a DN", 0, 0},
    {SEC_LDAP, "user_filter", parse_ldap_filter, LDP(user_filter), 0,
     "an LDAP filter in parentheses holding %s (the name), such as (uid=%s)", 0, 0},
    {SEC_LDAP, "name_attribute", parse_ldap_attr, LDP(name_attribute), 0,
     "an attribute name (letters, digits, -), such as uid or sAMAccountName", 0, 0},
    {SEC_LDAP, "member_of", parse_bool, LDP(member_of), 0, "yes, no, on, off, true, false, 1 or 0", 0, 0},
    {SEC_LDAP, "group_base", parse_text, LDP(group_base), 0, "a DN", 0, 0},
    {SEC_LDAP, "group_filter", parse_ldap_filter, LDP(group_filter), 0,
     "an LDAP filter in parentheses holding %s (the user's DN), such as (member=%s)", 0, 0},
    {SEC_LDAP, "admin_groups", parse_text, LDP(admin_groups), 0, GROUPS, 0, 0},
    {SEC_LDAP, "investigator_groups", parse_text, LDP(investigator_groups), 0, GROUPS, 0, 0},
    {SEC_LDAP, "viewer_groups", parse_text, LDP(viewer_groups), 0, GROUPS, 0, 0},
    {SEC_LDAP, "timeout", parse_int, LDP(timeout), 0, "an integer from 1 to 5 (seconds)", 1, 5},
};

#define NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

/* One section being read.  Repeated [server] or [storage] sections share one
 * state (so a key given in both is a duplicate); each camera has its own. */
struct section {
    int header_line;     /* 0 if the section has not been seen */
    int key_line[NKEYS]; /* where each conf_keys[] entry was given, 0 if not */
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

/* ---- messages ---- */

static void report(struct parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void report(struct parser *p, int line, const char *fmt, ...)
{
    char msg[512], safe[600];
    va_list ap;
    p->nerrors++;
    if (!p->errs)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    nvr_url_redact_text(msg, safe, sizeof(safe));
    if (line > 0)
        fprintf(p->errs, "%s:%d: %s\n", p->path, line, safe);
    else
        fprintf(p->errs, "%s: %s\n", p->path, safe);
}

/* Copies at most CONF_ECHO_MAX bytes of s, cut on a UTF-8 character boundary,
 * with "..." when shortened. */
static const char *echo(const char *s, char out[CONF_ECHO_MAX + 4])
{
    size_t n = strlen(s);
    if (n <= CONF_ECHO_MAX)
        return s;
    n = CONF_ECHO_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, s, n);
    memcpy(out + n, "...", 4);
    return out;
}

/* ---- small strict parsers ---- */

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A decimal integer, optionally negative, with nothing after it, in lo..hi. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
    int neg = *s == '-';
    long v = 0;
    if (neg)
        s++;
    if (!is_digit(*s))
        return -1;
    for (; is_digit(*s); s++) {
        int d = *s - '0';
        if (v > (LONG_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (*s)
        return -1;
    if (neg)
        v = -v;
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

#define CONF_MAX_DECIMALS 6

/* Reads "DIGITS[.DIGITS]" (at most CONF_MAX_DECIMALS after the point) from *s
 * and advances it.  *ip is the integer part, *frac/10^*ndec the fraction. */
static int read_decimal(const char **s, uint64_t *ip, uint64_t *frac, int *ndec)
{
    const char *p = *s;
    uint64_t v = 0, f = 0;
    int nd = 0;
    if (!is_digit(*p))
        return -1;
    for (; is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (*p == '.') {
        p++;
        if (!is_digit(*p))
            return -1;
        for (; is_digit(*p); p++) {
            if (++nd > CONF_MAX_DECIMALS)
                return -1;
            f = f * 10 + (uint64_t)(*p - '0');
        }
    }
    *s = p;
    *ip = v;
    *frac = f;
    *ndec = nd;
    return 0;
}

static const uint64_t pow10_table[CONF_MAX_DECIMALS + 1] = {1, 10, 100, 1000, 10000, 100000, 1000000};

nvr_err nvr_config_parse_size(const char *s, uint64_t *out)
{
    uint64_t ip, frac;
    int ndec, shift = 0;
    const char *p = s;
    if (!s || read_decimal(&p, &ip, &frac, &ndec))
        return NVR_EINVAL;
    switch (*p) {
    case 'K':
    case 'k': shift = 10; break;
    case 'M':
    case 'm': shift = 20; break;
    case 'G':
    case 'g': shift = 30; break;
    case 'T':
    case 't': shift = 40; break;
    }
    if (shift)
        p++;
    if (shift && p[0] == 'i' && p[1] == 'B')
        p += 2;
    else if (p[0] == 'B')
        p++;
    if (*p != '\0' || (ndec > 0 && shift == 0)) /* no fractions of a byte */
        return NVR_EINVAL;
    if (ip > (UINT64_MAX >> shift))
        return NVR_EINVAL;
    /* frac < 10^6 < 2^20 and shift <= 40, so frac << shift cannot overflow */
    uint64_t whole = ip << shift, part = (frac << shift) / pow10_table[ndec];
    if (whole > UINT64_MAX - part)
        return NVR_EINVAL;
    *out = whole + part;
    return NVR_OK;
}

/* "N%" with 0 <= N < 100. */
static int parse_percent(const char *s, double *out)
{
    uint64_t ip, frac;
    int ndec;
    if (read_decimal(&s, &ip, &frac, &ndec) || strcmp(s, "%") != 0 || ip >= 100)
        return -1;
    *out = (double)ip + (double)frac / (double)pow10_table[ndec];
    return 0;
}

/* A host name or dotted IPv4 address (no IPv6: that needs brackets). */
static int valid_host(const char *h, size_t n)
{
    int all_numeric = 1;
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (!(is_digit(c) || c == '.' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return 0;
        if (!is_digit(c) && c != '.')
            all_numeric = 0;
    }
    if (all_numeric) {
        char buf[254];
        struct in_addr a;
        memcpy(buf, h, n);
        buf[n] = '\0';
        return inet_pton(AF_INET, buf, &a) == 1;
    }
    return 1;
}

/* rtsp[s]://[userinfo@]host[:port][/...]: the scheme, a host, a numeric port
 * if any, and no white space. */
static int valid_rtsp_url(const char *u)
{
    const char *auth, *end, *host, *after;
    if (strncasecmp(u, "rtsp://", 7) == 0)
        auth = u + 7;
    else if (strncasecmp(u, "rtsps://", 8) == 0)
        auth = u + 8;
    else
        return 0;
    for (const char *q = u; *q; q++)
        if ((unsigned char)*q <= ' ')
            return 0;
    end = auth + strcspn(auth, "/?#");
    host = auth;
    for (const char *q = auth; q < end; q++)
        if (*q == '@')
            host = q + 1;
    if (*host == '[') {
        const char *close = memchr(host, ']', (size_t)(end - host));
        if (!close || close == host + 1)
            return 0;
        after = close + 1;
    } else {
        after = host;
        while (after < end && *after != ':')
            after++;
        if (after == host)
            return 0;
    }
    if (after == end)
        return 1;
    if (*after != ':' || after + 1 == end)
        return 0;
    long port = 0;
    for (const char *q = after + 1; q < end; q++) {
        if (!is_digit(*q) || (port = port * 10 + (*q - '0')) > 65535)
            return 0;
    }
    return port >= 1;
}

/* ---- the key parsers of conf_keys[] ---- */

static nvr_err set_string(void *base, size_t offset, const char *val, size_t n)
{
    char **field = (char **)((char *)base + offset);
    char *copy = strndup(val, n);
    if (!copy)
        return NVR_ENOMEM;
    free(*field); /* a repeated [server] section may set a key again */
    *field = copy;
    return NVR_OK;
}

static nvr_err parse_text(const struct conf_key *k, const char *val, void *base)
{
    if (*val == '\0')
        return NVR_EINVAL;
    return set_string(base, k->offset, val, strlen(val));
}

/* Boxes in 0..1 frame coordinates (camera_config.h, nvr_rects_parse). */
static nvr_err parse_rects(const struct conf_key *k, const char *val, void *base)
{
    struct nvr_rect r[NVR_RECTS_MAX];
    int n;
    if (nvr_rects_parse(val, r, NVR_RECTS_MAX, &n))
        return NVR_EINVAL;
    return set_string(base, k->offset, val, strlen(val));
}

static nvr_err parse_abs_path(const struct conf_key *k, const char *val, void *base)
{
    if (val[0] != '/')
        return NVR_EINVAL;
    return set_string(base, k->offset, val, strlen(val));
}

static nvr_err parse_rtsp_url(const struct conf_key *k, const char *val, void *base)
{
    if (!valid_rtsp_url(val))
        return NVR_EINVAL;
    return set_string(base, k->offset, val, strlen(val));
}

/* The ONVIF device service: an http(s) URL whose authority part follows
 * the same rules as an RTSP URL's. */
static nvr_err parse_http_url(const struct conf_key *k, const char *val, void *base)
{
    char buf[2048];
    const char *rest = strncasecmp(val, "http://", 7) == 0    ? val + 7
                       : strncasecmp(val, "https://", 8) == 0 ? val + 8
                                                              : NULL;
    if (!rest || snprintf(buf, sizeof buf, "rtsp://%s", rest) >= (int)sizeof buf || !valid_rtsp_url(buf))
        return NVR_EINVAL;
    return set_string(base, k->offset, val, strlen(val));
}

/* "host:port", "[v6]:port", ":port" or "port"; no host means 127.0.0.1, so
 * listening on every interface always has to be asked for (0.0.0.0:8080). */
static nvr_err parse_listen(const struct conf_key *k, const char *val, void *base)
{
    struct nvr_config *cfg = base;
    const char *host = "127.0.0.1", *port;
    size_t hostlen = strlen(host);
    long portnum;
    (void)k;
    if (val[0] == '[') {
        const char *close = strchr(val, ']');
        char buf[INET6_ADDRSTRLEN + 1];
        struct in6_addr a;
        if (!close || close[1] != ':')
            return NVR_EINVAL;
        host = val + 1;
        hostlen = (size_t)(close - host);
        if (hostlen == 0 || hostlen >= sizeof(buf))
            return NVR_EINVAL;
        memcpy(buf, host, hostlen);
        buf[hostlen] = '\0';
        if (inet_pton(AF_INET6, buf, &a) != 1)
            return NVR_EINVAL;
        port = close + 2;
    } else {
        const char *colon = strrchr(val, ':');
        if (!colon) {
            port = val;
        } else {
            port = colon + 1;
            if (colon > val) {
                host = val;
                hostlen = (size_t)(colon - val);
                if (!valid_host(host, hostlen))
                    return NVR_EINVAL;
            }
        }
    }
    if (parse_long(port, 1, 65535, &portnum))
        return NVR_EINVAL;
    nvr_err rc = set_string(cfg, offsetof(struct nvr_config, listen_host), host, hostlen);
    if (rc)
        return rc;
    cfg->listen_port = (int)portnum;
    return NVR_OK;
}

static nvr_err parse_max_bytes(const struct conf_key *k, const char *val, void *base)
{
    uint64_t v;
    if (nvr_config_parse_size(val, &v) || v == 0)
        return NVR_EINVAL;
    *(uint64_t *)((char *)base + k->offset) = v;
    return NVR_OK;
}

static nvr_err parse_min_free(const struct conf_key *k, const char *val, void *base)
{
    struct nvr_config *cfg = base;
    double pct = 0;
    uint64_t bytes = 0;
    size_t n = strlen(val);
    (void)k;
    if (n > 0 && val[n - 1] == '%') {
        if (parse_percent(val, &pct))
            return NVR_EINVAL;
    } else if (nvr_config_parse_size(val, &bytes)) {
        return NVR_EINVAL;
    }
    cfg->min_free_pct = pct;
    cfg->min_free_bytes = bytes;
    return NVR_OK;
}

static nvr_err parse_transport(const struct conf_key *k, const char *val, void *base)
{
    enum nvr_transport t;
    if (nvr_transport_parse(val, &t))
        return NVR_EINVAL;
    *(enum nvr_transport *)((char *)base + k->offset) = t;
    return NVR_OK;
}

static nvr_err parse_msource(const struct conf_key *k, const char *val, void *base)
{
    enum nvr_motion_source m;
    if (nvr_motion_source_parse(val, &m))
        return NVR_EINVAL;
    *(enum nvr_motion_source *)((char *)base + k->offset) = m;
    return NVR_OK;
}

static nvr_err parse_int(const struct conf_key *k, const char *val, void *base)
{
    long v;
    if (parse_long(val, k->min, k->max, &v))
        return NVR_EINVAL;
    *(int *)((char *)base + k->offset) = (int)v;
    return NVR_OK;
}

static nvr_err parse_bool(const struct conf_key *k, const char *val, void *base)
{
    static const char *const yes[] = {"yes", "on", "true", "1"};
    static const char *const no[] = {"no", "off", "false", "0"};
    int *field = (int *)((char *)base + k->offset);
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(val, yes[i]) == 0) {
            *field = 1;
            return NVR_OK;
        }
        if (strcasecmp(val, no[i]) == 0) {
            *field = 0;
            return NVR_OK;
        }
    }
    return NVR_EINVAL;
}

/* [alerts]: smtp_url (smtp://, smtps://) and webhook_url (http://, https://),
 * by the key's name; the authority part follows the camera URL rules. */
static nvr_err parse_alert_url(const struct conf_key *k, const char *val, void *base)
{
    char buf[2048];
    int smtp = strcmp(k->name, "smtp_url") == 0;
    const char *rest = NULL;
    if (smtp)
        rest = strncasecmp(val, "smtp://", 7) == 0 ? val + 7 : strncasecmp(val, "smtps://", 8) == 0 ? val + 8 : NULL;
    else
        rest = strncasecmp(val, "http://", 7) == 0 ? val + 7 : strncasecmp(val, "https://", 8) == 0 ? val + 8 : NULL;
    if (!rest || snprintf(buf, sizeof buf, "rtsp://%s", rest) >= (int)sizeof buf || !valid_rtsp_url(buf))
        return NVR_EINVAL;
    return set_string(base, k->offset, val, strlen(val));
}

/* libpq's URI form only (a keyword=value string could not be checked or
 * redacted the same way); the rest is libpq's to judge when it connects. */
static nvr_err parse_pg_url(const struct conf_key *k, const char *val, void *base)
{
    const char *rest = strncmp(val, "postgresql://", 13) == 0 ? val + 13
                       : strncmp(val, "postgres://", 11) == 0 ? val + 11
                                                              : NULL;
    if (!rest || !*rest || strpbrk(val, " \t\r\n"))
        return NVR_EINVAL;
    return set_string(base, k->offset, val, strlen(val));
}

static int valid_camera_id(const char *id);

static nvr_err parse_site(const struct conf_key *k, const char *val, void *base)
{
    if (!valid_camera_id(val))
        return NVR_EINVAL;
    return set_string(base, k->offset, val, strlen(val));
}

static nvr_err parse_syslog(const struct conf_key *k, const char *val, void *base)
{
    char buf[2048];
    const char *rest = strncmp(val, "udp://", 6) == 0 ? val + 6 : strncmp(val, "tcp://", 6) == 0 ? val + 6 : NULL;
    if (strcmp(val, "local") == 0 || val[0] == '/')
        return set_string(base, k->offset, val, strlen(val));
    if (!rest || !strchr(rest, ':') || snprintf(buf, sizeof buf, "rtsp://%s", rest) >= (int)sizeof buf ||
        !valid_rtsp_url(buf) || strchr(rest, '/') || strchr(rest, '@'))
        return NVR_EINVAL;
    return set_string(base, k->offset, val, strlen(val));
}

static nvr_err parse_starttls(const struct conf_key *k, const char *val, void *base)
{
    static const char *const names[] = {[NVR_SMTP_TLS_AUTO] = "auto",
                                        [NVR_SMTP_TLS_REQUIRED] = "required",
                                        [NVR_SMTP_TLS_OPTIONAL] = "optional",
                                        [NVR_SMTP_TLS_OFF] = "off"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(val, names[i]) == 0) {
            *(enum nvr_smtp_tls *)((char *)base + k->offset) = (enum nvr_smtp_tls)i;
            return NVR_OK;
        }
    }
    return NVR_EINVAL;
}

/* server_name: "nvr.example.org, 10.0.0.5 nvr" -> "nvr.example.org,10.0.0.5,nvr"
 * (lower case, no trailing dot); each a host name, an IPv4 or an IPv6 address. */
/* archive_url: s3://bucket[/prefix], a bucket name as S3 allows it. */
static nvr_err parse_s3_url(const struct conf_key *k, const char *val, void *base)
{
    if (strncmp(val, "s3://", 5) != 0)
        return NVR_EINVAL;
    size_t b = strcspn(val + 5, "/");
    if (b < 3 || b > 63 || strspn(val + 5, "abcdefghijklmnopqrstuvwxyz0123456789.-") < b)
        return NVR_EINVAL;
    for (const char *p = val; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '\\' || *p == '?' || *p == '#')
            return NVR_EINVAL;
    return set_string(base, k->offset, val, strlen(val));
}

/* A number of days above 0, decimals allowed ("7", "0.5"). */
static nvr_err parse_days(const struct conf_key *k, const char *val, void *base)
{
    uint64_t ip, frac;
    int ndec;
    const char *s = val;
    if (read_decimal(&s, &ip, &frac, &ndec) || *s || ip > 36500)
        return NVR_EINVAL;
    double d = (double)ip + (double)frac / (double)pow10_table[ndec];
    if (d <= 0)
        return NVR_EINVAL;
    *(double *)((char *)base + k->offset) = d;
    return NVR_OK;
}

/* [storage] dirs: absolute paths separated by commas, stored joined by ","
 * without a trailing slash (so "/a/" and "/a" are one directory). */
static nvr_err parse_dirs(const struct conf_key *k, const char *val, void *base)
{
    char out[CONF_MAX_LINE];
    size_t o = 0;
    int n = 0;
    for (const char *p = val;;) {
        size_t len = strcspn(p, ",");
        const char *e = p + len;
        while (len && isspace((unsigned char)*p)) {
            p++;
            len--;
        }
        while (len && isspace((unsigned char)p[len - 1]))
            len--;
        while (len > 1 && p[len - 1] == '/')
            len--;
        if (len == 0 || p[0] != '/' || ++n > NVR_CONFIG_MAX_DIRS || o + len + 2 > sizeof out)
            return NVR_EINVAL;
        for (size_t i = 0, at = 0; i <= o; i++) /* a directory listed twice */
            if (i == o || out[i] == ',') {
                if (i - at == len && memcmp(out + at, p, len) == 0)
                    return NVR_EINVAL;
                at = i + 1;
            }
        if (o)
            out[o++] = ',';
        memcpy(out + o, p, len);
        o += len;
        if (!*e)
            break;
        p = e + 1; /* a comma: another path must follow */
    }
    return set_string(base, k->offset, out, o);
}

static nvr_err parse_server_names(const struct conf_key *k, const char *val, void *base)
{
    char out[CONF_MAX_LINE];
    size_t o = 0;
    int n = 0;
    for (const char *p = val; *p;) {
        size_t len = strcspn(p, ", \t");
        if (len == 0) {
            p++;
            continue;
        }
        char name[256];
        struct in6_addr a6;
        if (len >= sizeof name)
            return NVR_EINVAL;
        memcpy(name, p, len);
        name[len] = '\0';
        if (len > 1 && name[len - 1] == '.')
            name[--len] = '\0';
        for (size_t i = 0; i < len; i++)
            if (name[i] >= 'A' && name[i] <= 'Z')
                name[i] = (char)(name[i] - 'A' + 'a');
        if (!valid_host(name, len) && inet_pton(AF_INET6, name, &a6) != 1)
            return NVR_EINVAL;
        if (++n > 32 || o + len + 2 > sizeof out)
            return NVR_EINVAL;
        if (o)
            out[o++] = ',';
        memcpy(out + o, name, len);
        o += len;
        p += len;
    }
    if (o == 0)
        return NVR_EINVAL;
    return set_string(base, k->offset, out, o);
}

/* [oidc] issuer: https://, or http:// on a loopback host (a test or a
 * provider on this machine); no query, fragment or credentials. */
static nvr_err parse_issuer(const struct conf_key *k, const char *val, void *base)
{
    int tls = strncmp(val, "https://", 8) == 0;
    const char *host = tls ? val + 8 : strncmp(val, "http://", 7) == 0 ? val + 7 : NULL;
    if (!host || !*host || strpbrk(val, "?#@ \t"))
        return NVR_EINVAL;
    if (!tls && strncmp(host, "127.", 4) != 0 && strncmp(host, "localhost", 9) != 0 && strncmp(host, "[::1]", 5) != 0)
        return NVR_EINVAL;
    size_t n = strlen(val);
    while (n > 8 && val[n - 1] == '/') /* ISSUER/.well-known/... is built by appending */
        n--;
    return set_string(base, k->offset, val, n);
}

static nvr_err parse_oidc_auth(const struct conf_key *k, const char *val, void *base)
{
    enum nvr_oidc_auth *a = (enum nvr_oidc_auth *)((char *)base + k->offset);
    if (strcmp(val, "client_secret_basic") == 0)
        *a = NVR_OIDC_SECRET_BASIC;
    else if (strcmp(val, "client_secret_post") == 0)
        *a = NVR_OIDC_SECRET_POST;
    else
        return NVR_EINVAL;
    return NVR_OK;
}

/* scheme://host[:port] the browser reaches the server at (a trailing slash
 * is dropped). */
static nvr_err parse_public_url(const struct conf_key *k, const char *val, void *base)
{
    const char *host = strncmp(val, "https://", 8) == 0 ? val + 8 : strncmp(val, "http://", 7) == 0 ? val + 7 : NULL;
    size_t n = strlen(val);
    if (n > 1 && val[n - 1] == '/')
        n--;
    if (!host || !*host || *host == '/' || memchr(host, '/', n - (size_t)(host - val)) || strpbrk(val, "?#@ \t"))
        return NVR_EINVAL;
    return set_string(base, k->offset, val, n);
}

/* [oidc] grant.GROUP = GRANTS: one group's camera grants. */
static nvr_err oidc_grant(struct parser *p, const char *group, const char *val, int line)
{
    struct nvr_oidc_config *o = &p->cfg->oidc;
    for (size_t i = 0; i < o->ngrants; i++) {
        if (strcmp(o->grants[i].group, group) == 0) {
            report(p, line, "duplicate key \"grant.%s\" in [oidc] (first at line %d)", group, o->grants[i].line);
            return NVR_OK;
        }
    }
    if (!*group || !*val) {
        report(p, line, "grant.GROUP must be a group name and camera grants separated by commas");
        return NVR_OK;
    }
    if (o->ngrants == NVR_OIDC_GRANTS_MAX) {
        report(p, line, "more than %d grant.GROUP keys in [oidc]", NVR_OIDC_GRANTS_MAX);
        return NVR_OK;
    }
    struct nvr_oidc_grant *g = &o->grants[o->ngrants];
    if (!(g->group = strdup(group)) || !(g->grants = strdup(val))) {
        free(g->group);
        g->group = NULL;
        return NVR_ENOMEM;
    }
    g->line = line;
    o->ngrants++;
    return NVR_OK;
}

/* ldap:// or ldaps:// URLs (a host required, a port numeric), stored joined
 * by single spaces: libldap's list for failover. */
static nvr_err parse_ldap_urls(const struct conf_key *k, const char *val, void *base)
{
    char out[1024];
    size_t o = 0, n = 0;
    for (const char *q = val; *q;) {
        q += strspn(q, " \t,");
        size_t len = strcspn(q, " \t,");
        if (!len)
            break;
        size_t skip = strncasecmp(q, "ldap://", 7) == 0 ? 7 : strncasecmp(q, "ldaps://", 8) == 0 ? 8 : 0, host = 0;
        int v6 = skip && q[skip] == '['; /* [IPv6]: the host runs to its ']' */
        while (skip && skip + host < len &&
               (v6 ? q[skip + host] != ']' : q[skip + host] != ':' && q[skip + host] != '/'))
            host++;
        if (v6 && (skip + host == len || host < 2))
            return NVR_EINVAL;
        host += v6; /* the ']' */
        if (!skip || host == 0 || ++n > 8 || o + len + 1 >= sizeof out)
            return NVR_EINVAL;
        if (len > skip + host && q[skip + host] == ':' && (skip + host + 1 == len || !is_digit(q[skip + host + 1])))
            return NVR_EINVAL;
        if (o)
            out[o++] = ' ';
        memcpy(out + o, q, len);
        o += len;
        q += len;
    }
    return n ? set_string(base, k->offset, out, o) : NVR_EINVAL;
}

/* An LDAP filter in parentheses that holds %s (and no other %). */
static nvr_err parse_ldap_filter(const struct conf_key *k, const char *val, void *base)
{
    size_t n = strlen(val);
    const char *pct = strchr(val, '%');
    if (n < 2 || val[0] != '(' || val[n - 1] != ')' || !strstr(val, "%s"))
        return NVR_EINVAL;
    for (; pct; pct = strchr(pct + 2, '%'))
        if (pct[1] != 's')
            return NVR_EINVAL;
    return set_string(base, k->offset, val, n);
}

/* An attribute description: a letter, then letters, digits and '-'. */
static nvr_err parse_ldap_attr(const struct conf_key *k, const char *val, void *base)
{
    if (!((*val >= 'a' && *val <= 'z') || (*val >= 'A' && *val <= 'Z')) || strlen(val) > CONF_MAX_ID)
        return NVR_EINVAL;
    for (const char *q = val; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || is_digit(*q) || *q == '-'))
            return NVR_EINVAL;
    return set_string(base, k->offset, val, strlen(val));
}

/* ---- sections ---- */

static int find_key(enum section_kind kind, const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (conf_keys[i].section == kind && strcmp(conf_keys[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int valid_camera_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > CONF_MAX_ID)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Reports the required keys of kind that sec has not given. */
static void check_required(struct parser *p, enum section_kind kind, const struct section *sec, const char *label)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (conf_keys[i].section != kind || !(conf_keys[i].flags & KEY_REQUIRED) || sec->key_line[i])
            continue;
        if (sec->header_line)
            report(p, sec->header_line, "%s has no %s", label, conf_keys[i].name);
        else
            report(p, 0, "missing %s %s", label, conf_keys[i].name);
    }
}

/* Ends the section being read: checks what a camera needs and fills in what
 * defaults to another key. */
static nvr_err close_section(struct parser *p)
{
    if (p->kind == SEC_CAMERA) {
        struct nvr_camera_config *cam = p->base;
        check_required(p, SEC_CAMERA, &p->camera, p->label);
        for (size_t i = 0; i < nvr_camera_nsettings; i++) {
            const struct nvr_camera_setting *s = &nvr_camera_settings[i];
            char **field = (char **)((char *)cam + s->offset);
            if ((s->flags & NVR_CS_DEFAULT_ID) && !*field && !(*field = strdup(cam->id)))
                return NVR_ENOMEM;
        }
    }
    p->kind = SEC_SKIP;
    p->sec = NULL;
    p->base = NULL;
    return NVR_OK;
}

/* Rules for [server] as a whole, once the file has been read. */
static void check_server(struct parser *p)
{
    int cert = p->server.key_line[find_key(SEC_SERVER, "tls_cert")];
    int key = p->server.key_line[find_key(SEC_SERVER, "tls_key")];
    check_required(p, SEC_SERVER, &p->server, "[server]");
    if (cert && !key)
        report(p, cert, "tls_cert is set but tls_key is not (set both or neither)");
    if (key && !cert)
        report(p, key, "tls_key is set but tls_cert is not (set both or neither)");
}

/* Rules for [alerts] as a whole: e-mail needs a sender and a recipient,
 * SMTP authentication a user and a password. */
static void check_alerts(struct parser *p)
{
    const struct section *a = &p->alerts;
    int url = a->key_line[find_key(SEC_ALERTS, "smtp_url")];
    int user = a->key_line[find_key(SEC_ALERTS, "smtp_user")];
    int pw = a->key_line[find_key(SEC_ALERTS, "smtp_password")];
    if (url && !a->key_line[find_key(SEC_ALERTS, "email_from")])
        report(p, url, "smtp_url is set but email_from is not");
    if (url && !a->key_line[find_key(SEC_ALERTS, "email_to")])
        report(p, url, "smtp_url is set but email_to is not");
    if (user && !pw)
        report(p, user, "smtp_user is set but smtp_password is not (set both or neither)");
    if (pw && !user)
        report(p, pw, "smtp_password is set but smtp_user is not (set both or neither)");
}

/* [catalog]: url and site come together. */
static void check_catalog(struct parser *p)
{
    int url = p->catalog.key_line[find_key(SEC_CATALOG, "url")];
    int site = p->catalog.key_line[find_key(SEC_CATALOG, "site")];
    if (url && !site && !p->console.header_line)
        report(p, url, "url is set but site is not (the name this recorder publishes its cameras under)");
    if (site && !url)
        report(p, site, "site is set but url is not (the catalog's postgresql:// URL)");
    int adv = p->catalog.key_line[find_key(SEC_CATALOG, "advertise")];
    if (adv && !url)
        report(p, adv, "advertise is set but url is not (the catalog's postgresql:// URL)");
}

/* Rules for [oidc] as a whole: an issuer, a client and its secret (one
 * way), and at least one group that makes a role. */
static void check_oidc(struct parser *p)
{
    const struct section *o = &p->oidc;
    int line = o->header_line;
    int secret = o->key_line[find_key(SEC_OIDC, "client_secret")];
    int file = o->key_line[find_key(SEC_OIDC, "client_secret_file")];
    const struct nvr_oidc_config *c = &p->cfg->oidc;
    if (!line)
        return;
    if (!o->key_line[find_key(SEC_OIDC, "issuer")])
        report(p, line, "[oidc] has no issuer");
    if (!o->key_line[find_key(SEC_OIDC, "client_id")])
        report(p, line, "[oidc] has no client_id");
    if (!secret && !file)
        report(p, line, "[oidc] has no client_secret (or client_secret_file)");
    if (secret && file)
        report(p, file, "client_secret_file and client_secret are both set (set one)");
    if (!c->admin_groups && !c->investigator_groups && !c->viewer_groups)
        report(p, line, "[oidc] has none of admin_groups, investigator_groups, viewer_groups");
    if (c->scopes && !strstr(c->scopes, "openid"))
        report(p, o->key_line[find_key(SEC_OIDC, "scopes")], "scopes must include openid");
}

/* [ldap] grant.GROUP = grants: the cameras a group's members may see
 * (camera ids, group:NAME or *, separated by commas). */
static nvr_err ldap_grant(struct parser *p, const char *key, const char *val, int line)
{
    struct nvr_ldap_config *l = &p->cfg->ldap;
    const char *group = key + 6;
    if (*group == '\0' || *val == '\0') {
        report(p, line, "grant.GROUP needs a group name and cameras, as in grant.south-staff = cam1, group:south");
        return NVR_OK;
    }
    for (size_t i = 0; i < l->ngrants; i++)
        if (strcasecmp(l->grants[i].group, group) == 0) {
            report(p, line, "duplicate key \"%s\" in [ldap]", key);
            return NVR_OK;
        }
    if (l->ngrants == NVR_LDAP_MAX_GRANT_GROUPS) {
        report(p, line, "more than %d grant lines in [ldap]", NVR_LDAP_MAX_GRANT_GROUPS);
        return NVR_OK;
    }
    struct nvr_ldap_grant *g = &l->grants[l->ngrants];
    if (!(g->group = strdup(group)) || !(g->grants = strdup(val)))
        return NVR_ENOMEM;
    l->ngrants++;
    return NVR_OK;
}

/* Whether an ldap:// URL's host is loopback as written (no lookup):
 * localhost, an IPv4 address in 127/8 or [::1] ("127.example.com" is not). */
static int ldap_loopback(const char *url)
{
    const char *h = url + 7;
    char host[64];
    struct in_addr a4;
    if (strncmp(h, "[::1]", 5) == 0 && strchr(":/ ", h[5]))
        return 1;
    size_t n = strcspn(h, ":/ ");
    if (n >= sizeof host)
        return 0;
    memcpy(host, h, n);
    host[n] = '\0';
    return strcasecmp(host, "localhost") == 0 ||
           (inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127);
}

/* Rules for [ldap] as a whole. */
static void check_ldap(struct parser *p)
{
    const struct section *s = &p->ldap;
    const struct nvr_ldap_config *l = &p->cfg->ldap;
    if (!s->header_line)
        return;
    check_required(p, SEC_LDAP, s, "[ldap]");
    int dn = s->key_line[find_key(SEC_LDAP, "bind_dn")], pw = s->key_line[find_key(SEC_LDAP, "bind_password")];
    int pwf = s->key_line[find_key(SEC_LDAP, "bind_password_file")];
    int gb = s->key_line[find_key(SEC_LDAP, "group_base")], gf = s->key_line[find_key(SEC_LDAP, "group_filter")];
    if (pw && pwf)
        report(p, pwf, "bind_password and bind_password_file are both set (set one)");
    if (dn && !pw && !pwf)
        report(p, dn, "bind_dn is set but bind_password (or bind_password_file) is not");
    if ((pw || pwf) && !dn)
        report(p, pw ? pw : pwf, "a bind password is set but bind_dn is not");
    if (gb && !gf)
        report(p, gb, "group_base is set but group_filter is not (set both or neither)");
    if (gf && !gb)
        report(p, gf, "group_filter is set but group_base is not (set both or neither)");
    if (!l->member_of && !gb)
        report(p, s->header_line, "[ldap] reads no groups: set member_of = yes or group_base and group_filter");
    if (!l->admin_groups && !l->investigator_groups && !l->viewer_groups)
        report(p, s->header_line,
               "[ldap] maps no group to a role: set admin_groups, investigator_groups or viewer_groups");
    for (const char *u = l->url; u && *u; u += strcspn(u, " "), u += *u == ' ') {
        int plain = strncasecmp(u, "ldap://", 7) == 0;
        if (!plain && l->starttls)
            report(p, s->key_line[find_key(SEC_LDAP, "starttls")], "starttls is for ldap:// URLs, not ldaps://");
        else if (plain && !l->starttls && !ldap_loopback(u))
            report(p, s->key_line[find_key(SEC_LDAP, "url")],
                   "an ldap:// URL to another host needs starttls = on (or use ldaps://): passwords cross it");
    }
}

/* Whether dir is one of the comma-joined list (a trailing slash aside). */
static int dir_listed(const char *list, const char *dir)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    for (const char *q = list; q && *q;) {
        size_t n = strcspn(q, ",");
        if (n == len && memcmp(q, dir, n) == 0)
            return 1;
        q += n + (q[n] == ',');
    }
    return 0;
}

/* A camera pinned to a storage dir names one of [storage] dirs (or
 * data_dir when dirs is not set). */
static void check_pins(struct parser *p)
{
    const struct nvr_config *cfg = p->cfg;
    for (size_t i = 0; i < cfg->ncameras; i++) {
        const char *d = cfg->cameras[i].storage_dir;
        if (!d)
            continue;
        if (cfg->storage_dirs ? !dir_listed(cfg->storage_dirs, d) : !(cfg->data_dir && dir_listed(cfg->data_dir, d)))
            report(p, cfg->cameras[i].line, "[camera %s] storage_dir must be %s", cfg->cameras[i].id,
                   "an absolute path listed in [storage] dirs");
    }
}

static nvr_err add_camera(struct parser *p, const char *id, int line)
{
    struct nvr_config *cfg = p->cfg;
    if (cfg->ncameras == p->cameras_cap) {
        size_t cap = p->cameras_cap ? p->cameras_cap * 2 : 8;
        struct nvr_camera_config *c = realloc(cfg->cameras, cap * sizeof(*c));
        if (!c)
            return NVR_ENOMEM;
        cfg->cameras = c;
        p->cameras_cap = cap;
    }
    struct nvr_camera_config *cam = &cfg->cameras[cfg->ncameras];
    nvr_camera_config_defaults(cam);
    if (!(cam->id = strdup(id)))
        return NVR_ENOMEM;
    cfg->ncameras++;
    cam->line = line;

    memset(&p->camera, 0, sizeof(p->camera));
    p->camera.header_line = line;
    p->kind = SEC_CAMERA;
    p->sec = &p->camera;
    p->base = cam;
    snprintf(p->label, sizeof(p->label), "[camera %s]", id);
    return NVR_OK;
}

/* name is the trimmed text between the brackets of a header on line. */
static nvr_err open_section(struct parser *p, char *name, int line)
{
    char e[CONF_ECHO_MAX + 4];
    if (strcmp(name, "ldap") == 0) {
        if (p->ldap.header_line)
            report(p, line, "duplicate section [ldap] (first at line %d)", p->ldap.header_line);
        else
            p->ldap.header_line = line;
        p->kind = SEC_LDAP;
        p->sec = &p->ldap;
        p->base = p->cfg;
        snprintf(p->label, sizeof(p->label), "[ldap]");
        return NVR_OK;
    }
    if (strcmp(name, "alerts") == 0) {
        if (p->alerts.header_line)
            report(p, line, "duplicate section [alerts] (first at line %d)", p->alerts.header_line);
        else
            p->alerts.header_line = line;
        p->kind = SEC_ALERTS;
        p->sec = &p->alerts;
        p->base = &p->cfg->alerts;
        snprintf(p->label, sizeof(p->label), "[alerts]");
        return NVR_OK;
    }
    if (strcmp(name, "oidc") == 0) {
        if (p->oidc.header_line)
            report(p, line, "duplicate section [oidc] (first at line %d)", p->oidc.header_line);
        else
            p->oidc.header_line = line;
        p->kind = SEC_OIDC;
        p->sec = &p->oidc;
        p->base = &p->cfg->oidc;
        snprintf(p->label, sizeof(p->label), "[oidc]");
        return NVR_OK;
    }
    if (strcmp(name, "server") == 0 || strcmp(name, "storage") == 0 || strcmp(name, "ui") == 0 ||
        strcmp(name, "catalog") == 0 || strcmp(name, "console") == 0) {
        int server = strcmp(name, "server") == 0, ui = strcmp(name, "ui") == 0;
        int catalog = strcmp(name, "catalog") == 0, console = strcmp(name, "console") == 0;
        struct section *sec = server    ? &p->server
                              : ui      ? &p->ui
                              : catalog ? &p->catalog
                              : console ? &p->console
                                        : &p->storage;
        /* a repeated section goes on filling the first one, so its keys are still checked */
        if (sec->header_line)
            report(p, line, "duplicate section [%s] (first at line %d)", name, sec->header_line);
        else
            sec->header_line = line;
        p->kind = server ? SEC_SERVER : ui ? SEC_UI : catalog ? SEC_CATALOG : console ? SEC_CONSOLE : SEC_STORAGE;
        if (console)
            p->cfg->console.present = 1;
        p->sec = sec;
        p->base = p->cfg;
        snprintf(p->label, sizeof(p->label), "[%s]", name);
        return NVR_OK;
    }
    if (strncmp(name, "camera", 6) != 0 || (name[6] != '\0' && !is_space(name[6]))) {
        report(p, line, "unknown section [%s]", echo(name, e));
        return NVR_OK;
    }
    char *id = name + 6;
    while (is_space(*id))
        id++;
    if (*id == '\0') {
        report(p, line, "[camera] needs an id, as in [camera lobby]");
        return NVR_OK;
    }
    if (!valid_camera_id(id)) {
        report(p, line, "camera id \"%s\" must be 1 to %d of a-z, 0-9, _ and -", echo(id, e), CONF_MAX_ID);
        return NVR_OK;
    }
    const struct nvr_camera_config *first = nvr_config_camera(p->cfg, id);
    if (first) {
        report(p, line, "duplicate camera id \"%s\" (first at line %d)", id, first->line);
    } else if (p->cfg->ncameras >= CONF_MAX_CAMERAS && !p->too_many_reported) {
        report(p, line, "more than %d cameras", CONF_MAX_CAMERAS);
        p->too_many_reported = 1;
    }
    if (p->cfg->ncameras >= CONF_MAX_CAMERAS)
        return NVR_OK; /* not read, so memory stays bounded */
    /* a duplicate is still read, so mistakes inside it are reported too */
    return add_camera(p, id, line);
}

/* ---- lines ---- */

static int valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], cp, min;
        size_t len;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0)
            len = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            len = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0)
            len = 4, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        if (n - i < len)
            return 0;
        for (size_t j = 1; j < len; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

static char *trim_end(char *s, char *end)
{
    while (end > s && is_space(end[-1]))
        end--;
    *end = '\0';
    return s;
}

static int is_comment_start(const char *s)
{
    return *s == '\0' || *s == ';' || *s == '#';
}

/* Reads the value that starts at s (white space already skipped), in place.
 * Returns NULL after reporting if it is malformed. */
static char *read_value(struct parser *p, char *s, int line)
{
    if (*s != '"') {
        /* a comment starts at ';' or '#' after white space, or first in the value */
        char *q = s;
        while (*q && !((*q == ';' || *q == '#') && (q == s || is_space(q[-1]))))
            q++;
        return trim_end(s, q);
    }
    char *out = s, *q = s + 1;
    for (;; q++) {
        if (*q == '\0') {
            report(p, line, "quoted value has no closing quote");
            return NULL;
        }
        if (*q == '"')
            break;
        if (*q == '\\') {
            if (q[1] != '"' && q[1] != '\\') {
                report(p, line, "in a quoted value only \\\" and \\\\ are escapes");
                return NULL;
            }
            q++;
        }
        *out++ = *q;
    }
    *out = '\0';
    for (q++; is_space(*q); q++)
        ;
    if (!is_comment_start(q)) {
        report(p, line, "unexpected text after the closing quote");
        return NULL;
    }
    return s;
}

static int valid_key_name(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > CONF_MAX_ID)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-' || c == '.' ||
              c == '@' || c == '/' || c == ':'))
            return 0;
    }
    return 1;
}

static nvr_err key_value(struct parser *p, char *key, char *val, int line)
{
    char e[CONF_ECHO_MAX + 4];
    if (p->kind == SEC_NONE) {
        report(p, line, "key \"%s\" comes before any [section]", key);
        return NVR_OK;
    }
    if (p->kind == SEC_SKIP)
        return NVR_OK;
    if (p->kind == SEC_LDAP && strncmp(key, "grant.", 6) == 0)
        return ldap_grant(p, key, val, line);
    int i = find_key(p->kind, key);
    if (i < 0 && p->kind == SEC_OIDC && strncmp(key, "grant.", 6) == 0)
        return oidc_grant(p, key + 6, val, line);
    if (i < 0) {
        report(p, line, "unknown key \"%s\" in %s", key, p->label);
        return NVR_OK;
    }
    const struct conf_key *k = &conf_keys[i];
    if (p->sec->key_line[i]) {
        report(p, line, "duplicate key \"%s\" in %s (first at line %d)", key, p->label, p->sec->key_line[i]);
        return NVR_OK;
    }
    p->sec->key_line[i] = line;
    nvr_err rc = k->parse(k, val, p->base);
    if (rc == NVR_EINVAL) {
        if (k->flags & KEY_SECRET)
            report(p, line, "%s must be %s", k->name, k->help);
        else
            report(p, line, "%s must be %s, got \"%s\"", k->name, k->help, echo(val, e));
        rc = NVR_OK;
    }
    return rc;
}

static nvr_err parse_line(struct parser *p, const char *text, size_t len, int line)
{
    char buf[CONF_MAX_LINE + 1];
    if (len > CONF_MAX_LINE) {
        report(p, line, "line is longer than %d bytes", CONF_MAX_LINE);
        return NVR_OK;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
            report(p, line, "line contains a control character (0x%02x)", c);
            return NVR_OK;
        }
    }
    if (!valid_utf8((const unsigned char *)text, len)) {
        report(p, line, "line is not valid UTF-8");
        return NVR_OK;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';

    char *s = buf;
    while (is_space(*s))
        s++;
    if (is_comment_start(s))
        return NVR_OK;
    if (*s == '[') {
        char *close = strchr(s, ']'), *after = close ? close + 1 : NULL, *name = s + 1;
        nvr_err rc = close_section(p);
        if (rc)
            return rc;
        while (after && is_space(*after))
            after++;
        if (!close || !is_comment_start(after)) {
            report(p, line, "expected [section], key = value, or a comment");
            return NVR_OK;
        }
        while (is_space(*name))
            name++;
        return open_section(p, trim_end(name, close), line);
    }
    char *eq = strchr(s, '=');
    if (!eq) {
        report(p, line, "expected [section], key = value, or a comment");
        return NVR_OK;
    }
    char *key = trim_end(s, eq), *val = eq + 1;
    if (!valid_key_name(key)) {
        report(p, line, "expected [section], key = value, or a comment");
        return NVR_OK;
    }
    while (is_space(*val))
        val++;
    val = read_value(p, val, line);
    return val ? key_value(p, key, val, line) : NVR_OK;
}

/* ---- the public functions ---- */

nvr_err nvr_config_parse(const char *path, const char *text, size_t len, struct nvr_config **out, FILE *errs)
{
    struct parser p = {.path = path, .errs = errs, .kind = SEC_NONE};
    nvr_err rc = NVR_OK;
    const char *s, *end;
    int line = 0;

    *out = NULL;
    if (!text)
        text = "", len = 0;
    s = text;
    end = text + len;
    if (len > CONF_MAX_FILE) {
        report(&p, 0, "file is larger than 1 MiB");
        rc = NVR_ECONFIG;
        goto out;
    }
    if (!(p.cfg = calloc(1, sizeof(*p.cfg))) || !(p.cfg->path = strdup(path)) ||
        !(p.cfg->listen_host = strdup("127.0.0.1")) || !(p.cfg->web_dir = strdup(NVR_CONFIG_DEFAULT_WEB_DIR))) {
        rc = NVR_ENOMEM;
        goto out;
    }
    p.cfg->listen_port = 8080;
    p.cfg->max_connections = 1000;
    p.cfg->max_connections_per_address = 100;
    p.cfg->read_timeout = 15;
    p.cfg->min_free_pct = 1; /* room for the index and logs even with no limit set */
    p.cfg->alerts.camera_offline_seconds = 60;
    p.cfg->alerts.hold_down_seconds = 60;
    p.cfg->alerts.signin_failures = 10;
    p.cfg->alerts.signin_window_seconds = 300;
    p.cfg->alerts.cert_warn_days = 14;
    p.cfg->alerts.storage_seconds = 120;
    p.cfg->catalog.publish_seconds = 10;
    p.cfg->console.max_proxied = 64;
    p.cfg->console.max_exports = 2;
    p.cfg->console.export_max_bytes = (uint64_t)20 << 30;
    p.cfg->console.export_keep_hours = 24;
    p.cfg->archive.after_days = 7;
    p.cfg->archive.path_style = 1;
    p.cfg->archive.cache_bytes = (uint64_t)2 << 30;
    p.cfg->ldap.member_of = 1;
    p.cfg->ldap.timeout = 5;

    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *eol = nl ? nl : end;
        size_t n = (size_t)(eol - s);
        if (n > 0 && s[n - 1] == '\r')
            n--;
        if ((rc = parse_line(&p, s, n, ++line)))
            goto out;
        s = nl ? nl + 1 : end;
    }
    if ((rc = close_section(&p)))
        goto out;
    check_server(&p);
    check_alerts(&p);
    check_catalog(&p);
    check_oidc(&p);
    check_ldap(&p);
    check_pins(&p);
    if (p.nerrors)
        rc = NVR_ECONFIG;

out:
    if (rc == NVR_ENOMEM)
        report(&p, 0, "out of memory");
    if (rc == NVR_OK)
        *out = p.cfg;
    else
        nvr_config_free(&p.cfg);
    return rc;
}

nvr_err nvr_config_load(const char *path, struct nvr_config **out, FILE *errs)
{
    char *buf = NULL;
    size_t len = 0;
    int rc;
    FILE *f = fopen(path, "rb");

    *out = NULL;
    if (!f)
        goto io_error;
    /* one byte more than allowed, so that nvr_config_parse sees an oversized file */
    if (!(buf = malloc(CONF_MAX_FILE + 1))) {
        rc = NVR_ENOMEM;
        if (errs)
            fprintf(errs, "%s: out of memory\n", path);
        goto out;
    }
    len = fread(buf, 1, CONF_MAX_FILE + 1, f);
    if (ferror(f))
        goto io_error;
    rc = nvr_config_parse(path, buf, len, out, errs);
    goto out;

io_error:
    rc = NVR_EIO;
    if (errs)
        fprintf(errs, "%s: cannot read: %s\n", path, strerror(errno));
out:
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

static void ldap_config_clear(struct nvr_ldap_config *l)
{
    char *texts[] = {l->url,
                     l->ca_file,
                     l->bind_dn,
                     l->bind_password_file,
                     l->user_base,
                     l->user_filter,
                     l->name_attribute,
                     l->group_base,
                     l->group_filter,
                     l->admin_groups,
                     l->investigator_groups,
                     l->viewer_groups};
    if (l->bind_password)
        memset(l->bind_password, 0, strlen(l->bind_password));
    free(l->bind_password);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        free(texts[i]);
    for (size_t i = 0; i < l->ngrants; i++) {
        free(l->grants[i].group);
        free(l->grants[i].grants);
    }
}

void nvr_config_free(struct nvr_config **cfg)
{
    struct nvr_config *c = cfg ? *cfg : NULL;
    if (!c)
        return;
    for (size_t i = 0; i < c->ncameras; i++)
        nvr_camera_config_clear(&c->cameras[i]);
    free(c->cameras);
    free(c->path);
    free(c->listen_host);
    free(c->data_dir);
    free(c->web_dir);
    free(c->tls_cert);
    free(c->tls_key);
    struct nvr_alerts_config *a = &c->alerts;
    char **texts[] = {&a->smtp_url,       &a->smtp_user,       &a->smtp_password,    &a->email_from,
                      &a->email_to,       &a->email_to_camera, &a->email_to_storage, &a->email_to_security,
                      &a->email_to_audit, &a->email_to_system, &a->webhook_url,      &a->webhook_secret,
                      &a->syslog};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (*texts[i] && (texts[i] == &a->smtp_password || texts[i] == &a->webhook_secret))
            memset(*texts[i], 0, strlen(*texts[i]));
        free(*texts[i]);
    }
    free(c->tls_priority);
    free(c->server_names);
    free(c->storage_dirs);
    free(c->archive.url);
    free(c->archive.endpoint);
    free(c->archive.region);
    free(c->archive.access_key);
    free(c->archive.secret_key);
    if (c->catalog.url)
        memset(c->catalog.url, 0, strlen(c->catalog.url));
    free(c->catalog.url);
    free(c->catalog.site);
    free(c->catalog.advertise);
    struct nvr_oidc_config *o = &c->oidc;
    if (o->client_secret)
        memset(o->client_secret, 0, strlen(o->client_secret));
    char *oidc_texts[] = {
        o->issuer,        o->client_id,      o->client_secret, o->client_secret_file, o->label,
        o->scopes,        o->username_claim, o->groups_claim,  o->admin_groups,       o->investigator_groups,
        o->viewer_groups, o->public_url,     o->ca_file};
    for (size_t i = 0; i < sizeof oidc_texts / sizeof oidc_texts[0]; i++)
        free(oidc_texts[i]);
    for (size_t i = 0; i < o->ngrants; i++) {
        free(o->grants[i].group);
        free(o->grants[i].grants);
    }
    ldap_config_clear(&c->ldap);
    free(c);
    *cfg = NULL;
}

const struct nvr_camera_config *nvr_config_camera(const struct nvr_config *cfg, const char *id)
{
    if (!cfg || !id)
        return NULL;
    for (size_t i = 0; i < cfg->ncameras; i++)
        if (strcmp(cfg->cameras[i].id, id) == 0)
            return &cfg->cameras[i];
    return NULL;
}
