/* SPDX-License-Identifier: Apache-2.0 */
/*
 * s3.c - S3-compatible object storage over libcurl (see s3.h).
 */
#include "storage/s3.h"

#include "base/err.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3_client {
    char *bucket, *prefix; /* prefix "" or "a/b" (no slashes at the ends) */
    char *endpoint;        /* no trailing slash */
    char *region;
    char *userpwd; /* access:secret, for CURLOPT_USERPWD */
    char sigv4[128];
    int path_style;
    long timeout_s;
};

static int scheme_ok(const char *u)
{
    return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

nvr_err s3_client_new(struct s3_client **out, const struct s3_config *c, char *why, size_t n)
{
    *out = NULL;
    if (!c->url || strncmp(c->url, "s3://", 5) != 0 || !c->url[5] || c->url[5] == '/')
        return nvr_fail(NVR_EINVAL, why, n, "archive_url must be s3://bucket or s3://bucket/prefix");
    if (!c->access_key || !c->secret_key || !*c->access_key || !*c->secret_key)
        return nvr_fail(NVR_EINVAL, why, n,
                        "no archive credentials (archive_access_key and archive_secret_key, or "
                        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
    if (c->endpoint && !scheme_ok(c->endpoint))
        return nvr_fail(NVR_EINVAL, why, n, "archive_endpoint must be an http:// or https:// URL");
    struct s3_client *s = calloc(1, sizeof *s);
    if (!s)
        return NVR_ENOMEM;
    const char *b = c->url + 5, *slash = strchr(b, '/');
    size_t blen = slash ? (size_t)(slash - b) : strlen(b);
    const char *p = slash ? slash + 1 : "";
    size_t plen = strlen(p);
    while (plen && p[plen - 1] == '/')
        plen--;
    const char *region = c->region && *c->region ? c->region : "us-east-1";
    s->bucket = strndup(b, blen);
    s->prefix = strndup(p, plen);
    s->region = strdup(region);
    if (c->endpoint) {
        size_t el = strlen(c->endpoint);
        while (el && c->endpoint[el - 1] == '/')
            el--;
        s->endpoint = strndup(c->endpoint, el);
    } else if (asprintf(&s->endpoint, "https://s3.%s.amazonaws.com", region) < 0) {
        s->endpoint = NULL;
    }
    if (asprintf(&s->userpwd, "%s:%s", c->access_key, c->secret_key) < 0)
        s->userpwd = NULL;
    snprintf(s->sigv4, sizeof s->sigv4, "aws:amz:%s:s3", region);
    s->path_style = c->path_style;
    s->timeout_s = c->timeout_s > 0 ? c->timeout_s : 300;
    if (!s->bucket || !s->prefix || !s->region || !s->endpoint || !s->userpwd) {
        s3_client_free(&s);
        return NVR_ENOMEM;
    }
    *out = s;
    return NVR_OK;
}

void s3_client_free(struct s3_client **cp)
{
    struct s3_client *c = *cp;
    if (!c)
        return;
    free(c->bucket);
    free(c->prefix);
    free(c->endpoint);
    free(c->region);
    if (c->userpwd) {
        memset(c->userpwd, 0, strlen(c->userpwd));
        free(c->userpwd);
    }
    free(c);
    *cp = NULL;
}

char *s3_object_url(const struct s3_client *c, const char *rel)
{
    char *u = NULL;
    if (asprintf(&u, "s3://%s/%s%s%s", c->bucket, c->prefix, *c->prefix ? "/" : "", rel) < 0)
        return NULL;
    return u;
}

/* s3://bucket/key -> the HTTP URL of the object (a new string). */
static char *http_url(const struct s3_client *c, const char *url)
{
    size_t bl = strlen(c->bucket);
    if (strncmp(url, "s3://", 5) != 0 || strncmp(url + 5, c->bucket, bl) != 0 || url[5 + bl] != '/')
        return NULL;
    const char *key = url + 5 + bl + 1;
    char *out = NULL, *esc = NULL;
    size_t kl = strlen(key), o = 0;
    /* percent-encode the key but its slashes */
    if (!(esc = malloc(3 * kl + 1)))
        return NULL;
    for (size_t i = 0; i < kl; i++) {
        unsigned char ch = (unsigned char)key[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-._~/", ch))
            esc[o++] = (char)ch;
        else
            o += (size_t)snprintf(esc + o, 4, "%%%02X", ch);
    }
    esc[o] = '\0';
    if (c->path_style) {
        if (asprintf(&out, "%s/%s/%s", c->endpoint, c->bucket, esc) < 0)
            out = NULL;
    } else {
        const char *host = strstr(c->endpoint, "://") + 3;
        if (asprintf(&out, "%.*s%s.%s/%s", (int)(host - c->endpoint), c->endpoint, c->bucket, host, esc) < 0)
            out = NULL;
    }
    free(esc);
    return out;
}

struct call {
    CURL *curl;
    struct curl_slist *hdrs;
    char *url;
};

static nvr_err call_open(struct s3_client *c, struct call *k, const char *url, const char *sha_hex, char *why, size_t n)
{
    char h[128];
    memset(k, 0, sizeof *k);
    if (!(k->url = http_url(c, url)))
        return nvr_fail(NVR_EINVAL, why, n, "not an object of bucket %s: %s", c->bucket, url);
    if (!(k->curl = curl_easy_init()))
        return NVR_ENOMEM;
    snprintf(h, sizeof h, "x-amz-content-sha256: %s", sha_hex ? sha_hex : EMPTY_SHA256);
    k->hdrs = curl_slist_append(NULL, h);
    curl_easy_setopt(k->curl, CURLOPT_URL, k->url);
    curl_easy_setopt(k->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(k->curl, CURLOPT_AWS_SIGV4, c->sigv4);
    curl_easy_setopt(k->curl, CURLOPT_USERPWD, c->userpwd);
    curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, k->hdrs);
    curl_easy_setopt(k->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k->curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(k->curl, CURLOPT_TIMEOUT, c->timeout_s);
    /* a transfer that stalls below 1 KiB/s for 30 s is given up */
    curl_easy_setopt(k->curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(k->curl, CURLOPT_LOW_SPEED_TIME, 30L);
    return NVR_OK;
}

static void call_close(struct call *k)
{
    curl_slist_free_all(k->hdrs);
    if (k->curl)
        curl_easy_cleanup(k->curl);
    free(k->url);
}

static size_t discard(char *p, size_t s, size_t m, void *u)
{
    (void)p;
    (void)u;
    return s * m;
}

/* Runs the call; maps the outcome (what names it in why). */
static nvr_err perform(struct call *k, const char *what, const char *url, int ok404, char *why, size_t n)
{
    long code = 0;
    CURLcode cc = curl_easy_perform(k->curl);
    curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &code);
    if (cc != CURLE_OK)
        return nvr_fail(cc == CURLE_OPERATION_TIMEDOUT ? NVR_ETIMEDOUT : NVR_ECONN, why, n, "%s %s: %s", what, url,
                        curl_easy_strerror(cc));
    if (code >= 200 && code < 300)
        return NVR_OK;
    if (code == 404 && ok404)
        return NVR_ENOTFOUND;
    return nvr_fail(code == 401 || code == 403 ? NVR_EAUTH
                    : code >= 500              ? NVR_ECONN
                                               : NVR_EIO,
                    why, n, "%s %s: the server answered %ld", what, url, code);
}

nvr_err s3_put_file(struct s3_client *c, const char *url, const char *path, uint64_t size, const uint8_t sha[32],
                    char *why, size_t n)
{
    char hex[65];
    struct call k;
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sha[i]);
    FILE *f = fopen(path, "rbe");
    if (!f)
        return nvr_fail(nvr_err_from_errno(errno), why, n, "cannot read %s: %s", path, strerror(errno));
    int rc = call_open(c, &k, url, hex, why, n);
    if (rc == NVR_OK) {
        curl_easy_setopt(k.curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(k.curl, CURLOPT_READDATA, f);
        curl_easy_setopt(k.curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
        curl_easy_setopt(k.curl, CURLOPT_WRITEFUNCTION, discard);
        rc = perform(&k, "PUT", url, 0, why, n);
    }
    call_close(&k);
    fclose(f);
    return rc;
}

nvr_err s3_head(struct s3_client *c, const char *url, uint64_t *size, char *why, size_t n)
{
    struct call k;
    *size = 0;
    int rc = call_open(c, &k, url, NULL, why, n);
    if (rc == NVR_OK) {
        curl_easy_setopt(k.curl, CURLOPT_NOBODY, 1L);
        rc = perform(&k, "HEAD", url, 1, why, n);
        curl_off_t len = -1;
        if (rc == NVR_OK && curl_easy_getinfo(k.curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len) == CURLE_OK && len >= 0)
            *size = (uint64_t)len;
    }
    call_close(&k);
    return rc;
}

struct sink {
    int fd;
    uint64_t n;
    int err;
};

static size_t to_fd(char *p, size_t s, size_t m, void *u)
{
    struct sink *k = u;
    size_t len = s * m, done = 0;
    while (done < len) {
        ssize_t w = write(k->fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            k->err = errno ? errno : EIO;
            return 0;
        }
        done += (size_t)w;
    }
    k->n += len;
    return len;
}

nvr_err s3_get_fd(struct s3_client *c, const char *url, int fd, uint64_t *size, char *why, size_t n)
{
    struct call k;
    struct sink s = {fd, 0, 0};
    *size = 0;
    int rc = call_open(c, &k, url, NULL, why, n);
    if (rc == NVR_OK) {
        curl_easy_setopt(k.curl, CURLOPT_WRITEFUNCTION, to_fd);
        curl_easy_setopt(k.curl, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(k.curl, CURLOPT_FAILONERROR, 1L);
        rc = perform(&k, "GET", url, 1, why, n);
        if (s.err)
            rc = nvr_fail(nvr_err_from_errno(s.err), why, n, "GET %s: writing the copy: %s", url, strerror(s.err));
        *size = s.n;
    }
    call_close(&k);
    return rc;
}

nvr_err s3_delete(struct s3_client *c, const char *url, char *why, size_t n)
{
    struct call k;
    int rc = call_open(c, &k, url, NULL, why, n);
    if (rc == NVR_OK) {
        curl_easy_setopt(k.curl, CURLOPT_CUSTOMREQUEST, "DELETE");
        curl_easy_setopt(k.curl, CURLOPT_WRITEFUNCTION, discard);
        rc = perform(&k, "DELETE", url, 1, why, n);
        if (rc == NVR_ENOTFOUND)
            rc = NVR_OK;
    }
    call_close(&k);
    return rc;
}
