/* Chain profiles: the parameters that make a network, as constant data.
 *
 * The engine never tests a network name; it reads what it needs from the profile it was
 * started with. Profiles: "main", "test" and "regtest" (the IoP networks, SYSTEM.md
 * section 4) and the conformance profiles "btc-main" and "btc-regtest", which carry
 * Bitcoin's values so the engine can be checked against real Bitcoin data.
 *
 * A profile holds its name, address prefixes, message start, ports, genesis block and
 * consensus parameters. The profiles are const: they live in read-only storage and are
 * shared by all callers; code that needs to change one (-testactivationheight) copies
 * it first. doc/chain.md lists every value. */
#ifndef IOP_CHAIN_CHAINPARAMS_H
#define IOP_CHAIN_CHAINPARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/address.h"
#include "consensus/block.h"
#include "consensus/pow.h"

/* How a profile's genesis block is built: one coinbase transaction (version 1, lock time
 * 0) whose input script pushes the number 486604799, the number 4 and the timestamp text
 * (Bitcoin's layout, 04ffff001d0104 then the text push), and whose single output pays reward to
 * output_script. The header has version, time, bits and nonce as given, a zero parent and
 * the coinbase's txid as merkle root. hash and merkle_root are the expected results in
 * display hex; chainparams_check_genesis recomputes both. */
struct genesis_params {
    const char *timestamp;     /* the text in the coinbase input script */
    const char *output_script; /* hex */
    int64_t reward;            /* value of the single output */
    int32_t version;
    uint32_t time;
    uint32_t bits;
    uint32_t nonce;
    const char *hash;        /* display hex */
    const char *merkle_root; /* display hex */
};

/* A block that is exempt from a rule (BIP30's two duplicate coinbases on Bitcoin). */
struct block_exception {
    int32_t height;
    const char *hash; /* display hex */
};

/* Soft-fork activation: a rule applies to blocks at height >= its height (BIP16 by
 * block time instead, as in Bitcoin before Core made it a buried exception). 0 means
 * active from genesis; CHAIN_NEVER never. */
#define CHAIN_NEVER INT32_MAX

struct chain_activation {
    uint32_t bip16_time;  /* P2SH: blocks with time >= this (0: always) */
    int32_t bip34_height; /* height in coinbase, version >= 2 */
    int32_t bip66_height; /* strict DER, version >= 3 */
    int32_t bip65_height; /* CHECKLOCKTIMEVERIFY, version >= 4 */
    int32_t csv_height;   /* BIP68/112/113 */
    int32_t segwit_height;
    int32_t taproot_height;
    /* BIP30 (no overwriting unspent outputs) is skipped for these blocks. */
    const struct block_exception *bip30_exceptions;
    size_t bip30_exception_count;
};

/* Proof-of-service minting (SYSTEM.md section 5); data only until that work lands. */
struct minting_params {
    int32_t activation_height; /* CHAIN_NEVER: not scheduled yet */
    int32_t epoch_length;      /* blocks per epoch */
    int64_t collateral;        /* base units locked per operator */
};

struct chain_params {
    const char *name;           /* "main", "test", "regtest", "btc-main", ... */
    struct address_params addr; /* address, WIF and BIP32 prefixes, coin type */
    uint8_t magic[4];           /* message start: P2P messages and block file records */
    uint16_t default_port;      /* P2P listen / connect port */
    uint16_t rpc_port;          /* JSON-RPC port */
    const char *data_subdir;    /* "" for main, else the profile name: datadir/<subdir>/ */
    struct genesis_params genesis;
    struct pow_params pow;     /* pow_limit, difficulty algorithm and spacing */
    int64_t initial_subsidy;   /* base units per block before the first halving */
    int32_t halving_interval;  /* blocks between halvings */
    int32_t coinbase_maturity; /* confirmations before a coinbase output is spendable */
    struct chain_activation activation;
    bool allow_test_activation; /* -testactivationheight accepted (regtest profiles) */
    struct minting_params minting;
};

/* The profile called name (exact, case-sensitive match), or NULL if there is none.
 * The result points to static const data; never free it. */
const struct chain_params *chainparams_by_name(const char *name);

/* The i-th profile in a fixed order (main, test, regtest, btc-main, btc-regtest), or
 * NULL when i is past the end; for listing and for tests that loop over all. */
const struct chain_params *chainparams_at(size_t i);

/* Number of profiles chainparams_at serves. */
size_t chainparams_count(void);

/* The block subsidy at height: initial_subsidy halved every halving_interval blocks,
 * zero from the 64th halving on (Core's GetBlockSubsidy). */
int64_t chainparams_block_subsidy(const struct chain_params *p, int32_t height);

/* Builds p's genesis block into *out (which must own nothing; free with block_clear).
 * False only when out of memory. */
__attribute__((warn_unused_result)) bool chainparams_genesis_block(const struct chain_params *p,
                                                                   struct block *out);
/* The expected genesis hash (parsed from p->genesis.hash). */
void chainparams_genesis_hash(const struct chain_params *p, uint256 *out);

/* Rebuilds the genesis block of p (of every profile when p is NULL) and checks its
 * hash, its merkle root and its proof of work against the constants. Returns true when
 * all match; otherwise false with *why (may be NULL) pointing to a static message. The
 * daemon calls this at start-up. */
__attribute__((warn_unused_result)) bool chainparams_check_genesis(const struct chain_params *p,
                                                                   const char **why);

/* Applies one -testactivationheight=NAME@HEIGHT value ("NAME@HEIGHT", as Core: NAME is
 * bip34, dersig, cltv, csv, segwit or taproot) to a mutable copy of a profile. Only
 * profiles with allow_test_activation accept it. Returns false with a message in
 * err[errlen] for an unknown name, a bad height or a profile that does not allow it. */
__attribute__((warn_unused_result)) bool
chainparams_apply_test_activation(struct chain_params *p, const char *arg, char *err,
                                  size_t errlen);

#endif
