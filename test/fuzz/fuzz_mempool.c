/* libFuzzer harness for mempool.dat: mempool_parse_record on arbitrary bytes, and
 * mempool_load on the input written to a temporary file. Whatever parses must
 * re-serialize to the same record body; load must never crash or leak, whatever the
 * damage. (Not yet in test/fuzz/Makefile.am: the lead adds it.) */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/mempool.h"
#include "consensus/serialize.h"
#include "consensus/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) abort();                                                                  \
    } while (0)

static bool count_one(void *ctx, const struct tx *tx, int64_t time, int64_t fee_delta)
{
    (void)time;
    (void)fee_delta;
    size_t *n = ctx;
    (*n)++;
    return tx->vin_count % 2 == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Records back to back, as in the body of the file. */
    size_t pos = 0;
    while (pos < size) {
        struct tx tx;
        int64_t time, delta;
        size_t used = 0;
        if (!mempool_parse_record(data + pos, size - pos, &tx, &time, &delta, &used)) break;
        CHECK(used > 8 && used <= size - pos);
        struct writer w;
        writer_init(&w);
        tx_serialize(&w, &tx, true);
        write_i64(&w, time);
        write_i64(&w, delta);
        CHECK(w.failed || (w.len == used - 8 && memcmp(w.data, data + pos + 4, w.len) == 0));
        writer_free(&w);
        tx_clear(&tx);
        pos += used;
    }

    /* The whole input as a file. */
    char path[] = "/tmp/fuzz-mempool-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(path);
        return 0;
    }
    size_t written = fwrite(data, 1, size, f);
    fclose(f);
    if (written == size) {
        size_t n = 0;
        struct mempool_load_stats st;
        char *err = NULL;
        bool ok = mempool_load(path, count_one, &n, &st, &err);
        CHECK(st.read == n && st.accepted + st.failed == st.read && st.read <= st.expected);
        CHECK(ok || err);
        free(err);
    }
    unlink(path);
    return 0;
}
