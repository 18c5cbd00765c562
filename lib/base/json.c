/*
 * json.c - JSON output helpers (see json.h).
 */
#include "base/json.h"

#include "base/clock.h"

void json_write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void json_write_time(FILE *f, int64_t us)
{
    char buf[NVR_TIME_BUFSZ];
    nvr_clock_format_rfc3339(us, buf);
    fprintf(f, "\"%s\"", buf);
}
