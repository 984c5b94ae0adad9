/* The profile store: hosted identities and their signed profiles in one SQLite file.
 *
 * One file, profile.sqlite, in a directory the caller names. Tables:
 *   meta          key/value; "schema_version" = PROFILE_STORE_SCHEMA_VERSION
 *   identities    one row per hosted identity: keys, plan, agreement time, type (fixed at
 *                 registration), the signed profile fields, images and their hashes,
 *                 online flag and last check-in
 *   app_services  (identity, name): the application services an identity offers
 *   names         FTS5 table with the trigram tokenizer, rowid = identity row; lets LIKE
 *                 patterns with the wildcard at either end use an index
 *   locations     R*Tree of (lat, lat, lon, lon) in degrees, rowid = identity row; a
 *                 bounding box prefilter for radius searches
 * Every write is one transaction (BEGIN IMMEDIATE ... COMMIT), with WAL and
 * synchronous=FULL, so a write that returned OK survives a crash. The online flags are
 * cleared at open: presence belongs to live connections.
 *
 * SQLite must be built with FTS5 and RTREE (3.34 or later for the trigram tokenizer);
 * profile_store_open says so plainly otherwise. A store is used from one thread at a
 * time. Nothing here is global. */
#ifndef IOP_SERVICES_PROFILE_STORE_H
#define IOP_SERVICES_PROFILE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/profile/profile_check.h"

#define PROFILE_STORE_FILE           "profile.sqlite"
#define PROFILE_STORE_SCHEMA_VERSION 1

struct profile_store;

enum profile_store_result {
    PROFILE_STORE_OK,
    PROFILE_STORE_NOT_FOUND, /* no such identity (or application service) */
    PROFILE_STORE_EXISTS,    /* already hosted (or service already listed) */
    PROFILE_STORE_QUOTA,     /* max hosted identities, or 50 application services */
    PROFILE_STORE_ERROR,     /* SQLite failed; err says how */
};

/* One hosted identity. Strings are NUL-terminated copies; image and thumbnail are
 * malloc'd (NULL when absent or not asked for) and released by profile_record_clear. */
struct profile_record {
    int64_t row;
    uint8_t identity_id[32]; /* SHA-256 of public_key */
    uint8_t public_key[32];
    char plan[PROFILE_MAX_PLAN + 1];
    int64_t agreement_time;
    char type[PROFILE_MAX_TYPE + 1];
    uint32_t version; /* 0 until the first UpdateProfile */
    char name[PROFILE_MAX_NAME + 1];
    int32_t latitude, longitude;
    char extra[PROFILE_MAX_EXTRA + 1];
    bool has_image, has_thumbnail;
    uint8_t image_hash[32], thumbnail_hash[32];
    uint8_t signature[64];
    uint8_t *image, *thumbnail;
    size_t image_len, thumbnail_len;
    bool online;
    int64_t last_checkin;
};

void profile_record_clear(struct profile_record *r);

/* Opens or creates dir/profile.sqlite (dir is created with mode 0700 if missing).
 * NULL with a message in err when SQLite lacks FTS5 or RTREE, the schema version is
 * not ours, or the file cannot be opened. */
__attribute__((warn_unused_result)) struct profile_store *
profile_store_open(const char *dir, char *err, size_t errlen);

/* Closes; NULL is a no-op. */
void profile_store_close(struct profile_store *st);

/* Hosts a new identity under plan with its type. EXISTS if hosted already; QUOTA if
 * max_hosted identities are hosted (0: no limit). */
__attribute__((warn_unused_result)) enum profile_store_result
profile_store_register(struct profile_store *st, const uint8_t public_key[32], const char *plan,
                       const char *type, int64_t now, size_t max_hosted, char *err,
                       size_t errlen);

/* Removes an identity with its profile, images and application services. */
__attribute__((warn_unused_result)) enum profile_store_result
profile_store_cancel(struct profile_store *st, const uint8_t identity_id[32], char *err,
                     size_t errlen);

/* Reads an identity by id into *out (cleared first). Images are read only when asked. */
__attribute__((warn_unused_result)) enum profile_store_result
profile_store_get(struct profile_store *st, const uint8_t identity_id[32], bool want_image,
                  bool want_thumbnail, struct profile_record *out, char *err, size_t errlen);

/* The same by row number (search results keep rows). */
__attribute__((warn_unused_result)) enum profile_store_result
profile_store_get_row(struct profile_store *st, int64_t row, bool want_image,
                      bool want_thumbnail, struct profile_record *out, char *err,
                      size_t errlen);

/* Replaces the profile of rec->identity_id with rec's version, name, location, extra,
 * signature, image and thumbnail (and their hashes), and updates the name and location
 * indexes. Type, plan and presence are left alone. */
__attribute__((warn_unused_result)) enum profile_store_result
profile_store_update(struct profile_store *st, const struct profile_record *rec, char *err,
                     size_t errlen);

/* Sets the online flag (and, when going online, the last check-in time). */
__attribute__((warn_unused_result)) enum profile_store_result
profile_store_set_online(struct profile_store *st, const uint8_t identity_id[32], bool online,
                         int64_t now, char *err, size_t errlen);

/* Adds names to an identity's application services: all or none. EXISTS if one is
 * listed already; QUOTA if the list would exceed PROFILE_MAX_APP_SERVICES. */
__attribute__((warn_unused_result)) enum profile_store_result
profile_store_app_add(struct profile_store *st, const uint8_t identity_id[32],
                      char *const *names, size_t n, char *err, size_t errlen);

__attribute__((warn_unused_result)) enum profile_store_result
profile_store_app_remove(struct profile_store *st, const uint8_t identity_id[32],
                         const char *name, char *err, size_t errlen);

/* The identity's application services, sorted, in a malloc'd array of malloc'd strings
 * (free with profile_store_free_names). */
__attribute__((warn_unused_result)) enum profile_store_result
profile_store_app_list(struct profile_store *st, const uint8_t identity_id[32], char ***names,
                       size_t *n, char *err, size_t errlen);
void profile_store_free_names(char **names, size_t n);

/* Counts of hosted and online identities. */
__attribute__((warn_unused_result)) bool profile_store_counts(struct profile_store *st,
                                                              size_t *hosted, size_t *online,
                                                              char *err, size_t errlen);

/* What ProfileSearch asks for: globs (profile_glob_match; NULL or "" for any), names
 * compared without ASCII case, and an optional circle. */
struct profile_search_query {
    const char *name, *type, *extra;
    bool use_location;
    int32_t latitude, longitude;
    uint32_t radius_m;
};

/* Finds profiles (only those updated at least once) matching every criterion, in row
 * order, and writes up to max rows to rows[]. */
__attribute__((warn_unused_result)) bool
profile_store_search(struct profile_store *st, const struct profile_search_query *q,
                     int64_t *rows, size_t max, size_t *n, char *err, size_t errlen);

#endif
