/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wsdiscovery.c - the WS-Discovery probe (see wsdiscovery.h).
 */
#include "audit/wsdiscovery.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "onvif/safexml.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WSD_ADDR "239.255.255.250"
#define WSD_PORT "3702"

static void make_uuid(char out[48])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        memset(b, 0x5a, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 48, "uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* value of scope onvif://www.onvif.org/KIND/VALUE, percent-decoded, cleaned */
static void scope_value(const char *scopes, const char *kind, char *out, size_t cap)
{
    char prefix[64], raw[256];
    size_t o = 0;
    out[0] = '\0';
    snprintf(prefix, sizeof prefix, "onvif://www.onvif.org/%s/", kind);
    const char *p = strstr(scopes, prefix);
    if (!p)
        return;
    p += strlen(prefix);
    for (; *p && *p != ' ' && o + 1 < sizeof raw; p++) {
        unsigned v;
        if (*p == '%' && sscanf(p + 1, "%2x", &v) == 1 && p[1] && p[2]) {
            raw[o++] = (char)v;
            p += 2;
        } else
            raw[o++] = *p;
    }
    raw[o] = '\0';
    safexml_clean(raw, o, out, cap);
}

int wsd_parse_match(const char *buf, size_t len, const char *message_id, struct wsd_match *m)
{
    xmlDoc *doc = NULL;
    int ok = 0;
    memset(m, 0, sizeof *m);
    if (safexml_parse(buf, len, &doc))
        return 0;
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *pm = safexml_find(root, "ProbeMatch");
    char rel[160];
    if (!pm)
        goto out;
    if (message_id) {
        safexml_find_text(safexml_child(root, "Header"), "RelatesTo", rel, sizeof rel);
        if (strcmp(rel, message_id) != 0)
            goto out;
    }
    safexml_find_text(safexml_find(pm, "EndpointReference"), "Address", m->address, sizeof m->address);
    safexml_text(safexml_child(pm, "XAddrs"), m->xaddrs, sizeof m->xaddrs);
    safexml_text(safexml_child(pm, "Types"), m->types, sizeof m->types);
    safexml_text(safexml_child(pm, "Scopes"), m->scopes, sizeof m->scopes);
    scope_value(m->scopes, "name", m->name, sizeof m->name);
    scope_value(m->scopes, "hardware", m->hardware, sizeof m->hardware);
    ok = m->address[0] || m->xaddrs[0];
out:
    xmlFreeDoc(doc);
    return ok;
}

nvr_err wsd_probe(const struct wsd_opts *o, struct wsd_match **out, size_t *n)
{
    char msgid[48], *probe = NULL, host[256] = WSD_ADDR, port[16] = WSD_PORT;
    struct addrinfo hints = {0}, *ai = NULL;
    struct wsd_match *v = NULL;
    char *buf = NULL;
    int fd = -1, rc = NVR_OK, timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : 3000;
    *out = NULL;
    *n = 0;
    if (o && o->target) {
        const char *colon = strrchr(o->target, ':');
        const char *h = o->target;
        size_t hl = colon ? (size_t)(colon - h) : 0;
        if (!colon || !hl || hl >= sizeof host || strlen(colon + 1) >= sizeof port)
            return NVR_EINVAL;
        if (h[0] == '[' && h[hl - 1] == ']') {
            h++;
            hl -= 2;
        }
        memcpy(host, h, hl);
        host[hl] = '\0';
        snprintf(port, sizeof port, "%s", colon + 1);
    }
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    if (getaddrinfo(host, port, &hints, &ai) != 0)
        return NVR_EINVAL;
    make_uuid(msgid);
    if (asprintf(&probe,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                 "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\" "
                 "xmlns:w=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" "
                 "xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" "
                 "xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\"><e:Header>"
                 "<w:MessageID>%s</w:MessageID>"
                 "<w:To e:mustUnderstand=\"true\">urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>"
                 "<w:Action e:mustUnderstand=\"true\">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</w:Action>"
                 "</e:Header><e:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></e:Body>"
                 "</e:Envelope>",
                 msgid) < 0) {
        probe = NULL;
        rc = NVR_ENOMEM;
        goto out;
    }
    if ((fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
        rc = nvr_err_from_errno(errno);
        goto out;
    }
    unsigned char ttl = 1;
    if (ai->ai_family == AF_INET)
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
    if (sendto(fd, probe, strlen(probe), 0, ai->ai_addr, ai->ai_addrlen) < 0) {
        rc = nvr_err_from_errno(errno);
        goto out;
    }
    if (!(buf = malloc(65536)) || !(v = calloc(WSD_MAX_MATCHES, sizeof *v))) {
        rc = NVR_ENOMEM;
        goto out;
    }
    int64_t deadline = nvr_clock_mono_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        int64_t left = deadline - nvr_clock_mono_us();
        if (left <= 0)
            break;
        struct pollfd p = {fd, POLLIN, 0};
        int pr = poll(&p, 1, (int)((left + 999) / 1000));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            break;
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t r = recvfrom(fd, buf, 65535, 0, (struct sockaddr *)&from, &flen);
        if (r <= 0)
            continue;
        struct wsd_match m;
        if (!wsd_parse_match(buf, (size_t)r, msgid, &m))
            continue;
        char hbuf[INET6_ADDRSTRLEN], sbuf[8];
        if (getnameinfo((struct sockaddr *)&from, flen, hbuf, sizeof hbuf, sbuf, sizeof sbuf,
                        NI_NUMERICHOST | NI_NUMERICSERV) == 0)
            snprintf(m.from, sizeof m.from, "%s:%s", hbuf, sbuf);
        size_t k;
        for (k = 0; k < *n; k++)
            if (strcmp(v[k].address, m.address) == 0 && strcmp(v[k].xaddrs, m.xaddrs) == 0)
                break;
        if (k == *n && *n < WSD_MAX_MATCHES)
            v[(*n)++] = m;
    }
    *out = v;
    v = NULL;
out:
    free(v);
    free(buf);
    free(probe);
    if (fd >= 0)
        close(fd);
    if (ai)
        freeaddrinfo(ai);
    return rc;
}

void wsd_write_json(FILE *f, const struct wsd_match *m, size_t n)
{
    fputs("{\"devices\":[", f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",{\"from\":" : "{\"from\":", f);
        json_write_string(f, m[i].from);
        fputs(",\"address\":", f);
        json_write_string(f, m[i].address);
        fputs(",\"xaddrs\":[", f);
        int first = 1;
        for (const char *p = m[i].xaddrs; *p;) {
            size_t l = strcspn(p, " ");
            if (l) {
                char one[512];
                snprintf(one, sizeof one, "%.*s", (int)l, p);
                if (!first)
                    fputc(',', f);
                json_write_string(f, one);
                first = 0;
            }
            p += l;
            while (*p == ' ')
                p++;
        }
        fputs("],\"types\":", f);
        json_write_string(f, m[i].types);
        fputs(",\"name\":", f);
        json_write_string(f, m[i].name);
        fputs(",\"hardware\":", f);
        json_write_string(f, m[i].hardware);
        fputs(",\"scopes\":", f);
        json_write_string(f, m[i].scopes);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

void wsd_write_text(FILE *f, const struct wsd_match *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s  %s  name=\"%s\" hardware=\"%s\"  %s\n", m[i].from, m[i].xaddrs, m[i].name, m[i].hardware,
                m[i].address);
    fprintf(f, "%zu device%s answered\n", n, n == 1 ? "" : "s");
}
