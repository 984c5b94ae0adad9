/* iop-cli: a command-line JSON-RPC client for iopd that behaves like bitcoin-cli.
 *
 *   iop-cli [options] <command> [params]      send a command
 *   iop-cli [options] -named <command> [name=value]...
 *   iop-cli [options] -getinfo                 a summary from several calls
 *
 * Credentials come from -rpcuser/-rpcpassword or the cookie iopd writes into its data
 * directory. A result that is a string is printed as is, null prints nothing, anything
 * else as indented JSON. An RPC error prints "error code: N\nerror message:\nTEXT" to
 * stderr and exits with abs(N) (which the shell sees modulo 256, as with bitcoin-cli);
 * connection and authentication failures exit with 1. Parameters listed in the
 * conversion table below are parsed as JSON, the rest are sent as strings, as Core's
 * client does. HTTP is spoken over a plain blocking socket: one request per connection. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <jansson.h>

#include "chain/chainparams.h"
#include "iop-config.h"
#include "util/args.h"
#include "util/fs.h"
#include "util/rpc_method.h"
#include "util/json_write.h"
#include "util/timeutil.h"

static const struct arg_def cli_options[] = {
    {"?", ARG_BOOL, ARG_CMDLINE_ONLY, "", "Print this help message and exit"},
    {"h", ARG_BOOL, ARG_CMDLINE_ONLY | ARG_HIDDEN, "", "Print this help message and exit"},
    {"help", ARG_BOOL, ARG_CMDLINE_ONLY | ARG_HIDDEN, "", "Print this help message and exit"},
    {"version", ARG_BOOL, ARG_CMDLINE_ONLY, "", "Print version and exit"},
    {"conf", ARG_STRING, ARG_CMDLINE_ONLY, "=<file>",
     "Specify configuration file. Relative paths will be prefixed by datadir location. "
     "(default: iop.conf)"},
    {"datadir", ARG_STRING, ARG_CMDLINE_ONLY, "=<dir>", "Specify data directory"},
    {"chain", ARG_STRING, 0, "=<chain>",
     "Use the chain <chain> (default: main). Allowed values: main, test, regtest, btc-main, "
     "btc-regtest"},
    {"regtest", ARG_BOOL, 0, "", "Equivalent to -chain=regtest"},
    {"testnet", ARG_BOOL, 0, "", "Equivalent to -chain=test"},
    {"getinfo", ARG_BOOL, ARG_CMDLINE_ONLY, "",
     "Get general information from the remote server. Note that unlike server-side RPC "
     "calls, the output of -getinfo is the result of multiple non-atomic requests. Pass 1 "
     "as the only argument for JSON output."},
    {"named", ARG_BOOL, 0, "", "Pass named instead of positional arguments (default: false)"},
    {"rpcconnect", ARG_STRING, 0, "=<ip>",
     "Send commands to node running on <ip> (default: 127.0.0.1)"},
    {"rpcport", ARG_INT, ARG_NETWORK_ONLY, "=<port>",
     "Connect to JSON-RPC on <port> (default: 8337, test: 14337, regtest: 18337)"},
    {"rpcuser", ARG_STRING, 0, "=<user>", "Username for JSON-RPC connections"},
    {"rpcpassword", ARG_STRING, 0, "=<pw>", "Password for JSON-RPC connections"},
    {"rpccookiefile", ARG_STRING, 0, "=<loc>",
     "Location of the auth cookie. Relative paths will be prefixed by a net-specific datadir "
     "location. (default: data dir)"},
    {"rpcwallet", ARG_STRING, 0, "=<walletname>",
     "Send RPC for non-default wallet on RPC server (needs to exactly match corresponding "
     "-wallet option passed to iopd)."},
    {"rpcwait", ARG_BOOL, 0, "", "Wait for RPC server to start"},
    {"rpcwaittimeout", ARG_INT, 0, "=<n>",
     "Timeout in seconds to wait for the RPC server to start, or 0 for no timeout. "
     "(default: 0)"},
    {"rpcclienttimeout", ARG_INT, 0, "=<n>",
     "Timeout in seconds during HTTP requests, or 0 for no timeout. (default: 900)"},
    {"stdin", ARG_BOOL, 0, "",
     "Read extra arguments from standard input, one per line until EOF/Ctrl-D (recommended "
     "for sensitive information such as passphrases). When combined with -stdinrpcpass, "
     "the first line from standard input is used for the RPC password."},
    {"stdinrpcpass", ARG_BOOL, 0, "",
     "Read RPC password from standard input as a single line. When combined with -stdin, "
     "the first line from standard input is used for the RPC password. When combined with "
     "-stdinwalletpassphrase, -stdinrpcpass consumes the first line, and "
     "-stdinwalletpassphrase consumes the second."},
};

/* Which parameters are JSON rather than strings (Core's vRPCConvertParams). */
static const struct {
    const char *method;
    int index;
    const char *name;
} convert_params[] = {
    {"getblockhash", 0, "height"},
    {"getblock", 1, "verbosity"},
    {"getblock", 1, "verbose"},
    {"getblockheader", 1, "verbose"},
    {"getchaintxstats", 0, "nblocks"},
    {"gettxout", 1, "n"},
    {"gettxout", 2, "include_mempool"},
    {"gettxoutsetinfo", 1, "hash_or_height"},
    {"gettxoutsetinfo", 2, "use_index"},
    {"verifychain", 0, "checklevel"},
    {"verifychain", 1, "nblocks"},
    {"waitfornewblock", 0, "timeout"},
    {"waitforblock", 1, "timeout"},
    {"waitforblockheight", 0, "height"},
    {"waitforblockheight", 1, "timeout"},
    {"scantxoutset", 1, "scanobjects"},
    {"getrawmempool", 0, "verbose"},
    {"getrawmempool", 1, "mempool_sequence"},
    {"getmempoolancestors", 1, "verbose"},
    {"getmempooldescendants", 1, "verbose"},
    {"testmempoolaccept", 0, "rawtxs"},
    {"testmempoolaccept", 1, "maxfeerate"},
    {"getrawtransaction", 1, "verbosity"},
    {"getrawtransaction", 1, "verbose"},
    {"decoderawtransaction", 1, "iswitness"},
    {"createrawtransaction", 0, "inputs"},
    {"createrawtransaction", 1, "outputs"},
    {"createrawtransaction", 2, "locktime"},
    {"createrawtransaction", 3, "replaceable"},
    {"sendrawtransaction", 1, "maxfeerate"},
    {"sendrawtransaction", 2, "maxburnamount"},
    {"getblocktemplate", 0, "template_request"},
    {"generatetoaddress", 0, "nblocks"},
    {"generatetoaddress", 2, "maxtries"},
    {"generatetodescriptor", 0, "num_blocks"},
    {"generatetodescriptor", 2, "maxtries"},
    {"generateblock", 1, "transactions"},
    {"generateblock", 2, "submit"},
    {"getnetworkhashps", 0, "nblocks"},
    {"getnetworkhashps", 1, "height"},
    {"estimatesmartfee", 0, "conf_target"},
    {"estimaterawfee", 0, "conf_target"},
    {"setmocktime", 0, "timestamp"},
    {"importdescriptors", 0, "requests"},
    {"walletcreatefundedpsbt", 0, "inputs"},
    {"walletcreatefundedpsbt", 1, "outputs"},
    {"walletcreatefundedpsbt", 2, "locktime"},
    {"walletcreatefundedpsbt", 3, "options"},
    {"walletcreatefundedpsbt", 4, "bip32derivs"},
    {"walletprocesspsbt", 1, "sign"},
    {"walletprocesspsbt", 3, "bip32derivs"},
    {"walletprocesspsbt", 4, "finalize"},
    {"listsinceblock", 1, "target_confirmations"},
    {"listsinceblock", 2, "include_watchonly"},
    {"listsinceblock", 3, "include_removed"},
    {"listsinceblock", 4, "include_change"},
    {"restorewallet", 2, "load_on_startup"},
    {"sendtoaddress", 1, "amount"},
    {"sendtoaddress", 4, "subtractfeefromamount"},
    {"sendtoaddress", 5, "replaceable"},
    {"sendtoaddress", 6, "conf_target"},
    {"sendtoaddress", 8, "avoid_reuse"},
    {"sendtoaddress", 9, "fee_rate"},
    {"sendtoaddress", 10, "verbose"},
    {"sendmany", 1, "amounts"},
    {"sendmany", 2, "minconf"},
    {"sendmany", 4, "subtractfeefrom"},
    {"sendmany", 5, "replaceable"},
    {"sendmany", 6, "conf_target"},
    {"sendmany", 8, "fee_rate"},
    {"sendmany", 9, "verbose"},
    {"send", 0, "outputs"},
    {"send", 1, "conf_target"},
    {"send", 3, "fee_rate"},
    {"send", 4, "options"},
    {"bumpfee", 1, "options"},
    {"lockunspent", 0, "unlock"},
    {"lockunspent", 1, "transactions"},
    {"lockunspent", 2, "persistent"},
    {"settxfee", 0, "amount"},
    {"createpsbt", 0, "inputs"},
    {"createpsbt", 1, "outputs"},
    {"createpsbt", 2, "locktime"},
    {"createpsbt", 3, "replaceable"},
    {"converttopsbt", 1, "permitsigdata"},
    {"converttopsbt", 2, "iswitness"},
    {"finalizepsbt", 1, "extract"},
    {"combinepsbt", 0, "txs"},
    {"joinpsbts", 0, "txs"},
    {"utxoupdatepsbt", 1, "descriptors"},
    {"estimaterawfee", 1, "threshold"},
    {"disconnectnode", 1, "nodeid"},
    {"addnode", 2, "v2transport"},
    {"setban", 2, "bantime"},
    {"setban", 3, "absolute"},
    {"setnetworkactive", 0, "state"},
    {"getnodeaddresses", 0, "count"},
    {"createwallet", 1, "disable_private_keys"},
    {"createwallet", 2, "blank"},
    {"createwallet", 4, "avoid_reuse"},
    {"createwallet", 5, "descriptors"},
    {"createwallet", 6, "load_on_startup"},
    {"createwallet", 7, "external_signer"},
    {"loadwallet", 1, "load_on_startup"},
    {"unloadwallet", 1, "load_on_startup"},
    {"getbalance", 1, "minconf"},
    {"getbalance", 2, "include_watchonly"},
    {"getbalance", 3, "avoid_reuse"},
    {"listunspent", 0, "minconf"},
    {"listunspent", 1, "maxconf"},
    {"listunspent", 2, "addresses"},
    {"listunspent", 3, "include_unsafe"},
    {"listunspent", 4, "query_options"},
    {"listtransactions", 1, "count"},
    {"listtransactions", 2, "skip"},
    {"listtransactions", 3, "include_watchonly"},
    {"gettransaction", 1, "include_watchonly"},
    {"gettransaction", 2, "verbose"},
    {"listdescriptors", 0, "private"},
    {"walletpassphrase", 1, "timeout"},
    {"rescanblockchain", 0, "start_height"},
    {"rescanblockchain", 1, "stop_height"},
    {"getblockstats", 0, "hash_or_height"},
    {"getblockstats", 1, "stats"},
    {"logging", 0, "include"},
    {"logging", 1, "exclude"},
    {"stop", 0, "wait"},
};

static bool is_json_param(const char *method, int index, const char *name)
{
    for (size_t i = 0; i < sizeof convert_params / sizeof convert_params[0]; i++) {
        if (strcmp(convert_params[i].method, method) != 0) continue;
        if (name ? strcmp(convert_params[i].name, name) == 0 : convert_params[i].index == index)
            return true;
    }
    return false;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* A value for a parameter: JSON if the table says so, otherwise a string. */
static json_t *param_value(const char *method, int index, const char *name, const char *text,
                           bool *ok)
{
    if (!is_json_param(method, index, name)) return json_string(text);
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v) {
        fail("Error parsing JSON: %s", text);
        *ok = false;
    }
    return v;
}

static json_t *build_params(const char *method, char **words, int n, bool named, bool *ok)
{
    json_t *params = named ? json_object() : json_array();
    for (int i = 0; i < n && *ok; i++) {
        if (named) {
            char *eq = strchr(words[i], '=');
            if (!eq) {
                fail("No '=' in named argument '%s', this may be because you forgot to "
                     "specify a parameter name or used the -named option with a positional "
                     "argument",
                     words[i]);
                *ok = false;
                break;
            }
            *eq = '\0';
            json_t *v = param_value(method, -1, words[i], eq + 1, ok);
            if (v) json_object_set_new(params, words[i], v);
        } else {
            json_t *v = param_value(method, i, NULL, words[i], ok);
            if (v) json_array_append_new(params, v);
        }
    }
    return params;
}

static void base64_encode(const char *in, char *out)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t len = strlen(in), o = 0;
    const unsigned char *p = (const unsigned char *)in;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len) v |= p[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
}

struct http_response {
    int status;
    char *body;
};

enum http_result { HTTP_OK, HTTP_CONNECT_FAILED, HTTP_FAILED };

static enum http_result http_post(const char *host, uint16_t port, const char *path,
                                  const char *auth_b64, const char *body, int timeout,
                                  struct http_response *resp)
{
    resp->status = 0;
    resp->body = NULL;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", port);
    if (getaddrinfo(host, portstr, &hints, &res) != 0) return HTTP_CONNECT_FAILED;
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) return HTTP_CONNECT_FAILED;
    if (timeout > 0) {
        struct timeval tv = {.tv_sec = timeout};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    size_t blen = strlen(body);
    char *req = NULL;
    int rlen = asprintf(&req,
                        "POST %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
                        "Authorization: Basic %s\r\nContent-Type: application/json\r\n"
                        "Content-Length: %zu\r\n\r\n",
                        path, host, auth_b64, blen);
    if (rlen < 0) {
        close(fd);
        return HTTP_FAILED;
    }
    bool ok = true;
    const char *parts[2] = {req, body};
    size_t lens[2] = {(size_t)rlen, blen};
    for (int k = 0; k < 2 && ok; k++) {
        size_t off = 0;
        while (off < lens[k]) {
            ssize_t w = send(fd, parts[k] + off, lens[k] - off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                ok = false;
                break;
            }
            off += (size_t)w;
        }
    }
    free(req);
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    while (ok && buf) {
        if (len + 1 >= cap) {
            char *n = realloc(buf, cap * 2);
            if (!n) break;
            buf = n;
            cap *= 2;
        }
        ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) ok = false;
        if (r <= 0) break;
        len += (size_t)r;
    }
    close(fd);
    if (!ok || !buf || len == 0) {
        free(buf);
        return HTTP_FAILED;
    }
    buf[len] = '\0';
    int status = 0;
    if (sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1) {
        free(buf);
        return HTTP_FAILED;
    }
    char *sep = strstr(buf, "\r\n\r\n");
    resp->status = status;
    resp->body = strdup(sep ? sep + 4 : "");
    free(buf);
    return resp->body ? HTTP_OK : HTTP_FAILED;
}

struct conn {
    char host[256];
    uint16_t port;
    char path[1024];
    char cookiefile[PATH_MAX];
    const char *user, *password;
    int timeout;
    bool wait;
    int64_t wait_timeout;
    char conf[PATH_MAX];
};

/* "user:password" base64-encoded, from the options or the cookie; false if neither. */
static bool credentials(const struct conn *c, char *b64, size_t len)
{
    char up[1024];
    if (c->password && *c->password) {
        snprintf(up, sizeof up, "%s:%s", c->user ? c->user : "", c->password);
    } else {
        char *cookie = NULL;
        if (!fs_read_file(c->cookiefile, 4096, &cookie, NULL)) return false;
        char *nl = strpbrk(cookie, "\r\n");
        if (nl) *nl = '\0';
        snprintf(up, sizeof up, "%s", cookie);
        free(cookie);
    }
    if ((strlen(up) + 2) / 3 * 4 + 1 > len) return false;
    base64_encode(up, b64);
    return true;
}

/* Sends one request object or batch; returns the parsed reply, or NULL after printing why
 * (*exit_code set). Retries with -rpcwait while the server is down or warming up. */
static json_t *call_rpc(const struct conn *c, json_t *request, int *exit_code)
{
    char *body = json_write(request, 0);
    int64_t deadline = c->wait_timeout > 0 ? time_mono_micros() + c->wait_timeout * 1000000 : 0;
    json_t *reply = NULL;
    *exit_code = 1;
    for (;;) {
        char b64[2048];
        struct http_response resp = {0};
        enum http_result hr = HTTP_CONNECT_FAILED;
        bool have_creds = credentials(c, b64, sizeof b64);
        if (have_creds) hr = http_post(c->host, c->port, c->path, b64, body, c->timeout, &resp);
        bool retry = false;
        if (!have_creds) {
            if (!c->wait) {
                fail("Could not locate RPC credentials. No authentication cookie could be "
                     "found, and RPC password is not set.  See -rpcpassword and "
                     "-stdinrpcpass.  Configuration file: (%s)",
                     c->conf);
                break;
            }
            retry = true;
        } else if (hr == HTTP_CONNECT_FAILED) {
            if (!c->wait) {
                fail("Could not connect to the server %s:%u\n\nMake sure the iopd server is "
                     "running and that you are connecting to the correct RPC port.\nUse "
                     "\"iop-cli -help\" for more info.",
                     c->host, c->port);
                break;
            }
            retry = true;
        } else if (hr == HTTP_FAILED) {
            fail("no response from server");
            break;
        } else if (resp.status == 401) {
            free(resp.body);
            fail("Authorization failed: Incorrect rpcuser or rpcpassword");
            break;
        } else if (resp.status >= 400 && resp.status != 400 && resp.status != 404 &&
                   resp.status != 500) {
            free(resp.body);
            fail("server returned HTTP error %d", resp.status);
            break;
        } else {
            json_error_t e;
            reply = json_loads(resp.body, JSON_DECODE_ANY, &e);
            free(resp.body);
            if (!reply) {
                fail("couldn't parse reply from server");
                break;
            }
            const json_t *err = json_is_object(reply) ? json_object_get(reply, "error") : NULL;
            if (c->wait && json_is_object(err) &&
                json_integer_value(json_object_get(err, "code")) == RPC_IN_WARMUP) {
                json_decref(reply);
                reply = NULL;
                retry = true;
            } else {
                break;
            }
        }
        if (!retry) break;
        if (deadline && time_mono_micros() >= deadline) {
            fail("timeout on transient error: Could not connect to the server %s:%u", c->host,
                 c->port);
            break;
        }
        time_sleep_ms(250);
    }
    free(body);
    if (reply) *exit_code = 0;
    return reply;
}

static int print_reply(json_t *reply)
{
    const json_t *err = json_object_get(reply, "error");
    const json_t *res = json_object_get(reply, "result");
    if (err && !json_is_null(err)) {
        if (json_is_object(err)) {
            const json_t *code = json_object_get(err, "code");
            const json_t *msg = json_object_get(err, "message");
            if (code)
                fprintf(stderr, "error code: %lld\n", (long long)json_integer_value(code));
            if (json_is_string(msg))
                fprintf(stderr, "error message:\n%s", json_string_value(msg));
            if (json_integer_value(code) == RPC_WALLET_NOT_SPECIFIED)
                fprintf(stderr,
                        " Or for the CLI, specify the \"-rpcwallet=<walletname>\" option "
                        "before the command (run \"iop-cli -h\" for help or \"iop-cli "
                        "listwallets\" to see which wallets are currently loaded).");
            fputc('\n', stderr);
            long long c = json_integer_value(code);
            return (int)(c < 0 ? -c : c);
        }
        char *t = json_dumps(err, JSON_ENCODE_ANY);
        fprintf(stderr, "error: %s\n", t ? t : "");
        free(t);
        return 1;
    }
    if (!res || json_is_null(res)) return 0;
    if (json_is_string(res)) {
        printf("%s\n", json_string_value(res));
    } else {
        char *t = json_write(res, 2);
        printf("%s\n", t ? t : "");
        free(t);
    }
    return 0;
}

/* -getinfo: Core's four calls in one batch; whatever the server lacks is left out. */
static int getinfo(const struct conn *c, bool as_json)
{
    static const char *const methods[] = {"getnetworkinfo", "getblockchaininfo",
                                          "getwalletinfo", "getbalances"};
    json_t *batch = json_array();
    for (int i = 0; i < 4; i++)
        json_array_append_new(batch, json_pack("{s:s,s:[],s:i,s:s}", "method", methods[i],
                                               "params", "id", i, "jsonrpc", "2.0"));
    int rc;
    json_t *reply = call_rpc(c, batch, &rc);
    json_decref(batch);
    if (!reply) return rc;
    if (!json_is_array(reply)) return print_reply(reply);
    json_t *results[4] = {NULL, NULL, NULL, NULL};
    size_t i;
    json_t *r;
    json_array_foreach(reply, i, r)
    {
        json_int_t id = json_integer_value(json_object_get(r, "id"));
        json_t *res = json_object_get(r, "result");
        if (id >= 0 && id < 4 && res && !json_is_null(res)) results[id] = res;
    }
    json_t *out = json_object();
    json_t *net = results[0], *bc = results[1], *w = results[2], *bal = results[3];
    if (net && json_object_get(net, "version"))
        json_object_set(out, "version", json_object_get(net, "version"));
    static const char *const bc_keys[] = {"blocks", "headers", "verificationprogress"};
    for (int k = 0; bc && k < 3; k++)
        if (json_object_get(bc, bc_keys[k]))
            json_object_set(out, bc_keys[k], json_object_get(bc, bc_keys[k]));
    if (net && json_object_get(net, "timeoffset"))
        json_object_set(out, "timeoffset", json_object_get(net, "timeoffset"));
    if (net && json_object_get(net, "connections_in"))
        json_object_set_new(out, "connections",
                            json_pack("{s:O,s:O,s:O}", "in",
                                      json_object_get(net, "connections_in"), "out",
                                      json_object_get(net, "connections_out"), "total",
                                      json_object_get(net, "connections")));
    if (bc && json_object_get(bc, "difficulty"))
        json_object_set(out, "difficulty", json_object_get(bc, "difficulty"));
    if (bc && json_object_get(bc, "chain"))
        json_object_set(out, "chain", json_object_get(bc, "chain"));
    if (w && json_object_get(w, "walletname"))
        json_object_set(out, "walletname", json_object_get(w, "walletname"));
    if (bal && json_object_get(bal, "mine"))
        json_object_set(out, "balance",
                        json_object_get(json_object_get(bal, "mine"), "trusted"));
    if (net && json_object_get(net, "relayfee"))
        json_object_set(out, "relayfee", json_object_get(net, "relayfee"));
    if (bc && json_object_get(bc, "warnings"))
        json_object_set(out, "warnings", json_object_get(bc, "warnings"));
    if (as_json) {
        char *t = json_write(out, 2);
        printf("%s\n", t ? t : "{}");
        free(t);
    } else if (json_object_size(out) == 0) {
        printf("No information: the server offers none of getnetworkinfo, getblockchaininfo, "
               "getwalletinfo, getbalances yet.\n");
    } else {
        static const struct {
            const char *key, *label;
        } labels[] = {{"chain", "Chain"},
                      {"blocks", "Blocks"},
                      {"headers", "Headers"},
                      {"verificationprogress", "Verification progress"},
                      {"difficulty", "Difficulty"},
                      {"version", "Version"},
                      {"timeoffset", "Time offset (s)"},
                      {"relayfee", "Min tx relay fee rate (IOP/kvB)"},
                      {"walletname", "Wallet"},
                      {"balance", "Balance"},
                      {"warnings", "Warnings"}};
        for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++) {
            json_t *v = json_object_get(out, labels[k].key);
            if (!v) continue;
            char *t = json_is_string(v) ? strdup(json_string_value(v))
                                        : json_write(v, 0);
            printf("%s: %s\n", labels[k].label, t ? t : "");
            free(t);
        }
        json_t *cn = json_object_get(out, "connections");
        if (cn)
            printf("Network: in %lld, out %lld, total %lld\n",
                   (long long)json_integer_value(json_object_get(cn, "in")),
                   (long long)json_integer_value(json_object_get(cn, "out")),
                   (long long)json_integer_value(json_object_get(cn, "total")));
    }
    json_decref(out);
    json_decref(reply);
    return 0;
}

static char *read_line(FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    return line;
}

static void url_encode(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (; *in && o + 4 < len; in++) {
        unsigned char ch = (unsigned char)*in;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, len - o, "%%%02X", ch);
    }
    out[o] = '\0';
}

int main(int argc, char **argv)
{
    struct args *a = args_new(cli_options, sizeof cli_options / sizeof cli_options[0]);
    if (!a) return 1;
    char err[1024];
    int first = argc, rc = 1;
    char **words = NULL;
    int nwords = 0;
    char *stdin_pass = NULL;
    struct conn c;
    memset(&c, 0, sizeof c);
    if (!args_parse_cmdline(a, argc, argv, &first, err, sizeof err)) {
        fprintf(stderr, "Error parsing command line arguments: %s\n", err);
        goto out;
    }
    if (args_get_bool(a, "?", false) || args_get_bool(a, "h", false) ||
        args_get_bool(a, "help", false) || args_get_bool(a, "version", false)) {
        printf("iop-cli RPC client version v%s\n", PACKAGE_VERSION);
        if (!args_get_bool(a, "version", false)) {
            char *h = args_help(a);
            printf("\nThe iop-cli utility provides a command line interface to interact with "
                   "an iopd RPC server.\n\nUsage:  iop-cli [options] <command> [params]\n"
                   "or:     iop-cli [options] -named <command> [name=value]...\n"
                   "or:     iop-cli [options] help\n"
                   "or:     iop-cli [options] help <command>\n\n%s",
                   h ? h : "");
            free(h);
        }
        rc = 0;
        goto out;
    }
    char datadir[PATH_MAX];
    const char *dd = args_get(a, "datadir");
    if (dd && *dd) {
        if (!fs_is_dir(dd)) {
            fprintf(stderr, "Error: Specified data directory \"%s\" does not exist.\n", dd);
            goto out;
        }
        snprintf(datadir, sizeof datadir, "%s", dd);
    } else if (!fs_default_datadir(datadir, sizeof datadir)) {
        snprintf(datadir, sizeof datadir, ".");
    }
    if (!fs_join(c.conf, sizeof c.conf, datadir, args_get_str(a, "conf", "iop.conf")) ||
        !args_read_conf_file(a, c.conf, args_is_set(a, "conf"), true, err, sizeof err)) {
        fprintf(stderr, "Error reading configuration file: %s\n", err);
        goto out;
    }
    const char *chain = args_chain(a, err, sizeof err);
    if (!chain) {
        fprintf(stderr, "Error: %s\n", err);
        goto out;
    }
    const struct chain_params *params = chainparams_by_name(chain);
    if (!params) {
        fprintf(stderr, "Error: Unknown chain %s.\n", chain);
        goto out;
    }
    if (!args_select_section(a, params->name)) goto out;

    /* -rpcconnect may carry a port; -rpcport wins over it, as in Core. */
    const char *connect = args_get_str(a, "rpcconnect", "127.0.0.1");
    c.port = params->rpc_port;
    const char *colon = strrchr(connect, ':');
    if (connect[0] == '[') {
        const char *close = strchr(connect, ']');
        size_t hl = close ? (size_t)(close - connect - 1) : strlen(connect) - 1;
        snprintf(c.host, sizeof c.host, "%.*s", (int)hl, connect + 1);
        if (close && close[1] == ':') c.port = (uint16_t)atoi(close + 2);
    } else if (colon && strchr(connect, ':') == colon) {
        snprintf(c.host, sizeof c.host, "%.*s", (int)(colon - connect), connect);
        int64_t p;
        if (!args_parse_int64(colon + 1, &p) || p <= 0 || p > 65535) {
            fprintf(stderr, "Error: Invalid port provided in -rpcconnect: %s\n", connect);
            goto out;
        }
        c.port = (uint16_t)p;
    } else {
        snprintf(c.host, sizeof c.host, "%s", connect);
    }
    if (args_is_set(a, "rpcport")) {
        int64_t p = args_get_int(a, "rpcport", 0);
        if (p <= 0 || p > 65535) {
            fprintf(stderr, "Error: Invalid port provided in -rpcport: %s\n",
                    args_get(a, "rpcport"));
            goto out;
        }
        c.port = (uint16_t)p;
    }
    char chaindir[PATH_MAX];
    if (!fs_join(chaindir, sizeof chaindir, datadir, params->data_subdir) ||
        !fs_join(c.cookiefile, sizeof c.cookiefile, chaindir,
                 args_get_str(a, "rpccookiefile", ".cookie")))
        goto out;
    c.user = args_get(a, "rpcuser");
    c.password = args_get(a, "rpcpassword");
    c.timeout = (int)args_get_int(a, "rpcclienttimeout", 900);
    c.wait = args_get_bool(a, "rpcwait", false);
    c.wait_timeout = args_get_int(a, "rpcwaittimeout", 0);
    if (args_is_set(a, "rpcwallet")) {
        char enc[900];
        url_encode(args_get(a, "rpcwallet"), enc, sizeof enc);
        snprintf(c.path, sizeof c.path, "/wallet/%s", enc);
    } else {
        snprintf(c.path, sizeof c.path, "/");
    }

    nwords = argc - first;
    words = calloc((size_t)nwords + 1, sizeof *words);
    if (!words) goto out;
    for (int i = 0; i < nwords; i++) words[i] = strdup(argv[first + i]);
    if (args_get_bool(a, "stdinrpcpass", false)) {
        stdin_pass = read_line(stdin);
        if (!stdin_pass) {
            fprintf(stderr, "error: -stdinrpcpass specified but failed to read from standard "
                            "input\n");
            goto out;
        }
        c.password = stdin_pass;
    }
    if (args_get_bool(a, "stdin", false)) {
        char *line;
        while ((line = read_line(stdin)) != NULL) {
            char **n = realloc(words, ((size_t)nwords + 2) * sizeof *words);
            if (!n) {
                free(line);
                goto out;
            }
            words = n;
            words[nwords++] = line;
        }
    }

    if (args_get_bool(a, "getinfo", false)) {
        bool as_json =
            nwords == 1 && (strcmp(words[0], "1") == 0 || strcmp(words[0], "true") == 0);
        if (nwords > 0 && !as_json) {
            fprintf(stderr, "error: -getinfo takes no arguments\n");
            goto out;
        }
        rc = getinfo(&c, as_json);
        goto out;
    }
    if (nwords == 0) {
        fprintf(stderr, "error: too few parameters (need at least command)\n");
        goto out;
    }
    bool ok = true;
    json_t *p =
        build_params(words[0], words + 1, nwords - 1, args_get_bool(a, "named", false), &ok);
    if (!ok) {
        json_decref(p);
        goto out;
    }
    json_t *request = json_pack("{s:s,s:o,s:i,s:s}", "method", words[0], "params", p, "id", 1,
                                "jsonrpc", "2.0");
    json_t *reply = call_rpc(&c, request, &rc);
    json_decref(request);
    if (reply) {
        rc = json_is_object(reply) ? print_reply(reply) : 1;
        json_decref(reply);
    }
out:
    for (int i = 0; words && i < nwords; i++) free(words[i]);
    free(words);
    free(stdin_pass);
    args_free(a);
    return rc;
}
