/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit.c - judging observations (see audit.h).  No I/O, no state; the
 * report is written by audit_report.c.
 *
 * Verdict rules, in order (docs/design/audit.md):
 *  R1 the label (ONVIF manufacturer) is a covered company or one of its
 *     brands                                            -> covered
 *  R2 some other signal points at a covered company (OUI, fingerprint,
 *     vendor endpoint, brand in a header or firmware):
 *       with a label that is not covered               -> likely_covered_white_label
 *       with no label at all                           -> covered
 *  R3 a label, or a MAC whose OUI is registered        -> other
 *  R4 otherwise                                        -> unknown
 * A label listed as a reported OEM of a covered maker, with nothing
 * underneath, stays `other` but is flagged for review.
 */
#include "audit/audit.h"

#include "base/clock.h"
#include "base/csv.h"
#include "base/json.h"
#include "onvif/safexml.h"

#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NVR_DATADIR
#define NVR_DATADIR "/usr/local/share/nvr"
#endif

static const char *const matchable[] = {
    "onvif_manufacturer", "onvif_model", "onvif_firmware", "onvif_hardware", "mac_oui", "rtsp_server", "sdp_session",
    "sdp_info",           "sdp_tool",    "http_server",    "http_realm",     "isapi",   "magicbox",    NULL,
};

static int is_matchable(const char *name)
{
    for (const char *const *p = matchable; *p; p++)
        if (strcmp(*p, name) == 0)
            return 1;
    return 0;
}

void audit_camera_add(struct audit_camera *c, const char *name, const char *value)
{
    if (!value || !value[0] || c->n >= AUDIT_MAX_SIGNALS)
        return;
    struct audit_signal *s = &c->s[c->n];
    safexml_clean(name, strlen(name), s->name, sizeof s->name);
    if (!safexml_clean(value, strlen(value), s->value, sizeof s->value))
        return;
    c->n++;
}

const char *audit_camera_get(const struct audit_camera *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->s[i].name, name) == 0)
            return c->s[i].value;
    return NULL;
}

const char *audit_verdict_name(enum audit_verdict v)
{
    switch (v) {
    case AUDIT_OTHER: return "other";
    case AUDIT_COVERED: return "covered";
    case AUDIT_WHITE_LABEL: return "likely_covered_white_label";
    default: return "unknown";
    }
}

void audit_classify(const struct vendors *v, const struct audit_camera *c, struct audit_result *out)
{
    const struct audit_evidence *label_ev = NULL, *cov = NULL;
    const char *org = NULL;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < c->n; i++) {
        struct audit_evidence *e = &out->ev[out->n++];
        e->sig = &c->s[i];
        if (is_matchable(e->sig->name))
            e->matched = vendors_match(v, e->sig->name, e->sig->value, &e->m);
        if (strcmp(e->sig->name, "onvif_manufacturer") == 0 && !label_ev)
            label_ev = e;
        else if (e->matched && e->m.covered && !e->m.oem && !cov)
            cov = e;
        if (strcmp(e->sig->name, "mac_oui") == 0 && !org)
            org = vendors_oui_org(v, e->sig->value);
    }
    if (label_ev)
        snprintf(out->label, sizeof out->label, "%s", label_ev->sig->value);
    if (label_ev && label_ev->matched && label_ev->m.covered && !label_ev->m.oem) {
        out->verdict = AUDIT_COVERED;
        snprintf(out->maker, sizeof out->maker, "%s", label_ev->m.company_name);
        snprintf(out->company, sizeof out->company, "%s", label_ev->m.company);
        snprintf(out->reason, sizeof out->reason,
                 "the device names itself \"%.100s\": %.120s of %.60s, a covered company", out->label, label_ev->m.what,
                 label_ev->m.company_name);
    } else if (cov && out->label[0]) {
        out->verdict = AUDIT_WHITE_LABEL;
        snprintf(out->maker, sizeof out->maker, "%s", cov->m.company_name);
        snprintf(out->company, sizeof out->company, "%s", cov->m.company);
        snprintf(out->reason, sizeof out->reason,
                 "labelled \"%.80s\", but %.40s matches %.120s of %.60s, a covered company", out->label, cov->sig->name,
                 cov->m.what, cov->m.company_name);
    } else if (cov) {
        out->verdict = AUDIT_COVERED;
        snprintf(out->maker, sizeof out->maker, "%s", cov->m.company_name);
        snprintf(out->company, sizeof out->company, "%s", cov->m.company);
        snprintf(out->reason, sizeof out->reason, "no label; %.40s matches %.120s of %.60s, a covered company",
                 cov->sig->name, cov->m.what, cov->m.company_name);
    } else if (out->label[0] || org) {
        out->verdict = AUDIT_OTHER;
        if (label_ev && label_ev->matched && !label_ev->m.covered) {
            snprintf(out->maker, sizeof out->maker, "%s", label_ev->m.company_name);
            if (!label_ev->m.oem)
                snprintf(out->company, sizeof out->company, "%s", label_ev->m.company);
        } else
            snprintf(out->maker, sizeof out->maker, "%.127s", out->label[0] ? out->label : org);
        snprintf(out->reason, sizeof out->reason, "identified as \"%.100s\"; no signal points at a covered company",
                 out->maker);
        if (label_ev && label_ev->matched && label_ev->m.oem) {
            out->review = 1;
            snprintf(out->reason, sizeof out->reason,
                     "labelled \"%.80s\", a %.60s of %.60s, but no signal underneath confirms the maker: check it",
                     out->label, label_ev->m.what, label_ev->m.company_name);
        }
    } else {
        out->verdict = AUDIT_UNKNOWN;
        snprintf(out->reason, sizeof out->reason, "%s",
                 c->probed_us ? "no signal identifies the maker (see the errors in the evidence)"
                              : "not probed yet: run nvr audit --probe");
    }
}

void audit_default_vendors_path(char *buf, size_t cap)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if (snprintf(buf, cap, "%s/../share/nvr/ndaa-vendors.ini", exe) < (int)cap && access(buf, R_OK) == 0)
                return;
            if (snprintf(buf, cap, "%s/share/nvr/ndaa-vendors.ini", exe) < (int)cap && access(buf, R_OK) == 0)
                return;
        }
    }
    snprintf(buf, cap, "%s", NVR_DATADIR "/ndaa-vendors.ini");
}
