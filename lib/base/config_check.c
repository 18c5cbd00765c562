/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_check.c - the rules that span keys: a section's required keys, and
 * the rules for whole sections (tls_cert with tls_key, smtp_url with
 * email_from, [oidc] and [ldap] complete, a camera's storage_dir among the
 * [storage] dirs).  They run when a camera section closes and once the whole
 * file has been read, from the lines each key was given on (a struct
 * section), so every message names the line to fix.  The reader's values are
 * in p->cfg by then; a bad value has its line too (config_int.h, invariant 4).
 */
#include "base/config_int.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

void conf_check_required(struct parser *p, enum section_kind kind, const struct section *sec, const char *label)
{
    for (size_t i = 0; i < conf_nkeys; i++) {
        if (conf_keys[i].section != kind || !(conf_keys[i].flags & KEY_REQUIRED) || sec->key_line[i])
            continue;
        if (sec->header_line)
            conf_report(p, sec->header_line, "%s has no %s", label, conf_keys[i].name);
        else
            conf_report(p, 0, "missing %s %s", label, conf_keys[i].name);
    }
}

/* Rules for [server] as a whole, once the file has been read. */
static void check_server(struct parser *p)
{
    int cert = p->server.key_line[conf_find_key(SEC_SERVER, "tls_cert")];
    int key = p->server.key_line[conf_find_key(SEC_SERVER, "tls_key")];
    conf_check_required(p, SEC_SERVER, &p->server, "[server]");
    if (cert && !key)
        conf_report(p, cert, "tls_cert is set but tls_key is not (set both or neither)");
    if (key && !cert)
        conf_report(p, key, "tls_key is set but tls_cert is not (set both or neither)");
}

/* Rules for [alerts] as a whole: e-mail needs a sender and a recipient,
 * SMTP authentication a user and a password. */
static void check_alerts(struct parser *p)
{
    const struct section *a = &p->alerts;
    int url = a->key_line[conf_find_key(SEC_ALERTS, "smtp_url")];
    int user = a->key_line[conf_find_key(SEC_ALERTS, "smtp_user")];
    int pw = a->key_line[conf_find_key(SEC_ALERTS, "smtp_password")];
    if (url && !a->key_line[conf_find_key(SEC_ALERTS, "email_from")])
        conf_report(p, url, "smtp_url is set but email_from is not");
    if (url && !a->key_line[conf_find_key(SEC_ALERTS, "email_to")])
        conf_report(p, url, "smtp_url is set but email_to is not");
    if (user && !pw)
        conf_report(p, user, "smtp_user is set but smtp_password is not (set both or neither)");
    if (pw && !user)
        conf_report(p, pw, "smtp_password is set but smtp_user is not (set both or neither)");
}

/* [catalog]: url and site come together. */
static void check_catalog(struct parser *p)
{
    int url = p->catalog.key_line[conf_find_key(SEC_CATALOG, "url")];
    int site = p->catalog.key_line[conf_find_key(SEC_CATALOG, "site")];
    if (url && !site && !p->console.header_line)
        conf_report(p, url, "url is set but site is not (the name this recorder publishes its cameras under)");
    if (site && !url)
        conf_report(p, site, "site is set but url is not (the catalog's postgresql:// URL)");
    int adv = p->catalog.key_line[conf_find_key(SEC_CATALOG, "advertise")];
    if (adv && !url)
        conf_report(p, adv, "advertise is set but url is not (the catalog's postgresql:// URL)");
}

/* Rules for [oidc] as a whole: an issuer, a client and its secret (one
 * way), and at least one group that makes a role. */
static void check_oidc(struct parser *p)
{
    const struct section *o = &p->oidc;
    int line = o->header_line;
    int secret = o->key_line[conf_find_key(SEC_OIDC, "client_secret")];
    int file = o->key_line[conf_find_key(SEC_OIDC, "client_secret_file")];
    const struct nvr_oidc_config *c = &p->cfg->oidc;
    if (!line)
        return;
    if (!o->key_line[conf_find_key(SEC_OIDC, "issuer")])
        conf_report(p, line, "[oidc] has no issuer");
    if (!o->key_line[conf_find_key(SEC_OIDC, "client_id")])
        conf_report(p, line, "[oidc] has no client_id");
    if (!secret && !file)
        conf_report(p, line, "[oidc] has no client_secret (or client_secret_file)");
    if (secret && file)
        conf_report(p, file, "client_secret_file and client_secret are both set (set one)");
    if (!c->admin_groups && !c->investigator_groups && !c->viewer_groups)
        conf_report(p, line, "[oidc] has none of admin_groups, investigator_groups, viewer_groups");
    if (c->scopes && !strstr(c->scopes, "openid"))
        conf_report(p, o->key_line[conf_find_key(SEC_OIDC, "scopes")], "scopes must include openid");
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
    conf_check_required(p, SEC_LDAP, s, "[ldap]");
    int dn = s->key_line[conf_find_key(SEC_LDAP, "bind_dn")],
        pw = s->key_line[conf_find_key(SEC_LDAP, "bind_password")];
    int pwf = s->key_line[conf_find_key(SEC_LDAP, "bind_password_file")];
    int gb = s->key_line[conf_find_key(SEC_LDAP, "group_base")],
        gf = s->key_line[conf_find_key(SEC_LDAP, "group_filter")];
    if (pw && pwf)
        conf_report(p, pwf, "bind_password and bind_password_file are both set (set one)");
    if (dn && !pw && !pwf)
        conf_report(p, dn, "bind_dn is set but bind_password (or bind_password_file) is not");
    if ((pw || pwf) && !dn)
        conf_report(p, pw ? pw : pwf, "a bind password is set but bind_dn is not");
    if (gb && !gf)
        conf_report(p, gb, "group_base is set but group_filter is not (set both or neither)");
    if (gf && !gb)
        conf_report(p, gf, "group_filter is set but group_base is not (set both or neither)");
    if (!l->member_of && !gb)
        conf_report(p, s->header_line, "[ldap] reads no groups: set member_of = yes or group_base and group_filter");
    if (!l->admin_groups && !l->investigator_groups && !l->viewer_groups)
        conf_report(p, s->header_line,
                    "[ldap] maps no group to a role: set admin_groups, investigator_groups or viewer_groups");
    for (const char *u = l->url; u && *u; u += strcspn(u, " "), u += *u == ' ') {
        int plain = strncasecmp(u, "ldap://", 7) == 0;
        if (!plain && l->starttls)
            conf_report(p, s->key_line[conf_find_key(SEC_LDAP, "starttls")],
                        "starttls is for ldap:// URLs, not ldaps://");
        else if (plain && !l->starttls && !ldap_loopback(u))
            conf_report(p, s->key_line[conf_find_key(SEC_LDAP, "url")],
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
            conf_report(p, cfg->cameras[i].line, "[camera %s] storage_dir must be %s", cfg->cameras[i].id,
                        "an absolute path listed in [storage] dirs");
    }
}

void conf_check_file(struct parser *p)
{
    check_server(p);
    check_alerts(p);
    check_catalog(p);
    check_oidc(p);
    check_ldap(p);
    check_pins(p);
}
