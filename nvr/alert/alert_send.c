/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert_send.c - e-mail, webhook and syslog delivery (see alert_send.h).
 */
#include "alert/alert_send.h"

#include "base/err.h"
#include "base/log.h"
#include "version.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SMTP_TIMEOUT_S 30L
#define WEBHOOK_TIMEOUT_S 10L
#define ALERT_LINE_MAX 600

void alert_signature(const char *secret, const char *body, size_t len, char out[7 + 65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    static const char hex[] = "0123456789abcdef";
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac, &maclen);
    memcpy(out, "sha256=", 7);
    for (unsigned i = 0; i < maclen && i < 32; i++) {
        out[7 + 2 * i] = hex[mac[i] >> 4];
        out[7 + 2 * i + 1] = hex[mac[i] & 15];
    }
    out[7 + 64] = '\0';
}

static const char *jstr(json_t *doc, const char *key)
{
    const char *s = json_string_value(json_object_get(doc, key));
    return s ? s : "";
}

/* Copies s without CR, LF or other control characters (a header line). */
static void one_line(const char *s, char *out, size_t n)
{
    size_t j = 0;
    for (; *s && j + 1 < n; s++)
        out[j++] = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
    out[j] = '\0';
}

void alert_subject(const char *json, char *out, size_t n)
{
    json_t *doc = json_loads(json, 0, NULL);
    char title[300], host[128] = "";
    gethostname(host, sizeof host - 1);
    const char *ev = jstr(doc, "event");
    one_line(jstr(doc, "title"), title, sizeof title);
    snprintf(out, n, "[nvr %s] %s%s%s: %s", host,
             strcmp(ev, "resolved") == 0 ? "RESOLVED"
             : strcmp(ev, "test") == 0   ? "TEST"
                                         : "OPEN",
             strcmp(ev, "opened") == 0 ? " " : "", strcmp(ev, "opened") == 0 ? jstr(doc, "severity") : "", title);
    json_decref(doc);
}

/* ---- e-mail ---- */

struct upload {
    const char *p;
    size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
    struct upload *u = arg;
    size_t n = size * nmemb < u->left ? size * nmemb : u->left;
    memcpy(buf, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

static size_t discard_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
    (void)buf;
    (void)arg;
    return size * nmemb;
}

/* The RFC 5322 message: headers, then the alert in words and as JSON. */
static char *build_mail(const struct nvr_alerts_config *c, const char *to, const char *json, size_t *len)
{
    char *buf = NULL, subject[400], date[64], from[256], tol[1024], host[128] = "", line[ALERT_LINE_MAX];
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    json_t *doc = json_loads(json, 0, NULL);
    time_t now = time(NULL);
    struct tm tm;
    if (!f) {
        json_decref(doc);
        return NULL;
    }
    gethostname(host, sizeof host - 1);
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    alert_subject(json, subject, sizeof subject);
    one_line(c->email_from, from, sizeof from);
    one_line(to, tol, sizeof tol);
    fprintf(f, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\n", date, from, tol, subject);
    fprintf(f, "Message-ID: <nvr-%lld-%ld-%lld@%s>\r\n", (long long)json_integer_value(json_object_get(doc, "id")),
            (long)now, (long long)json_integer_value(json_object_get(doc, "delivery")), host[0] ? host : "nvr");
    fprintf(f, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n");
    fprintf(f, "X-NVR-Event: %s\r\n\r\n", jstr(doc, "event"));
    static const char *const fields[] = {"title", "detail", "event",  "state", "severity",
                                         "kind",  "camera", "opened", "time"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *v = jstr(doc, fields[i]);
        if (!*v)
            continue;
        one_line(v, line, sizeof line);
        fprintf(f, "%-9s %s\r\n", fields[i], line[0] == '.' ? line + 1 : line);
    }
    json_int_t flaps = json_integer_value(json_object_get(doc, "flaps"));
    if (flaps)
        fprintf(f, "flaps     the condition cleared and came back %lld time%s\r\n", (long long)flaps,
                flaps == 1 ? "" : "s");
    fprintf(f, "alert id  %lld\r\nserver    %s (nvr %s)\r\n", (long long)json_integer_value(json_object_get(doc, "id")),
            host, NVR_VERSION);
    json_decref(doc);
    fclose(f);
    *len = n;
    return buf;
}

nvr_err alert_send_email(const struct nvr_alerts_config *c, const char *to, const char *json, char *err, size_t n)
{
    struct curl_slist *rcpt = NULL;
    char addr[320], from[330];
    size_t len = 0;
    int rc = NVR_OK;
    if (!c->smtp_url || !c->email_from || !to || !*to) {
        snprintf(err, n, "e-mail is not configured");
        return NVR_EINVAL;
    }
    char *mail = build_mail(c, to, json, &len);
    CURL *curl = curl_easy_init();
    if (!mail || !curl) {
        free(mail);
        if (curl)
            curl_easy_cleanup(curl);
        snprintf(err, n, "out of memory");
        return NVR_ENOMEM;
    }
    /* recipients: "a@x, b@y" */
    for (const char *p = to; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        size_t k = strcspn(p, ", \t");
        if (k > 0 && k < sizeof addr - 2) {
            snprintf(addr, sizeof addr, "<%.*s>", (int)k, p);
            struct curl_slist *t = curl_slist_append(rcpt, addr);
            if (t)
                rcpt = t;
        }
        p += k;
    }
    snprintf(from, sizeof from, "<%s>", c->email_from);
    struct upload u = {mail, len};
    curl_easy_setopt(curl, CURLOPT_URL, c->smtp_url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(curl, CURLOPT_READDATA, &u);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, SMTP_TIMEOUT_S);
    enum nvr_smtp_tls tls = c->smtp_starttls;
    if (tls == NVR_SMTP_TLS_AUTO)
        tls = c->smtp_user ? NVR_SMTP_TLS_REQUIRED : NVR_SMTP_TLS_OPTIONAL;
    curl_easy_setopt(curl, CURLOPT_USE_SSL,
                     tls == NVR_SMTP_TLS_REQUIRED   ? (long)CURLUSESSL_ALL
                     : tls == NVR_SMTP_TLS_OPTIONAL ? (long)CURLUSESSL_TRY
                                                    : (long)CURLUSESSL_NONE);
    if (c->smtp_user) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, c->smtp_user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, c->smtp_password);
    }
    CURLcode cc = curl_easy_perform(curl);
    if (cc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        if (code)
            snprintf(err, n, "SMTP: %s (server answered %ld)", curl_easy_strerror(cc), code);
        else
            snprintf(err, n, "SMTP: %s", curl_easy_strerror(cc));
        rc = NVR_EIO;
    }
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    free(mail);
    return rc;
}

/* ---- webhook ---- */

nvr_err alert_send_webhook(const struct nvr_alerts_config *c, const char *json, char *err, size_t n)
{
    struct curl_slist *h = NULL;
    char sig[7 + 65 + 32], event[64];
    int rc = NVR_OK;
    if (!c->webhook_url) {
        snprintf(err, n, "the webhook is not configured");
        return NVR_EINVAL;
    }
    CURL *curl = curl_easy_init();
    if (!curl) {
        snprintf(err, n, "out of memory");
        return NVR_ENOMEM;
    }
    json_t *doc = json_loads(json, 0, NULL);
    snprintf(event, sizeof event, "X-NVR-Event: %s", jstr(doc, "event"));
    json_decref(doc);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, event);
    if (c->webhook_secret) {
        char s[7 + 65];
        alert_signature(c->webhook_secret, json, strlen(json), s);
        snprintf(sig, sizeof sig, "X-NVR-Signature: %s", s);
        h = curl_slist_append(h, sig);
    }
    curl_easy_setopt(curl, CURLOPT_URL, c->webhook_url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "nvr/" NVR_VERSION);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, WEBHOOK_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_cb);
    CURLcode cc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    if (cc != CURLE_OK) {
        snprintf(err, n, "webhook: %s", curl_easy_strerror(cc));
        rc = NVR_EIO;
    } else if (code < 200 || code > 299) {
        snprintf(err, n, "webhook: the receiver answered %ld", code);
        rc = NVR_EIO;
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(curl);
    return rc;
}

/* ---- syslog ---- */

/* "udp://host:port" -> a connected socket of type. */
static int connect_inet(const char *spec, int type, char *err, size_t n)
{
    char host[256], port[16];
    const char *hp = spec + 6, *colon = strrchr(hp, ':');
    if (!colon || (size_t)(colon - hp) >= sizeof host) {
        snprintf(err, n, "syslog: bad address");
        return -1;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - hp), hp);
    if (host[0] == '[') {
        memmove(host, host + 1, strlen(host));
        host[strcspn(host, "]")] = '\0';
    }
    snprintf(port, sizeof port, "%s", colon + 1);
    struct addrinfo hints = {.ai_socktype = type}, *ai = NULL;
    int g = getaddrinfo(host, port, &hints, &ai), fd = -1;
    if (g) {
        snprintf(err, n, "syslog: %s", gai_strerror(g));
        return -1;
    }
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval tv = {5, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0)
        snprintf(err, n, "syslog: cannot connect: %s", strerror(errno));
    return fd;
}

nvr_err alert_send_syslog(const struct nvr_alerts_config *c, const char *json, char *err, size_t n)
{
    char msg[2048], subject[400], ts[40], host[128] = "-";
    json_t *doc;
    if (!c->syslog) {
        snprintf(err, n, "syslog is not configured");
        return NVR_EINVAL;
    }
    doc = json_loads(json, 0, NULL);
    const char *ev = jstr(doc, "event"), *sev = jstr(doc, "severity");
    /* facility daemon (3); crit for a critical incident, warning, notice for the rest */
    int pri = 3 * 8 + (strcmp(ev, "opened") != 0 ? 5 : strcmp(sev, "critical") == 0 ? 2 : 4);
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    gethostname(host, sizeof host - 1);
    alert_subject(json, subject, sizeof subject);
    char detail[600];
    one_line(jstr(doc, "detail"), detail, sizeof detail);
    /* RFC 5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG */
    int len = snprintf(msg, sizeof msg,
                       "<%d>1 %s.%06ldZ %s nvr %d %s [nvr@32473 id=\"%lld\" kind=\"%s\" camera=\"%s\"] %s%s%s", pri, ts,
                       now.tv_nsec / 1000, host[0] ? host : "-", (int)getpid(), ev[0] ? ev : "-",
                       (long long)json_integer_value(json_object_get(doc, "id")), jstr(doc, "kind"),
                       jstr(doc, "camera"), subject, detail[0] ? " - " : "", detail);
    json_decref(doc);
    if (len < 0)
        return NVR_EINVAL;
    if ((size_t)len >= sizeof msg)
        len = (int)sizeof msg - 1;
    int fd = -1, rc = NVR_OK;
    if (strncmp(c->syslog, "udp://", 6) == 0 || strncmp(c->syslog, "tcp://", 6) == 0) {
        int tcp = c->syslog[0] == 't';
        if ((fd = connect_inet(c->syslog, tcp ? SOCK_STREAM : SOCK_DGRAM, err, n)) < 0)
            return NVR_EIO;
        char framed[2100];
        int flen = tcp ? snprintf(framed, sizeof framed, "%d %.*s", len, len, msg) : len; /* RFC 6587 octet counting */
        if (send(fd, tcp ? framed : msg, (size_t)flen, MSG_NOSIGNAL) != flen) {
            snprintf(err, n, "syslog: send: %s", strerror(errno));
            rc = NVR_EIO;
        }
    } else {
        const char *path = strcmp(c->syslog, "local") == 0 ? "/dev/log" : c->syslog;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        int types[] = {SOCK_DGRAM, SOCK_STREAM};
        rc = NVR_EIO;
        for (int i = 0; i < 2 && rc; i++) {
            if ((fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0)) < 0)
                break;
            if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
                send(fd, msg, (size_t)len + (types[i] == SOCK_STREAM), MSG_NOSIGNAL) >= len)
                rc = NVR_OK;
            else
                snprintf(err, n, "syslog: %s: %s", path, strerror(errno));
            if (rc) {
                close(fd);
                fd = -1;
            }
        }
    }
    if (fd >= 0)
        close(fd);
    return rc;
}
