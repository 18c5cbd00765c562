/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_runner.h - the audit as a background job of `nvr run`, for the HTTP
 * routes: keeps the current report (JSON text) in memory and runs a probe
 * of every camera on request, in its own thread, one run at a time.
 *
 * Threads: the runner's thread does all the work (loading the vendor data
 * and OUI registry, probing, writing data_dir/audit.json, building the
 * report); HTTP threads only copy the report out or ask for a run, under
 * the runner's mutex, so no HTTP thread ever blocks on disk or network.
 */
#ifndef NVR_AUDIT_RUNNER_H
#define NVR_AUDIT_RUNNER_H

#include "base/err.h"
#include "audit/audit.h"
#include "base/config.h"
#include "core/cameras.h"

#include <stddef.h>
#include <stdint.h>

struct audit_runner;

/* Starts the thread, which builds the first report from the stored
 * observations.  cfg (data_dir) and cams are borrowed and must outlive the
 * runner.  The report and the probes cover the cameras recording now
 * (config file and API); the report is rebuilt within a few seconds of a
 * camera being added or removed.  cams NULL: cfg's cameras. */
nvr_err audit_runner_start(struct audit_runner **out, const struct nvr_config *cfg, const struct cameras *cams);

/* Asks a run in progress to stop after the current camera, joins, frees;
 * sets *r NULL.  Tolerates NULL. */
void audit_runner_stop(struct audit_runner **r);

/* Asks for a probe run.  0 if started, NVR_EINVAL if one is already
 * running (the caller answers 409). */
nvr_err audit_runner_request(struct audit_runner *r);

/* A copy of the current report as one JSON document with the runner's
 * state in front ({"running":..,"probe_started":..,"probe_finished":..,
 * "error":..,  then the audit_write_json members}); malloc'ed, the caller
 * frees.  NVR_ENOTFOUND until the first report is built. */
nvr_err audit_runner_report(struct audit_runner *r, char **json, size_t *len);

/* A copy of the same report as CSV (audit_write_csv: one row per camera,
 * evidence in one cell, formulas made inert), built together with the
 * JSON; malloc'ed (NUL-terminated), the caller frees.  NVR_ENOTFOUND until
 * the first report is built. */
nvr_err audit_runner_report_csv(struct audit_runner *r, char **csv, size_t *len);

/* The containment rules of the current report's covered and exposed
 * cameras (audit_contain_write with o; o->now_us 0: now), malloc'ed,
 * NUL-terminated; the caller frees.  NVR_ENOTFOUND until the first report
 * is built.  Formatting only, under the runner's mutex: the camera
 * addresses were resolved when the report was built. */
nvr_err audit_runner_containment(struct audit_runner *r, const struct audit_contain_opts *o, char **text, size_t *len);

#endif
