/* SPDX-License-Identifier: Apache-2.0 */
/*
 * url.c - redaction of credentials in URLs and in free text (see url.h).
 *
 * The scanner looks for "://", then for an '@' before the end of the
 * authority (the first '/', '?', '#', or white space).  If the user-info part
 * holds a ':', everything between that ':' and the '@' is replaced by "***".
 */
#include "base/url.h"

#include <string.h>

static int is_authority_end(char c)
{
    return c == '\0' || c == '/' || c == '?' || c == '#' || c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'';
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

/* Splits "scheme://user:pass@host/rest" at its parts: *colon is the ':'
 * before the password, *at the '@', *end the end of the authority.  0 if
 * url has no user:password@. */
static int split_userinfo(const char *url, const char **colon, const char **at, const char **end)
{
    const char *auth = strstr(url, "://");
    if (!auth)
        return 0;
    auth += 3;
    *at = *colon = NULL;
    for (*end = auth; !is_authority_end(**end); (*end)++)
        if (**end == '@')
            *at = *end;
    if (!*at)
        return 0;
    *colon = memchr(auth, ':', (size_t)(*at - auth));
    return *colon != NULL;
}

int nvr_url_keep_password(const char *url, const char *old, char *out, size_t n)
{
    const char *c1, *a1, *e1, *c2, *a2, *e2;
    if (!split_userinfo(url, &c1, &a1, &e1) || a1 - c1 != 4 || strncmp(c1, ":***", 4) != 0)
        return 0;
    if (!old || !split_userinfo(old, &c2, &a2, &e2))
        return -1;
    /* same scheme://user: and same host[:port] */
    if (c1 - url != c2 - old || strncmp(url, old, (size_t)(c1 - url)) != 0 || e1 - a1 != e2 - a2 ||
        strncmp(a1, a2, (size_t)(e1 - a1)) != 0)
        return -1;
    size_t head = (size_t)(a2 - old), tail = strlen(a1);
    if (head + tail + 1 > n)
        return -1;
    memcpy(out, old, head);
    memcpy(out + head, a1, tail + 1);
    return 1;
}
