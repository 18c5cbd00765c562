/* SPDX-License-Identifier: Apache-2.0 */
/*
 * onvif.h - a minimal ONVIF client: the device facts a recorder needs, read
 * over SOAP 1.2 (HTTP POST) with WS-Security UsernameToken PasswordDigest,
 * falling back to HTTP digest authentication when the device answers 401.
 *
 * Calls: GetSystemDateAndTime (first, unauthenticated, so the WS-Security
 * Created time can follow the camera's clock), GetDeviceInformation,
 * GetNetworkInterfaces, GetCapabilities(Media) + GetProfiles + GetStreamUri.
 * Only the configured host and port are ever contacted: a Media XAddr the
 * device advertises contributes its path only.  Replies are capped at
 * ONVIF_MAX_REPLY bytes and parsed by safexml (no DTD, no network, depth
 * cap); every string kept is cleaned to printable ASCII and length-capped.
 *
 * Threads: an onvif_client belongs to the thread that created it.
 */
#ifndef NVR_ONVIF_H
#define NVR_ONVIF_H

#include "base/err.h"
#include <stddef.h>
#include <stdint.h>

#define ONVIF_MAX_REPLY (1024 * 1024)
#define ONVIF_TEXT_MAX 128
#define ONVIF_URI_MAX 512

struct onvif_info {
    int info_err; /* result of each call: 0 or a negative nvr_err */
    char manufacturer[ONVIF_TEXT_MAX];
    char model[ONVIF_TEXT_MAX];
    char firmware[ONVIF_TEXT_MAX];
    char serial[ONVIF_TEXT_MAX];
    char hardware_id[ONVIF_TEXT_MAX];
    int net_err;
    char mac[18]; /* "aa:bb:cc:dd:ee:ff", first interface with one */
    int streams_err;
    char main_uri[ONVIF_URI_MAX]; /* first profile's RTSP URI, as the device gave it */
    char sub_uri[ONVIF_URI_MAX];  /* second profile's, "" if only one */
    int time_err;
    int64_t clock_offset_us;      /* camera UTC minus our UTC (valid if time_err == 0) */
    int servers_err;              /* GetNTP / GetDNS: 0 if either answered */
    char ntp[ONVIF_TEXT_MAX * 2]; /* "FROM: a, b" -- FROM manual or dhcp; "" if none */
    char dns[ONVIF_TEXT_MAX * 2];
    int open_info; /* GetDeviceInformation answered a request without credentials */
};

struct onvif_client;

/* device_url: "http://host[:port]/onvif/device_service" (no credentials);
 * user may be NULL or "" for none.  Strings are copied.  *out owns the
 * client; free with onvif_client_destroy. */
nvr_err onvif_client_create(struct onvif_client **out, const char *device_url, const char *user, const char *password,
                            int timeout_ms);
void onvif_client_destroy(struct onvif_client **c);

/* A flag (borrowed; NULL: none) that, once set, aborts the client's calls
 * in progress and to come with NVR_ESTOPPED (netprobe.h). */
void onvif_client_set_cancel(struct onvif_client *c, const _Atomic int *cancel);

/* Each fills its part of *info and returns 0 or a negative nvr_err
 * (NVR_EAUTH for refused credentials, NVR_EINVAL for a reply that is
 * malformed, hostile or a SOAP fault, NVR_ECONN / NVR_ETIMEDOUT). */
nvr_err onvif_get_system_date_and_time(struct onvif_client *c, struct onvif_info *info);
nvr_err onvif_get_device_information(struct onvif_client *c, struct onvif_info *info);
nvr_err onvif_get_network_interfaces(struct onvif_client *c, struct onvif_info *info);
nvr_err onvif_get_stream_uris(struct onvif_client *c, struct onvif_info *info);
/* GetNTP and GetDNS (ONVIF Core, device service): the servers the device
 * uses, manual and from DHCP, into info->ntp / info->dns. */
int onvif_get_servers(struct onvif_client *c, struct onvif_info *info);
/* GetDeviceInformation without any credentials (no WS-Security, no HTTP
 * digest): sets info->open_info when the device answers it anyway (ONVIF
 * Core puts GetDeviceInformation in READ_SYSTEM, which needs
 * authentication by default). */
nvr_err onvif_check_open(struct onvif_client *c, struct onvif_info *info);

/* The four calls above (and, for a client with a user, GetNTP/GetDNS and
 * the open check); the per-call results are in info.  Returns 0 if at least
 * one succeeded, else the first failure. */
int onvif_query(struct onvif_client *c, struct onvif_info *info);

/* WS-Security PasswordDigest = Base64(SHA-1(nonce + created + password)),
 * written NUL-terminated to out (29 bytes). */
void onvif_wsse_digest(const unsigned char *nonce, size_t nonce_len, const char *created, const char *password,
                       char out[29]);

#endif
