/* Output descriptors (BIP380-386): text that names the scriptPubKeys of a wallet.
 *
 * Supported: pk, pkh, wpkh, sh, wsh, multi, sortedmulti, tr (key path only), addr,
 * raw and combo. A KEY is a hex public key, a WIF secret key or an xpub/xprv with an
 * optional origin "[fingerprint/path]" and a derivation path ending optionally in '*'
 * (ranged) or "*'" / "*h" (hardened ranged). Error messages follow Bitcoin Core's.
 *
 * Extended key derivation is done here with libsecp256k1 directly (same rules as
 * src/wallet/bip32.c) so that the chain library does not depend on the wallet one. A
 * secp256k1 context is created per parse/expand call; nothing is global. */
#ifndef IOP_CHAIN_DESCRIPTOR_H
#define IOP_CHAIN_DESCRIPTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "consensus/address.h"
#include "util/rpc_method.h"

struct descriptor;

/* One scriptPubKey produced by descriptor_expand. */
struct descriptor_script {
    uint8_t *data; /* malloc'd, owned by the list */
    size_t len;
};

/* The scriptPubKeys of one position (combo gives up to 4, others 1). */
struct descriptor_scripts {
    struct descriptor_script *items;
    size_t count;
};

/* Longest error message written to an err buffer, with the NUL. */
#define DESCRIPTOR_ERR_MAX 256

/* Parses text (an optional "#checksum" is verified when present) under network params
 * p. Returns a new descriptor (free with descriptor_free) or NULL with Core's message
 * in err (DESCRIPTOR_ERR_MAX bytes). */
__attribute__((warn_unused_result)) struct descriptor *
descriptor_parse(const char *text, const struct address_params *p,
                 char err[DESCRIPTOR_ERR_MAX]);

/* Frees d; NULL is a no-op. Secret keys are wiped. */
void descriptor_free(struct descriptor *d);

/* True when some key ends its path in '*'. */
bool descriptor_is_range(const struct descriptor *d);
/* True unless the descriptor is addr() or raw(). */
bool descriptor_is_solvable(const struct descriptor *d);
/* True when some key is a WIF or xprv. */
bool descriptor_has_private_keys(const struct descriptor *d);

/* The scriptPubKeys at position index (ignored for a descriptor that is not ranged)
 * into *out, which must be empty (zeroed); free with descriptor_scripts_clear. False
 * with a message in err when a hardened step needs a private key that is absent
 * ("Cannot derive script without private keys"), a derived key is invalid, index is
 * 2^31 or more, or out of memory. */
__attribute__((warn_unused_result)) bool descriptor_expand(const struct descriptor *d,
                                                           uint32_t index,
                                                           struct descriptor_scripts *out,
                                                           char err[DESCRIPTOR_ERR_MAX]);

void descriptor_scripts_clear(struct descriptor_scripts *s);

/* The public, normalized text of d followed by '#' and its checksum (Core's
 * getdescriptorinfo "descriptor"). New string (caller frees) or NULL when out of
 * memory. */
char *descriptor_to_string(const struct descriptor *d);

/* Core's ParseDescriptorRange for RPC arguments: a number n means [0, n], an array
 * [begin, end] itself. Fails with -8 "Range must be specified as end or as
 * [begin,end]", "Range specified as [begin,end] must not have begin after end", "Range
 * should be greater or equal than 0", "End of range is too high" or "Range is too
 * large" (1,000,000 positions or more). */
__attribute__((warn_unused_result)) bool
descriptor_parse_range(const json_t *v, int64_t *begin, int64_t *end, struct rpc_error *err);

#endif
