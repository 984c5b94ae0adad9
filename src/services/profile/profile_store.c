/* The profile store over SQLite (see profile_store.h).
 *
 * Searches run in two steps: SQL narrows the candidates with the indexes (the FTS5
 * trigram table for the name, the R*Tree for a bounding box around the circle), then C
 * decides exactly with the glob matcher and the great-circle distance. The SQL step may
 * return too much but never too little, which keeps the index tricks simple. */
#include "services/profile/profile_store.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "consensus/hash.h"

struct profile_store {
    sqlite3 *db;
};

static const char *const SCHEMA[] = {
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS identities ("
    " row INTEGER PRIMARY KEY,"
    " identity_id BLOB NOT NULL UNIQUE,"
    " public_key BLOB NOT NULL,"
    " plan TEXT NOT NULL,"
    " agreement_time INTEGER NOT NULL,"
    " type TEXT NOT NULL,"
    " version INTEGER NOT NULL DEFAULT 0,"
    " name TEXT NOT NULL DEFAULT '',"
    " lat INTEGER NOT NULL DEFAULT 0,"
    " lon INTEGER NOT NULL DEFAULT 0,"
    " extra TEXT NOT NULL DEFAULT '',"
    " online INTEGER NOT NULL DEFAULT 0,"
    " last_checkin INTEGER NOT NULL DEFAULT 0,"
    " signature BLOB, image_hash BLOB, thumbnail_hash BLOB,"
    /* The images last: SQLite reads a column behind a large blob by walking the blob's
     * overflow pages, so everything searches and counts read comes first. */
    " image BLOB, thumbnail BLOB)",
    "CREATE TABLE IF NOT EXISTS app_services ("
    " row INTEGER NOT NULL REFERENCES identities(row) ON DELETE CASCADE,"
    " name TEXT NOT NULL, PRIMARY KEY (row, name))",
    "CREATE VIRTUAL TABLE IF NOT EXISTS names USING fts5(name, tokenize = 'trigram')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS locations USING rtree(row, min_lat, max_lat, "
    "min_lon, max_lon)",
};

static bool db_fail(struct profile_store *st, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "profile store: %s: %s", what, sqlite3_errmsg(st->db));
    return false;
}

static bool exec(struct profile_store *st, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK) return true;
    snprintf(err, errlen, "profile store: %s", msg ? msg : sqlite3_errmsg(st->db));
    sqlite3_free(msg);
    return false;
}

static sqlite3_stmt *prepare(struct profile_store *st, const char *sql, char *err,
                             size_t errlen)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        db_fail(st, "prepare", err, errlen);
        return NULL;
    }
    return s;
}

static bool begin(struct profile_store *st, char *err, size_t errlen)
{
    return exec(st, "BEGIN IMMEDIATE", err, errlen);
}

static bool commit(struct profile_store *st, char *err, size_t errlen)
{
    if (exec(st, "COMMIT", err, errlen)) return true;
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return false;
}

static void rollback(struct profile_store *st)
{
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* FTS5 and RTREE are optional in SQLite builds; without them the schema cannot exist. */
static bool check_features(char *err, size_t errlen)
{
    if (sqlite3_libversion_number() < 3034000) {
        snprintf(err, errlen,
                 "profile store: SQLite %s is too old (3.34 or later is needed for the FTS5 "
                 "trigram tokenizer)",
                 sqlite3_libversion());
        return false;
    }
    if (!sqlite3_compileoption_used("ENABLE_FTS5")) {
        snprintf(err, errlen,
                 "profile store: SQLite was built without FTS5 "
                 "(SQLITE_ENABLE_FTS5), needed for name search");
        return false;
    }
    if (!sqlite3_compileoption_used("ENABLE_RTREE")) {
        snprintf(err, errlen,
                 "profile store: SQLite was built without RTREE "
                 "(SQLITE_ENABLE_RTREE), needed for location search");
        return false;
    }
    return true;
}

static bool check_version(struct profile_store *st, char *err, size_t errlen)
{
    sqlite3_stmt *s =
        prepare(st, "SELECT value FROM meta WHERE key = 'schema_version'", err, errlen);
    if (!s) return false;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        if (v != PROFILE_STORE_SCHEMA_VERSION) {
            snprintf(err, errlen, "profile store: schema version %lld, this build knows %d",
                     (long long)v, PROFILE_STORE_SCHEMA_VERSION);
            return false;
        }
        return true;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return db_fail(st, "schema version", err, errlen);
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO meta VALUES ('schema_version', %d)",
             PROFILE_STORE_SCHEMA_VERSION);
    return exec(st, sql, err, errlen);
}

struct profile_store *profile_store_open(const char *dir, char *err, size_t errlen)
{
    if (!check_features(err, errlen)) return NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "profile store: cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    size_t plen = strlen(dir) + sizeof PROFILE_STORE_FILE + 1;
    char *path = malloc(plen);
    struct profile_store *st = calloc(1, sizeof *st);
    if (!path || !st) {
        free(path);
        free(st);
        snprintf(err, errlen, "profile store: out of memory");
        return NULL;
    }
    snprintf(path, plen, "%s/%s", dir, PROFILE_STORE_FILE);
    int rc = sqlite3_open_v2(
        path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    free(path);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "profile store: cannot open: %s",
                 st->db ? sqlite3_errmsg(st->db) : "out of memory");
        profile_store_close(st);
        return NULL;
    }
    sqlite3_busy_timeout(st->db, 5000);
    bool ok = exec(st, "PRAGMA journal_mode = WAL", err, errlen) &&
              exec(st, "PRAGMA synchronous = FULL", err, errlen) &&
              exec(st, "PRAGMA foreign_keys = ON", err, errlen) && begin(st, err, errlen);
    for (size_t i = 0; ok && i < sizeof SCHEMA / sizeof SCHEMA[0]; i++)
        ok = exec(st, SCHEMA[i], err, errlen);
    ok = ok && check_version(st, err, errlen) &&
         exec(st, "UPDATE identities SET online = 0 WHERE online != 0", err, errlen);
    if (ok)
        ok = commit(st, err, errlen);
    else
        rollback(st);
    if (!ok) {
        profile_store_close(st);
        return NULL;
    }
    return st;
}

void profile_store_close(struct profile_store *st)
{
    if (!st) return;
    sqlite3_close(st->db);
    free(st);
}

void profile_record_clear(struct profile_record *r)
{
    free(r->image);
    free(r->thumbnail);
    memset(r, 0, sizeof *r);
}

/* Row number of an identity, 0 if not hosted, -1 on error. */
static int64_t find_row(struct profile_store *st, const uint8_t id[32], char *err,
                        size_t errlen)
{
    sqlite3_stmt *s =
        prepare(st, "SELECT row FROM identities WHERE identity_id = ?", err, errlen);
    if (!s) return -1;
    sqlite3_bind_blob(s, 1, id, 32, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int64_t row = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_fail(st, "find", err, errlen);
        row = -1;
    }
    sqlite3_finalize(s);
    return row;
}

enum profile_store_result profile_store_register(struct profile_store *st,
                                                 const uint8_t public_key[32], const char *plan,
                                                 const char *type, int64_t now,
                                                 size_t max_hosted, char *err, size_t errlen)
{
    uint8_t id[32];
    sha256(public_key, 32, id);
    if (!begin(st, err, errlen)) return PROFILE_STORE_ERROR;
    enum profile_store_result res = PROFILE_STORE_ERROR;
    sqlite3_stmt *s = NULL;
    int64_t row = find_row(st, id, err, errlen);
    if (row < 0) goto out;
    if (row > 0) {
        res = PROFILE_STORE_EXISTS;
        goto out;
    }
    if (max_hosted) {
        s = prepare(st, "SELECT count(*) FROM identities", err, errlen);
        if (!s || sqlite3_step(s) != SQLITE_ROW) goto out;
        int64_t count = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        s = NULL;
        if (count >= (int64_t)max_hosted) {
            res = PROFILE_STORE_QUOTA;
            goto out;
        }
    }
    s = prepare(st,
                "INSERT INTO identities (identity_id, public_key, plan, agreement_time, type) "
                "VALUES (?, ?, ?, ?, ?)",
                err, errlen);
    if (!s) goto out;
    sqlite3_bind_blob(s, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, public_key, 32, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, plan, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now);
    sqlite3_bind_text(s, 5, type, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE) {
        db_fail(st, "register", err, errlen);
        goto out;
    }
    res = PROFILE_STORE_OK;
out:
    sqlite3_finalize(s);
    if (res == PROFILE_STORE_OK) {
        if (!commit(st, err, errlen)) res = PROFILE_STORE_ERROR;
    } else {
        rollback(st);
    }
    return res;
}

/* Runs a statement bound to one row number; true if it completed. */
static bool exec_row(struct profile_store *st, const char *sql, int64_t row, char *err,
                     size_t errlen)
{
    sqlite3_stmt *s = prepare(st, sql, err, errlen);
    if (!s) return false;
    sqlite3_bind_int64(s, 1, row);
    bool ok = sqlite3_step(s) == SQLITE_DONE;
    if (!ok) db_fail(st, "write", err, errlen);
    sqlite3_finalize(s);
    return ok;
}

enum profile_store_result profile_store_cancel(struct profile_store *st,
                                               const uint8_t identity_id[32], char *err,
                                               size_t errlen)
{
    if (!begin(st, err, errlen)) return PROFILE_STORE_ERROR;
    int64_t row = find_row(st, identity_id, err, errlen);
    if (row <= 0) {
        rollback(st);
        return row == 0 ? PROFILE_STORE_NOT_FOUND : PROFILE_STORE_ERROR;
    }
    bool ok = exec_row(st, "DELETE FROM app_services WHERE row = ?", row, err, errlen) &&
              exec_row(st, "DELETE FROM names WHERE rowid = ?", row, err, errlen) &&
              exec_row(st, "DELETE FROM locations WHERE row = ?", row, err, errlen) &&
              exec_row(st, "DELETE FROM identities WHERE row = ?", row, err, errlen);
    if (!ok) {
        rollback(st);
        return PROFILE_STORE_ERROR;
    }
    return commit(st, err, errlen) ? PROFILE_STORE_OK : PROFILE_STORE_ERROR;
}

static void copy_text(char *dst, size_t cap, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    size_t n = (size_t)sqlite3_column_bytes(s, col);
    if (!t) n = 0;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(dst, t, n);
    dst[n] = 0;
}

static bool copy_fixed(uint8_t *dst, size_t len, sqlite3_stmt *s, int col)
{
    if ((size_t)sqlite3_column_bytes(s, col) != len) return false;
    const void *b = sqlite3_column_blob(s, col);
    if (!b) return false;
    memcpy(dst, b, len);
    return true;
}

static bool copy_blob(uint8_t **dst, size_t *len, sqlite3_stmt *s, int col)
{
    int n = sqlite3_column_bytes(s, col);
    const void *b = sqlite3_column_blob(s, col);
    if (!b || n <= 0) return true;
    *dst = malloc((size_t)n);
    if (!*dst) return false;
    memcpy(*dst, b, (size_t)n);
    *len = (size_t)n;
    return true;
}

#define RECORD_COLUMNS                                                                         \
    "row, identity_id, public_key, plan, agreement_time, type, version, name, lat, lon, "      \
    "extra, signature, image_hash, thumbnail_hash, online, last_checkin, "                     \
    "CASE WHEN ? THEN image END, CASE WHEN ? THEN thumbnail END"

static enum profile_store_result read_record(struct profile_store *st, sqlite3_stmt *s,
                                             struct profile_record *out, char *err,
                                             size_t errlen)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return PROFILE_STORE_NOT_FOUND;
    if (rc != SQLITE_ROW) {
        db_fail(st, "read", err, errlen);
        return PROFILE_STORE_ERROR;
    }
    out->row = sqlite3_column_int64(s, 0);
    copy_fixed(out->identity_id, 32, s, 1);
    copy_fixed(out->public_key, 32, s, 2);
    copy_text(out->plan, sizeof out->plan, s, 3);
    out->agreement_time = sqlite3_column_int64(s, 4);
    copy_text(out->type, sizeof out->type, s, 5);
    out->version = (uint32_t)sqlite3_column_int64(s, 6);
    copy_text(out->name, sizeof out->name, s, 7);
    out->latitude = (int32_t)sqlite3_column_int64(s, 8);
    out->longitude = (int32_t)sqlite3_column_int64(s, 9);
    copy_text(out->extra, sizeof out->extra, s, 10);
    copy_fixed(out->signature, 64, s, 11);
    out->has_image = copy_fixed(out->image_hash, 32, s, 12);
    out->has_thumbnail = copy_fixed(out->thumbnail_hash, 32, s, 13);
    out->online = sqlite3_column_int(s, 14) != 0;
    out->last_checkin = sqlite3_column_int64(s, 15);
    if (!copy_blob(&out->image, &out->image_len, s, 16) ||
        !copy_blob(&out->thumbnail, &out->thumbnail_len, s, 17)) {
        profile_record_clear(out);
        snprintf(err, errlen, "profile store: out of memory");
        return PROFILE_STORE_ERROR;
    }
    return PROFILE_STORE_OK;
}

enum profile_store_result profile_store_get(struct profile_store *st,
                                            const uint8_t identity_id[32], bool want_image,
                                            bool want_thumbnail, struct profile_record *out,
                                            char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = prepare(
        st, "SELECT " RECORD_COLUMNS " FROM identities WHERE identity_id = ?", err, errlen);
    if (!s) return PROFILE_STORE_ERROR;
    sqlite3_bind_int(s, 1, want_image);
    sqlite3_bind_int(s, 2, want_thumbnail);
    sqlite3_bind_blob(s, 3, identity_id, 32, SQLITE_STATIC);
    enum profile_store_result r = read_record(st, s, out, err, errlen);
    sqlite3_finalize(s);
    return r;
}

enum profile_store_result profile_store_get_row(struct profile_store *st, int64_t row,
                                                bool want_image, bool want_thumbnail,
                                                struct profile_record *out, char *err,
                                                size_t errlen)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s =
        prepare(st, "SELECT " RECORD_COLUMNS " FROM identities WHERE row = ?", err, errlen);
    if (!s) return PROFILE_STORE_ERROR;
    sqlite3_bind_int(s, 1, want_image);
    sqlite3_bind_int(s, 2, want_thumbnail);
    sqlite3_bind_int64(s, 3, row);
    enum profile_store_result r = read_record(st, s, out, err, errlen);
    sqlite3_finalize(s);
    return r;
}

static void bind_opt_blob(sqlite3_stmt *s, int i, const void *p, size_t n, bool has)
{
    if (has && p && n)
        sqlite3_bind_blob(s, i, p, (int)n, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

enum profile_store_result profile_store_update(struct profile_store *st,
                                               const struct profile_record *rec, char *err,
                                               size_t errlen)
{
    if (!begin(st, err, errlen)) return PROFILE_STORE_ERROR;
    int64_t row = find_row(st, rec->identity_id, err, errlen);
    if (row <= 0) {
        rollback(st);
        return row == 0 ? PROFILE_STORE_NOT_FOUND : PROFILE_STORE_ERROR;
    }
    sqlite3_stmt *s = prepare(st,
                              "UPDATE identities SET version = ?, name = ?, lat = ?, lon = ?, "
                              "extra = ?, signature = ?, image = ?, image_hash = ?, "
                              "thumbnail = ?, thumbnail_hash = ? WHERE row = ?",
                              err, errlen);
    bool ok = s != NULL;
    if (ok) {
        sqlite3_bind_int64(s, 1, rec->version);
        sqlite3_bind_text(s, 2, rec->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, rec->latitude);
        sqlite3_bind_int64(s, 4, rec->longitude);
        sqlite3_bind_text(s, 5, rec->extra, -1, SQLITE_STATIC);
        sqlite3_bind_blob(s, 6, rec->signature, 64, SQLITE_STATIC);
        bind_opt_blob(s, 7, rec->image, rec->image_len, rec->has_image);
        bind_opt_blob(s, 8, rec->image_hash, 32, rec->has_image);
        bind_opt_blob(s, 9, rec->thumbnail, rec->thumbnail_len, rec->has_thumbnail);
        bind_opt_blob(s, 10, rec->thumbnail_hash, 32, rec->has_thumbnail);
        sqlite3_bind_int64(s, 11, row);
        ok = sqlite3_step(s) == SQLITE_DONE;
        if (!ok) db_fail(st, "update", err, errlen);
        sqlite3_finalize(s);
    }
    ok = ok && exec_row(st, "DELETE FROM names WHERE rowid = ?", row, err, errlen);
    if (ok) {
        s = prepare(st, "INSERT INTO names (rowid, name) VALUES (?, ?)", err, errlen);
        ok = s != NULL;
        if (ok) {
            sqlite3_bind_int64(s, 1, row);
            sqlite3_bind_text(s, 2, rec->name, -1, SQLITE_STATIC);
            ok = sqlite3_step(s) == SQLITE_DONE;
            if (!ok) db_fail(st, "name index", err, errlen);
            sqlite3_finalize(s);
        }
    }
    if (ok) {
        s = prepare(st, "INSERT OR REPLACE INTO locations VALUES (?, ?, ?, ?, ?)", err, errlen);
        ok = s != NULL;
        if (ok) {
            double lat = rec->latitude / 1e6, lon = rec->longitude / 1e6;
            sqlite3_bind_int64(s, 1, row);
            sqlite3_bind_double(s, 2, lat);
            sqlite3_bind_double(s, 3, lat);
            sqlite3_bind_double(s, 4, lon);
            sqlite3_bind_double(s, 5, lon);
            ok = sqlite3_step(s) == SQLITE_DONE;
            if (!ok) db_fail(st, "location index", err, errlen);
            sqlite3_finalize(s);
        }
    }
    if (!ok) {
        rollback(st);
        return PROFILE_STORE_ERROR;
    }
    return commit(st, err, errlen) ? PROFILE_STORE_OK : PROFILE_STORE_ERROR;
}

enum profile_store_result profile_store_set_online(struct profile_store *st,
                                                   const uint8_t identity_id[32], bool online,
                                                   int64_t now, char *err, size_t errlen)
{
    sqlite3_stmt *s = prepare(st,
                              online ? "UPDATE identities SET online = 1, last_checkin = ? "
                                       "WHERE identity_id = ?"
                                     : "UPDATE identities SET online = 0 "
                                       "WHERE identity_id = ?2 AND ?1 IS NOT NULL",
                              err, errlen);
    if (!s) return PROFILE_STORE_ERROR;
    sqlite3_bind_int64(s, 1, now);
    sqlite3_bind_blob(s, 2, identity_id, 32, SQLITE_STATIC);
    enum profile_store_result r = PROFILE_STORE_OK;
    if (sqlite3_step(s) != SQLITE_DONE) {
        db_fail(st, "presence", err, errlen);
        r = PROFILE_STORE_ERROR;
    } else if (sqlite3_changes(st->db) == 0) {
        r = PROFILE_STORE_NOT_FOUND;
    }
    sqlite3_finalize(s);
    return r;
}

enum profile_store_result profile_store_app_add(struct profile_store *st,
                                                const uint8_t identity_id[32],
                                                char *const *names, size_t n, char *err,
                                                size_t errlen)
{
    if (!begin(st, err, errlen)) return PROFILE_STORE_ERROR;
    enum profile_store_result res = PROFILE_STORE_ERROR;
    sqlite3_stmt *s = NULL;
    int64_t row = find_row(st, identity_id, err, errlen);
    if (row <= 0) {
        res = row == 0 ? PROFILE_STORE_NOT_FOUND : PROFILE_STORE_ERROR;
        goto out;
    }
    s = prepare(st, "SELECT count(*) FROM app_services WHERE row = ?", err, errlen);
    if (!s) goto out;
    sqlite3_bind_int64(s, 1, row);
    if (sqlite3_step(s) != SQLITE_ROW) goto out;
    int64_t have = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    if (have + (int64_t)n > PROFILE_MAX_APP_SERVICES) {
        res = PROFILE_STORE_QUOTA;
        goto out;
    }
    s = prepare(st, "INSERT INTO app_services (row, name) VALUES (?, ?)", err, errlen);
    if (!s) goto out;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, row);
        sqlite3_bind_text(s, 2, names[i], -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_CONSTRAINT) {
            res = PROFILE_STORE_EXISTS;
            goto out;
        }
        if (rc != SQLITE_DONE) {
            db_fail(st, "application service", err, errlen);
            goto out;
        }
    }
    res = PROFILE_STORE_OK;
out:
    sqlite3_finalize(s);
    if (res == PROFILE_STORE_OK) {
        if (!commit(st, err, errlen)) res = PROFILE_STORE_ERROR;
    } else {
        rollback(st);
    }
    return res;
}

enum profile_store_result profile_store_app_remove(struct profile_store *st,
                                                   const uint8_t identity_id[32],
                                                   const char *name, char *err, size_t errlen)
{
    if (!begin(st, err, errlen)) return PROFILE_STORE_ERROR;
    int64_t row = find_row(st, identity_id, err, errlen);
    if (row <= 0) {
        rollback(st);
        return row == 0 ? PROFILE_STORE_NOT_FOUND : PROFILE_STORE_ERROR;
    }
    sqlite3_stmt *s =
        prepare(st, "DELETE FROM app_services WHERE row = ? AND name = ?", err, errlen);
    if (!s) {
        rollback(st);
        return PROFILE_STORE_ERROR;
    }
    sqlite3_bind_int64(s, 1, row);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    bool ok = sqlite3_step(s) == SQLITE_DONE;
    if (!ok) db_fail(st, "application service", err, errlen);
    sqlite3_finalize(s);
    bool gone = ok && sqlite3_changes(st->db) > 0;
    if (!gone) {
        rollback(st);
        return ok ? PROFILE_STORE_NOT_FOUND : PROFILE_STORE_ERROR;
    }
    return commit(st, err, errlen) ? PROFILE_STORE_OK : PROFILE_STORE_ERROR;
}

void profile_store_free_names(char **names, size_t n)
{
    if (!names) return;
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

enum profile_store_result profile_store_app_list(struct profile_store *st,
                                                 const uint8_t identity_id[32], char ***names,
                                                 size_t *n, char *err, size_t errlen)
{
    *names = NULL;
    *n = 0;
    sqlite3_stmt *s = prepare(st,
                              "SELECT a.name FROM app_services a JOIN identities i "
                              "ON a.row = i.row WHERE i.identity_id = ? ORDER BY a.name",
                              err, errlen);
    if (!s) return PROFILE_STORE_ERROR;
    sqlite3_bind_blob(s, 1, identity_id, 32, SQLITE_STATIC);
    char **list = calloc(PROFILE_MAX_APP_SERVICES, sizeof *list);
    size_t count = 0;
    int rc = SQLITE_ERROR;
    while (list && count < PROFILE_MAX_APP_SERVICES && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        list[count] = strdup(t ? t : "");
        if (!list[count]) break;
        count++;
    }
    if (count == PROFILE_MAX_APP_SERVICES) rc = SQLITE_DONE;
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        profile_store_free_names(list, count);
        snprintf(err, errlen, "profile store: cannot list application services");
        return PROFILE_STORE_ERROR;
    }
    *names = list;
    *n = count;
    return PROFILE_STORE_OK;
}

bool profile_store_counts(struct profile_store *st, size_t *hosted, size_t *online, char *err,
                          size_t errlen)
{
    sqlite3_stmt *s =
        prepare(st, "SELECT count(*), coalesce(sum(online), 0) FROM identities", err, errlen);
    if (!s) return false;
    bool ok = sqlite3_step(s) == SQLITE_ROW;
    if (ok) {
        *hosted = (size_t)sqlite3_column_int64(s, 0);
        *online = (size_t)sqlite3_column_int64(s, 1);
    } else {
        db_fail(st, "count", err, errlen);
    }
    sqlite3_finalize(s);
    return ok;
}

/* A LIKE pattern that matches at least what the glob matches: `*` -> `%`, `?` and the
 * LIKE wildcards themselves -> `_`. Exactness comes from the glob check afterwards. */
static char *glob_to_like(const char *g)
{
    size_t n = strlen(g);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = g[i];
        if (c == '\\' && i + 1 < n)
            c = g[++i] == '%' || g[i] == '_' ? '_' : g[i];
        else if (c == '*')
            c = '%';
        else if (c == '?' || c == '%' || c == '_')
            c = '_';
        out[o++] = c;
    }
    out[o] = 0;
    return out;
}

/* Bounding boxes (degrees) around a circle: one, or two when it crosses the
 * antimeridian. The margin covers the R*Tree's 32-bit float coordinates. */
struct box {
    double lat0, lat1, lon0, lon1;
};

static size_t circle_boxes(int32_t lat_e6, int32_t lon_e6, uint32_t radius, struct box b[2])
{
    const double margin = 1e-3;
    double ang = radius / PROFILE_EARTH_RADIUS_M; /* radians */
    double lat = lat_e6 / 1e6, lon = lon_e6 / 1e6;
    double dlat = ang * 180 / M_PI;
    double lat0 = lat - dlat - margin, lat1 = lat + dlat + margin;
    double coslat = cos(lat * M_PI / 180);
    if (lat0 <= -90 || lat1 >= 90 || ang >= M_PI / 2 || sin(ang) >= coslat) {
        b[0] = (struct box){lat0, lat1, -181, 181};
        return 1;
    }
    double dlon = asin(sin(ang) / coslat) * 180 / M_PI + margin;
    double lon0 = lon - dlon, lon1 = lon + dlon;
    if (lon0 < -180) {
        b[0] = (struct box){lat0, lat1, lon0 + 360, 181};
        b[1] = (struct box){lat0, lat1, -181, lon1};
        return 2;
    }
    if (lon1 > 180) {
        b[0] = (struct box){lat0, lat1, lon0, 181};
        b[1] = (struct box){lat0, lat1, -181, lon1 - 360};
        return 2;
    }
    b[0] = (struct box){lat0, lat1, lon0, lon1};
    return 1;
}

static bool glob_ok(const char *pattern, const char *text, bool fold)
{
    if (!pattern || !*pattern) return true;
    return profile_glob_match(pattern, strlen(pattern), text, strlen(text), fold);
}

bool profile_store_search(struct profile_store *st, const struct profile_search_query *q,
                          int64_t *rows, size_t max, size_t *n, char *err, size_t errlen)
{
    *n = 0;
    char sql[768];
    struct box b[2];
    size_t nbox = q->use_location ? circle_boxes(q->latitude, q->longitude, q->radius_m, b) : 0;
    bool use_name = q->name && *q->name && strcmp(q->name, "*") != 0;
    int len = snprintf(sql, sizeof sql,
                       "SELECT row, name, type, extra, lat, lon FROM identities "
                       "WHERE version > 0");
    if (use_name)
        len += snprintf(sql + len, sizeof sql - (size_t)len,
                        " AND row IN (SELECT rowid FROM names WHERE name LIKE ?1)");
    if (nbox)
        len += snprintf(sql + len, sizeof sql - (size_t)len,
                        " AND row IN (SELECT row FROM locations WHERE "
                        "(min_lat <= ?3 AND max_lat >= ?2 AND min_lon <= ?5 AND max_lon >= ?4)"
                        "%s)",
                        nbox == 2 ? " OR (min_lat <= ?3 AND max_lat >= ?2 AND min_lon <= ?7 "
                                    "AND max_lon >= ?6)"
                                  : "");
    snprintf(sql + len, sizeof sql - (size_t)len, " ORDER BY row");
    sqlite3_stmt *s = prepare(st, sql, err, errlen);
    if (!s) return false;
    char *like = NULL;
    if (use_name) {
        like = glob_to_like(q->name);
        if (!like) {
            sqlite3_finalize(s);
            snprintf(err, errlen, "profile store: out of memory");
            return false;
        }
        sqlite3_bind_text(s, 1, like, -1, SQLITE_STATIC);
    }
    for (size_t i = 0; i < nbox; i++) {
        sqlite3_bind_double(s, (int)(2 + 4 * i), b[i].lat0);
        sqlite3_bind_double(s, (int)(3 + 4 * i), b[i].lat1);
        sqlite3_bind_double(s, (int)(4 + 4 * i), b[i].lon0);
        sqlite3_bind_double(s, (int)(5 + 4 * i), b[i].lon1);
    }
    int rc = SQLITE_DONE;
    while (*n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 1);
        const char *type = (const char *)sqlite3_column_text(s, 2);
        const char *extra = (const char *)sqlite3_column_text(s, 3);
        if (!glob_ok(q->name, name ? name : "", true)) continue;
        if (!glob_ok(q->type, type ? type : "", false)) continue;
        if (!glob_ok(q->extra, extra ? extra : "", false)) continue;
        if (q->use_location) {
            double d = profile_distance_m(q->latitude, q->longitude,
                                          (int32_t)sqlite3_column_int64(s, 4),
                                          (int32_t)sqlite3_column_int64(s, 5));
            if (d > q->radius_m) continue;
        }
        rows[(*n)++] = sqlite3_column_int64(s, 0);
    }
    if (*n < max && rc != SQLITE_DONE) {
        db_fail(st, "search", err, errlen);
        sqlite3_finalize(s);
        free(like);
        return false;
    }
    sqlite3_finalize(s);
    free(like);
    return true;
}
