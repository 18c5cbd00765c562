/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backup.h - `nvr backup` and `nvr restore`'s archive (docs/ref/cli.md,
 * docs/guide/disaster-recovery.md): a tar (backup_tar.h) of
 *
 *   manifest.json          format, version, created_at, host, data_dir,
 *                          config path, nvr version, the signing key's
 *                          fingerprint, each member's bytes and SHA-256
 *   index.db               storage_backup_index's consistent copy
 *   nvr.conf               the configuration file
 *   signing-key.pem        the export key, or signing-key.pem.sealed when a
 *                          passphrase was given (backup_seal.h)
 *   audit.json             when there is one
 *   manifest.json.sha256   the manifest's own SHA-256 (hex), last
 *
 * never footage.  The archive is written to OUT.tmp.PID (0600), fsynced and
 * renamed, so OUT is whole or absent.  A restore reads the whole archive and
 * checks every hash (and opens a sealed key) before it changes anything;
 * the index is hashed again while it is copied into data_dir.
 *
 * Threads: the caller's (`nvr backup`, `nvr restore`: the main thread); no
 * state of its own, so calls on different archives may run at once.  A
 * running `nvr run` is another process: the index is copied through a
 * connection of its own, and a restore refuses while that process holds
 * data_dir/nvr.lock (storage_backup.h).
 */
#ifndef NVR_BACKUP_BACKUP_H
#define NVR_BACKUP_BACKUP_H

#include "base/err.h"
#include "storage/storage_backup.h"

#include <stddef.h>
#include <stdio.h>

#define BACKUP_FORMAT_VERSION 1
#define BACKUP_MANIFEST "manifest.json"
#define BACKUP_CONFIG "nvr.conf"
#define BACKUP_FPR_BUFSZ 72

struct backup_create_opts {
    const char *config_path; /* read and stored as nvr.conf */
    const char *data_dir;
    const char *out;        /* the tar to write */
    const char *passphrase; /* NULL: the key is stored as is */
};

struct backup_info {
    int has_key, key_sealed;
    char fingerprint[BACKUP_FPR_BUFSZ]; /* the signing key's, "" without a key */
    char created_at[80], host[256], data_dir[1024];
    unsigned long long index_bytes;
    int members;
};

/* Writes the archive (see above).  why says what failed. */
nvr_err backup_create(const struct backup_create_opts *o, struct backup_info *info, char *why, size_t whylen);

/* An archive read and checked, in memory but for the index. */
struct backup_archive;

/* Reads path and checks it: the manifest's own hash, every member's size
 * and SHA-256, no member missing or extra; opens a sealed key with
 * passphrase (NULL when none was given).  NVR_ECORRUPT (damaged or
 * altered), NVR_EAUTH (wrong passphrase), NVR_EINVAL (not a backup, a
 * newer format, a sealed key and no passphrase); why says which.  *out owns
 * the result. */
nvr_err backup_open(const char *path, const char *passphrase, struct backup_archive **out, struct backup_info *info,
                    char *why, size_t whylen);

/* The configuration file the archive holds (borrowed). */
const char *backup_config(const struct backup_archive *a, size_t *len);

/* Puts the archive back into data_dir (storage_restore: R1..R4, then the
 * footage found again); report gets one line per action. */
nvr_err backup_restore(struct backup_archive *a, const char *data_dir, int force, FILE *report,
                       struct storage_restore_stats *stats, char *why, size_t whylen);

/* Wipes the key and frees *a; sets it NULL; tolerates NULL. */
void backup_close(struct backup_archive **a);

#endif
