/*
 * url.c - redaction of credentials in URLs and in free text (see url.h).
 *
 * The scanner looks for "://", then for an '@' before the end of the
 * authority (the first '/', '?', '#', or white space).  If the user-info part
 * holds a ':', everything between that ':' and the '@' is replaced by "***".
 */
#include "url.h"

#include <string.h>

static int is_authority_end(char c)
{
    return c == '\0' || c == '/' || c == '?' || c == '#' || c == ' ' || c == '\t' ||
           c == '\n' || c == '"' || c == '\'';
}

void nvr_url_redact_text(const char *text, char *out, size_t n)
{
    size_t o = 0;
    const char *p = text;
    if (n == 0)
        return;
    while (*p && o + 1 < n) {
        if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
            /* copy "://" then inspect the authority */
            const char *auth = p + 3, *end = auth, *at = NULL, *colon = NULL;
            while (!is_authority_end(*end)) {
                if (*end == '@')
                    at = end;
                end++;
            }
            if (at) {
                for (const char *q = auth; q < at; q++)
                    if (*q == ':') {
                        colon = q;
                        break;
                    }
            }
            for (int i = 0; i < 3 && o + 1 < n; i++)
                out[o++] = *p++;
            if (colon) {
                while (p <= colon && o + 1 < n)
                    out[o++] = *p++;
                for (const char *s = "***"; *s && o + 1 < n; s++)
                    out[o++] = *s;
                p = at;
            }
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = '\0';
}

void nvr_url_redact(const char *url, char *out, size_t n)
{
    nvr_url_redact_text(url, out, n);
}
