/* SPDX-License-Identifier: Apache-2.0 */
/* console_log.c - the console's access log rows (console_int.h): one file of
 * its own so that every part of the console may write one without depending
 * on the routes' file, which depends on them. */
#include "console/console_int.h"

#include "base/clock.h"
#include "base/log.h"
#include "storage/access_log.h"

#include <stdio.h>

void console_log(struct console *c, const char *user, const char *address, const char *action, const char *site,
                 const char *camera, const char *detail)
{
    char cam[160] = "";
    if (site[0])
        snprintf(cam, sizeof cam, "%s.%s", site, camera);
    if (access_log_append(c->ix, nvr_clock_now_us(), user, address, action, cam, detail))
        nvr_log(NVR_WARN, NULL, "console: cannot write the access log action=%s", action);
}
