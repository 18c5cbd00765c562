/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_report.c - the config reader's messages (config_int.h, invariants 1
 * and 2): each is "FILE:LINE: message" or "FILE: message", counted whether or
 * not it is written, and redacted with nvr_url_redact_text() as a last guard;
 * a bad value is echoed back at most CONF_ECHO_MAX bytes long.
 */
#include "base/config_int.h"

#include "base/url.h"

#include <stdarg.h>
#include <string.h>

void conf_report(struct parser *p, int line, const char *fmt, ...)
{
    char msg[512], safe[600];
    va_list ap;
    p->nerrors++;
    if (!p->errs)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    nvr_url_redact_text(msg, safe, sizeof(safe));
    if (line > 0)
        fprintf(p->errs, "%s:%d: %s\n", p->path, line, safe);
    else
        fprintf(p->errs, "%s: %s\n", p->path, safe);
}

const char *conf_echo(const char *s, char out[CONF_ECHO_MAX + 4])
{
    size_t n = strlen(s);
    if (n <= CONF_ECHO_MAX)
        return s;
    n = CONF_ECHO_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, s, n);
    memcpy(out + n, "...", 4);
    return out;
}
