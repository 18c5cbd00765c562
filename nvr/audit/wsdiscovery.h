/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wsdiscovery.h - WS-Discovery (2005/04, as ONVIF uses it): send a Probe
 * for dn:NetworkVideoTransmitter and collect the ProbeMatches that arrive
 * within a timeout, to list candidate cameras on the local network.
 *
 * The probe goes to 239.255.255.250:3702 (multicast, TTL 1: the local link
 * only), or to one given address (unicast; the tests use it on loopback).
 * Answers must relate to our MessageID; each datagram is at most 64 KiB and
 * parsed by safexml; every string kept is cleaned and capped; at most
 * WSD_MAX_MATCHES distinct endpoints are kept.  Runs in the caller's thread.
 */
#ifndef NVR_WSDISCOVERY_H
#define NVR_WSDISCOVERY_H

#include "base/err.h"
#include <stddef.h>
#include <stdio.h>

#define WSD_MAX_MATCHES 256

struct wsd_match {
    char from[64];     /* sender address ip:port */
    char address[160]; /* EndpointReference Address (urn:uuid:...) */
    char xaddrs[512];  /* device service URLs, space-separated */
    char types[256];
    char scopes[1024];  /* space-separated scope URIs */
    char name[128];     /* from onvif://www.onvif.org/name/..., percent-decoded */
    char hardware[128]; /* from onvif://www.onvif.org/hardware/... */
};

struct wsd_opts {
    int timeout_ms;     /* how long to collect answers (default 3000) */
    const char *target; /* "host:port" for a unicast probe; NULL: multicast */
};

/* Probes; *out (malloc'ed, caller frees) gets *n matches.  Returns 0 (also
 * with no matches) or a negative nvr_err when no probe could be sent. */
nvr_err wsd_probe(const struct wsd_opts *o, struct wsd_match **out, size_t *n);

/* Parses one datagram; returns 1 and fills m if it is a ProbeMatch that
 * relates to message_id (NULL: any).  For tests and fuzzing. */
int wsd_parse_match(const char *buf, size_t len, const char *message_id, struct wsd_match *m);

/* Writes the matches as {"devices":[...]} / as text lines. */
void wsd_write_json(FILE *f, const struct wsd_match *m, size_t n);
void wsd_write_text(FILE *f, const struct wsd_match *m, size_t n);

#endif
