/* iopd: the Internet of People node.
 *
 * Start-up reads the options and iop.conf, picks the chain and its data directory,
 * takes the directory's lock, opens the log, writes the pid file and starts the JSON-RPC
 * server with the method tables of the modules built so far (answering -28 while the
 * chainstate and mempool open). A background thread then imports -reindex/-loadblock
 * blocks and mempool.dat, as Core's ThreadImport. The main thread then
 * sleeps on a self-pipe: signal handlers and the "stop" method write one byte to it,
 * which is the only async-signal-safe way to wake it. Shutdown undoes start-up in
 * reverse order (RPC, import thread, mempool.dat, chainstate flush) and removes the
 * cookie and pid files. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/chain_rpc.h"
#include "chain/chainparams.h"
#include "chain/fees.h"
#include "chain/mempool.h"
#include "chain/sigcache.h"
#include "chain/mempool_rpc.h"
#include "chain/psbt_rpc.h"
#include "chain/mining_rpc.h"
#include "chain/node_context.h"
#include "chain/txindex.h"
#include "chain/validation.h"
#include "chain/rawtx_rpc.h"
#include "iop-config.h"
#include "net/connman.h"
#include "net/net_rpc.h"
#include "wallet/wallet_rpc.h"
#include "wallet/spend_rpc.h"
#include "chain/script_format.h"
#include "rpc/auth.h"
#include "rpc/control_rpc.h"
#include "rpc/dispatch.h"
#include "rpc/server.h"
#include "services/profile/profile_daemon.h"
#include "services/profile/profile_rpc.h"
#include "util/args.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/random.h"
#include "util/timeutil.h"

#include <event2/thread.h>

static const struct arg_def iopd_options[] = {
    {"?", ARG_BOOL, ARG_CMDLINE_ONLY, "", "Print this help message and exit"},
    {"h", ARG_BOOL, ARG_CMDLINE_ONLY | ARG_HIDDEN, "", "Print this help message and exit"},
    {"help", ARG_BOOL, ARG_CMDLINE_ONLY | ARG_HIDDEN, "", "Print this help message and exit"},
    {"version", ARG_BOOL, ARG_CMDLINE_ONLY, "", "Print version and exit"},
    {"conf", ARG_STRING, ARG_CMDLINE_ONLY, "=<file>",
     "Specify path to read-only configuration file. Relative paths will be prefixed by "
     "datadir location (default: iop.conf)"},
    {"datadir", ARG_STRING, ARG_CMDLINE_ONLY, "=<dir>",
     "Specify data directory (default: ~/.iop)"},
    {"chain", ARG_STRING, 0, "=<chain>",
     "Use the chain <chain> (default: main). Allowed values: main, test, regtest, btc-main, "
     "btc-regtest"},
    {"regtest", ARG_BOOL, 0, "", "Equivalent to -chain=regtest"},
    {"testnet", ARG_BOOL, 0, "", "Equivalent to -chain=test"},
    {"daemon", ARG_BOOL, 0, "",
     "Run in the background as a daemon and accept commands (default: 0)"},
    {"daemonwait", ARG_BOOL, 0, "",
     "Wait for initialization to be finished before exiting. This implies -daemon "
     "(default: 0)"},
    {"pid", ARG_STRING, 0, "=<file>",
     "Specify pid file. Relative paths will be prefixed by a net-specific datadir location. "
     "(default: iopd.pid)"},
    {"printtoconsole", ARG_BOOL, 0, "",
     "Send trace/debug info to console (default: 1 when no -daemon. To disable logging to "
     "file, set -nodebuglogfile)"},
    {"debug", ARG_LIST, 0, "=<category>",
     "Output debug and trace logging (default: -nodebug, supplying <category> is optional). "
     "If <category> is not supplied or if <category> is 1 or all, output all debug logging. "
     "If <category> is 0 or none, any other categories are ignored. Other valid values for "
     "<category> are: addrman, bench, blockstorage, cmpctblock, coindb, estimatefee, http, "
     "leveldb, libevent, mempool, mempoolrej, minting, net, proxy, prune, rand, reindex, rpc, "
     "selectcoins, services, tor, validation, walletdb, zmq. This option can be specified "
     "multiple times to output multiple categories."},
    {"debugexclude", ARG_LIST, 0, "=<category>",
     "Exclude debug and trace logging for a category. Can be used in conjunction with "
     "-debug=1 to output debug and trace logging for all categories except the specified "
     "category. This option can be specified multiple times to exclude multiple categories. "
     "This takes priority over \"-debug\""},
    {"debuglogfile", ARG_STRING, 0, "=<file>",
     "Specify location of debug log file (default: debug.log). Relative paths will be "
     "prefixed by a net-specific datadir location. Pass -nodebuglogfile to disable writing "
     "the log to a file."},
    {"logtimestamps", ARG_BOOL, 0, "", "Prepend debug output with timestamp (default: 1)"},
    {"server", ARG_BOOL, 0, "", "Accept command line and JSON-RPC commands (default: 1)"},
    {"profile", ARG_BOOL, 0, "", "Run the profile service (default: 0)"},
    {"profileport", ARG_INT, ARG_NETWORK_ONLY, "=<port>",
     "Listen for profile service connections on <port> (default: 16988)"},
    {"profilebind", ARG_STRING, ARG_NETWORK_ONLY, "=<addr>",
     "Bind the profile service to the given numeric IPv4 or IPv6 address (default: 0.0.0.0)"},
    {"profilemaxhosted", ARG_INT, 0, "=<n>",
     "Host at most <n> identities in the profile service (default: 10000)"},
    {"rpcbind", ARG_LIST, ARG_NETWORK_ONLY, "=<addr>[:port]",
     "Bind to given address to listen for JSON-RPC connections. Do not expose the RPC server "
     "to untrusted networks such as the public internet! This option is ignored unless "
     "-rpcallowip is also passed. Port is optional and overrides -rpcport. Use [host]:port "
     "notation for IPv6. This option can be specified multiple times (default: 127.0.0.1 "
     "and ::1 i.e., localhost)"},
    {"rpcport", ARG_INT, ARG_NETWORK_ONLY, "=<port>",
     "Listen for JSON-RPC connections on <port> (default: 8337, test: 14337, regtest: 18337, "
     "btc-main: 8332, btc-regtest: 18443)"},
    {"rpcallowip", ARG_LIST, 0, "=<ip>",
     "Allow JSON-RPC connections from specified source. Valid values for <ip> are a single "
     "IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0), a network/CIDR "
     "(e.g. 1.2.3.4/24). This option can be specified multiple times"},
    {"rpcuser", ARG_STRING, 0, "=<user>", "Username for JSON-RPC connections"},
    {"rpcpassword", ARG_STRING, 0, "=<pw>", "Password for JSON-RPC connections"},
    {"rpcauth", ARG_LIST, 0, "=<userpw>",
     "Username and HMAC-SHA-256 hashed password for JSON-RPC connections. The field <userpw> "
     "comes in the format: <USERNAME>:<SALT>$<HASH>. A canonical python script is included "
     "in Bitcoin Core's share/rpcauth. The client then connects normally using the "
     "rpcuser=<USERNAME>/rpcpassword=<PASSWORD> pair of arguments. This option can be "
     "specified multiple times"},
    {"rpccookiefile", ARG_STRING, 0, "=<loc>",
     "Location of the auth cookie. Relative paths will be prefixed by a net-specific datadir "
     "location. (default: data dir)"},
    {"rpcthreads", ARG_INT, 0, "=<n>",
     "Set the number of threads to service RPC calls (default: 16)"},
    {"rpcworkqueue", ARG_INT, 0, "=<n>",
     "Set the maximum depth of the work queue to service RPC calls (default: 64)"},
    {"rpcservertimeout", ARG_INT, 0, "=<n>", "Timeout during HTTP requests (default: 30)"},
    {"rpcallowloopback", ARG_BOOL, ARG_HIDDEN, "",
     "Always allow loopback clients (default: 1; tests turn it off to exercise -rpcallowip)"},
    {"dbcache", ARG_INT, 0, "=<n>",
     "Maximum database cache size <n> MiB (minimum 4, default: 450). In addition, unused "
     "mempool memory is shared for this cache"},
    {"par", ARG_INT, 0, "=<n>",
     "Set the number of script verification threads (0 = auto, up to 15, <0 = leave that "
     "many cores free, default: 0)"},
    {"reindex", ARG_BOOL, 0, "",
     "If enabled, wipe chain state and block index, and rebuild them from blk*.dat files "
     "on disk."},
    {"loadblock", ARG_LIST, 0, "=<file>", "Imports blocks from external file on startup"},
    {"txindex", ARG_BOOL, 0, "",
     "Maintain a full transaction index, used by the getrawtransaction rpc call (default: 0)"},
    {"blocknotify", ARG_STRING, 0, "=<cmd>",
     "Execute command when the best block changes (%s in cmd is replaced by block hash)"},
    {"walletnotify", ARG_STRING, 0, "=<cmd>",
     "Execute command when a wallet transaction changes. %s in cmd is replaced by TxID, %w "
     "is replaced by wallet name, %b is replaced by the hash of the block including the "
     "transaction (set to 'unconfirmed' if the transaction is not included) and %h is "
     "replaced by the block height (-1 if not included)"},
    {"maxmempool", ARG_INT, 0, "=<n>",
     "Keep the transaction memory pool below <n> megabytes (default: 300)"},
    {"mempoolexpiry", ARG_INT, 0, "=<n>",
     "Do not keep transactions in the mempool longer than <n> hours (default: 336)"},
    {"persistmempool", ARG_BOOL, 0, "",
     "Whether to save the mempool on shutdown and load on restart (default: 1)"},
    {"listen", ARG_BOOL, 0, "",
     "Accept connections from outside (default: 1 if no -connect)"},
    {"bind", ARG_LIST, ARG_NETWORK_ONLY, "=<addr>[:<port>]",
     "Bind to given address and always listen on it (default: 0.0.0.0 and ::). Use "
     "[host]:port notation for IPv6"},
    {"port", ARG_INT, ARG_NETWORK_ONLY, "=<port>",
     "Listen for connections on <port> (default: 4877, test: 7475, regtest: 14877, btc-main: "
     "8333, btc-regtest: 18444)"},
    {"connect", ARG_LIST, ARG_NETWORK_ONLY, "=<ip>",
     "Connect only to the specified node; -noconnect disables automatic connections. This "
     "option can be specified multiple times to connect to multiple nodes."},
    {"addnode", ARG_LIST, ARG_NETWORK_ONLY, "=<ip>",
     "Add a node to connect to and attempt to keep the connection open. This option can be "
     "specified multiple times to add multiple nodes; connections are limited to 8 at a "
     "time and are counted separately from the -maxconnections limit."},
    {"seednode", ARG_LIST, ARG_NETWORK_ONLY, "=<ip>",
     "Connect to a node to retrieve peer addresses, and disconnect. This option can be "
     "specified multiple times to connect to multiple nodes."},
    {"maxconnections", ARG_INT, 0, "=<n>",
     "Maintain at most <n> automatic connections to peers (default: 125). This limit does "
     "not apply to connections manually added via -addnode or the addnode RPC, which have a "
     "separate limit of 8."},
    {"maxreceivebuffer", ARG_INT, 0, "=<n>",
     "Maximum per-connection receive buffer, <n>*1000 bytes (default: 5000)"},
    {"maxsendbuffer", ARG_INT, 0, "=<n>",
     "Maximum per-connection memory usage for the send buffer, <n>*1000 bytes (default: "
     "1000)"},
    {"peertimeout", ARG_INT, 0, "=<n>",
     "Specify a p2p connection timeout delay in seconds. After connecting to a peer, wait "
     "this amount of time before considering disconnection based on inactivity (minimum: 1, "
     "default: 60)"},
    {"bantime", ARG_INT, 0, "=<n>",
     "Default duration (in seconds) of manually configured bans (default: 86400)"},
    {"networkactive", ARG_BOOL, 0, "",
     "Enable all P2P network activity (default: 1). Can be changed by the setnetworkactive "
     "RPC command"},
    {"whitebind", ARG_LIST, 0, "=<[permissions@]addr>",
     "Bind to the given address and add permission flags to the peers connecting to it. Use "
     "[host]:port notation for IPv6. Allowed permissions: bloomfilter, noban, forcerelay, "
     "relay, mempool, download, addr. Specify multiple permissions separated by commas "
     "(default: download,noban,mempool,relay). Can be specified multiple times."},
    {"whitelist", ARG_LIST, 0, "=<[permissions@]IP address or network>",
     "Add permission flags to the peers connecting from the given IP address (e.g. 1.2.3.4) "
     "or CIDR-notated network (e.g. 1.2.3.0/24). Uses the same permissions as -whitebind. "
     "Can be specified multiple times."},
    {"wallet", ARG_LIST, 0, "=<name>",
     "Load the wallet <name> (a directory below <datadir>/<chain>/wallets) at startup. Can be "
     "used multiple times to load multiple wallets. This only loads existing wallets and does "
     "not create new ones"},
    {"disablewallet", ARG_BOOL, 0, "", "Do not load the wallet and disable wallet RPC calls"},
    {"fallbackfee", ARG_STRING, 0, "=<amt>",
     "A fee rate (in IOP/kvB) that will be used when fee estimation has insufficient data. 0 "
     "to entirely disable the fallbackfee feature. (default: 0.00)"},
    {"paytxfee", ARG_STRING, 0, "=<amt>",
     "Fee rate (in IOP/kvB) to add to transactions you send (default: 0.00)"},
    {"maxtxfee", ARG_STRING, 0, "=<amt>",
     "Maximum total fees (in IOP) to use in a single wallet transaction; setting this too low "
     "may abort large transactions (default: 0.10)"},
    {"mintxfee", ARG_STRING, 0, "=<amt>",
     "Fee rates (in IOP/kvB) smaller than this are considered zero fee for transaction "
     "creation (default: 0.00001)"},
    {"discardfee", ARG_STRING, 0, "=<amt>",
     "The fee rate (in IOP/kvB) that indicates your tolerance for discarding change by adding "
     "it to the fee (default: 0.0001)"},
    {"consolidatefeerate", ARG_STRING, 0, "=<amt>",
     "The maximum feerate (in IOP/kvB) at which transaction building may use more inputs than "
     "strictly necessary so that the wallet's UTXO pool can be reduced (default: 0.0001)"},
    {"txconfirmtarget", ARG_INT, 0, "=<n>",
     "If paytxfee is not set, include enough fee so transactions begin confirmation on "
     "average within n blocks (default: 6)"},
    {"walletrbf", ARG_BOOL, 0, "", "Send transactions with full-RBF opt-in enabled (default: 1)"},
    {"spendzeroconfchange", ARG_BOOL, 0, "",
     "Spend unconfirmed change when sending transactions (default: 1)"},
    {"walletbroadcast", ARG_BOOL, 0, "",
     "Make the wallet broadcast transactions (default: 1)"},
    {"changetype", ARG_STRING, 0, "=<type>",
     "What type of change to use (\"legacy\", \"bech32\", or \"bech32m\"). Default: "
     "the type of the recipients where the wallet has it, else bech32m (as Core)."},
    {"testactivationheight", ARG_LIST, ARG_HIDDEN, "=name@height",
     "Set the activation height of 'name' (bip34, dersig, cltv, csv, segwit, taproot). "
     "(regtest-only)"},
    {"mocktime", ARG_INT, ARG_HIDDEN, "=<n>",
     "Replace actual time with <n> seconds since epoch (default: 0)"},
};

static int wake_pipe[2] = {-1, -1};

static void wake(char c)
{
    ssize_t r;
    do {
        r = write(wake_pipe[1], &c, 1);
    } while (r < 0 && errno == EINTR);
}

static void request_shutdown(void) { wake('T'); }

static void on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGHUP)
        log_request_reopen();
    else
        wake('T');
    errno = saved;
}

/* The daemon child reports init success or failure to a waiting parent through this. */
static int daemon_fd = -1;

static void daemon_report(bool ok, const char *msg)
{
    if (daemon_fd < 0) return;
    char buf[600];
    int n = snprintf(buf, sizeof buf, "%c%s", ok ? '1' : '0', msg ? msg : "");
    if (n > 0) {
        ssize_t w = write(daemon_fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
        (void)w;
    }
    close(daemon_fd);
    daemon_fd = -1;
}

static int init_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int init_error(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "Error: %s\n", msg);
    log_info("Error: %s", msg);
    daemon_report(false, msg);
    return 1;
}

/* Forks; the parent exits (after the child's report with -daemonwait). */
static bool daemonize(bool wait_for_child)
{
    int fds[2];
    if (pipe(fds) != 0) return false;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid > 0) {
        close(fds[1]);
        if (!wait_for_child) _exit(0);
        char buf[600];
        ssize_t n, total = 0;
        while ((n = read(fds[0], buf + total, sizeof buf - 1 - (size_t)total)) > 0 ||
               (n < 0 && errno == EINTR))
            if (n > 0) total += n;
        buf[total] = '\0';
        if (total > 0 && buf[0] == '1') _exit(0);
        fprintf(stderr, "Error during initialization%s%s\n",
                total > 1 ? ": " : " - check debug.log for details", total > 1 ? buf + 1 : "");
        _exit(1);
    }
    close(fds[0]);
    daemon_fd = fds[1];
    if (setsid() < 0) return false;
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        if (devnull > 2) close(devnull);
    }
    return true;
}

static void print_help(struct args *a)
{
    char *h = args_help(a);
    printf("iopd version v%s\n\nUsage:  iopd [options]                     Start iopd\n\n%s",
           PACKAGE_VERSION, h ? h : "");
    free(h);
}

/* Everything start-up creates, so shutdown can release it in one place. */
struct node {
    struct args *args;
    char datadir[PATH_MAX];
    char chaindir[PATH_MAX];
    char pidfile[PATH_MAX];
    char cookiefile[PATH_MAX];
    int lock_fd;
    struct rpc_dispatcher *dispatcher;
    struct rpc_auth *auth;
    struct rpc_server *server;
    struct control_ctx control;
    struct rawtx_rpc_ctx rawtx;
    struct psbt_rpc_ctx psbtrpc;
    struct rpc_subnet *allow;
    struct net_rpc_ctx netrpc;
    struct connman *connman; /* the P2P network; NULL until started */
    struct profile_daemon *profile; /* -profile; NULL when off */
    struct wallet_rpc_ctx wallets; /* loaded wallets (wallet/wallet_rpc.h) */
    bool wallets_ready;            /* false with -disablewallet */
    char user_agent[64];
    /* The chain (see node_context.h): created before the RPC tables that point at it. */
    struct node_context ctx;
    bool ctx_ready;
    struct chainstate *cs;
    struct mempool *mempool;
    bool persist_mempool;
    struct txindex *txindex; /* -txindex; NULL when off */
    struct chain_tx_rpc txrpc;
    /* Fee estimation (chain/fees.h): NULL until the chain is set up. */
    struct fee_estimator *fees;
    struct fees_rpc_ctx feesrpc;
    char fees_path[PATH_MAX];
    char mempool_path[PATH_MAX];
    const char *blocknotify;
    /* Transactions of blocks disconnected since the last tip update, newest block first
     * (each block's in block order), re-added to the mempool after the reorg. */
    struct disconnected_block *disconnected;
    size_t ndisconnected, disconnected_cap;
    pthread_t import_thread;
    bool import_started;
    /* Running -blocknotify commands, waited for at shutdown. */
    pthread_mutex_t notify_lock;
    pthread_cond_t notify_done;
    int notify_running;
};

struct disconnected_block {
    struct tx *txs;
    size_t count;
};

static int setup_logging(struct node *n, bool daemon)
{
    struct args *a = n->args;
    log_set_timestamps(args_get_bool(a, "logtimestamps", true));
    log_set_console(args_get_bool(a, "printtoconsole", !daemon));
    if (!args_is_negated(a, "debuglogfile")) {
        char path[PATH_MAX];
        if (!fs_join(path, sizeof path, n->chaindir,
                     args_get_str(a, "debuglogfile", "debug.log")))
            return init_error("debug log path too long");
        char err[512];
        if (!log_open_file(path, err, sizeof err)) return init_error("%s", err);
    }
    const char **list;
    size_t cnt = args_get_list(a, "debug", &list);
    bool none = false;
    for (size_t i = 0; i < cnt; i++)
        if (strcmp(list[i], "0") == 0 || strcmp(list[i], "none") == 0) none = true;
    for (size_t i = 0; i < cnt && !none; i++) {
        if (!log_enable_category(list[i])) {
            int rc = init_error("Unsupported logging category -debug=%s.", list[i]);
            free(list);
            return rc;
        }
    }
    free(list);
    cnt = args_get_list(a, "debugexclude", &list);
    for (size_t i = 0; i < cnt; i++) {
        if (!log_disable_category(list[i])) {
            int rc = init_error("Unsupported logging category -debugexclude=%s.", list[i]);
            free(list);
            return rc;
        }
    }
    free(list);
    return 0;
}

/* The profile service on its own thread, with its files in <chaindir>/profile. Started
 * before the RPC server so that getprofileserverinfo can point at it. */
static int setup_profile(struct node *n)
{
    struct args *a = n->args;
    if (!args_get_bool(a, "profile", false)) return 0;
    int64_t port = args_get_int(a, "profileport", PROFILE_DEFAULT_PORT);
    if (port < 1 || port > 65535)
        return init_error("Invalid port specified in -profileport: '%s'",
                          args_get(a, "profileport"));
    int64_t maxhosted = args_get_int(a, "profilemaxhosted", PROFILE_DEFAULT_MAX_HOSTED);
    if (maxhosted < 1)
        return init_error("Invalid -profilemaxhosted: '%s'", args_get(a, "profilemaxhosted"));
    char dir[PATH_MAX], err[256];
    if (!fs_join(dir, sizeof dir, n->chaindir, "profile"))
        return init_error("Profile directory path too long");
    /* The loop is stopped from the main thread at shutdown. */
    if (evthread_use_pthreads() != 0)
        return init_error("libevent threading could not be enabled");
    struct profile_daemon_config cfg = {
        .dir = dir,
        .bind = args_get_str(a, "profilebind", "0.0.0.0"),
        .port = (uint16_t)port,
        .max_hosted = (size_t)maxhosted,
    };
    n->profile = profile_daemon_start(&cfg, err, sizeof err);
    if (!n->profile) return init_error("Cannot start the profile service: %s", err);
    log_info("Profile service listening on %s port %u", cfg.bind,
             (unsigned)profile_daemon_port(n->profile));
    return 0;
}

static int setup_rpc(struct node *n, const struct chain_params *params)
{
    struct args *a = n->args;
    char err[512];
    int64_t port = args_get_int(a, "rpcport", params->rpc_port);
    if (port <= 0 || port > 65535)
        return init_error("Invalid port specified in -rpcport: '%s'", args_get(a, "rpcport"));

    n->auth = rpc_auth_new();
    if (!n->auth) return init_error("out of memory");
    const char *pass = args_get(a, "rpcpassword");
    if (pass && *pass) {
        if (!rpc_auth_add_password(n->auth, args_get_str(a, "rpcuser", ""), pass))
            return init_error("out of memory");
    } else {
        char cookie[80];
        if (!fs_join(n->cookiefile, sizeof n->cookiefile, n->chaindir,
                     args_get_str(a, "rpccookiefile", ".cookie")))
            return init_error("cookie path too long");
        if (!rpc_auth_make_cookie(cookie, sizeof cookie))
            return init_error("Unable to start HTTP server. See debug log for details.");
        if (!fs_write_atomic(n->cookiefile, cookie, strlen(cookie), 0600, err, sizeof err)) {
            n->cookiefile[0] = '\0';
            return init_error("Unable to write the auth cookie: %s", err);
        }
        log_info("Generated RPC authentication cookie %s", n->cookiefile);
        char *colon = strchr(cookie, ':');
        *colon = '\0';
        if (!rpc_auth_add_password(n->auth, cookie, colon + 1))
            return init_error("out of memory");
    }
    const char **list;
    size_t cnt = args_get_list(a, "rpcauth", &list);
    for (size_t i = 0; i < cnt; i++) {
        if (!rpc_auth_add_rpcauth(n->auth, list[i])) {
            free(list);
            return init_error("Invalid -rpcauth argument.");
        }
    }
    free(list);

    const char **allow;
    size_t nallow = args_get_list(a, "rpcallowip", &allow);
    if (nallow) {
        n->allow = calloc(nallow, sizeof *n->allow);
        if (!n->allow) {
            free(allow);
            return init_error("out of memory");
        }
    }
    for (size_t i = 0; i < nallow; i++) {
        if (!rpc_subnet_parse(allow[i], &n->allow[i])) {
            int rc = init_error("Invalid -rpcallowip subnet specification: %s. Valid are a "
                                "single IP (e.g. 1.2.3.4), a network/netmask (e.g. "
                                "1.2.3.4/255.255.255.0) or a network/CIDR (e.g. 1.2.3.4/24).",
                                allow[i]);
            free(allow);
            return rc;
        }
    }
    free(allow);

    const char **bind;
    size_t nbind = args_get_list(a, "rpcbind", &bind);
    static const char *const any[] = {"::", "0.0.0.0"};
    struct rpc_server_config cfg = {
        .port = (uint16_t)port,
        .allow = n->allow,
        .nallow = nallow,
        .allow_loopback = args_get_bool(a, "rpcallowloopback", true),
        .threads = (int)args_get_int(a, "rpcthreads", 16),
        .workqueue = (int)args_get_int(a, "rpcworkqueue", 64),
        .timeout = (int)args_get_int(a, "rpcservertimeout", 30),
    };
    if (nallow == 0) {
        /* Core: without -rpcallowip only loopback is served, whatever -rpcbind says. */
        if (nbind)
            log_info("WARNING: option -rpcbind was ignored because -rpcallowip was not "
                     "specified, refusing to allow everyone to connect");
    } else if (nbind) {
        cfg.bind = bind;
        cfg.nbind = nbind;
    } else {
        cfg.bind = any;
        cfg.nbind = 2;
    }
    if (cfg.threads < 1) cfg.threads = 1;
    if (cfg.workqueue < 1) cfg.workqueue = 1;

    n->dispatcher = rpc_dispatcher_new();
    n->control = (struct control_ctx){n->dispatcher, request_shutdown, time_now()};
    struct rpc_table control = control_rpc_table(&n->control);
    if (!n->dispatcher || !rpc_dispatcher_add_table(n->dispatcher, &control)) {
        free(bind);
        return init_error("out of memory");
    }
    n->rawtx = (struct rawtx_rpc_ctx){params};
    struct rpc_table rawtx = rawtx_rpc_table(&n->rawtx);
    if (!rpc_dispatcher_add_table(n->dispatcher, &rawtx)) {
        free(bind);
        return init_error("out of memory");
    }
    n->txrpc = (struct chain_tx_rpc){&n->ctx, NULL};
    n->feesrpc = (struct fees_rpc_ctx){&n->ctx, NULL};
    n->psbtrpc = (struct psbt_rpc_ctx){params, &n->ctx};
    struct rpc_table chain_tables[] = {chain_rpc_table(&n->ctx), mining_rpc_table(&n->ctx),
                                       mempool_rpc_table(&n->ctx),
                                       chain_tx_rpc_table(&n->txrpc),
                                       fees_rpc_table(&n->feesrpc),
                                       psbt_rpc_table(&n->psbtrpc)};
    for (size_t i = 0; i < sizeof chain_tables / sizeof chain_tables[0]; i++) {
        if (!rpc_dispatcher_add_table(n->dispatcher, &chain_tables[i])) {
            free(bind);
            return init_error("out of memory");
        }
    }
    snprintf(n->user_agent, sizeof n->user_agent, "/iopd:%s/", PACKAGE_VERSION);
    n->netrpc = (struct net_rpc_ctx){NULL, n->user_agent};
    struct rpc_table net = net_rpc_table(&n->netrpc);
    if (!rpc_dispatcher_add_table(n->dispatcher, &net)) {
        free(bind);
        return init_error("out of memory");
    }
    if (n->wallets_ready) {
        struct rpc_table wt = wallet_rpc_table(&n->wallets);
        struct rpc_table st = spend_rpc_table(&n->wallets);
        if (!rpc_dispatcher_add_table(n->dispatcher, &wt) ||
            !rpc_dispatcher_add_table(n->dispatcher, &st)) {
            free(bind);
            return init_error("out of memory");
        }
    }
    /* Tables of later modules (minting, services) are added here. */
    struct rpc_table profile_rpc =
        profile_rpc_table(n->profile ? profile_daemon_service(n->profile) : NULL);
    if (!rpc_dispatcher_add_table(n->dispatcher, &profile_rpc)) {
        free(bind);
        return init_error("out of memory");
    }
    rpc_dispatcher_set_warmup(n->dispatcher, true, "Loading...");
    n->server = rpc_server_start(n->dispatcher, n->auth, &cfg, err, sizeof err);
    free(bind);
    if (!n->server) return init_error("%s", err);
    return 0;
}

/* ---- The chain ---- */

static struct mempool_chain_tip mempool_tip(struct node *n)
{
    const struct block_index *tip = chainstate_tip(n->cs);
    struct mempool_chain_tip t = {
        .height = tip ? tip->height : -1,
        .median_time_past = tip ? block_index_median_time_past(tip) : 0,
        .tip = tip,
        .now = time_now(),
    };
    return t;
}

static void free_disconnected(struct node *n)
{
    for (size_t i = 0; i < n->ndisconnected; i++) {
        for (size_t j = 0; j < n->disconnected[i].count; j++)
            tx_clear(&n->disconnected[i].txs[j]);
        free(n->disconnected[i].txs);
    }
    n->ndisconnected = 0;
}

/* Chain listeners: called by the chainstate with ctx.lock held. */
static void on_block_connected(void *vn, const struct block *b, const struct block_index *idx)
{
    struct node *n = vn;
    /* The estimator counts the block's pool transactions before the pool drops them. */
    if (n->fees) fees_block_connected(n->fees, idx->height, b);
    if (n->mempool) mempool_remove_for_block(n->mempool, b, idx->height, time_now());
}

/* Mempool listeners for fee estimation: called by the pool with ctx.lock held. */
static void on_mempool_added(void *vn, const struct mempool_entry *e, bool valid_fee_estimate)
{
    struct node *n = vn;
    if (n->wallets_ready) wallet_rpc_mempool_added(&n->wallets, e, valid_fee_estimate);
    if (!n->fees) return;
    bool valid = valid_fee_estimate && fees_chain_is_current(&n->ctx, time_now());
    fees_tx_added(n->fees, &e->txid, e->fee, e->vsize, e->height, valid);
}

static void on_mempool_removed(void *vn, const struct mempool_entry *e,
                               enum mempool_removal_reason why)
{
    struct node *n = vn;
    if (n->wallets_ready) wallet_rpc_mempool_removed(&n->wallets, e, why);
    /* those a block took were already counted by fees_block_connected */
    if (n->fees) fees_tx_removed(n->fees, &e->txid);
}

static void on_block_disconnected(void *vn, const struct block *b,
                                  const struct block_index *idx)
{
    struct node *n = vn;
    (void)idx;
    if (!n->mempool || b->tx_count < 2) return;
    if (n->ndisconnected == n->disconnected_cap) {
        size_t nc = n->disconnected_cap ? n->disconnected_cap * 2 : 8;
        void *p = realloc(n->disconnected, nc * sizeof *n->disconnected);
        if (!p) return; /* out of memory: those transactions are not re-added */
        n->disconnected = p;
        n->disconnected_cap = nc;
    }
    struct disconnected_block *d = &n->disconnected[n->ndisconnected];
    d->txs = calloc(b->tx_count - 1, sizeof *d->txs);
    d->count = 0;
    if (!d->txs) return;
    for (size_t i = 1; i < b->tx_count; i++) {
        tx_init(&d->txs[d->count]);
        if (tx_copy(&d->txs[d->count], &b->txs[i])) d->count++;
    }
    n->ndisconnected++;
}

static void *run_blocknotify(void *arg)
{
    struct node *n = *(struct node **)arg;
    char *cmd = (char *)arg + sizeof(struct node *);
    int rc = system(cmd);
    if (rc != 0) log_info("runCommand error: system(%s) returned %d", cmd, rc);
    free(arg);
    pthread_mutex_lock(&n->notify_lock);
    n->notify_running--;
    pthread_cond_broadcast(&n->notify_done);
    pthread_mutex_unlock(&n->notify_lock);
    return NULL;
}

/* Core's -blocknotify: every %s becomes the hash; the command runs in /bin/sh on its own
 * thread so a slow command never holds up validation. */
static void blocknotify(struct node *n, const struct block_index *tip)
{
    char hex[65];
    uint256_to_hex(hex, &tip->hash);
    size_t len = strlen(n->blocknotify), cap = len + 1;
    for (const char *p = n->blocknotify; (p = strstr(p, "%s")) != NULL; p += 2) cap += 62;
    char *arg = malloc(sizeof(struct node *) + cap);
    if (!arg) return;
    memcpy(arg, &n, sizeof n);
    char *out = arg + sizeof n;
    for (const char *p = n->blocknotify; *p;) {
        if (p[0] == '%' && p[1] == 's') {
            memcpy(out, hex, 64);
            out += 64;
            p += 2;
        } else {
            *out++ = *p++;
        }
    }
    *out = '\0';
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    pthread_mutex_lock(&n->notify_lock);
    n->notify_running++;
    pthread_mutex_unlock(&n->notify_lock);
    if (pthread_create(&t, &attr, run_blocknotify, arg) != 0) {
        free(arg);
        pthread_mutex_lock(&n->notify_lock);
        n->notify_running--;
        pthread_mutex_unlock(&n->notify_lock);
    }
    pthread_attr_destroy(&attr);
}

static void on_tip_updated(void *vn, const struct block_index *tip)
{
    struct node *n = vn;
    if (n->ndisconnected && n->mempool) {
        /* Oldest disconnected block first, so parents come before children. */
        size_t total = 0;
        for (size_t i = 0; i < n->ndisconnected; i++) total += n->disconnected[i].count;
        struct tx *all = total ? malloc(total * sizeof *all) : NULL;
        if (all) {
            size_t k = 0;
            for (size_t i = n->ndisconnected; i-- > 0;)
                for (size_t j = 0; j < n->disconnected[i].count; j++)
                    all[k++] = n->disconnected[i].txs[j];
            struct mempool_chain_tip t = mempool_tip(n);
            size_t added =
                mempool_readd_disconnected(n->mempool, all, total, &t, chainstate_coins(n->cs));
            log_debug(LOG_MEMPOOL, "Re-added %zu of %zu transactions of disconnected blocks",
                      added, total);
            free(all);
        }
    }
    free_disconnected(n);
    pthread_cond_broadcast(&n->ctx.tip_changed);
    if (n->blocknotify && tip && !node_is_initial_block_download(&n->ctx)) blocknotify(n, tip);
}

struct import_progress {
    struct node *n;
    const char *what;
    int64_t last_log; /* monotonic µs */
    int32_t height;
    uint64_t blocks;
    double rate;
};

#define IMPORT_LOG_INTERVAL_US (5 * 1000000LL)

/* Called about once a second by the import with ctx.lock held: logs now and then, and
 * lets waiting RPC calls take the lock between blocks (the chainstate is consistent
 * here), so a long import never stalls the RPC server for more than a moment. */
static void import_progress(void *vp, int32_t height, uint64_t blocks, double rate)
{
    struct import_progress *p = vp;
    p->height = height;
    p->blocks = blocks;
    p->rate = rate;
    int64_t now = time_mono_micros();
    if (now - p->last_log >= IMPORT_LOG_INTERVAL_US) {
        p->last_log = now;
        log_info("Imported %" PRIu64 " blocks, height %d, %.0f blocks/s", blocks, (int)height,
                 rate);
    }
    pthread_mutex_unlock(&p->n->ctx.lock);
    sched_yield();
    pthread_mutex_lock(&p->n->ctx.lock);
}

static void import_done(struct import_progress *p, bool ok, const char *err)
{
    if (ok)
        log_info("Imported %" PRIu64 " blocks from %s, height %d, %.0f blocks/s (done)",
                 p->blocks, p->what, (int)p->height, p->rate);
    else
        log_info("Error importing %s: %s", p->what, err);
}

/* The import stops between blocks once shutdown is requested. */
static bool import_interrupted(void *vc)
{
    const struct node_context *c = vc;
    return c->shutdown_requested;
}

/* Core's ThreadImport: finishes a reindex, imports the -loadblock files, then loads
 * mempool.dat. Holds ctx.lock while working (yielding it in import_progress). */
static void *import_thread(void *vn)
{
    struct node *n = vn;
    struct node_context *c = &n->ctx;
    char err[512];
    pthread_mutex_lock(&c->lock);
    if (chainstate_reindex_pending(n->cs)) {
        struct import_progress p = {n, "the block files (reindex)", time_mono_micros(), 0, 0,
                                    0};
        log_info("Reindexing block files...");
        bool ok = chainstate_reindex(n->cs, import_progress, &p, err, sizeof err);
        import_done(&p, ok, err);
        if (!ok) {
            pthread_mutex_unlock(&c->lock);
            log_info("Error: reindex failed, shutting down");
            request_shutdown();
            return NULL;
        }
    }
    const char **files;
    size_t nfiles = args_get_list(n->args, "loadblock", &files);
    for (size_t i = 0; i < nfiles && !c->shutdown_requested; i++) {
        struct import_progress p = {n, files[i], time_mono_micros(), 0, 0, 0};
        log_info("Importing blocks file %s...", files[i]);
        bool ok = chainstate_load_external_file(n->cs, files[i], import_progress, &p, err,
                                                sizeof err);
        import_done(&p, ok, err);
    }
    free(files);
    c->importing = false;
    if (n->mempool && n->persist_mempool && !c->shutdown_requested) {
        struct mempool_chain_tip t = mempool_tip(n);
        struct mempool_load_stats st;
        char *e = NULL;
        if (!mempool_load_accept(n->mempool, n->mempool_path, &t, chainstate_coins(n->cs), &st,
                                 &e))
            log_info("Failed to load mempool from %s: %s", n->mempool_path, e ? e : "?");
        else
            log_info("Imported mempool transactions from disk: %" PRIu64 " succeeded, %" PRIu64
                     " failed, %" PRIu64 " expired%s%s",
                     st.accepted, st.failed - st.expired, st.expired, e ? "; " : "",
                     e ? e : "");
        free(e);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static void set_warmup(struct node *n, const char *status)
{
    if (n->dispatcher) rpc_dispatcher_set_warmup(n->dispatcher, status != NULL, status);
    if (status) log_info("init message: %s", status);
}

/* Opens the chainstate and the mempool while RPC answers -28, checks the last blocks and
 * starts the import thread. */
static int setup_chain(struct node *n)
{
    struct args *a = n->args;
    struct node_context *c = &n->ctx;
    char err[1024];
    int64_t dbcache = args_get_int(a, "dbcache", DEFAULT_DB_CACHE_MIB);
    if (dbcache < MIN_DB_CACHE_MIB) dbcache = MIN_DB_CACHE_MIB;
    const char **acts;
    size_t nacts = args_get_list(a, "testactivationheight", &acts);
    struct chainstate_options opt = {
        .params = c->params,
        .test_activation = acts,
        .test_activation_count = nacts,
        .datadir = n->chaindir,
        .dbcache_mib = (size_t)dbcache,
        .par = (int)args_get_int(a, "par", 0),
        .reindex = args_get_bool(a, "reindex", false),
    };
    set_warmup(n, "Loading block index...");
    struct chainstate *cs = chainstate_open(&opt, err, sizeof err);
    free(acts);
    if (!cs) return init_error("%s", err);
    n->cs = cs;
    struct chainstate_callbacks cb = {on_block_connected, on_block_disconnected, on_tip_updated,
                                      n};
    if (!chainstate_subscribe(cs, &cb)) return init_error("cannot subscribe to the chain");
    if (n->wallets_ready) {
        struct chainstate_callbacks wcb = wallet_rpc_chain_callbacks(&n->wallets);
        if (!chainstate_subscribe(cs, &wcb)) return init_error("cannot subscribe to the chain");
    }
    chainstate_set_interrupt(cs, import_interrupted, c);
    if (args_get_bool(a, "txindex", false)) {
        n->txindex = txindex_open(n->chaindir, cs, c, opt.reindex, err, sizeof err);
        if (!n->txindex) return init_error("Unable to open the transaction index: %s", err);
    }

    set_warmup(n, "Verifying blocks...");
    if (!chain_verify_blocks(cs, 3, 6, err, sizeof err))
        return init_error("Corrupted block database detected: %s", err);

    struct policy_params pol;
    policy_params_default(&pol);
    int64_t maxmempool = args_get_int(a, "maxmempool", pol.max_mempool_mb);
    int64_t expiry = args_get_int(a, "mempoolexpiry", pol.mempool_expiry_hours);
    if (maxmempool < 5 || maxmempool > UINT32_MAX)
        return init_error("-maxmempool must be at least 5 MB");
    if (expiry < 0 || expiry > UINT32_MAX) return init_error("Invalid -mempoolexpiry");
    pol.max_mempool_mb = (uint32_t)maxmempool;
    pol.mempool_expiry_hours = (uint32_t)expiry;
    uint64_t keys[2];
    if (!random_bytes(keys, sizeof keys)) return init_error("getrandom failed");
    n->mempool = mempool_new(&pol, keys[0], keys[1]);
    if (!n->mempool) return init_error("out of memory");
    {
        /* Acceptance fills the chainstate's caches so blocks skip what the mempool
         * verified. The flags are those of the block after the current tip; on iop's
         * chains they never change after height 1, and a mismatch elsewhere only costs
         * cache misses. */
        struct block_index next;
        memset(&next, 0, sizeof next);
        const struct block_index *t = chainstate_tip(cs);
        next.prev = (struct block_index *)t;
        next.height = t ? t->height + 1 : 0;
        next.time = t ? t->time : 0;
        mempool_set_script_caches(n->mempool, sigcache_mempool_hook(chainstate_sigcache(cs)),
                                  chainstate_script_cache(cs),
                                  chainstate_script_flags(cs, &next));
    }
    uint64_t fee_keys[2];
    if (!random_bytes(fee_keys, sizeof fee_keys)) return init_error("getrandom failed");
    n->fees = fees_new(fee_keys[0], fee_keys[1]);
    if (!n->fees) return init_error("out of memory");
    if (!fs_join(n->fees_path, sizeof n->fees_path, n->chaindir, "fee_estimates.dat"))
        return init_error("fee estimates path too long");
    {
        char *e = NULL;
        if (!fees_load(n->fees, n->fees_path, time_now(), &e))
            log_info("Not using fee estimates from %s: %s", n->fees_path, e ? e : "?");
        free(e);
    }
    mempool_set_addition_hook(n->mempool, on_mempool_added, n);
    mempool_set_removal_hook(n->mempool, on_mempool_removed, n);
    n->persist_mempool = args_get_bool(a, "persistmempool", true);
    if (!fs_join(n->mempool_path, sizeof n->mempool_path, n->chaindir, "mempool.dat"))
        return init_error("mempool path too long");
    const char *bn = args_get(a, "blocknotify");
    n->blocknotify = bn && *bn && !args_is_negated(a, "blocknotify") ? bn : NULL;

    pthread_mutex_lock(&c->lock);
    c->params = chainstate_params(cs);
    c->policy = pol;
    c->chainstate = cs;
    c->mempool = n->mempool;
    n->feesrpc.est = n->fees;
    if (n->wallets_ready) n->wallets.spend.fee_estimator = n->fees;
    c->importing = true;
    n->txrpc.index = n->txindex;
    const struct block_index *tip = chainstate_tip(cs);
    if (tip) {
        char hex[65];
        uint256_to_hex(hex, &tip->hash);
        log_info("Loaded best chain: hashBestChain=%s height=%d", hex, (int)tip->height);
    }
    pthread_mutex_unlock(&c->lock);

    if (n->txindex && !txindex_start(n->txindex))
        return init_error("cannot start the transaction index thread");
    if (pthread_create(&n->import_thread, NULL, import_thread, n) != 0)
        return init_error("cannot start the import thread");
    n->import_started = true;
    return 0;
}

/* An IOP amount option (-fallbackfee=0.0002) into satoshis (sat/kvB for rates); absent
 * or negated leaves *out. */
static bool wallet_amount_option(const struct args *a, const char *name, int64_t *out)
{
    const char *v = args_get(a, name);
    if (!v || args_is_negated(a, name)) return true;
    int64_t x;
    if (!amount_parse(v, &x) || x < 0 || x > MAX_MONEY) {
        init_error("Invalid amount for -%s=<amount>: '%s'", name, v);
        return false;
    }
    *out = x;
    return true;
}

/* Sending options of the wallet (wallet/spend.h), Core's checks. */
static int setup_wallet_spend(struct node *n)
{
    struct args *a = n->args;
    struct spend_options *o = &n->wallets.spend;
    if (!wallet_amount_option(a, "fallbackfee", &o->fallback_fee) ||
        !wallet_amount_option(a, "paytxfee", &o->pay_tx_fee) ||
        !wallet_amount_option(a, "maxtxfee", &o->max_tx_fee) ||
        !wallet_amount_option(a, "mintxfee", &o->min_tx_fee) ||
        !wallet_amount_option(a, "discardfee", &o->discard_fee) ||
        !wallet_amount_option(a, "consolidatefeerate", &o->consolidate_fee))
        return 1;
    if (o->fallback_fee > SPEND_HIGH_TX_FEE_PER_KB)
        log_info("Warning: -fallbackfee is set very high! This is the transaction fee you may "
                 "pay when fee estimates are not available.");
    if (o->pay_tx_fee > SPEND_HIGH_TX_FEE_PER_KB)
        log_info("Warning: -paytxfee is set very high! This is the transaction fee you will pay "
                 "if you send a transaction.");
    if (o->pay_tx_fee > 0 && o->pay_tx_fee < DEFAULT_MIN_RELAY_TX_FEE)
        return init_error("Invalid amount for -paytxfee=<amount>: '%s' (must be at least "
                          "0.00001 IOP/kvB)", args_get(a, "paytxfee"));
    if (o->max_tx_fee < DEFAULT_MIN_RELAY_TX_FEE)
        return init_error("Invalid amount for -maxtxfee=<amount>: '%s' (must be at least the "
                          "minrelay fee of 0.00001 IOP/kvB to prevent stuck transactions)",
                          args_get(a, "maxtxfee"));
    int64_t target = args_get_int(a, "txconfirmtarget", SPEND_DEFAULT_CONFIRM_TARGET);
    if (target < 1 || target > 1008) return init_error("Invalid -txconfirmtarget");
    o->confirm_target = (int)target;
    o->signal_rbf = args_get_bool(a, "walletrbf", true);
    o->spend_zero_conf_change = args_get_bool(a, "spendzeroconfchange", true);
    o->broadcast = args_get_bool(a, "walletbroadcast", true);
    const char *ct = args_get(a, "changetype");
    if (ct && *ct && !args_is_negated(a, "changetype")) {
        enum wallet_addr_type t;
        if (!wallet_addr_type_parse(ct, &t))
            return init_error("Unknown change type '%s'", ct);
        o->change_type = (int)t;
    }
    return 0;
}

/* -wallet: loads the named wallets once the chain and the P2P layer run, so that the
 * wallet's resubmitted unconfirmed transactions are announced to peers (exactly as a
 * later loadwallet call). RPC still answers -28 "Loading wallet..." meanwhile. */
static int load_wallets(struct node *n)
{
    if (!n->wallets_ready) return 0;
    char err[1024];
    set_warmup(n, "Loading wallet...");
    const char **names;
    size_t nw = args_get_list(n->args, "wallet", &names);
    for (size_t i = 0; i < nw; i++) {
        if (!wallet_rpc_load(&n->wallets, names[i], err, sizeof err)) {
            int rc = init_error("Error loading wallet %s: %s", names[i], err);
            free(names);
            return rc;
        }
        log_info("Wallet %s loaded", names[i]);
    }
    free(names);
    return 0;
}

/* The P2P network (src/net): options checked here, sockets bound in connman_start. */
static int setup_p2p(struct node *n)
{
    struct args *a = n->args;
    const struct chain_params *params = n->ctx.params;
    char err[512];
    int64_t port = args_get_int(a, "port", params->default_port);
    if (port <= 0 || port > 65535)
        return init_error("Invalid port specified in -port: '%s'", args_get(a, "port"));
    int64_t maxconn = args_get_int(a, "maxconnections", NET_DEFAULT_MAX_CONNECTIONS);
    if (maxconn < 0) maxconn = 0;
    int64_t rbuf = args_get_int(a, "maxreceivebuffer", NET_DEFAULT_MAX_RECEIVE_BUFFER);
    int64_t sbuf = args_get_int(a, "maxsendbuffer", NET_DEFAULT_MAX_SEND_BUFFER);
    int64_t timeout = args_get_int(a, "peertimeout", NET_DEFAULT_PEER_TIMEOUT);
    if (rbuf < 1 || sbuf < 1) return init_error("-maxreceivebuffer and -maxsendbuffer must be positive");
    if (timeout <= 0) return init_error("peertimeout must be a positive integer.");
    const char **bind, **connect, **addnode, **seednode, **whitebind, **whitelist;
    size_t nbind = args_get_list(a, "bind", &bind);
    size_t nconnect = args_get_list(a, "connect", &connect);
    size_t naddnode = args_get_list(a, "addnode", &addnode);
    size_t nseednode = args_get_list(a, "seednode", &seednode);
    size_t nwhitebind = args_get_list(a, "whitebind", &whitebind);
    size_t nwhitelist = args_get_list(a, "whitelist", &whitelist);
    bool connect_none = args_is_negated(a, "connect") ||
                        (nconnect == 1 && strcmp(connect[0], "0") == 0);
    if (connect_none) nconnect = 0;
    bool connect_given = nconnect > 0 || connect_none;
    struct connman_options opt = {
        .params = params,
        .node = &n->ctx,
        .datadir = n->chaindir,
        .listen = args_get_bool(a, "listen", !connect_given) || nbind > 0,
        .port = (uint16_t)port,
        .bind = bind,
        .nbind = nbind,
        .whitebind = whitebind,
        .nwhitebind = nwhitebind,
        .whitelist = whitelist,
        .nwhitelist = nwhitelist,
        .connect = connect,
        .nconnect = nconnect,
        .connect_none = connect_none,
        .addnode = addnode,
        .naddnode = naddnode,
        .seednode = seednode,
        .nseednode = nseednode,
        .max_connections = (int)maxconn,
        .max_receive_buffer = (size_t)rbuf * 1000,
        .max_send_buffer = (size_t)sbuf * 1000,
        .peer_timeout = (int)timeout,
        .bantime = args_get_int(a, "bantime", BANMAN_DEFAULT_BANTIME),
        .network_active = args_get_bool(a, "networkactive", true),
        .allow_local_addrs = false,
        .user_agent = n->user_agent,
    };
    if (!n->user_agent[0]) snprintf(n->user_agent, sizeof n->user_agent, "/iopd:%s/", PACKAGE_VERSION);
    n->connman = connman_start(&opt, err, sizeof err);
    free(bind);
    free(connect);
    free(addnode);
    free(seednode);
    free(whitebind);
    free(whitelist);
    if (!n->connman) return init_error("%s", err);
    n->netrpc.cm = n->connman;
    return 0;
}

/* Shutdown order: RPC (after waking the waits), the import thread, the mempool dump,
 * then the chainstate's final flush. */
static void shutdown_chain(struct node *n)
{
    struct node_context *c = &n->ctx;
    if (n->import_started) {
        pthread_join(n->import_thread, NULL);
        n->import_started = false;
    }
    pthread_mutex_lock(&n->notify_lock);
    int64_t deadline = time_mono_micros() + 5000000;
    while (n->notify_running > 0 && time_mono_micros() < deadline) {
        pthread_mutex_unlock(&n->notify_lock);
        time_sleep_ms(10);
        pthread_mutex_lock(&n->notify_lock);
    }
    pthread_mutex_unlock(&n->notify_lock);
    if (!n->cs) return;
    pthread_mutex_lock(&c->lock);
    if (n->mempool && n->persist_mempool) {
        char *e = NULL;
        if (!mempool_dump(n->mempool, n->mempool_path, &e))
            log_info("Failed to dump mempool: %s", e ? e : "?");
        else
            log_info("Dumped mempool: %zu transactions", mempool_size(n->mempool));
        free(e);
    }
    if (n->fees) {
        /* Core's Flush: what is still waiting counts as failed, then the file. */
        char *e = NULL;
        fees_flush_unconfirmed(n->fees);
        if (!fees_save(n->fees, n->fees_path, time_now(), &e))
            log_info("Failed to write fee estimates to %s: %s", n->fees_path, e ? e : "?");
        free(e);
        n->feesrpc.est = NULL;
    }
    if (n->wallets_ready) n->wallets.spend.fee_estimator = NULL;
    if (n->mempool) {
        mempool_set_addition_hook(n->mempool, NULL, NULL);
        mempool_set_removal_hook(n->mempool, NULL, NULL);
    }
    c->chainstate = NULL;
    c->mempool = NULL;
    n->txrpc.index = NULL;
    pthread_mutex_unlock(&c->lock);
    txindex_free(n->txindex);
    n->txindex = NULL;
    char err[512];
    if (!chainstate_flush(n->cs, true, err, sizeof err))
        log_info("Error flushing the chainstate: %s", err);
    chainstate_close(n->cs);
    n->cs = NULL;
    mempool_free(n->mempool);
    n->mempool = NULL;
    fees_free(n->fees);
    n->fees = NULL;
    free_disconnected(n);
    free(n->disconnected);
    n->disconnected = NULL;
}

static void shutdown_node(struct node *n)
{
    log_info("Shutdown: In progress...");
    if (n->ctx_ready) {
        /* Wake waitfornewblock and friends so the RPC server can finish its replies. */
        pthread_mutex_lock(&n->ctx.lock);
        n->ctx.shutdown_requested = true;
        pthread_cond_broadcast(&n->ctx.tip_changed);
        pthread_mutex_unlock(&n->ctx.lock);
    }
    rpc_server_stop(n->server);
    n->server = NULL;
    profile_daemon_stop(n->profile); /* offline for all; store closed */
    n->profile = NULL;
    connman_stop(n->connman);
    n->connman = NULL;
    n->netrpc.cm = NULL;
    if (n->ctx_ready) {
        shutdown_chain(n);
        if (n->wallets_ready) {
            wallet_rpc_ctx_destroy(&n->wallets);
            n->wallets_ready = false;
        }
        node_context_destroy(&n->ctx);
        pthread_cond_destroy(&n->notify_done);
        pthread_mutex_destroy(&n->notify_lock);
    }
    rpc_dispatcher_free(n->dispatcher);
    rpc_auth_free(n->auth);
    free(n->allow);
    if (n->cookiefile[0]) unlink(n->cookiefile);
    if (n->pidfile[0]) unlink(n->pidfile);
    log_info("Shutdown: done");
    if (n->lock_fd >= 0) close(n->lock_fd);
    args_free(n->args);
    log_shutdown();
}

int main(int argc, char **argv)
{
    struct node node = {.lock_fd = -1};
    struct node *n = &node;
    char err[1024] = "";
    n->args = args_new(iopd_options, sizeof iopd_options / sizeof iopd_options[0]);
    if (!n->args) return init_error("out of memory");
    struct args *a = n->args;
    int rc = 1;
    if (!args_parse_cmdline(a, argc, argv, NULL, err, sizeof err)) {
        init_error("Error parsing command line arguments: %s", err);
        goto out;
    }
    if (args_get_bool(a, "?", false) || args_get_bool(a, "h", false) ||
        args_get_bool(a, "help", false)) {
        print_help(a);
        rc = 0;
        goto out;
    }
    if (args_get_bool(a, "version", false)) {
        printf("iopd version v%s\n", PACKAGE_VERSION);
        rc = 0;
        goto out;
    }

    const char *dd = args_get(a, "datadir");
    if (dd && *dd) {
        if (!fs_is_dir(dd)) {
            init_error("Specified data directory \"%s\" does not exist.", dd);
            goto out;
        }
        if (!realpath(dd, n->datadir)) {
            init_error("Cannot resolve data directory \"%s\": %s", dd, strerror(errno));
            goto out;
        }
    } else {
        if (!fs_default_datadir(n->datadir, sizeof n->datadir)) {
            init_error("Cannot find the default data directory: HOME is not set; use -datadir");
            goto out;
        }
        if (!fs_mkdirs(n->datadir, err, sizeof err)) {
            init_error("%s", err);
            goto out;
        }
    }
    char conf[PATH_MAX];
    if (!fs_join(conf, sizeof conf, n->datadir, args_get_str(a, "conf", "iop.conf")) ||
        !args_read_conf_file(a, conf, args_is_set(a, "conf"), false, err, sizeof err)) {
        init_error("Error reading configuration file: %s", err);
        goto out;
    }
    const char *chain = args_chain(a, err, sizeof err);
    if (!chain) {
        init_error("%s", err);
        goto out;
    }
    const struct chain_params *params = chainparams_by_name(chain);
    if (!params) {
        init_error("Unknown chain %s. Allowed values: main, test, regtest, btc-main, "
                   "btc-regtest",
                   chain);
        goto out;
    }
    if (!args_select_section(a, params->name)) {
        init_error("out of memory");
        goto out;
    }
    if (!fs_join(n->chaindir, sizeof n->chaindir, n->datadir, params->data_subdir) ||
        !fs_mkdirs(n->chaindir, err, sizeof err)) {
        init_error("Cannot create the chain data directory: %s", err);
        goto out;
    }
    int64_t mock = args_get_int(a, "mocktime", 0);
    if (mock) time_set_mock(mock);

    bool daemon = args_get_bool(a, "daemon", false) || args_get_bool(a, "daemonwait", false);
    if (daemon && !daemonize(args_get_bool(a, "daemonwait", false))) {
        init_error("fork() failed: %s", strerror(errno));
        goto out;
    }

    if (!fs_lock_dir(n->chaindir, &n->lock_fd, err, sizeof err)) {
        init_error("%s", err);
        goto out;
    }
    if (setup_logging(n, daemon) != 0) goto out;
    log_info("iopd version v%s", PACKAGE_VERSION);
    log_info("Using data directory %s", n->chaindir);
    log_info("Using config file %s", conf);
    if (args_warnings(a)) log_info("Warning: %s", args_warnings(a));

    if (!args_is_negated(a, "pid")) {
        char pid[32];
        int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (!fs_join(n->pidfile, sizeof n->pidfile, n->chaindir,
                     args_get_str(a, "pid", "iopd.pid")) ||
            !fs_write_atomic(n->pidfile, pid, (size_t)len, 0644, err, sizeof err)) {
            n->pidfile[0] = '\0';
            init_error("Unable to create the PID file: %s", err);
            goto out;
        }
    }

    if (pipe(wake_pipe) != 0) {
        init_error("pipe() failed: %s", strerror(errno));
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    n->ctx.params = params;
    n->ctx.now = time_now;
    n->ctx.datadir = n->chaindir;
    if (!node_context_init(&n->ctx)) {
        init_error("cannot initialise the node's lock");
        goto out;
    }
    pthread_mutex_init(&n->notify_lock, NULL);
    pthread_cond_init(&n->notify_done, NULL);
    n->ctx_ready = true;
    if (!args_get_bool(a, "disablewallet", false)) {
        char wdir[PATH_MAX];
        if (!fs_join(wdir, sizeof wdir, n->chaindir, "wallets") ||
            !wallet_rpc_ctx_init(&n->wallets, &n->ctx, wdir, err, sizeof err)) {
            init_error("Cannot use the wallet directory: %s", err);
            goto out;
        }
        n->wallets_ready = true;
        const char *wn = args_get(a, "walletnotify");
        n->wallets.walletnotify = wn && *wn && !args_is_negated(a, "walletnotify") ? wn : NULL;
        if (setup_wallet_spend(n) != 0) goto out;
    }

    if (setup_profile(n) != 0) goto out;
    if (args_get_bool(a, "server", true) && setup_rpc(n, params) != 0) goto out;
    if (setup_chain(n) != 0) goto out;
    if (setup_p2p(n) != 0) goto out;
    if (load_wallets(n) != 0) goto out;

    set_warmup(n, NULL);
    log_info("init message: Done loading");
    daemon_report(true, NULL);

    for (;;) {
        char c;
        ssize_t r = read(wake_pipe[0], &c, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0 || c == 'T') break;
    }
    rc = 0;
out:
    shutdown_node(n);
    return rc;
}
