/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_keys.c - the keys there are: conf_keys[], one row per key of every
 * section (config_int.h says what a row holds), and looking one up.  The
 * [camera ID] rows come from the camera settings table, NVR_CAMERA_SETTINGS
 * (camera_config.h).  The grant.GROUP lines of [oidc] and [ldap] are the
 * only keys that are not rows (GROUP is any group name of the directory), so
 * they are read here by hand.
 */
#include "base/config_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SRV(f) offsetof(struct nvr_config, f)

/* A camera setting's parser by its kind. */
#define conf_parse_TEXT conf_parse_text
#define conf_parse_RTSP_URL conf_parse_rtsp_url
#define conf_parse_HTTP_URL conf_parse_http_url
#define conf_parse_PATH conf_parse_abs_path
#define conf_parse_INT conf_parse_int
#define conf_parse_BOOL conf_parse_bool
#define conf_parse_TRANSPORT conf_parse_transport
#define conf_parse_MSOURCE conf_parse_msource
#define conf_parse_RECTS conf_parse_rects
#define CAMERA_KEY(key, kind, flags, def, min, max, help)                                                              \
    {SEC_CAMERA,                                                                                                       \
     #key,                                                                                                             \
     conf_parse_##kind,                                                                                                \
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

const struct conf_key conf_keys[] = {
    /* [server] */
    {SEC_SERVER, "listen", conf_parse_listen, 0, 0, "host:port, [IPv6]:port or a port, with the port from 1 to 65535",
     0, 0},
    {SEC_SERVER, "data_dir", conf_parse_abs_path, SRV(data_dir), KEY_REQUIRED, "an absolute path", 0, 0},
    {SEC_SERVER, "web_dir", conf_parse_abs_path, SRV(web_dir), 0, "an absolute path", 0, 0},
    {SEC_SERVER, "tls_cert", conf_parse_abs_path, SRV(tls_cert), 0, "an absolute path", 0, 0},
    {SEC_SERVER, "tls_key", conf_parse_abs_path, SRV(tls_key), 0, "an absolute path", 0, 0},
    {SEC_SERVER, "allow_plain_http", conf_parse_bool, SRV(allow_plain_http), 0, "yes, no, on, off, true, false, 1 or 0",
     0, 0},
    {SEC_SERVER, "http_threads", conf_parse_int, SRV(http_threads), 0, "an integer from 0 (one per CPU) to 64", 0, 64},
    {SEC_SERVER, "tls_priority", conf_parse_text, SRV(tls_priority), 0, "a GnuTLS priority string", 0, 0},
    {SEC_SERVER, "server_name", conf_parse_server_names, SRV(server_names), 0,
     "host names or IP addresses separated by commas or spaces (at most 32)", 0, 0},
    {SEC_SERVER, "max_connections", conf_parse_int, SRV(max_connections), 0, "an integer from 16 to 100000", 16,
     100000},
    {SEC_SERVER, "max_connections_per_address", conf_parse_int, SRV(max_connections_per_address), 0,
     "an integer from 0 (no limit) to 100000", 0, 100000},
    {SEC_SERVER, "read_timeout", conf_parse_int, SRV(read_timeout), 0, "an integer from 1 to 3600 (seconds)", 1, 3600},
    {SEC_SERVER, "totp_required", conf_parse_totp_policy, SRV(totp_required), 0, "none, admin or all", 0, 0},

    /* [storage] */
    {SEC_STORAGE, "max_bytes", conf_parse_max_bytes, SRV(max_bytes), 0,
     "a size above 0 with an optional K, M, G or T suffix, such as 500G or 1.5T", 0, 0},
    {SEC_STORAGE, "min_free", conf_parse_min_free, 0, 0, "a percentage below 100% (such as 5%) or a size (such as 50G)",
     0, 0},
    {SEC_STORAGE, "archive_url", conf_parse_s3_url, SRV(archive.url), 0, "s3://bucket or s3://bucket/prefix", 0, 0},
    {SEC_STORAGE, "archive_endpoint", conf_parse_http_url, SRV(archive.endpoint), 0,
     "an http:// or https:// URL with a host (the S3 endpoint)", 0, 0},
    {SEC_STORAGE, "archive_region", conf_parse_text, SRV(archive.region), 0, "a non-empty text", 0, 0},
    {SEC_STORAGE, "archive_access_key", conf_parse_text, SRV(archive.access_key), KEY_SECRET, "a non-empty text", 0, 0},
    {SEC_STORAGE, "archive_secret_key", conf_parse_text, SRV(archive.secret_key), KEY_SECRET, "a non-empty text", 0, 0},
    {SEC_STORAGE, "archive_after_days", conf_parse_days, SRV(archive.after_days), 0,
     "a number of days above 0 (decimals allowed, such as 7 or 0.5)", 0, 0},
    {SEC_STORAGE, "archive_path_style", conf_parse_bool, SRV(archive.path_style), 0,
     "yes, no, on, off, true, false, 1 or 0", 0, 0},
    {SEC_STORAGE, "archive_cache", conf_parse_max_bytes, SRV(archive.cache_bytes), 0,
     "a size above 0 with an optional K, M, G or T suffix, such as 2G", 0, 0},
    {SEC_STORAGE, "dirs", conf_parse_dirs, SRV(storage_dirs), 0,
     "absolute paths separated by commas (at most 16, none twice, no comma in a path)", 0, 0},

    /* [camera ID]: one row per row of the camera settings table (camera_config.h) */
    NVR_CAMERA_SETTINGS(CAMERA_KEY)

    /* [alerts] */
    {SEC_ALERTS, "smtp_url", conf_parse_alert_url, ALR(smtp_url), KEY_SECRET, "an smtp:// or smtps:// URL with a host",
     0, 0},
    {SEC_ALERTS, "smtp_user", conf_parse_text, ALR(smtp_user), 0, "a non-empty text", 0, 0},
    {SEC_ALERTS, "smtp_password", conf_parse_text, ALR(smtp_password), KEY_SECRET, "a non-empty text", 0, 0},
    {SEC_ALERTS, "smtp_starttls", conf_parse_starttls, ALR(smtp_starttls), 0, "auto, required, optional or off", 0, 0},
    {SEC_ALERTS, "email_from", conf_parse_text, ALR(email_from), 0, "an e-mail address", 0, 0},
    {SEC_ALERTS, "email_to", conf_parse_text, ALR(email_to), 0, ADDRS, 0, 0},
    {SEC_ALERTS, "email_to_camera", conf_parse_text, ALR(email_to_camera), 0, ADDRS, 0, 0},
    {SEC_ALERTS, "email_to_storage", conf_parse_text, ALR(email_to_storage), 0, ADDRS, 0, 0},
    {SEC_ALERTS, "email_to_security", conf_parse_text, ALR(email_to_security), 0, ADDRS, 0, 0},
    {SEC_ALERTS, "email_to_audit", conf_parse_text, ALR(email_to_audit), 0, ADDRS, 0, 0},
    {SEC_ALERTS, "email_to_system", conf_parse_text, ALR(email_to_system), 0, ADDRS, 0, 0},
    {SEC_ALERTS, "webhook_url", conf_parse_alert_url, ALR(webhook_url), KEY_SECRET,
     "an http:// or https:// URL with a host", 0, 0},
    {SEC_ALERTS, "webhook_secret", conf_parse_text, ALR(webhook_secret), KEY_SECRET, "a non-empty text", 0, 0},
    {SEC_ALERTS, "syslog", conf_parse_syslog, ALR(syslog), 0,
     "local, an absolute path to a unix socket, udp://host:port or tcp://host:port", 0, 0},
    {SEC_ALERTS, "camera_offline_seconds", conf_parse_int, ALR(camera_offline_seconds), 0, "an integer from 1 to 86400",
     1, 86400},
    {SEC_ALERTS, "hold_down_seconds", conf_parse_int, ALR(hold_down_seconds), 0, "an integer from 0 to 86400", 0,
     86400},
    {SEC_ALERTS, "signin_failures", conf_parse_int, ALR(signin_failures), 0, "an integer from 1 to 100000", 1, 100000},
    {SEC_ALERTS, "signin_window_seconds", conf_parse_int, ALR(signin_window_seconds), 0, "an integer from 1 to 86400",
     1, 86400},
    {SEC_ALERTS, "cert_warn_days", conf_parse_int, ALR(cert_warn_days), 0, "an integer from 0 to 365", 0, 365},
    {SEC_ALERTS, "storage_seconds", conf_parse_int, ALR(storage_seconds), 0, "an integer from 1 to 86400", 1, 86400},

    /* [ui] */
    {SEC_UI, "time_format", conf_parse_time_format, SRV(time_format), 0, "12h or 24h", 0, 0},

    /* [catalog] */
    {SEC_CATALOG, "url", conf_parse_pg_url, SRV(catalog.url), KEY_SECRET,
     "a postgresql:// or postgres:// URL (libpq's connection URI)", 0, 0},
    {SEC_CATALOG, "site", conf_parse_site, SRV(catalog.site), 0, "1 to 64 of a-z, 0-9, _ and -", 0, 0},
    {SEC_CATALOG, "publish_seconds", conf_parse_int, SRV(catalog.publish_seconds), 0, "an integer from 1 to 3600", 1,
     3600},
    {SEC_CATALOG, "advertise", conf_parse_public_url, SRV(catalog.advertise), 0,
     "http:// or https:// and a host (and port), without a path", 0, 0},

    /* [console] */
    {SEC_CONSOLE, "max_proxied", conf_parse_int, SRV(console.max_proxied), 0, "an integer from 1 to 4096", 1, 4096},
    {SEC_CONSOLE, "max_exports", conf_parse_int, SRV(console.max_exports), 0, "an integer from 1 to 64", 1, 64},
    {SEC_CONSOLE, "export_max_bytes", conf_parse_max_bytes, SRV(console.export_max_bytes), 0,
     "a size above 0 with an optional K, M, G or T suffix, such as 20G", 0, 0},
    {SEC_CONSOLE, "export_keep_hours", conf_parse_int, SRV(console.export_keep_hours), 0, "an integer from 1 to 8760",
     1, 8760},

    /* [oidc]; grant.<group> lines are not rows: conf_oidc_grant() reads them */
    {SEC_OIDC, "issuer", conf_parse_issuer, OIDC(issuer), 0,
     "an https:// URL without query or fragment (http:// only on loopback)", 0, 0},
    {SEC_OIDC, "client_id", conf_parse_text, OIDC(client_id), 0, "a non-empty text", 0, 0},
    {SEC_OIDC, "client_secret", conf_parse_text, OIDC(client_secret), KEY_SECRET, "a non-empty text", 0, 0},
    {SEC_OIDC, "client_secret_file", conf_parse_abs_path, OIDC(client_secret_file), 0, "an absolute path", 0, 0},
    {SEC_OIDC, "token_auth", conf_parse_oidc_auth, OIDC(auth), 0, "client_secret_basic or client_secret_post", 0, 0},
    {SEC_OIDC, "label", conf_parse_text, OIDC(label), 0, "a non-empty text", 0, 0},
    {SEC_OIDC, "scopes", conf_parse_text, OIDC(scopes), 0, "scopes separated by spaces, openid among them", 0, 0},
    {SEC_OIDC, "username_claim", conf_parse_text, OIDC(username_claim), 0, "a claim name", 0, 0},
    {SEC_OIDC, "groups_claim", conf_parse_text, OIDC(groups_claim), 0, "a claim name", 0, 0},
    {SEC_OIDC, "admin_groups", conf_parse_text, OIDC(admin_groups), 0, "group names separated by commas", 0, 0},
    {SEC_OIDC, "investigator_groups", conf_parse_text, OIDC(investigator_groups), 0, "group names separated by commas",
     0, 0},
    {SEC_OIDC, "viewer_groups", conf_parse_text, OIDC(viewer_groups), 0, "group names separated by commas", 0, 0},
    {SEC_OIDC, "public_url", conf_parse_public_url, OIDC(public_url), 0,
     "http:// or https:// and a host (and port), without a path", 0, 0},
    {SEC_OIDC, "ca_file", conf_parse_abs_path, OIDC(ca_file), 0, "an absolute path", 0, 0},

    /* [ldap]; grant.<group> lines are not rows: conf_ldap_grant() reads them */
    {SEC_LDAP, "url", conf_parse_ldap_urls, LDP(url), KEY_REQUIRED,
     "ldap:// or ldaps:// URLs with a host, separated by spaces or commas (at most 8)", 0, 0},
    {SEC_LDAP, "starttls", conf_parse_bool, LDP(starttls), 0, "yes, no, on, off, true, false, 1 or 0", 0, 0},
    {SEC_LDAP, "ca_file", conf_parse_abs_path, LDP(ca_file), 0, "an absolute path", 0, 0},
    {SEC_LDAP, "bind_dn", conf_parse_text, LDP(bind_dn), 0, "a DN", 0, 0},
    {SEC_LDAP, "bind_password", conf_parse_text, LDP(bind_password), KEY_SECRET, "a non-empty text", 0, 0},
    {SEC_LDAP, "bind_password_file", conf_parse_abs_path, LDP(bind_password_file), 0, "an absolute path", 0, 0},
    {SEC_LDAP, "user_base", conf_parse_text, LDP(user_base), KEY_REQUIRED, "a DN", 0, 0},
    {SEC_LDAP, "user_filter", conf_parse_ldap_filter, LDP(user_filter), 0,
     "an LDAP filter in parentheses holding %s (the name), such as (uid=%s)", 0, 0},
    {SEC_LDAP, "name_attribute", conf_parse_ldap_attr, LDP(name_attribute), 0,
     "an attribute name (letters, digits, -), such as uid or sAMAccountName", 0, 0},
    {SEC_LDAP, "member_of", conf_parse_bool, LDP(member_of), 0, "yes, no, on, off, true, false, 1 or 0", 0, 0},
    {SEC_LDAP, "group_base", conf_parse_text, LDP(group_base), 0, "a DN", 0, 0},
    {SEC_LDAP, "group_filter", conf_parse_ldap_filter, LDP(group_filter), 0,
     "an LDAP filter in parentheses holding %s (the user's DN), such as (member=%s)", 0, 0},
    {SEC_LDAP, "admin_groups", conf_parse_text, LDP(admin_groups), 0, GROUPS, 0, 0},
    {SEC_LDAP, "investigator_groups", conf_parse_text, LDP(investigator_groups), 0, GROUPS, 0, 0},
    {SEC_LDAP, "viewer_groups", conf_parse_text, LDP(viewer_groups), 0, GROUPS, 0, 0},
    {SEC_LDAP, "timeout", conf_parse_int, LDP(timeout), 0, "an integer from 1 to 5 (seconds)", 1, 5},
};

const size_t conf_nkeys = sizeof(conf_keys) / sizeof(conf_keys[0]);
_Static_assert(sizeof(conf_keys) / sizeof(conf_keys[0]) <= CONF_MAX_KEYS, "struct section counts CONF_MAX_KEYS keys");

int conf_find_key(enum section_kind kind, const char *name)
{
    for (size_t i = 0; i < conf_nkeys; i++)
        if (conf_keys[i].section == kind && strcmp(conf_keys[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* [oidc] grant.GROUP = GRANTS: one group's camera grants. */
nvr_err conf_oidc_grant(struct parser *p, const char *group, const char *val, int line)
{
    struct nvr_oidc_config *o = &p->cfg->oidc;
    for (size_t i = 0; i < o->ngrants; i++) {
        if (strcmp(o->grants[i].group, group) == 0) {
            conf_report(p, line, "duplicate key \"grant.%s\" in [oidc] (first at line %d)", group, o->grants[i].line);
            return NVR_OK;
        }
    }
    if (!*group || !*val) {
        conf_report(p, line, "grant.GROUP must be a group name and camera grants separated by commas");
        return NVR_OK;
    }
    if (o->ngrants == NVR_OIDC_GRANTS_MAX) {
        conf_report(p, line, "more than %d grant.GROUP keys in [oidc]", NVR_OIDC_GRANTS_MAX);
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

/* [ldap] grant.GROUP = grants: the cameras a group's members may see
 * (camera ids, group:NAME or *, separated by commas). */
nvr_err conf_ldap_grant(struct parser *p, const char *key, const char *val, int line)
{
    struct nvr_ldap_config *l = &p->cfg->ldap;
    const char *group = key + 6;
    if (*group == '\0' || *val == '\0') {
        conf_report(p, line, "grant.GROUP needs a group name and cameras, as in grant.south-staff = cam1, group:south");
        return NVR_OK;
    }
    for (size_t i = 0; i < l->ngrants; i++)
        if (strcasecmp(l->grants[i].group, group) == 0) {
            conf_report(p, line, "duplicate key \"%s\" in [ldap]", key);
            return NVR_OK;
        }
    if (l->ngrants == NVR_LDAP_MAX_GRANT_GROUPS) {
        conf_report(p, line, "more than %d grant lines in [ldap]", NVR_LDAP_MAX_GRANT_GROUPS);
        return NVR_OK;
    }
    struct nvr_ldap_grant *g = &l->grants[l->ngrants];
    if (!(g->group = strdup(group)) || !(g->grants = strdup(val)))
        return NVR_ENOMEM;
    l->ngrants++;
    return NVR_OK;
}
