/* Script parsing helpers shared by the interpreter, sigop counting and the tests:
 * walking opcodes, opcode names, error and flag names, and template recognition. */
#include <string.h>

#include "consensus/script.h"

bool script_get_op(const uint8_t *script, size_t len, size_t *pc, uint8_t *op,
                   const uint8_t **data, size_t *data_len)
{
    *op = OP_INVALIDOPCODE;
    if (data) *data = NULL;
    if (data_len) *data_len = 0;
    if (*pc >= len) return false;
    uint8_t opcode = script[(*pc)++];
    if (opcode <= OP_PUSHDATA4) {
        size_t n;
        size_t left = len - *pc;
        if (opcode < OP_PUSHDATA1) {
            n = opcode;
        } else if (opcode == OP_PUSHDATA1) {
            if (left < 1) return false;
            n = script[*pc];
            *pc += 1;
        } else if (opcode == OP_PUSHDATA2) {
            if (left < 2) return false;
            n = le16_read(script + *pc);
            *pc += 2;
        } else {
            if (left < 4) return false;
            n = le32_read(script + *pc);
            *pc += 4;
        }
        if (n > len - *pc) return false;
        if (data) *data = script + *pc;
        if (data_len) *data_len = n;
        *pc += n;
    }
    *op = opcode;
    return true;
}

const char *script_op_name(uint8_t op)
{
    static const char *const small[] = {"1", "2", "3", "4", "5", "6", "7", "8",
                                        "9", "10", "11", "12", "13", "14", "15", "16"};
    if (op == OP_0) return "0";
    if (op == OP_1NEGATE) return "-1";
    if (op >= OP_1 && op <= OP_16) return small[op - OP_1];
    switch (op) {
    case OP_PUSHDATA1: return "OP_PUSHDATA1";
    case OP_PUSHDATA2: return "OP_PUSHDATA2";
    case OP_PUSHDATA4: return "OP_PUSHDATA4";
    case OP_RESERVED: return "OP_RESERVED";
    case OP_NOP: return "OP_NOP";
    case OP_VER: return "OP_VER";
    case OP_IF: return "OP_IF";
    case OP_NOTIF: return "OP_NOTIF";
    case OP_VERIF: return "OP_VERIF";
    case OP_VERNOTIF: return "OP_VERNOTIF";
    case OP_ELSE: return "OP_ELSE";
    case OP_ENDIF: return "OP_ENDIF";
    case OP_VERIFY: return "OP_VERIFY";
    case OP_RETURN: return "OP_RETURN";
    case OP_TOALTSTACK: return "OP_TOALTSTACK";
    case OP_FROMALTSTACK: return "OP_FROMALTSTACK";
    case OP_2DROP: return "OP_2DROP";
    case OP_2DUP: return "OP_2DUP";
    case OP_3DUP: return "OP_3DUP";
    case OP_2OVER: return "OP_2OVER";
    case OP_2ROT: return "OP_2ROT";
    case OP_2SWAP: return "OP_2SWAP";
    case OP_IFDUP: return "OP_IFDUP";
    case OP_DEPTH: return "OP_DEPTH";
    case OP_DROP: return "OP_DROP";
    case OP_DUP: return "OP_DUP";
    case OP_NIP: return "OP_NIP";
    case OP_OVER: return "OP_OVER";
    case OP_PICK: return "OP_PICK";
    case OP_ROLL: return "OP_ROLL";
    case OP_ROT: return "OP_ROT";
    case OP_SWAP: return "OP_SWAP";
    case OP_TUCK: return "OP_TUCK";
    case OP_CAT: return "OP_CAT";
    case OP_SUBSTR: return "OP_SUBSTR";
    case OP_LEFT: return "OP_LEFT";
    case OP_RIGHT: return "OP_RIGHT";
    case OP_SIZE: return "OP_SIZE";
    case OP_INVERT: return "OP_INVERT";
    case OP_AND: return "OP_AND";
    case OP_OR: return "OP_OR";
    case OP_XOR: return "OP_XOR";
    case OP_EQUAL: return "OP_EQUAL";
    case OP_EQUALVERIFY: return "OP_EQUALVERIFY";
    case OP_RESERVED1: return "OP_RESERVED1";
    case OP_RESERVED2: return "OP_RESERVED2";
    case OP_1ADD: return "OP_1ADD";
    case OP_1SUB: return "OP_1SUB";
    case OP_2MUL: return "OP_2MUL";
    case OP_2DIV: return "OP_2DIV";
    case OP_NEGATE: return "OP_NEGATE";
    case OP_ABS: return "OP_ABS";
    case OP_NOT: return "OP_NOT";
    case OP_0NOTEQUAL: return "OP_0NOTEQUAL";
    case OP_ADD: return "OP_ADD";
    case OP_SUB: return "OP_SUB";
    case OP_MUL: return "OP_MUL";
    case OP_DIV: return "OP_DIV";
    case OP_MOD: return "OP_MOD";
    case OP_LSHIFT: return "OP_LSHIFT";
    case OP_RSHIFT: return "OP_RSHIFT";
    case OP_BOOLAND: return "OP_BOOLAND";
    case OP_BOOLOR: return "OP_BOOLOR";
    case OP_NUMEQUAL: return "OP_NUMEQUAL";
    case OP_NUMEQUALVERIFY: return "OP_NUMEQUALVERIFY";
    case OP_NUMNOTEQUAL: return "OP_NUMNOTEQUAL";
    case OP_LESSTHAN: return "OP_LESSTHAN";
    case OP_GREATERTHAN: return "OP_GREATERTHAN";
    case OP_LESSTHANOREQUAL: return "OP_LESSTHANOREQUAL";
    case OP_GREATERTHANOREQUAL: return "OP_GREATERTHANOREQUAL";
    case OP_MIN: return "OP_MIN";
    case OP_MAX: return "OP_MAX";
    case OP_WITHIN: return "OP_WITHIN";
    case OP_RIPEMD160: return "OP_RIPEMD160";
    case OP_SHA1: return "OP_SHA1";
    case OP_SHA256: return "OP_SHA256";
    case OP_HASH160: return "OP_HASH160";
    case OP_HASH256: return "OP_HASH256";
    case OP_CODESEPARATOR: return "OP_CODESEPARATOR";
    case OP_CHECKSIG: return "OP_CHECKSIG";
    case OP_CHECKSIGVERIFY: return "OP_CHECKSIGVERIFY";
    case OP_CHECKMULTISIG: return "OP_CHECKMULTISIG";
    case OP_CHECKMULTISIGVERIFY: return "OP_CHECKMULTISIGVERIFY";
    case OP_NOP1: return "OP_NOP1";
    case OP_CHECKLOCKTIMEVERIFY: return "OP_CHECKLOCKTIMEVERIFY";
    case OP_CHECKSEQUENCEVERIFY: return "OP_CHECKSEQUENCEVERIFY";
    case OP_NOP4: return "OP_NOP4";
    case OP_NOP5: return "OP_NOP5";
    case OP_NOP6: return "OP_NOP6";
    case OP_NOP7: return "OP_NOP7";
    case OP_NOP8: return "OP_NOP8";
    case OP_NOP9: return "OP_NOP9";
    case OP_NOP10: return "OP_NOP10";
    case OP_CHECKSIGADD: return "OP_CHECKSIGADD";
    case OP_INVALIDOPCODE: return "OP_INVALIDOPCODE";
    default: return "OP_UNKNOWN";
    }
}

int script_decode_op_n(uint8_t op) { return op == OP_0 ? 0 : (int)op - (OP_1 - 1); }

uint8_t script_encode_op_n(int n) { return n == 0 ? OP_0 : (uint8_t)(OP_1 + n - 1); }

static const char *const error_names[] = {
#define IOP_SCRIPT_ERR_NAME(name, text) #name,
    SCRIPT_ERRORS(IOP_SCRIPT_ERR_NAME)
#undef IOP_SCRIPT_ERR_NAME
};

static const char *const error_texts[] = {
#define IOP_SCRIPT_ERR_TEXT(name, text) text,
    SCRIPT_ERRORS(IOP_SCRIPT_ERR_TEXT)
#undef IOP_SCRIPT_ERR_TEXT
};

const char *script_error_name(enum script_error err)
{
    return (unsigned)err < SCRIPT_ERR_COUNT ? error_names[err] : "UNKNOWN_ERROR";
}

const char *script_error_string(enum script_error err)
{
    return (unsigned)err < SCRIPT_ERR_COUNT ? error_texts[err] : "unknown error";
}

bool script_error_from_name(const char *name, enum script_error *out)
{
    for (unsigned i = 0; i < SCRIPT_ERR_COUNT; i++) {
        if (strcmp(name, error_names[i]) == 0) {
            *out = (enum script_error)i;
            return true;
        }
    }
    return false;
}

static const struct {
    const char *name;
    uint32_t bit;
} flag_names[] = {
    {"NONE", SCRIPT_VERIFY_NONE},
    {"P2SH", SCRIPT_VERIFY_P2SH},
    {"STRICTENC", SCRIPT_VERIFY_STRICTENC},
    {"DERSIG", SCRIPT_VERIFY_DERSIG},
    {"LOW_S", SCRIPT_VERIFY_LOW_S},
    {"SIGPUSHONLY", SCRIPT_VERIFY_SIGPUSHONLY},
    {"MINIMALDATA", SCRIPT_VERIFY_MINIMALDATA},
    {"NULLDUMMY", SCRIPT_VERIFY_NULLDUMMY},
    {"DISCOURAGE_UPGRADABLE_NOPS", SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_NOPS},
    {"CLEANSTACK", SCRIPT_VERIFY_CLEANSTACK},
    {"MINIMALIF", SCRIPT_VERIFY_MINIMALIF},
    {"NULLFAIL", SCRIPT_VERIFY_NULLFAIL},
    {"CHECKLOCKTIMEVERIFY", SCRIPT_VERIFY_CHECKLOCKTIMEVERIFY},
    {"CHECKSEQUENCEVERIFY", SCRIPT_VERIFY_CHECKSEQUENCEVERIFY},
    {"WITNESS", SCRIPT_VERIFY_WITNESS},
    {"DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM",
     SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM},
    {"WITNESS_PUBKEYTYPE", SCRIPT_VERIFY_WITNESS_PUBKEYTYPE},
    {"CONST_SCRIPTCODE", SCRIPT_VERIFY_CONST_SCRIPTCODE},
    {"TAPROOT", SCRIPT_VERIFY_TAPROOT},
    {"DISCOURAGE_UPGRADABLE_PUBKEYTYPE", SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_PUBKEYTYPE},
    {"DISCOURAGE_OP_SUCCESS", SCRIPT_VERIFY_DISCOURAGE_OP_SUCCESS},
    {"DISCOURAGE_UPGRADABLE_TAPROOT_VERSION",
     SCRIPT_VERIFY_DISCOURAGE_UPGRADABLE_TAPROOT_VERSION},
};

bool script_flags_from_names(const char *names, uint32_t *out)
{
    uint32_t flags = 0;
    const char *p = names;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        bool found = false;
        for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
            if (strlen(flag_names[i].name) == n && memcmp(flag_names[i].name, p, n) == 0) {
                flags |= flag_names[i].bit;
                found = true;
                break;
            }
        }
        if (!found) return false;
        p += n;
        if (*p == ',') p++;
    }
    *out = flags;
    return true;
}

bool script_is_p2sh(const uint8_t *s, size_t len)
{
    return len == 23 && s[0] == OP_HASH160 && s[1] == 20 && s[22] == OP_EQUAL;
}

bool script_is_push_only(const uint8_t *s, size_t len)
{
    size_t pc = 0;
    while (pc < len) {
        uint8_t op;
        if (!script_get_op(s, len, &pc, &op, NULL, NULL)) return false;
        /* OP_RESERVED counts as a push here, as in Core: it fails at execution. */
        if (op > OP_16) return false;
    }
    return true;
}

bool script_is_unspendable(const uint8_t *s, size_t len)
{
    return (len > 0 && s[0] == OP_RETURN) || len > MAX_SCRIPT_SIZE;
}

bool script_is_witness_program(const uint8_t *s, size_t len, int *version,
                               const uint8_t **program, size_t *program_len)
{
    if (len < 4 || len > 42) return false;
    if (s[0] != OP_0 && (s[0] < OP_1 || s[0] > OP_16)) return false;
    if ((size_t)s[1] + 2 != len) return false;
    if (version) *version = script_decode_op_n(s[0]);
    if (program) *program = s + 2;
    if (program_len) *program_len = s[1];
    return true;
}

unsigned script_sigop_count(const uint8_t *s, size_t len, bool accurate)
{
    unsigned n = 0;
    size_t pc = 0;
    uint8_t last = OP_INVALIDOPCODE;
    while (pc < len) {
        uint8_t op;
        if (!script_get_op(s, len, &pc, &op, NULL, NULL)) break;
        if (op == OP_CHECKSIG || op == OP_CHECKSIGVERIFY) {
            n++;
        } else if (op == OP_CHECKMULTISIG || op == OP_CHECKMULTISIGVERIFY) {
            if (accurate && last >= OP_1 && last <= OP_16)
                n += (unsigned)script_decode_op_n(last);
            else
                n += MAX_PUBKEYS_PER_MULTISIG;
        }
        last = op;
    }
    return n;
}
