/* Network addresses as the P2P layer sees them: BIP155 networks, text forms, socket
 * addresses, subnets (for -whitelist, setban and -bind), and the groups that the
 * address manager and inbound eviction use to spread peers over the internet.
 * No I/O; parsing never resolves names. */
#ifndef IOP_NET_NETADDR_H
#define IOP_NET_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NETADDR_WU __attribute__((warn_unused_result))

/* BIP155 network ids (addrv2). */
enum net_network {
    NET_IPV4 = 1,  /* 4 bytes */
    NET_IPV6 = 2,  /* 16 bytes */
    NET_TORV2 = 3, /* obsolete: never stored, ignored when received */
    NET_TORV3 = 4, /* 32 bytes */
    NET_I2P = 5,   /* 32 bytes */
    NET_CJDNS = 6, /* 16 bytes, first byte 0xfc */
};

/* One endpoint. IPv4-mapped IPv6 (::ffff:a.b.c.d) is always stored as NET_IPV4. */
struct net_addr {
    uint8_t net;       /* enum net_network */
    uint8_t len;       /* bytes used in bytes[]: 4, 16 or 32 by network */
    uint8_t bytes[32]; /* network byte order; unused bytes are zero */
    uint16_t port;     /* host byte order */
};

/* An address as gossiped in addr/addrv2 messages and kept by the address manager. */
struct net_addr_info {
    struct net_addr addr;
    uint64_t services;
    uint32_t time; /* last seen, UNIX seconds */
};

/* The address length BIP155 requires for network id net; 0 for unknown networks. */
size_t net_network_addr_len(uint8_t net);

/* Parses "1.2.3.4", "1.2.3.4:8333", "::1", "[::1]", "[::1]:8333", and Tor v3
 * ("<56 base32>.onion", checksum and version checked) and I2P ("<52 base32>.b32.i2p")
 * names, with an optional ":port". The port defaults to default_port when absent; ports
 * above 65535, trailing text and "[" without "]" are refused. Brackets hold IPv6 only.
 * Host names are refused (inet_pton only, no DNS here). */
NETADDR_WU bool net_addr_parse(const char *s, uint16_t default_port, struct net_addr *out);
/* "1.2.3.4:8333" / "[2001:db8::1]:8333" when with_port, else the bare host. Onion, I2P
 * and CJDNS addresses are shown in Core's forms (base32 + ".onion" / ".b32.i2p",
 * CJDNS as IPv6). Always NUL-terminates (cutting the text when buf is short); 64 bytes
 * is enough for IPv4, IPv6 and CJDNS with port, NET_ADDR_STRLEN (80) for every form
 * (an onion name with port takes 68 characters, an I2P one 66). */
#define NET_ADDR_STRLEN 80
void net_addr_format(const struct net_addr *a, bool with_port, char *buf, size_t len);

/* From a socket address (AF_INET/AF_INET6; mapped IPv6 becomes IPv4). */
NETADDR_WU bool net_addr_from_sockaddr(const struct sockaddr *sa, socklen_t salen,
                                       struct net_addr *out);
/* To a socket address for connect/bind; 0 when the network has no socket form. */
socklen_t net_addr_to_sockaddr(const struct net_addr *a, struct sockaddr_storage *out);

/* The 16-byte form of the version message and of addr (v1): IPv4 mapped into IPv6.
 * Only IPv4 and IPv6 (and CJDNS, as IPv6) have one; false for the rest. */
NETADDR_WU bool net_addr_to_v1(const struct net_addr *a, uint8_t out[16]);
/* Reads a 16-byte form (mapped IPv4 becomes NET_IPV4; an fc00::/8 address stays
 * IPv6, as Core does for addr v1). */
void net_addr_from_v1(const uint8_t in[16], uint16_t port, struct net_addr *out);

bool net_addr_equal(const struct net_addr *a, const struct net_addr *b);     /* with port */
bool net_addr_same_host(const struct net_addr *a, const struct net_addr *b); /* no port */
bool net_addr_is_ipv4(const struct net_addr *a);
bool net_addr_is_ipv6(const struct net_addr *a);
bool net_addr_is_local(const struct net_addr *a);    /* 127/8, 0/8 (as Core), ::1 */
bool net_addr_is_routable(const struct net_addr *a); /* Core's IsRoutable: not RFC1918, ... */
bool net_addr_is_valid(const struct net_addr *a);    /* Core's IsValid: not unspecified, ... */

/* The group an address belongs to for diversity (Core's GetGroup without ASMap): the
 * network id then /16 for IPv4 (also for the IPv4 inside 6to4, Teredo, NAT64 and SIIT
 * IPv6 forms), /32 for IPv6 (/36 for Hurricane Electric's 2001:470::/32), 4 bits of the
 * first byte for Tor/I2P, 12 bits for CJDNS; as in Core, all local and unroutable
 * addresses form one group (the single byte 0). Returns the length written to out (at
 * most 8 bytes). */
size_t net_addr_group(const struct net_addr *a, uint8_t out[8]);

/* ---- Subnets ---- */

struct net_subnet {
    struct net_addr base; /* masked network address (port 0) */
    uint8_t mask[16];     /* per byte, for IPv4 only the first 4 bytes are used */
    bool valid;
};

/* "1.2.3.0/24", "1.2.3.4" (single host), "1.2.3.0/255.255.255.0", "2001:db8::/32".
 * The base is masked ("1.2.3.4/24" is 1.2.3.0/24); non-contiguous netmasks, masks of the
 * other family, ports and names are refused; onion/I2P subnets are single hosts. */
NETADDR_WU bool net_subnet_parse(const char *s, struct net_subnet *out);
/* A single-host subnet for a. */
void net_subnet_from_addr(const struct net_addr *a, struct net_subnet *out);
/* Whether a lies in n (Core's Match: an invalid address lies in no subnet). */
bool net_subnet_match(const struct net_subnet *n, const struct net_addr *a);
/* Core's forms: "1.2.3.0/24", "1.2.3.4/32", "2001:db8::/32". */
void net_subnet_format(const struct net_subnet *n, char *buf, size_t len);
bool net_subnet_equal(const struct net_subnet *a, const struct net_subnet *b);

#endif
