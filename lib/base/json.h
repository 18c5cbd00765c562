/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - writing JSON text: string escaping, RFC 3339 time values, and a
 * small streaming writer (struct json_w) for whole documents.
 * (The program writes JSON but never needs to read it here.)
 *
 * The writer is the one way to print a JSON document by hand: every key and
 * every string value goes through json_write_string (RFC 8259 escaping, plus
 * \u007f), numbers are typed, and commas are placed by the writer, so no
 * caller can forget an escape or a separator.  It has no "raw text" call.
 *
 * Threads: any; no state: a struct json_w is its caller's, used by one
 * thread.
 */
#ifndef NVR_BASE_JSON_H
#define NVR_BASE_JSON_H

#include <stdint.h>
#include <stdio.h>

/* Writes s as a JSON string literal (with quotes), escaping as RFC 8259 says. */
void json_write_string(FILE *f, const char *s);

/* Writes us as a JSON string in RFC 3339 UTC with microseconds. */
void json_write_time(FILE *f, int64_t us);

#define JSON_W_MAX_DEPTH 16

/* A document being written to f.  `key` names the member inside an object
 * and must be NULL for the top value and inside an array.  Nesting deeper
 * than JSON_W_MAX_DEPTH is a programming error (the writer stops adding
 * levels; the output is then invalid). */
struct json_w {
    FILE *f;
    int depth;                                /* open containers */
    unsigned char used[JSON_W_MAX_DEPTH + 1]; /* 1: the container at that depth has a member */
};

void json_w_init(struct json_w *w, FILE *f);
void json_w_object(struct json_w *w, const char *key);                /* {  ... json_w_end */
void json_w_array(struct json_w *w, const char *key);                 /* [  ... json_w_end */
void json_w_end_object(struct json_w *w);                             /* }  */
void json_w_end_array(struct json_w *w);                              /* ]  */
void json_w_string(struct json_w *w, const char *key, const char *s); /* NULL writes null */
void json_w_int(struct json_w *w, const char *key, long long v);
void json_w_uint(struct json_w *w, const char *key, unsigned long long v);
void json_w_bool(struct json_w *w, const char *key, int v);
void json_w_null(struct json_w *w, const char *key);
/* v with `decimals` digits after the point ("%.*f"); null if not finite. */
void json_w_fixed(struct json_w *w, const char *key, double v, int decimals);
/* us as an RFC 3339 string (json_write_time). */
void json_w_time(struct json_w *w, const char *key, int64_t us);

#endif
