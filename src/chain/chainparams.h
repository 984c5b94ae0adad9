/* Chain profiles: the parameters that make a network, as constant data.
 *
 * The engine never tests a network name; it reads what it needs from the profile it was
 * started with. Profiles: "main", "test" and "regtest" (the IoP networks, SYSTEM.md
 * section 4) and the conformance profiles "btc-main" and "btc-regtest", which carry
 * Bitcoin's values so the engine can be checked against real Bitcoin data.
 *
 * So far a profile holds its name and address prefixes; genesis, message start, ports
 * and consensus rules join struct chain_params as further members. Everything is const:
 * the structs live in read-only storage and are shared by all callers. */
#ifndef IOP_CHAIN_CHAINPARAMS_H
#define IOP_CHAIN_CHAINPARAMS_H

#include <stddef.h>

#include "consensus/address.h"

struct chain_params {
    const char *name;           /* "main", "test", "regtest", "btc-main", ... */
    struct address_params addr; /* address, WIF and BIP32 prefixes, coin type */
    /* Genesis, magic, ports and consensus parameters are added here by the chain work. */
};

/* The profile called name (exact, case-sensitive match), or NULL if there is none.
 * The result points to static const data; never free it. */
const struct chain_params *chainparams_by_name(const char *name);

/* The i-th profile in a fixed order (main, test, regtest, btc-main, btc-regtest), or
 * NULL when i is past the end; for listing and for tests that loop over all. */
const struct chain_params *chainparams_at(size_t i);

/* Number of profiles chainparams_at serves. */
size_t chainparams_count(void);

#endif
