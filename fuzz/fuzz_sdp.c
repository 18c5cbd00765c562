/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_sdp.c - SDP parsing (nvr/media/sdp.c) on arbitrary bytes. */
#include "media/sdp.h"

#include "base/err.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sdp s;
    int rc = sdp_parse(&s, (const char *)data, size);
    if (rc == NVR_OK) {
        if (s.nmedia < 1 || s.nmedia > SDP_MAX_MEDIA)
            abort();
        for (int i = 0; i < s.nmedia; i++) {
            const struct sdp_media *m = &s.media[i];
            if ((m->extradata == NULL) != (m->extradata_size == 0) || m->extradata_size < 0 ||
                strlen(m->control) >= sizeof m->control)
                abort();
            for (int k = 0; k < 16 && m->extradata; k++)
                if (m->extradata[m->extradata_size + k] != 0)
                    abort(); /* the padding libavcodec relies on */
        }
        sdp_free(&s);
    } else if (rc != NVR_EINVAL && rc != NVR_ENOMEM) {
        abort();
    }
    return 0;
}
