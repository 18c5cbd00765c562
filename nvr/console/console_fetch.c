/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console_fetch.c - one blocking request from the console to a recorder
 * (console_int.h), for work the console does itself rather than stream to
 * a browser (the district export, console_export_run.c): the same trust as
 * the proxy (the site's tls_pin is the trust for https://, the person's own
 * token as Bearer), the answer kept in memory up to FETCH_BODY_MAX or
 * written to a file up to a cap, and a stop flag that aborts it.
 */
#include "console/console_int.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define FETCH_BODY_MAX (64 * 1024)

struct sink {
    const struct console_target *t;
    FILE *out;
    char *mem;
    size_t mlen;
    uint64_t got, max;
    int over;
};

static size_t on_data(char *p, size_t size, size_t n, void *cls)
{
    struct sink *s = cls;
    size_t len = size * n;
    if (s->got + len > s->max) {
        s->over = 1;
        return 0;
    }
    if (s->out) {
        if (fwrite(p, 1, len, s->out) != len)
            return 0;
    } else {
        char *m = realloc(s->mem, s->mlen + len + 1);
        if (!m)
            return 0;
        memcpy(m + s->mlen, p, len);
        s->mlen += len;
        m[s->mlen] = '\0';
        s->mem = m;
    }
    s->got += len;
    return len;
}

static int on_progress(void *cls, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    struct sink *s = cls;
    return s->t->stop && atomic_load(s->t->stop);
}

static void options(CURL *h, const struct console_target *t, struct sink *s, struct curl_slist *hs, char *errbuf)
{
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (strncmp(t->base, "https://", 8) == 0 && t->pin[0]) {
        /* recorders make their own certificates: the pinned key is the trust */
        curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, t->pin);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

nvr_err console_fetch(const struct console_target *t, const char *method, const char *path, const char *json, FILE *out,
                      uint64_t max, struct console_answer *a)
{
    char url[2048], auth[96], errbuf[CURL_ERROR_SIZE] = "";
    struct sink s = {.t = t, .out = out, .max = out ? max : FETCH_BODY_MAX};
    struct curl_slist *hs = NULL;
    memset(a, 0, sizeof *a);
    size_t bl = strlen(t->base);
    while (bl && t->base[bl - 1] == '/')
        bl--;
    snprintf(url, sizeof url, "%.*s%s", (int)bl, t->base, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", t->secret);
    CURL *h = curl_easy_init();
    if (!h)
        return NVR_ENOMEM;
    hs = curl_slist_append(hs, auth);
    if (json)
        hs = curl_slist_append(hs, "Content-Type: application/json");
    options(h, t, &s, hs, errbuf);
    curl_easy_setopt(h, CURLOPT_URL, url);
    if (json) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
    }
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    explicit_bzero(auth, sizeof auth);
    a->body = s.mem;
    a->bytes = s.got;
    nvr_err rc = NVR_OK;
    if (s.over) {
        snprintf(a->error, sizeof a->error, "larger than %llu bytes", (unsigned long long)s.max);
        rc = NVR_ENOSPC;
    } else if (cc == CURLE_ABORTED_BY_CALLBACK) {
        snprintf(a->error, sizeof a->error, "stopped");
        rc = NVR_ESTOPPED;
    } else if (cc != CURLE_OK) {
        snprintf(a->error, sizeof a->error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
        rc = NVR_ECONN;
    }
    return rc;
}
