/* Fuzzes the services frame decoder and the Message parser.
 *
 * Input: byte 0 seeds the chunking, byte 1 bounds the chunk size, the rest is the stream
 * a peer would send. The stream is decoded twice, once in one piece and once in chunks of
 * pseudo-random sizes; both must yield the same frames and fail at the same point. Every
 * frame is parsed as an iop.common.Message; what parses must survive a pack/unpack round
 * trip unchanged. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "services/common/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct frame_ref {
    size_t offset, len; /* payload position in the stream */
};

static void check_message(const uint8_t *payload, size_t len)
{
    char err[128];
    Iop__Common__Message *m;
    if (!frame_decode_message(payload, len, &m, err, sizeof err)) {
        if (m) abort();
        return;
    }
    if (m->kind_case == IOP__COMMON__MESSAGE__KIND_RESPONSE)
        (void)frame_status_code_name(m->response->status);
    uint8_t *a, *b;
    size_t alen, blen;
    if (!frame_encode(m, &a, &alen, err, sizeof err)) abort(); /* it came from a frame */
    Iop__Common__Message *again;
    if (!frame_decode_message(a + FRAME_HEADER_SIZE, alen - FRAME_HEADER_SIZE, &again, err,
                              sizeof err))
        abort();
    if (!frame_encode(again, &b, &blen, err, sizeof err)) abort();
    if (alen != blen || memcmp(a, b, alen) != 0) abort();
    free(a);
    free(b);
    iop__common__message__free_unpacked(again, NULL);
    iop__common__message__free_unpacked(m, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    uint32_t rng = 0x9e3779b9u ^ data[0];
    size_t max_chunk = (size_t)data[1] + 1;
    const uint8_t *s = data + 2;
    size_t n = size - 2;
    /* Every frame takes at least its 4 length bytes. */
    struct frame_ref *refs = malloc((n / FRAME_HEADER_SIZE + 1) * sizeof *refs);
    if (!refs) return 0;
    char err[128];

    /* One piece. */
    struct frame_decoder d;
    frame_decoder_init(&d, FRAME_MAX_SIZE);
    size_t pos = 0, nframes = 0;
    enum frame_status last = FRAME_NEED_MORE;
    while (pos < n) {
        size_t used;
        last = frame_decoder_feed(&d, s + pos, n - pos, &used, err, sizeof err);
        if (last == FRAME_ERROR) break;
        pos += used;
        if (last == FRAME_READY) {
            size_t len;
            const uint8_t *p = frame_decoder_payload(&d, &len);
            if (!p || len > FRAME_MAX_SIZE) abort();
            refs[nframes].offset = pos - len;
            refs[nframes].len = len;
            nframes++;
            check_message(p, len);
        }
    }
    /* On error nothing was consumed: pos is where the refused frame's header starts. */
    size_t error_at = pos;
    frame_decoder_clear(&d);

    /* Chunks. */
    frame_decoder_init(&d, FRAME_MAX_SIZE);
    pos = 0;
    size_t seen = 0;
    bool failed = false;
    while (pos < n && !failed) {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        size_t chunk = 1 + rng % max_chunk;
        if (chunk > n - pos) chunk = n - pos;
        size_t off = 0;
        while (off < chunk) {
            size_t used;
            enum frame_status st =
                frame_decoder_feed(&d, s + pos + off, chunk - off, &used, err, sizeof err);
            if (st == FRAME_ERROR) {
                /* Same frame refused, on the chunk holding its 4th length byte. */
                size_t fourth = error_at + FRAME_HEADER_SIZE - 1;
                if (last != FRAME_ERROR || seen != nframes || fourth < pos + off ||
                    fourth >= pos + chunk)
                    abort();
                failed = true;
                break;
            }
            off += used;
            if (st == FRAME_READY) {
                size_t len;
                const uint8_t *p = frame_decoder_payload(&d, &len);
                if (seen >= nframes || len != refs[seen].len ||
                    pos + off - len != refs[seen].offset ||
                    (len && memcmp(p, s + refs[seen].offset, len) != 0))
                    abort();
                seen++;
            }
        }
        pos += chunk;
    }
    if (seen != nframes || failed != (last == FRAME_ERROR)) abort();
    frame_decoder_clear(&d);
    free(refs);
    return 0;
}
