/* Chain profiles as constant data (see chainparams.h, SYSTEM.md section 4 and
 * doc/chain.md). The genesis nonces of main, test and regtest were mined once with the
 * helper in test/unit/chainparams_tests.c (IOP_MINE_GENESIS=1) and are fixed here. */
#include "chain/chainparams.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/merkle.h"
#include "util/hex.h"

/* Targets as little-endian bytes (uint256 order): 28 bytes of ff under a zero top word
 * (Bitcoin, 2^224 - 1, compact 0x1d00ffff), 29 under 0x0f (iop, 2^236 - 1, compact
 * 0x1e0fffff: a genesis takes about 2^20 hashes), 31 under 0x7f (regtest, 2^255 - 1,
 * compact 0x207fffff). */
#define FF4  0xff, 0xff, 0xff, 0xff
#define FF28 FF4, FF4, FF4, FF4, FF4, FF4, FF4
// clang-format off
#define POW_LIMIT_BTC     {{FF28, 0x00, 0x00, 0x00, 0x00}}
#define POW_LIMIT_IOP     {{FF28, 0xff, 0x0f, 0x00, 0x00}}
#define POW_LIMIT_REGTEST {{FF28, 0xff, 0xff, 0xff, 0x7f}}
// clang-format on

/* The genesis coinbase of main, test and regtest: our own text, and an output nobody can
 * spend (OP_RETURN "Internet of People"). */
#define IOP_GENESIS_TEXT                                                                       \
    "24/Nov/2026 Internet of People starts over: a new chain for a free web"
#define IOP_GENESIS_SCRIPT "6a12496e7465726e6574206f662050656f706c65"
#define IOP_GENESIS_MERKLE "000131aa06eb877f5e477fef1b17622b3c051dbab3df57344518cbcc8e5579a6"

#define BTC_GENESIS_TEXT "The Times 03/Jan/2009 Chancellor on brink of second bailout for banks"
#define BTC_GENESIS_SCRIPT                                                                     \
    "4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f"    \
    "35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac"
#define BTC_GENESIS_MERKLE "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"

/* The two blocks whose coinbases duplicate earlier ones (BIP30). */
static const struct block_exception BTC_BIP30_EXCEPTIONS[] = {
    {91842, "00000000000a4d0a398161ffc163c503763b1f4360639393e0e4c8e300e0caec"},
    {91880, "00000000000743f190a18c5577a3c2d2a1f610ae9601ac046a38084ccb7cd721"},
};

/* Every Bitcoin soft fork from height 1 (SYSTEM.md section 4). */
#define IOP_ACTIVATION                                                                         \
    {                                                                                          \
        .bip16_time = 0, .bip34_height = 1, .bip66_height = 1, .bip65_height = 1,              \
        .csv_height = 1, .segwit_height = 1, .taproot_height = 1,                              \
    }

/* ASERT: per block, 120 s spacing, half-life 2 hours, anchored at height 1. */
#define IOP_POW                                                                                \
    {                                                                                          \
        .pow_limit = POW_LIMIT_IOP, .algo = POW_ALGO_ASERT, .target_spacing = 120,             \
        .target_timespan = 0, .asert_half_life = 7200, .asert_anchor_height = 1,               \
    }

static const struct chain_params PROFILES[] = {
    {
        .name = "main",
        .magic = {0xe9, 0xc6, 0xf7, 0xa1},
        .default_port = 4877,
        .rpc_port = 8337,
        .data_subdir = "",
        .genesis =
            {
                .timestamp = IOP_GENESIS_TEXT,
                .output_script = IOP_GENESIS_SCRIPT,
                .reward = 10 * COIN,
                .version = 1,
                .time = 1795478400, /* 2026-11-24 00:00:00 UTC */
                .bits = 0x1e0fffff,
                .nonce = 509197,
                .hash = "000002307432b2b02c1c753de97bf832d696f1335be8d995f55280c03dbe8abd",
                .merkle_root = IOP_GENESIS_MERKLE,
            },
        .pow = IOP_POW,
        .initial_subsidy = 10 * COIN,
        .halving_interval = 1050000,
        .coinbase_maturity = 100,
        .activation = IOP_ACTIVATION,
        .allow_test_activation = false,
        .minting = {.activation_height = CHAIN_NEVER,
                    .epoch_length = 30,
                    .collateral = 1000 * COIN},
        .addr =
            {
                .p2pkh_version = 117, /* addresses start with 'p' */
                .p2sh_version = 174,
                .wif_version = 49,
                .bech32_hrp = "iop",
                .xpub_version = 0x2780915F,
                .xprv_version = 0xAE3416F6,
                .bip44_coin_type = 66,
            },
    },
    {
        .name = "test",
        .magic = {0xe2, 0xd4, 0xc9, 0xb6},
        .default_port = 7475,
        .rpc_port = 14337,
        .data_subdir = "test",
        .genesis =
            {
                .timestamp = IOP_GENESIS_TEXT,
                .output_script = IOP_GENESIS_SCRIPT,
                .reward = 10 * COIN,
                .version = 1,
                .time = 1795478460, /* 2026-11-24 00:01:00 UTC */
                .bits = 0x1e0fffff,
                .nonce = 1059283,
                .hash = "000009d14edce2d563747d3f158ea5f08accf142ebaf132037c3c223e19a0d49",
                .merkle_root = IOP_GENESIS_MERKLE,
            },
        .pow = IOP_POW,
        .initial_subsidy = 10 * COIN,
        .halving_interval = 1050000,
        .coinbase_maturity = 100,
        .activation = IOP_ACTIVATION,
        .allow_test_activation = false,
        .minting = {.activation_height = CHAIN_NEVER,
                    .epoch_length = 30,
                    .collateral = 1000 * COIN},
        .addr =
            {
                .p2pkh_version = 130,
                .p2sh_version = 49,
                .wif_version = 76,
                .bech32_hrp = "tiop",
                .xpub_version = 0xBB8F4852,
                .xprv_version = 0x2B7FA42A,
                .bip44_coin_type = 1,
            },
    },
    {
        .name = "regtest",
        .magic = {0xfc, 0xc3, 0xd8, 0xb2},
        .default_port = 14877,
        .rpc_port = 18337,
        .data_subdir = "regtest",
        .genesis =
            {
                .timestamp = IOP_GENESIS_TEXT,
                .output_script = IOP_GENESIS_SCRIPT,
                .reward = 10 * COIN,
                .version = 1,
                .time = 1795478520, /* 2026-11-24 00:02:00 UTC */
                .bits = 0x207fffff,
                .nonce = 1,
                .hash = "3a7467c2014616cb12bebbf122c3b2190fd2632529dd369d5a2bfc0094f5e851",
                .merkle_root = IOP_GENESIS_MERKLE,
            },
        .pow =
            {
                .pow_limit = POW_LIMIT_REGTEST,
                .algo = POW_ALGO_NONE,
                .target_spacing = 120,
                .allow_min_difficulty = true,
                .no_retargeting = true,
            },
        .initial_subsidy = 10 * COIN,
        .halving_interval = 150,
        .coinbase_maturity = 100,
        .activation = IOP_ACTIVATION,
        .allow_test_activation = true,
        .minting = {.activation_height = CHAIN_NEVER,
                    .epoch_length = 10,
                    .collateral = 10 * COIN},
        .addr =
            {
                .p2pkh_version = 130,
                .p2sh_version = 49,
                .wif_version = 76,
                .bech32_hrp = "riop",
                .xpub_version = 0xBB8F4852,
                .xprv_version = 0x2B7FA42A,
                .bip44_coin_type = 1,
            },
    },
    {
        .name = "btc-main",
        .magic = {0xf9, 0xbe, 0xb4, 0xd9},
        .default_port = 8333,
        .rpc_port = 8332,
        .data_subdir = "btc-main",
        .genesis =
            {
                .timestamp = BTC_GENESIS_TEXT,
                .output_script = BTC_GENESIS_SCRIPT,
                .reward = 50 * COIN,
                .version = 1,
                .time = 1231006505,
                .bits = 0x1d00ffff,
                .nonce = 2083236893,
                .hash = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
                .merkle_root = BTC_GENESIS_MERKLE,
            },
        .pow =
            {
                .pow_limit = POW_LIMIT_BTC,
                .algo = POW_ALGO_BTC_RETARGET,
                .target_spacing = 600,
                .target_timespan = 14 * 24 * 60 * 60,
            },
        .initial_subsidy = 50 * COIN,
        .halving_interval = 210000,
        .coinbase_maturity = 100,
        .activation =
            {
                .bip16_time = 1333238400, /* 2012-04-01 */
                .bip34_height = 227931,
                .bip66_height = 363725,
                .bip65_height = 388381,
                .csv_height = 419328,
                .segwit_height = 481824,
                .taproot_height = 709632,
                .bip30_exceptions = BTC_BIP30_EXCEPTIONS,
                .bip30_exception_count = 2,
            },
        .allow_test_activation = false,
        .minting = {.activation_height = CHAIN_NEVER},
        .addr =
            {
                .p2pkh_version = 0,
                .p2sh_version = 5,
                .wif_version = 128,
                .bech32_hrp = "bc",
                .xpub_version = 0x0488B21E,
                .xprv_version = 0x0488ADE4,
                .bip44_coin_type = 0,
            },
    },
    {
        .name = "btc-regtest",
        .magic = {0xfa, 0xbf, 0xb5, 0xda},
        .default_port = 18444,
        .rpc_port = 18443,
        .data_subdir = "btc-regtest",
        .genesis =
            {
                .timestamp = BTC_GENESIS_TEXT,
                .output_script = BTC_GENESIS_SCRIPT,
                .reward = 50 * COIN,
                .version = 1,
                .time = 1296688602,
                .bits = 0x207fffff,
                .nonce = 2,
                .hash = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
                .merkle_root = BTC_GENESIS_MERKLE,
            },
        .pow =
            {
                .pow_limit = POW_LIMIT_REGTEST,
                .algo = POW_ALGO_BTC_RETARGET,
                .target_spacing = 600,
                .target_timespan = 14 * 24 * 60 * 60,
                .allow_min_difficulty = true,
                .no_retargeting = true,
            },
        .initial_subsidy = 50 * COIN,
        .halving_interval = 150,
        .coinbase_maturity = 100,
        /* Bitcoin Core's regtest: BIP34/65/66 and CSV at 1, SegWit and Taproot from
         * genesis; -testactivationheight moves them. */
        .activation =
            {
                .bip16_time = 0,
                .bip34_height = 1,
                .bip66_height = 1,
                .bip65_height = 1,
                .csv_height = 1,
                .segwit_height = 0,
                .taproot_height = 0,
            },
        .allow_test_activation = true,
        .minting = {.activation_height = CHAIN_NEVER},
        .addr =
            {
                .p2pkh_version = 111,
                .p2sh_version = 196,
                .wif_version = 239,
                .bech32_hrp = "bcrt",
                .xpub_version = 0x043587CF,
                .xprv_version = 0x04358394,
                .bip44_coin_type = 1,
            },
    },
};

#define PROFILE_COUNT (sizeof(PROFILES) / sizeof(PROFILES[0]))

const struct chain_params *chainparams_by_name(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < PROFILE_COUNT; i++)
        if (strcmp(PROFILES[i].name, name) == 0) return &PROFILES[i];
    return NULL;
}

const struct chain_params *chainparams_at(size_t i)
{
    return i < PROFILE_COUNT ? &PROFILES[i] : NULL;
}

size_t chainparams_count(void) { return PROFILE_COUNT; }

int64_t chainparams_block_subsidy(const struct chain_params *p, int32_t height)
{
    if (height < 0 || p->halving_interval <= 0) return 0;
    int32_t halvings = height / p->halving_interval;
    if (halvings >= 64) return 0; /* a shift by 64 or more is undefined in C */
    return p->initial_subsidy >> halvings;
}

void chainparams_genesis_hash(const struct chain_params *p, uint256 *out)
{
    if (!uint256_from_hex(out, p->genesis.hash)) memset(out, 0, sizeof(*out));
}

bool chainparams_genesis_block(const struct chain_params *p, struct block *out)
{
    const struct genesis_params *g = &p->genesis;
    size_t text_len = strlen(g->timestamp);
    if (text_len > 255) return false; /* one PUSHDATA1 at most */

    block_init(out);
    struct tx *tx = calloc(1, sizeof(*tx));
    if (!tx) return false;
    tx_init(tx);
    out->txs = tx;
    out->tx_count = 1;
    tx->version = 1;
    tx->locktime = 0;
    tx->vin = calloc(1, sizeof(*tx->vin));
    tx->vout = calloc(1, sizeof(*tx->vout));
    if (!tx->vin || !tx->vout) goto oom;
    tx->vin_count = 1;
    tx->vout_count = 1;

    /* 486604799 and 4 as script numbers (Bitcoin's layout), then the text. */
    static const uint8_t prefix[] = {0x04, 0xff, 0xff, 0x00, 0x1d, 0x01, 0x04};
    struct tx_in *in = &tx->vin[0];
    in->script_sig = malloc(sizeof(prefix) + 2 + text_len);
    if (!in->script_sig) goto oom;
    size_t n = 0;
    memcpy(in->script_sig, prefix, sizeof(prefix));
    n += sizeof(prefix);
    if (text_len >= 0x4c) in->script_sig[n++] = 0x4c; /* OP_PUSHDATA1 */
    in->script_sig[n++] = (uint8_t)text_len;
    memcpy(in->script_sig + n, g->timestamp, text_len);
    in->script_sig_len = n + text_len;
    memset(&in->prevout.hash, 0, sizeof(in->prevout.hash));
    in->prevout.n = 0xffffffffu;
    in->sequence = SEQUENCE_FINAL;

    struct tx_out *o = &tx->vout[0];
    o->value = g->reward;
    if (!hex_decode_alloc(g->output_script, &o->script_pubkey, &o->script_pubkey_len)) goto oom;

    out->header.version = g->version;
    memset(&out->header.prev_hash, 0, sizeof(out->header.prev_hash));
    out->header.time = g->time;
    out->header.bits = g->bits;
    out->header.nonce = g->nonce;
    if (!block_merkle_root(&out->header.merkle_root, NULL, out)) goto oom;
    return true;
oom:
    block_clear(out);
    return false;
}

static bool check_one_genesis(const struct chain_params *p, const char **why)
{
    struct block b;
    if (!chainparams_genesis_block(p, &b)) {
        *why = "out of memory building the genesis block";
        return false;
    }
    uint256 hash, want_hash, want_root;
    block_hash(&b, &hash);
    bool ok = uint256_from_hex(&want_hash, p->genesis.hash) &&
              uint256_from_hex(&want_root, p->genesis.merkle_root);
    if (!ok)
        *why = "genesis constants are not valid hex";
    else if (uint256_cmp(&b.header.merkle_root, &want_root) != 0)
        ok = false, *why = "genesis merkle root does not match";
    else if (uint256_cmp(&hash, &want_hash) != 0)
        ok = false, *why = "genesis hash does not match";
    else if (!check_proof_of_work(&hash, b.header.bits, &p->pow.pow_limit))
        ok = false, *why = "genesis block fails its proof of work";
    block_clear(&b);
    return ok;
}

bool chainparams_check_genesis(const struct chain_params *p, const char **why)
{
    const char *dummy;
    if (!why) why = &dummy;
    *why = NULL;
    if (p) return check_one_genesis(p, why);
    for (size_t i = 0; i < PROFILE_COUNT; i++)
        if (!check_one_genesis(&PROFILES[i], why)) return false;
    return true;
}

bool chainparams_apply_test_activation(struct chain_params *p, const char *arg, char *err,
                                       size_t errlen)
{
    if (!p->allow_test_activation) {
        snprintf(err, errlen, "-testactivationheight is only allowed on regtest profiles");
        return false;
    }
    const char *at = arg ? strchr(arg, '@') : NULL;
    if (!at) {
        snprintf(err, errlen, "Invalid format (%s) for -testactivationheight=name@height.",
                 arg ? arg : "");
        return false;
    }
    const char *num = at + 1;
    char *end;
    errno = 0;
    long long h = strtoll(num, &end, 10);
    if (*num < '0' || *num > '9' || *end || errno || h < 0 || h >= CHAIN_NEVER) {
        snprintf(err, errlen,
                 "Invalid height value (%s) for -testactivationheight=name@height.", arg);
        return false;
    }
    static const struct {
        const char *name;
        size_t offset;
    } names[] = {
        {"bip34", offsetof(struct chain_activation, bip34_height)},
        {"dersig", offsetof(struct chain_activation, bip66_height)},
        {"cltv", offsetof(struct chain_activation, bip65_height)},
        {"csv", offsetof(struct chain_activation, csv_height)},
        {"segwit", offsetof(struct chain_activation, segwit_height)},
        {"taproot", offsetof(struct chain_activation, taproot_height)},
    };
    size_t name_len = (size_t)(at - arg);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i].name) == name_len && memcmp(names[i].name, arg, name_len) == 0) {
            int32_t *field = (int32_t *)(void *)((char *)&p->activation + names[i].offset);
            *field = (int32_t)h;
            return true;
        }
    }
    snprintf(err, errlen, "Invalid name (%s) for -testactivationheight=name@height.", arg);
    return false;
}
