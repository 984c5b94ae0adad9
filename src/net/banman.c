/* Bans and discouragement (see banman.h for the contract).
 *
 * Bans are few (set by hand over RPC or from banlist.json), so they live in a plain
 * array scanned on every lookup. Discouragement is fed by misbehaving peers and must
 * stay bounded: a ring of at most BANMAN_DISCOURAGED_MAX host addresses (ports
 * dropped) in arrival order, the oldest forgotten first, indexed by an open-addressing
 * hash set of ring positions (linear probing, backward-shift deletion, SipHash under a
 * per-manager key) so lookups cost a few probes. The ring and set are allocated on the
 * first discouragement. */
#include "net/banman.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "consensus/hash.h"
#include "util/fs.h"
#include "util/random.h"

#define SET_CAP         (1u << 17) /* > 2 x BANMAN_DISCOURAGED_MAX */
#define BANLIST_MAX_LEN (16u << 20)

struct banman {
    pthread_mutex_t lock;
    char *path; /* NULL: nothing read or written */
    struct ban_entry *bans;
    size_t n_bans, cap_bans;
    bool dirty;

    uint64_t k0, k1;
    struct net_addr *ring; /* BANMAN_DISCOURAGED_MAX, hosts with port 0 */
    size_t ring_len, ring_next;
    int32_t *set; /* SET_CAP ring positions, -1 empty */
};

/* ---- discouragement set ---- */

static uint32_t set_home(const struct banman *b, const struct net_addr *a)
{
    uint8_t k[33];
    k[0] = a->net;
    memcpy(k + 1, a->bytes, a->len);
    return (uint32_t)siphash24(b->k0, b->k1, k, 1u + a->len) & (SET_CAP - 1);
}

static int32_t set_find(const struct banman *b, const struct net_addr *host)
{
    for (uint32_t i = set_home(b, host);; i = (i + 1) & (SET_CAP - 1)) {
        int32_t pos = b->set[i];
        if (pos < 0) return -1;
        if (net_addr_same_host(&b->ring[pos], host)) return (int32_t)i;
    }
}

static void set_insert(struct banman *b, int32_t pos)
{
    uint32_t i = set_home(b, &b->ring[pos]);
    while (b->set[i] >= 0) i = (i + 1) & (SET_CAP - 1);
    b->set[i] = pos;
}

static void set_remove_at(struct banman *b, uint32_t i)
{
    uint32_t hole = i;
    for (uint32_t j = (i + 1) & (SET_CAP - 1); b->set[j] >= 0; j = (j + 1) & (SET_CAP - 1)) {
        uint32_t home = set_home(b, &b->ring[b->set[j]]);
        bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!between) {
            b->set[hole] = b->set[j];
            hole = j;
        }
    }
    b->set[hole] = -1;
}

static void host_of(const struct net_addr *a, struct net_addr *out)
{
    memset(out, 0, sizeof(*out));
    out->net = a->net;
    out->len = a->len <= sizeof(out->bytes) ? a->len : (uint8_t)sizeof(out->bytes);
    memcpy(out->bytes, a->bytes, out->len);
}

void banman_discourage(struct banman *b, const struct net_addr *a)
{
    struct net_addr host;
    host_of(a, &host);
    pthread_mutex_lock(&b->lock);
    if (!b->ring) {
        b->ring = calloc(BANMAN_DISCOURAGED_MAX, sizeof(*b->ring));
        b->set = malloc(SET_CAP * sizeof(int32_t));
        if (!b->ring || !b->set) {
            free(b->ring);
            free(b->set);
            b->ring = NULL;
            b->set = NULL;
            pthread_mutex_unlock(&b->lock);
            return;
        }
        memset(b->set, 0xff, SET_CAP * sizeof(int32_t));
    }
    if (set_find(b, &host) < 0) {
        size_t pos = b->ring_next;
        if (b->ring_len == BANMAN_DISCOURAGED_MAX) {
            int32_t slot = set_find(b, &b->ring[pos]); /* the oldest goes */
            if (slot >= 0) set_remove_at(b, (uint32_t)slot);
        } else {
            b->ring_len++;
        }
        b->ring[pos] = host;
        set_insert(b, (int32_t)pos);
        b->ring_next = (pos + 1) % BANMAN_DISCOURAGED_MAX;
    }
    pthread_mutex_unlock(&b->lock);
}

bool banman_is_discouraged(struct banman *b, const struct net_addr *a)
{
    struct net_addr host;
    host_of(a, &host);
    pthread_mutex_lock(&b->lock);
    bool r = b->ring && set_find(b, &host) >= 0;
    pthread_mutex_unlock(&b->lock);
    return r;
}

/* ---- bans ---- */

static bool push_ban(struct banman *b, const struct ban_entry *e)
{
    if (b->n_bans == b->cap_bans) {
        size_t cap = b->cap_bans ? b->cap_bans * 2 : 16;
        struct ban_entry *n = realloc(b->bans, cap * sizeof(*n));
        if (!n) return false;
        b->bans = n;
        b->cap_bans = cap;
    }
    b->bans[b->n_bans++] = *e;
    return true;
}

static void sweep(struct banman *b, int64_t now)
{
    size_t k = 0;
    for (size_t i = 0; i < b->n_bans; i++) {
        if (b->bans[i].until > now)
            b->bans[k++] = b->bans[i];
        else
            b->dirty = true;
    }
    b->n_bans = k;
}

static bool json_int_field(json_t *o, const char *name, int64_t *v)
{
    json_t *x = json_object_get(o, name);
    if (!json_is_integer(x)) return false;
    *v = (int64_t)json_integer_value(x);
    return true;
}

/* Reads the file's entries into b; false with err when anything is malformed. */
static bool load_banlist(struct banman *b, const char *data, size_t len, int64_t now, char *err,
                         size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(err, errlen, "not JSON (line %d: %s)", jerr.line, jerr.text);
        return false;
    }
    bool ok = false;
    json_t *list = json_is_object(root) ? json_object_get(root, "banned_nets") : NULL;
    if (!json_is_array(list)) {
        snprintf(err, errlen, "no \"banned_nets\" array");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *o = json_array_get(list, i);
        int64_t version, created, until;
        json_t *addr = json_is_object(o) ? json_object_get(o, "address") : NULL;
        if (!json_is_object(o) || !json_int_field(o, "version", &version) ||
            !json_int_field(o, "ban_created", &created) ||
            !json_int_field(o, "banned_until", &until) || !json_is_string(addr)) {
            snprintf(err, errlen, "entry %zu: missing or mistyped fields", i);
            goto out;
        }
        if (version != 1) continue; /* a later format: skipped, as Core does */
        struct ban_entry e;
        memset(&e, 0, sizeof(e));
        if (!net_subnet_parse(json_string_value(addr), &e.subnet)) {
            snprintf(err, errlen, "entry %zu: bad subnet \"%.64s\"", i,
                     json_string_value(addr));
            goto out;
        }
        e.created = created;
        e.until = until;
        if (e.until <= now) {
            b->dirty = true; /* the file still has it: the next save drops it */
            continue;
        }
        bool merged = false;
        for (size_t k = 0; k < b->n_bans; k++)
            if (net_subnet_equal(&b->bans[k].subnet, &e.subnet)) {
                if (e.until > b->bans[k].until) b->bans[k] = e;
                merged = true;
            }
        if (!merged && !push_ban(b, &e)) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
    }
    ok = true;
out:
    json_decref(root);
    return ok;
}

struct banman *banman_open(const char *path, int64_t now, char *err, size_t errlen)
{
    if (errlen) err[0] = '\0';
    struct banman *b = calloc(1, sizeof(*b));
    if (!b) return NULL;
    uint8_t seed[16];
    if (!random_bytes(seed, sizeof(seed)) || pthread_mutex_init(&b->lock, NULL) != 0) {
        free(b);
        return NULL;
    }
    memcpy(&b->k0, seed, 8);
    memcpy(&b->k1, seed + 8, 8);
    if (!path) return b;
    b->path = strdup(path);
    if (!b->path) {
        banman_free(b);
        return NULL;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT) snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return b;
    }
    char *data = NULL;
    size_t len = 0;
    if (!fs_read_file(path, BANLIST_MAX_LEN, &data, &len)) {
        snprintf(err, errlen, "cannot read %s (unreadable or over %u bytes)", path,
                 BANLIST_MAX_LEN);
        return b;
    }
    char why[200];
    if (!load_banlist(b, data, len, now, why, sizeof(why))) {
        snprintf(err, errlen, "%s is malformed, starting with no bans: %s", path, why);
        b->n_bans = 0;
        b->dirty = false;
    }
    free(data);
    return b;
}

void banman_free(struct banman *b)
{
    if (!b) return;
    pthread_mutex_destroy(&b->lock);
    free(b->path);
    free(b->bans);
    free(b->ring);
    free(b->set);
    free(b);
}

bool banman_ban(struct banman *b, const struct net_subnet *s, int64_t until, int64_t now)
{
    if (!s->valid) return false;
    pthread_mutex_lock(&b->lock);
    bool changed = false;
    size_t i = 0;
    while (i < b->n_bans && !net_subnet_equal(&b->bans[i].subnet, s)) i++;
    if (i < b->n_bans) {
        if (b->bans[i].until < until) {
            b->bans[i].until = until;
            b->bans[i].created = now;
            changed = true;
        }
    } else {
        struct ban_entry e;
        memset(&e, 0, sizeof(e));
        e.subnet = *s;
        e.created = now;
        e.until = until;
        changed = push_ban(b, &e);
    }
    if (changed) b->dirty = true;
    pthread_mutex_unlock(&b->lock);
    return changed;
}

bool banman_unban(struct banman *b, const struct net_subnet *s)
{
    pthread_mutex_lock(&b->lock);
    bool found = false;
    for (size_t i = 0; i < b->n_bans; i++)
        if (net_subnet_equal(&b->bans[i].subnet, s)) {
            b->bans[i] = b->bans[--b->n_bans];
            found = true;
            b->dirty = true;
            break;
        }
    pthread_mutex_unlock(&b->lock);
    return found;
}

void banman_clear(struct banman *b)
{
    pthread_mutex_lock(&b->lock);
    if (b->n_bans) b->dirty = true;
    b->n_bans = 0;
    pthread_mutex_unlock(&b->lock);
}

bool banman_is_banned(struct banman *b, const struct net_addr *a, int64_t now)
{
    pthread_mutex_lock(&b->lock);
    bool r = false;
    for (size_t i = 0; i < b->n_bans && !r; i++)
        r = b->bans[i].until > now && net_subnet_match(&b->bans[i].subnet, a);
    pthread_mutex_unlock(&b->lock);
    return r;
}

bool banman_is_subnet_banned(struct banman *b, const struct net_subnet *s, int64_t now)
{
    pthread_mutex_lock(&b->lock);
    bool r = false;
    for (size_t i = 0; i < b->n_bans && !r; i++)
        r = b->bans[i].until > now && net_subnet_equal(&b->bans[i].subnet, s);
    pthread_mutex_unlock(&b->lock);
    return r;
}

size_t banman_list(struct banman *b, int64_t now, struct ban_entry **out)
{
    *out = NULL;
    pthread_mutex_lock(&b->lock);
    sweep(b, now);
    size_t n = b->n_bans;
    if (n) {
        *out = malloc(n * sizeof(**out));
        if (*out)
            memcpy(*out, b->bans, n * sizeof(**out));
        else
            n = 0;
    }
    pthread_mutex_unlock(&b->lock);
    return n;
}

bool banman_save(struct banman *b, bool force, char *err, size_t errlen)
{
    pthread_mutex_lock(&b->lock);
    if (!b->path || (!b->dirty && !force)) {
        pthread_mutex_unlock(&b->lock);
        return true;
    }
    bool ok = false;
    char *text = NULL;
    json_t *list = json_array();
    json_t *root = json_object();
    if (!list || !root || json_object_set(root, "banned_nets", list) != 0) goto out;
    for (size_t i = 0; i < b->n_bans; i++) {
        char addr[128];
        net_subnet_format(&b->bans[i].subnet, addr, sizeof(addr));
        json_t *o = json_pack("{s:i, s:I, s:I, s:s}", "version", 1, "ban_created",
                              (json_int_t)b->bans[i].created, "banned_until",
                              (json_int_t)b->bans[i].until, "address", addr);
        if (!o || json_array_append_new(list, o) != 0) goto out;
    }
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) goto out;
    size_t len = strlen(text);
    char *nl = realloc(text, len + 2);
    if (!nl) goto out;
    text = nl;
    text[len++] = '\n';
    text[len] = '\0';
    ok = fs_write_atomic(b->path, text, len, 0600, err, errlen);
    if (ok) b->dirty = false;
    pthread_mutex_unlock(&b->lock);
    free(text);
    json_decref(list);
    json_decref(root);
    return ok;
out:
    pthread_mutex_unlock(&b->lock);
    snprintf(err, errlen, "out of memory writing the ban list");
    free(text);
    json_decref(list);
    json_decref(root);
    return false;
}
