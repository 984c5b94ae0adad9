/* Tests of the profile service: the input checks by themselves, then the whole service
 * over a real TLS loopback server (as services_common_tests does): hosting, signed
 * updates, images, search by every criterion with paging, presence, application
 * services, the hosting quota, and a restart that keeps everything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <math.h>
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "consensus/hash.h"
#include "consensus/pubkey.h"
#include "services/common/conn.h"
#include "services/common/frame.h"
#include "services/common/identity.h"
#include "services/profile/profile_check.h"
#include "services/profile/profile_daemon.h"
#include "services/profile/profile_rpc.h"
#include "services/profile/profile_service.h"
#include "services/profile/profile_store.h"
#include "test_util.h"

#define CLIENT_TIMEOUT_MS 10000
#define ST(x)             IOP__COMMON__STATUS__##x

/* ---- Test images: headers only, as the service checks nothing more ---- */

static size_t make_png(uint8_t *out, uint32_t w, uint32_t h, size_t pad)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    size_t n = 0;
    memcpy(out, sig, 8);
    n = 8;
    const uint8_t ihdr[8] = {0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    memcpy(out + n, ihdr, 8);
    n += 8;
    const uint8_t dims[8] = {(uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8),
                             (uint8_t)w,         (uint8_t)(h >> 24), (uint8_t)(h >> 16),
                             (uint8_t)(h >> 8),  (uint8_t)h};
    memcpy(out + n, dims, 8);
    n += 8;
    const uint8_t rest[9] = {8, 6, 0, 0, 0, 0x11, 0x22, 0x33, 0x44}; /* CRC not checked */
    memcpy(out + n, rest, 9);
    n += 9;
    memset(out + n, 0, pad);
    return n + pad;
}

/* SOI, an APP0 segment, then SOF (0xc0 or 0xc2) with the dimensions, then EOI. */
static size_t make_jpeg(uint8_t *out, uint8_t sof, uint16_t w, uint16_t h)
{
    const uint8_t head[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F',
                            0,    1,    1,    0,    0,    1,    0,   1,   0,   0};
    size_t n = sizeof head;
    memcpy(out, head, n);
    const uint8_t sofseg[] = {0xff,       sof,
                              0x00,       0x11,
                              8,          (uint8_t)(h >> 8),
                              (uint8_t)h, (uint8_t)(w >> 8),
                              (uint8_t)w, 3,
                              1,          0x22,
                              0,          2,
                              0x11,       1,
                              3,          0x11,
                              1};
    memcpy(out + n, sofseg, sizeof sofseg);
    n += sizeof sofseg;
    out[n++] = 0xff;
    out[n++] = 0xd9;
    return n;
}

/* ---- Pure checks ---- */

static void test_check_utf8_glob(void **state)
{
    (void)state;
    assert_true(profile_utf8_valid("Alice", 5));
    assert_true(profile_utf8_valid("\xc3\xa9t\xc3\xa9", 5)); /* été */
    assert_true(profile_utf8_valid("\xf0\x9f\x98\x80", 4));  /* emoji */
    assert_false(profile_utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(profile_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(profile_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(profile_utf8_valid("\xe2\x82", 2));         /* truncated */
    assert_false(profile_utf8_valid("a\0b", 3));

    struct {
        const char *p, *t;
        bool fold, want;
    } cases[] = {
        {"Ali*", "Alice", true, true},
        {"ali*", "ALICE", true, true},
        {"ali*", "ALICE", false, false},
        {"*ice", "Malice", true, true},
        {"*ice", "Alicia", true, false},
        {"*lic*", "Alicia", true, true},
        {"A?ice", "Alice", false, true},
        {"A?ice", "Aice", false, false},
        {"*", "", false, true},
        {"", "", false, true},
        {"a\\*", "a*", false, true},
        {"a\\*", "ab", false, false},
        {"*a*b*c*", "xaxbxcx", false, true},
        {"*a*b*c", "xaxbxcx", false, false},
        {"a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = profile_glob_match(cases[i].p, strlen(cases[i].p), cases[i].t,
                                      strlen(cases[i].t), cases[i].fold);
        if (got != cases[i].want) fail_msg("glob %s vs %s", cases[i].p, cases[i].t);
    }
    test_report_count("glob cases", sizeof cases / sizeof cases[0]);
}

static void test_check_images(void **state)
{
    (void)state;
    uint8_t buf[256];
    enum profile_image_format f;
    uint32_t w, h;
    size_t n = make_png(buf, 640, 480, 0);
    assert_true(profile_image_probe(buf, n, &f, &w, &h));
    assert_int_equal(f, PROFILE_IMAGE_PNG);
    assert_int_equal(w, 640);
    assert_int_equal(h, 480);
    assert_false(profile_image_probe(buf, n - 1, &f, &w, &h)); /* cut in the CRC */
    n = make_png(buf, 0, 480, 0);
    assert_false(profile_image_probe(buf, n, &f, &w, &h));
    n = make_png(buf, 0x80000000u, 1, 0);
    assert_false(profile_image_probe(buf, n, &f, &w, &h));
    n = make_png(buf, 1, 1, 0);
    buf[12] = 'X'; /* a chunk other than IHDR first */
    assert_false(profile_image_probe(buf, n, &f, &w, &h));

    n = make_jpeg(buf, 0xc0, 320, 200);
    assert_true(profile_image_probe(buf, n, &f, &w, &h));
    assert_int_equal(f, PROFILE_IMAGE_JPEG);
    assert_int_equal(w, 320);
    assert_int_equal(h, 200);
    n = make_jpeg(buf, 0xc2, 7, 9);
    assert_true(profile_image_probe(buf, n, &f, &w, &h));
    assert_int_equal(w, 7);
    n = make_jpeg(buf, 0xc1, 7, 9); /* SOF1 is not accepted */
    assert_false(profile_image_probe(buf, n, &f, &w, &h));
    n = make_jpeg(buf, 0xc0, 7, 9);
    assert_false(profile_image_probe(buf, 22, &f, &w, &h)); /* cut before SOF */
    buf[4] = 0xff, buf[5] = 0xff;                           /* APP0 longer than the file */
    assert_false(profile_image_probe(buf, n, &f, &w, &h));
    const uint8_t gif[] = "GIF89a\x01\x00\x01\x00";
    assert_false(profile_image_probe(gif, sizeof gif, &f, &w, &h));
    assert_false(profile_image_probe(NULL, 0, &f, &w, &h));
}

static void test_check_distance(void **state)
{
    (void)state;
    /* One degree of latitude on the mean sphere: R * pi / 180 = 111195.08 m. */
    double d = profile_distance_m(0, 0, 1000000, 0);
    assert_true(fabs(d - 111195.08) < 0.1);
    /* Across the antimeridian: 0.2 degrees of longitude on the equator. */
    d = profile_distance_m(0, 179900000, 0, -179900000);
    assert_true(fabs(d - 22239.02) < 0.1);
    assert_true(profile_distance_m(45000000, 7000000, 45000000, 7000000) == 0);
}

/* The vectors of doc/services-protocol.md section 9.3 (also computed independently). */
static void test_check_signed_digest(void **state)
{
    (void)state;
    uint8_t pk[32], ih[32], d[32];
    for (int i = 0; i < 32; i++) {
        pk[i] = (uint8_t)i;
        ih[i] = (uint8_t)(0xa0 + i);
    }
    profile_signed_digest(d, pk, 1, "person", "Alice", 50087451, 14420671, "lang=cs", NULL,
                          NULL);
    assert_string_equal(test_hex(d, 32),
                        "2b7e7effcf9ba14aa4919204fce7fb0cedacbb70d9264d8e6cfc9e227304a966");
    profile_signed_digest(d, pk, 2, "person", "Alice", -33868800, -151209300, "", ih, NULL);
    assert_string_equal(test_hex(d, 32),
                        "b855bd4e8910eaa1fbe6a09bcaf3160332a4d87a2329ce53f9d019b48e7c1b32");
}

/* ---- The service on loopback ---- */

struct fixture {
    char *dir, *store_dir;
    struct identity_key *server_key;
    struct event_base *base;
    struct svc_server *server;
    struct profile_service *ps;
    pthread_t thread;
    uint16_t port;
    size_t max_hosted;
    int search_ttl_ms;
    secp256k1_context *secp;
};

/* A client with its identity. */
struct user {
    struct svc_client *cl;
    struct identity_key *k;
    secp256k1_keypair kp;
    uint8_t pk[32], iid[32];
    uint32_t version;
    char type[32];
};

static void *loop_thread(void *arg)
{
    struct fixture *f = arg;
    event_base_dispatch(f->base);
    return NULL;
}

static void server_start(struct fixture *f)
{
    char err[256];
    static const char *const plans[] = {"free", "basic"};
    struct profile_service_config pcfg = {.store_dir = f->store_dir,
                                          .max_hosted = f->max_hosted,
                                          .plans = plans,
                                          .nplans = 2,
                                          .search_ttl_ms = f->search_ttl_ms};
    f->ps = profile_service_new(&pcfg, err, sizeof err);
    if (!f->ps) fail_msg("profile_service_new: %s", err);
    struct svc_server_config cfg = {0};
    cfg.bind = "127.0.0.1";
    cfg.cert_dir = f->dir;
    cfg.identity = f->server_key;
    profile_service_attach(f->ps, &cfg);
    f->base = event_base_new();
    assert_non_null(f->base);
    f->server = svc_server_new(f->base, &cfg, err, sizeof err);
    if (!f->server) fail_msg("svc_server_new: %s", err);
    f->port = svc_server_port(f->server);
    uint8_t spk[32];
    identity_key_public(f->server_key, spk);
    profile_service_set_endpoint(f->ps, f->port, spk);
    assert_int_equal(pthread_create(&f->thread, NULL, loop_thread, f), 0);
}

static void server_stop(struct fixture *f)
{
    event_base_loopexit(f->base, NULL);
    pthread_join(f->thread, NULL);
    svc_server_free(f->server);
    event_base_free(f->base);
    profile_service_free(f->ps);
    f->server = NULL;
    f->base = NULL;
    f->ps = NULL;
}

static int setup_with(void **state, size_t max_hosted, int search_ttl_ms)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->dir = test_make_tmpdir("iop-profile-test");
    size_t n = strlen(f->dir) + 16;
    f->store_dir = malloc(n);
    snprintf(f->store_dir, n, "%s/profile", f->dir);
    uint8_t secret[32];
    memset(secret, 0x5e, 32);
    char err[128];
    f->server_key = identity_key_from_secret(secret, err, sizeof err);
    f->secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    f->max_hosted = max_hosted;
    f->search_ttl_ms = search_ttl_ms;
    *state = f;
    server_start(f);
    return 0;
}

static int setup(void **state) { return setup_with(state, 0, 0); }
static int setup_quota(void **state) { return setup_with(state, 2, 0); }
static int setup_short_ttl(void **state) { return setup_with(state, 0, 1); }

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->server) server_stop(f);
    test_remove_tree(f->dir);
    free(f->dir);
    free(f->store_dir);
    identity_key_free(f->server_key);
    secp256k1_context_destroy(f->secp);
    free(f);
    return 0;
}

static struct svc_client *connect_plain(const struct fixture *f)
{
    char err[256];
    struct svc_client *cl =
        svc_client_connect("127.0.0.1", f->port, CLIENT_TIMEOUT_MS, err, sizeof err);
    if (!cl) fail_msg("svc_client_connect: %s", err);
    return cl;
}

/* A user whose key comes from seed, connected and verified. */
static void user_connect(const struct fixture *f, struct user *u, unsigned seed)
{
    memset(u, 0, sizeof *u);
    uint8_t s[4] = {(uint8_t)seed, (uint8_t)(seed >> 8), (uint8_t)(seed >> 16), 0x77};
    uint8_t secret[32];
    sha256(s, sizeof s, secret);
    char err[256];
    u->k = identity_key_from_secret(secret, err, sizeof err);
    assert_non_null(u->k);
    assert_true(secp256k1_keypair_create(f->secp, &u->kp, secret));
    identity_key_public(u->k, u->pk);
    sha256(u->pk, 32, u->iid);
    u->cl = connect_plain(f);
    uint8_t server_key[32];
    if (!svc_client_handshake(u->cl, u->k, server_key, err, sizeof err))
        fail_msg("handshake: %s", err);
    strcpy(u->type, "person");
}

static void user_reconnect(const struct fixture *f, struct user *u)
{
    char err[256];
    svc_client_free(u->cl);
    u->cl = connect_plain(f);
    uint8_t server_key[32];
    if (!svc_client_handshake(u->cl, u->k, server_key, err, sizeof err))
        fail_msg("handshake: %s", err);
}

static void user_free(struct user *u)
{
    svc_client_free(u->cl);
    identity_key_free(u->k);
    memset(u, 0, sizeof *u);
}

static Iop__Common__Message *call(struct svc_client *cl, Iop__Common__Request *req)
{
    char err[256];
    Iop__Common__Message *r;
    if (!svc_client_call(cl, req, &r, err, sizeof err)) fail_msg("svc_client_call: %s", err);
    assert_int_equal(r->kind_case, IOP__COMMON__MESSAGE__KIND_RESPONSE);
    return r;
}

/* Calls and returns the status; details are copied to details if given. */
static Iop__Common__Status call_status(struct svc_client *cl, Iop__Common__Request *req,
                                       char *details, size_t dlen)
{
    Iop__Common__Message *r = call(cl, req);
    Iop__Common__Status st = r->response->status;
    if (details)
        snprintf(details, dlen, "%s", r->response->details ? r->response->details : "");
    iop__common__message__free_unpacked(r, NULL);
    return st;
}

static Iop__Common__Status do_register(struct user *u, const char *plan, const char *type)
{
    Iop__Profile__RegisterHostingRequest rh = IOP__PROFILE__REGISTER_HOSTING_REQUEST__INIT;
    rh.plan = (char *)plan;
    rh.type = (char *)type;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_REGISTER_HOSTING;
    req.register_hosting = &rh;
    return call_status(u->cl, &req, NULL, 0);
}

static Iop__Common__Status simple(struct user *u, Iop__Common__Request__KindCase kind)
{
    Iop__Profile__CheckInRequest ci = IOP__PROFILE__CHECK_IN_REQUEST__INIT;
    Iop__Profile__CancelHostingAgreementRequest ca =
        IOP__PROFILE__CANCEL_HOSTING_AGREEMENT_REQUEST__INIT;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = kind;
    if (kind == IOP__COMMON__REQUEST__KIND_CHECK_IN)
        req.check_in = &ci;
    else
        req.cancel_hosting_agreement = &ca;
    return call_status(u->cl, &req, NULL, 0);
}

struct upd {
    const char *name, *extra;
    int32_t lat, lon;
    const uint8_t *image, *thumb;
    size_t image_len, thumb_len;
    bool bad_sig;
    const char *type; /* NULL: the user's */
    uint32_t version; /* 0: next */
};

/* Sends a signed UpdateProfile; details get the server's details. */
static Iop__Common__Status do_update(const struct fixture *f, struct user *u,
                                     const struct upd *p, char *details, size_t dlen)
{
    Iop__Profile__SignedProfile sp = IOP__PROFILE__SIGNED_PROFILE__INIT;
    uint8_t ih[32], th[32], sig[64], digest[32];
    sp.public_key.data = u->pk;
    sp.public_key.len = 32;
    sp.version = p->version ? p->version : u->version + 1;
    sp.type = (char *)(p->type ? p->type : u->type);
    sp.name = (char *)(p->name ? p->name : "");
    sp.latitude = p->lat;
    sp.longitude = p->lon;
    sp.extra_data = (char *)(p->extra ? p->extra : "");
    if (p->image_len) {
        sha256(p->image, p->image_len, ih);
        sp.image_hash.data = ih;
        sp.image_hash.len = 32;
    }
    if (p->thumb_len) {
        sha256(p->thumb, p->thumb_len, th);
        sp.thumbnail_hash.data = th;
        sp.thumbnail_hash.len = 32;
    }
    profile_signed_digest(digest, u->pk, sp.version, sp.type, sp.name, sp.latitude,
                          sp.longitude, sp.extra_data, p->image_len ? ih : NULL,
                          p->thumb_len ? th : NULL);
    if (p->bad_sig) digest[0] ^= 1;
    assert_true(secp256k1_schnorrsig_sign32(f->secp, sig, digest, &u->kp, NULL));
    sp.signature.data = sig;
    sp.signature.len = 64;
    Iop__Profile__UpdateProfileRequest ur = IOP__PROFILE__UPDATE_PROFILE_REQUEST__INIT;
    ur.profile = &sp;
    ur.image.data = (uint8_t *)p->image;
    ur.image.len = p->image_len;
    ur.thumbnail.data = (uint8_t *)p->thumb;
    ur.thumbnail.len = p->thumb_len;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_UPDATE_PROFILE;
    req.update_profile = &ur;
    Iop__Common__Status st = call_status(u->cl, &req, details, dlen);
    if (st == ST(OK)) u->version = sp.version;
    return st;
}

/* GetProfileInformation; the caller frees the message. NULL response kind on error. */
static Iop__Common__Message *do_get(struct svc_client *cl, const uint8_t iid[32], bool image,
                                    bool thumb, bool apps)
{
    Iop__Profile__GetProfileInformationRequest g =
        IOP__PROFILE__GET_PROFILE_INFORMATION_REQUEST__INIT;
    g.identity_id.data = (uint8_t *)iid;
    g.identity_id.len = 32;
    g.include_image = image;
    g.include_thumbnail = thumb;
    g.include_application_services = apps;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_GET_PROFILE_INFORMATION;
    req.get_profile_information = &g;
    return call(cl, &req);
}

static void test_register_get_cancel(void **state)
{
    struct fixture *f = *state;
    struct user a;
    user_connect(f, &a, 1);

    /* Unverified connections may not register. */
    struct user anon = {0};
    anon.cl = connect_plain(f);
    assert_int_equal(do_register(&anon, "", "person"), ST(ERROR_BAD_CONVERSATION_STATUS));

    assert_int_equal(do_register(&a, "gold", "person"), ST(ERROR_INVALID_VALUE));
    assert_int_equal(do_register(&a, "", ""), ST(ERROR_INVALID_VALUE));
    char longtype[PROFILE_MAX_TYPE + 2];
    memset(longtype, 't', sizeof longtype - 1);
    longtype[sizeof longtype - 1] = 0;
    assert_int_equal(do_register(&a, "", longtype), ST(ERROR_INVALID_VALUE));
    assert_int_equal(simple(&a, IOP__COMMON__REQUEST__KIND_CANCEL_HOSTING_AGREEMENT),
                     ST(ERROR_NOT_FOUND));
    assert_int_equal(do_register(&a, "basic", "person"), ST(OK));
    assert_int_equal(do_register(&a, "", "person"), ST(ERROR_ALREADY_EXISTS));

    /* Anyone may look it up, verified or not. */
    Iop__Common__Message *m = do_get(anon.cl, a.iid, true, true, true);
    assert_int_equal(m->response->status, ST(OK));
    Iop__Profile__GetProfileInformationResponse *g = m->response->get_profile_information;
    assert_non_null(g);
    assert_false(g->is_online);
    assert_string_equal(g->plan, "basic");
    assert_true(g->agreement_time > 1600000000);
    assert_int_equal(g->profile->version, 0);
    assert_string_equal(g->profile->type, "person");
    assert_memory_equal(g->profile->public_key.data, a.pk, 32);
    assert_int_equal(g->profile->signature.len, 0);
    iop__common__message__free_unpacked(m, NULL);

    uint8_t nobody[32] = {1, 2, 3};
    m = do_get(anon.cl, nobody, false, false, false);
    assert_int_equal(m->response->status, ST(ERROR_NOT_FOUND));
    iop__common__message__free_unpacked(m, NULL);
    m = do_get(anon.cl, nobody, false, false, false);
    iop__common__message__free_unpacked(m, NULL);
    Iop__Profile__GetProfileInformationRequest bad =
        IOP__PROFILE__GET_PROFILE_INFORMATION_REQUEST__INIT;
    bad.identity_id.data = nobody;
    bad.identity_id.len = 31;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_GET_PROFILE_INFORMATION;
    req.get_profile_information = &bad;
    char details[128];
    assert_int_equal(call_status(anon.cl, &req, details, sizeof details),
                     ST(ERROR_INVALID_VALUE));
    assert_string_equal(details, "identity_id");

    assert_int_equal(simple(&a, IOP__COMMON__REQUEST__KIND_CANCEL_HOSTING_AGREEMENT), ST(OK));
    m = do_get(anon.cl, a.iid, false, false, false);
    assert_int_equal(m->response->status, ST(ERROR_NOT_FOUND));
    iop__common__message__free_unpacked(m, NULL);
    /* The type was fixed with the agreement; a new agreement may choose again. */
    assert_int_equal(do_register(&a, "", "robot"), ST(OK));
    user_free(&a);
    svc_client_free(anon.cl);
}

static void test_update_profile(void **state)
{
    struct fixture *f = *state;
    struct user a;
    user_connect(f, &a, 2);
    char d[128];
    struct upd p = {.name = "Alice", .extra = "likes=tea", .lat = 50087451, .lon = 14420671};
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(ERROR_UNAUTHORIZED));
    assert_int_equal(do_register(&a, "", "person"), ST(OK));

    p.bad_sig = true;
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(ERROR_INVALID_SIGNATURE));
    p.bad_sig = false;
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(OK));
    assert_int_equal(a.version, 1);

    /* Stored as signed: the signature verifies over the documented digest. */
    Iop__Common__Message *m = do_get(a.cl, a.iid, false, false, false);
    Iop__Profile__SignedProfile *sp = m->response->get_profile_information->profile;
    assert_int_equal(sp->version, 1);
    assert_string_equal(sp->name, "Alice");
    assert_string_equal(sp->extra_data, "likes=tea");
    assert_int_equal(sp->latitude, 50087451);
    assert_int_equal(sp->longitude, 14420671);
    assert_int_equal(sp->signature.len, 64);
    uint8_t digest[32];
    profile_signed_digest(digest, a.pk, 1, "person", "Alice", 50087451, 14420671, "likes=tea",
                          NULL, NULL);
    assert_true(pubkey_schnorr_verify(a.pk, sp->signature.data, digest, 32));
    iop__common__message__free_unpacked(m, NULL);

    /* Replaying an old version, or the same one, is refused. */
    p.version = 1;
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "profile.version");
    p.version = 0;
    p.type = "robot";
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "profile.type");
    p.type = NULL;

    char name65[66];
    memset(name65, 'n', 65);
    name65[65] = 0;
    p.name = name65;
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "profile.name");
    name65[64] = 0; /* exactly 64 bytes is fine */
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(OK));
    p.name = "\xff\xfe";
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "profile.name");
    p.name = "Alice";
    char extra[PROFILE_MAX_EXTRA + 2];
    memset(extra, 'x', sizeof extra - 1);
    extra[sizeof extra - 1] = 0;
    p.extra = extra;
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "profile.extra_data");
    p.extra = "";
    p.lat = 90000001;
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "profile.latitude");
    p.lat = 0;
    p.lon = -180000001;
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "profile.longitude");

    /* Another identity's key in the profile. */
    struct user b;
    user_connect(f, &b, 3);
    assert_int_equal(do_register(&b, "", "person"), ST(OK));
    memcpy(b.pk, a.pk, 32); /* claims a's key; signs with its own */
    p.lon = 0;
    assert_int_equal(do_update(f, &b, &p, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "profile.public_key");
    user_free(&a);
    user_free(&b);
}

static void test_images(void **state)
{
    struct fixture *f = *state;
    struct user a;
    user_connect(f, &a, 4);
    assert_int_equal(do_register(&a, "", "person"), ST(OK));
    char d[128];
    static uint8_t img[PROFILE_MAX_IMAGE + 16], th[PROFILE_MAX_THUMBNAIL + 16];
    size_t ilen = make_png(img, 512, 512, PROFILE_MAX_IMAGE - 33); /* exactly the limit */
    size_t tlen = make_jpeg(th, 0xc2, 64, 64);
    struct upd p = {
        .name = "Pic", .image = img, .image_len = ilen, .thumb = th, .thumb_len = tlen};
    assert_int_equal(ilen, PROFILE_MAX_IMAGE);
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(OK));

    Iop__Common__Message *m = do_get(a.cl, a.iid, true, true, false);
    Iop__Profile__GetProfileInformationResponse *g = m->response->get_profile_information;
    assert_int_equal(g->image.len, ilen);
    assert_memory_equal(g->image.data, img, ilen);
    assert_int_equal(g->thumbnail.len, tlen);
    assert_memory_equal(g->thumbnail.data, th, tlen);
    assert_int_equal(g->profile->image_hash.len, 32);
    iop__common__message__free_unpacked(m, NULL);
    m = do_get(a.cl, a.iid, false, false, false);
    g = m->response->get_profile_information;
    assert_int_equal(g->image.len, 0);
    assert_int_equal(g->thumbnail.len, 0);
    assert_int_equal(g->profile->thumbnail_hash.len, 32);
    iop__common__message__free_unpacked(m, NULL);

    /* Over the limit by one byte. */
    p.image_len = make_png(img, 512, 512, PROFILE_MAX_IMAGE - 32);
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "image");
    /* Not an image by its header. */
    memcpy(img, "GIF89a", 6);
    p.image_len = 64;
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "image");
    p.image_len = make_jpeg(img, 0xc0, 0, 10); /* zero width */
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "image");
    p.image_len = make_jpeg(img, 0xc0, 100, 10);
    p.thumb_len = make_png(th, 8, 8, PROFILE_MAX_THUMBNAIL - 32);
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "thumbnail");
    p.thumb_len = make_png(th, 8, 8, PROFILE_MAX_THUMBNAIL - 33);
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(OK));
    /* Dropping both images. */
    p.image_len = p.thumb_len = 0;
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(OK));
    m = do_get(a.cl, a.iid, true, true, false);
    g = m->response->get_profile_information;
    assert_int_equal(g->image.len, 0);
    assert_int_equal(g->profile->image_hash.len, 0);
    iop__common__message__free_unpacked(m, NULL);
    user_free(&a);
}

/* Runs a search; returns the message (caller frees) after checking OK. */
static Iop__Common__Message *do_search(struct svc_client *cl,
                                       Iop__Profile__ProfileSearchRequest *s)
{
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_PROFILE_SEARCH;
    req.profile_search = s;
    Iop__Common__Message *m = call(cl, &req);
    if (m->response->status != ST(OK))
        fail_msg("search: %s %s", frame_status_code_name(m->response->status),
                 m->response->details);
    return m;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names found, sorted and joined with commas. */
static void search_names(struct svc_client *cl, Iop__Profile__ProfileSearchRequest *s,
                         char *out, size_t outlen)
{
    Iop__Common__Message *m = do_search(cl, s);
    Iop__Profile__ProfileSearchResponse *r = m->response->profile_search;
    assert_int_equal(r->total, r->n_profiles);
    const char *names[64];
    assert_true(r->n_profiles <= 64);
    for (size_t i = 0; i < r->n_profiles; i++) names[i] = r->profiles[i]->profile->name;
    qsort(names, r->n_profiles, sizeof names[0], cmp_str);
    out[0] = 0;
    for (size_t i = 0; i < r->n_profiles; i++) {
        if (i) strncat(out, ",", outlen - strlen(out) - 1);
        strncat(out, names[i], outlen - strlen(out) - 1);
    }
    iop__common__message__free_unpacked(m, NULL);
}

/* Registers and publishes one profile per entry. */
struct person {
    const char *name, *type, *extra;
    int32_t lat, lon;
};

static void publish(const struct fixture *f, const struct person *ps, size_t n, unsigned seed0)
{
    for (size_t i = 0; i < n; i++) {
        struct user u;
        user_connect(f, &u, seed0 + (unsigned)i);
        assert_int_equal(do_register(&u, "", ps[i].type), ST(OK));
        strcpy(u.type, ps[i].type);
        struct upd p = {
            .name = ps[i].name, .extra = ps[i].extra, .lat = ps[i].lat, .lon = ps[i].lon};
        char d[128];
        assert_int_equal(do_update(f, &u, &p, d, sizeof d), ST(OK));
        user_free(&u);
    }
}

/* Latitude offset in 1e-6 degrees for a distance north along a meridian. */
static int32_t north_e6(double metres)
{
    return (int32_t)lround(metres / PROFILE_EARTH_RADIUS_M * 180 / M_PI * 1e6);
}

static void test_search_criteria(void **state)
{
    struct fixture *f = *state;
    const int32_t lat0 = 48856600, lon0 = 2352200; /* Paris */
    /* Equatorward of lat0 along the meridian, at known distances. */
    const struct person people[] = {
        {"Alice", "person", "lang=fr;likes=tea", lat0 + north_e6(1000), lon0},
        {"Alicia", "person", "lang=es", lat0 + north_e6(4900), lon0},
        {"Malice", "bot", "lang=fr", lat0 - north_e6(5100), lon0},
        {"Bernice", "person/pro", "likes=coffee", lat0, lon0},
        {"Bob", "shop", "", -33868800, 151209300},
        {"ALIBABA", "shop", "lang=en", 0, 179990000},
    };
    publish(f, people, sizeof people / sizeof people[0], 100);
    /* A hosted identity that never published is not found. */
    struct user silent;
    user_connect(f, &silent, 99);
    assert_int_equal(do_register(&silent, "", "person"), ST(OK));

    struct svc_client *cl = connect_plain(f); /* no conversation needed */
    char got[512];
    Iop__Profile__ProfileSearchRequest s = IOP__PROFILE__PROFILE_SEARCH_REQUEST__INIT;
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "ALIBABA,Alice,Alicia,Bernice,Bob,Malice");
    s.name = "Ali*";
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "ALIBABA,Alice,Alicia");
    s.name = "*ice";
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "Alice,Bernice,Malice");
    s.name = "*LIC*";
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "Alice,Alicia,Malice");
    s.name = "B?b";
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "Bob");
    s.name = "Al";
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "");
    s.name = "";

    s.type = "person*";
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "Alice,Alicia,Bernice");
    s.type = "shop";
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "ALIBABA,Bob");
    s.type = "";

    s.extra_data = "*lang=fr*";
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "Alice,Malice");
    s.extra_data = "likes=*";
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "Bernice");
    s.extra_data = "";

    s.use_location = true;
    s.latitude = lat0;
    s.longitude = lon0;
    s.radius = 5000;
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "Alice,Alicia,Bernice");
    s.radius = 5200;
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "Alice,Alicia,Bernice,Malice");
    s.radius = 999;
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "Bernice");
    s.name = "*ice";
    s.radius = 5000;
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "Alice,Bernice");
    s.name = "";
    /* Across the antimeridian: ALIBABA is 2.2 km west of (0, -179.99). */
    s.latitude = 0;
    s.longitude = -179990000;
    search_names(cl, &s, got, sizeof got);
    assert_string_equal(got, "ALIBABA");

    /* Bad criteria. */
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_PROFILE_SEARCH;
    req.profile_search = &s;
    char d[128];
    s.radius = 0;
    assert_int_equal(call_status(cl, &req, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "radius");
    s.radius = 10;
    s.latitude = -90000001;
    assert_int_equal(call_status(cl, &req, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "latitude");
    s.use_location = false;
    s.max_total = 1001;
    assert_int_equal(call_status(cl, &req, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "max_total");
    s.max_total = 101;
    s.include_thumbnails = true;
    assert_int_equal(call_status(cl, &req, d, sizeof d), ST(ERROR_INVALID_VALUE));
    s.max_total = 0;
    s.max_response = 101;
    assert_int_equal(call_status(cl, &req, d, sizeof d), ST(ERROR_INVALID_VALUE));
    assert_string_equal(d, "max_response");
    svc_client_free(cl);
    user_free(&silent);
}

static Iop__Common__Message *search_part(struct svc_client *cl, uint32_t offset, uint32_t count)
{
    Iop__Profile__ProfileSearchPartRequest p = IOP__PROFILE__PROFILE_SEARCH_PART_REQUEST__INIT;
    p.offset = offset;
    p.count = count;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_PROFILE_SEARCH_PART;
    req.profile_search_part = &p;
    return call(cl, &req);
}

static void test_search_paging(void **state)
{
    struct fixture *f = *state;
    struct person people[25];
    char names[25][24];
    for (int i = 0; i < 25; i++) {
        snprintf(names[i], sizeof names[i], "Member %02d", i);
        people[i] = (struct person){names[i], "person", "", i * 1000, i * 1000};
    }
    publish(f, people, 25, 200);
    struct svc_client *cl = connect_plain(f);

    Iop__Common__Message *m = search_part(cl, 0, 10);
    assert_int_equal(m->response->status, ST(ERROR_NOT_AVAILABLE));
    iop__common__message__free_unpacked(m, NULL);

    Iop__Profile__ProfileSearchRequest s = IOP__PROFILE__PROFILE_SEARCH_REQUEST__INIT;
    s.name = "member*";
    s.max_response = 10;
    s.max_total = 22;
    m = do_search(cl, &s);
    assert_int_equal(m->response->profile_search->total, 22);
    assert_int_equal(m->response->profile_search->n_profiles, 10);
    bool seen[25] = {0};
    for (size_t i = 0; i < 10; i++) {
        int k = atoi(m->response->profile_search->profiles[i]->profile->name + 7);
        assert_false(seen[k]);
        seen[k] = true;
        assert_int_equal(m->response->profile_search->profiles[i]->identity_id.len, 32);
    }
    iop__common__message__free_unpacked(m, NULL);
    size_t found = 10;
    for (uint32_t off = 10; off < 22; off += 10) {
        m = search_part(cl, off, 10);
        assert_int_equal(m->response->status, ST(OK));
        Iop__Profile__ProfileSearchPartResponse *p = m->response->profile_search_part;
        assert_int_equal(p->offset, off);
        assert_int_equal(p->n_profiles, off == 10 ? 10 : 2);
        for (size_t i = 0; i < p->n_profiles; i++) {
            int k = atoi(p->profiles[i]->profile->name + 7);
            assert_false(seen[k]);
            seen[k] = true;
            found++;
        }
        iop__common__message__free_unpacked(m, NULL);
    }
    assert_int_equal(found, 22);
    /* Pages can be read again and in any order. */
    m = search_part(cl, 21, 100);
    assert_int_equal(m->response->status, ST(OK));
    assert_int_equal(m->response->profile_search_part->n_profiles, 1);
    iop__common__message__free_unpacked(m, NULL);
    m = search_part(cl, 22, 1);
    assert_int_equal(m->response->status, ST(ERROR_INVALID_VALUE));
    iop__common__message__free_unpacked(m, NULL);
    m = search_part(cl, 0, 101);
    assert_int_equal(m->response->status, ST(ERROR_INVALID_VALUE));
    iop__common__message__free_unpacked(m, NULL);
    m = search_part(cl, 0, 0);
    assert_int_equal(m->response->status, ST(ERROR_INVALID_VALUE));
    iop__common__message__free_unpacked(m, NULL);

    /* The results belong to the connection. */
    struct svc_client *other = connect_plain(f);
    m = search_part(other, 0, 10);
    assert_int_equal(m->response->status, ST(ERROR_NOT_AVAILABLE));
    iop__common__message__free_unpacked(m, NULL);
    svc_client_free(other);
    svc_client_free(cl);
}

static void test_search_thumbnails(void **state)
{
    struct fixture *f = *state;
    struct user a;
    user_connect(f, &a, 300);
    assert_int_equal(do_register(&a, "", "person"), ST(OK));
    uint8_t th[64];
    size_t tlen = make_jpeg(th, 0xc0, 32, 32);
    struct upd p = {.name = "Thumb", .thumb = th, .thumb_len = tlen};
    char d[128];
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(OK));
    Iop__Profile__ProfileSearchRequest s = IOP__PROFILE__PROFILE_SEARCH_REQUEST__INIT;
    s.include_thumbnails = true;
    Iop__Common__Message *m = do_search(a.cl, &s);
    assert_int_equal(m->response->profile_search->n_profiles, 1);
    assert_int_equal(m->response->profile_search->profiles[0]->thumbnail.len, tlen);
    assert_memory_equal(m->response->profile_search->profiles[0]->thumbnail.data, th, tlen);
    iop__common__message__free_unpacked(m, NULL);
    s.include_thumbnails = false;
    m = do_search(a.cl, &s);
    assert_int_equal(m->response->profile_search->profiles[0]->thumbnail.len, 0);
    iop__common__message__free_unpacked(m, NULL);
    user_free(&a);
}

/* Results are kept for the TTL only (1 ms here: once 20 ms have passed they must be
 * gone, whatever the machine's speed). A new search replaces them. */
static void test_search_results_expire(void **state)
{
    struct fixture *f = *state;
    const struct person people[] = {{"Eve", "person", "", 0, 0}};
    publish(f, people, 1, 800);
    struct svc_client *cl = connect_plain(f);
    Iop__Profile__ProfileSearchRequest s = IOP__PROFILE__PROFILE_SEARCH_REQUEST__INIT;
    Iop__Common__Message *m = do_search(cl, &s);
    assert_int_equal(m->response->profile_search->total, 1);
    iop__common__message__free_unpacked(m, NULL);
    usleep(20000);
    m = search_part(cl, 0, 1);
    assert_int_equal(m->response->status, ST(ERROR_NOT_AVAILABLE));
    iop__common__message__free_unpacked(m, NULL);
    svc_client_free(cl);
}

static bool is_online(struct svc_client *cl, const uint8_t iid[32])
{
    Iop__Common__Message *m = do_get(cl, iid, false, false, false);
    assert_int_equal(m->response->status, ST(OK));
    bool on = m->response->get_profile_information->is_online;
    iop__common__message__free_unpacked(m, NULL);
    return on;
}

/* The server learns of a disconnect asynchronously; ask until it has (bounded). */
static bool becomes_offline(struct svc_client *cl, const uint8_t iid[32])
{
    for (int i = 0; i < 500; i++) {
        if (!is_online(cl, iid)) return true;
        usleep(10000);
    }
    return false;
}

static size_t online_count(const struct fixture *f)
{
    struct profile_service_info info;
    profile_service_get_info(f->ps, &info);
    return info.online;
}

static void test_check_in(void **state)
{
    struct fixture *f = *state;
    struct user a;
    user_connect(f, &a, 400);
    struct svc_client *obs = connect_plain(f);
    assert_int_equal(simple(&a, IOP__COMMON__REQUEST__KIND_CHECK_IN), ST(ERROR_UNAUTHORIZED));
    assert_int_equal(do_register(&a, "", "person"), ST(OK));
    assert_false(is_online(obs, a.iid));
    assert_int_equal(simple(&a, IOP__COMMON__REQUEST__KIND_CHECK_IN), ST(OK));
    assert_true(is_online(obs, a.iid));
    assert_int_equal(online_count(f), 1);
    assert_int_equal(simple(&a, IOP__COMMON__REQUEST__KIND_CHECK_IN), ST(OK)); /* again */

    /* Closing the connection takes the identity offline. */
    user_reconnect(f, &a);
    assert_true(becomes_offline(obs, a.iid));
    assert_int_equal(online_count(f), 0);

    /* A second connection of the same identity takes over; the first closing does not
     * take it offline. */
    assert_int_equal(simple(&a, IOP__COMMON__REQUEST__KIND_CHECK_IN), ST(OK));
    struct svc_client *first = a.cl;
    char err[256];
    a.cl = connect_plain(f);
    uint8_t sk[32];
    assert_true(svc_client_handshake(a.cl, a.k, sk, err, sizeof err));
    assert_int_equal(simple(&a, IOP__COMMON__REQUEST__KIND_CHECK_IN), ST(OK));
    svc_client_free(first);
    /* Nothing observable tells when the server has seen that close, so watch for a while
     * (the other direction, going offline, is checked without waiting on a clock). */
    for (int i = 0; i < 50; i++) {
        assert_true(is_online(obs, a.iid));
        usleep(2000);
    }
    assert_int_equal(online_count(f), 1);
    user_reconnect(f, &a);
    assert_true(becomes_offline(obs, a.iid));

    /* Cancelling while checked in. */
    assert_int_equal(simple(&a, IOP__COMMON__REQUEST__KIND_CHECK_IN), ST(OK));
    assert_int_equal(simple(&a, IOP__COMMON__REQUEST__KIND_CANCEL_HOSTING_AGREEMENT), ST(OK));
    assert_int_equal(online_count(f), 0);
    svc_client_free(obs);
    user_free(&a);
}

static Iop__Common__Status app_add(struct user *u, const char *const *names, size_t n)
{
    Iop__Profile__ApplicationServiceAddRequest a =
        IOP__PROFILE__APPLICATION_SERVICE_ADD_REQUEST__INIT;
    a.names = (char **)names;
    a.n_names = n;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_APPLICATION_SERVICE_ADD;
    req.application_service_add = &a;
    return call_status(u->cl, &req, NULL, 0);
}

static Iop__Common__Status app_remove(struct user *u, const char *name)
{
    Iop__Profile__ApplicationServiceRemoveRequest a =
        IOP__PROFILE__APPLICATION_SERVICE_REMOVE_REQUEST__INIT;
    a.name = (char *)name;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_APPLICATION_SERVICE_REMOVE;
    req.application_service_remove = &a;
    return call_status(u->cl, &req, NULL, 0);
}

static void test_app_services(void **state)
{
    struct fixture *f = *state;
    struct user a;
    user_connect(f, &a, 500);
    const char *chat[] = {"chat"};
    assert_int_equal(app_add(&a, chat, 1), ST(ERROR_UNAUTHORIZED));
    assert_int_equal(do_register(&a, "", "person"), ST(OK));
    char names[51][16];
    const char *ptrs[51];
    for (int i = 0; i < 51; i++) {
        snprintf(names[i], sizeof names[i], "svc%02d", i);
        ptrs[i] = names[i];
    }
    assert_int_equal(app_add(&a, ptrs, 51), ST(ERROR_INVALID_VALUE)); /* over 50 at once */
    assert_int_equal(app_add(&a, ptrs, 40), ST(OK));
    assert_int_equal(app_add(&a, ptrs + 40, 11), ST(ERROR_QUOTA_EXCEEDED)); /* all or none */
    assert_int_equal(app_add(&a, ptrs + 40, 10), ST(OK));
    assert_int_equal(app_add(&a, ptrs + 50, 1), ST(ERROR_QUOTA_EXCEEDED));
    assert_int_equal(app_remove(&a, "svc07"), ST(OK));
    assert_int_equal(app_remove(&a, "svc07"), ST(ERROR_NOT_FOUND));
    assert_int_equal(app_add(&a, ptrs + 1, 1), ST(ERROR_ALREADY_EXISTS));
    assert_int_equal(app_add(&a, ptrs + 50, 1), ST(OK));
    const char *dup[] = {"x", "x"};
    assert_int_equal(app_add(&a, dup, 2), ST(ERROR_INVALID_VALUE));
    const char *toolong[] = {"abcdefghijklmnopqrstuvwxyz0123456"}; /* 33 bytes */
    assert_int_equal(app_add(&a, toolong, 1), ST(ERROR_INVALID_VALUE));
    const char *empty[] = {""};
    assert_int_equal(app_add(&a, empty, 1), ST(ERROR_INVALID_VALUE));

    Iop__Common__Message *m = do_get(a.cl, a.iid, false, false, true);
    Iop__Profile__GetProfileInformationResponse *g = m->response->get_profile_information;
    assert_int_equal(g->n_application_services, 50);
    assert_string_equal(g->application_services[0], "svc00");
    assert_string_equal(g->application_services[7], "svc08");
    assert_string_equal(g->application_services[49], "svc50");
    iop__common__message__free_unpacked(m, NULL);
    m = do_get(a.cl, a.iid, false, false, false);
    assert_int_equal(m->response->get_profile_information->n_application_services, 0);
    iop__common__message__free_unpacked(m, NULL);
    user_free(&a);
}

static void test_quota(void **state)
{
    struct fixture *f = *state;
    struct user u[3];
    for (unsigned i = 0; i < 3; i++) user_connect(f, &u[i], 600 + i);
    assert_int_equal(do_register(&u[0], "", "person"), ST(OK));
    assert_int_equal(do_register(&u[1], "", "person"), ST(OK));
    assert_int_equal(do_register(&u[2], "", "person"), ST(ERROR_QUOTA_EXCEEDED));
    assert_int_equal(simple(&u[0], IOP__COMMON__REQUEST__KIND_CANCEL_HOSTING_AGREEMENT),
                     ST(OK));
    assert_int_equal(do_register(&u[2], "", "person"), ST(OK));

    struct profile_service_info info;
    profile_service_get_info(f->ps, &info);
    assert_int_equal(info.hosted, 2);
    assert_int_equal(info.max_hosted, 2);
    assert_int_equal(info.port, f->port);
    for (unsigned i = 0; i < 3; i++) user_free(&u[i]);
}

static void test_restart_keeps_everything(void **state)
{
    struct fixture *f = *state;
    struct user a;
    user_connect(f, &a, 700);
    assert_int_equal(do_register(&a, "basic", "person"), ST(OK));
    uint8_t img[64];
    size_t ilen = make_png(img, 3, 4, 0);
    struct upd p = {.name = "Persistent",
                    .extra = "e",
                    .lat = 1,
                    .lon = -2,
                    .image = img,
                    .image_len = ilen};
    char d[128];
    assert_int_equal(do_update(f, &a, &p, d, sizeof d), ST(OK));
    const char *svc[] = {"chat", "wallet"};
    assert_int_equal(app_add(&a, svc, 2), ST(OK));
    assert_int_equal(simple(&a, IOP__COMMON__REQUEST__KIND_CHECK_IN), ST(OK));
    user_free(&a);

    server_stop(f);
    server_start(f);

    struct user b;
    user_connect(f, &b, 700);
    Iop__Common__Message *m = do_get(b.cl, b.iid, true, false, true);
    assert_int_equal(m->response->status, ST(OK));
    Iop__Profile__GetProfileInformationResponse *g = m->response->get_profile_information;
    assert_false(g->is_online); /* presence does not survive a restart */
    assert_string_equal(g->plan, "basic");
    assert_string_equal(g->profile->name, "Persistent");
    assert_string_equal(g->profile->extra_data, "e");
    assert_int_equal(g->profile->latitude, 1);
    assert_int_equal(g->profile->longitude, -2);
    assert_int_equal(g->profile->version, 1);
    assert_int_equal(g->image.len, ilen);
    assert_memory_equal(g->image.data, img, ilen);
    assert_int_equal(g->n_application_services, 2);
    iop__common__message__free_unpacked(m, NULL);
    /* The indexes came back too. */
    Iop__Profile__ProfileSearchRequest s = IOP__PROFILE__PROFILE_SEARCH_REQUEST__INIT;
    s.name = "pers*";
    s.use_location = true;
    s.latitude = 0;
    s.longitude = 0;
    s.radius = 100;
    char got[128];
    search_names(b.cl, &s, got, sizeof got);
    assert_string_equal(got, "Persistent");
    assert_int_equal(do_register(&b, "", "person"), ST(ERROR_ALREADY_EXISTS));
    b.version = 1;
    p.image_len = 0;
    assert_int_equal(do_update(f, &b, &p, d, sizeof d), ST(OK));
    user_free(&b);
}

static void test_store_schema_version(void **state)
{
    (void)state;
    char *dir = test_make_tmpdir("iop-profile-store");
    char err[256];
    struct profile_store *st = profile_store_open(dir, err, sizeof err);
    if (!st) fail_msg("open: %s", err);
    size_t hosted = 9, online = 9;
    assert_true(profile_store_counts(st, &hosted, &online, err, sizeof err));
    assert_int_equal(hosted, 0);
    assert_int_equal(online, 0);
    profile_store_close(st);
    /* A store from a future version is refused, not reinterpreted. */
    char path[512], cmd[640];
    snprintf(path, sizeof path, "%s/%s", dir, PROFILE_STORE_FILE);
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' \"UPDATE meta SET value = 99\" 2>/dev/null", path);
    if (system(cmd) == 0) {
        st = profile_store_open(dir, err, sizeof err);
        assert_null(st);
        assert_non_null(strstr(err, "schema version 99"));
    }
    test_remove_tree(dir);
    free(dir);
}

static void test_rpc_info(void **state)
{
    struct fixture *f = *state;
    struct rpc_table t = profile_rpc_table(f->ps);
    assert_int_equal(t.count, 1);
    json_t *params = json_array(), *result = NULL;
    struct rpc_error e = {0};
    assert_true(rpc_method_call(&t.methods[0], t.ctx, params, &result, &e));
    assert_true(json_is_true(json_object_get(result, "enabled")));
    assert_int_equal(json_integer_value(json_object_get(result, "port")), f->port);
    assert_int_equal(strlen(json_string_value(json_object_get(result, "identity"))), 64);
    assert_int_equal(json_array_size(json_object_get(result, "plans")), 2);
    json_decref(result);
    t = profile_rpc_table(NULL);
    assert_true(rpc_method_call(&t.methods[0], t.ctx, params, &result, &e));
    assert_true(json_is_false(json_object_get(result, "enabled")));
    assert_null(json_object_get(result, "port"));
    json_decref(result);
    json_decref(params);
}

static void daemon_handshake(const struct profile_daemon *d, const struct identity_key *k,
                             uint8_t server_key[32])
{
    char err[256];
    struct svc_client *cl = svc_client_connect("127.0.0.1", profile_daemon_port(d),
                                               CLIENT_TIMEOUT_MS, err, sizeof err);
    if (!cl) fail_msg("connect: %s", err);
    if (!svc_client_handshake(cl, k, server_key, err, sizeof err)) fail_msg("%s", err);
    svc_client_free(cl);
}

static void test_daemon_identity_persists(void **state)
{
    (void)state;
    char *dir = test_make_tmpdir("iop-profile-daemon");
    char sub[512];
    snprintf(sub, sizeof sub, "%s/regtest/profile", dir);
    uint8_t secret[32];
    memset(secret, 0x42, 32);
    char err[256];
    struct identity_key *k = identity_key_from_secret(secret, err, sizeof err);
    struct profile_daemon_config cfg = {.dir = sub, .bind = "127.0.0.1", .max_hosted = 5};
    struct profile_daemon *d = profile_daemon_start(&cfg, err, sizeof err);
    if (!d) fail_msg("start: %s", err);
    uint8_t key1[32], key2[32];
    daemon_handshake(d, k, key1);
    struct profile_service_info info;
    profile_service_get_info(profile_daemon_service(d), &info);
    assert_true(info.has_key);
    assert_memory_equal(info.server_key, key1, 32);
    assert_int_equal(info.port, profile_daemon_port(d));
    assert_int_equal(info.max_hosted, 5);
    assert_string_equal(info.plans[0], "free");
    profile_daemon_stop(d);

    d = profile_daemon_start(&cfg, err, sizeof err);
    if (!d) fail_msg("restart: %s", err);
    daemon_handshake(d, k, key2);
    assert_memory_equal(key1, key2, 32);
    profile_daemon_stop(d);

    /* A damaged key file stops the start instead of being replaced. */
    char path[600];
    snprintf(path, sizeof path, "%s/%s", sub, PROFILE_IDENTITY_FILE);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("short", fp);
    fclose(fp);
    assert_null(profile_daemon_start(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "32-byte"));
    identity_key_free(k);
    test_remove_tree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_utf8_glob),
        cmocka_unit_test(test_check_images),
        cmocka_unit_test(test_check_distance),
        cmocka_unit_test(test_check_signed_digest),
        cmocka_unit_test(test_store_schema_version),
        cmocka_unit_test_setup_teardown(test_register_get_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_images, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_criteria, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_thumbnails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_results_expire, setup_short_ttl, teardown),
        cmocka_unit_test_setup_teardown(test_check_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_app_services, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quota, setup_quota, teardown),
        cmocka_unit_test_setup_teardown(test_restart_keeps_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rpc_info, setup, teardown),
        cmocka_unit_test(test_daemon_identity_persists),
    };
    if (evthread_use_pthreads() != 0) return 1;
    signal(SIGPIPE, SIG_IGN);
    int rc = cmocka_run_group_tests_name("profile_tests", tests, NULL, NULL);
    libevent_global_shutdown();
    return rc;
}
