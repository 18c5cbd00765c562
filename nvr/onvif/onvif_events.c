/* SPDX-License-Identifier: Apache-2.0 */
/*
 * onvif_events.c - the ONVIF Events service calls and the motion topics
 * (see onvif_events.h).
 */
#include "onvif/onvif_events.h"

#include "base/err.h"
#include "onvif/onvif_soap.h"
#include "onvif/safexml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_DEVICE "http://www.onvif.org/ver10/device/wsdl"
#define NS_EVENTS "http://www.onvif.org/ver10/events/wsdl"
#define NS_WSN "http://docs.oasis-open.org/wsn/b-2"
#define NS_WSA "http://www.w3.org/2005/08/addressing"
#define ACT_CREATE NS_EVENTS "/EventPortType/CreatePullPointSubscriptionRequest"
#define ACT_PULL NS_EVENTS "/PullPointSubscription/PullMessagesRequest"
#define ACT_RENEW "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest"
#define ACT_UNSUB "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeRequest"

/* an address the device gave -> the same path on the configured host */
static int own_host(const struct onvif_client *c, const char *addr, char *out, size_t cap)
{
    const char *sep = strstr(addr, "://");
    const char *path = sep ? sep + 3 + strcspn(sep + 3, "/") : NULL;
    if (!path || *path != '/')
        return -1;
    return snprintf(out, cap, "%s%s", onvif_client_base(c), path) < (int)cap ? 0 : -1;
}

/* WS-Addressing Action and To (to must be XML-safe: it is our own URL) */
static void wsa_header(char *out, size_t cap, const char *action, const char *to)
{
    FILE *f = fmemopen(out, cap, "w");
    out[0] = '\0';
    if (!f)
        return;
    fprintf(f, "<wsa:Action xmlns:wsa=\"" NS_WSA "\">%s</wsa:Action><wsa:To xmlns:wsa=\"" NS_WSA "\">", action);
    onvif_xml_escape(f, to);
    fputs("</wsa:To>", f);
    if (fclose(f) != 0)
        out[0] = '\0';
}

int onvif_parse_datetime(const char *s, int64_t *out_us)
{
    int y, mo, d, h, mi, n = 0;
    double sec;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || y < 1970 || y > 9999 || mo < 1 ||
        mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec < 0 || sec >= 61)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    int64_t t = (int64_t)timegm(&tm) * 1000000 + (int64_t)(sec * 1e6 + 0.5);
    const char *z = s + n;
    if (*z == '+' || *z == '-') {
        int oh, om;
        if (sscanf(z + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59)
            return -1;
        int64_t off = ((int64_t)oh * 3600 + om * 60) * 1000000;
        t += *z == '+' ? -off : off;
    } else if (*z != 'Z' && *z != '\0') {
        return -1;
    }
    *out_us = t;
    return 0;
}

static int64_t node_time(xmlNode *from, const char *local)
{
    char buf[64];
    int64_t t;
    return safexml_find_text(from, local, buf, sizeof buf) && onvif_parse_datetime(buf, &t) == 0 ? t : 0;
}

nvr_err onvif_events_url(struct onvif_client *c, char *out, size_t cap)
{
    xmlDoc *doc = NULL;
    xmlNode *resp;
    char xaddr[ONVIF_URI_MAX];
    const char *dev = onvif_client_device_url(c);
    nvr_err rc = onvif_soap_call(
        c, dev, NS_DEVICE "/GetCapabilities", 1, NULL,
        "<GetCapabilities xmlns=\"" NS_DEVICE "\"><Category>Events</Category></GetCapabilities>", 0, &doc, &resp);
    if (rc == NVR_OK) {
        xmlNode *ev = safexml_find(resp, "Events");
        if (ev && safexml_text(safexml_child(ev, "XAddr"), xaddr, sizeof xaddr) && own_host(c, xaddr, out, cap) == 0) {
            xmlFreeDoc(doc);
            return NVR_OK;
        }
        xmlFreeDoc(doc);
        doc = NULL;
    } else if (rc == NVR_EAUTH || rc == NVR_ESTOPPED || rc == NVR_ECONN || rc == NVR_ETIMEDOUT) {
        return rc;
    }
    /* GetServices: the Service whose Namespace is the events one */
    rc = onvif_soap_call(c, dev, NS_DEVICE "/GetServices", 1, NULL,
                         "<GetServices xmlns=\"" NS_DEVICE
                         "\"><IncludeCapability>false</IncludeCapability></GetServices>",
                         0, &doc, &resp);
    if (rc)
        return rc;
    rc = NVR_ENOTFOUND;
    for (xmlNode *s = resp->children; s; s = s->next) {
        char ns[ONVIF_URI_MAX];
        if (s->type != XML_ELEMENT_NODE || strcmp((const char *)s->name, "Service") != 0)
            continue;
        if (safexml_text(safexml_child(s, "Namespace"), ns, sizeof ns) && strcmp(ns, NS_EVENTS) == 0 &&
            safexml_text(safexml_child(s, "XAddr"), xaddr, sizeof xaddr) && own_host(c, xaddr, out, cap) == 0) {
            rc = NVR_OK;
            break;
        }
    }
    xmlFreeDoc(doc);
    return rc;
}

nvr_err onvif_pullpoint_create(struct onvif_client *c, const char *events_url, int term_s, struct onvif_pullpoint *pp)
{
    xmlDoc *doc = NULL;
    xmlNode *resp;
    char body[256], hdr[ONVIF_URI_MAX * 2], addr[ONVIF_URI_MAX];
    memset(pp, 0, sizeof *pp);
    snprintf(body, sizeof body,
             "<CreatePullPointSubscription xmlns=\"" NS_EVENTS "\"><InitialTerminationTime>PT%dS"
             "</InitialTerminationTime></CreatePullPointSubscription>",
             term_s);
    wsa_header(hdr, sizeof hdr, ACT_CREATE, events_url);
    nvr_err rc = onvif_soap_call(c, events_url, ACT_CREATE, 1, hdr, body, 0, &doc, &resp);
    if (rc)
        return rc;
    xmlNode *ref = safexml_find(resp, "SubscriptionReference");
    if (!ref || !safexml_text(safexml_child(ref, "Address"), addr, sizeof addr) ||
        own_host(c, addr, pp->url, sizeof pp->url))
        rc = NVR_EINVAL;
    pp->current_us = node_time(resp, "CurrentTime");
    pp->termination_us = node_time(resp, "TerminationTime");
    xmlFreeDoc(doc);
    return rc;
}

/* the Value of the SimpleItem named name under parent, "" if none */
static void simple_item(xmlNode *parent, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    for (xmlNode *n = parent ? parent->children : NULL; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "SimpleItem") != 0)
            continue;
        xmlChar *nm = xmlGetProp(n, (const xmlChar *)"Name");
        int hit = nm && strcmp((const char *)nm, name) == 0;
        xmlFree(nm);
        if (hit) {
            xmlChar *v = xmlGetProp(n, (const xmlChar *)"Value");
            if (v)
                safexml_clean((const char *)v, strlen((const char *)v), out, cap);
            xmlFree(v);
            return;
        }
    }
}

/* the Source items as "Name=Value,..." */
static void source_items(xmlNode *src, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (xmlNode *n = src ? src->children : NULL; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "SimpleItem") != 0)
            continue;
        xmlChar *nm = xmlGetProp(n, (const xmlChar *)"Name"), *v = xmlGetProp(n, (const xmlChar *)"Value");
        char a[64], b[64];
        safexml_clean(nm ? (const char *)nm : "", nm ? strlen((const char *)nm) : 0, a, sizeof a);
        safexml_clean(v ? (const char *)v : "", v ? strlen((const char *)v) : 0, b, sizeof b);
        xmlFree(nm);
        xmlFree(v);
        int w = snprintf(out + o, cap - o, "%s%s=%s", o ? "," : "", a, b);
        if (w < 0 || (size_t)w >= cap - o)
            return;
        o += (size_t)w;
    }
}

/* topic text -> the motion topic it is, 0 for another */
static enum onvif_motion_topic topic_of(const char *t)
{
    const char *colon = strchr(t, ':');
    const char *path = colon ? colon + 1 : t;
    if (strcmp(path, "RuleEngine/CellMotionDetector/Motion") == 0)
        return ONVIF_CELL_MOTION;
    if (strcmp(path, "VideoSource/MotionAlarm") == 0)
        return ONVIF_MOTION_ALARM;
    return 0;
}

static void collect(xmlNode *resp, struct onvif_motion_msg *msgs, int max, int *n)
{
    *n = 0;
    for (xmlNode *nm = resp->children; nm && *n < max; nm = nm->next) {
        char topic[ONVIF_TEXT_MAX], val[16];
        if (nm->type != XML_ELEMENT_NODE || strcmp((const char *)nm->name, "NotificationMessage") != 0)
            continue;
        enum onvif_motion_topic tp =
            safexml_text(safexml_child(nm, "Topic"), topic, sizeof topic) ? topic_of(topic) : 0;
        xmlNode *wrap = safexml_child(nm, "Message");
        xmlNode *m = wrap ? safexml_child(wrap, "Message") : NULL;
        if (!tp || !m)
            continue;
        simple_item(safexml_child(m, "Data"), tp == ONVIF_CELL_MOTION ? "IsMotion" : "State", val, sizeof val);
        if (strcmp(val, "true") && strcmp(val, "false") && strcmp(val, "1") && strcmp(val, "0"))
            continue;
        struct onvif_motion_msg *o = &msgs[(*n)++];
        memset(o, 0, sizeof *o);
        o->topic = tp;
        o->motion = strcmp(val, "true") == 0 || strcmp(val, "1") == 0;
        xmlChar *op = xmlGetProp(m, (const xmlChar *)"PropertyOperation");
        o->initialized = op && strcmp((const char *)op, "Initialized") == 0;
        xmlFree(op);
        xmlChar *ut = xmlGetProp(m, (const xmlChar *)"UtcTime");
        if (!ut || onvif_parse_datetime((const char *)ut, &o->utc_us))
            o->utc_us = 0;
        xmlFree(ut);
        source_items(safexml_child(m, "Source"), o->source, sizeof o->source);
    }
}

nvr_err onvif_pullpoint_pull(struct onvif_client *c, struct onvif_pullpoint *pp, int timeout_s,
                             struct onvif_motion_msg *msgs, int max, int *n)
{
    xmlDoc *doc = NULL;
    xmlNode *resp;
    char body[256], hdr[ONVIF_URI_MAX * 2];
    *n = 0;
    snprintf(body, sizeof body,
             "<PullMessages xmlns=\"" NS_EVENTS "\"><Timeout>PT%dS</Timeout><MessageLimit>%d</MessageLimit>"
             "</PullMessages>",
             timeout_s, max < ONVIF_PULL_MAX ? max : ONVIF_PULL_MAX);
    wsa_header(hdr, sizeof hdr, ACT_PULL, pp->url);
    /* the device may hold the answer for timeout_s: the HTTP timeout is longer */
    nvr_err rc = onvif_soap_call(c, pp->url, ACT_PULL, 1, hdr, body, (timeout_s + 5) * 1000, &doc, &resp);
    if (rc)
        return rc;
    if (strcmp((const char *)resp->name, "PullMessagesResponse") != 0) {
        xmlFreeDoc(doc);
        return NVR_EINVAL;
    }
    pp->current_us = node_time(resp, "CurrentTime");
    int64_t term = node_time(resp, "TerminationTime");
    if (term)
        pp->termination_us = term;
    collect(resp, msgs, max, n);
    xmlFreeDoc(doc);
    return NVR_OK;
}

nvr_err onvif_pull_parse(const char *buf, size_t len, struct onvif_motion_msg *msgs, int max, int *n,
                         int64_t *current_us)
{
    xmlDoc *doc = NULL;
    *n = 0;
    *current_us = 0;
    nvr_err rc = safexml_parse(buf, len, &doc);
    if (rc)
        return rc;
    xmlNode *resp = safexml_find(xmlDocGetRootElement(doc), "PullMessagesResponse");
    if (!resp) {
        rc = NVR_EINVAL;
    } else {
        *current_us = node_time(resp, "CurrentTime");
        collect(resp, msgs, max, n);
    }
    xmlFreeDoc(doc);
    return rc;
}

nvr_err onvif_pullpoint_renew(struct onvif_client *c, struct onvif_pullpoint *pp, int term_s)
{
    xmlDoc *doc = NULL;
    xmlNode *resp;
    char body[256], hdr[ONVIF_URI_MAX * 2];
    snprintf(body, sizeof body, "<Renew xmlns=\"" NS_WSN "\"><TerminationTime>PT%dS</TerminationTime></Renew>", term_s);
    wsa_header(hdr, sizeof hdr, ACT_RENEW, pp->url);
    nvr_err rc = onvif_soap_call(c, pp->url, ACT_RENEW, 1, hdr, body, 0, &doc, &resp);
    if (rc)
        return rc;
    pp->current_us = node_time(resp, "CurrentTime");
    int64_t term = node_time(resp, "TerminationTime");
    if (term)
        pp->termination_us = term;
    xmlFreeDoc(doc);
    return NVR_OK;
}

nvr_err onvif_pullpoint_unsubscribe(struct onvif_client *c, struct onvif_pullpoint *pp)
{
    xmlDoc *doc = NULL;
    xmlNode *resp;
    char hdr[ONVIF_URI_MAX * 2];
    wsa_header(hdr, sizeof hdr, ACT_UNSUB, pp->url);
    nvr_err rc = onvif_soap_call(c, pp->url, ACT_UNSUB, 1, hdr, "<Unsubscribe xmlns=\"" NS_WSN "\"/>", 0, &doc, &resp);
    if (!rc)
        xmlFreeDoc(doc);
    return rc;
}
