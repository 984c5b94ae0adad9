/* The debug log: one process-wide logger, safe to call from any thread.
 *
 * Lines go to a file (debug.log in the chain's datadir unless -debuglogfile says
 * otherwise) and/or stdout, each prefixed with an ISO 8601 UTC timestamp. Messages in a
 * category (net, rpc, http, ...) are written only when that category is enabled with
 * -debug=CATEGORY; uncategorised messages always are. log_request_reopen() is
 * async-signal-safe: SIGHUP calls it and the next line reopens the file, so logrotate
 * can move debug.log away. */
#ifndef IOP_UTIL_LOG_H
#define IOP_UTIL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_category {
    LOG_NONE = 0, /* always logged */
    LOG_NET,
    LOG_TOR,
    LOG_MEMPOOL,
    LOG_HTTP,
    LOG_BENCH,
    LOG_ZMQ,
    LOG_WALLETDB,
    LOG_RPC,
    LOG_ESTIMATEFEE,
    LOG_ADDRMAN,
    LOG_SELECTCOINS,
    LOG_REINDEX,
    LOG_CMPCTBLOCK,
    LOG_RAND,
    LOG_PRUNE,
    LOG_PROXY,
    LOG_MEMPOOLREJ,
    LOG_LIBEVENT,
    LOG_COINDB,
    LOG_LEVELDB,
    LOG_VALIDATION,
    LOG_BLOCKSTORAGE,
    LOG_MINTING,
    LOG_SERVICES,
    LOG_CATEGORY_COUNT
};

/* Name of a category ("net"), or NULL for LOG_NONE / out of range. */
const char *log_category_name(enum log_category c);
/* Category by name; also accepts nothing else. Returns false if unknown. */
bool log_category_from_name(const char *name, enum log_category *out);

/* Enables or disables a category by name; "all"/"1" and "none"/"0" act on every one.
 * Returns false for an unknown name. */
bool log_enable_category(const char *name);
bool log_disable_category(const char *name);
bool log_category_enabled(enum log_category c);

/* Opens (appends to) path for logging; NULL stops file logging. Returns false and sets
 * errno-style text in err if the file cannot be opened. */
__attribute__((warn_unused_result)) bool log_open_file(const char *path, char *err,
                                                       size_t errlen);
void log_set_console(bool on);
void log_set_timestamps(bool on);
/* Path of the open log file, or "" if none. Copies into buf. */
void log_file_path(char *buf, size_t len);

/* Asks for the file to be reopened before the next line (async-signal-safe). */
void log_request_reopen(void);

/* Closes the file and resets all state (end of main; tests). */
void log_shutdown(void);

void log_printf(enum log_category c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_info(...) log_printf(LOG_NONE, __VA_ARGS__)
#define log_debug(cat, ...)                                                                    \
    do {                                                                                       \
        if (log_category_enabled(cat)) log_printf(cat, __VA_ARGS__);                           \
    } while (0)

#endif
