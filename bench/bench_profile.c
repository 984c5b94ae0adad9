/* bench_profile: the profile service with 100,000 hosted profiles.
 *
 * Builds a store of --profiles signed profiles (distinct identities, names made of
 * syllables so that a prefix selects a realistic share, locations in a 500 x 500 km box
 * around Prague with most people in ten cities), then measures:
 *   - the store alone, no network: profile_store_search by name prefix and by a 5 km
 *     circle, and profile_store_update;
 *   - a real profile server (profile_daemon on 127.0.0.1, its own loop thread) through
 *     the blocking client over TLS 1.3: the same searches and signed UpdateProfile, with
 *     1 and 8 concurrent clients, each a thread with its own connection.
 * Each case runs --queries requests per client or --seconds, whichever ends first, and
 * prints p50/p99 latency, requests per second and the mean number of results.
 *
 * The store has no bulk insert: the profiles go in through profile_store_register and
 * profile_store_update, one transaction each. With synchronous=FULL that would be
 * 200,000 fsyncs, so the store is filled on tmpfs (/dev/shm) and the file copied to a
 * temporary directory on disk, where everything else runs. Details: doc/performance.md,
 * "Profile service". */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "consensus/hash.h"
#include "consensus/pubkey.h"
#include "services/client/profile_client.h"
#include "services/profile/profile_check.h"
#include "services/profile/profile_daemon.h"
#include "services/profile/profile_store.h"

#define MAX_CLIENTS    8
#define RADIUS_M       5000u
#define PROFILE_TYPE   "person"
#define CLIENT_TIMEOUT 30000

/* The region: a 500 x 500 km box. At 50 degrees north a degree of longitude is about
 * 71.7 km, one of latitude 111.2 km. */
#define BOX_LAT0 47750000 /* 1e-6 degrees */
#define BOX_LAT1 52250000
#define BOX_LON0 11000000
#define BOX_LON1 18000000

struct city {
    int32_t lat, lon;
    unsigned weight; /* share of the clustered profiles, in parts */
};

static const struct city CITIES[] = {
    {50075000, 14437000, 30}, {49195000, 16607000, 14}, {49838000, 17900000, 8},
    {49747000, 13377000, 7},  {50771000, 15056000, 5},  {49593000, 17250000, 5},
    {48975000, 14474000, 4},  {50210000, 15832000, 4},  {50661000, 14032000, 4},
    {51050000, 13738000, 19},
};
#define NCITIES (sizeof CITIES / sizeof CITIES[0])

/* Syllables with uneven weights: common ones start many names, rare ones few. */
static const char *const SYL[] = {"ka", "ma", "an", "li", "to", "ri", "ne", "sa", "jo", "el",
                                  "mi", "ra", "da", "vi", "lu", "ko", "be", "ta", "no", "pe",
                                  "ha", "zu", "fi", "go", "xe", "qu", "wy", "ol", "ur", "is"};
#define NSYL (sizeof SYL / sizeof SYL[0])

/* What the benchmark keeps of each generated profile. */
struct gen_profile {
    uint8_t pubkey[32];
    uint8_t sig[64];
    char name[48];
    int32_t lat, lon;
};

static bool g_nodelay;
static struct gen_profile *g_prof;
static size_t g_nprof;
static secp256k1_context *g_secp;

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64* */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 2685821657736338717ull;
}

static uint32_t rng_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)((rng_next(s) >> 32) % n);
}

/* Roughly normal with standard deviation sd (sum of four uniforms). */
static int32_t rng_spread(uint64_t *s, int32_t sd)
{
    double u = 0;
    for (int i = 0; i < 4; i++) u += (double)(rng_next(s) >> 11) / 9007199254740992.0;
    return (int32_t)((u - 2.0) * 1.7320508 * sd);
}

/* A syllable index with weight proportional to 1/(rank+3): Zipf-like. */
static double g_syl_cum[NSYL], g_syl_total;

static void syllables_init(void)
{
    for (size_t i = 0; i < NSYL; i++) {
        g_syl_total += 1.0 / (double)(i + 3);
        g_syl_cum[i] = g_syl_total;
    }
}

static size_t pick_syllable(uint64_t *s)
{
    double r = (double)(rng_next(s) >> 11) / 9007199254740992.0 * g_syl_total;
    for (size_t i = 0; i < NSYL; i++)
        if (r < g_syl_cum[i]) return i;
    return NSYL - 1;
}

/* "Kamiel Torisa": first name 2-3 syllables, surname 2-4. */
static void make_name(uint64_t *s, char *out, size_t outlen)
{
    size_t len = 0;
    for (int word = 0; word < 2; word++) {
        unsigned n = word == 0 ? 2 + rng_below(s, 2) : 2 + rng_below(s, 3);
        if (word) out[len++] = ' ';
        for (unsigned i = 0; i < n && len + 3 < outlen; i++) {
            const char *syl = SYL[pick_syllable(s)];
            out[len++] = i == 0 ? (char)(syl[0] - 'a' + 'A') : syl[0];
            out[len++] = syl[1];
        }
    }
    out[len] = 0;
}

static void make_point(uint64_t *s, bool clustered, int32_t *lat, int32_t *lon)
{
    if (clustered) {
        unsigned total = 0;
        for (size_t i = 0; i < NCITIES; i++) total += CITIES[i].weight;
        unsigned r = rng_below(s, total);
        size_t c = 0;
        while (r >= CITIES[c].weight) r -= CITIES[c++].weight;
        *lat = CITIES[c].lat + rng_spread(s, 60000); /* about 7 km */
        *lon = CITIES[c].lon + rng_spread(s, 90000);
    } else {
        *lat = BOX_LAT0 + (int32_t)rng_below(s, BOX_LAT1 - BOX_LAT0);
        *lon = BOX_LON0 + (int32_t)rng_below(s, BOX_LON1 - BOX_LON0);
    }
}

/* The secret of profile i: SHA-256("pbench" || i). */
static void secret_of(size_t i, uint8_t out[32])
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "pbench%zu", i);
    sha256(buf, (size_t)n, out);
}

static bool sign_profile(const uint8_t secret[32], uint32_t version, const char *name,
                         int32_t lat, int32_t lon, uint8_t pubkey[32], uint8_t sig[64])
{
    secp256k1_keypair kp;
    secp256k1_xonly_pubkey xpk;
    if (!secp256k1_keypair_create(g_secp, &kp, secret)) return false;
    if (!secp256k1_keypair_xonly_pub(g_secp, &xpk, NULL, &kp)) return false;
    secp256k1_xonly_pubkey_serialize(g_secp, pubkey, &xpk);
    uint8_t digest[32];
    profile_signed_digest(digest, pubkey, version, PROFILE_TYPE, name, lat, lon, "", NULL,
                          NULL);
    bool ok = secp256k1_schnorrsig_sign32(g_secp, sig, digest, &kp, NULL) == 1;
    memset(&kp, 0, sizeof kp);
    return ok;
}

struct gen_job {
    size_t from, to;
    bool ok;
};

static void *gen_thread(void *arg)
{
    struct gen_job *j = arg;
    j->ok = true;
    for (size_t i = j->from; i < j->to && j->ok; i++) {
        uint64_t s = 0x9e3779b97f4a7c15ull ^ (i * 0xbf58476d1ce4e5b9ull) ^ 1;
        for (int k = 0; k < 3; k++) rng_next(&s);
        struct gen_profile *p = &g_prof[i];
        make_name(&s, p->name, sizeof p->name);
        make_point(&s, rng_below(&s, 100) < 65, &p->lat, &p->lon);
        uint8_t secret[32];
        secret_of(i, secret);
        j->ok = sign_profile(secret, 1, p->name, p->lat, p->lon, p->pubkey, p->sig);
        memset(secret, 0, sizeof secret);
    }
    return NULL;
}

static bool generate(size_t n)
{
    g_prof = calloc(n, sizeof *g_prof);
    if (!g_prof) return false;
    g_nprof = n;
    struct gen_job jobs[2] = {{0, n / 2, false}, {n / 2, n, false}};
    pthread_t t;
    if (pthread_create(&t, NULL, gen_thread, &jobs[1]) != 0) return false;
    gen_thread(&jobs[0]);
    pthread_join(t, NULL);
    return jobs[0].ok && jobs[1].ok;
}

static void fill_record(struct profile_record *r, const struct gen_profile *p, uint32_t version)
{
    memset(r, 0, sizeof *r);
    sha256(p->pubkey, 32, r->identity_id);
    memcpy(r->public_key, p->pubkey, 32);
    r->version = version;
    snprintf(r->type, sizeof r->type, "%s", PROFILE_TYPE);
    snprintf(r->name, sizeof r->name, "%s", p->name);
    r->latitude = p->lat;
    r->longitude = p->lon;
    memcpy(r->signature, p->sig, 64);
}

static bool populate(const char *dir)
{
    char err[256];
    struct profile_store *st = profile_store_open(dir, err, sizeof err);
    if (!st) {
        fprintf(stderr, "bench_profile: %s\n", err);
        return false;
    }
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < g_nprof; i++) {
        struct profile_record r;
        fill_record(&r, &g_prof[i], 1);
        enum profile_store_result res = profile_store_register(
            st, g_prof[i].pubkey, "free", PROFILE_TYPE, now, 0, err, sizeof err);
        if (res == PROFILE_STORE_OK) res = profile_store_update(st, &r, err, sizeof err);
        if (res != PROFILE_STORE_OK) {
            fprintf(stderr, "bench_profile: profile %zu: %d %s\n", i, (int)res, err);
            profile_store_close(st);
            return false;
        }
    }
    profile_store_close(st);
    return true;
}

static bool copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in) return false;
    FILE *out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return false;
    }
    char buf[1 << 16];
    size_t n;
    bool ok = true;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) ok = false;
    ok = ok && !ferror(in);
    fclose(in);
    if (fflush(out) != 0 || fsync(fileno(out)) != 0) ok = false;
    return fclose(out) == 0 && ok;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *dir)
{
    if (dir[0]) nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- The cases ---- */

enum case_kind { CASE_PREFIX2, CASE_PREFIX4, CASE_RADIUS, CASE_UPDATE };

static const char *case_label(enum case_kind k)
{
    switch (k) {
    case CASE_PREFIX2: return "search name 'Ka*'";
    case CASE_PREFIX4: return "search name 'Kami*'";
    case CASE_RADIUS: return "search 5 km radius";
    case CASE_UPDATE: return "UpdateProfile";
    }
    return "?";
}

/* A random query: prefix2 is a syllable, prefix4 two; the circle's centre is in a city
 * half of the time and anywhere in the box otherwise. */
static void make_query(uint64_t *s, enum case_kind k, char pattern[16],
                       struct profile_search_query *q)
{
    memset(q, 0, sizeof *q);
    if (k == CASE_RADIUS) {
        q->use_location = true;
        make_point(s, rng_below(s, 2) == 0, &q->latitude, &q->longitude);
        q->radius_m = RADIUS_M;
        return;
    }
    const char *a = SYL[pick_syllable(s)];
    if (k == CASE_PREFIX2) {
        snprintf(pattern, 16, "%c%c*", a[0] - 'a' + 'A', a[1]);
    } else {
        const char *b = SYL[pick_syllable(s)];
        snprintf(pattern, 16, "%c%c%s*", a[0] - 'a' + 'A', a[1], b);
    }
    q->name = pattern;
}

struct stats {
    double *lat_us; /* one per request */
    size_t n, cap;
    size_t errors;
    double results, pages; /* sums: kept results (total), returned on the first page */
    char first_error[256];
};

static bool stats_add(struct stats *st, double us)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 1024;
        double *p = realloc(st->lat_us, cap * sizeof *p);
        if (!p) return false;
        st->lat_us = p;
        st->cap = cap;
    }
    st->lat_us[st->n++] = us;
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void fmt_us(double us, char *out, size_t outlen)
{
    if (us >= 10000)
        snprintf(out, outlen, "%.1f ms", us / 1000);
    else if (us >= 1000)
        snprintf(out, outlen, "%.2f ms", us / 1000);
    else
        snprintf(out, outlen, "%.0f us", us);
}

static void print_row(const char *where, enum case_kind k, int clients, struct stats *all,
                      double wall)
{
    char p50[32] = "-", p99[32] = "-", res[48] = "";
    if (all->n) {
        qsort(all->lat_us, all->n, sizeof *all->lat_us, cmp_double);
        fmt_us(all->lat_us[all->n / 2], p50, sizeof p50);
        fmt_us(all->lat_us[all->n * 99 / 100], p99, sizeof p99);
        if (k != CASE_UPDATE) {
            if (all->pages > 0)
                snprintf(res, sizeof res, "%.0f (page %.0f)", all->results / (double)all->n,
                         all->pages / (double)all->n);
            else
                snprintf(res, sizeof res, "%.0f", all->results / (double)all->n);
        }
    }
    printf("%-7s %-21s %7d %8zu %10.0f %10s %10s  %s", where, case_label(k), clients, all->n,
           wall > 0 ? (double)all->n / wall : 0.0, p50, p99, res);
    if (all->errors) printf("  ERRORS %zu: %s", all->errors, all->first_error);
    printf("\n");
    fflush(stdout);
}

/* The store without the network, one thread. */
static bool run_store_case(struct profile_store *st, enum case_kind k, size_t count,
                           double seconds)
{
    struct stats sts = {0}, pgs = {0};
    int64_t *rows = malloc(PROFILE_SEARCH_MAX_TOTAL * sizeof *rows);
    if (!rows) return false;
    uint64_t s = 0x1234567ull + (uint64_t)k;
    char err[256];
    double t0 = now_sec(), stop = t0 + seconds;
    bool ok = true;
    for (size_t i = 0; i < count && ok && now_sec() < stop; i++) {
        double a = now_sec();
        if (k == CASE_UPDATE) {
            /* Profiles from 1000 on: the network case uses 0..7. Versions are above
             * anything stored (1) and grow. */
            size_t idx = 1000 + rng_below(&s, (uint32_t)(g_nprof - 1000));
            struct gen_profile p = g_prof[idx];
            make_point(&s, true, &p.lat, &p.lon);
            uint8_t secret[32];
            secret_of(idx, secret);
            uint32_t version = 1000 + (uint32_t)i;
            bool signed_ok =
                sign_profile(secret, version, p.name, p.lat, p.lon, p.pubkey, p.sig);
            memset(secret, 0, sizeof secret);
            if (!signed_ok) {
                ok = false;
                break;
            }
            struct profile_record r;
            fill_record(&r, &p, version);
            a = now_sec(); /* time the store, not the signing */
            if (profile_store_update(st, &r, err, sizeof err) != PROFILE_STORE_OK) {
                sts.errors++;
                snprintf(sts.first_error, sizeof sts.first_error, "%s", err);
                ok = false;
            }
        } else {
            char pattern[16];
            struct profile_search_query q;
            make_query(&s, k, pattern, &q);
            size_t n = 0;
            if (!profile_store_search(st, &q, rows, PROFILE_SEARCH_MAX_TOTAL, &n, err,
                                      sizeof err)) {
                sts.errors++;
                snprintf(sts.first_error, sizeof sts.first_error, "%s", err);
                ok = false;
            }
            sts.results += (double)n;
            if (!stats_add(&sts, (now_sec() - a) * 1e6)) ok = false;
            /* What the server does next: read the first page's rows. */
            double b = now_sec();
            size_t page = n < PROFILE_SEARCH_MAX_RESPONSE ? n : PROFILE_SEARCH_MAX_RESPONSE;
            for (size_t j = 0; j < page && ok; j++) {
                struct profile_record r;
                if (profile_store_get_row(st, rows[j], false, false, &r, err, sizeof err) !=
                    PROFILE_STORE_OK) {
                    sts.errors++;
                    snprintf(sts.first_error, sizeof sts.first_error, "%s", err);
                    ok = false;
                }
                profile_record_clear(&r);
            }
            pgs.results += (double)page;
            if (!stats_add(&pgs, (now_sec() - b) * 1e6)) ok = false;
            continue;
        }
        if (!stats_add(&sts, (now_sec() - a) * 1e6)) ok = false;
    }
    double wall = now_sec() - t0;
    if (k == CASE_UPDATE) {
        /* Signing is outside the timed part; the rate counts only store time. */
        wall = 0;
        for (size_t i = 0; i < sts.n; i++) wall += sts.lat_us[i] / 1e6;
    }
    print_row("store", k, 1, &sts, wall);
    if (pgs.n) {
        double pw = 0;
        for (size_t i = 0; i < pgs.n; i++) pw += pgs.lat_us[i] / 1e6;
        print_row("+page", k, 1, &pgs, pw);
    }
    free(sts.lat_us);
    free(pgs.lat_us);
    free(rows);
    return ok;
}

/* The transport leaves Nagle's algorithm on. With --nodelay, once every client of a case
 * has connected, TCP_NODELAY is set on every TCP socket of this process: the clients'
 * and the server's accepted ones alike (both ends live here). A diagnostic, to show what
 * the option would change in src/services/common/conn.c. */
static void set_nodelay_everywhere(void)
{
    for (int fd = 0; fd < 4096; fd++) {
        int type = 0, one = 1;
        socklen_t len = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
            continue;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) continue;
        if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
}

struct worker {
    pthread_t thread;
    int index;
    enum case_kind kind;
    uint16_t port;
    size_t count;
    pthread_barrier_t *barrier;
    double stop; /* seconds after the barrier */
    struct stats st;
    bool connected;
};

static void worker_fail(struct worker *w, const char *what, int status, const char *err)
{
    w->st.errors++;
    if (!w->st.first_error[0])
        snprintf(w->st.first_error, sizeof w->st.first_error, "%s %s: %s", what,
                 profile_client_status_name(status), err);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char err[256] = "";
    uint8_t secret[32];
    size_t idx = (size_t)w->index; /* update clients are profiles 0..7 */
    secret_of(idx, secret);
    struct profile_client *pc =
        profile_client_connect("127.0.0.1", w->port, w->kind == CASE_UPDATE ? secret : NULL,
                               CLIENT_TIMEOUT, err, sizeof err);
    memset(secret, 0, sizeof secret);
    w->connected = pc != NULL;
    if (!pc) worker_fail(w, "connect", PROFILE_CLIENT_TRANSPORT, err);
    pthread_barrier_wait(w->barrier); /* all connected */
    pthread_barrier_wait(w->barrier); /* sockets set up */
    if (!pc) return NULL;
    uint64_t s = 0xabcdef12345ull * (uint64_t)(w->index + 1) + (uint64_t)w->kind;
    double start = now_sec();
    for (size_t i = 0; i < w->count && now_sec() - start < w->stop; i++) {
        json_t *out = NULL;
        int rc;
        double a = now_sec();
        if (w->kind == CASE_UPDATE) {
            struct gen_profile p = g_prof[idx];
            make_point(&s, true, &p.lat, &p.lon);
            struct profile_client_update u = {
                .type = PROFILE_TYPE,
                .name = p.name,
                .latitude = p.lat,
                .longitude = p.lon,
            };
            rc = profile_client_update_profile(pc, &u, &out, err, sizeof err);
        } else {
            char pattern[16];
            struct profile_search_query q;
            make_query(&s, w->kind, pattern, &q);
            struct profile_client_search cs = {
                .name = q.name,
                .type = NULL,
                .use_location = q.use_location,
                .latitude = q.latitude,
                .longitude = q.longitude,
                .radius = q.radius_m,
            };
            rc = profile_client_search(pc, &cs, &out, err, sizeof err);
            if (rc == IOP__COMMON__STATUS__OK) {
                w->st.results += (double)json_integer_value(json_object_get(out, "total"));
                w->st.pages += (double)json_array_size(json_object_get(out, "profiles"));
            }
        }
        double us = (now_sec() - a) * 1e6;
        json_decref(out);
        if (rc != IOP__COMMON__STATUS__OK) {
            worker_fail(w, w->kind == CASE_UPDATE ? "update" : "search", rc, err);
            if (rc == PROFILE_CLIENT_TRANSPORT) break;
            continue;
        }
        if (!stats_add(&w->st, us)) break;
    }
    profile_client_free(pc);
    return NULL;
}

static bool run_net_case(uint16_t port, enum case_kind k, int clients, size_t count,
                         double seconds)
{
    struct worker w[MAX_CLIENTS];
    pthread_barrier_t barrier;
    /* The workers connect first (TLS and, for updates, the identity handshake); the clock
     * starts when all are connected. */
    pthread_barrier_init(&barrier, NULL, (unsigned)clients + 1);
    memset(w, 0, sizeof w);
    int started = 0;
    for (int i = 0; i < clients; i++) {
        w[i].index = i;
        w[i].kind = k;
        w[i].port = port;
        w[i].count = count;
        w[i].barrier = &barrier;
        w[i].stop = seconds;
        if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0) break;
        started++;
    }
    if (started < clients) {
        fprintf(stderr, "bench_profile: cannot start threads\n");
        exit(1); /* the barrier would never open */
    }
    pthread_barrier_wait(&barrier);
    if (g_nodelay) set_nodelay_everywhere();
    pthread_barrier_wait(&barrier);
    double t0 = now_sec();
    struct stats all = {0};
    bool ok = true;
    for (int i = 0; i < clients; i++) {
        pthread_join(w[i].thread, NULL);
        if (!w[i].connected) ok = false;
    }
    double wall = now_sec() - t0;
    for (int i = 0; i < clients; i++) {
        for (size_t j = 0; j < w[i].st.n; j++) stats_add(&all, w[i].st.lat_us[j]);
        all.errors += w[i].st.errors;
        all.results += w[i].st.results;
        all.pages += w[i].st.pages;
        if (!all.first_error[0] && w[i].st.first_error[0])
            memcpy(all.first_error, w[i].st.first_error, sizeof all.first_error);
        free(w[i].st.lat_us);
    }
    pthread_barrier_destroy(&barrier);
    print_row("server", k, clients, &all, wall);
    free(all.lat_us);
    return ok;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_profile [--profiles N] [--queries N] [--seconds S]"
                    " [--nodelay]\n"
                    "  --profiles N  hosted profiles (default 100000)\n"
                    "  --queries N   requests per client per case (default 2000)\n"
                    "  --seconds S   at most S seconds per case (default 6)\n"
                    "  --nodelay     set TCP_NODELAY on both ends (a diagnostic)\n");
}

int main(int argc, char **argv)
{
    size_t nprof = 100000, count = 2000;
    double seconds = 6;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--profiles") == 0)
            nprof = strtoul(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--queries") == 0)
            count = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--nodelay") == 0)
            g_nodelay = true;
        else if (i + 1 < argc && strcmp(argv[i], "--seconds") == 0)
            seconds = strtod(argv[++i], NULL);
        else {
            usage();
            return 2;
        }
    }
    if (nprof < 2000 || count == 0 || seconds <= 0) {
        usage();
        return 2;
    }
    if (evthread_use_pthreads() != 0) return 1;
    signal(SIGPIPE, SIG_IGN);
    g_secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!g_secp) return 1;
    syllables_init();

    double load[3] = {0};
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
        fclose(la);
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("bench_profile: %zu profiles, %ld cores, load average %.2f at start%s\n", nprof,
           cores, load[0], g_nodelay ? ", TCP_NODELAY set on both ends" : "");

    double t = now_sec();
    if (!generate(nprof)) {
        fprintf(stderr, "bench_profile: key generation failed\n");
        return 1;
    }
    printf("generate %zu identities and sign their profiles (2 threads): %.1f s\n", nprof,
           now_sec() - t);

    {
        uint8_t digest[32];
        const struct gen_profile *p = &g_prof[0];
        profile_signed_digest(digest, p->pubkey, 1, PROFILE_TYPE, p->name, p->lat, p->lon, "",
                              NULL, NULL);
        t = now_sec();
        size_t good = 0;
        for (int i = 0; i < 2000; i++)
            good += pubkey_schnorr_verify(p->pubkey, p->sig, digest, sizeof digest);
        printf("client check of one result's signature (BIP340 verify): %.0f us%s\n",
               (now_sec() - t) / 2000 * 1e6, good == 2000 ? "" : " (FAILED)");
    }

    char shm[64] = "", disk[256] = "", dbpath[320], shmdb[96];
    const char *tmp = getenv("TMPDIR");
    snprintf(disk, sizeof disk, "%s/pbench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    snprintf(shm, sizeof shm, "/dev/shm/pbench-XXXXXX");
    if (!mkdtemp(shm)) {
        /* no tmpfs: fill on disk, much slower */
        snprintf(shm, sizeof shm, "%s", "");
    }
    if (!mkdtemp(disk)) {
        fprintf(stderr, "bench_profile: mkdtemp: %s\n", strerror(errno));
        remove_tree(shm);
        return 1;
    }
    int rc = 1;
    struct profile_daemon *d = NULL;
    t = now_sec();
    if (!populate(shm[0] ? shm : disk)) goto out;
    double fill = now_sec() - t;
    printf("populate through profile_store_register + profile_store_update (no bulk path; "
           "2 transactions per profile) on %s: %.1f s, %.0f profiles/s\n",
           shm[0] ? "tmpfs" : "disk", fill, (double)nprof / fill);
    if (shm[0]) {
        snprintf(shmdb, sizeof shmdb, "%s/%s", shm, PROFILE_STORE_FILE);
        snprintf(dbpath, sizeof dbpath, "%s/%s", disk, PROFILE_STORE_FILE);
        if (!copy_file(shmdb, dbpath)) {
            fprintf(stderr, "bench_profile: cannot copy %s to %s\n", shmdb, dbpath);
            goto out;
        }
        remove_tree(shm);
        shm[0] = 0;
    }
    struct stat sb;
    snprintf(dbpath, sizeof dbpath, "%s/%s", disk, PROFILE_STORE_FILE);
    if (stat(dbpath, &sb) == 0)
        printf("store on disk: %s, %.1f MB\n", disk, (double)sb.st_size / 1e6);

    printf("\n%-7s %-21s %7s %8s %10s %10s %10s  %s\n", "where", "case", "clients", "requests",
           "per second", "p50", "p99", "mean results");
    char err[256];
    struct profile_store *st = profile_store_open(disk, err, sizeof err);
    if (!st) {
        fprintf(stderr, "bench_profile: %s\n", err);
        goto out;
    }
    bool ok = run_store_case(st, CASE_PREFIX2, count, seconds) &&
              run_store_case(st, CASE_PREFIX4, count, seconds) &&
              run_store_case(st, CASE_RADIUS, count, seconds) &&
              run_store_case(st, CASE_UPDATE, count < 500 ? count : 500, seconds);
    profile_store_close(st);
    if (!ok) goto out;

    struct profile_daemon_config cfg = {
        .dir = disk, .bind = "127.0.0.1", .port = 0, .max_hosted = nprof + 1000};
    d = profile_daemon_start(&cfg, err, sizeof err);
    if (!d) {
        fprintf(stderr, "bench_profile: %s\n", err);
        goto out;
    }
    uint16_t port = profile_daemon_port(d);
    static const enum case_kind kinds[] = {CASE_PREFIX2, CASE_PREFIX4, CASE_RADIUS,
                                           CASE_UPDATE};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (!run_net_case(port, kinds[i], 1, count, seconds)) goto out;
        if (!run_net_case(port, kinds[i], MAX_CLIENTS, count, seconds)) goto out;
    }
    if ((la = fopen("/proc/loadavg", "r"))) {
        if (fscanf(la, "%lf", &load[0]) != 1) load[0] = -1;
        fclose(la);
    }
    printf("\nload average %.2f at the end\n", load[0]);
    rc = 0;
out:
    profile_daemon_stop(d);
    remove_tree(shm);
    remove_tree(disk);
    free(g_prof);
    secp256k1_context_destroy(g_secp);
    return rc;
}
