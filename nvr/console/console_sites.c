/* SPDX-License-Identifier: Apache-2.0 */
/* console_sites.c - GET /api/v1/sites and GET /api/v1/cameras: the
 * district from the catalog, as far as the person may see it. */
#include "console/console_int.h"

#include "base/clock.h"
#include "base/json.h"
#include "storage/users.h"

#include <stdlib.h>
#include <string.h>

#define SITE_UP_US (60LL * 1000000) /* a site is up when it published this recently */

/* Whether u may see site: a grant covers it, or one of its cameras' groups
 * (rows of groups: site, group_name). */
static int site_visible(const struct console_user *u, const char *site, PGresult *groups)
{
    if (console_site_covered(u, site, NULL))
        return 1;
    for (int i = 0; groups && i < PQntuples(groups); i++)
        if (strcmp(PQgetvalue(groups, i, 0), site) == 0 && console_site_covered(u, site, PQgetvalue(groups, i, 1)))
            return 1;
    return 0;
}

static void write_site(FILE *f, PGresult *res, int i, int64_t now)
{
    int64_t seen = strtoll(PQgetvalue(res, i, 3), NULL, 10);
    fputs("{\"name\":", f);
    json_write_string(f, PQgetvalue(res, i, 0));
    fputs(",\"version\":", f);
    json_write_string(f, PQgetvalue(res, i, 1));
    fputs(",\"url\":", f);
    if (PQgetisnull(res, i, 2))
        fputs("null", f);
    else
        json_write_string(f, PQgetvalue(res, i, 2));
    fputs(",\"last_seen\":", f);
    json_write_time(f, seen);
    fprintf(f, ",\"status\":\"%s\",\"cameras\":%s,\"open_alerts\":%s,\"storage\":",
            now - seen <= SITE_UP_US ? "up" : "down", PQgetvalue(res, i, 4), PQgetvalue(res, i, 5));
    const char *st = PQgetvalue(res, i, 6);
    json_write_string(f, PQgetisnull(res, i, 6) ? "unknown" : strcmp(st, "ok") == 0 ? "ok" : "degraded");
    fputc('}', f);
}

http_result console_sites(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    const struct console_user *u = console_user(r);
    PGresult *res;
    if (console_pg_exec(c->pg,
                        "SELECT s.name, s.version, s.url, s.last_seen_us, "
                        "COALESCE((SELECT json_object_agg(status, n)::text FROM (SELECT status, count(*) AS n "
                        "FROM nvr_cameras k WHERE k.site = s.name GROUP BY status) x), '{}'), "
                        "(SELECT count(*) FROM nvr_alerts a WHERE a.site = s.name AND a.state IN ('open', "
                        "'acknowledged')), "
                        "(SELECT CASE WHEN bool_and(d.state = 'ok' AND d.writable) THEN 'ok' ELSE 'degraded' END "
                        "FROM nvr_storage d WHERE d.site = s.name) "
                        "FROM nvr_sites s ORDER BY s.name",
                        0, NULL, &res))
        return console_reply_catalog_down(r);
    PGresult *groups = NULL;
    if (u->role != USER_ADMIN &&
        console_pg_exec(c->pg,
                        "SELECT DISTINCT site, group_name FROM nvr_cameras WHERE status <> 'removed' "
                        "AND group_name IS NOT NULL",
                        0, NULL, &groups)) {
        PQclear(res);
        return console_reply_catalog_down(r);
    }
    struct http_body b;
    if (http_body_open(&b)) {
        PQclear(res);
        PQclear(groups);
        return http_reply_error(r, 500, "out of memory");
    }
    int64_t now = nvr_clock_now_us();
    int n = 0;
    fputs("{\"sites\":[", b.f);
    for (int i = 0; i < PQntuples(res); i++) {
        if (!site_visible(u, PQgetvalue(res, i, 0), groups))
            continue;
        if (n++)
            fputc(',', b.f);
        write_site(b.f, res, i, now);
    }
    fputs("]}\n", b.f);
    PQclear(res);
    PQclear(groups);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

http_result console_cameras(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    const struct console_user *u = console_user(r);
    PGresult *res;
    struct http_body b;
    http_result answer;
    if (!console_pg_body(r, c,
                         "SELECT site, id, name, status, codec, width, height, last_error, updated_us, group_name "
                         "FROM nvr_cameras "
                         "WHERE status <> 'removed' ORDER BY site, id",
                         0, NULL, &res, &b, &answer))
        return answer;
    int n = 0;
    fputs("{\"cameras\":[", b.f);
    for (int i = 0; i < PQntuples(res); i++) {
        const char *site = PQgetvalue(res, i, 0), *id = PQgetvalue(res, i, 1);
        const char *group = PQgetisnull(res, i, 9) ? NULL : PQgetvalue(res, i, 9);
        if (!console_may_see(u, site, id, group))
            continue;
        if (n++)
            fputc(',', b.f);
        char full[160];
        snprintf(full, sizeof full, "%s.%s", site, id);
        fputs("{\"id\":", b.f);
        json_write_string(b.f, full);
        fputs(",\"site\":", b.f);
        json_write_string(b.f, site);
        fputs(",\"camera\":", b.f);
        json_write_string(b.f, id);
        fputs(",\"name\":", b.f);
        json_write_string(b.f, PQgetvalue(res, i, 2));
        fputs(",\"status\":", b.f);
        json_write_string(b.f, PQgetvalue(res, i, 3));
        fputs(",\"codec\":", b.f);
        json_write_string(b.f, PQgetvalue(res, i, 4));
        fprintf(b.f, ",\"width\":%s,\"height\":%s,\"last_error\":", PQgetvalue(res, i, 5), PQgetvalue(res, i, 6));
        json_write_string(b.f, PQgetvalue(res, i, 7));
        fputs(",\"updated\":", b.f);
        json_write_time(b.f, strtoll(PQgetvalue(res, i, 8), NULL, 10));
        fputs(",\"group\":", b.f);
        if (group)
            json_write_string(b.f, group);
        else
            fputs("null", b.f);
        fputc('}', b.f);
    }
    fputs("]}\n", b.f);
    PQclear(res);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}

#define COVERAGE_SPAN_MAX_US (31LL * 86400 * 1000000) /* what one question may ask */

/* Writes the runs of res (camera, start_us, end_us, group; ordered by camera) of
 * the cameras u may see, clipped to [from, to), one entry per camera. */
static void write_coverage(FILE *f, PGresult *res, const struct console_user *u, const char *site, int64_t from,
                           int64_t to)
{
    const char *cam = NULL;
    int visible = 0, ncam = 0;
    fputs("{\"site\":", f);
    json_write_string(f, site);
    fputs(",\"cameras\":[", f);
    for (int i = 0; i < PQntuples(res); i++) {
        const char *c = PQgetvalue(res, i, 0);
        if (!cam || strcmp(cam, c) != 0) {
            if (visible)
                fputs("]}", f);
            cam = c;
            if (!(visible = console_may_see(u, site, c, PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3))))
                continue;
            char id[160];
            snprintf(id, sizeof id, "%s.%s", site, c);
            fputs(ncam++ ? ",{\"id\":" : "{\"id\":", f);
            json_write_string(f, id);
            fputs(",\"runs\":[", f);
        } else if (!visible) {
            continue;
        } else {
            fputc(',', f);
        }
        int64_t s = strtoll(PQgetvalue(res, i, 1), NULL, 10), e = strtoll(PQgetvalue(res, i, 2), NULL, 10);
        fputc('[', f);
        json_write_time(f, s > from ? s : from);
        fputc(',', f);
        json_write_time(f, e < to ? e : to);
        fputc(']', f);
    }
    if (visible)
        fputs("]}", f);
    fputs("]}\n", f);
}

http_result console_coverage(struct http_request *r, struct nvr *nvr)
{
    struct console *c = console_of(nvr);
    const struct console_user *u = console_user(r);
    const char *site = http_param(r, 0), *s = http_query(r, "start"), *e = http_query(r, "end");
    int64_t from, to;
    if (!s || !e || nvr_clock_parse_rfc3339(s, &from) || nvr_clock_parse_rfc3339(e, &to))
        return http_reply_error(r, 400, "start and end must be RFC 3339 times");
    if (to <= from || to - from > COVERAGE_SPAN_MAX_US)
        return http_reply_error(r, 400, "end must be after start, at most 31 days later");
    int visible = console_site_visible(c, u, site);
    if (visible < 0)
        return console_reply_catalog_down(r);
    if (!visible)
        return http_reply_error(r, 404, "no such site");
    char f[24], t[24];
    snprintf(f, sizeof f, "%lld", (long long)from);
    snprintf(t, sizeof t, "%lld", (long long)to);
    const char *p[] = {site, f, t};
    PGresult *res;
    struct http_body b;
    http_result answer;
    if (!console_pg_body(r, c,
                         "SELECT v.camera, v.start_us, v.end_us, k.group_name FROM nvr_coverage v "
                         "JOIN nvr_cameras k ON k.site = v.site AND k.id = v.camera WHERE v.site = $1 "
                         "AND v.end_us > $2 AND v.start_us < $3 ORDER BY v.camera, v.start_us",
                         3, p, &res, &b, &answer))
        return answer;
    write_coverage(b.f, res, u, site, from, to);
    PQclear(res);
    return http_body_send(r, &b, 200, "application/json", "no-store");
}
