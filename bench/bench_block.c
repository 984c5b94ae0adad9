/* bench_block FILE: deserializes one block and checks it context-free (proof of work
 * against its own bits, merkle root, witness commitment, sizes, weight, legacy sigops,
 * every transaction), prints "valid" or the reject reason, then repeats
 * deserialize+check for about a second and prints the mean time per block.
 *
 * FILE holds the block as raw bytes or as hex text (whitespace around it is ignored);
 * a raw file in blk*.dat layout (magic f9beb4d9, length, block) is read from its first
 * record. Exit status: 0 valid, 1 invalid block, 2 usage or unreadable file. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consensus/block.h"
#include "consensus/tx_check.h"
#include "util/hex.h"

#define TARGET_SECONDS 1.0

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

static bool is_space(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/* If data (trimmed) is an even-length run of hex digits, decodes it in place. */
static bool decode_if_hex(uint8_t *data, size_t *len)
{
    size_t start = 0, end = *len;
    while (start < end && is_space(data[start])) start++;
    while (end > start && is_space(data[end - 1])) end--;
    if (end == start || (end - start) % 2) return false;
    for (size_t i = start; i < end; i++)
        if (hex_digit((char)data[i]) < 0) return false;
    size_t out_len;
    if (!hex_decode(data, *len, &out_len, (const char *)data + start, end - start))
        return false;
    *len = out_len;
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE   (one serialized block, raw or hex)\n", argv[0]);
        return 2;
    }
    size_t len;
    uint8_t *file = read_all(argv[1], &len);
    if (!file) {
        fprintf(stderr, "bench_block: cannot read %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    bool hex = decode_if_hex(file, &len);
    const uint8_t *data = file;
    static const uint8_t magic[4] = {0xf9, 0xbe, 0xb4, 0xd9};
    if (len >= 8 && memcmp(data, magic, 4) == 0 && le32_read(data + 4) <= len - 8) {
        len = le32_read(data + 4);
        data += 8;
    }

    struct block b;
    if (!block_from_bytes(&b, data, len, true)) {
        printf("invalid: cannot deserialize a block from %s (%zu bytes%s)\n", argv[1], len,
               hex ? " after hex decoding" : "");
        free(file);
        return 1;
    }
    uint256 hash;
    char hash_hex[65];
    block_hash(&b, &hash);
    uint256_to_hex(hash_hex, &hash);
    printf("block %s: %zu transactions, %zu bytes, weight %zu\n", hash_hex, b.tx_count,
           block_size(&b, true), block_weight(&b));

    /* Proof of work is checked against the block's own bits only. */
    uint256 no_limit;
    memset(no_limit.b, 0xff, sizeof(no_limit.b));
    struct block_check_result res;
    bool valid = check_block(&b, &no_limit, CHECK_BLOCK_ALL, &res);
    if (valid)
        printf("valid\n");
    else
        printf("invalid: %s%s%s\n", res.reason, res.debug[0] ? " - " : "", res.debug);
    block_clear(&b);

    /* Mean of deserialize + check over about a second. */
    size_t runs = 0;
    double start = now_seconds(), elapsed;
    do {
        struct block t;
        struct block_check_result r;
        if (!block_from_bytes(&t, data, len, true)) {
            fprintf(stderr, "bench_block: block failed to deserialize on a repeat run\n");
            free(file);
            return 2;
        }
        if (check_block(&t, &no_limit, CHECK_BLOCK_ALL, &r) != valid) {
            fprintf(stderr, "bench_block: check result changed on a repeat run\n");
            block_clear(&t);
            free(file);
            return 2;
        }
        block_clear(&t);
        runs++;
        elapsed = now_seconds() - start;
    } while (elapsed < TARGET_SECONDS);
    printf("deserialize+check: %.2f us/block (mean of %zu runs)\n",
           elapsed * 1e6 / (double)runs, runs);
    free(file);
    return valid ? 0 : 1;
}
