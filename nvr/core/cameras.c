/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cameras.c - the changing set of recorded cameras (see cameras.h).
 */
#include "core/cameras.h"

#include "base/err.h"
#include "base/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct cameras {
    struct storage *st;
    struct retention *ret;
    struct motion_pool *motion; /* may be NULL */
    pthread_mutex_t mu;         /* serialises writers */
    pthread_mutex_t edit;       /* serialises edits of several steps (cameras_edit_begin) */
    struct camera *slots;       /* CAMERAS_MAX_SLOTS, never moved */
    atomic_size_t nslots;       /* published slots (release/acquire) */
};

/* Free, copy and equality walk the camera settings table (base/camera_config.h). */
int cameras_config_equal(const struct nvr_camera_config *a, const struct nvr_camera_config *b)
{
    return nvr_camera_config_equal(a, b);
}

nvr_err cameras_create(struct cameras **out, struct storage *st, struct retention *ret, struct motion_pool *motion)
{
    struct cameras *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c || !(c->slots = calloc(CAMERAS_MAX_SLOTS, sizeof *c->slots))) {
        free(c);
        return NVR_ENOMEM;
    }
    c->st = st;
    c->ret = ret;
    c->motion = motion;
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->edit, NULL);
    *out = c;
    return NVR_OK;
}

void cameras_destroy(struct cameras **cp)
{
    struct cameras *c = *cp;
    if (!c)
        return;
    size_t n = atomic_load(&c->nslots);
    for (size_t i = 0; i < n; i++) /* every recorder finishes at once, then each is joined */
        if (c->slots[i].owns_rec)
            recorder_request_stop(c->slots[i].rec);
    for (size_t i = 0; i < n; i++)
        if (c->slots[i].owns_rec)
            recorder_stop(&c->slots[i].rec);
    /* only now: a recorder taken over reads the config of an earlier slot */
    for (size_t i = 0; i < n; i++)
        nvr_camera_config_clear(&c->slots[i].cfg);
    free(c->slots);
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->edit);
    free(c);
    *cp = NULL;
}

size_t cameras_slots(const struct cameras *c)
{
    return atomic_load_explicit(&((struct cameras *)c)->nslots, memory_order_acquire);
}

const struct camera *cameras_at(const struct cameras *c, size_t i)
{
    if (i >= cameras_slots(c))
        return NULL;
    const struct camera *cam = &c->slots[i];
    return atomic_load(&((struct camera *)cam)->active) ? cam : NULL;
}

const struct camera *cameras_find(const struct cameras *c, const char *id)
{
    size_t n = cameras_slots(c);
    for (size_t i = 0; i < n; i++) {
        const struct camera *cam = cameras_at(c, i);
        if (cam && strcmp(cam->cfg.id, id) == 0)
            return cam;
    }
    return NULL;
}

void cameras_edit_begin(struct cameras *c)
{
    pthread_mutex_lock(&c->edit);
}

void cameras_edit_end(struct cameras *c)
{
    pthread_mutex_unlock(&c->edit);
}

/* Tells retention the current cameras (locked). */
static void update_retention(struct cameras *c)
{
    if (!c->ret)
        return;
    size_t n = atomic_load(&c->nslots), k = 0;
    struct retention_camera *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        if (atomic_load(&c->slots[i].active))
            v[k++] = (struct retention_camera){c->slots[i].cfg.id, c->slots[i].cfg.retain_days};
    retention_set_cameras(c->ret, v, k);
    free(v);
}

/* The next slot, not yet published, holding a copy of cfg, the camera's
 * index row made (locked).  NULL with *rc on failure (nothing changed). */
static struct camera *slot_prepare(struct cameras *c, const struct nvr_camera_config *cfg, enum camera_source src,
                                   nvr_err *rc)
{
    size_t n = atomic_load(&c->nslots);
    if (n == CAMERAS_MAX_SLOTS) {
        nvr_log(NVR_ERROR, cfg->id, "too many camera changes since start: restart nvr to add more");
        *rc = NVR_ENOMEM;
        return NULL;
    }
    struct camera *slot = &c->slots[n];
    if ((*rc = nvr_camera_config_copy(&slot->cfg, cfg)))
        return NULL;
    if ((*rc = index_camera_upsert(storage_index(c->st), slot->cfg.id, slot->cfg.name))) {
        nvr_camera_config_clear(&slot->cfg);
        return NULL;
    }
    slot->source = src;
    return slot;
}

/* Publishes the prepared slot (locked); old, if any, goes inactive just
 * before it appears, with no I/O in between. */
static void slot_publish(struct cameras *c, struct camera *old, struct camera *slot)
{
    if (old)
        atomic_store(&old->active, 0);
    atomic_store(&slot->active, 1);
    atomic_store_explicit(&c->nslots, atomic_load(&c->nslots) + 1, memory_order_release);
}

static nvr_err add_locked(struct cameras *c, const struct nvr_camera_config *cfg, enum camera_source src)
{
    nvr_err rc;
    if (cameras_find(c, cfg->id))
        return NVR_EINVAL;
    struct camera *slot = slot_prepare(c, cfg, src, &rc);
    if (!slot)
        return rc;
    if ((rc = recorder_start(&slot->rec, &slot->cfg, c->st, c->motion))) {
        nvr_camera_config_clear(&slot->cfg);
        return rc;
    }
    slot->owns_rec = 1;
    slot_publish(c, NULL, slot);
    return NVR_OK;
}

static nvr_err remove_locked(struct cameras *c, const char *id)
{
    struct camera *cam = (struct camera *)cameras_find(c, id);
    if (!cam)
        return NVR_ENOTFOUND;
    atomic_store(&cam->active, 0);
    recorder_join(cam->rec); /* finishes the open segment */
    return NVR_OK;
}

nvr_err cameras_add(struct cameras *c, const struct nvr_camera_config *cfg, enum camera_source src)
{
    pthread_mutex_lock(&c->mu);
    int rc = add_locked(c, cfg, src);
    if (rc == NVR_OK)
        update_retention(c);
    pthread_mutex_unlock(&c->mu);
    if (rc == NVR_OK)
        nvr_log(NVR_INFO, cfg->id, "camera added source=%s", src == CAMERA_FILE ? "file" : "api");
    return rc;
}

nvr_err cameras_remove(struct cameras *c, const char *id)
{
    pthread_mutex_lock(&c->mu);
    int rc = remove_locked(c, id);
    if (rc == NVR_OK)
        update_retention(c);
    pthread_mutex_unlock(&c->mu);
    if (rc == NVR_OK)
        nvr_log(NVR_INFO, id, "camera removed (its footage stays)");
    return rc;
}

/* Publishes cfg in a new slot that takes over old's running recorder
 * (locked; only NVR_CS_LIVE settings differ). */
static nvr_err relabel_locked(struct cameras *c, struct camera *old, const struct nvr_camera_config *cfg,
                              enum camera_source src)
{
    nvr_err rc;
    struct camera *slot = slot_prepare(c, cfg, src, &rc);
    if (!slot)
        return rc;
    slot->rec = old->rec;
    slot->owns_rec = old->owns_rec;
    old->owns_rec = 0;
    slot_publish(c, old, slot);
    return NVR_OK;
}

/* Replaces old's recorder by a new one for cfg (locked).  The new slot and
 * its recorder (hubs, no threads yet) appear before the old recorder stops,
 * so a live viewer told its stream ended looks the camera up again and finds
 * the new recorder, never none; the new threads start once the old ones are
 * joined (one writer per camera at a time).  If they cannot start, the camera
 * is gone, as after a failed add. */
static nvr_err restart_locked(struct cameras *c, struct camera *old, const struct nvr_camera_config *cfg,
                              enum camera_source src)
{
    nvr_err rc;
    struct camera *slot = slot_prepare(c, cfg, src, &rc);
    if (!slot)
        return rc;
    if ((rc = recorder_create(&slot->rec, &slot->cfg, c->st, c->motion))) {
        nvr_camera_config_clear(&slot->cfg);
        return rc;
    }
    slot->owns_rec = 1;
    slot_publish(c, old, slot);
    recorder_join(old->rec); /* finishes the open segment; its viewers are told */
    if ((rc = recorder_run(slot->rec))) {
        atomic_store(&slot->active, 0);
        recorder_join(slot->rec);
    }
    return rc;
}

nvr_err cameras_replace(struct cameras *c, const struct nvr_camera_config *cfg, enum camera_source src)
{
    int rc, restarted = 1;
    pthread_mutex_lock(&c->mu);
    struct camera *old = (struct camera *)cameras_find(c, cfg->id);
    if (old && !nvr_camera_config_restart_needed(&old->cfg, cfg)) {
        restarted = 0;
        rc = relabel_locked(c, old, cfg, src);
    } else {
        rc = old ? restart_locked(c, old, cfg, src) : NVR_ENOTFOUND;
    }
    update_retention(c);
    pthread_mutex_unlock(&c->mu);
    if (rc == NVR_OK)
        nvr_log(NVR_INFO, cfg->id, "camera changed source=%s recorder=%s", src == CAMERA_FILE ? "file" : "api",
                restarted ? "restarted" : "kept");
    return rc;
}
