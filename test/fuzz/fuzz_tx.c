/* libFuzzer harness: arbitrary bytes as a transaction, with and without BIP144
 * witness parsing. Whatever parses must serialize back to exactly the input (the
 * encoding is canonical), re-parse to the same thing, and survive every computation
 * and check on transactions without crashing or leaking. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/script.h"
#include "consensus/tx.h"
#include "consensus/tx_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *serialize(const struct tx *tx, bool witness, size_t *len)
{
    struct writer w;
    writer_init(&w);
    tx_serialize(&w, tx, witness);
    if (w.failed) abort();
    return writer_release(&w, len);
}

static void check_one(const uint8_t *data, size_t size, bool witness)
{
    struct tx tx;
    if (!tx_from_bytes(&tx, data, size, witness)) return;

    size_t len;
    uint8_t *out = serialize(&tx, witness, &len);
    if (len != size || memcmp(out, data, size) != 0) abort();
    if (tx_size(&tx, witness) != size) abort();

    struct tx again;
    if (!tx_from_bytes(&again, out, len, witness)) abort();
    size_t len2;
    uint8_t *out2 = serialize(&again, witness, &len2);
    if (len2 != len || memcmp(out, out2, len) != 0) abort();

    uint256 id1, id2, wid1, wid2;
    tx_txid(&tx, &id1);
    tx_txid(&again, &id2);
    tx_wtxid(&tx, &wid1);
    tx_wtxid(&again, &wid2);
    if (uint256_cmp(&id1, &id2) != 0 || uint256_cmp(&wid1, &wid2) != 0) abort();
    if (!tx_has_witness(&tx) && uint256_cmp(&id1, &wid1) != 0) abort();
    size_t weight = tx_weight(&tx);
    if (weight < 4 * tx_size(&tx, false) ||
        weight != 3 * tx_size(&tx, false) + tx_size(&tx, true))
        abort();

    const char *r1 = NULL, *r2 = NULL;
    bool ok1 = check_transaction(&tx, &r1), ok2 = check_transaction(&again, &r2);
    if (ok1 != ok2 || (!ok1 && (!r1 || !r2 || strcmp(r1, r2) != 0))) abort();

    (void)tx_legacy_sigop_count(&tx);
    /* Pretend each input spends one of the transaction's own outputs, so P2SH and
     * witness sigop counting see real-looking scripts. */
    if (tx.vout_count > 0 && tx.vin_count > 0) {
        struct tx_out *spent = malloc(tx.vin_count * sizeof(*spent));
        if (spent) {
            for (size_t i = 0; i < tx.vin_count; i++) spent[i] = tx.vout[i % tx.vout_count];
            (void)tx_p2sh_sigop_count(&tx, spent);
            (void)tx_sigop_cost(&tx, spent, SCRIPT_VERIFY_CONSENSUS);
            free(spent);
        }
    }

    struct tx copy;
    if (tx_copy(&copy, &tx)) {
        size_t len3;
        uint8_t *out3 = serialize(&copy, witness, &len3);
        if (len3 != len || memcmp(out3, out, len) != 0) abort();
        free(out3);
        tx_clear(&copy);
    }

    free(out2);
    free(out);
    tx_clear(&again);
    tx_clear(&tx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_one(data, size, false);
    check_one(data, size, true);
    /* Prefix parsing through a reader must agree with whole-buffer parsing. */
    struct reader r;
    struct tx tx;
    reader_init(&r, data, size);
    if (tx_deserialize(&r, &tx, true)) {
        if (r.failed || r.pos > size) abort();
        tx_clear(&tx);
    } else if (!r.failed) {
        abort();
    }
    return 0;
}
