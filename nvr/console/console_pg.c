/* SPDX-License-Identifier: Apache-2.0 */
/* console_pg.c - a pool of catalog connections for the HTTP threads
 * (console_int.h). */
#include "console/console_int.h"

#include "base/log.h"
#include "base/url.h"

#include <stdlib.h>
#include <string.h>

struct console_pg {
    char *url;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int size, open; /* at most size connections, open of them made */
    PGconn **idle;
    int nidle;
};

nvr_err console_pg_create(struct console_pg **out, const char *url, int size)
{
    struct console_pg *p = calloc(1, sizeof *p);
    if (!p || !(p->url = strdup(url)) || !(p->idle = calloc((size_t)size, sizeof *p->idle))) {
        if (p)
            free(p->url);
        free(p);
        return NVR_ENOMEM;
    }
    p->size = size;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    *out = p;
    return NVR_OK;
}

void console_pg_destroy(struct console_pg **pp)
{
    struct console_pg *p = *pp;
    if (!p)
        return;
    for (int i = 0; i < p->nidle; i++)
        PQfinish(p->idle[i]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->idle);
    free(p->url);
    free(p);
    *pp = NULL;
}

/* A connection: an idle one (*reused 1), or a new one; NULL when the
 * catalog cannot be reached. */
static PGconn *take(struct console_pg *p, int *reused)
{
    pthread_mutex_lock(&p->mu);
    while (p->nidle == 0 && p->open >= p->size)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->nidle > 0) {
        PGconn *c = p->idle[--p->nidle];
        pthread_mutex_unlock(&p->mu);
        *reused = 1;
        return c;
    }
    p->open++;
    pthread_mutex_unlock(&p->mu);
    *reused = 0;
    const char *keys[] = {"dbname", "connect_timeout", "application_name", "options", "keepalives_idle", NULL};
    const char *vals[] = {p->url, "5", "nvr-console", "-c statement_timeout=10000", "30", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (c && PQstatus(c) == CONNECTION_OK)
        return c;
    char safe[300];
    nvr_url_redact_text(c ? PQerrorMessage(c) : "out of memory", safe, sizeof safe);
    safe[strcspn(safe, "\r\n")] = '\0';
    nvr_log(NVR_WARN, NULL, "console: cannot connect to the catalog: %s", safe);
    PQfinish(c);
    pthread_mutex_lock(&p->mu);
    p->open--;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Returns c to the pool, or closes it when it is broken, and then the idle
 * ones too (a catalog that restarted broke them all). */
static void give(struct console_pg *p, PGconn *c)
{
    PGconn *drop[64];
    int ndrop = 0;
    pthread_mutex_lock(&p->mu);
    if (PQstatus(c) == CONNECTION_OK && p->nidle < p->size) {
        p->idle[p->nidle++] = c;
        c = NULL;
    } else {
        p->open--;
        while (p->nidle > 0 && ndrop < 64) {
            drop[ndrop++] = p->idle[--p->nidle];
            p->open--;
        }
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    PQfinish(c);
    for (int i = 0; i < ndrop; i++)
        PQfinish(drop[i]);
}

nvr_err console_pg_exec(struct console_pg *p, const char *sql, int n, const char *const *params, PGresult **res)
{
    if (res)
        *res = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        int reused = 0;
        PGconn *c = take(p, &reused);
        if (!c)
            return NVR_ECONN;
        PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
            give(p, c);
            if (res)
                *res = r;
            else
                PQclear(r);
            return NVR_OK;
        }
        int broken = PQstatus(c) != CONNECTION_OK;
        if (!broken || !reused) {
            char safe[300];
            nvr_url_redact_text(r ? PQresultErrorMessage(r) : PQerrorMessage(c), safe, sizeof safe);
            safe[strcspn(safe, "\r\n")] = '\0';
            nvr_log(NVR_WARN, NULL, "console: catalog statement failed: %s", safe);
        }
        PQclear(r);
        give(p, c);
        if (!broken)
            return NVR_EIO;
        if (!reused)
            return NVR_ECONN;
    }
    return NVR_ECONN;
}

nvr_err console_pg_count(struct console_pg *p, const char *sql, int n, const char *const *params, long long *out)
{
    PGresult *res;
    *out = 0;
    nvr_err rc = console_pg_exec(p, sql, n, params, &res);
    if (rc)
        return rc;
    if (PQntuples(res) == 1 && PQnfields(res) >= 1)
        *out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    else
        rc = NVR_EIO;
    PQclear(res);
    return rc;
}
