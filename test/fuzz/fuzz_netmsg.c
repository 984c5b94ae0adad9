/* libFuzzer harness for the P2P message codecs. The first byte picks a message kind and
 * the rest is its payload. Whatever decodes must encode, decode again to an equal value
 * and encode again to the same bytes; everything is freed either way, so LeakSanitizer
 * sees a decoder that keeps memory on failure. The first 24 bytes of every input also go
 * through the message header decoder, whose accepted headers must survive being
 * rebuilt. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/block.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "net/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t MAINNET_MAGIC[4] = {0xf9, 0xbe, 0xb4, 0xd9};

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) abort();                                                                  \
    } while (0)

/* ---- comparisons ---- */

static void check_bytes_equal(const struct writer *a, const struct writer *b)
{
    CHECK(!a->failed && !b->failed);
    CHECK(a->len == b->len);
    CHECK(a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void check_tx_equal(const struct tx *a, const struct tx *b)
{
    struct writer wa, wb;
    writer_init(&wa);
    writer_init(&wb);
    tx_serialize(&wa, a, true);
    tx_serialize(&wb, b, true);
    check_bytes_equal(&wa, &wb);
    writer_free(&wa);
    writer_free(&wb);
}

static void check_header_equal(const struct block_header *a, const struct block_header *b)
{
    uint8_t x[BLOCK_HEADER_SIZE], y[BLOCK_HEADER_SIZE];
    block_header_to_bytes(x, a);
    block_header_to_bytes(y, b);
    CHECK(memcmp(x, y, sizeof(x)) == 0);
}

static void check_addr_equal(const struct net_addr *a, const struct net_addr *b)
{
    CHECK(a->net == b->net && a->len == b->len && a->port == b->port);
    CHECK(memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0);
}

static void check_addr_list_equal(const struct net_addr_list *a, const struct net_addr_list *b)
{
    CHECK(a->count == b->count);
    for (size_t i = 0; i < a->count; i++) {
        check_addr_equal(&a->items[i].addr, &b->items[i].addr);
        CHECK(a->items[i].services == b->items[i].services);
        CHECK(a->items[i].time == b->items[i].time);
    }
}

/* ---- one kind per message ---- */

/* Decode, encode, decode, encode: the two values and the two encodings must agree.
 * T is the value type, DECODE/ENCODE/CLEAR/EQUAL its functions. */
#define ROUNDTRIP(T, DECODE, ENCODE, CLEAR, EQUAL)                                             \
    do {                                                                                       \
        T a, b;                                                                                \
        char err[64];                                                                          \
        if (!DECODE(p, len, &a, err)) break;                                                   \
        struct writer w1, w2;                                                                  \
        writer_init(&w1);                                                                      \
        writer_init(&w2);                                                                      \
        ENCODE(&w1, &a);                                                                       \
        CHECK(!w1.failed);                                                                     \
        CHECK(DECODE(w1.data, w1.len, &b, err));                                               \
        EQUAL(&a, &b);                                                                         \
        ENCODE(&w2, &b);                                                                       \
        check_bytes_equal(&w1, &w2);                                                           \
        writer_free(&w1);                                                                      \
        writer_free(&w2);                                                                      \
        CLEAR(&a);                                                                             \
        CLEAR(&b);                                                                             \
    } while (0)

static void version_eq(const struct net_version *a, const struct net_version *b)
{
    CHECK(a->version == b->version && a->services == b->services && a->time == b->time);
    CHECK(a->recv_services == b->recv_services && a->from_services == b->from_services);
    check_addr_equal(&a->recv, &b->recv);
    check_addr_equal(&a->from, &b->from);
    CHECK(a->nonce == b->nonce && a->start_height == b->start_height && a->relay == b->relay);
    CHECK(strlen(a->user_agent) <= NET_MAX_SUBVERSION_LENGTH);
    CHECK(strcmp(a->user_agent, b->user_agent) == 0);
}
static void version_clear(struct net_version *v) { (void)v; }

static void addr_enc(struct writer *w, const struct net_addr_list *l)
{
    net_addr_encode(w, l->items, l->count);
}
static void addrv2_enc(struct writer *w, const struct net_addr_list *l)
{
    net_addrv2_encode(w, l->items, l->count);
}

static void inv_enc(struct writer *w, const struct net_inv_list *l)
{
    net_inv_encode(w, l->items, l->count);
}
static void inv_eq(const struct net_inv_list *a, const struct net_inv_list *b)
{
    CHECK(a->count == b->count && a->count <= NET_MAX_INV_SZ);
    for (size_t i = 0; i < a->count; i++) {
        CHECK(a->items[i].type == b->items[i].type);
        CHECK(uint256_cmp(&a->items[i].hash, &b->items[i].hash) == 0);
    }
}

static void locator_eq(const struct net_locator *a, const struct net_locator *b)
{
    CHECK(a->version == b->version && a->count == b->count && a->count <= NET_MAX_LOCATOR_SZ);
    for (size_t i = 0; i < a->count; i++) CHECK(uint256_cmp(&a->hashes[i], &b->hashes[i]) == 0);
    CHECK(uint256_cmp(&a->stop, &b->stop) == 0);
}

static void headers_enc(struct writer *w, const struct net_headers *h)
{
    net_headers_encode(w, h->items, h->count);
}
static void headers_eq(const struct net_headers *a, const struct net_headers *b)
{
    CHECK(a->count == b->count && a->count <= NET_MAX_HEADERS_RESULTS);
    for (size_t i = 0; i < a->count; i++) check_header_equal(&a->items[i], &b->items[i]);
}

static void u64_enc(struct writer *w, const uint64_t *v) { write_u64(w, *v); }
static void u64_eq(const uint64_t *a, const uint64_t *b) { CHECK(*a == *b); }
static void u64_clear(uint64_t *v) { (void)v; }

static void fee_enc(struct writer *w, const int64_t *v) { write_i64(w, *v); }
static void fee_eq(const int64_t *a, const int64_t *b)
{
    CHECK(*a == *b && *a >= 0 && *a <= MAX_MONEY);
}
static void fee_clear(int64_t *v) { (void)v; }

static void sendcmpct_eq(const struct net_sendcmpct *a, const struct net_sendcmpct *b)
{
    CHECK(a->announce == b->announce && a->version == b->version);
}
static void sendcmpct_clear(struct net_sendcmpct *s) { (void)s; }

static void cmpct_eq(const struct net_cmpctblock *a, const struct net_cmpctblock *b)
{
    check_header_equal(&a->header, &b->header);
    CHECK(a->nonce == b->nonce);
    CHECK(a->short_id_count == b->short_id_count && a->prefilled_count == b->prefilled_count);
    CHECK(a->short_id_count + a->prefilled_count <= 0xffff);
    for (size_t i = 0; i < a->short_id_count; i++) {
        CHECK(a->short_ids[i] == b->short_ids[i]);
        CHECK(a->short_ids[i] <= 0xffffffffffffull);
    }
    for (size_t i = 0; i < a->prefilled_count; i++) {
        CHECK(a->prefilled[i].index == b->prefilled[i].index);
        CHECK(a->prefilled[i].index <= 0xffff);
        CHECK(i == 0 || a->prefilled[i].index > a->prefilled[i - 1].index);
        check_tx_equal(&a->prefilled[i].tx, &b->prefilled[i].tx);
    }
}

static void getblocktxn_eq(const struct net_getblocktxn *a, const struct net_getblocktxn *b)
{
    CHECK(uint256_cmp(&a->block_hash, &b->block_hash) == 0);
    CHECK(a->count == b->count);
    for (size_t i = 0; i < a->count; i++) {
        CHECK(a->indexes[i] == b->indexes[i] && a->indexes[i] <= 0xffff);
        CHECK(i == 0 || a->indexes[i] > a->indexes[i - 1]);
    }
}

static void blocktxn_eq(const struct net_blocktxn *a, const struct net_blocktxn *b)
{
    CHECK(uint256_cmp(&a->block_hash, &b->block_hash) == 0);
    CHECK(a->count == b->count);
    for (size_t i = 0; i < a->count; i++) check_tx_equal(&a->txs[i], &b->txs[i]);
}

enum kind {
    K_VERSION,
    K_ADDR,
    K_ADDRV2,
    K_INV,
    K_LOCATOR,
    K_HEADERS,
    K_PING,
    K_FEEFILTER,
    K_SENDCMPCT,
    K_CMPCTBLOCK,
    K_GETBLOCKTXN,
    K_BLOCKTXN,
    K_COUNT
};

static void check_payload(enum kind k, const uint8_t *p, size_t len)
{
    switch (k) {
    case K_VERSION:
        ROUNDTRIP(struct net_version, net_version_decode, net_version_encode, version_clear,
                  version_eq);
        break;
    case K_ADDR:
        ROUNDTRIP(struct net_addr_list, net_addr_decode, addr_enc, net_addr_list_clear,
                  check_addr_list_equal);
        break;
    case K_ADDRV2:
        ROUNDTRIP(struct net_addr_list, net_addrv2_decode, addrv2_enc, net_addr_list_clear,
                  check_addr_list_equal);
        break;
    case K_INV:
        ROUNDTRIP(struct net_inv_list, net_inv_decode, inv_enc, net_inv_list_clear, inv_eq);
        break;
    case K_LOCATOR:
        ROUNDTRIP(struct net_locator, net_locator_decode, net_locator_encode, net_locator_clear,
                  locator_eq);
        break;
    case K_HEADERS:
        ROUNDTRIP(struct net_headers, net_headers_decode, headers_enc, net_headers_clear,
                  headers_eq);
        break;
    case K_PING: ROUNDTRIP(uint64_t, net_u64_decode, u64_enc, u64_clear, u64_eq); break;
    case K_FEEFILTER:
        ROUNDTRIP(int64_t, net_feefilter_decode, fee_enc, fee_clear, fee_eq);
        break;
    case K_SENDCMPCT:
        ROUNDTRIP(struct net_sendcmpct, net_sendcmpct_decode, net_sendcmpct_encode,
                  sendcmpct_clear, sendcmpct_eq);
        break;
    case K_CMPCTBLOCK:
        ROUNDTRIP(struct net_cmpctblock, net_cmpctblock_decode, net_cmpctblock_encode,
                  net_cmpctblock_clear, cmpct_eq);
        break;
    case K_GETBLOCKTXN:
        ROUNDTRIP(struct net_getblocktxn, net_getblocktxn_decode, net_getblocktxn_encode,
                  net_getblocktxn_clear, getblocktxn_eq);
        break;
    case K_BLOCKTXN:
        ROUNDTRIP(struct net_blocktxn, net_blocktxn_decode, net_blocktxn_encode,
                  net_blocktxn_clear, blocktxn_eq);
        break;
    case K_COUNT: break;
    }
}

/* The header decoder under two magics: mainnet's, and the input's own (so the command
 * and length checks are reached). An accepted header must be rebuildable. */
static void check_header(const uint8_t *data, size_t size)
{
    if (size < NET_HEADER_SIZE) return;
    const uint8_t *magics[2] = {MAINNET_MAGIC, data};
    for (int m = 0; m < 2; m++) {
        struct net_msg_header h;
        enum net_header_result r = net_header_decode(data, magics[m], &h);
        CHECK(strlen(h.command) <= NET_COMMAND_SIZE);
        CHECK(h.length == le32_read(data + 16));
        if (r != NET_HEADER_OK) continue;
        CHECK(memcmp(h.magic, magics[m], 4) == 0);
        CHECK(h.length <= NET_MAX_MESSAGE_LENGTH);
        size_t n = strlen(h.command);
        CHECK(n > 0 && memcmp(h.command, data + 4, n) == 0);
        for (size_t i = 0; i < n; i++) CHECK(h.command[i] >= 0x20 && h.command[i] <= 0x7e);

        /* Rebuild it around the rest of the input as payload. */
        const uint8_t *payload = data + NET_HEADER_SIZE;
        size_t plen = size - NET_HEADER_SIZE;
        uint8_t again[NET_HEADER_SIZE];
        net_header_encode(again, h.magic, h.command, payload, plen);
        CHECK(memcmp(again, data, 4 + NET_COMMAND_SIZE) == 0);
        struct net_msg_header h2;
        CHECK(net_header_decode(again, magics[m], &h2) == NET_HEADER_OK);
        CHECK(strcmp(h2.command, h.command) == 0 && h2.length == plen);
        CHECK(net_checksum_ok(&h2, payload, plen));
        if (net_checksum_ok(&h, payload, plen)) CHECK(memcmp(h.checksum, h2.checksum, 4) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_header(data, size);
    if (size == 0) return 0;
    check_payload((enum kind)(data[0] % K_COUNT), data + 1, size - 1);
    return 0;
}
