/* SPDX-License-Identifier: Apache-2.0 */
/*
 * audit_contain.c - containment rules for covered and exposed cameras
 * (see audit.h, "containment"; docs/guide/compliance.md): which cameras,
 * at which address, and the rules that let only the recorder (and the
 * hosts an admin allows) reach them and stop them starting any connection,
 * as nftables, iptables-restore input or a plain table for switch ACLs.
 *
 * Every address written into a rule is an IPv4 or IPv6 literal that
 * inet_pton accepted and inet_ntop wrote back, and every camera id is
 * written only after checking it holds no character outside
 * [A-Za-z0-9_.-]: nothing a device or a request says reaches the rule text.
 */
#include "audit/audit.h"

#include "base/clock.h"
#include "onvif/netprobe.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int audit_contain_addr(const char *in, char out[AUDIT_ADDR_MAX], int *v6)
{
    unsigned char a[16];
    char buf[AUDIT_ADDR_MAX];
    if (!in || strlen(in) >= sizeof buf)
        return -1;
    snprintf(buf, sizeof buf, "%s", in);
    if (buf[0] == '[' && buf[strlen(buf) - 1] == ']') {
        memmove(buf, buf + 1, strlen(buf));
        buf[strlen(buf) - 1] = '\0';
    }
    if (inet_pton(AF_INET, buf, a) == 1) {
        *v6 = 0;
        return inet_ntop(AF_INET, a, out, AUDIT_ADDR_MAX) ? 0 : -1;
    }
    if (inet_pton(AF_INET6, buf, a) == 1) {
        *v6 = 1;
        return inet_ntop(AF_INET6, a, out, AUDIT_ADDR_MAX) ? 0 : -1;
    }
    return -1;
}

/* The camera's address: its URL's host as a literal, else its first
 * address from the resolver (the name the recorder records it by). */
static int camera_addr(const char *url, char out[AUDIT_ADDR_MAX], int *v6)
{
    char u[2048], user[256], pass[256], host[256];
    int rc = -1;
    if (netprobe_url_split(url, u, sizeof u, user, sizeof user, pass, sizeof pass, host, sizeof host))
        return -1;
    memset(pass, 0, sizeof pass);
    if (audit_contain_addr(host, out, v6) == 0)
        return 0;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) == 0 && res) {
        char b[AUDIT_ADDR_MAX];
        const void *p = res->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr
                                                  : (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr;
        if (inet_ntop(res->ai_family, p, b, sizeof b))
            rc = audit_contain_addr(b, out, v6);
    }
    if (res)
        freeaddrinfo(res);
    return rc;
}

static int safe_id(const char *id)
{
    return id[0] && strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(id);
}

int audit_contain_targets(const struct vendors *v, const struct nvr_config *cfg, const struct audit_store *st,
                          struct audit_contain *out)
{
    struct audit_exposure *x = malloc(AUDIT_MAX_EXPOSURES * sizeof *x);
    struct audit_result *r = malloc(sizeof *r);
    struct audit_camera none = {0};
    memset(out, 0, sizeof *out);
    if (!x || !r || (cfg->ncameras && !(out->t = calloc(cfg->ncameras, sizeof *out->t)))) {
        free(x);
        free(r);
        return -1;
    }
    for (size_t i = 0; i < cfg->ncameras; i++) {
        const struct nvr_camera_config *cam = &cfg->cameras[i];
        const struct audit_camera *obs = audit_store_get(st, cam->id);
        audit_classify(v, obs ? obs : &none, r);
        size_t nx = audit_exposures(v, obs ? obs : &none, r, x, AUDIT_MAX_EXPOSURES);
        int covered = r->verdict == AUDIT_COVERED || r->verdict == AUDIT_WHITE_LABEL;
        if ((!covered && !nx) || !safe_id(cam->id))
            continue;
        struct audit_contain_target *t = &out->t[out->n++];
        snprintf(t->id, sizeof t->id, "%s", cam->id);
        snprintf(t->verdict, sizeof t->verdict, "%s", audit_verdict_name(r->verdict));
        size_t o = 0;
        for (size_t k = 0; k < nx && o + 1 < sizeof t->why; k++) {
            if (strstr(t->why, x[k].kind))
                continue; /* once per kind */
            int w = snprintf(t->why + o, sizeof t->why - o, "%s%s", o ? " " : "", x[k].kind);
            o = w < 0 || (size_t)w >= sizeof t->why - o ? sizeof t->why - 1 : o + (size_t)w;
        }
        if (camera_addr(cam->url, t->addr, &t->v6))
            t->addr[0] = '\0';
    }
    free(x);
    free(r);
    return 0;
}

void audit_contain_clear(struct audit_contain *c)
{
    free(c->t);
    memset(c, 0, sizeof *c);
}

int audit_contain_local_addr(const char *peer, char out[AUDIT_ADDR_MAX])
{
    int v6;
    char a[AUDIT_ADDR_MAX];
    if (audit_contain_addr(peer, a, &v6))
        return -1;
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(9);
        inet_pton(AF_INET6, a, &s6->sin6_addr);
        sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(9);
        inet_pton(AF_INET, a, &s4->sin_addr);
        sl = sizeof *s4;
    }
    /* a UDP connect sends nothing: it only asks the kernel for the route */
    int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;
    if (fd < 0)
        return -1;
    struct sockaddr_storage me;
    socklen_t ml = sizeof me;
    if (connect(fd, (struct sockaddr *)&ss, sl) == 0 && getsockname(fd, (struct sockaddr *)&me, &ml) == 0) {
        const void *p = me.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&me)->sin_addr
                                                : (const void *)&((struct sockaddr_in6 *)&me)->sin6_addr;
        rc = inet_ntop(me.ss_family, p, out, AUDIT_ADDR_MAX) ? 0 : -1;
    }
    close(fd);
    return rc;
}

const char *audit_firewall_name(enum audit_firewall f)
{
    return f == AUDIT_FW_NFT ? "nft" : f == AUDIT_FW_IPTABLES ? "iptables" : "table";
}

int audit_firewall_parse(const char *s, enum audit_firewall *f)
{
    for (int i = 0; i < 3; i++)
        if (s && strcmp(s, audit_firewall_name((enum audit_firewall)i)) == 0) {
            *f = (enum audit_firewall)i;
            return 0;
        }
    return -1;
}

/* The allowed sources of one family: the recorder's address(es) and the
 * --allow hosts, as validated literals. */
static size_t allowed(const struct audit_contain *c, const struct audit_contain_opts *o, int fam6,
                      char list[][AUDIT_ADDR_MAX], size_t cap)
{
    size_t n = 0;
    const char *srcs[AUDIT_MAX_ALLOW + 2];
    size_t ns = 0;
    char auto_addr[AUDIT_ADDR_MAX];
    if (o->recorder)
        srcs[ns++] = o->recorder;
    else /* the address this machine reaches the first camera of this family from */
        for (size_t i = 0; i < c->n; i++)
            if (c->t[i].addr[0] && c->t[i].v6 == fam6) {
                if (audit_contain_local_addr(c->t[i].addr, auto_addr) == 0)
                    srcs[ns++] = auto_addr;
                break;
            }
    for (size_t i = 0; i < o->nallow && ns < AUDIT_MAX_ALLOW + 2; i++)
        srcs[ns++] = o->allow[i];
    for (size_t i = 0; i < ns && n < cap; i++) {
        int v6;
        char a[AUDIT_ADDR_MAX];
        if (audit_contain_addr(srcs[i], a, &v6) == 0 && v6 == fam6) {
            int dup = 0;
            for (size_t k = 0; k < n; k++)
                dup |= strcmp(list[k], a) == 0;
            if (!dup)
                snprintf(list[n++], AUDIT_ADDR_MAX, "%s", a);
        }
    }
    return n;
}

static void header(FILE *f, const struct audit_contain *c, const struct audit_contain_opts *o, const char *cm)
{
    char when[NVR_TIME_BUFSZ];
    nvr_clock_format_rfc3339(o->now_us, when);
    fprintf(f,
            "%s nvr containment rules (%s), generated %s by nvr audit --firewall %s\n"
            "%s Only the recorder%s may reach the cameras below; the cameras may start no connection.\n"
            "%s Load them on the router or firewall that forwards the cameras' traffic (their own VLAN or\n"
            "%s subnet); traffic inside one switch never reaches it: use the table format for switch ACLs.\n"
            "%s A camera that needs NTP or DNS from a site server needs that server allowed (--allow).\n"
            "%s See docs/guide/compliance.md.\n",
            cm, audit_firewall_name(o->format), when, audit_firewall_name(o->format), cm,
            o->nallow ? " and the allowed hosts" : "", cm, cm, cm, cm);
    for (size_t i = 0; i < c->n; i++)
        fprintf(f, "%s camera %s %s: %s%s%s\n", cm, c->t[i].id, c->t[i].addr[0] ? c->t[i].addr : "(no address)",
                c->t[i].verdict, c->t[i].why[0] ? "; " : "", c->t[i].why);
}

static void nft_set(FILE *f, const char *name, const char *type, char list[][AUDIT_ADDR_MAX], size_t n)
{
    fprintf(f, "\tset %s {\n\t\ttype %s\n", name, type);
    if (n) {
        fputs("\t\telements = { ", f);
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s%s", i ? ", " : "", list[i]);
        fputs(" }\n", f);
    }
    fputs("\t}\n", f);
}

int audit_contain_write(FILE *f, const struct audit_contain *c, const struct audit_contain_opts *o)
{
    char(*cam4)[AUDIT_ADDR_MAX] = calloc(c->n + 1, AUDIT_ADDR_MAX),
    (*cam6)[AUDIT_ADDR_MAX] = calloc(c->n + 1, AUDIT_ADDR_MAX);
    char ok4[AUDIT_MAX_ALLOW + 2][AUDIT_ADDR_MAX], ok6[AUDIT_MAX_ALLOW + 2][AUDIT_ADDR_MAX];
    size_t n4 = 0, n6 = 0;
    if (!cam4 || !cam6) {
        free(cam4);
        free(cam6);
        return -1;
    }
    for (size_t i = 0; i < c->n; i++) {
        int dup = 0;
        for (size_t k = 0; k < i; k++)
            dup |= strcmp(c->t[k].addr, c->t[i].addr) == 0;
        if (c->t[i].addr[0] && !dup) /* (two cameras behind one address: one element) */
            snprintf(c->t[i].v6 ? cam6[n6++] : cam4[n4++], AUDIT_ADDR_MAX, "%s", c->t[i].addr);
    }
    size_t a4 = allowed(c, o, 0, ok4, AUDIT_MAX_ALLOW + 2), a6 = allowed(c, o, 1, ok6, AUDIT_MAX_ALLOW + 2);

    if (o->format == AUDIT_FW_TABLE) {
        char when[NVR_TIME_BUFSZ];
        nvr_clock_format_rfc3339(o->now_us, when);
        fprintf(f,
                "# nvr containment table, generated %s: one line per contained camera.\n"
                "# Permit inbound only from the allowed sources; deny every connection the camera starts.\n"
                "camera\taddress\tverdict\texposure\tallow_inbound_from\toutbound\n",
                when);
        for (size_t i = 0; i < c->n; i++) {
            const struct audit_contain_target *t = &c->t[i];
            fprintf(f, "%s\t%s\t%s\t%s\t", t->id, t->addr[0] ? t->addr : "(unresolved)", t->verdict,
                    t->why[0] ? t->why : "-");
            size_t na = t->v6 ? a6 : a4;
            for (size_t k = 0; k < na; k++)
                fprintf(f, "%s%s", k ? "," : "", t->v6 ? ok6[k] : ok4[k]);
            fputs(na ? "\tdeny (replies to allowed sources only)\n" : "-\tdeny (replies to allowed sources only)\n", f);
        }
    } else if (o->format == AUDIT_FW_NFT) {
        header(f, c, o, "#");
        /* replace an earlier copy of the table: create it if absent, delete, define */
        fputs("table inet nvr_containment\ndelete table inet nvr_containment\ntable inet nvr_containment {\n", f);
        nft_set(f, "cameras4", "ipv4_addr", cam4, n4);
        nft_set(f, "allowed4", "ipv4_addr", ok4, a4);
        nft_set(f, "cameras6", "ipv6_addr", cam6, n6);
        nft_set(f, "allowed6", "ipv6_addr", ok6, a6);
        fputs("\tchain forward {\n"
              "\t\ttype filter hook forward priority filter - 10; policy accept;\n"
              "\t\tip saddr @allowed4 ip daddr @cameras4 accept\n"
              "\t\tip saddr @cameras4 ip daddr @allowed4 ct state established,related accept\n"
              "\t\tip daddr @cameras4 counter drop comment \"nvr: only the recorder reaches a contained camera\"\n"
              "\t\tip saddr @cameras4 counter drop comment \"nvr: a contained camera starts no connection\"\n"
              "\t\tip6 saddr @allowed6 ip6 daddr @cameras6 accept\n"
              "\t\tip6 saddr @cameras6 ip6 daddr @allowed6 ct state established,related accept\n"
              "\t\tip6 daddr @cameras6 counter drop comment \"nvr: only the recorder reaches a contained camera\"\n"
              "\t\tip6 saddr @cameras6 counter drop comment \"nvr: a contained camera starts no connection\"\n"
              "\t}\n}\n",
              f);
    } else {
        header(f, c, o, "#");
        fputs("# iptables-restore --noflush FILE (and ip6tables-restore --noflush for the IPv6 part)\n", f);
        for (int fam6 = 0; fam6 < 2; fam6++) {
            size_t nc = fam6 ? n6 : n4, na = fam6 ? a6 : a4;
            char(*cams)[AUDIT_ADDR_MAX] = fam6 ? cam6 : cam4;
            char(*ok)[AUDIT_ADDR_MAX] = fam6 ? ok6 : ok4;
            if (!nc)
                continue;
            fprintf(f, "%s*filter\n:NVR-CONTAIN - [0:0]\n-I FORWARD 1 -j NVR-CONTAIN\n",
                    fam6 ? "# ---- ip6tables-restore --noflush ----\n" : "");
            for (size_t i = 0; i < nc; i++) {
                for (size_t k = 0; k < na; k++)
                    fprintf(f,
                            "-A NVR-CONTAIN -s %s -d %s -j ACCEPT\n"
                            "-A NVR-CONTAIN -s %s -d %s -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n",
                            ok[k], cams[i], cams[i], ok[k]);
                fprintf(f, "-A NVR-CONTAIN -d %s -j DROP\n-A NVR-CONTAIN -s %s -j DROP\n", cams[i], cams[i]);
            }
            fputs("COMMIT\n", f);
        }
    }
    free(cam4);
    free(cam6);
    return 0;
}
