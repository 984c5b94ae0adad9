/* Frame decoding and encoding (see frame.h).
 *
 * The decoder is a two-phase state machine: collect the four length bytes, then collect
 * exactly that many payload bytes into a buffer allocated once. It never reads past the
 * end of the current frame, so the caller keeps the rest of its input for the next call. */
#include "services/common/frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void frame_write_header(uint8_t out[FRAME_HEADER_SIZE], uint32_t len)
{
    out[0] = (uint8_t)len;
    out[1] = (uint8_t)(len >> 8);
    out[2] = (uint8_t)(len >> 16);
    out[3] = (uint8_t)(len >> 24);
}

uint32_t frame_read_header(const uint8_t in[FRAME_HEADER_SIZE])
{
    return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
           (uint32_t)in[3] << 24;
}

void frame_decoder_init(struct frame_decoder *d, uint32_t max_size)
{
    memset(d, 0, sizeof *d);
    if (max_size == 0 || max_size > FRAME_MAX_SIZE) max_size = FRAME_MAX_SIZE;
    d->max_size = max_size;
}

void frame_decoder_clear(struct frame_decoder *d)
{
    if (!d) return;
    free(d->buf);
    d->buf = NULL;
    d->header_have = 0;
    d->len = d->have = 0;
    d->ready = false;
}

/* Drops the completed frame so the next one can start. */
static void start_next_frame(struct frame_decoder *d)
{
    free(d->buf);
    d->buf = NULL;
    d->header_have = 0;
    d->len = d->have = 0;
    d->ready = false;
}

enum frame_status frame_decoder_feed(struct frame_decoder *d, const uint8_t *data, size_t len,
                                     size_t *consumed, char *err, size_t errlen)
{
    *consumed = 0;
    if (d->failed) {
        snprintf(err, errlen, "frame stream already failed");
        return FRAME_ERROR;
    }
    if (d->ready) start_next_frame(d);

    size_t pos = 0;
    while (d->header_have < FRAME_HEADER_SIZE) {
        if (pos == len) {
            *consumed = pos;
            return FRAME_NEED_MORE;
        }
        d->header[d->header_have++] = data[pos++];
        if (d->header_have < FRAME_HEADER_SIZE) continue;
        /* The length is known: refuse it before allocating anything. */
        uint32_t n = frame_read_header(d->header);
        if (n > d->max_size) {
            d->failed = true;
            snprintf(err, errlen, "frame of %u bytes exceeds the limit of %u", n, d->max_size);
            return FRAME_ERROR;
        }
        if (n > 0 && !(d->buf = malloc(n))) {
            d->failed = true;
            snprintf(err, errlen, "out of memory for a frame of %u bytes", n);
            return FRAME_ERROR;
        }
        d->len = n;
        d->have = 0;
    }
    size_t want = d->len - d->have;
    size_t take = len - pos < want ? len - pos : want;
    if (take > 0) {
        memcpy(d->buf + d->have, data + pos, take);
        d->have += (uint32_t)take;
        pos += take;
    }
    *consumed = pos;
    if (d->have < d->len) return FRAME_NEED_MORE;
    d->ready = true;
    return FRAME_READY;
}

const uint8_t *frame_decoder_payload(const struct frame_decoder *d, size_t *len)
{
    static const uint8_t empty[1] = {0};
    if (!d->ready) {
        *len = 0;
        return NULL;
    }
    *len = d->len;
    return d->len > 0 ? d->buf : empty;
}

bool frame_decoder_idle(const struct frame_decoder *d)
{
    return d->ready || d->header_have == 0;
}

bool frame_encode(const Iop__Common__Message *msg, uint8_t **out, size_t *out_len, char *err,
                  size_t errlen)
{
    *out = NULL;
    *out_len = 0;
    size_t n = iop__common__message__get_packed_size(msg);
    if (n > FRAME_MAX_SIZE) {
        snprintf(err, errlen, "message of %zu bytes exceeds the frame limit of %u", n,
                 FRAME_MAX_SIZE);
        return false;
    }
    uint8_t *buf = malloc(FRAME_HEADER_SIZE + n);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    size_t packed = iop__common__message__pack(msg, buf + FRAME_HEADER_SIZE);
    if (packed != n) {
        free(buf);
        snprintf(err, errlen, "protobuf packing gave %zu bytes, expected %zu", packed, n);
        return false;
    }
    frame_write_header(buf, (uint32_t)n);
    *out = buf;
    *out_len = FRAME_HEADER_SIZE + n;
    return true;
}

bool frame_decode_message(const uint8_t *payload, size_t len, Iop__Common__Message **out,
                          char *err, size_t errlen)
{
    *out = NULL;
    if (len > FRAME_MAX_SIZE) {
        snprintf(err, errlen, "frame of %zu bytes exceeds the limit", len);
        return false;
    }
    Iop__Common__Message *m = iop__common__message__unpack(NULL, len, payload);
    if (!m) {
        snprintf(err, errlen, "frame is not a valid protobuf Message");
        return false;
    }
    switch (m->kind_case) {
    case IOP__COMMON__MESSAGE__KIND_REQUEST:
        if (!m->request) break;
        *out = m;
        return true;
    case IOP__COMMON__MESSAGE__KIND_RESPONSE:
        if (!m->response) break;
        *out = m;
        return true;
    default: break;
    }
    iop__common__message__free_unpacked(m, NULL);
    snprintf(err, errlen, "message holds neither a request nor a response");
    return false;
}

const char *frame_status_code_name(Iop__Common__Status status)
{
    switch (status) {
    case IOP__COMMON__STATUS__OK: return "OK";
    case IOP__COMMON__STATUS__ERROR_PROTOCOL_VIOLATION: return "ERROR_PROTOCOL_VIOLATION";
    case IOP__COMMON__STATUS__ERROR_UNSUPPORTED: return "ERROR_UNSUPPORTED";
    case IOP__COMMON__STATUS__ERROR_BANNED: return "ERROR_BANNED";
    case IOP__COMMON__STATUS__ERROR_BUSY: return "ERROR_BUSY";
    case IOP__COMMON__STATUS__ERROR_UNAUTHORIZED: return "ERROR_UNAUTHORIZED";
    case IOP__COMMON__STATUS__ERROR_BAD_CONVERSATION_STATUS:
        return "ERROR_BAD_CONVERSATION_STATUS";
    case IOP__COMMON__STATUS__ERROR_INTERNAL: return "ERROR_INTERNAL";
    case IOP__COMMON__STATUS__ERROR_QUOTA_EXCEEDED: return "ERROR_QUOTA_EXCEEDED";
    case IOP__COMMON__STATUS__ERROR_INVALID_SIGNATURE: return "ERROR_INVALID_SIGNATURE";
    case IOP__COMMON__STATUS__ERROR_NOT_FOUND: return "ERROR_NOT_FOUND";
    case IOP__COMMON__STATUS__ERROR_INVALID_VALUE: return "ERROR_INVALID_VALUE";
    case IOP__COMMON__STATUS__ERROR_ALREADY_EXISTS: return "ERROR_ALREADY_EXISTS";
    case IOP__COMMON__STATUS__ERROR_NOT_AVAILABLE: return "ERROR_NOT_AVAILABLE";
    case IOP__COMMON__STATUS__ERROR_REJECTED: return "ERROR_REJECTED";
    default: return "UNKNOWN";
    }
}
