/* PSBT (src/chain/psbt.h, src/chain/psbt_rpc.h): the BIP174/BIP371 and Bitcoin Core test
 * vectors (invalid ones must be refused, valid ones must re-serialize byte for byte),
 * hand-built malformed inputs for each of Core's parser errors, base64 edge cases, and
 * the roles: PSBTs for P2PKH, P2WPKH, P2SH-P2WPKH, P2WSH 2-of-2, P2SH 1-of-2 and P2TR
 * key-path inputs are signed here with libsecp256k1, split, combined, analyzed,
 * finalized and extracted, and the result must pass the script interpreter. Last, the
 * RPC table is called directly for its results and error codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "chain/chainparams.h"
#include "chain/policy.h"
#include "chain/psbt.h"
#include "chain/psbt_rpc.h"
#include "consensus/hash.h"
#include "consensus/script.h"
#include "consensus/sighash.h"
#include "util/hex.h"
#include "test_util.h"

/* ---- vectors ---- */

/* BIP174 "invalid PSBTs" and Bitcoin Core's test/functional/data/rpc_psbt.json "invalid"
 * entries (base64). */
static const char *const INVALID[] = {
    /* Network transaction, not PSBT format */
    "AgAAAAEmgXE3Ht/yhek3re6ks3t4AAwFZsuzrWRkFxPKQhcb9gAAAABqRzBEAiBwsiRRI+a/R01gxbUMBD1MaRpdJD"
    "XwmjSnZiqdwlF5CgIgATKcqdrPKAvfMHQOwDkEIkIsgctFg5RXrrdvwS7dlbMBIQJlfRGNM1e44PTCzUbbezn22cON"
    "mnCry5st5dyNv+TOMf7///8C09/1BQAAAAAZdqkU0MWZA8W6woaHYOkP1SGkZlqnZSCIrADh9QUAAAAAF6kUNUXm4z"
    "uDLEcFDyTT7rk8nAOUi8eHsy4TAA==",
    /* One input has a filled scriptSig in the unsigned tx */
    "cHNidP8BAP0KAQIAAAACqwlJoIxa98SbghL0F+LxWrP1wz3PFTghqBOfh3pbe+QAAAAAakcwRAIgR1lmF5fAGwNrJZ"
    "KJSGhiGDR9iYZLcZ4ff89X0eURZYcCIFMJ6r9Wqk2Ikf/REf3xM286KdqGbX+EhtdVRs7tr5MZASEDXNxh/HupccC1"
    "AaZGoqg7ECy0OIEhfKaC3Ibi1z+ogpL+////qwlJoIxa98SbghL0F+LxWrP1wz3PFTghqBOfh3pbe+QBAAAAAP7///"
    "8CYDvqCwAAAAAZdqkUdopAu9dAy+gdmI5x3ipNXHE5ax2IrI4kAAAAAAAAGXapFG9GILVT+glechue4O/p+gOcykWX"
    "iKwAAAAAAAABASAA4fUFAAAAABepFDVF5uM7gyxHBQ8k0+65PJwDlIvHhwEEFgAUhdE1N/LiZUBaNNuvqePdoB+4Iw"
    "gAAAA=",
    /* Invalid global transaction typed key */
    "cHNidP8CAAFVAgAAAAEnmiMjpd+1H8RfIg+liw/BPh4zQnkqhdfjbNYzO1y8OQAAAAAA/////wGgWuoLAAAAABl2qR"
    "T/6cAGEJfMO2NvLLBGD6T8Qn0rRYisAAAAAAABASCVXuoLAAAAABepFGNFIA9o0YnhrcDfHE0W6o8UwNvrhyICA7E0"
    "HMunaDtq9PEjjNbpfnFn1Wn6xH8eSNR1QYRDVb1GRjBDAiAEJLWO/6qmlOFVnqXJO7/UqJBkIkBVzfBwtncUaUQtBw"
    "IfXI6w/qZRbWC4rLM61k7eYOh4W/s6qUuZvfhhUduamgEBBCIAIHcf0YrUWWZt1J89Vk49vEL0yEd042CtoWgWqO1I"
    "jVaBAQVHUiEDsTQcy6doO2r08SOM1ul+cWfVafrEfx5I1HVBhENVvUYhA95V0eHayAXj+KWMH7+blMAvPbqv4Sf+/K"
    "SZXyb4IIO9Uq4iBgOxNBzLp2g7avTxI4zW6X5xZ9Vp+sR/HkjUdUGEQ1W9RhC0prpnAAAAgAAAAIAEAACAIgYD3lXR"
    "4drIBeP4pYwfv5uUwC89uq/hJ/78pJlfJvggg70QtKa6ZwAAAIAAAACABQAAgAAA",
    /* Invalid input witness utxo typed key */
    "cHNidP8BAFUCAAAAASeaIyOl37UfxF8iD6WLD8E+HjNCeSqF1+Ns1jM7XLw5AAAAAAD/////AaBa6gsAAAAAGXapFP"
    "/pwAYQl8w7Y28ssEYPpPxCfStFiKwAAAAAAAIBACCVXuoLAAAAABepFGNFIA9o0YnhrcDfHE0W6o8UwNvrhyICA7E0"
    "HMunaDtq9PEjjNbpfnFn1Wn6xH8eSNR1QYRDVb1GRjBDAiAEJLWO/6qmlOFVnqXJO7/UqJBkIkBVzfBwtncUaUQtBw"
    "IfXI6w/qZRbWC4rLM61k7eYOh4W/s6qUuZvfhhUduamgEBBCIAIHcf0YrUWWZt1J89Vk49vEL0yEd042CtoWgWqO1I"
    "jVaBAQVHUiEDsTQcy6doO2r08SOM1ul+cWfVafrEfx5I1HVBhENVvUYhA95V0eHayAXj+KWMH7+blMAvPbqv4Sf+/K"
    "SZXyb4IIO9Uq4iBgOxNBzLp2g7avTxI4zW6X5xZ9Vp+sR/HkjUdUGEQ1W9RhC0prpnAAAAgAAAAIAEAACAIgYD3lXR"
    "4drIBeP4pYwfv5uUwC89uq/hJ/78pJlfJvggg70QtKa6ZwAAAIAAAACABQAAgAAA",
    /* Invalid pubkey length for input partial signature typed key */
    "cHNidP8BAFUCAAAAASeaIyOl37UfxF8iD6WLD8E+HjNCeSqF1+Ns1jM7XLw5AAAAAAD/////AaBa6gsAAAAAGXapFP"
    "/pwAYQl8w7Y28ssEYPpPxCfStFiKwAAAAAAAEBIJVe6gsAAAAAF6kUY0UgD2jRieGtwN8cTRbqjxTA2+uHIQIDsTQc"
    "y6doO2r08SOM1ul+cWfVafrEfx5I1HVBhENVvUYwQwIgBCS1jv+qppThVZ6lyTu/1KiQZCJAVc3wcLZ3FGlELQcCH1"
    "yOsP6mUW1guKyzOtZO3mDoeFv7OqlLmb34YVHbmpoBAQQiACB3H9GK1FlmbdSfPVZOPbxC9MhHdONgraFoFqjtSI1W"
    "gQEFR1IhA7E0HMunaDtq9PEjjNbpfnFn1Wn6xH8eSNR1QYRDVb1GIQPeVdHh2sgF4/iljB+/m5TALz26r+En/vykmV"
    "8m+CCDvVKuIgYDsTQcy6doO2r08SOM1ul+cWfVafrEfx5I1HVBhENVvUYQtKa6ZwAAAIAAAACABAAAgCIGA95V0eHa"
    "yAXj+KWMH7+blMAvPbqv4Sf+/KSZXyb4IIO9ELSmumcAAACAAAAAgAUAAIAAAA==",
    /* Invalid redeemscript typed key */
    "cHNidP8BAFUCAAAAASeaIyOl37UfxF8iD6WLD8E+HjNCeSqF1+Ns1jM7XLw5AAAAAAD/////AaBa6gsAAAAAGXapFP"
    "/pwAYQl8w7Y28ssEYPpPxCfStFiKwAAAAAAAEBIJVe6gsAAAAAF6kUY0UgD2jRieGtwN8cTRbqjxTA2+uHIgIDsTQc"
    "y6doO2r08SOM1ul+cWfVafrEfx5I1HVBhENVvUZGMEMCIAQktY7/qqaU4VWepck7v9SokGQiQFXN8HC2dxRpRC0HAh"
    "9cjrD+plFtYLisszrWTt5g6Hhb+zqpS5m9+GFR25qaAQIEACIAIHcf0YrUWWZt1J89Vk49vEL0yEd042CtoWgWqO1I"
    "jVaBAQVHUiEDsTQcy6doO2r08SOM1ul+cWfVafrEfx5I1HVBhENVvUYhA95V0eHayAXj+KWMH7+blMAvPbqv4Sf+/K"
    "SZXyb4IIO9Uq4iBgOxNBzLp2g7avTxI4zW6X5xZ9Vp+sR/HkjUdUGEQ1W9RhC0prpnAAAAgAAAAIAEAACAIgYD3lXR"
    "4drIBeP4pYwfv5uUwC89uq/hJ/78pJlfJvggg70QtKa6ZwAAAIAAAACABQAAgAAA",
    /* Invalid witnessscript typed key */
    "cHNidP8BAFUCAAAAASeaIyOl37UfxF8iD6WLD8E+HjNCeSqF1+Ns1jM7XLw5AAAAAAD/////AaBa6gsAAAAAGXapFP"
    "/pwAYQl8w7Y28ssEYPpPxCfStFiKwAAAAAAAEBIJVe6gsAAAAAF6kUY0UgD2jRieGtwN8cTRbqjxTA2+uHIgIDsTQc"
    "y6doO2r08SOM1ul+cWfVafrEfx5I1HVBhENVvUZGMEMCIAQktY7/qqaU4VWepck7v9SokGQiQFXN8HC2dxRpRC0HAh"
    "9cjrD+plFtYLisszrWTt5g6Hhb+zqpS5m9+GFR25qaAQEEIgAgdx/RitRZZm3Unz1WTj28QvTIR3TjYK2haBao7UiN"
    "VoECBQBHUiEDsTQcy6doO2r08SOM1ul+cWfVafrEfx5I1HVBhENVvUYhA95V0eHayAXj+KWMH7+blMAvPbqv4Sf+/K"
    "SZXyb4IIO9Uq4iBgOxNBzLp2g7avTxI4zW6X5xZ9Vp+sR/HkjUdUGEQ1W9RhC0prpnAAAAgAAAAIAEAACAIgYD3lXR"
    "4drIBeP4pYwfv5uUwC89uq/hJ/78pJlfJvggg70QtKa6ZwAAAIAAAACABQAAgAAA",
    /* Invalid output redeemScript typed key */
    "cHNidP8BAHMCAAAAATAa6YblFqHsisW0vGVz0y+DtGXiOtdhZ9aLOOcwtNvbAAAAAAD/////AnR7AQAAAAAAF6kUA6"
    "oXrogrXQ1Usl1jEE5P/s57nqKHYEOZOwAAAAAXqRS5IbG6b3IuS/qDtlV6MTmYakLsg4cAAAAAAAEBHwDKmjsAAAAA"
    "FgAU0tlLZK4IWH7vyO6xh8YB6Tn5A3wAAgAAFgAUYunpgv/zTdgjlhAxawkM0qO3R8sAAQAiACCHa62DLx0WgBXtQS"
    "MqnqZaGBXZ7xPA74dZ9ktbKyeKZQEBJVEhA7fOI6AcW0vwCmQlN836uzFbZoMyhnR471EwnSvVf4qHUa4A",
    /* Invalid output witnessScript typed key */
    "cHNidP8BAHMCAAAAATAa6YblFqHsisW0vGVz0y+DtGXiOtdhZ9aLOOcwtNvbAAAAAAD/////AnR7AQAAAAAAF6kUA6"
    "oXrogrXQ1Usl1jEE5P/s57nqKHYEOZOwAAAAAXqRS5IbG6b3IuS/qDtlV6MTmYakLsg4cAAAAAAAEBHwDKmjsAAAAA"
    "FgAU0tlLZK4IWH7vyO6xh8YB6Tn5A3wAAQAWABRi6emC//NN2COWEDFrCQzSo7dHywABACIAIIdrrYMvHRaAFe1BIy"
    "qeploYFdnvE8Dvh1n2S1srJ4plIQEAJVEhA7fOI6AcW0vwCmQlN836uzFbZoMyhnR471EwnQbVf4qHUa4A",
    /* Core: outputs/inputs and values that do not parse, duplicate single fields */
    "cHNidP8BACoCAAAAAAFAQg8AAAAAABepFG6Rty1Vk+fUOR4v9E6R6YXDFkHwhwAAAAAAAQEAAQEBagA=",
    "cHNidP8BACoCAAAAAAFAQg8AAAAAABepFG6Rty1Vk+fUOR4v9E6R6YXDFkHwhwAAAAAAAQAAAQABagA=",
    "cHNidP8BADMBAAAAAREREREREREREREREREREREREfrK3hERERERERERERERfwAAAAD/////AAAAAAAAAQEJ//////"
    "//"
    "//8AAQEJAADK/gAAAAAAAA==",
    "cHNidP8BADMBAAAAAREREREREREREREREREREREREfrK3hERERERERERERERfwAAAAD/////"
    "AAAAAAAAAQMErd7f7gED"
    "BAEAAAAA",
    "cHNidP8BADMBAAAAAREREREREREREREREREREREREfrK3hERERERERERERERfwAAAAD/////"
    "AAAAAAAAAQQAAQQBagA=",
    "cHNidP8BADMBAAAAAREREREREREREREREREREREREfrK3hERERERERERERERfwAAAAD/////"
    "AAAAAAAAAQEJAOH1BQAA"
    "AAAAAQUAAQUBUQA=",
    "cHNidP8BADMBAAAAAREREREREREREREREREREREREfrK3hERERERERERERERfwAAAAD/////"
    "AAAAAAAAAQcAAQcBUQA=",
    "cHNidP8BADMBAAAAAREREREREREREREREREREREREfrK3hERERERERERERERfwAAAAD/////"
    "AAAAAAAAAQEJAOH1BQAA"
    "AAAAAQgBAAEIAwEBUQA=",
    /* BIP371: PSBT_IN_TAP_INTERNAL_KEY too long; PSBT_IN_TAP_KEY_SIG too short, too long */
    "cHNidP8BAHECAAAAASd0Srq/MCf+DWzyOpbu4u+xiO9SMBlUWFiD5ptmJLJCAAAAAAD/////"
    "Anh8AQAAAAAAFgAUg6fj"
    "S9mf8DpJYu+"
    "KGhAbspVGHs5gawQqAQAAABYAFHrDad8bIOAz1hFmI5V7CsSfPFLoAAAAAAABASsA8gUqAQAAACJRIFos"
    "LPW1LPMfg60ujaY/"
    "8DGD7Nj2CcdRCuikjgORCgdXARchAv40kGTJjW4qhT+jybEr2LMEoZwZXGDvp+4jkwRtP6IyAAAA",
    "cHNidP8BAHECAAAAASd0Srq/MCf+DWzyOpbu4u+xiO9SMBlUWFiD5ptmJLJCAAAAAAD/////"
    "Anh8AQAAAAAAFgAUg6fj"
    "S9mf8DpJYu+"
    "KGhAbspVGHs5gawQqAQAAABYAFHrDad8bIOAz1hFmI5V7CsSfPFLoAAAAAAABASsA8gUqAQAAACJRIFos"
    "LPW1LPMfg60ujaY/8DGD7Nj2CcdRCuikjgORCgdXARM/"
    "Fzuz02wHSvtxb+xjB6BpouRQuZXzyCeFlFq43w4kJg3NcDsM"
    "vzTeOZGEqUgawrNYbbZgHwJqd/fkk4SBvDR1AAAA",
    "cHNidP8BAHECAAAAASd0Srq/MCf+DWzyOpbu4u+xiO9SMBlUWFiD5ptmJLJCAAAAAAD/////"
    "Anh8AQAAAAAAFgAUg6fj"
    "S9mf8DpJYu+"
    "KGhAbspVGHs5gawQqAQAAABYAFHrDad8bIOAz1hFmI5V7CsSfPFLoAAAAAAABASsA8gUqAQAAACJRIFos"
    "LPW1LPMfg60ujaY/"
    "8DGD7Nj2CcdRCuikjgORCgdXARNCFzuz02wHSvtxb+xjB6BpouRQuZXzyCeFlFq43w4kJg3NcDsM"
    "vzTeOZGEqUgawrNYbbZgHwJqd/fkk4SBvDR1FwGqAAAA",
    /* BIP371: PSBT_IN_TAP_BIP32_DERIVATION key too long */
    "cHNidP8BAHECAAAAASd0Srq/MCf+DWzyOpbu4u+xiO9SMBlUWFiD5ptmJLJCAAAAAAD/////"
    "Anh8AQAAAAAAFgAUg6fj"
    "S9mf8DpJYu+"
    "KGhAbspVGHs5gawQqAQAAABYAFHrDad8bIOAz1hFmI5V7CsSfPFLoAAAAAAABASsA8gUqAQAAACJRIFos"
    "LPW1LPMfg60ujaY/8DGD7Nj2CcdRCuikjgORCgdXIhYC/jSQZMmNbiqFP6PJsSvYswShnBlcYO+n7iOTBG0/"
    "ojIZAHcr"
    "LadWAACAAQAAgAAAAIABAAAAAAAAAAAAAA==",
    /* BIP371: PSBT_OUT_TAP_INTERNAL_KEY too long */
    "cHNidP8BAH0CAAAAASd0Srq/MCf+DWzyOpbu4u+xiO9SMBlUWFiD5ptmJLJCAAAAAAD/////"
    "Aoh7AQAAAAAAFgAUI4KH"
    "HH6EIaAAk/dU2RKB5nWHS59gawQqAQAAACJRIFosLPW1LPMfg60ujaY/"
    "8DGD7Nj2CcdRCuikjgORCgdXAAAAAAABASsA"
    "8gUqAQAAACJRIFosLPW1LPMfg60ujaY/8DGD7Nj2CcdRCuikjgORCgdXAAABBSEC/"
    "jSQZMmNbiqFP6PJsSvYswShnBlc"
    "YO+n7iOTBG0/ojIA",
    /* BIP371: PSBT_OUT_TAP_BIP32_DERIVATION key too long */
    "cHNidP8BAH0CAAAAASd0Srq/MCf+DWzyOpbu4u+xiO9SMBlUWFiD5ptmJLJCAAAAAAD/////"
    "Aoh7AQAAAAAAFgAUI4KH"
    "HH6EIaAAk/dU2RKB5nWHS59gawQqAQAAACJRIFosLPW1LPMfg60ujaY/"
    "8DGD7Nj2CcdRCuikjgORCgdXAAAAAAABASsA"
    "8gUqAQAAACJRIFosLPW1LPMfg60ujaY/8DGD7Nj2CcdRCuikjgORCgdXAAAiBwL+NJBkyY1uKoU/"
    "o8mxK9izBKGcGVxg"
    "76fuI5MEbT+iMhkAdystp1YAAIABAACAAAAAgAEAAAAAAAAAAA==",
    /* BIP371: PSBT_IN_TAP_SCRIPT_SIG key too long */
    "cHNidP8BAF4CAAAAAZvUh2UjC/mnLmYgAflyVW5U8Mb5f+tWvLVgDYF/aZUmAQAAAAD/////"
    "AUjmBSoBAAAAIlEgAw2k"
    "/OT32yjCyylRYx4ANxOFZZf+ljiCy1AOaBEsymMAAAAAAAEBKwDyBSoBAAAAIlEgwiR++/"
    "2SrEf29AuNQtFpF1oZ+p+h"
    "Dkol1/NetN2FtpJCFAIssTrGgkjegGqmo2Wc88A+toIdCcgRSk6Gj+vehlu20s2XDhX1P8DIL5UP1WD/"
    "qRm3YXK+AXNo"
    "qJkTrwdPQAsJQIl1aqNznMxonsD886NgvjLMC1mxbpOh6LtGBXJrLKej/"
    "3BsQXZkljKyzGjh+RK4pXjjcZzncQiFx6lm"
    "9JvNQ8sAAA==",
    /* BIP371: PSBT_IN_TAP_SCRIPT_SIG signature too long */
    "cHNidP8BAF4CAAAAAZvUh2UjC/mnLmYgAflyVW5U8Mb5f+tWvLVgDYF/aZUmAQAAAAD/////"
    "AUjmBSoBAAAAIlEgAw2k"
    "/OT32yjCyylRYx4ANxOFZZf+ljiCy1AOaBEsymMAAAAAAAEBKwDyBSoBAAAAIlEgwiR++/"
    "2SrEf29AuNQtFpF1oZ+p+h"
    "Dkol1/NetN2FtpJBFCyxOsaCSN6AaqajZZzzwD62gh0JyBFKToaP696GW7bSzZcOFfU/wMgvlQ/"
    "VYP+pGbdhcr4Bc2io"
    "mROvB09ACwlCiXVqo3OczGiewPzzo2C+MswLWbFuk6Hou0YFcmssp6P/"
    "cGxBdmSWMrLMaOH5ErileONxnOdxCIXHqWb0"
    "m81DywEBAAA=",
    /* BIP371: PSBT_IN_TAP_SCRIPT_SIG signature too short */
    "cHNidP8BAF4CAAAAAZvUh2UjC/mnLmYgAflyVW5U8Mb5f+tWvLVgDYF/aZUmAQAAAAD/////"
    "AUjmBSoBAAAAIlEgAw2k"
    "/OT32yjCyylRYx4ANxOFZZf+ljiCy1AOaBEsymMAAAAAAAEBKwDyBSoBAAAAIlEgwiR++/"
    "2SrEf29AuNQtFpF1oZ+p+h"
    "Dkol1/NetN2FtpJBFCyxOsaCSN6AaqajZZzzwD62gh0JyBFKToaP696GW7bSzZcOFfU/wMgvlQ/"
    "VYP+pGbdhcr4Bc2io"
    "mROvB09ACwk5iXVqo3OczGiewPzzo2C+MswLWbFuk6Hou0YFcmssp6P/"
    "cGxBdmSWMrLMaOH5ErileONxnOdxCIXHqWb0"
    "m81DywAA",
    /* BIP371: PSBT_IN_TAP_LEAF_SCRIPT control block too long */
    "cHNidP8BAF4CAAAAAZvUh2UjC/mnLmYgAflyVW5U8Mb5f+tWvLVgDYF/aZUmAQAAAAD/////"
    "AUjmBSoBAAAAIlEgAw2k"
    "/OT32yjCyylRYx4ANxOFZZf+ljiCy1AOaBEsymMAAAAAAAEBKwDyBSoBAAAAIlEgwiR++/"
    "2SrEf29AuNQtFpF1oZ+p+h"
    "Dkol1/NetN2FtpJjFcFQkpt0waBJVLeLS2A16XpeB4paDyjsltVHv+6azoA6wG99YgWelJehpKJnVp2YdtpgEBr/"
    "OONS"
    "m5uTnOf5GulwEV8uSQr3zEXE94UR82BXzlxaXFYyWin7RN/CA/"
    "NW4fgAIyAssTrGgkjegGqmo2Wc88A+toIdCcgRSk6G"
    "j+vehlu20qzAAAA=",
    /* BIP371: PSBT_IN_TAP_LEAF_SCRIPT control block too short */
    "cHNidP8BAF4CAAAAAZvUh2UjC/mnLmYgAflyVW5U8Mb5f+tWvLVgDYF/aZUmAQAAAAD/////"
    "AUjmBSoBAAAAIlEgAw2k"
    "/OT32yjCyylRYx4ANxOFZZf+ljiCy1AOaBEsymMAAAAAAAEBKwDyBSoBAAAAIlEgwiR++/"
    "2SrEf29AuNQtFpF1oZ+p+h"
    "Dkol1/NetN2FtpJhFcFQkpt0waBJVLeLS2A16XpeB4paDyjsltVHv+6azoA6wG99YgWelJehpKJnVp2YdtpgEBr/"
    "OONS"
    "m5uTnOf5GulwEV8uSQr3zEXE94UR82BXzlxaXFYyWin7RN/CA/"
    "NW4SMgLLE6xoJI3oBqpqNlnPPAPraCHQnIEUpOho/r"
    "3oZbttKswAAA",
};

/* A P2PKH-input PSBT shared by Core's preimage vectors (base64, a multiple of 4). */
#define P2PKH_PREFIX                                                                           \
    "cHNidP8BAHUCAAAAASaBcTce3/KF6Tet7qSze3gADAVmy7OtZGQXE8pCFxv2AAAAAAD+////AtPf9QUAAAAAGXap" \
    "FNDFmQPFusKGh2DpD9UhpGZap2UgiKwA4fUFAAAAABepFDVF5uM7gyxHBQ8k0+65PJwDlIvHh7MuEwAAAQD9pQEB" \
    "AAAAAAECiaPHHqtNIOA3G7ukzGmPopXJRjr6Ljl/hTPMti+VZ+UBAAAAFxYAFL4Y0VKpsBIDna89p95PUzSe7LmF" \
    "/////4b4qkOnHf8USIk6UwpyN+9rRgi7st0tAXHmOuxqSJC0AQAAABcWABT+Pp7xp0XpdNkCxDVZQ6vLNL1TU///" \
    "//8CAMLrCwAAAAAZdqkUhc/xCX/Z4Ai7NK9wnGIZeziXikiIrHL++E4sAAAAF6kUM5cluiHv1irHU6m80GfWx6aj" \
    "nQWHAkcwRAIgJxK+IuAnDzlPVoMR3HyppolwuAJf3TskAinwf4pfOiQCIAGLONfc0xTnNMkna9b7QPZzMlvEuqFE" \
    "yADS8vAtsnZcASED0uFWdJQbrUqZY3LLh+GFbTZSYG2YVi/jnF6efkE/IQUCSDBFAiEA0SuFLYXc2WHS9fSrZgZU" \
    "327tzHlMDDPOXMMJ/7X85Y0CIGczio4OFyXBl/saiK9Z9R5E5CVbIBZ8hoQDHAXR8lkqASECI7cr7vCWXRC+B3jv" \
    "7NYfysb3mk6haTkzgHNEZPhPKrMAAAAA"

/* BIP174 "valid PSBTs" (base64); each must re-serialize to exactly these bytes. */
static const char *const VALID[] = {
    /* One P2PKH input (finalized) and one P2SH-P2WPKH input; outputs empty */
    "cHNidP8BAKACAAAAAqsJSaCMWvfEm4IS9Bfi8Vqz9cM9zxU4IagTn4d6W3vkAAAAAAD+////"
    "qwlJoIxa98SbghL0F+Lx"
    "WrP1wz3PFTghqBOfh3pbe+QBAAAAAP7///"
    "8CYDvqCwAAAAAZdqkUdopAu9dAy+gdmI5x3ipNXHE5ax2IrI4kAAAAAAAA"
    "GXapFG9GILVT+glechue4O/"
    "p+gOcykWXiKwAAAAAAAEHakcwRAIgR1lmF5fAGwNrJZKJSGhiGDR9iYZLcZ4ff89X0eUR"
    "ZYcCIFMJ6r9Wqk2Ikf/REf3xM286KdqGbX+EhtdVRs7tr5MZASEDXNxh/"
    "HupccC1AaZGoqg7ECy0OIEhfKaC3Ibi1z+o"
    "gpIAAQEgAOH1BQAAAAAXqRQ1RebjO4MsRwUPJNPuuTycA5SLx4cBBBYAFIXRNTfy4mVAWjTbr6nj3aAfuCMIAAAA",
    /* One P2SH-P2WSH 2-of-2 input with redeemScript, witnessScript, keypaths, one signature */
    "cHNidP8BAFUCAAAAASeaIyOl37UfxF8iD6WLD8E+HjNCeSqF1+Ns1jM7XLw5AAAAAAD/////"
    "AaBa6gsAAAAAGXapFP/p"
    "wAYQl8w7Y28ssEYPpPxCfStFiKwAAAAAAAEBIJVe6gsAAAAAF6kUY0UgD2jRieGtwN8cTRbqjxTA2+"
    "uHIgIDsTQcy6do"
    "O2r08SOM1ul+cWfVafrEfx5I1HVBhENVvUZGMEMCIAQktY7/"
    "qqaU4VWepck7v9SokGQiQFXN8HC2dxRpRC0HAh9cjrD+"
    "plFtYLisszrWTt5g6Hhb+zqpS5m9+GFR25qaAQEEIgAgdx/"
    "RitRZZm3Unz1WTj28QvTIR3TjYK2haBao7UiNVoEBBUdS"
    "IQOxNBzLp2g7avTxI4zW6X5xZ9Vp+sR/HkjUdUGEQ1W9RiED3lXR4drIBeP4pYwfv5uUwC89uq/hJ/"
    "78pJlfJvggg71S"
    "riIGA7E0HMunaDtq9PEjjNbpfnFn1Wn6xH8eSNR1QYRDVb1GELSmumcAAACAAAAAgAQAAIAiBgPeVdHh2sgF4/"
    "iljB+/"
    "m5TALz26r+En/vykmV8m+CCDvRC0prpnAAAAgAAAAIAFAACAAAA=",
    /* One P2WSH 2-of-2 input, witnessScript, keypaths and global xpubs; no signatures */
    "cHNidP8BAFICAAAAAZ38ZijCbFiZ/hvT3DOGZb/VXXraEPYiCXPfLTht7BJ2AQAAAAD/////"
    "AfA9zR0AAAAAFgAUezoA"
    "v9wU0neVwrdJAdCdpu8TNXkAAAAATwEENYfPAto/0AiAAAAAlwSLGtBEWx7IJ1UXcnyHtOTrwYogP/"
    "oPlMAVZr046QAD"
    "UbdDiH7h1A3DKmBDck8tZFmztaTXPa7I+64EcvO8Q+IM2QxqT64AAIAAAACATwEENYfPAto/"
    "0AiAAAABuQRSQnE5zXjC"
    "z/"
    "JES+NTzVhgXj5RMoXlKLQH+uP2FzUD0wpel8itvFV9rCrZp+OcFyLrrGnmaLbyZnzB1nHIPKsM2QxqT64AAIABAACA"
    "AAEBKwBlzR0AAAAAIgAgLFSGEmxJeAeagU4TcV1l82RZ5NbMre0mbQUIZFuvpjIBBUdSIQKdoSzbWyNWkrkVNq/"
    "v5ckc"
    "OrlHPY5DtTODarRWKZyIcSEDNys0I07Xz5wf6l0F1EFVeSe+lUKxYusC4ass6AIkwAtSriIGAp2hLNtbI1aSuRU2r+"
    "/l"
    "yRw6uUc9jkO1M4NqtFYpnIhxENkMak+uAACAAAAAgAAAAAAiBgM3KzQjTtfPnB/"
    "qXQXUQVV5J76VQrFi6wLhqyzoAiTA"
    "CxDZDGpPrgAAgAEAAIAAAAAAACICA57/"
    "H1R6HV+S36K6evaslxpL0DukpzSwMVaiVritOh75EO3kXMUAAACAAAAAgAEA"
    "AIAA",
    /* Unknown types in the inputs */
    "cHNidP8BAD8CAAAAAf//////////////////////////////////////////AAAAAAD/////"
    "AQAAAAAAAAAAA2oBAAAA"
    "AAAACvABAgMEBQYHCAkPAQIDBAUGBwgJCgsMDQ4PAAA=",
    /* Core: no inputs, one output */
    "cHNidP8BACoCAAAAAAFAQg8AAAAAABepFG6Rty1Vk+fUOR4v9E6R6YXDFkHwhwAAAAAAAA==",
    /* Core: proprietary pairs in the global, input and output maps */
    "cHNidP8BAHUCAAAAASaBcTce3/KF6Tet7qSze3gADAVmy7OtZGQXE8pCFxv2AAAAAAD+////"
    "AtPf9QUAAAAAGXapFNDF"
    "mQPFusKGh2DpD9UhpGZap2UgiKwA4fUFAAAAABepFDVF5uM7gyxHBQ8k0+65PJwDlIvHh7MuEwAD/AAAAaoF/"
    "AKqqgAB"
    "qgABAP2lAQEAAAAAAQKJo8ceq00g4Dcbu6TMaY+ilclGOvouOX+"
    "FM8y2L5Vn5QEAAAAXFgAUvhjRUqmwEgOdrz2n3k9T"
    "NJ7suYX/////hviqQ6cd/"
    "xRIiTpTCnI372tGCLuy3S0BceY67GpIkLQBAAAAFxYAFP4+nvGnRel02QLENVlDq8s0vVNT"
    "/////wIAwusLAAAAABl2qRSFz/EJf9ngCLs0r3CcYhl7OJeKSIiscv74TiwAAAAXqRQzlyW6Ie/"
    "WKsdTqbzQZ9bHpqOd"
    "BYcCRzBEAiAnEr4i4CcPOU9WgxHcfKmmiXC4Al/dOyQCKfB/"
    "il86JAIgAYs419zTFOc0ySdr1vtA9nMyW8S6oUTIANLy"
    "8C2ydlwBIQPS4VZ0lButSpljcsuH4YVtNlJgbZhWL+OcXp5+"
    "QT8hBQJIMEUCIQDRK4UthdzZYdL19KtmBlTfbu3MeUwM"
    "M85cwwn/tfzljQIgZzOKjg4XJcGX+xqIr1n1HkTkJVsgFnyGhAMcBdHyWSoBIQIjtyvu8JZdEL4HeO/s1h/"
    "KxveaTqFp"
    "OTOAc0Rk+E8qswAAAAAF/AKqqgEBqwAABfwCqqoCAawA",
    /* BIP371: key path input with internal key and Taproot BIP32 path */
    "cHNidP8BAFICAAAAASd0Srq/MCf+DWzyOpbu4u+xiO9SMBlUWFiD5ptmJLJCAAAAAAD/////"
    "AUjmBSoBAAAAFgAUdo4e"
    "60z0IIZgM/gKzv8PlyB0SWkAAAAAAAEBKwDyBSoBAAAAIlEgWiws9bUs8x+DrS6Npj/"
    "wMYPs2PYJx1EK6KSOA5EKB1ch"
    "Fv40kGTJjW4qhT+jybEr2LMEoZwZXGDvp+4jkwRtP6IyGQB3Ky2nVgAAgAEAAIAAAACAAQAAAAAAAAABFyD+"
    "NJBkyY1u"
    "KoU/"
    "o8mxK9izBKGcGVxg76fuI5MEbT+iMgAiAgNrdyptt02HU8mKgnlY3mx4qzMSEJ830+AwRIQkLs5z2Bh3Ky2nVAAA"
    "gAEAAIAAAACAAAAAAAAAAAAA",
    /* BIP371: the same with a key path signature */
    "cHNidP8BAFICAAAAASd0Srq/MCf+DWzyOpbu4u+xiO9SMBlUWFiD5ptmJLJCAAAAAAD/////"
    "AUjmBSoBAAAAFgAUdo4e"
    "60z0IIZgM/gKzv8PlyB0SWkAAAAAAAEBKwDyBSoBAAAAIlEgWiws9bUs8x+DrS6Npj/"
    "wMYPs2PYJx1EK6KSOA5EKB1cB"
    "E0C7U+yRe62dkGrxuocYHEi4as5aritTYFpyXKdGJWMUdvxvW67a9PLuD0d/"
    "NvWPOXDVuCc7fkl7l68uPxJcl680IRb+"
    "NJBkyY1uKoU/o8mxK9izBKGcGVxg76fuI5MEbT+iMhkAdystp1YAAIABAACAAAAAgAEAAAAAAAAAARcg/"
    "jSQZMmNbiqF"
    "P6PJsSvYswShnBlcYO+n7iOTBG0/"
    "ojIAIgIDa3cqbbdNh1PJioJ5WN5seKszEhCfN9PgMESEJC7Oc9gYdystp1QAAIAB"
    "AACAAAAAgAAAAAAAAAAAAA==",
    /* BIP371: Taproot output with internal key and BIP32 path */
    "cHNidP8BAF4CAAAAASd0Srq/MCf+DWzyOpbu4u+xiO9SMBlUWFiD5ptmJLJCAAAAAAD/////"
    "AUjmBSoBAAAAIlEgg2mO"
    "RYxmZOFZXXXaJZfeHiLul9eY5wbEwKS1qYI810MAAAAAAAEBKwDyBSoBAAAAIlEgWiws9bUs8x+DrS6Npj/"
    "wMYPs2PYJ"
    "x1EK6KSOA5EKB1chFv40kGTJjW4qhT+jybEr2LMEoZwZXGDvp+"
    "4jkwRtP6IyGQB3Ky2nVgAAgAEAAIAAAACAAQAAAAAA"
    "AAABFyD+NJBkyY1uKoU/"
    "o8mxK9izBKGcGVxg76fuI5MEbT+iMgABBSARJNp67JLM0GyVRWJkf0N7E4uVchqEvivyJ2u9"
    "2rPmcSEHESTaeuySzNBslUViZH9DexOLlXIahL4r8idrvdqz5nEZAHcrLadWAACAAQAAgAAAAIAAAAAABQAAAAA=",
    /* BIP371: Taproot output with a script tree and BIP32 paths with leaf hashes */
    "cHNidP8BAF4CAAAAASd0Srq/MCf+DWzyOpbu4u+xiO9SMBlUWFiD5ptmJLJCAAAAAAD/////"
    "AUjmBSoBAAAAIlEgCoy9"
    "yG3hzhwPnK6yLW33ztNoP+Qj4F0eQCqHk0HW9vUAAAAAAAEBKwDyBSoBAAAAIlEgWiws9bUs8x+DrS6Npj/"
    "wMYPs2PYJ"
    "x1EK6KSOA5EKB1chFv40kGTJjW4qhT+jybEr2LMEoZwZXGDvp+"
    "4jkwRtP6IyGQB3Ky2nVgAAgAEAAIAAAACAAQAAAAAA"
    "AAABFyD+NJBkyY1uKoU/"
    "o8mxK9izBKGcGVxg76fuI5MEbT+iMgABBSBQkpt0waBJVLeLS2A16XpeB4paDyjsltVHv+6a"
    "zoA6wAEGbwLAIiBzblcpAP4SUliaIUPI88efcaBBLSNTr3VelwHHgmlKAqwCwCIgYxxfO1gyuPvev7GXBM7rMjwh9A"
    "96"
    "JPQ9aO8MwmsSWWmsAcAiIET6pJoDON5IjI3//s37bzKfOAvVZu8gyN9tgT6rHEJzrCEHRPqkmgM43kiMjf/"
    "+zftvMp84"
    "C9Vm7yDI322BPqscQnM5AfBreYuSoQ7ZqdC7/"
    "Trxc6U7FhfaOkFZygCCFs2Fay4Odystp1YAAIABAACAAQAAgAAAAAAD"
    "AAAAIQdQkpt0waBJVLeLS2A16XpeB4paDyjsltVHv+"
    "6azoA6wAUAfEYeXSEHYxxfO1gyuPvev7GXBM7rMjwh9A96JPQ9"
    "aO8MwmsSWWk5ARis5AmIl4Xg6nDO67jhyokqenjq7eDy4pbPQ1lhqPTKdystp1YAAIABAACAAgAAgAAAAAADAAAAIQ"
    "dz"
    "blcpAP4SUliaIUPI88efcaBBLSNTr3VelwHHgmlKAjkBKaW0kVCQFi11mv0/4Pk/"
    "ozJgVtC0CIy5M8rngmy42Cx3Ky2n"
    "VgAAgAEAAIADAACAAAAAAAMAAAAA",
    /* BIP371: script path input with leaf scripts, BIP32 paths, internal key and merkle root */
    "cHNidP8BAF4CAAAAAZvUh2UjC/mnLmYgAflyVW5U8Mb5f+tWvLVgDYF/aZUmAQAAAAD/////"
    "AUjmBSoBAAAAIlEgg2mO"
    "RYxmZOFZXXXaJZfeHiLul9eY5wbEwKS1qYI810MAAAAAAAEBKwDyBSoBAAAAIlEgwiR++/"
    "2SrEf29AuNQtFpF1oZ+p+h"
    "Dkol1/NetN2FtpJiFcFQkpt0waBJVLeLS2A16XpeB4paDyjsltVHv+6azoA6wG99YgWelJehpKJnVp2YdtpgEBr/"
    "OONS"
    "m5uTnOf5GulwEV8uSQr3zEXE94UR82BXzlxaXFYyWin7RN/CA/"
    "NW4fgjICyxOsaCSN6AaqajZZzzwD62gh0JyBFKToaP"
    "696GW7bSrMBCFcFQkpt0waBJVLeLS2A16XpeB4paDyjsltVHv+6azoA6wJfG5v6l/"
    "3FP9XJEmZkIEOQG6YqhD1v35fZ4"
    "S8HQqabOIyBDILC/FvARtT6nvmFZJKp/"
    "J+XSmtIOoRVdhIZ2w7rRsqzAYhXBUJKbdMGgSVS3i0tgNel6XgeKWg8o7JbV"
    "R7/ums6AOsDNlw4V9T/AyC+VD9Vg/"
    "6kZt2FyvgFzaKiZE68HT0ALCRFfLkkK98xFxPeFEfNgV85cWlxWMlop+0TfwgPz"
    "VuH4IyD6D3o87zsdDAps59JuF62gsuXJLRnvrUi0GFnLikUcqazAIRYssTrGgkjegGqmo2Wc88A+toIdCcgRSk6Gj+"
    "ve"
    "hlu20jkBzZcOFfU/wMgvlQ/"
    "VYP+pGbdhcr4Bc2iomROvB09ACwl3Ky2nVgAAgAEAAIACAACAAAAAAAAAAAAhFkMgsL8W"
    "8BG1Pqe+YVkkqn8n5dKa0g6hFV2EhnbDutGyOQERXy5JCvfMRcT3hRHzYFfOXFpcVjJaKftE38ID81bh+"
    "HcrLadWAACA"
    "AQAAgAEAAIAAAAAAAAAAACEWUJKbdMGgSVS3i0tgNel6XgeKWg8o7JbVR7/"
    "ums6AOsAFAHxGHl0hFvoPejzvOx0MCmzn"
    "0m4XraCy5cktGe+tSLQYWcuKRRypOQFvfWIFnpSXoaSiZ1admHbaYBAa/"
    "zjjUpubk5zn+RrpcHcrLadWAACAAQAAgAMA"
    "AIAAAAAAAAAAAAEXIFCSm3TBoElUt4tLYDXpel4HiloPKOyW1Ue/"
    "7prOgDrAARgg8DYuL3Wm9CClvePrIh2WrmcgzyX4"
    "GJDJWx13WstRXmUAAQUgESTaeuySzNBslUViZH9DexOLlXIahL4r8idrvdqz5nEhBxEk2nrskszQbJVFYmR/"
    "Q3sTi5Vy"
    "GoS+K/Ina73as+ZxGQB3Ky2nVgAAgAEAAIAAAACAAAAAAAUAAAAA",
    /* Core: P2PKH input with ripemd160 preimages */
    P2PKH_PREFIX "FQoYn3yLGjhv/o7tkbODDHp7zR53jAIBAhUK8pG6UBXfNIyAhT+luw95RvXJ4bMBAQAAAA==",
    /* Core: P2PKH input with sha256 preimages */
    P2PKH_PREFIX "IQtL9RIvNEVUxTveLruM0rfj0WAK1jHDhaXXzOI8d4VFmgEBIQuhKHH+"
                 "4hD7hhkpHq6hlFgcvSUx5LI3WdIl9oBpI/Yy"
                 "IgIBAgAAAA==",
    /* Core: P2PKH input with hash160 preimages */
    P2PKH_PREFIX "FQwVzEnhkcvFINkZRGAKXLd69qoykQIBAhUMxRtmvO1eRJEAG9cCZpdw3M9ECYIBAQAAAA==",
    /* Core: P2PKH input with hash256 preimages */
    P2PKH_PREFIX "IQ12pWrO2RXSUT3NhMLDeLLoqlzWMrW3HKLyrFsOOmSb2wIBAiENnBLP3ATHRYTXh6w9I3chMsGFJ"
                 "Lx6so3sQhm4/FtC"
                 "X3ABAQAAAA==",
};

static uint8_t *b64(const char *s, size_t *len)
{
    uint8_t *d = psbt_base64_decode(s, len);
    assert_non_null(d);
    return d;
}

static void test_base64(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char *e = psbt_base64_encode((const uint8_t *)pairs[i][0], strlen(pairs[i][0]));
        assert_string_equal(e, pairs[i][1]);
        free(e);
        size_t len;
        uint8_t *d = b64(pairs[i][1], &len);
        assert_int_equal(len, strlen(pairs[i][0]));
        assert_memory_equal(d, pairs[i][0], len);
        free(d);
    }
    static const char *const bad[] = {"Zg=",  "Z===", "Zh==", "Zm9v!mFy", "Zm9=Zm9v",
                                      "=Zg=", "Zm8",  "Zm8 ", "Zm9vYmF=", "===="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len;
        uint8_t *d = psbt_base64_decode(bad[i], &len);
        if (d) fail_msg("accepted invalid base64 %s", bad[i]);
    }
    struct psbt p;
    char err[PSBT_ERR_MAX];
    assert_false(psbt_from_base64(&p, "cHNidP8=!", err));
    assert_string_equal(err, "invalid base64");
}

static void test_invalid_vectors(void **state)
{
    (void)state;
    size_t n = sizeof INVALID / sizeof INVALID[0];
    for (size_t i = 0; i < n; i++) {
        struct psbt p;
        char err[PSBT_ERR_MAX];
        size_t len;
        uint8_t *d = b64(INVALID[i], &len); /* every vector is valid base64 */
        free(d);
        if (psbt_from_base64(&p, INVALID[i], err)) fail_msg("invalid vector %zu accepted", i);
        assert_true(err[0] != '\0');
        assert_null(p.inputs);
    }
    test_report_count("BIP174/BIP371/Core invalid PSBT vectors", n);
}

static void check_roundtrip_exact(const uint8_t *data, size_t len)
{
    struct psbt p;
    char err[PSBT_ERR_MAX];
    if (!psbt_parse(&p, data, len, err)) fail_msg("parse: %s", err);
    size_t out_len;
    uint8_t *out = psbt_serialize(&p, &out_len);
    assert_non_null(out);
    assert_int_equal(out_len, len);
    assert_memory_equal(out, data, len);
    struct psbt copy;
    assert_true(psbt_copy(&copy, &p));
    size_t copy_len;
    uint8_t *copy_ser = psbt_serialize(&copy, &copy_len);
    assert_int_equal(copy_len, len);
    assert_memory_equal(copy_ser, data, len);
    free(copy_ser);
    psbt_clear(&copy);
    free(out);
    psbt_clear(&p);
}

static void test_valid_vectors(void **state)
{
    (void)state;
    size_t n = sizeof VALID / sizeof VALID[0];
    for (size_t i = 0; i < n; i++) {
        size_t len;
        uint8_t *d = b64(VALID[i], &len);
        check_roundtrip_exact(d, len);
        free(d);
        struct psbt p;
        char err[PSBT_ERR_MAX];
        assert_true(psbt_from_base64(&p, VALID[i], err));
        char *again = psbt_to_base64(&p);
        assert_string_equal(again, VALID[i]);
        free(again);
        psbt_clear(&p);
    }
    /* Spot checks of what the vectors hold. */
    struct psbt p;
    char err[PSBT_ERR_MAX];
    assert_true(psbt_from_base64(&p, VALID[0], err));
    assert_int_equal(p.tx.vin_count, 2);
    assert_true(psbt_input_is_final(&p.inputs[0]));
    assert_true(p.inputs[1].has_witness_utxo);
    assert_int_equal(p.inputs[1].witness_utxo.value, 100000000);
    assert_int_equal(p.inputs[1].redeem_script.len, 22);
    psbt_clear(&p);
    assert_true(psbt_from_base64(&p, VALID[2], err));
    assert_int_equal(p.xpubs.count, 2);
    assert_int_equal(p.inputs[0].bip32.count, 2);
    assert_int_equal(p.outputs[0].bip32.count, 1);
    psbt_clear(&p);
    assert_true(psbt_from_base64(&p, VALID[3], err));
    assert_int_equal(p.inputs[0].unknown.count, 1);
    assert_int_equal(p.inputs[0].unknown.items[0].key_len, 10);
    psbt_clear(&p);
    test_report_count("BIP174/BIP371/Core valid PSBT vectors (byte-exact round trip)", n);
}

/* ---- hand-built PSBTs ---- */

struct buf {
    uint8_t d[4096];
    size_t n;
};

static void put_bytes(struct buf *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof b->d);
    memcpy(b->d + b->n, p, n);
    b->n += n;
}
static void put_u8(struct buf *b, uint8_t v) { put_bytes(b, &v, 1); }
static void put_hex(struct buf *b, const char *hex)
{
    size_t n;
    uint8_t *d = test_unhex(hex, &n);
    put_bytes(b, d, n);
    free(d);
}
/* A pair with one-byte lengths. */
static void put_pair(struct buf *b, const char *key_hex, const char *val_hex)
{
    size_t kn, vn;
    uint8_t *k = test_unhex(key_hex, &kn), *v = test_unhex(val_hex, &vn);
    assert_true(kn < 253 && vn < 253);
    put_u8(b, (uint8_t)kn);
    put_bytes(b, k, kn);
    put_u8(b, (uint8_t)vn);
    put_bytes(b, v, vn);
    free(k);
    free(v);
}

/* An unsigned tx: 1 input spending 11..11:0, 1 output of 1 BTC to OP_TRUE. */
#define UTX                                                                                    \
    "02000000011111111111111111111111111111111111111111111111111111111111111111000000000"      \
    "0ffffffff0100e1f505000000000151"                                                          \
    "00000000"

static void start(struct buf *b)
{
    b->n = 0;
    put_hex(b, "70736274ff");
    put_pair(b, "00", UTX);
}

static void expect_error(const struct buf *b, const char *want)
{
    struct psbt p;
    char err[PSBT_ERR_MAX];
    if (psbt_parse(&p, b->d, b->n, err)) fail_msg("accepted; wanted \"%s\"", want);
    if (!strstr(err, want)) fail_msg("error \"%s\", wanted \"%s\"", err, want);
}

static void expect_ok(const struct buf *b)
{
    struct psbt p;
    char err[PSBT_ERR_MAX];
    if (!psbt_parse(&p, b->d, b->n, err)) fail_msg("refused: %s", err);
    psbt_clear(&p);
}

#define PK1          "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
#define PK_OFF_CURVE "020000000000000000000000000000000000000000000000000000000000000007"
#define SIG1                                                                                   \
    "3044022047ac8e878352d3ebbde1c94ce3a10d057c24175747116f8288e5d794d12d482f0220217f36a4"     \
    "85cae903c713331d877c1f64677e3622ad4010726870540656fe9dcb01"
#define X32 "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"

static size_t g_crafted;

/* Input map body after start() and the global separator. */
static void in_case(const char *k1, const char *v1, const char *k2, const char *v2,
                    const char *want)
{
    struct buf b;
    start(&b);
    put_u8(&b, 0);
    if (k1) put_pair(&b, k1, v1);
    if (k2) put_pair(&b, k2, v2);
    put_u8(&b, 0);
    put_u8(&b, 0); /* output map */
    if (want)
        expect_error(&b, want);
    else
        expect_ok(&b);
    g_crafted++;
}

static void out_case(const char *k1, const char *v1, const char *k2, const char *v2,
                     const char *want)
{
    struct buf b;
    start(&b);
    put_u8(&b, 0);
    put_u8(&b, 0); /* input map */
    if (k1) put_pair(&b, k1, v1);
    if (k2) put_pair(&b, k2, v2);
    put_u8(&b, 0);
    if (want)
        expect_error(&b, want);
    else
        expect_ok(&b);
    g_crafted++;
}

static void test_crafted(void **state)
{
    (void)state;
    struct buf b;
    /* Globals. */
    b.n = 0;
    put_hex(&b, "70736274fe");
    expect_error(&b, "Invalid PSBT magic bytes");
    b.n = 0;
    put_hex(&b, "707362");
    expect_error(&b, "end of data");
    b.n = 0;
    put_hex(&b, "70736274ff00");
    expect_error(&b, "No unsigned transaction was provided");
    start(&b);
    expect_error(&b, "Separator is missing at the end of the global map");
    start(&b);
    put_pair(&b, "00", UTX);
    expect_error(&b, "Duplicate Key, unsigned tx already provided");
    b.n = 0;
    put_hex(&b, "70736274ff");
    put_pair(&b, "0000", UTX);
    expect_error(&b, "Global unsigned tx key is more than one byte type");
    start(&b);
    put_u8(&b, 0);
    expect_error(&b, "Inputs provided does not match the number of inputs in transaction.");
    start(&b);
    put_u8(&b, 0);
    put_u8(&b, 0);
    expect_error(&b, "Outputs provided does not match the number of outputs in transaction.");
    start(&b);
    put_hex(&b, "000000");
    expect_ok(&b);
    put_u8(&b, 0);
    expect_error(&b, "extra data after PSBT");
    start(&b);
    put_pair(&b, "fb", "01000000");
    put_hex(&b, "000000");
    expect_error(&b, "Unsupported version number");
    start(&b);
    put_pair(&b, "fb", "00000000");
    put_hex(&b, "000000");
    expect_ok(&b);
    start(&b);
    put_pair(&b, "fb", "000000");
    put_hex(&b, "000000");
    expect_error(&b, "end of data");
    start(&b);
    put_pair(&b, "fb", "0000000000");
    put_hex(&b, "000000");
    expect_error(&b, "Size of value was not the stated size");
    start(&b);
    put_pair(&b, "fb", "00000000");
    put_pair(&b, "fb", "00000000");
    expect_error(&b, "Duplicate Key, version already provided");
    start(&b);
    put_pair(&b, "0f01", "aa");
    put_pair(&b, "0f01", "bb");
    expect_error(&b, "Duplicate Key, key for unknown value already provided");
    start(&b);
    put_pair(&b,
             "fc03616263"
             "01"
             "ff",
             "aa");
    put_pair(&b,
             "fc03616263"
             "01"
             "ff",
             "bb");
    expect_error(&b, "Duplicate Key, proprietary key already found");
    start(&b);
    put_pair(&b, "fc05616263", "aa");
    expect_error(&b, "end of data");
    start(&b);
    put_pair(&b,
             "01"
             "0000",
             "00000000");
    expect_error(&b, "Size of key was not the expected size for the type global xpub");
    /* The unsigned transaction: signature data, witness form. */
    b.n = 0;
    put_hex(&b, "70736274ff");
    put_pair(
        &b, "00",
        "0200000001111111111111111111111111111111111111111111111111111111111111111100000000"
        "0151ffffffff0100e1f50500000000015100000000");
    put_hex(&b, "000000");
    expect_error(&b, "Unsigned tx does not have empty scriptSigs and scriptWitnesses.");
    b.n = 0;
    put_hex(&b, "70736274ff");
    put_pair(&b, "00",
             "0200000000010111111111111111111111111111111111111111111111111111111111111111110"
             "000000000ffffffff0100e1f5050000000001510101510000000000");
    put_hex(&b, "000000");
    struct psbt p;
    char err[PSBT_ERR_MAX];
    assert_false(psbt_parse(&p, b.d, b.n, err));
    /* Lengths: non-canonical and oversized CompactSize, huge claims allocate nothing. */
    b.n = 0;
    put_hex(&b, "70736274ff"
                "fd0100");
    expect_error(&b, "non-canonical ReadCompactSize()");
    b.n = 0;
    put_hex(&b, "70736274ff"
                "fe00000010");
    expect_error(&b, "ReadCompactSize(): size too large");
    b.n = 0;
    put_hex(&b, "70736274ff"
                "fe00000001");
    expect_error(&b, "end of data");
    g_crafted += 26;

    /* Inputs. */
    in_case("00", "00", NULL, NULL, "end of data");
    in_case("02" PK1, SIG1, NULL, NULL, NULL);
    in_case("02" PK1, SIG1, "02" PK1, SIG1,
            "Duplicate Key, input partial signature for pubkey already provided");
    in_case("02"
            "0279be",
            SIG1, NULL, NULL,
            "Size of key was not the expected size for the type partial signature pubkey");
    in_case("02" PK_OFF_CURVE, SIG1, NULL, NULL, "Invalid pubkey");
    in_case("02" PK1, "300602010102010101", NULL, NULL, NULL);
    in_case("02" PK1, "3006020101020101", NULL, NULL, "Signature is not a valid encoding");
    in_case("02" PK1, "300602010102010105", NULL, NULL, "Signature is not a valid encoding");
    in_case("03", "01000000", "03", "01000000",
            "Duplicate Key, input sighash type already provided");
    in_case("0300", "01000000", NULL, NULL, "Sighash type key is more than one byte type");
    in_case("03", "010000", NULL, NULL, "end of data");
    in_case("01", "00e1f50500000000015100", NULL, NULL,
            "Size of value was not the stated size");
    in_case("01", "00e1f505000000000151", "01", "00e1f505000000000151",
            "Duplicate Key, input witness utxo already provided");
    in_case("0400", "51", NULL, NULL, "Input redeemScript key is more than one byte type");
    in_case("05", "51", "05", "51", "Duplicate Key, input witnessScript already provided");
    in_case("06" PK1, "aabbccdd00000080", NULL, NULL, NULL);
    in_case("06" PK1, "aabbccdd000000", NULL, NULL, "Invalid length for HD key path");
    in_case("06" PK1, "", NULL, NULL, "Invalid length for HD key path");
    in_case("06" PK1, "aabbccdd", "06" PK1, "aabbccdd",
            "Duplicate Key, pubkey derivation path already provided");
    in_case("07", "51", "07", "51", "Duplicate Key, input final scriptSig already provided");
    in_case("08", "010151", NULL, NULL, NULL);
    in_case("08", "0201", NULL, NULL, "end of data");
    in_case("08", "01015100", NULL, NULL, "Size of value was not the stated size");
    in_case("0a"
            "00112233445566778899aabbccddeeff00112233",
            "aa", NULL, NULL, NULL);
    in_case("0a"
            "00",
            "aa", NULL, NULL,
            "Size of key was not the expected size for the type ripemd160 preimage");
    in_case("0b" X32, "aa", "0b" X32, "aa",
            "Duplicate Key, input sha256 preimage already provided");
    in_case("0d" X32 "00", "aa", NULL, NULL,
            "Size of key was not the expected size for the type hash256 preimage");
    in_case("13", X32 X32, NULL, NULL, NULL);
    in_case("13", X32 X32 "01", NULL, NULL, NULL);
    in_case("13", X32 "00", NULL, NULL,
            "Input Taproot key path signature is shorter than 64 bytes");
    in_case("13", X32 X32 "0101", NULL, NULL,
            "Input Taproot key path signature is longer than 65 bytes");
    in_case("14" X32 X32, X32 X32, NULL, NULL, NULL);
    in_case("14" X32, X32 X32, NULL, NULL,
            "Input Taproot script signature key is not 65 bytes");
    in_case("14" X32 X32, X32, NULL, NULL,
            "Input Taproot script path signature is shorter than 64 bytes");
    in_case("15"
            "c0" X32,
            "51c0", NULL, NULL, NULL);
    in_case("15"
            "c0" X32,
            "", NULL, NULL, "Input Taproot leaf script must be at least 1 byte");
    in_case("15"
            "c0"
            "00",
            "51c0", NULL, NULL, "leaf script key is not at least 34 bytes");
    in_case("15"
            "c0" X32 "00",
            "51c0", NULL, NULL, "leaf script key");
    in_case("15"
            "c0" X32,
            "51c0",
            "15"
            "c0" X32,
            "52c0", "Duplicate Key, input Taproot leaf script already provided");
    in_case("16" X32, "00aabbccdd", NULL, NULL, NULL);
    in_case("16" X32, "01" X32 "aabbccdd01000000", NULL, NULL, NULL);
    in_case("16" X32, "02" X32 "aabbccdd", NULL, NULL, "invalid length");
    in_case("16" X32, "00aabbccdd00", NULL, NULL, "Invalid length for HD key path");
    in_case("16" X32 "00", "00aabbccdd", NULL, NULL,
            "Input Taproot BIP32 keypath key is not at 33 bytes");
    in_case("17", X32, "17", X32, "Duplicate Key, input Taproot internal key already provided");
    in_case("17", X32 "00", NULL, NULL, "Size of value was not the stated size");
    in_case("18", X32, NULL, NULL, NULL);
    in_case("1800", X32, NULL, NULL,
            "Input Taproot merkle root key is more than one byte type");
    in_case("fc0000", "", NULL, NULL, NULL);
    in_case("fc00", "", NULL, NULL, "end of data");
    in_case("f0", "aa", "f0", "bb", "Duplicate Key, key for unknown value already provided");

    /* Outputs. */
    out_case("00", "51", "00", "51", "Duplicate Key, output redeemScript already provided");
    out_case("0100", "51", NULL, NULL, "Output witnessScript key is more than one byte type");
    out_case("02" PK1, "aabbccdd", NULL, NULL, NULL);
    out_case("02" PK1 "00", "aabbccdd", NULL, NULL,
             "Size of key was not the expected size for the type BIP32 keypath");
    out_case("05", X32, "05", X32,
             "Duplicate Key, output Taproot internal key already provided");
    out_case("06", "00c00151", NULL, NULL, NULL);
    out_case("06", "01c0015101c00152", NULL, NULL, NULL);
    out_case("06", "01c0015102c0015202c00153", NULL, NULL, NULL);
    out_case("06", "01c00151", NULL, NULL, "Output Taproot tree is malformed");
    out_case("06", "00c0015100c00152", NULL, NULL, "Output Taproot tree is malformed");
    out_case("06", "02c0015101c0015202c00153", NULL, NULL, "Output Taproot tree is malformed");
    out_case("06", "", NULL, NULL, "Output Taproot tree must not be empty");
    out_case("06", "81c00151", NULL, NULL,
             "Output Taproot tree has as leaf greater than Taproot maximum depth");
    out_case("06", "00c10151", NULL, NULL,
             "Output Taproot tree has a leaf with an invalid leaf version");
    out_case("06", "00c002", NULL, NULL, "end of data");
    out_case("07" X32, "00aabbccdd", "07" X32, "00aabbccdd",
             "Duplicate Key, output Taproot BIP32 keypath already provided");
    out_case("fc016100", "aa", NULL, NULL, NULL);
    out_case("fc0161", "aa", NULL, NULL, "end of data");

    /* A missing separator inside an input and an output map. */
    start(&b);
    put_u8(&b, 0);
    put_pair(&b, "f0", "aa");
    expect_error(&b, "Separator is missing at the end of an input map");
    start(&b);
    put_hex(&b, "0000");
    put_pair(&b, "f0", "aa");
    expect_error(&b, "Separator is missing at the end of an output map");
    g_crafted += 2;
    test_report_count("hand-built PSBTs (each parser rule)", g_crafted);
}

/* Non-witness UTXO must be the transaction the input spends. */
static void test_non_witness_utxo(void **state)
{
    (void)state;
    static const char prev[] =
        "01000000010000000000000000000000000000000000000000000000000000000000000000000000"
        "0000ffffffff0100e1f505000000000151"
        "00000000";
    size_t n;
    uint8_t *raw = test_unhex(prev, &n);
    struct tx t;
    assert_true(tx_from_bytes(&t, raw, n, true));
    uint256 txid;
    tx_txid(&t, &txid);
    struct tx spend;
    tx_init(&spend);
    spend.version = 2;
    assert_true(tx_resize(&spend, 1, 1));
    spend.vin[0].prevout.hash = txid;
    spend.vin[0].prevout.n = 0;
    spend.vout[0].value = 1000;
    struct psbt p;
    assert_true(psbt_from_tx(&p, &spend));
    p.inputs[0].non_witness_utxo = malloc(sizeof(struct tx));
    assert_true(tx_from_bytes(p.inputs[0].non_witness_utxo, raw, n, true));
    size_t len;
    uint8_t *ser = psbt_serialize(&p, &len);
    check_roundtrip_exact(ser, len);
    struct psbt q;
    char err[PSBT_ERR_MAX];
    /* Point the input at output 1, which does not exist. */
    p.tx.vin[0].prevout.n = 1;
    free(ser);
    ser = psbt_serialize(&p, &len);
    assert_false(psbt_parse(&q, ser, len, err));
    assert_non_null(strstr(err, "Input specifies output index that does not exist"));
    free(ser);
    p.tx.vin[0].prevout.n = 0;
    p.tx.vin[0].prevout.hash.b[0] ^= 1;
    ser = psbt_serialize(&p, &len);
    assert_false(psbt_parse(&q, ser, len, err));
    assert_non_null(strstr(err, "Non-witness UTXO does not match outpoint hash"));
    free(ser);
    free(raw);
    tx_clear(&t);
    tx_clear(&spend);
    psbt_clear(&p);
}

/* Maps come out in Core's order whatever order they came in. */
static void test_canonical_order(void **state)
{
    (void)state;
    struct buf b;
    start(&b);
    put_pair(&b, "f1", "01");
    put_pair(&b, "f0", "02");
    put_u8(&b, 0);
    put_pair(&b, "f2", "aa");
    put_pair(&b, "f1", "bb");
    put_u8(&b, 0);
    put_u8(&b, 0);
    struct psbt p;
    char err[PSBT_ERR_MAX];
    assert_true(psbt_parse(&p, b.d, b.n, err));
    size_t len;
    uint8_t *ser = psbt_serialize(&p, &len);
    assert_int_equal(len, b.n);
    struct buf want;
    start(&want);
    put_pair(&want, "f0", "02");
    put_pair(&want, "f1", "01");
    put_u8(&want, 0);
    put_pair(&want, "f1", "bb");
    put_pair(&want, "f2", "aa");
    put_u8(&want, 0);
    put_u8(&want, 0);
    assert_memory_equal(ser, want.d, want.n);
    check_roundtrip_exact(ser, len);
    free(ser);
    psbt_clear(&p);

    /* Taproot BIP32 leaf hashes are a set (sorted, no duplicates); an output's
     * proprietary pairs come before its Taproot fields. */
    start(&b);
    put_u8(&b, 0);
    put_u8(&b, 0);
    put_pair(&b, "07" X32,
             "03"
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
             "aabbccdd");
    put_pair(&b, "fc016100", "01");
    put_u8(&b, 0);
    assert_true(psbt_parse(&p, b.d, b.n, err));
    ser = psbt_serialize(&p, &len);
    start(&want);
    put_u8(&want, 0);
    put_u8(&want, 0);
    put_pair(&want, "fc016100", "01");
    put_pair(&want, "07" X32,
             "02"
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
             "aabbccdd");
    put_u8(&want, 0);
    assert_int_equal(len, want.n);
    assert_memory_equal(ser, want.d, want.n);
    free(ser);
    psbt_clear(&p);
}

/* ---- roles with real signatures ---- */

static secp256k1_context *g_ctx;

struct key {
    uint8_t sec[32];
    uint8_t pub[33];
    uint8_t id[20];
};

static void make_key(struct key *k, uint8_t seed)
{
    memset(k->sec, 0, 32);
    k->sec[31] = seed;
    k->sec[0] = 0x11;
    secp256k1_pubkey pk;
    assert_true(secp256k1_ec_pubkey_create(g_ctx, &pk, k->sec));
    size_t n = 33;
    assert_true(secp256k1_ec_pubkey_serialize(g_ctx, k->pub, &n, &pk, SECP256K1_EC_COMPRESSED));
    hash160(k->pub, 33, k->id);
}

static size_t ecdsa_sig(const struct key *k, const uint256 *h, uint8_t out[73])
{
    secp256k1_ecdsa_signature sig;
    assert_true(secp256k1_ecdsa_sign(g_ctx, &sig, h->b, k->sec, NULL, NULL));
    size_t n = 72;
    assert_true(secp256k1_ecdsa_signature_serialize_der(g_ctx, out, &n, &sig));
    out[n] = SIGHASH_ALL;
    return n + 1;
}

static size_t p2pkh(uint8_t out[25], const uint8_t id[20])
{
    out[0] = OP_DUP;
    out[1] = OP_HASH160;
    out[2] = 20;
    memcpy(out + 3, id, 20);
    out[23] = OP_EQUALVERIFY;
    out[24] = OP_CHECKSIG;
    return 25;
}

static size_t p2sh(uint8_t out[23], const uint8_t *script, size_t len)
{
    out[0] = OP_HASH160;
    out[1] = 20;
    hash160(script, len, out + 2);
    out[22] = OP_EQUAL;
    return 23;
}

static size_t multisig(uint8_t *out, int m, const struct key *a, const struct key *b)
{
    size_t n = 0;
    out[n++] = (uint8_t)(OP_1 + m - 1);
    out[n++] = 33;
    memcpy(out + n, a->pub, 33);
    n += 33;
    out[n++] = 33;
    memcpy(out + n, b->pub, 33);
    n += 33;
    out[n++] = OP_2;
    out[n++] = OP_CHECKMULTISIG;
    return n;
}

enum { IN_PKH, IN_WPKH, IN_SH_WPKH, IN_WSH, IN_SH_MS, IN_TR, IN_COUNT };

struct fixture {
    struct key k[6];
    struct tx funding;
    struct tx spend;
    uint8_t wsh_script[71], sh_ms_script[71], sh_wpkh_rs[22];
    secp256k1_keypair tr_kp;
    uint8_t tr_internal[32];
};

static void add_out(struct tx *t, size_t i, int64_t value, const uint8_t *spk, size_t len)
{
    t->vout[i].value = value;
    assert_true(tx_set_script_pubkey(&t->vout[i], spk, len));
}

static void build_fixture(struct fixture *f)
{
    for (int i = 0; i < 6; i++) make_key(&f->k[i], (uint8_t)(i + 1));
    tx_init(&f->funding);
    f->funding.version = 2;
    assert_true(tx_resize(&f->funding, 1, IN_COUNT));
    f->funding.vin[0].prevout.hash.b[0] = 0x42;
    uint8_t spk[40];
    add_out(&f->funding, IN_PKH, 100000, spk, p2pkh(spk, f->k[0].id));
    spk[0] = OP_0;
    spk[1] = 20;
    memcpy(spk + 2, f->k[1].id, 20);
    add_out(&f->funding, IN_WPKH, 200000, spk, 22);
    memcpy(f->sh_wpkh_rs, spk, 2);
    memcpy(f->sh_wpkh_rs + 2, f->k[2].id, 20);
    add_out(&f->funding, IN_SH_WPKH, 300000, spk, p2sh(spk, f->sh_wpkh_rs, 22));
    size_t ws = multisig(f->wsh_script, 2, &f->k[3], &f->k[4]);
    assert_int_equal(ws, 71);
    spk[0] = OP_0;
    spk[1] = 32;
    sha256(f->wsh_script, ws, spk + 2);
    add_out(&f->funding, IN_WSH, 400000, spk, 34);
    multisig(f->sh_ms_script, 1, &f->k[0], &f->k[5]);
    add_out(&f->funding, IN_SH_MS, 500000, spk, p2sh(spk, f->sh_ms_script, 71));
    /* Taproot key path: output key = internal + H_TapTweak(internal) G. */
    uint8_t sec[32];
    memset(sec, 0x33, 32);
    assert_true(secp256k1_keypair_create(g_ctx, &f->tr_kp, sec));
    secp256k1_xonly_pubkey xo;
    assert_true(secp256k1_keypair_xonly_pub(g_ctx, &xo, NULL, &f->tr_kp));
    assert_true(secp256k1_xonly_pubkey_serialize(g_ctx, f->tr_internal, &xo));
    uint256 tweak;
    taproot_tweak_hash(&tweak, f->tr_internal, NULL);
    assert_true(secp256k1_keypair_xonly_tweak_add(g_ctx, &f->tr_kp, tweak.b));
    assert_true(secp256k1_keypair_xonly_pub(g_ctx, &xo, NULL, &f->tr_kp));
    spk[0] = OP_1;
    spk[1] = 32;
    assert_true(secp256k1_xonly_pubkey_serialize(g_ctx, spk + 2, &xo));
    add_out(&f->funding, IN_TR, 600000, spk, 34);

    uint256 txid;
    tx_txid(&f->funding, &txid);
    tx_init(&f->spend);
    f->spend.version = 2;
    assert_true(tx_resize(&f->spend, IN_COUNT, 1));
    for (uint32_t i = 0; i < IN_COUNT; i++) {
        f->spend.vin[i].prevout.hash = txid;
        f->spend.vin[i].prevout.n = i;
    }
    uint8_t out_spk[1] = {OP_TRUE};
    add_out(&f->spend, 0, 2000000, out_spk, 1);
}

static void free_fixture(struct fixture *f)
{
    tx_clear(&f->funding);
    tx_clear(&f->spend);
}

/* An updated PSBT: UTXOs and scripts, no signatures. */
static void updated_psbt(const struct fixture *f, struct psbt *p)
{
    assert_true(psbt_from_tx(p, &f->spend));
    for (size_t i = 0; i < IN_COUNT; i++) {
        if (i == IN_PKH || i == IN_SH_MS) {
            p->inputs[i].non_witness_utxo = malloc(sizeof(struct tx));
            tx_init(p->inputs[i].non_witness_utxo);
            assert_true(tx_copy(p->inputs[i].non_witness_utxo, &f->funding));
        } else {
            assert_true(psbt_input_set_witness_utxo(&p->inputs[i], &f->funding.vout[i]));
        }
    }
    uint8_t key[34] = {PSBT_IN_BIP32_DERIVATION};
    uint8_t origin[8] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0, 0, 0x80};
    for (int i = 0; i < 3; i++) {
        memcpy(key + 1, f->k[i].pub, 33);
        assert_int_equal(psbt_map_insert(&p->inputs[i].bip32, key, 34, origin, 8), 1);
    }
    p->inputs[IN_SH_WPKH].redeem_script.data = malloc(22);
    memcpy(p->inputs[IN_SH_WPKH].redeem_script.data, f->sh_wpkh_rs, 22);
    p->inputs[IN_SH_WPKH].redeem_script.len = 22;
    p->inputs[IN_WSH].witness_script.data = malloc(71);
    memcpy(p->inputs[IN_WSH].witness_script.data, f->wsh_script, 71);
    p->inputs[IN_WSH].witness_script.len = 71;
    p->inputs[IN_SH_MS].redeem_script.data = malloc(71);
    memcpy(p->inputs[IN_SH_MS].redeem_script.data, f->sh_ms_script, 71);
    p->inputs[IN_SH_MS].redeem_script.len = 71;
    p->inputs[IN_TR].has_tap_internal_key = true;
    memcpy(p->inputs[IN_TR].tap_internal_key, f->tr_internal, 32);
}

static void add_sig(struct psbt *p, size_t i, const struct key *k, const uint256 *h)
{
    uint8_t sig[73];
    size_t n = ecdsa_sig(k, h, sig);
    assert_int_equal(psbt_input_add_partial_sig(&p->inputs[i], k->pub, 33, sig, n), 1);
}

/* Signs as two parties: `half` 0 signs everything but the second multisig key, `half` 1
 * only that key. */
static void sign_half(const struct fixture *f, struct psbt *p, int half)
{
    uint256 h;
    uint8_t code[25];
    const struct tx *t = &f->spend;
    if (half == 0) {
        sighash_legacy(&h, f->funding.vout[IN_PKH].script_pubkey, 25, t, IN_PKH, SIGHASH_ALL);
        add_sig(p, IN_PKH, &f->k[0], &h);
        sighash_witness_v0(&h, code, p2pkh(code, f->k[1].id), t, IN_WPKH, SIGHASH_ALL, 200000,
                           NULL);
        add_sig(p, IN_WPKH, &f->k[1], &h);
        sighash_witness_v0(&h, code, p2pkh(code, f->k[2].id), t, IN_SH_WPKH, SIGHASH_ALL,
                           300000, NULL);
        add_sig(p, IN_SH_WPKH, &f->k[2], &h);
        sighash_witness_v0(&h, f->wsh_script, 71, t, IN_WSH, SIGHASH_ALL, 400000, NULL);
        add_sig(p, IN_WSH, &f->k[3], &h);
        sighash_legacy(&h, f->sh_ms_script, 71, t, IN_SH_MS, SIGHASH_ALL);
        add_sig(p, IN_SH_MS, &f->k[5], &h);
        struct sighash_precomputed pre;
        sighash_precompute(&pre, t, f->funding.vout);
        assert_true(
            sighash_taproot(&h, t, IN_TR, SIGHASH_DEFAULT, SIGVERSION_TAPROOT, NULL, &pre));
        uint8_t sig[64], aux[32] = {0};
        assert_true(secp256k1_schnorrsig_sign32(g_ctx, sig, h.b, &f->tr_kp, aux));
        p->inputs[IN_TR].tap_key_sig.data = malloc(64);
        memcpy(p->inputs[IN_TR].tap_key_sig.data, sig, 64);
        p->inputs[IN_TR].tap_key_sig.len = 64;
    } else {
        sighash_witness_v0(&h, f->wsh_script, 71, t, IN_WSH, SIGHASH_ALL, 400000, NULL);
        add_sig(p, IN_WSH, &f->k[4], &h);
    }
}

static void test_roles(void **state)
{
    (void)state;
    struct fixture f;
    build_fixture(&f);

    /* Analysis of a bare PSBT: every input needs an updater. */
    struct psbt bare;
    assert_true(psbt_from_tx(&bare, &f.spend));
    struct psbt_analysis a;
    assert_true(psbt_analyze(&bare, DEFAULT_BYTES_PER_SIGOP, &a));
    assert_int_equal(a.input_count, IN_COUNT);
    assert_int_equal(a.next, PSBT_ROLE_UPDATER);
    assert_false(a.has_fee);
    assert_false(a.inputs[0].has_utxo);
    psbt_analysis_clear(&a);

    /* Witness UTXOs only, no scripts or keys: what is missing is named. */
    for (size_t i = 0; i < IN_COUNT; i++)
        assert_true(psbt_input_set_witness_utxo(&bare.inputs[i], &f.funding.vout[i]));
    assert_true(psbt_analyze(&bare, DEFAULT_BYTES_PER_SIGOP, &a));
    assert_true(a.has_fee);
    assert_int_equal(a.fee, 2100000 - 2000000);
    assert_int_equal(a.inputs[IN_WPKH].missing_pubkey_count, 1);
    assert_memory_equal(a.inputs[IN_WPKH].missing_pubkeys[0], f.k[1].id, 20);
    assert_int_equal(a.inputs[IN_WPKH].next, PSBT_ROLE_UPDATER);
    assert_true(a.inputs[IN_SH_WPKH].missing_redeem_script);
    assert_memory_equal(a.inputs[IN_SH_WPKH].redeem_script_hash,
                        f.funding.vout[IN_SH_WPKH].script_pubkey + 2, 20);
    assert_true(a.inputs[IN_WSH].missing_witness_script);
    assert_memory_equal(a.inputs[IN_WSH].witness_script_hash,
                        f.funding.vout[IN_WSH].script_pubkey + 2, 32);
    assert_false(a.has_vsize);
    psbt_analysis_clear(&a);
    psbt_clear(&bare);

    /* Updated: only signatures are missing. */
    struct psbt p0, p1;
    updated_psbt(&f, &p0);
    assert_true(psbt_analyze(&p0, DEFAULT_BYTES_PER_SIGOP, &a));
    /* As Core: a Taproot input without a signature names nothing missing, so it (and the
     * PSBT) goes back to an updater; the ECDSA inputs go to a signer. */
    assert_int_equal(a.next, PSBT_ROLE_UPDATER);
    assert_int_equal(a.inputs[IN_WSH].next, PSBT_ROLE_SIGNER);
    assert_int_equal(a.inputs[IN_WSH].missing_sig_count, 2);
    assert_int_equal(a.inputs[IN_PKH].missing_sig_count, 1);
    assert_memory_equal(a.inputs[IN_PKH].missing_sigs[0], f.k[0].id, 20);
    assert_int_equal(a.inputs[IN_TR].next,
                     PSBT_ROLE_UPDATER); /* as Core: no sig, nothing named */
    psbt_analysis_clear(&a);

    /* Two signers on copies, then combine. */
    assert_true(psbt_copy(&p1, &p0));
    sign_half(&f, &p0, 0);
    sign_half(&f, &p1, 1);
    char *s0 = psbt_to_base64(&p0), *s1 = psbt_to_base64(&p1);
    struct psbt c0, c1;
    char err[PSBT_ERR_MAX];
    assert_true(psbt_from_base64(&c0, s0, err));
    assert_true(psbt_from_base64(&c1, s1, err));
    free(s0);
    free(s1);

    /* One half alone does not finalize the 2-of-2, but finalizes the rest. */
    struct psbt lone;
    assert_true(psbt_copy(&lone, &c0));
    assert_false(psbt_finalize(&lone));
    for (size_t i = 0; i < IN_COUNT; i++)
        assert_int_equal(psbt_input_is_final(&lone.inputs[i]), i != IN_WSH);
    struct tx tx;
    assert_false(psbt_extract(&lone, &tx));
    assert_true(psbt_analyze(&lone, DEFAULT_BYTES_PER_SIGOP, &a));
    assert_int_equal(a.next, PSBT_ROLE_SIGNER);
    assert_true(a.inputs[IN_PKH].is_final);
    assert_int_equal(a.inputs[IN_PKH].next, PSBT_ROLE_EXTRACTOR);
    assert_int_equal(a.inputs[IN_WSH].missing_sig_count, 1);
    assert_memory_equal(a.inputs[IN_WSH].missing_sigs[0], f.k[4].id, 20);
    psbt_analysis_clear(&a);
    psbt_clear(&lone);

    bool mismatch;
    assert_true(psbt_merge(&c0, &c1, &mismatch));
    assert_int_equal(c0.inputs[IN_WSH].partial_sigs.count, 2);
    /* Merging is idempotent. */
    assert_true(psbt_merge(&c0, &c1, &mismatch));
    assert_int_equal(c0.inputs[IN_WSH].partial_sigs.count, 2);

    assert_true(psbt_analyze(&c0, DEFAULT_BYTES_PER_SIGOP, &a));
    assert_int_equal(a.next, PSBT_ROLE_FINALIZER);
    assert_true(a.has_vsize && a.has_feerate);
    size_t est_vsize = a.estimated_vsize;
    assert_int_equal(a.feerate, 100000 * 1000 / (int64_t)est_vsize);
    psbt_analysis_clear(&a);

    assert_true(psbt_finalize(&c0));
    assert_true(psbt_analyze(&c0, DEFAULT_BYTES_PER_SIGOP, &a));
    assert_int_equal(a.next, PSBT_ROLE_EXTRACTOR);
    for (size_t i = 0; i < IN_COUNT; i++) assert_true(a.inputs[i].is_final);
    psbt_analysis_clear(&a);
    /* Finalized inputs keep only UTXOs and final scripts. */
    assert_int_equal(c0.inputs[IN_WSH].partial_sigs.count, 0);
    assert_int_equal(c0.inputs[IN_WSH].witness_script.len, 0);
    assert_int_equal(c0.inputs[IN_WSH].final_witness_count, 4);
    assert_int_equal(c0.inputs[IN_TR].final_witness_count, 1);
    assert_int_equal(c0.inputs[IN_SH_WPKH].final_script_sig.len, 23);

    assert_true(psbt_extract(&c0, &tx));
    assert_int_equal((tx_weight(&tx) + 3) / 4, est_vsize);
    struct sighash_precomputed pre;
    sighash_precompute(&pre, &tx, f.funding.vout);
    for (size_t i = 0; i < IN_COUNT; i++) {
        struct script_checker ck = {&tx, i, f.funding.vout[i].value, &pre};
        enum script_error serr;
        if (!script_verify(tx.vin[i].script_sig, tx.vin[i].script_sig_len,
                           f.funding.vout[i].script_pubkey, f.funding.vout[i].script_pubkey_len,
                           tx.vin[i].witness, tx.vin[i].witness_count,
                           STANDARD_SCRIPT_VERIFY_FLAGS, &ck, &serr))
            fail_msg("input %zu: %s", i, script_error_string(serr));
    }
    /* Without its scriptSigs it is the unsigned transaction. */
    for (size_t i = 0; i < IN_COUNT; i++) assert_true(tx_set_script_sig(&tx.vin[i], NULL, 0));
    uint256 a_id, b_id;
    tx_txid(&tx, &a_id);
    tx_txid(&f.spend, &b_id);
    assert_memory_equal(a_id.b, b_id.b, 32);
    tx_clear(&tx);

    /* A finalized PSBT round-trips and stays final. */
    size_t len;
    uint8_t *ser = psbt_serialize(&c0, &len);
    check_roundtrip_exact(ser, len);
    free(ser);

    /* Different transactions do not combine. */
    struct tx other;
    assert_true(tx_copy(&other, &f.spend));
    other.locktime = 7;
    struct psbt po;
    assert_true(psbt_from_tx(&po, &other));
    assert_false(psbt_merge(&c0, &po, &mismatch));
    assert_true(mismatch);
    psbt_clear(&po);
    tx_clear(&other);

    /* A bad signature never finalizes. */
    struct psbt bad;
    updated_psbt(&f, &bad);
    uint256 wrong;
    memset(wrong.b, 7, 32);
    add_sig(&bad, IN_WPKH, &f.k[1], &wrong);
    assert_false(psbt_finalize(&bad));
    assert_false(psbt_input_is_final(&bad.inputs[IN_WPKH]));
    psbt_clear(&bad);

    psbt_clear(&c0);
    psbt_clear(&c1);
    psbt_clear(&p0);
    psbt_clear(&p1);
    free_fixture(&f);
}

static void test_join_and_trim(void **state)
{
    (void)state;
    struct fixture f;
    build_fixture(&f);
    struct psbt p;
    updated_psbt(&f, &p);
    struct psbt j;
    psbt_init(&j);
    bool dup;
    assert_true(psbt_add_input(&j, &p, IN_WSH, &dup));
    assert_false(psbt_add_input(&j, &p, IN_WSH, &dup));
    assert_true(dup);
    assert_true(psbt_add_output(&j, &p, 0));
    assert_int_equal(j.tx.vin_count, 1);
    assert_int_equal(j.inputs[0].witness_script.len, 71);
    char *s = psbt_to_base64(&j);
    struct psbt back;
    char err[PSBT_ERR_MAX];
    assert_true(psbt_from_base64(&back, s, err));
    free(s);
    psbt_clear(&back);
    psbt_clear(&j);

    /* Non-witness UTXOs go only when every input is segwit v1+. */
    psbt_remove_unnecessary_transactions(&p);
    assert_non_null(p.inputs[IN_PKH].non_witness_utxo);
    psbt_clear(&p);
    struct psbt t;
    struct tx one;
    tx_init(&one);
    assert_true(tx_resize(&one, 1, 1));
    one.vin[0].prevout = f.spend.vin[IN_TR].prevout;
    one.vout[0].value = 1000;
    assert_true(psbt_from_tx(&t, &one));
    assert_true(psbt_input_set_witness_utxo(&t.inputs[0], &f.funding.vout[IN_TR]));
    t.inputs[0].non_witness_utxo = malloc(sizeof(struct tx));
    assert_true(tx_copy(t.inputs[0].non_witness_utxo, &f.funding));
    psbt_remove_unnecessary_transactions(&t);
    assert_null(t.inputs[0].non_witness_utxo);
    psbt_clear(&t);
    tx_clear(&one);
    free_fixture(&f);
}

/* ---- RPC ---- */

static bool call(struct psbt_rpc_ctx *ctx, const char *method, json_t *params, json_t **result,
                 struct rpc_error *err)
{
    struct rpc_table t = psbt_rpc_table(ctx);
    for (size_t i = 0; i < t.count; i++)
        if (strcmp(t.methods[i].name, method) == 0) {
            bool ok = rpc_method_call(&t.methods[i], ctx, params, result, err);
            json_decref(params);
            return ok;
        }
    fail_msg("no method %s", method);
    return false;
}

static void expect_rpc_error(struct psbt_rpc_ctx *ctx, const char *method, json_t *params,
                             int code, const char *msg)
{
    json_t *r = NULL;
    struct rpc_error err = {0, NULL};
    if (call(ctx, method, params, &r, &err)) fail_msg("%s succeeded", method);
    assert_int_equal(err.code, code);
    if (!strstr(err.message, msg))
        fail_msg("%s: \"%s\" lacks \"%s\"", method, err.message, msg);
    rpc_error_clear(&err);
}

static void test_rpc(void **state)
{
    (void)state;
    struct psbt_rpc_ctx ctx = {chainparams_by_name("regtest"), NULL};
    json_t *r = NULL;
    struct rpc_error err = {0, NULL};

    assert_true(call(&ctx, "decodepsbt", json_pack("[s]", VALID[2]), &r, &err));
    assert_non_null(json_object_get(r, "tx"));
    assert_int_equal(json_array_size(json_object_get(r, "global_xpubs")), 2);
    const json_t *x0 = json_array_get(json_object_get(r, "global_xpubs"), 0);
    assert_string_equal(json_string_value(json_object_get(x0, "master_fingerprint")),
                        "d90c6a4f");
    assert_string_equal(json_string_value(json_object_get(x0, "path")), "m/174h/0h");
    assert_int_equal(json_integer_value(json_object_get(r, "psbt_version")), 0);
    const json_t *in0 = json_array_get(json_object_get(r, "inputs"), 0);
    assert_non_null(json_object_get(in0, "witness_utxo"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(in0, "witness_script"), "type")),
        "multisig");
    assert_int_equal(json_array_size(json_object_get(in0, "bip32_derivs")), 2);
    assert_non_null(json_object_get(r, "fee"));
    json_decref(r);

    assert_true(call(&ctx, "decodepsbt", json_pack("[s]", VALID[3]), &r, &err));
    in0 = json_array_get(json_object_get(r, "inputs"), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(in0, "unknown"),
                                                          "f0010203040506070809")),
                        "0102030405060708090a0b0c0d0e0f");
    assert_null(json_object_get(r, "fee"));
    json_decref(r);

    expect_rpc_error(&ctx, "decodepsbt", json_pack("[s]", "not base64!"),
                     RPC_DESERIALIZATION_ERROR, "TX decode failed invalid base64");
    expect_rpc_error(&ctx, "decodepsbt", json_pack("[s]", INVALID[0]),
                     RPC_DESERIALIZATION_ERROR, "TX decode failed Invalid PSBT magic bytes");
    expect_rpc_error(&ctx, "combinepsbt", json_pack("[[]]"), RPC_INVALID_PARAMETER,
                     "Parameter 'txs' cannot be empty");
    expect_rpc_error(&ctx, "combinepsbt", json_pack("[[s,s]]", VALID[2], VALID[3]),
                     RPC_VERIFY_ERROR, "PSBTs not compatible (different transactions)");
    expect_rpc_error(&ctx, "joinpsbts", json_pack("[[s]]", VALID[2]), RPC_INVALID_PARAMETER,
                     "At least two PSBTs are required to join PSBTs.");
    expect_rpc_error(&ctx, "joinpsbts", json_pack("[[s,s]]", VALID[2], VALID[2]),
                     RPC_INVALID_PARAMETER, "exists in multiple PSBTs");
    expect_rpc_error(&ctx, "utxoupdatepsbt", json_pack("[s]", VALID[2]), RPC_IN_WARMUP,
                     "Loading");
    expect_rpc_error(&ctx, "converttopsbt", json_pack("[s]", "zz"), RPC_DESERIALIZATION_ERROR,
                     "TX decode failed");

    /* createpsbt -> decodepsbt; converttopsbt of the same raw transaction agrees. */
    json_t *inputs = json_pack(
        "[{s:s,s:i}]", "txid",
        "1111111111111111111111111111111111111111111111111111111111111111", "vout", 3);
    json_t *outputs = json_pack("[{s:s}]", "data", "00010203");
    assert_true(call(&ctx, "createpsbt", json_pack("[O,O]", inputs, outputs), &r, &err));
    char *created = strdup(json_string_value(r));
    json_decref(r);
    assert_true(call(&ctx, "decodepsbt", json_pack("[s]", created), &r, &err));
    const json_t *tx = json_object_get(r, "tx");
    assert_int_equal(json_array_size(json_object_get(tx, "vin")), 1);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(tx, "vin"), 0), "vout")),
                     3);
    assert_int_equal(json_array_size(json_object_get(r, "inputs")), 1);
    json_decref(r);
    json_decref(inputs);
    json_decref(outputs);

    size_t raw_len;
    uint8_t *raw = b64(created, &raw_len);
    struct psbt p;
    assert_true(psbt_parse(&p, raw, raw_len, NULL));
    free(raw);
    struct writer w;
    writer_init(&w);
    tx_serialize(&w, &p.tx, true);
    char *hex = malloc(2 * w.len + 1);
    hex_encode(hex, w.data, w.len);
    assert_true(call(&ctx, "converttopsbt", json_pack("[s]", hex), &r, &err));
    assert_string_equal(json_string_value(r), created);
    json_decref(r);
    /* With a scriptSig it is refused unless permitsigdata. */
    assert_true(tx_set_script_sig(&p.tx.vin[0], (const uint8_t *)"\x51", 1));
    writer_free(&w);
    writer_init(&w);
    tx_serialize(&w, &p.tx, true);
    free(hex);
    hex = malloc(2 * w.len + 1);
    hex_encode(hex, w.data, w.len);
    expect_rpc_error(&ctx, "converttopsbt", json_pack("[s]", hex), RPC_DESERIALIZATION_ERROR,
                     "Inputs must not have scriptSigs and scriptWitnesses");
    assert_true(call(&ctx, "converttopsbt", json_pack("[s,b]", hex, 1), &r, &err));
    assert_string_equal(json_string_value(r), created);
    json_decref(r);
    free(hex);
    writer_free(&w);
    psbt_clear(&p);

    /* finalizepsbt / analyzepsbt on a PSBT that cannot be finished. */
    assert_true(call(&ctx, "finalizepsbt", json_pack("[s]", created), &r, &err));
    assert_false(json_is_true(json_object_get(r, "complete")));
    assert_string_equal(json_string_value(json_object_get(r, "psbt")), created);
    json_decref(r);
    assert_true(call(&ctx, "analyzepsbt", json_pack("[s]", created), &r, &err));
    assert_string_equal(json_string_value(json_object_get(r, "next")), "updater");
    json_decref(r);

    /* combinepsbt of identical halves, joinpsbts of two distinct ones. */
    assert_true(call(&ctx, "combinepsbt", json_pack("[[s,s]]", created, created), &r, &err));
    assert_string_equal(json_string_value(r), created);
    json_decref(r);
    assert_true(call(&ctx, "joinpsbts", json_pack("[[s,s]]", created, VALID[2]), &r, &err));
    json_t *joined = NULL;
    assert_true(call(&ctx, "decodepsbt", json_pack("[O]", r), &joined, &err));
    assert_int_equal(json_array_size(json_object_get(joined, "inputs")), 2);
    assert_int_equal(json_array_size(json_object_get(joined, "outputs")), 2);
    json_decref(joined);
    json_decref(r);
    free(created);

    /* A finished PSBT: finalizepsbt extracts. */
    struct fixture f;
    build_fixture(&f);
    struct psbt s;
    updated_psbt(&f, &s);
    sign_half(&f, &s, 0);
    sign_half(&f, &s, 1);
    char *signed_b64 = psbt_to_base64(&s);
    assert_true(call(&ctx, "analyzepsbt", json_pack("[s]", signed_b64), &r, &err));
    assert_string_equal(json_string_value(json_object_get(r, "next")), "finalizer");
    assert_non_null(json_object_get(r, "estimated_vsize"));
    assert_non_null(json_object_get(r, "estimated_feerate"));
    json_decref(r);
    assert_true(call(&ctx, "finalizepsbt", json_pack("[s]", signed_b64), &r, &err));
    assert_true(json_is_true(json_object_get(r, "complete")));
    assert_non_null(json_object_get(r, "hex"));
    assert_null(json_object_get(r, "psbt"));
    json_decref(r);
    assert_true(call(&ctx, "finalizepsbt", json_pack("[s,b]", signed_b64, 0), &r, &err));
    assert_true(json_is_true(json_object_get(r, "complete")));
    const char *fin = json_string_value(json_object_get(r, "psbt"));
    json_t *d = NULL;
    assert_true(call(&ctx, "decodepsbt", json_pack("[s]", fin), &d, &err));
    const json_t *i0 = json_array_get(json_object_get(d, "inputs"), IN_PKH);
    assert_non_null(json_object_get(i0, "final_scriptSig"));
    assert_non_null(json_object_get(json_array_get(json_object_get(d, "inputs"), IN_WSH),
                                    "final_scriptwitness"));
    assert_non_null(json_object_get(d, "fee"));
    json_decref(d);
    json_decref(r);
    free(signed_b64);
    psbt_clear(&s);
    free_fixture(&f);
}

static int setup(void **state)
{
    (void)state;
    g_ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    return g_ctx ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    secp256k1_context_destroy(g_ctx);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_invalid_vectors),
        cmocka_unit_test(test_valid_vectors),
        cmocka_unit_test(test_crafted),
        cmocka_unit_test(test_non_witness_utxo),
        cmocka_unit_test(test_canonical_order),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_join_and_trim),
        cmocka_unit_test(test_rpc),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
