/*
 * http_audit.c - the audit routes (see http_audit.h).  The handlers only
 * copy the report out of, or post a request to, the audit runner
 * (audit_runner.c), which does all disk and network work in its thread.
 */
#include "http_audit.h"

#include "nvr/audit_runner.h"
#include "nvr/base/err.h"
#include "nvr/nvr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int http_audit_get(struct http_request *r, struct nvr *nvr)
{
    char *json = NULL;
    size_t len = 0;
    if (!nvr->audit)
        return http_reply_error(r, 503, "the audit is not available");
    int rc = audit_runner_report(nvr->audit, &json, &len);
    if (rc == NVR_ENOTFOUND)
        return http_reply_error(r, 503, "the audit report is being prepared; retry in a moment");
    if (rc)
        return http_reply_error(r, 500, "cannot build the audit report: %s", nvr_strerror(rc));
    return http_reply(r, 200, "application/json", json, len, "no-store");
}

int http_audit_post(struct http_request *r, struct nvr *nvr)
{
    if (!nvr->audit)
        return http_reply_error(r, 503, "the audit is not available");
    if (audit_runner_request(nvr->audit))
        return http_reply_error(r, 409, "an audit probe is already running");
    char *body = NULL;
    if (asprintf(&body, "{\"status\":\"probing\",\"report\":\"/api/v1/audit\"}\n") < 0)
        return http_reply_error(r, 500, "out of memory");
    return http_reply(r, 202, "application/json", body, strlen(body), "no-store");
}
