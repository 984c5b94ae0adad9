/* Input checks of the profile service (see profile_check.h). Every function here looks
 * at bytes a client sent, so each read is bounded by a length checked just before it. */
#include "services/profile/profile_check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "consensus/hash.h"

static bool fail(char *err, size_t errlen, const char *field)
{
    snprintf(err, errlen, "%s", field);
    return false;
}

bool profile_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c == 0) return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp, min;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1, cp = c & 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2, cp = c & 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false; /* continuation byte, 0xc0/0xc1 or above 0xf4 */
        }
        if (len - i <= n) return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += n + 1;
    }
    return true;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }

static bool probe_png(const uint8_t *d, size_t len, uint32_t *w, uint32_t *h)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    /* signature, IHDR length and type, 13 bytes of IHDR data, CRC */
    if (len < 8 + 8 + 13 + 4 || memcmp(d, sig, 8) != 0) return false;
    if (be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0) return false;
    *w = be32(d + 16);
    *h = be32(d + 20);
    /* The PNG specification bounds both by 2^31 - 1. */
    return *w != 0 && *h != 0 && *w <= 0x7fffffffu && *h <= 0x7fffffffu;
}

static bool probe_jpeg(const uint8_t *d, size_t len, uint32_t *w, uint32_t *h)
{
    if (len < 4 || d[0] != 0xff || d[1] != 0xd8) return false;
    size_t i = 2;
    while (i < len) {
        if (d[i] != 0xff) return false;
        while (i < len && d[i] == 0xff) i++; /* fill bytes */
        if (i >= len) return false;
        uint8_t m = d[i++];
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) continue; /* no length field */
        /* A scan, the end, or stuffing before any frame header: not a usable JPEG. */
        if (m == 0xd9 || m == 0xda || m == 0x00 || m == 0xd8) return false;
        if (len - i < 2) return false;
        size_t seg = be16(d + i);
        if (seg < 2 || seg > len - i) return false;
        if (m == 0xc0 || m == 0xc2) {
            /* length, precision, height, width, component count */
            if (seg < 8) return false;
            *h = be16(d + i + 3);
            *w = be16(d + i + 5);
            return *w != 0 && *h != 0;
        }
        i += seg;
    }
    return false;
}

bool profile_image_probe(const uint8_t *data, size_t len, enum profile_image_format *fmt,
                         uint32_t *width, uint32_t *height)
{
    *fmt = PROFILE_IMAGE_NONE;
    *width = *height = 0;
    if (!data || len == 0) return false;
    if (probe_png(data, len, width, height)) {
        *fmt = PROFILE_IMAGE_PNG;
        return true;
    }
    if (probe_jpeg(data, len, width, height)) {
        *fmt = PROFILE_IMAGE_JPEG;
        return true;
    }
    *width = *height = 0;
    return false;
}

static unsigned char fold_ascii(unsigned char c, bool fold)
{
    return fold && c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

bool profile_glob_match(const char *pattern, size_t plen, const char *text, size_t tlen,
                        bool fold)
{
    const unsigned char *p = (const unsigned char *)pattern;
    const unsigned char *t = (const unsigned char *)text;
    size_t pi = 0, ti = 0;
    size_t star_p = SIZE_MAX, star_t = 0;
    /* Greedy with a single restart point: after a `*` only the latest one needs to be
     * retried, which keeps the work bounded by plen * tlen. */
    while (ti < tlen) {
        if (pi < plen && p[pi] == '*') {
            star_p = ++pi;
            star_t = ti;
            continue;
        }
        if (pi < plen) {
            size_t tok = 1;
            bool any = false;
            unsigned char lit = p[pi];
            if (lit == '?') {
                any = true;
            } else if (lit == '\\' && pi + 1 < plen) {
                lit = p[pi + 1];
                tok = 2;
            }
            if (any || fold_ascii(lit, fold) == fold_ascii(t[ti], fold)) {
                pi += tok;
                ti++;
                continue;
            }
        }
        if (star_p == SIZE_MAX) return false;
        pi = star_p;
        ti = ++star_t;
    }
    while (pi < plen && p[pi] == '*') pi++;
    return pi == plen;
}

double profile_distance_m(int32_t lat1, int32_t lon1, int32_t lat2, int32_t lon2)
{
    const double k = M_PI / 180e6;
    double p1 = lat1 * k, p2 = lat2 * k;
    double dp = (double)((int64_t)lat2 - lat1) * k, dl = (double)((int64_t)lon2 - lon1) * k;
    double a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
    if (a > 1) a = 1;
    return 2 * PROFILE_EARTH_RADIUS_M * asin(sqrt(a));
}

static void write_u32(struct sha256_ctx *c, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    sha256_write(c, b, 4);
}

static void write_str(struct sha256_ctx *c, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > 0xffff) n = 0xffff; /* never reached: checked lengths are far below */
    uint8_t b[2] = {(uint8_t)n, (uint8_t)(n >> 8)};
    sha256_write(c, b, 2);
    if (n) sha256_write(c, s, n);
}

void profile_signed_digest(uint8_t out[32], const uint8_t public_key[32], uint32_t version,
                           const char *type, const char *name, int32_t latitude,
                           int32_t longitude, const char *extra, const uint8_t *image_hash,
                           const uint8_t *thumbnail_hash)
{
    static const uint8_t zero[32];
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_write(&c, PROFILE_SIGN_TAG, strlen(PROFILE_SIGN_TAG));
    sha256_write(&c, public_key, 32);
    write_u32(&c, version);
    write_str(&c, type);
    write_str(&c, name);
    write_u32(&c, (uint32_t)latitude);
    write_u32(&c, (uint32_t)longitude);
    write_str(&c, extra);
    sha256_write(&c, image_hash ? image_hash : zero, 32);
    sha256_write(&c, thumbnail_hash ? thumbnail_hash : zero, 32);
    sha256_finalize(&c, out);
}

/* A protobuf string field: protobuf-c gives a NUL-terminated copy, so an embedded NUL
 * would hide the rest; such values are cut at the NUL, which strlen sees too. */
static bool str_ok(const char *s, size_t max, bool required)
{
    size_t n = s ? strlen(s) : 0;
    if (required && n == 0) return false;
    return n <= max && profile_utf8_valid(s ? s : "", n);
}

bool profile_check_register(const Iop__Profile__RegisterHostingRequest *r, char *err,
                            size_t errlen)
{
    if (!str_ok(r->plan, PROFILE_MAX_PLAN, false)) return fail(err, errlen, "plan");
    if (!str_ok(r->type, PROFILE_MAX_TYPE, true)) return fail(err, errlen, "type");
    return true;
}

static bool check_image(ProtobufCBinaryData img, ProtobufCBinaryData hash, size_t max)
{
    if (img.len == 0) return hash.len == 0;
    if (img.len > max || hash.len != 32) return false;
    enum profile_image_format f;
    uint32_t w, h;
    if (!profile_image_probe(img.data, img.len, &f, &w, &h)) return false;
    uint8_t got[32];
    sha256(img.data, img.len, got);
    return memcmp(got, hash.data, 32) == 0;
}

bool profile_check_update(const Iop__Profile__UpdateProfileRequest *r, char *err, size_t errlen)
{
    const Iop__Profile__SignedProfile *p = r->profile;
    if (!p) return fail(err, errlen, "profile");
    if (p->public_key.len != 32) return fail(err, errlen, "profile.public_key");
    if (p->version == 0) return fail(err, errlen, "profile.version");
    if (!str_ok(p->type, PROFILE_MAX_TYPE, false)) return fail(err, errlen, "profile.type");
    if (!str_ok(p->name, PROFILE_MAX_NAME, false)) return fail(err, errlen, "profile.name");
    if (p->latitude < -PROFILE_LAT_LIMIT || p->latitude > PROFILE_LAT_LIMIT)
        return fail(err, errlen, "profile.latitude");
    if (p->longitude < -PROFILE_LON_LIMIT || p->longitude > PROFILE_LON_LIMIT)
        return fail(err, errlen, "profile.longitude");
    if (!str_ok(p->extra_data, PROFILE_MAX_EXTRA, false))
        return fail(err, errlen, "profile.extra_data");
    if (p->signature.len != 64) return fail(err, errlen, "profile.signature");
    if (!check_image(r->image, p->image_hash, PROFILE_MAX_IMAGE))
        return fail(err, errlen, "image");
    if (!check_image(r->thumbnail, p->thumbnail_hash, PROFILE_MAX_THUMBNAIL))
        return fail(err, errlen, "thumbnail");
    return true;
}

bool profile_check_app_services(const Iop__Profile__ApplicationServiceAddRequest *r, char *err,
                                size_t errlen)
{
    if (r->n_names == 0 || r->n_names > PROFILE_MAX_APP_SERVICES)
        return fail(err, errlen, "names");
    for (size_t i = 0; i < r->n_names; i++) {
        if (!str_ok(r->names[i], PROFILE_MAX_APP_SERVICE_LEN, true))
            return fail(err, errlen, "names");
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->names[i], r->names[j]) == 0) return fail(err, errlen, "names");
    }
    return true;
}

bool profile_check_search(const Iop__Profile__ProfileSearchRequest *r,
                          struct profile_search_limits *lim, char *err, size_t errlen)
{
    if (!str_ok(r->name, PROFILE_MAX_PATTERN, false)) return fail(err, errlen, "name");
    if (!str_ok(r->type, PROFILE_MAX_PATTERN, false)) return fail(err, errlen, "type");
    if (!str_ok(r->extra_data, PROFILE_MAX_PATTERN, false))
        return fail(err, errlen, "extra_data");
    if (r->use_location) {
        if (r->latitude < -PROFILE_LAT_LIMIT || r->latitude > PROFILE_LAT_LIMIT)
            return fail(err, errlen, "latitude");
        if (r->longitude < -PROFILE_LON_LIMIT || r->longitude > PROFILE_LON_LIMIT)
            return fail(err, errlen, "longitude");
        if (r->radius == 0 || r->radius > PROFILE_MAX_RADIUS)
            return fail(err, errlen, "radius");
    }
    uint32_t cap =
        r->include_thumbnails ? PROFILE_SEARCH_MAX_TOTAL_THUMBS : PROFILE_SEARCH_MAX_TOTAL;
    uint32_t total = r->max_total ? r->max_total : cap;
    if (total > cap) return fail(err, errlen, "max_total");
    uint32_t resp = r->max_response ? r->max_response : PROFILE_SEARCH_MAX_RESPONSE;
    if (resp > PROFILE_SEARCH_MAX_RESPONSE) return fail(err, errlen, "max_response");
    lim->max_total = total;
    lim->max_response = resp;
    return true;
}

bool profile_check_search_part(const Iop__Profile__ProfileSearchPartRequest *r, char *err,
                               size_t errlen)
{
    if (r->count == 0 || r->count > PROFILE_SEARCH_MAX_RESPONSE)
        return fail(err, errlen, "count");
    return true;
}
