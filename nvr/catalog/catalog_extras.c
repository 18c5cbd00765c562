/* SPDX-License-Identifier: Apache-2.0 */
/* catalog_extras.c - holds, alerts, storage and audit of a site in the
 * catalog (catalog_extras.h). */
#include "catalog/catalog_extras.h"
#include "catalog/catalog_schema.h"

#include "audit/audit_runner.h"
#include "core/nvr.h"
#include "storage/alert_store.h"
#include "storage/holds.h"
#include "storage/sha256.h"
#include "storage/storage.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define I64(buf, v) (snprintf(buf, sizeof buf, "%" PRId64, (int64_t)(v)), buf)

void catalog_extras_forget(struct catalog_extras *x)
{
    memset(x, 0, sizeof *x);
}

/* Whether the SHA-256 of text differs from *last (and then stores it). */
static int changed(const struct catalog_extras *x, uint8_t last[32], const char *text, size_t len)
{
    uint8_t h[32];
    struct sha256 *s = sha256_new();
    if (!s)
        return 1;
    sha256_update(s, text, len);
    sha256_final(s, h);
    sha256_free(&s);
    if (x->known && memcmp(h, last, 32) == 0)
        return 0;
    memcpy(last, h, 32);
    return 1;
}

/* A text[] literal of the cameras: {"a","b"} (ids are [a-z0-9_-]). */
static void cameras_array(const struct hold *h, char *out, size_t n)
{
    size_t o = (size_t)snprintf(out, n, "{");
    for (size_t i = 0; i < h->ncameras && o < n; i++)
        o += (size_t)snprintf(out + o, n - o, "%s\"%s\"", i ? "," : "", h->cameras[i]);
    if (o < n)
        snprintf(out + o, n - o, "}");
}

static nvr_err put_hold(PGconn *conn, const char *site, const struct hold *h, char *err, size_t errlen)
{
    char id[24], s[24], e[24], c[24], r[24], cams[HOLD_CAMERAS_MAX * (INDEX_ID_MAX + 3) + 4];
    cameras_array(h, cams, sizeof cams);
    const char *v[] = {site,
                       I64(id, h->id),
                       cams,
                       I64(s, h->start_us),
                       I64(e, h->end_us),
                       h->case_id,
                       h->reason,
                       h->created_by,
                       I64(c, h->created_us),
                       h->released_us ? h->released_by : NULL,
                       h->released_us ? I64(r, h->released_us) : NULL};
    return catalog_exec(
        conn,
        "INSERT INTO nvr_holds (site, id, cameras, start_us, end_us, case_id, reason, created_by, "
        "created_us, released_by, released_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
        "ON CONFLICT (site, id) DO UPDATE SET cameras = EXCLUDED.cameras, start_us = EXCLUDED.start_us, "
        "end_us = EXCLUDED.end_us, case_id = EXCLUDED.case_id, reason = EXCLUDED.reason, "
        "released_by = EXCLUDED.released_by, released_us = EXCLUDED.released_us",
        11, v, NULL, "holds", err, errlen);
}

/* Every hold of this site, released ones too (evidence: a district wants
 * to see what was held and when it was let go). */
static nvr_err publish_holds(struct catalog_extras *x, PGconn *conn, struct nvr *nvr, const char *site, char *err,
                             size_t errlen)
{
    struct hold *v = NULL;
    size_t n = 0, len = 0, idlen = 0;
    char *sig = NULL, *ids = NULL;
    nvr_err rc = holds_list(storage_index_reader(nvr->st), 1, &v, &n);
    if (rc)
        goto out;
    /* per hold at most "ID:RELEASED;" (2 x 20 digits + 2) and "ID," (20 + 1) */
    if (!(sig = calloc(n + 1, 48)) || !(ids = calloc(n + 1, 24))) {
        rc = NVR_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        len += (size_t)sprintf(sig + len, "%" PRId64 ":%" PRId64 ";", v[i].id, v[i].released_us);
        idlen += (size_t)sprintf(ids + idlen, "%s%" PRId64, i ? "," : "", v[i].id);
    }
    if (!changed(x, x->holds, sig, len))
        goto out;
    for (size_t i = 0; i < n && rc == NVR_OK; i++)
        rc = put_hold(conn, site, &v[i], err, errlen);
    if (rc == NVR_OK) {
        const char *p[] = {site, ids};
        rc = catalog_exec(
            conn, "DELETE FROM nvr_holds WHERE site = $1 AND NOT (id = ANY (string_to_array($2, ',')::bigint[]))", 2, p,
            NULL, "holds", err, errlen);
    }
out:
    if (rc == NVR_ENOMEM)
        snprintf(err, errlen, "holds: out of memory");
    else if (rc && !*err)
        snprintf(err, errlen, "holds: the local index could not be read (%s)", nvr_strerror(rc));
    free(v);
    free(sig);
    free(ids);
    return rc;
}

static nvr_err put_alert(PGconn *conn, const char *site, const struct alert_row *a, char *err, size_t errlen)
{
    char id[24], o[24], u[24], r[24];
    const char *v[] = {site,
                       I64(id, a->id),
                       a->kind,
                       a->camera,
                       a->severity,
                       a->state,
                       a->title,
                       a->detail,
                       I64(o, a->opened_us),
                       I64(u, a->updated_us),
                       a->resolved_us ? I64(r, a->resolved_us) : NULL};
    return catalog_exec(
        conn,
        "INSERT INTO nvr_alerts (site, id, kind, camera, severity, state, title, detail, opened_us, "
        "updated_us, resolved_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
        "ON CONFLICT (site, id) DO UPDATE SET state = EXCLUDED.state, title = EXCLUDED.title, "
        "detail = EXCLUDED.detail, updated_us = EXCLUDED.updated_us, resolved_us = EXCLUDED.resolved_us",
        11, v, NULL, "alerts", err, errlen);
}

/* The latest CATALOG_ALERTS_MAX incidents; only those that changed since
 * the last publish are written (their updated_us, state or acknowledgement). */
static nvr_err publish_alerts(struct catalog_extras *x, PGconn *conn, struct nvr *nvr, const char *site, char *err,
                              size_t errlen)
{
    struct alert_row *v = NULL;
    size_t n = 0;
    nvr_err rc = alert_store_list(storage_index_reader(nvr->st), NULL, CATALOG_ALERTS_MAX, &v, &n);
    if (rc) {
        snprintf(err, errlen, "alerts: the local index could not be read (%s)", nvr_strerror(rc));
        return rc;
    }
    char *sig = calloc(n + 1, 128);
    size_t len = 0;
    for (size_t i = 0; sig && i < n; i++)
        len += (size_t)sprintf(sig + len, "%" PRId64 ":%" PRId64 ":%s:%" PRId64 ";", v[i].id, v[i].updated_us,
                               v[i].state, v[i].resolved_us);
    if (!sig) {
        rc = NVR_ENOMEM;
        snprintf(err, errlen, "alerts: out of memory");
    } else if (changed(x, x->alerts, sig, len)) {
        for (size_t i = 0; i < n && rc == NVR_OK; i++)
            rc = put_alert(conn, site, &v[i], err, errlen);
    }
    free(sig);
    free(v);
    return rc;
}

/* The storage dirs: state, free space, SMART verdict. */
static nvr_err publish_storage(struct catalog_extras *x, PGconn *conn, struct nvr *nvr, const char *site,
                               int64_t now_us, char *err, size_t errlen)
{
    struct storage_dir_status *d = NULL;
    size_t n = 0;
    nvr_err rc = storage_dirs_status(nvr->st, 0, &d, &n);
    if (rc) {
        snprintf(err, errlen, "storage: the dirs could not be read (%s)", nvr_strerror(rc));
        return rc;
    }
    /* free space moves all the time: it counts in the hash to the GiB */
    char *sig = calloc(n + 1, 512);
    size_t len = 0;
    for (size_t i = 0; sig && i < n; i++)
        len += (size_t)snprintf(sig + len, 512, "%" PRId64 ":%d:%d:%s:%" PRIu64 ":%d;", d[i].id, (int)d[i].state,
                                d[i].writable, d[i].reason, d[i].fs_avail >> 30,
                                d[i].smart.available ? d[i].smart.passed : -1);
    if (!sig) {
        rc = NVR_ENOMEM;
        snprintf(err, errlen, "storage: out of memory");
    } else if (changed(x, x->storage, sig, len)) {
        for (size_t i = 0; i < n && rc == NVR_OK; i++) {
            char id[24], sz[24], av[24], u[24];
            const struct disk_smart *sm = &d[i].smart;
            const char *smart = !sm->checked_us  ? "unknown"
                                : !sm->available ? "unavailable"
                                : sm->passed     ? "passed"
                                                 : "failed";
            const char *v[] = {site,
                               I64(id, d[i].id),
                               d[i].path,
                               storage_dir_state_name(d[i].state),
                               d[i].writable ? "true" : "false",
                               d[i].reason,
                               I64(sz, (int64_t)d[i].fs_size),
                               I64(av, (int64_t)d[i].fs_avail),
                               smart,
                               I64(u, now_us)};
            rc =
                catalog_exec(conn,
                             "INSERT INTO nvr_storage (site, dir_id, path, state, writable, reason, fs_size, fs_avail, "
                             "smart, updated_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                             "ON CONFLICT (site, dir_id) DO UPDATE SET path = EXCLUDED.path, state = EXCLUDED.state, "
                             "writable = EXCLUDED.writable, reason = EXCLUDED.reason, fs_size = EXCLUDED.fs_size, "
                             "fs_avail = EXCLUDED.fs_avail, smart = EXCLUDED.smart, updated_us = EXCLUDED.updated_us",
                             10, v, NULL, "storage", err, errlen);
        }
    }
    free(sig);
    free(d);
    return rc;
}

/* The audit report as the recorder serves it (GET /api/v1/audit). */
static nvr_err publish_audit(struct catalog_extras *x, PGconn *conn, struct nvr *nvr, const char *site, char *err,
                             size_t errlen)
{
    char *json = NULL;
    size_t len = 0;
    if (!nvr->audit || audit_runner_report(nvr->audit, &json, &len) != NVR_OK || !json)
        return NVR_OK; /* no report yet: nothing to say */
    nvr_err rc = NVR_OK;
    if (changed(x, x->audit, json, len)) {
        const char *v[] = {site, json};
        rc = catalog_exec(conn, "UPDATE nvr_sites SET audit = $2::jsonb WHERE name = $1", 2, v, NULL, "audit", err,
                          errlen);
    }
    free(json);
    return rc;
}

nvr_err catalog_extras_publish(struct catalog_extras *x, PGconn *conn, struct nvr *nvr, const char *site,
                               int64_t now_us, char *err, size_t errlen)
{
    nvr_err rc;
    err[0] = '\0';
    if ((rc = publish_holds(x, conn, nvr, site, err, errlen)) ||
        (rc = publish_alerts(x, conn, nvr, site, err, errlen)) ||
        (rc = publish_storage(x, conn, nvr, site, now_us, err, errlen)) ||
        (rc = publish_audit(x, conn, nvr, site, err, errlen)))
        return rc;
    x->known = 1;
    return NVR_OK;
}
