/*
 * json.h - writing JSON text: string escaping and RFC 3339 time values.
 * (The program writes JSON but never needs to read it here.)
 */
#ifndef NVR_BASE_JSON_H
#define NVR_BASE_JSON_H

#include <stdint.h>
#include <stdio.h>

/* Writes s as a JSON string literal (with quotes), escaping as RFC 8259 says. */
void json_write_string(FILE *f, const char *s);

/* Writes us as a JSON string in RFC 3339 UTC with microseconds. */
void json_write_time(FILE *f, int64_t us);

#endif
