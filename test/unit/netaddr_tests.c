/* Tests for src/net/netaddr: text forms and their round trips, refused strings, Core's
 * valid/routable/local classification, groups, v1 and socket forms, and subnets (cases
 * after Core's netbase_tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include "net/netaddr.h"
#include "test_util.h"

static struct net_addr must_parse(const char *s, uint16_t def)
{
    struct net_addr a;
    if (!net_addr_parse(s, def, &a)) fail_msg("could not parse \"%s\"", s);
    return a;
}

static void test_parse_format(void **state)
{
    (void)state;
    /* input, default port, network, port, host text, text with port */
    static const struct {
        const char *in;
        uint16_t def;
        uint8_t net;
        uint16_t port;
        const char *host;
        const char *full;
    } cases[] = {
        {"1.2.3.4", 8333, NET_IPV4, 8333, "1.2.3.4", "1.2.3.4:8333"},
        {"1.2.3.4:1", 8333, NET_IPV4, 1, "1.2.3.4", "1.2.3.4:1"},
        {"255.255.255.255:65535", 0, NET_IPV4, 65535, "255.255.255.255",
         "255.255.255.255:65535"},
        {"0.0.0.0:0", 5, NET_IPV4, 0, "0.0.0.0", "0.0.0.0:0"},
        {"::1", 18444, NET_IPV6, 18444, "::1", "[::1]:18444"},
        {"[::1]", 7, NET_IPV6, 7, "::1", "[::1]:7"},
        {"[::1]:8333", 7, NET_IPV6, 8333, "::1", "[::1]:8333"},
        {"2001:db8::1", 1, NET_IPV6, 1, "2001:db8::1", "[2001:db8::1]:1"},
        {"[2001:0DB8:0000:0000:0000:0000:0000:0001]:80", 1, NET_IPV6, 80, "2001:db8::1",
         "[2001:db8::1]:80"},
        {"2001:db8:0:1:1:1:1:1", 1, NET_IPV6, 1, "2001:db8:0:1:1:1:1:1",
         "[2001:db8:0:1:1:1:1:1]:1"},
        {"2001:0:0:1::1", 1, NET_IPV6, 1, "2001:0:0:1::1", "[2001:0:0:1::1]:1"},
        {"2001:db8::1:0:0:1", 1, NET_IPV6, 1, "2001:db8::1:0:0:1", "[2001:db8::1:0:0:1]:1"},
        {"fe80::", 1, NET_IPV6, 1, "fe80::", "[fe80::]:1"},
        {"::", 1, NET_IPV6, 1, "::", "[::]:1"},
        /* IPv4-mapped IPv6 is IPv4. */
        {"::ffff:1.2.3.4", 9, NET_IPV4, 9, "1.2.3.4", "1.2.3.4:9"},
        {"[::ffff:102:304]:10", 9, NET_IPV4, 10, "1.2.3.4", "1.2.3.4:10"},
        /* Tor v3 and I2P names (Core's netbase_tests addresses). */
        {"pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion", 8333, NET_TORV3,
         8333, "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
         "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:8333"},
        {"PG6MMJIYJMCRSSLVYKFWNNTLARU7P5SVN6Y2YMMJU6NUBXNDF4PSCRYD.ONION:1", 8333, NET_TORV3, 1,
         "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
         "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:1"},
        {"udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p", 0, NET_I2P, 0,
         "udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p",
         "udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p:0"},
    };
    size_t n = sizeof(cases) / sizeof(cases[0]);
    for (size_t i = 0; i < n; i++) {
        struct net_addr a = must_parse(cases[i].in, cases[i].def);
        assert_int_equal(a.net, cases[i].net);
        assert_int_equal(a.len, net_network_addr_len(a.net));
        assert_int_equal(a.port, cases[i].port);
        char buf[96];
        net_addr_format(&a, false, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].host);
        net_addr_format(&a, true, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].full);
        /* The text with port parses back to the same endpoint. */
        struct net_addr b = must_parse(buf, (uint16_t)(cases[i].port + 1));
        assert_true(net_addr_equal(&a, &b));
    }
    test_report_count("netaddr parse/format", n);

    /* Byte-level checks: the text is not only echoed. */
    struct net_addr a = must_parse("10.20.30.40", 1);
    const uint8_t v4[4] = {10, 20, 30, 40};
    assert_memory_equal(a.bytes, v4, 4);
    a = must_parse("[::1]:2", 1);
    for (int i = 0; i < 15; i++) assert_int_equal(a.bytes[i], 0);
    assert_int_equal(a.bytes[15], 1);
    /* A small buffer is cut and NUL-terminated. */
    char tiny[6];
    net_addr_format(&a, true, tiny, sizeof(tiny));
    assert_int_equal(strlen(tiny), 5);
}

static void test_parse_refused(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "localhost",
        "bitcoin.org",
        "example.com:8333",
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        "1.2.3.4:",
        "1.2.3.4:65536",
        "1.2.3.4:99999",
        "1.2.3.4:-1",
        "1.2.3.4:+80",
        "1.2.3.4:8333x",
        "1.2.3.4 ",
        " 1.2.3.4",
        "1.2.3.4x",
        "1.2.3.4/24",
        "[::1",
        "[::1]x",
        "[::1]:",
        "[::1]:65536",
        "[::1]:80:80",
        "[1.2.3.4]:80",
        "::1]:80",
        "[]",
        ":::1",
        "1:2",
        "fe80::1%eth0",
        "2001:db8::g",
        /* A checksum off by one character and a v2-length name. */
        "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryc.onion",
        "6hzph5hv6337r6p2.onion",
        "udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jn.b32.i2p",
        ".onion",
    };
    size_t n = sizeof(bad) / sizeof(bad[0]);
    for (size_t i = 0; i < n; i++) {
        struct net_addr a;
        if (net_addr_parse(bad[i], 8333, &a)) fail_msg("accepted \"%s\"", bad[i]);
    }
    struct net_addr a;
    assert_false(net_addr_parse(NULL, 1, &a));
    test_report_count("netaddr refused", n);
}

static void test_classification(void **state)
{
    (void)state;
    /* address, valid, routable, local: Core's CNetAddr predicates */
    static const struct {
        const char *s;
        bool valid, routable, local;
    } cases[] = {
        {"8.8.8.8", true, true, false},
        {"1.2.3.4", true, true, false},
        {"0.0.0.0", false, false, true},
        {"255.255.255.255", false, false, false},
        {"0.1.2.3", true, false, true},
        {"127.0.0.1", true, false, true},
        {"127.255.255.254", true, false, true},
        {"10.0.0.1", true, false, false},       /* RFC1918 */
        {"172.16.0.1", true, false, false},     /* RFC1918 */
        {"172.31.255.255", true, false, false}, /* RFC1918 */
        {"172.32.0.1", true, true, false},
        {"192.168.1.1", true, false, false},  /* RFC1918 */
        {"198.18.0.1", true, false, false},   /* RFC2544 */
        {"198.19.255.1", true, false, false}, /* RFC2544 */
        {"198.20.0.1", true, true, false},
        {"169.254.1.1", true, false, false},   /* RFC3927 */
        {"100.64.0.1", true, false, false},    /* RFC6598 */
        {"100.127.255.1", true, false, false}, /* RFC6598 */
        {"100.128.0.1", true, true, false},
        {"192.0.2.1", true, false, false},    /* RFC5737 */
        {"198.51.100.1", true, false, false}, /* RFC5737 */
        {"203.0.113.1", true, false, false},  /* RFC5737 */
        {"::", false, false, false},
        {"::1", true, false, true},
        {"2001:db8::1", false, false, false}, /* RFC3849 documentation */
        {"2001:470::1", true, true, false},
        {"2a00:1450::1", true, true, false},
        {"fe80::1", true, false, false},      /* RFC4862 */
        {"fe80:0:0:1::1", true, true, false}, /* outside fe80::/64 */
        {"fc00::1", true, false, false},      /* RFC4193 */
        {"fd12:3456::1", true, false, false}, /* RFC4193 */
        {"2001:10::1", true, false, false},   /* RFC4843 ORCHID */
        {"2001:1f::1", true, false, false},   /* RFC4843 ORCHID */
        {"2001:20::1", true, false, false},   /* RFC7343 ORCHIDv2 */
        {"2001:2f::1", true, false, false},   /* RFC7343 ORCHIDv2 */
        {"2001:30::1", true, true, false},
        {"2002:102:304::1", true, true, false},   /* 6to4 is routable */
        {"::ff:ff00:0:0:0", false, false, false}, /* shifted mapped prefix */
        {"pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion", true, true, false},
        {"udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p", true, true, false},
    };
    size_t n = sizeof(cases) / sizeof(cases[0]);
    for (size_t i = 0; i < n; i++) {
        struct net_addr a = must_parse(cases[i].s, 1);
        if (net_addr_is_valid(&a) != cases[i].valid) fail_msg("valid(%s)", cases[i].s);
        if (net_addr_is_routable(&a) != cases[i].routable) fail_msg("routable(%s)", cases[i].s);
        if (net_addr_is_local(&a) != cases[i].local) fail_msg("local(%s)", cases[i].s);
    }
    /* CJDNS: fc00::/8 only; routable as its own network. */
    struct net_addr c;
    memset(&c, 0, sizeof(c));
    c.net = NET_CJDNS;
    c.len = 16;
    c.bytes[0] = 0xfc;
    c.bytes[15] = 1;
    assert_true(net_addr_is_valid(&c));
    assert_true(net_addr_is_routable(&c));
    c.bytes[0] = 0xfd;
    assert_false(net_addr_is_valid(&c));
    /* A length that does not fit the network is not valid. */
    struct net_addr w = must_parse("8.8.8.8", 1);
    w.len = 16;
    assert_false(net_addr_is_valid(&w));
    w.len = 4;
    w.net = NET_TORV2;
    assert_false(net_addr_is_valid(&w));
    test_report_count("netaddr classification", n + 3);
}

static size_t group_of(const char *s, uint8_t g[8])
{
    struct net_addr a = must_parse(s, 1);
    return net_addr_group(&a, g);
}

static bool same_group(const char *x, const char *y)
{
    uint8_t gx[8], gy[8];
    size_t lx = group_of(x, gx), ly = group_of(y, gy);
    return lx == ly && memcmp(gx, gy, lx) == 0;
}

static void test_groups(void **state)
{
    (void)state;
    uint8_t g[8];
    /* Expected bytes from Core's GetGroup definition (our network ids are BIP155's). */
    assert_int_equal(group_of("1.2.3.4", g), 3);
    assert_int_equal(g[0], NET_IPV4);
    assert_int_equal(g[1], 1);
    assert_int_equal(g[2], 2);
    assert_int_equal(group_of("2a00:1450:4001::1", g), 5);
    const uint8_t v6[5] = {NET_IPV6, 0x2a, 0x00, 0x14, 0x50};
    assert_memory_equal(g, v6, 5);
    assert_int_equal(group_of("2001:470:abcd::1", g), 6); /* HE.net: /36 */
    const uint8_t he[6] = {NET_IPV6, 0x20, 0x01, 0x04, 0x70, 0xaf};
    assert_memory_equal(g, he, 6);
    assert_int_equal(group_of("127.0.0.1", g), 1);
    assert_int_equal(g[0], 0);
    /* 6to4 and Teredo carry an IPv4 address and group as it. */
    assert_true(same_group("2002:102:304::1", "1.2.9.9"));
    assert_true(same_group("2001:0:0:0:0:0:fefd:fcfb", "1.2.200.1")); /* ~1.2.3.4 */
    assert_true(same_group("64:ff9b::102:304", "1.2.0.0"));
    uint8_t t[8];
    struct net_addr onion =
        must_parse("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion", 1);
    assert_int_equal(net_addr_group(&onion, t), 2);
    assert_int_equal(t[0], NET_TORV3);
    assert_int_equal(t[1], onion.bytes[0] | 0x0f);

    static const struct {
        const char *a, *b;
        bool same;
    } cases[] = {
        {"1.2.3.4", "1.2.200.100", true},
        {"1.2.3.4:1", "1.2.3.4:2", true},
        {"1.2.3.4", "1.3.3.4", false},
        {"1.2.3.4", "2.2.3.4", false},
        {"8.8.4.4", "8.8.8.8", true},
        {"2a00:1450:1::1", "2a00:1450:ffff::2", true},
        {"2a00:1450::1", "2a00:1451::1", false},
        {"2001:470:1000::1", "2001:470:1fff::1", true},
        {"2001:470:1000::1", "2001:470:2000::1", false},
        {"127.0.0.1", "10.0.0.1", true}, /* unroutable: one group */
        {"::1", "192.168.0.1", true},
        {"10.0.0.1", "1.2.3.4", false},
        {"1.2.3.4", "::ffff:1.2.99.99", true},
    };
    size_t n = sizeof(cases) / sizeof(cases[0]);
    for (size_t i = 0; i < n; i++)
        if (same_group(cases[i].a, cases[i].b) != cases[i].same)
            fail_msg("group(%s) vs group(%s)", cases[i].a, cases[i].b);
    test_report_count("netaddr groups", n);
}

static void test_v1_and_sockaddr(void **state)
{
    (void)state;
    uint8_t v1[16];
    struct net_addr a = must_parse("1.2.3.4:8333", 1);
    assert_true(net_addr_to_v1(&a, v1));
    const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4};
    assert_memory_equal(v1, mapped, 16);
    struct net_addr b;
    net_addr_from_v1(v1, 8333, &b);
    assert_true(net_addr_equal(&a, &b));
    assert_true(net_addr_is_ipv4(&b));

    /* fc00::/8 read from v1 stays IPv6. */
    uint8_t fc[16] = {0xfc, 1};
    net_addr_from_v1(fc, 1, &b);
    assert_int_equal(b.net, NET_IPV6);
    assert_true(net_addr_is_ipv6(&b));

    struct net_addr onion =
        must_parse("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion", 1);
    assert_false(net_addr_to_v1(&onion, v1));
    struct sockaddr_storage ss;
    assert_int_equal(net_addr_to_sockaddr(&onion, &ss), 0);

    a = must_parse("[2001:db8::5]:18444", 1);
    socklen_t sl = net_addr_to_sockaddr(&a, &ss);
    assert_int_equal(sl, sizeof(struct sockaddr_in6));
    struct sockaddr_in6 sin6;
    memcpy(&sin6, &ss, sizeof(sin6));
    assert_int_equal(sin6.sin6_family, AF_INET6);
    assert_int_equal(ntohs(sin6.sin6_port), 18444);
    assert_true(net_addr_from_sockaddr((struct sockaddr *)&ss, sl, &b));
    assert_true(net_addr_equal(&a, &b));

    a = must_parse("9.8.7.6:1", 1);
    sl = net_addr_to_sockaddr(&a, &ss);
    assert_int_equal(sl, sizeof(struct sockaddr_in));
    assert_true(net_addr_from_sockaddr((struct sockaddr *)&ss, sl, &b));
    assert_true(net_addr_equal(&a, &b));
    assert_false(net_addr_from_sockaddr((struct sockaddr *)&ss, 2, &b));

    /* A mapped address from an IPv6 socket becomes IPv4. */
    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(5);
    memcpy(sin6.sin6_addr.s6_addr, mapped, 16);
    assert_true(net_addr_from_sockaddr((struct sockaddr *)&sin6, sizeof(sin6), &b));
    assert_int_equal(b.net, NET_IPV4);
    assert_int_equal(b.port, 5);

    /* equal vs same host */
    a = must_parse("1.2.3.4:1", 1);
    b = must_parse("1.2.3.4:2", 1);
    assert_false(net_addr_equal(&a, &b));
    assert_true(net_addr_same_host(&a, &b));
}

static struct net_subnet must_subnet(const char *s)
{
    struct net_subnet n;
    if (!net_subnet_parse(s, &n)) fail_msg("could not parse subnet \"%s\"", s);
    assert_true(n.valid);
    return n;
}

static bool matches(const char *subnet, const char *addr)
{
    struct net_subnet n = must_subnet(subnet);
    struct net_addr a = must_parse(addr, 0);
    return net_subnet_match(&n, &a);
}

static void test_subnets(void **state)
{
    (void)state;
    static const struct {
        const char *subnet, *addr;
        bool match;
    } cases[] = {
        {"1.2.3.0/24", "1.2.3.4", true},
        {"1.2.3.0/24", "1.2.3.255", true},
        {"1.2.3.0/24", "1.2.4.1", false},
        {"1.2.3.0/24", "1.2.2.1", false},
        {"1.2.3.4/24", "1.2.3.99", true}, /* the base is masked */
        {"1.2.3.4", "1.2.3.4", true},
        {"1.2.3.4", "1.2.3.5", false},
        {"1.2.3.4/32", "1.2.3.4:8333", true},
        {"1.2.3.0/255.255.255.0", "1.2.3.77", true},
        {"1.2.3.0/255.255.255.0", "1.2.4.77", false},
        {"1.2.0.0/255.255.0.0", "1.2.250.1", true},
        {"1.0.0.0/8", "1.255.0.1", true},
        {"1.0.0.0/8", "2.0.0.1", false},
        {"0.0.0.0/0", "8.8.8.8", true},
        {"0.0.0.0/0", "::1", false},
        {"0.0.0.0/0", "0.0.0.0", false}, /* invalid addresses match nothing */
        {"2a02:db8::/32", "2a02:db8:1234::1", true},
        {"2a02:db8::/32", "2a02:db9::1", false},
        {"2a02:db8::/32", "1.2.3.4", false},
        {"2001:db8::/32", "2001:db8:1234::1", false}, /* documentation: not valid */
        {"::/0", "2a00::1", true},
        {"1:2:3:4:5:6:7:8/ffff:0000:0000:0000:0000:0000:0000:0000", "1:ffff::1", true},
        {"::1", "::1", true},
        {"::1", "::2", false},
        {"1.2.3.4", "::ffff:1.2.3.4", true},
        {"1.2.2.0/23", "1.2.3.1", true},
        {"1.2.2.0/23", "1.2.4.1", false},
    };
    size_t n = sizeof(cases) / sizeof(cases[0]);
    for (size_t i = 0; i < n; i++)
        if (matches(cases[i].subnet, cases[i].addr) != cases[i].match)
            fail_msg("%s matching %s", cases[i].subnet, cases[i].addr);
    test_report_count("netaddr subnet match", n);

    static const struct {
        const char *in, *out;
    } forms[] = {
        {"1.2.3.0/24", "1.2.3.0/24"},
        {"1.2.3.4/24", "1.2.3.0/24"},
        {"1.2.3.4", "1.2.3.4/32"},
        {"1.2.3.4/255.255.255.0", "1.2.3.0/24"},
        {"1.2.3.4/255.255.255.255", "1.2.3.4/32"},
        {"1.2.3.4/0", "0.0.0.0/0"},
        {"2001:db8::/32", "2001:db8::/32"},
        {"2001:db8::1", "2001:db8::1/128"},
        {"2001:db8:ffff::/33", "2001:db8:8000::/33"},
        {"::ffff:1.2.3.4/24", "1.2.3.0/24"},
        {"pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
         "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"},
    };
    size_t nf = sizeof(forms) / sizeof(forms[0]);
    for (size_t i = 0; i < nf; i++) {
        struct net_subnet s = must_subnet(forms[i].in);
        char buf[128];
        net_subnet_format(&s, buf, sizeof(buf));
        assert_string_equal(buf, forms[i].out);
        struct net_subnet t = must_subnet(buf);
        assert_true(net_subnet_equal(&s, &t));
    }
    test_report_count("netaddr subnet format", nf);

    static const char *bad[] = {
        "1.2.3.0/255.255.0.255", /* non-contiguous */
        "1.2.3.0/255.0.255.0",
        "1.2.3.0/0.255.255.255",
        "2001:db8::/ffff:0:ffff::",
        "1.2.3.0/33",
        "2001:db8::/129",
        "1.2.3.0/-1",
        "1.2.3.0/+8",
        "1.2.3.0/",
        "1.2.3.0/24/",
        "1.2.3.0/0024",
        "1.2.3.0/ffff::", /* other family */
        "2001:db8::/255.0.0.0",
        "1.2.3.0:8333/24",
        "[::1]/128",
        "bitcoin.org/24",
        "1.2.3",
        "",
        "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion/8",
    };
    size_t nb = sizeof(bad) / sizeof(bad[0]);
    for (size_t i = 0; i < nb; i++) {
        struct net_subnet s;
        if (net_subnet_parse(bad[i], &s)) fail_msg("accepted subnet \"%s\"", bad[i]);
    }
    test_report_count("netaddr subnet refused", nb);

    /* from_addr: a single host, port dropped */
    struct net_addr a = must_parse("5.6.7.8:99", 0);
    struct net_subnet s;
    net_subnet_from_addr(&a, &s);
    assert_true(s.valid);
    assert_true(net_subnet_match(&s, &a));
    struct net_subnet p = must_subnet("5.6.7.8/32");
    assert_true(net_subnet_equal(&s, &p));
    struct net_subnet q = must_subnet("5.6.7.0/24");
    assert_false(net_subnet_equal(&s, &q));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format),    cmocka_unit_test(test_parse_refused),
        cmocka_unit_test(test_classification),  cmocka_unit_test(test_groups),
        cmocka_unit_test(test_v1_and_sockaddr), cmocka_unit_test(test_subnets),
    };
    return cmocka_run_group_tests_name("netaddr_tests", tests, NULL, NULL);
}
