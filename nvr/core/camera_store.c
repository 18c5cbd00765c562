/* SPDX-License-Identifier: Apache-2.0 */
/*
 * camera_store.c - cameras from the config file and from the API (see
 * camera_store.h, docs/design/cameras.md).
 */
#include "core/camera_store.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "core/cameras.h"
#include "core/nvr.h"
#include "storage/api_cameras.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PSEUDO_PATH "camera"

nvr_err camera_store_parse(const char *id, const char *ini, struct nvr_config **out, char *err, size_t errlen)
{
    char *text = NULL, *msgs = NULL;
    size_t tlen = 0, mlen = 0;
    FILE *t = open_memstream(&text, &tlen), *m = NULL;
    int rc = NVR_ENOMEM;
    *out = NULL;
    err[0] = '\0';
    if (!t)
        return NVR_ENOMEM;
    /* the one section under test, behind the minimum a config needs */
    fprintf(t, "[server]\ndata_dir = /\n[camera %s]\n%s", id, ini);
    fclose(t);
    if (!(m = open_memstream(&msgs, &mlen)))
        goto out;
    rc = nvr_config_parse(PSEUDO_PATH, text, tlen, out, m);
    fclose(m);
    m = NULL;
    if (rc == NVR_OK && (*out)->ncameras != 1) {
        nvr_config_free(out);
        rc = NVR_ECONFIG;
        snprintf(err, errlen, "exactly one camera expected");
    } else if (rc) {
        /* "camera:4: message" -> "message", lines joined with "; " */
        size_t k = 0;
        for (char *save = NULL, *line = strtok_r(msgs, "\n", &save); line && k + 1 < errlen;
             line = strtok_r(NULL, "\n", &save)) {
            char *p = line;
            if (strncmp(p, PSEUDO_PATH ":", sizeof PSEUDO_PATH) == 0) {
                p += sizeof PSEUDO_PATH;
                p += strspn(p, "0123456789");
                if (*p == ':')
                    p++;
                p += strspn(p, " ");
            }
            k += (size_t)snprintf(err + k, errlen - k, "%s%s", k ? "; " : "", p);
        }
    }
out:
    if (m)
        fclose(m);
    free(text);
    free(msgs);
    return rc;
}

int camera_store_known(const struct nvr_config *cfg, struct storage *st, const char *id)
{
    struct api_camera_row *rows = NULL;
    size_t n = 0;
    int found = nvr_config_camera(cfg, id) != NULL;
    if (!found && st && api_cameras_list(storage_index(st), &rows, &n) == NVR_OK)
        for (size_t i = 0; i < n && !found; i++)
            found = strcmp(rows[i].id, id) == 0;
    api_cameras_free(&rows, n);
    return found;
}

nvr_err camera_store_load(struct nvr *nvr)
{
    struct api_camera_row *rows = NULL;
    size_t n = 0;
    char err[512];
    int rc = api_cameras_list(storage_index(nvr->st), &rows, &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct nvr_config *one = NULL;
        if (cameras_find(nvr->cams, rows[i].id)) {
            nvr_log(NVR_WARN, rows[i].id, "camera stored over the API is also in %s: the file wins", nvr->cfg->path);
            continue;
        }
        if (camera_store_parse(rows[i].id, rows[i].ini, &one, err, sizeof err)) {
            nvr_log(NVR_ERROR, rows[i].id, "stored camera is invalid and not recorded error=\"%s\"", err);
            continue;
        }
        if ((rc = cameras_add(nvr->cams, &one->cameras[0], CAMERA_API)))
            nvr_log(NVR_ERROR, rows[i].id, "cannot start recorder error=\"%s\"", nvr_strerror(rc));
        nvr_config_free(&one);
    }
    api_cameras_free(&rows, n);
    return NVR_OK;
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void reload_file(struct nvr *nvr);

void camera_store_reload_file(struct nvr *nvr)
{
    cameras_edit_begin(nvr->cams);
    reload_file(nvr);
    cameras_edit_end(nvr->cams);
}

static void reload_file(struct nvr *nvr)
{
    struct nvr_config *cfg = NULL;
    int added = 0, changed = 0, removed = 0;
    nvr_log(NVR_INFO, NULL, "SIGHUP: reloading path=%s", nvr->cfg->path);
    char *msgs = NULL;
    size_t mlen = 0;
    FILE *m = open_memstream(&msgs, &mlen);
    int rc = nvr_config_load(nvr->cfg->path, &cfg, m);
    if (m)
        fclose(m);
    if (rc) {
        for (char *save = NULL, *line = msgs ? strtok_r(msgs, "\n", &save) : NULL; line;
             line = strtok_r(NULL, "\n", &save))
            nvr_log(NVR_ERROR, NULL, "reload refused: %s", line);
        free(msgs);
        return;
    }
    free(msgs);
    if (!same_text(cfg->listen_host, nvr->cfg->listen_host) || cfg->listen_port != nvr->cfg->listen_port ||
        !same_text(cfg->data_dir, nvr->cfg->data_dir) || !same_text(cfg->tls_cert, nvr->cfg->tls_cert) ||
        !same_text(cfg->tls_key, nvr->cfg->tls_key) || cfg->max_bytes != nvr->cfg->max_bytes ||
        cfg->min_free_pct != nvr->cfg->min_free_pct || cfg->min_free_bytes != nvr->cfg->min_free_bytes ||
        cfg->allow_plain_http != nvr->cfg->allow_plain_http || cfg->http_threads != nvr->cfg->http_threads)
        nvr_log(NVR_WARN, NULL, "reload: [server] and [storage] changes take effect at the next restart");
    /* file cameras that are gone */
    for (size_t i = 0, ns = cameras_slots(nvr->cams); i < ns; i++) {
        const struct camera *c = cameras_at(nvr->cams, i);
        if (c && c->source == CAMERA_FILE && !nvr_config_camera(cfg, c->cfg.id)) {
            char id[INDEX_ID_MAX];
            snprintf(id, sizeof id, "%s", c->cfg.id);
            if (cameras_remove(nvr->cams, id) == NVR_OK)
                removed++;
        }
    }
    /* new and changed ones */
    for (size_t i = 0; i < cfg->ncameras; i++) {
        const struct nvr_camera_config *want = &cfg->cameras[i];
        const struct camera *c = cameras_find(nvr->cams, want->id);
        if (!c) {
            if (cameras_add(nvr->cams, want, CAMERA_FILE) == NVR_OK)
                added++;
        } else if (c->source == CAMERA_API || !cameras_config_equal(&c->cfg, want)) {
            if (c->source == CAMERA_API)
                nvr_log(NVR_WARN, want->id, "camera now declared in %s: the file wins over the API", cfg->path);
            if (cameras_replace(nvr->cams, want, CAMERA_FILE) == NVR_OK)
                changed++;
        }
    }
    nvr_log(NVR_INFO, NULL, "reloaded cameras added=%d changed=%d removed=%d", added, changed, removed);
    nvr_config_free(&cfg); /* the set holds copies; nvr->cfg keeps the server settings it started with */
}

/* What an API edit of id may do to the set as it is now (edit lock held). */
static nvr_err may_edit(struct nvr *nvr, const char *id, int exists)
{
    const struct camera *c = cameras_find(nvr->cams, id);
    if (!exists)
        return c ? NVR_EEXIST : NVR_OK;
    if (!c)
        return NVR_ENOTFOUND;
    return c->source == CAMERA_FILE ? NVR_EACCES : NVR_OK;
}

nvr_err camera_store_save(struct nvr *nvr, const char *id, const char *ini, int replace, char *err, size_t errlen)
{
    struct nvr_config *one = NULL;
    int rc = camera_store_parse(id, ini, &one, err, errlen);
    if (rc)
        return NVR_EINVAL;
    cameras_edit_begin(nvr->cams);
    if ((rc = may_edit(nvr, id, replace)) == NVR_OK &&
        (rc = api_cameras_put(storage_index(nvr->st), id, ini, nvr_clock_now_us())) == NVR_OK) {
        rc = replace ? cameras_replace(nvr->cams, &one->cameras[0], CAMERA_API)
                     : cameras_add(nvr->cams, &one->cameras[0], CAMERA_API);
        if (rc && !replace) /* this call stored it: no camera of that id runs */
            api_cameras_delete(storage_index(nvr->st), id);
    }
    cameras_edit_end(nvr->cams);
    if (rc)
        snprintf(err, errlen, "%s", nvr_strerror(rc));
    nvr_config_free(&one);
    return rc;
}

nvr_err camera_store_delete(struct nvr *nvr, const char *id)
{
    cameras_edit_begin(nvr->cams);
    int rc = may_edit(nvr, id, 1);
    if (rc == NVR_OK && (rc = api_cameras_delete(storage_index(nvr->st), id)) == NVR_OK)
        rc = cameras_remove(nvr->cams, id);
    cameras_edit_end(nvr->cams);
    return rc;
}
