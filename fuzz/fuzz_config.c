/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_config.c - the INI config parser (lib/base/config.c) on hostile text. */
#include "base/config.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nvr_config *cfg = NULL;
    FILE *devnull = fopen("/dev/null", "w");
    nvr_config_parse("fuzz.conf", (const char *)data, size, &cfg, devnull);
    if (cfg) {
        for (size_t i = 0; i < cfg->ncameras; i++)
            (void)nvr_config_camera(cfg, cfg->cameras[i].id);
    }
    nvr_config_free(&cfg);
    if (devnull)
        fclose(devnull);
    return 0;
}
