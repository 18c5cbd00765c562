/* SPDX-License-Identifier: Apache-2.0 */
/*
 * onvif_events.h - the ONVIF Events service, as far as motion needs it
 * (docs/design/motion.md, "ONVIF motion events"): find the service
 * (GetCapabilities(Events), else GetServices), CreatePullPointSubscription,
 * PullMessages (a long poll bounded by its Timeout), Renew, Unsubscribe;
 * and the two motion topics read out of the notifications:
 *   tns1:RuleEngine/CellMotionDetector/Motion   Data SimpleItem IsMotion
 *   tns1:VideoSource/MotionAlarm                Data SimpleItem State
 * (any namespace prefix; other topics are skipped).
 *
 * As for the rest of the client, only the configured host and port are
 * contacted: an XAddr or subscription address the device gives keeps its
 * path only.  Calls carry WS-Addressing Action and To headers (PullPoint
 * subscriptions of several makers need them) and WS-Security when the
 * client has a user.  ReferenceParameters are not echoed back.
 *
 * Threads: as onvif.h (the client's thread).
 */
#ifndef NVR_ONVIF_EVENTS_H
#define NVR_ONVIF_EVENTS_H

#include "base/err.h"
#include "onvif/onvif.h"

#include <stddef.h>
#include <stdint.h>

#define ONVIF_PULL_MAX 32 /* MessageLimit of one PullMessages */

enum onvif_motion_topic { ONVIF_CELL_MOTION = 1, ONVIF_MOTION_ALARM = 2 };

struct onvif_motion_msg {
    enum onvif_motion_topic topic;
    int motion;                  /* 1: moving (IsMotion / State true), 0: still */
    int initialized;             /* PropertyOperation="Initialized": the state when subscribing */
    int64_t utc_us;              /* the message's UtcTime on the camera's clock; 0 if absent or unreadable */
    char source[ONVIF_TEXT_MAX]; /* the Source items "Name=Value,..." (which video source or rule) */
};

struct onvif_pullpoint {
    char url[ONVIF_URI_MAX]; /* the subscription's address (our host, the device's path) */
    int64_t current_us;      /* the device's CurrentTime in its last answer, 0 if none */
    int64_t termination_us;  /* its TerminationTime, 0 if none */
};

/* The Events service URL into out (cap bytes). */
nvr_err onvif_events_url(struct onvif_client *c, char *out, size_t cap);

/* A PullPoint subscription on the events service, ending term_s seconds
 * from now unless renewed. */
nvr_err onvif_pullpoint_create(struct onvif_client *c, const char *events_url, int term_s, struct onvif_pullpoint *pp);

/* Waits up to timeout_s seconds for notifications; the motion ones (at most
 * max) go to msgs, *n of them. */
nvr_err onvif_pullpoint_pull(struct onvif_client *c, struct onvif_pullpoint *pp, int timeout_s,
                             struct onvif_motion_msg *msgs, int max, int *n);

nvr_err onvif_pullpoint_renew(struct onvif_client *c, struct onvif_pullpoint *pp, int term_s);
nvr_err onvif_pullpoint_unsubscribe(struct onvif_client *c, struct onvif_pullpoint *pp);

/* The motion notifications of a PullMessagesResponse document buf[0..len)
 * (a whole SOAP envelope), for tests and fuzzing.  *current_us: its
 * CurrentTime (0 if none). */
nvr_err onvif_pull_parse(const char *buf, size_t len, struct onvif_motion_msg *msgs, int max, int *n,
                         int64_t *current_us);

/* An xsd:dateTime ("2026-12-03T14:55:01.25Z", an offset or none: UTC) in
 * microseconds since the epoch; -1 if it is not one. */
int onvif_parse_datetime(const char *s, int64_t *out_us);

#endif
