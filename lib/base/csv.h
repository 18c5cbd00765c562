/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csv.h - writing CSV for spreadsheets (the access log and audit downloads,
 * `nvr audit --csv`): RFC 4180 cells, and no cell a spreadsheet would run.
 *
 * Threads: any; no state.
 */
#ifndef NVR_BASE_CSV_H
#define NVR_BASE_CSV_H

#include <stdio.h>

/* Writes s (NULL: empty) as one quoted cell: quotes doubled, line breaks
 * kept inside the quotes, and a cell starting with = + - @, a tab or a
 * carriage return prefixed with ' so that a spreadsheet shows it as text
 * instead of evaluating it (strings from cameras and users are hostile). */
void csv_write_cell(FILE *f, const char *s);

#endif
