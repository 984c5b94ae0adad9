/* Tests for src/rpc without HTTP: JSON-RPC request processing and replies (1.x, 2.0,
 * batches, notifications), named parameters, argument checks, warm-up, control methods
 * and help, and authentication (cookie, rpcauth HMAC, base64, allow-list subnets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <jansson.h>
#include <sys/socket.h>

#include "rpc/auth.h"
#include "rpc/control_rpc.h"
#include "rpc/dispatch.h"
#include "util/rpc_method.h"

static char seen_wallet[64];

static bool h_echo(void *ctx, const json_t *params, json_t **result, struct rpc_error *err)
{
    (void)ctx;
    (void)err;
    *result = json_deep_copy(params);
    snprintf(seen_wallet, sizeof seen_wallet, "%s",
             rpc_call_wallet() ? rpc_call_wallet() : "(none)");
    return true;
}

static bool h_fail(void *ctx, const json_t *params, json_t **result, struct rpc_error *err)
{
    (void)ctx;
    (void)params;
    (void)result;
    return rpc_error_set(err, RPC_INVALID_ADDRESS_OR_KEY, "Block not found");
}

static bool h_null(void *ctx, const json_t *params, json_t **result, struct rpc_error *err)
{
    int *counter = ctx;
    (void)params;
    (void)result;
    (void)err;
    (*counter)++;
    return true; /* leaves *result NULL: becomes null */
}

static const struct rpc_method test_methods[] = {
    {"echo",
     "test",
     h_echo,
     {{"first", RPC_ARG_STR, false},
      {"second", RPC_ARG_NUM, true},
      {"third", RPC_ARG_ANY, true}},
     "echo \"first\" ( second third )\n\nEchoes its arguments.\n"},
    {"fail", "test", h_fail, {{NULL, 0, false}}, "fail\n\nAlways fails.\n"},
    {"count", "hidden", h_null, {{"flag", RPC_ARG_BOOL, true}}, "count ( flag )\n\nCounts.\n"},
};

static int counter;

struct fixture {
    struct rpc_dispatcher *d;
    struct control_ctx control;
};

static void fake_shutdown(void) { counter += 100; }

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->d = rpc_dispatcher_new();
    struct rpc_table t = {test_methods, 3, &counter};
    if (!rpc_dispatcher_add_table(f->d, &t)) return -1;
    f->control = (struct control_ctx){f->d, fake_shutdown, 0};
    struct rpc_table c = control_rpc_table(&f->control);
    if (!rpc_dispatcher_add_table(f->d, &c)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rpc_dispatcher_free(f->d);
    free(f);
    return 0;
}

/* Runs body through the dispatcher; returns the parsed reply (NULL for no body). */
static json_t *run(struct fixture *f, const char *body, const char *wallet, int want_status)
{
    struct rpc_reply r;
    rpc_dispatch_body(f->d, body, strlen(body), wallet, &r);
    if (r.http_status != want_status)
        fail_msg("status %d, wanted %d, body %s", r.http_status, want_status,
                 r.body ? r.body : "");
    if (!r.body) return NULL;
    size_t n = strlen(r.body);
    assert_true(n > 0 && r.body[n - 1] == '\n');
    json_error_t e;
    json_t *v = json_loads(r.body, JSON_DECODE_ANY, &e);
    assert_non_null(v);
    free(r.body);
    return v;
}

static void expect_json(json_t *got, const char *want)
{
    json_error_t e;
    json_t *w = json_loads(want, JSON_DECODE_ANY, &e);
    assert_non_null(w);
    if (!json_equal(got, w)) {
        char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
        fail_msg("got %s\nwanted %s", g, want);
    }
    json_decref(w);
    json_decref(got);
}

static void test_v2(void **state)
{
    struct fixture *f = *state;
    expect_json(run(f,
                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"a\",2]}",
                    NULL, 200),
                "{\"jsonrpc\":\"2.0\",\"result\":[\"a\",2],\"id\":1}");
    expect_json(run(f, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"fail\"}", NULL, 200),
                "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-5,\"message\":\"Block not found\"},"
                "\"id\":\"x\"}");
    expect_json(run(f, "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"nope\"}", NULL, 200),
                "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Method not "
                "found\"},\"id\":null}");
    int before = counter;
    assert_null(run(f, "{\"jsonrpc\":\"2.0\",\"method\":\"count\"}", NULL, 204));
    assert_null(run(f, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\"}", NULL, 204));
    assert_int_equal(counter, before + 1);
    expect_json(run(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"count\"}", NULL, 200),
                "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":3}");
}

static void test_v1(void **state)
{
    struct fixture *f = *state;
    expect_json(run(f, "{\"id\":1,\"method\":\"echo\",\"params\":[\"a\"]}", NULL, 200),
                "{\"result\":[\"a\"],\"error\":null,\"id\":1}");
    expect_json(
        run(f, "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"fail\"}", NULL, 500),
        "{\"result\":null,\"error\":{\"code\":-5,\"message\":\"Block not found\"},\"id\":1}");
    expect_json(run(f, "{\"id\":1,\"method\":\"nope\"}", NULL, 404),
                "{\"result\":null,\"error\":{\"code\":-32601,\"message\":\"Method not found\"},"
                "\"id\":1}");
    /* 1.x without id is still answered, without an id member */
    expect_json(run(f, "{\"method\":\"count\"}", NULL, 200),
                "{\"result\":null,\"error\":null}");
    expect_json(
        run(f, "{\"method\":\"nope\"}", NULL, 404),
        "{\"result\":null,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}");
    expect_json(run(f, "{\"method\":5}", NULL, 400),
                "{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"Method must be a "
                "string\"}}");
}

static void test_bad_requests(void **state)
{
    struct fixture *f = *state;
    expect_json(run(f, "{\"id\":1,", NULL, 500),
                "{\"result\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"},"
                "\"id\":null}");
    expect_json(run(f, "", NULL, 500),
                "{\"result\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\"},"
                "\"id\":null}");
    expect_json(run(f, "\"str\"", NULL, 500),
                "{\"result\":null,\"error\":{\"code\":-32700,\"message\":\"Top-level object "
                "parse error\"},\"id\":null}");
    static const struct {
        const char *body, *msg;
    } cases[] = {
        {"{\"id\":1}", "Missing method"},
        {"{\"id\":1,\"method\":null}", "Missing method"},
        {"{\"id\":1,\"method\":[]}", "Method must be a string"},
        {"{\"id\":1,\"method\":\"echo\",\"params\":\"a\"}",
         "Params must be an array or object"},
        {"{\"id\":1,\"jsonrpc\":\"2.1\",\"method\":\"echo\"}",
         "JSON-RPC version not supported"},
        {"{\"id\":1,\"jsonrpc\":2,\"method\":\"echo\"}", "jsonrpc field must be a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *r = run(f, cases[i].body, NULL, 400);
        json_t *err = json_object_get(r, "error");
        assert_int_equal(json_integer_value(json_object_get(err, "code")), RPC_INVALID_REQUEST);
        assert_string_equal(json_string_value(json_object_get(err, "message")), cases[i].msg);
        assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
        json_decref(r);
    }
    /* embedded NUL and deep nesting must not crash */
    struct rpc_reply r;
    rpc_dispatch_body(f->d, "{\"method\":\"e\0ho\"}", 17, NULL, &r);
    free(r.body);
    char deep[4096];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    rpc_dispatch_body(f->d, deep, strlen(deep), NULL, &r);
    assert_int_equal(r.http_status, 500);
    free(r.body);
}

static void test_batch(void **state)
{
    struct fixture *f = *state;
    expect_json(
        run(f,
            "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"x\"]},"
            "{\"jsonrpc\":\"2.0\",\"method\":\"count\"},"
            "{\"id\":2,\"method\":\"fail\"},"
            "7,"
            "{\"jsonrpc\":\"2.0\",\"id\":3}]",
            NULL, 200),
        "[{\"jsonrpc\":\"2.0\",\"result\":[\"x\"],\"id\":1},"
        "{\"result\":null,\"error\":{\"code\":-5,\"message\":\"Block not found\"},\"id\":2},"
        "{\"result\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid Request object\"},"
        "\"id\":null},"
        "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,\"message\":\"Missing method\"},"
        "\"id\":3}]");
    expect_json(run(f, "[]", NULL, 200), "[]");
    assert_null(run(f, "[{\"jsonrpc\":\"2.0\",\"method\":\"count\"}]", NULL, 204));
}

static void test_named_params(void **state)
{
    struct fixture *f = *state;
    expect_json(run(f,
                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":"
                    "{\"third\":true,\"first\":\"a\"}}",
                    NULL, 200),
                "{\"jsonrpc\":\"2.0\",\"result\":[\"a\",null,true],\"id\":1}");
    expect_json(run(f,
                    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":"
                    "{\"first\":\"a\",\"fourth\":1}}",
                    NULL, 200),
                "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-8,\"message\":\"Unknown named "
                "parameter fourth\"},\"id\":1}");
    expect_json(
        run(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{}}", NULL, 200),
        "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-1,\"message\":\"echo \\\"first\\\" ( "
        "second third )\\n\\nEchoes its arguments.\\n\"},\"id\":1}");

    /* The mapping itself */
    struct rpc_error err = {0};
    json_t *obj = json_pack("{s:i}", "second", 5);
    json_t *pos = rpc_method_positional(&test_methods[0], obj, &err);
    expect_json(pos, "[null,5]");
    json_decref(obj);
    json_t *arr = json_pack("[s]", "x");
    pos = rpc_method_positional(&test_methods[0], arr, &err);
    assert_ptr_equal(pos, arr);
    json_decref(pos);
    json_decref(arr);
    pos = rpc_method_positional(&test_methods[0], NULL, &err);
    expect_json(pos, "[]");
    json_t *bad = json_integer(3);
    assert_null(rpc_method_positional(&test_methods[0], bad, &err));
    assert_int_equal(err.code, RPC_INVALID_REQUEST);
    json_decref(bad);
    rpc_error_clear(&err);
    rpc_error_clear(&err);
}

static void test_arg_checks(void **state)
{
    struct fixture *f = *state;
    json_t *r =
        run(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[1,\"x\"]}", NULL,
            200);
    json_t *err = json_object_get(r, "error");
    assert_int_equal(json_integer_value(json_object_get(err, "code")), RPC_TYPE_ERROR);
    assert_string_equal(json_string_value(json_object_get(err, "message")),
                        "Wrong type passed:\n{\n"
                        "    \"Position 1 (first)\": \"JSON value of type number is not of "
                        "expected type string\",\n"
                        "    \"Position 2 (second)\": \"JSON value of type string is not of "
                        "expected type number\"\n}");
    json_decref(r);
    r = run(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[null]}", NULL,
            200);
    err = json_object_get(r, "error");
    assert_int_equal(json_integer_value(json_object_get(err, "code")), RPC_TYPE_ERROR);
    assert_non_null(strstr(json_string_value(json_object_get(err, "message")),
                           "JSON value of type null is not of expected type string"));
    json_decref(r);
    /* optional null is fine; too many is -1 with help */
    expect_json(
        run(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"a\",null,{}]}",
            NULL, 200),
        "{\"jsonrpc\":\"2.0\",\"result\":[\"a\",null,{}],\"id\":1}");
    r = run(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"fail\",\"params\":[1]}", NULL, 200);
    err = json_object_get(r, "error");
    assert_int_equal(json_integer_value(json_object_get(err, "code")), RPC_MISC_ERROR);
    assert_string_equal(json_string_value(json_object_get(err, "message")),
                        "fail\n\nAlways fails.\n");
    json_decref(r);
    const char *names[] = {"null", "bool", "object", "array", "number", "string", "number"};
    json_t *vals[] = {json_null(),     json_true(),      json_object(), json_array(),
                      json_integer(1), json_string("s"), json_real(1.5)};
    for (int i = 0; i < 7; i++) {
        assert_string_equal(rpc_json_type_name(vals[i]), names[i]);
        json_decref(vals[i]);
    }
    assert_string_equal(rpc_json_type_name(NULL), "null");
}

static void test_warmup_and_wallet(void **state)
{
    struct fixture *f = *state;
    rpc_dispatcher_set_warmup(f->d, true, "Loading block index...");
    expect_json(run(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"uptime\"}", NULL, 200),
                "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-28,\"message\":\"Loading block "
                "index...\"},\"id\":1}");
    expect_json(run(f, "{\"id\":1,\"method\":\"uptime\"}", NULL, 500),
                "{\"result\":null,\"error\":{\"code\":-28,\"message\":\"Loading block "
                "index...\"},\"id\":1}");
    rpc_dispatcher_set_warmup(f->d, false, NULL);
    json_decref(run(f, "{\"id\":1,\"method\":\"echo\",\"params\":[\"a\"]}", "my wallet", 200));
    assert_string_equal(seen_wallet, "my wallet");
    assert_null(rpc_call_wallet());
    json_decref(run(f, "{\"id\":1,\"method\":\"echo\",\"params\":[\"a\"]}", NULL, 200));
    assert_string_equal(seen_wallet, "(none)");
}

static void test_registry(void **state)
{
    struct fixture *f = *state;
    struct rpc_table dup = {test_methods, 1, NULL};
    assert_false(rpc_dispatcher_add_table(f->d, &dup));
    void *ctx = NULL;
    assert_non_null(rpc_dispatcher_find(f->d, "stop", &ctx));
    assert_ptr_equal(ctx, &f->control);
    assert_null(rpc_dispatcher_find(f->d, "nope", NULL));
    size_t n = 0;
    while (rpc_dispatcher_at(f->d, n)) n++;
    assert_int_equal(n, 8);
    json_t *active = rpc_dispatcher_active_commands(f->d);
    assert_int_equal(json_array_size(active), 0);
    json_decref(active);
    rpc_dispatcher_free(NULL);
}

static void test_control(void **state)
{
    struct fixture *f = *state;
    char *h = control_help_text(f->d, NULL);
    assert_string_equal(h, "== Control ==\n"
                           "getrpcinfo\n"
                           "help ( \"command\" )\n"
                           "logging ( [\"include_category\",...] [\"exclude_category\",...] )\n"
                           "stop\n"
                           "uptime\n"
                           "\n"
                           "== Test ==\n"
                           "echo \"first\" ( second third )\n"
                           "fail");
    free(h);
    h = control_help_text(f->d, "fail");
    assert_string_equal(h, "fail\n\nAlways fails.");
    free(h);
    h = control_help_text(f->d, "zzz");
    assert_string_equal(h, "help: unknown command: zzz");
    free(h);
    int before = counter;
    expect_json(run(f, "{\"id\":1,\"method\":\"stop\"}", NULL, 200),
                "{\"result\":\"iopd stopping\",\"error\":null,\"id\":1}");
    assert_int_equal(counter, before + 100);
    json_t *r = run(f, "{\"id\":1,\"method\":\"getrpcinfo\"}", NULL, 200);
    json_t *ac = json_object_get(json_object_get(r, "result"), "active_commands");
    assert_int_equal(json_array_size(ac), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ac, 0), "method")),
                        "getrpcinfo");
    json_decref(r);
    r = run(f, "{\"id\":1,\"method\":\"logging\",\"params\":[[\"rpc\",\"http\"],[\"http\"]]}",
            NULL, 200);
    json_t *res = json_object_get(r, "result");
    assert_true(json_is_true(json_object_get(res, "rpc")));
    assert_true(json_is_false(json_object_get(res, "http")));
    assert_true(json_is_false(json_object_get(res, "net")));
    json_decref(r);
    r = run(f, "{\"id\":1,\"method\":\"logging\",\"params\":[[\"bogus\"]]}", NULL, 500);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "error"), "code")),
                     RPC_INVALID_PARAMETER);
    json_decref(r);
    json_decref(
        run(f, "{\"id\":1,\"method\":\"logging\",\"params\":[[],[\"all\"]]}", NULL, 200));
    r = run(f, "{\"id\":1,\"method\":\"uptime\"}", NULL, 200);
    assert_true(json_integer_value(json_object_get(r, "result")) > 0);
    json_decref(r);
}

static void test_rpcauth(void **state)
{
    (void)state;
    struct rpc_auth *a = rpc_auth_new();
    /* HMAC-SHA256(key=salt, msg=password) as Core's share/rpcauth/rpcauth.py makes it. */
    assert_true(rpc_auth_add_rpcauth(
        a, "alice:cb77f0957de88ff388cf817ddbc7273$"
           "bb5b7c2166ad7f5294f9af1e070c4590de81ff9e3ad9846d006d96e2c1c6fcf9"));
    assert_true(rpc_auth_add_password(a, "bob", "pw:with:colons"));
    assert_false(rpc_auth_add_rpcauth(a, "nouser"));
    assert_false(rpc_auth_add_rpcauth(a, ":salt$00"));
    assert_false(rpc_auth_add_rpcauth(a, "u:salt$zz"));
    assert_false(rpc_auth_add_rpcauth(
        a, "u:$"
           "bb5b7c2166ad7f5294f9af1e070c4590de81ff9e3ad9846d006d96e2c1c6fcf9"));
    assert_false(rpc_auth_add_rpcauth(a, "u:s$bb5b"));
    char user[64];
    /* base64("alice:secret pw") */
    assert_true(rpc_auth_check_header(a, "Basic YWxpY2U6c2VjcmV0IHB3", user, sizeof user));
    assert_string_equal(user, "alice");
    /* base64("alice:secret px") */
    assert_false(rpc_auth_check_header(a, "Basic YWxpY2U6c2VjcmV0IHB4", user, sizeof user));
    /* base64("bob:pw:with:colons") */
    assert_true(rpc_auth_check_header(a, "Basic Ym9iOnB3OndpdGg6Y29sb25z", user, sizeof user));
    assert_string_equal(user, "bob");
    assert_false(rpc_auth_check_header(a, "Basic Ym9iOnB3", NULL, 0)); /* bob:pw */
    assert_false(rpc_auth_check_header(a, "Bearer Ym9iOnB3", NULL, 0));
    assert_false(rpc_auth_check_header(a, "Basic !!!!", NULL, 0));
    assert_false(rpc_auth_check_header(a, "Basic Ym9i", NULL, 0)); /* "bob": no colon */
    assert_false(rpc_auth_check_header(a, NULL, NULL, 0));
    rpc_auth_free(a);
    rpc_auth_free(NULL);

    char cookie[80];
    assert_true(rpc_auth_make_cookie(cookie, sizeof cookie));
    assert_int_equal(strlen(cookie), 75);
    assert_memory_equal(cookie, "__cookie__:", 11);
    assert_false(rpc_auth_make_cookie(cookie, 20));
}

static void test_base64(void **state)
{
    (void)state;
    uint8_t out[16];
    size_t n;
    assert_true(rpc_base64_decode("", out, sizeof out, &n));
    assert_int_equal(n, 0);
    assert_true(rpc_base64_decode("Zm9vYmFy", out, sizeof out, &n));
    assert_int_equal(n, 6);
    assert_memory_equal(out, "foobar", 6);
    assert_true(rpc_base64_decode("Zm9vYg==", out, sizeof out, &n));
    assert_int_equal(n, 4);
    assert_true(rpc_base64_decode("Zm9vYmE=", out, sizeof out, &n));
    assert_int_equal(n, 5);
    assert_false(rpc_base64_decode("Zm9", out, sizeof out, &n));
    assert_false(rpc_base64_decode("Zm=v", out, sizeof out, &n));
    assert_false(rpc_base64_decode("Zg==Zg==", out, sizeof out, &n));
    assert_false(rpc_base64_decode("Zm9vYmFy", out, 4, &n));
}

static void test_subnets(void **state)
{
    (void)state;
    struct rpc_subnet s;
    uint8_t a4[4], a6[16];
    assert_true(rpc_subnet_parse("10.1.0.0/16", &s));
    inet_pton(AF_INET, "10.1.200.3", a4);
    assert_true(rpc_subnet_match(&s, AF_INET, a4));
    inet_pton(AF_INET, "10.2.0.1", a4);
    assert_false(rpc_subnet_match(&s, AF_INET, a4));
    inet_pton(AF_INET6, "::ffff:10.1.2.3", a6);
    assert_true(rpc_subnet_match(&s, AF_INET6, a6));
    assert_true(rpc_subnet_parse("192.168.1.0/255.255.255.0", &s));
    inet_pton(AF_INET, "192.168.1.77", a4);
    assert_true(rpc_subnet_match(&s, AF_INET, a4));
    assert_true(rpc_subnet_parse("1.2.3.4", &s));
    inet_pton(AF_INET, "1.2.3.4", a4);
    assert_true(rpc_subnet_match(&s, AF_INET, a4));
    inet_pton(AF_INET, "1.2.3.5", a4);
    assert_false(rpc_subnet_match(&s, AF_INET, a4));
    assert_true(rpc_subnet_parse("fd00::/8", &s));
    inet_pton(AF_INET6, "fd12::1", a6);
    assert_true(rpc_subnet_match(&s, AF_INET6, a6));
    inet_pton(AF_INET6, "fe80::1", a6);
    assert_false(rpc_subnet_match(&s, AF_INET6, a6));
    assert_true(rpc_subnet_parse("0.0.0.0/0", &s));
    assert_true(rpc_subnet_match(&s, AF_INET, a4));
    assert_false(rpc_subnet_match(&s, AF_INET6, a6));
    static const char *const bad[] = {"",          "/8",      "1.2.3.4/33",   "1.2.3.4/x",
                                      "300.1.1.1", "::1/129", "host.example", "1.2.3.4/-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (rpc_subnet_parse(bad[i], &s)) fail_msg("accepted %s", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_v2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arg_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warmup_and_wallet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control, setup, teardown),
        cmocka_unit_test(test_rpcauth),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_subnets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
