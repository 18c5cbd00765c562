/* SPDX-License-Identifier: Apache-2.0 */
/*
 * onvif.c - the ONVIF client (see onvif.h).
 *
 * Each call builds one SOAP 1.2 envelope (WS-Security header when a user is
 * set), POSTs it through netprobe (which answers a 401 with HTTP digest),
 * parses the reply with safexml and copies out what it needs.  A SOAP Fault
 * whose code mentions NotAuthorized becomes NVR_EAUTH, any other fault
 * NVR_EINVAL.
 */
#include "onvif/onvif.h"

#include "base/clock.h"
#include "base/err.h"
#include "onvif/netprobe.h"
#include "onvif/onvif_soap.h"
#include "onvif/safexml.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_DEVICE "http://www.onvif.org/ver10/device/wsdl"
#define NS_MEDIA "http://www.onvif.org/ver10/media/wsdl"
#define NS_SCHEMA "http://www.onvif.org/ver10/schema"

struct onvif_client {
    char base[ONVIF_URI_MAX]; /* scheme://host[:port] of the device */
    char device_url[ONVIF_URI_MAX];
    char media_url[ONVIF_URI_MAX];
    char *user, *password;
    int timeout_ms;
    int64_t clock_offset_us; /* learnt from GetSystemDateAndTime, for Created */
    const _Atomic int *cancel;
};

nvr_err onvif_client_create(struct onvif_client **out, const char *device_url, const char *user, const char *password,
                            int timeout_ms)
{
    struct onvif_client *c = NULL;
    const char *sep;
    *out = NULL;
    if (!device_url || strlen(device_url) >= ONVIF_URI_MAX ||
        (strncmp(device_url, "http://", 7) != 0 && strncmp(device_url, "https://", 8) != 0))
        return NVR_EINVAL;
    if (!(c = calloc(1, sizeof *c)))
        return NVR_ENOMEM;
    sep = strstr(device_url, "://") + 3;
    snprintf(c->base, sizeof c->base, "%.*s", (int)(sep - device_url + strcspn(sep, "/?#")), device_url);
    snprintf(c->device_url, sizeof c->device_url, "%s", device_url);
    if (strlen(device_url) == strlen(c->base) &&
        snprintf(c->device_url, sizeof c->device_url, "%s/onvif/device_service", c->base) >= ONVIF_URI_MAX) {
        onvif_client_destroy(&c);
        return NVR_EINVAL;
    }
    snprintf(c->media_url, sizeof c->media_url, "%s", c->device_url);
    c->user = strdup(user ? user : "");
    c->password = strdup(password ? password : "");
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
    if (!c->user || !c->password) {
        onvif_client_destroy(&c);
        return NVR_ENOMEM;
    }
    *out = c;
    return NVR_OK;
}

void onvif_client_destroy(struct onvif_client **c)
{
    if (!c || !*c)
        return;
    free((*c)->user);
    if ((*c)->password) {
        memset((*c)->password, 0, strlen((*c)->password));
        free((*c)->password);
    }
    free(*c);
    *c = NULL;
}

const char *onvif_client_base(const struct onvif_client *c)
{
    return c->base;
}

const char *onvif_client_device_url(const struct onvif_client *c)
{
    return c->device_url;
}

void onvif_client_set_cancel(struct onvif_client *c, const _Atomic int *cancel)
{
    c->cancel = cancel;
}

void onvif_wsse_digest(const unsigned char *nonce, size_t nonce_len, const char *created, const char *password,
                       char out[29])
{
    unsigned char md[SHA_DIGEST_LENGTH];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int mdlen = 0;
    memset(md, 0, sizeof md);
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) && EVP_DigestUpdate(ctx, nonce, nonce_len) &&
        EVP_DigestUpdate(ctx, created, strlen(created)) && EVP_DigestUpdate(ctx, password, strlen(password)))
        EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}

void onvif_xml_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Builds the envelope around body, with the extra header elements hdr (may
 * be NULL; malloc'ed into *out). */
static nvr_err envelope(const struct onvif_client *c, int secure, const char *hdr, const char *body, char **out)
{
    size_t len = 0;
    FILE *f = open_memstream(out, &len);
    if (!f)
        return NVR_ENOMEM;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
          "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Header>",
          f);
    if (secure && c->user[0]) {
        unsigned char nonce[16];
        char nonce64[32], digest[29], created[32];
        time_t now = (time_t)((nvr_clock_now_us() + c->clock_offset_us) / 1000000);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (RAND_bytes(nonce, sizeof nonce) != 1) {
            fclose(f);
            free(*out);
            *out = NULL;
            return NVR_EIO;
        }
        EVP_EncodeBlock((unsigned char *)nonce64, nonce, sizeof nonce);
        onvif_wsse_digest(nonce, sizeof nonce, created, c->password, digest);
        fputs("<Security s:mustUnderstand=\"1\" xmlns=\"http://docs.oasis-open.org/wss/2004/01/"
              "oasis-200401-wss-wssecurity-secext-1.0.xsd\"><UsernameToken><Username>",
              f);
        onvif_xml_escape(f, c->user);
        fprintf(f,
                "</Username><Password Type=\"http://docs.oasis-open.org/wss/2004/01/"
                "oasis-200401-wss-username-token-profile-1.0#PasswordDigest\">%s</Password>"
                "<Nonce EncodingType=\"http://docs.oasis-open.org/wss/2004/01/"
                "oasis-200401-wss-soap-message-security-1.0#Base64Binary\">%s</Nonce>"
                "<Created xmlns=\"http://docs.oasis-open.org/wss/2004/01/"
                "oasis-200401-wss-wssecurity-utility-1.0.xsd\">%s</Created></UsernameToken></Security>",
                digest, nonce64, created);
    }
    fprintf(f, "%s</s:Header><s:Body>%s</s:Body></s:Envelope>", hdr ? hdr : "", body);
    if (fclose(f) != 0) {
        free(*out);
        *out = NULL;
        return NVR_ENOMEM;
    }
    return NVR_OK;
}

static nvr_err soap_call(struct onvif_client *c, const char *url, const char *action, int secure, const char *body,
                         xmlDoc **doc, xmlNode **resp)
{
    return onvif_soap_call(c, url, action, secure, NULL, body, 0, doc, resp);
}

nvr_err onvif_soap_call(struct onvif_client *c, const char *url, const char *action, int secure, const char *hdr,
                        const char *body, int timeout_ms, xmlDoc **doc, xmlNode **resp)
{
    char *env = NULL, ct[256];
    struct netprobe_reply r = {0};
    int rc;
    *doc = NULL;
    *resp = NULL;
    if ((rc = envelope(c, secure, hdr, body, &env)))
        return rc;
    snprintf(ct, sizeof ct, "application/soap+xml; charset=utf-8; action=\"%s\"", action);
    struct netprobe_req req = {
        .url = url,
        .user = secure ? c->user : NULL,
        .password = c->password,
        .body = env,
        .content_type = ct,
        .cap = ONVIF_MAX_REPLY,
        .timeout_ms = timeout_ms > 0 ? timeout_ms : c->timeout_ms,
        .cancel = c->cancel,
    };
    if ((rc = netprobe_http(&req, &r)))
        goto out;
    if (r.status == 401 || r.status == 403) {
        rc = NVR_EAUTH;
        goto out;
    }
    if (!r.body || !r.len) {
        rc = r.status >= 200 && r.status < 300 ? NVR_EINVAL : NVR_ENOTFOUND;
        goto out;
    }
    if ((rc = safexml_parse(r.body, r.len, doc)))
        goto out;
    xmlNode *b = safexml_child(xmlDocGetRootElement(*doc), "Body");
    xmlNode *first = NULL;
    for (xmlNode *n = b ? b->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE) {
            first = n;
            break;
        }
    if (!first) {
        rc = NVR_EINVAL;
        goto out;
    }
    if (strcmp((const char *)first->name, "Fault") == 0) {
        char code[ONVIF_TEXT_MAX];
        safexml_find_text(first, "Code", code, sizeof code);
        rc = strstr(code, "NotAuthorized") || r.status == 401 ? NVR_EAUTH : NVR_EINVAL;
        goto out;
    }
    if (r.status < 200 || r.status >= 300) {
        rc = NVR_EINVAL;
        goto out;
    }
    *resp = first;
out:
    if (rc && *doc) {
        xmlFreeDoc(*doc);
        *doc = NULL;
    }
    netprobe_reply_clear(&r);
    free(env);
    return rc;
}

static int parse_int_text(xmlNode *parent, const char *local, int *v)
{
    char buf[16], *end;
    if (!safexml_find_text(parent, local, buf, sizeof buf))
        return -1;
    long x = strtol(buf, &end, 10);
    if (*end || x < 0 || x > 9999)
        return -1;
    *v = (int)x;
    return 0;
}

nvr_err onvif_get_system_date_and_time(struct onvif_client *c, struct onvif_info *info)
{
    xmlDoc *doc = NULL;
    xmlNode *resp;
    int64_t t0 = nvr_clock_now_us();
    int rc = soap_call(c, c->device_url, NS_DEVICE "/GetSystemDateAndTime", 0,
                       "<GetSystemDateAndTime xmlns=\"" NS_DEVICE "\"/>", &doc, &resp);
    int64_t t1 = nvr_clock_now_us();
    if (rc == NVR_EAUTH) /* some devices want credentials even here */
        rc = soap_call(c, c->device_url, NS_DEVICE "/GetSystemDateAndTime", 1,
                       "<GetSystemDateAndTime xmlns=\"" NS_DEVICE "\"/>", &doc, &resp);
    if (rc)
        goto out;
    xmlNode *utc = safexml_find(resp, "UTCDateTime");
    struct tm tm = {0};
    int y, mo, d, h, mi, s;
    if (!utc || parse_int_text(utc, "Year", &y) || parse_int_text(utc, "Month", &mo) ||
        parse_int_text(utc, "Day", &d) || parse_int_text(utc, "Hour", &h) || parse_int_text(utc, "Minute", &mi) ||
        parse_int_text(utc, "Second", &s) || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        s > 60) {
        rc = NVR_EINVAL;
        goto out;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    /* the camera's second is [T, T+1): compare its middle with our midpoint */
    info->clock_offset_us = (int64_t)timegm(&tm) * 1000000 + 500000 - (t0 + (t1 - t0) / 2);
    c->clock_offset_us = info->clock_offset_us;
out:
    if (doc)
        xmlFreeDoc(doc);
    info->time_err = rc;
    return rc;
}

nvr_err onvif_get_device_information(struct onvif_client *c, struct onvif_info *info)
{
    xmlDoc *doc = NULL;
    xmlNode *resp;
    int rc = soap_call(c, c->device_url, NS_DEVICE "/GetDeviceInformation", 1,
                       "<GetDeviceInformation xmlns=\"" NS_DEVICE "\"/>", &doc, &resp);
    if (!rc) {
        safexml_find_text(resp, "Manufacturer", info->manufacturer, sizeof info->manufacturer);
        safexml_find_text(resp, "Model", info->model, sizeof info->model);
        safexml_find_text(resp, "FirmwareVersion", info->firmware, sizeof info->firmware);
        safexml_find_text(resp, "SerialNumber", info->serial, sizeof info->serial);
        safexml_find_text(resp, "HardwareId", info->hardware_id, sizeof info->hardware_id);
        if (!info->manufacturer[0] && !info->model[0])
            rc = NVR_EINVAL;
        xmlFreeDoc(doc);
    }
    info->info_err = rc;
    return rc;
}

/* "AA-BB-CC-DD-EE-FF" or "aa:bb:..." into "aa:bb:cc:dd:ee:ff"; -1 if not a MAC. */
static int normalise_mac(const char *in, char out[18])
{
    int k = 0;
    for (const char *p = in; *p; p++) {
        if (isxdigit((unsigned char)*p)) {
            if (k >= 12)
                return -1;
            out[k / 2 * 3 + k % 2] = (char)tolower((unsigned char)*p);
            k++;
        } else if (*p != ':' && *p != '-' && *p != '.') {
            return -1;
        }
    }
    if (k != 12)
        return -1;
    for (int i = 2; i < 17; i += 3)
        out[i] = ':';
    out[17] = '\0';
    return 0;
}

nvr_err onvif_get_network_interfaces(struct onvif_client *c, struct onvif_info *info)
{
    xmlDoc *doc = NULL;
    xmlNode *resp;
    int rc = soap_call(c, c->device_url, NS_DEVICE "/GetNetworkInterfaces", 1,
                       "<GetNetworkInterfaces xmlns=\"" NS_DEVICE "\"/>", &doc, &resp);
    if (!rc) {
        char hw[64];
        rc = NVR_EINVAL;
        for (xmlNode *n = resp->children; n; n = n->next) {
            if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "NetworkInterfaces") != 0)
                continue;
            if (safexml_find_text(n, "HwAddress", hw, sizeof hw) && normalise_mac(hw, info->mac) == 0) {
                rc = NVR_OK;
                break;
            }
        }
        xmlFreeDoc(doc);
    }
    if (rc)
        info->mac[0] = '\0';
    info->net_err = rc;
    return rc;
}

/* The Media service's path from GetCapabilities, kept on our own host. */
static void learn_media_url(struct onvif_client *c)
{
    xmlDoc *doc = NULL;
    xmlNode *resp;
    char xaddr[ONVIF_URI_MAX];
    if (soap_call(c, c->device_url, NS_DEVICE "/GetCapabilities", 1,
                  "<GetCapabilities xmlns=\"" NS_DEVICE "\"><Category>Media</Category></GetCapabilities>", &doc, &resp))
        return;
    xmlNode *media = safexml_find(resp, "Media");
    if (media && safexml_text(safexml_child(media, "XAddr"), xaddr, sizeof xaddr)) {
        const char *sep = strstr(xaddr, "://");
        const char *path = sep ? sep + 3 + strcspn(sep + 3, "/") : NULL;
        char url[ONVIF_URI_MAX];
        if (path && *path == '/' && snprintf(url, sizeof url, "%s%s", c->base, path) < (int)sizeof url)
            memcpy(c->media_url, url, sizeof url);
    }
    xmlFreeDoc(doc);
}

static nvr_err stream_uri(struct onvif_client *c, const char *token, char *out, size_t cap)
{
    xmlDoc *doc = NULL;
    xmlNode *resp;
    char *body = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&body, &blen);
    if (!f)
        return NVR_ENOMEM;
    fputs("<GetStreamUri xmlns=\"" NS_MEDIA "\"><StreamSetup><Stream xmlns=\"" NS_SCHEMA
          "\">RTP-Unicast</Stream><Transport xmlns=\"" NS_SCHEMA
          "\"><Protocol>RTSP</Protocol></Transport></StreamSetup><ProfileToken>",
          f);
    onvif_xml_escape(f, token);
    fputs("</ProfileToken></GetStreamUri>", f);
    if (fclose(f) != 0) {
        free(body);
        return NVR_ENOMEM;
    }
    int rc = soap_call(c, c->media_url, NS_MEDIA "/GetStreamUri", 1, body, &doc, &resp);
    free(body);
    if (rc)
        return rc;
    if (!safexml_find_text(resp, "Uri", out, cap) || strncmp(out, "rtsp", 4) != 0) {
        out[0] = '\0';
        rc = NVR_EINVAL;
    }
    xmlFreeDoc(doc);
    return rc;
}

nvr_err onvif_get_stream_uris(struct onvif_client *c, struct onvif_info *info)
{
    xmlDoc *doc = NULL;
    xmlNode *resp;
    char tokens[2][ONVIF_TEXT_MAX];
    int ntok = 0, rc;
    learn_media_url(c);
    rc = soap_call(c, c->media_url, NS_MEDIA "/GetProfiles", 1, "<GetProfiles xmlns=\"" NS_MEDIA "\"/>", &doc, &resp);
    if (rc)
        goto out;
    for (xmlNode *n = resp->children; n && ntok < 2; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "Profiles") != 0)
            continue;
        xmlChar *t = xmlGetProp(n, (const xmlChar *)"token");
        if (t && safexml_clean((const char *)t, strlen((const char *)t), tokens[ntok], ONVIF_TEXT_MAX))
            ntok++;
        xmlFree(t);
    }
    xmlFreeDoc(doc);
    if (!ntok) {
        rc = NVR_EINVAL;
        goto out;
    }
    if ((rc = stream_uri(c, tokens[0], info->main_uri, sizeof info->main_uri)))
        goto out;
    if (ntok > 1)
        stream_uri(c, tokens[1], info->sub_uri, sizeof info->sub_uri);
out:
    info->streams_err = rc;
    return rc;
}

/* The servers under resp's NTPInformation or DNSInformation, into out as
 * "manual: a, b; dhcp: c" (NTPManual/DNSManual, NTPFromDHCP/DNSFromDHCP;
 * each an IPv4Address, IPv6Address or DNSname). */
static void collect_servers(xmlNode *resp, char *out, size_t cap)
{
    xmlNode *info = safexml_find(resp, "NTPInformation");
    size_t o = 0;
    out[0] = '\0';
    if (!info)
        info = safexml_find(resp, "DNSInformation");
    for (int dhcp = 0; info && dhcp < 2; dhcp++) {
        int first = 1;
        for (xmlNode *n = info->children; n; n = n->next) {
            const char *nm = (const char *)n->name;
            size_t nl = strlen(nm);
            if (n->type != XML_ELEMENT_NODE || nl < 6 || strcmp(nm + 3, dhcp ? "FromDHCP" : "Manual") != 0)
                continue;
            for (xmlNode *a = n->children; a; a = a->next) {
                char v[ONVIF_TEXT_MAX];
                const char *an = (const char *)a->name;
                if (a->type != XML_ELEMENT_NODE ||
                    (strcmp(an, "IPv4Address") && strcmp(an, "IPv6Address") && strcmp(an, "DNSname")) ||
                    !safexml_text(a, v, sizeof v))
                    continue;
                int w = snprintf(out + o, cap - o, "%s%s", first ? (o ? "; " : "") : ", ",
                                 first ? (dhcp ? "dhcp: " : "manual: ") : "");
                if (w < 0 || (size_t)w >= cap - o)
                    return;
                o += (size_t)w;
                w = snprintf(out + o, cap - o, "%s", v);
                if (w < 0 || (size_t)w >= cap - o)
                    return;
                o += (size_t)w;
                first = 0;
            }
        }
    }
}

int onvif_get_servers(struct onvif_client *c, struct onvif_info *info)
{
    xmlDoc *doc = NULL;
    xmlNode *resp;
    int rc = soap_call(c, c->device_url, NS_DEVICE "/GetNTP", 1, "<GetNTP xmlns=\"" NS_DEVICE "\"/>", &doc, &resp);
    if (!rc) {
        collect_servers(resp, info->ntp, sizeof info->ntp);
        xmlFreeDoc(doc);
    }
    int rc2 = soap_call(c, c->device_url, NS_DEVICE "/GetDNS", 1, "<GetDNS xmlns=\"" NS_DEVICE "\"/>", &doc, &resp);
    if (!rc2) {
        collect_servers(resp, info->dns, sizeof info->dns);
        xmlFreeDoc(doc);
    }
    info->servers_err = rc && rc2 ? rc : NVR_OK;
    return info->servers_err;
}

nvr_err onvif_check_open(struct onvif_client *c, struct onvif_info *info)
{
    xmlDoc *doc = NULL;
    xmlNode *resp;
    int rc = soap_call(c, c->device_url, NS_DEVICE "/GetDeviceInformation", 0,
                       "<GetDeviceInformation xmlns=\"" NS_DEVICE "\"/>", &doc, &resp);
    info->open_info = 0;
    if (!rc) {
        char m[ONVIF_TEXT_MAX], mo[ONVIF_TEXT_MAX];
        safexml_find_text(resp, "Manufacturer", m, sizeof m);
        safexml_find_text(resp, "Model", mo, sizeof mo);
        info->open_info = m[0] || mo[0];
        xmlFreeDoc(doc);
    }
    return rc;
}

int onvif_query(struct onvif_client *c, struct onvif_info *info)
{
    int first = 0, any = 0, r[4];
    r[0] = onvif_get_system_date_and_time(c, info);
    r[1] = onvif_get_device_information(c, info);
    /* a dead device: do not wait for three more timeouts */
    if ((r[0] == NVR_ECONN || r[0] == NVR_ETIMEDOUT) && r[1] == r[0]) {
        info->net_err = info->streams_err = r[0];
        return r[0];
    }
    r[2] = onvif_get_network_interfaces(c, info);
    r[3] = onvif_get_stream_uris(c, info);
    if (!r[1]) {
        onvif_get_servers(c, info);
        if (c->user[0])
            onvif_check_open(c, info);
        else
            info->open_info = 1; /* it answered a request without credentials already */
    }
    for (int i = 0; i < 4; i++) {
        if (!r[i])
            any = 1;
        else if (!first)
            first = r[i];
    }
    return any ? NVR_OK : first;
}
