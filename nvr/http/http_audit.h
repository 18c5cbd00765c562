/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_audit.h - the compliance audit over HTTP (docs/ref/http-api.md):
 * GET /api/v1/audit (the current report), POST /api/v1/audit (probe every
 * camera now, in the background: 202, or 409 while a run is in progress).
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).  The report and the containment rules
 * are read from the audit runner under its mutex; a run happens on the
 * runner's thread (audit_runner.h).
 */
#ifndef NVR_HTTP_AUDIT_H
#define NVR_HTTP_AUDIT_H

#include "http/http_server.h"

http_result http_audit_get(struct http_request *r, struct nvr *nvr);
http_result http_audit_post(struct http_request *r, struct nvr *nvr);
/* GET /api/v1/audit/containment?format=nft|iptables|table[&allow=A,B][&recorder=A]:
 * the containment rules of the covered and exposed cameras, as a download. */
http_result http_audit_containment(struct http_request *r, struct nvr *nvr);

#endif
