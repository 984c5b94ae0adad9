/* Bitcoin script: opcodes, verification flags, error kinds and the interpreter.
 *
 * Contract for the interpreter (interpreter.c) and its helpers (opcodes.c). Flag bits,
 * error kinds and their names are Bitcoin Core's, so the published vectors
 * (script_tests.json, tx_valid.json, ...) can be compared directly. */
#ifndef IOP_CONSENSUS_SCRIPT_H
#define IOP_CONSENSUS_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "consensus/hash.h"
#include "consensus/tx.h"

#define MAX_SCRIPT_ELEMENT_SIZE 520
#define MAX_OPS_PER_SCRIPT 201
#define MAX_PUBKEYS_PER_MULTISIG 20
#define MAX_SCRIPT_SIZE 10000
#define MAX_STACK_SIZE 1000
#define LOCKTIME_THRESHOLD 500000000u
#define WITNESS_V0_SCRIPTHASH_SIZE 32
#define WITNESS_V0_KEYHASH_SIZE 20
#define WITNESS_V1_TAPROOT_SIZE 32
#define TAPROOT_LEAF_MASK 0xfe
#define TAPROOT_LEAF_TAPSCRIPT 0xc0
#define TAPROOT_CONTROL_BASE_SIZE 33
#define TAPROOT_CONTROL_NODE_SIZE 32
#define TAPROOT_CONTROL_MAX_NODE_COUNT 128
#define TAPROOT_CONTROL_MAX_SIZE                                                        \
    (TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * TAPROOT_CONTROL_MAX_NODE_COUNT)
#define ANNEX_TAG 0x50
#define VALIDATION_WEIGHT_PER_SIGOP_PASSED 50
#define VALIDATION_WEIGHT_OFFSET 50

/* Signature hash types. */
#define SIGHASH_DEFAULT 0 /* Taproot only: like ALL, 64-byte signature */
#define SIGHASH_ALL 1
#define SIGHASH_NONE 2
#define SIGHASH_SINGLE 3
#define SIGHASH_ANYONECANPAY 0x80
#define SIGHASH_OUTPUT_MASK 3
#define SIGHASH_INPUT_MASK 0x80

enum opcode {
    OP_0 = 0x00, OP_FALSE = OP_0, OP_PUSHDATA1 = 0x4c, OP_PUSHDATA2 = 0x4d,
    OP_PUSHDATA4 = 0x4e, OP_1NEGATE = 0x4f, OP_RESERVED = 0x50, OP_1 = 0x51, OP_TRUE = OP_1,
    OP_2, OP_3, OP_4, OP_5, OP_6, OP_7, OP_8, OP_9, OP_10, OP_11, OP_12, OP_13, OP_14,
    OP_15, OP_16,
    /* control */
    OP_NOP = 0x61, OP_VER, OP_IF, OP_NOTIF, OP_VERIF, OP_VERNOTIF, OP_ELSE, OP_ENDIF,
    OP_VERIFY, OP_RETURN,
    /* stack */
    OP_TOALTSTACK = 0x6b, OP_FROMALTSTACK, OP_2DROP, OP_2DUP, OP_3DUP, OP_2OVER, OP_2ROT,
    OP_2SWAP, OP_IFDUP, OP_DEPTH, OP_DROP, OP_DUP, OP_NIP, OP_OVER, OP_PICK, OP_ROLL,
    OP_ROT, OP_SWAP, OP_TUCK,
    /* splice */
    OP_CAT = 0x7e, OP_SUBSTR, OP_LEFT, OP_RIGHT, OP_SIZE,
    /* bit logic */
    OP_INVERT = 0x83, OP_AND, OP_OR, OP_XOR, OP_EQUAL, OP_EQUALVERIFY, OP_RESERVED1,
    OP_RESERVED2,
    /* numeric */
    OP_1ADD = 0x8b, OP_1SUB, OP_2MUL, OP_2DIV, OP_NEGATE, OP_ABS, OP_NOT, OP_0NOTEQUAL,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_LSHIFT, OP_RSHIFT, OP_BOOLAND, OP_BOOLOR,
    OP_NUMEQUAL, OP_NUMEQUALVERIFY, OP_NUMNOTEQUAL, OP_LESSTHAN, OP_GREATERTHAN,
    OP_LESSTHANOREQUAL, OP_GREATERTHANOREQUAL, OP_MIN, OP_MAX, OP_WITHIN,
    /* crypto */
    OP_RIPEMD160 = 0xa6, OP_SHA1, OP_SHA256, OP_HASH160, OP_HASH256, OP_CODESEPARATOR,
    OP_CHECKSIG, OP_CHECKSIGVERIFY, OP_CHECKMULTISIG, OP_CHECKMULTISIGVERIFY,
    /* expansion */
    OP_NOP1 = 0xb0, OP_CHECKLOCKTIMEVERIFY, OP_NOP2 = OP_CHECKLOCKTIMEVERIFY,
    OP_CHECKSEQUENCEVERIFY, OP_NOP3 = OP_CHECKSEQUENCEVERIFY, OP_NOP4, OP_NOP5, OP_NOP6,
    OP_NOP7, OP_NOP8, OP_NOP9, OP_NOP10,
    /* tapscript */
    OP_CHECKSIGADD = 0xba,
    OP_INVALIDOPCODE = 0xff,
};

/* Verification flags, Bitcoin Core's bit values. */
#define SCRIPT_VERIFY_NONE 0u
#define SCRIPT_VERIFY_P2SH (1u << 0)
#define SCRIPT_VERIFY_STRICTENC (1u << 1)
#define SCRIPT_VERIFY_DERSIG (1u << 2)
#define SCRIPT_VERIFY_LOW_S (1u << 3)
#define SCRIPT_VERIFY_NULLDUMMY (1u << 4)
#define SCRIPT_VERIFY_SIGPUSHONLY (1u << 5)
#define SCRIPT_VERIFY_MINIMALDATA (1u << 6)
#define SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS (1u << 7)
#define SCRIPT_VERIFY_CLEANSTACK (1u << 8)
#define SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY (1u << 9)
#define SCRIPT_VERIFY_CHECKSEQUENCEVERIFY (1u << 10)
#define SCRIPT_VERIFY_WITNESS (1u << 11)
#define SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM (1u << 12)
#define SCRIPT_VERIFY_MINIMALIF (1u << 13)
#define SCRIPT_VERIFY_NULLFAIL (1u << 14)
#define SCRIPT_VERIFY_WITNESS_PUBKEYTYPE (1u << 15)
#define SCRIPT_VERIFY_CONST_SCRIPTCODE (1u << 16)
#define SCRIPT_VERIFY_TAPROOT (1u << 17)
#define SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION (1u << 18)
#define SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS (1u << 19)
#define SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE (1u << 20)
#define SCRIPT_VERIFY_ALL_KNOWN ((1u << 21) - 1)

/* Consensus flags every block of iop's own chains is checked with (all soft forks). */
#define SCRIPT_VERIFY_CONSENSUS                                                          \
    (SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_DERSIG | SCRIPT_VERIFY_NULLDUMMY |               \
     SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY | SCRIPT_VERIFY_CHECKSEQUENCEVERIFY |             \
     SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_TAPROOT)

/* Error kinds, in Bitcoin Core's order; script_error_name gives Core's test names. */
#define SCRIPT_ERRORS(X)                                                                 \
    X(OK, "No error")                                                                    \
    X(UNKNOWN_ERROR, "unknown error")                                                    \
    X(EVAL_FALSE, "Script evaluated without error but finished with a false/empty top stack element") \
    X(OP_RETURN, "OP_RETURN was encountered")                                            \
    X(SCRIPTNUM, "Script number overflow")                                               \
    X(SCRIPT_SIZE, "Script is too big")                                                  \
    X(PUSH_SIZE, "Push value size limit exceeded")                                       \
    X(OP_COUNT, "Operation limit exceeded")                                              \
    X(STACK_SIZE, "Stack size limit exceeded")                                           \
    X(SIG_COUNT, "Signature count negative or greater than pubkey count")                \
    X(PUBKEY_COUNT, "Pubkey count negative or limit exceeded")                           \
    X(VERIFY, "Script failed an OP_VERIFY operation")                                    \
    X(EQUALVERIFY, "Script failed an OP_EQUALVERIFY operation")                          \
    X(CHECKMULTISIGVERIFY, "Script failed an OP_CHECKMULTISIGVERIFY operation")          \
    X(CHECKSIGVERIFY, "Script failed an OP_CHECKSIGVERIFY operation")                    \
    X(NUMEQUALVERIFY, "Script failed an OP_NUMEQUALVERIFY operation")                    \
    X(BAD_OPCODE, "Opcode missing or not understood")                                    \
    X(DISABLED_OPCODE, "Attempted to use a disabled opcode")                             \
    X(INVALID_STACK_OPERATION, "Operation not valid with the current stack size")        \
    X(INVALID_ALTSTACK_OPERATION, "Operation not valid with the current altstack size")  \
    X(UNBALANCED_CONDITIONAL, "Invalid OP_IF construction")                              \
    X(NEGATIVE_LOCKTIME, "Negative locktime")                                            \
    X(UNSATISFIED_LOCKTIME, "Locktime requirement not satisfied")                        \
    X(SIG_HASHTYPE, "Signature hash type missing or not understood")                     \
    X(SIG_DER, "Non-canonical DER signature")                                            \
    X(MINIMALDATA, "Data push larger than necessary")                                    \
    X(SIG_PUSHONLY, "Only push operators allowed in signatures")                         \
    X(SIG_HIGH_S, "Non-canonical signature: S value is unnecessarily high")              \
    X(SIG_NULLDUMMY, "Dummy CHECKMULTISIG argument must be zero")                        \
    X(PUBKEYTYPE, "Public key is neither compressed or uncompressed")                    \
    X(CLEANSTACK, "Stack size must be exactly one after execution")                      \
    X(MINIMALIF, "OP_IF/NOTIF argument must be minimal")                                 \
    X(NULLFAIL, "Signature must be zero for failed CHECK(MULTI)SIG operation")           \
    X(DISCOURAGE_UPGRADABLE_NOPS, "NOPx reserved for soft-fork upgrades")                \
    X(DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM, "Witness version reserved for soft-fork upgrades") \
    X(DISCOURAGE_UPGRADABLE_TAPROOT_VERSION, "Taproot version reserved for soft-fork upgrades") \
    X(DISCOURAGE_OP_SUCCESS, "OP_SUCCESSx reserved for soft-fork upgrades")              \
    X(DISCOURAGE_UPGRADABLE_PUBKEYTYPE, "Public key version reserved for soft-fork upgrades") \
    X(WITNESS_PROGRAM_WRONG_LENGTH, "Witness program has incorrect length")              \
    X(WITNESS_PROGRAM_WITNESS_EMPTY, "Witness program was passed an empty witness")      \
    X(WITNESS_PROGRAM_MISMATCH, "Witness program hash mismatch")                         \
    X(WITNESS_MALLEATED, "Witness requires empty scriptSig")                             \
    X(WITNESS_MALLEATED_P2SH, "Witness requires only-redeemscript scriptSig")            \
    X(WITNESS_UNEXPECTED, "Witness provided for non-witness script")                     \
    X(WITNESS_PUBKEYTYPE, "Using non-compressed keys in segwit")                         \
    X(SCHNORR_SIG_SIZE, "Invalid Schnorr signature size")                                \
    X(SCHNORR_SIG_HASHTYPE, "Invalid Schnorr signature hash type")                       \
    X(SCHNORR_SIG, "Invalid Schnorr signature")                                          \
    X(TAPROOT_WRONG_CONTROL_SIZE, "Invalid Taproot control block size")                  \
    X(TAPSCRIPT_VALIDATION_WEIGHT, "Too much signature validation relative to witness weight") \
    X(TAPSCRIPT_CHECKMULTISIG, "OP_CHECKMULTISIG(VERIFY) is not available in tapscript") \
    X(TAPSCRIPT_MINIMALIF, "OP_IF/NOTIF argument must be minimal in tapscript")          \
    X(TAPSCRIPT_EMPTY_PUBKEY, "Empty public key in tapscript")                           \
    X(OP_CODESEPARATOR, "Using OP_CODESEPARATOR in non-witness script")                  \
    X(SIG_FINDANDDELETE, "Signature is found in scriptCode")

enum script_error {
#define IOP_SCRIPT_ERR_ENUM(name, text) SCRIPT_ERR_##name,
    SCRIPT_ERRORS(IOP_SCRIPT_ERR_ENUM)
#undef IOP_SCRIPT_ERR_ENUM
    SCRIPT_ERR_COUNT
};

/* "EVAL_FALSE" etc., as the vectors spell them. */
const char *script_error_name(enum script_error err);
/* Core's human-readable message, for RPC and logs. */
const char *script_error_string(enum script_error err);
bool script_error_from_name(const char *name, enum script_error *out);
/* Parses a comma-separated list of flag names ("P2SH,WITNESS"; "" and "NONE" are 0). */
bool script_flags_from_names(const char *names, uint32_t *out);

enum sig_version {
    SIGVERSION_BASE = 0,
    SIGVERSION_WITNESS_V0 = 1,
    SIGVERSION_TAPROOT = 2,
    SIGVERSION_TAPSCRIPT = 3,
};

/* Reads the opcode at *pc and advances it. For a push, *data and *data_len describe the
 * pushed bytes inside the script (NULL/0 for other opcodes). False when the script ends
 * inside a push (then *op is OP_INVALIDOPCODE) or *pc is already at the end. */
bool script_get_op(const uint8_t *script, size_t len, size_t *pc, uint8_t *op,
                   const uint8_t **data, size_t *data_len);
/* "OP_DUP", "0", "1".."16", "-1", "OP_UNKNOWN", as Core's GetOpName. */
const char *script_op_name(uint8_t op);
/* OP_0..OP_16 to 0..16; the value is undefined for other opcodes. */
int script_decode_op_n(uint8_t op);
uint8_t script_encode_op_n(int n);

bool script_is_p2sh(const uint8_t *s, size_t len);
bool script_is_push_only(const uint8_t *s, size_t len);
/* OP_RETURN-led or oversized: can never be spent. */
bool script_is_unspendable(const uint8_t *s, size_t len);
/* BIP141: a version opcode then one push of 2..40 bytes, 4..42 bytes in all. */
bool script_is_witness_program(const uint8_t *s, size_t len, int *version,
                               const uint8_t **program, size_t *program_len);
/* Legacy sigop count; accurate uses the preceding OP_N for CHECKMULTISIG, else 20. */
unsigned script_sigop_count(const uint8_t *s, size_t len, bool accurate);

/* ---- Interpreter ---- */

struct sighash_precomputed; /* sighash.h */

/* What a signature check needs to know about the spending transaction. With tx NULL
 * every signature check fails and lock-time checks fail (used by fuzzing and by
 * scripts evaluated out of context). */
struct script_checker {
    const struct tx *tx;
    size_t in_index;
    int64_t amount;                         /* value of the output being spent */
    const struct sighash_precomputed *pre;  /* needed for Taproot; optional otherwise */
};

/* An optional cache of signatures already verified (src/chain/sigcache.h provides one;
 * this library only sees the function pointers). The interpreter consults it around the
 * final cryptographic check only, after every encoding rule has run, so a cache can make
 * checks faster but can never change which spends are valid: lookup must answer true
 * only for a (kind, sighash, key, signature) that did verify before. Both functions may
 * be called from several threads at once.
 *
 * ECDSA entries: pubkey as serialized (33 or 65 bytes), sig in DER without the hash
 * type byte. Schnorr entries: the 32-byte x-only key and the 64-byte signature (the hash
 * type, if any, is committed to by the sighash). */
enum sig_cache_kind {
    SIG_CACHE_ECDSA = 0,
    SIG_CACHE_SCHNORR = 1,
};
struct sig_cache_hook {
    bool (*lookup)(void *ctx, enum sig_cache_kind kind, const uint8_t sighash[32],
                   const uint8_t *pubkey, size_t pubkey_len, const uint8_t *sig,
                   size_t sig_len);
    /* Called after a successful verification when store_on_success (mempool entry);
     * block validation leaves it false. May be NULL when store_on_success is false. */
    void (*store)(void *ctx, enum sig_cache_kind kind, const uint8_t sighash[32],
                  const uint8_t *pubkey, size_t pubkey_len, const uint8_t *sig,
                  size_t sig_len);
    void *ctx;
    bool store_on_success;
};

/* Data gathered while executing a Taproot spend (BIP341/342). */
struct script_exec_data {
    bool tapleaf_hash_init;
    uint256 tapleaf_hash;
    bool codeseparator_pos_init;
    uint32_t codeseparator_pos; /* opcode position of the last executed OP_CODESEPARATOR */
    bool annex_init;
    bool annex_present;
    uint256 annex_hash; /* SHA256 of the compact-size prefixed annex */
    bool validation_weight_left_init;
    int64_t validation_weight_left;
};

/* A growable stack of byte vectors. */
struct script_stack {
    struct byte_vec *items;
    size_t count;
    size_t cap;
};
void script_stack_init(struct script_stack *s);
void script_stack_free(struct script_stack *s);
__attribute__((warn_unused_result)) bool script_stack_push(struct script_stack *s,
                                                           const uint8_t *data, size_t len);

/* Runs one script on stack (Core's EvalScript). */
__attribute__((warn_unused_result)) bool script_eval(struct script_stack *stack,
                                                     const uint8_t *script, size_t len,
                                                     uint32_t flags,
                                                     const struct script_checker *checker,
                                                     enum sig_version sigversion,
                                                     struct script_exec_data *execdata,
                                                     enum script_error *err);

/* Verifies a spend: scriptSig, scriptPubKey, witness, P2SH, SegWit v0 and Taproot
 * (Core's VerifyScript). *err is SCRIPT_ERR_OK on success. */
__attribute__((warn_unused_result)) bool script_verify(
    const uint8_t *script_sig, size_t script_sig_len, const uint8_t *script_pubkey,
    size_t script_pubkey_len, const struct byte_vec *witness, size_t witness_count,
    uint32_t flags, const struct script_checker *checker, enum script_error *err);

/* script_verify consulting a signature cache; cache NULL is exactly script_verify. The
 * hook is separate from struct script_checker so that the positional initializers of
 * existing callers stay complete under -Wmissing-field-initializers. */
__attribute__((warn_unused_result)) bool script_verify_cached(
    const uint8_t *script_sig, size_t script_sig_len, const uint8_t *script_pubkey,
    size_t script_pubkey_len, const struct byte_vec *witness, size_t witness_count,
    uint32_t flags, const struct script_checker *checker, const struct sig_cache_hook *cache,
    enum script_error *err);

/* Witness sigops of one input (BIP141), for block sigop cost. */
unsigned script_witness_sigop_count(const uint8_t *script_sig, size_t script_sig_len,
                                    const uint8_t *script_pubkey, size_t script_pubkey_len,
                                    const struct byte_vec *witness, size_t witness_count,
                                    uint32_t flags);

#endif
