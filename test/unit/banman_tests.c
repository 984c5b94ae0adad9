/* Tests for src/net/banman: bans by subnet with expiry, unban and clear, banlist.json
 * round trips and malformed files, and the bounded discouragement set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "net/banman.h"
#include "test_util.h"

#define NOW 1700000000

static struct net_addr addr(const char *s)
{
    struct net_addr a;
    if (!net_addr_parse(s, 8333, &a)) fail_msg("bad address %s", s);
    return a;
}

static struct net_subnet subnet(const char *s)
{
    struct net_subnet n;
    if (!net_subnet_parse(s, &n)) fail_msg("bad subnet %s", s);
    return n;
}

static bool banned(struct banman *b, const char *a, int64_t now)
{
    struct net_addr x = addr(a);
    return banman_is_banned(b, &x, now);
}

static struct banman *mem_banman(void)
{
    char err[256];
    struct banman *b = banman_open(NULL, NOW, err, sizeof(err));
    assert_non_null(b);
    assert_string_equal(err, "");
    return b;
}

static void test_ban_and_match(void **state)
{
    (void)state;
    struct banman *b = mem_banman();
    struct net_subnet s = subnet("1.2.3.0/24");
    assert_true(banman_ban(b, &s, NOW + 100, NOW));
    assert_true(banned(b, "1.2.3.4", NOW));
    assert_true(banned(b, "1.2.3.255:1", NOW));
    assert_false(banned(b, "1.2.4.1", NOW));
    assert_false(banned(b, "::1", NOW));
    assert_true(banman_is_subnet_banned(b, &s, NOW));
    struct net_subnet host = subnet("1.2.3.4");
    assert_false(banman_is_subnet_banned(b, &host, NOW)); /* exact subnets only */

    /* A shorter or equal ban of the same subnet changes nothing; a longer one does. */
    assert_false(banman_ban(b, &s, NOW + 50, NOW));
    assert_false(banman_ban(b, &s, NOW + 100, NOW));
    assert_true(banman_ban(b, &s, NOW + 200, NOW));
    struct ban_entry *list = NULL;
    assert_int_equal(banman_list(b, NOW, &list), 1);
    assert_int_equal(list[0].until, NOW + 200);
    assert_true(net_subnet_equal(&list[0].subnet, &s));
    free(list);

    /* Expiry: banned strictly before `until`. */
    assert_true(banned(b, "1.2.3.4", NOW + 199));
    assert_false(banned(b, "1.2.3.4", NOW + 200));
    assert_false(banman_is_subnet_banned(b, &s, NOW + 200));
    assert_int_equal(banman_list(b, NOW + 200, &list), 0);
    assert_null(list);

    /* IPv6 and single hosts. */
    struct net_subnet v6 = subnet("2a00:1450::/32");
    assert_true(banman_ban(b, &v6, NOW + 10, NOW));
    assert_true(banned(b, "[2a00:1450:1::2]:8333", NOW));
    assert_false(banned(b, "2a00:1451::2", NOW));
    assert_true(banman_ban(b, &host, NOW + 10, NOW));
    assert_true(banned(b, "1.2.3.4", NOW));
    assert_false(banned(b, "1.2.3.5", NOW));

    /* Unban removes exactly the subnet given. */
    assert_false(banman_unban(b, &s));
    assert_true(banman_unban(b, &host));
    assert_false(banman_unban(b, &host));
    assert_false(banned(b, "1.2.3.4", NOW));
    assert_true(banned(b, "2a00:1450::1", NOW));
    banman_clear(b);
    assert_false(banned(b, "2a00:1450::1", NOW));
    assert_int_equal(banman_list(b, NOW, &list), 0);

    struct net_subnet invalid;
    memset(&invalid, 0, sizeof(invalid));
    assert_false(banman_ban(b, &invalid, NOW + 10, NOW));
    /* Without a file, saving is a no-op. */
    char err[256];
    assert_true(banman_save(b, true, err, sizeof(err)));
    banman_free(b);
    banman_free(NULL);
}

static char *tmp_path(char **dir)
{
    *dir = test_make_tmpdir("banman");
    char *p = malloc(strlen(*dir) + 32);
    assert_non_null(p);
    sprintf(p, "%s/banlist.json", *dir);
    return p;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

static void test_save_load(void **state)
{
    (void)state;
    char *dir;
    char *path = tmp_path(&dir);
    char err[256];
    struct banman *b = banman_open(path, NOW, err, sizeof(err));
    assert_non_null(b);
    assert_string_equal(err, ""); /* missing file: not an error */
    /* Nothing changed: no file written. */
    assert_true(banman_save(b, false, err, sizeof(err)));
    FILE *f = fopen(path, "rb");
    assert_null(f);

    const char *nets[] = {"1.2.3.0/24", "5.6.7.8/32", "2a02:db8::/32", "10.0.0.0/8"};
    for (int i = 0; i < 4; i++) {
        struct net_subnet s = subnet(nets[i]);
        assert_true(banman_ban(b, &s, NOW + 1000 + i, NOW - i));
    }
    struct net_subnet short_ban = subnet("9.9.9.9");
    assert_true(banman_ban(b, &short_ban, NOW + 5, NOW));
    assert_true(banman_save(b, false, err, sizeof(err)));
    banman_free(b);

    /* The file is Core's format. */
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    assert_non_null(root);
    json_t *arr = json_object_get(root, "banned_nets");
    assert_true(json_is_array(arr));
    assert_int_equal(json_array_size(arr), 5);
    json_t *e0 = json_array_get(arr, 0);
    assert_int_equal(json_integer_value(json_object_get(e0, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(e0, "address")), "1.2.3.0/24");
    assert_int_equal(json_integer_value(json_object_get(e0, "ban_created")), NOW);
    assert_int_equal(json_integer_value(json_object_get(e0, "banned_until")), NOW + 1000);
    json_decref(root);

    /* Reopened later: the short ban has expired and is dropped. */
    b = banman_open(path, NOW + 10, err, sizeof(err));
    assert_non_null(b);
    assert_string_equal(err, "");
    struct ban_entry *list = NULL;
    size_t n = banman_list(b, NOW + 10, &list);
    assert_int_equal(n, 4);
    for (int i = 0; i < 4; i++) {
        struct net_subnet s = subnet(nets[i]);
        bool found = false;
        for (size_t k = 0; k < n; k++)
            if (net_subnet_equal(&list[k].subnet, &s)) {
                found = true;
                assert_int_equal(list[k].until, NOW + 1000 + i);
                assert_int_equal(list[k].created, NOW - i);
            }
        assert_true(found);
    }
    free(list);
    assert_true(banned(b, "10.200.0.1", NOW + 10));
    assert_true(banned(b, "2a02:db8:ffff::1", NOW + 10));
    assert_false(banned(b, "9.9.9.9", NOW + 10));
    /* list swept the expired entry: a save writes the file again without it. */
    assert_true(banman_save(b, false, err, sizeof(err)));
    banman_free(b);
    root = json_load_file(path, 0, &jerr);
    assert_non_null(root);
    assert_int_equal(json_array_size(json_object_get(root, "banned_nets")), 4);
    json_decref(root);

    /* Entries of another version are skipped, not an error. */
    write_text(path,
               "{\"banned_nets\": [{\"version\": 2, \"ban_created\": 1, \"banned_until\": "
               "9999999999, \"address\": \"whatever\"}, {\"version\": 1, \"ban_created\": "
               "1, \"banned_until\": 9999999999, \"address\": \"7.7.7.7\"}]}");
    b = banman_open(path, NOW, err, sizeof(err));
    assert_string_equal(err, "");
    assert_true(banned(b, "7.7.7.7", NOW));
    banman_free(b);

    test_remove_tree(dir);
    free(dir);
    free(path);
}

static void test_malformed_files(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "not json",
        "{\"banned_nets\": [",
        "[]",
        "{}",
        "{\"banned_nets\": {}}",
        "{\"banned_nets\": [1]}",
        "{\"banned_nets\": [{\"version\": \"1\", \"ban_created\": 1, \"banned_until\": "
        "9999999999, \"address\": \"1.2.3.4\"}]}",
        "{\"banned_nets\": [{\"version\": 1, \"ban_created\": 1.5, \"banned_until\": "
        "9999999999, \"address\": \"1.2.3.4\"}]}",
        "{\"banned_nets\": [{\"version\": 1, \"ban_created\": 1, \"banned_until\": "
        "\"later\", \"address\": \"1.2.3.4\"}]}",
        "{\"banned_nets\": [{\"version\": 1, \"ban_created\": 1, \"banned_until\": "
        "9999999999, \"address\": 16909060}]}",
        "{\"banned_nets\": [{\"version\": 1, \"ban_created\": 1, \"banned_until\": "
        "9999999999}]}",
        "{\"banned_nets\": [{\"version\": 1, \"ban_created\": 1, \"banned_until\": "
        "9999999999, \"address\": \"1.2.3.0/255.0.255.0\"}]}",
        "{\"banned_nets\": [{\"version\": 1, \"ban_created\": 1, \"banned_until\": "
        "9999999999, \"address\": \"bitcoin.org\"}]}",
        "{\"banned_nets\": [{\"version\": 1, \"ban_created\": 1, \"banned_until\": "
        "9999999999, \"address\": \"1.2.3.4/33\"}]}",
        /* One good entry before a bad one: the whole file is refused. */
        "{\"banned_nets\": [{\"version\": 1, \"ban_created\": 1, \"banned_until\": "
        "9999999999, \"address\": \"8.8.8.8\"}, {\"version\": 1, \"ban_created\": 1, "
        "\"banned_until\": 9999999999, \"address\": \"1.2.3\"}]}",
        "{\"banned_nets\": [], \"banned_nets\": []}",
    };
    char *dir;
    char *path = tmp_path(&dir);
    size_t n = sizeof(bad) / sizeof(bad[0]);
    for (size_t i = 0; i < n; i++) {
        write_text(path, bad[i]);
        char err[256] = "";
        struct banman *b = banman_open(path, NOW, err, sizeof(err));
        assert_non_null(b);
        if (strlen(err) == 0) fail_msg("no error for file %zu: %s", i, bad[i]);
        struct ban_entry *list = NULL;
        assert_int_equal(banman_list(b, NOW, &list), 0);
        assert_false(banned(b, "8.8.8.8", NOW));
        banman_free(b);
    }
    test_report_count("banman malformed banlist.json", n);
    test_remove_tree(dir);
    free(dir);
    free(path);
}

static void test_discouragement(void **state)
{
    (void)state;
    struct banman *b = mem_banman();
    struct net_addr a = addr("1.2.3.4:8333"), other_port = addr("1.2.3.4:1");
    struct net_addr c = addr("1.2.3.5");
    assert_false(banman_is_discouraged(b, &a));
    banman_discourage(b, &a);
    assert_true(banman_is_discouraged(b, &a));
    assert_true(banman_is_discouraged(b, &other_port)); /* by host */
    assert_false(banman_is_discouraged(b, &c));
    assert_false(banman_is_banned(b, &a, NOW)); /* discouraged is not banned */
    banman_discourage(b, &a);                   /* twice is once */

    /* Fill past the bound: the oldest are forgotten first, the newest are kept. */
    const int total = BANMAN_DISCOURAGED_MAX + 1000;
    for (int i = 0; i < total; i++) {
        struct net_addr x;
        memset(&x, 0, sizeof(x));
        x.net = NET_IPV6;
        x.len = 16;
        x.bytes[0] = 0x2a;
        x.bytes[12] = (uint8_t)(i >> 24);
        x.bytes[13] = (uint8_t)(i >> 16);
        x.bytes[14] = (uint8_t)(i >> 8);
        x.bytes[15] = (uint8_t)i;
        banman_discourage(b, &x);
    }
    size_t kept = 0;
    for (int i = 0; i < total; i++) {
        struct net_addr x;
        memset(&x, 0, sizeof(x));
        x.net = NET_IPV6;
        x.len = 16;
        x.bytes[0] = 0x2a;
        x.bytes[12] = (uint8_t)(i >> 24);
        x.bytes[13] = (uint8_t)(i >> 16);
        x.bytes[14] = (uint8_t)(i >> 8);
        x.bytes[15] = (uint8_t)i;
        bool d = banman_is_discouraged(b, &x);
        /* 1 + total were discouraged: `a` and the 1000 oldest of these went. */
        if (i < 1000)
            assert_false(d);
        else
            assert_true(d);
        kept += d;
    }
    assert_false(banman_is_discouraged(b, &a));
    assert_int_equal(kept, BANMAN_DISCOURAGED_MAX);
    banman_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ban_and_match),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_malformed_files),
        cmocka_unit_test(test_discouragement),
    };
    return cmocka_run_group_tests_name("banman_tests", tests, NULL, NULL);
}
