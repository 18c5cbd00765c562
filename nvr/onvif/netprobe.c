/* SPDX-License-Identifier: Apache-2.0 */
/*
 * netprobe.c - bounded read-only HTTP and RTSP requests over libcurl (see
 * netprobe.h).  curl_easy_init() performs libcurl's global initialisation
 * on first use; Debian's libcurl (7.88) does that thread-safely.
 */
#include "onvif/netprobe.h"

#include "base/err.h"
#include "onvif/safexml.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sink {
    struct netprobe_reply *r;
    size_t cap;
    size_t alloc;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct sink *s = arg;
    size_t n = size * nmemb;
    struct netprobe_reply *r = s->r;
    if (r->len + n > s->cap) {
        r->truncated = 1;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    if (r->len + n + 1 > s->alloc) {
        size_t want = s->alloc ? s->alloc : 4096;
        while (want < r->len + n + 1)
            want *= 2;
        char *b = realloc(r->body, want);
        if (!b)
            return 0;
        r->body = b;
        s->alloc = want;
    }
    memcpy(r->body + r->len, p, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

/* Keeps the first Server:, Content-Type: and WWW-Authenticate realm. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    struct sink *s = arg;
    size_t n = size * nmemb;
    struct netprobe_reply *r = s->r;
    if (n > 7 && strncasecmp(p, "Server:", 7) == 0 && !r->server[0])
        safexml_clean(p + 7, n - 7, r->server, sizeof r->server);
    else if (n > 13 && strncasecmp(p, "Content-Type:", 13) == 0)
        safexml_clean(p + 13, n - 13, r->content_type, sizeof r->content_type);
    else if (n > 17 && strncasecmp(p, "WWW-Authenticate:", 17) == 0 && !r->realm[0]) {
        char line[1024];
        safexml_clean(p + 17, n - 17, line, sizeof line);
        char *q = strcasestr(line, "realm=\"");
        if (q) {
            q += 7;
            char *e = strchr(q, '"');
            if (e)
                *e = '\0';
            safexml_clean(q, strlen(q), r->realm, sizeof r->realm);
        }
    }
    return n;
}

/* curl's progress callback (at least once a second): non-zero aborts */
static int on_progress(void *arg, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
    (void)dlt, (void)dln, (void)ult, (void)uln;
    return arg && *(const _Atomic int *)arg;
}

static nvr_err translate(CURLcode c, const struct netprobe_reply *r)
{
    switch (c) {
    case CURLE_OK: return NVR_OK;
    case CURLE_ABORTED_BY_CALLBACK: return NVR_ESTOPPED;
    case CURLE_OPERATION_TIMEDOUT: return NVR_ETIMEDOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING: return NVR_ECONN;
    case CURLE_OUT_OF_MEMORY: return NVR_ENOMEM;
    case CURLE_WRITE_ERROR: return r->truncated ? NVR_EINVAL : NVR_ENOMEM;
    case CURLE_FILESIZE_EXCEEDED: return NVR_EINVAL;
    default: return NVR_ECONN;
    }
}

static CURL *make_handle(const struct netprobe_req *req, struct sink *s, const char *protocols)
{
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(req->timeout_ms < 3000 ? req->timeout_ms : 3000));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->cap);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "nvr-audit");
    if (req->cancel) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)req->cancel);
    }
    return c;
}

static void use_digest(CURL *c, const struct netprobe_req *req)
{
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
    curl_easy_setopt(c, CURLOPT_USERNAME, req->user);
    curl_easy_setopt(c, CURLOPT_PASSWORD, req->password ? req->password : "");
}

nvr_err netprobe_http(const struct netprobe_req *req, struct netprobe_reply *out)
{
    struct sink s = {out, req->cap, 0};
    struct curl_slist *hdrs = NULL;
    char ct[300];
    int rc;
    memset(out, 0, sizeof *out);
    CURL *c = make_handle(req, &s, "http,https");
    if (!c)
        return NVR_ENOMEM;
    if (req->body) {
        snprintf(ct, sizeof ct, "Content-Type: %s", req->content_type ? req->content_type : "application/xml");
        hdrs = curl_slist_append(hdrs, ct);
        hdrs = curl_slist_append(hdrs, "Expect:");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    rc = translate(curl_easy_perform(c), out);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    /* Credentials only when asked for: the first request goes without
     * (a WS-Security SOAP call carries its own), a 401 is answered with
     * digest.  (Asking curl for digest up front would make it probe with
     * an empty POST body first.) */
    if (rc == NVR_OK && out->status == 401 && req->user && req->user[0]) {
        free(out->body);
        out->body = NULL;
        out->len = 0;
        out->truncated = 0;
        s.alloc = 0;
        use_digest(c, req);
        out->authenticated = 1;
        rc = translate(curl_easy_perform(c), out);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return rc;
}

nvr_err netprobe_rtsp_describe(const struct netprobe_req *req, struct netprobe_reply *out)
{
    struct sink s = {out, req->cap, 0};
    int rc;
    memset(out, 0, sizeof *out);
    CURL *c = make_handle(req, &s, "rtsp");
    if (!c)
        return NVR_ENOMEM;
    if (req->user && req->user[0])
        use_digest(c, req); /* RTSP requests carry no body: no empty-probe problem */
    curl_easy_setopt(c, CURLOPT_RTSP_STREAM_URI, req->url);
    curl_easy_setopt(c, CURLOPT_RTSP_REQUEST, (long)CURL_RTSPREQ_OPTIONS);
    rc = translate(curl_easy_perform(c), out);
    if (rc == NVR_OK) {
        /* keep OPTIONS' Server header; the body of DESCRIBE is what we want */
        free(out->body);
        out->body = NULL;
        out->len = 0;
        s.alloc = 0;
        curl_easy_setopt(c, CURLOPT_RTSP_REQUEST, (long)CURL_RTSPREQ_DESCRIBE);
        rc = translate(curl_easy_perform(c), out);
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_cleanup(c);
    return rc;
}

void netprobe_reply_clear(struct netprobe_reply *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

static int unhex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static nvr_err decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int h = i + 1 < n ? unhex(s[i + 1]) : -1, l = i + 2 < n ? unhex(s[i + 2]) : -1;
            if (h < 0 || l < 0)
                return NVR_EINVAL;
            c = h * 16 + l;
            i += 2;
        }
        if (o + 1 >= cap)
            return NVR_EINVAL;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return NVR_OK;
}

nvr_err netprobe_url_split(const char *url, char *url_out, size_t url_cap, char *user, size_t user_cap, char *pass,
                           size_t pass_cap, char *host_out, size_t host_cap)
{
    const char *sep = strstr(url, "://");
    if (!sep || strlen(url) >= url_cap)
        return NVR_EINVAL;
    const char *auth = sep + 3, *end = auth + strcspn(auth, "/?#"), *host = auth, *at = NULL;
    for (const char *q = auth; q < end; q++)
        if (*q == '@')
            at = q;
    user[0] = pass[0] = '\0';
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        const char *uend = colon ? colon : at;
        if (decode(auth, (size_t)(uend - auth), user, user_cap) ||
            (colon && decode(colon + 1, (size_t)(at - colon - 1), pass, pass_cap)))
            return NVR_EINVAL;
        host = at + 1;
    }
    if (host == end)
        return NVR_EINVAL;
    snprintf(url_out, url_cap, "%.*s%s", (int)(auth - url), url, host);
    if (host_out) {
        const char *hs = host, *he;
        if (*hs == '[') {
            hs++;
            he = memchr(hs, ']', (size_t)(end - hs));
            if (!he)
                return NVR_EINVAL;
        } else {
            he = memchr(hs, ':', (size_t)(end - hs));
            if (!he)
                he = end;
        }
        if ((size_t)(he - hs) >= host_cap || he == hs)
            return NVR_EINVAL;
        memcpy(host_out, hs, (size_t)(he - hs));
        host_out[he - hs] = '\0';
    }
    return NVR_OK;
}
