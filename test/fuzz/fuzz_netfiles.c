/* libFuzzer harness for the network files and text forms: peers.dat (addrman_load, both
 * on the raw input and on the input with the magic and a correct checksum added, so the
 * entry parser behind the checksum is reached), banlist.json (banman_open), and the
 * input as a string for net_addr_parse and net_subnet_parse. Whatever loads must work
 * (select, get_addr) and survive a save and reload unchanged in size; whatever parses
 * must format and parse back to the same value. Everything is freed, so LeakSanitizer
 * sees a loader that keeps memory on failure. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "consensus/hash.h"
#include "net/addrman.h"
#include "net/banman.h"
#include "net/netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) abort();                                                                  \
    } while (0)

#define NOW 1700000000

static const uint8_t MAGIC[4] = {0xf9, 0xbe, 0xb4, 0xd9};

static const char *tmp_path(int which)
{
    static char paths[3][64];
    if (!paths[which][0])
        snprintf(paths[which], sizeof(paths[which]), "/tmp/iop-fuzz-netfiles-%d-%d",
                 (int)getpid(), which);
    return paths[which];
}

static bool write_file(const char *path, const uint8_t *a, size_t alen, const uint8_t *b,
                       size_t blen)
{
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = (alen == 0 || fwrite(a, 1, alen, f) == alen) &&
              (blen == 0 || fwrite(b, 1, blen, f) == blen);
    return fclose(f) == 0 && ok;
}

static void exercise_addrman(const char *path)
{
    char err[256];
    bool missing = true;
    struct addrman *m = addrman_load(path, MAGIC, &missing, err, sizeof(err));
    CHECK(!missing);
    if (!m) {
        CHECK(err[0] != '\0');
        return;
    }
    size_t n = addrman_size(m);
    CHECK(addrman_size_tried(m) <= n);
    struct net_addr_info out[16];
    if (n > 0) {
        /* Select can take long on a table whose entries all failed often; once is
         * enough for a crash check. */
        CHECK(addrman_select(m, false, NOW, &out[0]));
    }
    CHECK(addrman_get_addr(m, 16, 0, NOW, out) <= 16);
    /* Saving syncs to disk: only worth it for a table with something in it. */
    const char *again = tmp_path(2);
    if (n > 0 && addrman_save(m, again, MAGIC, err, sizeof(err))) {
        bool miss2 = true;
        struct addrman *r = addrman_load(again, MAGIC, &miss2, err, sizeof(err));
        CHECK(r != NULL);
        CHECK(addrman_size(r) == n);
        addrman_free(r);
    }
    addrman_free(m);
}

static void fuzz_peers_dat(const uint8_t *data, size_t size)
{
    const char *path = tmp_path(0);
    if (write_file(path, data, size, NULL, 0)) exercise_addrman(path);
    /* The same bytes as the body of a file with the right magic and checksum. */
    uint8_t *body = malloc(size + 4);
    if (!body) return;
    memcpy(body, MAGIC, 4);
    if (size) memcpy(body + 4, data, size);
    uint8_t sum[32];
    sha256d(body, size + 4, sum);
    if (write_file(path, body, size + 4, sum, 32)) exercise_addrman(path);
    free(body);
}

static void fuzz_banlist(const uint8_t *data, size_t size)
{
    const char *path = tmp_path(1);
    if (!write_file(path, data, size, NULL, 0)) return;
    char err[256];
    struct banman *b = banman_open(path, NOW, err, sizeof(err));
    CHECK(b != NULL);
    struct ban_entry *list = NULL;
    size_t n = banman_list(b, NOW, &list);
    for (size_t i = 0; i < n; i++) {
        CHECK(list[i].until > NOW);
        CHECK(banman_is_subnet_banned(b, &list[i].subnet, NOW));
    }
    free(list);
    if (n > 0 && banman_save(b, true, err, sizeof(err))) {
        struct banman *r = banman_open(path, NOW, err, sizeof(err));
        CHECK(r != NULL);
        CHECK(err[0] == '\0');
        struct ban_entry *l2 = NULL;
        CHECK(banman_list(r, NOW, &l2) == n);
        free(l2);
        banman_free(r);
    }
    banman_free(b);
}

static void fuzz_strings(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return;
    if (size) memcpy(s, data, size);
    s[size] = '\0';
    struct net_addr a, b;
    if (net_addr_parse(s, 8333, &a)) {
        CHECK(a.len == net_network_addr_len(a.net));
        char buf[96];
        net_addr_format(&a, true, buf, sizeof(buf));
        CHECK(net_addr_parse(buf, 1, &b));
        CHECK(net_addr_equal(&a, &b));
        net_addr_format(&a, false, buf, sizeof(buf));
        CHECK(net_addr_parse(buf, a.port, &b));
        CHECK(net_addr_equal(&a, &b));
        uint8_t g[8];
        CHECK(net_addr_group(&a, g) <= 8);
        (void)net_addr_is_routable(&a);
        uint8_t v1[16];
        if (net_addr_to_v1(&a, v1)) {
            net_addr_from_v1(v1, a.port, &b);
            CHECK(net_addr_equal(&a, &b));
        }
        struct sockaddr_storage ss;
        socklen_t sl = net_addr_to_sockaddr(&a, &ss);
        if (sl) {
            CHECK(net_addr_from_sockaddr((struct sockaddr *)&ss, sl, &b));
            CHECK(net_addr_equal(&a, &b));
        }
    }
    struct net_subnet n, m;
    if (net_subnet_parse(s, &n)) {
        CHECK(n.valid);
        char buf[128];
        net_subnet_format(&n, buf, sizeof(buf));
        CHECK(net_subnet_parse(buf, &m));
        CHECK(net_subnet_equal(&n, &m));
        if (net_addr_is_valid(&n.base)) CHECK(net_subnet_match(&n, &n.base));
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    fuzz_strings(data, size);
    fuzz_peers_dat(data, size);
    fuzz_banlist(data, size);
    return 0;
}
