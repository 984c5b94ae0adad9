/* Checks of profile service input, and the bytes an identity signs.
 *
 * Pure functions with no I/O and no global state: the service calls them on every
 * request before touching the store, and the fuzz harness calls them directly. Each
 * check that can fail names the offending protocol field in err (the `details` of an
 * ERROR_INVALID_VALUE response), so the caller can pass err on unchanged.
 *
 * The signed profile (doc/services-protocol.md, section 9.3) is the SHA-256 of a fixed
 * layout, independent of any protobuf encoder:
 *
 *   "iop-profile"        11 ASCII bytes, no NUL
 *   public_key           32 bytes
 *   version              u32 little-endian
 *   type, name, extra    each as u16 little-endian length, then the UTF-8 bytes
 *   latitude, longitude  each i32 little-endian (two's complement), 1e-6 degrees
 *   image_hash           32 bytes: SHA-256 of the image, or 32 zero bytes for none
 *   thumbnail_hash       32 bytes, likewise
 *
 * in this order: tag, public_key, version, type, name, latitude, longitude, extra,
 * image_hash, thumbnail_hash. The 32-byte digest is the BIP340 message. */
#ifndef IOP_SERVICES_PROFILE_CHECK_H
#define IOP_SERVICES_PROFILE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/proto/iop_common.pb-c.h"

#define PROFILE_SIGN_TAG                "iop-profile"
#define PROFILE_MAX_TYPE                64
#define PROFILE_MAX_NAME                64
#define PROFILE_MAX_EXTRA               200
#define PROFILE_MAX_IMAGE               20480
#define PROFILE_MAX_THUMBNAIL           5120
#define PROFILE_MAX_APP_SERVICES        50
#define PROFILE_MAX_APP_SERVICE_LEN     32
#define PROFILE_MAX_PLAN                64
#define PROFILE_MAX_PATTERN             256 /* search globs: name, type, extra_data */
#define PROFILE_LAT_LIMIT               90000000
#define PROFILE_LON_LIMIT               180000000
#define PROFILE_MAX_RADIUS              20037509u /* half the Earth's circumference, metres */
#define PROFILE_SEARCH_MAX_TOTAL        1000
#define PROFILE_SEARCH_MAX_TOTAL_THUMBS 100
#define PROFILE_SEARCH_MAX_RESPONSE     100
#define PROFILE_EARTH_RADIUS_M          6371008.8 /* IUGG mean radius */

enum profile_image_format {
    PROFILE_IMAGE_NONE = 0,
    PROFILE_IMAGE_PNG,
    PROFILE_IMAGE_JPEG,
};

/* True if s[0..len) is well-formed UTF-8 (no overlong forms, no surrogates, nothing
 * above U+10FFFF) and holds no NUL byte. */
bool profile_utf8_valid(const char *s, size_t len);

/* Reads the format and dimensions of an image from its header: PNG by its 8-byte
 * signature and the IHDR chunk that must follow it; JPEG by SOI and the first SOF0 or
 * SOF2 segment, walking the segments before it. Both dimensions must be non-zero. The
 * pixel data is not decoded. False for anything else (NULL/0 too). */
__attribute__((warn_unused_result)) bool profile_image_probe(const uint8_t *data, size_t len,
                                                             enum profile_image_format *fmt,
                                                             uint32_t *width, uint32_t *height);

/* Glob matching, the pattern language of ProfileSearch: `*` matches any run of bytes
 * (also none), `?` exactly one byte, `\` makes the next byte literal; everything else
 * matches itself. The whole text must match. With fold, ASCII letters match regardless
 * of case. Runs in O(len(pattern) * len(text)) at worst (no backtracking blow-up). */
bool profile_glob_match(const char *pattern, size_t plen, const char *text, size_t tlen,
                        bool fold);

/* Great-circle distance in metres between two points given in 1e-6 degrees (haversine
 * on a sphere of PROFILE_EARTH_RADIUS_M). */
double profile_distance_m(int32_t lat1, int32_t lon1, int32_t lat2, int32_t lon2);

/* The digest an identity signs for a profile (layout at the top of this file). hashes
 * are 32 bytes or NULL for "none". Strings are taken up to their NUL. */
void profile_signed_digest(uint8_t out[32], const uint8_t public_key[32], uint32_t version,
                           const char *type, const char *name, int32_t latitude,
                           int32_t longitude, const char *extra, const uint8_t *image_hash,
                           const uint8_t *thumbnail_hash);

/* Checks a RegisterHosting request's own fields (type). */
__attribute__((warn_unused_result)) bool
profile_check_register(const Iop__Profile__RegisterHostingRequest *r, char *err, size_t errlen);

/* Checks an UpdateProfile request by itself: profile present, key and signature sizes,
 * version >= 1, type/name/extra lengths and UTF-8, location range, each image either
 * empty (and its hash empty) or a PNG/JPEG within its size limit whose SHA-256 equals
 * the hash. What needs the store (the key matches the conversation, version grows, type
 * equals the registered one) and the signature itself are the caller's. */
__attribute__((warn_unused_result)) bool
profile_check_update(const Iop__Profile__UpdateProfileRequest *r, char *err, size_t errlen);

/* Checks ApplicationServiceAdd names: 1..50 of them, each 1..32 bytes of UTF-8, no
 * duplicates within the request. */
__attribute__((warn_unused_result)) bool
profile_check_app_services(const Iop__Profile__ApplicationServiceAddRequest *r, char *err,
                           size_t errlen);

/* The limits of a search after defaults are applied. */
struct profile_search_limits {
    uint32_t max_total;
    uint32_t max_response;
};

/* Checks a ProfileSearch request (pattern lengths and UTF-8, location and radius, the
 * result limits) and writes the effective limits. */
__attribute__((warn_unused_result)) bool
profile_check_search(const Iop__Profile__ProfileSearchRequest *r,
                     struct profile_search_limits *lim, char *err, size_t errlen);

/* Checks a ProfileSearchPart request's count (1..100). The offset is checked against
 * the kept results by the caller. */
__attribute__((warn_unused_result)) bool
profile_check_search_part(const Iop__Profile__ProfileSearchPartRequest *r, char *err,
                          size_t errlen);

#endif
