/* SPDX-License-Identifier: Apache-2.0 */
/*
 * disk_smart.c - SMART health through smartctl --json (see disk_smart.h).
 */
#include "storage/disk_smart.h"

#include "base/clock.h"
#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_MAX (256 * 1024)

extern char **environ;

nvr_err disk_smart_device(const char *dir, char *dev, size_t n, char *why, size_t whylen)
{
    struct stat sb;
    char sys[128], real[PATH_MAX], part[PATH_MAX + 16];
    if (stat(dir, &sb) != 0)
        return nvr_fail(nvr_err_from_errno(errno), why, whylen, "%s: %s", dir, strerror(errno));
    snprintf(sys, sizeof sys, "/sys/dev/block/%u:%u", major(sb.st_dev), minor(sb.st_dev));
    if (!realpath(sys, real))
        return nvr_fail(NVR_ENOTFOUND, why, whylen, "not on a block device (tmpfs, overlay or network file system)");
    snprintf(part, sizeof part, "%s/partition", real);
    char *base = strrchr(real, '/');
    if (access(part, F_OK) == 0 && base) { /* a partition: its parent is the disk */
        *base = '\0';
        base = strrchr(real, '/');
    }
    if (!base || snprintf(dev, n, "/dev/%s", base + 1) >= (int)n)
        return nvr_fail(NVR_ENOTFOUND, why, whylen, "no device for %s", sys);
    return NVR_OK;
}

static int64_t int_at(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (b)
        v = json_object_get(v, b);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/* The raw value of ATA attribute id, -1 if the table lacks it. */
static int64_t ata_raw(json_t *root, int id)
{
    json_t *table = json_object_get(json_object_get(root, "ata_smart_attributes"), "table"), *row;
    size_t i;
    json_array_foreach(table, i, row)
    {
        if (int_at(row, "id", NULL) == id)
            return int_at(json_object_get(row, "raw"), "value", NULL);
    }
    return -1;
}

nvr_err disk_smart_parse(const char *text, size_t len, struct disk_smart *s)
{
    json_error_t e;
    json_t *root = json_loadb(text, len, 0, &e);
    s->available = 0;
    s->passed = 0;
    s->temperature_c = -1;
    s->power_on_hours = s->reallocated = s->pending = s->uncorrectable = s->media_errors = -1;
    s->percentage_used = -1;
    if (!json_is_object(root)) {
        snprintf(s->message, sizeof s->message, "smartctl gave no JSON (%s)", e.text);
        json_decref(root);
        return NVR_EINVAL;
    }
    json_t *status = json_object_get(json_object_get(root, "smart_status"), "passed");
    if (json_is_boolean(status)) {
        s->available = 1;
        s->passed = json_is_true(status);
        s->message[0] = '\0';
    } else {
        /* why not: smartctl's own first message ("Unable to detect device type") */
        json_t *msgs = json_object_get(json_object_get(root, "smartctl"), "messages");
        const char *m = json_string_value(json_object_get(json_array_get(msgs, 0), "string"));
        snprintf(s->message, sizeof s->message, "no SMART: %s", m ? m : "the disk gave no assessment");
    }
    s->temperature_c = (int)int_at(root, "temperature", "current");
    s->power_on_hours = int_at(root, "power_on_time", "hours");
    s->reallocated = ata_raw(root, 5);
    s->pending = ata_raw(root, 197);
    s->uncorrectable = ata_raw(root, 198);
    json_t *nv = json_object_get(root, "nvme_smart_health_information_log");
    if (nv) {
        s->media_errors = int_at(nv, "media_errors", NULL);
        s->percentage_used = (int)int_at(nv, "percentage_used", NULL);
    }
    json_decref(root);
    return s->available ? NVR_OK : NVR_ENOTFOUND;
}

/* Runs smartctl on dev; its stdout into *out (malloc'd, *len bytes). */
static nvr_err run_smartctl(const char *dev, int timeout_s, char **out, size_t *len, char *why, size_t n)
{
    int pfd[2];
    pid_t pid;
    posix_spawn_file_actions_t fa;
    char *argv[] = {"smartctl", "--json=c", "-H", "-A", "-i", (char *)dev, NULL};
    *out = NULL;
    *len = 0;
    if (pipe2(pfd, O_CLOEXEC) != 0)
        return nvr_err_from_errno(errno);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&pid, "smartctl", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (rc != 0) {
        close(pfd[0]);
        return nvr_fail(NVR_ENOTFOUND, why, n, "smartctl is not installed (Debian package smartmontools)");
    }
    char *buf = malloc(OUT_MAX + 1);
    size_t got = 0;
    int64_t end = nvr_clock_mono_us() + (int64_t)timeout_s * 1000000;
    rc = buf ? NVR_OK : NVR_ENOMEM;
    while (rc == NVR_OK) {
        int64_t left = end - nvr_clock_mono_us();
        struct pollfd p = {pfd[0], POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)(left / 1000) + 1) == 0) {
            rc = nvr_fail(NVR_ETIMEDOUT, why, n, "smartctl did not answer within %d s", timeout_s);
            break;
        }
        ssize_t r = read(pfd[0], buf + got, OUT_MAX - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || (got += (size_t)r) >= OUT_MAX)
            break;
    }
    close(pfd[0]);
    if (rc == NVR_ETIMEDOUT)
        kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return NVR_OK;
}

nvr_err disk_smart_read(const char *dir, int timeout_s, struct disk_smart *s)
{
    char *text = NULL;
    size_t len = 0;
    memset(s, 0, sizeof *s);
    s->temperature_c = s->percentage_used = -1;
    s->power_on_hours = s->reallocated = s->pending = s->uncorrectable = s->media_errors = -1;
    s->checked_us = nvr_clock_now_us();
    int rc = disk_smart_device(dir, s->device, sizeof s->device, s->message, sizeof s->message);
    if (rc)
        return rc;
    if ((rc = run_smartctl(s->device, timeout_s, &text, &len, s->message, sizeof s->message)))
        return rc;
    rc = disk_smart_parse(text, len, s);
    free(text);
    return rc;
}
