/* Fuzzes the parsers of the wallet's and the fee estimator's files and texts: the first
 * byte picks one, the rest is its input. Mnemonic text (bip39_check), the crypter's
 * master key record (crypter_record_params, and crypter_unlock for cheap parameters), fee_estimates.dat (fees_load) and a
 * wallet.dat candidate (walletdb_open: SQLite's own parsing plus our application-id,
 * schema and quick_check gates). None may crash or leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/fees.h"
#include "wallet/bip39.h"
#include "wallet/crypter.h"
#include "wallet/walletdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data to a fresh temporary file; returns its path in buf or false. */
static int write_temp(char *buf, size_t len, const uint8_t *data, size_t size)
{
    snprintf(buf, len, "/tmp/fuzz_walletfiles_%ld_XXXXXX", (long)getpid());
    int fd = mkstemp(buf);
    if (fd < 0) return 0;
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    close(fd);
    return off == size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t kind = data[0] % 4;
    data++;
    size--;
    char err[256];
    switch (kind) {
    case 0: {
        char *text = malloc(size + 1);
        if (!text) return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        (void)bip39_check(text, err, sizeof err);
        uint8_t ent[BIP39_ENTROPY_MAX];
        size_t elen = 0;
        (void)bip39_to_entropy(ent, &elen, text, err, sizeof err);
        free(text);
        break;
    }
    case 1: {
        struct crypter_params p;
        if (crypter_record_params(&p, data, size) != CRYPTER_OK) break;
        /* Unlocking runs scrypt with the record's parameters: only cheap ones here (the
         * range check itself is exercised for all). */
        if (p.log2_n <= 10 && p.r <= 8 && p.p <= 2) {
            struct crypter_key k;
            if (crypter_unlock(&k, data, size, "fuzz", err, sizeof err) == CRYPTER_OK)
                crypter_key_clear(&k);
        }
        break;
    }
    case 2: {
        char path[128];
        if (!write_temp(path, sizeof path, data, size)) return 0;
        struct fee_estimator *est = fees_new(1, 2);
        if (est) {
            char *e = NULL;
            (void)fees_load(est, path, 1800000000, &e);
            free(e);
            fees_free(est);
        }
        unlink(path);
        break;
    }
    case 3: {
        char path[128];
        if (!write_temp(path, sizeof path, data, size)) return 0;
        struct walletdb *db = NULL;
        if (walletdb_open(&db, path, WALLETDB_OPEN, err, sizeof err)) walletdb_close(db);
        unlink(path);
        char side[160];
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-journal", path);
        unlink(side);
        break;
    }
    }
    return 0;
}
