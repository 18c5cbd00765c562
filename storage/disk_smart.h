/* SPDX-License-Identifier: Apache-2.0 */
/*
 * disk_smart.h - a storage dir's disk health from smartmontools
 * (`smartctl --json`), when it is installed and the dir is on a disk that
 * answers SMART: overall assessment, temperature, power-on hours, and the
 * counters that predict a failure (ATA 5 reallocated, 197 pending, 198
 * offline uncorrectable sectors; NVMe media errors and wear).
 *
 * Every field says "unknown" (-1) when the disk does not report it, and
 * message says in words why there is no SMART at all (no smartctl, not a
 * block device such as tmpfs, a virtual disk, smartctl needing root).
 *
 * Threads: any; disk_smart_read runs a process (bounded by a timeout).
 */
#ifndef NVR_STORAGE_DISK_SMART_H
#define NVR_STORAGE_DISK_SMART_H

#include "base/err.h"

#include <stddef.h>
#include <stdint.h>

struct disk_smart {
    char device[64]; /* "/dev/sda", "" when the dir is on no block device */
    int available;   /* smartctl gave a SMART assessment */
    int passed;      /* the disk's own overall assessment (with available) */
    int temperature_c;
    int64_t power_on_hours;
    int64_t reallocated, pending, uncorrectable; /* ATA 5, 197, 198 raw values */
    int64_t media_errors;                        /* NVMe */
    int percentage_used;                         /* NVMe wear */
    char message[200];                           /* why not available, "" if it is */
    int64_t checked_us;                          /* wall clock of the reading */
};

/* The whole disk holding dir ("/dev/sda" for /dev/sda2, "/dev/nvme0n1" for
 * nvme0n1p1) into dev; NVR_ENOTFOUND (with why) when it is on no block
 * device (tmpfs, overlay, NFS). */
nvr_err disk_smart_device(const char *dir, char *dev, size_t n, char *why, size_t whylen);

/* Reads smartctl's JSON output (text, len bytes) into s (device kept). */
nvr_err disk_smart_parse(const char *text, size_t len, struct disk_smart *s);

/* disk_smart_device, then `smartctl --json=c -H -A -i DEV` (at most
 * timeout_s), parsed.  Always fills s (message says what went wrong);
 * NVR_OK when SMART was read. */
nvr_err disk_smart_read(const char *dir, int timeout_s, struct disk_smart *s);

#endif
