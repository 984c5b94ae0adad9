/* Fuzzes what the profile service does with client bytes before it touches its store:
 * Message decoding of profile requests and their checks (profile_check.h), the image
 * header probe, the glob matcher and the UTF-8 check. No network, no store.
 *
 * Input: byte 0 picks the target, the rest is its input.
 *   0  a frame payload: decoded as a Message; a profile request goes through its check
 *   1  an image: probed; an accepted one must have non-zero dimensions and its magic
 *   2  "pattern NUL text": globbed both ways of case; escaping every byte of text must
 *      give a pattern that matches text exactly, and "*" + text must match it too
 *   3  a string: UTF-8 checked; a valid one stays valid when cut at a character start */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/common/frame.h"
#include "services/profile/profile_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_request(const uint8_t *d, size_t n)
{
    char err[128];
    Iop__Common__Message *m;
    if (!frame_decode_message(d, n, &m, err, sizeof err)) return;
    if (m->kind_case == IOP__COMMON__MESSAGE__KIND_REQUEST) {
        const Iop__Common__Request *r = m->request;
        struct profile_search_limits lim;
        switch (r->kind_case) {
        case IOP__COMMON__REQUEST__KIND_REGISTER_HOSTING:
            (void)!profile_check_register(r->register_hosting, err, sizeof err);
            break;
        case IOP__COMMON__REQUEST__KIND_UPDATE_PROFILE:
            if (profile_check_update(r->update_profile, err, sizeof err)) {
                const Iop__Profile__SignedProfile *p = r->update_profile->profile;
                uint8_t digest[32];
                profile_signed_digest(digest, p->public_key.data, p->version, p->type, p->name,
                                      p->latitude, p->longitude, p->extra_data,
                                      p->image_hash.len ? p->image_hash.data : NULL,
                                      p->thumbnail_hash.len ? p->thumbnail_hash.data : NULL);
                if (strlen(p->name) > PROFILE_MAX_NAME) abort();
                if (r->update_profile->image.len > PROFILE_MAX_IMAGE) abort();
            }
            break;
        case IOP__COMMON__REQUEST__KIND_APPLICATION_SERVICE_ADD:
            if (profile_check_app_services(r->application_service_add, err, sizeof err) &&
                r->application_service_add->n_names > PROFILE_MAX_APP_SERVICES)
                abort();
            break;
        case IOP__COMMON__REQUEST__KIND_PROFILE_SEARCH:
            if (profile_check_search(r->profile_search, &lim, err, sizeof err)) {
                if (lim.max_total == 0 || lim.max_total > PROFILE_SEARCH_MAX_TOTAL) abort();
                if (lim.max_response == 0 || lim.max_response > PROFILE_SEARCH_MAX_RESPONSE)
                    abort();
                if (r->profile_search->include_thumbnails &&
                    lim.max_total > PROFILE_SEARCH_MAX_TOTAL_THUMBS)
                    abort();
            }
            break;
        case IOP__COMMON__REQUEST__KIND_PROFILE_SEARCH_PART:
            (void)!profile_check_search_part(r->profile_search_part, err, sizeof err);
            break;
        default: break;
        }
    }
    iop__common__message__free_unpacked(m, NULL);
}

static void fuzz_image(const uint8_t *d, size_t n)
{
    enum profile_image_format f;
    uint32_t w, h;
    if (!profile_image_probe(d, n, &f, &w, &h)) {
        if (f != PROFILE_IMAGE_NONE || w || h) abort();
        return;
    }
    if (w == 0 || h == 0) abort();
    if (f == PROFILE_IMAGE_PNG && (n < 33 || d[0] != 0x89)) abort();
    if (f == PROFILE_IMAGE_JPEG && (n < 4 || d[0] != 0xff || d[1] != 0xd8)) abort();
}

static void fuzz_glob(const uint8_t *d, size_t n)
{
    const uint8_t *nul = memchr(d, 0, n);
    size_t plen = nul ? (size_t)(nul - d) : n;
    const char *pat = (const char *)d;
    const char *text = nul ? (const char *)nul + 1 : "";
    size_t tlen = nul ? n - plen - 1 : 0;
    bool exact = profile_glob_match(pat, plen, text, tlen, false);
    bool folded = profile_glob_match(pat, plen, text, tlen, true);
    if (exact && !folded) abort(); /* folding only ever adds matches */
    if (tlen > 512) return;
    char esc[1 + 2 * 512];
    size_t e = 0;
    for (size_t i = 0; i < tlen; i++) {
        esc[e++] = '\\';
        esc[e++] = text[i];
    }
    if (!profile_glob_match(esc, e, text, tlen, false)) abort();
    esc[0] = '*';
    memcpy(esc + 1, text, tlen);
    bool plain = memchr(text, '*', tlen) == NULL && memchr(text, '?', tlen) == NULL &&
                 memchr(text, '\\', tlen) == NULL;
    if (plain && !profile_glob_match(esc, tlen + 1, text, tlen, false)) abort();
}

static void fuzz_utf8(const uint8_t *d, size_t n)
{
    const char *s = (const char *)d;
    if (!profile_utf8_valid(s, n) || n > 1024) return;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && (d[i] & 0xc0) == 0x80) continue;
        if (!profile_utf8_valid(s, i)) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch (data[0] & 3) {
    case 0: fuzz_request(d, n); break;
    case 1: fuzz_image(d, n); break;
    case 2: fuzz_glob(d, n); break;
    default: fuzz_utf8(d, n); break;
    }
    return 0;
}
