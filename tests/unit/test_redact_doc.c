/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_redact_doc.c - the redactions document (redact_doc.h): a full
 * document parses to the values given; keyframes interpolate linearly and
 * hold before the first and after the last; a written document parses back
 * to the same; every kind of bad document is refused with an error naming
 * the field (wrong types, boxes outside 0..1 or empty, unknown members,
 * times out of order, too many shapes); the default "by".
 */
#include "check.h"

#include "base/clock.h"
#include "redact/redact_doc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t T(const char *s)
{
    int64_t us = 0;
    nvr_clock_parse_rfc3339(s, &us);
    return us;
}

static const char good[] =
    "{\"shapes\": ["
    " {\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:10Z\", \"mode\": \"blur\","
    "  \"keyframes\": [{\"time\": \"2026-11-22T04:00:00Z\", \"box\": [0, 0, 0.2, 0.2]},"
    "                 {\"time\": \"2026-11-22T04:00:10Z\", \"box\": [0.8, 0.8, 1, 1]}]},"
    " {\"start\": \"2026-11-22T04:00:02Z\", \"end\": \"2026-11-22T04:00:04Z\", \"box\": [0.25, 0.25, 0.75, 0.75],"
    "  \"mode\": \"pixelate\", \"invert\": true, \"camera\": \"lobby\", \"source\": \"assisted\", \"by\": \"ana\"},"
    " {\"start\": \"2026-11-22T05:00:00+01:00\", \"end\": \"2026-11-22T04:00:05Z\", \"box\": [0, 0, 1, 1],"
    "  \"mode\": \"fill\"}],"
    " \"mute\": [{\"start\": \"2026-11-22T04:00:01Z\", \"end\": \"2026-11-22T04:00:03Z\"},"
    "          {\"start\": \"2026-11-22T04:00:06Z\", \"end\": \"2026-11-22T04:00:07Z\", \"camera\": \"gym\"}]}";

static void test_parse(void)
{
    struct redact_doc *d = NULL;
    char err[256] = "";
    CHECK_EQ_INT(redact_doc_parse(good, strlen(good), &d, err, sizeof err), NVR_OK);
    CHECK_EQ_STR(err, "");
    if (!d)
        return;
    CHECK_EQ_INT(d->nshapes, 3);
    CHECK_EQ_INT(d->nmutes, 2);
    const struct redact_shape *a = &d->shapes[0], *b = &d->shapes[1], *c = &d->shapes[2];
    CHECK_EQ_INT(a->mode, REDACT_BLUR);
    CHECK_EQ_INT(a->nkeys, 2);
    CHECK(!a->invert && !a->assisted && a->camera[0] == '\0' && a->by[0] == '\0');
    CHECK_EQ_INT(b->mode, REDACT_PIXELATE);
    CHECK(b->invert && b->assisted);
    CHECK_EQ_STR(b->camera, "lobby");
    CHECK_EQ_STR(b->by, "ana");
    CHECK_EQ_INT(c->mode, REDACT_FILL);
    CHECK_EQ_INT(c->start_us, T("2026-11-22T04:00:00Z")); /* offsets allowed */
    CHECK(redact_shape_active(b, "lobby", T("2026-11-22T04:00:02Z")));
    CHECK(!redact_shape_active(b, "gym", T("2026-11-22T04:00:02Z")));
    CHECK(!redact_shape_active(b, "lobby", T("2026-11-22T04:00:04Z"))); /* [start, end) */
    CHECK(redact_mute_active(&d->mutes[0], "gym", T("2026-11-22T04:00:02Z")));
    CHECK(!redact_mute_active(&d->mutes[1], "lobby", T("2026-11-22T04:00:06.5Z")));
    CHECK(redact_mute_active(&d->mutes[1], "gym", T("2026-11-22T04:00:06.5Z")));
    redact_doc_set_default_by(d, "operator");
    CHECK_EQ_STR(d->shapes[0].by, "operator");
    CHECK_EQ_STR(d->shapes[1].by, "ana");
    redact_doc_free(&d);
    CHECK(d == NULL);
    redact_doc_free(&d); /* NULL is fine */
}

static void test_interpolation(void)
{
    struct redact_doc *d = NULL;
    char err[256];
    double box[4];
    if (redact_doc_parse(good, strlen(good), &d, err, sizeof err))
        return;
    const struct redact_shape *a = &d->shapes[0];
    redact_shape_box_at(a, T("2026-11-22T04:00:05Z"), box); /* halfway */
    CHECK(fabs(box[0] - 0.4) < 1e-9 && fabs(box[1] - 0.4) < 1e-9 && fabs(box[2] - 0.6) < 1e-9 &&
          fabs(box[3] - 0.6) < 1e-9);
    redact_shape_box_at(a, T("2026-11-22T04:00:02.5Z"), box); /* a quarter */
    CHECK(fabs(box[0] - 0.2) < 1e-9 && fabs(box[2] - 0.4) < 1e-9);
    redact_shape_box_at(a, T("2026-11-22T03:59:00Z"), box); /* before the first: the first */
    CHECK(box[0] == 0 && box[2] == 0.2);
    redact_shape_box_at(a, T("2026-11-22T04:01:00Z"), box); /* after the last: the last */
    CHECK(box[0] == 0.8 && box[3] == 1);
    redact_shape_box_at(&d->shapes[1], T("2026-11-22T04:00:03Z"), box); /* no keyframes: the box */
    CHECK(box[0] == 0.25 && box[3] == 0.75);
    redact_doc_free(&d);
}

static void test_round_trip(void)
{
    struct redact_doc *d = NULL, *e = NULL;
    char err[256], *text = NULL, *text2 = NULL;
    size_t len = 0, len2 = 0;
    if (redact_doc_parse(good, strlen(good), &d, err, sizeof err))
        return;
    FILE *f = open_memstream(&text, &len);
    redact_doc_write(f, d);
    fclose(f);
    CHECK_EQ_INT(redact_doc_parse(text, len, &e, err, sizeof err), NVR_OK);
    if (e) {
        f = open_memstream(&text2, &len2);
        redact_doc_write(f, e);
        fclose(f);
        CHECK_EQ_STR(text, text2);
        CHECK_EQ_INT(e->nshapes, 3);
        CHECK_EQ_INT(e->shapes[0].nkeys, 2);
        CHECK_EQ_INT(e->shapes[2].start_us, d->shapes[2].start_us);
    }
    free(text);
    free(text2);
    redact_doc_free(&d);
    redact_doc_free(&e);
}

/* Each bad document and a text its error must contain (the field). */
static void test_bad(void)
{
    static const struct {
        const char *doc, *want;
    } cases[] = {
        {"", "not JSON"},
        {"[]", "must be an object"},
        {"{}", "redacts nothing"},
        {"{\"shapes\": {}}", "shapes: must be an array"},
        {"{\"mute\": 3}", "mute: must be an array"},
        {"{\"shapes\": [], \"colour\": 1}", "document.colour: unknown member"},
        {"{\"shapes\": [1]}", "shapes[0]: not an object"},
        {"{\"shapes\": [{\"end\": \"2026-11-22T04:00:01Z\", \"box\": [0,0,1,1], \"mode\": \"fill\"}]}",
         "shapes[0].start: missing"},
        {"{\"shapes\": [{\"start\": \"noon\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": [0,0,1,1], "
         "\"mode\": \"fill\"}]}",
         "shapes[0].start: not an RFC 3339 time"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:01Z\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": [0,0,1,1], "
         "\"mode\": \"fill\"}]}",
         "shapes[0].end: must be after start"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": [0,0,1,1], "
         "\"mode\": \"smudge\"}]}",
         "shapes[0].mode: must be"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": [0,0,1,1]}]}",
         "shapes[0].mode: missing"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"mode\": \"fill\"}]}",
         "shapes[0].box: missing"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": [0,0,1], "
         "\"mode\": \"fill\"}]}",
         "shapes[0].box: must be [x0, y0, x1, y1]"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": "
         "[0,0,1.5,1], \"mode\": \"fill\"}]}",
         "shapes[0].box[2]: 1.5 is outside 0..1"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": "
         "[0,0,\"1\",1], \"mode\": \"fill\"}]}",
         "shapes[0].box[2]: not a number"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": "
         "[0.5,0,0.5,1], \"mode\": \"fill\"}]}",
         "shapes[0].box: x0 < x1"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": "
         "[0,0,1,1], \"mode\": \"fill\", \"invert\": 1}]}",
         "shapes[0].invert: must be true or false"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": "
         "[0,0,1,1], \"mode\": \"fill\", \"camera\": \"Lobby/1\"}]}",
         "shapes[0].camera: not a camera id"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": "
         "[0,0,1,1], \"mode\": \"fill\", \"source\": \"ai\"}]}",
         "shapes[0].source: must be"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": "
         "[0,0,1,1], \"mode\": \"fill\", \"by\": 7}]}",
         "shapes[0].by: must be a name"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": "
         "[0,0,1,1], \"mode\": \"fill\", \"colour\": \"red\"}]}",
         "shapes[0].colour: unknown member"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"mode\": \"fill\", "
         "\"keyframes\": []}]}",
         "shapes[0].keyframes: must be a non-empty array"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"mode\": \"fill\", "
         "\"keyframes\": [{\"time\": \"2026-11-22T04:00:00Z\", \"box\": [0,0,1,1]}, {\"time\": "
         "\"2026-11-22T04:00:00Z\", \"box\": [0,0,1,1]}]}]}",
         "shapes[0].keyframes[1].time: keyframes must be in increasing time order"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"mode\": \"fill\", "
         "\"keyframes\": [{\"time\": \"2026-11-22T04:00:00Z\", \"box\": [0,0,1,2]}]}]}",
         "shapes[0].keyframes[0].box[3]"},
        {"{\"shapes\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"mode\": \"fill\", "
         "\"keyframes\": [{\"time\": \"2026-11-22T04:00:00Z\"}]}]}",
         "shapes[0].keyframes[0].box: missing"},
        {"{\"mute\": [{\"start\": \"2026-11-22T04:00:00Z\"}]}", "mute[0].end: missing"},
        {"{\"mute\": [{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"gain\": 0}]}",
         "mute[0].gain: unknown member"},
        {"{\"shapes\": [], \"shapes\": []}", "not JSON"}, /* duplicate keys */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct redact_doc *d = NULL;
        char err[256] = "";
        int rc = redact_doc_parse(cases[i].doc, strlen(cases[i].doc), &d, err, sizeof err);
        if (rc != NVR_EINVAL || d || !strstr(err, cases[i].want)) {
            fprintf(stderr, "case %zu: rc %d, error \"%s\", want \"%s\"\n", i, rc, err, cases[i].want);
            CHECK(0);
        }
        redact_doc_free(&d);
    }
}

static void test_limits(void)
{
    const char *one = "{\"start\": \"2026-11-22T04:00:00Z\", \"end\": \"2026-11-22T04:00:01Z\", \"box\": [0,0,1,1], "
                      "\"mode\": \"fill\"}";
    size_t n = REDACT_MAX_SHAPES + 1, cap = n * (strlen(one) + 2) + 32;
    char *buf = malloc(cap), err[256];
    struct redact_doc *d = NULL;
    if (!buf)
        return;
    size_t at = (size_t)snprintf(buf, cap, "{\"shapes\": [");
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? "," : "", one);
    snprintf(buf + at, cap - at, "]}");
    CHECK_EQ_INT(redact_doc_parse(buf, strlen(buf), &d, err, sizeof err), NVR_EINVAL);
    CHECK(strstr(err, "shapes: at most 1000") != NULL);
    /* exactly the limit is fine */
    at = (size_t)snprintf(buf, cap, "{\"shapes\": [");
    for (size_t i = 0; i < REDACT_MAX_SHAPES; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? "," : "", one);
    snprintf(buf + at, cap - at, "]}");
    CHECK_EQ_INT(redact_doc_parse(buf, strlen(buf), &d, err, sizeof err), NVR_OK);
    CHECK(d && d->nshapes == REDACT_MAX_SHAPES);
    redact_doc_free(&d);
    free(buf);
}

int main(void)
{
    RUN(test_parse);
    RUN(test_interpolation);
    RUN(test_round_trip);
    RUN(test_bad);
    RUN(test_limits);
    return check_summary();
}
