/* bench_rpc: JSON-RPC load on a regtest node.
 *
 * Measures requests per second for `getblockcount` and `getblock <hash> 2` with 1 and
 * 16 concurrent clients. Each client is a thread with one persistent HTTP/1.1
 * keep-alive socket that sends a request, reads the whole response and checks it is a
 * JSON-RPC success with the expected result before sending the next: the figure is the
 * round-trip rate a synchronous client (an exchange's poller) sees, not a pipelined
 * peak.
 *
 * By default the program starts its own `iopd -regtest` in a temporary datadir on a
 * free loopback port, mines 101 blocks to a fixed P2WPKH address, runs the load, stops
 * the node with the `stop` RPC and removes the directory. With --rpcport and --cookie it
 * loads a node that is already running (on 127.0.0.1) and mines nothing: getblock then
 * asks for the tip. Details: doc/performance.md, "RPC load". */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chain/chainparams.h"
#include "consensus/address.h"

#define MINE_BLOCKS 101
#define MAX_CLIENTS 16
#define RESP_MAX    (64u << 20) /* largest response body accepted */

/* One keep-alive connection to the node. */
struct conn {
    int fd;
    char *buf; /* received bytes not yet consumed */
    size_t len, cap;
};

struct target {
    uint16_t port;
    char auth[512]; /* "Basic <base64(user:password)>" */
};

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void base64(char *out, const unsigned char *in, size_t n)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = tab[v >> 18];
        *out++ = tab[(v >> 12) & 63];
        *out++ = tab[(v >> 6) & 63];
        *out++ = tab[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        *out++ = tab[v >> 18];
        *out++ = tab[(v >> 12) & 63];
        *out++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *out++ = '=';
    }
    *out = '\0';
}

/* Reads "user:password" from a cookie file into t->auth. */
static bool target_load_cookie(struct target *t, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read cookie %s: %s", path, strerror(errno));
        return false;
    }
    char line[300];
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    if (n == 0 || !strchr(line, ':')) {
        snprintf(err, errlen, "cookie %s is not user:password", path);
        return false;
    }
    strcpy(t->auth, "Basic ");
    base64(t->auth + 6, (const unsigned char *)line, n);
    return true;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = 0;
}

static bool conn_open(struct conn *c, uint16_t port)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) return false;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {.tv_sec = 120};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(c->fd);
        c->fd = -1;
        return false;
    }
    return true;
}

static bool conn_fill(struct conn *c)
{
    if (c->cap - c->len < 65536) {
        size_t cap = c->cap ? c->cap * 2 : 131072;
        char *b = realloc(c->buf, cap);
        if (!b) return false;
        c->buf = b;
        c->cap = cap;
    }
    ssize_t r;
    for (;;) {
        r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
        if (r >= 0 || errno != EINTR) break;
    }
    if (r <= 0) return false;
    c->len += (size_t)r;
    c->buf[c->len] = '\0';
    return true;
}

/* Sends one POST with body and reads the response. On success *status is the HTTP
 * status and *body a malloc'd NUL-terminated copy of the body (caller frees). */
static bool conn_call(struct conn *c, const struct target *t, const char *body, int *status,
                      char **out)
{
    char head[1024];
    size_t blen = strlen(body);
    int hl = snprintf(head, sizeof head,
                      "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
                      "Authorization: %s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      t->auth, blen);
    if (hl <= 0 || (size_t)hl >= sizeof head) return false;
    struct iovec_part {
        const char *p;
        size_t n;
    } parts[2] = {{head, (size_t)hl}, {body, blen}};
    for (int i = 0; i < 2; i++) {
        size_t off = 0;
        while (off < parts[i].n) {
            ssize_t w = send(c->fd, parts[i].p + off, parts[i].n - off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return false;
            off += (size_t)w;
        }
    }
    char *end;
    while (!c->buf || !(end = strstr(c->buf, "\r\n\r\n"))) {
        if (c->len > 65536 || !conn_fill(c)) return false;
    }
    size_t hdr_len = (size_t)(end - c->buf) + 4;
    if (sscanf(c->buf, "HTTP/1.%*d %d", status) != 1) return false;
    size_t clen = 0;
    bool have_len = false;
    for (char *p = strstr(c->buf, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, "Content-Length:", 15) == 0) {
            clen = strtoul(p + 17, NULL, 10);
            have_len = true;
        }
    }
    if (!have_len || clen > RESP_MAX) return false;
    while (c->len < hdr_len + clen)
        if (!conn_fill(c)) return false;
    *out = malloc(clen + 1);
    if (!*out) return false;
    memcpy(*out, c->buf + hdr_len, clen);
    (*out)[clen] = '\0';
    memmove(c->buf, c->buf + hdr_len + clen, c->len - hdr_len - clen);
    c->len -= hdr_len + clen;
    c->buf[c->len] = '\0';
    return true;
}

/* A JSON-RPC call on a fresh or given connection; returns the result (caller decrefs)
 * or NULL with err set. */
static json_t *rpc_call(struct conn *c, const struct target *t, const char *method,
                        const char *params_json, char *err, size_t errlen)
{
    char body[4096];
    snprintf(body, sizeof body,
             "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method,
             params_json);
    int status = 0;
    char *resp = NULL;
    if (!conn_call(c, t, body, &status, &resp)) {
        snprintf(err, errlen, "%s: connection failed", method);
        return NULL;
    }
    json_error_t je;
    json_t *doc = json_loads(resp, 0, &je);
    json_t *res = doc ? json_object_get(doc, "result") : NULL;
    json_t *e = doc ? json_object_get(doc, "error") : NULL;
    if (status != 200 || !res || (e && !json_is_null(e))) {
        json_t *msg = e ? json_object_get(e, "message") : NULL;
        snprintf(err, errlen, "%s: HTTP %d%s%s", method, status, msg ? ": " : "",
                 msg ? json_string_value(msg) : "");
        json_decref(doc);
        free(resp);
        return NULL;
    }
    json_incref(res);
    json_decref(doc);
    free(resp);
    return res;
}

/* ---- the load ---- */

struct load {
    const struct target *t;
    const char *body;       /* request sent again and again */
    const char *block_hash; /* getblock: expected hash; NULL for getblockcount */
    int64_t height;         /* getblockcount: at least this */
    int stop;               /* set (atomically) by the main thread when the time is up */
    pthread_barrier_t start;
};

struct client {
    struct load *load;
    uint64_t ok, bad;
    char err[256];
};

static bool check_response(const struct load *l, int status, const char *resp, char *err,
                           size_t errlen)
{
    if (status != 200) {
        snprintf(err, errlen, "HTTP %d: %.120s", status, resp);
        return false;
    }
    json_error_t je;
    json_t *doc = json_loads(resp, 0, &je);
    bool good = false;
    if (!doc) {
        snprintf(err, errlen, "response is not JSON: %s", je.text);
        return false;
    }
    json_t *res = json_object_get(doc, "result");
    json_t *e = json_object_get(doc, "error");
    json_t *id = json_object_get(doc, "id");
    if (!res || !e || !json_is_null(e) || !json_is_integer(id) || json_integer_value(id) != 7)
        snprintf(err, errlen, "not a JSON-RPC 1.x success: %.120s", resp);
    else if (!l->block_hash)
        good = json_is_integer(res) && json_integer_value(res) >= l->height; /* may grow */
    else {
        json_t *tx = json_object_get(res, "tx");
        const char *h = json_string_value(json_object_get(res, "hash"));
        good = h && strcmp(h, l->block_hash) == 0 && json_array_size(tx) > 0 &&
               json_is_object(json_array_get(tx, 0));
    }
    if (!good && !err[0]) snprintf(err, errlen, "unexpected result: %.120s", resp);
    json_decref(doc);
    return good;
}

static void *client_main(void *arg)
{
    struct client *cl = arg;
    struct load *l = cl->load;
    struct conn c;
    bool open = conn_open(&c, l->t->port);
    pthread_barrier_wait(&l->start);
    if (!open) {
        snprintf(cl->err, sizeof cl->err, "cannot connect: %s", strerror(errno));
        cl->bad++;
        return NULL;
    }
    while (!__atomic_load_n(&l->stop, __ATOMIC_RELAXED)) {
        int status = 0;
        char *resp = NULL;
        if (!conn_call(&c, l->t, l->body, &status, &resp)) {
            snprintf(cl->err, sizeof cl->err, "connection failed or closed");
            cl->bad++;
            break;
        }
        char err[256] = "";
        if (check_response(l, status, resp, err, sizeof err))
            cl->ok++;
        else {
            if (!cl->err[0]) snprintf(cl->err, sizeof cl->err, "%s", err);
            cl->bad++;
        }
        free(resp);
    }
    conn_close(&c);
    return NULL;
}

/* Runs nclients clients for seconds; *rate gets successful requests per second. */
static bool run_load(struct load *l, int nclients, double seconds, double *rate,
                     uint64_t *count, char *err, size_t errlen)
{
    pthread_t th[MAX_CLIENTS];
    struct client cl[MAX_CLIENTS];
    memset(cl, 0, sizeof cl);
    l->stop = 0;
    if (pthread_barrier_init(&l->start, NULL, (unsigned)nclients + 1) != 0) {
        snprintf(err, errlen, "pthread_barrier_init failed");
        return false;
    }
    int started = 0;
    for (; started < nclients; started++) {
        cl[started].load = l;
        if (pthread_create(&th[started], NULL, client_main, &cl[started]) != 0) break;
    }
    if (started < nclients) {
        /* The barrier cannot be released without every thread: give up loudly. */
        fprintf(stderr, "bench_rpc: pthread_create failed\n");
        exit(1);
    }
    pthread_barrier_wait(&l->start);
    double t0 = now_sec();
    struct timespec ts = {.tv_sec = (time_t)seconds,
                          .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    __atomic_store_n(&l->stop, 1, __ATOMIC_SEQ_CST);
    uint64_t ok = 0, bad = 0;
    const char *first_err = NULL;
    for (int i = 0; i < nclients; i++) {
        pthread_join(th[i], NULL);
        ok += cl[i].ok;
        bad += cl[i].bad;
        if (cl[i].err[0] && !first_err) first_err = cl[i].err;
    }
    double elapsed = now_sec() - t0;
    pthread_barrier_destroy(&l->start);
    if (bad) {
        snprintf(err, errlen, "%llu of %llu responses wrong; first: %s",
                 (unsigned long long)bad, (unsigned long long)(ok + bad),
                 first_err ? first_err : "?");
        return false;
    }
    *count = ok;
    *rate = (double)ok / elapsed;
    return true;
}

/* ---- the node ---- */

static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    uint16_t port = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void print_file_tail(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return;
    char buf[2048];
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0, SEEK_SET);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (n) fprintf(stderr, "--- %s ---\n%s\n", path, buf);
}

/* Default iopd: ../src/iopd relative to the directory of this program. */
static void default_iopd(char *out, size_t outlen)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(out, outlen, "../src/iopd");
        return;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) *slash = '\0';
    if (snprintf(out, outlen, "%s/../src/iopd", self) >= (int)outlen)
        snprintf(out, outlen, "../src/iopd");
}

struct node {
    pid_t pid;
    char dir[64];
    char log[128];
};

static bool node_start(struct node *nd, const char *iopd, uint16_t port, char *err,
                       size_t errlen)
{
    if (access(iopd, X_OK) != 0) {
        snprintf(err, errlen, "iopd not found or not executable at %.300s (use --iopd PATH)",
                 iopd);
        return false;
    }
    snprintf(nd->dir, sizeof nd->dir, "/tmp/bench_rpc.XXXXXX");
    if (!mkdtemp(nd->dir)) {
        snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
        nd->dir[0] = '\0';
        return false;
    }
    snprintf(nd->log, sizeof nd->log, "%s/output.txt", nd->dir);
    char a_dir[128], a_port[32];
    snprintf(a_dir, sizeof a_dir, "-datadir=%s", nd->dir);
    snprintf(a_port, sizeof a_port, "-rpcport=%u", (unsigned)port);
    char *const argv[] = {(char *)iopd,
                          "-regtest",
                          a_dir,
                          a_port,
                          "-rpcbind=127.0.0.1",
                          "-rpcallowip=127.0.0.1",
                          "-printtoconsole=0",
                          NULL};
    nd->pid = fork();
    if (nd->pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return false;
    }
    if (nd->pid == 0) {
        int fd = open(nd->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(iopd, argv);
        fprintf(stderr, "exec %s: %s\n", iopd, strerror(errno));
        _exit(127);
    }
    return true;
}

/* Waits for the cookie and a working getblockcount; fails early if iopd exits. */
static bool node_wait(struct node *nd, struct target *t, char *err, size_t errlen)
{
    char cookie[128];
    snprintf(cookie, sizeof cookie, "%s/regtest/.cookie", nd->dir);
    double deadline = now_sec() + 60;
    while (now_sec() < deadline) {
        int st;
        if (waitpid(nd->pid, &st, WNOHANG) == nd->pid) {
            nd->pid = -1;
            snprintf(err, errlen, "iopd exited during start-up (%s %d); its output is above",
                     WIFEXITED(st) ? "status" : "signal",
                     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            print_file_tail(nd->log);
            return false;
        }
        char e[256];
        if (access(cookie, R_OK) == 0 && target_load_cookie(t, cookie, e, sizeof e)) {
            struct conn c;
            if (conn_open(&c, t->port)) {
                json_t *r = rpc_call(&c, t, "getblockcount", "[]", e, sizeof e);
                conn_close(&c);
                if (r) {
                    json_decref(r);
                    return true;
                }
            }
        }
        usleep(50000);
    }
    snprintf(err, errlen, "iopd did not answer RPC within 60 s");
    print_file_tail(nd->log);
    return false;
}

/* Stops the node (RPC stop, then SIGKILL after 60 s) and removes its directory. */
static bool node_stop(struct node *nd, const struct target *t)
{
    bool clean = true;
    if (nd->pid > 0) {
        struct conn c;
        char e[256];
        if (t && conn_open(&c, t->port)) {
            json_t *r = rpc_call(&c, t, "stop", "[]", e, sizeof e);
            json_decref(r);
            conn_close(&c);
        } else
            kill(nd->pid, SIGTERM);
        double deadline = now_sec() + 60;
        int st = 0;
        pid_t w;
        while ((w = waitpid(nd->pid, &st, WNOHANG)) == 0 && now_sec() < deadline) usleep(50000);
        if (w == 0) {
            fprintf(stderr, "bench_rpc: iopd did not stop; killing it\n");
            kill(nd->pid, SIGKILL);
            waitpid(nd->pid, &st, 0);
            clean = false;
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "bench_rpc: iopd exited abnormally\n");
            print_file_tail(nd->log);
            clean = false;
        }
        nd->pid = -1;
    }
    if (nd->dir[0]) nftw(nd->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    nd->dir[0] = '\0';
    return clean;
}

/* The fixed regtest address blocks are mined to: P2WPKH of 20 bytes 0x01..0x14. */
static bool mining_address(char out[ADDRESS_MAX_LEN + 1], char *err, size_t errlen)
{
    const struct chain_params *cp = chainparams_by_name("regtest");
    if (!cp) {
        snprintf(err, errlen, "no regtest chain parameters");
        return false;
    }
    uint8_t spk[22] = {0x00, 0x14};
    for (int i = 0; i < 20; i++) spk[2 + i] = (uint8_t)(i + 1);
    enum address_error ae = address_encode(out, &cp->addr, spk, sizeof spk);
    if (ae != ADDRESS_OK) {
        snprintf(err, errlen, "address_encode: %s", address_error_string(ae));
        return false;
    }
    return true;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_rpc [--seconds N] [--iopd PATH]\n"
            "       bench_rpc [--seconds N] --rpcport P --cookie FILE\n"
            "Requests per second for getblockcount and getblock <hash> 2 over HTTP/1.1\n"
            "keep-alive with 1 and 16 clients. Without --rpcport it starts its own\n"
            "iopd -regtest (default ../src/iopd next to this program) in a temporary\n"
            "datadir and mines %d blocks; with --rpcport it loads a running node on\n"
            "127.0.0.1.\n",
            MINE_BLOCKS);
}

/* Prepares the node: mines (own node only) and finds the block getblock asks for. */
static bool prepare(const struct target *t, bool own, int64_t *height, char *hash,
                    size_t hashlen, char *err, size_t errlen)
{
    struct conn c;
    if (!conn_open(&c, t->port)) {
        snprintf(err, errlen, "cannot connect to 127.0.0.1:%u", (unsigned)t->port);
        return false;
    }
    bool ok = false;
    json_t *r = NULL;
    char params[256];
    if (own) {
        char addr[ADDRESS_MAX_LEN + 1];
        if (!mining_address(addr, err, errlen)) goto out;
        snprintf(params, sizeof params, "[%d,\"%s\"]", MINE_BLOCKS, addr);
        r = rpc_call(&c, t, "generatetoaddress", params, err, errlen);
        if (!r) goto out;
        json_decref(r);
    }
    r = rpc_call(&c, t, "getblockcount", "[]", err, errlen);
    if (!r) goto out;
    *height = json_integer_value(r);
    json_decref(r);
    r = rpc_call(&c, t, "getbestblockhash", "[]", err, errlen);
    if (!r || !json_is_string(r) || json_string_length(r) != 64) {
        if (r) snprintf(err, errlen, "getbestblockhash: unexpected result");
        goto out;
    }
    snprintf(hash, hashlen, "%s", json_string_value(r));
    ok = true;
out:
    json_decref(r);
    conn_close(&c);
    return ok;
}

int main(int argc, char **argv)
{
    double seconds = 3;
    const char *iopd_opt = NULL, *cookie = NULL;
    long port_opt = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage();
            return 0;
        } else if (strcmp(a, "--seconds") == 0 && v) {
            char *end;
            seconds = strtod(v, &end);
            if (*end || !(seconds > 0 && seconds <= 3600)) {
                fprintf(stderr, "bench_rpc: --seconds wants a number in (0, 3600]\n");
                return 2;
            }
            i++;
        } else if (strcmp(a, "--iopd") == 0 && v) {
            iopd_opt = v;
            i++;
        } else if (strcmp(a, "--rpcport") == 0 && v) {
            char *end;
            port_opt = strtol(v, &end, 10);
            if (*end || port_opt < 1 || port_opt > 65535) {
                fprintf(stderr, "bench_rpc: --rpcport wants 1-65535\n");
                return 2;
            }
            i++;
        } else if (strcmp(a, "--cookie") == 0 && v) {
            cookie = v;
            i++;
        } else {
            fprintf(stderr, "bench_rpc: unknown or incomplete option %s\n", a);
            usage();
            return 2;
        }
    }
    if ((port_opt != 0) != (cookie != NULL)) {
        fprintf(stderr, "bench_rpc: --rpcport and --cookie go together\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    char err[512] = "";
    struct target t;
    memset(&t, 0, sizeof t);
    struct node nd = {.pid = -1};
    bool own = port_opt == 0;
    int rc = 1;
    if (own) {
        char iopd[PATH_MAX];
        if (iopd_opt)
            snprintf(iopd, sizeof iopd, "%s", iopd_opt);
        else
            default_iopd(iopd, sizeof iopd);
        t.port = free_port();
        if (!t.port) {
            fprintf(stderr, "bench_rpc: no free loopback port\n");
            return 1;
        }
        if (!node_start(&nd, iopd, t.port, err, sizeof err) ||
            !node_wait(&nd, &t, err, sizeof err))
            goto fail;
        printf("iopd %s on 127.0.0.1:%u, datadir %s; mining %d blocks\n", iopd,
               (unsigned)t.port, nd.dir, MINE_BLOCKS);
    } else {
        t.port = (uint16_t)port_opt;
        if (!target_load_cookie(&t, cookie, err, sizeof err)) goto fail;
    }

    int64_t height = 0;
    char hash[65];
    if (!prepare(&t, own, &height, hash, sizeof hash, err, sizeof err)) goto fail;

    char body_count[] =
        "{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"getblockcount\",\"params\":[]}";
    char body_block[200];
    snprintf(body_block, sizeof body_block,
             "{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"getblock\",\"params\":[\"%s\",2]}",
             hash);
    struct {
        const char *name;
        const char *body;
        const char *hash;
    } methods[] = {{"getblockcount", body_count, NULL}, {"getblock <tip> 2", body_block, hash}};
    const int clients[] = {1, 16};

    printf("height %lld, %.1f s per run, HTTP/1.1 keep-alive, one request in flight per "
           "client\n\n",
           (long long)height, seconds);
    printf("%-18s %8s %10s %12s %12s\n", "method", "clients", "requests", "req/s", "us/req");
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
        for (size_t k = 0; k < sizeof clients / sizeof clients[0]; k++) {
            struct load l;
            memset(&l, 0, sizeof l);
            l.t = &t;
            l.body = methods[m].body;
            l.block_hash = methods[m].hash;
            l.height = height;
            double rate = 0;
            uint64_t count = 0;
            if (!run_load(&l, clients[k], seconds, &rate, &count, err, sizeof err)) {
                char e2[600];
                snprintf(e2, sizeof e2, "%s with %d clients: %s", methods[m].name, clients[k],
                         err);
                snprintf(err, sizeof err, "%.400s", e2);
                goto fail;
            }
            printf("%-18s %8d %10llu %12.0f %12.1f\n", methods[m].name, clients[k],
                   (unsigned long long)count, rate, 1e6 * clients[k] / rate);
            fflush(stdout);
        }
    }
    rc = 0;
fail:
    if (rc != 0) fprintf(stderr, "bench_rpc: %s\n", err);
    if (own && !node_stop(&nd, nd.pid > 0 ? &t : NULL)) rc = 1;
    return rc;
}
