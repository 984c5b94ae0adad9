#define _XOPEN_SOURCE 700
#include "test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>
#include <sys/stat.h>

#include "util/hex.h"

const char *test_vector_path(const char *relative)
{
    static char path[4096];
    const char *dir = getenv("IOP_VECTORS_DIR");
    if (dir && *dir)
        snprintf(path, sizeof(path), "%s/%s", dir, relative);
    else
        snprintf(path, sizeof(path), "%s/../shared/vectors/%s", IOP_SOURCE_DIR, relative);
    return path;
}

const char *test_data_path(const char *relative)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/test/data/%s", IOP_SOURCE_DIR, relative);
    return path;
}

uint8_t *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) break;
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        cap *= 2;
        uint8_t *nb = realloc(buf, cap + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = n;
    }
    return buf;
}

json_t *test_load_json(const char *path)
{
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j) fail_msg("cannot load %s: %s (line %d)", path, jerr.text, jerr.line);
    return j;
}

uint8_t *test_unhex(const char *hex, size_t *len)
{
    uint8_t *out;
    if (!hex_decode_alloc(hex, &out, len)) fail_msg("bad hex in test data: %.80s", hex);
    return out;
}

const char *test_hex(const uint8_t *data, size_t len)
{
    static char buf[8193];
    if (len > 4096) len = 4096;
    hex_encode(buf, data, len);
    return buf;
}

void test_report_count(const char *what, size_t n)
{
    printf("%s: %zu cases\n", what, n);
    fflush(stdout);
}

char *test_make_tmpdir(const char *prefix)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "/tmp/%s-XXXXXX", prefix);
    if (!mkdtemp(buf)) fail_msg("cannot create a temporary directory %s", buf);
    char *dir = strdup(buf);
    if (!dir) fail_msg("out of memory");
    return dir;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void test_remove_tree(const char *dir)
{
    if (dir) nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
