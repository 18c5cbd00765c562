/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact_doc.c - parsing and writing the redactions document (see
 * redact_doc.h).  jansson reads the JSON (duplicate keys refused); the
 * checks here walk it member by member, so each error can name its field.
 */
#include "redact/redact_doc.h"

#include "base/clock.h"
#include "base/json.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"blur", "pixelate", "fill"};

const char *redact_mode_name(enum redact_mode m)
{
    return (unsigned)m < 3 ? mode_names[m] : "fill";
}

__attribute__((format(printf, 3, 4))) static nvr_err fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return NVR_EINVAL;
}

static nvr_err get_time(json_t *o, const char *key, const char *where, int64_t *us, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return fail(err, errlen, "%s.%s: missing (an RFC 3339 time, e.g. 2026-11-22T04:00:00Z)", where, key);
    if (!json_is_string(v) || nvr_clock_parse_rfc3339(json_string_value(v), us) != NVR_OK)
        return fail(err, errlen, "%s.%s: not an RFC 3339 time (e.g. 2026-11-22T04:00:00Z)", where, key);
    return NVR_OK;
}

static nvr_err get_box(json_t *v, const char *where, double box[4], char *err, size_t errlen)
{
    if (!json_is_array(v) || json_array_size(v) != 4)
        return fail(err, errlen, "%s: must be [x0, y0, x1, y1], four numbers in 0..1", where);
    for (size_t i = 0; i < 4; i++) {
        json_t *n = json_array_get(v, i);
        if (!json_is_number(n))
            return fail(err, errlen, "%s[%zu]: not a number", where, i);
        double x = json_number_value(n);
        if (!isfinite(x) || x < 0 || x > 1)
            return fail(err, errlen, "%s[%zu]: %g is outside 0..1 (frame coordinates)", where, i, x);
        box[i] = x;
    }
    if (!(box[0] < box[2]) || !(box[1] < box[3]))
        return fail(err, errlen, "%s: x0 < x1 and y0 < y1 are needed (an empty box hides nothing)", where);
    return NVR_OK;
}

static nvr_err get_camera(json_t *o, const char *where, char camera[INDEX_ID_MAX], char *err, size_t errlen)
{
    json_t *v = json_object_get(o, "camera");
    camera[0] = '\0';
    if (!v)
        return NVR_OK;
    const char *s = json_string_value(v);
    if (!s || !s[0] || strlen(s) >= INDEX_ID_MAX || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(s))
        return fail(err, errlen, "%s.camera: not a camera id ([a-z0-9_-], at most %d characters)", where,
                    INDEX_ID_MAX - 1);
    snprintf(camera, INDEX_ID_MAX, "%s", s);
    return NVR_OK;
}

/* Members of o not in allowed (NULL-terminated) are errors. */
static nvr_err only_keys(json_t *o, const char *where, const char *const *allowed, char *err, size_t errlen)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        int ok = 0;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(k, allowed[i]) == 0;
        if (!ok)
            return fail(err, errlen, "%s.%s: unknown member", where, k);
    }
    return NVR_OK;
}

static int utf8_ok(const char *s)
{
    json_t *t = json_string(s); /* jansson refuses invalid UTF-8 */
    int ok = t != NULL;
    json_decref(t);
    return ok;
}

static nvr_err parse_shape(json_t *o, size_t i, struct redact_shape *s, size_t *total_keys, char *err, size_t errlen)
{
    static const char *const keys[] = {"start",  "end",       "box",    "mode", "invert",
                                       "camera", "keyframes", "source", "by",   NULL};
    char where[40];
    snprintf(where, sizeof where, "shapes[%zu]", i);
    if (!json_is_object(o))
        return fail(err, errlen, "%s: not an object", where);
    int rc;
    if ((rc = only_keys(o, where, keys, err, errlen)) ||
        (rc = get_time(o, "start", where, &s->start_us, err, errlen)) ||
        (rc = get_time(o, "end", where, &s->end_us, err, errlen)) ||
        (rc = get_camera(o, where, s->camera, err, errlen)))
        return rc;
    if (s->end_us <= s->start_us)
        return fail(err, errlen, "%s.end: must be after start", where);
    json_t *mode = json_object_get(o, "mode");
    const char *m = json_string_value(mode);
    if (!mode)
        return fail(err, errlen, "%s.mode: missing (blur, pixelate or fill)", where);
    s->mode = m && strcmp(m, "blur") == 0       ? REDACT_BLUR
              : m && strcmp(m, "pixelate") == 0 ? REDACT_PIXELATE
              : m && strcmp(m, "fill") == 0     ? REDACT_FILL
                                                : (enum redact_mode) - 1;
    if ((int)s->mode < 0)
        return fail(err, errlen, "%s.mode: must be \"blur\", \"pixelate\" or \"fill\"", where);
    json_t *inv = json_object_get(o, "invert");
    if (inv && !json_is_boolean(inv))
        return fail(err, errlen, "%s.invert: must be true or false", where);
    s->invert = inv && json_is_true(inv);
    json_t *src = json_object_get(o, "source");
    if (src) {
        const char *v = json_string_value(src);
        if (!v || (strcmp(v, "manual") != 0 && strcmp(v, "assisted") != 0))
            return fail(err, errlen, "%s.source: must be \"manual\" or \"assisted\"", where);
        s->assisted = strcmp(v, "assisted") == 0;
    }
    json_t *by = json_object_get(o, "by");
    if (by) {
        const char *v = json_string_value(by);
        if (!v || strlen(v) >= REDACT_BY_MAX || !utf8_ok(v))
            return fail(err, errlen, "%s.by: must be a name of at most %d bytes", where, REDACT_BY_MAX - 1);
        snprintf(s->by, sizeof s->by, "%s", v);
    }
    json_t *kf = json_object_get(o, "keyframes"), *box = json_object_get(o, "box");
    if (!box && !kf)
        return fail(err, errlen, "%s.box: missing (or give keyframes)", where);
    if (box) {
        char w[48];
        snprintf(w, sizeof w, "%s.box", where);
        if ((rc = get_box(box, w, s->box, err, errlen)))
            return rc;
    }
    if (kf) {
        size_t n = json_array_size(kf);
        if (!json_is_array(kf) || n == 0)
            return fail(err, errlen, "%s.keyframes: must be a non-empty array of {\"time\", \"box\"}", where);
        if (*total_keys + n > REDACT_MAX_KEYFRAMES)
            return fail(err, errlen, "%s.keyframes: more than %d keyframes in the document", where,
                        REDACT_MAX_KEYFRAMES);
        *total_keys += n;
        if (!(s->keys = calloc(n, sizeof *s->keys)))
            return NVR_ENOMEM;
        for (size_t k = 0; k < n; k++) {
            static const char *const kkeys[] = {"time", "box", NULL};
            char w[96], wb[112];
            json_t *e = json_array_get(kf, k);
            snprintf(w, sizeof w, "%s.keyframes[%zu]", where, k);
            snprintf(wb, sizeof wb, "%s.box", w);
            if (!json_is_object(e))
                return fail(err, errlen, "%s: not an object", w);
            if ((rc = only_keys(e, w, kkeys, err, errlen)) ||
                (rc = get_time(e, "time", w, &s->keys[k].t_us, err, errlen)))
                return rc;
            if (!json_object_get(e, "box"))
                return fail(err, errlen, "%s.box: missing", w);
            if ((rc = get_box(json_object_get(e, "box"), wb, s->keys[k].box, err, errlen)))
                return rc;
            if (k && s->keys[k].t_us <= s->keys[k - 1].t_us)
                return fail(err, errlen, "%s.time: keyframes must be in increasing time order", w);
            s->nkeys = k + 1;
        }
        if (!box)
            memcpy(s->box, s->keys[0].box, sizeof s->box);
    }
    return NVR_OK;
}

nvr_err redact_doc_new(struct redact_doc **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? NVR_OK : NVR_ENOMEM;
}

nvr_err redact_doc_parse(const char *text, size_t len, struct redact_doc **out, char *err, size_t errlen)
{
    static const char *const top[] = {"shapes", "mute", NULL};
    struct redact_doc *d = NULL;
    json_error_t jerr;
    json_t *root = NULL;
    int rc;
    *out = NULL;
    err[0] = '\0';
    if (len > REDACT_DOC_MAX_FILE)
        return fail(err, errlen, "the document is larger than %d bytes", REDACT_DOC_MAX_FILE);
    if (!(root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr))) {
        rc = fail(err, errlen, "not JSON: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
        goto out;
    }
    if (!json_is_object(root)) {
        rc = fail(err, errlen, "the document must be an object {\"shapes\": [...], \"mute\": [...]}");
        goto out;
    }
    if ((rc = only_keys(root, "document", top, err, errlen)))
        goto out;
    json_t *shapes = json_object_get(root, "shapes"), *mute = json_object_get(root, "mute");
    if ((shapes && !json_is_array(shapes)) || (mute && !json_is_array(mute))) {
        rc = fail(err, errlen, "%s: must be an array", shapes && !json_is_array(shapes) ? "shapes" : "mute");
        goto out;
    }
    size_t ns = json_array_size(shapes), nm = json_array_size(mute), total_keys = 0;
    if (ns + nm == 0) {
        rc = fail(err, errlen, "shapes: the document redacts nothing (no shapes and no mute ranges)");
        goto out;
    }
    if (ns > REDACT_MAX_SHAPES || nm > REDACT_MAX_MUTES) {
        rc = fail(err, errlen, "%s: at most %d entries", ns > REDACT_MAX_SHAPES ? "shapes" : "mute",
                  ns > REDACT_MAX_SHAPES ? REDACT_MAX_SHAPES : REDACT_MAX_MUTES);
        goto out;
    }
    rc = NVR_ENOMEM;
    if (!(d = calloc(1, sizeof *d)) || (ns && !(d->shapes = calloc(ns, sizeof *d->shapes))) ||
        (nm && !(d->mutes = calloc(nm, sizeof *d->mutes))))
        goto out;
    for (size_t i = 0; i < ns; i++) {
        d->nshapes = i + 1; /* so redact_doc_free frees this one's keys */
        if ((rc = parse_shape(json_array_get(shapes, i), i, &d->shapes[i], &total_keys, err, errlen)))
            goto out;
    }
    for (size_t i = 0; i < nm; i++) {
        static const char *const mkeys[] = {"start", "end", "camera", NULL};
        char where[32];
        json_t *o = json_array_get(mute, i);
        struct redact_mute *m = &d->mutes[i];
        snprintf(where, sizeof where, "mute[%zu]", i);
        if (!json_is_object(o)) {
            rc = fail(err, errlen, "%s: not an object", where);
            goto out;
        }
        if ((rc = only_keys(o, where, mkeys, err, errlen)) ||
            (rc = get_time(o, "start", where, &m->start_us, err, errlen)) ||
            (rc = get_time(o, "end", where, &m->end_us, err, errlen)) ||
            (rc = get_camera(o, where, m->camera, err, errlen)))
            goto out;
        if (m->end_us <= m->start_us) {
            rc = fail(err, errlen, "%s.end: must be after start", where);
            goto out;
        }
        d->nmutes = i + 1;
    }
    *out = d;
    d = NULL;
    rc = NVR_OK;
out:
    if (rc == NVR_ENOMEM && !err[0])
        snprintf(err, errlen, "out of memory");
    redact_doc_free(&d);
    json_decref(root);
    return rc;
}

nvr_err redact_doc_add_shape(struct redact_doc *d, const struct redact_shape *s)
{
    if (d->nshapes >= REDACT_MAX_SHAPES)
        return NVR_EINVAL;
    struct redact_shape *v = realloc(d->shapes, (d->nshapes + 1) * sizeof *v);
    if (!v)
        return NVR_ENOMEM;
    d->shapes = v;
    struct redact_shape *n = &d->shapes[d->nshapes];
    *n = *s;
    n->keys = NULL;
    n->nkeys = 0;
    if (s->nkeys) {
        if (!(n->keys = malloc(s->nkeys * sizeof *n->keys)))
            return NVR_ENOMEM;
        memcpy(n->keys, s->keys, s->nkeys * sizeof *n->keys);
        n->nkeys = s->nkeys;
    }
    d->nshapes++;
    return NVR_OK;
}

void redact_doc_free(struct redact_doc **dp)
{
    struct redact_doc *d = *dp;
    if (!d)
        return;
    for (size_t i = 0; i < d->nshapes; i++)
        free(d->shapes[i].keys);
    free(d->shapes);
    free(d->mutes);
    free(d);
    *dp = NULL;
}

void redact_doc_set_default_by(struct redact_doc *d, const char *name)
{
    for (size_t i = 0; i < d->nshapes; i++)
        if (!d->shapes[i].by[0])
            snprintf(d->shapes[i].by, sizeof d->shapes[i].by, "%s", name);
}

void redact_shape_box_at(const struct redact_shape *s, int64_t t, double box[4])
{
    if (!s->nkeys) {
        memcpy(box, s->box, 4 * sizeof *box);
        return;
    }
    const struct redact_key *k = s->keys;
    if (t <= k[0].t_us) {
        memcpy(box, k[0].box, 4 * sizeof *box);
        return;
    }
    if (t >= k[s->nkeys - 1].t_us) {
        memcpy(box, k[s->nkeys - 1].box, 4 * sizeof *box);
        return;
    }
    size_t lo = 0, hi = s->nkeys - 1; /* k[lo].t <= t < k[hi].t */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (k[mid].t_us <= t)
            lo = mid;
        else
            hi = mid;
    }
    double a = (double)(t - k[lo].t_us) / (double)(k[hi].t_us - k[lo].t_us);
    for (int i = 0; i < 4; i++)
        box[i] = k[lo].box[i] + a * (k[hi].box[i] - k[lo].box[i]);
}

int redact_shape_active(const struct redact_shape *s, const char *camera, int64_t t)
{
    return t >= s->start_us && t < s->end_us && (!s->camera[0] || strcmp(s->camera, camera) == 0);
}

int redact_mute_active(const struct redact_mute *m, const char *camera, int64_t t)
{
    return t >= m->start_us && t < m->end_us && (!m->camera[0] || strcmp(m->camera, camera) == 0);
}

static void write_box(struct json_w *w, const char *key, const double b[4])
{
    json_w_array(w, key);
    for (int i = 0; i < 4; i++)
        json_w_fixed(w, NULL, b[i], 6);
    json_w_end_array(w);
}

void redact_doc_write(FILE *f, const struct redact_doc *d)
{
    struct json_w w;
    json_w_init(&w, f);
    json_w_object(&w, NULL);
    json_w_array(&w, "shapes");
    for (size_t i = 0; i < d->nshapes; i++) {
        const struct redact_shape *s = &d->shapes[i];
        json_w_object(&w, NULL);
        json_w_time(&w, "start", s->start_us);
        json_w_time(&w, "end", s->end_us);
        write_box(&w, "box", s->box);
        json_w_string(&w, "mode", redact_mode_name(s->mode));
        json_w_bool(&w, "invert", s->invert);
        if (s->camera[0])
            json_w_string(&w, "camera", s->camera);
        if (s->nkeys) {
            json_w_array(&w, "keyframes");
            for (size_t k = 0; k < s->nkeys; k++) {
                json_w_object(&w, NULL);
                json_w_time(&w, "time", s->keys[k].t_us);
                write_box(&w, "box", s->keys[k].box);
                json_w_end_object(&w);
            }
            json_w_end_array(&w);
        }
        json_w_string(&w, "source", s->assisted ? "assisted" : "manual");
        json_w_string(&w, "by", s->by);
        json_w_end_object(&w);
    }
    json_w_end_array(&w);
    json_w_array(&w, "mute");
    for (size_t i = 0; i < d->nmutes; i++) {
        json_w_object(&w, NULL);
        json_w_time(&w, "start", d->mutes[i].start_us);
        json_w_time(&w, "end", d->mutes[i].end_us);
        if (d->mutes[i].camera[0])
            json_w_string(&w, "camera", d->mutes[i].camera);
        json_w_end_object(&w);
    }
    json_w_end_array(&w);
    json_w_end_object(&w);
    fputc('\n', f);
}
