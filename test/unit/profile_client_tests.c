/* Tests of the profile service client library (src/services/client) against a real
 * profile service on a TLS loopback server: identity files, endpoints, hosting, signed
 * updates with images, get, search by name and radius with paging, check-in presence,
 * application services, cancel, and every kind of failure with its status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "consensus/hash.h"
#include "services/client/profile_client.h"
#include "services/common/conn.h"
#include "services/common/identity.h"
#include "services/profile/profile_check.h"
#include "services/profile/profile_service.h"
#include "test_util.h"

#define TIMEOUT_MS 10000
#define ST(x)      IOP__COMMON__STATUS__##x

struct fixture {
    char *dir, *store_dir;
    struct identity_key *server_key;
    struct event_base *base;
    struct svc_server *server;
    struct profile_service *ps;
    pthread_t thread;
    uint16_t port;
};

static void *loop_thread(void *arg)
{
    struct fixture *f = arg;
    event_base_dispatch(f->base);
    return NULL;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->dir = test_make_tmpdir("iop-profile-client");
    size_t n = strlen(f->dir) + 16;
    f->store_dir = malloc(n);
    snprintf(f->store_dir, n, "%s/profile", f->dir);
    uint8_t secret[32];
    memset(secret, 0x3c, 32);
    char err[256];
    f->server_key = identity_key_from_secret(secret, err, sizeof err);
    assert_non_null(f->server_key);
    struct profile_service_config pcfg = {.store_dir = f->store_dir};
    f->ps = profile_service_new(&pcfg, err, sizeof err);
    if (!f->ps) fail_msg("profile_service_new: %s", err);
    struct svc_server_config cfg = {0};
    cfg.bind = "127.0.0.1";
    cfg.cert_dir = f->dir;
    cfg.identity = f->server_key;
    /* What ListRoles reports is configuration; these values only need to come back. */
    static const struct svc_role roles[] = {{IOP__COMMON__SERVICE_TYPE__SERVICE_PROFILE, 16988},
                                            {IOP__COMMON__SERVICE_TYPE__SERVICE_RELAY, 3478}};
    cfg.roles = roles;
    cfg.nroles = 2;
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
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    event_base_loopexit(f->base, NULL);
    pthread_join(f->thread, NULL);
    svc_server_free(f->server);
    event_base_free(f->base);
    profile_service_free(f->ps);
    test_remove_tree(f->dir);
    free(f->dir);
    free(f->store_dir);
    identity_key_free(f->server_key);
    free(f);
    return 0;
}

/* A client for the identity derived from seed (NULL-free), or anonymous for seed 0. */
static struct profile_client *client(const struct fixture *f, unsigned seed)
{
    char err[256];
    uint8_t secret[32];
    if (seed) {
        uint8_t s[4] = {(uint8_t)seed, (uint8_t)(seed >> 8), 0x11, 0x22};
        sha256(s, sizeof s, secret);
    }
    struct profile_client *pc = profile_client_connect(
        "127.0.0.1", f->port, seed ? secret : NULL, TIMEOUT_MS, err, sizeof err);
    if (!pc) fail_msg("profile_client_connect: %s", err);
    return pc;
}

static const char *hex32(const uint8_t b[32]) { return test_hex(b, 32); }

/* The JSON helpers fail the test with the client's error text. */
/* out is passed by address so it is read after the call that fills it has run. */
static json_t *ok(int st, json_t **out, const char *err)
{
    if (st != 0) fail_msg("call failed: %s: %s", profile_client_status_name(st), err);
    assert_non_null(*out);
    return *out;
}

static void ok_free(int st, json_t **out, const char *err) { json_decref(ok(st, out, err)); }

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s) fail_msg("no string %s", key);
    return s;
}

static json_int_t jint(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) fail_msg("no integer %s", key);
    return json_integer_value(v);
}

static size_t make_png(uint8_t *out, uint32_t w, uint32_t h)
{
    static const uint8_t head[16] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                     0,    0,   0,   13,  'I',  'H',  'D',  'R'};
    memcpy(out, head, 16);
    for (int i = 0; i < 4; i++) {
        out[16 + i] = (uint8_t)(w >> (24 - 8 * i));
        out[20 + i] = (uint8_t)(h >> (24 - 8 * i));
    }
    static const uint8_t tail[9] = {8, 6, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
    memcpy(out + 24, tail, 9);
    return 33;
}

/* Registers and publishes a profile for a connected identity. */
static void publish(struct profile_client *pc, const char *name, int32_t lat, int32_t lon)
{
    char err[256];
    json_t *out;
    ok_free(profile_client_register_hosting(pc, NULL, "person", &out, err, sizeof err), &out,
            err);
    struct profile_client_update u = {.name = name, .latitude = lat, .longitude = lon};
    ok_free(profile_client_update_profile(pc, &u, &out, err, sizeof err), &out, err);
}

/* ---- Without a server ---- */

static void test_identity_file(void **state)
{
    (void)state;
    char *dir = test_make_tmpdir("iop-client-id");
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/id.key", dir);
    uint8_t s1[32], s2[32];
    bool created = true;
    assert_false(profile_client_identity_file(path, false, s1, &created, err, sizeof err));
    assert_non_null(strstr(err, "does not exist"));
    assert_false(created);

    assert_true(profile_client_identity_file(path, true, s1, &created, err, sizeof err));
    assert_true(created);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 32);
    /* Asking to create again reuses the file; it never replaces a key. */
    assert_true(profile_client_identity_file(path, true, s2, &created, err, sizeof err));
    assert_false(created);
    assert_memory_equal(s1, s2, 32);
    assert_true(profile_client_identity_file(path, false, s2, NULL, err, sizeof err));
    assert_memory_equal(s1, s2, 32);

    /* Wrong length, and a zero secret (not a valid key). */
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("short", fp);
    fclose(fp);
    assert_false(profile_client_identity_file(path, true, s2, NULL, err, sizeof err));
    assert_non_null(strstr(err, "32-byte"));
    fp = fopen(path, "wb");
    static const uint8_t zero[32];
    assert_int_equal(fwrite(zero, 1, 32, fp), 32);
    fclose(fp);
    assert_false(profile_client_identity_file(path, false, s2, NULL, err, sizeof err));
    assert_non_null(strstr(err, "valid secret"));
    test_remove_tree(dir);
    free(dir);
}

static void test_parse_endpoint(void **state)
{
    (void)state;
    struct {
        const char *in;
        bool ok;
        const char *host;
        uint16_t port;
    } cases[] = {
        {"127.0.0.1:16988", true, "127.0.0.1", 16988},
        {"10.1.2.3", true, "10.1.2.3", PROFILE_CLIENT_DEFAULT_PORT},
        {"[::1]:7000", true, "::1", 7000},
        {"[::1]", true, "::1", PROFILE_CLIENT_DEFAULT_PORT},
        {"::1", true, "::1", PROFILE_CLIENT_DEFAULT_PORT},
        {"127.0.0.1:0", false, NULL, 0},
        {"127.0.0.1:65536", false, NULL, 0},
        {"127.0.0.1:x", false, NULL, 0},
        {"127.0.0.1:", false, NULL, 0},
        {":80", false, NULL, 0},
        {"[::1", false, NULL, 0},
        {"[::1]x", false, NULL, 0},
        {"", false, NULL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char host[64];
        uint16_t port = 0;
        bool got = profile_client_parse_endpoint(cases[i].in, host, sizeof host, &port);
        if (got != cases[i].ok) fail_msg("endpoint '%s'", cases[i].in);
        if (!got) continue;
        assert_string_equal(host, cases[i].host);
        assert_int_equal(port, cases[i].port);
    }
    test_report_count("endpoint cases", sizeof cases / sizeof cases[0]);
    assert_string_equal(profile_client_status_name(ST(ERROR_NOT_FOUND)), "ERROR_NOT_FOUND");
    assert_string_equal(profile_client_status_name(PROFILE_CLIENT_TRANSPORT), "TRANSPORT");
    assert_string_equal(profile_client_status_name(PROFILE_CLIENT_LOCAL), "LOCAL");
}

/* ---- Against the loopback server ---- */

static void test_ping_roles_anonymous(void **state)
{
    struct fixture *f = *state;
    struct profile_client *pc = client(f, 0);
    char err[256];
    json_t *out;
    uint8_t id[32];
    assert_false(profile_client_has_identity(pc));
    assert_false(profile_client_identity_id(pc, id));
    out = ok(profile_client_ping(pc, "hi there", &out, err, sizeof err), &out, err);
    assert_string_equal(jstr(out, "payload"), "hi there");
    assert_true(jint(out, "clock") > 1600000000000LL);
    json_decref(out);
    out = ok(profile_client_list_roles(pc, &out, err, sizeof err), &out, err);
    assert_int_equal(json_array_size(out), 2);
    assert_string_equal(jstr(json_array_get(out, 0), "service"), "profile");
    assert_int_equal(jint(json_array_get(out, 0), "port"), 16988);
    assert_string_equal(jstr(json_array_get(out, 1), "service"), "relay");
    assert_int_equal(jint(json_array_get(out, 1), "port"), 3478);
    json_decref(out);

    /* Refused before sending: too long a payload; calls that need an identity. */
    char big[SVC_PING_PAYLOAD_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(profile_client_ping(pc, big, &out, err, sizeof err), PROFILE_CLIENT_LOCAL);
    assert_null(out);
    assert_int_equal(profile_client_register_hosting(pc, NULL, "person", &out, err, sizeof err),
                     PROFILE_CLIENT_LOCAL);
    assert_non_null(strstr(err, "identity"));
    struct profile_client_update u = {.name = "x"};
    assert_int_equal(profile_client_update_profile(pc, &u, &out, err, sizeof err),
                     PROFILE_CLIENT_LOCAL);
    /* The connection still works after local refusals. */
    ok_free(profile_client_ping(pc, NULL, &out, err, sizeof err), &out, err);
    profile_client_free(pc);
    profile_client_free(NULL);
}

static void test_connect_failures(void **state)
{
    struct fixture *f = *state;
    char err[256];
    /* Port 1 on loopback: nothing listens there. */
    struct profile_client *pc =
        profile_client_connect("127.0.0.1", 1, NULL, TIMEOUT_MS, err, sizeof err);
    assert_null(pc);
    assert_non_null(strstr(err, "cannot connect"));
    /* Not a numeric address. */
    pc =
        profile_client_connect("localhost.invalid", f->port, NULL, TIMEOUT_MS, err, sizeof err);
    assert_null(pc);
}

static void test_register_update_get(void **state)
{
    struct fixture *f = *state;
    struct profile_client *pc = client(f, 1);
    char err[256];
    json_t *out;
    uint8_t pk[32], iid[32], skey[32], spk[32];
    assert_true(profile_client_has_identity(pc));
    assert_true(profile_client_public_key(pc, pk));
    assert_true(profile_client_identity_id(pc, iid));
    uint8_t want[32];
    sha256(pk, 32, want);
    assert_memory_equal(iid, want, 32);
    assert_true(profile_client_server_key(pc, skey));
    identity_key_public(f->server_key, spk);
    assert_memory_equal(skey, spk, 32);

    /* Not hosted yet: get is NOT_FOUND, and so is an update, whose version lookup
     * comes first. */
    assert_int_equal(profile_client_get_profile(pc, iid, 0, &out, err, sizeof err),
                     ST(ERROR_NOT_FOUND));
    assert_null(out);
    struct profile_client_update u = {.name = "Alice"};
    assert_int_equal(profile_client_update_profile(pc, &u, &out, err, sizeof err),
                     ST(ERROR_NOT_FOUND));

    out =
        ok(profile_client_register_hosting(pc, "", "person", &out, err, sizeof err), &out, err);
    assert_string_equal(jstr(out, "plan"), "free");
    assert_true(jint(out, "agreement_time") > 1600000000LL);
    assert_string_equal(jstr(out, "identity_id"), hex32(iid));
    json_decref(out);
    assert_int_equal(profile_client_register_hosting(pc, NULL, "person", &out, err, sizeof err),
                     ST(ERROR_ALREADY_EXISTS));
    assert_int_equal(profile_client_cancel_hosting(pc, &out, err, sizeof err), 0);
    json_decref(out);
    assert_int_equal(
        profile_client_register_hosting(pc, "gold", "person", &out, err, sizeof err),
        ST(ERROR_INVALID_VALUE));
    assert_string_equal(err, "plan");
    ok_free(profile_client_register_hosting(pc, NULL, "person", &out, err, sizeof err), &out,
            err);

    /* Version 0 before the first update, without a signature. */
    out = ok(profile_client_get_profile(pc, iid, 0, &out, err, sizeof err), &out, err);
    assert_int_equal(jint(out, "version"), 0);
    assert_string_equal(jstr(out, "type"), "person");
    assert_true(json_is_false(json_object_get(out, "signature_valid")));
    json_decref(out);

    /* Update with an image and a thumbnail; the type comes from the server. */
    uint8_t img[64], thumb[64], ih[32];
    size_t ilen = make_png(img, 64, 48), tlen = make_png(thumb, 8, 6);
    thumb[30] = 0x01; /* a different CRC, so a different hash */
    u = (struct profile_client_update){.name = "Alice",
                                       .latitude = 50087451,
                                       .longitude = 14420671,
                                       .extra_data = "lang=cs",
                                       .image = img,
                                       .image_len = ilen,
                                       .thumbnail = thumb,
                                       .thumbnail_len = tlen};
    out = ok(profile_client_update_profile(pc, &u, &out, err, sizeof err), &out, err);
    assert_int_equal(jint(out, "version"), 1);
    assert_string_equal(jstr(out, "identity_id"), hex32(iid));
    json_decref(out);
    out = ok(profile_client_update_profile(pc, &u, &out, err, sizeof err), &out, err);
    assert_int_equal(jint(out, "version"), 2);
    json_decref(out);

    /* Anyone can read it back, signature checked on the client side. */
    struct profile_client *anon = client(f, 0);
    out =
        ok(profile_client_get_profile(anon, iid,
                                      PROFILE_CLIENT_GET_IMAGE | PROFILE_CLIENT_GET_THUMBNAIL |
                                          PROFILE_CLIENT_GET_APPS,
                                      &out, err, sizeof err),
           &out, err);
    assert_int_equal(jint(out, "version"), 2);
    assert_string_equal(jstr(out, "name"), "Alice");
    assert_string_equal(jstr(out, "extra_data"), "lang=cs");
    assert_string_equal(jstr(out, "public_key"), hex32(pk));
    assert_string_equal(jstr(out, "identity_id"), hex32(iid));
    assert_true(json_is_true(json_object_get(out, "signature_valid")));
    assert_true(fabs(json_real_value(json_object_get(out, "latitude")) - 50.087451) < 1e-9);
    assert_true(fabs(json_real_value(json_object_get(out, "longitude")) - 14.420671) < 1e-9);
    sha256(img, ilen, ih);
    assert_string_equal(jstr(out, "image_hash"), hex32(ih));
    assert_string_equal(jstr(out, "image"), test_hex(img, ilen));
    assert_string_equal(jstr(out, "thumbnail"), test_hex(thumb, tlen));
    assert_false(json_is_true(json_object_get(out, "online")));
    assert_int_equal(json_array_size(json_object_get(out, "application_services")), 0);
    json_decref(out);

    /* A search with thumbnails carries this one's bytes; without, none. */
    struct profile_client_search s = {.name = "alice", .include_thumbnails = true};
    out = ok(profile_client_search(anon, &s, &out, err, sizeof err), &out, err);
    assert_int_equal(jint(out, "total"), 1);
    json_t *hit = json_array_get(json_object_get(out, "profiles"), 0);
    assert_string_equal(jstr(hit, "thumbnail"), test_hex(thumb, tlen));
    assert_string_equal(jstr(hit, "identity_id"), hex32(iid));
    json_decref(out);
    s.include_thumbnails = false;
    out = ok(profile_client_search(anon, &s, &out, err, sizeof err), &out, err);
    hit = json_array_get(json_object_get(out, "profiles"), 0);
    assert_null(json_object_get(hit, "thumbnail"));
    assert_true(json_is_true(json_object_get(hit, "signature_valid")));
    json_decref(out);

    /* Errors come back with their status and details. */
    u = (struct profile_client_update){.type = "shop", .name = "Alice"};
    assert_int_equal(profile_client_update_profile(pc, &u, &out, err, sizeof err),
                     ST(ERROR_INVALID_VALUE));
    assert_string_equal(err, "profile.type");
    uint8_t bad[64];
    memcpy(bad, img, ilen);
    bad[1] = 'J'; /* not a PNG any more */
    u = (struct profile_client_update){.name = "Alice", .image = bad, .image_len = ilen};
    assert_int_equal(profile_client_update_profile(pc, &u, &out, err, sizeof err),
                     ST(ERROR_INVALID_VALUE));
    assert_string_equal(err, "image");
    u = (struct profile_client_update){.name = "Alice", .latitude = 90000001};
    assert_int_equal(profile_client_update_profile(pc, &u, &out, err, sizeof err),
                     PROFILE_CLIENT_LOCAL);
    /* A failed update leaves the stored version where it was. */
    out = ok(profile_client_get_profile(anon, iid, 0, &out, err, sizeof err), &out, err);
    assert_int_equal(jint(out, "version"), 2);
    json_decref(out);
    uint8_t nobody[32] = {0};
    assert_int_equal(profile_client_get_profile(anon, nobody, 0, &out, err, sizeof err),
                     ST(ERROR_NOT_FOUND));

    /* Cancel deletes it. */
    ok_free(profile_client_cancel_hosting(pc, &out, err, sizeof err), &out, err);
    assert_int_equal(profile_client_get_profile(anon, iid, 0, &out, err, sizeof err),
                     ST(ERROR_NOT_FOUND));
    assert_int_equal(profile_client_cancel_hosting(pc, &out, err, sizeof err),
                     ST(ERROR_NOT_FOUND));
    profile_client_free(anon);
    profile_client_free(pc);
}

/* Metres north of a latitude, in 1e-6 degrees, on the service's sphere. */
static int32_t north_e6(double metres)
{
    return (int32_t)lround(metres / (PROFILE_EARTH_RADIUS_M * M_PI / 180.0) * 1e6);
}

static int cmp_json_name(const void *a, const void *b)
{
    return strcmp(jstr(*(json_t *const *)a, "name"), jstr(*(json_t *const *)b, "name"));
}

static void test_search_paging(void **state)
{
    struct fixture *f = *state;
    const int32_t lat0 = 48856600, lon0 = 2352200; /* Paris */
    /* Seven people inside 5 km at known distances, two outside. */
    static const struct {
        const char *name;
        double metres;
    } people[] = {{"Ada", 0},       {"Adam", 900},   {"Adele", 1800},
                  {"Adrian", 2700}, {"Agnes", 3600}, {"Alba", 4500},
                  {"Alfred", 4990}, {"Alma", 5200},  {"Bruno", 100000}};
    const size_t n = sizeof people / sizeof people[0];
    struct profile_client *pcs[9];
    for (size_t i = 0; i < n; i++) {
        pcs[i] = client(f, 100 + (unsigned)i);
        publish(pcs[i], people[i].name, lat0 + north_e6(people[i].metres), lon0);
    }
    struct profile_client *anon = client(f, 0);
    char err[256];
    json_t *out;

    /* Before any search there is nothing to page through. */
    assert_int_equal(profile_client_search_part(anon, 0, 10, &out, err, sizeof err),
                     ST(ERROR_NOT_AVAILABLE));

    struct profile_client_search s = {.use_location = true,
                                      .latitude = lat0,
                                      .longitude = lon0,
                                      .radius = 5000,
                                      .max_response = 3};
    out = ok(profile_client_search(anon, &s, &out, err, sizeof err), &out, err);
    assert_int_equal(jint(out, "total"), 7);
    json_t *all = json_deep_copy(json_object_get(out, "profiles"));
    assert_int_equal(json_array_size(all), 3);
    json_decref(out);
    for (uint32_t off = 3; off < 7; off += 3) {
        out = ok(profile_client_search_part(anon, off, 3, &out, err, sizeof err), &out, err);
        assert_int_equal(jint(out, "offset"), off);
        json_array_extend(all, json_object_get(out, "profiles"));
        json_decref(out);
    }
    assert_int_equal(json_array_size(all), 7);
    json_t *items[7];
    for (size_t i = 0; i < 7; i++) items[i] = json_array_get(all, i);
    qsort(items, 7, sizeof items[0], cmp_json_name);
    for (size_t i = 0; i < 7; i++) {
        assert_string_equal(jstr(items[i], "name"), people[i].name);
        assert_true(json_is_true(json_object_get(items[i], "signature_valid")));
        assert_int_equal(strlen(jstr(items[i], "identity_id")), 64);
    }
    json_decref(all);

    /* A page past the end and a bad count are refused with the field. */
    assert_int_equal(profile_client_search_part(anon, 7, 3, &out, err, sizeof err),
                     ST(ERROR_INVALID_VALUE));
    assert_string_equal(err, "offset");
    assert_int_equal(profile_client_search_part(anon, 0, 0, &out, err, sizeof err),
                     ST(ERROR_INVALID_VALUE));
    assert_string_equal(err, "count");

    /* By name, combined with the circle. */
    s = (struct profile_client_search){.name = "al*"};
    out = ok(profile_client_search(anon, &s, &out, err, sizeof err), &out, err);
    assert_int_equal(jint(out, "total"), 3); /* Alba, Alfred, Alma */
    json_decref(out);
    s.use_location = true;
    s.latitude = lat0;
    s.longitude = lon0;
    s.radius = 5000;
    out = ok(profile_client_search(anon, &s, &out, err, sizeof err), &out, err);
    assert_int_equal(jint(out, "total"), 2); /* Alma is 5.2 km away */
    json_decref(out);
    s.radius = 0;
    assert_int_equal(profile_client_search(anon, &s, &out, err, sizeof err),
                     ST(ERROR_INVALID_VALUE));
    assert_string_equal(err, "radius");

    for (size_t i = 0; i < n; i++) profile_client_free(pcs[i]);
    profile_client_free(anon);
}

static bool online(struct profile_client *pc, const uint8_t iid[32])
{
    char err[256];
    json_t *out;
    out = ok(profile_client_get_profile(pc, iid, 0, &out, err, sizeof err), &out, err);
    bool on = json_is_true(json_object_get(out, "online"));
    json_decref(out);
    return on;
}

static void test_check_in_and_apps(void **state)
{
    struct fixture *f = *state;
    struct profile_client *pc = client(f, 7), *anon = client(f, 0);
    char err[256];
    json_t *out;
    uint8_t iid[32];
    assert_true(profile_client_identity_id(pc, iid));
    /* Not hosted: check-in is refused with its status. */
    assert_int_equal(profile_client_check_in(pc, &out, err, sizeof err),
                     ST(ERROR_UNAUTHORIZED));
    assert_string_equal(err, "identity not hosted");
    publish(pc, "Carol", 0, 0);
    assert_false(online(anon, iid));
    out = ok(profile_client_check_in(pc, &out, err, sizeof err), &out, err);
    assert_int_equal(json_object_size(out), 0);
    json_decref(out);
    assert_true(online(anon, iid));

    static const char *const names[] = {"chat", "wallet"};
    ok_free(profile_client_app_add(pc, names, 2, &out, err, sizeof err), &out, err);
    assert_int_equal(profile_client_app_add(pc, names, 1, &out, err, sizeof err),
                     ST(ERROR_ALREADY_EXISTS));
    ok_free(profile_client_app_remove(pc, "chat", &out, err, sizeof err), &out, err);
    assert_int_equal(profile_client_app_remove(pc, "chat", &out, err, sizeof err),
                     ST(ERROR_NOT_FOUND));
    out = ok(
        profile_client_get_profile(anon, iid, PROFILE_CLIENT_GET_APPS, &out, err, sizeof err),
        &out, err);
    json_t *apps = json_object_get(out, "application_services");
    assert_int_equal(json_array_size(apps), 1);
    assert_string_equal(json_string_value(json_array_get(apps, 0)), "wallet");
    json_decref(out);

    /* Closing the connection ends the presence; the server learns it asynchronously,
     * so ask until it has (bounded, not timed). */
    profile_client_free(pc);
    bool off = false;
    for (int i = 0; i < 500 && !off; i++) {
        off = !online(anon, iid);
        if (!off) usleep(10000);
    }
    assert_true(off);
    profile_client_free(anon);
}

/* A server that goes away: the next call is a transport failure, not a status. */
static void test_server_gone(void **state)
{
    struct fixture *f = *state;
    struct profile_client *pc = client(f, 0);
    char err[256];
    json_t *out;
    ok_free(profile_client_ping(pc, "x", &out, err, sizeof err), &out, err);
    event_base_loopexit(f->base, NULL);
    pthread_join(f->thread, NULL);
    svc_server_free(f->server);
    f->server = NULL;
    assert_int_equal(profile_client_ping(pc, "x", &out, err, sizeof err),
                     PROFILE_CLIENT_TRANSPORT);
    assert_null(out);
    profile_client_free(pc);
    /* teardown joins the thread again: start an idle one to keep it simple. */
    assert_int_equal(pthread_create(&f->thread, NULL, loop_thread, f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_file),
        cmocka_unit_test(test_parse_endpoint),
        cmocka_unit_test_setup_teardown(test_ping_roles_anonymous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_update_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_in_and_apps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_gone, setup, teardown),
    };
    if (evthread_use_pthreads() != 0) return 1;
    signal(SIGPIPE, SIG_IGN);
    int rc = cmocka_run_group_tests_name("profile_client_tests", tests, NULL, NULL);
    libevent_global_shutdown();
    return rc;
}
