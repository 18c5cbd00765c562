/* SPDX-License-Identifier: Apache-2.0 */
/*
 * safexml.h - parsing untrusted XML (ONVIF/SOAP replies, ISAPI answers,
 * WS-Discovery datagrams) with libxml2, and cleaning the strings taken out
 * of it.
 *
 * Every document comes from a device we do not trust, so:
 *  - size: at most SAFEXML_MAX_BYTES (callers also cap what they read);
 *  - no DTD at all: a document with <!DOCTYPE or <!ENTITY is refused before
 *    libxml2 sees it (SOAP 1.2 forbids DTDs; this rules out entity
 *    expansion bombs and external entities);
 *  - libxml2 runs with XML_PARSE_NONET, without XML_PARSE_NOENT,
 *    XML_PARSE_DTDLOAD or XML_PARSE_HUGE (its own limits stay on), errors
 *    are not printed;
 *  - depth: at most SAFEXML_MAX_DEPTH element levels;
 *  - lookups are by local name (namespace prefixes vary between vendors);
 *  - text taken out is cut to the caller's buffer and reduced to printable
 *    ASCII (anything else becomes '?'), so it is safe in logs, JSON and CSV.
 * Threads: any; libxml2 is initialised once (pthread_once).
 */
#ifndef NVR_SAFEXML_H
#define NVR_SAFEXML_H

#include "base/err.h"
#include <libxml/tree.h>
#include <stddef.h>

#define SAFEXML_MAX_BYTES (1024 * 1024)
#define SAFEXML_MAX_DEPTH 64

/* Parses buf[0..len).  On success *out owns the document (xmlFreeDoc).
 * NVR_EINVAL for malformed, too large, too deep, or DTD-carrying input. */
nvr_err safexml_parse(const char *buf, size_t len, xmlDoc **out);

/* The first element named local (any namespace) at or under from, in
 * document order; NULL if none. */
xmlNode *safexml_find(xmlNode *from, const char *local);

/* The first direct child element of parent named local; NULL if none. */
xmlNode *safexml_child(const xmlNode *parent, const char *local);

/* Writes n's text content, whitespace-trimmed and sanitised, into out
 * (always NUL-terminated, cut to cap).  Returns the length written
 * (0 for a NULL node). */
size_t safexml_text(const xmlNode *n, char *out, size_t cap);

/* Text of the first element named local under from ("" if none). */
size_t safexml_find_text(xmlNode *from, const char *local, char *out, size_t cap);

/* Copies in[0..len) to out (cap bytes, NUL-terminated) keeping printable
 * ASCII, turning other bytes into '?', trimming surrounding blanks. */
size_t safexml_clean(const char *in, size_t len, char *out, size_t cap);

#endif
