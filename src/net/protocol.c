/* P2P message codecs (see protocol.h for the contract).
 *
 * Design in plain words. Every decoder walks the payload with a consensus reader, which
 * never reads past the end. Before any array is allocated, its claimed count is checked
 * twice: against the protocol's limit for that message, and against the bytes left
 * divided by the smallest encoding one entry can have, so a hostile count costs at most
 * a few times the payload in memory. On any failure the decoder frees what it built,
 * so *out owns nothing, and writes a short reason ("inv: truncated") into err.
 *
 * Addresses in version and addr (v1) use the 16-byte IPv6 form with IPv4 mapped into
 * ::ffff:0:0/96 and a big-endian port; this file converts them itself rather than
 * through netaddr.c so the two can be built independently. */
#include "net/protocol.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Size of the err buffers callers pass (protocol.h: at least 64 bytes). */
#define ERR_SIZE 64

/* The most transactions a compact block may describe: Core keeps indexes in 16 bits. */
#define CMPCT_MAX_TXS 0xffffu
/* The smallest serialized transaction: version, two empty vectors, locktime. */
#define MIN_TX_SIZE 10

static bool fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(char *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, ERR_SIZE, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Reads a vector length for message what: at most max entries, each taking at least
 * min_entry bytes of what is left. */
static bool read_count(struct reader *r, uint64_t max, size_t min_entry, uint64_t *n,
                       const char *what, char *err)
{
    if (!read_compact_size(r, n)) return fail(err, "%s: truncated or bad count", what);
    if (*n > max) return fail(err, "%s: too many entries (%llu)", what, (unsigned long long)*n);
    if (*n > reader_remaining(r) / min_entry) return fail(err, "%s: truncated", what);
    return true;
}

/* A CompactSize without the SER_MAX_SIZE cap (addrv2 service bits use all 64 bits);
 * the encoding must still be canonical. */
static bool read_compact_u64(struct reader *r, uint64_t *v)
{
    uint8_t first;
    if (!read_u8(r, &first)) return false;
    uint64_t min;
    if (first < 0xfd) {
        *v = first;
        return true;
    } else if (first == 0xfd) {
        uint16_t x;
        if (!read_u16(r, &x)) return false;
        *v = x;
        min = 0xfd;
    } else if (first == 0xfe) {
        uint32_t x;
        if (!read_u32(r, &x)) return false;
        *v = x;
        min = 0x10000;
    } else {
        if (!read_u64(r, v)) return false;
        min = 0x100000000ull;
    }
    if (*v < min) {
        r->failed = true;
        return false;
    }
    return true;
}

static bool read_be16(struct reader *r, uint16_t *v)
{
    const uint8_t *p;
    if (!read_borrow(r, &p, 2)) return false;
    *v = (uint16_t)(p[0] << 8 | p[1]);
    return true;
}

static void write_be16(struct writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    write_bytes(w, b, 2);
}

/* ---- Message header ---- */

/* Copies the command for the log line (non-printable bytes shown as '?') and says
 * whether it is valid: at least one printable character, then only NULs. */
static bool command_copy(char out[NET_COMMAND_SIZE + 1], const uint8_t in[NET_COMMAND_SIZE])
{
    bool ok = true;
    size_t n = 0;
    for (; n < NET_COMMAND_SIZE && in[n] != 0; n++) {
        uint8_t c = in[n];
        if (c < 0x20 || c > 0x7e) {
            ok = false;
            c = '?';
        }
        out[n] = (char)c;
    }
    out[n] = '\0';
    if (n == 0) ok = false;
    for (size_t i = n; i < NET_COMMAND_SIZE; i++)
        if (in[i] != 0) ok = false;
    return ok;
}

enum net_header_result net_header_decode(const uint8_t in[NET_HEADER_SIZE],
                                         const uint8_t magic[4], struct net_msg_header *out)
{
    memcpy(out->magic, in, 4);
    bool command_ok = command_copy(out->command, in + 4);
    out->length = le32_read(in + 4 + NET_COMMAND_SIZE);
    memcpy(out->checksum, in + 8 + NET_COMMAND_SIZE, 4);
    if (memcmp(in, magic, 4) != 0) return NET_HEADER_BAD_MAGIC;
    if (!command_ok) return NET_HEADER_BAD_COMMAND;
    if (out->length > NET_MAX_MESSAGE_LENGTH) return NET_HEADER_OVERSIZED;
    return NET_HEADER_OK;
}

static void payload_checksum(const uint8_t *payload, size_t len, uint8_t out[4])
{
    static const uint8_t empty = 0;
    uint8_t h[32];
    sha256d(len ? payload : &empty, len, h);
    memcpy(out, h, 4);
}

void net_header_encode(uint8_t out[NET_HEADER_SIZE], const uint8_t magic[4],
                       const char *command, const uint8_t *payload, size_t len)
{
    memcpy(out, magic, 4);
    memset(out + 4, 0, NET_COMMAND_SIZE);
    memcpy(out + 4, command, strnlen(command, NET_COMMAND_SIZE));
    le32_write(out + 4 + NET_COMMAND_SIZE, (uint32_t)len);
    payload_checksum(payload, len, out + 8 + NET_COMMAND_SIZE);
}

bool net_checksum_ok(const struct net_msg_header *h, const uint8_t *payload, size_t len)
{
    uint8_t sum[4];
    payload_checksum(payload, len, sum);
    return memcmp(sum, h->checksum, 4) == 0;
}

void net_message_write(struct writer *w, const uint8_t magic[4], const char *command,
                       const uint8_t *payload, size_t len)
{
    uint8_t hdr[NET_HEADER_SIZE];
    net_header_encode(hdr, magic, command, payload, len);
    write_bytes(w, hdr, sizeof(hdr));
    if (len) write_bytes(w, payload, len);
}

/* ---- Addresses in the 16-byte (v1) form ---- */

static const uint8_t IPV4_IN_IPV6[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
/* Prefixes that BIP155 forbids inside an addrv2 IPv6 entry: Core's old TORv2 encoding
 * (fd87:d87e:eb43::/48) and its internal names (fd6b:88c0:8724::/48). */
static const uint8_t TORV2_IN_IPV6[6] = {0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43};
static const uint8_t INTERNAL_IN_IPV6[6] = {0xfd, 0x6b, 0x88, 0xc0, 0x87, 0x24};

static void addr_from_v1(const uint8_t in[16], uint16_t port, struct net_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (memcmp(in, IPV4_IN_IPV6, sizeof(IPV4_IN_IPV6)) == 0) {
        a->net = NET_IPV4;
        a->len = 4;
        memcpy(a->bytes, in + 12, 4);
    } else {
        a->net = NET_IPV6;
        a->len = 16;
        memcpy(a->bytes, in, 16);
    }
    a->port = port;
}

/* False (and 16 zero bytes) for networks without a v1 form. */
static bool addr_to_v1(const struct net_addr *a, uint8_t out[16])
{
    switch (a->net) {
    case NET_IPV4:
        memcpy(out, IPV4_IN_IPV6, sizeof(IPV4_IN_IPV6));
        memcpy(out + 12, a->bytes, 4);
        return true;
    case NET_IPV6:
    case NET_CJDNS: /* Core sends CJDNS to v1 peers as the IPv6 address it is */
        memcpy(out, a->bytes, 16);
        return true;
    default: memset(out, 0, 16); return false;
    }
}

static bool read_addr_v1(struct reader *r, uint64_t *services, struct net_addr *a)
{
    const uint8_t *ip;
    uint16_t port;
    if (!read_u64(r, services) || !read_borrow(r, &ip, 16) || !read_be16(r, &port))
        return false;
    addr_from_v1(ip, port, a);
    return true;
}

static void write_addr_v1(struct writer *w, uint64_t services, const struct net_addr *a)
{
    uint8_t ip[16];
    (void)addr_to_v1(a, ip);
    write_u64(w, services);
    write_bytes(w, ip, 16);
    write_be16(w, a->port);
}

/* ---- version ---- */

bool net_version_decode(const uint8_t *p, size_t len, struct net_version *out, char *err)
{
    memset(out, 0, sizeof(*out));
    out->relay = true;
    struct reader r;
    reader_init(&r, p, len);
    if (!read_i32(&r, &out->version) || !read_u64(&r, &out->services) ||
        !read_i64(&r, &out->time) || !read_addr_v1(&r, &out->recv_services, &out->recv) ||
        !read_addr_v1(&r, &out->from_services, &out->from))
        return fail(err, "version: truncated");
    /* Each later field may be missing, but a field that starts must be complete. */
    if (reader_remaining(&r) == 0) return true;
    if (!read_u64(&r, &out->nonce)) return fail(err, "version: truncated nonce");
    if (reader_remaining(&r) == 0) return true;
    uint64_t n;
    if (!read_compact_size(&r, &n)) return fail(err, "version: bad user agent length");
    if (n > NET_MAX_SUBVERSION_LENGTH)
        return fail(err, "version: user agent too long (%llu bytes)", (unsigned long long)n);
    const uint8_t *ua;
    if (!read_borrow(&r, &ua, (size_t)n)) return fail(err, "version: truncated user agent");
    if (n && memchr(ua, 0, (size_t)n)) return fail(err, "version: NUL in user agent");
    if (n) memcpy(out->user_agent, ua, (size_t)n);
    out->user_agent[n] = '\0';
    if (reader_remaining(&r) == 0) return true;
    if (!read_i32(&r, &out->start_height)) return fail(err, "version: truncated start height");
    if (reader_remaining(&r) == 0) return true;
    uint8_t relay;
    if (!read_u8(&r, &relay)) return fail(err, "version: truncated relay flag");
    out->relay = relay != 0;
    return true;
}

void net_version_encode(struct writer *w, const struct net_version *v)
{
    write_i32(w, v->version);
    write_u64(w, v->services);
    write_i64(w, v->time);
    write_addr_v1(w, v->recv_services, &v->recv);
    write_addr_v1(w, v->from_services, &v->from);
    write_u64(w, v->nonce);
    write_var_bytes(w, (const uint8_t *)v->user_agent,
                    strnlen(v->user_agent, NET_MAX_SUBVERSION_LENGTH));
    write_i32(w, v->start_height);
    write_u8(w, v->relay ? 1 : 0);
}

/* ---- addr / addrv2 ---- */

void net_addr_list_clear(struct net_addr_list *l)
{
    if (!l) return;
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

/* time 4, services 8, address 16, port 2 */
#define ADDR_V1_ENTRY_SIZE 30
/* time 4, services >= 1, network 1, length >= 1, port 2 */
#define ADDR_V2_MIN_ENTRY_SIZE 9

bool net_addr_decode(const uint8_t *p, size_t len, struct net_addr_list *out, char *err)
{
    memset(out, 0, sizeof(*out));
    struct reader r;
    reader_init(&r, p, len);
    uint64_t n;
    if (!read_count(&r, NET_MAX_ADDR_TO_SEND, ADDR_V1_ENTRY_SIZE, &n, "addr", err))
        return false;
    if (n == 0) return true;
    out->items = calloc((size_t)n, sizeof(*out->items));
    if (!out->items) return fail(err, "addr: out of memory");
    for (size_t i = 0; i < n; i++) {
        struct net_addr_info *a = &out->items[i];
        /* Cannot fail: the count was checked against the bytes present. */
        if (!read_u32(&r, &a->time) || !read_addr_v1(&r, &a->services, &a->addr)) {
            net_addr_list_clear(out);
            return fail(err, "addr: truncated");
        }
    }
    out->count = (size_t)n;
    return true;
}

void net_addr_encode(struct writer *w, const struct net_addr_info *items, size_t count)
{
    uint8_t ip[16];
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (addr_to_v1(&items[i].addr, ip)) n++;
    write_compact_size(w, n);
    for (size_t i = 0; i < count; i++) {
        if (!addr_to_v1(&items[i].addr, ip)) continue;
        write_u32(w, items[i].time);
        write_addr_v1(w, items[i].services, &items[i].addr);
    }
}

/* The address length BIP155 fixes for a network id; 0 for ids it does not define. */
static size_t bip155_addr_len(uint8_t net)
{
    switch (net) {
    case NET_IPV4: return 4;
    case NET_IPV6: return 16;
    case NET_TORV2: return 10;
    case NET_TORV3: return 32;
    case NET_I2P: return 32;
    case NET_CJDNS: return 16;
    default: return 0;
    }
}

/* Whether a well-formed addrv2 entry describes an address we keep. Like Core, IPv6
 * entries that embed IPv4, TORv2 or internal names, and CJDNS outside fc00::/8, are
 * dropped rather than treated as errors. */
static bool addrv2_usable(uint8_t net, const uint8_t *bytes)
{
    if (net == NET_TORV2) return false;
    if (net == NET_IPV6)
        return memcmp(bytes, IPV4_IN_IPV6, sizeof(IPV4_IN_IPV6)) != 0 &&
               memcmp(bytes, TORV2_IN_IPV6, sizeof(TORV2_IN_IPV6)) != 0 &&
               memcmp(bytes, INTERNAL_IN_IPV6, sizeof(INTERNAL_IN_IPV6)) != 0;
    if (net == NET_CJDNS) return bytes[0] == 0xfc;
    return true;
}

bool net_addrv2_decode(const uint8_t *p, size_t len, struct net_addr_list *out, char *err)
{
    memset(out, 0, sizeof(*out));
    struct reader r;
    reader_init(&r, p, len);
    uint64_t n;
    if (!read_count(&r, NET_MAX_ADDR_TO_SEND, ADDR_V2_MIN_ENTRY_SIZE, &n, "addrv2", err))
        return false;
    if (n == 0) return true;
    out->items = calloc((size_t)n, sizeof(*out->items));
    if (!out->items) return fail(err, "addrv2: out of memory");
    for (size_t i = 0; i < n; i++) {
        uint32_t time;
        uint64_t services, alen;
        uint8_t net;
        const uint8_t *bytes;
        uint16_t port;
        if (!read_u32(&r, &time) || !read_compact_u64(&r, &services) || !read_u8(&r, &net) ||
            !read_compact_size(&r, &alen)) {
            net_addr_list_clear(out);
            return fail(err, "addrv2: truncated or bad entry");
        }
        if (alen > NET_MAX_ADDRV2_ADDR_SIZE) {
            net_addr_list_clear(out);
            return fail(err, "addrv2: address too long (%llu bytes)", (unsigned long long)alen);
        }
        if (!read_borrow(&r, &bytes, (size_t)alen) || !read_be16(&r, &port)) {
            net_addr_list_clear(out);
            return fail(err, "addrv2: truncated");
        }
        size_t want = bip155_addr_len(net);
        if (want == 0) continue; /* a network from the future */
        if (alen != want && net != NET_TORV2) {
            net_addr_list_clear(out);
            return fail(err, "addrv2: network %u address of %llu bytes", net,
                        (unsigned long long)alen);
        }
        if (!addrv2_usable(net, bytes)) continue;
        struct net_addr_info *a = &out->items[out->count++];
        a->time = time;
        a->services = services;
        a->addr.net = net;
        a->addr.len = (uint8_t)want;
        memcpy(a->addr.bytes, bytes, want);
        a->addr.port = port;
    }
    if (out->count == 0) net_addr_list_clear(out);
    return true;
}

/* The networks an addrv2 message carries (TORV2 and unknown ids are never sent). */
static bool addrv2_sendable(const struct net_addr *a)
{
    return a->net != NET_TORV2 && bip155_addr_len(a->net) != 0;
}

void net_addrv2_encode(struct writer *w, const struct net_addr_info *items, size_t count)
{
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (addrv2_sendable(&items[i].addr)) n++;
    write_compact_size(w, n);
    for (size_t i = 0; i < count; i++) {
        const struct net_addr *a = &items[i].addr;
        if (!addrv2_sendable(a)) continue;
        size_t alen = bip155_addr_len(a->net);
        write_u32(w, items[i].time);
        write_compact_size(w, items[i].services);
        write_u8(w, a->net);
        write_compact_size(w, alen);
        write_bytes(w, a->bytes, alen);
        write_be16(w, a->port);
    }
}

/* ---- inv / getdata / notfound ---- */

void net_inv_list_clear(struct net_inv_list *l)
{
    if (!l) return;
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

bool net_inv_decode(const uint8_t *p, size_t len, struct net_inv_list *out, char *err)
{
    memset(out, 0, sizeof(*out));
    struct reader r;
    reader_init(&r, p, len);
    uint64_t n;
    if (!read_count(&r, NET_MAX_INV_SZ, 36, &n, "inv", err)) return false;
    if (n == 0) return true;
    out->items = malloc((size_t)n * sizeof(*out->items));
    if (!out->items) return fail(err, "inv: out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!read_u32(&r, &out->items[i].type) || !read_bytes(&r, out->items[i].hash.b, 32)) {
            net_inv_list_clear(out);
            return fail(err, "inv: truncated");
        }
    }
    out->count = (size_t)n;
    return true;
}

void net_inv_encode(struct writer *w, const struct net_inv *items, size_t count)
{
    write_compact_size(w, count);
    for (size_t i = 0; i < count; i++) {
        write_u32(w, items[i].type);
        write_bytes(w, items[i].hash.b, 32);
    }
}

/* ---- getheaders / getblocks ---- */

void net_locator_clear(struct net_locator *l)
{
    if (!l) return;
    free(l->hashes);
    memset(l, 0, sizeof(*l));
}

bool net_locator_decode(const uint8_t *p, size_t len, struct net_locator *out, char *err)
{
    memset(out, 0, sizeof(*out));
    struct reader r;
    reader_init(&r, p, len);
    uint64_t n;
    if (!read_u32(&r, &out->version)) return fail(err, "locator: truncated");
    if (!read_count(&r, NET_MAX_LOCATOR_SZ, 32, &n, "locator", err)) return false;
    if (n) {
        out->hashes = malloc((size_t)n * sizeof(*out->hashes));
        if (!out->hashes) return fail(err, "locator: out of memory");
        out->count = (size_t)n;
        for (size_t i = 0; i < n; i++) {
            if (!read_bytes(&r, out->hashes[i].b, 32)) break;
        }
    }
    if (!read_bytes(&r, out->stop.b, 32)) {
        net_locator_clear(out);
        return fail(err, "locator: truncated");
    }
    return true;
}

void net_locator_encode(struct writer *w, const struct net_locator *l)
{
    write_u32(w, l->version);
    write_compact_size(w, l->count);
    for (size_t i = 0; i < l->count; i++) write_bytes(w, l->hashes[i].b, 32);
    write_bytes(w, l->stop.b, 32);
}

/* ---- headers ---- */

void net_headers_clear(struct net_headers *h)
{
    if (!h) return;
    free(h->items);
    h->items = NULL;
    h->count = 0;
}

bool net_headers_decode(const uint8_t *p, size_t len, struct net_headers *out, char *err)
{
    memset(out, 0, sizeof(*out));
    struct reader r;
    reader_init(&r, p, len);
    uint64_t n;
    if (!read_count(&r, NET_MAX_HEADERS_RESULTS, BLOCK_HEADER_SIZE + 1, &n, "headers", err))
        return false;
    if (n == 0) return true;
    out->items = malloc((size_t)n * sizeof(*out->items));
    if (!out->items) return fail(err, "headers: out of memory");
    for (size_t i = 0; i < n; i++) {
        uint64_t txs;
        if (!block_header_deserialize(&r, &out->items[i]) || !read_compact_size(&r, &txs)) {
            net_headers_clear(out);
            return fail(err, "headers: truncated");
        }
        if (txs != 0) {
            net_headers_clear(out);
            return fail(err, "headers: header %zu has a transaction count", i);
        }
    }
    out->count = (size_t)n;
    return true;
}

void net_headers_encode(struct writer *w, const struct block_header *items, size_t count)
{
    write_compact_size(w, count);
    for (size_t i = 0; i < count; i++) {
        block_header_serialize(w, &items[i]);
        write_compact_size(w, 0);
    }
}

/* ---- small messages ---- */

bool net_u64_decode(const uint8_t *p, size_t len, uint64_t *out, char *err)
{
    struct reader r;
    reader_init(&r, p, len);
    if (!read_u64(&r, out)) return fail(err, "nonce: truncated");
    return true;
}

bool net_feefilter_decode(const uint8_t *p, size_t len, int64_t *out, char *err)
{
    struct reader r;
    reader_init(&r, p, len);
    int64_t v;
    if (!read_i64(&r, &v)) return fail(err, "feefilter: truncated");
    if (v < 0 || v > MAX_MONEY)
        return fail(err, "feefilter: fee rate out of range (%lld)", (long long)v);
    *out = v;
    return true;
}

bool net_sendcmpct_decode(const uint8_t *p, size_t len, struct net_sendcmpct *out, char *err)
{
    struct reader r;
    reader_init(&r, p, len);
    uint8_t announce;
    if (!read_u8(&r, &announce) || !read_u64(&r, &out->version))
        return fail(err, "sendcmpct: truncated");
    out->announce = announce != 0;
    return true;
}

void net_sendcmpct_encode(struct writer *w, const struct net_sendcmpct *s)
{
    write_u8(w, s->announce ? 1 : 0);
    write_u64(w, s->version);
}

/* ---- BIP152 compact blocks ---- */

/* Turns the next differential index into an absolute one. *next is the smallest
 * absolute index the next entry may have (0 at the start). */
static bool next_index(struct reader *r, uint64_t *next, uint32_t *out)
{
    uint64_t diff;
    if (!read_compact_size(r, &diff)) return false;
    uint64_t abs = *next + diff; /* both at most 2^25 + 2^16: no wrap */
    if (abs > 0xffff) return false;
    *out = (uint32_t)abs;
    *next = abs + 1;
    return true;
}

static void write_next_index(struct writer *w, uint64_t *next, uint32_t index)
{
    write_compact_size(w, index - *next);
    *next = (uint64_t)index + 1;
}

void net_cmpctblock_clear(struct net_cmpctblock *c)
{
    if (!c) return;
    free(c->short_ids);
    for (size_t i = 0; i < c->prefilled_count; i++) tx_clear(&c->prefilled[i].tx);
    free(c->prefilled);
    memset(c, 0, sizeof(*c));
}

#define SHORT_ID_SIZE 6

static bool cmpct_fail(struct net_cmpctblock *c, char *err, const char *why)
{
    net_cmpctblock_clear(c);
    return fail(err, "cmpctblock: %s", why);
}

bool net_cmpctblock_decode(const uint8_t *p, size_t len, struct net_cmpctblock *out, char *err)
{
    memset(out, 0, sizeof(*out));
    struct reader r;
    reader_init(&r, p, len);
    if (!block_header_deserialize(&r, &out->header) || !read_u64(&r, &out->nonce))
        return fail(err, "cmpctblock: truncated");
    uint64_t n;
    if (!read_count(&r, CMPCT_MAX_TXS, SHORT_ID_SIZE, &n, "cmpctblock", err)) return false;
    if (n) {
        out->short_ids = malloc((size_t)n * sizeof(*out->short_ids));
        if (!out->short_ids) return cmpct_fail(out, err, "out of memory");
        out->short_id_count = (size_t)n;
        const uint8_t *ids;
        if (!read_borrow(&r, &ids, (size_t)n * SHORT_ID_SIZE))
            return cmpct_fail(out, err, "truncated");
        for (size_t i = 0; i < n; i++) {
            const uint8_t *q = ids + i * SHORT_ID_SIZE;
            out->short_ids[i] = (uint64_t)le32_read(q) | (uint64_t)le16_read(q + 4) << 32;
        }
    }
    uint64_t m;
    if (!read_count(&r, CMPCT_MAX_TXS - n, MIN_TX_SIZE + 1, &m, "cmpctblock", err))
        return cmpct_fail(out, NULL, "");
    if (m == 0) return true;
    out->prefilled = calloc((size_t)m, sizeof(*out->prefilled));
    if (!out->prefilled) return cmpct_fail(out, err, "out of memory");
    uint64_t next = 0;
    for (size_t i = 0; i < m; i++) {
        struct net_prefilled_tx *pt = &out->prefilled[i];
        if (!next_index(&r, &next, &pt->index))
            return cmpct_fail(out, err, r.failed ? "bad prefilled index" : "index overflow");
        if (!tx_deserialize(&r, &pt->tx, true))
            return cmpct_fail(out, err, "bad prefilled transaction");
        out->prefilled_count = i + 1;
    }
    return true;
}

void net_cmpctblock_encode(struct writer *w, const struct net_cmpctblock *c)
{
    block_header_serialize(w, &c->header);
    write_u64(w, c->nonce);
    write_compact_size(w, c->short_id_count);
    for (size_t i = 0; i < c->short_id_count; i++) {
        uint8_t b[8];
        le64_write(b, c->short_ids[i]);
        write_bytes(w, b, SHORT_ID_SIZE);
    }
    write_compact_size(w, c->prefilled_count);
    uint64_t next = 0;
    for (size_t i = 0; i < c->prefilled_count; i++) {
        write_next_index(w, &next, c->prefilled[i].index);
        tx_serialize(w, &c->prefilled[i].tx, true);
    }
}

void net_cmpct_keys(const struct block_header *h, uint64_t nonce, uint64_t *k0, uint64_t *k1)
{
    uint8_t buf[BLOCK_HEADER_SIZE + 8];
    uint8_t digest[32];
    block_header_to_bytes(buf, h);
    le64_write(buf + BLOCK_HEADER_SIZE, nonce);
    sha256(buf, sizeof(buf), digest);
    *k0 = le64_read(digest);
    *k1 = le64_read(digest + 8);
}

uint64_t net_cmpct_short_id(uint64_t k0, uint64_t k1, const uint256 *wtxid)
{
    return siphash24(k0, k1, wtxid->b, sizeof(wtxid->b)) & 0xffffffffffffull;
}

bool net_cmpctblock_from_block(struct net_cmpctblock *out, const struct block *b,
                               uint64_t nonce)
{
    memset(out, 0, sizeof(*out));
    out->header = b->header;
    out->nonce = nonce;
    if (b->tx_count == 0) return true;
    out->prefilled = calloc(1, sizeof(*out->prefilled));
    if (!out->prefilled) return false;
    if (!tx_copy(&out->prefilled[0].tx, &b->txs[0])) {
        net_cmpctblock_clear(out);
        return false;
    }
    out->prefilled[0].index = 0;
    out->prefilled_count = 1;
    size_t n = b->tx_count - 1;
    if (n == 0) return true;
    out->short_ids = malloc(n * sizeof(*out->short_ids));
    if (!out->short_ids) {
        net_cmpctblock_clear(out);
        return false;
    }
    out->short_id_count = n;
    uint64_t k0, k1;
    net_cmpct_keys(&b->header, nonce, &k0, &k1);
    for (size_t i = 0; i < n; i++) {
        uint256 wtxid;
        tx_wtxid(&b->txs[i + 1], &wtxid);
        out->short_ids[i] = net_cmpct_short_id(k0, k1, &wtxid);
    }
    return true;
}

void net_getblocktxn_clear(struct net_getblocktxn *g)
{
    if (!g) return;
    free(g->indexes);
    memset(g, 0, sizeof(*g));
}

bool net_getblocktxn_decode(const uint8_t *p, size_t len, struct net_getblocktxn *out,
                            char *err)
{
    memset(out, 0, sizeof(*out));
    struct reader r;
    reader_init(&r, p, len);
    if (!read_bytes(&r, out->block_hash.b, 32)) return fail(err, "getblocktxn: truncated");
    uint64_t n;
    /* 65536 indexes already use every 16-bit value; one more must overflow. */
    if (!read_count(&r, CMPCT_MAX_TXS + 1, 1, &n, "getblocktxn", err)) return false;
    if (n == 0) return true;
    out->indexes = malloc((size_t)n * sizeof(*out->indexes));
    if (!out->indexes) return fail(err, "getblocktxn: out of memory");
    uint64_t next = 0;
    for (size_t i = 0; i < n; i++) {
        if (!next_index(&r, &next, &out->indexes[i])) {
            bool bad = r.failed;
            net_getblocktxn_clear(out);
            return fail(err, "getblocktxn: %s", bad ? "bad index" : "index overflow");
        }
    }
    out->count = (size_t)n;
    return true;
}

void net_getblocktxn_encode(struct writer *w, const struct net_getblocktxn *g)
{
    write_bytes(w, g->block_hash.b, 32);
    write_compact_size(w, g->count);
    uint64_t next = 0;
    for (size_t i = 0; i < g->count; i++) write_next_index(w, &next, g->indexes[i]);
}

void net_blocktxn_clear(struct net_blocktxn *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->count; i++) tx_clear(&b->txs[i]);
    free(b->txs);
    memset(b, 0, sizeof(*b));
}

bool net_blocktxn_decode(const uint8_t *p, size_t len, struct net_blocktxn *out, char *err)
{
    memset(out, 0, sizeof(*out));
    struct reader r;
    reader_init(&r, p, len);
    if (!read_bytes(&r, out->block_hash.b, 32)) return fail(err, "blocktxn: truncated");
    uint64_t n;
    if (!read_count(&r, SER_MAX_SIZE, MIN_TX_SIZE, &n, "blocktxn", err)) return false;
    if (n == 0) return true;
    out->txs = calloc((size_t)n, sizeof(*out->txs));
    if (!out->txs) return fail(err, "blocktxn: out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!tx_deserialize(&r, &out->txs[i], true)) {
            net_blocktxn_clear(out);
            return fail(err, "blocktxn: bad transaction %zu", i);
        }
        out->count = i + 1;
    }
    return true;
}

void net_blocktxn_encode(struct writer *w, const struct net_blocktxn *b)
{
    write_bytes(w, b->block_hash.b, 32);
    write_compact_size(w, b->count);
    for (size_t i = 0; i < b->count; i++) tx_serialize(w, &b->txs[i], true);
}
