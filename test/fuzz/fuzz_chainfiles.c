/* libFuzzer harness for what the node reads back from disk or from a -loadblock file:
 * block index records (blockindex_decode, which must reject corruption cleanly and
 * re-encode what it accepts identically) and blk*.dat-layout files (the reader must
 * skip garbage, bound every record and never over-read), and chainstate coins and undo
 * records (decoded, re-encoded and decoded again). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/blockindex.h"
#include "chain/blockstore.h"
#include "chain/coins.h"
#include "chain/undo.h"
#include "consensus/block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_index_record(const uint8_t *data, size_t size)
{
    struct block_index idx;
    memset(&idx, 0, sizeof(idx));
    uint256 prev;
    if (!blockindex_decode(data, size, &idx, &prev)) return;
    /* The encoder takes the parent hash from the prev pointer, as the loader links it. */
    struct block_index parent;
    memset(&parent, 0, sizeof(parent));
    parent.hash = prev;
    idx.prev = &parent;
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    if (!blockindex_encode(&idx, &enc, &enc_len)) abort();
    struct block_index again;
    memset(&again, 0, sizeof(again));
    uint256 prev2;
    if (!blockindex_decode(enc, enc_len, &again, &prev2)) abort();
    if (again.height != idx.height || uint256_cmp(&prev, &prev2) != 0) abort();
    free(enc);
}

static void fuzz_block_file(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) snprintf(path, sizeof(path), "/tmp/iop-fuzz-blockfile-%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return;
    if (size) fwrite(data, 1, size, f);
    fclose(f);
    static const uint8_t magic[4] = {0xf9, 0xbe, 0xb4, 0xd9};
    char err[256];
    struct blockfile_reader *r = blockfile_reader_open(path, magic, err, sizeof(err));
    if (!r) return;
    for (int records = 0; records < 64; records++) {
        uint8_t *rec = NULL;
        size_t len = 0;
        uint64_t offset = 0;
        int got = blockfile_reader_next(r, &rec, &len, &offset, err, sizeof(err));
        if (got <= 0) break;
        if (len > size || offset > size) abort(); /* a record can only come from the file */
        struct block b;
        if (block_from_bytes(&b, rec, len, true))
            block_clear(&b);
        else
            blockfile_reader_resync(r);
        free(rec);
    }
    blockfile_reader_free(r);
}

static void fuzz_coin_and_undo(const uint8_t *data, size_t size)
{
    struct reader r;
    reader_init(&r, data, size);
    struct coin c;
    memset(&c, 0, sizeof(c));
    if (coin_deserialize(&r, &c)) {
        struct writer w;
        writer_init(&w);
        coin_serialize(&w, &c);
        struct reader r2;
        reader_init(&r2, w.data, w.len);
        struct coin again;
        memset(&again, 0, sizeof(again));
        if (!coin_deserialize(&r2, &again)) abort();
        if (again.height != c.height || again.out.value != c.out.value) abort();
        coin_clear(&again);
        writer_free(&w);
        coin_clear(&c);
    }
    reader_init(&r, data, size);
    struct block_undo u;
    block_undo_init(&u);
    if (block_undo_deserialize(&r, &u)) {
        struct writer w;
        writer_init(&w);
        block_undo_serialize(&w, &u);
        struct reader r2;
        reader_init(&r2, w.data, w.len);
        struct block_undo again;
        block_undo_init(&again);
        if (!block_undo_deserialize(&r2, &again) || again.count != u.count) abort();
        block_undo_clear(&again);
        writer_free(&w);
        block_undo_clear(&u);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_coin_and_undo(data, size);
    fuzz_index_record(data, size);
    fuzz_block_file(data, size);
    return 0;
}
