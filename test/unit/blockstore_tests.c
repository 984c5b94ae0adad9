/* Block files and the block index.
 *
 * blockstore: write/read round trips, rollover to the next file, reopening where the
 * index left off, pre-allocation, undo checksums, corruption (bad magic, bad size,
 * truncation, wrong checksum) and the -loadblock reader on the 255 real mainnet blocks
 * and on files with garbage between records.
 * blockindex: the hash map, ancestors through skip pointers, median time past, the
 * active chain, tip candidates, and persistence of the 255 mainnet headers to LevelDB
 * and back, including refusal of corrupt records. Every test works in its own
 * temporary directory. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/blockindex.h"
#include "chain/blockstore.h"
#include "chain/chainparams.h"
#include "chain/dbwrapper.h"
#include "consensus/block.h"
#include "consensus/serialize.h"
#include "test_util.h"

#define MAINNET_FILE "mainnet/blocks-1-255.dat"
#define TIP_255_HASH "00000000d0a75c861fabf9ff7b92022f60e4afeed9331fe5aa073d8e4706fe3c"
#define BLOCK_1_HASH "00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048"

static const uint8_t *btc_magic(void) { return chainparams_by_name("btc-main")->magic; }

/* ---- Temporary directories ---- */

static int setup_dir(void **state)
{
    char *tmpl = strdup("/tmp/iop-blockstore-XXXXXX");
    if (!tmpl || !mkdtemp(tmpl)) {
        free(tmpl);
        return -1;
    }
    *state = tmpl;
    return 0;
}

static int teardown_dir(void **state)
{
    char *dir = *state;
    test_remove_tree(dir);
    free(dir);
    return 0;
}

static const char *sub(void **state, const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", (const char *)*state, name);
    return buf;
}

static struct blockstore *open_store(const char *dir, const struct blockfile_info *files,
                                     size_t n, uint32_t last)
{
    char err[256] = "";
    struct blockstore *bs = blockstore_open(dir, btc_magic(), files, n, last, err, sizeof(err));
    if (!bs) fail_msg("blockstore_open: %s", err);
    return bs;
}

static off_t file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    return st.st_size;
}

/* The 255 mainnet blocks as raw records, read with the loadblock reader. */
struct raw_blocks {
    uint8_t *data[255];
    size_t len[255];
    size_t n;
};

static void load_raw(struct raw_blocks *rb)
{
    char err[256] = "";
    struct blockfile_reader *r =
        blockfile_reader_open(test_vector_path(MAINNET_FILE), btc_magic(), err, sizeof(err));
    if (!r) fail_msg("reader: %s", err);
    rb->n = 0;
    uint8_t *d;
    size_t l;
    uint64_t off;
    int rc;
    while ((rc = blockfile_reader_next(r, &d, &l, &off, err, sizeof(err))) == 1) {
        assert_true(rb->n < 255);
        rb->data[rb->n] = d;
        rb->len[rb->n] = l;
        rb->n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(blockfile_reader_skipped(r), 0);
    blockfile_reader_free(r);
}

static void free_raw(struct raw_blocks *rb)
{
    for (size_t i = 0; i < rb->n; i++) free(rb->data[i]);
}

/* ---- blockstore ---- */

static void test_loadblock_mainnet(void **state)
{
    (void)state;
    struct raw_blocks rb;
    load_raw(&rb);
    assert_int_equal(rb.n, 255);
    uint256 prev;
    chainparams_genesis_hash(chainparams_by_name("btc-main"), &prev);
    char hex[65];
    for (size_t i = 0; i < rb.n; i++) {
        struct block b;
        block_init(&b);
        assert_true(block_from_bytes(&b, rb.data[i], rb.len[i], true));
        assert_memory_equal(&b.header.prev_hash, &prev, 32);
        block_hash(&b, &prev);
        if (i == 0) {
            uint256_to_hex(hex, &prev);
            assert_string_equal(hex, BLOCK_1_HASH);
        }
        block_clear(&b);
    }
    uint256_to_hex(hex, &prev);
    assert_string_equal(hex, TIP_255_HASH);
    free_raw(&rb);
    test_report_count("loadblock records", 255);
}

static void test_round_trip(void **state)
{
    struct raw_blocks rb;
    load_raw(&rb);
    const char *dir = strdup(sub(state, "blocks"));
    struct blockstore *bs = open_store(dir, NULL, 0, 0);
    struct blockstore_pos pos[255];
    char err[256];
    uint64_t expect_off = 0;
    for (size_t i = 0; i < rb.n; i++) {
        assert_true(blockstore_write_block(bs, rb.data[i], rb.len[i], (int32_t)i + 1,
                                           1231469665u + (uint32_t)i, &pos[i], err,
                                           sizeof(err)));
        assert_int_equal(pos[i].file, 0);
        assert_int_equal(pos[i].offset, expect_off + 8);
        expect_off += 8 + rb.len[i];
    }
    assert_true(blockstore_flush(bs, true, err, sizeof(err)));
    const struct blockfile_info *fi = blockstore_file_info(bs, 0);
    assert_int_equal(fi->blocks, 255);
    assert_int_equal(fi->size, expect_off);
    assert_int_equal(fi->height_first, 1);
    assert_int_equal(fi->height_last, 255);
    assert_int_equal(fi->time_first, 1231469665u);
    assert_int_equal(fi->time_last, 1231469665u + 254);
    assert_null(blockstore_file_info(bs, 1));
    for (size_t i = 0; i < rb.n; i++) {
        uint8_t *d;
        size_t l;
        assert_true(blockstore_read_block(bs, &pos[i], &d, &l, err, sizeof(err)));
        assert_int_equal(l, rb.len[i]);
        assert_memory_equal(d, rb.data[i], l);
        free(d);
    }
    blockstore_close(bs);

    /* The file is a valid -loadblock input: same magic, same records. */
    char path[600];
    assert_true(blockstore_file_path(path, sizeof(path), dir, "blk", 0));
    assert_int_equal(file_size(path), (off_t)expect_off);
    struct blockfile_reader *r = blockfile_reader_open(path, btc_magic(), err, sizeof(err));
    assert_non_null(r);
    uint8_t *d;
    size_t l;
    uint64_t off;
    size_t n = 0;
    while (blockfile_reader_next(r, &d, &l, &off, err, sizeof(err)) == 1) {
        assert_int_equal(off, pos[n].offset);
        assert_memory_equal(d, rb.data[n], l);
        free(d);
        n++;
    }
    assert_int_equal(n, 255);
    blockfile_reader_free(r);

    /* Bad input sizes are refused. */
    bs = open_store(dir, NULL, 0, 0);
    struct blockstore_pos p;
    assert_false(blockstore_write_block(bs, rb.data[0], 0, 1, 0, &p, err, sizeof(err)));
    assert_false(blockstore_write_block(bs, rb.data[0], BLOCKSTORE_MAX_BLOCK_SIZE + 1, 1, 0, &p,
                                        err, sizeof(err)));
    blockstore_close(bs);
    free((void *)dir);
    free_raw(&rb);
}

static void test_rollover(void **state)
{
    struct raw_blocks rb;
    load_raw(&rb);
    const char *dir = strdup(sub(state, "blocks"));
    char err[256];
    struct blockstore *bs = open_store(dir, NULL, 0, 0);
    blockstore_set_max_file_size(bs, 2000); /* 215-byte blocks: 8 records per file */
    struct blockstore_pos pos[255];
    for (size_t i = 0; i < 100; i++)
        assert_true(blockstore_write_block(bs, rb.data[i], rb.len[i], (int32_t)i + 1, 0,
                                           &pos[i], err, sizeof(err)));
    assert_int_equal(rb.len[0], 215);
    assert_int_equal(pos[7].file, 0);
    assert_int_equal(pos[8].file, 1);
    assert_int_equal(pos[8].offset, 8);
    uint32_t last = blockstore_last_file(bs);
    assert_int_equal(last, 12);
    assert_int_equal(blockstore_file_count(bs), 13);
    for (uint32_t f = 0; f < last; f++) {
        assert_int_equal(blockstore_file_info(bs, f)->blocks, 8);
        assert_int_equal(blockstore_file_info(bs, f)->height_first, (int32_t)f * 8 + 1);
        assert_true(blockstore_file_info(bs, f)->size <= 2000);
    }
    uint32_t dirty[64];
    assert_int_equal(blockstore_take_dirty(bs, dirty, 64), 13);
    assert_int_equal(blockstore_take_dirty(bs, dirty, 64), 0);

    /* Reopen from the recorded infos and carry on where the last file ends. */
    size_t nfiles = blockstore_file_count(bs);
    struct blockfile_info infos[16];
    for (size_t f = 0; f < nfiles; f++) infos[f] = *blockstore_file_info(bs, (uint32_t)f);
    blockstore_close(bs);
    bs = open_store(dir, infos, nfiles, last);
    blockstore_set_max_file_size(bs, 2000);
    for (size_t i = 100; i < 255; i++)
        assert_true(blockstore_write_block(bs, rb.data[i], rb.len[i], (int32_t)i + 1, 0,
                                           &pos[i], err, sizeof(err)));
    assert_int_equal(pos[100].file, 12);
    assert_int_equal(pos[100].offset, 4 * (8 + 215) + 8);
    for (size_t i = 0; i < 255; i++) {
        uint8_t *d;
        size_t l;
        assert_true(blockstore_read_block(bs, &pos[i], &d, &l, err, sizeof(err)));
        assert_memory_equal(d, rb.data[i], rb.len[i]);
        free(d);
    }
    /* A block larger than the limit still goes in, alone in a new file. */
    blockstore_set_max_file_size(bs, 100);
    struct blockstore_pos big;
    assert_true(
        blockstore_write_block(bs, rb.data[0], rb.len[0], 256, 0, &big, err, sizeof(err)));
    assert_int_equal(big.file, pos[254].file + 1);
    assert_int_equal(big.offset, 8);
    blockstore_close(bs);

    /* Bad reopen parameters. */
    assert_null(
        blockstore_open(dir, btc_magic(), infos, nfiles, (uint32_t)nfiles, err, sizeof(err)));
    assert_null(
        blockstore_open(dir, btc_magic(), NULL, 0, BLOCKSTORE_MAX_FILES, err, sizeof(err)));
    free((void *)dir);
    free_raw(&rb);
}

static void test_preallocate(void **state)
{
    struct raw_blocks rb;
    load_raw(&rb);
    const char *dir = strdup(sub(state, "blocks"));
    char err[256], path[600];
    struct blockstore *bs = open_store(dir, NULL, 0, 0);
    blockstore_set_preallocate(bs, true);
    struct blockstore_pos p;
    assert_true(blockstore_write_block(bs, rb.data[0], rb.len[0], 1, 0, &p, err, sizeof(err)));
    uint256 h = {{1}};
    uint8_t undo[100];
    memset(undo, 7, sizeof(undo));
    struct blockstore_pos up;
    assert_true(blockstore_write_undo(bs, 0, &h, undo, sizeof(undo), &up, err, sizeof(err)));
    assert_true(blockstore_file_path(path, sizeof(path), dir, "blk", 0));
    off_t sz = file_size(path);
    /* posix_fallocate may be unsupported (tmpfs supports it); either way no less. */
    assert_true(sz == (off_t)BLOCKSTORE_BLOCK_CHUNK || sz == 8 + 215);
    blockstore_close(bs); /* gives back what was not used */
    assert_int_equal(file_size(path), 8 + 215);
    assert_true(blockstore_file_path(path, sizeof(path), dir, "rev", 0));
    assert_int_equal(file_size(path), 8 + 100 + 32);
    free((void *)dir);
    free_raw(&rb);
}

static void test_undo_and_corruption(void **state)
{
    const char *dir = strdup(sub(state, "blocks"));
    char err[256], path[600];
    struct blockstore *bs = open_store(dir, NULL, 0, 0);
    uint8_t block[300];
    for (size_t i = 0; i < sizeof(block); i++) block[i] = (uint8_t)(i * 7);
    struct blockstore_pos bp, bp2;
    assert_true(blockstore_write_block(bs, block, sizeof(block), 0, 0, &bp, err, sizeof(err)));
    assert_true(blockstore_write_block(bs, block, sizeof(block), 1, 0, &bp2, err, sizeof(err)));

    uint256 h1, h2;
    memset(&h1, 0x11, sizeof(h1));
    memset(&h2, 0x22, sizeof(h2));
    uint8_t undo1[50], undo2[77];
    memset(undo1, 0xa1, sizeof(undo1));
    memset(undo2, 0xa2, sizeof(undo2));
    struct blockstore_pos u1, u2, u0;
    assert_true(blockstore_write_undo(bs, 0, &h1, undo1, sizeof(undo1), &u1, err, sizeof(err)));
    assert_true(blockstore_write_undo(bs, 0, &h2, undo2, sizeof(undo2), &u2, err, sizeof(err)));
    assert_true(blockstore_write_undo(bs, 0, &h2, undo2, 0, &u0, err, sizeof(err)));
    assert_int_equal(u1.offset, 8);
    assert_int_equal(u2.offset, 8 + 50 + 32 + 8);
    assert_int_equal(blockstore_file_info(bs, 0)->undo_size, 2 * 8 + 50 + 77 + 2 * 32 + 8 + 32);
    assert_false(blockstore_write_undo(bs, 5, &h1, undo1, 1, &u1, err, sizeof(err)));
    assert_true(blockstore_flush(bs, true, err, sizeof(err)));
    assert_true(blockstore_flush(bs, false, err, sizeof(err)));

    uint8_t *d;
    size_t l;
    assert_true(blockstore_read_undo(bs, &u1, &h1, &d, &l, err, sizeof(err)));
    assert_int_equal(l, 50);
    assert_memory_equal(d, undo1, 50);
    free(d);
    assert_true(blockstore_read_undo(bs, &u2, &h2, &d, &l, err, sizeof(err)));
    assert_memory_equal(d, undo2, 77);
    free(d);
    /* Paired with the wrong block: checksum mismatch. */
    assert_false(blockstore_read_undo(bs, &u1, &h2, &d, &l, err, sizeof(err)));
    assert_null(d);
    assert_non_null(strstr(err, "checksum"));

    /* A flipped byte in the undo data. */
    assert_true(blockstore_file_path(path, sizeof(path), dir, "rev", 0));
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t x = 0;
    assert_int_equal(pwrite(fd, &x, 1, 8 + 10), 1);
    assert_false(blockstore_read_undo(bs, &u1, &h1, &d, &l, err, sizeof(err)));
    assert_non_null(strstr(err, "checksum"));
    /* Positions that do not point at a record. */
    struct blockstore_pos bad = {0, 4};
    assert_false(blockstore_read_undo(bs, &bad, &h1, &d, &l, err, sizeof(err)));
    bad.offset = 20; /* inside data: no magic */
    assert_false(blockstore_read_undo(bs, &bad, &h1, &d, &l, err, sizeof(err)));
    assert_non_null(strstr(err, "magic"));
    bad.offset = 1u << 30; /* past the end */
    assert_false(blockstore_read_block(bs, &bad, &d, &l, err, sizeof(err)));
    bad.file = 9; /* no such file */
    bad.offset = 8;
    assert_false(blockstore_read_block(bs, &bad, &d, &l, err, sizeof(err)));
    assert_null(d);
    /* A huge size field is refused before any allocation. */
    uint8_t huge[4] = {0xff, 0xff, 0xff, 0x7f};
    assert_int_equal(pwrite(fd, huge, 4, (off_t)u2.offset - 4), 4);
    assert_false(blockstore_read_undo(bs, &u2, &h2, &d, &l, err, sizeof(err)));
    assert_non_null(strstr(err, "out of range"));
    close(fd);

    /* A truncated block file: the second record loses its tail. */
    assert_true(blockstore_file_path(path, sizeof(path), dir, "blk", 0));
    assert_int_equal(truncate(path, (off_t)bp2.offset + 100), 0);
    assert_true(blockstore_read_block(bs, &bp, &d, &l, err, sizeof(err)));
    free(d);
    assert_false(blockstore_read_block(bs, &bp2, &d, &l, err, sizeof(err)));
    assert_non_null(strstr(err, "truncated"));
    /* A size field above the block limit. */
    fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t big[4];
    le32_write(big, BLOCKSTORE_MAX_BLOCK_SIZE + 1);
    assert_int_equal(pwrite(fd, big, 4, 4), 4);
    close(fd);
    assert_false(blockstore_read_block(bs, &bp, &d, &l, err, sizeof(err)));
    assert_non_null(strstr(err, "out of range"));
    blockstore_close(bs);
    free((void *)dir);
}

static void append(FILE *f, const void *p, size_t n)
{
    assert_int_equal(fwrite(p, 1, n, f), n);
}

static void append_record(FILE *f, const uint8_t *magic, const uint8_t *data, uint32_t len)
{
    uint8_t sz[4];
    le32_write(sz, len);
    append(f, magic, 4);
    append(f, sz, 4);
    append(f, data, len);
}

static void test_loadblock_garbage(void **state)
{
    const char *path = strdup(sub(state, "ext.dat"));
    const uint8_t *m = btc_magic();
    uint8_t rec[3][120], inner_outer[200];
    for (int i = 0; i < 3; i++) memset(rec[i], 0x30 + i, sizeof(rec[i]));
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    static const uint8_t junk[] = "some garbage \xf9\xbe partial magic \xf9\xbe\xb4 more";
    append(f, junk, sizeof(junk));
    append_record(f, m, rec[0], sizeof(rec[0]));
    append(f, m, 4); /* a magic with a size below 80 */
    append(f, "\x0a\x00\x00\x00", 4);
    append(f, m, 3); /* a magic cut short, then a good record right after */
    append_record(f, m, rec[1], sizeof(rec[1]));
    append(f, m, 4); /* a magic with a size above the limit */
    append(f, "\xff\xff\xff\x0f", 4);
    /* A record whose contents hold another record: returned whole, then, after
     * resync, the inner one. */
    memset(inner_outer, 0x55, sizeof(inner_outer));
    uint8_t *p = inner_outer + 10;
    memcpy(p, m, 4);
    le32_write(p + 4, 100);
    memset(p + 8, 0x66, 100);
    append_record(f, m, inner_outer, sizeof(inner_outer));
    append_record(f, m, rec[2], sizeof(rec[2]));
    /* A last record cut short. */
    append(f, m, 4);
    append(f, "\xc8\x00\x00\x00", 4);
    append(f, rec[0], 50);
    fclose(f);

    char err[256];
    struct blockfile_reader *r = blockfile_reader_open(path, m, err, sizeof(err));
    assert_non_null(r);
    uint8_t *d;
    size_t l;
    uint64_t off;
    assert_int_equal(blockfile_reader_next(r, &d, &l, &off, err, sizeof(err)), 1);
    assert_int_equal(l, 120);
    assert_memory_equal(d, rec[0], 120);
    assert_int_equal(off, sizeof(junk) + 8);
    free(d);
    assert_int_equal(blockfile_reader_next(r, &d, &l, &off, err, sizeof(err)), 1);
    assert_memory_equal(d, rec[1], 120);
    free(d);
    assert_int_equal(blockfile_reader_next(r, &d, &l, &off, err, sizeof(err)), 1);
    assert_int_equal(l, 200);
    free(d);
    blockfile_reader_resync(r); /* say it did not parse */
    assert_int_equal(blockfile_reader_next(r, &d, &l, &off, err, sizeof(err)), 1);
    assert_int_equal(l, 100);
    assert_int_equal(d[0], 0x66);
    free(d);
    assert_int_equal(blockfile_reader_next(r, &d, &l, &off, err, sizeof(err)), 1);
    assert_memory_equal(d, rec[2], 120);
    free(d);
    assert_int_equal(blockfile_reader_next(r, &d, &l, &off, err, sizeof(err)), 0);
    assert_null(d);
    assert_int_equal(blockfile_reader_next(r, &d, &l, &off, err, sizeof(err)), 0);
    assert_int_equal(blockfile_reader_records(r), 5);
    assert_true(blockfile_reader_skipped(r) > sizeof(junk));
    blockfile_reader_free(r);

    assert_null(blockfile_reader_open(sub(state, "missing.dat"), m, err, sizeof(err)));
    /* An empty file has no records. */
    f = fopen(path, "wb");
    fclose(f);
    r = blockfile_reader_open(path, m, err, sizeof(err));
    assert_int_equal(blockfile_reader_next(r, &d, &l, &off, err, sizeof(err)), 0);
    blockfile_reader_free(r);
    free((void *)path);
}

/* ---- blockindex ---- */

static void test_map(void **state)
{
    (void)state;
    struct block_map *m = block_map_new(1, 2);
    assert_non_null(m);
    enum { N = 5000 };
    for (uint32_t i = 0; i < N; i++) {
        uint256 h;
        sha256d(&i, sizeof(i), h.b);
        bool created = false;
        struct block_index *e = block_map_insert(m, &h, &created);
        assert_non_null(e);
        assert_true(created);
        assert_int_equal(e->height, -1);
        e->height = (int32_t)i;
    }
    assert_int_equal(block_map_count(m), N);
    for (uint32_t i = 0; i < N; i++) {
        uint256 h;
        sha256d(&i, sizeof(i), h.b);
        struct block_index *e = block_map_find(m, &h);
        assert_non_null(e);
        assert_int_equal(e->height, (int32_t)i);
        bool created = true;
        assert_ptr_equal(block_map_insert(m, &h, &created), e);
        assert_false(created);
    }
    uint256 absent;
    memset(&absent, 0xee, sizeof(absent));
    assert_null(block_map_find(m, &absent));
    size_t cursor = 0, n = 0;
    while (block_map_next(m, &cursor)) n++;
    assert_int_equal(n, N);
    block_map_free(m);
    block_map_free(NULL);
}

/* Builds the btc-main index of genesis + the 255 blocks' headers. */
static struct block_map *build_mainnet_index(struct block_index **tip)
{
    struct raw_blocks rb;
    load_raw(&rb);
    struct block_map *m = block_map_new(0x0123456789abcdefull, 0xfedcba9876543210ull);
    assert_non_null(m);
    struct block g;
    assert_true(chainparams_genesis_block(chainparams_by_name("btc-main"), &g));
    const char *why = NULL;
    struct block_index *e = block_map_add_header(m, &g.header, NULL, &why);
    assert_non_null(e);
    e->tx_count = 1;
    e->chain_tx = 1;
    block_clear(&g);
    for (size_t i = 0; i < rb.n; i++) {
        struct block_header h;
        block_header_from_bytes(&h, rb.data[i]);
        e = block_map_add_header(m, &h, NULL, &why);
        assert_non_null(e);
        assert_int_equal(e->height, (int32_t)i + 1);
        /* As if the data were stored and connected. */
        e->status |= BLOCK_HAVE_DATA | BLOCK_HAVE_UNDO;
        e->file = (uint32_t)i / 100;
        e->data_pos = 8 + (uint32_t)i * 223;
        e->undo_pos = 8 + (uint32_t)i * 41;
        e->tx_count = 1;
        e->chain_tx = e->prev->chain_tx + 1; /* what block arrival sets */
        block_index_raise_validity(e, BLOCK_VALID_SCRIPTS);
    }
    free_raw(&rb);
    *tip = e;
    return m;
}

static void check_mainnet_index(struct block_map *m, struct block_index *tip)
{
    char hex[65];
    uint256_to_hex(hex, &tip->hash);
    assert_string_equal(hex, TIP_255_HASH);
    assert_int_equal(tip->height, 255);
    assert_int_equal(block_map_count(m), 256);
    /* Every block is difficulty 1: work 0x100010001 each. */
    arith256 want, one;
    arith256_set_u64(&one, 0x100010001ull);
    arith256_mul_u32(&want, &one, 256);
    assert_int_equal(arith256_cmp(&tip->chain_work, &want), 0);
    /* Ancestors through skip pointers agree with walking parents, for every pair. */
    struct block_index *by_height[256];
    for (struct block_index *e = tip; e; e = e->prev) by_height[e->height] = e;
    assert_int_equal(by_height[0]->height, 0);
    for (int h = 0; h <= 255; h++) {
        struct block_index *e = by_height[h];
        assert_int_equal(e->height, h);
        assert_true(h < 2 || e->skip != NULL);
        if (e->skip) assert_true(e->skip->height < h);
        for (int a = 0; a <= h; a++) assert_ptr_equal(block_index_ancestor(e, a), by_height[a]);
        assert_null(block_index_ancestor(e, h + 1));
        assert_null(block_index_ancestor(e, -1));
        /* Median time past against a direct computation. */
        uint32_t t[11];
        int n = 0;
        for (struct block_index *p = e; p && n < 11; p = p->prev) t[n++] = p->time;
        for (int i = 1; i < n; i++)
            for (int j = i; j > 0 && t[j - 1] > t[j]; j--) {
                uint32_t x = t[j];
                t[j] = t[j - 1];
                t[j - 1] = x;
            }
        assert_int_equal(block_index_median_time_past(e), t[n / 2]);
        arith256 w;
        arith256_mul_u32(&w, &one, (uint32_t)h + 1);
        assert_int_equal(arith256_cmp(&e->chain_work, &w), 0);
        assert_int_equal(e->chain_tx, (uint64_t)h + 1);
        assert_true(e->time_max >= e->time);
    }
    /* Every block's bits are what Bitcoin's difficulty rule asks of it. */
    const struct pow_params *pp = &chainparams_by_name("btc-main")->pow;
    for (int h = 0; h <= 255; h++) {
        uint32_t bits = 0;
        assert_true(
            block_index_next_work_required(&bits, pp, by_height[h]->prev, by_height[h]->time));
        assert_int_equal(bits, by_height[h]->bits);
    }
    /* Median time past of block 255: the 6th smallest time of blocks 245..255. */
    assert_int_equal(block_index_median_time_past(tip), 1231792456);
}

static void test_index_in_memory(void **state)
{
    (void)state;
    struct block_index *tip;
    struct block_map *m = build_mainnet_index(&tip);
    check_mainnet_index(m, tip);

    /* Adding a known header returns the entry; an orphan is refused. */
    struct block_header h;
    block_index_header(tip, &h);
    const char *why = NULL;
    assert_ptr_equal(block_map_add_header(m, &h, NULL, &why), tip);
    h.prev_hash.b[0] ^= 1;
    assert_null(block_map_add_header(m, &h, NULL, &why));
    assert_string_equal(why, "prev-blk-not-found");

    /* A fork of three blocks off height 250. */
    struct block_index *fork_base = block_index_ancestor(tip, 250), *f = fork_base;
    for (int i = 0; i < 3; i++) {
        struct block_header fh;
        block_index_header(f, &fh);
        fh.prev_hash = f->hash;
        fh.nonce = 12345 + (uint32_t)i; /* no valid work needed in the index itself */
        f = block_map_add_header(m, &fh, NULL, &why);
        assert_non_null(f);
    }
    assert_int_equal(f->height, 253);
    assert_ptr_equal(block_index_fork_point(f, tip), fork_base);
    assert_ptr_equal(block_index_fork_point(tip, f), fork_base);
    assert_ptr_equal(block_index_fork_point(tip, tip), tip);

    struct active_chain c;
    active_chain_init(&c);
    assert_int_equal(active_chain_height(&c), -1);
    assert_null(active_chain_tip(&c));
    assert_true(active_chain_set_tip(&c, tip));
    assert_int_equal(active_chain_height(&c), 255);
    assert_ptr_equal(active_chain_tip(&c), tip);
    assert_int_equal(active_chain_genesis(&c)->height, 0);
    assert_ptr_equal(active_chain_at(&c, 250), fork_base);
    assert_null(active_chain_at(&c, 256));
    assert_true(active_chain_contains(&c, fork_base));
    assert_false(active_chain_contains(&c, f));
    assert_ptr_equal(active_chain_find_fork(&c, f), fork_base);
    assert_ptr_equal(active_chain_next(&c, fork_base), block_index_ancestor(tip, 251));
    assert_null(active_chain_next(&c, tip));
    assert_true(active_chain_set_tip(&c, f)); /* reorg to the fork */
    assert_ptr_equal(active_chain_tip(&c), f);
    assert_ptr_equal(active_chain_at(&c, 251)->prev, fork_base);
    assert_false(active_chain_contains(&c, tip));
    assert_ptr_equal(active_chain_find_fork(&c, tip), fork_base);
    assert_true(active_chain_set_tip(&c, tip));
    assert_ptr_equal(active_chain_at(&c, 253), block_index_ancestor(tip, 253));
    assert_true(active_chain_set_tip(&c, NULL));
    assert_int_equal(active_chain_height(&c), -1);
    active_chain_free(&c);

    /* Candidates: most work wins; ties go to the earlier arrival. */
    struct block_candidates s;
    block_candidates_init(&s);
    assert_null(block_candidates_best(&s));
    assert_true(block_candidates_add(&s, f));
    assert_true(block_candidates_add(&s, tip));
    assert_true(block_candidates_add(&s, tip));
    assert_int_equal(s.len, 2);
    assert_ptr_equal(block_candidates_best(&s), tip);
    struct block_index *f251 = block_index_ancestor(f, 251),
                       *t251 = block_index_ancestor(tip, 251);
    assert_true(block_candidates_add(&s, f251));
    assert_true(block_candidates_add(&s, t251));
    f251->sequence_id = 1;
    t251->sequence_id = 2;
    assert_true(block_index_work_cmp(f251, t251) > 0);
    assert_true(block_index_work_cmp(t251, f251) < 0);
    assert_int_equal(block_index_work_cmp(tip, tip), 0);
    block_candidates_prune(&s, f);
    assert_int_equal(s.len, 2); /* f and tip remain */
    assert_true(block_candidates_contains(&s, tip));
    assert_false(block_candidates_contains(&s, f251));
    block_candidates_remove(&s, tip);
    assert_ptr_equal(block_candidates_best(&s), f);
    block_candidates_free(&s);

    /* Validity: raised, never lowered; failed blocks are not valid at any level. */
    assert_true(block_index_is_valid(tip, BLOCK_VALID_SCRIPTS));
    assert_false(block_index_raise_validity(tip, BLOCK_VALID_TREE));
    f->status |= BLOCK_FAILED_VALID;
    assert_false(block_index_is_valid(f, BLOCK_VALID_TREE));
    assert_false(block_index_raise_validity(f, BLOCK_VALID_SCRIPTS));
    block_map_free(m);
}

static struct db *open_db(const char *path, bool wipe)
{
    char *err = NULL;
    struct db *db = db_open(path, 1u << 20, wipe, &err);
    if (!db) fail_msg("db_open %s: %s", path, err ? err : "?");
    return db;
}

static void test_index_persistence(void **state)
{
    char dbpath[512];
    snprintf(dbpath, sizeof(dbpath), "%s", sub(state, "index"));
    const uint256 *limit = &chainparams_by_name("btc-main")->pow.pow_limit;
    struct block_index *tip;
    struct block_map *m = build_mainnet_index(&tip);

    /* A block store with three files' worth of info to persist alongside. */
    char err[256];
    const char *bdir = strdup(sub(state, "blocks"));
    struct blockstore *bs = open_store(bdir, NULL, 0, 0);
    blockstore_set_max_file_size(bs, 20);
    uint8_t blk[100];
    memset(blk, 1, sizeof(blk));
    struct blockstore_pos p;
    for (int i = 0; i < 3; i++)
        assert_true(blockstore_write_block(bs, blk, sizeof(blk), i, 1000u + (uint32_t)i, &p,
                                           err, sizeof(err)));

    struct db *db = open_db(dbpath, true);
    char *derr = NULL;
    assert_false(blockindex_is_reindexing(db));
    assert_true(blockindex_write_reindexing(db, true, &derr));
    assert_true(blockindex_is_reindexing(db));
    assert_true(blockindex_write_reindexing(db, false, &derr));
    assert_false(blockindex_is_reindexing(db));
    /* A new index has no files. */
    struct blockfile_info *files;
    size_t nfiles;
    uint32_t last;
    assert_true(blockindex_load_files(db, &files, &nfiles, &last, &derr));
    assert_null(files);
    assert_int_equal(nfiles, 0);

    assert_true(blockindex_flush(db, m, bs, true, &derr));
    size_t cursor = 0;
    struct block_index *e;
    while ((e = block_map_next(m, &cursor))) assert_false(e->dirty);
    blockstore_close(bs);
    free((void *)bdir);
    db_close(db);

    db = open_db(dbpath, false);
    struct block_map *m2 = block_map_new(7, 8);
    assert_true(blockindex_load(db, m2, limit, &derr));
    assert_null(derr);
    struct block_index *tip2 = block_map_find(m2, &tip->hash);
    assert_non_null(tip2);
    check_mainnet_index(m2, tip2);
    cursor = 0;
    while ((e = block_map_next(m, &cursor))) {
        struct block_index *e2 = block_map_find(m2, &e->hash);
        assert_non_null(e2);
        assert_int_equal(e2->height, e->height);
        assert_int_equal(e2->status, e->status);
        assert_int_equal(e2->file, e->file);
        assert_int_equal(e2->data_pos, e->data_pos);
        assert_int_equal(e2->undo_pos, e->undo_pos);
        assert_int_equal(e2->tx_count, e->tx_count);
        assert_int_equal(e2->version, e->version);
        assert_int_equal(e2->time, e->time);
        assert_int_equal(e2->bits, e->bits);
        assert_int_equal(e2->nonce, e->nonce);
        assert_memory_equal(&e2->merkle_root, &e->merkle_root, 32);
        assert_int_equal(arith256_cmp(&e2->chain_work, &e->chain_work), 0);
        assert_false(e2->dirty);
    }
    assert_true(blockindex_load_files(db, &files, &nfiles, &last, &derr));
    assert_int_equal(nfiles, 3);
    assert_int_equal(last, 2);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(files[i].blocks, 1);
        assert_int_equal(files[i].size, 108);
        assert_int_equal(files[i].height_first, (int32_t)i);
        assert_int_equal(files[i].time_last, 1000 + i);
    }
    free(files);

    /* Corrupt records are refused with a message, never a crash. */
    struct db_batch *b = db_batch_new();
    uint8_t key[33];
    key[0] = 'b';
    memset(key + 1, 0x42, 32);
    db_batch_put(b, key, sizeof(key), "\x01\x02", 2); /* unparsable */
    assert_true(db_write(db, b, false, &derr));
    block_map_free(m2);
    m2 = block_map_new(7, 8);
    assert_false(blockindex_load(db, m2, limit, &derr));
    assert_non_null(derr);
    free(derr);
    derr = NULL;

    /* A well-formed entry stored under the wrong key. */
    uint8_t *val;
    size_t vlen;
    assert_true(blockindex_encode(tip, &val, &vlen));
    db_batch_clear(b);
    db_batch_put(b, key, sizeof(key), val, vlen);
    assert_true(db_write(db, b, false, &derr));
    block_map_free(m2);
    m2 = block_map_new(7, 8);
    assert_false(blockindex_load(db, m2, limit, &derr));
    assert_non_null(strstr(derr, "another header"));
    free(derr);
    derr = NULL;
    /* Trailing bytes after the header. */
    uint8_t *longer = malloc(vlen + 1);
    memcpy(longer, val, vlen);
    longer[vlen] = 0;
    struct block_index tmp;
    uint256 ph;
    assert_true(blockindex_decode(val, vlen, &tmp, &ph));
    assert_false(blockindex_decode(longer, vlen + 1, &tmp, &ph));
    for (size_t cut = 0; cut < vlen; cut++)
        assert_false(blockindex_decode(val, cut, &tmp, &ph));
    free(longer);
    free(val);

    /* A missing parent: remove block 100's record. */
    db_batch_clear(b);
    db_batch_delete(b, key, sizeof(key));
    key[0] = 'b';
    memcpy(key + 1, block_index_ancestor(tip, 100)->hash.b, 32);
    db_batch_delete(b, key, sizeof(key));
    assert_true(db_write(db, b, false, &derr));
    block_map_free(m2);
    m2 = block_map_new(7, 8);
    assert_false(blockindex_load(db, m2, limit, &derr));
    assert_non_null(strstr(derr, "no entry"));
    free(derr);
    derr = NULL;

    /* A bad last-file record and a bad file info. */
    db_batch_clear(b);
    db_batch_put(b, "l", 1, "\xff\xff\xff\xff", 4);
    assert_true(db_write(db, b, false, &derr));
    assert_false(blockindex_load_files(db, &files, &nfiles, &last, &derr));
    free(derr);
    derr = NULL;
    db_batch_clear(b);
    db_batch_put(b, "l", 1, "\x00\x00\x00\x00", 4);
    db_batch_put(b, "f\x00\x00\x00\x00", 5, "\x01", 1);
    assert_true(db_write(db, b, false, &derr));
    assert_false(blockindex_load_files(db, &files, &nfiles, &last, &derr));
    free(derr);
    db_batch_free(b);
    block_map_free(m2);
    block_map_free(m);
    db_close(db);
}

static void test_varint_layout(void **state)
{
    (void)state;
    /* An entry with data and undo positions: Core's CDiskBlockIndex layout. */
    struct block_index e;
    memset(&e, 0, sizeof(e));
    e.height = 128;
    e.status = BLOCK_VALID_SCRIPTS | BLOCK_HAVE_DATA | BLOCK_HAVE_UNDO;
    e.tx_count = 2;
    e.file = 3;
    e.data_pos = 16383;
    e.undo_pos = 0x7f;
    e.version = 1;
    e.time = 5;
    e.bits = 0x1d00ffff;
    uint8_t *v;
    size_t len;
    assert_true(blockindex_encode(&e, &v, &len));
    /* VARINT(10000)=cd10, VARINT(128)=8000, VARINT(29)=1d, 02, 03, VARINT(16383)=fe7f,
     * VARINT(127)=7f, then the 80-byte header. */
    static const uint8_t want[] = {0xcd, 0x10, 0x80, 0x00, 0x1d, 0x02, 0x03, 0xfe, 0x7f, 0x7f};
    assert_int_equal(len, sizeof(want) + 80);
    assert_memory_equal(v, want, sizeof(want));
    struct block_index d;
    uint256 ph;
    assert_true(blockindex_decode(v, len, &d, &ph));
    assert_int_equal(d.height, 128);
    assert_int_equal(d.data_pos, 16383);
    assert_int_equal(d.undo_pos, 127);
    assert_int_equal(d.file, 3);
    /* Every single-bit change parses or fails cleanly (run under ASan). */
    size_t parsed = 0;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            v[i] ^= (uint8_t)(1u << bit);
            if (blockindex_decode(v, len, &d, &ph)) parsed++;
            v[i] ^= (uint8_t)(1u << bit);
        }
    }
    assert_true(parsed > 0);
    free(v);
    /* A VARINT running past 64 bits is refused. */
    uint8_t over[100];
    memset(over, 0xff, sizeof(over));
    assert_false(blockindex_decode(over, sizeof(over), &d, &ph));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loadblock_mainnet),
        cmocka_unit_test_setup_teardown(test_round_trip, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_rollover, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_preallocate, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_undo_and_corruption, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_loadblock_garbage, setup_dir, teardown_dir),
        cmocka_unit_test(test_map),
        cmocka_unit_test(test_index_in_memory),
        cmocka_unit_test_setup_teardown(test_index_persistence, setup_dir, teardown_dir),
        cmocka_unit_test(test_varint_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
