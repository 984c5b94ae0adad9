/* Tests for src/net/addrman: adding, duplicates, good/attempt, selection, GetAddr, the
 * bucket limits that keep one source group from filling the table, and peers.dat
 * (round trip, hand-built files, every single-byte corruption refused). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "consensus/hash.h"
#include "consensus/serialize.h"
#include "net/addrman.h"
#include "test_util.h"

#define NOW 1700000000

static const uint8_t magic[4] = {0xf9, 0xbe, 0xb4, 0xd9};

static struct net_addr addr(const char *s)
{
    struct net_addr a;
    if (!net_addr_parse(s, 8333, &a)) fail_msg("bad address %s", s);
    return a;
}

static struct net_addr_info info_of(const char *s, uint32_t time)
{
    struct net_addr_info i;
    memset(&i, 0, sizeof(i));
    i.addr = addr(s);
    i.services = 1;
    i.time = time;
    return i;
}

static struct addrman *make(uint8_t seed)
{
    uint8_t key[32];
    memset(key, seed, sizeof(key));
    struct addrman *m = addrman_new(key);
    assert_non_null(m);
    return m;
}

static size_t add1(struct addrman *m, const char *a, const char *src)
{
    struct net_addr_info i = info_of(a, NOW - 100);
    struct net_addr s = addr(src);
    return addrman_add(m, &i, 1, &s, 0, false, NOW);
}

static void test_add_size(void **state)
{
    (void)state;
    struct addrman *m = make(1);
    assert_int_equal(addrman_size(m), 0);
    struct net_addr_info out;
    assert_false(addrman_select(m, false, NOW, &out));

    assert_int_equal(add1(m, "250.1.1.1", "250.1.1.1"), 1);
    assert_int_equal(addrman_size(m), 1);
    /* The same address again is not new (whatever the source). */
    assert_int_equal(add1(m, "250.1.1.1", "250.1.1.1"), 0);
    assert_int_equal(add1(m, "250.1.1.1", "9.9.9.9"), 0);
    assert_int_equal(addrman_size(m), 1);
    /* The same host on another port is another entry. */
    assert_int_equal(add1(m, "250.1.1.1:8334", "250.1.1.1"), 1);
    assert_int_equal(addrman_size(m), 2);

    /* Unroutable and invalid addresses are ignored unless local ones are allowed. */
    assert_int_equal(add1(m, "10.0.0.1", "250.1.1.1"), 0);
    assert_int_equal(add1(m, "0.0.0.0", "250.1.1.1"), 0);
    assert_int_equal(add1(m, "2001:db8::1", "250.1.1.1"), 0);
    assert_int_equal(add1(m, "127.0.0.1", "250.1.1.1"), 0);
    struct net_addr_info lo = info_of("127.0.0.1:18444", NOW);
    struct net_addr src = addr("127.0.0.1");
    assert_int_equal(addrman_add(m, &lo, 1, &src, 0, true, NOW), 1);
    assert_int_equal(addrman_size(m), 3);

    /* A batch counts its new ones. */
    struct net_addr_info batch[3] = {info_of("251.1.1.1", NOW), info_of("250.1.1.1", NOW),
                                     info_of("252.1.1.1", NOW)};
    assert_int_equal(addrman_add(m, batch, 3, &src, 0, false, NOW), 2);
    assert_int_equal(addrman_size(m), 5);
    assert_int_equal(addrman_size_tried(m), 0);
    addrman_free(m);
    addrman_free(NULL);
}

static void test_time_penalty_and_services(void **state)
{
    (void)state;
    struct addrman *m = make(2);
    struct net_addr_info i = info_of("250.7.7.7", NOW - 10);
    i.services = 1;
    struct net_addr s = addr("5.5.5.5");
    assert_int_equal(addrman_add(m, &i, 1, &s, 2 * 60 * 60, false, NOW), 1);
    struct net_addr_info got[4];
    assert_int_equal(addrman_get_addr(m, 4, 0, NOW, got), 1);
    assert_int_equal(got[0].time, NOW - 10 - 2 * 60 * 60);
    /* A later announcement adds service bits. */
    i.services = 8;
    assert_int_equal(addrman_add(m, &i, 1, &s, 0, false, NOW), 0);
    assert_int_equal(addrman_get_addr(m, 4, 0, NOW, got), 1);
    assert_int_equal(got[0].services, 9);
    /* set_services replaces them. */
    addrman_set_services(m, &i.addr, 4);
    assert_int_equal(addrman_get_addr(m, 4, 0, NOW, got), 1);
    assert_int_equal(got[0].services, 4);
    /* connected refreshes a stale time. */
    addrman_connected(m, &i.addr, NOW + 3600);
    assert_int_equal(addrman_get_addr(m, 4, 0, NOW + 3600, got), 1);
    assert_int_equal(got[0].time, NOW + 3600);
    addrman_free(m);
}

static void test_good_moves_to_tried(void **state)
{
    (void)state;
    struct addrman *m = make(3);
    assert_int_equal(add1(m, "250.1.2.3", "8.8.8.8"), 1);
    assert_int_equal(add1(m, "251.1.2.3", "8.8.8.8"), 1);
    struct net_addr a = addr("250.1.2.3");
    /* Unknown addresses and other ports change nothing. */
    struct net_addr other = addr("250.1.2.3:1");
    addrman_good(m, &other, NOW);
    assert_int_equal(addrman_size_tried(m), 0);
    addrman_good(m, &a, NOW);
    assert_int_equal(addrman_size_tried(m), 1);
    assert_int_equal(addrman_size(m), 2);
    addrman_good(m, &a, NOW + 1);
    assert_int_equal(addrman_size_tried(m), 1);
    /* A tried address heard of again stays where it is. */
    assert_int_equal(add1(m, "250.1.2.3", "9.9.9.9"), 0);
    assert_int_equal(addrman_size(m), 2);
    assert_int_equal(addrman_size_tried(m), 1);

    /* new_only never returns the tried one; a plain select returns both in time. */
    bool saw_tried = false, saw_new = false;
    for (int i = 0; i < 400; i++) {
        struct net_addr_info out;
        assert_true(addrman_select(m, true, NOW + 7200, &out));
        assert_false(net_addr_equal(&out.addr, &a));
        assert_true(addrman_select(m, false, NOW + 7200, &out));
        if (net_addr_equal(&out.addr, &a))
            saw_tried = true;
        else
            saw_new = true;
    }
    assert_true(saw_tried && saw_new);

    struct net_addr b = addr("251.1.2.3");
    addrman_good(m, &b, NOW);
    assert_int_equal(addrman_size_tried(m), 2);
    struct net_addr_info out;
    assert_false(addrman_select(m, true, NOW, &out));
    assert_true(addrman_select(m, false, NOW, &out));
    addrman_free(m);
}

static void test_select_returns_added(void **state)
{
    (void)state;
    struct addrman *m = make(4);
    const char *list[] = {"250.250.2.1:8333", "250.251.2.2:9999", "251.252.2.3:8333",
                          "[2a00:1450::1]:8333", "[2a01:1450::2]:8333"};
    for (size_t i = 0; i < 5; i++) assert_int_equal(add1(m, list[i], "8.8.8.8"), 1);
    bool seen[5] = {false};
    for (int k = 0; k < 1000; k++) {
        struct net_addr_info out;
        assert_true(addrman_select(m, false, NOW, &out));
        size_t i = 0;
        while (i < 5) {
            struct net_addr want = addr(list[i]);
            if (net_addr_equal(&out.addr, &want)) break;
            i++;
        }
        assert_true(i < 5);
        seen[i] = true;
    }
    for (size_t i = 0; i < 5; i++) assert_true(seen[i]);
    addrman_free(m);
}

static void test_get_addr_and_terrible(void **state)
{
    (void)state;
    struct addrman *m = make(5);
    /* Two addresses may share a slot (which one stays is decided by the key), so the
     * counts below are taken from the table. */
    for (int i = 0; i < 100; i++) {
        char s[32];
        snprintf(s, sizeof(s), "%d.%d.1.1", 130 + i, i);
        struct net_addr_info it = info_of(s, NOW - 60);
        struct net_addr src = it.addr;
        (void)addrman_add(m, &it, 1, &src, 0, false, NOW);
    }
    size_t n = addrman_size(m);
    assert_true(n >= 90 && n <= 100);
    struct net_addr_info *out = calloc(200, sizeof(*out));
    assert_non_null(out);
    assert_int_equal(addrman_get_addr(m, 200, 23, NOW, out), 23 * n / 100);
    assert_int_equal(addrman_get_addr(m, 10, 50, NOW, out), 10);
    assert_int_equal(addrman_get_addr(m, 0, 0, NOW, out), 0);
    assert_int_equal(addrman_get_addr(m, 200, 0, NOW, out), n);
    /* No duplicates in one answer. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_false(net_addr_equal(&out[i].addr, &out[j].addr));

    /* Entries unseen for over 30 days are terrible and left out. */
    size_t old = 0;
    for (int i = 0; i < 10; i++) {
        char s[32];
        snprintf(s, sizeof(s), "200.%d.9.9", i);
        struct net_addr_info it = info_of(s, NOW - 31 * 24 * 3600);
        struct net_addr src = it.addr;
        old += addrman_add(m, &it, 1, &src, 0, false, NOW);
    }
    assert_true(old > 0);
    assert_int_equal(addrman_size(m), n + old);
    assert_int_equal(addrman_get_addr(m, 200, 0, NOW, out), n);
    addrman_free(m);

    /* Three counted failures and no success: terrible. Failures count once per success
     * elsewhere. */
    m = make(15);
    struct net_addr src = addr("8.8.8.8");
    struct net_addr_info both[2] = {info_of("130.0.1.1", NOW - 60),
                                    info_of("131.1.1.1", NOW - 60)};
    assert_int_equal(addrman_add(m, both, 2, &src, 0, false, NOW), 2);
    struct net_addr bad = both[0].addr, good = both[1].addr;
    addrman_attempt(m, &bad, true, NOW + 1);
    addrman_attempt(m, &bad, true, NOW + 2); /* not counted: nothing succeeded since */
    addrman_good(m, &good, NOW + 3);
    addrman_attempt(m, &bad, true, NOW + 4);
    assert_int_equal(addrman_get_addr(m, 200, 0, NOW + 200, out), 2);
    addrman_good(m, &good, NOW + 5);
    addrman_attempt(m, &bad, true, NOW + 6);
    assert_int_equal(addrman_get_addr(m, 200, 0, NOW + 200, out), 1);
    assert_true(net_addr_equal(&out[0].addr, &good));
    /* ... except within a minute of the last try. */
    assert_int_equal(addrman_get_addr(m, 200, 0, NOW + 30, out), 2);
    /* Attempts without count_failure never make it terrible. */
    struct net_addr_info third = info_of("132.1.1.1", NOW - 60);
    assert_int_equal(addrman_add(m, &third, 1, &src, 0, false, NOW), 1);
    for (int i = 0; i < 5; i++) {
        addrman_attempt(m, &third.addr, false, NOW + 10 + i);
        addrman_good(m, &good, NOW + 10 + i);
    }
    assert_int_equal(addrman_get_addr(m, 200, 0, NOW + 200, out), 2);
    free(out);
    addrman_free(m);
}

static void test_source_group_limits(void **state)
{
    (void)state;
    struct addrman *m = make(6);
    /* 10,000 addresses in 10,000 different /16s, all from one source /16: one source
     * group reaches at most 64 new buckets of 64 slots. */
    struct net_addr src = addr("99.98.97.96");
    size_t added = 0;
    for (int i = 0; i < 10000; i++) {
        char s[32];
        snprintf(s, sizeof(s), "%d.%d.%d.1", 1 + i / 256 % 200 + 20, i % 256, i / 51200 + 1);
        struct net_addr_info it = info_of(s, NOW - 60);
        added += addrman_add(m, &it, 1, &src, 0, false, NOW);
    }
    size_t n = addrman_size(m);
    printf("addrman: 10000 offered from one source group, %zu kept\n", n);
    assert_int_equal(added, n);
    assert_true(n <= ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP * ADDRMAN_BUCKET_SIZE);
    assert_true(n > 500); /* still spread over many buckets */
    addrman_free(m);

    /* One address group from one source group lands in a single bucket. */
    m = make(7);
    for (int i = 0; i < 1000; i++) {
        char s[32];
        snprintf(s, sizeof(s), "77.66.%d.%d", i / 200, 1 + i % 200);
        struct net_addr_info it = info_of(s, NOW - 60);
        (void)addrman_add(m, &it, 1, &src, 0, false, NOW);
    }
    assert_true(addrman_size(m) <= ADDRMAN_BUCKET_SIZE);
    /* Many sources spread the same addresses wider. */
    size_t one_source = addrman_size(m);
    for (int i = 0; i < 1000; i++) {
        char s[32], so[32];
        snprintf(s, sizeof(s), "77.66.%d.%d", i / 200, 1 + i % 200);
        snprintf(so, sizeof(so), "%d.%d.1.1", 30 + i % 100, i % 100);
        struct net_addr_info it = info_of(s, NOW - 60);
        struct net_addr sa = addr(so);
        (void)addrman_add(m, &it, 1, &sa, 0, false, NOW);
    }
    assert_true(addrman_size(m) > one_source);
    addrman_free(m);
}

/* A plain write: the corruption loops need no fsync. */
static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* One address group reaches at most 8 tried buckets of 64 slots: promoting 600 of its
 * addresses collides. A recently good occupant stays (the newcomer stays in new); an
 * occupant last good over four hours ago goes back to new. */
static void test_tried_collisions(void **state)
{
    (void)state;
    struct addrman *m = make(11);
    for (int i = 0; i < 600; i++) {
        char s[32], so[32];
        snprintf(s, sizeof(s), "250.1.%d.%d", i / 200, 1 + i % 200);
        snprintf(so, sizeof(so), "%d.%d.7.7", 20 + i % 150, i / 150);
        struct net_addr_info it = info_of(s, NOW - 60);
        struct net_addr src = addr(so);
        (void)addrman_add(m, &it, 1, &src, 0, false, NOW);
    }
    size_t n0 = addrman_size(m);
    assert_true(n0 > 500);
    for (int i = 0; i < 600; i++) {
        char s[32];
        snprintf(s, sizeof(s), "250.1.%d.%d", i / 200, 1 + i % 200);
        struct net_addr a = addr(s);
        addrman_good(m, &a, NOW);
    }
    size_t t1 = addrman_size_tried(m);
    printf("addrman: %zu of one group promoted, %zu fit in tried\n", n0, t1);
    assert_true(t1 <= ADDRMAN_TRIED_BUCKETS_PER_GROUP * ADDRMAN_BUCKET_SIZE);
    assert_true(t1 < n0);
    assert_int_equal(addrman_size(m), n0); /* the losers stay in new */

    for (int i = 0; i < 600; i++) {
        char s[32];
        snprintf(s, sizeof(s), "250.1.%d.%d", i / 200, 1 + i % 200);
        struct net_addr a = addr(s);
        addrman_good(m, &a, NOW + 5 * 3600);
    }
    size_t t2 = addrman_size_tried(m);
    assert_true(t2 >= t1);
    assert_true(t2 <= ADDRMAN_TRIED_BUCKETS_PER_GROUP * ADDRMAN_BUCKET_SIZE);
    /* Evicted occupants went back to new: nothing vanished except where an evicted
     * entry's new slot held another entry. */
    assert_true(addrman_size(m) <= n0);
    assert_true(addrman_size(m) > t2);
    addrman_free(m);
}

static char *tmp_file(char **dir, const char *name)
{
    *dir = test_make_tmpdir("addrman");
    char *p = malloc(strlen(*dir) + strlen(name) + 2);
    assert_non_null(p);
    sprintf(p, "%s/%s", *dir, name);
    return p;
}

static void test_save_load(void **state)
{
    (void)state;
    char *dir;
    char *path = tmp_file(&dir, "peers.dat");
    char err[256];
    bool missing = false;
    assert_null(addrman_load(path, magic, &missing, err, sizeof(err)));
    assert_true(missing);
    assert_string_equal(err, "");

    struct addrman *m = make(8);
    const char *list[] = {"250.1.1.1",
                          "251.2.2.2:1",
                          "[2a00:1450::7]:8333",
                          "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:9050",
                          "udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p:0",
                          "252.3.3.3"};
    for (size_t i = 0; i < 6; i++) assert_int_equal(add1(m, list[i], "8.8.4.4"), 1);
    struct net_addr g = addr("251.2.2.2:1");
    addrman_good(m, &g, NOW);
    assert_true(addrman_save(m, path, magic, err, sizeof(err)));
    size_t len1;
    uint8_t *file1 = test_read_file(path, &len1);
    assert_non_null(file1);

    struct addrman *l = addrman_load(path, magic, &missing, err, sizeof(err));
    if (!l) fail_msg("load: %s", err);
    assert_false(missing);
    assert_int_equal(addrman_size(l), 6);
    assert_int_equal(addrman_size_tried(l), 1);
    /* Same key, same entries: saving again gives the same bytes. */
    assert_true(addrman_save(l, path, magic, err, sizeof(err)));
    size_t len2;
    uint8_t *file2 = test_read_file(path, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(file1, file2, len1);
    free(file2);
    struct net_addr_info out[8];
    assert_int_equal(addrman_get_addr(l, 8, 0, NOW, out), 6);
    for (size_t i = 0; i < 6; i++) {
        bool found = false;
        struct net_addr want = addr(list[i]);
        for (size_t j = 0; j < 6; j++) found |= net_addr_equal(&out[j].addr, &want);
        assert_true(found);
    }
    /* The key is stored right after magic and version. */
    uint8_t key[32];
    memset(key, 8, sizeof(key));
    assert_memory_equal(file1 + 5, key, 32);

    /* Another network's magic is refused. */
    const uint8_t other[4] = {0x0b, 0x11, 0x09, 0x07};
    assert_null(addrman_load(path, other, &missing, err, sizeof(err)));
    assert_false(missing);
    assert_true(strlen(err) > 0);

    addrman_free(l);
    addrman_free(m);
    free(file1);
    test_remove_tree(dir);
    free(dir);
    free(path);
}

static void test_corruption_refused(void **state)
{
    (void)state;
    char *dir;
    char *path = tmp_file(&dir, "peers.dat");
    char err[256];
    struct addrman *m = make(9);
    assert_int_equal(add1(m, "250.1.1.1", "8.8.4.4"), 1);
    assert_int_equal(add1(m, "[2a00:1450::7]:8333", "8.8.4.4"), 1);
    struct net_addr g = addr("250.1.1.1");
    addrman_good(m, &g, NOW);
    assert_true(addrman_save(m, path, magic, err, sizeof(err)));
    addrman_free(m);
    size_t len;
    uint8_t *good = test_read_file(path, &len);
    assert_non_null(good);
    uint8_t *bad = malloc(len);
    assert_non_null(bad);
    size_t cases = 0;
    for (size_t i = 0; i < len; i++) {
        for (int flip = 0; flip < 2; flip++) {
            memcpy(bad, good, len);
            bad[i] ^= flip ? 0xff : 0x01;
            write_file(path, bad, len);
            bool missing = true;
            err[0] = '\0';
            struct addrman *l = addrman_load(path, magic, &missing, err, sizeof(err));
            if (l) fail_msg("byte %zu flipped was accepted", i);
            assert_false(missing);
            assert_true(strlen(err) > 0);
            cases++;
        }
    }
    /* Truncations too. */
    for (size_t cut = 0; cut < len; cut += 7) {
        write_file(path, good, cut);
        bool missing = true;
        assert_null(addrman_load(path, magic, &missing, err, sizeof(err)));
        assert_false(missing);
        cases++;
    }
    test_report_count("addrman corrupt peers.dat", cases);
    free(bad);
    free(good);
    test_remove_tree(dir);
    free(dir);
    free(path);
}

/* Hand-built files (with a correct checksum) per the documented layout. */
static void put_addr4(struct writer *w, uint8_t net, uint8_t len, const uint8_t *b)
{
    write_u8(w, net);
    write_u8(w, len);
    write_bytes(w, b, len);
    write_u8(w, 0x20); /* port 8333, big endian */
    write_u8(w, 0x8d);
}

static void put_entry(struct writer *w, uint8_t net, uint8_t len, const uint8_t *b,
                      uint8_t tried, int32_t attempts)
{
    static const uint8_t src[4] = {8, 8, 8, 8};
    put_addr4(w, net, len, b);
    write_u64(w, 1);
    write_u32(w, NOW - 10);
    write_i64(w, 0);
    write_i64(w, tried ? NOW - 5 : 0);
    write_i32(w, attempts);
    put_addr4(w, NET_IPV4, 4, src);
    write_u8(w, tried);
}

enum {
    OK_FILE,
    BAD_VERSION,
    HUGE_COUNT,
    MISSING_ENTRY,
    TORV2,
    BAD_LEN,
    BAD_TRIED,
    NEG_ATTEMPTS,
    TRAILING,
    DUPLICATE,
    MAPPED_V6,
    NKINDS
};

static uint8_t *build_file(int kind, size_t *len)
{
    static const uint8_t a1[4] = {250, 1, 1, 1}, a2[4] = {251, 2, 2, 2};
    static const uint8_t v6[16] = {0x2a, 0, 0x14, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4};
    uint8_t key[32];
    memset(key, 0x42, sizeof(key));
    struct writer w;
    writer_init(&w);
    write_bytes(&w, magic, 4);
    write_u8(&w, kind == BAD_VERSION ? 2 : 1);
    write_bytes(&w, key, 32);
    write_u32(&w, kind == HUGE_COUNT ? 60000 : kind == MISSING_ENTRY ? 3 : 2);
    write_u32(&w, 1);
    put_entry(&w, NET_IPV4, 4, a1, 0, kind == NEG_ATTEMPTS ? -1 : 0);
    if (kind == TORV2)
        put_entry(&w, NET_TORV2, 10, v6, 0, 0);
    else if (kind == BAD_LEN)
        put_entry(&w, NET_IPV6, 4, a2, 0, 0);
    else if (kind == DUPLICATE)
        put_entry(&w, NET_IPV4, 4, a1, 0, 0);
    else if (kind == MAPPED_V6)
        put_entry(&w, NET_IPV6, 16, mapped, 0, 0);
    else
        put_entry(&w, NET_IPV6, 16, v6, 0, 0);
    put_entry(&w, NET_IPV4, 4, a2, kind == BAD_TRIED ? 2 : 1, 0);
    if (kind == TRAILING) write_u8(&w, 0);
    uint8_t sum[32];
    sha256d(w.data, w.len, sum);
    write_bytes(&w, sum, 32);
    assert_false(w.failed);
    return writer_release(&w, len);
}

static void test_hand_built_files(void **state)
{
    (void)state;
    char *dir;
    char *path = tmp_file(&dir, "peers.dat");
    char err[256];
    for (int kind = 0; kind < NKINDS; kind++) {
        size_t len;
        uint8_t *f = build_file(kind, &len);
        write_file(path, f, len);
        free(f);
        bool missing = true;
        err[0] = '\0';
        struct addrman *m = addrman_load(path, magic, &missing, err, sizeof(err));
        assert_false(missing);
        if (kind == OK_FILE) {
            if (!m) fail_msg("valid file refused: %s", err);
            assert_int_equal(addrman_size(m), 3);
            assert_int_equal(addrman_size_tried(m), 1);
            struct net_addr_info out[4];
            assert_int_equal(addrman_get_addr(m, 4, 0, NOW, out), 3);
            addrman_free(m);
        } else {
            if (m) fail_msg("file kind %d accepted", kind);
            assert_true(strlen(err) > 0);
        }
    }
    test_report_count("addrman hand-built peers.dat", NKINDS);
    test_remove_tree(dir);
    free(dir);
    free(path);
}

struct worker {
    struct addrman *m;
    int base;
    size_t added;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    struct net_addr src;
    memset(&src, 0, sizeof(src));
    src.net = NET_IPV4;
    src.len = 4;
    for (int i = 0; i < 2000; i++) {
        struct net_addr_info it;
        memset(&it, 0, sizeof(it));
        it.addr.net = NET_IPV4;
        it.addr.len = 4;
        it.addr.bytes[0] = (uint8_t)(w->base + i % 50);
        it.addr.bytes[1] = (uint8_t)(i / 50);
        it.addr.bytes[2] = 1;
        it.addr.bytes[3] = 1;
        it.addr.port = 8333;
        it.time = NOW - 60;
        src.bytes[0] = (uint8_t)(w->base + i % 7);
        src.bytes[1] = (uint8_t)i;
        w->added += addrman_add(w->m, &it, 1, &src, 0, false, NOW);
        struct net_addr_info out;
        if (!addrman_select(w->m, false, NOW, &out)) return NULL;
        if (i % 10 == 0) addrman_good(w->m, &out.addr, NOW);
    }
    return w;
}

/* Two threads adding, selecting and promoting at once: the lock keeps the counts
 * consistent (and ASan/TSan builds see the accesses). */
static void test_threads(void **state)
{
    (void)state;
    struct addrman *m = make(10);
    struct worker w[2] = {{m, 30, 0}, {m, 130, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    for (int i = 0; i < 2; i++) {
        void *r = NULL;
        assert_int_equal(pthread_join(t[i], &r), 0);
        assert_ptr_equal(r, &w[i]);
    }
    /* Good never loses an entry; collisions in new may replace some. */
    assert_true(addrman_size(m) <= w[0].added + w[1].added);
    assert_true(addrman_size(m) > 1000);
    assert_true(addrman_size_tried(m) > 0);
    addrman_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_size),
        cmocka_unit_test(test_time_penalty_and_services),
        cmocka_unit_test(test_good_moves_to_tried),
        cmocka_unit_test(test_select_returns_added),
        cmocka_unit_test(test_get_addr_and_terrible),
        cmocka_unit_test(test_source_group_limits),
        cmocka_unit_test(test_tried_collisions),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_corruption_refused),
        cmocka_unit_test(test_hand_built_files),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests_name("addrman_tests", tests, NULL, NULL);
}
