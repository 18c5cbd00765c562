/* SPDX-License-Identifier: Apache-2.0 */
/*
 * redact_doc.h - the redactions document (CONTRACT.md, docs/ref/cli.md
 * "nvr redact"): what to hide in an export and when, as `nvr redact` reads
 * it from a file and POST /api/v1/exports/{id}/redact from its body.
 *
 *   {"shapes": [{"start": T, "end": T,           RFC 3339, [start, end)
 *                "box": [x0, y0, x1, y1],         0..1 of the frame, x0 < x1, y0 < y1
 *                "mode": "blur|pixelate|fill",
 *                "invert": false,                 true: everything except the box
 *                "camera": "ID",                  optional: that camera's video only
 *                "keyframes": [{"time": T, "box": [...]}],  optional: a tracked shape
 *                "source": "manual|assisted",     optional, manual by default
 *                "by": "NAME"}],                  optional: who drew or approved it
 *    "mute": [{"start": T, "end": T, "camera": "ID"}]}   camera optional
 *
 * A shape with keyframes is at the box of the keyframes around each frame,
 * interpolated linearly between them (the first's before it, the last's
 * after it); "box" may then be left out.  Whole-frame blackout is a fill
 * box [0, 0, 1, 1].  Unknown members are errors, like unknown config keys:
 * a typo must not leave a face unblurred.  Every error names the field
 * ("shapes[2].box[3]: ...").
 *
 * Threads: a parsed document is immutable and may be shared.
 */
#ifndef NVR_REDACT_DOC_H
#define NVR_REDACT_DOC_H

#include "base/err.h"
#include "storage/index.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REDACT_MAX_SHAPES 1000
#define REDACT_MAX_MUTES 1000
#define REDACT_MAX_KEYFRAMES 100000           /* over all shapes */
#define REDACT_DOC_MAX_BODY (64 * 1024)       /* the API's limit on the body */
#define REDACT_DOC_MAX_FILE (4 * 1024 * 1024) /* nvr redact's limit on the file */
#define REDACT_BY_MAX 128

enum redact_mode { REDACT_BLUR, REDACT_PIXELATE, REDACT_FILL };

struct redact_key {
    int64_t t_us;
    double box[4];
};

struct redact_shape {
    int64_t start_us, end_us;
    double box[4];
    enum redact_mode mode;
    int invert;
    int assisted;              /* proposed by detection (then approved), not drawn */
    char camera[INDEX_ID_MAX]; /* "" : every camera */
    char by[REDACT_BY_MAX];    /* "" : the operator (redact_doc_set_default_by) */
    struct redact_key *keys;   /* by time; owned by the document */
    size_t nkeys;
};

struct redact_mute {
    int64_t start_us, end_us;
    char camera[INDEX_ID_MAX];
};

struct redact_doc {
    struct redact_shape *shapes;
    size_t nshapes;
    struct redact_mute *mutes;
    size_t nmutes;
};

/* Parses text[0..len).  *out owns a new document (redact_doc_free).  On a
 * bad document NVR_EINVAL with a message naming the field in err. */
nvr_err redact_doc_parse(const char *text, size_t len, struct redact_doc **out, char *err, size_t errlen);

/* An empty document (to build one in code, e.g. from detections). */
nvr_err redact_doc_new(struct redact_doc **out);

/* Appends a copy of s (its keys copied too). */
nvr_err redact_doc_add_shape(struct redact_doc *d, const struct redact_shape *s);

void redact_doc_free(struct redact_doc **d);

/* Shapes without "by" get name (the operator who asked for the render). */
void redact_doc_set_default_by(struct redact_doc *d, const char *name);

/* The box of shape s at wall-clock time t (keyframes interpolated). */
void redact_shape_box_at(const struct redact_shape *s, int64_t t_us, double box[4]);

/* Whether shape s / mute m applies to camera id at time t. */
int redact_shape_active(const struct redact_shape *s, const char *camera, int64_t t_us);
int redact_mute_active(const struct redact_mute *m, const char *camera, int64_t t_us);

const char *redact_mode_name(enum redact_mode m);

/* Writes the document back as JSON, in the form it is parsed from (what
 * redactions.json in a redacted export holds). */
void redact_doc_write(FILE *f, const struct redact_doc *d);

#endif
