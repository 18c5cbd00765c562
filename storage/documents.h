/* SPDX-License-Identifier: Apache-2.0 */
/*
 * documents.h - small whole-file documents under data_dir (for example the
 * audit report, data_dir/audit.json), written atomically.
 *
 * storage/ is the one door to data_dir; this is its door for documents that
 * are not footage and need no index rows.  A document is replaced as a whole:
 * written to a temporary file of its own (NAME.tmp.XXXXXX), fsynced, renamed
 * over NAME, and the directory
 * fsynced, so a reader (or a crash) sees the old or the new document, never
 * a mix.  Two writers at once: the last rename wins.  No locking, no state.
 *
 * Threads: any; no state.  Writers of the same name at once, in one process
 * or several, each write their own temporary file: the last rename wins.
 */
#ifndef NVR_STORAGE_DOCUMENTS_H
#define NVR_STORAGE_DOCUMENTS_H

#include "base/err.h"

#include <stddef.h>

/* Replaces data_dir/name (name: [a-z0-9_.-], no slash) with buf[0..len).
 * Creates data_dir if missing.  Returns 0 or a negative nvr_err. */
nvr_err storage_document_put(const char *data_dir, const char *name, const void *buf, size_t len);

/* storage_document_put for a secret (the signing key put back by a
 * restore): the same, with mode 0600. */
nvr_err storage_document_put_secret(const char *data_dir, const char *name, const void *buf, size_t len);

/* Creates data_dir/name with buf[0..len), mode 0600 (a secret, e.g. the
 * signing key), only if it does not exist: written and fsynced under a
 * temporary name, then linked, so two processes racing leave one whole file.
 * *created is 1 if this call made it, 0 if it existed (NVR_OK both). */
nvr_err storage_document_create(const char *data_dir, const char *name, const void *buf, size_t len, int *created);

/* Reads data_dir/name into *out (malloc'ed, NUL-terminated; the caller
 * frees), at most max bytes.  NVR_ENOTFOUND if it does not exist,
 * NVR_EINVAL if it is larger than max. */
nvr_err storage_document_get(const char *data_dir, const char *name, size_t max, char **out, size_t *len);

#endif
