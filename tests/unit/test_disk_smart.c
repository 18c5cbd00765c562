/* SPDX-License-Identifier: Apache-2.0 */
/* test_disk_smart.c - smartctl --json documents into a disk's health
 * (storage/disk_smart.c), and finding the disk of a directory.  The
 * documents follow smartctl 7.3's JSON format (json_format_version 1.0); the
 * "Unable to detect device type" one is smartctl's answer on a virtio disk,
 * captured on the development machine. */
#include "base/err.h"
#include "storage/disk_smart.h"

#include "check.h"

#include <string.h>
#include <sys/vfs.h>

#define TMPFS_MAGIC_ 0x01021994

static const char ata_ok[] =
    "{\"json_format_version\":[1,0],\"smartctl\":{\"version\":[7,3],\"exit_status\":0},"
    "\"device\":{\"name\":\"/dev/sda\",\"info_name\":\"/dev/sda [SAT]\",\"type\":\"sat\",\"protocol\":\"ATA\"},"
    "\"model_name\":\"WDC WD80PURZ-85YNPY0\",\"smart_status\":{\"passed\":true},"
    "\"ata_smart_attributes\":{\"revision\":16,\"table\":["
    "{\"id\":1,\"name\":\"Raw_Read_Error_Rate\",\"value\":200,\"raw\":{\"value\":0,\"string\":\"0\"}},"
    "{\"id\":5,\"name\":\"Reallocated_Sector_Ct\",\"value\":200,\"raw\":{\"value\":8,\"string\":\"8\"}},"
    "{\"id\":194,\"name\":\"Temperature_Celsius\",\"value\":115,\"raw\":{\"value\":37,\"string\":\"37\"}},"
    "{\"id\":197,\"name\":\"Current_Pending_Sector\",\"value\":200,\"raw\":{\"value\":0,\"string\":\"0\"}},"
    "{\"id\":198,\"name\":\"Offline_Uncorrectable\",\"value\":100,\"raw\":{\"value\":0,\"string\":\"0\"}}]},"
    "\"power_on_time\":{\"hours\":26118},\"temperature\":{\"current\":37}}";

static const char ata_failing[] =
    "{\"json_format_version\":[1,0],\"smartctl\":{\"version\":[7,3],\"exit_status\":8},"
    "\"smart_status\":{\"passed\":false},\"ata_smart_attributes\":{\"table\":["
    "{\"id\":197,\"name\":\"Current_Pending_Sector\",\"raw\":{\"value\":24,\"string\":\"24\"}},"
    "{\"id\":198,\"name\":\"Offline_Uncorrectable\",\"raw\":{\"value\":3,\"string\":\"3\"}}]}}";

static const char nvme_ok[] =
    "{\"json_format_version\":[1,0],\"smartctl\":{\"version\":[7,3],\"exit_status\":0},"
    "\"device\":{\"name\":\"/dev/nvme0\",\"type\":\"nvme\",\"protocol\":\"NVMe\"},\"smart_status\":{\"passed\":true},"
    "\"nvme_smart_health_information_log\":{\"critical_warning\":0,\"temperature\":41,\"percentage_used\":3,"
    "\"power_on_hours\":5120,\"media_errors\":0},\"temperature\":{\"current\":41},\"power_on_time\":{\"hours\":5120}}";

static const char virtio[] =
    "{\"json_format_version\":[1,0],\"smartctl\":{\"version\":[7,3],\"svn_revision\":\"5338\","
    "\"argv\":[\"smartctl\",\"--json=c\",\"-H\",\"-A\",\"-i\",\"/dev/vda\"],\"messages\":[{\"string\":\"/dev/vda: "
    "Unable to detect device type\",\"severity\":\"error\"}],\"exit_status\":1},"
    "\"local_time\":{\"time_t\":1796300187,\"asctime\":\"Thu Dec  3 12:16:27 2026 UTC\"}}";

static void test_ata(void)
{
    struct disk_smart s = {0};
    CHECK_EQ_INT(disk_smart_parse(ata_ok, strlen(ata_ok), &s), NVR_OK);
    CHECK(s.available && s.passed);
    CHECK_EQ_INT(s.temperature_c, 37);
    CHECK_EQ_INT(s.power_on_hours, 26118);
    CHECK_EQ_INT(s.reallocated, 8);
    CHECK_EQ_INT(s.pending, 0);
    CHECK_EQ_INT(s.uncorrectable, 0);
    CHECK_EQ_INT(s.media_errors, -1); /* not an NVMe disk */
    CHECK_EQ_STR(s.message, "");

    CHECK_EQ_INT(disk_smart_parse(ata_failing, strlen(ata_failing), &s), NVR_OK);
    CHECK(s.available && !s.passed);
    CHECK_EQ_INT(s.pending, 24);
    CHECK_EQ_INT(s.uncorrectable, 3);
    CHECK_EQ_INT(s.reallocated, -1); /* the disk does not report it */
    CHECK_EQ_INT(s.temperature_c, -1);
}

static void test_nvme(void)
{
    struct disk_smart s = {0};
    CHECK_EQ_INT(disk_smart_parse(nvme_ok, strlen(nvme_ok), &s), NVR_OK);
    CHECK(s.available && s.passed);
    CHECK_EQ_INT(s.media_errors, 0);
    CHECK_EQ_INT(s.percentage_used, 3);
    CHECK_EQ_INT(s.power_on_hours, 5120);
    CHECK_EQ_INT(s.reallocated, -1);
}

static void test_no_smart(void)
{
    struct disk_smart s = {0};
    CHECK_EQ_INT(disk_smart_parse(virtio, strlen(virtio), &s), NVR_ENOTFOUND);
    CHECK(!s.available);
    CHECK_EQ_STR(s.message, "no SMART: /dev/vda: Unable to detect device type");
    CHECK_EQ_INT(disk_smart_parse("not json", 8, &s), NVR_EINVAL);
    CHECK(!s.available && strstr(s.message, "no JSON"));
}

/* A tmpfs has no disk: the reading says so instead of guessing one. */
static void test_device(void)
{
    struct statfs fs;
    char dev[64], why[200];
    if (statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC_) {
        CHECK_EQ_INT(disk_smart_device("/dev/shm", dev, sizeof dev, why, sizeof why), NVR_ENOTFOUND);
        CHECK(strstr(why, "not on a block device") != NULL);
        struct disk_smart s;
        CHECK(disk_smart_read("/dev/shm", 5, &s) != NVR_OK);
        CHECK(!s.available && s.device[0] == '\0' && strstr(s.message, "not on a block device") && s.checked_us > 0);
    }
    CHECK(disk_smart_device("/nonexistent-dir", dev, sizeof dev, why, sizeof why) != NVR_OK);
}

int main(void)
{
    RUN(test_ata);
    RUN(test_nvme);
    RUN(test_no_smart);
    RUN(test_device);
    return check_summary();
}
