/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csv.c - CSV cells for spreadsheets (see csv.h).
 */
#include "base/csv.h"

void csv_write_cell(FILE *f, const char *s)
{
    fputc('"', f);
    if (s && (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r'))
        fputc('\'', f);
    for (; s && *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}
