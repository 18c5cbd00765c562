/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_h26x.c - parameter-set scanning (nvr/media/h26x.c) on arbitrary bytes. */
#include "media/h26x.h"

#include <libavutil/mem.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sps;
    size_t len;
    for (int c = 0; c < 2; c++) {
        enum AVCodecID id = c ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264;
        if (h26x_find_sps(id, data, size, &sps, &len) && (sps < data || sps + len > data + size))
            abort();
        uint8_t *ps = NULL;
        int n = h26x_extract_parameter_sets(id, data, size, &ps);
        if (n < 0 || (n > 0 && !ps) || (size_t)n > size * 2 + 16)
            abort();
        av_free(ps);
        char codecs[64];
        if (h26x_codec_string(id, data, size, codecs, sizeof codecs) == 0 && !codecs[0])
            abort();
    }
    return 0;
}
