/* SPDX-License-Identifier: Apache-2.0 */
/* seg_fixture.h - for unit tests of the index: a finished one-minute
 * segment row, as the recorder leaves one (inserted, one fragment, then
 * finished with its SHA-256 known).  Include after check.h and
 * storage/index.h. */
#ifndef NVR_TESTS_SEG_FIXTURE_H
#define NVR_TESTS_SEG_FIXTURE_H

#include <stdio.h>
#include <string.h>

/* Segment k of camera cam (path recordings/CAM/KKK.mp4), session, from
 * start_us for 60 s, `bytes` bytes in all (an init section of 100). */
static inline void fixture_segment(nvr_index *ix, const char *cam, int k, int64_t session, int64_t start_us,
                                   uint64_t bytes)
{
    struct index_segment s;
    memset(&s, 0, sizeof s);
    snprintf(s.camera, sizeof s.camera, "%s", cam);
    s.session = session;
    s.start_us = start_us;
    s.end_us = start_us + 60 * 1000000LL;
    s.media_us = 60 * 1000000LL;
    snprintf(s.path, sizeof s.path, "recordings/%s/%03d.mp4", cam, k);
    snprintf(s.video_codec, sizeof s.video_codec, "h264");
    s.init_bytes = 100;
    s.bytes = 100;
    fragments_append(&s.frags, (uint32_t)(bytes - 100), (uint32_t)(60 * 1000000LL));
    CHECK_EQ_INT(index_segment_insert(ix, &s), NVR_OK);
    s.bytes = bytes;
    s.has_sha256 = 1;
    CHECK_EQ_INT(index_segment_finish(ix, &s), NVR_OK);
    fragments_free(&s.frags);
}

#endif
