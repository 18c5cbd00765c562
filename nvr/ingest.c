/*
 * ingest.c - picks the implementation of ingest.h for a camera and forwards
 * to it.
 *
 *   transport = tcp   the project's RTSP reader (ingest_rtsp.c)
 *   transport = udp   libavformat (ingest_libav.c)
 *   transport = auto  the RTSP reader first; libavformat over UDP when the
 *                     camera refuses interleaved TCP or speaks RTSP the reader
 *                     does not understand -- not after an authentication
 *                     failure, a timeout or a refused connection, where UDP
 *                     cannot do better.
 * The environment variable NVR_RTSP_READER=libav puts libavformat in the
 * reader's place (TCP too): a diagnostic switch to compare the two, read at
 * each connection.
 */
#include "ingest.h"

#include "ingest_libav.h"
#include "ingest_rtsp.h"
#include "nvr/base/err.h"
#include "nvr/base/log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ingest {
    struct ingest_rtsp *rtsp;   /* exactly one of the two is set */
    struct ingest_libav *lav;
};

static int use_reader(const struct ingest_opts *o)
{
    const char *env = getenv("NVR_RTSP_READER");
    return strncasecmp(o->url, "rtsp://", 7) == 0 && !(env && strcmp(env, "libav") == 0);
}

int ingest_open(struct ingest **out, const struct ingest_opts *o, char *why, size_t whylen)
{
    int rc;
    struct ingest *in = calloc(1, sizeof *in);
    *out = NULL;
    if (!in)
        return NVR_ENOMEM;
    if (o->transport == NVR_TRANSPORT_UDP) {
        rc = ingest_libav_open(&in->lav, o, "udp", why, whylen);
    } else {
        rc = use_reader(o) ? ingest_rtsp_open(&in->rtsp, o, why, whylen)
                           : ingest_libav_open(&in->lav, o, "tcp", why, whylen);
        if (rc && o->transport == NVR_TRANSPORT_AUTO && rc != NVR_EAUTH && rc != NVR_ESTOPPED &&
            rc != NVR_ETIMEDOUT && rc != NVR_ECONN && rc != NVR_ENOMEM) {
            nvr_log(NVR_INFO, o->camera, "tcp refused, trying udp reason=\"%s\"", why);
            rc = ingest_libav_open(&in->lav, o, "udp", why, whylen);
        }
    }
    if (rc) {
        free(in);
        return rc;
    }
    *out = in;
    return NVR_OK;
}

const struct ingest_info *ingest_get_info(const struct ingest *in)
{
    return in->rtsp ? ingest_rtsp_get_info(in->rtsp) : ingest_libav_get_info(in->lav);
}

int ingest_read(struct ingest *in, AVPacket *pkt, struct ingest_meta *meta, char *why, size_t whylen)
{
    return in->rtsp ? ingest_rtsp_read(in->rtsp, pkt, meta, why, whylen)
                    : ingest_libav_read(in->lav, pkt, meta, why, whylen);
}

uint64_t ingest_bytes(const struct ingest *in)
{
    return in->rtsp ? ingest_rtsp_bytes(in->rtsp) : ingest_libav_bytes(in->lav);
}

void ingest_close(struct ingest **inp)
{
    struct ingest *in = *inp;
    if (!in)
        return;
    ingest_rtsp_close(&in->rtsp);
    ingest_libav_close(&in->lav);
    free(in);
    *inp = NULL;
}
