/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_soap.c - hostile SOAP/XML replies: safexml parsing and lookups
 * (nvr/audit/safexml.c) and WS-Discovery ProbeMatch parsing (nvr/audit/wsdiscovery.c). */
#include "audit/safexml.h"
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
    return 0;
}
