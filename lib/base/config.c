/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c - reads the INI configuration file (see config.h, docs/ref/config.md):
 * the lines, the sections they open, and the public functions (parse, load,
 * free, look a camera up).  config_int.h draws the whole reader and numbers
 * its invariants; this file keeps 2 (a KEY_SECRET value is never echoed),
 * 3 (the bounds on the file, its lines and its cameras), 4 (a key's line is
 * kept before its value is judged) and 5 (one `out:`).
 *
 * The state machine: the parser is in no section (SEC_NONE) until the first
 * header; each header closes the section being read (close_section: a
 * camera's required keys, its defaults) and opens the next, or SEC_SKIP when
 * the header is wrong.  A key = value line is looked up in conf_keys[] for the
 * section open (config_keys.c) and its value parsed by the row's function
 * (config_values.c).  At the end of the file, config_check.c's rules run.
 */
#include "base/config.h"

#include "base/config_int.h"
#include "base/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- sections ---- */

/* Ends the section being read: checks what a camera needs and fills in what
 * defaults to another key. */
static nvr_err close_section(struct parser *p)
{
    if (p->kind == SEC_CAMERA) {
        struct nvr_camera_config *cam = p->base;
        conf_check_required(p, SEC_CAMERA, &p->camera, p->label);
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
            conf_report(p, line, "duplicate section [ldap] (first at line %d)", p->ldap.header_line);
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
            conf_report(p, line, "duplicate section [alerts] (first at line %d)", p->alerts.header_line);
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
            conf_report(p, line, "duplicate section [oidc] (first at line %d)", p->oidc.header_line);
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
            conf_report(p, line, "duplicate section [%s] (first at line %d)", name, sec->header_line);
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
    if (strncmp(name, "camera", 6) != 0 || (name[6] != '\0' && !conf_is_space(name[6]))) {
        conf_report(p, line, "unknown section [%s]", conf_echo(name, e));
        return NVR_OK;
    }
    char *id = name + 6;
    while (conf_is_space(*id))
        id++;
    if (*id == '\0') {
        conf_report(p, line, "[camera] needs an id, as in [camera lobby]");
        return NVR_OK;
    }
    if (!conf_valid_camera_id(id)) {
        conf_report(p, line, "camera id \"%s\" must be 1 to %d of a-z, 0-9, _ and -", conf_echo(id, e), CONF_MAX_ID);
        return NVR_OK;
    }
    const struct nvr_camera_config *first = nvr_config_camera(p->cfg, id);
    if (first) {
        conf_report(p, line, "duplicate camera id \"%s\" (first at line %d)", id, first->line);
    } else if (p->cfg->ncameras >= CONF_MAX_CAMERAS && !p->too_many_reported) {
        conf_report(p, line, "more than %d cameras", CONF_MAX_CAMERAS);
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
    while (end > s && conf_is_space(end[-1]))
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
        while (*q && !((*q == ';' || *q == '#') && (q == s || conf_is_space(q[-1]))))
            q++;
        return trim_end(s, q);
    }
    char *out = s, *q = s + 1;
    for (;; q++) {
        if (*q == '\0') {
            conf_report(p, line, "quoted value has no closing quote");
            return NULL;
        }
        if (*q == '"')
            break;
        if (*q == '\\') {
            if (q[1] != '"' && q[1] != '\\') {
                conf_report(p, line, "in a quoted value only \\\" and \\\\ are escapes");
                return NULL;
            }
            q++;
        }
        *out++ = *q;
    }
    *out = '\0';
    for (q++; conf_is_space(*q); q++)
        ;
    if (!is_comment_start(q)) {
        conf_report(p, line, "unexpected text after the closing quote");
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
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || conf_is_digit(c) || c == '_' || c == '-' ||
              c == '.' || c == '@' || c == '/' || c == ':'))
            return 0;
    }
    return 1;
}

static nvr_err key_value(struct parser *p, char *key, char *val, int line)
{
    char e[CONF_ECHO_MAX + 4];
    if (p->kind == SEC_NONE) {
        conf_report(p, line, "key \"%s\" comes before any [section]", key);
        return NVR_OK;
    }
    if (p->kind == SEC_SKIP)
        return NVR_OK;
    if (p->kind == SEC_LDAP && strncmp(key, "grant.", 6) == 0)
        return conf_ldap_grant(p, key, val, line);
    int i = conf_find_key(p->kind, key);
    if (i < 0 && p->kind == SEC_OIDC && strncmp(key, "grant.", 6) == 0)
        return conf_oidc_grant(p, key + 6, val, line);
    if (i < 0) {
        conf_report(p, line, "unknown key \"%s\" in %s", key, p->label);
        return NVR_OK;
    }
    const struct conf_key *k = &conf_keys[i];
    if (p->sec->key_line[i]) {
        conf_report(p, line, "duplicate key \"%s\" in %s (first at line %d)", key, p->label, p->sec->key_line[i]);
        return NVR_OK;
    }
    p->sec->key_line[i] = line;
    nvr_err rc = k->parse(k, val, p->base);
    if (rc == NVR_EINVAL) {
        if (k->flags & KEY_SECRET)
            conf_report(p, line, "%s must be %s", k->name, k->help);
        else
            conf_report(p, line, "%s must be %s, got \"%s\"", k->name, k->help, conf_echo(val, e));
        rc = NVR_OK;
    }
    return rc;
}

static nvr_err parse_line(struct parser *p, const char *text, size_t len, int line)
{
    char buf[CONF_MAX_LINE + 1];
    if (len > CONF_MAX_LINE) {
        conf_report(p, line, "line is longer than %d bytes", CONF_MAX_LINE);
        return NVR_OK;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
            conf_report(p, line, "line contains a control character (0x%02x)", c);
            return NVR_OK;
        }
    }
    if (!valid_utf8((const unsigned char *)text, len)) {
        conf_report(p, line, "line is not valid UTF-8");
        return NVR_OK;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';

    char *s = buf;
    while (conf_is_space(*s))
        s++;
    if (is_comment_start(s))
        return NVR_OK;
    if (*s == '[') {
        char *close = strchr(s, ']'), *after = close ? close + 1 : NULL, *name = s + 1;
        nvr_err rc = close_section(p);
        if (rc)
            return rc;
        while (after && conf_is_space(*after))
            after++;
        if (!close || !is_comment_start(after)) {
            conf_report(p, line, "expected [section], key = value, or a comment");
            return NVR_OK;
        }
        while (conf_is_space(*name))
            name++;
        return open_section(p, trim_end(name, close), line);
    }
    char *eq = strchr(s, '=');
    if (!eq) {
        conf_report(p, line, "expected [section], key = value, or a comment");
        return NVR_OK;
    }
    char *key = trim_end(s, eq), *val = eq + 1;
    if (!valid_key_name(key)) {
        conf_report(p, line, "expected [section], key = value, or a comment");
        return NVR_OK;
    }
    while (conf_is_space(*val))
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
        conf_report(&p, 0, "file is larger than 1 MiB");
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
    conf_check_file(&p);
    if (p.nerrors)
        rc = NVR_ECONFIG;

out:
    if (rc == NVR_ENOMEM)
        conf_report(&p, 0, "out of memory");
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
