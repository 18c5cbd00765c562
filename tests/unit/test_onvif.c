/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_onvif.c - the ONVIF client's pieces that need no device: the
 * WS-Security PasswordDigest (the ONVIF Application Programmer's Guide
 * example), the hostile-XML guards of safexml (entity expansion, depth,
 * size, malformed input, DTDs), namespace-agnostic lookup and string
 * cleaning, URL splitting, WS-Discovery ProbeMatch parsing, and the Events
 * service's motion notifications (topics, states, UtcTime, sources) with
 * the time a message is stored at (motion_onvif_msg_time: clock skew).
 */
#include "check.h"

#include "onvif/netprobe.h"
#include "onvif/onvif.h"
#include "onvif/onvif_events.h"
#include "motion/motion_onvif.h"
#include "onvif/safexml.h"
#include "audit/wsdiscovery.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static void test_wsse_digest(void)
{
    /* ONVIF Application Programmer's Guide, 6.1.1.3: nonce LKqI6G/AikKCQrN0zqZFlg==,
     * created 2010-09-16T07:50:45Z, password userpassword.  Also checked with
     *   python3 -c 'import base64,hashlib; n=base64.b64decode("LKqI6G/AikKCQrN0zqZFlg==");
     *   print(base64.b64encode(hashlib.sha1(n+b"2010-09-16T07:50:45Z"+b"userpassword").digest()))' */
    unsigned char nonce[32];
    char out[29];
    int n = EVP_DecodeBlock(nonce, (const unsigned char *)"LKqI6G/AikKCQrN0zqZFlg==", 24);
    CHECK_EQ_INT(n, 18); /* 16 bytes + 2 padding */
    onvif_wsse_digest(nonce, 16, "2010-09-16T07:50:45Z", "userpassword", out);
    CHECK_EQ_STR(out, "tuOSpGlFlIXsozq4HFNeeGeFLEI=");
    onvif_wsse_digest(nonce, 16, "2010-09-16T07:50:46Z", "userpassword", out);
    CHECK(strcmp(out, "tuOSpGlFlIXsozq4HFNeeGeFLEI=") != 0);
}

static int parses(const char *xml)
{
    xmlDoc *d = NULL;
    int rc = safexml_parse(xml, strlen(xml), &d);
    if (d)
        xmlFreeDoc(d);
    return rc;
}

static void test_hostile_xml(void)
{
    /* billion laughs */
    const char *laughs = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;"
                         "&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><l>&c;</l>";
    CHECK(parses(laughs) != 0);
    /* external entity */
    CHECK(parses("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>") != 0);
    CHECK(parses("<!doctype x><x/>") != 0);
    /* too deep: 65 levels refused, 64 accepted */
    char *deep = malloc(200000);
    for (int levels = 64; levels <= 65; levels++) {
        char *p = deep;
        for (int i = 0; i < levels; i++)
            p += sprintf(p, "<a>");
        for (int i = 0; i < levels; i++)
            p += sprintf(p, "</a>");
        CHECK_EQ_INT(parses(deep) != 0, levels > SAFEXML_MAX_DEPTH);
    }
    /* very deep (beyond libxml2's own limit too) */
    char *p = deep;
    for (int i = 0; i < 20000; i++)
        p += sprintf(p, "<a>");
    *p = '\0';
    CHECK(parses(deep) != 0);
    free(deep);
    /* too large */
    size_t big = SAFEXML_MAX_BYTES + 10;
    char *huge = malloc(big + 1);
    memcpy(huge, "<a>", 3);
    memset(huge + 3, 'x', big - 7);
    memcpy(huge + big - 4, "</a>", 4);
    huge[big] = '\0';
    CHECK(parses(huge) != 0);
    free(huge);
    /* malformed */
    CHECK(parses("<a><b></a>") != 0);
    CHECK(parses("") != 0);
    CHECK(parses("not xml at all") != 0);
    CHECK(parses("<a>\x01</a>") != 0);
    CHECK_EQ_INT(parses("<s:E xmlns:s=\"urn:x\"><s:B>ok</s:B></s:E>"), 0);
}

static void test_lookup_and_cleaning(void)
{
    const char *xml = "<e:Envelope xmlns:e=\"urn:e\" xmlns:t=\"urn:t\"><e:Body><t:R><t:Manufacturer>  HIK\tVISION \n"
                      "</t:Manufacturer><Manufacturer>second</Manufacturer><Model>caf\xc3\xa9 &lt;x&gt;</Model></t:R>"
                      "</e:Body></e:Envelope>";
    xmlDoc *d = NULL;
    char out[16];
    CHECK_EQ_INT(safexml_parse(xml, strlen(xml), &d), 0);
    if (!d)
        return;
    xmlNode *root = xmlDocGetRootElement(d);
    CHECK(safexml_child(root, "Body") != NULL);
    CHECK(safexml_child(root, "R") == NULL); /* child, not descendant */
    CHECK_EQ_INT(safexml_find_text(root, "Manufacturer", out, sizeof out), 10);
    CHECK_EQ_STR(out, "HIK VISION"); /* first in document order, whitespace cleaned */
    safexml_find_text(root, "Model", out, sizeof out);
    CHECK_EQ_STR(out, "caf?? <x>");
    safexml_find_text(root, "Missing", out, sizeof out);
    CHECK_EQ_STR(out, "");
    char cut[5];
    CHECK_EQ_INT(safexml_clean("abcdefgh", 8, cut, sizeof cut), 4);
    CHECK_EQ_STR(cut, "abcd");
    xmlFreeDoc(d);
}

static void test_url_split(void)
{
    char url[256], user[32], pass[32], host[64];
    CHECK_EQ_INT(netprobe_url_split("rtsp://ad%40min:p%3Ass@10.0.0.5:554/Streaming/Channels/101", url, sizeof url, user,
                                    sizeof user, pass, sizeof pass, host, sizeof host),
                 0);
    CHECK_EQ_STR(url, "rtsp://10.0.0.5:554/Streaming/Channels/101");
    CHECK_EQ_STR(user, "ad@min");
    CHECK_EQ_STR(pass, "p:ss");
    CHECK_EQ_STR(host, "10.0.0.5");
    CHECK_EQ_INT(netprobe_url_split("http://[fe80::1]:8080/onvif", url, sizeof url, user, sizeof user, pass,
                                    sizeof pass, host, sizeof host),
                 0);
    CHECK_EQ_STR(host, "fe80::1");
    CHECK_EQ_STR(user, "");
    CHECK(netprobe_url_split("rtsp://u:%zz@h/", url, sizeof url, user, sizeof user, pass, sizeof pass, host,
                             sizeof host) != 0);
    CHECK(netprobe_url_split("no-scheme", url, sizeof url, user, sizeof user, pass, sizeof pass, host, sizeof host) !=
          0);
    CHECK(netprobe_url_split("rtsp://u:p@/x", url, sizeof url, user, sizeof user, pass, sizeof pass, host,
                             sizeof host) != 0);
}

static void test_onvif_client_args(void)
{
    struct onvif_client *c = NULL;
    CHECK(onvif_client_create(&c, "ftp://x/", "u", "p", 1000) != 0 && c == NULL);
    CHECK_EQ_INT(onvif_client_create(&c, "http://127.0.0.1:1", "u", "p", 1000), 0);
    /* nothing listens on port 1: a connection error, quickly, for every call */
    struct onvif_info info;
    memset(&info, 0, sizeof info);
    CHECK(onvif_query(c, &info) == -7 /* NVR_ECONN */);
    CHECK(info.info_err != 0 && info.manufacturer[0] == '\0');
    onvif_client_destroy(&c);
    CHECK(c == NULL);
    onvif_client_destroy(&c);
}

static void test_probe_match(void)
{
    const char *ok = "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:a=\"urn:a\" xmlns:d=\"urn:d\">"
                     "<s:Header><a:RelatesTo>uuid:1</a:RelatesTo></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch>"
                     "<a:EndpointReference><a:Address>urn:uuid:cam</a:Address></a:EndpointReference>"
                     "<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>onvif://www.onvif.org/name/Front%20Door "
                     "onvif://www.onvif.org/hardware/DS-2CD</d:Scopes><d:XAddrs>http://10.0.0.5/onvif/device_service"
                     "</d:XAddrs></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>";
    struct wsd_match m;
    CHECK_EQ_INT(wsd_parse_match(ok, strlen(ok), "uuid:1", &m), 1);
    CHECK_EQ_STR(m.address, "urn:uuid:cam");
    CHECK_EQ_STR(m.name, "Front Door");
    CHECK_EQ_STR(m.hardware, "DS-2CD");
    CHECK_EQ_STR(m.xaddrs, "http://10.0.0.5/onvif/device_service");
    CHECK_EQ_INT(wsd_parse_match(ok, strlen(ok), "uuid:2", &m), 0); /* not an answer to us */
    CHECK_EQ_INT(wsd_parse_match("<x/>", 4, NULL, &m), 0);
    CHECK_EQ_INT(wsd_parse_match("\xff\xfe", 2, NULL, &m), 0);
}

#define PULL_HEAD                                                                                                      \
    "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "                          \
    "xmlns:tev=\"http://www.onvif.org/ver10/events/wsdl\" xmlns:wsnt=\"http://docs.oasis-open.org/wsn/b-2\" "          \
    "xmlns:tt=\"http://www.onvif.org/ver10/schema\"><s:Body><tev:PullMessagesResponse>"                                \
    "<tev:CurrentTime>2026-12-03T10:00:05Z</tev:CurrentTime>"
#define PULL_TAIL "</tev:PullMessagesResponse></s:Body></s:Envelope>"
#define NOTE(topic, time, op, src, name, value)                                                                        \
    "<wsnt:NotificationMessage><wsnt:Topic Dialect=\"x\">" topic "</wsnt:Topic><wsnt:Message>"                         \
    "<tt:Message UtcTime=\"" time "\" PropertyOperation=\"" op "\"><tt:Source>" src "</tt:Source><tt:Data>"            \
    "<tt:SimpleItem Name=\"" name "\" Value=\"" value "\"/></tt:Data></tt:Message></wsnt:Message>"                     \
    "</wsnt:NotificationMessage>"

static void test_pull_messages(void)
{
    const char *doc = PULL_HEAD NOTE("tns1:RuleEngine/CellMotionDetector/Motion", "2026-12-03T10:00:01.5Z",
                                     "Initialized", "<tt:SimpleItem Name=\"Rule\" Value=\"R1\"/>", "IsMotion", "false")
        NOTE("tns1:RuleEngine/CellMotionDetector/Motion", "2026-12-03T11:00:02+01:00", "Changed",
             "<tt:SimpleItem Name=\"Rule\" Value=\"R1\"/>", "IsMotion", "true")
            NOTE("ns9:VideoSource/MotionAlarm", "garbage", "Changed", "", "State", "true")
                NOTE("tns1:VideoSource/GlobalSceneChange/ImagingService", "2026-12-03T10:00:03Z", "Changed", "",
                     "State", "true") NOTE("tns1:RuleEngine/CellMotionDetector/Motion", "2026-12-03T10:00:04Z",
                                           "Changed", "", "IsMotion", "perhaps") PULL_TAIL;
    struct onvif_motion_msg m[8];
    int n = -1;
    int64_t cur = 0, base = 0;
    CHECK_EQ_INT(onvif_parse_datetime("2026-12-03T10:00:00Z", &base), 0);
    CHECK_EQ_INT(onvif_pull_parse(doc, strlen(doc), m, 8, &n, &cur), NVR_OK);
    CHECK_EQ_INT(n, 3); /* the scene change and the unreadable value are skipped */
    CHECK(cur == base + 5000000);
    CHECK_EQ_INT(m[0].topic, ONVIF_CELL_MOTION);
    CHECK(m[0].initialized && !m[0].motion && m[0].utc_us == base + 1500000);
    CHECK_EQ_STR(m[0].source, "Rule=R1");
    CHECK(!m[1].initialized && m[1].motion && m[1].utc_us == base + 2000000); /* +01:00 */
    CHECK_EQ_INT(m[2].topic, ONVIF_MOTION_ALARM);
    CHECK(m[2].motion && m[2].utc_us == 0); /* no usable UtcTime: the receive time is used */
    /* the limit holds */
    CHECK_EQ_INT(onvif_pull_parse(doc, strlen(doc), m, 1, &n, &cur), NVR_OK);
    CHECK_EQ_INT(n, 1);
    /* not a PullMessagesResponse, hostile input */
    CHECK(onvif_pull_parse("<a/>", 4, m, 8, &n, &cur) != NVR_OK && n == 0);
    CHECK(onvif_pull_parse("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", 38, m, 8, &n, &cur) != NVR_OK);
    int64_t t;
    CHECK(onvif_parse_datetime("2026-13-01T00:00:00Z", &t) == -1);
    CHECK(onvif_parse_datetime("2026-12-03T10:00:00 junk", &t) == -1);
    CHECK(onvif_parse_datetime("2026-12-03T10:00:00", &t) == 0 && t == base); /* no zone: UTC */
}

static void test_msg_time(void)
{
    int64_t now = 1796300000000000LL;
    CHECK(motion_onvif_msg_time(now - 800000, now) == now - 800000); /* the camera's time when its clock is good */
    CHECK(motion_onvif_msg_time(now + 2000000, now) == now);         /* never after we got it */
    CHECK(motion_onvif_msg_time(now - MOTION_ONVIF_SKEW_US - 1, now) == now); /* a clock off: our receive time */
    CHECK(motion_onvif_msg_time(now + 3600000000LL, now) == now);
    CHECK(motion_onvif_msg_time(0, now) == now);
}

int main(void)
{
    RUN(test_wsse_digest);
    RUN(test_hostile_xml);
    RUN(test_lookup_and_cleaning);
    RUN(test_url_split);
    RUN(test_onvif_client_args);
    RUN(test_probe_match);
    RUN(test_pull_messages);
    RUN(test_msg_time);
    return check_summary();
}
