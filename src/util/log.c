/* The process-wide logger (see log.h). A mutex serialises writers so lines never
 * interleave; the category mask is an atomic word so the hot "is it enabled" check
 * takes no lock. */
#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <sys/time.h>
#include <time.h>

static const char *const category_names[LOG_CATEGORY_COUNT] = {
    [LOG_NET] = "net",
    [LOG_TOR] = "tor",
    [LOG_MEMPOOL] = "mempool",
    [LOG_HTTP] = "http",
    [LOG_BENCH] = "bench",
    [LOG_ZMQ] = "zmq",
    [LOG_WALLETDB] = "walletdb",
    [LOG_RPC] = "rpc",
    [LOG_ESTIMATEFEE] = "estimatefee",
    [LOG_ADDRMAN] = "addrman",
    [LOG_SELECTCOINS] = "selectcoins",
    [LOG_REINDEX] = "reindex",
    [LOG_CMPCTBLOCK] = "cmpctblock",
    [LOG_RAND] = "rand",
    [LOG_PRUNE] = "prune",
    [LOG_PROXY] = "proxy",
    [LOG_MEMPOOLREJ] = "mempoolrej",
    [LOG_LIBEVENT] = "libevent",
    [LOG_COINDB] = "coindb",
    [LOG_LEVELDB] = "leveldb",
    [LOG_VALIDATION] = "validation",
    [LOG_BLOCKSTORAGE] = "blockstorage",
    [LOG_MINTING] = "minting",
    [LOG_SERVICES] = "services",
};

static pthread_mutex_t log_mutex = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint_fast64_t log_mask;
/* A lock-free atomic: safe to set from a signal handler and to read from any thread. */
static atomic_int log_reopen;
static FILE *log_file;
static char log_path[4096];
static bool log_console;
static bool log_timestamps = true;

const char *log_category_name(enum log_category c)
{
    if (c <= LOG_NONE || c >= LOG_CATEGORY_COUNT) return NULL;
    return category_names[c];
}

bool log_category_from_name(const char *name, enum log_category *out)
{
    for (int c = 1; c < LOG_CATEGORY_COUNT; c++) {
        if (strcmp(name, category_names[c]) == 0) {
            *out = (enum log_category)c;
            return true;
        }
    }
    return false;
}

static const uint_fast64_t all_mask = ((uint_fast64_t)1 << LOG_CATEGORY_COUNT) - 2;

bool log_enable_category(const char *name)
{
    enum log_category c;
    if (strcmp(name, "all") == 0 || strcmp(name, "1") == 0 || strcmp(name, "") == 0) {
        atomic_fetch_or(&log_mask, all_mask);
        return true;
    }
    if (strcmp(name, "none") == 0 || strcmp(name, "0") == 0) {
        atomic_store(&log_mask, 0);
        return true;
    }
    if (!log_category_from_name(name, &c)) return false;
    atomic_fetch_or(&log_mask, (uint_fast64_t)1 << c);
    return true;
}

bool log_disable_category(const char *name)
{
    enum log_category c;
    if (strcmp(name, "all") == 0 || strcmp(name, "1") == 0) {
        atomic_store(&log_mask, 0);
        return true;
    }
    if (!log_category_from_name(name, &c)) return false;
    atomic_fetch_and(&log_mask, ~((uint_fast64_t)1 << c));
    return true;
}

bool log_category_enabled(enum log_category c)
{
    if (c == LOG_NONE) return true;
    if (c < 0 || c >= LOG_CATEGORY_COUNT) return false;
    return (atomic_load(&log_mask) >> c) & 1;
}

bool log_open_file(const char *path, char *err, size_t errlen)
{
    pthread_mutex_lock(&log_mutex);
    if (log_file) fclose(log_file);
    log_file = NULL;
    log_path[0] = '\0';
    bool ok = true;
    if (path) {
        log_file = fopen(path, "a");
        if (!log_file) {
            if (err)
                snprintf(err, errlen, "Could not open debug log file %s: %s", path,
                         strerror(errno));
            ok = false;
        } else {
            setvbuf(log_file, NULL, _IOLBF, 0);
            snprintf(log_path, sizeof log_path, "%s", path);
        }
    }
    pthread_mutex_unlock(&log_mutex);
    return ok;
}

void log_set_console(bool on)
{
    pthread_mutex_lock(&log_mutex);
    log_console = on;
    pthread_mutex_unlock(&log_mutex);
}

void log_set_timestamps(bool on)
{
    pthread_mutex_lock(&log_mutex);
    log_timestamps = on;
    pthread_mutex_unlock(&log_mutex);
}

void log_file_path(char *buf, size_t len)
{
    pthread_mutex_lock(&log_mutex);
    snprintf(buf, len, "%s", log_path);
    pthread_mutex_unlock(&log_mutex);
}

void log_request_reopen(void) { atomic_store(&log_reopen, 1); }

void log_shutdown(void)
{
    pthread_mutex_lock(&log_mutex);
    if (log_file) fclose(log_file);
    log_file = NULL;
    log_path[0] = '\0';
    log_console = false;
    log_timestamps = true;
    atomic_store(&log_mask, 0);
    pthread_mutex_unlock(&log_mutex);
}

void log_printf(enum log_category c, const char *fmt, ...)
{
    if (!log_category_enabled(c)) return;
    char msg[4096];
    size_t off = 0;
    const char *cat = log_category_name(c);
    if (cat) off = (size_t)snprintf(msg, sizeof msg, "[%s] ", cat);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + off, sizeof msg - off, fmt, ap);
    va_end(ap);
    size_t len = strlen(msg);
    bool newline = len > 0 && msg[len - 1] == '\n';

    char stamp[40] = "";
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);

    pthread_mutex_lock(&log_mutex);
    if (log_timestamps) strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    if (log_path[0] && atomic_exchange(&log_reopen, 0)) {
        FILE *f = fopen(log_path, "a");
        if (f) {
            if (log_file) fclose(log_file);
            log_file = f;
            setvbuf(log_file, NULL, _IOLBF, 0);
        }
    }
    if (log_file) fprintf(log_file, "%s%s%s", stamp, msg, newline ? "" : "\n");
    if (log_console) {
        fprintf(stdout, "%s%s%s", stamp, msg, newline ? "" : "\n");
        fflush(stdout);
    }
    pthread_mutex_unlock(&log_mutex);
}
