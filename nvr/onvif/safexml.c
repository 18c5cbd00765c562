/* SPDX-License-Identifier: Apache-2.0 */
/*
 * safexml.c - hostile-input XML parsing with libxml2 (see safexml.h).
 */
#include "onvif/safexml.h"

#include "base/err.h"

#include <libxml/parser.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_libxml(void)
{
    xmlInitParser();
}

/* Case-insensitive search for needle in buf[0..len) (no NUL needed). */
static int contains_ci(const char *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (strncasecmp(buf + i, needle, n) == 0)
            return 1;
    return 0;
}

/* Depth of the deepest element, walked without recursion. */
static int too_deep(xmlNode *root)
{
    int depth = 1;
    xmlNode *n = root;
    while (n) {
        if (n->type == XML_ELEMENT_NODE && depth > SAFEXML_MAX_DEPTH)
            return 1;
        if (n->children) {
            n = n->children;
            depth++;
            continue;
        }
        while (n && !n->next && n != root) {
            n = n->parent;
            depth--;
        }
        if (!n || n == root)
            break;
        n = n->next;
    }
    return 0;
}

nvr_err safexml_parse(const char *buf, size_t len, xmlDoc **out)
{
    xmlDoc *doc = NULL;
    *out = NULL;
    pthread_once(&init_once, init_libxml);
    if (!buf || len == 0 || len > SAFEXML_MAX_BYTES || len > (size_t)INT32_MAX)
        return NVR_EINVAL;
    if (contains_ci(buf, len, "<!DOCTYPE") || contains_ci(buf, len, "<!ENTITY"))
        return NVR_EINVAL;
    doc = xmlReadMemory(buf, (int)len, "reply.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return NVR_EINVAL;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || doc->intSubset || doc->extSubset || too_deep(root)) {
        xmlFreeDoc(doc);
        return NVR_EINVAL;
    }
    *out = doc;
    return NVR_OK;
}

static int is_named(const xmlNode *n, const char *local)
{
    return n->type == XML_ELEMENT_NODE && n->name && strcmp((const char *)n->name, local) == 0;
}

xmlNode *safexml_find(xmlNode *from, const char *local)
{
    /* iterative pre-order walk of the subtree rooted at from */
    xmlNode *n = from;
    while (n) {
        if (is_named(n, local))
            return n;
        if (n->children && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            continue;
        }
        while (n && n != from && !n->next)
            n = n->parent;
        if (!n || n == from)
            return NULL;
        n = n->next;
    }
    return NULL;
}

xmlNode *safexml_child(const xmlNode *parent, const char *local)
{
    if (!parent)
        return NULL;
    for (xmlNode *c = parent->children; c; c = c->next)
        if (is_named(c, local))
            return c;
    return NULL;
}

size_t safexml_clean(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    if (!cap)
        return 0;
    while (len && (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n')) {
        in++;
        len--;
    }
    for (size_t i = 0; i < len && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '\t' || c == '\r' || c == '\n')
            c = ' ';
        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    while (o && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o;
}

size_t safexml_text(const xmlNode *n, char *out, size_t cap)
{
    if (cap)
        out[0] = '\0';
    if (!n || !cap)
        return 0;
    xmlChar *t = xmlNodeGetContent(n);
    if (!t)
        return 0;
    size_t r = safexml_clean((const char *)t, strlen((const char *)t), out, cap);
    xmlFree(t);
    return r;
}

size_t safexml_find_text(xmlNode *from, const char *local, char *out, size_t cap)
{
    return safexml_text(from ? safexml_find(from, local) : NULL, out, cap);
}
