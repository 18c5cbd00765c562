/* SPDX-License-Identifier: Apache-2.0 */
/* catalog_dir.c - the mirror of the district's people: LISTEN, read,
 * replace (catalog_dir.h). */
#include "catalog/catalog_dir.h"
#include "catalog/catalog_schema.h"

#include "base/clock.h"
#include "base/config.h"
#include "base/log.h"
#include "core/auth.h"
#include "core/nvr.h"
#include "storage/storage.h"
#include "storage/users.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 5000      /* the version is read at least this often */
#define RETRY_MAX_MS 5000 /* after a failure: 1 s doubling to this */
#define REFRESH_EVERY_US 1000000LL
#define REFRESH_WAIT_US 2000000LL
#define LOGGED_MAX 4096

struct dir_token {
    uint8_t hash[32];
    char name[INDEX_ID_MAX];
    int64_t expires_us;
};

struct catalog_dir {
    struct nvr *nvr;
    const struct nvr_catalog_config *cfg;
    pthread_t thread;
    int wake[2]; /* the pipe that wakes the thread: stop, refresh */
    /* the thread's */
    PGconn *conn;
    int64_t version;         /* mirrored; -1: none read on this connection */
    char logged[LOGGED_MAX]; /* names not taken over, already logged ("\n"-separated) */
    char failed[256];        /* the failure logged, "" since the last success */
    /* guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a refresh finished */
    int stop, connected;
    uint64_t started, done;   /* refreshes begun, finished (the last begun) */
    int wanted;               /* an asker waits for a refresh not begun yet */
    uint64_t target;          /* the refresh the askers wait for (started + 1 when wanted) */
    int64_t last_served_us;   /* monotonic: when a refresh last began with wanted set */
    int waiters, waiters_max; /* askers waiting now; at most this many (half the HTTP threads) */
    struct dir_token *tokens;
    size_t ntokens;
    struct catalog_dir_stats stats;
};

int catalog_dir_map_grant(const char *site, const char *what, char *out, size_t outlen)
{
    size_t sl = strlen(site);
    const char *g = NULL;
    if (strcmp(what, "*") == 0 || (strncmp(what, "site:", 5) == 0 && strcmp(what + 5, site) == 0))
        g = "*";
    else if (strncmp(what, site, sl) == 0 && what[sl] == '.' && what[sl + 1])
        g = what + sl + 1;
    else if (strncmp(what, "group:", 6) == 0 && what[6])
        g = what;
    if (!g || strlen(g) >= outlen || strlen(g) >= USER_GRANT_LEN)
        return 0;
    snprintf(out, outlen, "%s", g);
    return 1;
}

static void wake(struct catalog_dir *d)
{
    char c = 1;
    ssize_t n = write(d->wake[1], &c, 1); /* a full pipe is already a wake-up */
    (void)n;
}

static void failure(struct catalog_dir *d, const char *err)
{
    if (!d->failed[0]) /* once an outage: the next line is the one saying it is over */
        nvr_log(NVR_WARN, NULL, "catalog: directory mirror: %s (keeping the last copy; retrying)", err);
    snprintf(d->failed, sizeof d->failed, "%s", err[0] ? err : "failed");
    if (d->conn && PQstatus(d->conn) != CONNECTION_OK) {
        PQfinish(d->conn);
        d->conn = NULL;
    }
    pthread_mutex_lock(&d->mu);
    d->stats.connected = d->connected = 0;
    pthread_mutex_unlock(&d->mu);
}

/* A connection that LISTENs, or NULL with err. */
static PGconn *connect_dir(struct catalog_dir *d, char *err, size_t errlen)
{
    const char *keys[] = {"dbname", "connect_timeout", "application_name", "options", "keepalives_idle", NULL};
    const char *vals[] = {d->cfg->url, "5", "nvr-directory", "-c statement_timeout=10000", "30", NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        catalog_pq_error(conn, NULL, "cannot connect", err, errlen);
        PQfinish(conn);
        return NULL;
    }
    /* the publisher may not have made the tables yet: migrating is idempotent and locked */
    if (catalog_schema_migrate(conn, err, errlen) ||
        catalog_exec(conn, "LISTEN nvr_directory", 0, NULL, NULL, "listen", err, errlen)) {
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* The "\x..." of a bytea in text form, 32 bytes, into out; 0 if it is one. */
static int hash_of(const char *hex, uint8_t out[32])
{
    size_t n = 0;
    return strlen(hex) == 64 && sodium_hex2bin(out, 32, hex, 64, NULL, &n, NULL) == 0 && n == 32 ? 0 : -1;
}

/* The users (not disabled) of res with their grants from gres, mapped onto
 * this site: a new array.  Both are ordered by name bytewise (COLLATE "C"),
 * so one walk pairs them. */
static struct user *read_users(struct catalog_dir *d, PGresult *res, PGresult *gres, size_t *n)
{
    int nu = PQntuples(res), ng = PQntuples(gres), j = 0;
    struct user *v = calloc(nu ? (size_t)nu : 1, sizeof *v);
    *n = 0;
    if (!v)
        return NULL;
    for (int i = 0; i < nu; i++) {
        struct user *u = &v[*n];
        const char *name = PQgetvalue(res, i, 0), *pw = PQgetvalue(res, i, 2);
        while (j < ng && strcmp(PQgetvalue(gres, j, 0), name) < 0) /* a disabled user's */
            j++;
        if (strlen(name) >= sizeof u->name || strlen(pw) >= sizeof u->pwhash ||
            !(u->role = users_role_parse(PQgetvalue(res, i, 1))))
            continue;
        snprintf(u->name, sizeof u->name, "%s", name);
        snprintf(u->pwhash, sizeof u->pwhash, "%s", pw);
        for (; j < ng && strcmp(PQgetvalue(gres, j, 0), name) == 0; j++)
            if (u->ngrants < USER_GRANTS_MAX &&
                catalog_dir_map_grant(d->cfg->site, PQgetvalue(gres, j, 1), u->grants[u->ngrants], sizeof u->grants[0]))
                u->ngrants++;
        (*n)++;
    }
    return v;
}

static struct dir_token *read_tokens(PGresult *res, size_t *n)
{
    int nt = PQntuples(res);
    struct dir_token *t = calloc(nt ? (size_t)nt : 1, sizeof *t);
    *n = 0;
    if (!t)
        return NULL;
    for (int i = 0; i < nt; i++) {
        struct dir_token *k = &t[*n];
        if (hash_of(PQgetvalue(res, i, 0), k->hash) || strlen(PQgetvalue(res, i, 1)) >= sizeof k->name)
            continue;
        snprintf(k->name, sizeof k->name, "%s", PQgetvalue(res, i, 1));
        k->expires_us = strtoll(PQgetvalue(res, i, 2), NULL, 10);
        (*n)++;
    }
    return t;
}

static void skipped(const char *name, void *arg)
{
    struct catalog_dir *d = arg;
    char key[INDEX_ID_MAX + 2];
    snprintf(key, sizeof key, "\n%s\n", name);
    if (strstr(d->logged, key))
        return;
    nvr_log(NVR_WARN, NULL,
            "catalog: user=%s of the district is a local account of another source here: not taken over", name);
    size_t l = strlen(d->logged);
    if (l + strlen(key) < sizeof d->logged)
        snprintf(d->logged + (l ? l - 1 : 0), sizeof d->logged - (l ? l - 1 : 0), "%s", key);
}

/* Replaces the mirror from the results (users, grants, tokens). */
static nvr_err apply(struct catalog_dir *d, PGresult *ures, PGresult *gres, PGresult *tres, char *err, size_t errlen)
{
    size_t nu = 0, nt = 0;
    struct user *v = read_users(d, ures, gres, &nu);
    struct dir_token *t = read_tokens(tres, &nt);
    int removed = 0;
    nvr_err rc = v && t ? NVR_OK : NVR_ENOMEM;
    if (rc == NVR_OK)
        rc = users_replace_catalog(storage_index(d->nvr->st), v, nu, nvr_clock_now_us(), skipped, d, &removed);
    if (rc) {
        snprintf(err, errlen, "cannot store the mirrored users: %s", nvr_strerror(rc));
        free(t);
    } else {
        pthread_mutex_lock(&d->mu);
        sodium_memzero(d->tokens, d->ntokens * sizeof *d->tokens);
        free(d->tokens);
        d->tokens = t;
        d->ntokens = nt;
        d->stats.users = nu;
        d->stats.tokens = nt;
        pthread_mutex_unlock(&d->mu);
        auth_forget_tokens(d->nvr->auth); /* a removed user's cached API tokens (D1) */
        if (removed)
            nvr_log(NVR_INFO, NULL, "catalog: directory mirror removed=%d users=%zu", removed, nu);
    }
    if (v)
        sodium_memzero(v, (nu ? nu : 1) * sizeof *v);
    free(v);
    return rc;
}

/* Reads the three tables whole in one snapshot, with its version. */
static nvr_err load(struct catalog_dir *d, char *err, size_t errlen)
{
    PGresult *vres = NULL, *ures = NULL, *gres = NULL, *tres = NULL;
    char now[32];
    snprintf(now, sizeof now, "%lld", (long long)nvr_clock_now_us());
    const char *p[] = {now};
    nvr_err rc =
        catalog_exec(d->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, "begin", err, errlen);
    if (rc == NVR_OK)
        rc = catalog_exec(d->conn, "SELECT version FROM nvr_directory", 0, NULL, &vres, "directory version", err,
                          errlen);
    if (rc == NVR_OK)
        rc = catalog_exec(d->conn,
                          "SELECT name, role, pwhash FROM nvr_users WHERE NOT disabled ORDER BY name COLLATE \"C\"", 0,
                          NULL, &ures, "users", err, errlen);
    if (rc == NVR_OK)
        rc = catalog_exec(d->conn, "SELECT user_name, what FROM nvr_grants ORDER BY user_name COLLATE \"C\", what", 0,
                          NULL, &gres, "grants", err, errlen);
    if (rc == NVR_OK)
        rc = catalog_exec(d->conn,
                          "SELECT encode(t.hash, 'hex'), t.user_name, t.expires_us FROM nvr_tokens t"
                          " JOIN nvr_users u ON u.name = t.user_name WHERE NOT u.disabled AND t.expires_us > $1",
                          1, p, &tres, "tokens", err, errlen);
    if (rc == NVR_OK)
        rc = catalog_exec(d->conn, "COMMIT", 0, NULL, NULL, "commit", err, errlen);
    else
        PQclear(PQexec(d->conn, "ROLLBACK"));
    if (rc == NVR_OK && PQntuples(vres) == 1) {
        pthread_mutex_lock(&d->mu);
        d->stats.table_reads++;
        pthread_mutex_unlock(&d->mu);
        if ((rc = apply(d, ures, gres, tres, err, errlen)) == NVR_OK)
            d->version = strtoll(PQgetvalue(vres, 0, 0), NULL, 10);
    } else if (rc == NVR_OK) {
        snprintf(err, errlen, "nvr_directory has no row");
        rc = NVR_EIO;
    }
    PQclear(vres);
    PQclear(ures);
    PQclear(gres);
    PQclear(tres);
    return rc;
}

/* Reads the version and, when it moved, the tables. */
static nvr_err check(struct catalog_dir *d, char *err, size_t errlen)
{
    PGresult *res = NULL;
    nvr_err rc =
        catalog_exec(d->conn, "SELECT version FROM nvr_directory", 0, NULL, &res, "directory version", err, errlen);
    pthread_mutex_lock(&d->mu);
    d->stats.version_reads++;
    pthread_mutex_unlock(&d->mu);
    if (rc == NVR_OK && (PQntuples(res) != 1 || strtoll(PQgetvalue(res, 0, 0), NULL, 10) != d->version))
        rc = load(d, err, errlen);
    PQclear(res);
    return rc;
}

/* One refresh: connect if need be, check. 0 on success. */
static int refresh(struct catalog_dir *d)
{
    char err[512] = "";
    pthread_mutex_lock(&d->mu);
    uint64_t gen = ++d->started;
    if (d->wanted) { /* this one serves the askers: the next they get is a second later */
        d->wanted = 0;
        d->last_served_us = nvr_clock_mono_us();
    }
    pthread_mutex_unlock(&d->mu);
    if (!d->conn) {
        d->conn = connect_dir(d, err, sizeof err);
        d->version = -1; /* D2's copy is kept, but re-read on a new connection */
    }
    nvr_err rc = d->conn ? check(d, err, sizeof err) : NVR_ECONN;
    if (rc)
        failure(d, err);
    else if (d->failed[0] || !d->connected) {
        nvr_log(NVR_INFO, NULL, "catalog: directory mirror up to date version=%lld", (long long)d->version);
        d->failed[0] = '\0';
    }
    pthread_mutex_lock(&d->mu);
    if (rc == NVR_OK)
        d->stats.connected = d->connected = 1;
    d->done = gen;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    return rc ? -1 : 0;
}

/* How long the thread may wait: ms, or less when an asker's refresh falls
 * due sooner (one a second at most: REFRESH_EVERY_US). */
static int wait_ms(struct catalog_dir *d, int ms)
{
    pthread_mutex_lock(&d->mu);
    if (d->wanted) {
        int64_t due = (d->last_served_us + REFRESH_EVERY_US - nvr_clock_mono_us() + 999) / 1000;
        ms = due <= 0 ? 0 : due < ms ? (int)due : ms;
    }
    pthread_mutex_unlock(&d->mu);
    return ms;
}

/* Waits for a notification or ms (an asker's wake-up shortens ms: wait_ms);
 * 1 when stopped. */
static int wait_event(struct catalog_dir *d, int ms)
{
    int64_t until = nvr_clock_mono_us() + (int64_t)ms * 1000;
    for (;;) {
        int left = (int)((until - nvr_clock_mono_us()) / 1000), notified = 0;
        left = wait_ms(d, left < 0 ? 0 : left);
        struct pollfd fds[2] = {{.fd = d->wake[0], .events = POLLIN}, {.fd = -1, .events = POLLIN}};
        if (d->conn)
            fds[1].fd = PQsocket(d->conn);
        int n = poll(fds, 2, left);
        if (n < 0 && errno != EINTR)
            n = 0;
        if (n > 0 && fds[0].revents) {
            char buf[64];
            while (read(d->wake[0], buf, sizeof buf) > 0)
                ;
        }
        if (n > 0 && d->conn && fds[1].revents) {
            PGnotify *pn;
            if (!PQconsumeInput(d->conn)) {
                failure(d, "connection lost");
                notified = 1; /* a refresh finds out (and reconnects) */
            }
            while (d->conn && (pn = PQnotifies(d->conn))) {
                PQfreemem(pn);
                notified = 1;
            }
        }
        pthread_mutex_lock(&d->mu);
        int stop = d->stop;
        pthread_mutex_unlock(&d->mu);
        /* a wake-up alone only recomputes the wait: the asker's refresh may not be due */
        if (stop || notified || n == 0)
            return stop;
    }
}

static void *run(void *arg)
{
    struct catalog_dir *d = arg;
    pthread_setname_np(pthread_self(), "nvr-catdir");
    int retry_ms = 1000;
    for (;;) {
        int ok = refresh(d) == 0;
        retry_ms = ok ? 1000 : retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : retry_ms * 2;
        if (wait_event(d, ok ? POLL_MS : retry_ms))
            break;
    }
    PQfinish(d->conn);
    d->conn = NULL;
    return NULL;
}

int catalog_dir_token(struct catalog_dir *d, const uint8_t hash[32], char name[INDEX_ID_MAX], int64_t *expires_us)
{
    int asked = 0;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        for (size_t i = 0; i < d->ntokens; i++)
            if (sodium_memcmp(d->tokens[i].hash, hash, 32) == 0) {
                snprintf(name, INDEX_ID_MAX, "%s", d->tokens[i].name);
                *expires_us = d->tokens[i].expires_us;
                pthread_mutex_unlock(&d->mu);
                return 1;
            }
        if (asked || !d->connected || d->stop || d->waiters >= d->waiters_max)
            break;
        /* a miss: the askers share one refresh not begun yet (single-flight),
         * which the thread runs at most once a second (D3; catalog_dir.h) */
        if (!d->wanted) {
            d->wanted = 1;
            d->target = d->started + 1;
            d->stats.refresh_requests++;
            wake(d);
        }
        uint64_t target = d->target;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += REFRESH_WAIT_US / 1000000;
        d->waiters++;
        while (d->done < target && !d->stop && pthread_cond_timedwait(&d->cv, &d->mu, &until) == 0)
            ;
        d->waiters--;
        asked = 1;
    }
    pthread_mutex_unlock(&d->mu);
    return 0;
}

static nvr_err dir_token(void *ctx, const uint8_t hash[32], char name[INDEX_ID_MAX], int64_t *expires_us)
{
    return catalog_dir_token(ctx, hash, name, expires_us) ? NVR_OK : NVR_ENOTFOUND;
}

void catalog_dir_stats(struct catalog_dir *d, struct catalog_dir_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    *out = d->stats;
    pthread_mutex_unlock(&d->mu);
}

static void destroy(struct catalog_dir *d)
{
    if (d->wake[0] >= 0)
        close(d->wake[0]);
    if (d->wake[1] >= 0)
        close(d->wake[1]);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    if (d->tokens)
        sodium_memzero(d->tokens, d->ntokens * sizeof *d->tokens);
    free(d->tokens);
    free(d);
}

nvr_err catalog_dir_start(struct catalog_dir **out, struct nvr *nvr)
{
    *out = NULL;
    if (!nvr->cfg->catalog.url)
        return NVR_OK;
    struct catalog_dir *d = calloc(1, sizeof *d);
    if (!d)
        return NVR_ENOMEM;
    d->nvr = nvr;
    d->cfg = &nvr->cfg->catalog;
    d->version = -1;
    d->wake[0] = d->wake[1] = -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&d->mu, NULL);
    d->last_served_us = nvr_clock_mono_us() - REFRESH_EVERY_US;
    /* askers that may wait at once: half the HTTP threads (their count as
     * http_server_default_threads: one per CPU, 2 to 16), so made-up tokens
     * never hold them all */
    long nt = nvr->cfg->http_threads ? nvr->cfg->http_threads : sysconf(_SC_NPROCESSORS_ONLN);
    nt = nt < 2 ? 2 : nt > 16 && !nvr->cfg->http_threads ? 16 : nt;
    d->waiters_max = (int)(nt / 2);
    if (pipe2(d->wake, O_CLOEXEC | O_NONBLOCK) != 0 || pthread_create(&d->thread, NULL, run, d) != 0) {
        destroy(d);
        return NVR_ENOMEM;
    }
    struct auth_directory ad = {.token = dir_token, .ctx = d};
    auth_set_directory(nvr->auth, &ad);
    *out = d;
    return NVR_OK;
}

void catalog_dir_stop(struct catalog_dir **dp)
{
    struct catalog_dir *d = dp ? *dp : NULL;
    if (!d)
        return;
    auth_set_directory(d->nvr->auth, NULL);
    pthread_mutex_lock(&d->mu);
    d->stop = 1;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    wake(d);
    pthread_join(d->thread, NULL);
    destroy(d);
    *dp = NULL;
}
