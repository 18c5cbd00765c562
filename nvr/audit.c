/*
 * audit.c - judging observations and writing the audit report (see
 * audit.h).  No I/O but the FILE the report goes to; no state.
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
#include "audit.h"

#include "nvr/base/clock.h"
#include "nvr/base/csv.h"
#include "nvr/base/json.h"
#include "nvr/safexml.h"

#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NVR_DATADIR
#define NVR_DATADIR "/usr/local/share/nvr"
#endif

static const char *const matchable[] = {
    "onvif_manufacturer", "onvif_model", "onvif_firmware", "onvif_hardware", "mac_oui", "rtsp_server",
    "sdp_session", "sdp_info", "sdp_tool", "http_server", "http_realm", "isapi", "magicbox", NULL,
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
        snprintf(out->reason, sizeof out->reason, "the device names itself \"%.100s\": %.120s of %.60s, a covered company",
                 out->label, label_ev->m.what, label_ev->m.company_name);
    } else if (cov && out->label[0]) {
        out->verdict = AUDIT_WHITE_LABEL;
        snprintf(out->maker, sizeof out->maker, "%s", cov->m.company_name);
        snprintf(out->reason, sizeof out->reason,
                 "labelled \"%.80s\", but %.40s matches %.120s of %.60s, a covered company", out->label,
                 cov->sig->name, cov->m.what, cov->m.company_name);
    } else if (cov) {
        out->verdict = AUDIT_COVERED;
        snprintf(out->maker, sizeof out->maker, "%s", cov->m.company_name);
        snprintf(out->reason, sizeof out->reason, "no label; %.40s matches %.120s of %.60s, a covered company",
                 cov->sig->name, cov->m.what, cov->m.company_name);
    } else if (out->label[0] || org) {
        out->verdict = AUDIT_OTHER;
        if (label_ev && label_ev->matched && !label_ev->m.covered)
            snprintf(out->maker, sizeof out->maker, "%s", label_ev->m.company_name);
        else
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

static void write_evidence_json(FILE *f, const struct audit_evidence *e)
{
    fputs("{\"signal\":", f);
    json_write_string(f, e->sig->name);
    fputs(",\"value\":", f);
    json_write_string(f, e->sig->value);
    if (e->matched) {
        fputs(",\"matched\":", f);
        json_write_string(f, e->m.what);
        fputs(",\"company\":", f);
        json_write_string(f, e->m.company);
        fprintf(f, ",\"covered\":%s,\"oem\":%s,\"source\":", e->m.covered ? "true" : "false",
                e->m.oem ? "true" : "false");
        json_write_string(f, e->m.source);
    } else {
        fputs(",\"matched\":null,\"company\":null,\"covered\":false,\"oem\":false,\"source\":null", f);
    }
    fputc('}', f);
}

void audit_write_json(FILE *f, const struct vendors *v, const struct nvr_config *cfg, const struct audit_store *st,
                      int64_t now_us)
{
    size_t counts[4] = {0};
    fputs("{\"generated\":", f);
    json_write_time(f, now_us);
    fputs(",\"cameras\":[", f);
    for (size_t i = 0; i < cfg->ncameras; i++) {
        const struct nvr_camera_config *cam = &cfg->cameras[i];
        const struct audit_camera *obs = audit_store_get(st, cam->id);
        struct audit_camera none = {0};
        struct audit_result r;
        if (!obs)
            obs = &none;
        audit_classify(v, obs, &r);
        counts[r.verdict]++;
        fputs(i ? ",{\"id\":" : "{\"id\":", f);
        json_write_string(f, cam->id);
        fputs(",\"name\":", f);
        json_write_string(f, cam->name);
        fputs(",\"verdict\":", f);
        json_write_string(f, audit_verdict_name(r.verdict));
        fputs(",\"maker\":", f);
        if (r.maker[0])
            json_write_string(f, r.maker);
        else
            fputs("null", f);
        fputs(",\"label\":", f);
        if (r.label[0])
            json_write_string(f, r.label);
        else
            fputs("null", f);
        fprintf(f, ",\"review\":%s,\"reason\":", r.review ? "true" : "false");
        json_write_string(f, r.reason);
        fputs(",\"probed_at\":", f);
        if (obs->probed_us)
            json_write_time(f, obs->probed_us);
        else
            fputs("null", f);
        fputs(",\"evidence\":[", f);
        for (size_t k = 0; k < r.n; k++) {
            if (k)
                fputc(',', f);
            write_evidence_json(f, &r.ev[k]);
        }
        fputs("]}", f);
    }
    fprintf(f, "],\"summary\":{\"covered\":%zu,\"likely_covered_white_label\":%zu,\"other\":%zu,\"unknown\":%zu},",
            counts[AUDIT_COVERED], counts[AUDIT_WHITE_LABEL], counts[AUDIT_OTHER], counts[AUDIT_UNKNOWN]);
    fputs("\"notice\":\"Heuristic evidence from the devices' own answers, not legal advice; see docs/design/audit.md.\"}",
          f);
}

/* One CSV field: quoted, quotes doubled, and a leading = + - @ defused so a
 * spreadsheet never runs a device-supplied formula. */
void audit_write_csv(FILE *f, const struct vendors *v, const struct nvr_config *cfg, const struct audit_store *st)
{
    fputs("camera,name,verdict,maker,label,review,probed_at,reason,evidence\r\n", f);
    for (size_t i = 0; i < cfg->ncameras; i++) {
        const struct nvr_camera_config *cam = &cfg->cameras[i];
        const struct audit_camera *obs = audit_store_get(st, cam->id);
        struct audit_camera none = {0};
        struct audit_result r;
        char when[NVR_TIME_BUFSZ] = "";
        char *ev = NULL;
        size_t evlen = 0;
        if (!obs)
            obs = &none;
        audit_classify(v, obs, &r);
        if (obs->probed_us)
            nvr_clock_format_rfc3339(obs->probed_us, when);
        FILE *m = open_memstream(&ev, &evlen);
        for (size_t k = 0; m && k < r.n; k++) {
            fprintf(m, "%s%s=%s", k ? "; " : "", r.ev[k].sig->name, r.ev[k].sig->value);
            if (r.ev[k].matched)
                fprintf(m, " [%s -> %s%s]", r.ev[k].m.what, r.ev[k].m.company, r.ev[k].m.covered ? ", covered" : "");
        }
        if (m)
            fclose(m);
        csv_write_cell(f, cam->id);
        fputc(',', f);
        csv_write_cell(f, cam->name);
        fputc(',', f);
        csv_write_cell(f, audit_verdict_name(r.verdict));
        fputc(',', f);
        csv_write_cell(f, r.maker);
        fputc(',', f);
        csv_write_cell(f, r.label);
        fputc(',', f);
        csv_write_cell(f, r.review ? "yes" : "no");
        fputc(',', f);
        csv_write_cell(f, when);
        fputc(',', f);
        csv_write_cell(f, r.reason);
        fputc(',', f);
        csv_write_cell(f, ev ? ev : "");
        fputs("\r\n", f);
        free(ev);
    }
}

void audit_write_text(FILE *f, const struct vendors *v, const struct nvr_config *cfg, const struct audit_store *st)
{
    for (size_t i = 0; i < cfg->ncameras; i++) {
        const struct nvr_camera_config *cam = &cfg->cameras[i];
        const struct audit_camera *obs = audit_store_get(st, cam->id);
        struct audit_camera none = {0};
        struct audit_result r;
        if (!obs)
            obs = &none;
        audit_classify(v, obs, &r);
        fprintf(f, "%s: %s%s%s%s\n  %s\n", cam->id, audit_verdict_name(r.verdict), r.maker[0] ? " (" : "", r.maker,
                r.maker[0] ? ")" : "", r.reason);
        for (size_t k = 0; k < r.n; k++) {
            fprintf(f, "    %-18s %s", r.ev[k].sig->name, r.ev[k].sig->value);
            if (r.ev[k].matched)
                fprintf(f, "  => %s: %s%s", r.ev[k].m.company, r.ev[k].m.what,
                        r.ev[k].m.covered ? " [covered]" : "");
            fputc('\n', f);
        }
    }
    fputs("Heuristic evidence, not legal advice (docs/design/audit.md).\n", f);
}
