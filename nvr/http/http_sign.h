/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_sign.h - the server's public signing key over HTTP
 * (docs/ref/http-api.md): GET /api/v1/signing-key, so the UI can show the
 * fingerprint an export's recipient compares with `nvr version --key`.
 *
 * Threads: HTTP worker threads (libmicrohttpd), one request each; the
 * handlers keep no state of their own: what they share lives in struct nvr
 * (docs/design/overview.md, Threads).  The key is immutable once loaded
 * (export/sign.h).
 */
#ifndef NVR_HTTP_SIGN_H
#define NVR_HTTP_SIGN_H

#include "http/http_server.h"

/* {"algorithm":"ed25519","fingerprint":"sha256:...","public_key":"PEM"}. */
http_result http_signing_key(struct http_request *r, struct nvr *nvr);

#endif
