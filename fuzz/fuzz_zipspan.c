/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_zipspan.c - the span of a zip entry (export_videos_span) on hostile
 * bytes: whatever the end record, zip64 records, central directory and
 * local header say, a span that is found must lie inside the file. */
#include "export/export_videos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/nvr-fuzz-zipspan-%ld.zip", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    if (fwrite(data, 1, size, f) != size) {
        fclose(f);
        return 0;
    }
    fclose(f);
    static const char *const names[] = {"a.mp4", "manifest.json", ""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        uint64_t off = 0, n = 0;
        if (export_videos_span(path, names[i], &off, &n) == NVR_OK && (off > size || n > size - off))
            abort();
    }
    unlink(path);
    return 0;
}
