/* Known-answer tests for the hash functions (FIPS 180, RIPEMD-160 paper, RFC 4231,
 * SipHash paper, BIP340 tag construction). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "consensus/hash.h"
#include "test_util.h"
#include "util/hex.h"

static void expect_hex(const uint8_t *got, size_t len, const char *want)
{
    char buf[257];
    hex_encode(buf, got, len);
    assert_string_equal(buf, want);
}

static void test_sha256(void **state)
{
    (void)state;
    uint8_t h[32];
    sha256("", 0, h);
    expect_hex(h, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256("abc", 3, h);
    expect_hex(h, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256(two, strlen(two), h);
    expect_hex(h, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* Streaming in uneven pieces gives the same answer as one call. */
    struct sha256_ctx c;
    sha256_init(&c);
    for (size_t i = 0; i < strlen(two); i += 7)
        sha256_write(&c, two + i, strlen(two) - i < 7 ? strlen(two) - i : 7);
    sha256_finalize(&c, h);
    expect_hex(h, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256d(void **state)
{
    (void)state;
    uint8_t h[32];
    sha256d("hello", 5, h);
    expect_hex(h, 32, "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50");
}

static void test_sha1_sha512(void **state)
{
    (void)state;
    uint8_t h[64];
    sha1("abc", 3, h);
    expect_hex(h, 20, "a9993e364706816aba3e25717850c26c9cd0d89d");
    sha512("abc", 3, h);
    expect_hex(h, 64,
               "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
               "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

static void test_ripemd160(void **state)
{
    (void)state;
    static const struct {
        const char *msg;
        const char *hex;
    } v[] = {
        {"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"},
        {"a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"},
        {"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"},
        {"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"},
        {"abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "12a053384a9c0c88e405a06c27dcf49ada62eb2b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "b0e20b6e3116640286ed3a87a5713079b21f5189"},
    };
    uint8_t h[20];
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        ripemd160(v[i].msg, strlen(v[i].msg), h);
        expect_hex(h, 20, v[i].hex);
    }
    /* One million 'a': crosses many blocks and a padding boundary. */
    static char million[1000000];
    memset(million, 'a', sizeof(million));
    ripemd160(million, sizeof(million), h);
    expect_hex(h, 20, "52783243c1697bdbe16d37f97f68f08325dc1528");
    /* 55, 56, 64 and 80 bytes exercise the one- and two-block padding paths. */
    static const struct {
        size_t n;
        const char *hex;
    } pad[] = {
        {55, "0d8a8c9063a48576a7c97e9f95253a6e53ff6765"}, {56, "e72334b46c83cc70bef979e15453706c95b888be"}, {64, "9dfb7d374ad924f3f88de96291c33e9abed53e32"}, {80, "228d437346bbf829f53490e0a5ef176c5068163f"},
    };
    for (size_t i = 0; i < sizeof(pad) / sizeof(pad[0]); i++) {
        ripemd160(million, pad[i].n, h);
        expect_hex(h, 20, pad[i].hex);
    }
}

static void test_hash160(void **state)
{
    (void)state;
    /* The compressed public key of private key 1 and its well-known HASH160. */
    size_t n;
    uint8_t *pk = test_unhex(
        "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", &n);
    uint8_t h[20];
    hash160(pk, n, h);
    expect_hex(h, 20, "751e76e8199196d454941c45d1b3a323f1433bd6");
    free(pk);
}

static void test_hmac(void **state)
{
    (void)state;
    /* RFC 4231 test cases 1 and 6 (key longer than the block). */
    uint8_t key1[20], h[64];
    memset(key1, 0x0b, sizeof(key1));
    hmac_sha256(key1, 20, "Hi There", 8, h);
    expect_hex(h, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hmac_sha512(key1, 20, "Hi There", 8, h);
    expect_hex(h, 64,
               "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
               "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
    uint8_t key6[131];
    memset(key6, 0xaa, sizeof(key6));
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    hmac_sha256(key6, 131, m6, strlen(m6), h);
    expect_hex(h, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    hmac_sha512(key6, 131, m6, strlen(m6), h);
    expect_hex(h, 64,
               "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
               "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
}

static void test_tagged_hash(void **state)
{
    (void)state;
    /* Tagged hash equals the spelled-out construction. */
    uint8_t t[32], manual[32], got[32];
    sha256("TapLeaf", 7, t);
    uint8_t buf[64 + 3];
    memcpy(buf, t, 32);
    memcpy(buf + 32, t, 32);
    memcpy(buf + 64, "xyz", 3);
    sha256(buf, sizeof(buf), manual);
    tagged_hash("TapLeaf", "xyz", 3, got);
    assert_memory_equal(got, manual, 32);
}

static void test_siphash(void **state)
{
    (void)state;
    /* Reference vectors: key 00..0f, messages 00..(n-1). */
    uint64_t k0 = 0x0706050403020100ull, k1 = 0x0f0e0d0c0b0a0908ull;
    uint8_t msg[16];
    for (int i = 0; i < 16; i++) msg[i] = (uint8_t)i;
    assert_int_equal(siphash24(k0, k1, msg, 0), 0x726fdb47dd0e0e31ull);
    assert_int_equal(siphash24(k0, k1, msg, 1), 0x74f839c593dc67fdull);
    assert_int_equal(siphash24(k0, k1, msg, 8), 0x93f5f5799a932462ull);
    assert_int_equal(siphash24(k0, k1, msg, 15), 0xa129ca6149be45e5ull);
}

static void test_uint256_hex(void **state)
{
    (void)state;
    const char *genesis = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
    uint256 u;
    assert_true(uint256_from_hex(&u, genesis));
    assert_int_equal(u.b[0], 0x6f); /* internal order is reversed */
    char back[65];
    uint256_to_hex(back, &u);
    assert_string_equal(back, genesis);
    assert_false(uint256_from_hex(&u, "00"));
    assert_false(uint256_from_hex(&u, "zz0000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),      cmocka_unit_test(test_sha256d),
        cmocka_unit_test(test_sha1_sha512), cmocka_unit_test(test_ripemd160),
        cmocka_unit_test(test_hash160),     cmocka_unit_test(test_hmac),
        cmocka_unit_test(test_tagged_hash), cmocka_unit_test(test_siphash),
        cmocka_unit_test(test_uint256_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
