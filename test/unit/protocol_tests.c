/* P2P message codecs.
 *
 * Known bytes come from outside this code: the mainnet 'verack' header, the version
 * message hexdump of the Bitcoin wiki (Satoshi 0.7.2), a version message sent by Bitcoin
 * Core 23.0, the wiki's addr example, and the headers of mainnet blocks 1-255. The
 * BIP152 short ids are recomputed here from SHA-256 and SipHash directly. Every message
 * is round-tripped, every limit is tested one past its edge, and every proper prefix of
 * every valid payload must be refused cleanly (each decoded from a heap copy of exactly
 * that length, so ASan sees any over-read, and never cleared on failure, so LeakSanitizer
 * sees anything a failed decode kept). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "consensus/block.h"
#include "consensus/hash.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"
#include "net/protocol.h"
#include "test_util.h"

#define MAINNET_FILE "mainnet/blocks-1-255.dat"

static const uint8_t MAINNET_MAGIC[4] = {0xf9, 0xbe, 0xb4, 0xd9};

/* The 'verack' message on Bitcoin mainnet: empty payload, checksum 5df6e0e2. */
static const char VERACK_HEX[] = "f9beb4d9"
                                 "76657261636b000000000000"
                                 "00000000"
                                 "5df6e0e2";

/* The version message hexdump of the Bitcoin wiki's protocol documentation: protocol
 * 60002, "/Satoshi:0.7.2/", height 212672, no relay byte. */
static const char WIKI_VERSION_HEX[] =
    "f9beb4d976657273696f6e000000000064000000358d4932"
    "62ea0000010000000000000011b2d05000000000"
    "010000000000000000000000000000000000ffff000000000000"
    "000000000000000000000000000000000000ffff000000000000"
    "3b2eb35d8ce617650f2f5361746f7368693a302e372e322fc03e0300";

/* A version message sent by Bitcoin Core 23.0 (protocol 70016, services 0x40d, both
 * addresses the unspecified "::", relay byte 1). */
static const char CORE23_VERSION_HEX[] = "f9beb4d976657273696f6e000000000066000000bdcad498"
                                         "80110100"
                                         "0d04000000000000"
                                         "5083506300000000"
                                         "0000000000000000"
                                         "00000000000000000000000000000000"
                                         "0000"
                                         "0d04000000000000"
                                         "00000000000000000000000000000000"
                                         "0000"
                                         "ff0ae91284bdd3e2"
                                         "102f5361746f7368693a32332e302e302f"
                                         "8e960b00"
                                         "01";

/* The addr example of the Bitcoin wiki: one entry, 10.0.0.1:8333, services 1. */
static const char WIKI_ADDR_HEX[] =
    "01e215104d010000000000000000000000000000000000ffff0a000001208d";

/* A BIP144 (segwit) transaction with one input and a two-item witness. */
static const char SEGWIT_TX_HEX[] =
    "0100000000010100010000000000000000000000000000000000000000000000000000000000000000"
    "000000ffffffff01e8030000000000001976a9144c9c3dfac4207d5d8cb89df5722cb3d712385e3f88"
    "ac02483045022100cfb07164b36ba64c1b1e8c7720a56ad64d96f6ef332d3d37f9cb3c96477dc44502"
    "200a464cd7a9cf94cd70f66ce4f4f0625ef650052c7afcfe29d7d7e01830ff91ed012103596d345102"
    "5c19dbbdeb932d6bf8bfb4ad499b95b6f88db8899efac102e5fc7100000000";

/* ---- helpers ---- */

static uint8_t *finish(struct writer *w, size_t *len)
{
    assert_false(w->failed);
    return writer_release(w, len);
}

static void parse_tx_hex(struct tx *tx, const char *hex)
{
    size_t n;
    uint8_t *b = test_unhex(hex, &n);
    assert_true(tx_from_bytes(tx, b, n, true));
    free(b);
}

static void assert_tx_equal(const struct tx *a, const struct tx *b)
{
    struct writer wa, wb;
    writer_init(&wa);
    writer_init(&wb);
    tx_serialize(&wa, a, true);
    tx_serialize(&wb, b, true);
    assert_false(wa.failed || wb.failed);
    assert_int_equal(wa.len, wb.len);
    assert_memory_equal(wa.data, wb.data, wa.len);
    writer_free(&wa);
    writer_free(&wb);
}

static void assert_header_equal(const struct block_header *a, const struct block_header *b)
{
    uint8_t x[BLOCK_HEADER_SIZE], y[BLOCK_HEADER_SIZE];
    block_header_to_bytes(x, a);
    block_header_to_bytes(y, b);
    assert_memory_equal(x, y, BLOCK_HEADER_SIZE);
}

static void assert_addr_equal(const struct net_addr *a, const struct net_addr *b)
{
    assert_int_equal(a->net, b->net);
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->bytes, b->bytes, sizeof(a->bytes));
    assert_int_equal(a->port, b->port);
}

static void assert_addr_info_equal(const struct net_addr_info *a, const struct net_addr_info *b)
{
    assert_addr_equal(&a->addr, &b->addr);
    assert_int_equal(a->services, b->services);
    assert_int_equal(a->time, b->time);
}

static void assert_version_equal(const struct net_version *a, const struct net_version *b)
{
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->services, b->services);
    assert_int_equal(a->time, b->time);
    assert_int_equal(a->recv_services, b->recv_services);
    assert_addr_equal(&a->recv, &b->recv);
    assert_int_equal(a->from_services, b->from_services);
    assert_addr_equal(&a->from, &b->from);
    assert_int_equal(a->nonce, b->nonce);
    assert_string_equal(a->user_agent, b->user_agent);
    assert_int_equal(a->start_height, b->start_height);
    assert_int_equal(a->relay, b->relay);
}

static struct net_addr make_addr(uint8_t net, const char *hex, uint16_t port)
{
    struct net_addr a;
    memset(&a, 0, sizeof(a));
    size_t n;
    uint8_t *b = test_unhex(hex, &n);
    assert_true(n <= sizeof(a.bytes));
    a.net = net;
    a.len = (uint8_t)n;
    memcpy(a.bytes, b, n);
    a.port = port;
    free(b);
    return a;
}

/* Reads mainnet blocks 1-255 (blocks[0] is block 1); the caller clears and frees. */
static struct block *load_mainnet(size_t *count)
{
    size_t file_len;
    uint8_t *file = test_read_file(test_vector_path(MAINNET_FILE), &file_len);
    if (!file) fail_msg("cannot read %s", test_vector_path(MAINNET_FILE));
    struct block *blocks = calloc(255, sizeof(*blocks));
    assert_non_null(blocks);
    size_t pos = 0, n = 0;
    while (pos + 8 <= file_len && n < 255) {
        assert_memory_equal(file + pos, MAINNET_MAGIC, 4);
        uint32_t len = le32_read(file + pos + 4);
        assert_true(pos + 8 + len <= file_len);
        assert_true(block_from_bytes(&blocks[n], file + pos + 8, len, true));
        pos += 8 + len;
        n++;
    }
    assert_int_equal(n, 255);
    free(file);
    *count = n;
    return blocks;
}

static void free_mainnet(struct block *blocks, size_t count)
{
    for (size_t i = 0; i < count; i++) block_clear(&blocks[i]);
    free(blocks);
}

/* ---- truncation: every proper prefix must fail cleanly ---- */

typedef bool (*decode_fn)(const uint8_t *p, size_t len, void *out, char *err);
typedef void (*clear_fn)(void *out);

static bool dec_version(const uint8_t *p, size_t len, void *out, char *err)
{
    return net_version_decode(p, len, out, err);
}
static bool dec_addr(const uint8_t *p, size_t len, void *out, char *err)
{
    return net_addr_decode(p, len, out, err);
}
static bool dec_addrv2(const uint8_t *p, size_t len, void *out, char *err)
{
    return net_addrv2_decode(p, len, out, err);
}
static bool dec_inv(const uint8_t *p, size_t len, void *out, char *err)
{
    return net_inv_decode(p, len, out, err);
}
static bool dec_locator(const uint8_t *p, size_t len, void *out, char *err)
{
    return net_locator_decode(p, len, out, err);
}
static bool dec_headers(const uint8_t *p, size_t len, void *out, char *err)
{
    return net_headers_decode(p, len, out, err);
}
static bool dec_u64(const uint8_t *p, size_t len, void *out, char *err)
{
    return net_u64_decode(p, len, out, err);
}
static bool dec_feefilter(const uint8_t *p, size_t len, void *out, char *err)
{
    return net_feefilter_decode(p, len, out, err);
}
static bool dec_sendcmpct(const uint8_t *p, size_t len, void *out, char *err)
{
    return net_sendcmpct_decode(p, len, out, err);
}
static bool dec_cmpctblock(const uint8_t *p, size_t len, void *out, char *err)
{
    return net_cmpctblock_decode(p, len, out, err);
}
static bool dec_getblocktxn(const uint8_t *p, size_t len, void *out, char *err)
{
    return net_getblocktxn_decode(p, len, out, err);
}
static bool dec_blocktxn(const uint8_t *p, size_t len, void *out, char *err)
{
    return net_blocktxn_decode(p, len, out, err);
}
static void clear_nothing(void *out) { (void)out; }
static void clear_addr(void *out) { net_addr_list_clear(out); }
static void clear_inv(void *out) { net_inv_list_clear(out); }
static void clear_locator(void *out) { net_locator_clear(out); }
static void clear_headers(void *out) { net_headers_clear(out); }
static void clear_cmpctblock(void *out) { net_cmpctblock_clear(out); }
static void clear_getblocktxn(void *out) { net_getblocktxn_clear(out); }
static void clear_blocktxn(void *out) { net_blocktxn_clear(out); }

/* One decode of exactly len bytes from a fresh heap copy; on failure err must say why. */
static bool decode_copy(decode_fn dec, clear_fn clr, size_t out_size, const uint8_t *msg,
                        size_t len, char *err)
{
    uint8_t *copy = malloc(len ? len : 1);
    void *out = malloc(out_size);
    assert_non_null(copy);
    assert_non_null(out);
    if (len) memcpy(copy, msg, len);
    err[0] = '\0';
    bool ok = dec(copy, len, out, err);
    if (ok)
        clr(out);
    else
        assert_true(err[0] != '\0');
    free(out);
    free(copy);
    return ok;
}

/* Decodes every prefix of msg; only those whose lengths are in ok_cuts (plus the whole
 * message) may decode. Returns the number of prefixes tried. */
static size_t check_prefixes(const char *what, decode_fn dec, clear_fn clr, size_t out_size,
                             const uint8_t *msg, size_t len, const size_t *ok_cuts, size_t n_ok)
{
    char err[64];
    for (size_t cut = 0; cut < len; cut++) {
        bool want = false;
        for (size_t i = 0; i < n_ok; i++)
            if (ok_cuts[i] == cut) want = true;
        bool ok = decode_copy(dec, clr, out_size, msg, cut, err);
        if (ok != want)
            fail_msg("%s: prefix of %zu of %zu bytes %s (%s)", what, cut, len,
                     ok ? "accepted" : "refused", err);
    }
    if (!decode_copy(dec, clr, out_size, msg, len, err))
        fail_msg("%s: whole refused: %s", what, err);
    return len;
}

/* ---- message header ---- */

static void test_header_known_verack(void **state)
{
    (void)state;
    size_t n;
    uint8_t *raw = test_unhex(VERACK_HEX, &n);
    assert_int_equal(n, NET_HEADER_SIZE);
    struct net_msg_header h;
    assert_int_equal(net_header_decode(raw, MAINNET_MAGIC, &h), NET_HEADER_OK);
    assert_memory_equal(h.magic, MAINNET_MAGIC, 4);
    assert_string_equal(h.command, "verack");
    assert_int_equal(h.length, 0);
    static const uint8_t empty_sum[4] = {0x5d, 0xf6, 0xe0, 0xe2};
    assert_memory_equal(h.checksum, empty_sum, 4);
    assert_true(net_checksum_ok(&h, NULL, 0));
    uint8_t one = 0;
    assert_false(net_checksum_ok(&h, &one, 1));

    uint8_t built[NET_HEADER_SIZE];
    net_header_encode(built, MAINNET_MAGIC, "verack", NULL, 0);
    assert_memory_equal(built, raw, NET_HEADER_SIZE);

    struct writer w;
    writer_init(&w);
    net_message_write(&w, MAINNET_MAGIC, "verack", NULL, 0);
    size_t len;
    uint8_t *msg = finish(&w, &len);
    assert_int_equal(len, NET_HEADER_SIZE);
    assert_memory_equal(msg, raw, len);
    free(msg);
    free(raw);
}

static void test_header_checksum(void **state)
{
    (void)state;
    /* The empty payload's checksum is the first 4 bytes of SHA256d(""). */
    uint8_t d[32];
    sha256d("", 0, d);
    static const uint8_t want[4] = {0x5d, 0xf6, 0xe0, 0xe2};
    assert_memory_equal(d, want, 4);

    static const uint8_t payload[] = "hello";
    uint8_t hdr[NET_HEADER_SIZE];
    net_header_encode(hdr, MAINNET_MAGIC, "ping", payload, 5);
    struct net_msg_header h;
    assert_int_equal(net_header_decode(hdr, MAINNET_MAGIC, &h), NET_HEADER_OK);
    assert_int_equal(h.length, 5);
    sha256d(payload, 5, d);
    assert_memory_equal(h.checksum, d, 4);
    assert_true(net_checksum_ok(&h, payload, 5));
    assert_false(net_checksum_ok(&h, payload, 4));
    static const uint8_t other[] = "hellp";
    assert_false(net_checksum_ok(&h, other, 5));
}

static void test_header_errors(void **state)
{
    (void)state;
    size_t n;
    uint8_t *raw = test_unhex(VERACK_HEX, &n);
    struct net_msg_header h;
    size_t cases = 0;

    /* Another network's magic (testnet3); the rest is still filled for the log. */
    static const uint8_t testnet[4] = {0x0b, 0x11, 0x09, 0x07};
    assert_int_equal(net_header_decode(raw, testnet, &h), NET_HEADER_BAD_MAGIC);
    assert_string_equal(h.command, "verack");
    assert_memory_equal(h.magic, MAINNET_MAGIC, 4);
    cases++;

    struct {
        const char *cmd_hex; /* 12 bytes */
        enum net_header_result want;
        const char *shown;
    } cmds[] = {
        {"000000000000000000000000", NET_HEADER_BAD_COMMAND, ""},       /* empty */
        {"76657200636b000000000000", NET_HEADER_BAD_COMMAND, "ver"},    /* NUL then text */
        {"76657261636b000000000001", NET_HEADER_BAD_COMMAND, "verack"}, /* late byte */
        {"7665720a636b000000000000", NET_HEADER_BAD_COMMAND, "ver?ck"}, /* newline */
        {"7665727f636b000000000000", NET_HEADER_BAD_COMMAND, "ver?ck"}, /* DEL */
        {"76657280636b000000000000", NET_HEADER_BAD_COMMAND, "ver?ck"}, /* high bit */
        {"1f0000000000000000000000", NET_HEADER_BAD_COMMAND, "?"},      /* below space */
        {"200000000000000000000000", NET_HEADER_OK, " "},               /* space */
        {"7e0000000000000000000000", NET_HEADER_OK, "~"},               /* tilde */
        {"6162636465666768696a6b6c", NET_HEADER_OK, "abcdefghijkl"},    /* 12 chars */
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        size_t cn;
        uint8_t *cmd = test_unhex(cmds[i].cmd_hex, &cn);
        assert_int_equal(cn, NET_COMMAND_SIZE);
        memcpy(raw + 4, cmd, NET_COMMAND_SIZE);
        free(cmd);
        assert_int_equal(net_header_decode(raw, MAINNET_MAGIC, &h), cmds[i].want);
        assert_string_equal(h.command, cmds[i].shown);
        cases++;
    }

    /* Length limit: 4,000,000 is fine, one more is not. */
    uint8_t hdr[NET_HEADER_SIZE];
    net_header_encode(hdr, MAINNET_MAGIC, "block", NULL, 0);
    le32_write(hdr + 16, NET_MAX_MESSAGE_LENGTH);
    assert_int_equal(net_header_decode(hdr, MAINNET_MAGIC, &h), NET_HEADER_OK);
    assert_int_equal(h.length, NET_MAX_MESSAGE_LENGTH);
    le32_write(hdr + 16, NET_MAX_MESSAGE_LENGTH + 1);
    assert_int_equal(net_header_decode(hdr, MAINNET_MAGIC, &h), NET_HEADER_OVERSIZED);
    assert_string_equal(h.command, "block");
    le32_write(hdr + 16, 0xffffffffu);
    assert_int_equal(net_header_decode(hdr, MAINNET_MAGIC, &h), NET_HEADER_OVERSIZED);
    cases += 3;

    /* A command of exactly 12 characters is written without a terminator. */
    net_header_encode(hdr, MAINNET_MAGIC, "abcdefghijkl", NULL, 0);
    assert_memory_equal(hdr + 4, "abcdefghijkl", 12);
    assert_int_equal(net_header_decode(hdr, MAINNET_MAGIC, &h), NET_HEADER_OK);
    assert_string_equal(h.command, "abcdefghijkl");
    cases++;
    free(raw);
    test_report_count("header cases", cases);
}

/* ---- version ---- */

static void test_version_known_wiki(void **state)
{
    (void)state;
    size_t n;
    uint8_t *raw = test_unhex(WIKI_VERSION_HEX, &n);
    assert_int_equal(n, NET_HEADER_SIZE + 100);
    struct net_msg_header h;
    assert_int_equal(net_header_decode(raw, MAINNET_MAGIC, &h), NET_HEADER_OK);
    assert_string_equal(h.command, "version");
    assert_int_equal(h.length, 100);
    const uint8_t *payload = raw + NET_HEADER_SIZE;
    assert_true(net_checksum_ok(&h, payload, 100));

    struct net_version v;
    char err[64] = "";
    assert_true(net_version_decode(payload, 100, &v, err));
    assert_int_equal(v.version, 60002);
    assert_int_equal(v.services, NODE_NETWORK);
    assert_int_equal(v.time, 0x50d0b211); /* 2012-12-18 */
    assert_int_equal(v.recv_services, NODE_NETWORK);
    assert_int_equal(v.recv.net, NET_IPV4);
    assert_int_equal(v.recv.len, 4);
    static const uint8_t zero[32] = {0};
    assert_memory_equal(v.recv.bytes, zero, 32);
    assert_int_equal(v.recv.port, 0);
    assert_int_equal(v.from_services, 0);
    assert_int_equal(v.from.net, NET_IPV4);
    assert_int_equal(v.nonce, 0x6517e68c5db32e3bull);
    assert_string_equal(v.user_agent, "/Satoshi:0.7.2/");
    assert_int_equal(v.start_height, 212672);
    assert_true(v.relay); /* absent */

    /* Our encoding is the same plus the relay byte. */
    struct writer w;
    writer_init(&w);
    net_version_encode(&w, &v);
    size_t len;
    uint8_t *enc = finish(&w, &len);
    assert_int_equal(len, 101);
    assert_memory_equal(enc, payload, 100);
    assert_int_equal(enc[100], 1);
    free(enc);
    free(raw);
}

static void test_version_known_core23(void **state)
{
    (void)state;
    size_t n;
    uint8_t *raw = test_unhex(CORE23_VERSION_HEX, &n);
    assert_int_equal(n, NET_HEADER_SIZE + 102);
    struct net_msg_header h;
    assert_int_equal(net_header_decode(raw, MAINNET_MAGIC, &h), NET_HEADER_OK);
    assert_string_equal(h.command, "version");
    assert_int_equal(h.length, 102);
    const uint8_t *payload = raw + NET_HEADER_SIZE;
    assert_true(net_checksum_ok(&h, payload, 102));

    struct net_version v;
    char err[64] = "";
    assert_true(net_version_decode(payload, 102, &v, err));
    assert_int_equal(v.version, NET_PROTOCOL_VERSION);
    assert_int_equal(v.services,
                     NODE_NETWORK | NODE_BLOOM | NODE_WITNESS | NODE_NETWORK_LIMITED);
    assert_int_equal(v.time, 0x63508350);
    assert_int_equal(v.recv_services, 0);
    assert_int_equal(v.recv.net, NET_IPV6); /* "::" is not IPv4-mapped */
    assert_int_equal(v.recv.len, 16);
    assert_int_equal(v.from_services, v.services);
    assert_int_equal(v.from.net, NET_IPV6);
    assert_int_equal(v.nonce, 0xe2d3bd8412e90affull);
    assert_string_equal(v.user_agent, "/Satoshi:23.0.0/");
    assert_int_equal(v.start_height, 759438);
    assert_true(v.relay);

    /* Byte for byte: payload and whole message. */
    struct writer w;
    writer_init(&w);
    net_version_encode(&w, &v);
    size_t len;
    uint8_t *enc = finish(&w, &len);
    assert_int_equal(len, 102);
    assert_memory_equal(enc, payload, 102);
    writer_init(&w);
    net_message_write(&w, MAINNET_MAGIC, "version", enc, len);
    size_t mlen;
    uint8_t *msg = finish(&w, &mlen);
    assert_int_equal(mlen, n);
    assert_memory_equal(msg, raw, n);
    free(msg);
    free(enc);
    free(raw);
}

static struct net_version sample_version(size_t ua_len)
{
    struct net_version v;
    memset(&v, 0, sizeof(v));
    v.version = NET_PROTOCOL_VERSION;
    v.services = NODE_NETWORK | NODE_WITNESS | NODE_IOP_SERVICES;
    v.time = 1700000000;
    v.recv_services = NODE_NETWORK;
    v.recv = make_addr(NET_IPV4, "c0a80001", 4877);
    v.from_services = NODE_WITNESS;
    v.from = make_addr(NET_IPV6, "20010db8000000000000000000000001", 14877);
    v.nonce = 0x0123456789abcdefull;
    for (size_t i = 0; i < ua_len; i++) v.user_agent[i] = (char)('a' + i % 26);
    v.user_agent[ua_len] = '\0';
    v.start_height = -1;
    v.relay = false;
    return v;
}

static uint8_t *encode_version(const struct net_version *v, size_t *len)
{
    struct writer w;
    writer_init(&w);
    net_version_encode(&w, v);
    return finish(&w, len);
}

static void test_version_roundtrip(void **state)
{
    (void)state;
    size_t cases = 0;
    static const size_t ua_lens[] = {0, 1, 15, 252, 253, NET_MAX_SUBVERSION_LENGTH};
    for (size_t i = 0; i < sizeof(ua_lens) / sizeof(ua_lens[0]); i++) {
        for (int relay = 0; relay < 2; relay++) {
            struct net_version v = sample_version(ua_lens[i]);
            v.relay = relay;
            size_t len;
            uint8_t *enc = encode_version(&v, &len);
            /* 72 fixed bytes through addr_from, nonce, var_str, height, relay. */
            assert_int_equal(len, 72 + 8 + compact_size_len(ua_lens[i]) + ua_lens[i] + 4 + 1);
            /* Ports are big-endian: 4877 = 0x130d at the end of addr_recv. */
            assert_int_equal(enc[44], 0x13);
            assert_int_equal(enc[45], 0x0d);
            struct net_version back;
            char err[64];
            assert_true(net_version_decode(enc, len, &back, err));
            assert_version_equal(&back, &v);
            free(enc);
            cases++;
        }
    }

    /* Networks without a v1 form are sent as 16 zero bytes (then read back as "::");
     * CJDNS goes as its IPv6 address. */
    struct net_version v = sample_version(3);
    v.recv = make_addr(
        NET_TORV3, "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 9050);
    v.from = make_addr(NET_CJDNS, "fc000000000000000000000000000001", 8333);
    size_t len;
    uint8_t *enc = encode_version(&v, &len);
    static const uint8_t zero16[16] = {0};
    assert_memory_equal(enc + 28, zero16, 16);
    struct net_version back;
    char err[64];
    assert_true(net_version_decode(enc, len, &back, err));
    assert_int_equal(back.recv.net, NET_IPV6);
    assert_memory_equal(back.recv.bytes, zero16, 16);
    assert_int_equal(back.recv.port, 9050);
    assert_int_equal(back.from.net, NET_IPV6);
    assert_memory_equal(back.from.bytes, v.from.bytes, 16);
    free(enc);
    cases++;
    test_report_count("version round trips", cases);
}

static void test_version_optional_fields(void **state)
{
    (void)state;
    struct net_version v = sample_version(10);
    v.relay = false;
    size_t len;
    uint8_t *enc = encode_version(&v, &len);
    assert_int_equal(len, 72 + 8 + 11 + 4 + 1);
    struct net_version back;
    char err[64];

    /* Ends after addr_from: everything later takes its default. */
    assert_true(net_version_decode(enc, 72, &back, err));
    assert_int_equal(back.nonce, 0);
    assert_string_equal(back.user_agent, "");
    assert_int_equal(back.start_height, 0);
    assert_true(back.relay);
    assert_int_equal(back.from.port, 14877);
    /* After the nonce. */
    assert_true(net_version_decode(enc, 80, &back, err));
    assert_int_equal(back.nonce, v.nonce);
    assert_string_equal(back.user_agent, "");
    /* After the user agent. */
    assert_true(net_version_decode(enc, 91, &back, err));
    assert_string_equal(back.user_agent, "abcdefghij");
    assert_int_equal(back.start_height, 0);
    assert_true(back.relay);
    /* After the height. */
    assert_true(net_version_decode(enc, 95, &back, err));
    assert_int_equal(back.start_height, -1);
    assert_true(back.relay);
    /* Any non-zero relay byte means true; trailing bytes are accepted. */
    enc[95] = 7;
    assert_true(net_version_decode(enc, 96, &back, err));
    assert_true(back.relay);
    free(enc);

    /* Every other prefix is refused. */
    v = sample_version(10);
    enc = encode_version(&v, &len);
    static const size_t ok_cuts[] = {72, 80, 91, 95};
    size_t tried = check_prefixes("version", dec_version, clear_nothing,
                                  sizeof(struct net_version), enc, len, ok_cuts, 4);
    free(enc);
    test_report_count("version prefixes", tried);
}

static void test_version_errors(void **state)
{
    (void)state;
    struct net_version v = sample_version(NET_MAX_SUBVERSION_LENGTH);
    size_t len;
    uint8_t *enc = encode_version(&v, &len);
    struct net_version back;
    char err[64] = "";
    assert_true(net_version_decode(enc, len, &back, err));
    assert_int_equal(strlen(back.user_agent), 256);
    free(enc);

    /* 257 bytes: build by hand, since the encoder cannot produce it. */
    struct writer w;
    writer_init(&w);
    size_t l256;
    uint8_t *base = encode_version(&v, &l256);
    write_bytes(&w, base, 80);
    write_compact_size(&w, 257);
    for (int i = 0; i < 257; i++) write_u8(&w, 'x');
    write_i32(&w, 5);
    write_u8(&w, 1);
    uint8_t *bad = finish(&w, &len);
    err[0] = '\0';
    assert_false(net_version_decode(bad, len, &back, err));
    assert_non_null(strstr(err, "too long"));
    free(bad);

    /* A NUL inside the user agent. */
    writer_init(&w);
    write_bytes(&w, base, 80);
    write_compact_size(&w, 3);
    write_bytes(&w, "a\0b", 3);
    bad = finish(&w, &len);
    err[0] = '\0';
    assert_false(net_version_decode(bad, len, &back, err));
    assert_non_null(strstr(err, "NUL"));
    free(bad);

    /* A length field that claims more than is present. */
    writer_init(&w);
    write_bytes(&w, base, 80);
    write_compact_size(&w, 20);
    write_bytes(&w, "short", 5);
    bad = finish(&w, &len);
    assert_false(net_version_decode(bad, len, &back, err));
    free(bad);
    free(base);
}

/* ---- addr ---- */

static void test_addr_known_wiki(void **state)
{
    (void)state;
    size_t n;
    uint8_t *raw = test_unhex(WIKI_ADDR_HEX, &n);
    struct net_addr_list l;
    char err[64];
    assert_true(net_addr_decode(raw, n, &l, err));
    assert_int_equal(l.count, 1);
    assert_int_equal(l.items[0].time, 0x4d1015e2);
    assert_int_equal(l.items[0].services, NODE_NETWORK);
    struct net_addr want = make_addr(NET_IPV4, "0a000001", 8333);
    assert_addr_equal(&l.items[0].addr, &want);
    struct writer w;
    writer_init(&w);
    net_addr_encode(&w, l.items, l.count);
    size_t len;
    uint8_t *enc = finish(&w, &len);
    assert_int_equal(len, n);
    assert_memory_equal(enc, raw, n);
    free(enc);
    net_addr_list_clear(&l);
    assert_null(l.items);
    assert_int_equal(l.count, 0);
    net_addr_list_clear(NULL);
    free(raw);
}

static void sample_addrs(struct net_addr_info items[6])
{
    memset(items, 0, 6 * sizeof(*items));
    items[0].addr = make_addr(NET_IPV4, "01020304", 8333);
    items[1].addr = make_addr(NET_IPV6, "2a0104f8000000000000000000000002", 4877);
    items[2].addr = make_addr(
        NET_TORV3, "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 9050);
    items[3].addr = make_addr(
        NET_I2P, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf", 0);
    items[4].addr = make_addr(NET_CJDNS, "fc00000000000000000000000000abcd", 1);
    items[5].addr = make_addr(NET_IPV4, "7f000001", 65535);
    for (size_t i = 0; i < 6; i++) {
        items[i].time = 1700000000u + (uint32_t)i;
        items[i].services = NODE_NETWORK | ((uint64_t)i << 40);
    }
    items[5].services = UINT64_MAX; /* 9-byte CompactSize in addrv2 */
}

static void test_addr_roundtrip(void **state)
{
    (void)state;
    struct net_addr_info items[6];
    sample_addrs(items);
    struct writer w;
    writer_init(&w);
    net_addr_encode(&w, items, 6);
    size_t len;
    uint8_t *enc = finish(&w, &len);
    /* TORv3 and I2P have no v1 form: 4 entries of 30 bytes. */
    assert_int_equal(len, 1 + 4 * 30);
    assert_int_equal(enc[0], 4);
    struct net_addr_list l;
    char err[64];
    assert_true(net_addr_decode(enc, len, &l, err));
    assert_int_equal(l.count, 4);
    assert_addr_info_equal(&l.items[0], &items[0]);
    assert_addr_info_equal(&l.items[1], &items[1]);
    /* CJDNS comes back as the IPv6 address it is. */
    assert_int_equal(l.items[2].addr.net, NET_IPV6);
    assert_memory_equal(l.items[2].addr.bytes, items[4].addr.bytes, 16);
    assert_int_equal(l.items[2].addr.port, 1);
    assert_addr_info_equal(&l.items[3], &items[5]);
    net_addr_list_clear(&l);

    size_t tried = check_prefixes("addr", dec_addr, clear_addr, sizeof(struct net_addr_list),
                                  enc, len, NULL, 0);
    free(enc);

    /* Empty list. */
    uint8_t zero = 0;
    assert_true(net_addr_decode(&zero, 1, &l, err));
    assert_int_equal(l.count, 0);
    net_addr_list_clear(&l);
    test_report_count("addr prefixes", tried);
}

/* A list of n copies of one address entry (v1 or v2). */
static uint8_t *addr_list_bytes(size_t n, bool v2, size_t *len)
{
    struct net_addr_info *items = calloc(n, sizeof(*items));
    assert_non_null(items);
    for (size_t i = 0; i < n; i++) {
        items[i].addr = make_addr(NET_IPV4, "08080808", 8333);
        items[i].time = (uint32_t)i;
    }
    struct writer w;
    writer_init(&w);
    if (v2)
        net_addrv2_encode(&w, items, n);
    else
        net_addr_encode(&w, items, n);
    free(items);
    return finish(&w, len);
}

static void test_addr_limits(void **state)
{
    (void)state;
    for (int v2 = 0; v2 < 2; v2++) {
        struct net_addr_list l;
        char err[64] = "";
        size_t len;
        uint8_t *enc = addr_list_bytes(NET_MAX_ADDR_TO_SEND, v2, &len);
        assert_true(v2 ? net_addrv2_decode(enc, len, &l, err)
                       : net_addr_decode(enc, len, &l, err));
        assert_int_equal(l.count, NET_MAX_ADDR_TO_SEND);
        net_addr_list_clear(&l);
        free(enc);
        enc = addr_list_bytes(NET_MAX_ADDR_TO_SEND + 1, v2, &len);
        assert_false(v2 ? net_addrv2_decode(enc, len, &l, err)
                        : net_addr_decode(enc, len, &l, err));
        assert_non_null(strstr(err, "too many"));
        free(enc);
        /* A huge count with no entries behind it. */
        static const uint8_t huge[] = {0xfe, 0x00, 0x00, 0x00, 0x02};
        assert_false(v2 ? net_addrv2_decode(huge, 5, &l, err)
                        : net_addr_decode(huge, 5, &l, err));
    }
}

/* ---- addrv2 ---- */

static void test_addrv2_known(void **state)
{
    (void)state;
    /* Hand-derived from BIP155: 1 entry; time 0x64000000; services NODE_NETWORK |
     * NODE_WITNESS = 9 as CompactSize; network 1 (IPv4); length 4; 1.2.3.4; port 8333
     * big-endian. */
    static const char hex[] = "01"
                              "00000064"
                              "09"
                              "01"
                              "04"
                              "01020304"
                              "208d";
    size_t n;
    uint8_t *raw = test_unhex(hex, &n);
    struct net_addr_list l;
    char err[64];
    assert_true(net_addrv2_decode(raw, n, &l, err));
    assert_int_equal(l.count, 1);
    assert_int_equal(l.items[0].time, 0x64000000);
    assert_int_equal(l.items[0].services, NODE_NETWORK | NODE_WITNESS);
    struct net_addr want = make_addr(NET_IPV4, "01020304", 8333);
    assert_addr_equal(&l.items[0].addr, &want);
    struct writer w;
    writer_init(&w);
    net_addrv2_encode(&w, l.items, l.count);
    size_t len;
    uint8_t *enc = finish(&w, &len);
    assert_int_equal(len, n);
    assert_memory_equal(enc, raw, n);
    free(enc);
    net_addr_list_clear(&l);
    free(raw);
}

static void test_addrv2_roundtrip(void **state)
{
    (void)state;
    struct net_addr_info items[6];
    sample_addrs(items);
    struct writer w;
    writer_init(&w);
    net_addrv2_encode(&w, items, 6);
    size_t len;
    uint8_t *enc = finish(&w, &len);
    struct net_addr_list l;
    char err[64];
    assert_true(net_addrv2_decode(enc, len, &l, err));
    assert_int_equal(l.count, 6);
    for (size_t i = 0; i < 6; i++) assert_addr_info_equal(&l.items[i], &items[i]);
    net_addr_list_clear(&l);
    size_t tried = check_prefixes("addrv2", dec_addrv2, clear_addr,
                                  sizeof(struct net_addr_list), enc, len, NULL, 0);
    free(enc);
    test_report_count("addrv2 prefixes", tried);
}

static void write_be16(struct writer *w, uint16_t v)
{
    write_u8(w, (uint8_t)(v >> 8));
    write_u8(w, (uint8_t)v);
}

/* One addrv2 entry with the given network, address bytes and port 1. */
static void write_v2_entry(struct writer *w, uint8_t net, const char *hex)
{
    size_t n;
    uint8_t *b = test_unhex(hex, &n);
    write_u32(w, 1);
    write_compact_size(w, 1);
    write_u8(w, net);
    write_compact_size(w, n);
    write_bytes(w, b, n);
    write_be16(w, 1);
    free(b);
}

static void test_addrv2_skips_and_errors(void **state)
{
    (void)state;
    struct writer w;
    size_t len;
    struct net_addr_list l;
    char err[64];

    /* Skipped: unknown networks, TORv2, IPv6 entries embedding IPv4, old TORv2 or
     * internal names, CJDNS outside fc00::/8. Kept: the IPv4 entry between them. */
    writer_init(&w);
    write_compact_size(&w, 8);
    write_v2_entry(&w, 0x42, "00112233445566");
    write_v2_entry(&w, NET_TORV2, "00112233445566778899");
    write_v2_entry(&w, NET_IPV4, "05060708");
    write_v2_entry(&w, NET_IPV6, "00000000000000000000ffff01020304");
    write_v2_entry(&w, NET_IPV6, "fd87d87eeb4300000000000000000001");
    write_v2_entry(&w, NET_IPV6, "fd6b88c0872400000000000000000001");
    write_v2_entry(&w, NET_CJDNS, "fd000000000000000000000000000001");
    write_v2_entry(&w, 0xff, "");
    uint8_t *enc = finish(&w, &len);
    assert_true(net_addrv2_decode(enc, len, &l, err));
    assert_int_equal(l.count, 1);
    struct net_addr want = make_addr(NET_IPV4, "05060708", 1);
    assert_addr_equal(&l.items[0].addr, &want);
    net_addr_list_clear(&l);
    free(enc);

    /* Only unknown entries: an empty list. */
    writer_init(&w);
    write_compact_size(&w, 1);
    write_v2_entry(&w, 0x07, "01");
    enc = finish(&w, &len);
    assert_true(net_addrv2_decode(enc, len, &l, err));
    assert_int_equal(l.count, 0);
    net_addr_list_clear(&l);
    free(enc);

    /* A known network with the wrong length is an error. */
    static const struct {
        uint8_t net;
        const char *hex;
    } wrong[] = {
        {NET_IPV4, "0102030405"},
        {NET_IPV4, "010203"},
        {NET_IPV6, "0102030405060708090a0b0c0d0e0f"},
        {NET_TORV3, "0102030405060708090a0b0c0d0e0f10"},
        {NET_I2P, ""},
        {NET_CJDNS, "fc0102030405060708090a0b0c0d0e0f10"},
    };
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        writer_init(&w);
        write_compact_size(&w, 2);
        write_v2_entry(&w, NET_IPV4, "05060708");
        write_v2_entry(&w, wrong[i].net, wrong[i].hex);
        enc = finish(&w, &len);
        err[0] = '\0';
        assert_false(net_addrv2_decode(enc, len, &l, err));
        assert_non_null(strstr(err, "network"));
        free(enc);
    }

    /* An address longer than 512 bytes, even of an unknown network. */
    writer_init(&w);
    write_compact_size(&w, 1);
    write_u32(&w, 1);
    write_compact_size(&w, 1);
    write_u8(&w, 0x42);
    write_compact_size(&w, NET_MAX_ADDRV2_ADDR_SIZE + 1);
    for (size_t i = 0; i < NET_MAX_ADDRV2_ADDR_SIZE + 1; i++) write_u8(&w, 0);
    write_be16(&w, 1);
    enc = finish(&w, &len);
    assert_false(net_addrv2_decode(enc, len, &l, err));
    assert_non_null(strstr(err, "too long"));
    /* 512 is allowed (and skipped). */
    /* count, time, services, network, then fd and the length little-endian. */
    assert_int_equal(enc[7], 0xfd);
    enc[8] = (uint8_t)(NET_MAX_ADDRV2_ADDR_SIZE & 0xff);
    enc[9] = (uint8_t)(NET_MAX_ADDRV2_ADDR_SIZE >> 8);
    assert_true(net_addrv2_decode(enc, len - 1, &l, err));
    assert_int_equal(l.count, 0);
    net_addr_list_clear(&l);
    free(enc);

    /* Non-canonical CompactSize services. */
    static const char noncanon[] = "01"
                                   "01000000"
                                   "fd0100"
                                   "01"
                                   "04"
                                   "01020304"
                                   "0001";
    size_t n;
    uint8_t *raw = test_unhex(noncanon, &n);
    assert_false(net_addrv2_decode(raw, n, &l, err));
    free(raw);
}

/* ---- inv ---- */

static uint8_t *inv_bytes(size_t n, size_t *len)
{
    struct net_inv *items = calloc(n ? n : 1, sizeof(*items));
    assert_non_null(items);
    for (size_t i = 0; i < n; i++) {
        items[i].type = (i % 2) ? MSG_WITNESS_TX : MSG_BLOCK;
        le32_write(items[i].hash.b, (uint32_t)i);
        items[i].hash.b[31] = 0xab;
    }
    struct writer w;
    writer_init(&w);
    net_inv_encode(&w, items, n);
    free(items);
    return finish(&w, len);
}

static void test_inv(void **state)
{
    (void)state;
    size_t len;
    uint8_t *enc = inv_bytes(3, &len);
    assert_int_equal(len, 1 + 3 * 36);
    /* Second entry: type 0x40000001 little-endian, then its hash. */
    static const uint8_t type1[4] = {0x01, 0x00, 0x00, 0x40};
    assert_memory_equal(enc + 1 + 36, type1, 4);
    struct net_inv_list l;
    char err[64] = "";
    assert_true(net_inv_decode(enc, len, &l, err));
    assert_int_equal(l.count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(l.items[i].type, (i % 2) ? MSG_WITNESS_TX : MSG_BLOCK);
        assert_int_equal(le32_read(l.items[i].hash.b), i);
        assert_int_equal(l.items[i].hash.b[31], 0xab);
    }
    net_inv_list_clear(&l);
    size_t tried = check_prefixes("inv", dec_inv, clear_inv, sizeof(struct net_inv_list), enc,
                                  len, NULL, 0);
    free(enc);

    enc = inv_bytes(NET_MAX_INV_SZ, &len);
    assert_true(net_inv_decode(enc, len, &l, err));
    assert_int_equal(l.count, NET_MAX_INV_SZ);
    net_inv_list_clear(&l);
    free(enc);
    enc = inv_bytes(NET_MAX_INV_SZ + 1, &len);
    assert_false(net_inv_decode(enc, len, &l, err));
    assert_non_null(strstr(err, "too many"));
    free(enc);
    enc = inv_bytes(0, &len);
    assert_true(net_inv_decode(enc, len, &l, err));
    assert_int_equal(l.count, 0);
    net_inv_list_clear(&l);
    free(enc);
    test_report_count("inv prefixes", tried);
}

/* ---- getheaders / getblocks ---- */

static uint8_t *locator_bytes(size_t n, size_t *len)
{
    struct net_locator l;
    memset(&l, 0, sizeof(l));
    l.version = NET_PROTOCOL_VERSION;
    l.hashes = calloc(n ? n : 1, sizeof(uint256));
    assert_non_null(l.hashes);
    l.count = n;
    for (size_t i = 0; i < n; i++) memset(l.hashes[i].b, (int)(i + 1), 32);
    memset(l.stop.b, 0xee, 32);
    struct writer w;
    writer_init(&w);
    net_locator_encode(&w, &l);
    net_locator_clear(&l);
    return finish(&w, len);
}

static void test_locator(void **state)
{
    (void)state;
    size_t len;
    uint8_t *enc = locator_bytes(3, &len);
    assert_int_equal(len, 4 + 1 + 3 * 32 + 32);
    assert_int_equal(le32_read(enc), NET_PROTOCOL_VERSION);
    struct net_locator l;
    char err[64] = "";
    assert_true(net_locator_decode(enc, len, &l, err));
    assert_int_equal(l.version, NET_PROTOCOL_VERSION);
    assert_int_equal(l.count, 3);
    for (size_t i = 0; i < 3; i++) assert_int_equal(l.hashes[i].b[17], i + 1);
    assert_int_equal(l.stop.b[0], 0xee);
    net_locator_clear(&l);
    net_locator_clear(NULL);
    size_t tried = check_prefixes("locator", dec_locator, clear_locator,
                                  sizeof(struct net_locator), enc, len, NULL, 0);
    free(enc);

    /* No hashes: just the stop hash. */
    enc = locator_bytes(0, &len);
    assert_int_equal(len, 4 + 1 + 32);
    assert_true(net_locator_decode(enc, len, &l, err));
    assert_int_equal(l.count, 0);
    net_locator_clear(&l);
    tried += check_prefixes("locator(0)", dec_locator, clear_locator,
                            sizeof(struct net_locator), enc, len, NULL, 0);
    free(enc);

    enc = locator_bytes(NET_MAX_LOCATOR_SZ, &len);
    assert_true(net_locator_decode(enc, len, &l, err));
    assert_int_equal(l.count, NET_MAX_LOCATOR_SZ);
    net_locator_clear(&l);
    free(enc);
    enc = locator_bytes(NET_MAX_LOCATOR_SZ + 1, &len);
    assert_false(net_locator_decode(enc, len, &l, err));
    assert_non_null(strstr(err, "too many"));
    free(enc);
    test_report_count("locator prefixes", tried);
}

/* ---- headers ---- */

static void test_headers_mainnet(void **state)
{
    (void)state;
    size_t count;
    struct block *blocks = load_mainnet(&count);
    struct block_header *hs = calloc(count, sizeof(*hs));
    assert_non_null(hs);
    for (size_t i = 0; i < count; i++) hs[i] = blocks[i].header;
    struct writer w;
    writer_init(&w);
    net_headers_encode(&w, hs, count);
    size_t len;
    uint8_t *enc = finish(&w, &len);
    /* 255 = fd ff 00, then 80 header bytes and a zero per block. */
    assert_int_equal(len, 3 + count * 81);
    assert_int_equal(enc[0], 0xfd);
    for (size_t i = 0; i < count; i++) {
        uint8_t want[BLOCK_HEADER_SIZE];
        block_header_to_bytes(want, &blocks[i].header);
        assert_memory_equal(enc + 3 + i * 81, want, BLOCK_HEADER_SIZE);
        assert_int_equal(enc[3 + i * 81 + 80], 0);
    }
    struct net_headers h;
    char err[64] = "";
    assert_true(net_headers_decode(enc, len, &h, err));
    assert_int_equal(h.count, count);
    for (size_t i = 0; i < count; i++) {
        assert_header_equal(&h.items[i], &blocks[i].header);
        /* Each links to the one before. */
        if (i > 0) {
            uint256 prev;
            block_header_hash(&h.items[i - 1], &prev);
            assert_memory_equal(h.items[i].prev_hash.b, prev.b, 32);
        }
    }
    net_headers_clear(&h);
    net_headers_clear(NULL);
    free(enc);

    /* Truncation over a 3-header message. */
    writer_init(&w);
    net_headers_encode(&w, hs, 3);
    enc = finish(&w, &len);
    size_t tried = check_prefixes("headers", dec_headers, clear_headers,
                                  sizeof(struct net_headers), enc, len, NULL, 0);

    /* A header followed by a non-zero transaction count. */
    enc[1 + 81 + 80] = 1;
    err[0] = '\0';
    assert_false(net_headers_decode(enc, len, &h, err));
    assert_non_null(strstr(err, "transaction"));
    free(enc);

    /* 2000 headers pass, 2001 do not. */
    struct block_header *many = calloc(NET_MAX_HEADERS_RESULTS + 1, sizeof(*many));
    assert_non_null(many);
    for (size_t i = 0; i <= NET_MAX_HEADERS_RESULTS; i++) many[i] = hs[i % count];
    writer_init(&w);
    net_headers_encode(&w, many, NET_MAX_HEADERS_RESULTS);
    enc = finish(&w, &len);
    assert_true(net_headers_decode(enc, len, &h, err));
    assert_int_equal(h.count, NET_MAX_HEADERS_RESULTS);
    net_headers_clear(&h);
    free(enc);
    writer_init(&w);
    net_headers_encode(&w, many, NET_MAX_HEADERS_RESULTS + 1);
    enc = finish(&w, &len);
    assert_false(net_headers_decode(enc, len, &h, err));
    assert_non_null(strstr(err, "too many"));
    free(enc);
    free(many);
    free(hs);
    free_mainnet(blocks, count);
    test_report_count("headers prefixes", tried);
}

/* ---- small messages ---- */

static void test_small_messages(void **state)
{
    (void)state;
    char err[64] = "";
    size_t tried = 0;

    static const uint8_t ping[8] = {0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01};
    uint64_t nonce;
    assert_true(net_u64_decode(ping, 8, &nonce, err));
    assert_int_equal(nonce, 0x0123456789abcdefull);
    assert_false(net_u64_decode(ping, 0, &nonce, err)); /* BIP31-less ping */
    tried += check_prefixes("ping", dec_u64, clear_nothing, sizeof(uint64_t), ping, 8, NULL, 0);

    int64_t rate;
    uint8_t b[8];
    le64_write(b, 1000);
    assert_true(net_feefilter_decode(b, 8, &rate, err));
    assert_int_equal(rate, 1000);
    le64_write(b, 0);
    assert_true(net_feefilter_decode(b, 8, &rate, err));
    assert_int_equal(rate, 0);
    le64_write(b, (uint64_t)MAX_MONEY);
    assert_true(net_feefilter_decode(b, 8, &rate, err));
    assert_int_equal(rate, MAX_MONEY);
    le64_write(b, (uint64_t)MAX_MONEY + 1);
    assert_false(net_feefilter_decode(b, 8, &rate, err));
    assert_non_null(strstr(err, "range"));
    le64_write(b, (uint64_t)-1);
    assert_false(net_feefilter_decode(b, 8, &rate, err));
    le64_write(b, 1000);
    tried += check_prefixes("feefilter", dec_feefilter, clear_nothing, sizeof(int64_t), b, 8,
                            NULL, 0);

    /* sendcmpct 1, version 2: the BIP152 high-bandwidth, segwit form. */
    static const uint8_t sc[9] = {0x01, 0x02, 0, 0, 0, 0, 0, 0, 0};
    struct net_sendcmpct s;
    assert_true(net_sendcmpct_decode(sc, 9, &s, err));
    assert_true(s.announce);
    assert_int_equal(s.version, 2);
    struct writer w;
    writer_init(&w);
    net_sendcmpct_encode(&w, &s);
    size_t len;
    uint8_t *enc = finish(&w, &len);
    assert_int_equal(len, 9);
    assert_memory_equal(enc, sc, 9);
    free(enc);
    s.announce = false;
    s.version = 1;
    writer_init(&w);
    net_sendcmpct_encode(&w, &s);
    enc = finish(&w, &len);
    struct net_sendcmpct back;
    assert_true(net_sendcmpct_decode(enc, len, &back, err));
    assert_false(back.announce);
    assert_int_equal(back.version, 1);
    tried += check_prefixes("sendcmpct", dec_sendcmpct, clear_nothing,
                            sizeof(struct net_sendcmpct), enc, len, NULL, 0);
    free(enc);
    test_report_count("small message prefixes", tried);
}

/* ---- BIP152 ---- */

/* Short id computed without the code under test's helpers: SHA-256 over the header bytes
 * and the nonce, the key as two little-endian words, SipHash-2-4, low 48 bits. */
static uint64_t independent_short_id(const struct block_header *h, uint64_t nonce,
                                     const struct tx *tx)
{
    uint8_t buf[88];
    block_header_to_bytes(buf, h);
    for (int i = 0; i < 8; i++) buf[80 + i] = (uint8_t)(nonce >> (8 * i));
    uint8_t d[32];
    sha256(buf, sizeof(buf), d);
    uint64_t k0 = 0, k1 = 0;
    for (int i = 7; i >= 0; i--) {
        k0 = k0 << 8 | d[i];
        k1 = k1 << 8 | d[8 + i];
    }
    struct writer w;
    writer_init(&w);
    tx_serialize(&w, tx, true);
    assert_false(w.failed);
    uint8_t wtxid[32];
    sha256d(w.data, w.len, wtxid);
    writer_free(&w);
    return siphash24(k0, k1, wtxid, 32) % (1ull << 48);
}

static void test_short_ids(void **state)
{
    (void)state;
    size_t count;
    struct block *blocks = load_mainnet(&count);
    /* Block 170: the first block with a transaction besides the coinbase. */
    const struct block *b = &blocks[169];
    assert_int_equal(b->tx_count, 2);
    size_t cases = 0;
    static const uint64_t nonces[] = {0, 1, 0x0123456789abcdefull, UINT64_MAX};
    for (size_t i = 0; i < sizeof(nonces) / sizeof(nonces[0]); i++) {
        struct net_cmpctblock c;
        assert_true(net_cmpctblock_from_block(&c, b, nonces[i]));
        assert_int_equal(c.nonce, nonces[i]);
        assert_header_equal(&c.header, &b->header);
        assert_int_equal(c.prefilled_count, 1);
        assert_int_equal(c.prefilled[0].index, 0);
        assert_tx_equal(&c.prefilled[0].tx, &b->txs[0]);
        assert_int_equal(c.short_id_count, 1);
        uint64_t want = independent_short_id(&b->header, nonces[i], &b->txs[1]);
        assert_int_equal(c.short_ids[0], want);

        uint64_t k0, k1;
        net_cmpct_keys(&b->header, nonces[i], &k0, &k1);
        uint256 wtxid;
        tx_wtxid(&b->txs[1], &wtxid);
        assert_int_equal(net_cmpct_short_id(k0, k1, &wtxid), want);
        net_cmpctblock_clear(&c);
        cases++;
    }

    /* A segwit transaction: the short id covers the witness (wtxid, not txid). */
    struct tx sw;
    parse_tx_hex(&sw, SEGWIT_TX_HEX);
    uint64_t k0, k1;
    net_cmpct_keys(&b->header, 7, &k0, &k1);
    uint256 wtxid, txid;
    tx_wtxid(&sw, &wtxid);
    tx_txid(&sw, &txid);
    assert_int_not_equal(uint256_cmp(&wtxid, &txid), 0);
    uint64_t id = net_cmpct_short_id(k0, k1, &wtxid);
    assert_int_equal(id, independent_short_id(&b->header, 7, &sw));
    assert_true(id < (1ull << 48));
    tx_clear(&sw);
    cases++;

    /* Every block: as many short ids as non-coinbase transactions, all matching. */
    for (size_t i = 0; i < count; i++) {
        struct net_cmpctblock c;
        assert_true(net_cmpctblock_from_block(&c, &blocks[i], i));
        assert_int_equal(c.short_id_count + c.prefilled_count, blocks[i].tx_count);
        for (size_t t = 1; t < blocks[i].tx_count; t++)
            assert_int_equal(c.short_ids[t - 1],
                             independent_short_id(&blocks[i].header, i, &blocks[i].txs[t]));
        net_cmpctblock_clear(&c);
        cases++;
    }
    free_mainnet(blocks, count);
    test_report_count("short id cases", cases);
}

static void assert_cmpct_equal(const struct net_cmpctblock *a, const struct net_cmpctblock *b)
{
    assert_header_equal(&a->header, &b->header);
    assert_int_equal(a->nonce, b->nonce);
    assert_int_equal(a->short_id_count, b->short_id_count);
    for (size_t i = 0; i < a->short_id_count; i++)
        assert_int_equal(a->short_ids[i], b->short_ids[i]);
    assert_int_equal(a->prefilled_count, b->prefilled_count);
    for (size_t i = 0; i < a->prefilled_count; i++) {
        assert_int_equal(a->prefilled[i].index, b->prefilled[i].index);
        assert_tx_equal(&a->prefilled[i].tx, &b->prefilled[i].tx);
    }
}

/* A compact block with short ids {0x0000_0000_0001, 0xffff_ffff_ffff, 0x1234_5678_9abc}
 * and the segwit transaction prefilled at absolute indexes 0, 5 and 6. */
static void sample_cmpct(struct net_cmpctblock *c)
{
    memset(c, 0, sizeof(*c));
    c->header.version = 0x20000000;
    memset(c->header.prev_hash.b, 0x11, 32);
    memset(c->header.merkle_root.b, 0x22, 32);
    c->header.time = 1700000000;
    c->header.bits = 0x207fffff;
    c->header.nonce = 42;
    c->nonce = 0xfedcba9876543210ull;
    c->short_ids = malloc(3 * sizeof(uint64_t));
    assert_non_null(c->short_ids);
    c->short_ids[0] = 1;
    c->short_ids[1] = 0xffffffffffffull;
    c->short_ids[2] = 0x123456789abcull;
    c->short_id_count = 3;
    c->prefilled = calloc(3, sizeof(*c->prefilled));
    assert_non_null(c->prefilled);
    static const uint32_t idx[3] = {0, 5, 6};
    for (size_t i = 0; i < 3; i++) {
        c->prefilled[i].index = idx[i];
        parse_tx_hex(&c->prefilled[i].tx, SEGWIT_TX_HEX);
        c->prefilled_count = i + 1;
    }
}

static void test_cmpctblock_roundtrip(void **state)
{
    (void)state;
    struct net_cmpctblock c;
    sample_cmpct(&c);
    struct writer w;
    writer_init(&w);
    net_cmpctblock_encode(&w, &c);
    size_t len;
    uint8_t *enc = finish(&w, &len);

    /* Hand-built expected bytes: header, nonce, 3 short ids of 6 bytes little-endian,
     * 3 prefilled with differential indexes 0, 4 (5 - 0 - 1) and 0 (6 - 5 - 1). */
    size_t txn;
    uint8_t *txb = test_unhex(SEGWIT_TX_HEX, &txn);
    writer_init(&w);
    uint8_t hb[BLOCK_HEADER_SIZE];
    block_header_to_bytes(hb, &c.header);
    write_bytes(&w, hb, sizeof(hb));
    write_u64(&w, c.nonce);
    static const uint8_t ids[] = {3,    0x01, 0,    0,    0,    0,    0,    0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12};
    write_bytes(&w, ids, sizeof(ids));
    write_u8(&w, 3);
    static const uint8_t diffs[3] = {0, 4, 0};
    for (size_t i = 0; i < 3; i++) {
        write_u8(&w, diffs[i]);
        write_bytes(&w, txb, txn);
    }
    size_t want_len;
    uint8_t *want = finish(&w, &want_len);
    assert_int_equal(len, want_len);
    assert_memory_equal(enc, want, len);
    free(want);
    free(txb);

    struct net_cmpctblock back;
    char err[64] = "";
    assert_true(net_cmpctblock_decode(enc, len, &back, err));
    assert_cmpct_equal(&back, &c);
    net_cmpctblock_clear(&back);
    net_cmpctblock_clear(NULL);
    size_t tried = check_prefixes("cmpctblock", dec_cmpctblock, clear_cmpctblock,
                                  sizeof(struct net_cmpctblock), enc, len, NULL, 0);
    free(enc);
    net_cmpctblock_clear(&c);
    assert_null(c.short_ids);
    assert_null(c.prefilled);

    /* A real block (170) through from_block, encode, decode. */
    size_t count;
    struct block *blocks = load_mainnet(&count);
    assert_true(net_cmpctblock_from_block(&c, &blocks[169], 99));
    writer_init(&w);
    net_cmpctblock_encode(&w, &c);
    enc = finish(&w, &len);
    assert_true(net_cmpctblock_decode(enc, len, &back, err));
    assert_cmpct_equal(&back, &c);
    net_cmpctblock_clear(&back);
    tried += check_prefixes("cmpctblock(170)", dec_cmpctblock, clear_cmpctblock,
                            sizeof(struct net_cmpctblock), enc, len, NULL, 0);
    free(enc);
    net_cmpctblock_clear(&c);
    free_mainnet(blocks, count);
    test_report_count("cmpctblock prefixes", tried);
}

static void test_cmpctblock_errors(void **state)
{
    (void)state;
    size_t txn;
    uint8_t *txb = test_unhex(SEGWIT_TX_HEX, &txn);
    uint8_t hb[BLOCK_HEADER_SIZE] = {0};
    struct net_cmpctblock c;
    char err[64];
    struct writer w;
    size_t len;
    uint8_t *enc;

    /* Prefilled at 65535 is fine; after it, any further index overflows. */
    writer_init(&w);
    write_bytes(&w, hb, sizeof(hb));
    write_u64(&w, 0);
    write_compact_size(&w, 0);
    write_compact_size(&w, 1);
    write_compact_size(&w, 0xffff);
    write_bytes(&w, txb, txn);
    enc = finish(&w, &len);
    assert_true(net_cmpctblock_decode(enc, len, &c, err));
    assert_int_equal(c.prefilled[0].index, 0xffff);
    net_cmpctblock_clear(&c);
    free(enc);

    static const struct {
        uint64_t first, second;
    } overflow[] = {{0xffff, 0}, {0, 0xffff}, {0x8000, 0x7fff}, {0x10000, 0}};
    for (size_t i = 0; i < sizeof(overflow) / sizeof(overflow[0]); i++) {
        writer_init(&w);
        write_bytes(&w, hb, sizeof(hb));
        write_u64(&w, 0);
        write_compact_size(&w, 0);
        write_compact_size(&w, 2);
        write_compact_size(&w, overflow[i].first);
        write_bytes(&w, txb, txn);
        write_compact_size(&w, overflow[i].second);
        write_bytes(&w, txb, txn);
        enc = finish(&w, &len);
        err[0] = '\0';
        assert_false(net_cmpctblock_decode(enc, len, &c, err));
        assert_non_null(strstr(err, "overflow"));
        free(enc);
    }

    /* 65535 short ids plus one prefilled transaction: more than 16 bits can index. */
    writer_init(&w);
    write_bytes(&w, hb, sizeof(hb));
    write_u64(&w, 0);
    write_compact_size(&w, 0xffff);
    for (size_t i = 0; i < 0xffff * 6; i++) write_u8(&w, (uint8_t)i);
    write_compact_size(&w, 0);
    enc = finish(&w, &len);
    assert_true(net_cmpctblock_decode(enc, len, &c, err)); /* exactly 65535: fine */
    assert_int_equal(c.short_id_count, 0xffff);
    net_cmpctblock_clear(&c);
    free(enc);
    writer_init(&w);
    write_bytes(&w, hb, sizeof(hb));
    write_u64(&w, 0);
    write_compact_size(&w, 0xffff);
    for (size_t i = 0; i < 0xffff * 6; i++) write_u8(&w, (uint8_t)i);
    write_compact_size(&w, 1);
    write_compact_size(&w, 0);
    write_bytes(&w, txb, txn);
    enc = finish(&w, &len);
    err[0] = '\0';
    assert_false(net_cmpctblock_decode(enc, len, &c, err));
    assert_non_null(strstr(err, "too many"));
    free(enc);

    /* A prefilled transaction that does not parse. */
    writer_init(&w);
    write_bytes(&w, hb, sizeof(hb));
    write_u64(&w, 0);
    write_compact_size(&w, 0);
    write_compact_size(&w, 1);
    write_compact_size(&w, 0);
    write_bytes(&w, txb, txn);
    enc = finish(&w, &len);
    assert_true(net_cmpctblock_decode(enc, len, &c, err));
    net_cmpctblock_clear(&c);
    /* Header 80, nonce 8, three one-byte counts/index, tx version 4, marker: flags. */
    assert_int_equal(enc[88 + 3 + 4 + 1], 1);
    enc[88 + 3 + 4 + 1] = 0x07; /* unknown BIP144 flags */
    err[0] = '\0';
    assert_false(net_cmpctblock_decode(enc, len, &c, err));
    free(enc);
    free(txb);
}

static void test_getblocktxn(void **state)
{
    (void)state;
    struct net_getblocktxn g;
    memset(&g, 0, sizeof(g));
    memset(g.block_hash.b, 0x5a, 32);
    static const uint32_t idx[] = {0, 1, 5, 300, 65535};
    g.indexes = malloc(sizeof(idx));
    assert_non_null(g.indexes);
    memcpy(g.indexes, idx, sizeof(idx));
    g.count = 5;
    struct writer w;
    writer_init(&w);
    net_getblocktxn_encode(&w, &g);
    size_t len;
    uint8_t *enc = finish(&w, &len);
    /* Differences 0, 0, 3, 294 (fd 26 01), 65234 (fd d2 fe). */
    static const uint8_t tail[] = {5, 0, 0, 3, 0xfd, 0x26, 0x01, 0xfd, 0xd2, 0xfe};
    assert_int_equal(len, 32 + sizeof(tail));
    assert_memory_equal(enc + 32, tail, sizeof(tail));
    struct net_getblocktxn back;
    char err[64] = "";
    assert_true(net_getblocktxn_decode(enc, len, &back, err));
    assert_memory_equal(back.block_hash.b, g.block_hash.b, 32);
    assert_int_equal(back.count, 5);
    for (size_t i = 0; i < 5; i++) assert_int_equal(back.indexes[i], idx[i]);
    net_getblocktxn_clear(&back);
    net_getblocktxn_clear(NULL);
    size_t tried = check_prefixes("getblocktxn", dec_getblocktxn, clear_getblocktxn,
                                  sizeof(struct net_getblocktxn), enc, len, NULL, 0);
    net_getblocktxn_clear(&g);

    /* Overflow: 65535 then anything, or differences that add past 16 bits. */
    static const struct {
        const char *hex;
        bool ok;
    } cases[] = {
        {"01fdffff", true},              /* [65535] */
        {"02fdffff00", false},           /* [65535, 65536] */
        {"0200fdffff", false},           /* [0, 65536] */
        {"02fd0080fdff7f", false},       /* [32768, 65536] */
        {"02fd0080fdfe7f", true},        /* [32768, 65535] */
        {"01fe00000100", false},         /* [65536] */
        {"01ff0000000001000000", false}, /* 2^32: beyond CompactSize's range */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n;
        uint8_t *tailb = test_unhex(cases[i].hex, &n);
        uint8_t *msg = malloc(32 + n);
        assert_non_null(msg);
        memset(msg, 0, 32);
        memcpy(msg + 32, tailb, n);
        err[0] = '\0';
        bool ok = net_getblocktxn_decode(msg, 32 + n, &back, err);
        if (ok != cases[i].ok) fail_msg("case %zu (%s): %s", i, cases[i].hex, err);
        if (ok)
            net_getblocktxn_clear(&back);
        else if (i < 6)
            assert_non_null(strstr(err, "overflow"));
        free(msg);
        free(tailb);
    }

    /* 65537 indexes cannot all fit in 16 bits. */
    writer_init(&w);
    for (int i = 0; i < 32; i++) write_u8(&w, 0);
    write_compact_size(&w, 65537);
    for (int i = 0; i < 65537; i++) write_u8(&w, 0);
    uint8_t *big = finish(&w, &len);
    assert_false(net_getblocktxn_decode(big, len, &back, err));
    free(big);
    /* 65536 of them do: 0..65535. */
    writer_init(&w);
    for (int i = 0; i < 32; i++) write_u8(&w, 0);
    write_compact_size(&w, 65536);
    for (int i = 0; i < 65536; i++) write_u8(&w, 0);
    big = finish(&w, &len);
    assert_true(net_getblocktxn_decode(big, len, &back, err));
    assert_int_equal(back.count, 65536);
    assert_int_equal(back.indexes[65535], 65535);
    net_getblocktxn_clear(&back);
    free(big);
    free(enc);
    test_report_count("getblocktxn prefixes", tried);
}

static void test_blocktxn(void **state)
{
    (void)state;
    size_t count;
    struct block *blocks = load_mainnet(&count);
    struct net_blocktxn b;
    memset(&b, 0, sizeof(b));
    block_hash(&blocks[169], &b.block_hash);
    b.txs = calloc(3, sizeof(*b.txs));
    assert_non_null(b.txs);
    assert_true(tx_copy(&b.txs[0], &blocks[169].txs[0]));
    assert_true(tx_copy(&b.txs[1], &blocks[169].txs[1]));
    parse_tx_hex(&b.txs[2], SEGWIT_TX_HEX);
    b.count = 3;
    struct writer w;
    writer_init(&w);
    net_blocktxn_encode(&w, &b);
    size_t len;
    uint8_t *enc = finish(&w, &len);
    assert_int_equal(len, 32 + 1 + tx_size(&b.txs[0], true) + tx_size(&b.txs[1], true) +
                              tx_size(&b.txs[2], true));
    assert_memory_equal(enc, b.block_hash.b, 32);
    struct net_blocktxn back;
    char err[64] = "";
    assert_true(net_blocktxn_decode(enc, len, &back, err));
    assert_memory_equal(back.block_hash.b, b.block_hash.b, 32);
    assert_int_equal(back.count, 3);
    for (size_t i = 0; i < 3; i++) assert_tx_equal(&back.txs[i], &b.txs[i]);
    assert_true(tx_has_witness(&back.txs[2]));
    net_blocktxn_clear(&back);
    net_blocktxn_clear(NULL);
    size_t tried = check_prefixes("blocktxn", dec_blocktxn, clear_blocktxn,
                                  sizeof(struct net_blocktxn), enc, len, NULL, 0);
    free(enc);
    net_blocktxn_clear(&b);

    /* Empty, and a count no bytes can back. */
    uint8_t msg[40] = {0};
    assert_true(net_blocktxn_decode(msg, 33, &back, err));
    assert_int_equal(back.count, 0);
    net_blocktxn_clear(&back);
    msg[32] = 0xfd;
    msg[33] = 0xff;
    msg[34] = 0xff;
    assert_false(net_blocktxn_decode(msg, sizeof(msg), &back, err));
    free_mainnet(blocks, count);
    test_report_count("blocktxn prefixes", tried);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_known_verack),
        cmocka_unit_test(test_header_checksum),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_version_known_wiki),
        cmocka_unit_test(test_version_known_core23),
        cmocka_unit_test(test_version_roundtrip),
        cmocka_unit_test(test_version_optional_fields),
        cmocka_unit_test(test_version_errors),
        cmocka_unit_test(test_addr_known_wiki),
        cmocka_unit_test(test_addr_roundtrip),
        cmocka_unit_test(test_addr_limits),
        cmocka_unit_test(test_addrv2_known),
        cmocka_unit_test(test_addrv2_roundtrip),
        cmocka_unit_test(test_addrv2_skips_and_errors),
        cmocka_unit_test(test_inv),
        cmocka_unit_test(test_locator),
        cmocka_unit_test(test_headers_mainnet),
        cmocka_unit_test(test_small_messages),
        cmocka_unit_test(test_short_ids),
        cmocka_unit_test(test_cmpctblock_roundtrip),
        cmocka_unit_test(test_cmpctblock_errors),
        cmocka_unit_test(test_getblocktxn),
        cmocka_unit_test(test_blocktxn),
    };
    return cmocka_run_group_tests_name("protocol_tests", tests, NULL, NULL);
}
