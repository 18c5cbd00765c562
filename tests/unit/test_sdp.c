/* SPDX-License-Identifier: Apache-2.0 */
/* test_sdp.c - SDP parsing (nvr/media/sdp.c): the test camera's H.265 + AAC
 * description, an H.264 camera's, and sloppy input. */
#include "media/sdp.h"

#include "check.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

/* what gst-rtsp-server (the test camera) sends for h265_aac.mp4 */
static const char gst_h265_aac[] =
    "v=0\r\n"
    "o=- 17209054049535645403 1 IN IP4 127.0.0.1\r\n"
    "s=Session streamed with GStreamer\r\n"
    "t=0 0\r\n"
    "a=control:*\r\n"
    "a=range:npt=0-\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:96 H265/90000\r\n"
    "a=framerate:25\r\n"
    "a=fmtp:96 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwA/ugJA;sprop-sps=QgEBAWAAAAMAkAAAAwAAAwA/oAUCAXHy5bpKTC8BaAgAAAMACAAAAwDIQA==;sprop-pps=RAHAc8GJ\r\n"
    "a=control:stream=0\r\n"
    "m=audio 0 RTP/AVP 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:97 MPEG4-GENERIC/48000/1\r\n"
    "a=fmtp:97 streamtype=5;profile-level-id=2;mode=AAC-hbr;config=118856e500;sizelength=13;indexlength=3;indexdeltalength=3\r\n"
    "a=control:stream=1\r\n";

static void test_gst_h265_aac(void)
{
    struct sdp s;
    CHECK_EQ_INT(sdp_parse(&s, gst_h265_aac, sizeof gst_h265_aac - 1), NVR_OK);
    CHECK_EQ_STR(s.control, "*");
    CHECK_EQ_INT(s.nmedia, 2);
    const struct sdp_media *v = &s.media[0], *a = &s.media[1];
    CHECK_EQ_STR(v->type, "video");
    CHECK_EQ_INT(v->codec, SDP_CODEC_H265);
    CHECK_EQ_INT(v->payload_type, 96);
    CHECK_EQ_INT(v->clock_rate, 90000);
    CHECK_EQ_STR(v->control, "stream=0");
    CHECK(v->framerate == 25);
    /* VPS, SPS, PPS each behind a 4-byte start code */
    CHECK(v->extradata && v->extradata_size > 12);
    if (v->extradata) {
        CHECK(memcmp(v->extradata, "\0\0\0\1\x40\x01", 6) == 0);
        int starts = 0;
        for (int i = 0; i + 4 <= v->extradata_size; i++)
            if (memcmp(v->extradata + i, "\0\0\0\1", 4) == 0)
                starts++;
        CHECK_EQ_INT(starts, 3);
        /* the PPS is last: RAHAc8GJ = 44 01 c0 73 c1 89 */
        CHECK(memcmp(v->extradata + v->extradata_size - 10, "\0\0\0\1\x44\x01\xc0\x73\xc1\x89", 10) == 0);
    }
    CHECK_EQ_STR(a->type, "audio");
    CHECK_EQ_INT(a->codec, SDP_CODEC_AAC);
    CHECK_EQ_INT(a->clock_rate, 48000);
    CHECK_EQ_INT(a->channels, 1);
    CHECK_EQ_INT(a->size_length, 13);
    CHECK_EQ_INT(a->index_length, 3);
    CHECK_EQ_INT(a->index_delta_length, 3);
    CHECK_EQ_INT(a->extradata_size, 5);
    CHECK(a->extradata && memcmp(a->extradata, "\x11\x88\x56\xe5\x00", 5) == 0);
    CHECK_EQ_STR(a->control, "stream=1");
    sdp_free(&s);
    sdp_free(&s); /* idempotent */
}

static void test_h264_camera(void)
{
    /* LF line ends, fmtp before rtpmap, an absolute control, a second payload
     * type, a PCMA audio track (static payload type, no rtpmap), a data track */
    static const char text[] =
        "v=0\n"
        "s=cam\n"
        "m=video 0 RTP/AVP 96 97\n"
        "a=fmtp:96 packetization-mode=1; profile-level-id=42001e; sprop-parameter-sets=Z0IAHqo=,aM44gA==\n"
        "a=rtpmap:96 H264/90000\n"
        "a=rtpmap:97 JPEG/90000\n"
        "a=control:rtsp://10.0.0.5/Streaming/Channels/101/trackID=1\n"
        "m=audio 0 RTP/AVP 8\n"
        "a=control:trackID=2\n"
        "m=application 0 RTP/AVP 107\n"
        "a=rtpmap:107 vnd.onvif.metadata/90000\n";
    struct sdp s;
    CHECK_EQ_INT(sdp_parse(&s, text, sizeof text - 1), NVR_OK);
    CHECK_EQ_INT(s.nmedia, 3);
    CHECK_EQ_STR(s.control, "");
    const struct sdp_media *v = &s.media[0];
    CHECK_EQ_INT(v->codec, SDP_CODEC_H264);
    CHECK_EQ_INT(v->packetization_mode, 1);
    static const uint8_t want[] = {0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1e, 0xaa, 0, 0, 0, 1, 0x68, 0xce, 0x38, 0x80};
    CHECK_EQ_INT(v->extradata_size, sizeof want);
    CHECK(v->extradata && memcmp(v->extradata, want, sizeof want) == 0);
    CHECK_EQ_STR(v->control, "rtsp://10.0.0.5/Streaming/Channels/101/trackID=1");
    CHECK_EQ_INT(s.media[1].codec, SDP_CODEC_PCMA);
    CHECK_EQ_STR(s.media[1].encoding, "PCMA");
    CHECK_EQ_INT(s.media[1].clock_rate, 8000);
    CHECK_EQ_STR(s.media[2].type, "application");
    CHECK_EQ_STR(s.media[2].encoding, "vnd.onvif.metadata");
    sdp_free(&s);
}

static void test_sloppy(void)
{
    struct sdp s;
    CHECK_EQ_INT(sdp_parse(&s, "", 0), NVR_EINVAL);
    CHECK_EQ_INT(sdp_parse(&s, "v=0\r\ns=x\r\n", 10), NVR_EINVAL);
    /* AAC without config cannot be recorded; a broken base64 NAL is skipped */
    static const char text[] = "m=audio 0 RTP/AVP 97\r\n"
                               "a=rtpmap:97 mpeg4-generic/16000/2\r\n"
                               "a=fmtp:97 mode=AAC-hbr;sizelength=13;indexlength=3\r\n"
                               "m=video 0 RTP/AVP 96\r\n"
                               "a=rtpmap:96 H264/90000\r\n"
                               "a=fmtp:96 sprop-parameter-sets=!!!,aM44gA==\r\n"
                               "garbage line\r\n"
                               "a=rtpmap:xx\r\n"
                               "m=\r\n";
    CHECK_EQ_INT(sdp_parse(&s, text, sizeof text - 1), NVR_OK);
    CHECK_EQ_INT(s.nmedia, 3);
    CHECK_EQ_INT(s.media[0].codec, SDP_CODEC_OTHER);
    CHECK_EQ_INT(s.media[0].channels, 2);
    CHECK_EQ_INT(s.media[1].codec, SDP_CODEC_H264);
    CHECK_EQ_INT(s.media[1].extradata_size, 8);
    CHECK_EQ_INT(s.media[2].payload_type, -1);
    sdp_free(&s);
    /* more media than SDP_MAX_MEDIA: the rest are ignored */
    char many[2048] = "";
    for (int i = 0; i < SDP_MAX_MEDIA + 3; i++)
        strcat(many, "m=video 0 RTP/AVP 96\na=rtpmap:96 H264/90000\n");
    CHECK_EQ_INT(sdp_parse(&s, many, strlen(many)), NVR_OK);
    CHECK_EQ_INT(s.nmedia, SDP_MAX_MEDIA);
    sdp_free(&s);
}

/* G.711: static payload types without rtpmap, dynamic names at 8 and 16 kHz,
 * and codecs that stay "other" (G.726, Opus). */
static void test_g711(void)
{
    static const char text[] =
        "v=0\r\n"
        "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n"
        "m=audio 0 RTP/AVP 0\r\na=control:track2\r\n"
        "m=audio 0 RTP/AVP 8\r\na=control:track3\r\n"
        "m=audio 0 RTP/AVP 97\r\na=rtpmap:97 PCMU/16000\r\n"
        "m=audio 0 RTP/AVP 98\r\na=rtpmap:98 pcma/8000/1\r\n"
        "m=audio 0 RTP/AVP 99\r\na=rtpmap:99 G726-32/8000\r\n"
        "m=audio 0 RTP/AVP 100\r\na=rtpmap:100 opus/48000/2\r\n"
        "m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    struct sdp s;
    CHECK_EQ_INT(sdp_parse(&s, text, sizeof text - 1), NVR_OK);
    CHECK_EQ_INT(s.nmedia, 8);
    CHECK_EQ_INT(s.media[1].codec, SDP_CODEC_PCMU);
    CHECK_EQ_INT(s.media[1].payload_type, 0);
    CHECK_EQ_INT(s.media[1].clock_rate, 8000);
    CHECK_EQ_INT(s.media[1].channels, 1);
    CHECK_EQ_STR(s.media[1].control, "track2");
    CHECK_EQ_INT(s.media[2].codec, SDP_CODEC_PCMA);
    CHECK_EQ_INT(s.media[2].clock_rate, 8000);
    CHECK_EQ_INT(s.media[3].codec, SDP_CODEC_PCMU);
    CHECK_EQ_INT(s.media[3].clock_rate, 16000);
    CHECK_EQ_INT(s.media[4].codec, SDP_CODEC_PCMA);
    CHECK_EQ_INT(s.media[4].clock_rate, 8000);
    CHECK_EQ_INT(s.media[5].codec, SDP_CODEC_OTHER);
    CHECK_EQ_STR(s.media[5].encoding, "G726-32");
    CHECK_EQ_INT(s.media[6].codec, SDP_CODEC_OTHER);
    CHECK_EQ_INT(s.media[7].codec, SDP_CODEC_PCMU);
    CHECK_EQ_INT(s.media[7].clock_rate, 8000);
    sdp_free(&s);
}

/* MP4A-LATM: the AudioSpecificConfig out of the StreamMuxConfig. */
static void test_latm(void)
{
    static const char text[] =
        "v=0\r\n"
        "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
        /* what gst's rtpmp4apay (the test camera's --audio-codec latm) sends:
         * AAC-LC 48 kHz mono, with a "no SBR" sync extension */
        "m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MP4A-LATM/48000\r\na=fmtp:97 cpresent=0;config=40002310adca00\r\n"
        /* RFC 6416 style, 44.1 kHz stereo (ASC 0x1210) */
        "m=audio 0 RTP/AVP 98\r\na=rtpmap:98 MP4A-LATM/44100/2\r\n"
        "a=fmtp:98 profile-level-id=15; object=2; cpresent=0; config=400024203fc0\r\n"
        /* the config in-band (cpresent=1 is the default): not taken */
        "m=audio 0 RTP/AVP 99\r\na=rtpmap:99 MP4A-LATM/48000\r\na=fmtp:99 config=40002310adca00\r\n"
        /* HE-AAC (object type 5): not taken */
        "m=audio 0 RTP/AVP 100\r\na=rtpmap:100 MP4A-LATM/24000\r\na=fmtp:100 cpresent=0;config=40005613101fe0\r\n"
        /* garbage */
        "m=audio 0 RTP/AVP 101\r\na=rtpmap:101 MP4A-LATM/48000\r\na=fmtp:101 cpresent=0;config=zz\r\n";
    struct sdp s;
    CHECK_EQ_INT(sdp_parse(&s, text, sizeof text - 1), NVR_OK);
    CHECK_EQ_INT(s.nmedia, 6);
    const struct sdp_media *a = &s.media[1];
    static const uint8_t asc48[] = {0x11, 0x88};
    CHECK_EQ_INT(a->codec, SDP_CODEC_AAC_LATM);
    CHECK_EQ_INT(a->clock_rate, 48000);
    CHECK_EQ_INT(a->extradata_size, 2);
    CHECK(a->extradata && memcmp(a->extradata, asc48, 2) == 0);
    a = &s.media[2];
    static const uint8_t asc44[] = {0x12, 0x10};
    CHECK_EQ_INT(a->codec, SDP_CODEC_AAC_LATM);
    CHECK_EQ_INT(a->channels, 2);
    CHECK_EQ_INT(a->extradata_size, 2);
    CHECK(a->extradata && memcmp(a->extradata, asc44, 2) == 0);
    CHECK_EQ_INT(s.media[3].codec, SDP_CODEC_OTHER);
    CHECK_EQ_INT(s.media[4].codec, SDP_CODEC_OTHER);
    CHECK_EQ_INT(s.media[5].codec, SDP_CODEC_OTHER);
    CHECK_EQ_INT(s.media[5].extradata_size, 0);
    sdp_free(&s);
}

/* H.265 with DONL fields (RFC 7798 7.1): sprop-max-don-diff above 0; the
 * parameter sets still read whatever the key order; absent or 0: none. */
static void test_h265_donl(void)
{
    static const char text[] = "v=0\r\n"
                               "m=video 0 RTP/AVP 96\r\n"
                               "a=rtpmap:96 H265/90000\r\n"
                               "a=fmtp:96 sprop-max-don-diff=3;sprop-depack-buf-nalus=2;"
                               "sprop-pps=RAHAc8GJ;sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwA/ugJA\r\n"
                               "m=video 0 RTP/AVP 97\r\n"
                               "a=rtpmap:97 H265/90000\r\n"
                               "a=fmtp:97 sprop-max-don-diff=0\r\n"
                               "m=video 0 RTP/AVP 98\r\n"
                               "a=rtpmap:98 H265/90000\r\n"
                               "a=fmtp:98 sprop-max-don-diff=99999\r\n";
    struct sdp s;
    CHECK_EQ_INT(sdp_parse(&s, text, sizeof text - 1), NVR_OK);
    CHECK_EQ_INT(s.nmedia, 3);
    CHECK_EQ_INT(s.media[0].max_don_diff, 3);
    CHECK(s.media[0].extradata && memcmp(s.media[0].extradata, "\0\0\0\1\x40\x01", 6) == 0);
    CHECK_EQ_INT(s.media[1].max_don_diff, 0);
    CHECK_EQ_INT(s.media[2].max_don_diff, 32767);
    sdp_free(&s);
    CHECK_EQ_INT(sdp_parse(&s, gst_h265_aac, sizeof gst_h265_aac - 1), NVR_OK);
    CHECK_EQ_INT(s.media[0].max_don_diff, 0);
    sdp_free(&s);
}

int main(void)
{
    RUN(test_gst_h265_aac);
    RUN(test_h265_donl);
    RUN(test_h264_camera);
    RUN(test_sloppy);
    RUN(test_g711);
    RUN(test_latm);
    return check_summary();
}
