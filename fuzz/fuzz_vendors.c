/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_vendors.c - the audit's vendor data file parser (nvr/audit/vendors.c) and
 * signal matching on hostile text. */
#include "audit/vendors.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vendors *v = NULL;
    struct vendors_match m;
    FILE *devnull = fopen("/dev/null", "w");
    if (vendors_parse(&v, "fuzz.ini", (const char *)data, size, devnull) == 0) {
        char text[64];
        size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
        memcpy(text, data, n);
        text[n] = '\0';
        vendors_match(v, "onvif_manufacturer", text, &m);
        vendors_match(v, "isapi", text, &m);
        vendors_match(v, "mac_oui", text, &m);
    }
    vendors_destroy(&v);
    if (devnull)
        fclose(devnull);
    return 0;
}
