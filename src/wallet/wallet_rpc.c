/* The wallet RPC methods and the registry of loaded wallets (see wallet_rpc.h).
 *
 * Results and errors follow Bitcoin Core 29's rpc/wallet/ sources. Differences: only
 * descriptor wallets exist (descriptors=false is refused, as Core 29 does); address
 * types are legacy, bech32 and bech32m (no p2sh-segwit descriptors); createwallet takes
 * two iop extensions, "mnemonic" (restore from BIP39 words, then scan the whole chain)
 * and "mnemonic_passphrase" (the BIP39 passphrase); getmnemonic shows the words for a
 * backup. Secrets given as parameters (passphrases, mnemonics) are never copied into
 * error messages or logs. */
#include "wallet/wallet_rpc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chain/blockindex.h"
#include "chain/descriptor.h"
#include "chain/psbt.h"
#include "chain/rawtx_rpc.h"
#include "chain/script_format.h"
#include "consensus/address.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/log.h"
#include "wallet/bip32.h"
#include "wallet/bip39.h"

/* Core's MAX_SLEEP_TIME for walletpassphrase. */
#define MAX_UNLOCK_SECONDS 100000000LL

struct wallet_rpc_entry {
    struct wallet *w;
    int refs;
};

/* ---- helpers ---- */

static const json_t *param(const json_t *params, size_t i)
{
    const json_t *v = json_array_get(params, i);
    return (v && !json_is_null(v)) ? v : NULL;
}

static bool out_of_memory(struct rpc_error *err)
{
    return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
}

static json_t *hash_json(const uint256 *h)
{
    char hex[65];
    uint256_to_hex(hex, h);
    return json_string(hex);
}

static bool param_bool(const json_t *params, size_t i, bool def)
{
    const json_t *v = param(params, i);
    return v ? json_is_true(v) : def;
}

static bool param_int(const json_t *params, size_t i, int64_t def, int64_t *out,
                      const char *name, struct rpc_error *err)
{
    const json_t *v = param(params, i);
    if (!v) {
        *out = def;
        return true;
    }
    if (!json_is_integer(v))
        return rpc_error_set(err, RPC_TYPE_ERROR, "%s must be an integer", name);
    *out = json_integer_value(v);
    return true;
}

/* Core's LabelFromValue: "*" is reserved. */
static bool check_label(const char *label, struct rpc_error *err)
{
    if (strcmp(label, "*") == 0)
        return rpc_error_set(err, RPC_WALLET_INVALID_LABEL_NAME, "Invalid label name");
    return true;
}

/* Path of wallet name's directory, refusing names that leave the wallets directory. */
static bool wallet_dir_of(const struct wallet_rpc_ctx *c, const char *name, char *out,
                          size_t cap, struct rpc_error *err)
{
    bool bad = name[0] == '/' || strstr(name, "..") != NULL;
    for (const char *p = name; *p && !bad; p++)
        if ((unsigned char)*p < 0x20) bad = true;
    if (bad) return rpc_error_set(err, RPC_WALLET_ERROR, "Invalid wallet name");
    if (!*name) {
        if (strlen(c->wallets_dir) + 1 > cap)
            return rpc_error_set(err, RPC_WALLET_ERROR, "Wallet path too long");
        strcpy(out, c->wallets_dir);
        return true;
    }
    if (!fs_join(out, cap, c->wallets_dir, name))
        return rpc_error_set(err, RPC_WALLET_ERROR, "Wallet path too long");
    return true;
}

/* ---- the registry ---- */

/* Shared by the registry and the command threads: when destroy gives up waiting it
 * marks the state orphaned and the last thread frees it. */
struct wallet_notify_state {
    pthread_mutex_t mu;
    pthread_cond_t done;
    int running;
    bool orphaned;
};

bool wallet_rpc_ctx_init(struct wallet_rpc_ctx *c, struct node_context *node,
                         const char *wallets_dir, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->node = node;
    c->params = node->params;
    if (!fs_mkdirs(wallets_dir, err, errlen)) return false;
    c->wallets_dir = strdup(wallets_dir);
    if (!c->wallets_dir) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    c->notify = calloc(1, sizeof *c->notify);
    if (!c->notify) {
        free(c->wallets_dir);
        c->wallets_dir = NULL;
        snprintf(err, errlen, "out of memory");
        return false;
    }
    pthread_mutex_init(&c->notify->mu, NULL);
    pthread_cond_init(&c->notify->done, NULL);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->released, NULL);
    spend_options_default(&c->spend);
    return true;
}

/* ---- -walletnotify ---- */

struct notify_job {
    struct wallet_notify_state *st;
    char cmd[];
};

static void *run_walletnotify(void *arg)
{
    struct notify_job *j = arg;
    int rc = system(j->cmd);
    if (rc != 0) log_info("runCommand error: system(%s) returned %d", j->cmd, rc);
    struct wallet_notify_state *st = j->st;
    free(j);
    pthread_mutex_lock(&st->mu);
    bool last = --st->running == 0;
    bool orphaned = st->orphaned;
    pthread_cond_broadcast(&st->done);
    pthread_mutex_unlock(&st->mu);
    if (last && orphaned) {
        pthread_mutex_destroy(&st->mu);
        pthread_cond_destroy(&st->done);
        free(st);
    }
    return NULL;
}

/* Core's ShellEscape: the name in single quotes, each ' as '"'"'. Returns the length
 * written (out may be NULL to measure). */
static size_t shell_escape(char *out, const char *s)
{
    size_t n = 0;
    if (out) out[n] = '\'';
    n++;
    for (; *s; s++) {
        if (*s == '\'') {
            if (out) memcpy(out + n, "'\"'\"'", 5);
            n += 5;
        } else {
            if (out) out[n] = *s;
            n++;
        }
    }
    if (out) out[n] = '\'';
    return n + 1;
}

static void walletnotify_cb(void *ctx, const struct wallet *w, const struct wallet_tx *wtx)
{
    struct wallet_rpc_ctx *c = ctx;
    const char *tmpl = c->walletnotify;
    if (!tmpl || !c->notify) return;
    char txid[65], block[65], height[16];
    uint256_to_hex(txid, &wtx->txid);
    if (wtx->state == WALLETDB_TX_CONFIRMED && wtx->has_block) {
        uint256_to_hex(block, &wtx->block_hash);
        snprintf(height, sizeof height, "%d", (int)wtx->height);
    } else {
        snprintf(block, sizeof block, "unconfirmed");
        snprintf(height, sizeof height, "-1");
    }
    const char *name = wallet_name(w);
    size_t name_len = shell_escape(NULL, name);
    /* Measure, then fill. */
    size_t cap = 1;
    for (const char *p = tmpl; *p;) {
        if (p[0] == '%' && p[1] == 's')
            cap += 64, p += 2;
        else if (p[0] == '%' && p[1] == 'b')
            cap += strlen(block), p += 2;
        else if (p[0] == '%' && p[1] == 'h')
            cap += strlen(height), p += 2;
        else if (p[0] == '%' && p[1] == 'w')
            cap += name_len, p += 2;
        else
            cap++, p++;
    }
    struct notify_job *j = malloc(sizeof *j + cap);
    if (!j) return;
    j->st = c->notify;
    char *o = j->cmd;
    for (const char *p = tmpl; *p;) {
        const char *sub = NULL;
        if (p[0] == '%' && p[1] == 's')
            sub = txid;
        else if (p[0] == '%' && p[1] == 'b')
            sub = block;
        else if (p[0] == '%' && p[1] == 'h')
            sub = height;
        if (sub) {
            size_t k = strlen(sub);
            memcpy(o, sub, k);
            o += k;
            p += 2;
        } else if (p[0] == '%' && p[1] == 'w') {
            o += shell_escape(o, name);
            p += 2;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&c->notify->mu);
    c->notify->running++;
    pthread_mutex_unlock(&c->notify->mu);
    pthread_t t;
    if (pthread_create(&t, &attr, run_walletnotify, j) != 0) {
        free(j);
        pthread_mutex_lock(&c->notify->mu);
        c->notify->running--;
        pthread_mutex_unlock(&c->notify->mu);
    }
    pthread_attr_destroy(&attr);
}

/* Waits up to 10 s for running commands, then lets the last one free the state. */
static void notify_state_release(struct wallet_notify_state *st)
{
    if (!st) return;
    pthread_mutex_lock(&st->mu);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    while (st->running > 0)
        if (pthread_cond_timedwait(&st->done, &st->mu, &until) != 0) break;
    bool keep = st->running > 0;
    st->orphaned = keep;
    pthread_mutex_unlock(&st->mu);
    if (keep) return;
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->done);
    free(st);
}

void wallet_rpc_ctx_destroy(struct wallet_rpc_ctx *c)
{
    if (!c->wallets_dir) return;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->nloaded; i++) {
        struct wallet_rpc_entry *e = c->loaded[i];
        while (e->refs > 0) pthread_cond_wait(&c->released, &c->lock);
        wallet_free(e->w);
        free(e);
    }
    free(c->loaded);
    c->loaded = NULL;
    c->nloaded = c->cap = 0;
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->released);
    notify_state_release(c->notify);
    c->notify = NULL;
    free(c->wallets_dir);
    c->wallets_dir = NULL;
}

/* Index of wallet name in the registry (lock held), or -1. */
static long find_loaded(struct wallet_rpc_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->nloaded; i++)
        if (strcmp(wallet_name(c->loaded[i]->w), name) == 0) return (long)i;
    return -1;
}

/* Adds w to the registry (lock held). */
static bool register_wallet(struct wallet_rpc_ctx *c, struct wallet *w)
{
    if (c->nloaded == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 4;
        struct wallet_rpc_entry **n = realloc(c->loaded, nc * sizeof *n);
        if (!n) return false;
        c->loaded = n;
        c->cap = nc;
    }
    struct wallet_rpc_entry *e = calloc(1, sizeof *e);
    if (!e) return false;
    e->w = w;
    if (c->walletnotify) wallet_set_tx_notify(w, walletnotify_cb, c);
    c->loaded[c->nloaded++] = e;
    return true;
}

/* The wallet of this call, with a reference taken (release with put_wallet). */
static struct wallet_rpc_entry *get_wallet(struct wallet_rpc_ctx *c, struct rpc_error *err)
{
    const char *name = rpc_call_wallet();
    pthread_mutex_lock(&c->lock);
    struct wallet_rpc_entry *e = NULL;
    if (name) {
        long i = find_loaded(c, name);
        if (i < 0)
            rpc_error_set(err, RPC_WALLET_NOT_FOUND,
                          "Requested wallet does not exist or is not loaded");
        else
            e = c->loaded[i];
    } else if (c->nloaded == 1) {
        e = c->loaded[0];
    } else if (c->nloaded == 0) {
        rpc_error_set(err, RPC_WALLET_NOT_FOUND,
                      "No wallet is loaded. Load a wallet using loadwallet or create a new one "
                      "with createwallet. (Note: A default wallet is no longer automatically "
                      "created)");
    } else {
        rpc_error_set(err, RPC_WALLET_NOT_SPECIFIED,
                      "Multiple wallets are loaded. Please select which wallet to use by "
                      "requesting the RPC through the /wallet/<walletname> URI path.");
    }
    if (e) e->refs++;
    pthread_mutex_unlock(&c->lock);
    return e;
}

static void put_wallet(struct wallet_rpc_ctx *c, struct wallet_rpc_entry *e)
{
    pthread_mutex_lock(&c->lock);
    e->refs--;
    pthread_cond_broadcast(&c->released);
    pthread_mutex_unlock(&c->lock);
}

/* ---- accessors for spend_rpc.c ---- */

struct wallet_rpc_entry *wallet_rpc_acquire(struct wallet_rpc_ctx *c, struct rpc_error *err)
{
    return get_wallet(c, err);
}

void wallet_rpc_release(struct wallet_rpc_ctx *c, struct wallet_rpc_entry *e)
{
    put_wallet(c, e);
}

struct wallet *wallet_rpc_entry_wallet(struct wallet_rpc_entry *e) { return e->w; }

/* ---- the chain seen by a wallet ---- */

static int32_t cs_height(void *ctx) { return chainstate_height(ctx); }

static bool cs_block_at(void *ctx, int32_t height, uint256 *hash, int64_t *time)
{
    struct block_index *idx = active_chain_at(chainstate_active(ctx), height);
    if (!idx) return false;
    *hash = idx->hash;
    *time = idx->time;
    return true;
}

static bool cs_fork_height(void *ctx, const uint256 *hash, int32_t *height)
{
    struct block_index *idx = chainstate_lookup(ctx, hash);
    if (!idx) return false;
    struct block_index *f = active_chain_find_fork(chainstate_active(ctx), idx);
    if (!f) return false;
    *height = f->height;
    return true;
}

static bool cs_read_block(void *ctx, int32_t height, struct block *out, char *err,
                          size_t errlen)
{
    struct block_index *idx = active_chain_at(chainstate_active(ctx), height);
    if (!idx) {
        snprintf(err, errlen, "no block at height %d", (int)height);
        return false;
    }
    return chainstate_read_block(ctx, idx, out, err, errlen);
}

void wallet_chain_from_chainstate(struct wallet_chain *out, struct chainstate *cs)
{
    out->ctx = cs;
    out->height = cs_height;
    out->block_at = cs_block_at;
    out->fork_height = cs_fork_height;
    out->read_block = cs_read_block;
}

/* Syncs w to the tip and adds the pool's transactions (node lock held). */
static bool attach_to_chain(struct wallet_rpc_ctx *c, struct wallet *w, char *err,
                            size_t errlen)
{
    struct node_context *n = c->node;
    if (!n->chainstate) {
        snprintf(err, errlen, "Loading block index...");
        return false;
    }
    struct wallet_chain chain;
    wallet_chain_from_chainstate(&chain, n->chainstate);
    wallet_lock(w);
    bool ok = wallet_sync(w, &chain, err, errlen);
    if (ok && n->mempool) {
        uint256 *ids = NULL;
        size_t count = 0;
        if (mempool_txids(n->mempool, &ids, &count)) {
            for (size_t i = 0; i < count; i++) {
                const struct mempool_entry *e = mempool_get(n->mempool, &ids[i]);
                if (e) wallet_tx_added_to_mempool(w, &e->tx, e->time);
            }
            free(ids);
        }
        /* Sending: unconfirmed transactions of ours go back into the mempool. */
        spend_resubmit(w, n, &c->spend);
    }
    wallet_unlock(w);
    return ok;
}

bool wallet_rpc_load(struct wallet_rpc_ctx *c, const char *name, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    struct rpc_error re = {0};
    if (!wallet_dir_of(c, name, dir, sizeof dir, &re)) {
        snprintf(err, errlen, "%s", re.message ? re.message : "bad wallet name");
        rpc_error_clear(&re);
        return false;
    }
    struct wallet *w;
    if (!wallet_load(&w, dir, name, c->params, err, errlen)) return false;
    pthread_mutex_lock(&c->node->lock);
    bool ok = attach_to_chain(c, w, err, errlen);
    pthread_mutex_lock(&c->lock);
    if (ok && find_loaded(c, name) >= 0) {
        snprintf(err, errlen, "Wallet \"%s\" is already loaded.", name);
        ok = false;
    }
    if (ok && !register_wallet(c, w)) {
        snprintf(err, errlen, "out of memory");
        ok = false;
    }
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_unlock(&c->node->lock);
    if (!ok) wallet_free(w);
    return ok;
}

/* ---- notifications ---- */

void wallet_rpc_block_connected(void *vc, const struct block *block,
                                const struct block_index *idx)
{
    struct wallet_rpc_ctx *c = vc;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->nloaded; i++) {
        struct wallet *w = c->loaded[i]->w;
        wallet_lock(w);
        wallet_block_connected(w, block, idx->height);
        wallet_check_relock(w);
        wallet_unlock(w);
    }
    pthread_mutex_unlock(&c->lock);
}

void wallet_rpc_block_disconnected(void *vc, const struct block *block,
                                   const struct block_index *idx)
{
    struct wallet_rpc_ctx *c = vc;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->nloaded; i++) {
        struct wallet *w = c->loaded[i]->w;
        wallet_lock(w);
        wallet_block_disconnected(w, block, idx->height);
        wallet_unlock(w);
    }
    pthread_mutex_unlock(&c->lock);
}

/* Sending: after the tip moves, wallet transactions that are neither confirmed nor in
 * the mempool are offered to it again (after a restart their inputs may only now be
 * back, from peers). Node lock held; the registry lock is not held while the mempool
 * accepts (its hook takes it). */
void wallet_rpc_tip_updated(void *vc, const struct block_index *tip)
{
    (void)tip;
    struct wallet_rpc_ctx *c = vc;
    if (!c->spend.broadcast || !c->node->mempool || node_is_initial_block_download(c->node))
        return;
    pthread_mutex_lock(&c->lock);
    size_t n = c->nloaded;
    struct wallet_rpc_entry **v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = c->loaded[i];
        v[i]->refs++;
    }
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; i < n; i++) {
        wallet_lock(v[i]->w);
        spend_resubmit(v[i]->w, c->node, &c->spend);
        wallet_unlock(v[i]->w);
        put_wallet(c, v[i]);
    }
    free(v);
}

struct chainstate_callbacks wallet_rpc_chain_callbacks(struct wallet_rpc_ctx *c)
{
    struct chainstate_callbacks cb = {wallet_rpc_block_connected, wallet_rpc_block_disconnected,
                                      wallet_rpc_tip_updated, c};
    return cb;
}

void wallet_rpc_mempool_added(void *vc, const struct mempool_entry *e, bool valid_fee_estimate)
{
    (void)valid_fee_estimate;
    struct wallet_rpc_ctx *c = vc;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->nloaded; i++) {
        struct wallet *w = c->loaded[i]->w;
        wallet_lock(w);
        wallet_tx_added_to_mempool(w, &e->tx, e->time);
        wallet_unlock(w);
    }
    pthread_mutex_unlock(&c->lock);
}

void wallet_rpc_mempool_removed(void *vc, const struct mempool_entry *e,
                                enum mempool_removal_reason why)
{
    (void)why;
    struct wallet_rpc_ctx *c = vc;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->nloaded; i++) {
        struct wallet *w = c->loaded[i]->w;
        wallet_lock(w);
        wallet_tx_removed_from_mempool(w, &e->txid);
        wallet_unlock(w);
    }
    pthread_mutex_unlock(&c->lock);
}

/* ---- wallet management ---- */

static json_t *name_result(const char *name, json_t *warnings)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    if (warnings && json_array_size(warnings)) json_object_set(o, "warnings", warnings);
    json_decref(warnings);
    return o;
}

static bool rpc_createwallet(void *ctx, const json_t *params, json_t **result,
                             struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    const char *name = json_string_value(param(params, 0));
    bool disable_priv = param_bool(params, 1, false);
    bool blank = param_bool(params, 2, false);
    const json_t *pass_v = param(params, 3);
    const char *pass = pass_v ? json_string_value(pass_v) : NULL;
    bool avoid_reuse = param_bool(params, 4, false);
    const json_t *desc_v = param(params, 5);
    bool external_signer = param_bool(params, 7, false);
    const json_t *mn_v = param(params, 8);
    const json_t *mnpw_v = param(params, 9);
    if (pass_v && !json_is_string(pass_v))
        return rpc_error_set(err, RPC_TYPE_ERROR, "passphrase must be a string");
    if ((mn_v && !json_is_string(mn_v)) || (mnpw_v && !json_is_string(mnpw_v)))
        return rpc_error_set(err, RPC_TYPE_ERROR,
                             "mnemonic and mnemonic_passphrase must be "
                             "strings");
    if (desc_v && !json_is_true(desc_v))
        return rpc_error_set(err, RPC_WALLET_ERROR,
                             "descriptors argument must be set to \"true\"; it is no longer "
                             "possible to create a legacy wallet.");
    if (external_signer)
        return rpc_error_set(err, RPC_WALLET_ERROR,
                             "Compiled without external signing support (required for external "
                             "signing)");
    json_t *warnings = json_array();
    if (pass && !*pass) {
        json_array_append_new(warnings, json_string("Empty string given as passphrase, wallet "
                                                    "will not be encrypted."));
        pass = NULL;
    }
    if (pass && disable_priv) {
        json_decref(warnings);
        return rpc_error_set(err, RPC_WALLET_ERROR,
                             "Passphrase provided but private keys are disabled. A passphrase "
                             "is only used to encrypt private keys, so cannot be used for "
                             "wallets with private keys disabled.");
    }
    const char *mnemonic = mn_v ? json_string_value(mn_v) : NULL;
    if (mnemonic && (blank || disable_priv)) {
        json_decref(warnings);
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "mnemonic cannot be used with blank=true or "
                             "disable_private_keys=true");
    }
    char msg[256];
    if (mnemonic && bip39_check(mnemonic, msg, sizeof msg) != BIP39_OK) {
        json_decref(warnings);
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "Invalid mnemonic: %s", msg);
    }
    char dir[PATH_MAX];
    if (!wallet_dir_of(c, name, dir, sizeof dir, err)) {
        json_decref(warnings);
        return false;
    }
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", dir, WALLET_FILE_NAME);
    pthread_mutex_lock(&c->lock);
    bool loaded = find_loaded(c, name) >= 0;
    pthread_mutex_unlock(&c->lock);
    if (loaded || fs_exists(path)) {
        json_decref(warnings);
        return rpc_error_set(err, RPC_WALLET_ALREADY_EXISTS,
                             "Wallet file verification failed. Failed to create database path "
                             "'%s'. Database already exists.",
                             dir);
    }
    pthread_mutex_lock(&c->node->lock);
    if (!c->node->chainstate) {
        pthread_mutex_unlock(&c->node->lock);
        json_decref(warnings);
        return rpc_error_set(err, RPC_IN_WARMUP, "Loading block index...");
    }
    struct wallet_create_options opt = {.blank = blank,
                                        .disable_private_keys = disable_priv,
                                        .avoid_reuse = avoid_reuse,
                                        .restored = mnemonic != NULL,
                                        .scrypt = c->scrypt};
    struct wallet *w;
    char e[512];
    bool created = wallet_create(&w, dir, name, c->params, mnemonic,
                                 mnpw_v ? json_string_value(mnpw_v) : NULL, &opt, e, sizeof e);
    bool ok = created;
    if (ok && pass) {
        wallet_lock(w);
        ok = wallet_encrypt(w, pass, e, sizeof e) == WALLET_CRYPT_OK;
        wallet_unlock(w);
    }
    ok = ok && attach_to_chain(c, w, e, sizeof e);
    if (ok) {
        pthread_mutex_lock(&c->lock);
        ok = register_wallet(c, w);
        pthread_mutex_unlock(&c->lock);
        if (!ok) snprintf(e, sizeof e, "out of memory");
    }
    pthread_mutex_unlock(&c->node->lock);
    if (!ok) {
        if (created) {
            /* Half made (perhaps with plain secrets, when encryption failed): remove it. */
            wallet_free(w);
            char f[PATH_MAX + 32];
            unlink(path);
            snprintf(f, sizeof f, "%s-wal", path);
            unlink(f);
            snprintf(f, sizeof f, "%s-journal", path);
            unlink(f);
        }
        json_decref(warnings);
        return rpc_error_set(err, RPC_WALLET_ERROR, "Wallet creation failed: %s", e);
    }
    log_info("Wallet %s created", name);
    *result = name_result(name, warnings);
    return true;
}

static bool rpc_loadwallet(void *ctx, const json_t *params, json_t **result,
                           struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    const char *name = json_string_value(param(params, 0));
    char dir[PATH_MAX];
    if (!wallet_dir_of(c, name, dir, sizeof dir, err)) return false;
    pthread_mutex_lock(&c->lock);
    bool loaded = find_loaded(c, name) >= 0;
    pthread_mutex_unlock(&c->lock);
    if (loaded)
        return rpc_error_set(err, RPC_WALLET_ALREADY_LOADED, "Wallet \"%s\" is already loaded.",
                             name);
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", dir, WALLET_FILE_NAME);
    if (!fs_exists(path))
        return rpc_error_set(err, RPC_WALLET_NOT_FOUND,
                             "Wallet file verification failed. Failed to load database path "
                             "'%s'. Path does not exist.",
                             dir);
    char e[512];
    if (!wallet_rpc_load(c, name, e, sizeof e)) {
        if (strstr(e, "already loaded"))
            return rpc_error_set(err, RPC_WALLET_ALREADY_LOADED, "%s", e);
        return rpc_error_set(err, RPC_WALLET_ERROR, "Wallet loading failed. %s", e);
    }
    log_info("Wallet %s loaded", name);
    *result = name_result(name, NULL);
    return true;
}

static bool rpc_unloadwallet(void *ctx, const json_t *params, json_t **result,
                             struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    const char *endpoint = rpc_call_wallet();
    const json_t *v = param(params, 0);
    const char *name = v ? json_string_value(v) : endpoint;
    if (v && endpoint && strcmp(endpoint, name) != 0)
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "RPC endpoint wallet and wallet_name parameter specify different "
                             "wallets");
    if (!name) {
        /* The only loaded wallet, as other calls choose it. */
        struct wallet_rpc_entry *e = get_wallet(c, err);
        if (!e) return false;
        pthread_mutex_lock(&c->lock);
        e->refs--;
        name = wallet_name(e->w);
        pthread_mutex_unlock(&c->lock);
    }
    pthread_mutex_lock(&c->lock);
    long i = find_loaded(c, name);
    if (i < 0) {
        pthread_mutex_unlock(&c->lock);
        return rpc_error_set(err, RPC_WALLET_NOT_FOUND,
                             "Requested wallet does not exist or is not loaded");
    }
    struct wallet_rpc_entry *e = c->loaded[i];
    memmove(&c->loaded[i], &c->loaded[i + 1], (c->nloaded - (size_t)i - 1) * sizeof *c->loaded);
    c->nloaded--;
    while (e->refs > 0) pthread_cond_wait(&c->released, &c->lock);
    pthread_mutex_unlock(&c->lock);
    log_info("Wallet %s unloaded", wallet_name(e->w));
    wallet_free(e->w);
    free(e);
    *result = json_object();
    return true;
}

static bool rpc_listwallets(void *ctx, const json_t *params, json_t **result,
                            struct rpc_error *err)
{
    (void)params;
    (void)err;
    struct wallet_rpc_ctx *c = ctx;
    json_t *a = json_array();
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->nloaded; i++)
        json_array_append_new(a, json_string(wallet_name(c->loaded[i]->w)));
    pthread_mutex_unlock(&c->lock);
    *result = a;
    return true;
}

/* Adds every wallet under dir (relative name prefix) to a, depth-limited. */
static void scan_wallet_dir(json_t *a, const char *dir, const char *prefix, int depth)
{
    if (depth > 4) return;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        if (ent->d_name[0] == '.') continue;
        char sub[PATH_MAX], name[PATH_MAX], file[PATH_MAX + 16];
        if (!fs_join(sub, sizeof sub, dir, ent->d_name) || !fs_is_dir(sub)) continue;
        snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "/" : "", ent->d_name);
        snprintf(file, sizeof file, "%s/%s", sub, WALLET_FILE_NAME);
        if (fs_exists(file)) {
            json_t *o = json_object();
            json_object_set_new(o, "name", json_string(name));
            json_array_append_new(a, o);
        }
        scan_wallet_dir(a, sub, name, depth + 1);
    }
    closedir(d);
}

static bool rpc_listwalletdir(void *ctx, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    (void)params;
    (void)err;
    struct wallet_rpc_ctx *c = ctx;
    json_t *a = json_array();
    char root[PATH_MAX + 16];
    snprintf(root, sizeof root, "%s/%s", c->wallets_dir, WALLET_FILE_NAME);
    if (fs_exists(root)) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(""));
        json_array_append_new(a, o);
    }
    scan_wallet_dir(a, c->wallets_dir, "", 0);
    *result = json_object();
    json_object_set_new(*result, "wallets", a);
    return true;
}

/* ---- per-wallet calls ---- */

/* Runs body with the call's wallet locked. */
#define WITH_WALLET(c, err, w, body)                                                           \
    do {                                                                                       \
        struct wallet_rpc_entry *e_ = get_wallet((c), (err));                                  \
        if (!e_) return false;                                                                 \
        struct wallet *w = e_->w;                                                              \
        wallet_lock(w);                                                                        \
        bool ok_ = (body);                                                                     \
        wallet_unlock(w);                                                                      \
        put_wallet((c), e_);                                                                   \
        return ok_;                                                                            \
    } while (0)

static json_t *last_block_json(struct wallet *w)
{
    json_t *o = json_object();
    json_object_set_new(o, "hash", hash_json(wallet_tip_hash(w)));
    json_object_set_new(o, "height", json_integer(wallet_tip_height(w)));
    return o;
}

static bool do_getwalletinfo(struct wallet *w, const struct spend_options *so, json_t **result)
{
    size_t ext, in;
    wallet_keypool_sizes(w, &ext, &in);
    json_t *o = json_object();
    json_object_set_new(o, "walletname", json_string(wallet_name(w)));
    json_object_set_new(o, "walletversion", json_integer(WALLET_VERSION));
    json_object_set_new(o, "format", json_string("sqlite"));
    json_object_set_new(o, "txcount", json_integer((json_int_t)wallet_tx_count(w)));
    json_object_set_new(o, "keypoolsize", json_integer((json_int_t)ext));
    json_object_set_new(o, "keypoolsize_hd_internal", json_integer((json_int_t)in));
    if (wallet_is_encrypted(w))
        json_object_set_new(o, "unlocked_until", json_integer(wallet_unlocked_until(w)));
    json_object_set_new(
        o, "paytxfee",
        amount_to_json(wallet_pay_tx_fee(w) >= 0 ? wallet_pay_tx_fee(w) : so->pay_tx_fee));
    json_object_set_new(o, "private_keys_enabled", json_boolean(wallet_has_private_keys(w)));
    json_object_set_new(o, "avoid_reuse",
                        json_boolean((wallet_flags(w) & WALLET_FLAG_AVOID_REUSE) != 0));
    json_object_set_new(o, "scanning", json_false());
    json_object_set_new(o, "descriptors", json_true());
    json_object_set_new(o, "external_signer", json_false());
    json_object_set_new(o, "blank", json_boolean(wallet_is_blank(w)));
    json_object_set_new(o, "birthtime", json_integer(wallet_birth_time(w)));
    json_object_set_new(o, "lastprocessedblock", last_block_json(w));
    *result = o;
    return true;
}

static bool rpc_getwalletinfo(void *ctx, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    (void)params;
    WITH_WALLET(ctx, err, w,
                do_getwalletinfo(w, &((struct wallet_rpc_ctx *)ctx)->spend, result));
}

/* Core's ParseOutputType for address_type arguments. */
static bool parse_type(const json_t *v, enum wallet_addr_type *t, struct rpc_error *err)
{
    if (!v) {
        *t = WALLET_ADDR_BECH32;
        return true;
    }
    const char *s = json_string_value(v);
    if (wallet_addr_type_parse(s, t)) return true;
    if (strcmp(s, "p2sh-segwit") == 0)
        return rpc_error_set(err, RPC_WALLET_KEYPOOL_RAN_OUT,
                             "Error: No p2sh-segwit addresses available.");
    return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Unknown address type '%s'", s);
}

static bool do_new_address(struct wallet *w, const json_t *params, bool change, json_t **result,
                           struct rpc_error *err)
{
    const char *label = NULL;
    enum wallet_addr_type t;
    if (!change) {
        const json_t *lv = param(params, 0);
        label = lv ? json_string_value(lv) : "";
        if (!check_label(label, err)) return false;
    }
    if (!parse_type(param(params, change ? 0 : 1), &t, err)) return false;
    if (!wallet_has_private_keys(w) || wallet_is_blank(w))
        return rpc_error_set(err, RPC_WALLET_ERROR, "Error: This wallet has no available keys");
    char addr[ADDRESS_MAX_LEN + 1], e[256];
    if (!wallet_get_new_address(w, t, change, label, addr, e, sizeof e))
        return rpc_error_set(err, RPC_WALLET_KEYPOOL_RAN_OUT, "%s", e);
    *result = json_string(addr);
    return true;
}

static bool rpc_getnewaddress(void *ctx, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_new_address(w, params, false, result, err));
}

static bool rpc_getrawchangeaddress(void *ctx, const json_t *params, json_t **result,
                                    struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_new_address(w, params, true, result, err));
}

static bool decode_address(struct wallet *w, const char *s, uint8_t *spk, size_t *len,
                           struct rpc_error *err)
{
    enum address_error e = address_decode(spk, len, NULL, &wallet_params(w)->addr, s);
    if (e != ADDRESS_OK)
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Invalid address: %s",
                             address_error_string(e));
    return true;
}

static void format_keypath(char *out, size_t cap, const uint32_t *path, size_t n)
{
    if (!bip32_format_path(out, cap, path, n, 'h')) snprintf(out, cap, "m");
}

/* The public descriptor a script came from (parent_desc): the wallet lists them. */
static json_t *parent_descs(struct wallet *w, const struct wallet_script_info *info)
{
    json_t *a = json_array();
    struct wallet_descriptor_info *d = NULL;
    size_t n = 0;
    bool locked;
    char e[64];
    if (!wallet_list_descriptors(w, false, &d, &n, &locked, e, sizeof e)) return a;
    const char *fn = info->type == WALLET_ADDR_LEGACY   ? "pkh("
                     : info->type == WALLET_ADDR_BECH32 ? "wpkh("
                                                        : "tr(";
    char tail[8];
    snprintf(tail, sizeof tail, "/%d/*)", info->internal ? 1 : 0);
    for (size_t i = 0; i < n; i++)
        if (strncmp(d[i].desc, fn, strlen(fn)) == 0 && strstr(d[i].desc, tail))
            json_array_append_new(a, json_string(d[i].desc));
    wallet_descriptor_infos_free(d, n);
    return a;
}

static bool do_getaddressinfo(struct wallet *w, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    const char *addr = json_string_value(param(params, 0));
    uint8_t spk[ADDRESS_MAX_SCRIPT_LEN];
    size_t len;
    if (!decode_address(w, addr, spk, &len, err)) return false;
    struct wallet_script_info info;
    bool mine = wallet_script_info(w, spk, len, &info);
    char *label = NULL, *purpose = NULL, e[256];
    if (!wallet_get_label(w, addr, &label, &purpose, e, sizeof e))
        return rpc_error_set(err, RPC_WALLET_ERROR, "%s", e);
    char canon[ADDRESS_MAX_LEN + 1];
    if (address_encode(canon, &wallet_params(w)->addr, spk, len) != ADDRESS_OK)
        snprintf(canon, sizeof canon, "%s", addr);
    json_t *o = json_object();
    char hex[2 * ADDRESS_MAX_SCRIPT_LEN + 1];
    hex_encode(hex, spk, len);
    json_object_set_new(o, "address", json_string(canon));
    json_object_set_new(o, "scriptPubKey", json_string(hex));
    json_object_set_new(o, "ismine", json_boolean(mine));
    json_object_set_new(o, "solvable", json_boolean(mine));
    if (mine && info.imported) {
        json_object_set_new(o, "parent_desc", json_string(info.desc));
    } else if (mine) {
        json_object_set_new(o, "desc", json_string(info.desc));
        json_t *pd = parent_descs(w, &info);
        if (json_array_size(pd))
            json_object_set_new(o, "parent_desc",
                                json_string(json_string_value(json_array_get(pd, 0))));
        json_decref(pd);
    }
    json_object_set_new(o, "iswatchonly", json_false());
    enum address_type at = address_script_type(spk, len);
    json_object_set_new(o, "isscript", json_boolean(at == ADDRESS_P2SH || at == ADDRESS_P2WSH));
    bool witness = at == ADDRESS_P2WPKH || at == ADDRESS_P2WSH || at == ADDRESS_P2TR ||
                   at == ADDRESS_WITNESS_UNKNOWN;
    json_object_set_new(o, "iswitness", json_boolean(witness));
    if (witness) {
        int version = spk[0] == 0 ? 0 : spk[0] - 0x50;
        json_object_set_new(o, "witness_version", json_integer(version));
        hex_encode(hex, spk + 2, len - 2);
        json_object_set_new(o, "witness_program", json_string(hex));
    }
    if (mine && !info.imported && info.type != WALLET_ADDR_BECH32M) {
        hex_encode(hex, info.pubkey, 33);
        json_object_set_new(o, "pubkey", json_string(hex));
        json_object_set_new(o, "iscompressed", json_true());
    }
    json_object_set_new(o, "ischange",
                        json_boolean(mine && (info.imported ? info.internal : !label)));
    if (mine && info.imported) {
        json_object_set_new(o, "timestamp", json_integer(info.created));
    } else if (mine) {
        char path[128], fp[9];
        format_keypath(path, sizeof path, info.path, 5);
        hex_encode(fp, info.master_fp, 4);
        json_object_set_new(o, "timestamp", json_integer(info.created));
        json_object_set_new(o, "hdkeypath", json_string(path));
        json_object_set_new(o, "hdmasterfingerprint", json_string(fp));
    }
    json_t *labels = json_array();
    if (label) json_array_append_new(labels, json_string(label));
    json_object_set_new(o, "labels", labels);
    free(label);
    free(purpose);
    *result = o;
    return true;
}

static bool rpc_getaddressinfo(void *ctx, const json_t *params, json_t **result,
                               struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_getaddressinfo(w, params, result, err));
}

static bool do_setlabel(struct wallet *w, const json_t *params, json_t **result,
                        struct rpc_error *err)
{
    const char *addr = json_string_value(param(params, 0));
    const char *label = json_string_value(param(params, 1));
    uint8_t spk[ADDRESS_MAX_SCRIPT_LEN];
    size_t len;
    if (address_decode(spk, &len, NULL, &wallet_params(w)->addr, addr) != ADDRESS_OK)
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Invalid IoP address");
    if (!check_label(label, err)) return false;
    char canon[ADDRESS_MAX_LEN + 1], e[256];
    if (address_encode(canon, &wallet_params(w)->addr, spk, len) != ADDRESS_OK)
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Invalid IoP address");
    if (!wallet_set_label(w, canon, label, e, sizeof e))
        return rpc_error_set(err, RPC_WALLET_ERROR, "%s", e);
    *result = json_null();
    return true;
}

static bool rpc_setlabel(void *ctx, const json_t *params, json_t **result,
                         struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_setlabel(w, params, result, err));
}

struct book_query {
    const char *purpose; /* listlabels filter, NULL all */
    const char *label;   /* getaddressesbylabel */
    json_t *out;
};

static bool labels_cb(void *arg, const char *address, const char *label, const char *purpose)
{
    (void)address;
    struct book_query *q = arg;
    if (q->purpose && strcmp(q->purpose, purpose) != 0) return true;
    for (size_t i = 0; i < json_array_size(q->out); i++)
        if (strcmp(json_string_value(json_array_get(q->out, i)), label) == 0) return true;
    json_array_append_new(q->out, json_string(label));
    return true;
}

static int cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a),
                  json_string_value(*(json_t *const *)b));
}

static bool do_listlabels(struct wallet *w, const json_t *params, json_t **result,
                          struct rpc_error *err)
{
    const json_t *pv = param(params, 0);
    const char *purpose = pv ? json_string_value(pv) : NULL;
    struct book_query q = {purpose && *purpose ? purpose : NULL, NULL, json_array()};
    char e[256];
    if (!wallet_list_address_book(w, labels_cb, &q, e, sizeof e)) {
        json_decref(q.out);
        return rpc_error_set(err, RPC_WALLET_ERROR, "%s", e);
    }
    size_t n = json_array_size(q.out);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        json_decref(q.out);
        return out_of_memory(err);
    }
    for (size_t i = 0; i < n; i++) v[i] = json_incref(json_array_get(q.out, i));
    qsort(v, n, sizeof *v, cmp_json_str);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, v[i]);
    free(v);
    json_decref(q.out);
    *result = a;
    return true;
}

static bool rpc_listlabels(void *ctx, const json_t *params, json_t **result,
                           struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_listlabels(w, params, result, err));
}

static bool bylabel_cb(void *arg, const char *address, const char *label, const char *purpose)
{
    struct book_query *q = arg;
    if (strcmp(label, q->label) != 0) return true;
    json_t *o = json_object();
    json_object_set_new(o, "purpose", json_string(purpose));
    json_object_set_new(q->out, address, o);
    return true;
}

static bool do_getaddressesbylabel(struct wallet *w, const json_t *params, json_t **result,
                                   struct rpc_error *err)
{
    const char *label = json_string_value(param(params, 0));
    if (!check_label(label, err)) return false;
    struct book_query q = {NULL, label, json_object()};
    char e[256];
    if (!wallet_list_address_book(w, bylabel_cb, &q, e, sizeof e)) {
        json_decref(q.out);
        return rpc_error_set(err, RPC_WALLET_ERROR, "%s", e);
    }
    if (json_object_size(q.out) == 0) {
        json_decref(q.out);
        return rpc_error_set(err, RPC_WALLET_INVALID_LABEL_NAME, "No addresses with label %s",
                             label);
    }
    *result = q.out;
    return true;
}

static bool rpc_getaddressesbylabel(void *ctx, const json_t *params, json_t **result,
                                    struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_getaddressesbylabel(w, params, result, err));
}

/* ---- balances and coins ---- */

/* Core's GetAvoidReuseFlag. */
static bool avoid_reuse_flag(struct wallet *w, const json_t *v, bool *out,
                             struct rpc_error *err)
{
    bool can = (wallet_flags(w) & WALLET_FLAG_AVOID_REUSE) != 0;
    *out = v ? json_is_true(v) : can;
    if (*out && !can)
        return rpc_error_set(err, RPC_WALLET_ERROR,
                             "wallet does not have the \"avoid reuse\" feature enabled");
    return true;
}

static bool do_getbalance(struct wallet *w, const json_t *params, json_t **result,
                          struct rpc_error *err)
{
    const json_t *dummy = param(params, 0);
    if (dummy && (!json_is_string(dummy) || strcmp(json_string_value(dummy), "*") != 0))
        return rpc_error_set(err, RPC_METHOD_DEPRECATED,
                             "dummy first argument must be excluded or set to \"*\".");
    int64_t minconf;
    if (!param_int(params, 1, 0, &minconf, "minconf", err)) return false;
    bool avoid;
    if (!avoid_reuse_flag(w, param(params, 3), &avoid, err)) return false;
    struct wallet_balances b;
    wallet_get_balances(w, (int)(minconf > INT32_MAX ? INT32_MAX : minconf), avoid, &b);
    *result = amount_to_json(b.trusted);
    return true;
}

static bool rpc_getbalance(void *ctx, const json_t *params, json_t **result,
                           struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_getbalance(w, params, result, err));
}

static bool do_getbalances(struct wallet *w, json_t **result)
{
    struct wallet_balances b;
    wallet_get_balances(w, 0, false, &b);
    json_t *mine = json_object();
    json_object_set_new(mine, "trusted", amount_to_json(b.trusted));
    json_object_set_new(mine, "untrusted_pending", amount_to_json(b.untrusted_pending));
    json_object_set_new(mine, "immature", amount_to_json(b.immature));
    if (wallet_flags(w) & WALLET_FLAG_AVOID_REUSE) {
        struct wallet_balances clean;
        wallet_get_balances(w, 0, true, &clean);
        json_object_set_new(mine, "used",
                            amount_to_json(b.trusted + b.untrusted_pending - clean.trusted -
                                           clean.untrusted_pending));
    }
    json_t *o = json_object();
    json_object_set_new(o, "mine", mine);
    json_object_set_new(o, "lastprocessedblock", last_block_json(w));
    *result = o;
    return true;
}

static bool rpc_getbalances(void *ctx, const json_t *params, json_t **result,
                            struct rpc_error *err)
{
    (void)params;
    WITH_WALLET(ctx, err, w, do_getbalances(w, result));
}

struct unspent_filter {
    int64_t minconf, maxconf;
    uint8_t (*scripts)[ADDRESS_MAX_SCRIPT_LEN];
    size_t *script_lens;
    size_t nscripts;
    bool include_unsafe;
    bool include_immature;
    int64_t min_amount, max_amount, min_sum;
    int64_t max_count; /* 0: no limit */
};

static bool parse_unspent_filter(struct wallet *w, const json_t *params,
                                 struct unspent_filter *f, struct rpc_error *err)
{
    memset(f, 0, sizeof *f);
    if (!param_int(params, 0, 1, &f->minconf, "minconf", err) ||
        !param_int(params, 1, 9999999, &f->maxconf, "maxconf", err))
        return false;
    const json_t *addrs = param(params, 2);
    if (addrs) {
        if (!json_is_array(addrs))
            return rpc_error_set(err, RPC_TYPE_ERROR, "addresses must be an array");
        size_t n = json_array_size(addrs);
        f->scripts = calloc(n ? n : 1, sizeof *f->scripts);
        f->script_lens = calloc(n ? n : 1, sizeof *f->script_lens);
        if (!f->scripts || !f->script_lens) return out_of_memory(err);
        for (size_t i = 0; i < n; i++) {
            const char *s = json_string_value(json_array_get(addrs, i));
            if (!s || address_decode(f->scripts[i], &f->script_lens[i], NULL,
                                     &wallet_params(w)->addr, s) != ADDRESS_OK)
                return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Invalid IoP address: %s",
                                     s ? s : "");
            for (size_t j = 0; j < i; j++)
                if (f->script_lens[j] == f->script_lens[i] &&
                    memcmp(f->scripts[j], f->scripts[i], f->script_lens[i]) == 0)
                    return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                         "Invalid parameter, duplicated address: %s", s);
            f->nscripts++;
        }
    }
    f->include_unsafe = param_bool(params, 3, true);
    f->max_amount = MAX_MONEY;
    const json_t *q = param(params, 4);
    if (q) {
        if (!json_is_object(q))
            return rpc_error_set(err, RPC_TYPE_ERROR, "query_options must be an object");
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)q, key, v)
        {
            if (strcmp(key, "minimumAmount") == 0) {
                if (!amount_from_json(v, &f->min_amount, err)) return false;
            } else if (strcmp(key, "maximumAmount") == 0) {
                if (!amount_from_json(v, &f->max_amount, err)) return false;
            } else if (strcmp(key, "minimumSumAmount") == 0) {
                if (!amount_from_json(v, &f->min_sum, err)) return false;
            } else if (strcmp(key, "maximumCount") == 0) {
                if (!json_is_integer(v))
                    return rpc_error_set(err, RPC_TYPE_ERROR, "maximumCount must be a number");
                f->max_count = json_integer_value(v);
            } else if (strcmp(key, "include_immature_coinbase") == 0) {
                if (!json_is_boolean(v))
                    return rpc_error_set(err, RPC_TYPE_ERROR,
                                         "include_immature_coinbase must be a boolean");
                f->include_immature = json_is_true(v);
            } else {
                return rpc_error_set(err, RPC_INVALID_PARAMETER, "Unexpected key %s", key);
            }
        }
    }
    return true;
}

static void unspent_filter_clear(struct unspent_filter *f)
{
    free(f->scripts);
    free(f->script_lens);
}

static bool do_listunspent(struct wallet *w, const json_t *params, json_t **result,
                           struct rpc_error *err)
{
    struct unspent_filter f;
    if (!parse_unspent_filter(w, params, &f, err)) {
        unspent_filter_clear(&f);
        return false;
    }
    struct wallet_coin *coins;
    size_t n;
    if (!wallet_list_coins(w, f.include_immature, &coins, &n)) {
        unspent_filter_clear(&f);
        return out_of_memory(err);
    }
    json_t *a = json_array();
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        const struct wallet_coin *co = &coins[i];
        const struct tx_out *o = &co->wtx->tx.vout[co->vout];
        if (co->depth < f.minconf || co->depth > f.maxconf) continue;
        if (wallet_is_locked_coin(w, &co->wtx->txid, co->vout)) continue; /* lockunspent */
        if (!co->safe && !f.include_unsafe) continue;
        if (co->value < f.min_amount || co->value > f.max_amount) continue;
        if (f.nscripts) {
            bool match = false;
            for (size_t j = 0; j < f.nscripts && !match; j++)
                match = f.script_lens[j] == o->script_pubkey_len &&
                        memcmp(f.scripts[j], o->script_pubkey, o->script_pubkey_len) == 0;
            if (!match) continue;
        }
        json_t *e = json_object();
        json_object_set_new(e, "txid", hash_json(&co->wtx->txid));
        json_object_set_new(e, "vout", json_integer(co->vout));
        char addr[ADDRESS_MAX_LEN + 1];
        if (address_encode(addr, &wallet_params(w)->addr, o->script_pubkey,
                           o->script_pubkey_len) == ADDRESS_OK) {
            json_object_set_new(e, "address", json_string(addr));
            char *label = NULL, *purpose = NULL, es[64];
            if (wallet_get_label(w, addr, &label, &purpose, es, sizeof es) && label)
                json_object_set_new(e, "label", json_string(label));
            free(label);
            free(purpose);
        }
        char *hex = malloc(2 * o->script_pubkey_len + 1);
        if (hex) {
            hex_encode(hex, o->script_pubkey, o->script_pubkey_len);
            json_object_set_new(e, "scriptPubKey", json_string(hex));
            free(hex);
        }
        json_object_set_new(e, "amount", amount_to_json(co->value));
        json_object_set_new(e, "confirmations", json_integer(co->depth));
        struct wallet_script_info info;
        bool have = wallet_script_info(w, o->script_pubkey, o->script_pubkey_len, &info);
        /* Coins of imported descriptors: only when the wallet signs for them. */
        json_object_set_new(e, "spendable",
                            json_boolean(have && (info.imported ? info.signable
                                                                : wallet_has_private_keys(w))));
        json_object_set_new(e, "solvable", json_boolean(have));
        if (have && info.imported) {
            json_t *pd = json_array();
            json_array_append_new(pd, json_string(info.desc));
            json_object_set_new(e, "parent_descs", pd);
        } else if (have) {
            json_object_set_new(e, "desc", json_string(info.desc));
            json_object_set_new(e, "parent_descs", parent_descs(w, &info));
        }
        if (wallet_flags(w) & WALLET_FLAG_AVOID_REUSE)
            json_object_set_new(e, "reused", json_boolean(co->reused));
        json_object_set_new(e, "safe", json_boolean(co->safe));
        json_array_append_new(a, e);
        sum += co->value;
        if (f.max_count && (int64_t)json_array_size(a) >= f.max_count) break;
        if (f.min_sum && sum >= f.min_sum) break;
    }
    free(coins);
    unspent_filter_clear(&f);
    *result = a;
    return true;
}

static bool rpc_listunspent(void *ctx, const json_t *params, json_t **result,
                            struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_listunspent(w, params, result, err));
}

/* ---- transactions ---- */

/* Other wallet transactions spending an input of wtx. */
static json_t *wallet_conflicts(struct wallet *w, const struct wallet_tx *wtx)
{
    json_t *a = json_array();
    if (wtx->coinbase) return a;
    size_t n = wallet_tx_count(w);
    for (size_t i = 0; i < n; i++) {
        const struct wallet_tx *o = wallet_tx_at(w, i);
        if (o == wtx || o->coinbase) continue;
        bool hit = false;
        for (size_t a1 = 0; a1 < o->tx.vin_count && !hit; a1++)
            for (size_t b1 = 0; b1 < wtx->tx.vin_count && !hit; b1++)
                hit = o->tx.vin[a1].prevout.n == wtx->tx.vin[b1].prevout.n &&
                      uint256_cmp(&o->tx.vin[a1].prevout.hash, &wtx->tx.vin[b1].prevout.hash) ==
                          0;
        if (hit) json_array_append_new(a, hash_json(&o->txid));
    }
    return a;
}

/* Core's WalletTxToJSON. */
static void wallet_tx_fields(struct wallet *w, const struct wallet_tx *wtx, json_t *o)
{
    int depth = wallet_tx_depth(w, wtx);
    json_object_set_new(o, "confirmations", json_integer(depth));
    if (wtx->coinbase) json_object_set_new(o, "generated", json_true());
    if (wtx->state == WALLETDB_TX_CONFIRMED && wtx->has_block) {
        json_object_set_new(o, "blockhash", hash_json(&wtx->block_hash));
        json_object_set_new(o, "blockheight", json_integer(wtx->height));
        json_object_set_new(o, "blockindex", json_integer(wtx->position));
        json_object_set_new(o, "blocktime", json_integer(wtx->block_time));
    } else {
        json_object_set_new(o, "trusted", json_boolean(wallet_tx_is_trusted(w, wtx)));
    }
    json_object_set_new(o, "txid", hash_json(&wtx->txid));
    json_object_set_new(o, "wtxid", hash_json(&wtx->wtxid));
    json_object_set_new(o, "walletconflicts", wallet_conflicts(w, wtx));
    json_object_set_new(o, "mempoolconflicts", json_array());
    const char *rbf = "no";
    if (depth <= 0) {
        bool signals = false;
        for (size_t i = 0; i < wtx->tx.vin_count; i++)
            if (wtx->tx.vin[i].sequence < 0xfffffffeu) signals = true;
        rbf = signals ? "yes" : wtx->in_mempool ? "no" : "unknown";
    }
    json_object_set_new(o, "bip125-replaceable", json_string(rbf));
    json_object_set_new(o, "time", json_integer(wtx->time_received));
    json_object_set_new(o, "timereceived", json_integer(wtx->time_received));
}

/* Core's ListTransactions for one transaction: appends its entries to out. with_tx adds
 * the transaction fields to each (listtransactions); label NULL means every label. */
static void list_tx_entries(struct wallet *w, const struct wallet_tx *wtx, const char *label,
                            bool with_tx, bool include_change, json_t *out)
{
    bool all_mine;
    int64_t fee = 0;
    int64_t debit = wallet_tx_debit(w, wtx, &all_mine, &fee);
    int64_t value_out = 0;
    for (size_t i = 0; i < wtx->tx.vout_count; i++) value_out += wtx->tx.vout[i].value;
    int64_t core_fee = debit > 0 ? debit - value_out : 0;
    const struct address_params *ap = &wallet_params(w)->addr;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t n = 0; n < wtx->tx.vout_count; n++) {
            const struct tx_out *o = &wtx->tx.vout[n];
            bool mine = wallet_output_is_mine(w, wtx, n);
            char addr[ADDRESS_MAX_LEN + 1];
            bool has_addr =
                address_encode(addr, ap, o->script_pubkey, o->script_pubkey_len) == ADDRESS_OK;
            char *lab = NULL, *purpose = NULL, es[64];
            if (has_addr && !wallet_get_label(w, addr, &lab, &purpose, es, sizeof es))
                lab = purpose = NULL;
            bool change = mine && !lab;
            /* With a label filter only receives are listed (Core). */
            bool emit = pass == 0 ? (debit > 0 && (!change || include_change) && !label) : mine;
            if (emit && label && (!lab || strcmp(lab, label) != 0)) emit = false;
            if (emit) {
                json_t *e = json_object();
                if (has_addr) json_object_set_new(e, "address", json_string(addr));
                struct wallet_script_info info;
                if (wallet_script_info(w, o->script_pubkey, o->script_pubkey_len, &info))
                    json_object_set_new(e, "parent_descs", parent_descs(w, &info));
                const char *cat;
                if (pass == 0)
                    cat = "send";
                else if (!wtx->coinbase)
                    cat = "receive";
                else if (wallet_tx_depth(w, wtx) < 1)
                    cat = "orphan";
                else if (wallet_tx_blocks_to_maturity(w, wtx) > 0)
                    cat = "immature";
                else
                    cat = "generate";
                json_object_set_new(e, "category", json_string(cat));
                json_object_set_new(e, "amount",
                                    amount_to_json(pass == 0 ? -o->value : o->value));
                if (lab) json_object_set_new(e, "label", json_string(lab));
                json_object_set_new(e, "vout", json_integer(n));
                if (pass == 0) {
                    json_object_set_new(e, "fee", amount_to_json(-core_fee));
                    json_object_set_new(e, "abandoned",
                                        json_boolean(wtx->state == WALLETDB_TX_ABANDONED));
                }
                if (with_tx) wallet_tx_fields(w, wtx, e);
                json_array_append_new(out, e);
            }
            free(lab);
            free(purpose);
        }
    }
}

static bool do_listtransactions(struct wallet *w, const json_t *params, json_t **result,
                                struct rpc_error *err)
{
    const json_t *lv = param(params, 0);
    const char *label = lv ? json_string_value(lv) : "*";
    if (!lv || strcmp(label, "*") == 0) label = NULL;
    int64_t count = 0, skip = 0;
    if (!param_int(params, 1, 10, &count, "count", err) ||
        !param_int(params, 2, 0, &skip, "skip", err))
        return false;
    if (count < 0) return rpc_error_set(err, RPC_INVALID_PARAMETER, "Negative count");
    if (skip < 0) return rpc_error_set(err, RPC_INVALID_PARAMETER, "Negative from");
    json_t *all = json_array();
    size_t n = wallet_tx_count(w);
    for (size_t i = 0; i < n; i++)
        list_tx_entries(w, wallet_tx_at(w, i), label, true, false, all);
    int64_t total = (int64_t)json_array_size(all);
    int64_t end = total - skip;
    if (end < 0) end = 0;
    int64_t start = end - count;
    if (start < 0) start = 0;
    json_t *a = json_array();
    for (int64_t i = start; i < end; i++) json_array_append(a, json_array_get(all, (size_t)i));
    json_decref(all);
    *result = a;
    return true;
}

static bool rpc_listtransactions(void *ctx, const json_t *params, json_t **result,
                                 struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_listtransactions(w, params, result, err));
}

static bool do_gettransaction(struct wallet *w, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    uint256 txid;
    const char *s = json_string_value(param(params, 0));
    for (const char *q = s; *q; q++)
        if (hex_digit(*q) < 0)
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "txid must be hexadecimal string (not '%s')", s);
    if (strlen(s) != 64 || !uint256_from_hex(&txid, s))
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "txid must be of length 64 (not %zu, for '%s')", strlen(s), s);
    bool verbose = param_bool(params, 2, false);
    const struct wallet_tx *wtx = wallet_find_tx(w, &txid);
    if (!wtx)
        return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY,
                             "Invalid or non-wallet transaction id");
    int64_t credit = wallet_tx_credit(w, wtx);
    int64_t debit = wallet_tx_debit(w, wtx, NULL, NULL);
    int64_t value_out = 0;
    for (size_t i = 0; i < wtx->tx.vout_count; i++) value_out += wtx->tx.vout[i].value;
    int64_t fee = debit > 0 ? value_out - debit : 0;
    json_t *o = json_object();
    json_object_set_new(o, "amount", amount_to_json(credit - debit - fee));
    if (debit > 0) json_object_set_new(o, "fee", amount_to_json(fee));
    wallet_tx_fields(w, wtx, o);
    json_t *details = json_array();
    list_tx_entries(w, wtx, NULL, false, false, details);
    json_object_set_new(o, "details", details);
    struct writer wr;
    writer_init(&wr);
    tx_serialize(&wr, &wtx->tx, true);
    char *hex = wr.failed ? NULL : malloc(2 * wr.len + 1);
    if (!hex) {
        writer_free(&wr);
        json_decref(o);
        return out_of_memory(err);
    }
    hex_encode(hex, wr.data, wr.len);
    writer_free(&wr);
    json_object_set_new(o, "hex", json_string(hex));
    free(hex);
    if (verbose)
        json_object_set_new(o, "decoded", tx_to_json(&wtx->tx, &wallet_params(w)->addr));
    *result = o;
    return true;
}

static bool rpc_gettransaction(void *ctx, const json_t *params, json_t **result,
                               struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_gettransaction(w, params, result, err));
}

/* ---- descriptors, rescan ---- */

static bool unlock_needed(struct rpc_error *err)
{
    return rpc_error_set(err, RPC_WALLET_UNLOCK_NEEDED,
                         "Error: Please enter the wallet passphrase with walletpassphrase "
                         "first.");
}

static bool do_listdescriptors(struct wallet *w, const json_t *params, json_t **result,
                               struct rpc_error *err)
{
    bool priv = param_bool(params, 0, false);
    struct wallet_descriptor_info *d;
    size_t n;
    bool locked;
    char e[256];
    if (!wallet_list_descriptors(w, priv, &d, &n, &locked, e, sizeof e)) {
        if (locked) return unlock_needed(err);
        return rpc_error_set(err, RPC_WALLET_ERROR, "%s", e);
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "desc", json_string(d[i].desc));
        json_object_set_new(o, "timestamp", json_integer(d[i].timestamp));
        json_object_set_new(o, "active", json_boolean(d[i].active));
        if (d[i].active) json_object_set_new(o, "internal", json_boolean(d[i].internal));
        json_t *r = json_array();
        json_array_append_new(r, json_integer(d[i].range_start));
        json_array_append_new(r, json_integer(d[i].range_end));
        json_object_set_new(o, "range", r);
        json_object_set_new(o, "next", json_integer(d[i].next_index));
        json_object_set_new(o, "next_index", json_integer(d[i].next_index));
        json_array_append_new(a, o);
    }
    wallet_descriptor_infos_free(d, n);
    json_t *o = json_object();
    json_object_set_new(o, "wallet_name", json_string(wallet_name(w)));
    json_object_set_new(o, "descriptors", a);
    *result = o;
    return true;
}

static bool rpc_listdescriptors(void *ctx, const json_t *params, json_t **result,
                                struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_listdescriptors(w, params, result, err));
}

/* ---- importdescriptors ---- */

/* Core's import timestamp: "now" (-1 here: no rescan) or a Unix time. */
static bool import_timestamp(const json_t *req, int64_t *out, struct rpc_error *err)
{
    const json_t *t = json_object_get(req, "timestamp");
    if (!t)
        return rpc_error_set(err, RPC_TYPE_ERROR, "Missing required timestamp field for key");
    if (json_is_integer(t)) {
        *out = json_integer_value(t) < 0 ? 0 : json_integer_value(t);
        return true;
    }
    if (json_is_string(t) && strcmp(json_string_value(t), "now") == 0) {
        *out = -1;
        return true;
    }
    const char *type = json_is_string(t)                      ? "string"
                       : json_is_real(t)                      ? "number"
                       : json_is_boolean(t)                   ? "bool"
                       : json_is_null(t)                      ? "null"
                       : json_is_array(t)                     ? "array"
                                                              : "object";
    return rpc_error_set(err, RPC_TYPE_ERROR,
                         "Expected number or \"now\" timestamp value for key. got type %s", type);
}

static json_t *import_error(int code, const char *msg)
{
    json_t *o = json_object();
    json_object_set_new(o, "success", json_false());
    json_t *e = json_object();
    json_object_set_new(e, "code", json_integer(code));
    json_object_set_new(e, "message", json_string(msg));
    json_object_set_new(o, "error", e);
    return o;
}

/* One request of importdescriptors (Core's ProcessDescriptorImport); ts is its creation
 * time. Returns the result object. */
static json_t *import_one(struct wallet *w, const json_t *req, int64_t ts)
{
    const json_t *jd = json_object_get(req, "desc");
    if (!json_is_string(jd)) return import_error(RPC_INVALID_PARAMETER, "Descriptor not found.");
    const char *text = json_string_value(jd);
    if (!strchr(text, '#')) return import_error(RPC_INVALID_ADDRESS_OR_KEY, "Missing checksum");
    char e[DESCRIPTOR_ERR_MAX];
    struct descriptor *d = descriptor_parse(text, &wallet_params(w)->addr, e);
    if (!d) return import_error(RPC_INVALID_ADDRESS_OR_KEY, e);
    bool ranged = descriptor_is_range(d), has_priv = descriptor_has_private_keys(d);
    const json_t *jl = json_object_get(req, "label");
    const json_t *ja = json_object_get(req, "active");
    const json_t *ji = json_object_get(req, "internal");
    bool active = json_is_true(ja), internal = json_is_true(ji);
    const char *label = json_is_string(jl) ? json_string_value(jl) : "";
    json_t *warnings = json_array();
    json_t *res = NULL;
    struct wallet_import in = {.text = text, .internal = internal, .timestamp = ts};
    if (jl && !json_is_string(jl)) {
        res = import_error(RPC_TYPE_ERROR, "label must be a string");
    } else if (jl && ranged) {
        res = import_error(RPC_INVALID_PARAMETER, "Ranged descriptors should not have a label");
    } else if (jl && internal) {
        res = import_error(RPC_INVALID_PARAMETER, "Internal addresses should not have a label");
    } else if (active && !ranged) {
        res = import_error(RPC_INVALID_PARAMETER, "Active descriptors must be ranged");
    } else if (!ranged && json_object_get(req, "range")) {
        res = import_error(RPC_INVALID_PARAMETER,
                           "Range should not be specified for an un-ranged descriptor");
    }
    if (!res && ranged) {
        const json_t *jr = json_object_get(req, "range");
        int64_t b = 0, end = WALLET_KEYPOOL_SIZE - 1;
        struct rpc_error re;
        memset(&re, 0, sizeof re);
        if (jr) {
            if (!descriptor_parse_range(jr, &b, &end, &re)) {
                res = import_error(re.code, re.message ? re.message : "Invalid range");
                rpc_error_clear(&re);
            }
        } else {
            json_array_append_new(warnings,
                                  json_string("Range not given, using default keypool range"));
        }
        in.range_start = (uint32_t)b;
        in.range_end = (uint32_t)end + 1;
        in.next_index = in.range_start;
        const json_t *jn = json_object_get(req, "next_index");
        if (!res && jn) {
            if (!json_is_integer(jn) || json_integer_value(jn) < b ||
                json_integer_value(jn) > end)
                res = import_error(RPC_INVALID_PARAMETER, "next_index is out of range");
            else
                in.next_index = (uint32_t)json_integer_value(jn);
        }
    }
    if (!res && active)
        res = import_error(RPC_INVALID_PARAMETER,
                           "Active descriptors are not supported for imports yet");
    if (!res && has_priv && (wallet_flags(w) & WALLET_FLAG_DISABLE_PRIVATE_KEYS))
        res = import_error(RPC_WALLET_ERROR,
                           "Cannot import private keys to a wallet with private keys disabled");
    if (!res && !has_priv && !(wallet_flags(w) & WALLET_FLAG_DISABLE_PRIVATE_KEYS))
        res = import_error(RPC_WALLET_ERROR, "Cannot import descriptor without private keys to "
                                             "a wallet with private keys enabled");
    if (!res) {
        char msg[256];
        enum wallet_import_result r = wallet_import_descriptor(w, &in, msg, sizeof msg);
        if (r == WALLET_IMPORT_LOCKED)
            res = import_error(RPC_WALLET_UNLOCK_NEEDED,
                               "Error: Please enter the wallet passphrase with walletpassphrase "
                               "first.");
        else if (r != WALLET_IMPORT_OK)
            res = import_error(RPC_WALLET_ERROR, msg);
    }
    if (!res && !ranged && !internal) {
        /* Core puts an unranged receive descriptor's address in the address book. */
        struct descriptor_scripts sc;
        memset(&sc, 0, sizeof sc);
        char addr[ADDRESS_MAX_LEN + 1], msg[256];
        if (descriptor_expand(d, 0, &sc, e) && sc.count > 0 &&
            address_encode(addr, &wallet_params(w)->addr, sc.items[0].data, sc.items[0].len) ==
                ADDRESS_OK &&
            !wallet_set_label(w, addr, label, msg, sizeof msg))
            res = import_error(RPC_WALLET_ERROR, msg);
        descriptor_scripts_clear(&sc);
    }
    descriptor_free(d);
    if (!res) {
        res = json_object();
        json_object_set_new(res, "success", json_true());
    }
    if (json_array_size(warnings))
        json_object_set_new(res, "warnings", warnings);
    else
        json_decref(warnings);
    return res;
}

/* First active height whose block is at most 2 hours older than ts (Core's
 * TIMESTAMP_WINDOW), -1 when none. */
static int32_t rescan_start_height(const struct wallet_chain *chain, int64_t ts)
{
    int32_t tip = chain->height(chain->ctx);
    for (int32_t h = 0; h <= tip; h++) {
        uint256 hash;
        int64_t t;
        if (chain->block_at(chain->ctx, h, &hash, &t) && t >= ts - 7200) return h;
    }
    return -1;
}

static bool rpc_importdescriptors(void *ctx, const json_t *params, json_t **result,
                                  struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    const json_t *reqs = param(params, 0);
    if (!json_is_array(reqs))
        return rpc_error_set(err, RPC_TYPE_ERROR, "requests must be an array");
    size_t nreq = json_array_size(reqs);
    int64_t *ts = calloc(nreq ? nreq : 1, sizeof *ts);
    if (!ts) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < nreq; i++) {
        const json_t *r = json_array_get(reqs, i);
        if (!json_is_object(r)) {
            free(ts);
            return rpc_error_set(err, RPC_TYPE_ERROR, "requests must hold objects");
        }
        if (!import_timestamp(r, &ts[i], err)) {
            free(ts);
            return false;
        }
    }
    struct wallet_rpc_entry *e = get_wallet(c, err);
    if (!e) {
        free(ts);
        return false;
    }
    struct node_context *n = c->node;
    pthread_mutex_lock(&n->lock);
    bool ok = false;
    if (!n->chainstate) {
        rpc_error_set(err, RPC_IN_WARMUP, "Loading block index...");
        goto out;
    }
    wallet_lock(e->w);
    if (wallet_is_locked(e->w)) {
        wallet_unlock(e->w);
        unlock_needed(err);
        goto out;
    }
    int64_t now = (int64_t)time(NULL), lowest = -1;
    json_t *a = json_array();
    for (size_t i = 0; i < nreq; i++) {
        json_t *r = import_one(e->w, json_array_get(reqs, i), ts[i] < 0 ? now : ts[i]);
        if (json_is_true(json_object_get(r, "success")) && ts[i] >= 0 &&
            (lowest < 0 || ts[i] < lowest))
            lowest = ts[i];
        json_array_append_new(a, r);
    }
    ok = true;
    if (lowest >= 0) {
        struct wallet_chain chain;
        wallet_chain_from_chainstate(&chain, n->chainstate);
        int32_t start = rescan_start_height(&chain, lowest), last;
        char msg[256];
        if (start >= 0 && !wallet_rescan(e->w, &chain, start, -1, &last, msg, sizeof msg)) {
            log_info("wallet %s: importdescriptors rescan failed: %s", wallet_name(e->w), msg);
            json_decref(a);
            ok = rpc_error_set(err, RPC_MISC_ERROR, "Rescan failed: %s", msg);
        }
    }
    wallet_unlock(e->w);
    if (ok) *result = a;
out:
    pthread_mutex_unlock(&n->lock);
    put_wallet(c, e);
    free(ts);
    return ok;
}

/* ---- listsinceblock ---- */

/* Core's listsinceblock (node lock and wallet lock held). */
static bool do_listsinceblock(struct wallet *w, struct chainstate *cs, const json_t *params,
                              json_t **result, struct rpc_error *err)
{
    const struct active_chain *chain = chainstate_active(cs);
    int32_t tip = active_chain_height(chain);
    int64_t target = 1;
    if (!param_int(params, 1, 1, &target, "target_confirmations", err)) return false;
    if (target < 1) return rpc_error_set(err, RPC_INVALID_PARAMETER, "Invalid parameter");
    bool include_removed = !param(params, 3) || json_is_true(param(params, 3));
    bool include_change = param(params, 4) && json_is_true(param(params, 4));
    const char *label = param(params, 5) ? json_string_value(param(params, 5)) : NULL;
    int64_t depth = -1; /* no block: every transaction */
    struct block_index *given = NULL;
    int32_t fork_height = -1;
    if (param(params, 0)) {
        uint256 hash;
        const char *hex = json_string_value(param(params, 0));
        if (!hex || strlen(hex) != 64 || !uint256_from_hex(&hash, hex))
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "blockhash must be of length 64 (not %zu, for '%s')",
                                 hex ? strlen(hex) : 0, hex ? hex : "");
        given = chainstate_lookup(cs, &hash);
        if (!given) return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
        struct block_index *fork = active_chain_find_fork(chain, given);
        fork_height = fork ? fork->height : -1;
        depth = (int64_t)tip + 1 - fork_height;
    }
    json_t *txs = json_array(), *removed = json_array();
    size_t n = wallet_tx_count(w);
    for (size_t i = 0; i < n; i++) {
        const struct wallet_tx *wtx = wallet_tx_at(w, i);
        int d = wallet_tx_depth(w, wtx);
        if (depth == -1 || (d < 0 ? -(int64_t)d : d) < depth)
            list_tx_entries(w, wtx, label, true, include_change, txs);
    }
    /* Wallet transactions of the blocks between the given (stale) block and the fork. */
    for (struct block_index *b = given; include_removed && b && b->height > fork_height;
         b = b->prev) {
        struct block blk;
        block_init(&blk);
        char msg[256];
        if (!chainstate_read_block(cs, b, &blk, msg, sizeof msg)) {
            json_decref(txs);
            json_decref(removed);
            return rpc_error_set(err, RPC_INTERNAL_ERROR, "Can't read block from disk");
        }
        for (size_t t = 0; t < blk.tx_count; t++) {
            uint256 txid;
            tx_txid(&blk.txs[t], &txid);
            const struct wallet_tx *wtx = wallet_find_tx(w, &txid);
            if (wtx) list_tx_entries(w, wtx, label, true, include_change, removed);
        }
        block_clear(&blk);
    }
    int32_t last_h = tip + 1 - (int32_t)target;
    struct block_index *last = active_chain_at(chain, last_h < 0 ? 0 : last_h);
    json_t *o = json_object();
    json_object_set_new(o, "transactions", txs);
    if (include_removed)
        json_object_set_new(o, "removed", removed);
    else
        json_decref(removed);
    if (last) json_object_set_new(o, "lastblock", hash_json(&last->hash));
    *result = o;
    return true;
}

static bool rpc_listsinceblock(void *ctx, const json_t *params, json_t **result,
                               struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    struct wallet_rpc_entry *e = get_wallet(c, err);
    if (!e) return false;
    struct node_context *n = c->node;
    pthread_mutex_lock(&n->lock);
    bool ok;
    if (!n->chainstate) {
        ok = rpc_error_set(err, RPC_IN_WARMUP, "Loading block index...");
    } else {
        wallet_lock(e->w);
        ok = do_listsinceblock(e->w, n->chainstate, params, result, err);
        wallet_unlock(e->w);
    }
    pthread_mutex_unlock(&n->lock);
    put_wallet(c, e);
    return ok;
}

static bool rpc_rescanblockchain(void *ctx, const json_t *params, json_t **result,
                                 struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    int64_t start = 0, stop = -1;
    if (!param_int(params, 0, 0, &start, "start_height", err) ||
        !param_int(params, 1, -1, &stop, "stop_height", err))
        return false;
    struct wallet_rpc_entry *e = get_wallet(c, err);
    if (!e) return false;
    struct node_context *n = c->node;
    pthread_mutex_lock(&n->lock);
    bool ok = false;
    if (!n->chainstate) {
        rpc_error_set(err, RPC_IN_WARMUP, "Loading block index...");
        goto out;
    }
    int32_t tip = chainstate_height(n->chainstate);
    if (start < 0 || start > tip) {
        rpc_error_set(err, RPC_INVALID_PARAMETER, "Invalid start_height");
        goto out;
    }
    if (param(params, 1)) {
        if (stop < 0 || stop > tip) {
            rpc_error_set(err, RPC_INVALID_PARAMETER, "Invalid stop_height");
            goto out;
        }
        if (stop < start) {
            rpc_error_set(err, RPC_INVALID_PARAMETER,
                          "stop_height must be greater than start_height");
            goto out;
        }
    } else {
        stop = tip;
    }
    struct wallet_chain chain;
    wallet_chain_from_chainstate(&chain, n->chainstate);
    int32_t last;
    char msg[256];
    wallet_lock(e->w);
    ok = wallet_rescan(e->w, &chain, (int32_t)start, (int32_t)stop, &last, msg, sizeof msg);
    wallet_unlock(e->w);
    if (!ok) {
        rpc_error_set(err, RPC_MISC_ERROR, "Rescan failed: %s", msg);
        goto out;
    }
    *result = json_object();
    json_object_set_new(*result, "start_height", json_integer(start));
    json_object_set_new(*result, "stop_height", json_integer(last));
out:
    pthread_mutex_unlock(&n->lock);
    put_wallet(c, e);
    return ok;
}

/* ---- encryption ---- */

static bool crypt_error(enum wallet_crypt_result r, const char *what, const char *msg,
                        struct rpc_error *err)
{
    switch (r) {
    case WALLET_CRYPT_OK: return true;
    case WALLET_CRYPT_WRONG_STATE:
        return rpc_error_set(err, RPC_WALLET_WRONG_ENC_STATE,
                             "Error: running with an unencrypted wallet, but %s was called.",
                             what);
    case WALLET_CRYPT_BAD_PASSPHRASE:
        return rpc_error_set(err, RPC_WALLET_PASSPHRASE_INCORRECT,
                             "Error: The wallet passphrase entered was incorrect.");
    case WALLET_CRYPT_NO_KEYS:
        return rpc_error_set(
            err, RPC_WALLET_ENCRYPTION_FAILED,
            "Error: wallet does not contain private keys, nothing to encrypt.");
    case WALLET_CRYPT_FAILED: break;
    }
    return rpc_error_set(err, RPC_WALLET_ENCRYPTION_FAILED, "Error: %s failed: %s", what, msg);
}

static const char *nonempty_passphrase(const json_t *params, size_t i, struct rpc_error *err)
{
    const char *p = json_string_value(param(params, i));
    if (!p || !*p) {
        rpc_error_set(err, RPC_INVALID_PARAMETER, "passphrase cannot be empty");
        return NULL;
    }
    return p;
}

static bool do_encryptwallet(struct wallet *w, const json_t *params, json_t **result,
                             struct rpc_error *err)
{
    if (!wallet_has_private_keys(w))
        return crypt_error(WALLET_CRYPT_NO_KEYS, "encryptwallet", "", err);
    if (wallet_is_encrypted(w))
        return rpc_error_set(err, RPC_WALLET_WRONG_ENC_STATE,
                             "Error: running with an encrypted wallet, but encryptwallet was "
                             "called.");
    const char *pass = nonempty_passphrase(params, 0, err);
    if (!pass) return false;
    char e[256];
    if (!crypt_error(wallet_encrypt(w, pass, e, sizeof e), "encryptwallet", e, err))
        return false;
    *result = json_string("wallet encrypted; the keys and the mnemonic are now encrypted, and "
                          "the mnemonic is unchanged, so an existing mnemonic backup stays "
                          "valid.");
    return true;
}

static bool rpc_encryptwallet(void *ctx, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_encryptwallet(w, params, result, err));
}

static bool do_walletpassphrase(struct wallet *w, const json_t *params, json_t **result,
                                struct rpc_error *err)
{
    if (!wallet_is_encrypted(w))
        return crypt_error(WALLET_CRYPT_WRONG_STATE, "walletpassphrase", "", err);
    int64_t timeout = 0;
    if (!param_int(params, 1, 0, &timeout, "timeout", err)) return false;
    if (timeout < 0)
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "Timeout cannot be negative.");
    if (timeout > MAX_UNLOCK_SECONDS) timeout = MAX_UNLOCK_SECONDS;
    const char *pass = nonempty_passphrase(params, 0, err);
    if (!pass) return false;
    char e[256];
    if (!crypt_error(wallet_unlock_keys(w, pass, timeout, e, sizeof e), "walletpassphrase", e,
                     err))
        return false;
    *result = json_null();
    return true;
}

static bool rpc_walletpassphrase(void *ctx, const json_t *params, json_t **result,
                                 struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_walletpassphrase(w, params, result, err));
}

static bool do_walletlock(struct wallet *w, json_t **result, struct rpc_error *err)
{
    if (!crypt_error(wallet_lock_keys(w), "walletlock", "", err)) return false;
    *result = json_null();
    return true;
}

static bool rpc_walletlock(void *ctx, const json_t *params, json_t **result,
                           struct rpc_error *err)
{
    (void)params;
    WITH_WALLET(ctx, err, w, do_walletlock(w, result, err));
}

static bool do_walletpassphrasechange(struct wallet *w, const json_t *params, json_t **result,
                                      struct rpc_error *err)
{
    if (!wallet_is_encrypted(w))
        return crypt_error(WALLET_CRYPT_WRONG_STATE, "walletpassphrasechange", "", err);
    const char *old = nonempty_passphrase(params, 0, err);
    if (!old) return false;
    const char *nw = nonempty_passphrase(params, 1, err);
    if (!nw) return false;
    char e[256];
    if (!crypt_error(wallet_change_passphrase(w, old, nw, e, sizeof e),
                     "walletpassphrasechange", e, err))
        return false;
    *result = json_null();
    return true;
}

static bool rpc_walletpassphrasechange(void *ctx, const json_t *params, json_t **result,
                                       struct rpc_error *err)
{
    WITH_WALLET(ctx, err, w, do_walletpassphrasechange(w, params, result, err));
}

static bool do_getmnemonic(struct wallet *w, json_t **result, struct rpc_error *err)
{
    char words[BIP39_MNEMONIC_MAX], e[256];
    bool protected_, locked;
    if (!wallet_get_mnemonic(w, words, sizeof words, &protected_, &locked, e, sizeof e)) {
        OPENSSL_cleanse(words, sizeof words);
        if (locked) return unlock_needed(err);
        return rpc_error_set(err, RPC_WALLET_ERROR, "%s", e);
    }
    json_t *o = json_object();
    json_object_set_new(o, "mnemonic", json_string(words));
    json_object_set_new(o, "passphrase_protected", json_boolean(protected_));
    OPENSSL_cleanse(words, sizeof words);
    *result = o;
    return true;
}

static bool rpc_getmnemonic(void *ctx, const json_t *params, json_t **result,
                            struct rpc_error *err)
{
    (void)params;
    WITH_WALLET(ctx, err, w, do_getmnemonic(w, result, err));
}

/* ---- signmessage ---- */

/* Core's legacy message signing: a compact recoverable signature over the double
 * SHA-256 of the magic and the message, with header 27 + recid + 4 (compressed key),
 * base64. RFC 6979 nonces without extra data, so the signature is deterministic. */
static bool do_signmessage(struct wallet_rpc_ctx *c, struct wallet *w, const char *addr,
                           const json_t *msg, json_t **result, struct rpc_error *err)
{
    if (wallet_is_locked(w))
        return rpc_error_set(err, RPC_WALLET_UNLOCK_NEEDED,
                             "Error: Please enter the wallet passphrase with walletpassphrase "
                             "first.");
    uint8_t spk[ADDRESS_MAX_SCRIPT_LEN];
    size_t spk_len;
    enum address_type type;
    if (address_decode(spk, &spk_len, &type, &c->params->addr, addr) != ADDRESS_OK)
        return rpc_error_set(err, RPC_TYPE_ERROR, "Invalid address");
    if (type != ADDRESS_P2PKH)
        return rpc_error_set(err, RPC_TYPE_ERROR, "Address does not refer to key");
    if (!wallet_has_private_keys(w) || !wallet_script_info(w, spk, spk_len, NULL))
        return rpc_error_set(err, RPC_WALLET_ERROR, "Private key not available");
    struct wallet_signing_keys *keys;
    bool locked;
    char e[256];
    if (!wallet_signing_keys_open(w, &keys, &locked, e, sizeof e))
        return locked ? rpc_error_set(err, RPC_WALLET_UNLOCK_NEEDED,
                                      "Error: Please enter the wallet passphrase with "
                                      "walletpassphrase first.")
                      : rpc_error_set(err, RPC_WALLET_ERROR, "Private key not available");
    uint8_t seckey[32], pub[33];
    enum wallet_addr_type t;
    bool ok = wallet_signing_key(keys, spk, spk_len, seckey, pub, &t, e, sizeof e);
    wallet_signing_keys_free(keys);
    if (!ok) {
        OPENSSL_cleanse(seckey, sizeof seckey);
        return rpc_error_set(err, RPC_WALLET_ERROR, "Private key not available");
    }
    uint8_t hash[32];
    rawtx_message_hash(hash, json_string_value(msg), json_string_length(msg));
    uint8_t sig[65];
    secp256k1_context *secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    ok = false;
    if (secp) {
        secp256k1_ecdsa_recoverable_signature rsig;
        int recid = 0;
        ok = secp256k1_ecdsa_sign_recoverable(secp, &rsig, hash, seckey, NULL, NULL) &&
             secp256k1_ecdsa_recoverable_signature_serialize_compact(secp, sig + 1, &recid,
                                                                     &rsig);
        sig[0] = (uint8_t)(27 + recid + 4); /* wallet keys are compressed */
        secp256k1_context_destroy(secp);
    }
    OPENSSL_cleanse(seckey, sizeof seckey);
    if (!ok) return rpc_error_set(err, RPC_WALLET_ERROR, "Sign failed");
    char *b64 = psbt_base64_encode(sig, sizeof sig);
    if (!b64) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    *result = json_string(b64);
    free(b64);
    return true;
}

static bool rpc_signmessage(void *ctx, const json_t *params, json_t **result,
                            struct rpc_error *err)
{
    const char *addr = json_string_value(param(params, 0));
    const json_t *msg = param(params, 1);
    WITH_WALLET(ctx, err, w, do_signmessage(ctx, w, addr, msg, result, err));
}

/* ---- backupwallet / restorewallet ---- */

static bool do_backupwallet(struct wallet *w, const char *dest, json_t **result,
                            struct rpc_error *err)
{
    struct stat st;
    /* Core overwrites an existing file; a directory is refused. */
    if (stat(dest, &st) == 0) {
        if (S_ISDIR(st.st_mode) || unlink(dest) != 0)
            return rpc_error_set(err, RPC_WALLET_ERROR, "Error: Wallet backup failed!");
    }
    char e[512];
    if (!wallet_backup(w, dest, e, sizeof e)) {
        log_info("backupwallet: %s", e);
        return rpc_error_set(err, RPC_WALLET_ERROR, "Error: Wallet backup failed!");
    }
    *result = json_null();
    return true;
}

static bool rpc_backupwallet(void *ctx, const json_t *params, json_t **result,
                             struct rpc_error *err)
{
    const char *dest = json_string_value(param(params, 0));
    WITH_WALLET(ctx, err, w, do_backupwallet(w, dest, result, err));
}

/* Copies src to a new file dst (mode 0600), synced. */
static bool copy_file(const char *src, const char *dst, char *e, size_t elen)
{
    int in = open(src, O_RDONLY);
    if (in < 0) {
        snprintf(e, elen, "cannot open backup file: %s", strerror(errno));
        return false;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (out < 0) {
        snprintf(e, elen, "cannot create the wallet file: %s", strerror(errno));
        close(in);
        return false;
    }
    bool ok = true;
    char buf[65536];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        for (ssize_t off = 0; off < n && ok;) {
            ssize_t m = write(out, buf + off, (size_t)(n - off));
            if (m < 0 && errno == EINTR) continue;
            if (m <= 0)
                ok = false;
            else
                off += m;
        }
        if (!ok) break;
    }
    if (ok && fsync(out) != 0) ok = false;
    if (close(out) != 0) ok = false;
    close(in);
    if (!ok) {
        snprintf(e, elen, "cannot copy the backup file: %s", strerror(errno));
        unlink(dst);
    }
    return ok;
}

static bool rpc_restorewallet(void *ctx, const json_t *params, json_t **result,
                              struct rpc_error *err)
{
    struct wallet_rpc_ctx *c = ctx;
    const char *name = json_string_value(param(params, 0));
    const char *backup = json_string_value(param(params, 1));
    char dir[PATH_MAX];
    if (!wallet_dir_of(c, name, dir, sizeof dir, err)) return false;
    struct stat st;
    if (stat(backup, &st) != 0 || !S_ISREG(st.st_mode))
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "Backup file does not exist");
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", dir, WALLET_FILE_NAME);
    pthread_mutex_lock(&c->lock);
    bool loaded = find_loaded(c, name) >= 0;
    pthread_mutex_unlock(&c->lock);
    /* The unnamed wallet's directory is wallets/ itself: only its file counts. */
    bool exists = loaded || fs_exists(path) || (*name && fs_exists(dir));
    if (exists)
        return rpc_error_set(err, RPC_WALLET_ALREADY_EXISTS,
                             "Failed to create database path '%s'. Database already exists.",
                             dir);
    char e[512];
    bool made_dir = false;
    if (*name) {
        if (mkdir(dir, 0700) != 0)
            return rpc_error_set(err, RPC_WALLET_ALREADY_EXISTS,
                                 "Failed to create database path '%s'. Database already "
                                 "exists.",
                                 dir);
        made_dir = true;
    }
    if (!copy_file(backup, path, e, sizeof e)) {
        if (made_dir) rmdir(dir);
        return rpc_error_set(err, RPC_WALLET_ERROR, "%s", e);
    }
    if (!wallet_rpc_load(c, name, e, sizeof e)) {
        /* Leave nothing behind, as Core does when the restored wallet cannot load. */
        unlink(path);
        char side[PATH_MAX + 32];
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
        if (made_dir) rmdir(dir);
        return rpc_error_set(err, RPC_WALLET_ERROR, "Wallet loading failed. %s", e);
    }
    log_info("Wallet %s restored from a backup", name);
    *result = name_result(name, NULL);
    return true;
}

/* ---- the table ---- */

static const struct rpc_method wallet_methods[] = {
    {"listsinceblock",
     "wallet",
     rpc_listsinceblock,
     {{"blockhash", RPC_ARG_STR, true},
      {"target_confirmations", RPC_ARG_NUM, true},
      {"include_watchonly", RPC_ARG_BOOL, true},
      {"include_removed", RPC_ARG_BOOL, true},
      {"include_change", RPC_ARG_BOOL, true},
      {"label", RPC_ARG_STR, true}},
     "listsinceblock ( \"blockhash\" target_confirmations include_watchonly include_removed "
     "include_change \"label\" )\n"
     "\n"
     "Get all transactions in blocks since block [blockhash], or all transactions if omitted.\n"
     "If \"blockhash\" is no longer a part of the main chain, transactions from the fork point "
     "onward are included.\n"
     "Additionally, if include_removed is set, transactions affecting the wallet which were "
     "removed are returned in the \"removed\" array.\n"
     "\n"
     "Arguments:\n"
     "1. blockhash               (string, optional) If set, the block hash to list "
     "transactions since, otherwise list all transactions.\n"
     "2. target_confirmations    (numeric, optional, default=1) Return the nth block hash "
     "from the main chain. e.g. 1 would mean the best block hash.\n"
     "3. include_watchonly       (boolean, optional) Ignored (no watch-only addresses).\n"
     "4. include_removed         (boolean, optional, default=true) Show transactions that "
     "were removed due to a reorg in the \"removed\" array\n"
     "5. include_change          (boolean, optional, default=false) Also add entries for "
     "change outputs.\n"
     "6. label                   (string, optional) Return only incoming transactions paying "
     "to addresses with the specified label.\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"transactions\" : [ ... ],    (json array) as listtransactions\n"
     "  \"removed\" : [ ... ],         (json array, optional) transactions of blocks no longer "
     "in the main chain\n"
     "  \"lastblock\" : \"hex\"          (string) The hash of the block "
     "(target_confirmations-1) "
     "from the best block on the main chain\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli listsinceblock "
     "\"000000000000000bacf66f7497b7dc45ef753ee9a7d38764d9d7a5d6b3b7c1a0\" 6"},
    {"signmessage",
     "wallet",
     rpc_signmessage,
     {{"address", RPC_ARG_STR, false}, {"message", RPC_ARG_STR, false}},
     "signmessage \"address\" \"message\"\n"
     "\n"
     "Sign a message with the private key of an address.\n"
     "Requires wallet passphrase to be set with walletpassphrase call if wallet is "
     "encrypted.\n"
     "\n"
     "Arguments:\n"
     "1. address    (string, required) The IoP address (P2PKH) to use for the private key.\n"
     "2. message    (string, required) The message to create a signature of.\n"
     "\n"
     "Result:\n"
     "\"str\"    (string) The signature of the message encoded in base 64\n"
     "\n"
     "Examples:\n"
     "> iop-cli signmessage \"p...\" \"my message\""},
    {"backupwallet",
     "wallet",
     rpc_backupwallet,
     {{"destination", RPC_ARG_STR, false}},
     "backupwallet \"destination\"\n"
     "\n"
     "Safely copies the current wallet file to the specified destination, which must be a "
     "file name (an existing file is replaced). The wallet stays loaded.\n"
     "\n"
     "Arguments:\n"
     "1. destination    (string, required) The destination file.\n"
     "\n"
     "Result:\n"
     "null    (json null)\n"
     "\n"
     "Examples:\n"
     "> iop-cli backupwallet \"backup.dat\""},
    {"restorewallet",
     "wallet",
     rpc_restorewallet,
     {{"wallet_name", RPC_ARG_STR, false},
      {"backup_file", RPC_ARG_STR, false},
      {"load_on_startup", RPC_ARG_BOOL, true}},
     "restorewallet \"wallet_name\" \"backup_file\" ( load_on_startup )\n"
     "\n"
     "Restores and loads a wallet from a backup file (made by backupwallet). The wallet "
     "catches up with the chain before it is listed.\n"
     "\n"
     "Arguments:\n"
     "1. wallet_name        (string, required) The name that will be applied to the restored "
     "wallet\n"
     "2. backup_file        (string, required) The backup file that will be used to restore "
     "the wallet.\n"
     "3. load_on_startup    (boolean, optional) Ignored.\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"name\" : \"str\"    (string) The wallet name if restored successfully.\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli restorewallet \"testwallet\" \"home\\\\backups\\\\backup-file.bak\""},
    {"createwallet",
     "wallet",
     rpc_createwallet,
     {{"wallet_name", RPC_ARG_STR, false},
      {"disable_private_keys", RPC_ARG_BOOL, true},
      {"blank", RPC_ARG_BOOL, true},
      {"passphrase", RPC_ARG_STR, true},
      {"avoid_reuse", RPC_ARG_BOOL, true},
      {"descriptors", RPC_ARG_BOOL, true},
      {"load_on_startup", RPC_ARG_BOOL, true},
      {"external_signer", RPC_ARG_BOOL, true},
      {"mnemonic", RPC_ARG_STR, true},
      {"mnemonic_passphrase", RPC_ARG_STR, true}},
     "createwallet \"wallet_name\" ( disable_private_keys blank \"passphrase\" avoid_reuse "
     "descriptors load_on_startup external_signer \"mnemonic\" \"mnemonic_passphrase\" )\n"
     "\n"
     "Creates and loads a new wallet. Its keys come from a new 24-word BIP39 mnemonic, or from "
     "the words given in \"mnemonic\" (then the whole chain is scanned for its coins).\n"
     "\n"
     "Arguments:\n"
     "1. wallet_name             (string, required) The name for the new wallet. If this is a "
     "path, the wallet will be created at the path location.\n"
     "2. disable_private_keys    (boolean, optional, default=false) Disable the possibility of "
     "private keys (only watchonlys are possible in this mode).\n"
     "3. blank                   (boolean, optional, default=false) Create a blank wallet. A "
     "blank wallet has no keys.\n"
     "4. passphrase              (string, optional) Encrypt the wallet with this passphrase.\n"
     "5. avoid_reuse             (boolean, optional, default=false) Keep track of coin reuse, "
     "and treat dirty and clean coins differently with privacy considerations in mind.\n"
     "6. descriptors             (boolean, optional, default=true) Must be true: only "
     "descriptor wallets exist.\n"
     "7. load_on_startup         (boolean, optional) Ignored.\n"
     "8. external_signer         (boolean, optional, default=false) Not supported.\n"
     "9. mnemonic                (string, optional) iop: restore from these BIP39 English "
     "words instead of generating new ones.\n"
     "10. mnemonic_passphrase    (string, optional) iop: the BIP39 passphrase (\"25th word\") "
     "used with the mnemonic.\n"
     "\n"
     "Result:\n"
     "{                       (json object)\n"
     "  \"name\" : \"str\",       (string) The wallet name if created successfully.\n"
     "  \"warnings\" : [ \"str\", ... ]  (json array, optional) Warning messages, if any.\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli createwallet \"testwallet\"\n"
     "> iop-cli -named createwallet wallet_name=restored mnemonic=\"abandon ... art\""},
    {"encryptwallet",
     "wallet",
     rpc_encryptwallet,
     {{"passphrase", RPC_ARG_STR, false}},
     "encryptwallet \"passphrase\"\n"
     "\n"
     "Encrypts the wallet with 'passphrase'. This is for first time encryption.\n"
     "After this, any calls that interact with private keys such as getmnemonic or "
     "listdescriptors true will require the passphrase to be set prior to making these calls.\n"
     "Use the walletpassphrase call for this, and then walletlock call.\n"
     "The wallet ends locked. The mnemonic does not change.\n"
     "\n"
     "Arguments:\n"
     "1. passphrase    (string, required) The pass phrase to encrypt the wallet with. It must "
     "be at least 1 character, but should be long.\n"
     "\n"
     "Result:\n"
     "\"str\"    (string) A string with further instructions\n"
     "\n"
     "Examples:\n"
     "> iop-cli encryptwallet \"my pass phrase\""},
    {"getaddressesbylabel",
     "wallet",
     rpc_getaddressesbylabel,
     {{"label", RPC_ARG_STR, false}},
     "getaddressesbylabel \"label\"\n"
     "\n"
     "Returns the list of addresses assigned the specified label.\n"
     "\n"
     "Arguments:\n"
     "1. label    (string, required) The label.\n"
     "\n"
     "Result:\n"
     "{                      (json object) json object with addresses as keys\n"
     "  \"address\" : {        (json object) json object with information about address\n"
     "    \"purpose\" : \"str\"  (string) Purpose of address (\"send\" for sending address, "
     "\"receive\" for receiving address)\n"
     "  },\n"
     "  ...\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli getaddressesbylabel \"tabby\""},
    {"getaddressinfo",
     "wallet",
     rpc_getaddressinfo,
     {{"address", RPC_ARG_STR, false}},
     "getaddressinfo \"address\"\n"
     "\n"
     "Return information about the given address.\n"
     "Some of the information will only be present if the address is in the active wallet.\n"
     "\n"
     "Arguments:\n"
     "1. address    (string, required) The address for which to get information.\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"address\" : \"str\",               (string) The address validated.\n"
     "  \"scriptPubKey\" : \"hex\",          (string) The hex-encoded output script.\n"
     "  \"ismine\" : true|false,           (boolean) If the address is yours.\n"
     "  \"solvable\" : true|false,         (boolean) If we know how to spend coins sent to "
     "this address.\n"
     "  \"desc\" : \"str\",                  (string, optional) A descriptor for spending "
     "coins sent to this address (only when solvable).\n"
     "  \"parent_desc\" : \"str\",           (string, optional) The descriptor used to derive "
     "this address if this is a descriptor wallet\n"
     "  \"iswatchonly\" : true|false,      (boolean) If the address is watchonly.\n"
     "  \"isscript\" : true|false,         (boolean) If the key is a script.\n"
     "  \"iswitness\" : true|false,        (boolean) If the address is a witness address.\n"
     "  \"witness_version\" : n,           (numeric, optional) The version number of the "
     "witness program.\n"
     "  \"witness_program\" : \"hex\",       (string, optional) The hex value of the witness "
     "program.\n"
     "  \"pubkey\" : \"hex\",                (string, optional) The hex value of the raw "
     "public "
     "key for single-key addresses (not Taproot).\n"
     "  \"iscompressed\" : true|false,     (boolean, optional) If the pubkey is compressed.\n"
     "  \"ischange\" : true|false,         (boolean) If the address was used for change "
     "output (yours and not in the address book).\n"
     "  \"timestamp\" : xxx,               (numeric, optional) The creation time of the key, "
     "if available, expressed in UNIX epoch time.\n"
     "  \"hdkeypath\" : \"str\",             (string, optional) The HD keypath, if the key is "
     "HD and available.\n"
     "  \"hdmasterfingerprint\" : \"hex\",   (string, optional) The fingerprint of the master "
     "key.\n"
     "  \"labels\" : [ \"str\", ... ]        (json array) Array of labels associated with the "
     "address.\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli getaddressinfo \"riop1q...\""},
    {"getbalance",
     "wallet",
     rpc_getbalance,
     {{"dummy", RPC_ARG_STR, true},
      {"minconf", RPC_ARG_NUM, true},
      {"include_watchonly", RPC_ARG_BOOL, true},
      {"avoid_reuse", RPC_ARG_BOOL, true}},
     "getbalance ( \"dummy\" minconf include_watchonly avoid_reuse )\n"
     "\n"
     "Returns the total available balance.\n"
     "The available balance is what the wallet considers currently spendable, and is\n"
     "thus affected by options which limit spendability such as -spendzeroconfchange.\n"
     "\n"
     "Arguments:\n"
     "1. dummy                (string, optional) Remains for backward compatibility. Must be "
     "excluded or set to \"*\".\n"
     "2. minconf              (numeric, optional, default=0) Only include transactions "
     "confirmed at least this many times.\n"
     "3. include_watchonly    (boolean, optional, default=true for watch-only wallets, "
     "otherwise false) Also include balance in watch-only addresses\n"
     "4. avoid_reuse          (boolean, optional, default=true) (only available if "
     "avoid_reuse wallet flag is set) Do not include balance in dirty outputs; addresses are "
     "considered dirty if they have previously been used in a transaction.\n"
     "\n"
     "Result:\n"
     "n    (numeric) The total amount in IOP received for this wallet.\n"
     "\n"
     "Examples:\n"
     "> iop-cli getbalance \"*\" 6"},
    {"getbalances",
     "wallet",
     rpc_getbalances,
     {{NULL, RPC_ARG_ANY, false}},
     "getbalances\n"
     "\n"
     "Returns an object with all balances in IOP.\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"mine\" : {                     (json object) balances from outputs that the wallet "
     "can sign\n"
     "    \"trusted\" : n,               (numeric) trusted balance (outputs created by the "
     "wallet or confirmed outputs)\n"
     "    \"untrusted_pending\" : n,     (numeric) untrusted pending balance (outputs created "
     "by others that are in the mempool)\n"
     "    \"immature\" : n,              (numeric) balance from immature coinbase outputs\n"
     "    \"used\" : n                   (numeric, optional) (only present if avoid_reuse is "
     "set) balance from coins sent to addresses that were previously spent from\n"
     "  },\n"
     "  \"lastprocessedblock\" : {       (json object) hash and height of the block this "
     "information was generated on\n"
     "    \"hash\" : \"hex\",\n"
     "    \"height\" : n\n"
     "  }\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli getbalances"},
    {"getmnemonic",
     "wallet",
     rpc_getmnemonic,
     {{NULL, RPC_ARG_ANY, false}},
     "getmnemonic\n"
     "\n"
     "iop: shows the BIP39 mnemonic the wallet's keys come from, for a paper backup. Write it "
     "down once and keep it offline: anyone who has it (and the BIP39 passphrase, if one was "
     "used) controls the coins. Requires the wallet to be unlocked when it is encrypted.\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"mnemonic\" : \"str\",               (string) The words, separated by single spaces\n"
     "  \"passphrase_protected\" : true|false (boolean) Whether a BIP39 passphrase was used; "
     "a restore needs it too (it is not stored)\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli getmnemonic"},
    {"getnewaddress",
     "wallet",
     rpc_getnewaddress,
     {{"label", RPC_ARG_STR, true}, {"address_type", RPC_ARG_STR, true}},
     "getnewaddress ( \"label\" \"address_type\" )\n"
     "\n"
     "Returns a new address for receiving payments.\n"
     "If 'label' is specified, it is added to the address book\n"
     "so payments received with the address will be associated with 'label'.\n"
     "\n"
     "Arguments:\n"
     "1. label           (string, optional, default=\"\") The label name for the address to be "
     "linked to. It can also be set to the empty string \"\" to represent the default label. "
     "The label does not need to exist, it will be created if there is no label by the given "
     "name.\n"
     "2. address_type    (string, optional, default=\"bech32\") The address type to use. "
     "Options are \"legacy\", \"bech32\", and \"bech32m\".\n"
     "\n"
     "Result:\n"
     "\"str\"    (string) The new address\n"
     "\n"
     "Examples:\n"
     "> iop-cli getnewaddress"},
    {"getrawchangeaddress",
     "wallet",
     rpc_getrawchangeaddress,
     {{"address_type", RPC_ARG_STR, true}},
     "getrawchangeaddress ( \"address_type\" )\n"
     "\n"
     "Returns a new address, for receiving change.\n"
     "This is for use with raw transactions, NOT normal use.\n"
     "\n"
     "Arguments:\n"
     "1. address_type    (string, optional, default=\"bech32\") The address type to use. "
     "Options are \"legacy\", \"bech32\", and \"bech32m\".\n"
     "\n"
     "Result:\n"
     "\"str\"    (string) The address\n"
     "\n"
     "Examples:\n"
     "> iop-cli getrawchangeaddress"},
    {"gettransaction",
     "wallet",
     rpc_gettransaction,
     {{"txid", RPC_ARG_STR, false},
      {"include_watchonly", RPC_ARG_BOOL, true},
      {"verbose", RPC_ARG_BOOL, true}},
     "gettransaction \"txid\" ( include_watchonly verbose )\n"
     "\n"
     "Get detailed information about in-wallet transaction <txid>\n"
     "\n"
     "Arguments:\n"
     "1. txid                 (string, required) The transaction id\n"
     "2. include_watchonly    (boolean, optional, default=true for watch-only wallets, "
     "otherwise false) Whether to include watch-only addresses in balance calculation and "
     "details[]\n"
     "3. verbose              (boolean, optional, default=false) Whether to include a "
     "`decoded` field containing the decoded transaction (equivalent to RPC "
     "decoderawtransaction)\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"amount\" : n,                (numeric) The amount in IOP\n"
     "  \"fee\" : n,                   (numeric, optional) The amount of the fee in IOP. This "
     "is negative and only available for the 'send' category of transactions.\n"
     "  \"confirmations\" : n,         (numeric) The number of confirmations for the "
     "transaction. Negative confirmations means the transaction conflicted that many blocks "
     "ago.\n"
     "  \"generated\" : true|false,    (boolean, optional) Only present if the transaction's "
     "only input is a coinbase one.\n"
     "  \"trusted\" : true|false,      (boolean, optional) Whether we consider the transaction "
     "to be trusted and safe to spend from. Only present when the transaction has 0 "
     "confirmations (or negative confirmations, if conflicted).\n"
     "  \"blockhash\" : \"hex\",         (string, optional) The block hash containing the "
     "transaction.\n"
     "  \"blockheight\" : n,           (numeric, optional) The block height containing the "
     "transaction.\n"
     "  \"blockindex\" : n,            (numeric, optional) The index of the transaction in the "
     "block that includes it.\n"
     "  \"blocktime\" : xxx,           (numeric, optional) The block time expressed in UNIX "
     "epoch time.\n"
     "  \"txid\" : \"hex\",              (string) The transaction id.\n"
     "  \"wtxid\" : \"hex\",             (string) The hash of serialized transaction, "
     "including "
     "witness data.\n"
     "  \"walletconflicts\" : [ \"hex\", ... ],  (json array) Conflicting transaction ids.\n"
     "  \"mempoolconflicts\" : [ \"hex\", ... ], (json array) Transactions that directly "
     "conflict with either this transaction or an ancestor transaction\n"
     "  \"bip125-replaceable\" : \"str\",  (string) (\"yes|no|unknown\") Whether this "
     "transaction signals BIP125 replaceability.\n"
     "  \"time\" : xxx,                (numeric) The transaction time expressed in UNIX epoch "
     "time.\n"
     "  \"timereceived\" : xxx,        (numeric) The time received expressed in UNIX epoch "
     "time.\n"
     "  \"details\" : [                (json array)\n"
     "    {\n"
     "      \"address\" : \"str\",        (string, optional) The address involved in the "
     "transaction.\n"
     "      \"category\" : \"str\",       (string) \"send\", \"receive\", \"generate\", "
     "\"immature\" or \"orphan\"\n"
     "      \"amount\" : n,             (numeric) The amount in IOP\n"
     "      \"label\" : \"str\",          (string, optional) A comment for the address/"
     "transaction, if any\n"
     "      \"vout\" : n,               (numeric) the vout value\n"
     "      \"fee\" : n,                (numeric, optional) The amount of the fee in IOP "
     "('send' only)\n"
     "      \"abandoned\" : true|false, (boolean, optional) 'true' if the transaction has been "
     "abandoned ('send' only)\n"
     "      \"parent_descs\" : [ \"desc\", ... ]  (json array, optional) Output descriptors "
     "used to create this address\n"
     "    },\n"
     "    ...\n"
     "  ],\n"
     "  \"hex\" : \"hex\",               (string) Raw data for transaction\n"
     "  \"decoded\" : { ... }          (json object, optional) The decoded transaction (only "
     "present when `verbose` is passed)\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli gettransaction "
     "\"1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d\""},
    {"getwalletinfo",
     "wallet",
     rpc_getwalletinfo,
     {{NULL, RPC_ARG_ANY, false}},
     "getwalletinfo\n"
     "\n"
     "Returns an object containing various wallet state info.\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"walletname\" : \"str\",            (string) the wallet name\n"
     "  \"walletversion\" : n,             (numeric) the wallet version\n"
     "  \"format\" : \"str\",                (string) the database format (sqlite)\n"
     "  \"txcount\" : n,                   (numeric) the total number of transactions in the "
     "wallet\n"
     "  \"keypoolsize\" : n,               (numeric) how many new keys are pre-generated (only "
     "counts external keys)\n"
     "  \"keypoolsize_hd_internal\" : n,   (numeric, optional) how many new keys are "
     "pre-generated for internal use (used for change outputs)\n"
     "  \"unlocked_until\" : xxx,          (numeric, optional) the UNIX epoch time until which "
     "the wallet is unlocked for transfers, or 0 if the wallet is locked (only present for "
     "passphrase-encrypted wallets)\n"
     "  \"paytxfee\" : n,                  (numeric) the transaction fee configuration, set in "
     "IOP/kvB\n"
     "  \"private_keys_enabled\" : true|false, (boolean) false if privatekeys are disabled for "
     "this wallet (enforced watch-only wallet)\n"
     "  \"avoid_reuse\" : true|false,      (boolean) whether this wallet tracks clean/dirty "
     "coins in terms of reuse\n"
     "  \"scanning\" : true|false,         (boolean) false (no scan runs in the background)\n"
     "  \"descriptors\" : true|false,      (boolean) whether this wallet uses descriptors for "
     "output script management\n"
     "  \"external_signer\" : true|false,  (boolean) whether this wallet is configured to use "
     "an external signer such as a hardware wallet\n"
     "  \"blank\" : true|false,            (boolean) Whether this wallet intentionally does "
     "not "
     "contain any keys, scripts, or descriptors\n"
     "  \"birthtime\" : xxx,               (numeric, optional) The start time for blocks "
     "scanning.\n"
     "  \"lastprocessedblock\" : {         (json object) hash and height of the block this "
     "information was generated on\n"
     "    \"hash\" : \"hex\",\n"
     "    \"height\" : n\n"
     "  }\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli getwalletinfo"},
    {"importdescriptors",
     "wallet",
     rpc_importdescriptors,
     {{"requests", RPC_ARG_ARR, false}},
     "importdescriptors [{\"desc\":\"str\",\"active\":bool,\"range\":n or [n,n],"
     "\"next_index\":n,\"timestamp\":timestamp | \"now\",\"internal\":bool,"
     "\"label\":\"str\"},...]\n"
     "\nImport descriptors (with their checksum). The scripts they describe are watched and "
     "the chain is rescanned from the\nearliest timestamp (\"now\": no rescan). Watch-only "
     "descriptors go to wallets with private keys disabled,\ndescriptors with private keys to "
     "the others. iop limits: active=true is refused; the wallet spends\nonly coins of "
     "imported pkh/wpkh/tr descriptors of one private key (the others are watched).\n"
     "\nResult:\n"
     "[{\"success\":bool,\"warnings\":[\"str\",...],\"error\":{\"code\":n,"
     "\"message\":\"str\"}},...]\n"
     "\nExamples:\n"
     "> iop-cli importdescriptors '[{\"desc\": \"addr(riop1q...)#abcdefgh\", "
     "\"timestamp\": \"now\"}]'"},
    {"listdescriptors",
     "wallet",
     rpc_listdescriptors,
     {{"private", RPC_ARG_BOOL, true}},
     "listdescriptors ( private )\n"
     "\n"
     "List descriptors imported into a descriptor-enabled wallet.\n"
     "\n"
     "Arguments:\n"
     "1. private    (boolean, optional, default=false) Show private descriptors.\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"wallet_name\" : \"str\",         (string) Name of wallet this operation was "
     "performed "
     "on\n"
     "  \"descriptors\" : [              (json array) Array of descriptor objects (sorted by "
     "descriptor string representation)\n"
     "    {\n"
     "      \"desc\" : \"str\",           (string) Descriptor string representation\n"
     "      \"timestamp\" : n,          (numeric) The creation time of the descriptor\n"
     "      \"active\" : true|false,    (boolean) Whether this descriptor is currently used to "
     "generate new addresses\n"
     "      \"internal\" : true|false,  (boolean, optional) True if this descriptor is used to "
     "generate change addresses. False if this descriptor is used to generate receiving "
     "addresses; defined only for active descriptors\n"
     "      \"range\" : [ n, n ],       (json array, optional) Defined only for ranged "
     "descriptors\n"
     "      \"next\" : n,               (numeric, optional) Same as next_index field. Kept for "
     "compatibility reason.\n"
     "      \"next_index\" : n          (numeric, optional) The next index to generate "
     "addresses from; defined only for ranged descriptors\n"
     "    },\n"
     "    ...\n"
     "  ]\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli listdescriptors\n"
     "> iop-cli listdescriptors true"},
    {"listlabels",
     "wallet",
     rpc_listlabels,
     {{"purpose", RPC_ARG_STR, true}},
     "listlabels ( \"purpose\" )\n"
     "\n"
     "Returns the list of all labels, or labels that are assigned to addresses with a "
     "specific purpose.\n"
     "\n"
     "Arguments:\n"
     "1. purpose    (string, optional) Address purpose to list labels for ('send','receive'). "
     "An empty string is the same as not providing this argument.\n"
     "\n"
     "Result:\n"
     "[ \"str\", ... ]    (json array) Label names, sorted\n"
     "\n"
     "Examples:\n"
     "> iop-cli listlabels receive"},
    {"listtransactions",
     "wallet",
     rpc_listtransactions,
     {{"label", RPC_ARG_STR, true},
      {"count", RPC_ARG_NUM, true},
      {"skip", RPC_ARG_NUM, true},
      {"include_watchonly", RPC_ARG_BOOL, true}},
     "listtransactions ( \"label\" count skip include_watchonly )\n"
     "\n"
     "If a label name is provided, this will return only incoming transactions paying to "
     "addresses with the specified label.\n"
     "\n"
     "Returns up to 'count' most recent transactions skipping the first 'from' transactions.\n"
     "\n"
     "Arguments:\n"
     "1. label                (string, optional) If set, should be a valid label name to "
     "return only incoming transactions with the specified label, or \"*\" to disable "
     "filtering and return all transactions.\n"
     "2. count                (numeric, optional, default=10) The number of transactions to "
     "return\n"
     "3. skip                 (numeric, optional, default=0) The number of transactions to "
     "skip\n"
     "4. include_watchonly    (boolean, optional) Ignored (no watch-only addresses yet)\n"
     "\n"
     "Result:\n"
     "[ { \"address\", \"category\", \"amount\", \"label\", \"vout\", \"fee\", \"abandoned\", "
     "and the fields of gettransaction without details and hex }, ... ]\n"
     "\n"
     "Examples:\n"
     "> iop-cli listtransactions \"*\" 20 100"},
    {"listunspent",
     "wallet",
     rpc_listunspent,
     {{"minconf", RPC_ARG_NUM, true},
      {"maxconf", RPC_ARG_NUM, true},
      {"addresses", RPC_ARG_ARR, true},
      {"include_unsafe", RPC_ARG_BOOL, true},
      {"query_options", RPC_ARG_OBJ, true}},
     "listunspent ( minconf maxconf [\"address\",...] include_unsafe query_options )\n"
     "\n"
     "Returns array of unspent transaction outputs\n"
     "with between minconf and maxconf (inclusive) confirmations.\n"
     "Optionally filter to only include txouts paid to specified addresses.\n"
     "\n"
     "Arguments:\n"
     "1. minconf                            (numeric, optional, default=1) The minimum "
     "confirmations to filter\n"
     "2. maxconf                            (numeric, optional, default=9999999) The maximum "
     "confirmations to filter\n"
     "3. addresses                          (json array, optional, default=[]) The addresses "
     "to filter\n"
     "4. include_unsafe                     (boolean, optional, default=true) Include outputs "
     "that are not safe to spend\n"
     "5. query_options                      (json object, optional) minimumAmount, "
     "maximumAmount, maximumCount, minimumSumAmount, include_immature_coinbase\n"
     "\n"
     "Result:\n"
     "[ { \"txid\", \"vout\", \"address\", \"label\", \"scriptPubKey\", \"amount\", "
     "\"confirmations\", \"spendable\", \"solvable\", \"desc\", \"parent_descs\", \"reused\", "
     "\"safe\" }, ... ]\n"
     "\n"
     "Examples:\n"
     "> iop-cli listunspent 6 9999999"},
    {"listwalletdir",
     "wallet",
     rpc_listwalletdir,
     {{NULL, RPC_ARG_ANY, false}},
     "listwalletdir\n"
     "\n"
     "Returns a list of wallets in the wallet directory.\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"wallets\" : [ { \"name\" : \"str\" }, ... ]\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli listwalletdir"},
    {"listwallets",
     "wallet",
     rpc_listwallets,
     {{NULL, RPC_ARG_ANY, false}},
     "listwallets\n"
     "\n"
     "Returns a list of currently loaded wallets.\n"
     "For full information on the wallet, use \"getwalletinfo\"\n"
     "\n"
     "Result:\n"
     "[ \"str\", ... ]    (json array) the wallet names\n"
     "\n"
     "Examples:\n"
     "> iop-cli listwallets"},
    {"loadwallet",
     "wallet",
     rpc_loadwallet,
     {{"filename", RPC_ARG_STR, false}, {"load_on_startup", RPC_ARG_BOOL, true}},
     "loadwallet \"filename\" ( load_on_startup )\n"
     "\n"
     "Loads a wallet from a wallet file or directory.\n"
     "Note that all wallet command-line options used when starting iopd will be\n"
     "applied to the new wallet. The wallet catches up with the chain before it is listed.\n"
     "\n"
     "Arguments:\n"
     "1. filename           (string, required) The wallet directory or .dat file.\n"
     "2. load_on_startup    (boolean, optional) Ignored.\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"name\" : \"str\"    (string) The wallet name if loaded successfully.\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli loadwallet \"test.dat\""},
    {"rescanblockchain",
     "wallet",
     rpc_rescanblockchain,
     {{"start_height", RPC_ARG_NUM, true}, {"stop_height", RPC_ARG_NUM, true}},
     "rescanblockchain ( start_height stop_height )\n"
     "\n"
     "Rescan the local blockchain for wallet related transactions.\n"
     "\n"
     "Arguments:\n"
     "1. start_height    (numeric, optional, default=0) block height where the rescan should "
     "start\n"
     "2. stop_height     (numeric, optional) the last block height that should be scanned. If "
     "none is provided it will rescan up to the tip at return time of this call.\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"start_height\" : n,    (numeric) The block height where the rescan started (the "
     "requested height or 0)\n"
     "  \"stop_height\" : n      (numeric) The height of the last rescanned block.\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli rescanblockchain 100000 120000"},
    {"setlabel",
     "wallet",
     rpc_setlabel,
     {{"address", RPC_ARG_STR, false}, {"label", RPC_ARG_STR, false}},
     "setlabel \"address\" \"label\"\n"
     "\n"
     "Sets the label associated with the given address.\n"
     "\n"
     "Arguments:\n"
     "1. address    (string, required) The address to be associated with a label.\n"
     "2. label      (string, required) The label to assign to the address.\n"
     "\n"
     "Result:\n"
     "null    (json null)\n"
     "\n"
     "Examples:\n"
     "> iop-cli setlabel \"riop1q...\" \"tabby\""},
    {"unloadwallet",
     "wallet",
     rpc_unloadwallet,
     {{"wallet_name", RPC_ARG_STR, true}, {"load_on_startup", RPC_ARG_BOOL, true}},
     "unloadwallet ( \"wallet_name\" load_on_startup )\n"
     "\n"
     "Unloads the wallet referenced by the request endpoint or the wallet_name argument.\n"
     "If both are specified, they must be identical.\n"
     "\n"
     "Arguments:\n"
     "1. wallet_name        (string, optional, default=the wallet name from the RPC endpoint) "
     "The name of the wallet to unload. If provided both here and in the RPC endpoint, the "
     "two must be identical.\n"
     "2. load_on_startup    (boolean, optional) Ignored.\n"
     "\n"
     "Result:\n"
     "{ }    (json object)\n"
     "\n"
     "Examples:\n"
     "> iop-cli unloadwallet wallet_name"},
    {"walletlock",
     "wallet",
     rpc_walletlock,
     {{NULL, RPC_ARG_ANY, false}},
     "walletlock\n"
     "\n"
     "Removes the wallet encryption key from memory, locking the wallet.\n"
     "After calling this method, you will need to call walletpassphrase again\n"
     "before being able to call any methods which require the wallet to be unlocked.\n"
     "\n"
     "Result:\n"
     "null    (json null)\n"
     "\n"
     "Examples:\n"
     "> iop-cli walletlock"},
    {"walletpassphrase",
     "wallet",
     rpc_walletpassphrase,
     {{"passphrase", RPC_ARG_STR, false}, {"timeout", RPC_ARG_NUM, false}},
     "walletpassphrase \"passphrase\" timeout\n"
     "\n"
     "Stores the wallet decryption key in memory for 'timeout' seconds.\n"
     "This is needed prior to performing transactions related to private keys such as "
     "getmnemonic or listdescriptors true\n"
     "\n"
     "Note:\n"
     "Issuing the walletpassphrase command while the wallet is already unlocked will set a "
     "new unlock time that overrides the old one.\n"
     "\n"
     "Arguments:\n"
     "1. passphrase    (string, required) The wallet passphrase\n"
     "2. timeout       (numeric, required) The time to keep the decryption key in seconds; "
     "capped at 100000000 (~3 years).\n"
     "\n"
     "Result:\n"
     "null    (json null)\n"
     "\n"
     "Examples:\n"
     "> iop-cli walletpassphrase \"my pass phrase\" 60"},
    {"walletpassphrasechange",
     "wallet",
     rpc_walletpassphrasechange,
     {{"oldpassphrase", RPC_ARG_STR, false}, {"newpassphrase", RPC_ARG_STR, false}},
     "walletpassphrasechange \"oldpassphrase\" \"newpassphrase\"\n"
     "\n"
     "Changes the wallet passphrase from 'oldpassphrase' to 'newpassphrase'.\n"
     "\n"
     "Arguments:\n"
     "1. oldpassphrase    (string, required) The current passphrase\n"
     "2. newpassphrase    (string, required) The new passphrase\n"
     "\n"
     "Result:\n"
     "null    (json null)\n"
     "\n"
     "Examples:\n"
     "> iop-cli walletpassphrasechange \"old one\" \"new one\""},
};

struct rpc_table wallet_rpc_table(struct wallet_rpc_ctx *c)
{
    struct rpc_table t = {wallet_methods, sizeof wallet_methods / sizeof wallet_methods[0], c};
    return t;
}
