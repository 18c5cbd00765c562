/* SPDX-License-Identifier: Apache-2.0 */
/*
 * camera_config.c - the camera settings table and what walks it (see
 * camera_config.h).
 *
 * Nothing here names a setting: every function loops over
 * nvr_camera_settings[] and switches on the kind, so a new row is handled
 * everywhere at once.  Text kinds are owned char * (NULL when unset); the
 * others are plain numbers.
 */
#include "base/camera_config.h"

#include "base/err.h"
#include "base/json.h"
#include "base/url.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NVR_CS_ROW(key, kind, flags, def, min, max, help)                                                              \
    {#key, NVR_CS_##kind, offsetof(struct nvr_camera_config, key), flags, def, min, max, help},

const struct nvr_camera_setting nvr_camera_settings[] = {NVR_CAMERA_SETTINGS(NVR_CS_ROW)};
const size_t nvr_camera_nsettings = sizeof nvr_camera_settings / sizeof nvr_camera_settings[0];

/* the longest value a config line can hold, and room for a redacted password */
#define VALUE_MAX 4200

static const char *const transport_names[] = {[NVR_TRANSPORT_AUTO] = "auto",
                                              [NVR_TRANSPORT_TCP] = "tcp",
                                              [NVR_TRANSPORT_UDP] = "udp",
                                              [NVR_TRANSPORT_HTTP] = "http"};

const char *nvr_transport_name(enum nvr_transport t)
{
    return (size_t)t < sizeof transport_names / sizeof transport_names[0] ? transport_names[t] : "auto";
}

int nvr_transport_parse(const char *s, enum nvr_transport *out)
{
    for (size_t i = 0; i < sizeof transport_names / sizeof transport_names[0]; i++) {
        if (strcasecmp(s, transport_names[i]) == 0) {
            *out = (enum nvr_transport)i;
            return 0;
        }
    }
    return -1;
}

static const char *const msource_names[] = {
    [NVR_MOTION_DETECT] = "detect", [NVR_MOTION_ONVIF] = "onvif", [NVR_MOTION_BOTH] = "both"};

const char *nvr_motion_source_name(enum nvr_motion_source m)
{
    return (size_t)m < sizeof msource_names / sizeof msource_names[0] ? msource_names[m] : "detect";
}

int nvr_motion_source_parse(const char *s, enum nvr_motion_source *out)
{
    for (size_t i = 0; i < sizeof msource_names / sizeof msource_names[0]; i++) {
        if (strcasecmp(s, msource_names[i]) == 0) {
            *out = (enum nvr_motion_source)i;
            return 0;
        }
    }
    return -1;
}

const struct nvr_camera_setting *nvr_camera_setting_find(const char *key)
{
    for (size_t i = 0; i < nvr_camera_nsettings; i++)
        if (strcmp(nvr_camera_settings[i].key, key) == 0)
            return &nvr_camera_settings[i];
    return NULL;
}

int nvr_camera_setting_is_text(const struct nvr_camera_setting *s)
{
    return s->kind == NVR_CS_TEXT || s->kind == NVR_CS_RTSP_URL || s->kind == NVR_CS_HTTP_URL ||
           s->kind == NVR_CS_PATH || s->kind == NVR_CS_RECTS;
}

static char **str_field(const struct nvr_camera_setting *s, struct nvr_camera_config *c)
{
    return (char **)((char *)c + s->offset);
}

const char *nvr_camera_setting_str(const struct nvr_camera_setting *s, const struct nvr_camera_config *c)
{
    return nvr_camera_setting_is_text(s) ? *(char *const *)((const char *)c + s->offset) : NULL;
}

long nvr_camera_setting_num(const struct nvr_camera_setting *s, const struct nvr_camera_config *c)
{
    const char *p = (const char *)c + s->offset;
    switch (s->kind) {
    case NVR_CS_INT:
    case NVR_CS_BOOL: return *(const int *)p;
    case NVR_CS_TRANSPORT: return (long)*(const enum nvr_transport *)p;
    case NVR_CS_MSOURCE: return (long)*(const enum nvr_motion_source *)p;
    default: return 0;
    }
}

static void set_num(const struct nvr_camera_setting *s, struct nvr_camera_config *c, long v)
{
    char *p = (char *)c + s->offset;
    if (s->kind == NVR_CS_TRANSPORT)
        *(enum nvr_transport *)p = (enum nvr_transport)v;
    else if (s->kind == NVR_CS_MSOURCE)
        *(enum nvr_motion_source *)p = (enum nvr_motion_source)v;
    else
        *(int *)p = (int)v;
}

void nvr_camera_config_defaults(struct nvr_camera_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < nvr_camera_nsettings; i++)
        if (!nvr_camera_setting_is_text(&nvr_camera_settings[i]))
            set_num(&nvr_camera_settings[i], c, nvr_camera_settings[i].def);
}

void nvr_camera_config_clear(struct nvr_camera_config *c)
{
    free(c->id);
    for (size_t i = 0; i < nvr_camera_nsettings; i++)
        if (nvr_camera_setting_is_text(&nvr_camera_settings[i]))
            free(*str_field(&nvr_camera_settings[i], c));
    memset(c, 0, sizeof *c);
}

static nvr_err dup_or_null(char **dst, const char *src)
{
    *dst = NULL;
    return src && !(*dst = strdup(src)) ? NVR_ENOMEM : NVR_OK;
}

nvr_err nvr_camera_config_copy(struct nvr_camera_config *dst, const struct nvr_camera_config *src)
{
    int rc = NVR_OK;
    *dst = *src;
    /* first no string is shared, so a failure half way can free what was copied */
    dst->id = NULL;
    for (size_t i = 0; i < nvr_camera_nsettings; i++)
        if (nvr_camera_setting_is_text(&nvr_camera_settings[i]))
            *str_field(&nvr_camera_settings[i], dst) = NULL;
    rc = dup_or_null(&dst->id, src->id);
    for (size_t i = 0; i < nvr_camera_nsettings && rc == NVR_OK; i++) {
        const struct nvr_camera_setting *s = &nvr_camera_settings[i];
        if (nvr_camera_setting_is_text(s))
            rc = dup_or_null(str_field(s, dst), nvr_camera_setting_str(s, src));
    }
    if (rc)
        nvr_camera_config_clear(dst);
    return rc;
}

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* 1 if a and b have the same id and the same value in every row whose
 * flags do not intersect skip. */
static int equal_except(const struct nvr_camera_config *a, const struct nvr_camera_config *b, int skip)
{
    if (!str_eq(a->id, b->id))
        return 0;
    for (size_t i = 0; i < nvr_camera_nsettings; i++) {
        const struct nvr_camera_setting *s = &nvr_camera_settings[i];
        if (s->flags & skip)
            continue;
        if (nvr_camera_setting_is_text(s) ? !str_eq(nvr_camera_setting_str(s, a), nvr_camera_setting_str(s, b))
                                          : nvr_camera_setting_num(s, a) != nvr_camera_setting_num(s, b))
            return 0;
    }
    return 1;
}

int nvr_camera_config_equal(const struct nvr_camera_config *a, const struct nvr_camera_config *b)
{
    return equal_except(a, b, 0);
}

int nvr_camera_config_restart_needed(const struct nvr_camera_config *a, const struct nvr_camera_config *b)
{
    return !equal_except(a, b, NVR_CS_LIVE);
}

void nvr_camera_ini_write(FILE *f, const struct nvr_camera_setting *s, const char *value)
{
    if (s->kind == NVR_CS_INT || s->kind == NVR_CS_BOOL) {
        fprintf(f, "%s = %s\n", s->key, value);
        return;
    }
    fprintf(f, "%s = \"", s->key);
    for (; *value; value++) {
        if (*value == '"' || *value == '\\')
            fputc('\\', f);
        fputc(*value, f);
    }
    fputs("\"\n", f);
}

int nvr_camera_setting_write_ini(FILE *f, const struct nvr_camera_setting *s, const struct nvr_camera_config *c)
{
    char num[32];
    const char *v;
    long n = nvr_camera_setting_num(s, c);
    switch (s->kind) {
    case NVR_CS_INT:
        snprintf(num, sizeof num, "%ld", n);
        v = num;
        break;
    case NVR_CS_BOOL: v = n ? "yes" : "no"; break;
    case NVR_CS_TRANSPORT: v = nvr_transport_name((enum nvr_transport)n); break;
    case NVR_CS_MSOURCE: v = nvr_motion_source_name((enum nvr_motion_source)n); break;
    default: v = nvr_camera_setting_str(s, c); break;
    }
    if (!v)
        return 0;
    nvr_camera_ini_write(f, s, v);
    return 1;
}

void nvr_camera_config_write_ini(FILE *f, const struct nvr_camera_config *c)
{
    for (size_t i = 0; i < nvr_camera_nsettings; i++)
        nvr_camera_setting_write_ini(f, &nvr_camera_settings[i], c);
}

void nvr_camera_config_write_json(struct json_w *w, const struct nvr_camera_config *c)
{
    char red[VALUE_MAX];
    for (size_t i = 0; i < nvr_camera_nsettings; i++) {
        const struct nvr_camera_setting *s = &nvr_camera_settings[i];
        long n = nvr_camera_setting_num(s, c);
        const char *v = nvr_camera_setting_str(s, c);
        switch (s->kind) {
        case NVR_CS_INT: json_w_int(w, s->key, n); break;
        case NVR_CS_BOOL: json_w_bool(w, s->key, (int)n); break;
        case NVR_CS_TRANSPORT: json_w_string(w, s->key, nvr_transport_name((enum nvr_transport)n)); break;
        case NVR_CS_MSOURCE: json_w_string(w, s->key, nvr_motion_source_name((enum nvr_motion_source)n)); break;
        default:
            if (v && (s->flags & NVR_CS_SECRET)) {
                nvr_url_redact(v, red, sizeof red);
                v = red;
            }
            json_w_string(w, s->key, v);
            break;
        }
    }
}

/* One number from 0 to 1 at *p (after white space); advances *p. */
static int rect_number(const char **p, double *v)
{
    char *end;
    while (**p == ' ' || **p == '\t')
        (*p)++;
    if (!((**p >= '0' && **p <= '9') || **p == '.'))
        return -1;
    *v = strtod(*p, &end);
    if (end == *p || !(*v >= 0.0 && *v <= 1.0))
        return -1;
    *p = end;
    while (**p == ' ' || **p == '\t')
        (*p)++;
    return 0;
}

nvr_err nvr_rects_parse(const char *s, struct nvr_rect *out, int max, int *n)
{
    const char *p = s;
    *n = 0;
    for (;;) {
        double v[4];
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        for (int i = 0; i < 4; i++) {
            if (rect_number(&p, &v[i]))
                return NVR_EINVAL;
            if (i < 3 && *p++ != ',')
                return NVR_EINVAL;
        }
        if (!(v[0] < v[2] && v[1] < v[3]) || *n >= max)
            return NVR_EINVAL;
        out[(*n)++] = (struct nvr_rect){v[0], v[1], v[2], v[3]};
        if (*p == ';')
            p++;
        else if (*p != '\0')
            return NVR_EINVAL;
    }
    return *n > 0 ? NVR_OK : NVR_EINVAL;
}
