/* Tests for src/util: options and conf files (util/args), hex, random, files and locks,
 * the logger and the mock clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/args.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/json_write.h"
#include "util/log.h"
#include "util/random.h"
#include "util/timeutil.h"

static const struct arg_def defs[] = {
    {"datadir", ARG_STRING, ARG_CMDLINE_ONLY, "=<dir>", "Data directory"},
    {"chain", ARG_STRING, 0, "=<chain>", "Chain"},
    {"regtest", ARG_BOOL, 0, "", "Regtest"},
    {"testnet", ARG_BOOL, 0, "", "Testnet"},
    {"daemon", ARG_BOOL, 0, "", "Daemon"},
    {"rpcport", ARG_INT, ARG_NETWORK_ONLY, "=<port>", "Port"},
    {"rpcuser", ARG_STRING, 0, "=<user>", "User"},
    {"rpcpassword", ARG_STRING, 0, "=<pw>", "Password"},
    {"debug", ARG_LIST, 0, "=<cat>", "Debug"},
    {"rpcbind", ARG_LIST, ARG_NETWORK_ONLY, "=<addr>", "Bind"},
    {"secret", ARG_BOOL, ARG_HIDDEN, "", "Hidden"},
};
#define NDEFS (sizeof defs / sizeof defs[0])

static struct args *parse(int argc, char **argv)
{
    struct args *a = args_new(defs, NDEFS);
    char err[256];
    assert_non_null(a);
    assert_true(args_parse_cmdline(a, argc, argv, NULL, err, sizeof err));
    return a;
}

static void test_cmdline_basic(void **state)
{
    (void)state;
    char *argv[] = {"prog",         "-daemon",    "--rpcport=123", "-rpcuser=alice",
                    "-rpcuser=bob", "-debug=net", "-debug=rpc",    NULL};
    struct args *a = parse(7, argv);
    assert_true(args_get_bool(a, "daemon", false));
    assert_int_equal(args_get_int(a, "rpcport", 0), 123);
    assert_string_equal(args_get(a, "rpcuser"), "bob"); /* command line: last wins */
    assert_null(args_get(a, "rpcpassword"));
    assert_string_equal(args_get_str(a, "rpcpassword", "def"), "def");
    assert_false(args_is_set(a, "chain"));
    const char **list;
    assert_int_equal(args_get_list(a, "debug", &list), 2);
    assert_string_equal(list[0], "net");
    assert_string_equal(list[1], "rpc");
    free(list);
    assert_int_equal(args_get_list(a, "rpcbind", &list), 0);
    assert_null(list);
    args_free(a);
    args_free(NULL);
}

static void test_cmdline_negation(void **state)
{
    (void)state;
    char *argv[] = {"prog",       "-daemon",  "-nodaemon",   "-noregtest=0",
                    "-debug=net", "-nodebug", "-debug=http", NULL};
    struct args *a = parse(7, argv);
    assert_false(args_get_bool(a, "daemon", true));
    assert_true(args_is_negated(a, "daemon"));
    assert_string_equal(args_get(a, "daemon"), "0");
    assert_true(args_get_bool(a, "regtest", false)); /* double negation */
    const char **list;
    assert_int_equal(args_get_list(a, "debug", &list), 1);
    assert_string_equal(list[0], "http");
    free(list);
    args_free(a);
}

static void expect_cmdline_error(int argc, char **argv, const char *msg)
{
    struct args *a = args_new(defs, NDEFS);
    char err[256] = "";
    assert_false(args_parse_cmdline(a, argc, argv, NULL, err, sizeof err));
    if (!strstr(err, msg)) fail_msg("error '%s' lacks '%s'", err, msg);
    args_free(a);
}

static void test_cmdline_errors(void **state)
{
    (void)state;
    expect_cmdline_error(2, (char *[]){"p", "-nosuch", NULL}, "Invalid parameter -nosuch");
    expect_cmdline_error(2, (char *[]){"p", "-rpcport=12x", NULL},
                         "Invalid value for -rpcport: '12x' (expected an integer)");
    expect_cmdline_error(2, (char *[]){"p", "-rpcport=", NULL}, "Invalid value for -rpcport");
    expect_cmdline_error(2, (char *[]){"p", "-daemon=yes", NULL},
                         "Invalid value for -daemon: 'yes' (expected 0 or 1)");
    expect_cmdline_error(2, (char *[]){"p", "-norpcuser=0", NULL}, "-rpcuser is not a boolean");
    expect_cmdline_error(2, (char *[]){"p", "word", NULL}, "unexpected token 'word'");
    expect_cmdline_error(2, (char *[]){"p", "-", NULL}, "Invalid parameter -");
    expect_cmdline_error(2, (char *[]){"p", "-.x=1", NULL}, "Invalid parameter");
}

static void test_cmdline_positional(void **state)
{
    (void)state;
    struct args *a = args_new(defs, NDEFS);
    char err[256];
    char *argv[] = {"cli", "-regtest", "getblock", "-daemon", NULL};
    int first = 0;
    assert_true(args_parse_cmdline(a, 4, argv, &first, err, sizeof err));
    assert_int_equal(first, 2);
    assert_false(args_is_set(a, "daemon"));
    args_free(a);
}

static const char *conf_text = "# top level\n"
                               "rpcuser=top\n"
                               "rpcport=1000\n"
                               "debug=a\n"
                               "rpcuser=second\n"
                               "regtest.rpcbind=10.0.0.1\n"
                               "\n"
                               "[regtest]\n"
                               "  rpcport = 2000  \n"
                               "debug=b # trailing comment\n"
                               "[main]\n"
                               "rpcpassword=mainonly\n";

static void test_conf_sections(void **state)
{
    (void)state;
    struct args *a = args_new(defs, NDEFS);
    char err[256];
    assert_true(args_read_conf_text(a, conf_text, "iop.conf", false, err, sizeof err));
    assert_null(args_warnings(a));

    assert_true(args_select_section(a, "regtest"));
    assert_int_equal(args_get_int(a, "rpcport", 0), 2000);
    assert_string_equal(args_get(a, "rpcuser"), "top"); /* conf: first wins */
    assert_null(args_get(a, "rpcpassword"));
    const char **list;
    assert_int_equal(args_get_list(a, "debug", &list), 2);
    assert_string_equal(list[0], "b");
    assert_string_equal(list[1], "a");
    free(list);
    assert_int_equal(args_get_list(a, "rpcbind", &list), 1);
    assert_string_equal(list[0], "10.0.0.1");
    free(list);

    assert_true(args_select_section(a, "test"));
    assert_false(args_is_set(a, "rpcport")); /* network-only: top level is main's */
    assert_int_equal(args_get_list(a, "rpcbind", &list), 0);

    assert_true(args_select_section(a, "main"));
    assert_int_equal(args_get_int(a, "rpcport", 0), 1000);
    assert_string_equal(args_get(a, "rpcpassword"), "mainonly");
    args_free(a);
}

static void test_conf_precedence(void **state)
{
    (void)state;
    struct args *a = args_new(defs, NDEFS);
    char err[256];
    char *argv[] = {"p", "-rpcport=3000", "-nodebug", "-regtest.rpcuser=cmdsec", NULL};
    assert_true(args_parse_cmdline(a, 4, argv, NULL, err, sizeof err));
    assert_true(args_read_conf_text(a, conf_text, "iop.conf", false, err, sizeof err));
    assert_true(args_select_section(a, "regtest"));
    assert_int_equal(args_get_int(a, "rpcport", 0), 3000);
    assert_string_equal(args_get(a, "rpcuser"), "cmdsec");
    const char **list;
    assert_int_equal(args_get_list(a, "debug", &list), 0); /* -nodebug hides the file */
    assert_true(args_select_section(a, "main"));
    assert_string_equal(args_get(a, "rpcuser"), "top");
    args_free(a);
}

static void expect_conf_error(const char *text, bool ignore_unknown, const char *msg)
{
    struct args *a = args_new(defs, NDEFS);
    char err[256] = "";
    assert_false(args_read_conf_text(a, text, "x.conf", ignore_unknown, err, sizeof err));
    if (!strstr(err, msg)) fail_msg("error '%s' lacks '%s'", err, msg);
    args_free(a);
}

static void test_conf_errors(void **state)
{
    (void)state;
    expect_conf_error("rpcuser=a\nnosuch=1\n", false, "Invalid parameter -nosuch in x.conf:2");
    expect_conf_error("rpcport=abc\n", true, "Invalid value for -rpcport: 'abc'");
    expect_conf_error("\n\nnoword\n", false,
                      "parse error on line 3 of x.conf: noword, if you "
                      "intended to specify a negated option");
    expect_conf_error("[regtest\n", false, "parse error on line 1");
    expect_conf_error("rpcpassword=ab#c\n", false, "using # in rpcpassword");
    expect_conf_error(" regtest.rpcpassword = ab#c\n", false, "using # in rpcpassword");
    expect_conf_error("datadir=/x\n", false, "can only be given on the command line");

    struct args *a = args_new(defs, NDEFS);
    char err[256];
    assert_true(args_read_conf_text(a, "nosuch=1\ndatadir=/x\n[weird]\nrpcuser=u\n", "x.conf",
                                    true, err, sizeof err));
    assert_non_null(args_warnings(a));
    assert_string_equal(args_warnings(a), "Section [weird] is not recognized.");
    assert_false(args_is_set(a, "datadir"));
    args_free(a);
    a = args_new(defs, NDEFS);
    assert_true(args_read_conf_text(a, "rpcuser=rpcpassword # comment\n", "x.conf", false, err,
                                    sizeof err));
    assert_string_equal(args_get(a, "rpcuser"), "rpcpassword");
    args_free(a);
}

static void test_conf_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/iop_util_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/iop.conf", dir);
    struct args *a = args_new(defs, NDEFS);
    char err[256];
    assert_true(args_read_conf_file(a, path, false, false, err, sizeof err)); /* missing: ok */
    assert_false(args_read_conf_file(a, path, true, false, err, sizeof err));
    assert_non_null(strstr(err, "could not be opened"));
    assert_true(fs_write_atomic(path, "daemon=1\n", 9, 0600, err, sizeof err));
    assert_true(args_read_conf_file(a, path, true, false, err, sizeof err));
    assert_true(args_get_bool(a, "daemon", false));
    args_free(a);
    unlink(path);
    rmdir(dir);
}

static void test_chain_selection(void **state)
{
    (void)state;
    char err[256];
    struct args *a = parse(1, (char *[]){"p", NULL});
    assert_string_equal(args_chain(a, err, sizeof err), "main");
    args_free(a);
    a = parse(2, (char *[]){"p", "-regtest", NULL});
    assert_string_equal(args_chain(a, err, sizeof err), "regtest");
    args_free(a);
    a = parse(2, (char *[]){"p", "-chain=btc-main", NULL});
    assert_string_equal(args_chain(a, err, sizeof err), "btc-main");
    args_free(a);
    a = parse(3, (char *[]){"p", "-regtest", "-testnet", NULL});
    assert_null(args_chain(a, err, sizeof err));
    assert_non_null(strstr(err, "Invalid combination"));
    args_free(a);
    a = parse(2, (char *[]){"p", "-noregtest", NULL});
    assert_true(args_read_conf_text(a, "testnet=1\n[regtest]\nchain=main\n", "c", false, err,
                                    sizeof err));
    assert_string_equal(args_chain(a, err, sizeof err), "test"); /* sections can't choose */
    args_free(a);
}

static void test_help_and_soft_set(void **state)
{
    (void)state;
    struct args *a = parse(1, (char *[]){"p", NULL});
    char *h = args_help(a);
    assert_non_null(h);
    assert_non_null(strstr(h, "  -rpcport=<port>\n       Port\n"));
    assert_null(strstr(h, "-secret"));
    free(h);
    assert_true(args_soft_set(a, "rpcuser", "soft"));
    assert_string_equal(args_get(a, "rpcuser"), "soft");
    assert_true(args_soft_set(a, "rpcuser", "other"));
    assert_string_equal(args_get(a, "rpcuser"), "soft");
    assert_false(args_soft_set(a, "nosuch", "x"));
    args_free(a);

    int64_t v;
    assert_true(args_parse_int64("-42", &v));
    assert_int_equal(v, -42);
    assert_false(args_parse_int64(" 1", &v));
    assert_false(args_parse_int64("99999999999999999999", &v));
    bool b;
    assert_true(args_parse_bool("true", &b) && b);
    assert_true(args_parse_bool("0", &b) && !b);
    assert_false(args_parse_bool("2", &b));
}

static void test_hex(void **state)
{
    (void)state;
    uint8_t data[4] = {0x00, 0xab, 0x10, 0xff};
    char hex[9];
    hex_encode(hex, data, 4);
    assert_string_equal(hex, "00ab10ff");
    uint8_t out[4];
    size_t n;
    assert_true(hex_decode(out, sizeof out, &n, "00AB10ff", 8));
    assert_int_equal(n, 4);
    assert_memory_equal(out, data, 4);
    assert_false(hex_decode(out, sizeof out, &n, "abc", 3));
    assert_false(hex_decode(out, sizeof out, &n, "zz", 2));
    assert_false(hex_decode(out, 1, &n, "0011", 4));
    uint8_t *p;
    assert_true(hex_decode_alloc("", &p, &n));
    assert_int_equal(n, 0);
    free(p);
    assert_int_equal(hex_digit('f'), 15);
    assert_int_equal(hex_digit('g'), -1);
}

static void test_random(void **state)
{
    (void)state;
    uint8_t a[32], b[32], zero[32] = {0};
    assert_true(random_bytes(a, sizeof a));
    assert_true(random_bytes(b, sizeof b));
    assert_memory_not_equal(a, b, 32);
    assert_memory_not_equal(a, zero, 32);
    assert_true(random_bytes(a, 0));
    int seen[6] = {0};
    for (int i = 0; i < 600; i++) {
        uint64_t v = random_range(6);
        assert_true(v < 6);
        seen[v]++;
    }
    for (int i = 0; i < 6; i++) assert_true(seen[i] > 0);
    assert_int_equal(random_range(1), 0);
}

static void test_fs(void **state)
{
    (void)state;
    char dir[] = "/tmp/iop_fs_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[256], err[256], path[300];
    snprintf(sub, sizeof sub, "%s/a/b/c", dir);
    assert_true(fs_mkdirs(sub, err, sizeof err));
    assert_true(fs_is_dir(sub));
    assert_true(fs_mkdirs(sub, err, sizeof err)); /* exists: fine */
    assert_true(fs_join(path, sizeof path, sub, "file"));
    assert_true(fs_write_atomic(path, "hello", 5, 0600, err, sizeof err));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *text;
    size_t len;
    assert_true(fs_read_file(path, 100, &text, &len));
    assert_int_equal(len, 5);
    assert_string_equal(text, "hello");
    free(text);
    assert_false(fs_read_file(path, 3, &text, &len)); /* over the limit */
    assert_false(fs_mkdirs(path, err, sizeof err));   /* a file is in the way */
    char j[16];
    assert_false(fs_join(j, sizeof j, "/a/long/path/name", "x"));
    assert_true(fs_join(j, sizeof j, "/a", "/abs"));
    assert_string_equal(j, "/abs");

    /* The lock excludes another process (fcntl locks are per process). */
    int fd;
    assert_true(fs_lock_dir(sub, &fd, err, sizeof err));
    pid_t pid = fork();
    if (pid == 0) {
        int fd2;
        char e2[256];
        bool got = fs_lock_dir(sub, &fd2, e2, sizeof e2);
        _exit(!got && strstr(e2, "Cannot obtain a lock") ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fd);
    pid = fork();
    if (pid == 0) {
        int fd2;
        char e2[256];
        _exit(fs_lock_dir(sub, &fd2, e2, sizeof e2) ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_log(void **state)
{
    (void)state;
    char dir[] = "/tmp/iop_log_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], moved[256], err[256];
    snprintf(path, sizeof path, "%s/debug.log", dir);
    snprintf(moved, sizeof moved, "%s/debug.log.1", dir);
    assert_true(log_open_file(path, err, sizeof err));
    char got[256];
    log_file_path(got, sizeof got);
    assert_string_equal(got, path);

    assert_false(log_category_enabled(LOG_RPC));
    assert_true(log_enable_category("rpc"));
    assert_true(log_category_enabled(LOG_RPC));
    assert_false(log_enable_category("nosuch"));
    assert_false(log_disable_category("nosuch"));
    log_info("plain %d", 1);
    log_debug(LOG_RPC, "rpc line");
    log_debug(LOG_NET, "net line");
    assert_true(log_enable_category("all"));
    assert_true(log_category_enabled(LOG_NET));
    assert_true(log_disable_category("net"));
    assert_false(log_category_enabled(LOG_NET));
    assert_true(log_category_enabled(LOG_HTTP));
    assert_true(log_enable_category("none"));
    assert_false(log_category_enabled(LOG_HTTP));
    assert_true(log_category_enabled(LOG_NONE));
    enum log_category c;
    assert_true(log_category_from_name("walletdb", &c));
    assert_int_equal(c, LOG_WALLETDB);
    assert_string_equal(log_category_name(LOG_HTTP), "http");
    assert_null(log_category_name(LOG_NONE));

    assert_int_equal(rename(path, moved), 0);
    log_request_reopen();
    log_info("after reopen");
    log_shutdown();

    char *text;
    assert_true(fs_read_file(moved, 1 << 20, &text, NULL));
    assert_non_null(strstr(text, "Z plain 1\n"));
    assert_non_null(strstr(text, "[rpc] rpc line\n"));
    assert_null(strstr(text, "net line"));
    assert_null(strstr(text, "after reopen"));
    assert_true(text[4] == '-' && text[10] == 'T'); /* ISO 8601 timestamp */
    free(text);
    assert_true(fs_read_file(path, 1 << 20, &text, NULL));
    assert_non_null(strstr(text, "after reopen"));
    free(text);
    assert_false(log_open_file("/nonexistent/dir/debug.log", err, sizeof err));
    log_shutdown();
    unlink(path);
    unlink(moved);
    rmdir(dir);
}

static void test_time(void **state)
{
    (void)state;
    int64_t now = time_now();
    assert_true(now > 1600000000);
    time_set_mock(1234);
    assert_int_equal(time_now(), 1234);
    time_set_mock(0);
    assert_true(time_now() >= now);
    int64_t m0 = time_mono_micros();
    time_sleep_ms(2);
    assert_true(time_mono_micros() - m0 >= 2000);
    assert_true(time_now_micros() / 1000000 >= now);
}

static void expect_json(json_t *v, int indent, const char *want)
{
    char *got = json_write(v, indent);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    json_decref(v);
}

/* Amounts must read back as the decimal Core prints, not jansson's %.17g digits. */
static void test_json_write(void **state)
{
    (void)state;
    expect_json(json_real(0.00012345), 0, "0.00012345");
    expect_json(json_real(50.0), 0, "50.00000000");
    expect_json(json_real(21000000.0), 0, "21000000.00000000");
    expect_json(json_real(20999999.97690000), 0, "20999999.97690000");
    expect_json(json_real(-0.5), 0, "-0.50000000");
    expect_json(json_real(0.00000001), 0, "0.00000001");
    expect_json(json_real(0.0), 0, "0.00000000");
    /* Not a whole number of satoshis: 16 significant digits, as Core writes them. */
    expect_json(json_real(4.656542373906925e-10), 0, "4.656542373906925e-10");
    expect_json(json_real(0.123456789), 0, "0.123456789");
    expect_json(json_real(1e300), 0, "1e+300");
    expect_json(json_integer(-42), 0, "-42");
    /* Strings are escaped; order of keys is insertion order. */
    json_t *o = json_object();
    json_object_set_new(o, "z", json_string("a\"b\\c\n\x01"));
    json_object_set_new(o, "a", json_array());
    json_object_set_new(o, "m", json_null());
    expect_json(o, 0, "{\"z\":\"a\\\"b\\\\c\\n\\u0001\",\"a\":[],\"m\":null}");
    json_t *p = json_pack("{s:[i,b],s:{}}", "k", 1, 1, "e");
    expect_json(p, 2, "{\n  \"k\": [\n    1,\n    true\n  ],\n  \"e\": {}\n}");
    expect_json(json_string("plain"), 0, "\"plain\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmdline_basic),
        cmocka_unit_test(test_cmdline_negation),
        cmocka_unit_test(test_cmdline_errors),
        cmocka_unit_test(test_cmdline_positional),
        cmocka_unit_test(test_conf_sections),
        cmocka_unit_test(test_conf_precedence),
        cmocka_unit_test(test_conf_errors),
        cmocka_unit_test(test_conf_file),
        cmocka_unit_test(test_chain_selection),
        cmocka_unit_test(test_help_and_soft_set),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_fs),
        cmocka_unit_test(test_log),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_json_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
