/* Framing of the service protocol: every message travels as a u32 little-endian length
 * followed by that many bytes of a protobuf-encoded iop.common.Message.
 *
 * The decoder is incremental: it accepts bytes in chunks of any size (as they come out of
 * a libevent evbuffer) and yields one whole frame at a time. The length limit is checked
 * as soon as the four length bytes are in, before anything is allocated, so a peer cannot
 * make us reserve more than FRAME_MAX_SIZE per connection however it announces itself.
 * A frame's buffer is allocated once its length is known and grown never.
 *
 * Nothing here does I/O or keeps global state. */
#ifndef IOP_SERVICES_FRAME_H
#define IOP_SERVICES_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/proto/iop_common.pb-c.h"

/* Bytes of the length prefix. */
#define FRAME_HEADER_SIZE 4
/* The largest payload (not counting the prefix) a frame may announce: 1 MiB. */
#define FRAME_MAX_SIZE (1u << 20)

/* Writes len as the 4-byte little-endian prefix. */
void frame_write_header(uint8_t out[FRAME_HEADER_SIZE], uint32_t len);
/* Reads a 4-byte little-endian prefix. */
uint32_t frame_read_header(const uint8_t in[FRAME_HEADER_SIZE]);

enum frame_status {
    FRAME_NEED_MORE, /* all input consumed; no whole frame yet */
    FRAME_READY,     /* a whole frame is available through frame_decoder_payload */
    FRAME_ERROR,     /* the stream is unusable (see the message); reset or drop it */
};

/* The decoder state. Fields are private; embed it by value and go through the functions.
 * Before the first use call frame_decoder_init, and frame_decoder_clear when done. */
struct frame_decoder {
    uint32_t max_size;
    uint8_t header[FRAME_HEADER_SIZE];
    size_t header_have;
    uint32_t len;  /* announced payload length, valid once header_have == 4 */
    uint32_t have; /* payload bytes received */
    uint8_t *buf;  /* len bytes, allocated when the header completes (NULL for len 0) */
    bool ready;    /* a whole frame is held; the next feed starts a new one */
    bool failed;   /* sticky after FRAME_ERROR */
};

/* Prepares d for a stream whose frames may be at most max_size bytes (1..FRAME_MAX_SIZE;
 * larger values are clamped to FRAME_MAX_SIZE). Allocates nothing. */
void frame_decoder_init(struct frame_decoder *d, uint32_t max_size);

/* Frees the frame buffer; d may be initialized again afterwards. NULL is a no-op. */
void frame_decoder_clear(struct frame_decoder *d);

/* Consumes bytes from data[0..len) until the input runs out or a frame completes, and
 * writes the number consumed to *consumed (always; 0 on error). Returns:
 * - FRAME_READY: a frame is complete; read it with frame_decoder_payload before the next
 *   call. Input after the frame is left unconsumed: call again with the rest.
 * - FRAME_NEED_MORE: everything was consumed and the frame is still incomplete.
 * - FRAME_ERROR: the announced length exceeds the limit (detected on the 4th length byte,
 *   before allocating), or memory ran out. err explains. Every later call fails too.
 * data may be NULL when len is 0. */
__attribute__((warn_unused_result)) enum frame_status
frame_decoder_feed(struct frame_decoder *d, const uint8_t *data, size_t len, size_t *consumed,
                   char *err, size_t errlen);

/* The payload of the frame that the last feed completed, valid until the next feed or
 * clear; *len receives its length. NULL (and *len 0) when no frame is ready; for a zero
 * length frame a non-NULL pointer to no bytes. */
const uint8_t *frame_decoder_payload(const struct frame_decoder *d, size_t *len);

/* True when the decoder is between frames: no byte of a next frame has arrived. A stream
 * that ends elsewhere was cut in the middle of a frame. */
bool frame_decoder_idle(const struct frame_decoder *d);

/* ---- Messages ---- */

/* Serializes msg with its length prefix into a new buffer (*out, caller frees) of
 * *out_len bytes. Fails if the encoding would exceed FRAME_MAX_SIZE or memory runs out. */
__attribute__((warn_unused_result)) bool frame_encode(const Iop__Common__Message *msg,
                                                      uint8_t **out, size_t *out_len, char *err,
                                                      size_t errlen);

/* Parses a frame payload as a Message and checks the envelope: it must hold a request or
 * a response (a request of a kind this build does not know is the server's business: it
 * answers ERROR_UNSUPPORTED). On success *out is the message (free it with
 * iop__common__message__free_unpacked(*out, NULL)). False means a protocol violation,
 * explained in err; *out is NULL then. */
__attribute__((warn_unused_result)) bool frame_decode_message(const uint8_t *payload,
                                                              size_t len,
                                                              Iop__Common__Message **out,
                                                              char *err, size_t errlen);

/* The name of a status code ("ERROR_BUSY"), or "UNKNOWN" for a value outside the enum. */
const char *frame_status_code_name(Iop__Common__Status status);

#endif
