/* Chain profiles as constant data (see chainparams.h and SYSTEM.md section 4). */
#include "chain/chainparams.h"

#include <string.h>

static const struct chain_params PROFILES[] = {
    {
        .name = "main",
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
