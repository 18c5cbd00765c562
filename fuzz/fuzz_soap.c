/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_soap.c - hostile SOAP/XML replies: safexml parsing and lookups
 * (nvr/onvif/safexml.c), WS-Discovery ProbeMatch parsing (nvr/audit/wsdiscovery.c)
 * and the Events service's PullMessages answers (nvr/onvif/onvif_events.c). */
#include "onvif/onvif_events.h"
#include "onvif/safexml.h"
#include "audit/wsdiscovery.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xmlDoc *doc = NULL;
    struct wsd_match m;
    char out[128];
    if (safexml_parse((const char *)data, size, &doc) == 0) {
        xmlNode *root = xmlDocGetRootElement(doc);
        safexml_find_text(root, "Manufacturer", out, sizeof out);
        safexml_text(safexml_child(root, "Body"), out, sizeof out);
        xmlFreeDoc(doc);
    }
    wsd_parse_match((const char *)data, size, NULL, &m);
    struct onvif_motion_msg msgs[4];
    int n;
    int64_t cur;
    onvif_pull_parse((const char *)data, size, msgs, 4, &n, &cur);
    return 0;
}
