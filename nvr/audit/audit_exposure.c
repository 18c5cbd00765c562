/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_exposure.c - what a camera exposes while it stays on the network
 * (see audit.h, "exposure"; docs/design/audit.md "Exposure").  Pure: the
 * probe's signals and the data file in, a list out; no I/O.
 *
 * Signals read (audit_probe.c records them; each is what the device said):
 *   isapi_ezviz, isapi_upnp     Hikvision ISAPI /ISAPI/System/Network/EZVIZ, /UPnP: "enabled=true|false"
 *   dahua_p2p, dahua_upnp       Dahua configManager getConfig T2UServer / UPnP: "Enable=true|false"
 *   account, account_level      the recorder's own camera user name, and the rights the device reports
 *   onvif_firmware, isapi       firmware and model, against [vulnerability] entries
 *   onvif_open, http_open       a request without credentials that was answered
 *   onvif_ntp, onvif_dns        ONVIF GetNTP / GetDNS: "manual: a, b; dhcp: c"
 */
#include "audit/audit.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SRC_ISAPI "Hikvision ISAPI (IP Media Device ISAPI, /ISAPI/System/Network/"
#define SRC_DAHUA "Dahua HTTP API for IPC & NVR, configManager.cgi?action=getConfig&name="

static struct audit_exposure *add(struct audit_exposure *out, size_t cap, size_t *n, const char *kind)
{
    if (*n >= cap)
        return NULL;
    struct audit_exposure *x = &out[(*n)++];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    return x;
}

static int says_on(const char *v)
{
    return v && (strcasestr(v, "enable=true") || strcasestr(v, "enabled=true"));
}

int audit_addr_private(const char *addr)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, addr, a) == 1)
        return a[0] == 10 || a[0] == 127 || (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
               (a[0] == 169 && a[1] == 254) || (a[0] == 100 && (a[1] & 0xc0) == 64) || a[0] == 0;
    if (inet_pton(AF_INET6, addr, a) == 1) {
        static const unsigned char lo[16] = {[15] = 1}, any[16] = {0};
        return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || !memcmp(a, lo, 16) ||
               !memcmp(a, any, 16);
    }
    return -1;
}

/* A server name that stays on site by its form: one label, or a suffix
 * reserved for local use (.local, .lan, .internal, .home.arpa, .localdomain). */
static int local_name(const char *name)
{
    static const char *const sfx[] = {".local", ".lan", ".internal", ".home.arpa", ".localdomain", NULL};
    size_t n = strlen(name);
    if (!strchr(name, '.'))
        return 1;
    for (const char *const *s = sfx; *s; s++) {
        size_t k = strlen(*s);
        if (n > k && strcasecmp(name + n - k, *s) == 0)
            return 1;
    }
    return 0;
}

/* The servers of "manual: a, b; dhcp: c" that are outside the site, into
 * out as "a (public address), b (a name)"; 0 if none. */
static int outside(const char *list, char *out, size_t cap)
{
    size_t o = 0;
    int found = 0;
    out[0] = '\0';
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, ",;");
        char item[AUDIT_VALUE_MAX];
        snprintf(item, sizeof item, "%.*s", (int)n, p);
        p += n;
        if (*p)
            p++;
        char *it = item, *colon = strstr(it, ": ");
        if (colon)
            it = colon + 2;
        while (*it == ' ')
            it++;
        size_t l = strlen(it);
        while (l && it[l - 1] == ' ')
            it[--l] = '\0';
        if (!*it)
            continue;
        int priv = audit_addr_private(it);
        if (priv == 1 || (priv < 0 && local_name(it)))
            continue;
        int w = snprintf(out + o, cap - o, "%s%s (%s)", found ? ", " : "", it,
                         priv == 0 ? "a public address" : "a host name outside the site's local names");
        if (w < 0 || (size_t)w >= cap - o)
            break;
        o += (size_t)w;
        found = 1;
    }
    return found;
}

/* The model and firmware of a camera: ONVIF's, else the ISAPI answer's. */
static void model_firmware(const struct audit_camera *c, char *model, size_t mcap, char *fw, size_t fcap)
{
    const char *m = audit_camera_get(c, "onvif_model"), *f = audit_camera_get(c, "onvif_firmware");
    const char *isapi = audit_camera_get(c, "isapi");
    snprintf(model, mcap, "%s", m ? m : "");
    snprintf(fw, fcap, "%s", f ? f : "");
    if (isapi) { /* "DeviceInfo xmlns=... model=M firmware=F" */
        const char *pm = strstr(isapi, " model="), *pf = strstr(isapi, " firmware=");
        if (pm && !model[0])
            snprintf(model, mcap, "%.*s", (int)(pf && pf > pm ? (size_t)(pf - pm - 7) : strlen(pm + 7)), pm + 7);
        if (pf && vendors_firmware_build(fw) < 0)
            snprintf(fw, fcap, "%s", pf + 10);
    }
}

size_t audit_exposures(const struct vendors *v, const struct audit_camera *c, const struct audit_result *r,
                       struct audit_exposure *out, size_t cap)
{
    size_t n = 0;
    struct audit_exposure *x;
    const char *s;

    /* cloud / P2P */
    if (says_on(s = audit_camera_get(c, "isapi_ezviz")) && (x = add(out, cap, &n, "cloud_p2p"))) {
        snprintf(x->detail, sizeof x->detail,
                 "Hik-Connect/EZVIZ cloud access is on: the camera keeps a connection to the vendor's cloud, a path "
                 "into it from outside the site");
        snprintf(x->evidence, sizeof x->evidence, "isapi_ezviz: %s", s);
        snprintf(x->source, sizeof x->source, SRC_ISAPI "EZVIZ)");
    }
    if (says_on(s = audit_camera_get(c, "dahua_p2p")) && (x = add(out, cap, &n, "cloud_p2p"))) {
        snprintf(x->detail, sizeof x->detail,
                 "Dahua P2P (T2UServer, the Easy4IP/DMSS cloud relay) is on: the camera registers with the vendor's "
                 "P2P servers, a path into it from outside the site");
        snprintf(x->evidence, sizeof x->evidence, "dahua_p2p: %s", s);
        snprintf(x->source, sizeof x->source, SRC_DAHUA "T2UServer");
    }
    /* UPnP */
    if (says_on(s = audit_camera_get(c, "isapi_upnp")) && (x = add(out, cap, &n, "upnp"))) {
        snprintf(x->detail, sizeof x->detail,
                 "UPnP is on: the camera may ask the site's router to open ports to it from the internet");
        snprintf(x->evidence, sizeof x->evidence, "isapi_upnp: %s", s);
        snprintf(x->source, sizeof x->source, SRC_ISAPI "UPnP)");
    }
    if (says_on(s = audit_camera_get(c, "dahua_upnp")) && (x = add(out, cap, &n, "upnp"))) {
        snprintf(x->detail, sizeof x->detail,
                 "UPnP is on: the camera may ask the site's router to open ports to it from the internet");
        snprintf(x->evidence, sizeof x->evidence, "dahua_upnp: %s", s);
        snprintf(x->source, sizeof x->source, SRC_DAHUA "UPnP");
    }
    /* the recorder's own account: a vendor default name (never a password) */
    const char *acct = audit_camera_get(c, "account"), *level = audit_camera_get(c, "account_level");
    const char *asrc = vendors_default_account(v, r->company, acct);
    int admin = !level || strcasestr(level, "admin") != NULL;
    if (asrc && admin && (x = add(out, cap, &n, "default_account"))) {
        snprintf(x->detail, sizeof x->detail,
                 "the recorder signs in as \"%.32s\", a default account name of %.60s%s: a guessable name with full "
                 "control",
                 acct, r->maker, level ? " with administrator rights" : "");
        snprintf(x->evidence, sizeof x->evidence, "account: %.64s%s%.160s", acct, level ? "; account_level: " : "",
                 level ? level : "");
        snprintf(x->source, sizeof x->source, "%s", asrc);
    }
    /* firmware with a published vulnerability */
    char model[AUDIT_VALUE_MAX], fw[AUDIT_VALUE_MAX];
    model_firmware(c, model, sizeof model, fw, sizeof fw);
    struct vendors_vuln vu;
    size_t it = 0;
    while (r->company[0] && vendors_vulnerable(v, r->company, model, fw, &it, &vu) &&
           (x = add(out, cap, &n, "vulnerable_firmware"))) {
        snprintf(x->detail, sizeof x->detail, "%.20s: firmware build %06d is in the affected range %06d-%06d%s%.60s%s",
                 vu.cve, vu.build, vu.build_from, vu.build_to, vu.models ? " for models " : "",
                 vu.models ? vu.models : "", vu.note ? " (approximate range: see the note in the data file)" : "");
        snprintf(x->evidence, sizeof x->evidence, "model %.80s, firmware %.120s", model[0] ? model : "?", fw);
        snprintf(x->source, sizeof x->source, "%.60s; %.160s (%s)", vu.source, vu.advisory, vu.date);
    }
    /* services answering without credentials */
    if ((s = audit_camera_get(c, "onvif_open")) && (x = add(out, cap, &n, "unauthenticated_service"))) {
        snprintf(x->detail, sizeof x->detail,
                 "ONVIF answers device information to anyone: no user name or password is asked for");
        snprintf(x->evidence, sizeof x->evidence, "onvif_open: %s", s);
        snprintf(
            x->source, sizeof x->source,
            "ONVIF Core Specification, access classes (GetDeviceInformation is READ_SYSTEM: authenticated by default)");
    }
    if ((s = audit_camera_get(c, "http_open")) && (x = add(out, cap, &n, "unauthenticated_service"))) {
        snprintf(x->detail, sizeof x->detail, "the camera's web API answers without a user name or password");
        snprintf(x->evidence, sizeof x->evidence, "http_open: %s", s);
        snprintf(x->source, sizeof x->source, "the vendor API document of that endpoint (it requires authentication)");
    }
    /* time and name servers outside the site */
    static const char *const srv[][2] = {{"onvif_ntp", "NTP (time)"}, {"onvif_dns", "DNS (name)"}};
    for (size_t i = 0; i < 2; i++) {
        char ext[AUDIT_VALUE_MAX];
        if ((s = audit_camera_get(c, srv[i][0])) && outside(s, ext, sizeof ext) &&
            (x = add(out, cap, &n, "external_servers"))) {
            snprintf(x->detail, sizeof x->detail, "%s servers outside the site: %.200s", srv[i][1], ext);
            snprintf(x->evidence, sizeof x->evidence, "%s: %s", srv[i][0], s);
            snprintf(x->source, sizeof x->source,
                     "ONVIF Core Specification (GetNTP, GetDNS); private ranges: RFC 1918, RFC 6598, RFC 4193, "
                     "RFC 3927");
        }
    }
    return n;
}
