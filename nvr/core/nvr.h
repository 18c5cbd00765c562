/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvr.h - the one struct of the running server, passed down to everything
 * that needs the whole: the config, the storage, retention, the camera set
 * (one recorder per camera), the HTTP server.  `nvr run` (cli.c) owns it; nothing else is global.
 *
 * Threads: the main thread fills struct nvr in cli_run and empties it at
 * shutdown; every other thread only reads its members, and what each points
 * at guards itself (its header's Threads: paragraph; docs/design/overview.md,
 * Threads and Locks).  cfg is never replaced: a SIGHUP changes only the
 * cameras, through cams.  Each member is set before the threads that read it
 * start and cleared after they stop (catalog and catdir: before the HTTP
 * server starts, after it stops; alerts: after it starts, before it stops,
 * as no request reads it).  nvr_recorder: any thread (cameras_find takes no
 * lock).
 */
#ifndef NVR_NVR_H
#define NVR_NVR_H

#include "base/config.h"
#include "core/cameras.h"
#include "core/recorder.h"
#include "storage/retention.h"
#include "storage/storage.h"

#include <stdint.h>

struct http_server;
struct auth;
struct audit_runner;
struct export_jobs;
struct sign_key;
struct rendition_pool;
struct alert_engine;
struct archive;
struct catalog;
struct catalog_dir;
struct oidc;

struct nvr {
    struct nvr_config *cfg;
    struct storage *st;
    struct cameras *cams; /* the cameras recorded now (file + API), cameras.h */
    struct http_server *http;
    struct retention *ret;             /* keeps footage within its limits */
    struct retention_camera *ret_cams; /* what ret reads: one per configured camera */
    struct sign_key *key;              /* signs exports (data_dir/signing-key.pem) */
    struct export_jobs *exports;       /* HTTP exports, run by their own worker */
    struct auth *auth;                 /* accounts, sessions, access log */
    int64_t started_us;                /* wall clock at start-up */
    struct audit_runner *audit;        /* the compliance audit's background job (audit_runner.h) */
    struct rendition_pool *renditions; /* playback.mp4 transcodes running (rendition.h) */
    struct alert_engine *alerts;       /* watches the rest, tells a person (alert/alert.h) */
    struct archive *archive;           /* the S3 archive tier, NULL without (storage/archive.h) */
    struct motion_pool *motion;        /* motion detection's workers (motion/motion.h) */
    struct catalog *catalog;           /* the district catalog's publisher, NULL without (catalog/catalog.h) */
    struct catalog_dir *catdir;        /* the mirror of the district's people, NULL without (catalog/catalog_dir.h) */
    struct oidc *oidc;                 /* OpenID Connect sign-in, NULL without [oidc] (oidc.h) */
};

/* The recorder of an active camera id (and its config in *cam), NULL if
 * there is none.  Both stay readable until the server stops. */
struct recorder *nvr_recorder(const struct nvr *nvr, const char *camera, const struct nvr_camera_config **cam);

#endif
