/* SPDX-License-Identifier: Apache-2.0 */
/* catalog_schema.c - the catalog's tables and migrations (catalog_schema.h). */
#include "catalog/catalog_schema.h"

#include "base/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The advisory lock that serialises migrations between recorders ("nvrcatlg"). */
#define SCHEMA_LOCK "7885462863421023847"

static const char *const migrations[] = {
    /* 1: sites (one row per recorder), their cameras and state, and each
     * camera's coverage as runs of continuous footage (not fragments) */
    "CREATE TABLE nvr_sites ("
    "  name text PRIMARY KEY,"
    "  version text NOT NULL,"
    "  started_us bigint NOT NULL,"
    "  last_seen_us bigint NOT NULL"
    ");"
    "CREATE TABLE nvr_cameras ("
    "  site text NOT NULL REFERENCES nvr_sites(name) ON DELETE CASCADE,"
    "  id text NOT NULL,"
    "  name text NOT NULL,"
    "  status text NOT NULL,"
    "  codec text NOT NULL,"
    "  width integer NOT NULL,"
    "  height integer NOT NULL,"
    "  last_error text NOT NULL,"
    "  oldest_us bigint,"
    "  updated_us bigint NOT NULL,"
    "  PRIMARY KEY (site, id)"
    ");"
    "CREATE TABLE nvr_coverage ("
    "  site text NOT NULL,"
    "  camera text NOT NULL,"
    "  start_us bigint NOT NULL,"
    "  end_us bigint NOT NULL CHECK (end_us >= start_us),"
    "  PRIMARY KEY (site, camera, start_us),"
    "  FOREIGN KEY (site, camera) REFERENCES nvr_cameras(site, id) ON DELETE CASCADE"
    ");"
    "CREATE INDEX nvr_coverage_end ON nvr_coverage(site, camera, end_us);",
    /* 2: what a district office watches besides footage: each site's holds,
     * its alert incidents, its storage dirs' health, and its NDAA audit
     * report (the recorder's GET /api/v1/audit document) */
    "ALTER TABLE nvr_sites ADD COLUMN audit jsonb;"
    "CREATE TABLE nvr_holds ("
    "  site text NOT NULL REFERENCES nvr_sites(name) ON DELETE CASCADE,"
    "  id bigint NOT NULL,"
    "  cameras text[] NOT NULL,"
    "  start_us bigint NOT NULL,"
    "  end_us bigint NOT NULL,"
    "  case_id text NOT NULL,"
    "  reason text NOT NULL,"
    "  created_by text NOT NULL,"
    "  created_us bigint NOT NULL,"
    "  released_by text,"
    "  released_us bigint,"
    "  PRIMARY KEY (site, id)"
    ");"
    "CREATE TABLE nvr_alerts ("
    "  site text NOT NULL REFERENCES nvr_sites(name) ON DELETE CASCADE,"
    "  id bigint NOT NULL,"
    "  kind text NOT NULL,"
    "  camera text NOT NULL,"
    "  severity text NOT NULL,"
    "  state text NOT NULL,"
    "  title text NOT NULL,"
    "  detail text NOT NULL,"
    "  opened_us bigint NOT NULL,"
    "  updated_us bigint NOT NULL,"
    "  resolved_us bigint,"
    "  PRIMARY KEY (site, id)"
    ");"
    "CREATE INDEX nvr_alerts_state ON nvr_alerts(state, severity);"
    "CREATE TABLE nvr_storage ("
    "  site text NOT NULL REFERENCES nvr_sites(name) ON DELETE CASCADE,"
    "  dir_id bigint NOT NULL,"
    "  path text NOT NULL,"
    "  state text NOT NULL,"
    "  writable boolean NOT NULL,"
    "  reason text NOT NULL,"
    "  fs_size bigint NOT NULL,"
    "  fs_avail bigint NOT NULL,"
    "  smart text NOT NULL,"
    "  updated_us bigint NOT NULL,"
    "  PRIMARY KEY (site, dir_id)"
    ");",
    /* 3: the district's people (issue 17 item 2, docs/design/catalog.md
     * "People"): users with a role, their grants, and the sign-ins the
     * console issued (sessions and API tokens, as the SHA-256 of the secret).
     * Every change bumps nvr_directory.version and is announced on the
     * channel nvr_directory, which recorders LISTEN on to mirror it.  A site
     * also says where the console reaches it (url) and which certificate it
     * presents there (tls_pin, curl's "sha256//BASE64" of its public key; the console pins it). */
    "ALTER TABLE nvr_sites ADD COLUMN url text;"
    "ALTER TABLE nvr_sites ADD COLUMN tls_pin text;"
    "CREATE TABLE nvr_users ("
    "  name text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 63),"
    "  role text NOT NULL CHECK (role IN ('viewer', 'investigator', 'admin')),"
    "  pwhash text NOT NULL,"
    "  disabled boolean NOT NULL DEFAULT false,"
    "  created_us bigint NOT NULL,"
    "  updated_us bigint NOT NULL"
    ");"
    "CREATE TABLE nvr_grants ("
    "  user_name text NOT NULL REFERENCES nvr_users(name) ON DELETE CASCADE ON UPDATE CASCADE,"
    "  what text NOT NULL CHECK (length(what) BETWEEN 1 AND 140),"
    "  PRIMARY KEY (user_name, what)"
    ");"
    "CREATE TABLE nvr_tokens ("
    "  hash bytea PRIMARY KEY CHECK (length(hash) = 32),"
    "  user_name text NOT NULL REFERENCES nvr_users(name) ON DELETE CASCADE ON UPDATE CASCADE,"
    "  kind text NOT NULL CHECK (kind IN ('session', 'api')),"
    "  label text NOT NULL DEFAULT '',"
    "  created_us bigint NOT NULL,"
    "  expires_us bigint NOT NULL"
    ");"
    "CREATE INDEX nvr_tokens_user ON nvr_tokens(user_name);"
    "CREATE TABLE nvr_directory (version bigint NOT NULL);"
    "INSERT INTO nvr_directory VALUES (0);"
    "CREATE FUNCTION nvr_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$"
    "  BEGIN"
    "    UPDATE nvr_directory SET version = version + 1;"
    "    PERFORM pg_notify('nvr_directory', '');"
    "    RETURN NULL;"
    "  END $$;"
    "CREATE TRIGGER nvr_users_changed AFTER INSERT OR UPDATE OR DELETE ON nvr_users"
    "  FOR EACH STATEMENT EXECUTE FUNCTION nvr_directory_changed();"
    "CREATE TRIGGER nvr_grants_changed AFTER INSERT OR UPDATE OR DELETE ON nvr_grants"
    "  FOR EACH STATEMENT EXECUTE FUNCTION nvr_directory_changed();"
    "CREATE TRIGGER nvr_tokens_changed AFTER INSERT OR UPDATE OR DELETE ON nvr_tokens"
    "  FOR EACH STATEMENT EXECUTE FUNCTION nvr_directory_changed();",
    /* 4: each camera's group (its config's `group`, NULL: none), so that the
     * console honours "group:G" grants as recorders do (a group is
     * district-wide: G at two sites is one group) */
    "ALTER TABLE nvr_cameras ADD COLUMN group_name text;",
};

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int catalog_schema_latest(void)
{
    return NMIGRATIONS;
}

void catalog_pq_error(PGconn *conn, const PGresult *res, const char *what, char *err, size_t errlen)
{
    char one[512];
    const char *m = res ? PQresultErrorMessage(res) : NULL;
    if (!m || !*m)
        m = conn ? PQerrorMessage(conn) : "out of memory";
    snprintf(one, sizeof one, "%s", m && *m ? m : "unknown error");
    for (char *q = one; *q; q++)
        if (*q == '\n' || *q == '\r' || *q == '\t')
            *q = ' ';
    size_t n = strlen(one);
    while (n && one[n - 1] == ' ')
        one[--n] = '\0';
    char safe[600];
    nvr_url_redact_text(one, safe, sizeof safe);
    snprintf(err, errlen, "%s: %s", what, safe);
}

nvr_err catalog_exec(PGconn *conn, const char *sql, int nparams, const char *const *params, PGresult **res,
                     const char *what, char *err, size_t errlen)
{
    PGresult *r = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
        catalog_pq_error(conn, r, what, err, errlen);
        PQclear(r);
        return NVR_EIO;
    }
    if (res)
        *res = r;
    else
        PQclear(r);
    return NVR_OK;
}

/* Runs sql (no parameters); NVR_OK or NVR_EIO with the reason in err. */
static nvr_err exec(PGconn *conn, const char *sql, const char *what, char *err, size_t errlen)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    nvr_err rc = (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) ? NVR_OK : NVR_EIO;
    if (rc)
        catalog_pq_error(conn, res, what, err, errlen);
    PQclear(res);
    return rc;
}

/* The schema's version (0: a new catalog); -1 with err on failure. */
static int version(PGconn *conn, char *err, size_t errlen)
{
    PGresult *res = PQexec(conn, "SELECT version FROM nvr_schema");
    int v = -1;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK)
        v = PQntuples(res) ? atoi(PQgetvalue(res, 0, 0)) : 0;
    else
        catalog_pq_error(conn, res, "schema version", err, errlen);
    PQclear(res);
    return v;
}

nvr_err catalog_schema_migrate(PGconn *conn, char *err, size_t errlen)
{
    char sql[64];
    nvr_err rc;
    int v;
    if ((rc = exec(conn, "BEGIN", "begin", err, errlen)))
        return rc;
    if ((rc = exec(conn,
                   "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ");"
                   "CREATE TABLE IF NOT EXISTS nvr_schema (version integer NOT NULL)",
                   "schema lock", err, errlen)))
        goto out;
    if ((v = version(conn, err, errlen)) < 0) {
        rc = NVR_EIO;
        goto out;
    }
    if (v > NMIGRATIONS) {
        snprintf(err, errlen, "the catalog's schema is version %d, newer than this nvr knows (%d): upgrade nvr", v,
                 NMIGRATIONS);
        rc = NVR_EINVAL;
        goto out;
    }
    for (int i = v; i < NMIGRATIONS && rc == NVR_OK; i++)
        rc = exec(conn, migrations[i], "schema migration", err, errlen);
    if (rc == NVR_OK && v < NMIGRATIONS) {
        snprintf(sql, sizeof sql, v ? "UPDATE nvr_schema SET version = %d" : "INSERT INTO nvr_schema VALUES (%d)",
                 NMIGRATIONS);
        rc = exec(conn, sql, "schema version", err, errlen);
    }
out:
    if (rc == NVR_OK)
        return exec(conn, "COMMIT", "commit", err, errlen);
    PQclear(PQexec(conn, "ROLLBACK"));
    return rc;
}
