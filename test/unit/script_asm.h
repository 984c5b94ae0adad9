/* Bitcoin Core's script notation used by the test vectors (script_tests.json,
 * tx_valid.json, tx_invalid.json): decimal numbers ("-1", "16", "1000" push CScriptNum
 * encodings, with -1..16 as OP_1NEGATE/OP_N), "0x..." raw hex bytes inserted verbatim,
 * 'text' pushed as data, and opcode names with or without the OP_ prefix. */
#ifndef IOP_TEST_SCRIPT_ASM_H
#define IOP_TEST_SCRIPT_ASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses text into script bytes in a new malloc'd buffer (*out, caller frees; non-NULL
 * even when empty). Returns false on an unknown token. */
bool script_asm_parse(const char *text, uint8_t **out, size_t *out_len);

#endif
