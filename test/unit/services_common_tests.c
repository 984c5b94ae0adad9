/* Tests of the services transport: framing, identity signatures, and (on loopback) the
 * TLS server with its conversation handshake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/common/conn.h"
#include "services/common/frame.h"
#include "services/common/identity.h"
#include "services/common/tls.h"
#include "test_util.h"

/* ---- Framing ---- */

/* Appends a frame with the given payload to buf at *n. */
static void put_frame(uint8_t *buf, size_t *n, const uint8_t *payload, uint32_t len)
{
    frame_write_header(buf + *n, len);
    if (len) memcpy(buf + *n + FRAME_HEADER_SIZE, payload, len);
    *n += FRAME_HEADER_SIZE + len;
}

struct collected {
    size_t count;
    size_t lens[8];
    uint8_t data[8][64];
};

/* Feeds one chunk, collecting every frame it completes. Fails the test on error. */
static void feed_chunk(struct frame_decoder *d, const uint8_t *p, size_t len,
                       struct collected *c)
{
    char err[128];
    while (true) {
        size_t used = 0;
        enum frame_status st = frame_decoder_feed(d, p, len, &used, err, sizeof err);
        assert_int_not_equal(st, FRAME_ERROR);
        assert_true(used <= len);
        p += used;
        len -= used;
        if (st == FRAME_NEED_MORE) {
            assert_int_equal(len, 0);
            return;
        }
        size_t plen;
        const uint8_t *payload = frame_decoder_payload(d, &plen);
        assert_non_null(payload);
        assert_true(c->count < 8 && plen <= 64);
        c->lens[c->count] = plen;
        memcpy(c->data[c->count], payload, plen);
        c->count++;
        if (len == 0) return;
    }
}

static void check_three_frames(const struct collected *c, const uint8_t *a, size_t alen,
                               const uint8_t *b, size_t blen)
{
    assert_int_equal(c->count, 3);
    assert_int_equal(c->lens[0], alen);
    assert_memory_equal(c->data[0], a, alen);
    assert_int_equal(c->lens[1], 0);
    assert_int_equal(c->lens[2], blen);
    assert_memory_equal(c->data[2], b, blen);
}

static void test_frame_every_split_point(void **state)
{
    (void)state;
    const uint8_t a[] = "first frame payload";
    const uint8_t b[] = {0x00, 0x01, 0x02, 0xff, 0xfe, 0x80, 0x7f};
    uint8_t stream[128];
    size_t n = 0;
    put_frame(stream, &n, a, sizeof a);
    put_frame(stream, &n, NULL, 0);
    put_frame(stream, &n, b, sizeof b);

    /* One split at every position, then two splits at every pair of positions. */
    for (size_t i = 0; i <= n; i++) {
        struct frame_decoder d;
        frame_decoder_init(&d, FRAME_MAX_SIZE);
        struct collected c = {0};
        feed_chunk(&d, stream, i, &c);
        feed_chunk(&d, stream + i, n - i, &c);
        check_three_frames(&c, a, sizeof a, b, sizeof b);
        assert_true(frame_decoder_idle(&d));
        frame_decoder_clear(&d);
    }
    size_t cases = 0;
    for (size_t i = 0; i <= n; i++) {
        for (size_t j = i; j <= n; j++) {
            struct frame_decoder d;
            frame_decoder_init(&d, FRAME_MAX_SIZE);
            struct collected c = {0};
            feed_chunk(&d, stream, i, &c);
            feed_chunk(&d, stream + i, j - i, &c);
            feed_chunk(&d, stream + j, n - j, &c);
            check_three_frames(&c, a, sizeof a, b, sizeof b);
            frame_decoder_clear(&d);
            cases++;
        }
    }
    /* Byte by byte. */
    struct frame_decoder d;
    frame_decoder_init(&d, FRAME_MAX_SIZE);
    struct collected c = {0};
    for (size_t i = 0; i < n; i++) {
        feed_chunk(&d, stream + i, 1, &c);
        if (i == 0) assert_false(frame_decoder_idle(&d));
    }
    check_three_frames(&c, a, sizeof a, b, sizeof b);
    frame_decoder_clear(&d);
    test_report_count("frame split pairs", cases);
}

static void test_frame_zero_length(void **state)
{
    (void)state;
    struct frame_decoder d;
    frame_decoder_init(&d, FRAME_MAX_SIZE);
    const uint8_t zero[4] = {0, 0, 0, 0};
    size_t used, len = 99;
    char err[128];
    assert_int_equal(frame_decoder_feed(&d, zero, 3, &used, err, sizeof err), FRAME_NEED_MORE);
    assert_int_equal(used, 3);
    assert_null(frame_decoder_payload(&d, &len));
    assert_int_equal(len, 0);
    assert_false(frame_decoder_idle(&d));
    assert_int_equal(frame_decoder_feed(&d, zero + 3, 1, &used, err, sizeof err), FRAME_READY);
    assert_int_equal(used, 1);
    assert_non_null(frame_decoder_payload(&d, &len));
    assert_int_equal(len, 0);
    assert_null(d.buf);
    /* An empty payload is a valid protobuf but an empty envelope: a protocol violation. */
    Iop__Common__Message *m = NULL;
    assert_false(frame_decode_message(frame_decoder_payload(&d, &len), 0, &m, err, sizeof err));
    assert_null(m);
    assert_non_null(strstr(err, "neither"));
    frame_decoder_clear(&d);
}

static void test_frame_exactly_max(void **state)
{
    (void)state;
    size_t n = FRAME_HEADER_SIZE + FRAME_MAX_SIZE;
    uint8_t *stream = malloc(n);
    assert_non_null(stream);
    frame_write_header(stream, FRAME_MAX_SIZE);
    assert_int_equal(stream[0], 0x00);
    assert_int_equal(stream[1], 0x00);
    assert_int_equal(stream[2], 0x10);
    assert_int_equal(stream[3], 0x00);
    for (size_t i = 0; i < FRAME_MAX_SIZE; i++)
        stream[FRAME_HEADER_SIZE + i] = (uint8_t)(i * 7);

    struct frame_decoder d;
    frame_decoder_init(&d, FRAME_MAX_SIZE);
    char err[128];
    size_t pos = 0, used, len;
    enum frame_status st = FRAME_NEED_MORE;
    /* Uneven chunks, as a socket would deliver them. */
    while (pos < n) {
        size_t chunk = 4093;
        if (chunk > n - pos) chunk = n - pos;
        st = frame_decoder_feed(&d, stream + pos, chunk, &used, err, sizeof err);
        assert_int_not_equal(st, FRAME_ERROR);
        assert_int_equal(used, chunk);
        pos += used;
    }
    assert_int_equal(st, FRAME_READY);
    const uint8_t *p = frame_decoder_payload(&d, &len);
    assert_int_equal(len, FRAME_MAX_SIZE);
    assert_memory_equal(p, stream + FRAME_HEADER_SIZE, FRAME_MAX_SIZE);
    frame_decoder_clear(&d);
    free(stream);
}

static void test_frame_oversized_refused_before_allocation(void **state)
{
    (void)state;
    uint8_t hdr[FRAME_HEADER_SIZE + 2];
    frame_write_header(hdr, FRAME_MAX_SIZE + 1);
    hdr[4] = hdr[5] = 0xaa;
    struct frame_decoder d;
    frame_decoder_init(&d, FRAME_MAX_SIZE);
    char err[128] = "";
    size_t used = 99;
    /* Three length bytes: nothing to decide yet. */
    assert_int_equal(frame_decoder_feed(&d, hdr, 3, &used, err, sizeof err), FRAME_NEED_MORE);
    assert_null(d.buf);
    /* The fourth byte decides, with payload bytes following that must not be taken. */
    assert_int_equal(frame_decoder_feed(&d, hdr + 3, 3, &used, err, sizeof err), FRAME_ERROR);
    assert_int_equal(used, 0);
    assert_null(d.buf);
    assert_non_null(strstr(err, "exceeds"));
    /* The failure is sticky. */
    assert_int_equal(frame_decoder_feed(&d, hdr, 1, &used, err, sizeof err), FRAME_ERROR);
    frame_decoder_clear(&d);

    /* The largest length a u32 can announce, and a smaller limit set by the caller. */
    frame_write_header(hdr, 0xffffffffu);
    frame_decoder_init(&d, FRAME_MAX_SIZE);
    assert_int_equal(frame_decoder_feed(&d, hdr, 4, &used, err, sizeof err), FRAME_ERROR);
    assert_null(d.buf);
    frame_decoder_clear(&d);
    frame_write_header(hdr, 101);
    frame_decoder_init(&d, 100);
    assert_int_equal(frame_decoder_feed(&d, hdr, 4, &used, err, sizeof err), FRAME_ERROR);
    frame_decoder_clear(&d);
    frame_write_header(hdr, 100);
    frame_decoder_init(&d, 100);
    assert_int_equal(frame_decoder_feed(&d, hdr, 4, &used, err, sizeof err), FRAME_NEED_MORE);
    assert_non_null(d.buf);
    assert_false(frame_decoder_idle(&d));
    frame_decoder_clear(&d);
}

static void test_frame_garbage_protobuf(void **state)
{
    (void)state;
    char err[128];
    Iop__Common__Message *m = (Iop__Common__Message *)&m; /* must be reset to NULL */
    /* Field 1 with wire type 7, which does not exist. */
    const uint8_t bad_wire[] = {0x0f, 0x01};
    assert_false(frame_decode_message(bad_wire, sizeof bad_wire, &m, err, sizeof err));
    assert_null(m);
    assert_non_null(strstr(err, "protobuf"));
    /* A varint that never ends. */
    const uint8_t long_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_false(frame_decode_message(long_varint, sizeof long_varint, &m, err, sizeof err));
    /* The request field (2, length-delimited) claims more bytes than there are. */
    const uint8_t truncated[] = {0x12, 0x10, 0x52, 0x00};
    assert_false(frame_decode_message(truncated, sizeof truncated, &m, err, sizeof err));
    /* Only an id: well-formed protobuf, but no request or response. */
    const uint8_t only_id[] = {0x08, 0x05};
    assert_false(frame_decode_message(only_id, sizeof only_id, &m, err, sizeof err));
    assert_null(m);
}

static void test_frame_encode_roundtrip(void **state)
{
    (void)state;
    Iop__Common__Message msg = IOP__COMMON__MESSAGE__INIT;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    Iop__Common__PingRequest ping = IOP__COMMON__PING_REQUEST__INIT;
    uint8_t payload[5] = {1, 2, 3, 4, 5};
    ping.payload.data = payload;
    ping.payload.len = sizeof payload;
    req.kind_case = IOP__COMMON__REQUEST__KIND_PING;
    req.ping = &ping;
    msg.id = 0x01020304;
    msg.kind_case = IOP__COMMON__MESSAGE__KIND_REQUEST;
    msg.request = &req;

    uint8_t *buf;
    size_t n;
    char err[128];
    assert_true(frame_encode(&msg, &buf, &n, err, sizeof err));
    /* Independently known encoding: id=1 varint, request=2 { ping=10 { payload=1 } }. */
    const uint8_t expect[] = {0x08, 0x84, 0x86, 0x88, 0x08, 0x12, 0x09, 0x52,
                              0x07, 0x0a, 0x05, 1,    2,    3,    4,    5};
    assert_int_equal(n, FRAME_HEADER_SIZE + sizeof expect);
    assert_int_equal(frame_read_header(buf), sizeof expect);
    assert_memory_equal(buf + FRAME_HEADER_SIZE, expect, sizeof expect);

    struct frame_decoder d;
    frame_decoder_init(&d, FRAME_MAX_SIZE);
    size_t used, len;
    assert_int_equal(frame_decoder_feed(&d, buf, n, &used, err, sizeof err), FRAME_READY);
    assert_int_equal(used, n);
    const uint8_t *p = frame_decoder_payload(&d, &len);
    Iop__Common__Message *m = NULL;
    assert_true(frame_decode_message(p, len, &m, err, sizeof err));
    assert_int_equal(m->id, 0x01020304);
    assert_int_equal(m->kind_case, IOP__COMMON__MESSAGE__KIND_REQUEST);
    assert_int_equal(m->request->kind_case, IOP__COMMON__REQUEST__KIND_PING);
    assert_int_equal(m->request->ping->payload.len, 5);
    assert_memory_equal(m->request->ping->payload.data, payload, 5);
    iop__common__message__free_unpacked(m, NULL);
    frame_decoder_clear(&d);
    free(buf);

    assert_string_equal(
        frame_status_code_name(IOP__COMMON__STATUS__ERROR_BAD_CONVERSATION_STATUS),
        "ERROR_BAD_CONVERSATION_STATUS");
    assert_string_equal(frame_status_code_name(IOP__COMMON__STATUS__OK), "OK");
    assert_string_equal(frame_status_code_name((Iop__Common__Status)99), "UNKNOWN");
}

/* ---- Identity signatures ---- */

static void fixed_inputs(uint8_t challenge[32], uint8_t exporter[32])
{
    for (int i = 0; i < 32; i++) {
        challenge[i] = (uint8_t)i;
        exporter[i] = (uint8_t)(0xa0 + i % 16);
    }
}

static void test_identity_digests(void **state)
{
    (void)state;
    uint8_t ch[32], ex[32], out[32];
    fixed_inputs(ch, ex);
    /* Computed with Python's hashlib from the byte layout in doc/services-protocol.md. */
    size_t n;
    uint8_t *want =
        test_unhex("870d0c07b79b669b7acd3362528f3a27497c9fbdce529e511173be7d42bebcfd", &n);
    identity_conversation_digest(out, ch, ex);
    assert_memory_equal(out, want, 32);
    free(want);
    want = test_unhex("f6dcb11d51029035fbeb759d813077684aa1b56c66a19928f385212f3aae7074", &n);
    identity_probe_digest(out, ch, 1);
    assert_memory_equal(out, want, 32);
    free(want);
}

static void test_identity_sign_verify(void **state)
{
    (void)state;
    char err[128];
    uint8_t s1[32] = {0}, s2[32] = {0};
    s1[31] = 1;
    memset(s2, 0x42, 32);
    struct identity_key *k1 = identity_key_from_secret(s1, err, sizeof err);
    struct identity_key *k2 = identity_key_from_secret(s2, err, sizeof err);
    assert_non_null(k1);
    assert_non_null(k2);
    uint8_t pk1[32], pk2[32];
    identity_key_public(k1, pk1);
    identity_key_public(k2, pk2);
    /* Secret 1 is the generator: its x coordinate is well known. */
    size_t n;
    uint8_t *gx =
        test_unhex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", &n);
    assert_memory_equal(pk1, gx, 32);
    free(gx);

    uint8_t ch[32], ex[32], sig[64];
    fixed_inputs(ch, ex);
    assert_true(identity_sign_conversation(k1, sig, ch, ex));
    assert_true(identity_verify_conversation(pk1, sig, ch, ex));
    /* Wrong key, tampered challenge, tampered exporter, tampered signature. */
    assert_false(identity_verify_conversation(pk2, sig, ch, ex));
    ch[5] ^= 1;
    assert_false(identity_verify_conversation(pk1, sig, ch, ex));
    ch[5] ^= 1;
    ex[31] ^= 0x80;
    assert_false(identity_verify_conversation(pk1, sig, ch, ex));
    ex[31] ^= 0x80;
    sig[0] ^= 1;
    assert_false(identity_verify_conversation(pk1, sig, ch, ex));
    sig[0] ^= 1;
    assert_true(identity_verify_conversation(pk1, sig, ch, ex));
    /* A conversation signature is not a probe signature and the other way round. */
    assert_false(identity_verify_probe(pk1, sig, ch, 1));

    assert_true(identity_sign_probe(k2, sig, ch, 3));
    assert_true(identity_verify_probe(pk2, sig, ch, 3));
    assert_false(identity_verify_probe(pk2, sig, ch, 1));
    assert_false(identity_verify_probe(pk1, sig, ch, 3));
    ch[0] ^= 0xff;
    assert_false(identity_verify_probe(pk2, sig, ch, 3));
    assert_false(identity_verify_conversation(pk2, sig, ch, ex));

    /* Not a field element (above p), so not a key. */
    uint8_t *bad =
        test_unhex("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", &n);
    assert_false(identity_verify_conversation(bad, sig, ch, ex));
    free(bad);

    identity_key_free(k1);
    identity_key_free(k2);
    identity_key_free(NULL);
}

static void test_identity_bad_secrets(void **state)
{
    (void)state;
    char err[128] = "";
    uint8_t zero[32] = {0};
    assert_null(identity_key_from_secret(zero, err, sizeof err));
    assert_non_null(strstr(err, "invalid"));
    size_t n;
    /* The group order itself is not a valid secret. */
    uint8_t *order =
        test_unhex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", &n);
    assert_null(identity_key_from_secret(order, err, sizeof err));
    free(order);
    struct identity_key *a = identity_key_generate(err, sizeof err);
    struct identity_key *b = identity_key_generate(err, sizeof err);
    assert_non_null(a);
    assert_non_null(b);
    uint8_t pa[32], pb[32];
    identity_key_public(a, pa);
    identity_key_public(b, pb);
    assert_memory_not_equal(pa, pb, 32);
    identity_key_free(a);
    identity_key_free(b);
}

/* ---- The server on loopback ---- */

#define CLIENT_TIMEOUT_MS 10000

/* What the test handler saw, written on the server's loop thread. */
struct handler_log {
    pthread_mutex_t mu;
    int calls;
    enum svc_conv_state state;
    bool have_identity;
    uint8_t identity[32];
    bool defer_next;       /* hold the next verified request's answer back */
    struct svc_conn *held; /* ...here, until the one after it comes */
    uint32_t held_id;
    int closes;           /* on_close calls */
    int closes_with_user; /* ...of connections the handler tagged */
    bool replied_after_close;
};

static int user_tag;

/* Answers requests with no kind (what an unknown service request decodes to) with
 * ERROR_NOT_FOUND once the conversation is verified, and declines them before. When
 * asked, it answers one request only when the next one arrives, as a service waiting for
 * something else would. */
static bool test_handler(struct svc_conn *c, uint32_t id, const Iop__Common__Request *req,
                         void *arg)
{
    (void)req;
    struct handler_log *h = arg;
    pthread_mutex_lock(&h->mu);
    h->calls++;
    h->state = svc_conn_state(c);
    h->have_identity = svc_conn_peer_identity(c, h->identity);
    bool defer = h->defer_next && h->state == SVC_CONV_VERIFIED;
    h->defer_next = false;
    struct svc_conn *held = h->held;
    uint32_t held_id = h->held_id;
    if (defer) {
        h->held = c;
        h->held_id = id;
    } else {
        h->held = NULL;
    }
    pthread_mutex_unlock(&h->mu);
    if (svc_conn_state(c) != SVC_CONV_VERIFIED) return false;
    svc_conn_set_user(c, &user_tag);
    if (held)
        svc_conn_reply_status(held, held_id, IOP__COMMON__STATUS__ERROR_NOT_FOUND, "deferred");
    if (defer) return true;
    return svc_conn_reply_status(c, id, IOP__COMMON__STATUS__ERROR_NOT_FOUND, "handled");
}

static void test_on_close(struct svc_conn *c, void *arg)
{
    struct handler_log *h = arg;
    pthread_mutex_lock(&h->mu);
    h->closes++;
    if (svc_conn_user(c) == &user_tag) h->closes_with_user++;
    if (h->held == c) h->held = NULL;
    /* Too late to answer. */
    if (svc_conn_reply_status(c, 1, IOP__COMMON__STATUS__OK, NULL))
        h->replied_after_close = true;
    pthread_mutex_unlock(&h->mu);
}

struct fixture {
    char *dir;
    struct identity_key *identity, *operator_key, *client_key;
    struct event_base *base;
    struct svc_server *server;
    pthread_t thread;
    struct handler_log log;
    uint16_t port;
    const char *host;
};

static struct identity_key *key_of(uint8_t fill)
{
    uint8_t secret[32];
    memset(secret, fill, sizeof secret);
    char err[128];
    struct identity_key *k = identity_key_from_secret(secret, err, sizeof err);
    assert_non_null(k);
    return k;
}

static void *loop_thread(void *arg)
{
    struct fixture *f = arg;
    event_base_dispatch(f->base);
    return NULL;
}

/* Starts a server on 127.0.0.1 (any port) in its own thread; cfg may adjust limits. */
static void server_start(struct fixture *f, const struct svc_server_config *tweak)
{
    static const struct svc_role roles[] = {{IOP__COMMON__SERVICE_TYPE__SERVICE_PROFILE, 16988},
                                            {IOP__COMMON__SERVICE_TYPE__SERVICE_RELAY, 3478}};
    struct svc_server_config cfg = {0};
    if (tweak) cfg = *tweak;
    cfg.bind = tweak && tweak->bind ? tweak->bind : "127.0.0.1";
    f->host = cfg.bind;
    cfg.port = 0;
    cfg.cert_dir = f->dir;
    cfg.identity = f->identity;
    if (!tweak) cfg.operator_key = f->operator_key;
    cfg.service = IOP__COMMON__SERVICE_TYPE__SERVICE_PROFILE;
    cfg.roles = roles;
    cfg.nroles = 2;
    cfg.handler = test_handler;
    cfg.on_close = test_on_close;
    cfg.handler_arg = &f->log;
    f->base = event_base_new();
    assert_non_null(f->base);
    char err[256];
    f->server = svc_server_new(f->base, &cfg, err, sizeof err);
    if (!f->server) fail_msg("svc_server_new: %s", err);
    f->port = svc_server_port(f->server);
    assert_int_not_equal(f->port, 0);
    assert_int_equal(pthread_create(&f->thread, NULL, loop_thread, f), 0);
}

static void server_stop(struct fixture *f)
{
    event_base_loopexit(f->base, NULL);
    pthread_join(f->thread, NULL);
    svc_server_free(f->server);
    event_base_free(f->base);
    f->server = NULL;
    f->base = NULL;
}

static int fixture_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->dir = test_make_tmpdir("iop-svc-test");
    f->identity = key_of(0x11);
    f->operator_key = key_of(0x22);
    f->client_key = key_of(0x33);
    pthread_mutex_init(&f->log.mu, NULL);
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct fixture *f = *state;
    if (f->server) server_stop(f);
    test_remove_tree(f->dir);
    free(f->dir);
    identity_key_free(f->identity);
    identity_key_free(f->operator_key);
    identity_key_free(f->client_key);
    pthread_mutex_destroy(&f->log.mu);
    free(f);
    return 0;
}

static struct svc_client *connect_client(const struct fixture *f)
{
    char err[256];
    struct svc_client *cl =
        svc_client_connect(f->host, f->port, CLIENT_TIMEOUT_MS, err, sizeof err);
    if (!cl) fail_msg("svc_client_connect: %s", err);
    return cl;
}

/* Sends req and returns the response (failing the test if there is none). */
static Iop__Common__Message *call(struct svc_client *cl, const Iop__Common__Request *req)
{
    char err[256];
    Iop__Common__Message *r;
    if (!svc_client_call(cl, req, &r, err, sizeof err)) fail_msg("svc_client_call: %s", err);
    assert_int_equal(r->kind_case, IOP__COMMON__MESSAGE__KIND_RESPONSE);
    return r;
}

static Iop__Common__Status call_status(struct svc_client *cl, const Iop__Common__Request *req)
{
    Iop__Common__Message *r = call(cl, req);
    Iop__Common__Status st = r->response->status;
    iop__common__message__free_unpacked(r, NULL);
    return st;
}

static Iop__Common__Status ping(struct svc_client *cl, const uint8_t *payload, size_t len)
{
    Iop__Common__PingRequest p = IOP__COMMON__PING_REQUEST__INIT;
    p.payload.data = (uint8_t *)payload;
    p.payload.len = len;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_PING;
    req.ping = &p;
    Iop__Common__Message *r = call(cl, &req);
    Iop__Common__Status st = r->response->status;
    if (st == IOP__COMMON__STATUS__OK) {
        assert_int_equal(r->response->kind_case, IOP__COMMON__RESPONSE__KIND_PING);
        assert_int_equal(r->response->ping->payload.len, len);
        if (len) assert_memory_equal(r->response->ping->payload.data, payload, len);
        assert_true(r->response->ping->clock > 1600000000000ULL);
    }
    iop__common__message__free_unpacked(r, NULL);
    return st;
}

static void test_server_ping_roles_unknown(void **state)
{
    struct fixture *f = *state;
    server_start(f, NULL);
    struct svc_client *cl = connect_client(f);

    const uint8_t hello[] = "hello";
    assert_int_equal(ping(cl, hello, sizeof hello), IOP__COMMON__STATUS__OK);
    assert_int_equal(ping(cl, NULL, 0), IOP__COMMON__STATUS__OK);
    uint8_t big[SVC_PING_PAYLOAD_MAX + 1];
    memset(big, 0x5a, sizeof big);
    assert_int_equal(ping(cl, big, SVC_PING_PAYLOAD_MAX), IOP__COMMON__STATUS__OK);
    assert_int_equal(ping(cl, big, sizeof big), IOP__COMMON__STATUS__ERROR_INVALID_VALUE);

    Iop__Common__ListRolesRequest lr = IOP__COMMON__LIST_ROLES_REQUEST__INIT;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_LIST_ROLES;
    req.list_roles = &lr;
    Iop__Common__Message *r = call(cl, &req);
    assert_int_equal(r->response->status, IOP__COMMON__STATUS__OK);
    assert_int_equal(r->response->kind_case, IOP__COMMON__RESPONSE__KIND_LIST_ROLES);
    assert_int_equal(r->response->list_roles->n_roles, 2);
    assert_int_equal(r->response->list_roles->roles[0]->service,
                     IOP__COMMON__SERVICE_TYPE__SERVICE_PROFILE);
    assert_int_equal(r->response->list_roles->roles[0]->port, 16988);
    assert_int_equal(r->response->list_roles->roles[1]->service,
                     IOP__COMMON__SERVICE_TYPE__SERVICE_RELAY);
    assert_int_equal(r->response->list_roles->roles[1]->port, 3478);
    iop__common__message__free_unpacked(r, NULL);

    /* A request of no known kind reaches the handler, which declines it before the
     * conversation is verified: the server answers ERROR_UNSUPPORTED. */
    Iop__Common__Request empty = IOP__COMMON__REQUEST__INIT;
    assert_int_equal(call_status(cl, &empty), IOP__COMMON__STATUS__ERROR_UNSUPPORTED);
    pthread_mutex_lock(&f->log.mu);
    assert_int_equal(f->log.calls, 1);
    assert_int_equal(f->log.state, SVC_CONV_NONE);
    assert_false(f->log.have_identity);
    pthread_mutex_unlock(&f->log.mu);
    /* Responses carry the id of their request: ids went 1, 2, ... on this client. */
    assert_int_equal(ping(cl, hello, 1), IOP__COMMON__STATUS__OK);

    svc_client_free(cl);
    server_stop(f);
}

/* StartConversation by hand; returns the response message (caller frees). */
static Iop__Common__Message *start_conversation(struct svc_client *cl, const uint8_t pk[32],
                                                const uint8_t challenge[32])
{
    Iop__Common__Version v = IOP__COMMON__VERSION__INIT;
    v.major = 1;
    Iop__Common__Version *versions[] = {&v};
    Iop__Common__StartConversationRequest sc = IOP__COMMON__START_CONVERSATION_REQUEST__INIT;
    sc.n_supported_versions = 1;
    sc.supported_versions = versions;
    sc.public_key.data = (uint8_t *)pk;
    sc.public_key.len = 32;
    sc.client_challenge.data = (uint8_t *)challenge;
    sc.client_challenge.len = 32;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_START_CONVERSATION;
    req.start_conversation = &sc;
    return call(cl, &req);
}

static Iop__Common__Status verify_identity(struct svc_client *cl, const uint8_t sig[64])
{
    Iop__Common__VerifyIdentityRequest vi = IOP__COMMON__VERIFY_IDENTITY_REQUEST__INIT;
    vi.signature.data = (uint8_t *)sig;
    vi.signature.len = 64;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_VERIFY_IDENTITY;
    req.verify_identity = &vi;
    return call_status(cl, &req);
}

static void test_server_handshake(void **state)
{
    struct fixture *f = *state;
    server_start(f, NULL);
    uint8_t server_pk[32], client_pk[32], exporter[32], challenge[32], sig[64];
    identity_key_public(f->identity, server_pk);
    identity_key_public(f->client_key, client_pk);

    /* By hand, checking every byte the server sends. */
    struct svc_client *cl = connect_client(f);
    assert_true(svc_client_exporter(cl, exporter));
    memset(challenge, 0xc1, sizeof challenge);
    Iop__Common__Message *r = start_conversation(cl, client_pk, challenge);
    assert_int_equal(r->response->status, IOP__COMMON__STATUS__OK);
    const Iop__Common__StartConversationResponse *sc = r->response->start_conversation;
    assert_non_null(sc);
    assert_int_equal(sc->version->major, 1);
    assert_int_equal(sc->public_key.len, 32);
    assert_memory_equal(sc->public_key.data, server_pk, 32);
    assert_int_equal(sc->client_challenge.len, 32);
    assert_memory_equal(sc->client_challenge.data, challenge, 32);
    assert_int_equal(sc->server_challenge.len, 32);
    assert_int_equal(sc->signature.len, 64);
    assert_true(
        identity_verify_conversation(server_pk, sc->signature.data, challenge, exporter));
    /* The signature is bound to this channel's exporter. */
    uint8_t other[32];
    memcpy(other, exporter, 32);
    other[0] ^= 1;
    assert_false(identity_verify_conversation(server_pk, sc->signature.data, challenge, other));
    uint8_t server_challenge[32];
    memcpy(server_challenge, sc->server_challenge.data, 32);
    iop__common__message__free_unpacked(r, NULL);

    /* A signature over the wrong exporter, then by the wrong key, is refused... */
    assert_true(identity_sign_conversation(f->client_key, sig, server_challenge, other));
    assert_int_equal(verify_identity(cl, sig), IOP__COMMON__STATUS__ERROR_INVALID_SIGNATURE);
    assert_true(identity_sign_conversation(f->operator_key, sig, server_challenge, exporter));
    assert_int_equal(verify_identity(cl, sig), IOP__COMMON__STATUS__ERROR_INVALID_SIGNATURE);
    /* ...and the right one is accepted. */
    assert_true(identity_sign_conversation(f->client_key, sig, server_challenge, exporter));
    assert_int_equal(verify_identity(cl, sig), IOP__COMMON__STATUS__OK);

    /* The service handler now sees a verified conversation with our identity. */
    Iop__Common__Request empty = IOP__COMMON__REQUEST__INIT;
    r = call(cl, &empty);
    assert_int_equal(r->response->status, IOP__COMMON__STATUS__ERROR_NOT_FOUND);
    assert_string_equal(r->response->details, "handled");
    iop__common__message__free_unpacked(r, NULL);
    pthread_mutex_lock(&f->log.mu);
    assert_int_equal(f->log.state, SVC_CONV_VERIFIED);
    assert_true(f->log.have_identity);
    assert_memory_equal(f->log.identity, client_pk, 32);
    f->log.defer_next = true;
    pthread_mutex_unlock(&f->log.mu);

    /* A service may answer later: two pipelined requests, the first answered only when
     * the second arrives, so both answers come back in one go, in order. */
    uint8_t two[64];
    size_t n2 = 0;
    char err[256];
    for (uint32_t id = 100; id <= 101; id++) {
        Iop__Common__Message msg = IOP__COMMON__MESSAGE__INIT;
        msg.id = id;
        msg.kind_case = IOP__COMMON__MESSAGE__KIND_REQUEST;
        msg.request = &empty;
        uint8_t *fb;
        size_t fl;
        assert_true(frame_encode(&msg, &fb, &fl, err, sizeof err));
        memcpy(two + n2, fb, fl);
        n2 += fl;
        free(fb);
    }
    assert_true(svc_client_send_raw(cl, two, n2, err, sizeof err));
    for (uint32_t id = 100; id <= 101; id++) {
        if (!svc_client_receive(cl, &r, err, sizeof err)) fail_msg("receive: %s", err);
        assert_int_equal(r->id, id);
        assert_int_equal(r->response->status, IOP__COMMON__STATUS__ERROR_NOT_FOUND);
        assert_string_equal(r->response->details, id == 100 ? "deferred" : "handled");
        iop__common__message__free_unpacked(r, NULL);
    }
    svc_client_free(cl);

    /* The library's client does the same. Each connection has its own exporter. */
    cl = connect_client(f);
    uint8_t exporter2[32], got[32];
    assert_true(svc_client_exporter(cl, exporter2));
    assert_memory_not_equal(exporter, exporter2, 32);
    if (!svc_client_handshake(cl, f->client_key, got, err, sizeof err))
        fail_msg("handshake: %s", err);
    assert_memory_equal(got, server_pk, 32);
    svc_client_free(cl);
    server_stop(f);
    /* Both connections were reported closed, the first one tagged by the handler. */
    assert_int_equal(f->log.closes, 2);
    assert_int_equal(f->log.closes_with_user, 1);
    assert_false(f->log.replied_after_close);
}

static void test_server_wrong_state(void **state)
{
    struct fixture *f = *state;
    server_start(f, NULL);
    struct svc_client *cl = connect_client(f);
    uint8_t sig[64] = {0}, pk[32], challenge[32] = {7};
    identity_key_public(f->client_key, pk);
    /* VerifyIdentity without a conversation. */
    assert_int_equal(verify_identity(cl, sig),
                     IOP__COMMON__STATUS__ERROR_BAD_CONVERSATION_STATUS);
    Iop__Common__Message *r = start_conversation(cl, pk, challenge);
    assert_int_equal(r->response->status, IOP__COMMON__STATUS__OK);
    iop__common__message__free_unpacked(r, NULL);
    /* A second StartConversation. */
    r = start_conversation(cl, pk, challenge);
    assert_int_equal(r->response->status, IOP__COMMON__STATUS__ERROR_BAD_CONVERSATION_STATUS);
    iop__common__message__free_unpacked(r, NULL);
    /* Single requests work in every state. */
    assert_int_equal(ping(cl, challenge, 3), IOP__COMMON__STATUS__OK);
    svc_client_free(cl);

    /* Verified, then VerifyIdentity again. */
    cl = connect_client(f);
    uint8_t server_pk[32];
    char err[256];
    if (!svc_client_handshake(cl, f->client_key, server_pk, err, sizeof err))
        fail_msg("handshake: %s", err);
    assert_int_equal(verify_identity(cl, sig),
                     IOP__COMMON__STATUS__ERROR_BAD_CONVERSATION_STATUS);
    svc_client_free(cl);

    /* Malformed handshake fields get ERROR_INVALID_VALUE; an unknown major version
     * ERROR_UNSUPPORTED. */
    cl = connect_client(f);
    uint8_t not_a_key[32];
    memset(not_a_key, 0xff, sizeof not_a_key);
    r = start_conversation(cl, not_a_key, challenge);
    assert_int_equal(r->response->status, IOP__COMMON__STATUS__ERROR_INVALID_VALUE);
    assert_string_equal(r->response->details, "public_key");
    iop__common__message__free_unpacked(r, NULL);
    Iop__Common__Version v = IOP__COMMON__VERSION__INIT;
    v.major = 2;
    Iop__Common__Version *versions[] = {&v};
    Iop__Common__StartConversationRequest sc = IOP__COMMON__START_CONVERSATION_REQUEST__INIT;
    sc.n_supported_versions = 1;
    sc.supported_versions = versions;
    sc.public_key.data = pk;
    sc.public_key.len = 32;
    sc.client_challenge.data = challenge;
    sc.client_challenge.len = 32;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_START_CONVERSATION;
    req.start_conversation = &sc;
    assert_int_equal(call_status(cl, &req), IOP__COMMON__STATUS__ERROR_UNSUPPORTED);
    sc.client_challenge.len = 31;
    v.major = 1;
    assert_int_equal(call_status(cl, &req), IOP__COMMON__STATUS__ERROR_INVALID_VALUE);
    /* None of these started a conversation. */
    assert_int_equal(verify_identity(cl, sig),
                     IOP__COMMON__STATUS__ERROR_BAD_CONVERSATION_STATUS);
    svc_client_free(cl);
    server_stop(f);
}

static Iop__Common__Message *probe(struct svc_client *cl, const uint8_t *challenge, size_t len,
                                   Iop__Common__ServiceType service)
{
    Iop__Common__ProbeChallengeRequest p = IOP__COMMON__PROBE_CHALLENGE_REQUEST__INIT;
    p.challenge.data = (uint8_t *)challenge;
    p.challenge.len = len;
    p.service = service;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_PROBE_CHALLENGE;
    req.probe_challenge = &p;
    return call(cl, &req);
}

static void test_server_probe(void **state)
{
    struct fixture *f = *state;
    server_start(f, NULL);
    struct svc_client *cl = connect_client(f);
    uint8_t challenge[32], op_pk[32];
    for (int i = 0; i < 32; i++) challenge[i] = (uint8_t)(3 * i + 1);
    identity_key_public(f->operator_key, op_pk);

    Iop__Common__Message *r =
        probe(cl, challenge, 32, IOP__COMMON__SERVICE_TYPE__SERVICE_PROFILE);
    assert_int_equal(r->response->status, IOP__COMMON__STATUS__OK);
    const Iop__Common__ProbeChallengeResponse *p = r->response->probe_challenge;
    assert_non_null(p);
    assert_int_equal(p->service, IOP__COMMON__SERVICE_TYPE__SERVICE_PROFILE);
    assert_int_equal(p->operator_public_key.len, 32);
    assert_memory_equal(p->operator_public_key.data, op_pk, 32);
    assert_int_equal(p->signature.len, 64);
    assert_true(identity_verify_probe(op_pk, p->signature.data, challenge,
                                      IOP__COMMON__SERVICE_TYPE__SERVICE_PROFILE));
    assert_false(identity_verify_probe(op_pk, p->signature.data, challenge,
                                       IOP__COMMON__SERVICE_TYPE__SERVICE_RELAY));
    iop__common__message__free_unpacked(r, NULL);

    r = probe(cl, challenge, 32, IOP__COMMON__SERVICE_TYPE__SERVICE_RELAY);
    assert_int_equal(r->response->status, IOP__COMMON__STATUS__ERROR_UNSUPPORTED);
    iop__common__message__free_unpacked(r, NULL);
    r = probe(cl, challenge, 16, IOP__COMMON__SERVICE_TYPE__SERVICE_PROFILE);
    assert_int_equal(r->response->status, IOP__COMMON__STATUS__ERROR_INVALID_VALUE);
    assert_string_equal(r->response->details, "challenge");
    iop__common__message__free_unpacked(r, NULL);
    svc_client_free(cl);
    server_stop(f);

    /* A server without an operator key cannot answer probes. */
    struct svc_server_config tweak = {0};
    server_start(f, &tweak);
    cl = connect_client(f);
    r = probe(cl, challenge, 32, IOP__COMMON__SERVICE_TYPE__SERVICE_PROFILE);
    assert_int_equal(r->response->status, IOP__COMMON__STATUS__ERROR_NOT_AVAILABLE);
    iop__common__message__free_unpacked(r, NULL);
    svc_client_free(cl);
    server_stop(f);
}

/* Waits for the server to report a protocol violation and then to close. */
static void expect_violation_and_close(struct svc_client *cl)
{
    char err[256];
    Iop__Common__Message *m;
    if (!svc_client_receive(cl, &m, err, sizeof err)) fail_msg("no violation report: %s", err);
    assert_int_equal(m->kind_case, IOP__COMMON__MESSAGE__KIND_RESPONSE);
    assert_int_equal(m->id, 0);
    assert_int_equal(m->response->status, IOP__COMMON__STATUS__ERROR_PROTOCOL_VIOLATION);
    iop__common__message__free_unpacked(m, NULL);
    assert_false(svc_client_receive(cl, &m, err, sizeof err));
    assert_null(m);
    assert_non_null(strstr(err, "connection closed"));
}

static void test_server_bad_frames(void **state)
{
    struct fixture *f = *state;
    server_start(f, NULL);
    char err[256];

    /* A length of 1 MiB + 1, with some payload bytes behind it. */
    struct svc_client *cl = connect_client(f);
    uint8_t buf[64] = {0};
    frame_write_header(buf, FRAME_MAX_SIZE + 1);
    assert_true(svc_client_send_raw(cl, buf, sizeof buf, err, sizeof err));
    expect_violation_and_close(cl);
    svc_client_free(cl);

    /* A frame that is not a protobuf Message. */
    cl = connect_client(f);
    const uint8_t garbage[] = {0x0f, 0x01, 0x02};
    frame_write_header(buf, sizeof garbage);
    memcpy(buf + 4, garbage, sizeof garbage);
    assert_true(svc_client_send_raw(cl, buf, 4 + sizeof garbage, err, sizeof err));
    expect_violation_and_close(cl);
    svc_client_free(cl);

    /* A response where a request belongs. */
    cl = connect_client(f);
    const uint8_t response[] = {0x08, 0x01, 0x1a, 0x00}; /* id 1, response {} */
    frame_write_header(buf, sizeof response);
    memcpy(buf + 4, response, sizeof response);
    assert_true(svc_client_send_raw(cl, buf, 4 + sizeof response, err, sizeof err));
    expect_violation_and_close(cl);
    svc_client_free(cl);

    /* The server is still there for others. */
    cl = connect_client(f);
    assert_int_equal(ping(cl, buf, 8), IOP__COMMON__STATUS__OK);
    svc_client_free(cl);
    server_stop(f);
}

static void test_server_limits(void **state)
{
    struct fixture *f = *state;
    struct svc_server_config tweak = {0};
    tweak.max_conns_per_ip = 2;
    tweak.idle_timeout_ms = 300;
    server_start(f, &tweak);
    char err[256];

    struct svc_client *a = connect_client(f);
    struct svc_client *b = connect_client(f);
    assert_int_equal(ping(a, NULL, 0), IOP__COMMON__STATUS__OK);
    assert_int_equal(ping(b, NULL, 0), IOP__COMMON__STATUS__OK);
    /* A third connection from the same address is closed before TLS. */
    struct svc_client *c =
        svc_client_connect(f->host, f->port, CLIENT_TIMEOUT_MS, err, sizeof err);
    assert_null(c);
    assert_non_null(strstr(err, "connection closed"));

    /* Idle connections are closed by the server: a receive with nothing asked for ends
     * with the connection closing, well before the client's own timeout. */
    Iop__Common__Message *m;
    assert_false(svc_client_receive(a, &m, err, sizeof err));
    assert_non_null(strstr(err, "connection closed"));
    assert_false(svc_client_receive(b, &m, err, sizeof err));
    assert_non_null(strstr(err, "connection closed"));
    svc_client_free(a);
    svc_client_free(b);
    server_stop(f);
}

/* A frame sent a byte at a time, each byte well within the idle timeout, still has to be
 * complete within the idle timeout: the server hangs up on slowloris clients. */
static void test_server_slow_frame(void **state)
{
    struct fixture *f = *state;
    struct svc_server_config tweak = {0};
    tweak.idle_timeout_ms = 1000;
    server_start(f, &tweak);
    char err[256];
    /* Each receive below waits 250 ms while the client's loop runs. */
    struct svc_client *cl = svc_client_connect("127.0.0.1", f->port, 250, err, sizeof err);
    if (!cl) fail_msg("connect: %s", err);
    /* An active client is never cut off: whole frames every 250 ms for 1.5 s. */
    for (int i = 0; i < 6; i++) {
        assert_int_equal(ping(cl, NULL, 0), IOP__COMMON__STATUS__OK);
        Iop__Common__Message *m;
        assert_false(svc_client_receive(cl, &m, err, sizeof err));
        assert_string_equal(err, "timed out");
    }
    uint8_t hdr[FRAME_HEADER_SIZE];
    frame_write_header(hdr, 64);
    bool closed = false;
    int drips = 0;
    /* 40 drips take 10 s, far more than the 1 s the frame may take. */
    for (; drips < 40 && !closed; drips++) {
        uint8_t b = drips < FRAME_HEADER_SIZE ? hdr[drips] : 0;
        if (!svc_client_send_raw(cl, &b, 1, err, sizeof err)) {
            closed = true;
            break;
        }
        Iop__Common__Message *m;
        if (svc_client_receive(cl, &m, err, sizeof err)) fail_msg("unexpected message");
        if (strstr(err, "connection closed"))
            closed = true;
        else
            assert_string_equal(err, "timed out");
    }
    assert_true(closed);
    assert_true(drips < 40);
    svc_client_free(cl);
    server_stop(f);
}

static void test_server_cert_reused(void **state)
{
    struct fixture *f = *state;
    char err[256];
    server_start(f, NULL);
    struct svc_client *cl = connect_client(f);
    uint8_t first[32], second[32], stored[32];
    assert_true(svc_client_server_cert_sha256(cl, first));
    svc_client_free(cl);
    server_stop(f);

    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", f->dir, TLS_KEY_FILE);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_true(tls_stored_cert_sha256(f->dir, stored, err, sizeof err));
    assert_memory_equal(first, stored, 32);

    /* Restart: same certificate. */
    server_start(f, NULL);
    cl = connect_client(f);
    assert_true(svc_client_server_cert_sha256(cl, second));
    assert_memory_equal(first, second, 32);
    svc_client_free(cl);
    server_stop(f);

    /* Another directory: another certificate. */
    char *other = test_make_tmpdir("iop-svc-test2");
    SSL_CTX *ctx = tls_server_ctx_new(other, err, sizeof err);
    assert_non_null(ctx);
    SSL_CTX_free(ctx);
    assert_true(tls_stored_cert_sha256(other, second, err, sizeof err));
    assert_memory_not_equal(first, second, 32);

    /* A certificate without its key is an error, not a reason to make a new pair. */
    snprintf(path, sizeof path, "%s/%s", other, TLS_KEY_FILE);
    assert_int_equal(unlink(path), 0);
    assert_null(tls_server_ctx_new(other, err, sizeof err));
    assert_non_null(strstr(err, "missing"));
    /* Nor is a corrupt key. */
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("not a key\n", fp);
    fclose(fp);
    assert_null(tls_server_ctx_new(other, err, sizeof err));
    assert_non_null(strstr(err, "not a PEM private key"));
    test_remove_tree(other);
    free(other);
}

/* The same over IPv6, where the machine has it. */
static void test_server_ipv6(void **state)
{
    struct fixture *f = *state;
    int probe_fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 sa = {0};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    bool have_v6 = probe_fd >= 0 && bind(probe_fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (probe_fd >= 0) close(probe_fd);
    if (!have_v6) skip();
    struct svc_server_config tweak = {0};
    tweak.bind = "::1";
    tweak.operator_key = f->operator_key;
    server_start(f, &tweak);
    struct svc_client *cl = connect_client(f);
    uint8_t server_pk[32], got[32];
    char err[256];
    assert_int_equal(ping(cl, NULL, 0), IOP__COMMON__STATUS__OK);
    if (!svc_client_handshake(cl, f->client_key, got, err, sizeof err))
        fail_msg("handshake: %s", err);
    identity_key_public(f->identity, server_pk);
    assert_memory_equal(got, server_pk, 32);
    svc_client_free(cl);
    server_stop(f);
    /* Not numeric: refused. */
    assert_null(svc_client_connect("localhost", f->port, 1000, err, sizeof err));
    assert_non_null(strstr(err, "numeric"));
}

/* A TLS 1.2 client gets no session. */
static void test_server_refuses_tls12(void **state)
{
    struct fixture *f = *state;
    server_start(f, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(f->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    assert_true(SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION));
    SSL *ssl = SSL_new(ctx);
    assert_non_null(ssl);
    SSL_set_fd(ssl, fd);
    assert_true(SSL_connect(ssl) <= 0);
    ERR_clear_error();
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    server_stop(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_every_split_point),
        cmocka_unit_test(test_frame_zero_length),
        cmocka_unit_test(test_frame_exactly_max),
        cmocka_unit_test(test_frame_oversized_refused_before_allocation),
        cmocka_unit_test(test_frame_garbage_protobuf),
        cmocka_unit_test(test_frame_encode_roundtrip),
        cmocka_unit_test(test_identity_digests),
        cmocka_unit_test(test_identity_sign_verify),
        cmocka_unit_test(test_identity_bad_secrets),
        cmocka_unit_test_setup_teardown(test_server_ping_roles_unknown, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_handshake, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_wrong_state, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_probe, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_bad_frames, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_limits, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_slow_frame, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_cert_reused, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_ipv6, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_server_refuses_tls12, fixture_setup,
                                        fixture_teardown),
    };
    /* The tests stop server loops from the main thread. Writes to a socket the server
     * closed must fail, not kill the program (iopd ignores SIGPIPE too). */
    if (evthread_use_pthreads() != 0) return 1;
    signal(SIGPIPE, SIG_IGN);
    int rc = cmocka_run_group_tests_name("services_common_tests", tests, NULL, NULL);
    libevent_global_shutdown();
    return rc;
}
