/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_values.c - what a valid value is: the parsers that the rows of
 * conf_keys[] name (config_keys.c), and the strict checks under them (numbers,
 * sizes, percentages, host names, URLs, ids).  A parser judges one value on
 * its own and stores it in the row's field; it writes no message: NVR_EINVAL
 * makes the reader say "KEY must be HELP" (config_int.h, invariant 1).  Rules
 * that span keys are config_check.c's.
 */
#include "base/config_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- small strict parsers ---- */

/* A decimal integer, optionally negative, with nothing after it, in lo..hi. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
    int neg = *s == '-';
    long v = 0;
    if (neg)
        s++;
    if (!conf_is_digit(*s))
        return -1;
    for (; conf_is_digit(*s); s++) {
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
    if (!conf_is_digit(*p))
        return -1;
    for (; conf_is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (*p == '.') {
        p++;
        if (!conf_is_digit(*p))
            return -1;
        for (; conf_is_digit(*p); p++) {
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

/* A host name or dotted IPv4 address (no IPv6: that needs brackets).  A
 * name is labels of 1 to 63 letters, digits and hyphens, none starting or
 * ending with a hyphen, joined by dots (RFC 1123), with at most one final
 * dot: "nvr..test" or "-nvr.test" is no name a client can send. */
static int valid_host(const char *h, size_t n)
{
    int all_numeric = 1;
    size_t label = 0; /* length of the label being read */
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (c == '.') {
            if (label == 0 || h[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!(conf_is_digit(c) || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return 0;
        if (++label > 63 || (c == '-' && label == 1))
            return 0;
        if (!conf_is_digit(c))
            all_numeric = 0;
    }
    if (label > 0 && h[n - 1] == '-')
        return 0;
    if (label == 0 && n == 1) /* "." alone */
        return 0;
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
        if (!conf_is_digit(*q) || (port = port * 10 + (*q - '0')) > 65535)
            return 0;
    }
    return port >= 1;
}

/* 1 to CONF_MAX_ID of a-z, 0-9, _ and -. */
int conf_valid_camera_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > CONF_MAX_ID)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || conf_is_digit(c) || c == '_' || c == '-'))
            return 0;
    }
    return 1;
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

/* Appends s[0..len) to the list in out (*o bytes so far), after sep unless
 * it is the first; the caller has made sure it fits. */
static void join(char *out, size_t *o, char sep, const char *s, size_t len)
{
    if (*o)
        out[(*o)++] = sep;
    memcpy(out + *o, s, len);
    *o += len;
}

/* Stores val whole if valid, else NVR_EINVAL. */
static nvr_err set_if_valid(const struct conf_key *k, const char *val, void *base, int valid)
{
    return valid ? set_string(base, k->offset, val, strlen(val)) : NVR_EINVAL;
}

nvr_err conf_parse_text(const struct conf_key *k, const char *val, void *base)
{
    return set_if_valid(k, val, base, *val != '\0');
}

/* Boxes in 0..1 frame coordinates (camera_config.h, nvr_rects_parse). */
nvr_err conf_parse_rects(const struct conf_key *k, const char *val, void *base)
{
    struct nvr_rect r[NVR_RECTS_MAX];
    int n;
    return set_if_valid(k, val, base, nvr_rects_parse(val, r, NVR_RECTS_MAX, &n) == 0);
}

nvr_err conf_parse_abs_path(const struct conf_key *k, const char *val, void *base)
{
    return set_if_valid(k, val, base, val[0] == '/');
}

nvr_err conf_parse_rtsp_url(const struct conf_key *k, const char *val, void *base)
{
    return set_if_valid(k, val, base, valid_rtsp_url(val));
}

/* The ONVIF device service: an http(s) URL whose authority part follows
 * the same rules as an RTSP URL's. */
nvr_err conf_parse_http_url(const struct conf_key *k, const char *val, void *base)
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
nvr_err conf_parse_listen(const struct conf_key *k, const char *val, void *base)
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

nvr_err conf_parse_max_bytes(const struct conf_key *k, const char *val, void *base)
{
    uint64_t v;
    if (nvr_config_parse_size(val, &v) || v == 0)
        return NVR_EINVAL;
    *(uint64_t *)((char *)base + k->offset) = v;
    return NVR_OK;
}

nvr_err conf_parse_min_free(const struct conf_key *k, const char *val, void *base)
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

nvr_err conf_parse_transport(const struct conf_key *k, const char *val, void *base)
{
    enum nvr_transport t;
    if (nvr_transport_parse(val, &t))
        return NVR_EINVAL;
    *(enum nvr_transport *)((char *)base + k->offset) = t;
    return NVR_OK;
}

nvr_err conf_parse_msource(const struct conf_key *k, const char *val, void *base)
{
    enum nvr_motion_source m;
    if (nvr_motion_source_parse(val, &m))
        return NVR_EINVAL;
    *(enum nvr_motion_source *)((char *)base + k->offset) = m;
    return NVR_OK;
}

nvr_err conf_parse_int(const struct conf_key *k, const char *val, void *base)
{
    long v;
    if (parse_long(val, k->min, k->max, &v))
        return NVR_EINVAL;
    *(int *)((char *)base + k->offset) = (int)v;
    return NVR_OK;
}

nvr_err conf_parse_bool(const struct conf_key *k, const char *val, void *base)
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
nvr_err conf_parse_alert_url(const struct conf_key *k, const char *val, void *base)
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
nvr_err conf_parse_pg_url(const struct conf_key *k, const char *val, void *base)
{
    const char *rest = strncmp(val, "postgresql://", 13) == 0 ? val + 13
                       : strncmp(val, "postgres://", 11) == 0 ? val + 11
                                                              : NULL;
    return set_if_valid(k, val, base, rest && *rest && !strpbrk(val, " \t\r\n"));
}

nvr_err conf_parse_site(const struct conf_key *k, const char *val, void *base)
{
    return set_if_valid(k, val, base, conf_valid_camera_id(val));
}

nvr_err conf_parse_syslog(const struct conf_key *k, const char *val, void *base)
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

/* Stores the index of val in names[] (case aside) into an enum field the
 * size of an int: the enums' names are their values' indexes. */
static nvr_err set_named(const struct conf_key *k, const char *val, void *base, const char *const names[], size_t n)
{
    for (int i = 0; (size_t)i < n; i++) {
        if (strcasecmp(val, names[i]) == 0) {
            memcpy((char *)base + k->offset, &i, sizeof i);
            return NVR_OK;
        }
    }
    return NVR_EINVAL;
}
_Static_assert(sizeof(enum nvr_time_format) == sizeof(int) && sizeof(enum nvr_totp_policy) == sizeof(int) &&
                   sizeof(enum nvr_smtp_tls) == sizeof(int),
               "set_named stores an int");

static const char *const time_format_names[] = {[NVR_TIME_12H] = "12h", [NVR_TIME_24H] = "24h"};

const char *nvr_time_format_name(enum nvr_time_format f)
{
    return (size_t)f < sizeof time_format_names / sizeof time_format_names[0] ? time_format_names[f] : "12h";
}

nvr_err conf_parse_time_format(const struct conf_key *k, const char *val, void *base)
{
    return set_named(k, val, base, time_format_names, sizeof time_format_names / sizeof time_format_names[0]);
}

static const char *const totp_policy_names[] = {
    [NVR_TOTP_NONE] = "none", [NVR_TOTP_ADMIN] = "admin", [NVR_TOTP_ALL] = "all"};

const char *nvr_totp_policy_name(enum nvr_totp_policy p)
{
    return (size_t)p < sizeof totp_policy_names / sizeof totp_policy_names[0] ? totp_policy_names[p] : "none";
}

nvr_err conf_parse_totp_policy(const struct conf_key *k, const char *val, void *base)
{
    return set_named(k, val, base, totp_policy_names, sizeof totp_policy_names / sizeof totp_policy_names[0]);
}

nvr_err conf_parse_starttls(const struct conf_key *k, const char *val, void *base)
{
    static const char *const names[] = {[NVR_SMTP_TLS_AUTO] = "auto",
                                        [NVR_SMTP_TLS_REQUIRED] = "required",
                                        [NVR_SMTP_TLS_OPTIONAL] = "optional",
                                        [NVR_SMTP_TLS_OFF] = "off"};
    return set_named(k, val, base, names, sizeof names / sizeof names[0]);
}

/* archive_url: s3://bucket[/prefix], a bucket name as S3 allows it. */
nvr_err conf_parse_s3_url(const struct conf_key *k, const char *val, void *base)
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
nvr_err conf_parse_days(const struct conf_key *k, const char *val, void *base)
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
nvr_err conf_parse_dirs(const struct conf_key *k, const char *val, void *base)
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
        join(out, &o, ',', p, len);
        if (!*e)
            break;
        p = e + 1; /* a comma: another path must follow */
    }
    return set_string(base, k->offset, out, o);
}

/* server_name: "nvr.example.org, 10.0.0.5 nvr" -> "nvr.example.org,10.0.0.5,nvr"
 * (lower case, no trailing dot); each a host name, an IPv4 or an IPv6 address. */
nvr_err conf_parse_server_names(const struct conf_key *k, const char *val, void *base)
{
    char out[CONF_MAX_LINE];
    size_t o = 0;
    int n = 0;
    for (const char *p = val; *p;) {
        size_t len = strcspn(p, ", \t"), span = len; /* span: what the name takes of val */
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
        if (name[len - 1] == '.' || (!valid_host(name, len) && inet_pton(AF_INET6, name, &a6) != 1))
            return NVR_EINVAL; /* one final dot only, dropped above */
        if (++n > 32 || o + len + 2 > sizeof out)
            return NVR_EINVAL;
        join(out, &o, ',', name, len);
        p += span; /* past a final dot too */
    }
    if (o == 0)
        return NVR_EINVAL;
    return set_string(base, k->offset, out, o);
}

/* [oidc] issuer: https://, or http:// on a loopback host (a test or a
 * provider on this machine); no query, fragment or credentials. */
nvr_err conf_parse_issuer(const struct conf_key *k, const char *val, void *base)
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

nvr_err conf_parse_oidc_auth(const struct conf_key *k, const char *val, void *base)
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
nvr_err conf_parse_public_url(const struct conf_key *k, const char *val, void *base)
{
    const char *host = strncmp(val, "https://", 8) == 0 ? val + 8 : strncmp(val, "http://", 7) == 0 ? val + 7 : NULL;
    size_t n = strlen(val);
    if (n > 1 && val[n - 1] == '/')
        n--;
    if (!host || !*host || *host == '/' || memchr(host, '/', n - (size_t)(host - val)) || strpbrk(val, "?#@ \t"))
        return NVR_EINVAL;
    return set_string(base, k->offset, val, n);
}
/* ldap:// or ldaps:// URLs (a host required, a port numeric), stored joined
 * by single spaces: libldap's list for failover. */
nvr_err conf_parse_ldap_urls(const struct conf_key *k, const char *val, void *base)
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
        if (len > skip + host && q[skip + host] == ':' &&
            (skip + host + 1 == len || !conf_is_digit(q[skip + host + 1])))
            return NVR_EINVAL;
        join(out, &o, ' ', q, len);
        q += len;
    }
    return n ? set_string(base, k->offset, out, o) : NVR_EINVAL;
}

/* An LDAP filter in parentheses that holds %s (and no other %). */
nvr_err conf_parse_ldap_filter(const struct conf_key *k, const char *val, void *base)
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
nvr_err conf_parse_ldap_attr(const struct conf_key *k, const char *val, void *base)
{
    if (!((*val >= 'a' && *val <= 'z') || (*val >= 'A' && *val <= 'Z')) || strlen(val) > CONF_MAX_ID)
        return NVR_EINVAL;
    for (const char *q = val; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || conf_is_digit(*q) || *q == '-'))
            return NVR_EINVAL;
    return set_string(base, k->offset, val, strlen(val));
}
