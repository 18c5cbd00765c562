/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_report.c - the audit report of every configured camera, judged from
 * the stored observations, as JSON, CSV or text (see audit.h, "reports").
 * No I/O but the FILE the report goes to; no state.
 */
#include "audit/audit.h"

#include "base/clock.h"
#include "base/csv.h"
#include "base/json.h"

#include <stdlib.h>
#include <string.h>

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

static void write_exposure_json(FILE *f, const struct audit_exposure *x, size_t n)
{
    fputs(",\"exposure\":[", f);
    for (size_t k = 0; k < n; k++) {
        fputs(k ? ",{\"kind\":" : "{\"kind\":", f);
        json_write_string(f, x[k].kind);
        fputs(",\"detail\":", f);
        json_write_string(f, x[k].detail);
        fputs(",\"evidence\":", f);
        json_write_string(f, x[k].evidence);
        fputs(",\"source\":", f);
        json_write_string(f, x[k].source);
        fputc('}', f);
    }
    fputc(']', f);
}

void audit_write_json(FILE *f, const struct vendors *v, const struct nvr_config *cfg, const struct audit_store *st,
                      int64_t now_us)
{
    size_t counts[4] = {0}, exposed = 0;
    struct audit_exposure *x = malloc(AUDIT_MAX_EXPOSURES * sizeof *x);
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
        fputc(']', f);
        size_t nx = x ? audit_exposures(v, obs, &r, x, AUDIT_MAX_EXPOSURES) : 0;
        exposed += nx > 0;
        write_exposure_json(f, x, nx);
        fputc('}', f);
    }
    free(x);
    fprintf(f,
            "],\"summary\":{\"covered\":%zu,\"likely_covered_white_label\":%zu,\"other\":%zu,\"unknown\":%zu,"
            "\"exposed\":%zu},",
            counts[AUDIT_COVERED], counts[AUDIT_WHITE_LABEL], counts[AUDIT_OTHER], counts[AUDIT_UNKNOWN], exposed);
    fputs(
        "\"notice\":\"Heuristic evidence from the devices' own answers, not legal advice; see docs/design/audit.md.\"}",
        f);
}

/* One CSV field: quoted, quotes doubled, and a leading = + - @ defused so a
 * spreadsheet never runs a device-supplied formula. */
void audit_write_csv(FILE *f, const struct vendors *v, const struct nvr_config *cfg, const struct audit_store *st)
{
    struct audit_exposure *x = malloc(AUDIT_MAX_EXPOSURES * sizeof *x);
    fputs("camera,name,verdict,maker,label,review,probed_at,reason,evidence,exposure\r\n", f);
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
        fputc(',', f);
        free(ev);
        ev = NULL;
        evlen = 0;
        size_t nx = x ? audit_exposures(v, obs, &r, x, AUDIT_MAX_EXPOSURES) : 0;
        m = open_memstream(&ev, &evlen);
        for (size_t k = 0; m && k < nx; k++)
            fprintf(m, "%s%s: %s [%s] (source: %s)", k ? "; " : "", x[k].kind, x[k].detail, x[k].evidence, x[k].source);
        if (m)
            fclose(m);
        csv_write_cell(f, ev ? ev : "");
        fputs("\r\n", f);
        free(ev);
    }
    free(x);
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
                fprintf(f, "  => %s: %s%s", r.ev[k].m.company, r.ev[k].m.what, r.ev[k].m.covered ? " [covered]" : "");
            fputc('\n', f);
        }
        struct audit_exposure x[AUDIT_MAX_EXPOSURES];
        size_t nx = audit_exposures(v, obs, &r, x, AUDIT_MAX_EXPOSURES);
        for (size_t k = 0; k < nx; k++)
            fprintf(f, "  EXPOSURE %s: %s\n    evidence: %s\n    source: %s\n", x[k].kind, x[k].detail, x[k].evidence,
                    x[k].source);
    }
    fputs("Heuristic evidence, not legal advice (docs/design/audit.md).\n", f);
}
