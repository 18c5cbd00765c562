/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dir_ldap.c - sign-in against an LDAP directory (see dir_ldap.h,
 * docs/design/security.md "Directory sign-in").
 *
 * One check is, on a connection of its own (libldap, synchronous calls,
 * each bounded by the config's timeout):
 *   1. connect (the URLs in order: libldap's failover), StartTLS if asked;
 *      certificates are checked against ca_file (or the system's CAs) and
 *      the host name, TLS 1.2 at least;
 *   2. bind as the service account (or stay anonymous), search user_base for
 *      the escaped name: exactly one entry, its DN, name and memberOf;
 *   3. bind as that DN with the password: the directory's yes or no;
 *   4. with group_base, bind as the service account again and search the
 *      groups whose group_filter matches the user's DN;
 *   5. map the groups' CNs to a role and grants.
 * What is trusted: the directory's answer to the bind, and the groups it
 * lists; nothing the client says beyond the name and password.
 */
#include "core/dir_ldap.h"

#include "base/clock.h"
#include "base/log.h"

#include <errno.h>
#include <ldap.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define FILTER_MAX 2048
#define SECRET_MAX 512

/* Kinds of failure, each logged on its own line (dir_ldap.h). */
enum fail_kind {
    FAIL_NONE,
    FAIL_SETUP,
    FAIL_CONNECT,
    FAIL_TLS,
    FAIL_SERVICE_BIND,
    FAIL_SEARCH,
    FAIL_BUSY,
    FAIL_NAME,
    FAIL_AMBIGUOUS,
    FAIL_KINDS
};

static const char *const fail_text[FAIL_KINDS] = {
    [FAIL_SETUP] = "ldap sign-in is off: bind_password_file or ca_file cannot be read (see the start-up log)",
    [FAIL_CONNECT] = "ldap directory cannot be reached",
    [FAIL_TLS] = "ldap TLS failed",
    [FAIL_SERVICE_BIND] = "ldap service account bind refused",
    [FAIL_SEARCH] = "ldap search failed",
    [FAIL_BUSY] = "ldap too many sign-ins at once",
    [FAIL_NAME] = "ldap name is not a usable account name",
    [FAIL_AMBIGUOUS] = "ldap several entries match one name (check user_filter)",
};

struct dir_ldap {
    const struct nvr_ldap_config *cfg;
    char bind_pw[SECRET_MAX]; /* bind_password or the file's first line; "" anonymous */
    pthread_mutex_t mu;       /* guards busy, last_kind, last_log_us */
    int busy, max_busy;
    int unusable; /* a file named in the config could not be read: every check fails */
    enum fail_kind last_kind;
    int64_t last_log_us;
};

/* ---- set-up ---- */

static nvr_err read_secret_file(const char *path, char out[SECRET_MAX])
{
    FILE *f = fopen(path, "r");
    if (!f) {
        nvr_log(NVR_ERROR, NULL, "cannot read the ldap bind_password_file path=%s error=\"%s\"", path, strerror(errno));
        return NVR_EIO;
    }
    if (!fgets(out, SECRET_MAX, f))
        out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    if (!out[0]) {
        nvr_log(NVR_ERROR, NULL, "the ldap bind_password_file is empty path=%s", path);
        return NVR_EIO;
    }
    return NVR_OK;
}

nvr_err dir_ldap_create(struct dir_ldap **out, const struct nvr_ldap_config *cfg, int max_busy)
{
    *out = NULL;
    struct dir_ldap *d = calloc(1, sizeof *d);
    if (!d)
        return NVR_ENOMEM;
    d->cfg = cfg;
    d->max_busy = max_busy > 0 ? max_busy : 1;
    pthread_mutex_init(&d->mu, NULL);
    if (cfg->bind_password)
        snprintf(d->bind_pw, sizeof d->bind_pw, "%s", cfg->bind_password);
    else if (cfg->bind_password_file && read_secret_file(cfg->bind_password_file, d->bind_pw))
        d->unusable = 1;
    if (cfg->ca_file && access(cfg->ca_file, R_OK) != 0) {
        nvr_log(NVR_ERROR, NULL, "cannot read the ldap ca_file path=%s error=\"%s\"", cfg->ca_file, strerror(errno));
        d->unusable = 1;
    }
    *out = d;
    return NVR_OK;
}

void dir_ldap_destroy(struct dir_ldap **dp)
{
    struct dir_ldap *d = *dp;
    if (!d)
        return;
    pthread_mutex_destroy(&d->mu);
    sodium_memzero(d, sizeof *d);
    free(d);
    *dp = NULL;
}

/* ---- bookkeeping ---- */

/* Logs a failure of kind, unless the same kind was logged within DIR_LDAP_LOG_US. */
static void log_fail(struct dir_ldap *d, enum fail_kind kind, int ldap_rc)
{
    int64_t now = nvr_clock_mono_us();
    pthread_mutex_lock(&d->mu);
    int say = kind != d->last_kind || now - d->last_log_us >= DIR_LDAP_LOG_US;
    if (say) {
        d->last_kind = kind;
        d->last_log_us = now;
    }
    pthread_mutex_unlock(&d->mu);
    if (say)
        nvr_log(NVR_WARN, NULL, "%s error=\"%s\"", fail_text[kind], ldap_rc ? ldap_err2string(ldap_rc) : "none");
}

static int take_slot(struct dir_ldap *d)
{
    pthread_mutex_lock(&d->mu);
    int ok = d->busy < d->max_busy;
    d->busy += ok;
    pthread_mutex_unlock(&d->mu);
    return ok;
}

static void give_slot(struct dir_ldap *d, int succeeded)
{
    pthread_mutex_lock(&d->mu);
    d->busy--;
    if (succeeded)
        d->last_kind = FAIL_NONE; /* the next failure is news */
    pthread_mutex_unlock(&d->mu);
}

/* ---- filters and names ---- */

nvr_err dir_ldap_escape(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s; s++) {
        int special = *s == '*' || *s == '(' || *s == ')' || *s == '\\';
        if (o + (special ? 3 : 1) >= n)
            return NVR_EINVAL;
        if (special)
            o += (size_t)snprintf(out + o, n - o, "\\%02x", (unsigned char)*s);
        else
            out[o++] = *s;
    }
    if (o >= n)
        return NVR_EINVAL;
    out[o] = '\0';
    return NVR_OK;
}

/* tmpl with every %s replaced by the escaped value. */
static nvr_err make_filter(const char *tmpl, const char *value, char out[FILTER_MAX])
{
    char esc[FILTER_MAX];
    size_t o = 0;
    if (dir_ldap_escape(value, esc, sizeof esc))
        return NVR_EINVAL;
    for (const char *t = tmpl; *t; t++) {
        const char *piece = t[0] == '%' && t[1] == 's' ? esc : NULL;
        size_t len = piece ? strlen(esc) : 1;
        if (o + len >= FILTER_MAX)
            return NVR_EINVAL;
        memcpy(out + o, piece ? piece : t, len);
        o += len;
        t += piece != NULL;
    }
    out[o] = '\0';
    return NVR_OK;
}

static int usable_name(const char *s, size_t n)
{
    if (n == 0 || n >= INDEX_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-", s[i]) || !s[i])
            return 0;
    return 1;
}

/* Whether cn is in list (names separated by commas, white space around them ignored). */
static int listed(const char *list, const char *cn)
{
    size_t cl = strlen(cn);
    for (const char *q = list; q && *q;) {
        q += strspn(q, " \t,");
        size_t n = strcspn(q, ",");
        size_t m = n;
        while (m && (q[m - 1] == ' ' || q[m - 1] == '\t'))
            m--;
        if (m && m == cl && strncasecmp(q, cn, m) == 0)
            return 1;
        q += n;
    }
    return 0;
}

static void add_grants(struct dir_ldap_user *u, const char *list)
{
    for (const char *q = list; *q;) {
        q += strspn(q, " \t,");
        size_t n = strcspn(q, ",");
        size_t m = n, dup = 0;
        while (m && (q[m - 1] == ' ' || q[m - 1] == '\t'))
            m--;
        for (size_t i = 0; i < u->ngrants; i++)
            dup |= strlen(u->grants[i]) == m && strncmp(u->grants[i], q, m) == 0;
        if (m && m < USER_GRANT_LEN && !dup && u->ngrants < USER_GRANTS_MAX)
            snprintf(u->grants[u->ngrants++], USER_GRANT_LEN, "%.*s", (int)m, q);
        q += n;
    }
}

/* Maps one group, named by its DN, into u's role and grants. */
static void map_group(const struct nvr_ldap_config *cfg, const char *dn, struct dir_ldap_user *u)
{
    LDAPDN parsed = NULL;
    if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || !parsed || !parsed[0] || !parsed[0][0])
        goto out;
    char cn[256];
    struct berval *v = &parsed[0][0]->la_value;
    snprintf(cn, sizeof cn, "%.*s", (int)(v->bv_len < 255 ? v->bv_len : 255), v->bv_val);
    enum user_role r = listed(cfg->admin_groups, cn)          ? USER_ADMIN
                       : listed(cfg->investigator_groups, cn) ? USER_INVESTIGATOR
                       : listed(cfg->viewer_groups, cn)       ? USER_VIEWER
                                                              : 0;
    if (r > u->role)
        u->role = r;
    for (size_t i = 0; i < cfg->ngrants; i++)
        if (strcasecmp(cfg->grants[i].group, cn) == 0)
            add_grants(u, cfg->grants[i].grants);
out:
    ldap_dnfree(parsed);
}

/* ---- the directory ---- */

static nvr_err connect_fail(struct dir_ldap *d, enum fail_kind kind, int lrc)
{
    log_fail(d, kind, lrc);
    return NVR_ECONN;
}

/* A connection with the options set (and StartTLS done) into *out. */
static nvr_err open_conn(struct dir_ldap *d, LDAP **out)
{
    const struct nvr_ldap_config *c = d->cfg;
    int v3 = LDAP_VERSION3, hard = LDAP_OPT_X_TLS_HARD, tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2, newctx = 0;
    struct timeval tv = {c->timeout, 0};
    LDAP *ld = NULL;
    int lrc = ldap_initialize(&ld, c->url);
    if (lrc != LDAP_SUCCESS)
        return connect_fail(d, FAIL_CONNECT, lrc);
    *out = ld;
    if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) || ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) ||
        ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) || ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) ||
        ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &hard) ||
        ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12) ||
        (c->ca_file && ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, c->ca_file)) ||
        ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &newctx))
        return connect_fail(d, FAIL_TLS, LDAP_OTHER);
    if (c->starttls && (lrc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS)
        return connect_fail(d, lrc == LDAP_SERVER_DOWN || lrc == LDAP_TIMEOUT ? FAIL_CONNECT : FAIL_TLS, lrc);
    return NVR_OK;
}

static int simple_bind(LDAP *ld, const char *dn, const char *pw)
{
    struct berval cred = {strlen(pw), (char *)pw};
    return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
}

/* Binds as the service account (anonymous without bind_dn). */
static nvr_err service_bind(struct dir_ldap *d, LDAP *ld)
{
    int lrc = simple_bind(ld, d->cfg->bind_dn ? d->cfg->bind_dn : "", d->cfg->bind_dn ? d->bind_pw : "");
    if (lrc == LDAP_SUCCESS)
        return NVR_OK;
    /* ldaps:// fails its handshake at the first operation, so a TLS error shows here */
    return connect_fail(d,
                        lrc == LDAP_INVALID_CREDENTIALS ? FAIL_SERVICE_BIND
                        : lrc == LDAP_CONNECT_ERROR     ? FAIL_TLS
                                                        : FAIL_CONNECT,
                        lrc);
}

/* The directory's spelling of the account name from entry e. */
static nvr_err entry_name(struct dir_ldap *d, LDAP *ld, LDAPMessage *e, struct dir_ldap_user *u)
{
    struct berval **v = ldap_get_values_len(ld, e, d->cfg->name_attribute ? d->cfg->name_attribute : "uid");
    nvr_err rc = NVR_EAUTH;
    if (v && v[0] && usable_name(v[0]->bv_val, v[0]->bv_len)) {
        snprintf(u->name, sizeof u->name, "%.*s", (int)v[0]->bv_len, v[0]->bv_val);
        rc = NVR_OK;
    } else {
        log_fail(d, FAIL_NAME, 0);
    }
    ldap_value_free_len(v);
    return rc;
}

/* Maps the entry's memberOf values. */
static void member_of(struct dir_ldap *d, LDAP *ld, LDAPMessage *e, struct dir_ldap_user *u)
{
    struct berval **v = d->cfg->member_of ? ldap_get_values_len(ld, e, "memberOf") : NULL;
    for (size_t i = 0; v && v[i] && i < DIR_LDAP_MAX_GROUPS; i++) {
        char dn[1024];
        snprintf(dn, sizeof dn, "%.*s", (int)(v[i]->bv_len < 1023 ? v[i]->bv_len : 1023), v[i]->bv_val);
        map_group(d->cfg, dn, u);
    }
    ldap_value_free_len(v);
}

/* Finds the one entry for name: its DN (ldap_memfree) into *dn, its name and memberOf into u. */
static nvr_err find_user(struct dir_ldap *d, LDAP *ld, const char *name, char **dn, struct dir_ldap_user *u)
{
    const struct nvr_ldap_config *c = d->cfg;
    char tmpl[128], filter[FILTER_MAX];
    char *attrs[] = {c->name_attribute ? c->name_attribute : "uid", "memberOf", NULL};
    struct timeval tv = {c->timeout, 0};
    LDAPMessage *res = NULL;
    snprintf(tmpl, sizeof tmpl, "(%s=%%s)", attrs[0]);
    if (make_filter(c->user_filter ? c->user_filter : tmpl, name, filter))
        return NVR_EAUTH; /* a name too long for any filter is no one's */
    int lrc = ldap_search_ext_s(ld, c->user_base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL, &tv, 2, &res);
    nvr_err rc = NVR_EAUTH;
    if (lrc != LDAP_SUCCESS && lrc != LDAP_SIZELIMIT_EXCEEDED && lrc != LDAP_NO_SUCH_OBJECT)
        rc = connect_fail(d, lrc == LDAP_SERVER_DOWN || lrc == LDAP_TIMEOUT ? FAIL_CONNECT : FAIL_SEARCH, lrc);
    else if (lrc == LDAP_SIZELIMIT_EXCEEDED || ldap_count_entries(ld, res) > 1)
        log_fail(d, FAIL_AMBIGUOUS, 0);
    else if (lrc == LDAP_SUCCESS && ldap_count_entries(ld, res) == 1) {
        LDAPMessage *e = ldap_first_entry(ld, res);
        if ((*dn = ldap_get_dn(ld, e)) && (rc = entry_name(d, ld, e, u)) == NVR_OK)
            member_of(d, ld, e, u);
    }
    ldap_msgfree(res);
    return rc;
}

/* Maps the groups of group_base whose group_filter matches dn. */
static nvr_err search_groups(struct dir_ldap *d, LDAP *ld, const char *dn, struct dir_ldap_user *u)
{
    const struct nvr_ldap_config *c = d->cfg;
    char filter[FILTER_MAX];
    char *attrs[] = {LDAP_NO_ATTRS, NULL};
    struct timeval tv = {c->timeout, 0};
    LDAPMessage *res = NULL;
    nvr_err rc = service_bind(d, ld);
    if (rc)
        return rc;
    if (make_filter(c->group_filter, dn, filter))
        return NVR_EAUTH;
    int lrc = ldap_search_ext_s(ld, c->group_base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL, &tv,
                                DIR_LDAP_MAX_GROUPS, &res);
    if (lrc != LDAP_SUCCESS && lrc != LDAP_SIZELIMIT_EXCEEDED && lrc != LDAP_NO_SUCH_OBJECT)
        rc = connect_fail(d, lrc == LDAP_SERVER_DOWN || lrc == LDAP_TIMEOUT ? FAIL_CONNECT : FAIL_SEARCH, lrc);
    for (LDAPMessage *e = rc ? NULL : ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e)) {
        char *g = ldap_get_dn(ld, e);
        if (g)
            map_group(c, g, u);
        ldap_memfree(g);
    }
    ldap_msgfree(res);
    return rc;
}

/* Steps 1 to 4 of the file's comment on one connection. */
static nvr_err check_on(struct dir_ldap *d, const char *name, const char *pw, struct dir_ldap_user *out)
{
    LDAP *ld = NULL;
    char *dn = NULL;
    nvr_err rc;
    if ((rc = open_conn(d, &ld)) || (rc = service_bind(d, ld)) || (rc = find_user(d, ld, name, &dn, out)))
        goto out;
    int lrc = simple_bind(ld, dn, pw);
    if (lrc != LDAP_SUCCESS) {
        rc = lrc == LDAP_INVALID_CREDENTIALS ? NVR_EAUTH : connect_fail(d, FAIL_CONNECT, lrc);
        goto out;
    }
    if (d->cfg->group_base)
        rc = search_groups(d, ld, dn, out);
out:
    ldap_memfree(dn);
    if (ld)
        ldap_unbind_ext_s(ld, NULL, NULL);
    return rc;
}

nvr_err dir_ldap_check(struct dir_ldap *d, const char *name, const char *password, struct dir_ldap_user *out)
{
    memset(out, 0, sizeof *out);
    if (!password[0] || !name[0])
        return NVR_EAUTH; /* an empty simple bind is an anonymous one: the directory would say yes */
    if (d->unusable) {
        log_fail(d, FAIL_SETUP, 0);
        return NVR_ECONN;
    }
    if (!take_slot(d)) {
        log_fail(d, FAIL_BUSY, 0);
        return NVR_ECONN;
    }
    nvr_err rc = check_on(d, name, password, out);
    give_slot(d, rc != NVR_ECONN);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}
