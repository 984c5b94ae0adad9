/* RPC authentication and client filtering: HTTP Basic credentials checked against the
 * cookie, -rpcuser/-rpcpassword and -rpcauth entries (user:salt$hmac, as produced by
 * Core's share/rpcauth/rpcauth.py), and -rpcallowip subnets. */
#ifndef IOP_RPC_AUTH_H
#define IOP_RPC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rpc_auth;

struct rpc_auth *rpc_auth_new(void);
void rpc_auth_free(struct rpc_auth *a);

/* Accepts user:password (the cookie or -rpcuser/-rpcpassword). */
__attribute__((warn_unused_result)) bool
rpc_auth_add_password(struct rpc_auth *a, const char *user, const char *password);
/* Accepts an -rpcauth value "user:salt$hash". False if malformed. */
__attribute__((warn_unused_result)) bool rpc_auth_add_rpcauth(struct rpc_auth *a,
                                                              const char *entry);

/* Checks an Authorization header value ("Basic base64(user:pass)"). On success copies
 * the user name into user (may be NULL). Comparisons are constant-time. */
bool rpc_auth_check_header(const struct rpc_auth *a, const char *header, char *user,
                           size_t userlen);

/* Decodes standard base64; false on bad input or if it does not fit. */
bool rpc_base64_decode(const char *in, uint8_t *out, size_t cap, size_t *out_len);

/* A new cookie "__cookie__:<64 hex>" into buf (at least 76 bytes); false if the kernel
 * RNG fails. */
__attribute__((warn_unused_result)) bool rpc_auth_make_cookie(char *buf, size_t len);

/* -rpcallowip: an address, address/prefix or address/netmask, IPv4 or IPv6. */
struct rpc_subnet {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    uint8_t mask[16];
};
__attribute__((warn_unused_result)) bool rpc_subnet_parse(const char *s,
                                                          struct rpc_subnet *out);
/* Whether addr (4 or 16 bytes by family) lies in the subnet. IPv4-mapped IPv6 addresses
 * are matched as IPv4. */
bool rpc_subnet_match(const struct rpc_subnet *n, int family, const uint8_t *addr);

#endif
