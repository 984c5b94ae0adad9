/* Command-line and configuration-file options, Bitcoin Core style.
 *
 * A program declares its options in a table (struct arg_def). Command-line words look
 * like -name=value, -name (a boolean set to true, or an empty string), -noname (negated)
 * and may use two dashes. Option parsing stops at the first word that does not start
 * with a dash; what follows are positional arguments (iop-cli's method and params).
 *
 * The configuration file holds name=value lines, # comments, [section] headers naming a
 * chain and section.name=value lines. Precedence, highest first: the command line (last
 * value wins), the section of the selected chain, the top of the file (first value wins
 * in the file). Options flagged ARG_NETWORK_ONLY are taken from the top of the file only
 * on the main chain, as in Core, so that e.g. a top-level rpcport does not leak into
 * regtest. Unknown options and malformed values are errors naming the option. */
#ifndef IOP_UTIL_ARGS_H
#define IOP_UTIL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum arg_type {
    ARG_BOOL,   /* -x, -x=1, -x=0, -nox; "true"/"false" accepted */
    ARG_INT,    /* a decimal integer */
    ARG_STRING, /* any text; the last one set wins */
    ARG_LIST,   /* may be given several times; all values are kept */
};

enum {
    ARG_NETWORK_ONLY = 1, /* ignored at the top of the conf file unless chain is main */
    ARG_HIDDEN = 2,       /* accepted but not listed by args_help */
    ARG_CMDLINE_ONLY = 4, /* rejected in the conf file (e.g. -conf, -datadir) */
};

struct arg_def {
    const char *name; /* without the dash */
    enum arg_type type;
    unsigned flags;
    const char *param; /* shown after the name in help, e.g. "=<port>"; may be "" */
    const char *help;
};

struct args;

/* A new option set over defs (n entries; the table must outlive the set). NULL on out
 * of memory. args_free(NULL) is a no-op. */
struct args *args_new(const struct arg_def *defs, size_t n);
void args_free(struct args *a);

/* Parses argv[1..]. Options stop at the first word without a leading dash; its index is
 * stored in *first_positional (argc if none). If first_positional is NULL, a positional
 * word is an error. Returns false with a message in err on an unknown option or a
 * malformed value. */
__attribute__((warn_unused_result)) bool args_parse_cmdline(struct args *a, int argc,
                                                            char *const *argv,
                                                            int *first_positional, char *err,
                                                            size_t errlen);

/* Reads conf-file text; source names it in messages. With ignore_unknown, unknown option
 * names are skipped silently (iop-cli reads iopd's file). Returns false on a syntax error,
 * an unknown option or a malformed value, with "source:line" in the message. */
__attribute__((warn_unused_result)) bool args_read_conf_text(struct args *a, const char *text,
                                                             const char *source,
                                                             bool ignore_unknown, char *err,
                                                             size_t errlen);

/* Reads a conf file. A missing file is fine unless must_exist. */
__attribute__((warn_unused_result)) bool args_read_conf_file(struct args *a, const char *path,
                                                             bool must_exist,
                                                             bool ignore_unknown, char *err,
                                                             size_t errlen);

/* Works out the chain from -chain, -regtest and -testnet (command line, then the top of
 * the conf file); "main" if none. Returns NULL and sets err if they conflict. The result
 * points into a static string or into a value owned by a. */
const char *args_chain(const struct args *a, char *err, size_t errlen);

/* Selects the conf-file section consulted by the getters (the chain name). */
__attribute__((warn_unused_result)) bool args_select_section(struct args *a,
                                                             const char *section);

/* Whether the option has any value (negated counts as set). */
bool args_is_set(const struct args *a, const char *name);
/* Whether the effective value is a negation (-noname). */
bool args_is_negated(const struct args *a, const char *name);
/* Effective value, or NULL if unset; a negated option reads "0". */
const char *args_get(const struct args *a, const char *name);
const char *args_get_str(const struct args *a, const char *name, const char *def);
bool args_get_bool(const struct args *a, const char *name, bool def);
int64_t args_get_int(const struct args *a, const char *name, int64_t def);
/* Values of a list option in precedence order. *out is a new array of pointers owned by
 * a (free only the array). Returns the count; 0 with *out NULL if none. */
size_t args_get_list(const struct args *a, const char *name, const char ***out);

/* Sets a value as if from the command line (lower than nothing; used for defaults that
 * depend on other options, e.g. -printtoconsole=0 with -daemon). */
__attribute__((warn_unused_result)) bool args_soft_set(struct args *a, const char *name,
                                                       const char *value);

/* Warnings collected while reading conf files (unrecognised sections), '\n'-separated,
 * or NULL. Owned by a. */
const char *args_warnings(const struct args *a);

/* Writes "Options:" help for all non-hidden defs to a new string (caller frees). */
char *args_help(const struct args *a);

/* Strict parsers shared with other modules. */
bool args_parse_int64(const char *s, int64_t *out);
bool args_parse_bool(const char *s, bool *out);

#endif
