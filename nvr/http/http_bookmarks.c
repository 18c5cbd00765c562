/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_bookmarks.c - bookmarks over HTTP (see http_bookmarks.h; the store
 * and its invariants in storage/bookmark_store.h).
 *
 * Who: a bookmark is seen, made and listed by whoever may play back its
 * camera (any role, the camera granted); a camera the user may not see
 * answers like one that does not exist.  A bookmark is deleted by its
 * author, or by an admin.  Every listing (one row per camera searched),
 * creation and deletion is in the access log: a note says what someone
 * found in the footage, and reading notes is reading about the footage.
 *
 * Bounds: a note is 1..BOOKMARK_NOTE_MAX bytes (the body's UTF-8 is checked
 * by jansson), a search text at most BOOKMARK_QUERY_MAX bytes, a listing at
 * most BOOKMARK_LIST_MAX bookmarks of at most BOOKMARK_CAMERAS_MAX cameras,
 * and a user keeps at most BOOKMARK_USER_MAX bookmarks (B3), so a viewer
 * cannot fill the index.  Each bad field answers 400 naming it.
 *
 * Writes go through the writers' index connection, reads through the
 * reader's.
 */
#include "http/http_bookmarks.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "core/nvr.h"
#include "http/http_auth.h"
#include "http/http_query.h"
#include "http/http_json.h"
#include "storage/bookmark_store.h"
#include "storage/storage.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static http_result reply_bookmark(struct http_request *r, unsigned status, const struct bookmark *b)
{
    struct http_body body;
    if (http_body_open(&body))
        return http_reply_error(r, 500, "out of memory");
    bookmark_write_json(body.f, b);
    fputc('\n', body.f);
    return http_body_send(r, &body, status, "application/json", "no-store");
}

/* The cameras of a listing: ?cameras=a,b (each one the user may see, no
 * duplicates), or every camera the user may see.  *n set; on a bad list
 * answers itself and returns its result, else HTTP_PASS. */
static http_result list_cameras(struct http_request *r, struct nvr *nvr, char (*ids)[INDEX_ID_MAX], size_t *n)
{
    const char *list = http_query(r, "cameras");
    *n = 0;
    if (!list) {
        for (size_t i = 0, ns = cameras_slots(nvr->cams); i < ns && *n < BOOKMARK_CAMERAS_MAX; i++) {
            const struct camera *c = cameras_at(nvr->cams, i);
            if (c && http_auth_camera(r, nvr, c->cfg.id))
                snprintf(ids[(*n)++], INDEX_ID_MAX, "%s", c->cfg.id);
        }
        return HTTP_PASS;
    }
    char err[128];
    int k = http_query_ids(list, ids, BOOKMARK_CAMERAS_MAX, err, sizeof err);
    if (k < 0)
        return http_reply_error(r, 400, "%s", err);
    for (*n = 0; *n < (size_t)k; (*n)++)
        if (!http_auth_camera(r, nvr, ids[*n]))
            return http_reply_error(r, 404, "no such camera: %s", ids[*n]);
    return HTTP_PASS;
}

/* ?name= as an RFC 3339 time into *us (left as it is when absent):
 * HTTP_PASS, or the result of the 400 naming it. */
static http_result query_time(struct http_request *r, const char *name, int64_t *us)
{
    const char *s = http_query(r, name);
    if (s && nvr_clock_parse_rfc3339(s, us))
        return http_reply_error(r, 400, "%s is not an RFC 3339 time: %.64s", name, s);
    return HTTP_PASS;
}

http_result http_bookmarks_list(struct http_request *r, struct nvr *nvr)
{
    char(*ids)[INDEX_ID_MAX] = calloc(BOOKMARK_CAMERAS_MAX, INDEX_ID_MAX);
    const char *idp[BOOKMARK_CAMERAS_MAX];
    const char *text = http_query(r, "q"), *limit = http_query(r, "limit");
    struct bookmark *v = NULL;
    size_t ncam = 0, n = 0;
    int more = 0;
    long max = BOOKMARK_LIST_MAX;
    http_result ret;
    struct bookmark_query q = {.from_us = INT64_MIN, .to_us = INT64_MAX};
    if (!ids)
        return http_reply_error(r, 500, "out of memory");
    if ((ret = list_cameras(r, nvr, ids, &ncam)) != HTTP_PASS)
        goto out;
    if ((ret = query_time(r, "start", &q.from_us)) != HTTP_PASS || (ret = query_time(r, "end", &q.to_us)) != HTTP_PASS)
        goto out;
    if (q.to_us <= q.from_us) {
        ret = http_reply_error(r, 400, "end must be after start");
        goto out;
    }
    if (text && strlen(text) > BOOKMARK_QUERY_MAX) {
        ret = http_reply_error(r, 400, "q is longer than %d bytes", BOOKMARK_QUERY_MAX);
        goto out;
    }
    if (limit) {
        char *end;
        errno = 0;
        max = strtol(limit, &end, 10);
        if (errno || end == limit || *end || max < 1 || max > BOOKMARK_LIST_MAX) {
            ret = http_reply_error(r, 400, "limit must be an integer from 1 to %d", BOOKMARK_LIST_MAX);
            goto out;
        }
    }
    if (ncam) {
        for (size_t i = 0; i < ncam; i++)
            idp[i] = ids[i];
        q.cameras = idp;
        q.ncameras = ncam;
        q.text = text;
        q.max = (size_t)max;
        if (bookmark_list(storage_index_reader(nvr->st), &q, &v, &n, &more)) {
            ret = http_reply_error(r, 500, "index error");
            goto out;
        }
    }
    struct http_body b;
    if (http_body_open(&b)) {
        ret = http_reply_error(r, 500, "out of memory");
        goto out;
    }
    fputs("{\"bookmarks\":[", b.f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', b.f);
        bookmark_write_json(b.f, &v[i]);
    }
    fprintf(b.f, "],\"truncated\":%s}\n", more ? "true" : "false");
    for (size_t i = 0; i < ncam; i++) {
        size_t found = 0;
        for (size_t k = 0; k < n; k++)
            found += strcmp(v[k].camera, ids[i]) == 0;
        http_auth_log(r, nvr, "bookmark_list", ids[i], "q=%.100s found=%zu", text ? text : "", found);
    }
    ret = http_body_send(r, &b, 200, "application/json", "no-store");
out:
    free(v);
    free(ids);
    return ret;
}

http_result http_bookmarks_create(struct http_request *r, struct nvr *nvr)
{
    char err[160];
    http_result ret;
    enum bookmark_refusal why;
    struct bookmark *b = calloc(1, sizeof *b);
    if (!b)
        return http_reply_error(r, 500, "out of memory");
    json_t *o = http_json_body(r, &ret);
    if (!o)
        goto out;
    json_t *cam = json_object_get(o, "camera");
    if (!json_is_string(cam) || !http_auth_camera(r, nvr, json_string_value(cam))) {
        ret = http_reply_error(r, 400, "camera is not a configured camera");
        goto out;
    }
    snprintf(b->camera, sizeof b->camera, "%s", json_string_value(cam));
    if (http_json_time(o, "time", &b->time_us, err, sizeof err) ||
        http_json_text(o, "note", 1, b->note, sizeof b->note, err, sizeof err)) {
        ret = http_reply_error(r, 400, "%s", err);
        goto out;
    }
    snprintf(b->author, sizeof b->author, "%s", http_auth_name(r));
    b->created_us = nvr_clock_now_us();
    /* (the segment being written passes B1's test at any later instant) */
    if (b->time_us > b->created_us + 2000000) {
        ret = http_reply_error(r, 400, "time is in the future");
        goto out;
    }
    int rc = bookmark_add(storage_index(nvr->st), b, BOOKMARK_USER_MAX, &why);
    if (rc)
        ret = http_reply_error(r, 500, "cannot store the bookmark: %s", nvr_strerror(rc));
    else if (why == BOOKMARK_NO_FOOTAGE)
        ret = http_reply_error(r, 400, "time: there is no footage of %s at that instant", b->camera);
    else if (why == BOOKMARK_USER_FULL)
        ret = http_reply_error(r, 409, "you have %d bookmarks, the most one user may keep: delete some first",
                               BOOKMARK_USER_MAX);
    else {
        char t[NVR_TIME_BUFSZ];
        nvr_clock_format_rfc3339(b->time_us, t);
        http_auth_log(r, nvr, "bookmark_created", b->camera, "bookmark=%lld time=%s", (long long)b->id, t);
        ret = reply_bookmark(r, 201, b);
    }
out:
    json_decref(o);
    free(b);
    return ret;
}

/* The {id} parameter as a bookmark id; -1 if it is not a positive integer. */
static int64_t bookmark_id(struct http_request *r)
{
    const char *s = http_param(r, 0);
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v <= 0 || s[0] == '+')
        return -1;
    return v;
}

http_result http_bookmarks_delete(struct http_request *r, struct nvr *nvr)
{
    int64_t id = bookmark_id(r);
    if (id < 0)
        return http_reply_error(r, 400, "a bookmark id is a positive integer");
    const struct auth_user *u = http_auth_user(r);
    int admin = u && u->u.role == USER_ADMIN;
    struct bookmark *b = calloc(1, sizeof *b);
    if (!b)
        return http_reply_error(r, 500, "out of memory");
    http_result ret;
    int rc = bookmark_get(storage_index(nvr->st), id, b);
    /* a bookmark of a camera the user may not see does not exist for them
     * (admins: every bookmark, also of cameras since removed) */
    if (rc == NVR_OK && !admin && !http_auth_camera(r, nvr, b->camera))
        rc = NVR_ENOTFOUND;
    if (rc == NVR_ENOTFOUND) {
        ret = http_reply_error(r, 404, "no such bookmark");
    } else if (rc) {
        ret = http_reply_error(r, 500, "cannot read the bookmark: %s", nvr_strerror(rc));
    } else if (!admin && strcmp(b->author, http_auth_name(r)) != 0) {
        ret = http_reply_error(r, 403, "only the bookmark's author or an admin may delete it");
    } else if ((rc = bookmark_delete(storage_index(nvr->st), id)) == NVR_ENOTFOUND) {
        ret = http_reply_error(r, 404, "no such bookmark");
    } else if (rc) {
        ret = http_reply_error(r, 500, "cannot delete the bookmark: %s", nvr_strerror(rc));
    } else {
        nvr_log(NVR_INFO, NULL, "bookmark deleted id=%lld camera=%s by=%s", (long long)id, b->camera,
                http_auth_name(r));
        http_auth_log(r, nvr, "bookmark_deleted", b->camera, "bookmark=%lld author=%s", (long long)id, b->author);
        ret = reply_bookmark(r, 200, b);
    }
    free(b);
    return ret;
}
