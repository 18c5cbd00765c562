/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_sign.c - GET /api/v1/signing-key (see http_sign.h).  The key is the
 * one `nvr run` loaded (or made) at start into nvr->key (nvr/cli/cli.c); it is
 * immutable once loaded, so any HTTP thread may read it.  Only the public
 * half and its fingerprint leave this file.
 */
#include "http/http_sign.h"

#include "base/err.h"
#include "base/json.h"
#include "core/nvr.h"
#include "export/sign.h"

#include <stdlib.h>

http_result http_signing_key(struct http_request *r, struct nvr *nvr)
{
    char fpr[SIGN_FPR_BUFSZ];
    char *pem = NULL;
    struct http_body b;
    http_result ret;
    if (!nvr->key)
        return http_reply_error(r, 503, "the server has no signing key");
    if (sign_public_pem(nvr->key, &pem) || sign_fingerprint(nvr->key, fpr)) {
        ret = http_reply_error(r, 500, "cannot read the signing key");
        goto out;
    }
    if (http_body_open(&b)) {
        ret = http_reply_error(r, 500, "out of memory");
        goto out;
    }
    fputs("{\"algorithm\":\"ed25519\",\"fingerprint\":", b.f);
    json_write_string(b.f, fpr);
    fputs(",\"public_key\":", b.f);
    json_write_string(b.f, pem);
    fputs("}\n", b.f);
    ret = http_body_send(r, &b, 200, "application/json", "no-store");
out:
    free(pem);
    return ret;
}
