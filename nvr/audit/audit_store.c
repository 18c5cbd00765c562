/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_store.c - the stored observations of the audit, data_dir/audit.json
 * (see audit.h), written through storage/documents (atomic replace).
 *
 * Format (version 1):
 *   {"version":1,"cameras":{"ID":{"probed_at":T,"signals":[{"signal":S,"value":V}]}}}
 * Only raw signals are stored; verdicts are recomputed from them with the
 * current vendor data file at every report.  The file is read back with
 * jansson; anything unexpected in it makes it NVR_ECORRUPT rather than
 * half-read.  Not shared between threads: the caller owns a struct audit_store.
 */
#include "audit/audit.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "storage/documents.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define STORE_NAME "audit.json"
#define STORE_MAX (16 * 1024 * 1024)

void audit_store_clear(struct audit_store *st)
{
    free(st->cams);
    st->cams = NULL;
    st->n = 0;
}

const struct audit_camera *audit_store_get(const struct audit_store *st, const char *id)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->cams[i].id, id) == 0)
            return &st->cams[i];
    return NULL;
}

nvr_err audit_store_put(struct audit_store *st, const struct audit_camera *c)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->cams[i].id, c->id) == 0) {
            st->cams[i] = *c;
            return NVR_OK;
        }
    struct audit_camera *n = realloc(st->cams, (st->n + 1) * sizeof *n);
    if (!n)
        return NVR_ENOMEM;
    st->cams = n;
    st->cams[st->n++] = *c;
    return NVR_OK;
}

/* The first failure a probe recorded ("onvif_error: ..."), for last_probe. */
static void first_error(const struct audit_camera *c, char *out, size_t cap)
{
    snprintf(out, cap, "no answer");
    for (size_t i = 0; i < c->n; i++) {
        size_t n = strlen(c->s[i].name);
        if (n > 6 && strcmp(c->s[i].name + n - 6, "_error") == 0) {
            snprintf(out, cap, "%s: %s", c->s[i].name, c->s[i].value);
            return;
        }
    }
}

nvr_err audit_store_put_probe(struct audit_store *st, const struct vendors *v, const struct audit_camera *fresh)
{
    const struct audit_camera *old = audit_store_get(st, fresh->id);
    struct audit_result *res = malloc(sizeof *res);
    struct audit_camera *kept = NULL;
    int rc = NVR_ENOMEM;
    if (!res)
        goto out;
    audit_classify(v, fresh, res);
    int keep_old = 0;
    if (res->verdict == AUDIT_UNKNOWN && old) {
        audit_classify(v, old, res);
        keep_old = res->verdict != AUDIT_UNKNOWN;
    }
    if (!keep_old) {
        rc = audit_store_put(st, fresh);
        goto out;
    }
    /* the camera said nothing this time: keep what identified it */
    if (!(kept = malloc(sizeof *kept)))
        goto out;
    *kept = *old;
    char when[NVR_TIME_BUFSZ], err[96], value[AUDIT_VALUE_MAX]; /* err: cut to fit */
    nvr_clock_format_rfc3339(fresh->probed_us, when);
    first_error(fresh, err, sizeof err);
    snprintf(value, sizeof value, "%s: nothing identified (%s); the evidence is from the probe before", when, err);
    size_t i = 0;
    while (i < kept->n && strcmp(kept->s[i].name, "last_probe") != 0)
        i++;
    if (i < kept->n) { /* an earlier failed probe: this one replaces it */
        snprintf(kept->s[i].value, sizeof kept->s[i].value, "%s", value);
    } else {
        if (kept->n == AUDIT_MAX_SIGNALS)
            kept->n--; /* full: the last signal makes room */
        audit_camera_add(kept, "last_probe", value);
    }
    rc = audit_store_put(st, kept);
out:
    free(kept);
    free(res);
    return rc;
}

nvr_err audit_store_load(const char *data_dir, struct audit_store *st)
{
    char *text = NULL;
    size_t len = 0;
    json_t *root = NULL;
    int rc;
    memset(st, 0, sizeof *st);
    rc = storage_document_get(data_dir, STORE_NAME, STORE_MAX, &text, &len);
    if (rc == NVR_ENOTFOUND)
        return NVR_OK;
    if (rc)
        return rc;
    rc = NVR_ECORRUPT;
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *cams = json_object_get(root, "cameras");
    if (!json_is_object(root) || json_integer_value(json_object_get(root, "version")) != 1 || !json_is_object(cams))
        goto out;
    const char *id;
    json_t *o;
    json_object_foreach(cams, id, o)
    {
        struct audit_camera c;
        memset(&c, 0, sizeof c);
        json_t *when = json_object_get(o, "probed_at"), *sigs = json_object_get(o, "signals");
        if (strlen(id) >= sizeof c.id || !json_is_string(when) ||
            nvr_clock_parse_rfc3339(json_string_value(when), &c.probed_us) || !json_is_array(sigs))
            goto out;
        snprintf(c.id, sizeof c.id, "%s", id);
        size_t i;
        json_t *s;
        json_array_foreach(sigs, i, s)
        {
            json_t *name = json_object_get(s, "signal"), *value = json_object_get(s, "value");
            if (!json_is_string(name) || !json_is_string(value))
                goto out;
            audit_camera_add(&c, json_string_value(name), json_string_value(value));
        }
        if ((rc = audit_store_put(st, &c)))
            goto out;
        rc = NVR_ECORRUPT;
    }
    rc = NVR_OK;
out:
    if (rc)
        audit_store_clear(st);
    json_decref(root);
    free(text);
    return rc;
}

nvr_err audit_store_save(const char *data_dir, const struct audit_store *st)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc;
    if (!f)
        return NVR_ENOMEM;
    fputs("{\"version\":1,\"cameras\":{", f);
    for (size_t i = 0; i < st->n; i++) {
        const struct audit_camera *c = &st->cams[i];
        fputs(i ? ",\n" : "\n", f);
        json_write_string(f, c->id);
        fputs(":{\"probed_at\":", f);
        json_write_time(f, c->probed_us);
        fputs(",\"signals\":[", f);
        for (size_t k = 0; k < c->n; k++) {
            fputs(k ? ",{\"signal\":" : "{\"signal\":", f);
            json_write_string(f, c->s[k].name);
            fputs(",\"value\":", f);
            json_write_string(f, c->s[k].value);
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs("\n}}\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return NVR_ENOMEM;
    }
    rc = storage_document_put(data_dir, STORE_NAME, buf, len);
    free(buf);
    return rc;
}
