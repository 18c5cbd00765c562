/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_audit.c - the audit routes (see http_audit.h).  The handlers only
 * copy the report out of, or post a request to, the audit runner
 * (audit_runner.c), which does all disk and network work in its thread.
 */
#include "http/http_audit.h"

#include "audit/audit_runner.h"
#include "base/clock.h"
#include "base/err.h"
#include "core/nvr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

http_result http_audit_get(struct http_request *r, struct nvr *nvr)
{
    char *body = NULL;
    size_t len = 0;
    const char *fmt = http_query(r, "format");
    int csv = fmt && strcmp(fmt, "csv") == 0;
    if (fmt && !csv && strcmp(fmt, "json") != 0)
        return http_reply_error(r, 400, "format must be json or csv");
    if (!nvr->audit)
        return http_reply_error(r, 503, "the audit is not available");
    int rc = csv ? audit_runner_report_csv(nvr->audit, &body, &len) : audit_runner_report(nvr->audit, &body, &len);
    if (rc == NVR_ENOTFOUND)
        return http_reply_error(r, 503, "the audit report is being prepared; retry in a moment");
    if (rc)
        return http_reply_error(r, 500, "cannot build the audit report: %s", nvr_strerror(rc));
    if (csv) { /* a dated file name, as the page's JSON download has */
        char now[NVR_TIME_BUFSZ], disp[96];
        nvr_clock_format_rfc3339(nvr_clock_now_us(), now);
        snprintf(disp, sizeof disp, "attachment; filename=\"ndaa-audit-%.10s.csv\"", now);
        http_add_reply_header(r, "Content-Disposition", disp);
    }
    return http_reply(r, 200, csv ? "text/csv; charset=utf-8" : "application/json", body, len, "no-store");
}

http_result http_audit_post(struct http_request *r, struct nvr *nvr)
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

http_result http_audit_containment(struct http_request *r, struct nvr *nvr)
{
    struct audit_contain_opts o = {0};
    const char *fmt = http_query(r, "format"), *allow = http_query(r, "allow"), *rec = http_query(r, "recorder");
    char allow_buf[512], canon[AUDIT_ADDR_MAX];
    int v6;
    if (audit_firewall_parse(fmt ? fmt : "nft", &o.format))
        return http_reply_error(r, 400, "format must be nft, iptables or table");
    if (rec && audit_contain_addr(rec, canon, &v6))
        return http_reply_error(r, 400, "recorder must be an IPv4 or IPv6 address");
    o.recorder = rec;
    if (allow) { /* address literals only: nothing else reaches the rules */
        if (strlen(allow) >= sizeof allow_buf)
            return http_reply_error(r, 400, "allow is too long");
        snprintf(allow_buf, sizeof allow_buf, "%s", allow);
        for (char *save = NULL, *a = strtok_r(allow_buf, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
            if (o.nallow == AUDIT_MAX_ALLOW || audit_contain_addr(a, canon, &v6))
                return http_reply_error(r, 400, "allow takes up to %d IPv4 or IPv6 addresses, comma-separated",
                                        AUDIT_MAX_ALLOW);
            o.allow[o.nallow++] = a;
        }
    }
    if (!nvr->audit)
        return http_reply_error(r, 503, "the audit is not available");
    char *body = NULL;
    size_t len = 0;
    int rc = audit_runner_containment(nvr->audit, &o, &body, &len);
    if (rc == NVR_ENOTFOUND)
        return http_reply_error(r, 503, "the audit report is being prepared; retry in a moment");
    if (rc)
        return http_reply_error(r, 500, "cannot build the rules: %s", nvr_strerror(rc));
    char now[NVR_TIME_BUFSZ], disp[128];
    nvr_clock_format_rfc3339(nvr_clock_now_us(), now);
    snprintf(disp, sizeof disp, "attachment; filename=\"nvr-containment-%.10s.%s\"", now,
             o.format == AUDIT_FW_NFT        ? "nft"
             : o.format == AUDIT_FW_IPTABLES ? "iptables"
                                             : "tsv");
    http_add_reply_header(r, "Content-Disposition", disp);
    return http_reply(r, 200, "text/plain; charset=utf-8", body, len, "no-store");
}
