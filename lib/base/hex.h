/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hex.h - bytes as lowercase hexadecimal, the form every digest, key pin
 * and id of ours is written in (manifests, the access log's chain, backups).
 *
 * Threads: any; no state.
 */
#ifndef NVR_BASE_HEX_H
#define NVR_BASE_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes the n bytes at d as 2n lowercase hex digits and a NUL to out,
 * which must hold 2n + 1 bytes. */
void nvr_hex(const uint8_t *d, size_t n, char *out);

#endif
