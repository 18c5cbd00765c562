/* SPDX-License-Identifier: Apache-2.0 */
/*
 * index.c - the SQLite catalog (see index.h for tables, invariants, threads).
 *
 * Migrations are numbered SQL scripts; PRAGMA user_version holds the number
 * of the last one applied, and each is applied in its own transaction, so an
 * interrupted upgrade leaves the file at the previous version.
 */
#include "storage/index.h"
#include "storage/index_priv.h"

#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE cameras ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  first_seen_us INTEGER NOT NULL"
    ");"
    "CREATE TABLE segments ("
    "  id INTEGER PRIMARY KEY,"
    "  camera TEXT NOT NULL REFERENCES cameras(id),"
    "  session INTEGER NOT NULL,"
    "  start_us INTEGER NOT NULL,"
    "  end_us INTEGER NOT NULL CHECK (end_us >= start_us),"
    "  media_us INTEGER NOT NULL,"
    "  path TEXT NOT NULL UNIQUE,"
    "  bytes INTEGER NOT NULL,"
    "  init_bytes INTEGER NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  video_codec TEXT NOT NULL,"
    "  width INTEGER NOT NULL,"
    "  height INTEGER NOT NULL,"
    "  frames INTEGER NOT NULL,"
    "  audio_codec TEXT NOT NULL,"
    "  fragments BLOB NOT NULL,"
    "  sha256 BLOB"
    ");"
    "CREATE INDEX segments_camera_start ON segments(camera, start_us);"
    "CREATE INDEX segments_state ON segments(state) WHERE state != 0;"
    "CREATE TABLE garbage ("
    "  path TEXT PRIMARY KEY"
    ");",
    /* 2: media time of each segment's first frame, for HLS without discontinuities */
    "ALTER TABLE segments ADD COLUMN media_start_us INTEGER NOT NULL DEFAULT 0;",
    /* 3: retention and evidence holds: per-camera usage kept by triggers (so
     * the limits are checked without summing millions of rows), a start-time
     * index for "oldest first over all cameras", and the holds */
    "ALTER TABLE cameras ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE cameras ADD COLUMN media_us INTEGER NOT NULL DEFAULT 0;"
    "UPDATE cameras SET"
    "  bytes = COALESCE((SELECT SUM(s.bytes) FROM segments s WHERE s.camera = cameras.id), 0),"
    "  media_us = COALESCE((SELECT SUM(s.media_us) FROM segments s WHERE s.camera = cameras.id), 0);"
    "CREATE TRIGGER segments_usage_insert AFTER INSERT ON segments BEGIN"
    "  UPDATE cameras SET bytes = bytes + NEW.bytes, media_us = media_us + NEW.media_us"
    "  WHERE id = NEW.camera;"
    "END;"
    "CREATE TRIGGER segments_usage_update AFTER UPDATE OF bytes, media_us ON segments BEGIN"
    "  UPDATE cameras SET bytes = bytes + NEW.bytes - OLD.bytes,"
    "  media_us = media_us + NEW.media_us - OLD.media_us WHERE id = NEW.camera;"
    "END;"
    "CREATE TRIGGER segments_usage_delete AFTER DELETE ON segments BEGIN"
    "  UPDATE cameras SET bytes = bytes - OLD.bytes, media_us = media_us - OLD.media_us"
    "  WHERE id = OLD.camera;"
    "END;"
    "CREATE INDEX segments_start ON segments(start_us);"
    "CREATE TABLE holds ("
    "  id INTEGER PRIMARY KEY,"
    "  start_us INTEGER NOT NULL,"
    "  end_us INTEGER NOT NULL CHECK (end_us > start_us),"
    "  case_id TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  created_by TEXT NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  released_by TEXT,"
    "  released_us INTEGER"
    ");"
    "CREATE TABLE hold_cameras ("
    "  hold_id INTEGER NOT NULL REFERENCES holds(id),"
    "  camera TEXT NOT NULL,"
    "  PRIMARY KEY (hold_id, camera)"
    ");"
    "CREATE INDEX hold_cameras_camera ON hold_cameras(camera);",
    /* 4: staff accounts, what each may see, sessions, API tokens, and the
     * hash-chained access log (the disclosure record) */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('admin', 'investigator', 'viewer')),"
    "  pwhash TEXT NOT NULL,"
    "  pw_changed_us INTEGER NOT NULL,"
    "  created_us INTEGER NOT NULL"
    ");"
    "CREATE TABLE user_grants ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  grant_to TEXT NOT NULL,"
    "  PRIMARY KEY (user_id, grant_to)"
    ");"
    "CREATE TABLE sessions ("
    "  token_hash BLOB PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  csrf TEXT NOT NULL,"
    "  address TEXT NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  last_us INTEGER NOT NULL"
    ");"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  token_hash BLOB NOT NULL UNIQUE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  label TEXT NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  revoked_us INTEGER"
    ");"
    "CREATE TABLE access_log ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time_us INTEGER NOT NULL,"
    "  user TEXT NOT NULL,"
    "  address TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  camera TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  prev_hash BLOB NOT NULL,"
    "  hash BLOB NOT NULL"
    ");"
    "CREATE INDEX access_log_time ON access_log(time_us);",
    /* 5: cameras added over the API (the config file's own stay in the file) */
    "CREATE TABLE api_cameras ("
    "  id TEXT PRIMARY KEY,"
    "  ini TEXT NOT NULL,"
    "  updated_us INTEGER NOT NULL"
    ");",
    /* 6: an export protects the footage it reads with a temporary hold, marked
     * by the id of the process running the export (NULL: an evidence hold) */
    "ALTER TABLE holds ADD COLUMN export_pid INTEGER;",
    /* 7: footage labelled by a server clock that later stepped back past it
     * (docs/design/time.md, T6) */
    "ALTER TABLE segments ADD COLUMN clock_suspect INTEGER NOT NULL DEFAULT 0;",
    /* 8: when an API token was last used (NULL: never), listed to admins */
    "ALTER TABLE tokens ADD COLUMN last_used_us INTEGER;",
    /* 9: alerts: incidents, the outbox of notifications not yet delivered, and
     * the engine's own state (docs/design/alerts.md) */
    "CREATE TABLE alerts ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  key TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  camera TEXT NOT NULL,"
    "  severity TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  opened_us INTEGER NOT NULL,"
    "  updated_us INTEGER NOT NULL,"
    "  resolved_us INTEGER,"
    "  acked_us INTEGER,"
    "  acked_by TEXT,"
    "  flaps INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX alerts_state ON alerts(state, id);"
    "CREATE TABLE alert_outbox ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  channel TEXT NOT NULL,"
    "  target TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_us INTEGER NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  last_error TEXT"
    ");"
    "CREATE TABLE alert_meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ");",
    /* 10: several segment directories (docs/design/storage.md, "Several
     * disks"): each known dir by path and the id in its marker file; a
     * segment's path is relative to its dir (0: data_dir) */
    "CREATE TABLE dirs ("
    "  id INTEGER PRIMARY KEY,"
    "  path TEXT NOT NULL UNIQUE,"
    "  uuid TEXT NOT NULL UNIQUE,"
    "  added_us INTEGER NOT NULL"
    ");"
    "ALTER TABLE segments ADD COLUMN dir INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX segments_dir ON segments(dir, start_us);",
    /* 11: the archive tier: the object (s3://bucket/key) holding a segment
     * whose local file was freed, NULL while it is local (storage.md) */
    "ALTER TABLE segments ADD COLUMN archive TEXT;"
    "CREATE INDEX segments_local_end ON segments(end_us) WHERE archive IS NULL;",
    /* 12: the motion index (motion_store.h, docs/design/motion.md): per camera
     * and second the grid cells that moved, and the events; deleted with the
     * footage they describe (a camera's segments never overlap, so the one
     * that could cover a time is the last to start before it; a segment row's
     * deletion, by retention or a
     * repair, takes the motion of its time with it unless another segment
     * still covers it, so held footage keeps its motion; and the motion in
     * the gaps on either side, up to the neighbouring segments, which has no
     * footage: keyframes analysed while the disk could not take them) */
    "CREATE TABLE motion_seconds ("
    "  camera TEXT NOT NULL,"
    "  sec INTEGER NOT NULL,"
    "  cells BLOB NOT NULL,"
    "  PRIMARY KEY (camera, sec)"
    ") WITHOUT ROWID;"
    "CREATE TABLE motion_events ("
    "  id INTEGER PRIMARY KEY,"
    "  camera TEXT NOT NULL,"
    "  start_us INTEGER NOT NULL,"
    "  end_us INTEGER NOT NULL CHECK (end_us >= start_us),"
    "  score INTEGER NOT NULL,"
    "  cells BLOB NOT NULL"
    ");"
    "CREATE INDEX motion_events_camera_start ON motion_events(camera, start_us);"
    "CREATE TRIGGER motion_retire AFTER DELETE ON segments BEGIN"
    "  DELETE FROM motion_seconds WHERE camera = OLD.camera"
    "  AND sec >= COALESCE((SELECT s.end_us FROM segments s WHERE s.camera = OLD.camera"
    "    AND s.start_us < OLD.start_us ORDER BY s.start_us DESC LIMIT 1), -4611686018427387904) / 1000000 - 1"
    "  AND sec <= COALESCE((SELECT s.start_us FROM segments s WHERE s.camera = OLD.camera"
    "    AND s.start_us >= OLD.end_us ORDER BY s.start_us LIMIT 1), OLD.end_us) / 1000000 + 1"
    "  AND NOT COALESCE((SELECT s.end_us > motion_seconds.sec * 1000000 FROM segments s"
    "    WHERE s.camera = OLD.camera AND s.start_us < (motion_seconds.sec + 1) * 1000000"
    "    ORDER BY s.start_us DESC LIMIT 1), 0);"
    "  DELETE FROM motion_events WHERE camera = OLD.camera"
    "  AND start_us >= COALESCE((SELECT s.end_us FROM segments s WHERE s.camera = OLD.camera"
    "    AND s.start_us < OLD.start_us ORDER BY s.start_us DESC LIMIT 1), -4611686018427387904) - 3700000000"
    "  AND start_us <= COALESCE((SELECT s.start_us FROM segments s WHERE s.camera = OLD.camera"
    "    AND s.start_us >= OLD.end_us ORDER BY s.start_us LIMIT 1), OLD.end_us)"
    "  AND NOT COALESCE((SELECT s.end_us >= motion_events.start_us FROM segments s"
    "    WHERE s.camera = OLD.camera AND s.start_us <= motion_events.end_us"
    "    ORDER BY s.start_us DESC LIMIT 1), 0);"
    "END;",
    /* 13: bookmarks (bookmark_store.h, docs/design/playback.md): a note at an
     * instant of a camera, by a user.  A bookmark lives only where footage
     * of its camera does (B1): the same "footage at" test as a new one must
     * pass (the camera's last segment to start before time + 1 s ends after
     * time - 1 s, or is being written); a segment row's deletion takes the
     * bookmarks near it that no longer pass it, so retention removes them
     * with the footage and holds keep them */
    "CREATE TABLE bookmarks ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  camera TEXT NOT NULL,"
    "  time_us INTEGER NOT NULL,"
    "  note TEXT NOT NULL CHECK (length(CAST(note AS BLOB)) <= 500),"
    "  author TEXT NOT NULL,"
    "  created_us INTEGER NOT NULL"
    ");"
    "CREATE INDEX bookmarks_camera_time ON bookmarks(camera, time_us);"
    "CREATE INDEX bookmarks_author ON bookmarks(author);"
    "CREATE TRIGGER bookmarks_retire AFTER DELETE ON segments BEGIN"
    "  DELETE FROM bookmarks WHERE camera = OLD.camera"
    "  AND time_us >= OLD.start_us - 1000000 AND time_us <= OLD.end_us + 1000000"
    "  AND NOT COALESCE((SELECT s.end_us > bookmarks.time_us - 1000000 OR s.state = 1 FROM segments s"
    "    WHERE s.camera = OLD.camera AND s.start_us < bookmarks.time_us + 1000000"
    "    ORDER BY s.start_us DESC LIMIT 1), 0);"
    "END;",
    /* 14: where an account's identity lives (users.h): 'local' (a password
     * hash here), 'ldap' or 'oidc' (a directory vouches for it at every
     * sign-in; pwhash holds "!", which no password verifies, and role and
     * grants are the directory's as of the last sign-in) */
    "ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT 'local'"
    "  CHECK (source IN ('local', 'ldap', 'oidc'));",
    /* 15: TOTP second factor of local accounts (totp_store.h): the secret
     * (readable: a code is checked against it), whether it is confirmed,
     * the last time step accepted (replay), and the single-use recovery
     * codes as SHA-256 */
    "CREATE TABLE user_totp ("
    "  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
    "  secret BLOB NOT NULL CHECK (length(secret) = 20),"
    "  enabled INTEGER NOT NULL DEFAULT 0,"
    "  last_step INTEGER NOT NULL DEFAULT 0,"
    "  created_us INTEGER NOT NULL"
    ");"
    "CREATE TABLE user_recovery_codes ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  code_hash BLOB NOT NULL,"
    "  used_us INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (user_id, code_hash)"
    ");",
    /* 16: users.source may also be 'catalog' (a person of the district's
     * catalog, mirrored by catalog/catalog_dir.h).  SQLite cannot alter a
     * CHECK: the table is rebuilt (foreign keys are off for this one,
     * MIGRATION_FK_OFF, so dropping the old table deletes nothing that
     * points at it; the ids are kept, so those rows point at the new one) */
    "CREATE TABLE users_new ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('admin', 'investigator', 'viewer')),"
    "  pwhash TEXT NOT NULL,"
    "  pw_changed_us INTEGER NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  source TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'ldap', 'oidc', 'catalog'))"
    ");"
    "INSERT INTO users_new(id, name, role, pwhash, pw_changed_us, created_us, source)"
    "  SELECT id, name, role, pwhash, pw_changed_us, created_us, source FROM users;"
    "DROP TABLE users;"
    "ALTER TABLE users_new RENAME TO users;",
};

/* The migration (its number, 1-based) that rebuilds a table others point at. */
#define MIGRATION_FK_OFF 16

#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* The cause of an SQLite I/O error that came without an errno (SQLite's
 * unix VFS keeps it only for some calls; a write that found the disk full
 * is SQLITE_FULL, not this): a file of the index we may not write
 * (immutable, read-only mount, permissions), a full file system, else an
 * I/O error.  Never a guess of "disk full" when there is space. */
static nvr_err diagnose_io(sqlite3 *db)
{
    const char *main = sqlite3_db_filename(db, "main");
    char path[4096];
    struct statvfs vfs;
    if (!main || !*main)
        return NVR_EIO;
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", main, i == 0 ? "" : i == 1 ? "-wal" : "-shm");
        if (access(path, W_OK) != 0 && errno != ENOENT)
            return errno == EROFS ? NVR_EROFS : errno == EACCES || errno == EPERM ? NVR_EACCES : NVR_EIO;
    }
    if (statvfs(main, &vfs) == 0 && vfs.f_bavail == 0)
        return NVR_ENOSPC;
    return NVR_EIO;
}

nvr_err index_sqlite_err(sqlite3 *db)
{
    int code = db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
    int sys = db ? sqlite3_system_errno(db) : 0;
    switch (code & 0xff) {
    case SQLITE_FULL: return NVR_ENOSPC;
    case SQLITE_IOERR:
        /* "disk I/O error": the failed system call's errno says what it was
         * (a full file system, e.g. growing -shm on tmpfs, is a full disk;
         * EIO is an I/O error, EACCES/EROFS a permission); without one,
         * diagnose_io looks */
        if (sys == ENOSPC || sys == EDQUOT)
            return NVR_ENOSPC;
        if (sys == EIO)
            return NVR_EIO;
        if (sys == EACCES || sys == EPERM)
            return NVR_EACCES;
        if (sys == EROFS)
            return NVR_EROFS;
        return sys == 0 ? diagnose_io(db) : NVR_EIO;
    case SQLITE_READONLY: return NVR_EROFS;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return NVR_EDAMAGED;
    case SQLITE_NOMEM: return NVR_ENOMEM;
    default: return NVR_EDB;
    }
}

/* SQLite's message, with the cause said in words when it is a full disk. */
static const char *err_text(sqlite3 *db, int rc, char *buf, size_t n)
{
    const char *msg = db ? sqlite3_errmsg(db) : "out of memory";
    if (rc == NVR_ENOSPC || rc == NVR_EIO || rc == NVR_EACCES || rc == NVR_EROFS)
        snprintf(buf, n, "%s (%s)", rc == NVR_ENOSPC ? "disk full" : nvr_strerror(rc), msg);
    else
        snprintf(buf, n, "%s", msg);
    return buf;
}

nvr_err index_db_err(nvr_index *ix, const char *what)
{
    char buf[256];
    int rc = index_sqlite_err(ix->db);
    nvr_log(NVR_ERROR, NULL, "index error op=%s error=\"%s\"", what, err_text(ix->db, rc, buf, sizeof buf));
    return rc;
}

nvr_err index_exec(nvr_index *ix, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(ix->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = index_sqlite_err(ix->db);
        nvr_log(NVR_ERROR, NULL, "index error sql=\"%.40s\" error=\"%s%s%s\"", sql,
                rc == NVR_ENOSPC ? "disk full (" : "", msg ? msg : "?", rc == NVR_ENOSPC ? ")" : "");
        sqlite3_free(msg);
        return rc;
    }
    return NVR_OK;
}

static nvr_err user_version(nvr_index *ix, int *v)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    if (index_prep(ix, "PRAGMA user_version", &st) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        rc = index_db_err(ix, "user_version");
        goto out;
    }
    *v = sqlite3_column_int(st, 0);
out:
    index_put(ix, st);
    return rc;
}

static nvr_err migrate(nvr_index *ix)
{
    int v = 0, rc = user_version(ix, &v);
    if (rc)
        return rc;
    if (v > NMIGRATIONS) {
        nvr_log(NVR_ERROR, NULL, "index is from a newer nvr schema=%d known=%d", v, NMIGRATIONS);
        return NVR_EDB;
    }
    for (; v < NMIGRATIONS; v++) {
        char setv[64];
        int fk_off = v + 1 == MIGRATION_FK_OFF; /* foreign_keys cannot change inside a transaction */
        snprintf(setv, sizeof setv, "PRAGMA user_version = %d", v + 1);
        if ((fk_off && (rc = index_exec(ix, "PRAGMA foreign_keys=OFF"))) || (rc = index_exec(ix, "BEGIN IMMEDIATE")))
            return rc;
        if ((rc = index_exec(ix, migrations[v])) || (rc = index_exec(ix, setv))) {
            index_exec(ix, "ROLLBACK");
            if (fk_off)
                index_exec(ix, "PRAGMA foreign_keys=ON");
            return rc;
        }
        if ((rc = index_exec(ix, "COMMIT")) || (fk_off && (rc = index_exec(ix, "PRAGMA foreign_keys=ON"))))
            return rc;
        nvr_log(NVR_INFO, NULL, "index migrated schema=%d", v + 1);
    }
    return NVR_OK;
}

nvr_err index_open(nvr_index **out, const char *path)
{
    int rc = NVR_EDB;
    nvr_index *ix = calloc(1, sizeof *ix);
    *out = NULL;
    if (!ix)
        return NVR_ENOMEM;
    pthread_mutex_init(&ix->mu, NULL);
    if (sqlite3_open_v2(path, &ix->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        char buf[256];
        rc = index_sqlite_err(ix->db);
        nvr_log(NVR_ERROR, NULL, "cannot open index path=%s error=\"%s\"", path, err_text(ix->db, rc, buf, sizeof buf));
        goto out;
    }
    sqlite3_busy_timeout(ix->db, 10000);
    if ((rc = index_exec(ix, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")))
        goto out;
    if ((rc = migrate(ix)))
        goto out;
    *out = ix;
    ix = NULL;
out:
    index_close(&ix);
    return rc;
}

void index_close(nvr_index **ixp)
{
    nvr_index *ix = *ixp;
    if (!ix)
        return;
    index_cache_clear(ix); /* C4: a statement left open would keep the connection */
    sqlite3_close(ix->db);
    pthread_mutex_destroy(&ix->mu);
    free(ix);
    *ixp = NULL;
}

int index_schema_version(nvr_index *ix)
{
    int v = -1;
    pthread_mutex_lock(&ix->mu);
    user_version(ix, &v);
    pthread_mutex_unlock(&ix->mu);
    return v;
}

nvr_err index_camera_upsert(nvr_index *ix, const char *id, const char *name)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    pthread_mutex_lock(&ix->mu);
    if (index_prep(ix,
                   "INSERT INTO cameras(id, name, first_seen_us) VALUES (?1, ?2, "
                   "CAST(strftime('%s','now') AS INTEGER) * 1000000) "
                   "ON CONFLICT(id) DO UPDATE SET name = excluded.name",
                   &st) != SQLITE_OK) {
        rc = index_db_err(ix, "camera_upsert");
        goto out;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = index_db_err(ix, "camera_upsert");
out:
    index_put(ix, st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

/* Binds the packed fragment table as parameter i. */
static nvr_err bind_frags(sqlite3_stmt *st, int i, const struct fragment_list *l)
{
    size_t len = l->n * FRAGMENTS_RECORD_SIZE;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return NVR_ENOMEM;
    fragments_pack(l, buf);
    sqlite3_bind_blob(st, i, buf, (int)len, free);
    return NVR_OK;
}

static nvr_err last_end_locked(nvr_index *ix, const char *camera, int64_t *end_us, int64_t *media_end_us)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    *end_us = INT64_MIN;
    if (media_end_us)
        *media_end_us = 0;
    if (index_prep(ix,
                   "SELECT end_us, media_start_us + media_us FROM segments WHERE camera = ?1 "
                   "ORDER BY start_us DESC LIMIT 1",
                   &st) != SQLITE_OK) {
        rc = index_db_err(ix, "last_end");
        goto out;
    }
    sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        *end_us = sqlite3_column_int64(st, 0);
        if (media_end_us)
            *media_end_us = sqlite3_column_int64(st, 1);
    } else if (s != SQLITE_DONE) {
        rc = index_db_err(ix, "last_end");
    }
out:
    index_put(ix, st);
    return rc;
}

/* Binds a segment row's columns as ?1..?15 of both INSERTs below (camera,
 * session, start, end, media, path, bytes, init bytes, codec, size, frames,
 * audio codec, fragments, media start). */
static nvr_err bind_segment(sqlite3_stmt *st, const struct index_segment *seg)
{
    sqlite3_bind_text(st, 1, seg->camera, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seg->session);
    sqlite3_bind_int64(st, 3, seg->start_us);
    sqlite3_bind_int64(st, 4, seg->end_us);
    sqlite3_bind_int64(st, 5, seg->media_us);
    sqlite3_bind_text(st, 6, seg->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)seg->bytes);
    sqlite3_bind_int64(st, 8, seg->init_bytes);
    sqlite3_bind_text(st, 9, seg->video_codec, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, seg->width);
    sqlite3_bind_int(st, 11, seg->height);
    sqlite3_bind_int64(st, 12, seg->frames);
    sqlite3_bind_text(st, 13, seg->audio_codec, -1, SQLITE_STATIC);
    int rc = bind_frags(st, 14, &seg->frags);
    sqlite3_bind_int64(st, 15, seg->media_start_us);
    return rc;
}

/* I1 on insert: the end of the camera's segment that starts last at or
 * before start_us (INT64_MIN if none).  A new segment fits if it starts at
 * or after it: normally that is the newest segment; after a step back of
 * the server clock (time.md, T6), one before the clock_suspect ones. */
static nvr_err prev_end_locked(nvr_index *ix, const char *camera, int64_t start_us, int64_t *end_us)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    *end_us = INT64_MIN;
    if (index_prep(ix,
                   "SELECT end_us FROM segments WHERE camera = ?1 AND start_us <= ?2 "
                   "ORDER BY start_us DESC LIMIT 1",
                   &st) != SQLITE_OK) {
        rc = index_db_err(ix, "prev_end");
        goto out;
    }
    sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, start_us);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        *end_us = sqlite3_column_int64(st, 0);
    else if (s != SQLITE_DONE)
        rc = index_db_err(ix, "prev_end");
out:
    index_put(ix, st);
    return rc;
}

/* One integer (or INT64_MIN for NULL/no row) from sql with ?1 camera, ?2 t. Locked. */
static nvr_err query_int64(nvr_index *ix, const char *sql, const char *camera, int64_t t, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    *out = INT64_MIN;
    if (index_prep(ix, sql, &st) != SQLITE_OK) {
        rc = index_db_err(ix, "clock_step");
        goto out;
    }
    sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, t);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        *out = sqlite3_column_int64(st, 0);
    else if (s != SQLITE_ROW && s != SQLITE_DONE)
        rc = index_db_err(ix, "clock_step");
out:
    index_put(ix, st);
    return rc;
}

nvr_err index_clock_step_back(nvr_index *ix, const char *camera, int64_t now_us, int64_t *floor_us, int64_t *ceiling_us,
                              int64_t *after_us, int *marked)
{
    sqlite3_stmt *st = NULL;
    int rc;
    *marked = 0;
    pthread_mutex_lock(&ix->mu);
    if ((rc = query_int64(ix, "SELECT MAX(end_us) FROM segments WHERE camera = ?1 AND start_us < ?2", camera, now_us,
                          floor_us)) ||
        (rc = query_int64(ix, "SELECT MIN(start_us) FROM segments WHERE camera = ?1 AND start_us >= ?2", camera, now_us,
                          ceiling_us)) ||
        (rc = query_int64(ix, "SELECT MAX(end_us) FROM segments WHERE camera = ?1", camera, 0, after_us)))
        goto out;
    if (index_prep(ix,
                   "UPDATE segments SET clock_suspect = 1 WHERE camera = ?1 AND start_us >= ?2 "
                   "AND clock_suspect = 0",
                   &st) != SQLITE_OK) {
        rc = index_db_err(ix, "clock_step");
        goto out;
    }
    sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_us);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = index_db_err(ix, "clock_step");
        goto out;
    }
    *marked = sqlite3_changes(ix->db);
out:
    index_put(ix, st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

nvr_err index_segment_insert(nvr_index *ix, struct index_segment *seg)
{
    sqlite3_stmt *st = NULL;
    int rc;
    int64_t last;
    pthread_mutex_lock(&ix->mu);
    if ((rc = prev_end_locked(ix, seg->camera, seg->start_us, &last)))
        goto out;
    if (seg->start_us < last) {
        nvr_log(NVR_ERROR, seg->camera, "refusing overlapping segment start_us=%lld last_end_us=%lld",
                (long long)seg->start_us, (long long)last);
        rc = NVR_EINVAL;
        goto out;
    }
    if (index_prep(ix,
                   "INSERT INTO segments(camera, session, start_us, end_us, media_us, path, "
                   "bytes, init_bytes, state, video_codec, width, height, frames, "
                   "audio_codec, fragments, media_start_us, dir) VALUES "
                   "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                   &st) != SQLITE_OK) {
        rc = index_db_err(ix, "segment_insert");
        goto out;
    }
    if ((rc = bind_segment(st, seg)))
        goto out;
    sqlite3_bind_int64(st, 16, seg->dir);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = index_db_err(ix, "segment_insert");
        goto out;
    }
    seg->id = sqlite3_last_insert_rowid(ix->db);
    seg->state = INDEX_SEG_WRITING;
out:
    index_put(ix, st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

static nvr_err update(nvr_index *ix, const struct index_segment *seg, int finish)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    pthread_mutex_lock(&ix->mu);
    if (index_prep(ix,
                   "UPDATE segments SET end_us = ?2, media_us = ?3, bytes = ?4, frames = ?5, "
                   "width = ?6, height = ?7, fragments = ?8, state = ?9, sha256 = ?10, "
                   "init_bytes = ?11 WHERE id = ?1",
                   &st) != SQLITE_OK) {
        rc = index_db_err(ix, "segment_update");
        goto out;
    }
    sqlite3_bind_int64(st, 1, seg->id);
    sqlite3_bind_int64(st, 2, seg->end_us);
    sqlite3_bind_int64(st, 3, seg->media_us);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)seg->bytes);
    sqlite3_bind_int64(st, 5, seg->frames);
    sqlite3_bind_int(st, 6, seg->width);
    sqlite3_bind_int(st, 7, seg->height);
    if ((rc = bind_frags(st, 8, &seg->frags)))
        goto out;
    sqlite3_bind_int(st, 9, finish ? INDEX_SEG_COMPLETE : INDEX_SEG_WRITING);
    if (finish && seg->has_sha256)
        sqlite3_bind_blob(st, 10, seg->sha256, 32, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 10);
    sqlite3_bind_int64(st, 11, seg->init_bytes);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = index_db_err(ix, "segment_update");
    else if (sqlite3_changes(ix->db) != 1)
        rc = NVR_ENOTFOUND;
out:
    index_put(ix, st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

nvr_err index_segment_update(nvr_index *ix, const struct index_segment *seg)
{
    return update(ix, seg, 0);
}

nvr_err index_segment_finish(nvr_index *ix, const struct index_segment *seg)
{
    return update(ix, seg, 1);
}

nvr_err index_segment_delete(nvr_index *ix, int64_t id)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK;
    pthread_mutex_lock(&ix->mu);
    if (index_prep(ix, "DELETE FROM segments WHERE id = ?1", &st) != SQLITE_OK) {
        rc = index_db_err(ix, "segment_delete");
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = index_db_err(ix, "segment_delete");
out:
    index_put(ix, st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

static void copy_text(char *dst, size_t n, const unsigned char *src)
{
    snprintf(dst, n, "%s", src ? (const char *)src : "");
}

nvr_err index_read_row(sqlite3_stmt *st, struct index_segment *s)
{
    return index_read_row_at(st, 0, s);
}

nvr_err index_read_row_at(sqlite3_stmt *st, int c0, struct index_segment *s)
{
    memset(s, 0, sizeof *s);
    s->id = sqlite3_column_int64(st, c0 + 0);
    copy_text(s->camera, sizeof s->camera, sqlite3_column_text(st, c0 + 1));
    s->session = sqlite3_column_int64(st, c0 + 2);
    s->start_us = sqlite3_column_int64(st, c0 + 3);
    s->end_us = sqlite3_column_int64(st, c0 + 4);
    s->media_us = sqlite3_column_int64(st, c0 + 5);
    copy_text(s->path, sizeof s->path, sqlite3_column_text(st, c0 + 6));
    s->bytes = (uint64_t)sqlite3_column_int64(st, c0 + 7);
    s->init_bytes = (uint32_t)sqlite3_column_int64(st, c0 + 8);
    s->state = sqlite3_column_int(st, c0 + 9);
    copy_text(s->video_codec, sizeof s->video_codec, sqlite3_column_text(st, c0 + 10));
    s->width = sqlite3_column_int(st, c0 + 11);
    s->height = sqlite3_column_int(st, c0 + 12);
    s->frames = sqlite3_column_int64(st, c0 + 13);
    copy_text(s->audio_codec, sizeof s->audio_codec, sqlite3_column_text(st, c0 + 14));
    const uint8_t *blob = sqlite3_column_blob(st, c0 + 15);
    int rc = fragments_unpack(&s->frags, blob, (size_t)sqlite3_column_bytes(st, c0 + 15));
    if (rc)
        return rc;
    if (sqlite3_column_type(st, c0 + 16) == SQLITE_BLOB && sqlite3_column_bytes(st, c0 + 16) == 32) {
        memcpy(s->sha256, sqlite3_column_blob(st, c0 + 16), 32);
        s->has_sha256 = 1;
    }
    s->media_start_us = sqlite3_column_int64(st, c0 + 17);
    if (sqlite3_column_count(st) > c0 + 18)
        s->clock_suspect = sqlite3_column_int(st, c0 + 18) != 0;
    if (sqlite3_column_count(st) > c0 + 19)
        s->dir = sqlite3_column_int64(st, c0 + 19);
    if (sqlite3_column_count(st) > c0 + 20)
        copy_text(s->archive, sizeof s->archive, sqlite3_column_text(st, c0 + 20));
    return NVR_OK;
}

/* Runs a prepared query (already bound) and collects the rows. Locked. */
static nvr_err collect(nvr_index *ix, sqlite3_stmt *st, struct index_segment **out, size_t *n)
{
    struct index_segment *v = NULL;
    size_t len = 0, cap = 0;
    int rc = NVR_OK, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = index_grow(&v, &cap, len, sizeof *v)))
            goto out;
        if ((rc = index_read_row(st, &v[len]))) {
            fragments_free(&v[len].frags);
            goto out;
        }
        len++;
    }
    if (s != SQLITE_DONE)
        rc = index_db_err(ix, "segments_query");
out:
    if (rc) {
        index_segments_free(&v, len);
        len = 0;
    }
    *out = v;
    *n = len;
    return rc;
}

/* The one segment row WHERE <where> (?1 is id, or path when path is not
 * NULL): NVR_OK, NVR_ENOTFOUND or an index error named op. */
static nvr_err segment_one(nvr_index *ix, const char *where, int64_t id, const char *path, const char *op,
                           struct index_segment *out)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK, step;
    char sql[sizeof("SELECT " SEG_COLUMNS_ALL " FROM segments WHERE ") + 32];
    snprintf(sql, sizeof sql, "SELECT %s FROM segments WHERE %s", SEG_COLUMNS_ALL, where);
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&ix->mu);
    if (index_prep(ix, sql, &st) != SQLITE_OK) {
        rc = index_db_err(ix, op);
        goto out;
    }
    if (path)
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = index_read_row(st, out);
    else if (step == SQLITE_DONE)
        rc = NVR_ENOTFOUND;
    else
        rc = index_db_err(ix, op);
out:
    index_put(ix, st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

nvr_err index_segment_get(nvr_index *ix, int64_t id, struct index_segment *out)
{
    return segment_one(ix, "id = ?1", id, NULL, "segment_get", out);
}

/* Runs a segment query under the lock and collects its rows.  Parameters
 * that the SQL uses are bound: ?1 camera (text), ?2 and ?3 integers. */
static nvr_err query_segments(nvr_index *ix, const char *sql, const char *camera, int64_t p2, int64_t p3,
                              struct index_segment **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    int rc;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&ix->mu);
    if (index_prep(ix, sql, &st) != SQLITE_OK) {
        rc = index_db_err(ix, "segments_query");
        goto out;
    }
    int np = sqlite3_bind_parameter_count(st);
    if (np >= 1)
        sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
    if (np >= 2)
        sqlite3_bind_int64(st, 2, p2);
    if (np >= 3)
        sqlite3_bind_int64(st, 3, p3);
    rc = collect(ix, st, out, n);
out:
    index_put(ix, st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

nvr_err index_segments_list(nvr_index *ix, const char *camera, int64_t from_us, int64_t to_us,
                            struct index_segment **out, size_t *n)
{
    /* Segments are at most an hour plus one GOP long and never overlap, so a
     * segment that overlaps [from, to) starts after from - 2 h: that keeps the
     * range scan on the (camera, start_us) index bounded. */
    return query_segments(ix,
                          "SELECT " SEG_COLUMNS_ALL " FROM segments WHERE camera = ?1 AND "
                          "start_us >= ?2 - 7200000000 AND start_us < ?3 AND end_us > ?2 "
                          "ORDER BY start_us",
                          camera, from_us, to_us, out, n);
}

nvr_err index_segments_page(nvr_index *ix, const char *camera, int64_t after_us, int limit, struct index_segment **out,
                            size_t *n)
{
    return query_segments(ix,
                          "SELECT " SEG_COLUMNS_ALL " FROM segments WHERE camera = ?1 AND start_us > ?2 "
                          "ORDER BY start_us LIMIT ?3",
                          camera, after_us, limit, out, n);
}

nvr_err index_archive_candidates(nvr_index *ix, int64_t before_us, int max, struct index_segment **out, size_t *n)
{
    return query_segments(ix,
                          "SELECT " SEG_COLUMNS_ALL " FROM segments WHERE ?1 IS NULL AND archive IS NULL "
                          "AND end_us <= ?2 AND state = 0 ORDER BY end_us LIMIT ?3",
                          NULL, before_us, max, out, n);
}

nvr_err index_segment_set_archived(nvr_index *ix, int64_t id, const char *url, const char *local_qpath)
{
    sqlite3_stmt *up = NULL, *gb = NULL;
    int rc;
    pthread_mutex_lock(&ix->mu);
    if ((rc = index_exec(ix, "BEGIN IMMEDIATE")))
        goto out;
    if (index_prep(ix, "UPDATE segments SET archive = ?2 WHERE id = ?1 AND archive IS NULL", &up) != SQLITE_OK ||
        index_prep(ix, "INSERT OR IGNORE INTO garbage(path) VALUES (?1)", &gb) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(up, 1, id);
    sqlite3_bind_text(up, 2, url, -1, SQLITE_STATIC);
    sqlite3_bind_text(gb, 1, local_qpath, -1, SQLITE_STATIC);
    if (sqlite3_step(up) != SQLITE_DONE)
        goto fail;
    if (sqlite3_changes(ix->db) != 1) {
        rc = NVR_ENOTFOUND; /* deleted (retention) or archived meanwhile */
        goto rollback;
    }
    if (sqlite3_step(gb) != SQLITE_DONE)
        goto fail;
    if ((rc = index_exec(ix, "COMMIT")) == NVR_OK)
        goto out;
    goto rollback;
fail:
    rc = index_db_err(ix, "segment_set_archived");
rollback:
    sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
out:
    index_put(ix, up);
    index_put(ix, gb);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

nvr_err index_segments_writing(nvr_index *ix, struct index_segment **out, size_t *n)
{
    return query_segments(ix, "SELECT " SEG_COLUMNS_ALL " FROM segments WHERE state != 0 ORDER BY id", NULL, 0, 0, out,
                          n);
}

nvr_err index_segments_all(nvr_index *ix, struct index_segment **out, size_t *n)
{
    return query_segments(ix, "SELECT " SEG_COLUMNS_ALL " FROM segments ORDER BY camera, start_us", NULL, 0, 0, out, n);
}

void index_segments_free(struct index_segment **segs, size_t n)
{
    if (!*segs)
        return;
    for (size_t i = 0; i < n; i++)
        fragments_free(&(*segs)[i].frags);
    free(*segs);
    *segs = NULL;
}

nvr_err index_camera_last_end(nvr_index *ix, const char *camera, int64_t *end_us, int64_t *media_end_us)
{
    pthread_mutex_lock(&ix->mu);
    int rc = last_end_locked(ix, camera, end_us, media_end_us);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

nvr_err index_grow(void *arrayp, size_t *cap, size_t len, size_t size)
{
    void *a, *na;
    if (len < *cap)
        return NVR_OK;
    size_t ncap = *cap ? *cap * 2 : 8;
    memcpy(&a, arrayp, sizeof a);
    if (!(na = realloc(a, ncap * size)))
        return NVR_ENOMEM;
    memcpy(arrayp, &na, sizeof na);
    *cap = ncap;
    return NVR_OK;
}

nvr_err index_text_column(nvr_index *ix, const char *sql, const char *what, char ***out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    char **v = NULL;
    size_t len = 0, cap = 0;
    int rc = NVR_OK, s;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&ix->mu);
    if (index_prep(ix, sql, &st) != SQLITE_OK) {
        rc = index_db_err(ix, what);
        goto out;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = index_grow(&v, &cap, len, sizeof *v)))
            goto out;
        if (!(v[len] = strdup((const char *)sqlite3_column_text(st, 0)))) {
            rc = NVR_ENOMEM;
            goto out;
        }
        len++;
    }
    if (s != SQLITE_DONE)
        rc = index_db_err(ix, what);
out:
    index_put(ix, st);
    pthread_mutex_unlock(&ix->mu);
    if (rc || len == 0) {
        for (size_t i = 0; rc && i < len; i++)
            free(v[i]);
        free(v);
        v = NULL;
        len = 0;
    }
    *out = v;
    *n = len;
    return rc;
}

nvr_err index_cameras(nvr_index *ix, char ***ids, size_t *n)
{
    return index_text_column(ix, "SELECT id FROM cameras ORDER BY id", "cameras", ids, n);
}

/* ---- damage and rebuilding (storage_rebuild.c, storage_open) ---- */

struct deadline {
    struct timespec end;
};

/* Progress handler: non-zero (interrupt) once the deadline has passed. */
static int past_deadline(void *arg)
{
    const struct deadline *d = arg;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > d->end.tv_sec || (now.tv_sec == d->end.tv_sec && now.tv_nsec >= d->end.tv_nsec);
}

nvr_err index_quick_check(nvr_index *ix, int64_t budget_ms, char *problem, size_t n)
{
    sqlite3_stmt *st = NULL;
    struct deadline d;
    int rc = NVR_OK, s;
    problem[0] = '\0';
    pthread_mutex_lock(&ix->mu);
    if (budget_ms > 0) {
        clock_gettime(CLOCK_MONOTONIC, &d.end);
        d.end.tv_sec += budget_ms / 1000;
        d.end.tv_nsec += (budget_ms % 1000) * 1000000;
        if (d.end.tv_nsec >= 1000000000) {
            d.end.tv_sec++;
            d.end.tv_nsec -= 1000000000;
        }
        sqlite3_progress_handler(ix->db, 1000, past_deadline, &d);
    }
    if (index_prep(ix, "PRAGMA quick_check(1)", &st) != SQLITE_OK) {
        s = sqlite3_errcode(ix->db);
    } else {
        s = sqlite3_step(st);
        if (s == SQLITE_ROW) {
            const char *text = (const char *)sqlite3_column_text(st, 0);
            if (!text || strcmp(text, "ok") != 0) {
                snprintf(problem, n, "%s", text ? text : "quick_check returned nothing");
                rc = NVR_EDAMAGED;
            }
            s = SQLITE_DONE;
        }
    }
    if (s == SQLITE_INTERRUPT) {
        snprintf(problem, n, "quick_check did not finish within %lld ms", (long long)budget_ms);
        rc = NVR_ETIMEDOUT;
    } else if (s != SQLITE_DONE) {
        rc = index_sqlite_err(ix->db);
        snprintf(problem, n, "%s", sqlite3_errmsg(ix->db));
        if (rc == NVR_EDB && (s & 0xff) == SQLITE_CORRUPT)
            rc = NVR_EDAMAGED;
    }
    index_put(ix, st);
    sqlite3_progress_handler(ix->db, 0, NULL, NULL);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

nvr_err index_segment_by_path(nvr_index *ix, const char *path, struct index_segment *out)
{
    return segment_one(ix, "path = ?1", 0, path, "segment_by_path", out);
}

/* Whether [start, end) of camera overlaps a segment already in the index. Locked. */
static nvr_err overlaps_locked(nvr_index *ix, const char *camera, int64_t start, int64_t end, int *overlap)
{
    sqlite3_stmt *st = NULL;
    int rc = NVR_OK, s;
    *overlap = 0;
    if (index_prep(ix,
                   "SELECT 1 FROM segments WHERE camera = ?1 AND start_us >= ?2 - 7200000000 AND "
                   "start_us < ?3 AND end_us > ?2 LIMIT 1",
                   &st) != SQLITE_OK) {
        rc = index_db_err(ix, "segment_restore");
        goto out;
    }
    sqlite3_bind_text(st, 1, camera, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, start);
    sqlite3_bind_int64(st, 3, end > start ? end : start + 1);
    s = sqlite3_step(st);
    if (s == SQLITE_ROW)
        *overlap = 1;
    else if (s != SQLITE_DONE)
        rc = index_db_err(ix, "segment_restore");
out:
    index_put(ix, st);
    return rc;
}

nvr_err index_usage_recount(nvr_index *ix)
{
    pthread_mutex_lock(&ix->mu);
    int rc = index_exec(
        ix, "UPDATE cameras SET"
            "  bytes = COALESCE((SELECT SUM(s.bytes) FROM segments s WHERE s.camera = cameras.id), 0),"
            "  media_us = COALESCE((SELECT SUM(s.media_us) FROM segments s WHERE s.camera = cameras.id), 0)");
    pthread_mutex_unlock(&ix->mu);
    return rc;
}

nvr_err index_segment_restore(nvr_index *ix, struct index_segment *seg)
{
    sqlite3_stmt *st = NULL;
    int rc, overlap = 0;
    pthread_mutex_lock(&ix->mu);
    if ((rc = overlaps_locked(ix, seg->camera, seg->start_us, seg->end_us, &overlap)))
        goto out;
    if (overlap) {
        rc = NVR_EINVAL;
        goto out;
    }
    if (index_prep(ix,
                   "INSERT INTO cameras(id, name, first_seen_us) VALUES (?1, ?1, ?3) "
                   "ON CONFLICT(id) DO UPDATE SET first_seen_us = MIN(first_seen_us, excluded.first_seen_us)",
                   &st) != SQLITE_OK) {
        rc = index_db_err(ix, "segment_restore");
        goto out;
    }
    sqlite3_bind_text(st, 1, seg->camera, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, seg->start_us);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = index_db_err(ix, "segment_restore");
        goto out;
    }
    index_put(ix, st);
    st = NULL;
    if (index_prep(ix,
                   "INSERT INTO segments(camera, session, start_us, end_us, media_us, path, "
                   "bytes, init_bytes, state, video_codec, width, height, frames, "
                   "audio_codec, fragments, media_start_us, sha256, dir) VALUES "
                   "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                   &st) != SQLITE_OK) {
        rc = index_db_err(ix, "segment_restore");
        goto out;
    }
    if ((rc = bind_segment(st, seg)))
        goto out;
    if (seg->has_sha256)
        sqlite3_bind_blob(st, 16, seg->sha256, 32, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 16);
    sqlite3_bind_int64(st, 17, seg->dir);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = (sqlite3_extended_errcode(ix->db) & 0xff) == SQLITE_CONSTRAINT ? NVR_EINVAL
                                                                            : index_db_err(ix, "segment_restore");
        goto out;
    }
    seg->id = sqlite3_last_insert_rowid(ix->db);
    seg->state = INDEX_SEG_COMPLETE;
out:
    index_put(ix, st);
    pthread_mutex_unlock(&ix->mu);
    return rc;
}
