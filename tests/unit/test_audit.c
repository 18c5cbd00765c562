/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_audit.c - the audit's judgement: the vendor data file parser (errors
 * as FILE:LINE), OUI matching against a registry in the IEEE CSV format
 * (the "Shanghai Dahua Scale Factory" case), the verdict rules R1-R4, the
 * stored observations round trip, and the shipped data file itself.
 */
#include "check.h"

#include "audit/audit.h"
#include "base/csv.h"
#include "audit/vendors.h"

#include <stdlib.h>
#include <unistd.h>

static const char DATA[] =
    "; test data\n"
    "[company dahua]\nname = Dahua\nstatus = covered\nsource = NDAA\n"
    "[company hik]\nname = Hikvision\nstatus = covered\nsource = NDAA\n"
    "[company axis]\nname = Axis\nstatus = other\nsource = -\n"
    "[brand Dahua]\ncompany = dahua\nsource = NDAA\n"
    "[brand Imou]\ncompany = dahua\nsource = AR\n"
    "[brand HiLook]\ncompany = hik\nsource = AR\n"
    "[brand Axis]\ncompany = axis\nsource = own name\n"
    "[oui dahua]\ncompany = dahua\norganization = Zhejiang Dahua Technology Co., Ltd.\nsource = IEEE\n"
    "[fingerprint isapi]\ncompany = hik\nsignals = isapi, http_server\nmatch = contains:hikvision.com\nsource = x\n"
    "[oem Acme]\ncompany = hik\nsource = report\n";

static const char OUI_CSV[] =
    "Registry,Assignment,Organization Name,Organization Address\n"
    "MA-L,08EDED,\"Zhejiang Dahua Technology Co., Ltd.\",\"No.1199,Waterfront Road Hangzhou Zhejiang CN 310053 \"\n"
    "MA-L,ABCDEF,Shanghai Dahua Scale Factory,\"Shanghai CN\"\n"
    "MA-L,B8A44F,Axis Communications AB,Emdalavagen 14 LUND  SE 22369 \n"
    "MA-L,123456,\"ZHEJIANG DAHUA TECHNOLOGY CO.,LTD\",\"x\"\n"
    "MA-M,08EDED1,Someone Else,x\n";

static struct vendors *load(void)
{
    struct vendors *v = NULL;
    char path[] = "/tmp/test_audit_oui_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK(write(fd, OUI_CSV, sizeof OUI_CSV - 1) == (ssize_t)(sizeof OUI_CSV - 1));
    close(fd);
    CHECK_EQ_INT(vendors_parse(&v, "t.ini", DATA, sizeof DATA - 1, stderr), 0);
    if (v)
        CHECK_EQ_INT(vendors_load_oui(v, path), 0);
    unlink(path);
    return v;
}

static void test_oui_exact_organisation(void)
{
    struct vendors *v = load();
    struct vendors_match m;
    size_t rows;
    if (!v)
        return;
    vendors_count(v, &rows);
    CHECK_EQ_INT(rows, 5);
    CHECK_EQ_STR(vendors_oui_org(v, "08:ed:ed:1f:00:01"), "Someone Else"); /* MA-M inside the MA-L block */
    CHECK_EQ_STR(vendors_oui_org(v, "08:ed:ed:01:02:03"), "Zhejiang Dahua Technology Co., Ltd.");
    CHECK(vendors_match(v, "mac_oui", "08:ed:ed:01:02:03", &m) == 1 && m.covered && !strcmp(m.company, "dahua"));
    /* a different organisation that merely contains "Dahua" is not Dahua */
    CHECK_EQ_STR(vendors_oui_org(v, "ab:cd:ef:00:00:01"), "Shanghai Dahua Scale Factory");
    CHECK_EQ_INT(vendors_match(v, "mac_oui", "ab:cd:ef:00:00:01", &m), 0);
    /* the same name with other case and punctuation is the same organisation */
    CHECK_EQ_INT(vendors_match(v, "mac_oui", "12:34:56:00:00:01", &m), 1);
    CHECK(vendors_oui_org(v, "00:00:00:00:00:01") == NULL);
    CHECK(vendors_oui_org(v, "garbage") == NULL);
    CHECK_EQ_INT(vendors_match(v, "mac_oui", "b8:a4:4f:00:00:01", &m), 0); /* no [oui] entry for Axis here */
    vendors_destroy(&v);
    CHECK(v == NULL);
}

static void test_brand_words(void)
{
    struct vendors *v = load();
    struct vendors_match m;
    if (!v)
        return;
    CHECK(vendors_match(v, "onvif_manufacturer", "IMOU", &m) == 1 && !strcmp(m.company, "dahua") && m.covered);
    CHECK(vendors_match(v, "rtsp_server", "Dahua Rtsp Server/3.0", &m) == 1);
    CHECK_EQ_INT(vendors_match(v, "onvif_manufacturer", "Dahuanet", &m), 0); /* whole words only */
    CHECK_EQ_INT(vendors_match(v, "onvif_manufacturer", "Imouse Ltd", &m), 0);
    CHECK(vendors_match(v, "http_server", "x.hikvision.com", &m) == 1 && strstr(m.what, "fingerprint isapi"));
    CHECK_EQ_INT(vendors_match(v, "onvif_model", "x.hikvision.com", &m), 0); /* fingerprint limited to its signals */
    CHECK(vendors_match(v, "onvif_manufacturer", "ACME", &m) == 1 && m.oem && !m.covered);
    CHECK_EQ_INT(vendors_match(v, "rtsp_server", "ACME", &m), 0); /* OEM labels only on the label */
    CHECK_EQ_INT(vendors_match(v, "onvif_manufacturer", "", &m), 0);
    vendors_destroy(&v);
}

static void parse_errors(const char *text, const char *want)
{
    struct vendors *v = NULL;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    CHECK_EQ_INT(vendors_parse(&v, "bad.ini", text, strlen(text), f), -10 /* NVR_ECONFIG */);
    fclose(f);
    CHECK(v == NULL);
    if (!strstr(out, want))
        fprintf(stderr, "want \"%s\" in:\n%s", want, out);
    CHECK(strstr(out, want) != NULL);
    free(out);
}

static void test_data_file_errors(void)
{
    parse_errors("[company a]\nname = A\nstatus = maybe\nsource = s\n", "bad.ini:3: status must be covered or other");
    parse_errors("[company a]\nname = A\n", "bad.ini:1: [company a] needs status");
    parse_errors("[company a]\nname = A\nstatus = covered\nsource = s\ncolour = red\n",
                 "bad.ini:5: unknown key colour in [company a]");
    parse_errors("[brand X]\ncompany = nope\nsource = s\n", "bad.ini:1: [brand X]: no [company nope]");
    parse_errors("[widget X]\n", "bad.ini:1: unknown section kind \"widget\"");
    parse_errors("[company a]\nname = A\nname = B\nstatus = other\nsource = s\n",
                 "bad.ini:3: duplicate key name (first on line 2)");
    parse_errors("name = A\n", "bad.ini:1: key name outside a section");
    parse_errors("[company a]\nname = A\nstatus = other\nsource = s\n[company a]\n",
                 "bad.ini:5: duplicate section [company a]");
    parse_errors("[company a]\nname = A\nstatus = other\nsource = s\n[fingerprint f]\ncompany = a\nsignals = "
                 "rtsp_server, smell\nmatch = contains:x\nsource = s\n",
                 "bad.ini:7: unknown signal \"smell\"");
    parse_errors("[company a]\nname = A\nstatus = other\nsource = s\n[fingerprint f]\ncompany = a\nsignals = "
                 "rtsp_server\nmatch = regex:x\nsource = s\n",
                 "bad.ini:8: match must be");
    parse_errors("[company a]\nname =\n", "bad.ini:2: name must not be empty");
    parse_errors("[company a\n", "bad.ini:1: section header must be [KIND NAME]");
}

static void obs(struct audit_camera *c, const char *const *kv)
{
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "cam");
    c->probed_us = 1;
    for (; kv[0]; kv += 2)
        audit_camera_add(c, kv[0], kv[1]);
}

static enum audit_verdict verdict(struct vendors *v, const char *const *kv, struct audit_result *r)
{
    struct audit_camera *c = malloc(sizeof *c);
    obs(c, kv);
    audit_classify(v, c, r);
    enum audit_verdict out = r->verdict;
    free(c); /* r borrows from c: only the verdict and copied strings are used after this */
    return out;
}

static void test_verdict_rules(void)
{
    struct vendors *v = load();
    struct audit_result *r = malloc(sizeof *r);
    if (!v || !r)
        goto out;
    /* R1: the label is a covered brand */
    CHECK_EQ_INT(verdict(v, (const char *const[]){"onvif_manufacturer", "Imou", NULL}, r), AUDIT_COVERED);
    CHECK_EQ_STR(r->maker, "Dahua");
    /* R2: another label, covered evidence underneath */
    CHECK_EQ_INT(verdict(v, (const char *const[]){"onvif_manufacturer", "Globex", "mac_oui", "08:ed:ed:00:00:01", NULL},
                         r),
                 AUDIT_WHITE_LABEL);
    CHECK_EQ_STR(r->maker, "Dahua");
    CHECK_EQ_STR(r->label, "Globex");
    /* R2 without a label: covered */
    CHECK_EQ_INT(verdict(v, (const char *const[]){"isapi", "DeviceInfo xmlns=http://www.hikvision.com/ver20", NULL}, r),
                 AUDIT_COVERED);
    CHECK_EQ_STR(r->maker, "Hikvision");
    /* R3: identified, nothing covered */
    CHECK_EQ_INT(verdict(v, (const char *const[]){"onvif_manufacturer", "AXIS", "mac_oui", "b8:a4:4f:00:00:01", NULL}, r),
                 AUDIT_OTHER);
    CHECK_EQ_STR(r->maker, "Axis");
    CHECK_EQ_INT(verdict(v, (const char *const[]){"mac_oui", "ab:cd:ef:00:00:01", NULL}, r), AUDIT_OTHER);
    CHECK_EQ_STR(r->maker, "Shanghai Dahua Scale Factory"); /* identified, but not as Dahua */
    /* an OEM label alone: other, flagged for review */
    CHECK_EQ_INT(verdict(v, (const char *const[]){"onvif_manufacturer", "Acme", NULL}, r), AUDIT_OTHER);
    CHECK_EQ_INT(r->review, 1);
    /* the OEM label with the maker underneath: white label */
    CHECK_EQ_INT(verdict(v, (const char *const[]){"onvif_manufacturer", "Acme", "http_server", "hikvision.com", NULL}, r),
                 AUDIT_WHITE_LABEL);
    /* R4 */
    CHECK_EQ_INT(verdict(v, (const char *const[]){"rtsp_error", "DESCRIBE: connection refused", "http_server", "httpd",
                                                  NULL},
                         r),
                 AUDIT_UNKNOWN);
    CHECK_EQ_INT(verdict(v, (const char *const[]){NULL}, r), AUDIT_UNKNOWN);
    /* informative signals never match: a serial number that spells a brand */
    CHECK_EQ_INT(verdict(v, (const char *const[]){"onvif_serial", "DAHUA-1", NULL}, r), AUDIT_UNKNOWN);
    CHECK_EQ_STR(audit_verdict_name(AUDIT_WHITE_LABEL), "likely_covered_white_label");
out:
    free(r);
    vendors_destroy(&v);
}

static void test_signal_cleaning(void)
{
    struct audit_camera *c = calloc(1, sizeof *c);
    char big[1000];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    audit_camera_add(c, "onvif_manufacturer", "  Evil\x1b[31m\xe2\x80\xae\"x  ");
    audit_camera_add(c, "onvif_model", big);
    audit_camera_add(c, "onvif_firmware", "");
    CHECK_EQ_INT(c->n, 2);
    CHECK_EQ_STR(audit_camera_get(c, "onvif_manufacturer"), "Evil?[31m???\"x");
    CHECK_EQ_INT(strlen(audit_camera_get(c, "onvif_model")), AUDIT_VALUE_MAX - 1);
    for (int i = 0; i < AUDIT_MAX_SIGNALS + 8; i++)
        audit_camera_add(c, "x", "y");
    CHECK_EQ_INT(c->n, AUDIT_MAX_SIGNALS);
    free(c);
}

static void test_store_round_trip(void)
{
    char dir[] = "/tmp/test_audit_store_XXXXXX";
    struct audit_store st = {0}, back = {0};
    struct audit_camera *c = calloc(1, sizeof *c);
    CHECK(mkdtemp(dir) != NULL);
    snprintf(c->id, sizeof c->id, "lobby");
    c->probed_us = 1795000000123456;
    audit_camera_add(c, "onvif_manufacturer", "Quote \" and \\ backslash");
    audit_camera_add(c, "mac_oui", "08:ed:ed:00:00:01");
    CHECK_EQ_INT(audit_store_put(&st, c), 0);
    c->probed_us++;
    CHECK_EQ_INT(audit_store_put(&st, c), 0); /* replaces */
    CHECK_EQ_INT(st.n, 1);
    CHECK_EQ_INT(audit_store_save(dir, &st), 0);
    CHECK_EQ_INT(audit_store_load(dir, &back), 0);
    CHECK_EQ_INT(back.n, 1);
    const struct audit_camera *b = audit_store_get(&back, "lobby");
    CHECK(b && b->probed_us == c->probed_us && b->n == 2);
    if (b)
        CHECK_EQ_STR(audit_camera_get(b, "onvif_manufacturer"), "Quote \" and \\ backslash");
    audit_store_clear(&back);
    /* a file that is not ours is refused, not half-read */
    char path[256];
    snprintf(path, sizeof path, "%s/audit.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"version\":1,\"cameras\":{\"x\":{\"probed_at\":\"yesterday\",\"signals\":[]}}}", f);
    fclose(f);
    CHECK_EQ_INT(audit_store_load(dir, &back), -13 /* NVR_ECORRUPT */);
    CHECK_EQ_INT(back.n, 0);
    unlink(path);
    CHECK_EQ_INT(audit_store_load(dir, &back), 0); /* missing: empty */
    CHECK_EQ_INT(back.n, 0);
    rmdir(dir);
    audit_store_clear(&st);
    free(c);
}

/* A probe that identifies nothing keeps the earlier identification (with a
 * last_probe signal); one that identifies the camera replaces it. */
static void test_store_failed_probe_keeps_identification(void)
{
    struct vendors *v = load();
    struct audit_store st = {0};
    struct audit_camera *c = calloc(1, sizeof *c), *dead = calloc(1, sizeof *dead);
    struct audit_result *r = calloc(1, sizeof *r);
    if (!v || !c || !dead || !r)
        goto out;
    snprintf(c->id, sizeof c->id, "lobby");
    c->probed_us = 1795000000000000;
    audit_camera_add(c, "mac_oui", "08:ed:ed:00:00:01");   /* Dahua's OUI */
    CHECK_EQ_INT(audit_store_put_probe(&st, v, c), 0);
    snprintf(dead->id, sizeof dead->id, "lobby");
    dead->probed_us = 1795000100000000;
    audit_camera_add(dead, "onvif_error", "GetDeviceInformation: connection refused");
    audit_camera_add(dead, "rtsp_error", "connection refused");
    CHECK_EQ_INT(audit_store_put_probe(&st, v, dead), 0);
    const struct audit_camera *b = audit_store_get(&st, "lobby");
    CHECK(b && b->probed_us == c->probed_us && b->n == 2);
    if (!b)
        goto out;
    audit_classify(v, b, r);
    CHECK_EQ_INT(r->verdict, AUDIT_COVERED);
    const char *lp = audit_camera_get(b, "last_probe");
    CHECK(lp && strstr(lp, "nothing identified (onvif_error: GetDeviceInformation: connection refused)"));
    /* a second failure replaces the note, not adds one */
    dead->probed_us += 1000000;
    CHECK_EQ_INT(audit_store_put_probe(&st, v, dead), 0);
    b = audit_store_get(&st, "lobby");
    CHECK(b && b->n == 2 && b->probed_us == c->probed_us);
    /* a camera never identified takes the failed probe as it is */
    snprintf(dead->id, sizeof dead->id, "gym");
    CHECK_EQ_INT(audit_store_put_probe(&st, v, dead), 0);
    b = audit_store_get(&st, "gym");
    CHECK(b && b->probed_us == dead->probed_us && !audit_camera_get(b, "last_probe"));
    /* a probe that identifies the camera replaces the old observation */
    c->probed_us = 1795000200000000;
    c->n = 0;
    audit_camera_add(c, "mac_oui", "b8:a4:4f:00:00:01");   /* Axis */
    CHECK_EQ_INT(audit_store_put_probe(&st, v, c), 0);
    b = audit_store_get(&st, "lobby");
    CHECK(b && b->probed_us == c->probed_us && b->n == 1 && !audit_camera_get(b, "last_probe"));
out:
    audit_store_clear(&st);
    vendors_destroy(&v);
    free(r);
    free(dead);
    free(c);
}

/* CSV cells (lib/base/csv.c, for the audit and access-log downloads): quoted,
 * quotes doubled, and nothing a spreadsheet would evaluate. */
static void test_csv_cells(void)
{
    const char *in[] = {"plain", "say \"hi\"", "=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx",
                        "two\nlines", "", NULL};
    const char *want[] = {"\"plain\"", "\"say \"\"hi\"\"\"", "\"'=HYPERLINK(\"\"http://x\"\")\"", "\"'+1\"", "\"'-2\"",
                          "\"'@SUM(A1)\"", "\"'\tx\"", "\"'\rx\"", "\"two\nlines\"", "\"\"", "\"\""};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        csv_write_cell(f, in[i]);
        fclose(f);
        CHECK_EQ_STR(buf, want[i]);
        free(buf);
    }
}

static void test_shipped_data_file(void)
{
    struct vendors *v = NULL;
    struct vendors_match m;
    CHECK_EQ_INT(vendors_load(&v, NVR_SOURCE_DIR "/data/ndaa-vendors.ini", "/nonexistent/oui.csv", stderr), 0);
    if (!v)
        return;
    CHECK(vendors_count(v, NULL) > 20);
    const char *covered[] = {"Hikvision", "EZVIZ", "HiLook", "HiWatch", "Dahua", "Imou", "Huawei", "ZTE", "Hytera"};
    for (size_t i = 0; i < sizeof covered / sizeof covered[0]; i++) {
        int ok = vendors_match(v, "onvif_manufacturer", covered[i], &m) == 1 && m.covered && m.source && m.source[0];
        if (!ok)
            fprintf(stderr, "shipped data file: %s not covered\n", covered[i]);
        CHECK(ok);
    }
    CHECK(vendors_match(v, "onvif_manufacturer", "AXIS", &m) == 1 && !m.covered);
    /* with Debian's registry (ieee-data, installed by packaging/install-deps.sh), the real OUIs */
    CHECK_EQ_INT(vendors_load_oui(v, VENDORS_DEFAULT_OUI), 0);
    {
        CHECK(vendors_match(v, "mac_oui", "44:47:cc:00:00:01", &m) == 1 && !strcmp(m.company, "hikvision"));
        CHECK(vendors_match(v, "mac_oui", "08:ed:ed:00:00:01", &m) == 1 && !strcmp(m.company, "dahua"));
        CHECK(vendors_match(v, "mac_oui", "b8:a4:4f:00:00:01", &m) == 1 && !m.covered);
        /* the real "Shanghai Dahua Scale Factory" is an MA-M block: found, and not Dahua */
        const char *org = vendors_oui_org(v, "40:2c:76:10:00:01");
        CHECK(org && strcmp(org, "Shanghai Dahua Scale Factory") == 0);
        CHECK_EQ_INT(vendors_match(v, "mac_oui", "40:2c:76:10:00:01", &m), 0);
    }
    vendors_destroy(&v);
}

/* Exposure rules (audit_exposure.c) against the shipped data file: the
 * firmware build date and model patterns of CVE-2017-7921, the approximate
 * CVE-2021-36260 range, default account names only with admin rights,
 * private and public server addresses. */
static void test_exposures(void)
{
    struct vendors *v = NULL;
    CHECK_EQ_INT(vendors_load(&v, NVR_SOURCE_DIR "/data/ndaa-vendors.ini", "/nonexistent/oui.csv", stderr), 0);
    if (!v)
        return;
    CHECK_EQ_INT(vendors_firmware_build("V5.4.0 build 160530"), 160530);
    CHECK_EQ_INT(vendors_firmware_build("V5.4.0 Build 160530"), 160530);
    CHECK_EQ_INT(vendors_firmware_build("V5.4.0"), -1);
    CHECK_EQ_INT(vendors_firmware_build("build 1605301"), -1);
    struct vendors_vuln vu;
    size_t it = 0;
    /* DS-2CD2xx2F-I: builds 140721-160530 (NVD) -- and CVE-2021-36260's approximate range from 2016 */
    CHECK(vendors_vulnerable(v, "hikvision", "DS-2CD2132F-I", "V5.3.0 build 150513", &it, &vu));
    CHECK_EQ_STR(vu.cve, "CVE-2017-7921");
    CHECK(!vendors_vulnerable(v, "hikvision", "DS-2CD2132F-I", "V5.3.0 build 150513", &it, &vu));
    it = 0;
    CHECK(vendors_vulnerable(v, "hikvision", "DS-2CD2132F-I", "V5.4.0 build 160530", &it, &vu));
    CHECK_EQ_STR(vu.cve, "CVE-2017-7921");
    CHECK(vendors_vulnerable(v, "hikvision", "DS-2CD2132F-I", "V5.4.0 build 160530", &it, &vu));
    CHECK_EQ_STR(vu.cve, "CVE-2021-36260");
    CHECK(vu.note != NULL);
    it = 0; /* the day after the range, another series, another company */
    CHECK(!vendors_vulnerable(v, "hikvision", "DS-2CD2132F-I", "V5.2.0 build 140720", &it, &vu));
    it = 0;
    CHECK(!vendors_vulnerable(v, "hikvision", "DS-2CD2132F-I", "V5.7.3 build 210628", &it, &vu));
    it = 0;
    CHECK(!vendors_vulnerable(v, "dahua", "DS-2CD2132F-I", "V5.3.0 build 150513", &it, &vu));
    it = 0;
    CHECK(!vendors_vulnerable(v, "hikvision", "DS-2CD2132F-I", "V5.3.0", &it, &vu));

    CHECK(vendors_default_account(v, "dahua", "888888") != NULL);
    CHECK(vendors_default_account(v, "hikvision", "888888") == NULL);
    CHECK(vendors_default_account(v, "hikvision", "Admin") == NULL);
    CHECK(vendors_default_account(v, "", "admin") == NULL);

    CHECK_EQ_INT(audit_addr_private("10.2.3.4"), 1);
    CHECK_EQ_INT(audit_addr_private("172.31.0.1"), 1);
    CHECK_EQ_INT(audit_addr_private("172.32.0.1"), 0);
    CHECK_EQ_INT(audit_addr_private("100.64.0.1"), 1);
    CHECK_EQ_INT(audit_addr_private("8.8.8.8"), 0);
    CHECK_EQ_INT(audit_addr_private("fd00::1"), 1);
    CHECK_EQ_INT(audit_addr_private("fe80::1"), 1);
    CHECK_EQ_INT(audit_addr_private("2001:4860:4860::8888"), 0);
    CHECK_EQ_INT(audit_addr_private("ntp.example"), -1);

    /* a Hikvision camera whose device says our user is an operator: the name alone is not flagged */
    struct audit_camera *c = calloc(1, sizeof *c);
    struct audit_result *r = calloc(1, sizeof *r);
    struct audit_exposure x[AUDIT_MAX_EXPOSURES];
    audit_camera_add(c, "onvif_manufacturer", "HIKVISION");
    audit_camera_add(c, "account", "admin");
    audit_camera_add(c, "account_level", "Operator (ISAPI /ISAPI/Security/users userLevel)");
    audit_camera_add(c, "onvif_ntp", "manual: 192.168.0.1, ntp.school.local; dhcp: 10.0.0.1");
    audit_camera_add(c, "onvif_dns", "dhcp: 1.1.1.1");
    audit_camera_add(c, "isapi_upnp", "enabled=false");
    audit_classify(v, c, r);
    CHECK_EQ_STR(r->company, "hikvision");
    size_t n = audit_exposures(v, c, r, x, AUDIT_MAX_EXPOSURES);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(x[0].kind, "external_servers");
    CHECK(strstr(x[0].detail, "DNS") && strstr(x[0].detail, "1.1.1.1 (a public address)"));
    /* as an administrator it is */
    c->n = 0;
    audit_camera_add(c, "onvif_manufacturer", "HIKVISION");
    audit_camera_add(c, "account", "admin");
    audit_camera_add(c, "isapi_upnp", "enabled=true");
    audit_classify(v, c, r);
    n = audit_exposures(v, c, r, x, AUDIT_MAX_EXPOSURES);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(x[0].kind, "upnp");
    CHECK_EQ_STR(x[1].kind, "default_account");
    free(c);
    free(r);
    vendors_destroy(&v);
}

int main(void)
{
    RUN(test_oui_exact_organisation);
    RUN(test_brand_words);
    RUN(test_data_file_errors);
    RUN(test_verdict_rules);
    RUN(test_signal_cleaning);
    RUN(test_store_round_trip);
    RUN(test_store_failed_probe_keeps_identification);
    RUN(test_csv_cells);
    RUN(test_shipped_data_file);
    RUN(test_exposures);
    return check_summary();
}
