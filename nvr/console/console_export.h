/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_export.h - what console_export.c (the routes and the job list)
 * and console_export_run.c (a job's thread) share: the district export's
 * job (docs/design/export.md "District exports").
 *
 * A job is made by POST /api/v1/exports with its sites found in the
 * catalog, runs on a thread of its own (at most [console] max_exports at
 * once), and ends done (data_dir/district-exports/ID.zip) or failed.  The
 * list's mutex guards every job's state, error, size and its sites' state;
 * the rest of a job is written before its thread starts and only read
 * after.  A finished job is deleted with its zip [console]
 * export_keep_hours after it finished; the list is in memory only (a
 * restart empties the folder).
 */
#ifndef NVR_CONSOLE_EXPORT_H
#define NVR_CONSOLE_EXPORT_H

#include "console/console_int.h"
#include "export/export.h"
#include "export/export_district.h"

#define CX_ID_LEN 32
#define CX_JOBS_MAX 100
#define CX_DIR "district-exports"

enum cx_state { CX_RUNNING, CX_DONE, CX_FAILED };

struct cx_site {
    struct district_site d; /* site, url, cameras as SITE.ID, the recorder's export id, the zip's path */
    char pin[128];
    char local[DISTRICT_CAMERAS_MAX][CONSOLE_NAME_LEN]; /* the cameras' ids at the site */
    char state[16];                                     /* asked, running, downloading, done, failed (under mu) */
};

struct cx_job {
    char id[CX_ID_LEN + 1];
    char requester[CONSOLE_NAME_LEN];
    char address[64];
    char secret[CONSOLE_SECRET_LEN]; /* the person's token, zeroed when the job ends */
    char reason[EXPORT_TEXT_MAX], case_id[EXPORT_TEXT_MAX];
    int64_t from_us, to_us, created_us;
    size_t nsites;
    struct cx_site *sites;
    /* under the list's mutex */
    enum cx_state state;
    char error[512];
    uint64_t size;
    int64_t finished_us;
    pthread_t thread;
    int has_thread;
};

struct console_exports {
    struct console *c;
    pthread_mutex_t mu;
    struct cx_job *jobs[CX_JOBS_MAX];
    size_t njobs;
    int running;
    atomic_int stop;
    char dir[4096];
};

/* console_export_run.c: the body of a job's thread (arg: the job; its
 * owner in job->... is passed through struct cx_run_arg). */
struct cx_run_arg {
    struct console_exports *e;
    struct cx_job *job;
};
void *cx_run(void *arg);

/* The zip of job id: DIR/ID.zip. */
void cx_zip_path(const struct console_exports *e, const char *id, char *out, size_t n);

#endif
