/* SPDX-License-Identifier: Apache-2.0 */
/*
 * camera_config.h - a camera's settings: the one table, NVR_CAMERA_SETTINGS.
 *
 * Each row of NVR_CAMERA_SETTINGS is one key of a [camera ID] section
 * (docs/ref/config.md) and one field of the API's CAMERA object
 * (docs/ref/http-api.md).  The row alone drives, by walking the table:
 *   - the field of struct nvr_camera_config (its C type comes from the kind),
 *   - parsing and its messages (config.c: "KEY must be HELP, got ..."),
 *   - the default (nvr_camera_config_defaults),
 *   - free, deep copy and equality (nvr_camera_config_clear/_copy/_equal),
 *   - INI output (nvr_camera_setting_write_ini: the API writes a camera it
 *     stores as the config file's own text, then parses it),
 *   - JSON output (nvr_camera_config_write_json: GET /api/v1/cameras),
 *   - the API's accepted body fields and their JSON types (http_cameras.c).
 * Adding a setting is adding a row (plus whatever uses the value, and its
 * line in docs/ref/config.md and docs/ref/http-api.md).
 *
 * A row is X(KEY, KIND, FLAGS, DEFAULT, MIN, MAX, HELP):
 *   KEY      the config key, the struct field and the JSON member: a C name.
 *   KIND     TEXT      any non-empty text (char *, NULL when unset)
 *            RTSP_URL  an rtsp:// or rtsps:// URL with a host (char *, NULL when unset)
 *            HTTP_URL  an http:// or https:// URL with a host (char *, NULL when unset)
 *            PATH      an absolute path (char *, NULL when unset)
 *            INT       a decimal integer from MIN to MAX (int)
 *            BOOL      yes/no, on/off, true/false, 1/0 (int 0 or 1; JSON true/false)
 *            TRANSPORT auto, tcp, udp or http, any case (enum nvr_transport; JSON "auto"...)
 *            MSOURCE   detect, onvif or both, any case (enum nvr_motion_source; JSON "detect"...)
 *            RECTS     boxes in 0..1 frame coordinates, "x0,y0,x1,y1; ..." (char *,
 *                      NULL when unset; nvr_rects_parse reads it)
 *   FLAGS    NVR_CS_REQUIRED   the section must give it ("[camera X] has no KEY")
 *            NVR_CS_SECRET     the value may carry user:password (only the URL
 *                              kinds): never echoed in messages, always shown
 *                              redacted (user:***@host) in JSON, and an API edit
 *                              that sends it back redacted keeps the stored password
 *            NVR_CS_DEFAULT_ID unset at the end of the section means the camera's id
 *            NVR_CS_FILE_ONLY  the config file only: the API refuses it as an
 *                              unknown field (it still shows in JSON)
 *            NVR_CS_LIVE       the recorder never reads it (display, access,
 *                              retention, audit): a change to it alone keeps the
 *                              camera's recorder running (cameras_replace).  Without
 *                              it a change restarts the recorder, the safe default
 *   DEFAULT  for INT, BOOL, TRANSPORT and MSOURCE, the value when the key is not given;
 *            text kinds always default to NULL (see NVR_CS_DEFAULT_ID).
 *   MIN, MAX the range of an INT (0, 0 for the other kinds).
 *   HELP     what a valid value is, for "KEY must be HELP" (config.c).
 * Rows come in the order of the API's CAMERA object; the JSON members are
 * written in this order.  Every value is immutable once parsed: a camera's
 * config is replaced as a whole (cameras.h) on SIGHUP or PUT, never needing
 * a server restart; the recorder restarts too unless only NVR_CS_LIVE rows
 * changed.
 *
 * Threads: any; no state: the table is constant, and a struct
 * nvr_camera_config is its caller's (the server's are never changed once
 * parsed and are read from any thread: cameras.h).
 */
#ifndef NVR_BASE_CAMERA_CONFIG_H
#define NVR_BASE_CAMERA_CONFIG_H

#include "base/err.h"
#include <stddef.h>
#include <stdio.h>

struct json_w;

/* http: RTSP over HTTP tunnelling (the own reader; libavformat as NVR_RTSP_READER=libav) */
enum nvr_transport { NVR_TRANSPORT_AUTO = 0, NVR_TRANSPORT_TCP, NVR_TRANSPORT_UDP, NVR_TRANSPORT_HTTP };

/* Where a camera's motion comes from (docs/design/motion.md): our own
 * detector on its keyframes, the camera's ONVIF motion events, or both. */
enum nvr_motion_source { NVR_MOTION_DETECT = 0, NVR_MOTION_ONVIF, NVR_MOTION_BOTH };

/* The config-file word ("detect", "onvif", "both"). */
const char *nvr_motion_source_name(enum nvr_motion_source m);

/* Reads a motion source word in any case; -1 if s is none. */
int nvr_motion_source_parse(const char *s, enum nvr_motion_source *out);

/* The config-file word for a transport ("auto", "tcp", "udp", "http"). */
const char *nvr_transport_name(enum nvr_transport t);

/* Reads a transport word in any case; -1 if s is none. */
int nvr_transport_parse(const char *s, enum nvr_transport *out);

#define NVR_DEFAULT_RETAIN_DAYS 30 /* also applied to cameras no longer configured */

enum { NVR_CS_REQUIRED = 1, NVR_CS_SECRET = 2, NVR_CS_DEFAULT_ID = 4, NVR_CS_FILE_ONLY = 8, NVR_CS_LIVE = 16 };

#define NVR_CS_BOOL_HELP "yes, no, on, off, true, false, 1 or 0"
#define NVR_CS_RTSP_HELP "an rtsp:// or rtsps:// URL with a host"
#define NVR_RECTS_HELP "boxes x0,y0,x1,y1 in 0..1 frame coordinates (x0 < x1, y0 < y1), separated by ';' (at most 16)"

/* clang-format off */
#define NVR_CAMERA_SETTINGS(X)                                                                              \
    /* display name */                                                                                      \
    X(name,            TEXT,      NVR_CS_DEFAULT_ID | NVR_CS_LIVE, 0, 0, 0, "a non-empty text")             \
    /* the main stream, the one recorded; may carry user:password */                                       \
    X(url,             RTSP_URL,  NVR_CS_REQUIRED | NVR_CS_SECRET, 0, 0, 0, NVR_CS_RTSP_HELP)              \
    /* optional low-resolution stream for the live grid */                                                 \
    X(sub_url,         RTSP_URL,  NVR_CS_SECRET, 0, 0, 0, NVR_CS_RTSP_HELP)                                 \
    X(transport,       TRANSPORT, 0, NVR_TRANSPORT_AUTO, 0, 0, "auto, tcp, udp or http")                    \
    X(enabled,         BOOL,      0, 1, 0, 1, NVR_CS_BOOL_HELP)                                             \
    X(audio,           BOOL,      0, 0, 0, 1, NVR_CS_BOOL_HELP)                                             \
    X(segment_seconds, INT,       0, 60, 1, 3600, "an integer from 1 to 3600")                              \
    /* 0: keep until space runs out */                                                                     \
    X(retain_days,     INT,       NVR_CS_LIVE, NVR_DEFAULT_RETAIN_DAYS, 0, 36500, "an integer from 0 to 36500") \
    /* pin the camera's new segments to one of [storage] dirs (while that disk works) */                  \
    X(storage_dir,     PATH,      0, 0, 0, 0, "an absolute path listed in [storage] dirs")                 \
    /* e.g. a building, for access grants ("group:NAME") */                                                \
    X(group,           TEXT,      NVR_CS_LIVE, 0, 0, 0, "a non-empty text")                                 \
    /* the ONVIF device service (http[s]://[user:pass@]host[:port]/path) for `nvr audit` and the camera's   \
     * motion events (motion_source); must be on the camera's own host */                                  \
    X(onvif,           HTTP_URL,  NVR_CS_SECRET, 0, 0, 0,                                                    \
      "an http:// or https:// URL with a host (the camera's ONVIF device service)")                        \
    /* free text for whoever looks after the camera: where it hangs, its switch port, who has the key */   \
    X(notes,           TEXT,      NVR_CS_LIVE, 0, 0, 0, "a non-empty text")                                 \
    /* motion detection (docs/design/motion.md): on by default */                                          \
    X(motion,          BOOL,      0, 1, 0, 1, NVR_CS_BOOL_HELP)                                             \
    /* detect (our detector), onvif (the camera's own events, PullPoint), or both */                       \
    X(motion_source,   MSOURCE,   0, NVR_MOTION_DETECT, 0, 0, "detect, onvif or both")                      \
    X(motion_sensitivity, INT,    0, 5, 1, 10, "an integer from 1 (least) to 10 (most)")                   \
    /* areas that never count as motion (a tree, a TV, a privacy area) */                                  \
    X(motion_mask,     RECTS,     0, 0, 0, 0, NVR_RECTS_HELP)
/* clang-format on */

/* The C type of each kind. */
#define NVR_CS_CTYPE_TEXT char *
#define NVR_CS_CTYPE_RTSP_URL char *
#define NVR_CS_CTYPE_HTTP_URL char *
#define NVR_CS_CTYPE_PATH char *
#define NVR_CS_CTYPE_INT int
#define NVR_CS_CTYPE_BOOL int
#define NVR_CS_CTYPE_TRANSPORT enum nvr_transport
#define NVR_CS_CTYPE_RECTS char *
#define NVR_CS_CTYPE_MSOURCE enum nvr_motion_source

#define NVR_CS_FIELD(key, kind, flags, def, min, max, help) NVR_CS_CTYPE_##kind key;

struct nvr_camera_config {
    char *id; /* [a-z0-9_-]{1,64}, unique */
    NVR_CAMERA_SETTINGS(NVR_CS_FIELD)
    int line; /* line of the [camera ID] header, for messages */
};

enum nvr_cs_kind {
    NVR_CS_TEXT,
    NVR_CS_RTSP_URL,
    NVR_CS_HTTP_URL,
    NVR_CS_PATH,
    NVR_CS_INT,
    NVR_CS_BOOL,
    NVR_CS_TRANSPORT,
    NVR_CS_RECTS,
    NVR_CS_MSOURCE
};

/* One row of the table, as data. */
struct nvr_camera_setting {
    const char *key;
    enum nvr_cs_kind kind;
    size_t offset; /* of the field in struct nvr_camera_config */
    int flags;     /* NVR_CS_* */
    long def, min, max;
    const char *help;
};

/* The rows in table order; nvr_camera_nsettings of them. */
extern const struct nvr_camera_setting nvr_camera_settings[];
extern const size_t nvr_camera_nsettings;

/* The row named key, NULL if none. */
const struct nvr_camera_setting *nvr_camera_setting_find(const char *key);

/* Whether the kind is stored as char * (TEXT, the URLs and RECTS). */
int nvr_camera_setting_is_text(const struct nvr_camera_setting *s);

/* The field of s in c: the string (text kinds, may be NULL), or the number
 * (the others: the int, 0/1, or the transport).  Borrowed. */
const char *nvr_camera_setting_str(const struct nvr_camera_setting *s, const struct nvr_camera_config *c);
long nvr_camera_setting_num(const struct nvr_camera_setting *s, const struct nvr_camera_config *c);

/* Zeroes c (without freeing) and sets every default; id and line stay 0. */
void nvr_camera_config_defaults(struct nvr_camera_config *c);

/* Frees the id and every text setting of c and zeroes it; tolerates a zeroed c. */
void nvr_camera_config_clear(struct nvr_camera_config *c);

/* A deep copy of src into dst (whose old contents are not freed).  NVR_OK,
 * or NVR_ENOMEM with dst zeroed. */
nvr_err nvr_camera_config_copy(struct nvr_camera_config *dst, const struct nvr_camera_config *src);

/* 1 if a and b have the same id and every setting equal (line is ignored). */
int nvr_camera_config_equal(const struct nvr_camera_config *a, const struct nvr_camera_config *b);

/* 1 if going from a to b needs a new recorder: another id, or a change in
 * a setting without NVR_CS_LIVE. */
int nvr_camera_config_restart_needed(const struct nvr_camera_config *a, const struct nvr_camera_config *b);

/* Writes `KEY = VALUE\n` as config.c reads it back: value is the text of a
 * value (a text kind, TRANSPORT or MSOURCE is written quoted, with \" and \\ escaped;
 * INT and BOOL as they are).  The caller refuses control characters. */
void nvr_camera_ini_write(FILE *f, const struct nvr_camera_setting *s, const char *value);

/* Writes c's value of s as a line; nothing for an unset text.  Returns 1 if
 * a line was written. */
int nvr_camera_setting_write_ini(FILE *f, const struct nvr_camera_setting *s, const struct nvr_camera_config *c);

/* Every set setting of c, in table order (the body of a [camera ID] section). */
void nvr_camera_config_write_ini(FILE *f, const struct nvr_camera_config *c);

/* Every setting of c as members of the object open in w, in table order:
 * text as a string or null, SECRET ones redacted, INT as a number, BOOL as
 * true/false, TRANSPORT and MSOURCE as their word. */
void nvr_camera_config_write_json(struct json_w *w, const struct nvr_camera_config *c);

/* A box in 0..1 frame coordinates (left, top, right, bottom). */
struct nvr_rect {
    double x0, y0, x1, y1;
};

#define NVR_RECTS_MAX 16

/* Reads "x0,y0,x1,y1[; x0,y0,x1,y1 ...]" (white space allowed around the
 * numbers, a trailing ';' too): each number from 0 to 1, x0 < x1, y0 < y1,
 * at most max boxes into out[], *n of them.  NVR_EINVAL for anything else
 * (an empty text included). */
nvr_err nvr_rects_parse(const char *s, struct nvr_rect *out, int max, int *n);

#endif
