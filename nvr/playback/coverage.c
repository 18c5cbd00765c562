/* SPDX-License-Identifier: Apache-2.0 */
/*
 * coverage.c - runs and segments of one camera as JSON (see coverage.h).
 * A run is a maximal chain of segments each starting exactly where the
 * previous one ended (docs/design/index.md).  clock_suspect (time.md, T6)
 * is said per segment, and for a run if any of its segments is.
 */
#include "playback/coverage.h"

#include "base/json.h"

size_t coverage_run_end(const struct index_segment *segs, size_t n, size_t i)
{
    size_t j = i;
    while (j + 1 < n && segs[j + 1].start_us <= segs[j].end_us)
        j++;
    return j;
}

void coverage_write_json(FILE *f, const char *camera, const struct index_segment *s, size_t n)
{
    fputs("{\"camera\":", f);
    json_write_string(f, camera);
    fputs(",\"runs\":[", f);
    for (size_t i = 0; i < n;) {
        size_t j = coverage_run_end(s, n, i);
        fputs(i ? ",{\"start\":" : "{\"start\":", f);
        json_write_time(f, s[i].start_us);
        fputs(",\"end\":", f);
        json_write_time(f, s[j].end_us);
        int suspect = 0;
        for (size_t k = i; k <= j; k++)
            suspect |= s[k].clock_suspect;
        fprintf(f, ",\"segments\":%zu,\"clock_suspect\":%s}", j - i + 1, suspect ? "true" : "false");
        i = j + 1;
    }
    fputs("],\"segments\":[", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s{\"id\":%lld,\"start\":", i ? "," : "", (long long)s[i].id);
        json_write_time(f, s[i].start_us);
        fputs(",\"end\":", f);
        json_write_time(f, s[i].end_us);
        fprintf(f, ",\"bytes\":%llu,\"media_duration\":%.6f,\"fragments\":%zu,\"frames\":%lld,",
                (unsigned long long)s[i].bytes, (double)s[i].media_us / 1e6, s[i].frags.n, (long long)s[i].frames);
        fputs("\"video\":{\"codec\":", f);
        json_write_string(f, s[i].video_codec);
        fprintf(f, ",\"width\":%d,\"height\":%d},\"audio\":", s[i].width, s[i].height);
        if (s[i].audio_codec[0])
            json_write_string(f, s[i].audio_codec);
        else
            fputs("null", f);
        fputs(",\"path\":", f);
        json_write_string(f, s[i].path);
        fprintf(f, ",\"state\":\"%s\",\"session\":%lld,\"clock_suspect\":%s}",
                s[i].state == INDEX_SEG_WRITING ? "writing" : "complete", (long long)s[i].session,
                s[i].clock_suspect ? "true" : "false");
    }
    fputs("]}\n", f);
}
