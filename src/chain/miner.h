/* The block assembler (Bitcoin Core's BlockAssembler, simplified) and the regtest-style
 * nonce search behind the generate* RPCs.
 *
 * miner_create_block builds a block on the active tip:
 *   - header: version 0x20000000 (BIP9 top bits, no deployment signalled), the tip as
 *     parent, time max(MTP(tip) + 1, now), bits from the difficulty rules
 *     (block_index_next_work_required), nonce 0, merkle root filled in;
 *   - coinbase: one input with a null prevout whose scriptSig is
 *     CScript() << height << extra_nonce (BIP34; extra nonce 0 is OP_0, Core's layout),
 *     an output paying subsidy (chainparams_block_subsidy) + fees to the given
 *     scriptPubKey and, once SegWit is active at the new height, the BIP141 witness
 *     commitment output with the 32-zero-byte witness reserved value as the coinbase
 *     witness (Core adds it whether or not any transaction has a witness);
 *   - transactions (unless opts->use_mempool is false): mempool entries in
 *     ancestor-score order, each taken together with its not yet included in-pool
 *     ancestors (parents first) while the package pays at least -blockmintxfee, fits in
 *     the block weight (max_weight, with 4000 weight units reserved for the coinbase)
 *     and the sigop budget (MAX_BLOCK_SIGOPS_COST, 400 reserved), and every transaction
 *     of it is final at the new height with MTP(tip) as lock-time cutoff.
 *
 * The minting payee split of SYSTEM.md section 5 is not done here: see
 * MINER_MINTING_HOOK in miner.c, where the coinbase outputs are laid out.
 *
 * The caller holds the node's lock around every call that takes a chainstate or mempool. */
#ifndef IOP_CHAIN_MINER_H
#define IOP_CHAIN_MINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/mempool.h"
#include "chain/validation.h"
#include "consensus/block.h"

#define MINER_WU __attribute__((warn_unused_result))

/* Core's DEFAULT_BLOCK_MAX_WEIGHT (MAX_BLOCK_WEIGHT - 4000). */
#define MINER_DEFAULT_BLOCK_MAX_WEIGHT (MAX_BLOCK_WEIGHT - 4000)
/* Weight and sigop cost kept free for the coinbase (Core's BlockAssembler). */
#define MINER_COINBASE_WEIGHT_RESERVE 4000
#define MINER_COINBASE_SIGOPS_RESERVE 400
/* Core's generate* default for maxtries. */
#define MINER_DEFAULT_MAX_TRIES 1000000
/* Block version: VERSIONBITS_TOP_BITS with no deployment bit. */
#define MINER_BLOCK_VERSION 0x20000000

struct miner_options {
    int64_t max_weight;   /* block weight limit; 0 means MINER_DEFAULT_BLOCK_MAX_WEIGHT */
    int64_t min_fee_rate; /* -blockmintxfee, sat/kvB */
    bool use_mempool;     /* false: coinbase only (generateblock) */
    uint64_t extra_nonce; /* pushed after the height in the coinbase scriptSig */
};

/* Defaults: Core's weight limit, min_fee_rate 1000 sat/kvB, use_mempool true. */
void miner_options_default(struct miner_options *o);

/* A block and what getblocktemplate reports about its transactions. */
struct block_template {
    struct block block; /* owned */
    /* Per transaction (index 0 is the coinbase): fee (coinbase: minus the total fees, as
     * Core) and sigop cost. */
    int64_t *fees;
    int64_t *sigops;
    int32_t height;
    int64_t total_fees;
    int64_t weight;      /* total block weight, coinbase included */
    int64_t sigop_cost;  /* total sigop cost, coinbase included */
    bool has_commitment; /* the coinbase carries a witness commitment */
};

void block_template_init(struct block_template *t);
void block_template_clear(struct block_template *t);

/* Builds a block template on cs's tip paying to script (script_len bytes). pool may be
 * NULL (no transactions). now: the node's time in seconds. False with err[errlen] on
 * out of memory or a missing tip. *out must be initialized and own nothing. */
MINER_WU bool miner_create_block(struct chainstate *cs, struct mempool *pool,
                                 const uint8_t *script, size_t script_len, int64_t now,
                                 const struct miner_options *opts, struct block_template *out,
                                 char *err, size_t errlen);

/* Writes the coinbase scriptSig CScript() << height << extra_nonce into out (at most
 * 18 bytes); returns its length. */
size_t miner_coinbase_script_sig(uint8_t out[18], int32_t height, uint64_t extra_nonce);

/* Core's RegenerateCommitments: recomputes the witness commitment output of b's coinbase
 * (when it has one) over the current transactions, then the merkle root. False on out
 * of memory. */
MINER_WU bool miner_regenerate_commitments(struct block *b);

/* Core's UpdateUncommittedBlockStructures: when segwit_active and the coinbase has a
 * witness commitment output but no witness, gives its input the 32-zero-byte witness
 * reserved value. False on out of memory. */
MINER_WU bool miner_update_uncommitted(struct block *b, bool segwit_active);

/* Core's GenerateBlock nonce loop: increments the header nonce from its current value
 * while the hash does not meet bits, decrementing *max_tries per step. True when a
 * valid nonce was found with tries left. False when the tries ran out (also when that
 * happened at a valid nonce, as Core) or the nonce reached UINT32_MAX (then
 * *exhausted_nonce is set). */
bool miner_solve(struct block *b, const uint256 *pow_limit, uint64_t *max_tries,
                 bool *exhausted_nonce);

#endif
