/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c - JSON output helpers (see json.h).
 */
#include "base/json.h"

#include "base/clock.h"

#include <math.h>

void json_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void json_write_time(FILE *f, int64_t us)
{
    char buf[NVR_TIME_BUFSZ];
    nvr_clock_format_rfc3339(us, buf);
    fprintf(f, "\"%s\"", buf);
}

/* ---- the writer ---- */

void json_w_init(struct json_w *w, FILE *f)
{
    w->f = f;
    w->depth = 0;
    w->used[0] = 0;
}

/* The separator and the key before a value at the current depth. */
static void member(struct json_w *w, const char *key)
{
    if (w->used[w->depth])
        fputc(',', w->f);
    w->used[w->depth] = 1;
    if (key && w->depth > 0) {
        json_write_string(w->f, key);
        fputc(':', w->f);
    }
}

static void open_container(struct json_w *w, const char *key, char c)
{
    member(w, key);
    fputc(c, w->f);
    if (w->depth < JSON_W_MAX_DEPTH)
        w->used[++w->depth] = 0;
}

static void close_container(struct json_w *w, char c)
{
    fputc(c, w->f);
    if (w->depth > 0)
        w->depth--;
}

void json_w_object(struct json_w *w, const char *key)
{
    open_container(w, key, '{');
}

void json_w_array(struct json_w *w, const char *key)
{
    open_container(w, key, '[');
}

void json_w_end_object(struct json_w *w)
{
    close_container(w, '}');
}

void json_w_end_array(struct json_w *w)
{
    close_container(w, ']');
}

void json_w_string(struct json_w *w, const char *key, const char *s)
{
    member(w, key);
    if (s)
        json_write_string(w->f, s);
    else
        fputs("null", w->f);
}

void json_w_int(struct json_w *w, const char *key, long long v)
{
    member(w, key);
    fprintf(w->f, "%lld", v);
}

void json_w_uint(struct json_w *w, const char *key, unsigned long long v)
{
    member(w, key);
    fprintf(w->f, "%llu", v);
}

void json_w_bool(struct json_w *w, const char *key, int v)
{
    member(w, key);
    fputs(v ? "true" : "false", w->f);
}

void json_w_null(struct json_w *w, const char *key)
{
    member(w, key);
    fputs("null", w->f);
}

void json_w_fixed(struct json_w *w, const char *key, double v, int decimals)
{
    member(w, key);
    if (isfinite(v))
        fprintf(w->f, "%.*f", decimals, v);
    else
        fputs("null", w->f);
}

void json_w_time(struct json_w *w, const char *key, int64_t us)
{
    member(w, key);
    json_write_time(w->f, us);
}
