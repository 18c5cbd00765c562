/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export_jobs.h - exports requested over HTTP, run one at a time by a
 * background worker thread (never on an HTTP thread).
 *
 * Jobs live in memory; their results are files, data_dir/exports/ID.zip
 * (ID: 32 random hex digits, unguessable until accounts exist).  At
 * start-up every finished zip found there is listed again as a done job,
 * its cameras, names, range, operator, case and reason read back from its
 * manifest.json, so downloads survive a restart; a job queued or running
 * when the server stopped is lost (libzip's temporary file is removed at
 * start-up).  No index migration is needed.
 *
 * Redacted copies (nvr/redact, POST /api/v1/exports/{id}/redact) are jobs
 * of the same queue (export_jobs_submit_fn), their zips in the same
 * folder; at start-up a zip whose manifest has "derived_from" is listed
 * with redacted_from, its original's id.
 *
 * Threads: the HTTP threads call submit/get/list; the worker runs the
 * exports; one mutex guards the job list.
 */
#ifndef NVR_EXPORT_JOBS_H
#define NVR_EXPORT_JOBS_H

#include "base/err.h"
#include "export/export.h"
#include "export/export_names.h"

#include <stdint.h>
#include <stdio.h>

#define EXPORT_ID_LEN 32
#define EXPORT_MAX_JOBS 1000

struct export_jobs;

enum export_state { EXPORT_QUEUED, EXPORT_RUNNING, EXPORT_DONE, EXPORT_FAILED };

struct export_job_status {
    char id[EXPORT_ID_LEN + 1];
    enum export_state state;
    double progress; /* 0..1 */
    char error[256]; /* when failed */
    uint64_t size;   /* zip bytes when done */
    int64_t created_us, finished_us;
    int64_t from_us, to_us; /* 0 for jobs found on disk at start-up */
    char operator_name[EXPORT_OPERATOR_MAX];
    char cameras[512];                            /* the cameras' ids, comma-separated */
    char camera_names[1024];                      /* their display names, "\n"-separated, in the same order */
    char case_id[256], reason[256];               /* as asked, cut to fit */
    char download_name[EXPORT_DOWNLOAD_NAME_MAX]; /* the zip's file name to suggest (export_names.h) */
    char redacted_from[EXPORT_ID_LEN + 1];        /* a redacted copy: the original export's id; "" otherwise */
};

/* Starts the worker.  st and key are borrowed and must outlive it. */
nvr_err export_jobs_start(struct export_jobs **out, struct storage *st, const struct sign_key *key);

/* Stops a running export, joins the worker, frees; sets *j NULL. */
void export_jobs_stop(struct export_jobs **j);

/* Queues req (copied); its id into id.  NVR_ENOMEM when EXPORT_MAX_JOBS
 * jobs are queued or running. */
nvr_err export_jobs_submit(struct export_jobs *j, const struct export_request *req, char id[EXPORT_ID_LEN + 1]);

/* A job that is not an export_run, taking its turn in the same queue and
 * worker (a redacted copy, nvr/redact: one render at a time, exports and
 * redactions alike).  run writes the zip at out_path as export_run does,
 * id being the job's own; it runs on the worker thread. */
typedef nvr_err (*export_job_fn)(void *arg, const char *id, struct storage *st, const struct sign_key *key,
                                 const char *out_path, export_progress_fn progress, void *progress_arg,
                                 uint64_t *zip_bytes, char *err, size_t errlen);

/* Queues run(arg); info gives what the job's status shows (operator,
 * cameras and names, range, case, reason, download name, redacted_from);
 * the rest is set here.  Takes arg whatever happens: free_arg(arg) once run
 * has returned, when the queue stops first, or now on failure (NVR_ENOMEM
 * as export_jobs_submit). */
nvr_err export_jobs_submit_fn(struct export_jobs *j, const struct export_job_status *info, export_job_fn run,
                              void (*free_arg)(void *), void *arg, char id[EXPORT_ID_LEN + 1]);

/* The status of job id; NVR_ENOTFOUND if there is none. */
nvr_err export_jobs_get(struct export_jobs *j, const char *id, struct export_job_status *out);

/* Writes {"exports":[...]} (newest first): every job, or with operator
 * not NULL only the jobs that operator made. */
void export_jobs_write_list(struct export_jobs *j, FILE *f, const char *operator_name);

/* Writes one status as JSON. */
void export_jobs_write_status(FILE *f, const struct export_job_status *s);

/* The zip of a done job: data_dir/exports/ID.zip into path. */
nvr_err export_jobs_zip_path(struct export_jobs *j, const char *id, char *path, size_t n);

/* "NAME.zip" -> "NAME-redacted.zip" in place (if it fits). */
void export_jobs_redacted_name(char name[EXPORT_DOWNLOAD_NAME_MAX]);

/* Whether id has the form of a job id (32 lowercase hex digits). */
int export_jobs_valid_id(const char *id);

#endif
