/* Authentication and allow-lists (see auth.h). */
#include "rpc/auth.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/hex.h"
#include "util/random.h"

struct cred {
    char *user;
    char *password; /* plain: cookie or rpcpassword; NULL for rpcauth */
    char *salt;     /* rpcauth */
    uint8_t hash[32];
};

struct rpc_auth {
    struct cred *creds;
    size_t n;
};

struct rpc_auth *rpc_auth_new(void) { return calloc(1, sizeof(struct rpc_auth)); }

void rpc_auth_free(struct rpc_auth *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->creds[i].user);
        if (a->creds[i].password)
            OPENSSL_cleanse(a->creds[i].password, strlen(a->creds[i].password));
        free(a->creds[i].password);
        free(a->creds[i].salt);
    }
    free(a->creds);
    free(a);
}

static struct cred *add_cred(struct rpc_auth *a)
{
    struct cred *n = realloc(a->creds, (a->n + 1) * sizeof *n);
    if (!n) return NULL;
    a->creds = n;
    memset(&n[a->n], 0, sizeof n[a->n]);
    return &n[a->n++];
}

bool rpc_auth_add_password(struct rpc_auth *a, const char *user, const char *password)
{
    char *u = strdup(user), *p = strdup(password);
    struct cred *c = (u && p) ? add_cred(a) : NULL;
    if (!c) {
        free(u);
        free(p);
        return false;
    }
    c->user = u;
    c->password = p;
    return true;
}

bool rpc_auth_add_rpcauth(struct rpc_auth *a, const char *entry)
{
    const char *colon = strchr(entry, ':');
    if (!colon || colon == entry) return false;
    const char *dollar = strchr(colon + 1, '$');
    if (!dollar || dollar == colon + 1 || strchr(dollar + 1, '$')) return false;
    uint8_t hash[32];
    size_t hl;
    if (strlen(dollar + 1) != 64 || !hex_decode(hash, sizeof hash, &hl, dollar + 1, 64) ||
        hl != 32)
        return false;
    char *u = strndup(entry, (size_t)(colon - entry));
    char *s = strndup(colon + 1, (size_t)(dollar - colon - 1));
    struct cred *c = (u && s) ? add_cred(a) : NULL;
    if (!c) {
        free(u);
        free(s);
        return false;
    }
    c->user = u;
    c->salt = s;
    memcpy(c->hash, hash, 32);
    return true;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

bool rpc_base64_decode(const char *in, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t len = strlen(in), n = 0;
    if (len % 4 != 0) return false;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = in[i + k];
            if (c == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else {
                if (pad) return false;
                v[k] = b64val(c);
                if (v[k] < 0) return false;
            }
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        uint8_t bytes[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
        for (int k = 0; k < 3 - pad; k++) {
            if (n >= cap) return false;
            out[n++] = bytes[k];
        }
    }
    *out_len = n;
    return true;
}

static bool const_eq(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen) return false;
    return CRYPTO_memcmp(a, b, alen) == 0;
}

bool rpc_auth_check_header(const struct rpc_auth *a, const char *header, char *user,
                           size_t userlen)
{
    if (!header || strncmp(header, "Basic ", 6) != 0) return false;
    const char *b64 = header + 6;
    while (*b64 == ' ') b64++;
    uint8_t buf[1024];
    size_t n;
    if (strlen(b64) > 1360 || !rpc_base64_decode(b64, buf, sizeof buf - 1, &n)) return false;
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) return false;
    char *colon = strchr((char *)buf, ':');
    if (!colon) return false;
    *colon = '\0';
    const char *u = (const char *)buf, *p = colon + 1;
    bool ok = false;
    for (size_t i = 0; i < a->n && !ok; i++) {
        const struct cred *c = &a->creds[i];
        if (!const_eq(u, strlen(u), c->user, strlen(c->user))) continue;
        if (c->password) {
            ok = const_eq(p, strlen(p), c->password, strlen(c->password));
        } else {
            uint8_t mac[32];
            unsigned int maclen = 0;
            if (HMAC(EVP_sha256(), c->salt, (int)strlen(c->salt), (const unsigned char *)p,
                     strlen(p), mac, &maclen) &&
                maclen == 32)
                ok = CRYPTO_memcmp(mac, c->hash, 32) == 0;
        }
    }
    if (ok && user) snprintf(user, userlen, "%s", u);
    OPENSSL_cleanse(buf, sizeof buf);
    return ok;
}

bool rpc_auth_make_cookie(char *buf, size_t len)
{
    uint8_t r[32];
    if (len < 11 + 65 || !random_bytes(r, sizeof r)) return false;
    memcpy(buf, "__cookie__:", 11);
    hex_encode(buf + 11, r, sizeof r);
    return true;
}

bool rpc_subnet_parse(const char *s, struct rpc_subnet *out)
{
    char host[64];
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    if (hl == 0 || hl >= sizeof host) return false;
    memcpy(host, s, hl);
    host[hl] = '\0';
    memset(out, 0, sizeof *out);
    size_t alen;
    if (inet_pton(AF_INET, host, out->addr) == 1) {
        out->family = AF_INET;
        alen = 4;
    } else if (inet_pton(AF_INET6, host, out->addr) == 1) {
        out->family = AF_INET6;
        alen = 16;
    } else {
        return false;
    }
    if (!slash) {
        memset(out->mask, 0xff, alen);
        return true;
    }
    const char *m = slash + 1;
    char *end;
    if (*m >= '0' && *m <= '9' && strlen(m) <= 3) {
        long bits = strtol(m, &end, 10);
        if (*end != '\0' || bits < 0 || (size_t)bits > alen * 8) return false;
        for (size_t i = 0; i < alen; i++) {
            long b = bits - (long)i * 8;
            out->mask[i] = b >= 8 ? 0xff : b <= 0 ? 0 : (uint8_t)(0xff << (8 - b));
        }
    } else {
        uint8_t mask[16];
        if (inet_pton(out->family, m, mask) != 1) return false;
        memcpy(out->mask, mask, alen);
    }
    for (size_t i = 0; i < alen; i++) out->addr[i] &= out->mask[i];
    return true;
}

bool rpc_subnet_match(const struct rpc_subnet *n, int family, const uint8_t *addr)
{
    uint8_t v4[4];
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == AF_INET6 && memcmp(addr, mapped, 12) == 0) {
        memcpy(v4, addr + 12, 4);
        addr = v4;
        family = AF_INET;
    }
    if (family != n->family) return false;
    size_t alen = family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < alen; i++)
        if ((addr[i] & n->mask[i]) != n->addr[i]) return false;
    return true;
}
