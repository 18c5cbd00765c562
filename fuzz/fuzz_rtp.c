/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rtp.c - the RTSP reader's byte-stream parsers on arbitrary bytes:
 * the interleaved framing and RTSP reply heads (rtsp_frame_next), then every
 * frame found fed as an RTP packet to an H.264, an H.265, an AAC, an
 * MP4A-LATM, a G.711 and an H.265-with-DONL-fields depacketizer (by the
 * channel byte), and as RTCP to the sender-report parser;
 * every frame also through the UDP reorder buffer (rtp_reorder.c, the channel
 * byte advancing its clock) into another (H.264) depacketizer.
 */
#include "base/err.h"
#include "media/rtp_depack.h"
#include "media/rtp_reorder.h"
#include "ingest/rtsp_client.h"

#include <libavutil/mem.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(struct rtp_depack *d)
{
    struct rtp_frame f;
    while (rtp_depack_pop(d, &f)) {
        if (!f.data || (f.size > 0 && f.data[f.size] != 0))
            abort();
        av_free(f.data);
    }
}

static int emit(void *ctx, const uint8_t *pkt, size_t len)
{
    rtp_depack_push(ctx, pkt, len);
    drain(ctx);
    return NVR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { N = 6 };
    struct sdp_media media[N] = {
        {.codec = SDP_CODEC_H264, .clock_rate = 90000},
        {.codec = SDP_CODEC_H265, .clock_rate = 90000},
        {.codec = SDP_CODEC_AAC, .clock_rate = 48000, .size_length = 13, .index_length = 3, .index_delta_length = 3},
        {.codec = SDP_CODEC_AAC_LATM, .clock_rate = 48000},
        {.codec = SDP_CODEC_PCMU, .clock_rate = 8000},
        {.codec = SDP_CODEC_H265, .clock_rate = 90000, .max_don_diff = 8}, /* DONL fields */
    };
    struct rtp_depack *d[N] = {NULL};
    for (int i = 0; i < N; i++)
        if (rtp_depack_create(&d[i], &media[i]) != NVR_OK)
            abort();
    struct rtp_depack *dr = NULL;
    struct rtp_reorder *ro = NULL;
    if (rtp_depack_create(&dr, &media[0]) != NVR_OK || rtp_reorder_create(&ro, 16, 50000, emit, dr) != NVR_OK)
        abort();
    int64_t now = 0;
    struct rtsp_reply r;
    size_t pos = 0;
    for (;;) {
        struct rtsp_item it;
        size_t used = 0;
        int rc = rtsp_frame_next(data + pos, size - pos, &it, &r, &used);
        if (rc <= 0)
            break;
        if (used == 0 || used > size - pos || it.data < data || it.data + it.len > data + size)
            abort();
        if (it.kind == RTSP_ITEM_FRAME) {
            struct rtcp_sr sr;
            rtcp_parse_sr(it.data, it.len, &sr);
            rtp_depack_push(d[it.channel % N], it.data, it.len);
            drain(d[it.channel % N]);
            now += it.channel * 1000;
            rtp_reorder_push(ro, it.data, it.len, now);
            rtp_reorder_tick(ro, now);
            if (rtp_reorder_deadline(ro) != INT64_MAX && rtp_reorder_deadline(ro) > now + 50000)
                abort(); /* a wait never outlasts its bound */
        }
        pos += used;
    }
    rtp_reorder_tick(ro, now + 50000);
    rtp_reorder_destroy(&ro);
    rtp_depack_destroy(&dr);
    /* the whole input as one packet too */
    for (int i = 0; i < N; i++) {
        rtp_depack_push(d[i], data, size);
        rtp_depack_flush(d[i]);
        drain(d[i]);
        rtp_depack_destroy(&d[i]);
    }
    return 0;
}
