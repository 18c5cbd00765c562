/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_backup.c - `nvr backup` and `nvr restore` (docs/ref/cli.md,
 * docs/guide/disaster-recovery.md).  The archive is backup/backup.h's; the
 * data_dir side storage/storage_backup.h's.  A backup runs beside `nvr run`; a
 * restore refuses to.  The passphrase is read from a file (first line),
 * never from the command line or a log.
 *
 * Restore, in order: the whole archive checked (and the key opened) before
 * anything changes; the data_dir taken from -c FILE, or, when FILE is
 * missing, from the backup's configuration (written to FILE once the
 * restore succeeded); the index, key and state put back and the footage
 * found again; the backup's configuration beside FILE as FILE.restored when
 * FILE exists.
 */
#include "cli/cli.h"

#include "backup/backup.h"
#include "base/config.h"
#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct backup_opts {
    const char *config, *passfile;
    int force;
    const char *positional;
};

static int parse(int argc, char **argv, struct backup_opts *o, int restore)
{
    memset(o, 0, sizeof *o);
    const struct cli_option opts[] = {
        {"config", 'c', &o->config, NULL},
        {"passphrase-file", 0, &o->passfile, NULL},
        {restore ? "force" : NULL, 0, NULL, &o->force}, /* backup: the table ends here */
        {NULL, 0, NULL, NULL},
    };
    if (cli_parse(argc, argv, opts, &o->positional) || cli_need_config(o->config))
        return -1;
    if (!o->positional) {
        fprintf(stderr, "nvr: %s needs the archive: nvr %s -c FILE %s.tar\n", argv[0], argv[0], restore ? "IN" : "OUT");
        return -1;
    }
    return 0;
}

/* The passphrase: the first line of path, without its line end. */
static int read_passphrase(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "nvr: cannot read the passphrase file %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!fgets(out, (int)n, f))
        out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    if (strlen(out) < 8) {
        OPENSSL_cleanse(out, n);
        fprintf(stderr, "nvr: the passphrase in %s is shorter than 8 characters\n", path);
        return -1;
    }
    return 0;
}

int cli_backup(int argc, char **argv)
{
    struct backup_opts o;
    struct nvr_config *cfg = NULL;
    struct backup_info info;
    char pass[1024] = "", why[1024] = "";
    int status = 1, rc;
    if (parse(argc, argv, &o, 0))
        return 2;
    if (o.passfile && read_passphrase(o.passfile, pass, sizeof pass))
        return 2;
    if (nvr_config_load(o.config, &cfg, stderr) != NVR_OK)
        goto out;
    struct backup_create_opts bo = {
        .config_path = o.config,
        .data_dir = cfg->data_dir,
        .out = o.positional,
        .passphrase = o.passfile ? pass : NULL,
    };
    if ((rc = backup_create(&bo, &info, why, sizeof why))) {
        fprintf(stderr, "nvr: backup failed: %s\n", why[0] ? why : nvr_strerror(rc));
        goto out;
    }
    if (info.has_key && !info.key_sealed)
        fprintf(stderr,
                "nvr: warning: the signing key is stored unencrypted in %s: keep the backup as safe as the "
                "server, or give --passphrase-file\n",
                o.positional);
    printf("backup: %s: index %.1f MiB, %d members, signing key %s%s%s\n", o.positional,
           (double)info.index_bytes / (1 << 20), info.members,
           !info.has_key     ? "none"
           : info.key_sealed ? "encrypted "
                             : "unencrypted ",
           info.fingerprint, "; footage not included");
    status = 0;
out:
    OPENSSL_cleanse(pass, sizeof pass);
    nvr_config_free(&cfg);
    return status;
}

/* Writes buf to path through path.tmp.PID and a rename (mode 0640). */
static int write_config(const char *path, const char *buf, size_t len)
{
    char tmp[PATH_MAX];
    int fd, ok;
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return -1;
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
        return -1;
    ok = write(fd, buf, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int cli_restore(int argc, char **argv)
{
    struct backup_opts o;
    struct nvr_config *cfg = NULL;
    struct backup_archive *a = NULL;
    struct backup_info info;
    struct storage_restore_stats rs;
    char pass[1024] = "", why[1024] = "", staged[PATH_MAX] = "", beside[PATH_MAX];
    const char *conf;
    size_t conflen;
    int status = 1, rc, config_missing;
    if (parse(argc, argv, &o, 1))
        return 2;
    if (o.passfile && read_passphrase(o.passfile, pass, sizeof pass))
        return 2;
    /* everything checked before anything changes */
    if ((rc = backup_open(o.positional, o.passfile ? pass : NULL, &a, &info, why, sizeof why))) {
        fprintf(stderr, "nvr: restore refused: %s; nothing was changed\n", why[0] ? why : nvr_strerror(rc));
        goto out;
    }
    printf("backup: %s: taken %s on %s from %s, signing key %s\n", o.positional, info.created_at, info.host,
           info.data_dir, info.has_key ? info.fingerprint : "none");
    conf = backup_config(a, &conflen);
    config_missing = access(o.config, F_OK) != 0 && errno == ENOENT;
    if (config_missing) {
        /* a new machine: the backup's configuration names the data_dir */
        snprintf(staged, sizeof staged, "%s.restore-tmp", o.config);
        if (write_config(staged, conf, conflen)) {
            fprintf(stderr, "nvr: cannot write %s: %s; nothing was changed\n", staged, strerror(errno));
            staged[0] = '\0';
            goto out;
        }
    }
    if (nvr_config_load(config_missing ? staged : o.config, &cfg, stderr) != NVR_OK) {
        fprintf(stderr, "nvr: restore refused: the configuration cannot be read; nothing was changed\n");
        goto out;
    }
    if ((rc = backup_restore(a, cfg->data_dir, o.force, stdout, &rs, why, sizeof why))) {
        if (rs.changed)
            fprintf(stderr, "nvr: restore failed: %s\n", why[0] ? why : nvr_strerror(rc));
        else
            fprintf(stderr, "nvr: restore refused: %s; nothing was changed\n", why[0] ? why : nvr_strerror(rc));
        goto out;
    }
    if (config_missing) {
        if (rename(staged, o.config) != 0) {
            fprintf(stderr, "nvr: cannot write %s: %s (the backup's configuration is in %s)\n", o.config,
                    strerror(errno), staged);
            staged[0] = '\0';
            goto out;
        }
        staged[0] = '\0';
        printf("restored: %s (the backup's configuration)\n", o.config);
    } else {
        snprintf(beside, sizeof beside, "%s.restored", o.config);
        if (write_config(beside, conf, conflen))
            fprintf(stderr, "nvr: warning: cannot write %s: %s\n", beside, strerror(errno));
        else
            printf("restored: %s (the backup's configuration, beside yours: compare them)\n", beside);
    }
    printf("restore: index back in %s; footage: %d segment file%s, %d read from the file, %d moved to quarantine; "
           "%d segment%s written at backup time re-read; storage: %d problem%s%s\n",
           cfg->data_dir, rs.rebuild.files, rs.rebuild.files == 1 ? "" : "s", rs.rebuild.scanned,
           rs.rebuild.quarantined, rs.dropped_writing, rs.dropped_writing == 1 ? "" : "s", rs.problems,
           rs.problems == 1 ? "" : "s", rs.unresolved ? " (some need a person: nvr check -c FILE --storage)" : "");
    status = rs.unresolved || rs.rebuild.quarantined ? 3 : 0;
out:
    if (staged[0])
        unlink(staged);
    OPENSSL_cleanse(pass, sizeof pass);
    backup_close(&a);
    nvr_config_free(&cfg);
    return status;
}
