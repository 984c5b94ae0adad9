/* libFuzzer harness for the standardness policy: the template solver on arbitrary
 * scripts, and the transaction-level checks on arbitrary transactions whose inputs are
 * taken to spend the transaction's own outputs (so P2SH and witness paths are reached
 * without a UTXO set). Nothing may crash, leak or disagree with itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/policy.h"
#include "consensus/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_script(const struct policy_params *p, const uint8_t *s, size_t len)
{
    struct script_solution sol;
    enum txout_type t = policy_solve(s, len, &sol);
    (void)policy_txout_type_name(t);
    enum txout_type t2;
    bool standard = policy_is_standard_script(p, s, len, &t2);
    if (standard && t2 != t) abort(); /* both must name the same template */
    struct tx_out out = {.value = 1000, .script_pubkey = (uint8_t *)s, .script_pubkey_len = len};
    int64_t dust = policy_dust_threshold(&out, p->dust_relay_fee);
    if (dust < 0) abort();
    (void)policy_is_dust(&out, p->dust_relay_fee);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct policy_params p;
    policy_params_default(&p);
    check_script(&p, data, size);

    struct tx tx;
    if (!tx_from_bytes(&tx, data, size, true)) return 0;
    const char *reason = NULL;
    (void)policy_is_standard_tx(&p, &tx, &reason);
    (void)policy_check_tx_size_small(&tx, &reason);
    (void)policy_dust_count(&tx, p.dust_relay_fee);
    (void)policy_signals_rbf(&tx);
    for (size_t i = 0; i < tx.vout_count; i++)
        check_script(&p, tx.vout[i].script_pubkey, tx.vout[i].script_pubkey_len);
    if (tx.vout_count > 0 && tx.vin_count > 0) {
        struct tx_out *spent = calloc(tx.vin_count, sizeof(*spent));
        if (spent) {
            for (size_t i = 0; i < tx.vin_count; i++) spent[i] = tx.vout[i % tx.vout_count];
            (void)policy_are_inputs_standard(&tx, spent, &reason);
            (void)policy_is_witness_standard(&tx, spent, &reason);
            free(spent);
        }
    }
    (void)policy_tx_virtual_size(&tx, 0, 20);
    tx_clear(&tx);
    return 0;
}
