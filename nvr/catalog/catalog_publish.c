/* SPDX-License-Identifier: Apache-2.0 */
/* catalog_publish.c - one publish into the catalog (catalog_publish.h). */
#include "catalog/catalog_publish.h"
#include "catalog/catalog_extras.h"
#include "catalog/catalog_schema.h"

#include "core/cameras.h"
#include "core/nvr.h"
#include "core/recorder.h"
#include "storage/index.h"
#include "storage/storage.h"
#include "version.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What was published of one camera (valid only while known: P1). */
struct cam_state {
    char id[INDEX_ID_MAX];
    int known;   /* run_start/run_end/oldest read back or written */
    int has_run; /* the catalog has a run of it */
    int64_t run_start, run_end;
    int64_t oldest_us; /* the oldest footage last published, INT64_MIN: none */
};

struct catalog_pub {
    char site[INDEX_ID_MAX];
    char *advertise;               /* NULL: unset */
    char tls_pin[CATALOG_PIN_LEN]; /* "": no TLS */
    struct catalog_extras extras;  /* holds, alerts, storage, audit (catalog_extras.h) */
    int64_t started_us;
    struct cam_state *cams;
    size_t n, cap;
};

nvr_err catalog_tls_pin(const char *path, char out[CATALOG_PIN_LEN], char *err, size_t errlen)
{
    unsigned char *der = NULL, md[32];
    unsigned int mdlen = 0;
    nvr_err rc = NVR_EINVAL;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read tls_cert %s: %s", path, strerror(errno));
        return NVR_EIO;
    }
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    int n = x ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der) : -1;
    if (n > 0 && EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32) {
        memcpy(out, "sha256//", 8);
        EVP_EncodeBlock((unsigned char *)out + 8, md, 32); /* 44 characters and a NUL */
        rc = NVR_OK;
    } else {
        snprintf(err, errlen, "tls_cert %s holds no certificate", path);
    }
    OPENSSL_free(der);
    X509_free(x);
    return rc;
}

nvr_err catalog_publish_create(struct catalog_pub **out, const char *site, int64_t started_us, const char *advertise,
                               const char *tls_pin)
{
    struct catalog_pub *p = calloc(1, sizeof *p);
    if (!p)
        return NVR_ENOMEM;
    if (advertise && !(p->advertise = strdup(advertise))) {
        free(p);
        return NVR_ENOMEM;
    }
    snprintf(p->tls_pin, sizeof p->tls_pin, "%s", tls_pin ? tls_pin : "");
    snprintf(p->site, sizeof p->site, "%s", site);
    p->started_us = started_us;
    *out = p;
    return NVR_OK;
}

void catalog_publish_destroy(struct catalog_pub **p)
{
    if (!p || !*p)
        return;
    free((*p)->cams);
    free((*p)->advertise);
    free(*p);
    *p = NULL;
}

void catalog_publish_forget(struct catalog_pub *p)
{
    catalog_extras_forget(&p->extras);
    for (size_t i = 0; i < p->n; i++)
        p->cams[i].known = 0;
}

static struct cam_state *cam_state(struct catalog_pub *p, const char *id)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->cams[i].id, id) == 0)
            return &p->cams[i];
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct cam_state *v = realloc(p->cams, cap * sizeof *v);
        if (!v)
            return NULL;
        p->cams = v;
        p->cap = cap;
    }
    struct cam_state *c = &p->cams[p->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    return c;
}

/* ---- statements ---- */

#define I64(buf, v) (snprintf(buf, sizeof buf, "%" PRId64, (int64_t)(v)), buf)

static nvr_err put_site(struct catalog_pub *p, PGconn *conn, int64_t now_us, char *err, size_t errlen)
{
    char a[24], b[24];
    const char *v[] = {p->site,        NVR_VERSION,  I64(a, p->started_us),
                       I64(b, now_us), p->advertise, p->tls_pin[0] ? p->tls_pin : NULL};
    return catalog_exec(
        conn,
        "INSERT INTO nvr_sites (name, version, started_us, last_seen_us, url, tls_pin) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, started_us = EXCLUDED.started_us, "
        "last_seen_us = EXCLUDED.last_seen_us, url = EXCLUDED.url, tls_pin = EXCLUDED.tls_pin",
        6, v, NULL, "site", err, errlen);
}

static nvr_err put_camera(struct catalog_pub *p, PGconn *conn, const struct camera *c, int64_t oldest_us,
                          int64_t now_us, char *err, size_t errlen)
{
    struct recorder_stats s;
    char w[16], h[16], o[24], u[24];
    memset(&s, 0, sizeof s);
    if (c->rec)
        recorder_get_stats(c->rec, &s);
    snprintf(w, sizeof w, "%d", s.width);
    snprintf(h, sizeof h, "%d", s.height);
    const char *v[] = {p->site,
                       c->cfg.id,
                       c->cfg.name ? c->cfg.name : c->cfg.id,
                       c->rec ? recorder_status_name(s.status) : "disabled",
                       s.codec,
                       w,
                       h,
                       s.write_ok || !s.write_error[0] ? s.last_error : s.write_error,
                       oldest_us == INT64_MIN ? NULL : I64(o, oldest_us),
                       I64(u, now_us),
                       c->cfg.group};
    return catalog_exec(
        conn,
        "INSERT INTO nvr_cameras (site, id, name, status, codec, width, height, last_error, oldest_us, "
        "updated_us, group_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
        "ON CONFLICT (site, id) DO UPDATE SET name = EXCLUDED.name, status = EXCLUDED.status, "
        "codec = EXCLUDED.codec, width = EXCLUDED.width, height = EXCLUDED.height, "
        "last_error = EXCLUDED.last_error, oldest_us = EXCLUDED.oldest_us, updated_us = EXCLUDED.updated_us, "
        "group_name = EXCLUDED.group_name",
        11, v, NULL, "camera", err, errlen);
}

/* Follows retention: runs that end at or before the oldest footage go, the
 * one it falls in starts there. */
static nvr_err trim(struct catalog_pub *p, PGconn *conn, struct cam_state *cs, int64_t oldest_us, char *err,
                    size_t errlen)
{
    char o[24];
    if (oldest_us == INT64_MIN || (cs->known && cs->oldest_us == oldest_us))
        return NVR_OK;
    const char *v[] = {p->site, cs->id, I64(o, oldest_us)};
    nvr_err rc = catalog_exec(conn, "DELETE FROM nvr_coverage WHERE site = $1 AND camera = $2 AND end_us <= $3", 3, v,
                              NULL, "coverage retention", err, errlen);
    if (rc == NVR_OK)
        rc = catalog_exec(conn,
                          "UPDATE nvr_coverage SET start_us = $3 WHERE site = $1 AND camera = $2 AND start_us < $3", 3,
                          v, NULL, "coverage retention", err, errlen);
    if (rc == NVR_OK && cs->known && cs->has_run && cs->run_start < oldest_us)
        cs->run_start = oldest_us;
    return rc;
}

/* The camera's last run as the catalog has it (P1: after a failure). */
static nvr_err read_back(struct catalog_pub *p, PGconn *conn, struct cam_state *cs, char *err, size_t errlen)
{
    PGresult *r = NULL;
    const char *v[] = {p->site, cs->id};
    nvr_err rc = catalog_exec(conn,
                              "SELECT start_us, end_us FROM nvr_coverage WHERE site = $1 AND camera = $2 "
                              "ORDER BY start_us DESC LIMIT 1",
                              2, v, &r, "coverage read", err, errlen);
    if (rc)
        return rc;
    cs->has_run = PQntuples(r) > 0;
    if (cs->has_run) {
        cs->run_start = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        cs->run_end = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    }
    PQclear(r);
    return NVR_OK;
}

static nvr_err put_run(struct catalog_pub *p, PGconn *conn, struct cam_state *cs, int64_t start, int64_t end, char *err,
                       size_t errlen)
{
    char a[24], b[24];
    const char *v[] = {p->site, cs->id, I64(a, start), I64(b, end)};
    nvr_err rc = catalog_exec(conn,
                              "INSERT INTO nvr_coverage (site, camera, start_us, end_us) VALUES ($1, $2, $3, $4) "
                              "ON CONFLICT (site, camera, start_us) DO UPDATE SET end_us = EXCLUDED.end_us",
                              4, v, NULL, "coverage", err, errlen);
    if (rc == NVR_OK) {
        cs->has_run = 1;
        cs->run_start = start;
        cs->run_end = end;
    }
    return rc;
}

/* The runs of cs's camera that grew or began since the last one published. */
static nvr_err put_coverage(struct catalog_pub *p, PGconn *conn, nvr_index *ix, struct cam_state *cs, char *err,
                            size_t errlen)
{
    struct index_span *sp = NULL;
    size_t n = 0;
    nvr_err rc = index_segment_spans(ix, cs->id, cs->has_run ? cs->run_end : INT64_MIN, INT64_MAX, &sp, &n);
    if (rc) {
        snprintf(err, errlen, "coverage: the local index could not be read (%s)", nvr_strerror(rc));
        return rc;
    }
    for (size_t i = 0; i < n && rc == NVR_OK;) {
        size_t j = i;
        while (j + 1 < n && sp[j + 1].start_us <= sp[j].end_us)
            j++;
        /* the first run goes on from the one published when it starts by its end */
        int64_t start = (i == 0 && cs->has_run && sp[0].start_us <= cs->run_end) ? cs->run_start : sp[i].start_us;
        if (!(start == cs->run_start && sp[j].end_us == cs->run_end && cs->has_run))
            rc = put_run(p, conn, cs, start, sp[j].end_us, err, errlen);
        i = j + 1;
    }
    free(sp);
    return rc;
}

/* The cameras of this site that are no longer recorded here: "removed",
 * their coverage kept (their footage stays until retention takes it). */
static nvr_err mark_removed(struct catalog_pub *p, PGconn *conn, const char *ids, int64_t now_us, char *err,
                            size_t errlen)
{
    char u[24];
    const char *v[] = {p->site, ids, I64(u, now_us)};
    return catalog_exec(conn,
                        "UPDATE nvr_cameras SET status = 'removed', updated_us = $3 WHERE site = $1 "
                        "AND status <> 'removed' AND NOT (id = ANY (string_to_array($2, ',')))",
                        3, v, NULL, "removed cameras", err, errlen);
}

static nvr_err publish_cameras(struct catalog_pub *p, PGconn *conn, struct nvr *nvr, int64_t now_us, char *err,
                               size_t errlen)
{
    nvr_index *ix = storage_index_reader(nvr->st);
    size_t ns = cameras_slots(nvr->cams), idlen = 0;
    char *ids = calloc(ns ? ns : 1, INDEX_ID_MAX + 1);
    nvr_err rc = ids ? NVR_OK : NVR_ENOMEM;
    for (size_t i = 0; i < ns && rc == NVR_OK; i++) {
        const struct camera *c = cameras_at(nvr->cams, i);
        struct index_usage u;
        struct cam_state *cs;
        if (!c)
            continue;
        idlen += (size_t)sprintf(ids + idlen, "%s%s", idlen ? "," : "", c->cfg.id);
        if (!(cs = cam_state(p, c->cfg.id))) {
            rc = NVR_ENOMEM;
            break;
        }
        if ((rc = index_usage(ix, c->cfg.id, &u))) {
            snprintf(err, errlen, "camera %s: the local index could not be read (%s)", c->cfg.id, nvr_strerror(rc));
            break;
        }
        if ((rc = put_camera(p, conn, c, u.oldest_us, now_us, err, errlen)) ||
            (rc = trim(p, conn, cs, u.oldest_us, err, errlen)) ||
            (!cs->known && (rc = read_back(p, conn, cs, err, errlen))) ||
            (rc = put_coverage(p, conn, ix, cs, err, errlen)))
            break;
        cs->known = 1;
        cs->oldest_us = u.oldest_us;
    }
    if (rc == NVR_OK)
        rc = mark_removed(p, conn, ids, now_us, err, errlen);
    if (rc == NVR_ENOMEM)
        snprintf(err, errlen, "out of memory");
    free(ids);
    return rc;
}

nvr_err catalog_publish(struct catalog_pub *p, PGconn *conn, struct nvr *nvr, int64_t now_us, char *err, size_t errlen)
{
    nvr_err rc = catalog_exec(conn, "BEGIN", 0, NULL, NULL, "begin", err, errlen);
    if (rc == NVR_OK && (rc = put_site(p, conn, now_us, err, errlen)) == NVR_OK &&
        (rc = publish_cameras(p, conn, nvr, now_us, err, errlen)) == NVR_OK &&
        (rc = catalog_extras_publish(&p->extras, conn, nvr, p->site, now_us, err, errlen)) == NVR_OK)
        rc = catalog_exec(conn, "COMMIT", 0, NULL, NULL, "commit", err, errlen);
    if (rc) {
        PQclear(PQexec(conn, "ROLLBACK"));
        catalog_publish_forget(p);
    }
    return rc;
}
