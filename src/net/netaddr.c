/* Network addresses (see netaddr.h for the contract).
 *
 * Addresses are kept in their BIP155 form: a network id and the raw bytes, IPv4-mapped
 * IPv6 folded to IPv4 at every entry point, so equality is a byte comparison. The
 * classification predicates follow Bitcoin Core's CNetAddr (the RFC ranges are listed
 * next to each test). Text parsing goes through inet_pton only; Tor v3 and I2P names
 * are decoded from base32 locally, never looked up. Onion v3 text is
 * base32(pubkey || checksum || version) with checksum = SHA3-256(".onion checksum" ||
 * pubkey || version)[0..2] (Tor's rend-spec-v3). */
#include "net/netaddr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define TORV3_VERSION 3

static const uint8_t ipv4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

size_t net_network_addr_len(uint8_t net)
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

static void set_ipv4(struct net_addr *out, const uint8_t b[4], uint16_t port)
{
    memset(out, 0, sizeof(*out));
    out->net = NET_IPV4;
    out->len = 4;
    memcpy(out->bytes, b, 4);
    out->port = port;
}

void net_addr_from_v1(const uint8_t in[16], uint16_t port, struct net_addr *out)
{
    if (memcmp(in, ipv4_mapped_prefix, 12) == 0) {
        set_ipv4(out, in + 12, port);
        return;
    }
    memset(out, 0, sizeof(*out));
    out->net = NET_IPV6;
    out->len = 16;
    memcpy(out->bytes, in, 16);
    out->port = port;
}

bool net_addr_to_v1(const struct net_addr *a, uint8_t out[16])
{
    switch (a->net) {
    case NET_IPV4:
        memcpy(out, ipv4_mapped_prefix, 12);
        memcpy(out + 12, a->bytes, 4);
        return true;
    case NET_IPV6:
    case NET_CJDNS: memcpy(out, a->bytes, 16); return true;
    default: return false;
    }
}

/* ---- base32 (RFC 4648 alphabet, lower case, no padding) ---- */

static const char b32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

static void base32_encode(const uint8_t *data, size_t len, char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | data[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32_alphabet[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0) out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
    out[o] = '\0';
}

/* Decodes exactly n characters into exactly outlen bytes; the leftover bits must be
 * zero so that every address has one text form. */
static bool base32_decode(const char *s, size_t n, uint8_t *out, size_t outlen)
{
    if (n * 5 / 8 != outlen || (n * 5) - outlen * 8 >= 5) return false;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = tolower((unsigned char)s[i]);
        int v;
        if (c >= 'a' && c <= 'z')
            v = c - 'a';
        else if (c >= '2' && c <= '7')
            v = c - '2' + 26;
        else
            return false;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
            acc &= (1u << bits) - 1;
        }
    }
    return o == outlen && acc == 0;
}

static bool onion_checksum(const uint8_t pubkey[32], uint8_t out[2])
{
    static const char prefix[] = ".onion checksum";
    uint8_t buf[sizeof(prefix) - 1 + 32 + 1];
    memcpy(buf, prefix, sizeof(prefix) - 1);
    memcpy(buf + sizeof(prefix) - 1, pubkey, 32);
    buf[sizeof(buf) - 1] = TORV3_VERSION;
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (EVP_Digest(buf, sizeof(buf), digest, &dlen, EVP_sha3_256(), NULL) != 1 || dlen < 2)
        return false;
    out[0] = digest[0];
    out[1] = digest[1];
    return true;
}

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    if (n <= k) return false;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)s[n - k + i]) != suffix[i]) return false;
    return true;
}

/* Tor v3 ("<56>.onion") and I2P ("<52>.b32.i2p") names. */
static bool parse_special(const char *s, size_t n, struct net_addr *out)
{
    if (has_suffix(s, n, ".onion")) {
        uint8_t raw[35];
        if (n - 6 != 56 || !base32_decode(s, 56, raw, sizeof(raw))) return false;
        uint8_t sum[2];
        if (raw[34] != TORV3_VERSION || !onion_checksum(raw, sum)) return false;
        if (raw[32] != sum[0] || raw[33] != sum[1]) return false;
        memset(out, 0, sizeof(*out));
        out->net = NET_TORV3;
        out->len = 32;
        memcpy(out->bytes, raw, 32);
        return true;
    }
    if (has_suffix(s, n, ".b32.i2p")) {
        uint8_t raw[32];
        if (n - 8 != 52 || !base32_decode(s, 52, raw, sizeof(raw))) return false;
        memset(out, 0, sizeof(*out));
        out->net = NET_I2P;
        out->len = 32;
        memcpy(out->bytes, raw, 32);
        return true;
    }
    return false;
}

/* A bare host: IPv4 dotted quad, IPv6 (mapped folds to IPv4), onion or I2P. */
static bool parse_host(const char *s, size_t n, bool allow_v4, struct net_addr *out)
{
    char buf[128];
    if (n == 0 || n >= sizeof(buf)) return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (strlen(buf) != n) return false; /* embedded NUL */
    uint8_t b[16];
    if (allow_v4 && inet_pton(AF_INET, buf, b) == 1) {
        set_ipv4(out, b, 0);
        return true;
    }
    if (inet_pton(AF_INET6, buf, b) == 1) {
        net_addr_from_v1(b, 0, out);
        return true;
    }
    if (allow_v4 && parse_special(buf, n, out)) return true;
    return false;
}

static bool parse_port(const char *s, size_t n, uint16_t *port)
{
    if (n == 0 || n > 5) return false;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v > 65535) return false;
    *port = (uint16_t)v;
    return true;
}

bool net_addr_parse(const char *s, uint16_t default_port, struct net_addr *out)
{
    if (!s) return false;
    size_t n = strlen(s);
    struct net_addr a;
    uint16_t port = default_port;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close) return false;
        size_t hlen = (size_t)(close - s) - 1;
        size_t rest = n - (size_t)(close - s) - 1;
        if (rest > 0) {
            if (close[1] != ':' || !parse_port(close + 2, rest - 1, &port)) return false;
        }
        /* Brackets are for IPv6 only. */
        if (!parse_host(s + 1, hlen, false, &a)) return false;
    } else {
        const char *colon = memchr(s, ':', n);
        const char *last = colon ? strrchr(s, ':') : NULL;
        if (colon && colon == last) {
            /* One colon: host:port (IPv6 needs at least two). */
            if (!parse_port(colon + 1, n - (size_t)(colon - s) - 1, &port)) return false;
            n = (size_t)(colon - s);
            if (!parse_host(s, n, true, &a) || a.net == NET_IPV6) return false;
        } else if (!parse_host(s, n, true, &a)) {
            return false;
        }
    }
    a.port = port;
    *out = a;
    return true;
}

/* RFC 5952 text: lower-case hex groups, the longest run (first on a tie) of two or more
 * zero groups shown as "::". */
static void format_ipv6(const uint8_t b[16], char *buf, size_t len)
{
    uint16_t g[8];
    for (int i = 0; i < 8; i++) g[i] = (uint16_t)((b[2 * i] << 8) | b[2 * i + 1]);
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0) j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    if (best_len < 2) best = -1;
    char tmp[48];
    size_t o = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            tmp[o++] = ':';
            if (i == 0) tmp[o++] = ':';
            i += best_len - 1;
            continue;
        }
        o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "%x", g[i]);
        if (i < 7) tmp[o++] = ':';
    }
    tmp[o] = '\0';
    snprintf(buf, len, "%s", tmp);
}

static void format_host(const struct net_addr *a, char *buf, size_t len)
{
    switch (a->net) {
    case NET_IPV4:
        snprintf(buf, len, "%u.%u.%u.%u", a->bytes[0], a->bytes[1], a->bytes[2], a->bytes[3]);
        return;
    case NET_IPV6:
    case NET_CJDNS: format_ipv6(a->bytes, buf, len); return;
    case NET_TORV3: {
        uint8_t raw[35];
        memcpy(raw, a->bytes, 32);
        if (!onion_checksum(a->bytes, raw + 32)) raw[32] = raw[33] = 0;
        raw[34] = TORV3_VERSION;
        char enc[64];
        base32_encode(raw, sizeof(raw), enc);
        snprintf(buf, len, "%s.onion", enc);
        return;
    }
    case NET_I2P: {
        char enc[64];
        base32_encode(a->bytes, 32, enc);
        snprintf(buf, len, "%s.b32.i2p", enc);
        return;
    }
    default: snprintf(buf, len, "[unknown network %u]", a->net); return;
    }
}

void net_addr_format(const struct net_addr *a, bool with_port, char *buf, size_t len)
{
    if (!buf || len == 0) return;
    char host[80];
    format_host(a, host, sizeof(host));
    if (!with_port)
        snprintf(buf, len, "%s", host);
    else if (a->net == NET_IPV6 || a->net == NET_CJDNS)
        snprintf(buf, len, "[%s]:%u", host, (unsigned)a->port);
    else
        snprintf(buf, len, "%s:%u", host, (unsigned)a->port);
}

bool net_addr_from_sockaddr(const struct sockaddr *sa, socklen_t salen, struct net_addr *out)
{
    if (!sa) return false;
    if (sa->sa_family == AF_INET && salen >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in sin;
        memcpy(&sin, sa, sizeof(sin));
        set_ipv4(out, (const uint8_t *)&sin.sin_addr, ntohs(sin.sin_port));
        return true;
    }
    if (sa->sa_family == AF_INET6 && salen >= (socklen_t)sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 sin6;
        memcpy(&sin6, sa, sizeof(sin6));
        net_addr_from_v1(sin6.sin6_addr.s6_addr, ntohs(sin6.sin6_port), out);
        return true;
    }
    return false;
}

socklen_t net_addr_to_sockaddr(const struct net_addr *a, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof(*out));
    if (a->net == NET_IPV4) {
        struct sockaddr_in sin;
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = htons(a->port);
        memcpy(&sin.sin_addr, a->bytes, 4);
        memcpy(out, &sin, sizeof(sin));
        return (socklen_t)sizeof(sin);
    }
    if (a->net == NET_IPV6 || a->net == NET_CJDNS) {
        struct sockaddr_in6 sin6;
        memset(&sin6, 0, sizeof(sin6));
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(a->port);
        memcpy(sin6.sin6_addr.s6_addr, a->bytes, 16);
        memcpy(out, &sin6, sizeof(sin6));
        return (socklen_t)sizeof(sin6);
    }
    return 0;
}

bool net_addr_same_host(const struct net_addr *a, const struct net_addr *b)
{
    return a->net == b->net && a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

bool net_addr_equal(const struct net_addr *a, const struct net_addr *b)
{
    return net_addr_same_host(a, b) && a->port == b->port;
}

bool net_addr_is_ipv4(const struct net_addr *a) { return a->net == NET_IPV4; }
bool net_addr_is_ipv6(const struct net_addr *a) { return a->net == NET_IPV6; }

/* ---- Core's RFC range tests ---- */

static bool v4_in(const struct net_addr *a, uint8_t b0, uint8_t b1, uint8_t b2, int bits)
{
    if (a->net != NET_IPV4) return false;
    uint32_t v = ((uint32_t)a->bytes[0] << 24) | ((uint32_t)a->bytes[1] << 16) |
                 ((uint32_t)a->bytes[2] << 8) | a->bytes[3];
    uint32_t p = ((uint32_t)b0 << 24) | ((uint32_t)b1 << 16) | ((uint32_t)b2 << 8);
    uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
    return (v & mask) == (p & mask);
}

static bool v6_prefix(const struct net_addr *a, const uint8_t *prefix, size_t n)
{
    return a->net == NET_IPV6 && memcmp(a->bytes, prefix, n) == 0;
}

static bool is_rfc1918(const struct net_addr *a)
{
    return v4_in(a, 10, 0, 0, 8) || v4_in(a, 192, 168, 0, 16) || v4_in(a, 172, 16, 0, 12);
}
static bool is_rfc2544(const struct net_addr *a) { return v4_in(a, 198, 18, 0, 15); }
static bool is_rfc3927(const struct net_addr *a) { return v4_in(a, 169, 254, 0, 16); }
static bool is_rfc6598(const struct net_addr *a) { return v4_in(a, 100, 64, 0, 10); }
static bool is_rfc5737(const struct net_addr *a)
{
    return v4_in(a, 192, 0, 2, 24) || v4_in(a, 198, 51, 100, 24) || v4_in(a, 203, 0, 113, 24);
}
static bool is_rfc3849(const struct net_addr *a) /* 2001:db8::/32, documentation */
{
    static const uint8_t p[] = {0x20, 0x01, 0x0d, 0xb8};
    return v6_prefix(a, p, sizeof(p));
}
static bool is_rfc3964(const struct net_addr *a) /* 2002::/16, 6to4 */
{
    static const uint8_t p[] = {0x20, 0x02};
    return v6_prefix(a, p, sizeof(p));
}
static bool is_rfc6052(const struct net_addr *a) /* 64:ff9b::/96 */
{
    static const uint8_t p[] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    return v6_prefix(a, p, sizeof(p));
}
static bool is_rfc4380(const struct net_addr *a) /* 2001::/32, Teredo */
{
    static const uint8_t p[] = {0x20, 0x01, 0, 0};
    return v6_prefix(a, p, sizeof(p));
}
static bool is_rfc4862(const struct net_addr *a) /* fe80::/64 */
{
    static const uint8_t p[] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0};
    return v6_prefix(a, p, sizeof(p));
}
static bool is_rfc4193(const struct net_addr *a) /* fc00::/7 */
{
    return a->net == NET_IPV6 && (a->bytes[0] & 0xfe) == 0xfc;
}
static bool is_rfc6145(const struct net_addr *a) /* ::ffff:0:0:0/96 */
{
    static const uint8_t p[] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
    return v6_prefix(a, p, sizeof(p));
}
static bool is_rfc4843(const struct net_addr *a) /* 2001:10::/28, ORCHID */
{
    return a->net == NET_IPV6 && a->bytes[0] == 0x20 && a->bytes[1] == 0x01 &&
           a->bytes[2] == 0x00 && (a->bytes[3] & 0xf0) == 0x10;
}
static bool is_rfc7343(const struct net_addr *a) /* 2001:20::/28, ORCHIDv2 */
{
    return a->net == NET_IPV6 && a->bytes[0] == 0x20 && a->bytes[1] == 0x01 &&
           a->bytes[2] == 0x00 && (a->bytes[3] & 0xf0) == 0x20;
}
static bool is_he_net(const struct net_addr *a) /* 2001:470::/32 */
{
    static const uint8_t p[] = {0x20, 0x01, 0x04, 0x70};
    return v6_prefix(a, p, sizeof(p));
}

bool net_addr_is_local(const struct net_addr *a)
{
    /* 127.0.0.0/8 and, as in Core, 0.0.0.0/8; ::1. */
    if (a->net == NET_IPV4) return a->bytes[0] == 127 || a->bytes[0] == 0;
    if (a->net == NET_IPV6) {
        static const uint8_t loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        return memcmp(a->bytes, loop, 16) == 0;
    }
    return false;
}

bool net_addr_is_valid(const struct net_addr *a)
{
    size_t want = net_network_addr_len(a->net);
    if (want == 0 || a->net == NET_TORV2 || a->len != want) return false;
    if (a->net == NET_IPV6) {
        static const uint8_t zero[16] = {0};
        if (memcmp(a->bytes, zero, 16) == 0) return false; /* :: */
        /* 7 zero bytes then ff ff: an IPv4-mapped prefix shifted by 3 bytes, which
         * garbled addr messages of pre-0.2.9 nodes produced (Core refuses these too). */
        static const uint8_t shifted[9] = {0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(a->bytes, shifted, 9) == 0) return false;
        if (is_rfc3849(a)) return false;
    }
    if (a->net == NET_CJDNS && a->bytes[0] != 0xfc) return false;
    if (a->net == NET_IPV4) {
        static const uint8_t any[4] = {0, 0, 0, 0}, none[4] = {255, 255, 255, 255};
        if (memcmp(a->bytes, any, 4) == 0 || memcmp(a->bytes, none, 4) == 0) return false;
    }
    return true;
}

bool net_addr_is_routable(const struct net_addr *a)
{
    if (!net_addr_is_valid(a)) return false;
    return !(is_rfc1918(a) || is_rfc2544(a) || is_rfc3927(a) || is_rfc4862(a) ||
             is_rfc6598(a) || is_rfc5737(a) || is_rfc4193(a) || is_rfc4843(a) ||
             is_rfc7343(a) || net_addr_is_local(a));
}

/* The IPv4 address an IPv6 form carries (Core's GetLinkedIPv4), as a big-endian value. */
static bool linked_ipv4(const struct net_addr *a, uint32_t *v)
{
    const uint8_t *p;
    bool invert = false;
    if (a->net == NET_IPV4)
        p = a->bytes;
    else if (is_rfc6052(a) || is_rfc6145(a))
        p = a->bytes + 12;
    else if (is_rfc3964(a))
        p = a->bytes + 2;
    else if (is_rfc4380(a)) {
        p = a->bytes + 12;
        invert = true;
    } else
        return false;
    uint32_t x = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    *v = invert ? ~x : x;
    return true;
}

size_t net_addr_group(const struct net_addr *a, uint8_t out[8])
{
    size_t n = 0;
    if (!net_addr_is_routable(a)) {
        out[n++] = 0; /* local and unroutable: one group for all of them */
        return n;
    }
    uint32_t v4;
    if (linked_ipv4(a, &v4)) {
        out[n++] = NET_IPV4;
        out[n++] = (uint8_t)(v4 >> 24);
        out[n++] = (uint8_t)(v4 >> 16);
        return n;
    }
    int bits;
    if (a->net == NET_TORV3 || a->net == NET_I2P)
        bits = 4;
    else if (a->net == NET_CJDNS)
        bits = 12; /* the first byte is always 0xfc */
    else if (is_he_net(a))
        bits = 36;
    else
        bits = 32;
    out[n++] = a->net;
    int i = 0;
    for (; bits >= 8; bits -= 8) out[n++] = a->bytes[i++];
    if (bits > 0) out[n++] = (uint8_t)(a->bytes[i] | ((1u << (8 - bits)) - 1));
    return n;
}

/* ---- Subnets ---- */

static size_t mask_len(const struct net_addr *a) { return a->net == NET_IPV4 ? 4 : 16; }

static void apply_mask(struct net_subnet *n)
{
    size_t k = mask_len(&n->base);
    for (size_t i = 0; i < k; i++) n->base.bytes[i] &= n->mask[i];
}

void net_subnet_from_addr(const struct net_addr *a, struct net_subnet *out)
{
    memset(out, 0, sizeof(*out));
    out->base = *a;
    out->base.port = 0;
    memset(out->mask, 0xff, mask_len(a));
    size_t want = net_network_addr_len(a->net);
    out->valid = want != 0 && a->net != NET_TORV2 && a->len == want;
}

/* The prefix length of a contiguous mask, or -1. */
static int mask_prefix(const uint8_t *mask, size_t n)
{
    int bits = 0;
    size_t i = 0;
    while (i < n && mask[i] == 0xff) {
        bits += 8;
        i++;
    }
    if (i < n) {
        uint8_t m = mask[i];
        while (m & 0x80) {
            bits++;
            m = (uint8_t)(m << 1);
        }
        if (m != 0) return -1;
        for (i++; i < n; i++)
            if (mask[i] != 0) return -1;
    }
    return bits;
}

bool net_subnet_parse(const char *s, struct net_subnet *out)
{
    if (!s) return false;
    memset(out, 0, sizeof(*out));
    size_t n = strlen(s);
    const char *slash = memchr(s, '/', n);
    size_t hlen = slash ? (size_t)(slash - s) : n;
    struct net_addr base;
    if (!parse_host(s, hlen, true, &base)) return false;
    struct net_subnet r;
    net_subnet_from_addr(&base, &r);
    if (slash) {
        const char *m = slash + 1;
        size_t mlen = n - hlen - 1;
        if (base.net != NET_IPV4 && base.net != NET_IPV6) return false; /* single hosts only */
        size_t k = mask_len(&base);
        size_t dig = 0;
        while (dig < mlen && m[dig] >= '0' && m[dig] <= '9') dig++;
        if (mlen > 0 && dig == mlen) {
            if (mlen > 3) return false;
            unsigned bits = 0;
            for (size_t i = 0; i < mlen; i++) bits = bits * 10 + (unsigned)(m[i] - '0');
            if (bits > k * 8) return false;
            memset(r.mask, 0, sizeof(r.mask));
            for (size_t i = 0; i < k; i++) {
                unsigned take = bits >= 8 ? 8 : bits;
                r.mask[i] = (uint8_t)(take == 0 ? 0 : 0xff << (8 - take));
                bits -= take;
            }
        } else {
            struct net_addr ma;
            if (!parse_host(m, mlen, true, &ma) || ma.net != base.net) return false;
            if (mask_prefix(ma.bytes, k) < 0) return false; /* non-contiguous */
            memset(r.mask, 0, sizeof(r.mask));
            memcpy(r.mask, ma.bytes, k);
        }
    }
    apply_mask(&r);
    r.valid = true;
    *out = r;
    return true;
}

bool net_subnet_match(const struct net_subnet *n, const struct net_addr *a)
{
    if (!n->valid || !net_addr_is_valid(a) || a->net != n->base.net || a->len != n->base.len)
        return false;
    if (a->net != NET_IPV4 && a->net != NET_IPV6) return net_addr_same_host(&n->base, a);
    size_t k = mask_len(a);
    for (size_t i = 0; i < k; i++)
        if ((a->bytes[i] & n->mask[i]) != n->base.bytes[i]) return false;
    return true;
}

void net_subnet_format(const struct net_subnet *n, char *buf, size_t len)
{
    if (!buf || len == 0) return;
    if (!n->valid) {
        snprintf(buf, len, "invalid");
        return;
    }
    char host[80];
    format_host(&n->base, host, sizeof(host));
    if (n->base.net != NET_IPV4 && n->base.net != NET_IPV6) {
        snprintf(buf, len, "%s", host);
        return;
    }
    int bits = mask_prefix(n->mask, mask_len(&n->base));
    if (bits >= 0) {
        snprintf(buf, len, "%s/%d", host, bits);
    } else {
        struct net_addr m = n->base;
        memcpy(m.bytes, n->mask, mask_len(&n->base));
        char mtext[64];
        format_host(&m, mtext, sizeof(mtext));
        snprintf(buf, len, "%s/%s", host, mtext);
    }
}

bool net_subnet_equal(const struct net_subnet *a, const struct net_subnet *b)
{
    return a->valid == b->valid && net_addr_same_host(&a->base, &b->base) &&
           memcmp(a->mask, b->mask, mask_len(&a->base)) == 0;
}
