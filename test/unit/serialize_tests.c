/* Serialization: CompactSize boundaries and canonical form, sticky failure, no
 * allocation from lengths that the input cannot back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "consensus/serialize.h"
#include "test_util.h"

static void roundtrip_compact(uint64_t v, size_t want_len)
{
    struct writer w;
    writer_init(&w);
    write_compact_size(&w, v);
    assert_false(w.failed);
    assert_int_equal(w.len, want_len);
    assert_int_equal(compact_size_len(v), want_len);
    struct reader r;
    reader_init(&r, w.data, w.len);
    uint64_t got = 0;
    if (v <= SER_MAX_SIZE) {
        assert_true(read_compact_size(&r, &got));
        assert_int_equal(got, v);
        assert_int_equal(reader_remaining(&r), 0);
    } else {
        assert_false(read_compact_size(&r, &got)); /* larger than MAX_SIZE */
    }
    writer_free(&w);
}

static void test_compact_size_boundaries(void **state)
{
    (void)state;
    roundtrip_compact(0, 1);
    roundtrip_compact(0xfc, 1);
    roundtrip_compact(0xfd, 3);
    roundtrip_compact(0xffff, 3);
    roundtrip_compact(0x10000, 5);
    roundtrip_compact(SER_MAX_SIZE, 5);
    roundtrip_compact(0xffffffffu, 5);
    roundtrip_compact(0x100000000ull, 9);
}

static void test_compact_size_noncanonical(void **state)
{
    (void)state;
    static const char *bad[] = {
        "fdfc00",             /* 0xfc in three bytes */
        "fe00ff0000",         /* 0xff00 in five bytes */
        "ff0000000001000000", /* fits in five */
        "fd00",               /* truncated */
        "",                   /* empty */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n;
        uint8_t *b = test_unhex(bad[i], &n);
        struct reader r;
        reader_init(&r, b, n);
        uint64_t v;
        assert_false(read_compact_size(&r, &v));
        assert_true(r.failed);
        free(b);
    }
    /* The canonical forms just above each boundary are accepted. */
    size_t n;
    uint8_t *b = test_unhex("fdfd00", &n);
    struct reader r;
    reader_init(&r, b, n);
    uint64_t v;
    assert_true(read_compact_size(&r, &v));
    assert_int_equal(v, 0xfd);
    free(b);
}

static void test_integers_little_endian(void **state)
{
    (void)state;
    struct writer w;
    writer_init(&w);
    write_u16(&w, 0x0102);
    write_u32(&w, 0x03040506);
    write_u64(&w, 0x0708090a0b0c0d0eull);
    write_i32(&w, -2);
    write_i64(&w, -3);
    assert_string_equal(test_hex(w.data, w.len),
                        "020106050403" "0e0d0c0b0a090807" "feffffff" "fdffffffffffffff");
    struct reader r;
    reader_init(&r, w.data, w.len);
    uint16_t a;
    uint32_t b;
    uint64_t c;
    int32_t d;
    int64_t e;
    assert_true(read_u16(&r, &a) && read_u32(&r, &b) && read_u64(&r, &c) &&
                read_i32(&r, &d) && read_i64(&r, &e));
    assert_int_equal(a, 0x0102);
    assert_int_equal(b, 0x03040506);
    assert_true(c == 0x0708090a0b0c0d0eull);
    assert_int_equal(d, -2);
    assert_true(e == -3);
    writer_free(&w);
}

static void test_reader_sticky_failure(void **state)
{
    (void)state;
    uint8_t buf[3] = {1, 2, 3};
    struct reader r;
    reader_init(&r, buf, sizeof(buf));
    uint32_t v;
    assert_false(read_u32(&r, &v));
    assert_true(r.failed);
    uint8_t one;
    /* Once failed, even a read that would fit fails: parsers check once at the end. */
    assert_false(read_u8(&r, &one));
}

static void test_var_bytes_bounded(void **state)
{
    (void)state;
    /* Claims 0x01ffffff bytes but has two: rejected before any allocation. */
    uint8_t claim[] = {0xfe, 0xff, 0xff, 0xff, 0x01, 0xaa, 0xbb};
    struct reader r;
    reader_init(&r, claim, sizeof(claim));
    uint8_t *out = (uint8_t *)1;
    size_t len;
    assert_false(read_var_bytes(&r, &out, &len));
    assert_null(out);
    /* A well-formed one, and an empty one that still gives a buffer. */
    uint8_t ok[] = {0x02, 0xaa, 0xbb, 0x00};
    reader_init(&r, ok, sizeof(ok));
    assert_true(read_var_bytes(&r, &out, &len));
    assert_int_equal(len, 2);
    assert_int_equal(out[1], 0xbb);
    free(out);
    assert_true(read_var_bytes(&r, &out, &len));
    assert_int_equal(len, 0);
    assert_non_null(out);
    free(out);
}

static void test_writer_growth_and_release(void **state)
{
    (void)state;
    struct writer w;
    writer_init(&w);
    for (int i = 0; i < 10000; i++) write_u8(&w, (uint8_t)i);
    assert_int_equal(w.len, 10000);
    size_t n;
    uint8_t *d = writer_release(&w, &n);
    assert_int_equal(n, 10000);
    assert_int_equal(d[9999], (uint8_t)9999);
    assert_null(w.data);
    free(d);
    writer_free(&w); /* freeing a released writer is harmless */
}

static void test_hash_writer(void **state)
{
    (void)state;
    /* A hashing writer sees exactly the bytes a buffer writer would hold. */
    struct writer buf, hw;
    struct sha256_ctx ctx;
    writer_init(&buf);
    sha256_init(&ctx);
    writer_init_hash(&hw, &ctx);
    for (int i = 0; i < 300; i++) {
        write_compact_size(&buf, (uint64_t)i * 1000);
        write_compact_size(&hw, (uint64_t)i * 1000);
        write_var_bytes(&buf, (const uint8_t *)"payload", (size_t)(i % 8));
        write_var_bytes(&hw, (const uint8_t *)"payload", (size_t)(i % 8));
    }
    assert_int_equal(hw.len, buf.len);
    assert_null(hw.data);
    uint8_t a[32], b[32];
    sha256_finalize(&ctx, a);
    sha256(buf.data, buf.len, b);
    assert_memory_equal(a, b, 32);
    writer_free(&buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_size_boundaries),
        cmocka_unit_test(test_compact_size_noncanonical),
        cmocka_unit_test(test_integers_little_endian),
        cmocka_unit_test(test_reader_sticky_failure),
        cmocka_unit_test(test_var_bytes_bounded),
        cmocka_unit_test(test_writer_growth_and_release),
        cmocka_unit_test(test_hash_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
