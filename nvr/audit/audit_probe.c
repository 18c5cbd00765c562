/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_probe.c - observing one camera for the audit (see audit.h).
 *
 * Read-only and confined to the camera's own host: the host of its RTSP
 * URL.  Requests made, each with a bounded time and reply size:
 *  1. ONVIF (onvif.c) at the configured `onvif` URL -- refused if its host
 *     differs from the RTSP URL's -- or http://HOST/onvif/device_service;
 *     credentials from the onvif URL, else from the RTSP URL;
 *  2. the neighbour table (/proc/net/arp) for the MAC, if ONVIF gave none;
 *  3. RTSP OPTIONS + DESCRIBE of the camera URL (netprobe.c);
 *  4. HTTP GET of "/", /ISAPI/System/deviceInfo (Hikvision) and
 *     /cgi-bin/magicBox.cgi?action=getSystemInfo (Dahua) on the ONVIF URL's
 *     scheme://host:port (else http://HOST), credentials by digest only.
 * Every answer becomes signals; every failure an *_error signal.  Runs in
 * the caller's thread; keeps no state.
 */
#include "audit/audit.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/url.h"
#include "onvif/netprobe.h"
#include "onvif/onvif.h"
#include "onvif/safexml.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define URL_MAX 2048
#define CRED_MAX 256
#define HTTP_CAP (256 * 1024)

struct target {
    char rtsp_url[URL_MAX], host[256];
    char user[CRED_MAX], pass[CRED_MAX];
    char onvif_url[URL_MAX], onvif_user[CRED_MAX], onvif_pass[CRED_MAX];
    char http_base[URL_MAX];
};

static void add_error(struct audit_camera *c, const char *name, const char *what, int err)
{
    char buf[AUDIT_VALUE_MAX];
    snprintf(buf, sizeof buf, "%s: %s", what, nvr_strerror(err));
    audit_camera_add(c, name, buf);
}

/* The MAC of an IPv4 neighbour from /proc/net/arp, "" if not there. */
static void arp_lookup(const char *host, char mac[18])
{
    struct in_addr a;
    char line[256], ip[64], hw[64];
    mac[0] = '\0';
    if (inet_pton(AF_INET, host, &a) != 1)
        return;
    FILE *f = fopen("/proc/net/arp", "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%63s %*s %*s %63s", ip, hw) == 2 && strcmp(ip, host) == 0 && strlen(hw) == 17 &&
            strcmp(hw, "00:00:00:00:00:00") != 0) {
            memcpy(mac, hw, 18);
            break;
        }
    fclose(f);
}

static void probe_onvif(const struct target *t, int timeout_ms, struct audit_camera *c)
{
    struct onvif_client *oc = NULL;
    struct onvif_info info;
    char redacted[ONVIF_URI_MAX], buf[64];
    memset(&info, 0, sizeof info);
    int rc = onvif_client_create(&oc, t->onvif_url, t->onvif_user, t->onvif_pass, timeout_ms);
    if (rc) {
        add_error(c, "onvif_error", "client", rc);
        return;
    }
    onvif_query(oc, &info);
    onvif_client_destroy(&oc);
    if (info.info_err)
        add_error(c, "onvif_error", "GetDeviceInformation", info.info_err);
    audit_camera_add(c, "onvif_manufacturer", info.manufacturer);
    audit_camera_add(c, "onvif_model", info.model);
    audit_camera_add(c, "onvif_firmware", info.firmware);
    audit_camera_add(c, "onvif_hardware", info.hardware_id);
    audit_camera_add(c, "onvif_serial", info.serial);
    if (info.net_err && info.net_err != info.info_err)
        add_error(c, "onvif_error", "GetNetworkInterfaces", info.net_err);
    if (info.mac[0]) {
        audit_camera_add(c, "mac_oui", info.mac);
        audit_camera_add(c, "mac_from", "onvif");
    }
    if (!info.streams_err) {
        nvr_url_redact(info.main_uri, redacted, sizeof redacted);
        audit_camera_add(c, "onvif_main_uri", redacted);
        nvr_url_redact(info.sub_uri, redacted, sizeof redacted);
        audit_camera_add(c, "onvif_sub_uri", redacted);
    }
    if (!info.time_err) {
        snprintf(buf, sizeof buf, "%lld", (long long)(info.clock_offset_us / 1000));
        audit_camera_add(c, "onvif_clock_offset_ms", buf);
    }
    audit_camera_add(c, "onvif_ntp", info.ntp);
    audit_camera_add(c, "onvif_dns", info.dns);
    if (info.open_info)
        audit_camera_add(c, "onvif_open", "GetDeviceInformation answered a request without credentials");
}

/* GET base+path (digest credentials from t); the body of a 200 answer, or
 * NULL.  *open set when it answered without credentials. */
static char *get_text(const struct target *t, const char *path, int timeout_ms, int *open)
{
    char url[URL_MAX + 160];
    struct netprobe_reply r;
    struct netprobe_req req = {
        .url = url, .user = t->onvif_user, .password = t->onvif_pass, .cap = HTTP_CAP, .timeout_ms = timeout_ms};
    char *body = NULL;
    snprintf(url, sizeof url, "%s%s", t->http_base, path);
    if (!netprobe_http(&req, &r) && r.status == 200 && r.body) {
        body = r.body;
        r.body = NULL;
        if (open)
            *open = !r.authenticated;
    }
    netprobe_reply_clear(&r);
    return body;
}

/* The text of element `local` of an XML answer ("" if none or not XML). */
static void xml_field(const char *body, const char *local, char *out, size_t cap)
{
    xmlDoc *doc = NULL;
    out[0] = '\0';
    if (body && safexml_parse(body, strlen(body), &doc) == 0) {
        safexml_find_text(xmlDocGetRootElement(doc), local, out, cap);
        xmlFreeDoc(doc);
    }
}

/* The value of "KEY=value" on a line of a Dahua key=value answer whose key
 * ends with suffix ("" if none). */
static void kv_field(const char *body, const char *suffix, char *out, size_t cap)
{
    size_t sl = strlen(suffix);
    out[0] = '\0';
    for (const char *l = body; l && *l;) {
        size_t n = strcspn(l, "\r\n");
        const char *eq = memchr(l, '=', n);
        if (eq && (size_t)(eq - l) >= sl && strncasecmp(eq - sl, suffix, sl) == 0) {
            safexml_clean(eq + 1, n - (size_t)(eq + 1 - l), out, cap);
            return;
        }
        l += n;
        while (*l == '\r' || *l == '\n')
            l++;
    }
}

/* Exposure settings through the vendor's own documented read endpoints,
 * only for a device that answered that vendor's info endpoint: Hikvision
 * ISAPI (EZVIZ cloud, UPnP, the rights of our own user) and Dahua
 * configManager/userManager (T2UServer P2P, UPnP, our user's group). */
static void probe_exposure(const struct target *t, int timeout_ms, struct audit_camera *c)
{
    char v[AUDIT_VALUE_MAX], path[512];
    char *b;
    if (audit_camera_get(c, "isapi")) {
        static const char *const isapi[][2] = {{"/ISAPI/System/Network/EZVIZ", "isapi_ezviz"},
                                               {"/ISAPI/System/Network/UPnP", "isapi_upnp"}};
        for (size_t i = 0; i < 2; i++)
            if ((b = get_text(t, isapi[i][0], timeout_ms, NULL))) {
                char en[16];
                xml_field(b, "enabled", en, sizeof en);
                if (en[0]) {
                    snprintf(v, sizeof v, "enabled=%s", en);
                    audit_camera_add(c, isapi[i][1], v);
                }
                free(b);
            }
        if (t->onvif_user[0] && (b = get_text(t, "/ISAPI/Security/users", timeout_ms, NULL))) {
            xmlDoc *doc = NULL;
            if (safexml_parse(b, strlen(b), &doc) == 0) {
                xmlNode *root = xmlDocGetRootElement(doc);
                for (xmlNode *u = root ? root->children : NULL; u; u = u->next) {
                    char name[128], level[64];
                    if (u->type != XML_ELEMENT_NODE || strcmp((const char *)u->name, "User") != 0)
                        continue;
                    safexml_find_text(u, "userName", name, sizeof name);
                    safexml_find_text(u, "userLevel", level, sizeof level);
                    if (strcmp(name, t->onvif_user) == 0 && level[0]) {
                        snprintf(v, sizeof v, "%s (ISAPI /ISAPI/Security/users userLevel)", level);
                        audit_camera_add(c, "account_level", v);
                        break;
                    }
                }
                xmlFreeDoc(doc);
            }
            free(b);
        }
    }
    if (audit_camera_get(c, "magicbox")) {
        static const char *const dahua[][3] = {{"T2UServer", ".Enable", "dahua_p2p"},
                                               {"UPnP", ".Enable", "dahua_upnp"}};
        for (size_t i = 0; i < 2; i++) {
            snprintf(path, sizeof path, "/cgi-bin/configManager.cgi?action=getConfig&name=%s", dahua[i][0]);
            if ((b = get_text(t, path, timeout_ms, NULL))) {
                char en[16];
                snprintf(path, sizeof path, "%s%s", dahua[i][0], dahua[i][1]);
                kv_field(b, path, en, sizeof en);
                if (en[0] && !strchr(en, '<')) {
                    snprintf(v, sizeof v, "Enable=%s", en);
                    audit_camera_add(c, dahua[i][2], v);
                }
                free(b);
            }
        }
        /* user names are letters, digits and _ - . @ on these devices: anything else is not asked */
        int plain = t->onvif_user[0] && strspn(t->onvif_user, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                              "0123456789_-.@") == strlen(t->onvif_user);
        snprintf(path, sizeof path, "/cgi-bin/userManager.cgi?action=getUserInfo&name=%.128s", t->onvif_user);
        if (plain && (b = get_text(t, path, timeout_ms, NULL))) {
            char group[64];
            kv_field(b, ".Group", group, sizeof group);
            if (group[0] && !strchr(group, '<')) {
                snprintf(v, sizeof v, "%s (Dahua userManager getUserInfo group)", group);
                audit_camera_add(c, "account_level", v);
            }
            free(b);
        }
    }
}

/* s= i= and a=tool: lines of an SDP */
static void sdp_signals(const char *sdp, struct audit_camera *c)
{
    for (const char *l = sdp; l && *l;) {
        size_t n = strcspn(l, "\r\n");
        char line[AUDIT_VALUE_MAX];
        snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line ? n : sizeof line - 1), l);
        if (strncmp(line, "s=", 2) == 0 && !audit_camera_get(c, "sdp_session"))
            audit_camera_add(c, "sdp_session", line + 2);
        else if (strncmp(line, "i=", 2) == 0 && !audit_camera_get(c, "sdp_info"))
            audit_camera_add(c, "sdp_info", line + 2);
        else if (strncmp(line, "a=tool:", 7) == 0 && !audit_camera_get(c, "sdp_tool"))
            audit_camera_add(c, "sdp_tool", line + 7);
        l += n;
        while (*l == '\r' || *l == '\n')
            l++;
    }
}

static void probe_rtsp(const struct target *t, int timeout_ms, struct audit_camera *c)
{
    struct netprobe_reply r;
    struct netprobe_req req = {
        .url = t->rtsp_url, .user = t->user, .password = t->pass, .cap = 64 * 1024, .timeout_ms = timeout_ms};
    int rc = netprobe_rtsp_describe(&req, &r);
    audit_camera_add(c, "rtsp_server", r.server);
    if (rc)
        add_error(c, "rtsp_error", "DESCRIBE", rc);
    else if (r.status != 200) {
        char buf[64];
        snprintf(buf, sizeof buf, "DESCRIBE: status %ld", r.status);
        audit_camera_add(c, "rtsp_error", buf);
    } else if (r.body)
        sdp_signals(r.body, c);
    netprobe_reply_clear(&r);
}

static void probe_http(const struct target *t, int timeout_ms, struct audit_camera *c)
{
    char url[URL_MAX + 64];
    struct netprobe_reply r;
    struct netprobe_req req = {.url = url, .cap = HTTP_CAP, .timeout_ms = timeout_ms};
    int rc;

    snprintf(url, sizeof url, "%s/", t->http_base);
    rc = netprobe_http(&req, &r);
    if (rc) {
        add_error(c, "http_error", "GET /", rc);
        netprobe_reply_clear(&r);
        return; /* nothing listens: skip the endpoints */
    }
    audit_camera_add(c, "http_server", r.server);
    audit_camera_add(c, "http_realm", r.realm);
    netprobe_reply_clear(&r);

    req.user = t->onvif_user;
    req.password = t->onvif_pass;
    snprintf(url, sizeof url, "%s/ISAPI/System/deviceInfo", t->http_base);
    if (!netprobe_http(&req, &r)) {
        xmlDoc *doc = NULL;
        if (r.status == 200 && !r.authenticated && r.body && strstr(r.body, "DeviceInfo"))
            audit_camera_add(c, "http_open", "GET /ISAPI/System/deviceInfo answered without credentials");
        if (!audit_camera_get(c, "http_realm"))
            audit_camera_add(c, "http_realm", r.realm);
        if (r.status == 200 && r.body && safexml_parse(r.body, r.len, &doc) == 0) {
            xmlNode *root = xmlDocGetRootElement(doc);
            char model[96], fw[64], v[AUDIT_VALUE_MAX];
            safexml_find_text(root, "model", model, sizeof model);
            safexml_find_text(root, "firmwareVersion", fw, sizeof fw);
            if (!strcasestr(fw, "build")) { /* <firmwareReleasedDate>build 160530</firmwareReleasedDate> */
                char rel[32];
                size_t l = strlen(fw);
                if (safexml_find_text(root, "firmwareReleasedDate", rel, sizeof rel) && l + 1 < sizeof fw)
                    snprintf(fw + l, sizeof fw - l, " %s", rel);
            }
            char ns[96] = "";
            if (root->ns && root->ns->href)
                safexml_clean((const char *)root->ns->href, strlen((const char *)root->ns->href), ns, sizeof ns);
            if (snprintf(v, sizeof v, "%.40s xmlns=%s model=%s firmware=%s", (const char *)root->name, ns, model, fw) >=
                0)
                audit_camera_add(c, "isapi", v); /* (cut to AUDIT_VALUE_MAX) */
            xmlFreeDoc(doc);
        }
    }
    netprobe_reply_clear(&r);

    snprintf(url, sizeof url, "%s/cgi-bin/magicBox.cgi?action=getSystemInfo", t->http_base);
    if (!netprobe_http(&req, &r) && r.status == 200 && r.body && strstr(r.body, "=")) {
        char v[AUDIT_VALUE_MAX];
        safexml_clean(r.body, r.len, v, sizeof v); /* "deviceType=... serialNumber=..." on one line */
        if (!strchr(v, '<')) {                     /* an HTML error page is not an answer */
            audit_camera_add(c, "magicbox", v);
            if (!r.authenticated)
                audit_camera_add(c, "http_open",
                                 "GET /cgi-bin/magicBox.cgi?action=getSystemInfo answered without "
                                 "credentials");
        }
    }
    netprobe_reply_clear(&r);
    probe_exposure(t, timeout_ms, c);
}

nvr_err audit_probe_camera(const struct nvr_camera_config *cam, const struct audit_probe_opts *o,
                           struct audit_camera *out)
{
    struct target *t = calloc(1, sizeof *t);
    int timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : 4000;
    int rc = NVR_OK;
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", cam->id);
    out->probed_us = nvr_clock_now_us();
    if (!t)
        return NVR_ENOMEM;
    if (netprobe_url_split(cam->url, t->rtsp_url, sizeof t->rtsp_url, t->user, sizeof t->user, t->pass, sizeof t->pass,
                           t->host, sizeof t->host)) {
        audit_camera_add(out, "rtsp_error", "the camera URL cannot be parsed");
        rc = NVR_EINVAL;
        goto out;
    }
    int v6 = strchr(t->host, ':') != NULL;
    if (cam->onvif) {
        char ohost[256];
        if (netprobe_url_split(cam->onvif, t->onvif_url, sizeof t->onvif_url, t->onvif_user, sizeof t->onvif_user,
                               t->onvif_pass, sizeof t->onvif_pass, ohost, sizeof ohost)) {
            audit_camera_add(out, "onvif_error", "the onvif URL cannot be parsed");
            t->onvif_url[0] = '\0';
        } else if (strcasecmp(ohost, t->host) != 0) {
            audit_camera_add(out, "onvif_error", "the onvif URL is not on the camera's own host: not probed");
            t->onvif_url[0] = '\0';
        }
        if (!t->onvif_user[0]) {
            snprintf(t->onvif_user, sizeof t->onvif_user, "%s", t->user);
            snprintf(t->onvif_pass, sizeof t->onvif_pass, "%s", t->pass);
        }
    } else {
        snprintf(t->onvif_url, sizeof t->onvif_url, "http://%s%s%s/onvif/device_service", v6 ? "[" : "", t->host,
                 v6 ? "]" : "");
        snprintf(t->onvif_user, sizeof t->onvif_user, "%s", t->user);
        snprintf(t->onvif_pass, sizeof t->onvif_pass, "%s", t->pass);
    }
    if (t->onvif_url[0]) {
        const char *sep = strstr(t->onvif_url, "://") + 3;
        snprintf(t->http_base, sizeof t->http_base, "%.*s", (int)(sep - t->onvif_url + strcspn(sep, "/?#")),
                 t->onvif_url);
        probe_onvif(t, timeout_ms, out);
    } else {
        snprintf(t->http_base, sizeof t->http_base, "http://%s%s%s", v6 ? "[" : "", t->host, v6 ? "]" : "");
    }
    if (!audit_camera_get(out, "mac_oui")) {
        char mac[18];
        arp_lookup(t->host, mac);
        if (mac[0]) {
            audit_camera_add(out, "mac_oui", mac);
            audit_camera_add(out, "mac_from", "arp");
        }
    }
    probe_rtsp(t, timeout_ms, out);
    probe_http(t, timeout_ms, out);
    audit_camera_add(out, "account", t->onvif_user); /* the name only: judged against vendor defaults */
out:
    memset(t, 0, sizeof *t); /* credentials */
    free(t);
    return rc;
}
