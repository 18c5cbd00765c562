/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h - the INI configuration file (see docs/ref/config.md).
 *
 * config.c parses the file against a declared table of sections and keys.
 * Every problem is reported as "FILE:LINE: message" (all of them, not only
 * the first); unknown sections and keys are errors, never silently ignored.
 * The parsed result is a plain struct that the rest of the program reads and
 * never writes; it is owned by whoever called nvr_config_load().
 */
#ifndef NVR_BASE_CONFIG_H
#define NVR_BASE_CONFIG_H

#include "base/err.h"
#include "base/camera_config.h" /* struct nvr_camera_config: the camera settings table */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Where the browser UI is installed: PREFIX/share/nvr/web (CMake defines it
 * from CMAKE_INSTALL_PREFIX for everything built on nvrcore); `make run` and
 * the tests point web_dir at the build tree instead. */
#ifndef NVR_CONFIG_DEFAULT_WEB_DIR
#define NVR_CONFIG_DEFAULT_WEB_DIR "/usr/local/share/nvr/web"
#endif

/* [alerts] (docs/ref/config.md, docs/design/alerts.md): where alerts go and
 * when a condition becomes one.  Texts are NULL when unset; secrets
 * (smtp_url, smtp_password, webhook_url, webhook_secret) are never echoed. */
enum nvr_smtp_tls {
    NVR_SMTP_TLS_AUTO = 0 /* required with smtp_user, else if offered */,
    NVR_SMTP_TLS_REQUIRED,
    NVR_SMTP_TLS_OPTIONAL,
    NVR_SMTP_TLS_OFF
};

/* [storage] archive_*: the S3-compatible archive tier (storage/archive.h). */
struct nvr_archive_config {
    char *url;            /* s3://bucket[/prefix]; NULL: no archive */
    char *endpoint;       /* http(s)://host[:port]; NULL: AWS for the region */
    char *region;         /* NULL: us-east-1 */
    char *access_key;     /* NULL: $AWS_ACCESS_KEY_ID */
    char *secret_key;     /* NULL: $AWS_SECRET_ACCESS_KEY */
    double after_days;    /* footage older than this goes; default 7 */
    int path_style;       /* default 1 (MinIO, Ceph); 0: virtual-hosted (AWS) */
    uint64_t cache_bytes; /* local copies of archived footage being read; default 2G */
};

struct nvr_alerts_config {
    char *smtp_url; /* smtp://host[:port] (STARTTLS) or smtps://host[:port] */
    char *smtp_user, *smtp_password;
    enum nvr_smtp_tls smtp_starttls;
    char *email_from;
    char *email_to; /* comma-separated addresses */
    char *email_to_camera, *email_to_storage, *email_to_security, *email_to_audit, *email_to_system;
    char *webhook_url;          /* http:// or https:// */
    char *webhook_secret;       /* HMAC-SHA256 key of X-NVR-Signature */
    char *syslog;               /* "local" or /path (unix socket), udp://host:port, tcp://host:port */
    int camera_offline_seconds; /* default 60 */
    int hold_down_seconds;      /* a condition must stay clear this long to resolve; default 60 */
    int signin_failures;        /* failed sign-ins within signin_window_seconds; default 10 */
    int signin_window_seconds;  /* default 300 */
    int cert_warn_days;         /* TLS certificate expiring within; default 14 */
    int storage_seconds;        /* storage below min_free / held_full this long; default 120 */
};

/* [catalog] (docs/ref/config.md, docs/design/catalog.md): the district's
 * PostgreSQL catalog this recorder publishes to.  url NULL: none. */
struct nvr_catalog_config {
    char *url;           /* postgresql://... (may hold a password: never echoed nor logged) */
    char *site;          /* this recorder's site name; required with url */
    int publish_seconds; /* how often it publishes; default 10 */
    char *advertise;     /* http(s)://host[:port] the district console reaches this recorder at; NULL: unset */
};

/* [console] (docs/ref/config.md): read by `nvr console`, the district's web
 * UI over the catalog; with it [catalog] url needs no site. */
struct nvr_console_config {
    int present;               /* 1: the file has a [console] section */
    int max_proxied;           /* camera transfers proxied at once, default 64 (more: 503) */
    int max_exports;           /* district exports running at once, default 2 (more: 503) */
    uint64_t export_max_bytes; /* one district export's size cap, default 20G */
    int export_keep_hours;     /* a finished district export is deleted after, default 24 */
};

/* [ui] time_format: how the browser UI shows a time of day (each browser may
 * choose otherwise; docs/ref/config.md). */
enum nvr_time_format {
    NVR_TIME_12H, /* "3:05:09 PM" */
    NVR_TIME_24H, /* "15:05:09" */
};

/* "12h" or "24h". */
const char *nvr_time_format_name(enum nvr_time_format f);

/* [server] totp_required: which local accounts must have a second factor
 * (docs/design/security.md, "Second factor"). */
enum nvr_totp_policy {
    NVR_TOTP_NONE,  /* nobody must (default) */
    NVR_TOTP_ADMIN, /* admins must */
    NVR_TOTP_ALL,   /* every local account must */
};

/* "none", "admin" or "all". */
const char *nvr_totp_policy_name(enum nvr_totp_policy p);

#define NVR_CONFIG_MAX_DIRS 16 /* [storage] dirs */

/* [oidc] (docs/ref/config.md, docs/design/security.md "OpenID Connect"):
 * sign-in through an OpenID provider.  issuer NULL: no OIDC sign-in.  The
 * client secret (client_secret, or the file client_secret_file names) is
 * never echoed or logged.  Group lists are comma-separated; grant.GROUP
 * rows map one group to camera grants (comma-separated). */
#define NVR_OIDC_GRANTS_MAX 64
enum nvr_oidc_auth { NVR_OIDC_SECRET_BASIC = 0, NVR_OIDC_SECRET_POST };
struct nvr_oidc_grant {
    char *group;  /* the group claim's value */
    char *grants; /* camera ids, group:NAME or *, comma-separated */
    int line;
};
struct nvr_oidc_config {
    char *issuer;              /* https://..., or http:// on loopback only */
    char *client_id;           /* required with issuer */
    char *client_secret;       /* this or client_secret_file */
    char *client_secret_file;  /* absolute path, read at start-up */
    enum nvr_oidc_auth auth;   /* token endpoint authentication, default basic */
    char *label;               /* the login page's button; default "Sign in with single sign-on" */
    char *scopes;              /* default "openid profile email" */
    char *username_claim;      /* NULL: preferred_username, else email */
    char *groups_claim;        /* NULL: "groups" */
    char *admin_groups;        /* groups that make an admin */
    char *investigator_groups; /* ... an investigator */
    char *viewer_groups;       /* ... a viewer */
    char *public_url;          /* scheme://host[:port] the browser uses; NULL: from the request */
    char *ca_file;             /* CA bundle for the provider's TLS; NULL: the system's */
    size_t ngrants;
    struct nvr_oidc_grant grants[NVR_OIDC_GRANTS_MAX];
};

/* [ldap] (docs/ref/config.md, docs/design/security.md "Directory sign-in"):
 * where the directory is, how a user and their groups are found, and which
 * groups give which role and grants.  Texts are NULL when unset; groups are
 * named by their CN (case-insensitive).  bind_password is a secret: never
 * echoed or logged (bind_password_file is read by nvr/core/dir_ldap.c). */
#define NVR_LDAP_MAX_GRANT_GROUPS 64 /* grant.<group> lines */
struct nvr_ldap_grant {
    char *group;  /* the group's CN */
    char *grants; /* camera ids, group:NAME or "*", joined by "," */
};
struct nvr_ldap_config {
    char *url;                       /* ldap:// or ldaps:// URLs joined by " " (failover); NULL: no [ldap] */
    int starttls;                    /* 0/1: StartTLS on ldap:// (required when on) */
    char *ca_file;                   /* CA bundle for ldaps:// and StartTLS; NULL: the system's */
    char *bind_dn, *bind_password;   /* the service account; NULL: anonymous search */
    char *bind_password_file;        /* or its password in this file */
    char *user_base;                 /* required with url */
    char *user_filter;               /* with %s for the escaped name; NULL: (name_attribute=%s) */
    char *name_attribute;            /* the account name in the directory; NULL: uid */
    int member_of;                   /* 0/1: read the user's memberOf (default 1) */
    char *group_base, *group_filter; /* a group search; %s is the user's escaped DN */
    char *admin_groups;              /* group CNs joined by "," */
    char *investigator_groups, *viewer_groups;
    struct nvr_ldap_grant grants[NVR_LDAP_MAX_GRANT_GROUPS];
    size_t ngrants;
    int timeout; /* seconds for each directory operation, 1..5, default 5 */
};

struct nvr_config {
    char *path; /* the file that was read */
    /* [server] */
    char *listen_host;                  /* default "127.0.0.1"; IPv6 without brackets */
    int listen_port;                    /* default 8080 */
    char *data_dir;                     /* required */
    char *web_dir;                      /* the browser UI's files; default NVR_CONFIG_DEFAULT_WEB_DIR */
    char *tls_cert;                     /* NULL if unset */
    char *tls_key;                      /* NULL if unset */
    int allow_plain_http;               /* 0/1, default 0: without TLS only a loopback listen is allowed */
    int http_threads;                   /* HTTP worker threads, 0 (default) = one per online CPU, at least 2 */
    char *tls_priority;                 /* GnuTLS priority string; NULL: TLS 1.2+ with AEAD suites only */
    char *server_names;                 /* server_name: "a,b,c" (lower case); NULL: Host is not checked */
    int max_connections;                /* connections served at once, default 1000 */
    int max_connections_per_address;    /* from one IPv4 address or IPv6 /64, default 100, 0 = no limit */
    int read_timeout;                   /* seconds for a request's headers, and again for its body, default 15 */
    enum nvr_totp_policy totp_required; /* who must enrol a second factor, default NVR_TOTP_NONE */
    /* [storage] */
    uint64_t max_bytes;      /* 0 = no cap */
    double min_free_pct;     /* 0..99, from "5%"; 0 if given in bytes or unset */
    uint64_t min_free_bytes; /* from "10G"; 0 if given in percent or unset */
    char *storage_dirs;      /* dirs: absolute paths joined by ",", NULL: data_dir only */
    struct nvr_archive_config archive;
    /* [alerts] */
    struct nvr_alerts_config alerts;
    /* [catalog] */
    struct nvr_catalog_config catalog;
    /* [console] */
    struct nvr_console_config console;
    /* [ldap] */
    struct nvr_ldap_config ldap;
    /* [ui] */
    enum nvr_time_format time_format; /* how the browser UI shows times, default NVR_TIME_12H */
    /* [oidc] */
    struct nvr_oidc_config oidc;
    /* [camera ID] */
    struct nvr_camera_config *cameras;
    size_t ncameras;
};

/*
 * Reads and validates path.  On success returns NVR_OK and *out owns a new
 * config (free with nvr_config_free).  On failure returns NVR_ECONFIG (or
 * NVR_EIO if the file cannot be read), *out is NULL, and one line per problem
 * ("FILE:LINE: message\n", or "FILE: message\n" when no line applies) has been
 * written to errs (which may be NULL to discard them).
 */
nvr_err nvr_config_load(const char *path, struct nvr_config **out, FILE *errs);

/* Parses text as if it were the file named path (for tests and fuzzing). */
nvr_err nvr_config_parse(const char *path, const char *text, size_t len, struct nvr_config **out, FILE *errs);

/* Frees *cfg and sets it to NULL; tolerates NULL. */
void nvr_config_free(struct nvr_config **cfg);

/* Finds a camera by id, NULL if none. Borrowed pointer into cfg. */
const struct nvr_camera_config *nvr_config_camera(const struct nvr_config *cfg, const char *id);

/* Parses a size with optional K/M/G/T suffix (powers of 1024), e.g. "2T". */
nvr_err nvr_config_parse_size(const char *s, uint64_t *out);

#endif
