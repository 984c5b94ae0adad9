/* The wallet's SQLite store (see walletdb.h for the guarantees).
 *
 * Opening is a fixed sequence, each step with its own error message:
 *   1. check existence against the mode; a new file is created here with O_EXCL and
 *      mode 0600 (so CREATE never adopts someone's file, and secrets are not
 *      world-readable), and removed again if opening it fails;
 *   2. sqlite3_open_v2, then locking_mode=EXCLUSIVE *before* anything reads the file, so
 *      WAL mode never creates shared memory and the lock is never shared;
 *   3. BEGIN EXCLUSIVE / COMMIT: takes the file lock, and is the first read, so a file
 *      that is not SQLite fails here with SQLITE_NOTADB;
 *   4. journal_mode=WAL, synchronous=FULL and the other pragmas;
 *   5. classify: empty database (new wallet), our application_id (check the schema
 *      version), anything else (refuse);
 *   6. quick_check, which walks every page, so truncation and corruption are reported
 *      at open rather than at some later read.
 *
 * Statements used by single-row calls are prepared once and kept (stmts[]); listing
 * functions prepare their own, so a callback may call the getters. Writes go through
 * write_begin/write_end, which wrap a single write in its own transaction unless a
 * batch is open. */
#include "wallet/walletdb.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const SCHEMA_V1[] = {
    "CREATE TABLE meta("
    " key TEXT PRIMARY KEY NOT NULL,"
    " value NOT NULL"
    ") WITHOUT ROWID",
    "CREATE TABLE descriptors("
    " id BLOB PRIMARY KEY NOT NULL CHECK(length(id) = 32),"
    " descriptor TEXT NOT NULL,"
    " range_start INTEGER NOT NULL,"
    " range_end INTEGER NOT NULL,"
    " next_index INTEGER NOT NULL,"
    " active INTEGER NOT NULL CHECK(active IN (0, 1)),"
    " internal INTEGER NOT NULL CHECK(internal IN (0, 1)),"
    " created INTEGER NOT NULL,"
    " secret BLOB,"
    " secret_encrypted INTEGER NOT NULL CHECK(secret_encrypted IN (0, 1))"
    ")",
    "CREATE TABLE scripts("
    " script BLOB PRIMARY KEY NOT NULL,"
    " descriptor_id BLOB NOT NULL REFERENCES descriptors(id) ON DELETE CASCADE,"
    " idx INTEGER NOT NULL"
    ") WITHOUT ROWID",
    "CREATE INDEX scripts_by_descriptor ON scripts(descriptor_id, idx)",
    "CREATE TABLE addresses("
    " address TEXT PRIMARY KEY NOT NULL,"
    " label TEXT NOT NULL,"
    " purpose TEXT NOT NULL"
    ") WITHOUT ROWID",
    "CREATE TABLE transactions("
    " txid BLOB PRIMARY KEY NOT NULL CHECK(length(txid) = 32),"
    " raw BLOB NOT NULL,"
    " block_hash BLOB CHECK(block_hash IS NULL OR length(block_hash) = 32),"
    " height INTEGER NOT NULL,"
    " position INTEGER NOT NULL,"
    " time_received INTEGER NOT NULL,"
    " state INTEGER NOT NULL"
    ")",
    "CREATE INDEX transactions_by_height ON transactions(height, position)",
    "CREATE TABLE locked_outpoints("
    " txid BLOB NOT NULL CHECK(length(txid) = 32),"
    " vout INTEGER NOT NULL,"
    " PRIMARY KEY(txid, vout)"
    ") WITHOUT ROWID",
    "CREATE TABLE secrets("
    " name TEXT PRIMARY KEY NOT NULL,"
    " value BLOB NOT NULL,"
    " encrypted INTEGER NOT NULL CHECK(encrypted IN (0, 1))"
    ") WITHOUT ROWID",
};

static const char SCHEMA_VERSION_KEY[] = "schema_version";

enum stmt_id {
    ST_META_PUT,
    ST_META_GET,
    ST_META_DEL,
    ST_DESC_PUT,
    ST_DESC_GET,
    ST_DESC_IDX,
    ST_DESC_SECRET,
    ST_DESC_DEL,
    ST_SCRIPT_PUT,
    ST_SCRIPT_GET,
    ST_ADDR_PUT,
    ST_ADDR_GET,
    ST_ADDR_DEL,
    ST_TX_PUT,
    ST_TX_GET,
    ST_TX_DEL,
    ST_LOCK_PUT,
    ST_LOCK_DEL,
    ST_SECRET_PUT,
    ST_SECRET_GET,
    ST_SECRET_DEL,
    ST_COUNT
};

static const char *const STMT_SQL[ST_COUNT] = {
    [ST_META_PUT] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_DEL] = "DELETE FROM meta WHERE key = ?1",
    [ST_DESC_PUT] = "INSERT OR REPLACE INTO descriptors(id, descriptor, range_start, range_end,"
                    " next_index, active, internal, created, secret, secret_encrypted)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [ST_DESC_GET] = "SELECT id, descriptor, range_start, range_end, next_index, active,"
                    " internal, created, secret, secret_encrypted FROM descriptors"
                    " WHERE id = ?1",
    [ST_DESC_IDX] = "UPDATE descriptors SET range_end = ?2, next_index = ?3 WHERE id = ?1",
    [ST_DESC_SECRET] =
        "UPDATE descriptors SET secret = ?2, secret_encrypted = ?3 WHERE id = ?1",
    [ST_DESC_DEL] = "DELETE FROM descriptors WHERE id = ?1",
    [ST_SCRIPT_PUT] = "INSERT OR REPLACE INTO scripts(script, descriptor_id, idx)"
                      " VALUES(?1, ?2, ?3)",
    [ST_SCRIPT_GET] = "SELECT descriptor_id, idx FROM scripts WHERE script = ?1",
    [ST_ADDR_PUT] = "INSERT OR REPLACE INTO addresses(address, label, purpose)"
                    " VALUES(?1, ?2, ?3)",
    [ST_ADDR_GET] = "SELECT label, purpose FROM addresses WHERE address = ?1",
    [ST_ADDR_DEL] = "DELETE FROM addresses WHERE address = ?1",
    [ST_TX_PUT] = "INSERT OR REPLACE INTO transactions(txid, raw, block_hash, height, position,"
                  " time_received, state) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_TX_GET] = "SELECT txid, raw, block_hash, height, position, time_received, state"
                  " FROM transactions WHERE txid = ?1",
    [ST_TX_DEL] = "DELETE FROM transactions WHERE txid = ?1",
    [ST_LOCK_PUT] = "INSERT OR IGNORE INTO locked_outpoints(txid, vout) VALUES(?1, ?2)",
    [ST_LOCK_DEL] = "DELETE FROM locked_outpoints WHERE txid = ?1 AND vout = ?2",
    [ST_SECRET_PUT] =
        "INSERT OR REPLACE INTO secrets(name, value, encrypted) VALUES(?1, ?2, ?3)",
    [ST_SECRET_GET] = "SELECT value, encrypted FROM secrets WHERE name = ?1",
    [ST_SECRET_DEL] = "DELETE FROM secrets WHERE name = ?1",
};

struct walletdb {
    sqlite3 *db;
    sqlite3_stmt *stmts[ST_COUNT];
    bool in_batch;
    bool batch_failed; /* a write inside the batch failed: commit must not happen */
    char *path;
};

/* ---- errors ---- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* "what: SQLite's message" for the last error on db. */
static bool db_fail(struct walletdb *db, char *err, size_t errlen, const char *what)
{
    set_err(err, errlen, "wallet %s: %s: %s", db->path, what, sqlite3_errmsg(db->db));
    return false;
}

/* ---- statements ---- */

static sqlite3_stmt *get_stmt(struct walletdb *db, enum stmt_id id, char *err, size_t errlen)
{
    if (!db->stmts[id]) {
        if (sqlite3_prepare_v3(db->db, STMT_SQL[id], -1, SQLITE_PREPARE_PERSISTENT,
                               &db->stmts[id], NULL) != SQLITE_OK) {
            db_fail(db, err, errlen, "preparing a statement");
            db->stmts[id] = NULL;
            return NULL;
        }
    }
    return db->stmts[id];
}

/* Leaves s ready for reuse and drops references to the caller's buffers. */
static void done_stmt(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

/* Binds len bytes as a blob; a zero-length value is an empty blob, not NULL. The data
 * is not copied: the statement runs and is reset before the caller's buffer goes. */
static int bind_blob(sqlite3_stmt *s, int i, const void *p, size_t len)
{
    if (len == 0) return sqlite3_bind_zeroblob(s, i, 0);
    return sqlite3_bind_blob64(s, i, p, len, SQLITE_STATIC);
}

static int bind_text(sqlite3_stmt *s, int i, const char *t)
{
    return sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
}

static int bind_hash(sqlite3_stmt *s, int i, const uint256 *h)
{
    return sqlite3_bind_blob(s, i, h->b, 32, SQLITE_STATIC);
}

/* Copies a blob column into a new buffer with a NUL after it (so text can use it). */
static bool column_copy(sqlite3_stmt *s, int col, uint8_t **out, size_t *len)
{
    const void *p = sqlite3_column_blob(s, col);
    int n = sqlite3_column_bytes(s, col);
    *out = malloc((size_t)n + 1);
    if (!*out) return false;
    if (n > 0) memcpy(*out, p, (size_t)n);
    (*out)[n] = 0;
    *len = (size_t)n;
    return true;
}

static bool column_hash(sqlite3_stmt *s, int col, uint256 *out)
{
    if (sqlite3_column_type(s, col) != SQLITE_BLOB || sqlite3_column_bytes(s, col) != 32)
        return false;
    memcpy(out->b, sqlite3_column_blob(s, col), 32);
    return true;
}

/* ---- transactions ---- */

static bool exec(struct walletdb *db, const char *sql, char *err, size_t errlen)
{
    if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(db, err, errlen, sql);
    return true;
}

/* Starts a transaction for one write unless a batch is open; *own says which. */
static bool write_begin(struct walletdb *db, bool *own, char *err, size_t errlen)
{
    *own = !db->in_batch;
    if (!*own) return true;
    return exec(db, "BEGIN IMMEDIATE", err, errlen);
}

/* Ends what write_begin started: commit when ok, else roll back. Inside a batch a
 * failure marks the batch so it cannot be committed. */
static bool write_end(struct walletdb *db, bool own, bool ok, char *err, size_t errlen)
{
    if (!own) {
        if (!ok) db->batch_failed = true;
        return ok;
    }
    if (ok) {
        if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) return true;
        db_fail(db, err, errlen, "commit");
    }
    sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
    return false;
}

/* Runs a bound write statement s to completion inside its own transaction or the
 * batch. changes_required: fail when no row was affected (update of a missing row). */
static bool run_write(struct walletdb *db, sqlite3_stmt *s, bool bind_ok, bool changes_required,
                      const char *what, char *err, size_t errlen)
{
    bool own, ok = false;
    /* After a failure the batch is only good for rollback; and if SQLite ended the
     * transaction itself (I/O error, disk full), a write now would commit on its own. */
    if (db->in_batch && (db->batch_failed || sqlite3_get_autocommit(db->db))) {
        set_err(err, errlen,
                "wallet %s: %s: an earlier write in this batch failed; roll it back", db->path,
                what);
        done_stmt(s);
        db->batch_failed = true;
        return false;
    }
    if (!bind_ok) {
        db_fail(db, err, errlen, what);
        done_stmt(s);
        if (db->in_batch) db->batch_failed = true;
        return false;
    }
    if (!write_begin(db, &own, err, errlen)) {
        done_stmt(s);
        return false;
    }
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        ok = true;
        if (changes_required && sqlite3_changes(db->db) == 0) {
            set_err(err, errlen, "wallet %s: %s: no such record", db->path, what);
            ok = false;
        }
    } else {
        db_fail(db, err, errlen, what);
    }
    done_stmt(s);
    return write_end(db, own, ok, err, errlen);
}

bool walletdb_begin(struct walletdb *db, char *err, size_t errlen)
{
    if (db->in_batch) {
        set_err(err, errlen, "wallet %s: a batch is already open", db->path);
        return false;
    }
    if (!exec(db, "BEGIN IMMEDIATE", err, errlen)) return false;
    db->in_batch = true;
    db->batch_failed = false;
    return true;
}

bool walletdb_commit(struct walletdb *db, char *err, size_t errlen)
{
    if (!db->in_batch) {
        set_err(err, errlen, "wallet %s: commit without a batch", db->path);
        return false;
    }
    db->in_batch = false;
    if (db->batch_failed) {
        sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
        set_err(err, errlen, "wallet %s: a write in the batch failed; batch rolled back",
                db->path);
        return false;
    }
    if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        db_fail(db, err, errlen, "commit");
        sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
        return false;
    }
    return true;
}

bool walletdb_rollback(struct walletdb *db, char *err, size_t errlen)
{
    if (!db->in_batch) return true;
    db->in_batch = false;
    db->batch_failed = false;
    /* A failed statement may already have ended the transaction. */
    if (sqlite3_get_autocommit(db->db)) return true;
    return exec(db, "ROLLBACK", err, errlen);
}

bool walletdb_in_batch(const struct walletdb *db) { return db->in_batch; }

bool walletdb_checkpoint(struct walletdb *db, char *err, size_t errlen)
{
    if (db->in_batch) {
        set_err(err, errlen, "wallet %s: cannot checkpoint inside a batch", db->path);
        return false;
    }
    int log = 0, ckpt = 0;
    if (sqlite3_wal_checkpoint_v2(db->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &ckpt) !=
        SQLITE_OK)
        return db_fail(db, err, errlen, "checkpoint");
    return true;
}

bool walletdb_backup(struct walletdb *db, const char *dest, char *err, size_t errlen)
{
    if (db->in_batch) {
        set_err(err, errlen, "wallet %s: cannot back up inside a batch", db->path);
        return false;
    }
    /* VACUUM INTO refuses an existing non-empty file; create it first with our mode so
     * the copy of the secrets is never readable by others, even for a moment. */
    int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        set_err(err, errlen, "Error: Wallet backup failed! cannot create %s: %s", dest,
                strerror(errno));
        return false;
    }
    close(fd);
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db->db, "VACUUM INTO ?1", -1, &st, NULL) == SQLITE_OK &&
              sqlite3_bind_text(st, 1, dest, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok) {
        set_err(err, errlen, "Error: Wallet backup failed! %s", sqlite3_errmsg(db->db));
        unlink(dest);
    }
    return ok;
}

void walletdb_free_secret(void *p, size_t len)
{
    if (!p) return;
    OPENSSL_cleanse(p, len);
    free(p);
}

/* ---- open / close ---- */

/* Runs a pragma or query whose first column of the first row is an integer. */
static bool query_int(struct walletdb *db, const char *sql, int64_t *out, char *err,
                      size_t errlen)
{
    sqlite3_stmt *s = NULL;
    bool ok = false;
    if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        ok = true;
    } else {
        db_fail(db, err, errlen, sql);
    }
    sqlite3_finalize(s);
    return ok;
}

/* Runs a pragma that answers with one text row, and checks the answer. */
static bool pragma_expect(struct walletdb *db, const char *sql, const char *want, char *err,
                          size_t errlen)
{
    sqlite3_stmt *s = NULL;
    bool ok = false;
    if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        const char *got = (const char *)sqlite3_column_text(s, 0);
        ok = got && strcmp(got, want) == 0;
        if (!ok)
            set_err(err, errlen, "wallet %s: %s gave \"%s\", wanted \"%s\"", db->path, sql,
                    got ? got : "(null)", want);
    } else {
        db_fail(db, err, errlen, sql);
    }
    sqlite3_finalize(s);
    return ok;
}

static bool create_schema(struct walletdb *db, char *err, size_t errlen)
{
    if (!exec(db, "BEGIN IMMEDIATE", err, errlen)) return false;
    bool ok = true;
    for (size_t i = 0; ok && i < sizeof(SCHEMA_V1) / sizeof(SCHEMA_V1[0]); i++)
        ok = exec(db, SCHEMA_V1[i], err, errlen);
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", (int)WALLETDB_APP_ID);
    if (ok) ok = exec(db, sql, err, errlen);
    sqlite3_stmt *s = NULL;
    if (ok) {
        ok = sqlite3_prepare_v2(db->db, STMT_SQL[ST_META_PUT], -1, &s, NULL) == SQLITE_OK;
        for (int i = 0; ok && i < 2; i++) {
            sqlite3_reset(s);
            ok = bind_text(s, 1, i == 0 ? SCHEMA_VERSION_KEY : WALLETDB_META_CREATED) ==
                     SQLITE_OK &&
                 sqlite3_bind_int64(s, 2,
                                    i == 0 ? WALLETDB_SCHEMA_VERSION : (int64_t)time(NULL)) ==
                     SQLITE_OK &&
                 sqlite3_step(s) == SQLITE_DONE;
        }
        if (!ok) db_fail(db, err, errlen, "writing the schema version");
        sqlite3_finalize(s);
    }
    if (ok) ok = exec(db, "COMMIT", err, errlen);
    if (!ok) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
    return ok;
}

/* Decides what the opened file is and creates the schema when it is new and may be. */
static bool check_or_create(struct walletdb *db, bool may_create, char *err, size_t errlen)
{
    int64_t app_id, tables;
    if (!query_int(db, "PRAGMA application_id", &app_id, err, errlen) ||
        !query_int(db, "SELECT count(*) FROM sqlite_schema", &tables, err, errlen))
        return false;
    if (app_id == 0 && tables == 0) {
        if (!may_create) {
            set_err(err, errlen, "wallet %s: the file is an empty database, not a wallet",
                    db->path);
            return false;
        }
        return create_schema(db, err, errlen);
    }
    if (app_id != WALLETDB_APP_ID) {
        set_err(err, errlen,
                "wallet %s: the file is an SQLite database of another application, not an "
                "iop wallet (application_id 0x%08" PRIx32 ")",
                db->path, (uint32_t)app_id);
        return false;
    }
    int64_t version = 0;
    bool found = false;
    char e2[256];
    if (!walletdb_get_meta_int(db, SCHEMA_VERSION_KEY, &version, &found, e2, sizeof(e2)) ||
        !found) {
        set_err(err, errlen, "wallet %s: the wallet has no valid schema version record",
                db->path);
        return false;
    }
    if (version > WALLETDB_SCHEMA_VERSION) {
        set_err(err, errlen,
                "wallet %s: the wallet has schema version %" PRId64
                ", newer than this iopd supports (%d); upgrade iopd to open it",
                db->path, version, WALLETDB_SCHEMA_VERSION);
        return false;
    }
    if (version < 1) {
        set_err(err, errlen, "wallet %s: invalid schema version %" PRId64, db->path, version);
        return false;
    }
    return true;
}

static bool integrity_check(struct walletdb *db, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    bool ok = false;
    if (sqlite3_prepare_v2(db->db, "PRAGMA quick_check(1)", -1, &s, NULL) == SQLITE_OK) {
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            const char *r = (const char *)sqlite3_column_text(s, 0);
            ok = r && strcmp(r, "ok") == 0;
            if (!ok) {
                set_err(err, errlen, "wallet %s: the file is corrupt (%s)", db->path,
                        r ? r : "integrity check failed");
                /* quick_check reports on several lines; errors are one line */
                for (char *c = err; err && *c; c++)
                    if (*c == '\n' || *c == '\r') *c = ' ';
            }
        } else {
            set_err(err, errlen, "wallet %s: the file is corrupt (%s)", db->path,
                    sqlite3_errmsg(db->db));
        }
    } else {
        set_err(err, errlen, "wallet %s: the file is corrupt (%s)", db->path,
                sqlite3_errmsg(db->db));
    }
    sqlite3_finalize(s);
    return ok;
}

/* Maps the error of the first read to a message a user can act on. */
static void open_error(struct walletdb *db, int rc, char *err, size_t errlen)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        set_err(err, errlen,
                "wallet %s is in use by another process (or already open in this one)",
                db->path);
        break;
    case SQLITE_NOTADB:
        set_err(err, errlen, "wallet %s: the file is not a wallet (not an SQLite database)",
                db->path);
        break;
    case SQLITE_CORRUPT:
        set_err(err, errlen, "wallet %s: the file is corrupt (%s)", db->path,
                sqlite3_errmsg(db->db));
        break;
    default: db_fail(db, err, errlen, "opening"); break;
    }
}

/* Removes a wallet file this call created and could not finish. */
static void remove_new_wallet(const char *path)
{
    char side[4096];
    unlink(path);
    if (snprintf(side, sizeof(side), "%s-wal", path) < (int)sizeof(side)) unlink(side);
    if (snprintf(side, sizeof(side), "%s-journal", path) < (int)sizeof(side)) unlink(side);
}

/* fsync of the directory holding path, so a new file's name is durable too. */
static bool sync_parent_dir(const char *path, char *err, size_t errlen)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else if ((size_t)(slash - path) < sizeof(dir))
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    else
        return true; /* absurdly long path: SQLite would have refused it already */
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool ok = fd >= 0 && fsync(fd) == 0;
    if (!ok)
        set_err(err, errlen, "wallet %s: cannot sync its directory: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    return ok;
}

bool walletdb_open(struct walletdb **out, const char *path, enum walletdb_mode mode, char *err,
                   size_t errlen)
{
    *out = NULL;
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (!exists && errno != ENOENT) {
        set_err(err, errlen, "wallet %s: %s", path, strerror(errno));
        return false;
    }
    if (exists && mode == WALLETDB_CREATE) {
        set_err(err, errlen, "wallet %s already exists", path);
        return false;
    }
    if (!exists && mode == WALLETDB_OPEN) {
        set_err(err, errlen, "wallet %s not found", path);
        return false;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        set_err(err, errlen, "wallet %s is not a regular file", path);
        return false;
    }

    struct walletdb *db = calloc(1, sizeof(*db));
    if (!db || !(db->path = strdup(path))) {
        free(db);
        set_err(err, errlen, "wallet %s: out of memory", path);
        return false;
    }
    /* A new wallet file is made here, not by SQLite: O_EXCL so an existing file is never
     * adopted (or removed on failure), and mode 0600 because it holds secrets (SQLite
     * gives its -wal file the same mode). */
    bool created = false;
    if (!exists) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            set_err(err, errlen, "wallet %s: cannot create: %s", path, strerror(errno));
            walletdb_close(db);
            return false;
        }
        close(fd);
        created = true;
    }
    int rc = sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK) {
        if (db->db)
            db_fail(db, err, errlen, "opening");
        else
            set_err(err, errlen, "wallet %s: cannot open: out of memory", path);
        walletdb_close(db);
        if (created) remove_new_wallet(path);
        return false;
    }
    sqlite3_extended_result_codes(db->db, 1);
    sqlite3_busy_timeout(db->db, 0);
    sqlite3_db_config(db->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(db->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);

    bool ok = pragma_expect(db, "PRAGMA locking_mode = EXCLUSIVE", "exclusive", err, errlen);
    if (ok) {
        rc = sqlite3_exec(db->db, "BEGIN EXCLUSIVE", NULL, NULL, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            open_error(db, sqlite3_extended_errcode(db->db), err, errlen);
            ok = false;
        }
    }
    if (ok) {
        /* Errors here are classified like those of the lock step. */
        sqlite3_stmt *s = NULL;
        rc = sqlite3_prepare_v2(db->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            const char *m = (const char *)sqlite3_column_text(s, 0);
            if (!m || strcmp(m, "wal") != 0) {
                set_err(err, errlen, "wallet %s: cannot switch to WAL journal mode", path);
                ok = false;
            }
        } else {
            open_error(db, sqlite3_extended_errcode(db->db), err, errlen);
            ok = false;
        }
        sqlite3_finalize(s);
    }
    ok = ok && exec(db, "PRAGMA synchronous = FULL", err, errlen) &&
         exec(db, "PRAGMA foreign_keys = ON", err, errlen) &&
         exec(db, "PRAGMA secure_delete = ON", err, errlen) &&
         exec(db, "PRAGMA temp_store = MEMORY", err, errlen) &&
         exec(db, "PRAGMA cell_size_check = ON", err, errlen);
    if (ok) {
        /* sqlite_schema is the first table read: corruption of page 1 shows here */
        ok = check_or_create(db, created || mode != WALLETDB_OPEN, err, errlen);
        if (!ok && err && errlen && strstr(err, "malformed"))
            set_err(err, errlen, "wallet %s: the file is corrupt (%s)", path,
                    sqlite3_errmsg(db->db));
    }
    if (ok) ok = integrity_check(db, err, errlen);
    if (ok && created) ok = sync_parent_dir(path, err, errlen);
    if (!ok) {
        walletdb_close(db);
        if (created) remove_new_wallet(path);
        return false;
    }
    *out = db;
    return true;
}

void walletdb_close(struct walletdb *db)
{
    if (!db) return;
    for (size_t i = 0; i < ST_COUNT; i++) sqlite3_finalize(db->stmts[i]);
    if (db->db) {
        if (!sqlite3_get_autocommit(db->db)) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(db->db);
    }
    free(db->path);
    free(db);
}

const char *walletdb_path(const struct walletdb *db) { return db->path; }

/* ---- meta ---- */

static bool reserved_key(struct walletdb *db, const char *key, char *err, size_t errlen)
{
    if (strcmp(key, SCHEMA_VERSION_KEY) != 0) return false;
    set_err(err, errlen, "wallet %s: meta key \"%s\" is reserved", db->path, key);
    return true;
}

bool walletdb_put_meta(struct walletdb *db, const char *key, const void *value, size_t len,
                       char *err, size_t errlen)
{
    if (reserved_key(db, key, err, errlen)) return false;
    sqlite3_stmt *s = get_stmt(db, ST_META_PUT, err, errlen);
    if (!s) return false;
    bool b = bind_text(s, 1, key) == SQLITE_OK && bind_blob(s, 2, value, len) == SQLITE_OK;
    return run_write(db, s, b, false, "writing meta", err, errlen);
}

bool walletdb_put_meta_int(struct walletdb *db, const char *key, int64_t value, char *err,
                           size_t errlen)
{
    if (reserved_key(db, key, err, errlen)) return false;
    sqlite3_stmt *s = get_stmt(db, ST_META_PUT, err, errlen);
    if (!s) return false;
    bool b = bind_text(s, 1, key) == SQLITE_OK && sqlite3_bind_int64(s, 2, value) == SQLITE_OK;
    return run_write(db, s, b, false, "writing meta", err, errlen);
}

/* Steps a bound single-row query: true with *found set, or false on error. */
static bool step_one(struct walletdb *db, sqlite3_stmt *s, bool bind_ok, bool *found,
                     const char *what, char *err, size_t errlen)
{
    *found = false;
    if (!bind_ok) {
        done_stmt(s);
        return db_fail(db, err, errlen, what);
    }
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *found = true;
        return true;
    }
    if (rc == SQLITE_DONE) {
        done_stmt(s);
        return true;
    }
    db_fail(db, err, errlen, what);
    done_stmt(s);
    return false;
}

bool walletdb_get_meta(struct walletdb *db, const char *key, uint8_t **value, size_t *len,
                       bool *found, char *err, size_t errlen)
{
    *value = NULL;
    *len = 0;
    sqlite3_stmt *s = get_stmt(db, ST_META_GET, err, errlen);
    if (!s) return false;
    if (!step_one(db, s, bind_text(s, 1, key) == SQLITE_OK, found, "reading meta", err, errlen))
        return false;
    if (!*found) return true;
    bool ok = false;
    int type = sqlite3_column_type(s, 0);
    if (type != SQLITE_BLOB && type != SQLITE_TEXT)
        set_err(err, errlen, "wallet %s: meta \"%s\" is not a text or blob value", db->path,
                key);
    else if (!column_copy(s, 0, value, len))
        set_err(err, errlen, "wallet %s: out of memory", db->path);
    else
        ok = true;
    done_stmt(s);
    if (!ok) *found = false;
    return ok;
}

bool walletdb_get_meta_int(struct walletdb *db, const char *key, int64_t *value, bool *found,
                           char *err, size_t errlen)
{
    *value = 0;
    sqlite3_stmt *s = get_stmt(db, ST_META_GET, err, errlen);
    if (!s) return false;
    if (!step_one(db, s, bind_text(s, 1, key) == SQLITE_OK, found, "reading meta", err, errlen))
        return false;
    if (!*found) return true;
    bool ok = sqlite3_column_type(s, 0) == SQLITE_INTEGER;
    if (ok)
        *value = sqlite3_column_int64(s, 0);
    else
        set_err(err, errlen, "wallet %s: meta \"%s\" is not an integer", db->path, key);
    done_stmt(s);
    if (!ok) *found = false;
    return ok;
}

bool walletdb_erase_meta(struct walletdb *db, const char *key, char *err, size_t errlen)
{
    if (reserved_key(db, key, err, errlen)) return false;
    sqlite3_stmt *s = get_stmt(db, ST_META_DEL, err, errlen);
    if (!s) return false;
    return run_write(db, s, bind_text(s, 1, key) == SQLITE_OK, false, "erasing meta", err,
                     errlen);
}

/* ---- descriptors ---- */

bool walletdb_put_descriptor(struct walletdb *db, const struct walletdb_descriptor *d,
                             char *err, size_t errlen)
{
    if (!d->text) {
        set_err(err, errlen, "wallet %s: descriptor without text", db->path);
        return false;
    }
    sqlite3_stmt *s = get_stmt(db, ST_DESC_PUT, err, errlen);
    if (!s) return false;
    bool b = bind_hash(s, 1, &d->id) == SQLITE_OK && bind_text(s, 2, d->text) == SQLITE_OK &&
             sqlite3_bind_int64(s, 3, d->range_start) == SQLITE_OK &&
             sqlite3_bind_int64(s, 4, d->range_end) == SQLITE_OK &&
             sqlite3_bind_int64(s, 5, d->next_index) == SQLITE_OK &&
             sqlite3_bind_int(s, 6, d->active) == SQLITE_OK &&
             sqlite3_bind_int(s, 7, d->internal) == SQLITE_OK &&
             sqlite3_bind_int64(s, 8, d->created) == SQLITE_OK &&
             (d->secret ? bind_blob(s, 9, d->secret, d->secret_len)
                        : sqlite3_bind_null(s, 9)) == SQLITE_OK &&
             sqlite3_bind_int(s, 10, d->secret ? d->secret_encrypted : 0) == SQLITE_OK;
    return run_write(db, s, b, false, "writing a descriptor", err, errlen);
}

static bool in_u32(int64_t v) { return v >= 0 && v <= UINT32_MAX; }

/* Fills d from a row of "SELECT id, descriptor, range_start, range_end, next_index,
 * active, internal, created, secret, secret_encrypted". */
static bool read_descriptor(struct walletdb *db, sqlite3_stmt *s, struct walletdb_descriptor *d,
                            char *err, size_t errlen)
{
    memset(d, 0, sizeof(*d));
    int64_t rs = sqlite3_column_int64(s, 2), re = sqlite3_column_int64(s, 3),
            ni = sqlite3_column_int64(s, 4);
    size_t tlen;
    if (!column_hash(s, 0, &d->id) || !in_u32(rs) || !in_u32(re) || !in_u32(ni)) {
        set_err(err, errlen, "wallet %s: malformed descriptor record", db->path);
        return false;
    }
    if (!column_copy(s, 1, (uint8_t **)&d->text, &tlen)) goto oom;
    d->range_start = (uint32_t)rs;
    d->range_end = (uint32_t)re;
    d->next_index = (uint32_t)ni;
    d->active = sqlite3_column_int(s, 5) != 0;
    d->internal = sqlite3_column_int(s, 6) != 0;
    d->created = sqlite3_column_int64(s, 7);
    if (sqlite3_column_type(s, 8) != SQLITE_NULL) {
        if (!column_copy(s, 8, &d->secret, &d->secret_len)) goto oom;
        d->secret_encrypted = sqlite3_column_int(s, 9) != 0;
    }
    return true;
oom:
    walletdb_descriptor_clear(d);
    set_err(err, errlen, "wallet %s: out of memory", db->path);
    return false;
}

bool walletdb_get_descriptor(struct walletdb *db, const uint256 *id,
                             struct walletdb_descriptor *out, bool *found, char *err,
                             size_t errlen)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *s = get_stmt(db, ST_DESC_GET, err, errlen);
    if (!s) return false;
    if (!step_one(db, s, bind_hash(s, 1, id) == SQLITE_OK, found, "reading a descriptor", err,
                  errlen))
        return false;
    if (!*found) return true;
    bool ok = read_descriptor(db, s, out, err, errlen);
    done_stmt(s);
    if (!ok) *found = false;
    return ok;
}

bool walletdb_update_descriptor_indexes(struct walletdb *db, const uint256 *id,
                                        uint32_t range_end, uint32_t next_index, char *err,
                                        size_t errlen)
{
    sqlite3_stmt *s = get_stmt(db, ST_DESC_IDX, err, errlen);
    if (!s) return false;
    bool b = bind_hash(s, 1, id) == SQLITE_OK &&
             sqlite3_bind_int64(s, 2, range_end) == SQLITE_OK &&
             sqlite3_bind_int64(s, 3, next_index) == SQLITE_OK;
    return run_write(db, s, b, true, "updating descriptor indexes", err, errlen);
}

bool walletdb_update_descriptor_secret(struct walletdb *db, const uint256 *id,
                                       const uint8_t *secret, size_t secret_len, bool encrypted,
                                       char *err, size_t errlen)
{
    sqlite3_stmt *s = get_stmt(db, ST_DESC_SECRET, err, errlen);
    if (!s) return false;
    bool b =
        bind_hash(s, 1, id) == SQLITE_OK &&
        (secret ? bind_blob(s, 2, secret, secret_len) : sqlite3_bind_null(s, 2)) == SQLITE_OK &&
        sqlite3_bind_int(s, 3, secret ? encrypted : 0) == SQLITE_OK;
    return run_write(db, s, b, true, "updating a descriptor secret", err, errlen);
}

bool walletdb_erase_descriptor(struct walletdb *db, const uint256 *id, char *err, size_t errlen)
{
    sqlite3_stmt *s = get_stmt(db, ST_DESC_DEL, err, errlen);
    if (!s) return false;
    return run_write(db, s, bind_hash(s, 1, id) == SQLITE_OK, false, "erasing a descriptor",
                     err, errlen);
}

void walletdb_descriptor_clear(struct walletdb_descriptor *d)
{
    if (!d) return;
    free(d->text);
    walletdb_free_secret(d->secret, d->secret_len);
    memset(d, 0, sizeof(*d));
}

/* Prepares a listing statement of its own (not cached, so callbacks may use the
 * cached ones). */
static sqlite3_stmt *prepare_list(struct walletdb *db, const char *sql, char *err,
                                  size_t errlen)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) != SQLITE_OK) {
        db_fail(db, err, errlen, "preparing a listing");
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

/* Steps s; returns 1 for a row, 0 when done, -1 on error (message set). */
static int list_step(struct walletdb *db, sqlite3_stmt *s, const char *what, char *err,
                     size_t errlen)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    db_fail(db, err, errlen, what);
    return -1;
}

bool walletdb_list_descriptors(struct walletdb *db, walletdb_descriptor_cb cb, void *arg,
                               char *err, size_t errlen)
{
    sqlite3_stmt *s = prepare_list(db,
                                   "SELECT id, descriptor, range_start, range_end, next_index,"
                                   " active, internal, created, secret, secret_encrypted"
                                   " FROM descriptors ORDER BY id",
                                   err, errlen);
    if (!s) return false;
    int r;
    bool ok = true;
    while (ok && (r = list_step(db, s, "listing descriptors", err, errlen)) != 0) {
        struct walletdb_descriptor d;
        if (r < 0 || !read_descriptor(db, s, &d, err, errlen)) {
            ok = false;
            break;
        }
        bool more = cb(arg, &d);
        walletdb_descriptor_clear(&d);
        if (!more) break;
    }
    sqlite3_finalize(s);
    return ok;
}

/* ---- scripts ---- */

bool walletdb_put_script(struct walletdb *db, const uint8_t *script, size_t len,
                         const uint256 *desc_id, uint32_t index, char *err, size_t errlen)
{
    sqlite3_stmt *s = get_stmt(db, ST_SCRIPT_PUT, err, errlen);
    if (!s) return false;
    bool b = bind_blob(s, 1, script, len) == SQLITE_OK &&
             bind_hash(s, 2, desc_id) == SQLITE_OK &&
             sqlite3_bind_int64(s, 3, index) == SQLITE_OK;
    return run_write(db, s, b, false, "writing a script", err, errlen);
}

bool walletdb_get_script(struct walletdb *db, const uint8_t *script, size_t len,
                         uint256 *desc_id, uint32_t *index, bool *found, char *err,
                         size_t errlen)
{
    sqlite3_stmt *s = get_stmt(db, ST_SCRIPT_GET, err, errlen);
    if (!s) return false;
    if (!step_one(db, s, bind_blob(s, 1, script, len) == SQLITE_OK, found, "reading a script",
                  err, errlen))
        return false;
    if (!*found) return true;
    int64_t idx = sqlite3_column_int64(s, 1);
    bool ok = column_hash(s, 0, desc_id) && in_u32(idx);
    if (ok)
        *index = (uint32_t)idx;
    else
        set_err(err, errlen, "wallet %s: malformed script record", db->path);
    done_stmt(s);
    if (!ok) *found = false;
    return ok;
}

/* ---- addresses ---- */

bool walletdb_put_address(struct walletdb *db, const char *address, const char *label,
                          const char *purpose, char *err, size_t errlen)
{
    sqlite3_stmt *s = get_stmt(db, ST_ADDR_PUT, err, errlen);
    if (!s) return false;
    bool b = bind_text(s, 1, address) == SQLITE_OK && bind_text(s, 2, label) == SQLITE_OK &&
             bind_text(s, 3, purpose) == SQLITE_OK;
    return run_write(db, s, b, false, "writing an address", err, errlen);
}

static char *column_strdup(sqlite3_stmt *s, int col)
{
    uint8_t *p;
    size_t len;
    return column_copy(s, col, &p, &len) ? (char *)p : NULL;
}

bool walletdb_get_address(struct walletdb *db, const char *address, char **label,
                          char **purpose, bool *found, char *err, size_t errlen)
{
    *label = *purpose = NULL;
    sqlite3_stmt *s = get_stmt(db, ST_ADDR_GET, err, errlen);
    if (!s) return false;
    if (!step_one(db, s, bind_text(s, 1, address) == SQLITE_OK, found, "reading an address",
                  err, errlen))
        return false;
    if (!*found) return true;
    *label = column_strdup(s, 0);
    *purpose = column_strdup(s, 1);
    done_stmt(s);
    if (*label && *purpose) return true;
    free(*label);
    free(*purpose);
    *label = *purpose = NULL;
    *found = false;
    set_err(err, errlen, "wallet %s: out of memory", db->path);
    return false;
}

bool walletdb_erase_address(struct walletdb *db, const char *address, char *err, size_t errlen)
{
    sqlite3_stmt *s = get_stmt(db, ST_ADDR_DEL, err, errlen);
    if (!s) return false;
    return run_write(db, s, bind_text(s, 1, address) == SQLITE_OK, false, "erasing an address",
                     err, errlen);
}

bool walletdb_list_addresses(struct walletdb *db, walletdb_address_cb cb, void *arg, char *err,
                             size_t errlen)
{
    sqlite3_stmt *s = prepare_list(
        db, "SELECT address, label, purpose FROM addresses ORDER BY address", err, errlen);
    if (!s) return false;
    int r;
    bool ok = true;
    while ((r = list_step(db, s, "listing addresses", err, errlen)) != 0) {
        if (r < 0) {
            ok = false;
            break;
        }
        const char *a = (const char *)sqlite3_column_text(s, 0);
        const char *l = (const char *)sqlite3_column_text(s, 1);
        const char *p = (const char *)sqlite3_column_text(s, 2);
        if (!a || !l || !p) {
            set_err(err, errlen, "wallet %s: malformed address record", db->path);
            ok = false;
            break;
        }
        if (!cb(arg, a, l, p)) break;
    }
    sqlite3_finalize(s);
    return ok;
}

/* ---- transactions ---- */

bool walletdb_put_tx(struct walletdb *db, const struct walletdb_tx *tx, char *err,
                     size_t errlen)
{
    if (!tx->raw || tx->raw_len == 0) {
        set_err(err, errlen, "wallet %s: transaction without data", db->path);
        return false;
    }
    sqlite3_stmt *s = get_stmt(db, ST_TX_PUT, err, errlen);
    if (!s) return false;
    bool b = bind_hash(s, 1, &tx->txid) == SQLITE_OK &&
             bind_blob(s, 2, tx->raw, tx->raw_len) == SQLITE_OK &&
             (tx->has_block ? bind_hash(s, 3, &tx->block_hash) : sqlite3_bind_null(s, 3)) ==
                 SQLITE_OK &&
             sqlite3_bind_int(s, 4, tx->height) == SQLITE_OK &&
             sqlite3_bind_int(s, 5, tx->position) == SQLITE_OK &&
             sqlite3_bind_int64(s, 6, tx->time_received) == SQLITE_OK &&
             sqlite3_bind_int(s, 7, (int)tx->state) == SQLITE_OK;
    return run_write(db, s, b, false, "writing a transaction", err, errlen);
}

/* Fills tx from "SELECT txid, raw, block_hash, height, position, time_received, state". */
static bool read_tx(struct walletdb *db, sqlite3_stmt *s, struct walletdb_tx *tx, char *err,
                    size_t errlen)
{
    memset(tx, 0, sizeof(*tx));
    int64_t h = sqlite3_column_int64(s, 3), pos = sqlite3_column_int64(s, 4),
            st = sqlite3_column_int64(s, 6);
    bool ok = column_hash(s, 0, &tx->txid) && h >= -1 && h <= INT32_MAX && pos >= -1 &&
              pos <= INT32_MAX && st >= WALLETDB_TX_UNCONFIRMED && st <= WALLETDB_TX_INACTIVE;
    if (ok && sqlite3_column_type(s, 2) != SQLITE_NULL) {
        ok = column_hash(s, 2, &tx->block_hash);
        tx->has_block = true;
    }
    if (!ok) {
        memset(tx, 0, sizeof(*tx));
        set_err(err, errlen, "wallet %s: malformed transaction record", db->path);
        return false;
    }
    if (!column_copy(s, 1, &tx->raw, &tx->raw_len)) {
        set_err(err, errlen, "wallet %s: out of memory", db->path);
        return false;
    }
    tx->height = (int32_t)h;
    tx->position = (int32_t)pos;
    tx->time_received = sqlite3_column_int64(s, 5);
    tx->state = (enum walletdb_tx_state)st;
    return true;
}

bool walletdb_get_tx(struct walletdb *db, const uint256 *txid, struct walletdb_tx *out,
                     bool *found, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *s = get_stmt(db, ST_TX_GET, err, errlen);
    if (!s) return false;
    if (!step_one(db, s, bind_hash(s, 1, txid) == SQLITE_OK, found, "reading a transaction",
                  err, errlen))
        return false;
    if (!*found) return true;
    bool ok = read_tx(db, s, out, err, errlen);
    done_stmt(s);
    if (!ok) *found = false;
    return ok;
}

bool walletdb_erase_tx(struct walletdb *db, const uint256 *txid, char *err, size_t errlen)
{
    sqlite3_stmt *s = get_stmt(db, ST_TX_DEL, err, errlen);
    if (!s) return false;
    return run_write(db, s, bind_hash(s, 1, txid) == SQLITE_OK, false, "erasing a transaction",
                     err, errlen);
}

bool walletdb_list_txs(struct walletdb *db, walletdb_tx_cb cb, void *arg, char *err,
                       size_t errlen)
{
    sqlite3_stmt *s = prepare_list(db,
                                   "SELECT txid, raw, block_hash, height, position,"
                                   " time_received, state FROM transactions"
                                   " ORDER BY height, position, txid",
                                   err, errlen);
    if (!s) return false;
    int r;
    bool ok = true;
    while ((r = list_step(db, s, "listing transactions", err, errlen)) != 0) {
        struct walletdb_tx tx;
        if (r < 0 || !read_tx(db, s, &tx, err, errlen)) {
            ok = false;
            break;
        }
        bool more = cb(arg, &tx);
        walletdb_tx_clear(&tx);
        if (!more) break;
    }
    sqlite3_finalize(s);
    return ok;
}

void walletdb_tx_clear(struct walletdb_tx *tx)
{
    if (!tx) return;
    free(tx->raw);
    memset(tx, 0, sizeof(*tx));
}

/* ---- locked outpoints ---- */

static bool outpoint_write(struct walletdb *db, enum stmt_id id, const uint256 *txid,
                           uint32_t vout, const char *what, char *err, size_t errlen)
{
    sqlite3_stmt *s = get_stmt(db, id, err, errlen);
    if (!s) return false;
    bool b = bind_hash(s, 1, txid) == SQLITE_OK && sqlite3_bind_int64(s, 2, vout) == SQLITE_OK;
    return run_write(db, s, b, false, what, err, errlen);
}

bool walletdb_lock_outpoint(struct walletdb *db, const uint256 *txid, uint32_t vout, char *err,
                            size_t errlen)
{
    return outpoint_write(db, ST_LOCK_PUT, txid, vout, "locking an outpoint", err, errlen);
}

bool walletdb_unlock_outpoint(struct walletdb *db, const uint256 *txid, uint32_t vout,
                              char *err, size_t errlen)
{
    return outpoint_write(db, ST_LOCK_DEL, txid, vout, "unlocking an outpoint", err, errlen);
}

bool walletdb_list_locked(struct walletdb *db, walletdb_outpoint_cb cb, void *arg, char *err,
                          size_t errlen)
{
    sqlite3_stmt *s = prepare_list(
        db, "SELECT txid, vout FROM locked_outpoints ORDER BY txid, vout", err, errlen);
    if (!s) return false;
    int r;
    bool ok = true;
    while ((r = list_step(db, s, "listing locked outpoints", err, errlen)) != 0) {
        uint256 txid;
        int64_t vout = sqlite3_column_int64(s, 1);
        if (r < 0 || !column_hash(s, 0, &txid) || !in_u32(vout)) {
            if (r > 0) set_err(err, errlen, "wallet %s: malformed locked outpoint", db->path);
            ok = false;
            break;
        }
        if (!cb(arg, &txid, (uint32_t)vout)) break;
    }
    sqlite3_finalize(s);
    return ok;
}

/* ---- secrets ---- */

bool walletdb_put_secret(struct walletdb *db, const char *name, const uint8_t *value,
                         size_t len, bool encrypted, char *err, size_t errlen)
{
    sqlite3_stmt *s = get_stmt(db, ST_SECRET_PUT, err, errlen);
    if (!s) return false;
    bool b = bind_text(s, 1, name) == SQLITE_OK && bind_blob(s, 2, value, len) == SQLITE_OK &&
             sqlite3_bind_int(s, 3, encrypted) == SQLITE_OK;
    return run_write(db, s, b, false, "writing a secret", err, errlen);
}

bool walletdb_get_secret(struct walletdb *db, const char *name, uint8_t **value, size_t *len,
                         bool *encrypted, bool *found, char *err, size_t errlen)
{
    *value = NULL;
    *len = 0;
    if (encrypted) *encrypted = false;
    sqlite3_stmt *s = get_stmt(db, ST_SECRET_GET, err, errlen);
    if (!s) return false;
    if (!step_one(db, s, bind_text(s, 1, name) == SQLITE_OK, found, "reading a secret", err,
                  errlen))
        return false;
    if (!*found) return true;
    bool ok = column_copy(s, 0, value, len);
    if (ok && encrypted) *encrypted = sqlite3_column_int(s, 1) != 0;
    done_stmt(s);
    if (!ok) {
        *found = false;
        set_err(err, errlen, "wallet %s: out of memory", db->path);
    }
    return ok;
}

bool walletdb_erase_secret(struct walletdb *db, const char *name, char *err, size_t errlen)
{
    sqlite3_stmt *s = get_stmt(db, ST_SECRET_DEL, err, errlen);
    if (!s) return false;
    return run_write(db, s, bind_text(s, 1, name) == SQLITE_OK, false, "erasing a secret", err,
                     errlen);
}
