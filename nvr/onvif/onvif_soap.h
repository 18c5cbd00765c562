/* SPDX-License-Identifier: Apache-2.0 */
/*
 * onvif_soap.h - the ONVIF client's SOAP call, for the files of this layer
 * that add services to it (onvif_events.c).  Not for other layers: they use
 * onvif.h and onvif_events.h.
 *
 * Threads: as onvif.h: a client, and every call on it, belong to the thread
 * that created it (only its cancel flag is set from another);
 * onvif_xml_escape any (no state).
 */
#ifndef NVR_ONVIF_SOAP_H
#define NVR_ONVIF_SOAP_H

#include "base/err.h"
#include "onvif/onvif.h"

#include <libxml/tree.h>
#include <stdio.h>

/* One SOAP call to url (on the client's host), action (for the
 * Content-Type), WS-Security when secure, extra header elements hdr (NULL:
 * none), body; timeout_ms 0: the client's.  On success *doc owns the reply
 * and *resp points at the Body's first element.  A SOAP fault is NVR_EAUTH
 * (NotAuthorized) or NVR_EINVAL; the client's cancel flag NVR_ESTOPPED. */
nvr_err onvif_soap_call(struct onvif_client *c, const char *url, const char *action, int secure, const char *hdr,
                        const char *body, int timeout_ms, xmlDoc **doc, xmlNode **resp);

/* scheme://host[:port] of the device, and its device service URL (borrowed). */
const char *onvif_client_base(const struct onvif_client *c);
const char *onvif_client_device_url(const struct onvif_client *c);

/* Appends s XML-escaped to f. */
void onvif_xml_escape(FILE *f, const char *s);

#endif
