/* Network RPC methods (see net_rpc.h). Texts and fields follow Bitcoin Core's. */
#define _GNU_SOURCE
#include "net/net_rpc.h"

#include "iop-config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/mempool.h"
#include "chain/script_format.h"
#include "net/net_processing.h"
#include "util/log.h"
#include "util/timeutil.h"

#define P2P_DISABLED "Error: Peer-to-peer functionality missing or disabled"

static struct connman *need_cm(void *vctx, struct rpc_error *err)
{
    struct net_rpc_ctx *ctx = vctx;
    if (!ctx->cm) rpc_error_set(err, RPC_CLIENT_P2P_DISABLED, P2P_DISABLED);
    return ctx->cm;
}

static const json_t *param(const json_t *params, size_t i)
{
    const json_t *v = json_array_get(params, i);
    return v && !json_is_null(v) ? v : NULL;
}

static json_t *services_hex(uint64_t s)
{
    char buf[17];
    snprintf(buf, sizeof buf, "%016" PRIx64, s);
    return json_string(buf);
}

static json_t *services_names(uint64_t s)
{
    static const struct {
        uint64_t bit;
        const char *name;
    } names[] = {
        {NODE_NETWORK, "NETWORK"},         {NODE_BLOOM, "BLOOM"},
        {NODE_WITNESS, "WITNESS"},         {NODE_COMPACT_FILTERS, "COMPACT_FILTERS"},
        {NODE_NETWORK_LIMITED, "NETWORK_LIMITED"}, {NODE_P2P_V2, "P2P_V2"},
        {NODE_IOP_SERVICES, "IOP_SERVICES"},
    };
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (s & names[i].bit) json_array_append_new(a, json_string(names[i].name));
    for (int b = 0; b < 64; b++) {
        uint64_t bit = 1ULL << b;
        bool known = false;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) known |= names[i].bit == bit;
        if ((s & bit) && !known) {
            char buf[32];
            snprintf(buf, sizeof buf, "UNKNOWN[2^%d]", b);
            json_array_append_new(a, json_string(buf));
        }
    }
    return a;
}

static const char *network_name(const struct net_addr *a)
{
    if (!net_addr_is_routable(a)) return "not_publicly_routable";
    switch (a->net) {
    case NET_IPV4: return "ipv4";
    case NET_IPV6: return "ipv6";
    case NET_TORV3: return "onion";
    case NET_I2P: return "i2p";
    case NET_CJDNS: return "cjdns";
    }
    return "unroutable";
}

/* ---- getconnectioncount / getnetworkinfo ---- */

static bool rpc_getconnectioncount(void *vctx, const json_t *params, json_t **result,
                                   struct rpc_error *err)
{
    (void)params;
    struct connman *cm = need_cm(vctx, err);
    if (!cm) return false;
    *result = json_integer((json_int_t)connman_count(cm, 0));
    return true;
}

static bool rpc_getnetworkinfo(void *vctx, const json_t *params, json_t **result,
                               struct rpc_error *err)
{
    (void)params;
    (void)err;
    struct net_rpc_ctx *ctx = vctx;
    struct connman *cm = ctx->cm;
    json_t *o = json_object();
    int maj = 0, min = 0, pat = 0;
    sscanf(PACKAGE_VERSION, "%d.%d.%d", &maj, &min, &pat);
    json_object_set_new(o, "version", json_integer(maj * 10000 + min * 100 + pat));
    json_object_set_new(o, "subversion", json_string(ctx->subversion ? ctx->subversion : ""));
    json_object_set_new(o, "protocolversion", json_integer(NET_PROTOCOL_VERSION));
    uint64_t services = cm ? connman_local_services(cm) : 0;
    json_object_set_new(o, "localservices", services_hex(services));
    json_object_set_new(o, "localservicesnames", services_names(services));
    json_object_set_new(o, "localrelay", json_true());
    json_object_set_new(o, "timeoffset", json_integer(0));
    if (cm) {
        json_object_set_new(o, "networkactive", json_boolean(connman_network_active(cm)));
        json_object_set_new(o, "connections", json_integer((json_int_t)connman_count(cm, 0)));
        json_object_set_new(o, "connections_in", json_integer((json_int_t)connman_count(cm, 1)));
        json_object_set_new(o, "connections_out", json_integer((json_int_t)connman_count(cm, 2)));
    }
    json_t *nets = json_array();
    static const char *const names[] = {"ipv4", "ipv6", "onion", "i2p", "cjdns"};
    for (size_t i = 0; i < 5; i++) {
        bool ip = i < 2;
        json_array_append_new(nets, json_pack("{s:s,s:b,s:b,s:s,s:b}", "name", names[i],
                                              "limited", !ip, "reachable", ip, "proxy", "",
                                              "proxy_randomize_credentials", 0));
    }
    json_object_set_new(o, "networks", nets);
    int64_t relay = 1000, incr = 1000;
    if (cm) {
        struct node_context *n = connman_node(cm);
        pthread_mutex_lock(&n->lock);
        relay = n->policy.min_relay_fee;
        incr = n->policy.incremental_relay_fee;
        pthread_mutex_unlock(&n->lock);
    }
    json_object_set_new(o, "relayfee", amount_to_json(relay));
    json_object_set_new(o, "incrementalfee", amount_to_json(incr));
    json_object_set_new(o, "localaddresses", json_array());
    json_object_set_new(o, "warnings", json_array());
    *result = o;
    return true;
}

/* ---- getpeerinfo ---- */

static json_t *msg_stats(const struct net_msg_stat *s, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        if (s[i].bytes) json_object_set_new(o, s[i].command, json_integer((json_int_t)s[i].bytes));
    return o;
}

static json_t *peer_json(const struct peer *p)
{
    json_t *o = json_object();
    char buf[128];
    json_object_set_new(o, "id", json_integer(p->id));
    json_object_set_new(o, "addr", json_string(p->dial[0] ? p->dial : p->addr_name));
    if (p->local.len) {
        net_addr_format(&p->local, true, buf, sizeof buf);
        json_object_set_new(o, "addrbind", json_string(buf));
    }
    json_object_set_new(o, "network", json_string(network_name(&p->addr)));
    json_object_set_new(o, "services", services_hex(p->services));
    json_object_set_new(o, "servicesnames", services_names(p->services));
    json_object_set_new(o, "relaytxes", json_boolean(p->relay_txs));
    json_object_set_new(o, "lastsend", json_integer(p->last_send));
    json_object_set_new(o, "lastrecv", json_integer(p->last_recv));
    json_object_set_new(o, "last_transaction", json_integer(p->last_tx_time));
    json_object_set_new(o, "last_block", json_integer(p->last_block_time));
    json_object_set_new(o, "bytessent", json_integer((json_int_t)p->bytes_sent));
    json_object_set_new(o, "bytesrecv", json_integer((json_int_t)p->bytes_recv));
    json_object_set_new(o, "conntime", json_integer(p->connected_time));
    json_object_set_new(o, "timeoffset", json_integer(0));
    if (p->last_ping_us >= 0)
        json_object_set_new(o, "pingtime", json_real((double)p->last_ping_us / 1e6));
    if (p->min_ping_us >= 0)
        json_object_set_new(o, "minping", json_real((double)p->min_ping_us / 1e6));
    if (p->ping_nonce)
        json_object_set_new(o, "pingwait",
                            json_real((double)(time_mono_micros() - p->ping_start) / 1e6));
    json_object_set_new(o, "version", json_integer(p->version));
    json_object_set_new(o, "subver", json_string(p->subver));
    json_object_set_new(o, "inbound", json_boolean(p->type == CONN_INBOUND));
    json_object_set_new(o, "bip152_hb_to", json_false());
    json_object_set_new(o, "bip152_hb_from", json_boolean(p->cmpct_hb));
    json_object_set_new(o, "startingheight", json_integer(p->starting_height));
    json_object_set_new(o, "presynced_headers", json_integer(-1));
    json_object_set_new(o, "synced_headers", json_integer(netproc_synced_headers(p)));
    json_object_set_new(o, "synced_blocks", json_integer(netproc_synced_blocks(p)));
    int32_t heights[NP_MAX_BLOCKS_IN_TRANSIT_PER_PEER];
    size_t nh = netproc_inflight(p, heights, NP_MAX_BLOCKS_IN_TRANSIT_PER_PEER);
    json_t *inflight = json_array();
    for (size_t i = 0; i < nh; i++) json_array_append_new(inflight, json_integer(heights[i]));
    json_object_set_new(o, "inflight", inflight);
    json_object_set_new(o, "addr_relay_enabled", json_boolean(p->type != CONN_BLOCK_RELAY));
    json_object_set_new(o, "addr_processed", json_integer((json_int_t)p->addr_processed));
    json_object_set_new(o, "addr_rate_limited", json_integer((json_int_t)p->addr_rate_limited));
    json_t *perms = json_array();
    const char *names[8];
    size_t np = net_permissions_names(p->perms, names);
    for (size_t i = 0; i < np; i++) json_array_append_new(perms, json_string(names[i]));
    json_object_set_new(o, "permissions", perms);
    json_object_set_new(o, "minfeefilter", amount_to_json(p->fee_filter));
    json_object_set_new(o, "bytessent_per_msg", msg_stats(p->sent_stats, p->nsent_stats));
    json_object_set_new(o, "bytesrecv_per_msg", msg_stats(p->recv_stats, p->nrecv_stats));
    json_object_set_new(o, "connection_type", json_string(conn_type_name(p->type)));
    json_object_set_new(o, "transport_protocol_type", json_string("v1"));
    json_object_set_new(o, "session_id", json_string(""));
    return o;
}

static bool rpc_getpeerinfo(void *vctx, const json_t *params, json_t **result,
                            struct rpc_error *err)
{
    (void)params;
    struct connman *cm = need_cm(vctx, err);
    if (!cm) return false;
    json_t *a = json_array();
    pthread_mutex_lock(connman_lock(cm));
    /* Oldest first, as Core lists by id. */
    size_t n = 0;
    for (struct peer *p = connman_peers(cm); p; p = p->next) n++;
    const struct peer **v = calloc(n ? n : 1, sizeof *v);
    if (v) {
        size_t k = 0;
        for (struct peer *p = connman_peers(cm); p; p = p->next)
            if (p->connected && !p->disconnect) v[k++] = p;
        for (size_t i = k; i-- > 0;) json_array_append_new(a, peer_json(v[i]));
    }
    pthread_mutex_unlock(connman_lock(cm));
    free(v);
    *result = a;
    return true;
}

/* ---- addnode / disconnectnode / getaddednodeinfo ---- */

static bool rpc_addnode(void *vctx, const json_t *params, json_t **result, struct rpc_error *err)
{
    struct connman *cm = need_cm(vctx, err);
    if (!cm) return false;
    const char *node = json_string_value(param(params, 0));
    const char *cmd = json_string_value(param(params, 1));
    if (!node || !cmd)
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "node and command are required");
    if (strcmp(cmd, "onetry") == 0) {
        char e[256];
        if (!connman_addnode_onetry(cm, node, e, sizeof e))
            return rpc_error_set(err, RPC_CLIENT_INVALID_IP_OR_SUBNET, "%s", e);
    } else if (strcmp(cmd, "add") == 0) {
        struct net_addr a;
        if (!net_addr_parse(node, connman_params(cm)->default_port, &a))
            return rpc_error_set(err, RPC_CLIENT_INVALID_IP_OR_SUBNET,
                                 "Error: Invalid address %s (host names are not resolved)", node);
        if (!connman_addnode_add(cm, node))
            return rpc_error_set(err, RPC_CLIENT_NODE_ALREADY_ADDED,
                                 "Error: Node already added");
    } else if (strcmp(cmd, "remove") == 0) {
        if (!connman_addnode_remove(cm, node))
            return rpc_error_set(err, RPC_CLIENT_NODE_NOT_ADDED,
                                 "Error: Node could not be removed. It has not been added "
                                 "previously.");
    } else {
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "Invalid command '%s': use \"add\", \"remove\" or \"onetry\"", cmd);
    }
    *result = json_null();
    return true;
}

static bool rpc_disconnectnode(void *vctx, const json_t *params, json_t **result,
                               struct rpc_error *err)
{
    struct connman *cm = need_cm(vctx, err);
    if (!cm) return false;
    const json_t *addr = param(params, 0), *id = param(params, 1);
    const char *s = json_string_value(addr);
    bool found;
    if (s && *s && !id) {
        found = connman_disconnect_addr(cm, s) > 0;
    } else if (id && (!addr || (s && !*s))) {
        if (!json_is_integer(id))
            return rpc_error_set(err, RPC_TYPE_ERROR, "JSON value of type %s is not of expected "
                                                      "type number",
                                 rpc_json_type_name(id));
        found = connman_disconnect_id(cm, json_integer_value(id));
    } else {
        return rpc_error_set(err, RPC_INVALID_PARAMS,
                             "Only one of address and nodeid should be provided.");
    }
    if (!found)
        return rpc_error_set(err, RPC_CLIENT_NODE_NOT_CONNECTED,
                             "Node not found in connected nodes");
    *result = json_null();
    return true;
}

static bool rpc_getaddednodeinfo(void *vctx, const json_t *params, json_t **result,
                                 struct rpc_error *err)
{
    struct connman *cm = need_cm(vctx, err);
    if (!cm) return false;
    const char *only = json_string_value(param(params, 0));
    json_t *a = json_array();
    bool matched = false;
    pthread_mutex_lock(connman_lock(cm));
    const char **nodes;
    size_t n = connman_added_nodes(cm, &nodes);
    for (size_t i = 0; i < n; i++) {
        if (only && strcmp(only, nodes[i]) != 0) continue;
        matched = true;
        json_t *o = json_object();
        json_object_set_new(o, "addednode", json_string(nodes[i]));
        struct net_addr want;
        bool parsed = net_addr_parse(nodes[i], connman_params(cm)->default_port, &want);
        json_t *addrs = json_array();
        bool connected = false;
        for (struct peer *p = connman_peers(cm); p; p = p->next) {
            if (p->disconnect || !p->connected) continue;
            if ((parsed && net_addr_equal(&p->addr, &want)) ||
                (p->dial[0] && strcmp(p->dial, nodes[i]) == 0)) {
                connected = true;
                json_array_append_new(
                    addrs, json_pack("{s:s,s:s}", "address", p->addr_name, "connected",
                                     p->type == CONN_INBOUND ? "inbound" : "outbound"));
            }
        }
        json_object_set_new(o, "connected", json_boolean(connected));
        json_object_set_new(o, "addresses", addrs);
        json_array_append_new(a, o);
    }
    pthread_mutex_unlock(connman_lock(cm));
    if (only && !matched) {
        json_decref(a);
        return rpc_error_set(err, RPC_CLIENT_NODE_NOT_ADDED, "Error: Node has not been added.");
    }
    *result = a;
    return true;
}

/* ---- getnettotals / ping / setnetworkactive ---- */

static bool rpc_getnettotals(void *vctx, const json_t *params, json_t **result,
                             struct rpc_error *err)
{
    (void)params;
    struct connman *cm = need_cm(vctx, err);
    if (!cm) return false;
    uint64_t recv, sent;
    connman_totals(cm, &recv, &sent);
    json_t *up = json_pack("{s:i,s:i,s:b,s:b,s:i,s:i}", "timeframe", 86400, "target", 0,
                           "target_reached", 0, "serve_historical_blocks", 1,
                           "bytes_left_in_cycle", 0, "time_left_in_cycle", 0);
    *result = json_pack("{s:I,s:I,s:I,s:o}", "totalbytesrecv", (json_int_t)recv,
                        "totalbytessent", (json_int_t)sent, "timemillis",
                        (json_int_t)(time_now_micros() / 1000), "uploadtarget", up);
    return *result != NULL;
}

static bool rpc_ping(void *vctx, const json_t *params, json_t **result, struct rpc_error *err)
{
    (void)params;
    struct connman *cm = need_cm(vctx, err);
    if (!cm) return false;
    connman_ping_all(cm);
    *result = json_null();
    return true;
}

static bool rpc_setnetworkactive(void *vctx, const json_t *params, json_t **result,
                                 struct rpc_error *err)
{
    struct connman *cm = need_cm(vctx, err);
    if (!cm) return false;
    const json_t *s = param(params, 0);
    if (!s || !json_is_boolean(s))
        return rpc_error_set(err, RPC_TYPE_ERROR, "state must be a boolean");
    connman_set_network_active(cm, json_is_true(s));
    *result = json_boolean(connman_network_active(cm));
    return true;
}

/* ---- bans ---- */

static bool rpc_setban(void *vctx, const json_t *params, json_t **result, struct rpc_error *err)
{
    struct connman *cm = need_cm(vctx, err);
    if (!cm) return false;
    const char *sub = json_string_value(param(params, 0));
    const char *cmd = json_string_value(param(params, 1));
    if (!sub || !cmd || (strcmp(cmd, "add") != 0 && strcmp(cmd, "remove") != 0))
        return rpc_error_set(err, RPC_INVALID_PARAMETER,
                             "setban \"subnet\" \"command\": command is \"add\" or \"remove\"");
    struct net_subnet s;
    if (!net_subnet_parse(sub, &s)) {
        struct net_addr a;
        if (!net_addr_parse(sub, 0, &a))
            return rpc_error_set(err, RPC_CLIENT_INVALID_IP_OR_SUBNET, "Error: Invalid IP/Subnet");
        net_subnet_from_addr(&a, &s);
    }
    struct banman *bm = connman_banman(cm);
    int64_t now = time_now();
    if (strcmp(cmd, "add") == 0) {
        if (banman_is_subnet_banned(bm, &s, now))
            return rpc_error_set(err, RPC_CLIENT_NODE_ALREADY_ADDED,
                                 "Error: IP/Subnet already banned");
        int64_t bantime = connman_bantime(cm);
        const json_t *t = param(params, 2);
        if (t) {
            if (!json_is_integer(t))
                return rpc_error_set(err, RPC_TYPE_ERROR, "bantime must be a number");
            if (json_integer_value(t) > 0) bantime = json_integer_value(t);
        }
        const json_t *abs = param(params, 3);
        bool absolute = abs && json_is_true(abs);
        int64_t until = absolute ? bantime : now + bantime;
        if (absolute && until <= now)
            return rpc_error_set(err, RPC_INVALID_PARAMETER,
                                 "Error: Absolute timestamp is in the past");
        (void)banman_ban(bm, &s, until, now);
        connman_disconnect_subnet(cm, &s);
    } else if (!banman_unban(bm, &s)) {
        return rpc_error_set(err, RPC_CLIENT_INVALID_IP_OR_SUBNET,
                             "Error: Unban failed. Requested address/subnet was not previously "
                             "manually banned.");
    }
    char e[256];
    if (!banman_save(bm, false, e, sizeof e)) log_info("Failed to write banlist.json: %s", e);
    *result = json_null();
    return true;
}

static bool rpc_listbanned(void *vctx, const json_t *params, json_t **result,
                           struct rpc_error *err)
{
    (void)params;
    struct connman *cm = need_cm(vctx, err);
    if (!cm) return false;
    struct ban_entry *e = NULL;
    int64_t now = time_now();
    size_t n = banman_list(connman_banman(cm), now, &e);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        char buf[128];
        net_subnet_format(&e[i].subnet, buf, sizeof buf);
        json_array_append_new(
            a, json_pack("{s:s,s:I,s:I,s:I,s:I}", "address", buf, "ban_created",
                         (json_int_t)e[i].created, "banned_until", (json_int_t)e[i].until,
                         "ban_duration", (json_int_t)(e[i].until - e[i].created),
                         "time_remaining", (json_int_t)(e[i].until - now)));
    }
    free(e);
    *result = a;
    return true;
}

static bool rpc_clearbanned(void *vctx, const json_t *params, json_t **result,
                            struct rpc_error *err)
{
    (void)params;
    struct connman *cm = need_cm(vctx, err);
    if (!cm) return false;
    banman_clear(connman_banman(cm));
    char e[256];
    if (!banman_save(connman_banman(cm), true, e, sizeof e))
        log_info("Failed to write banlist.json: %s", e);
    *result = json_null();
    return true;
}

static bool rpc_getnodeaddresses(void *vctx, const json_t *params, json_t **result,
                                 struct rpc_error *err)
{
    struct connman *cm = need_cm(vctx, err);
    if (!cm) return false;
    int64_t count = 1;
    const json_t *c = param(params, 0);
    if (c) {
        if (!json_is_integer(c)) return rpc_error_set(err, RPC_TYPE_ERROR, "count must be a number");
        count = json_integer_value(c);
    }
    if (count < 0) return rpc_error_set(err, RPC_INVALID_PARAMETER, "Address count out of range");
    const char *net = json_string_value(param(params, 1));
    if (net && strcmp(net, "ipv4") != 0 && strcmp(net, "ipv6") != 0 && strcmp(net, "onion") != 0 &&
        strcmp(net, "i2p") != 0 && strcmp(net, "cjdns") != 0)
        return rpc_error_set(err, RPC_INVALID_PARAMETER, "Network not recognized: %s", net);
    struct addrman *am = connman_addrman(cm);
    size_t max = count == 0 ? addrman_size(am) : (size_t)count;
    if (max > 100000) max = 100000;
    struct net_addr_info *v = calloc(max ? max : 1, sizeof *v);
    if (!v) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    size_t n = addrman_get_addr(am, max, 100, time_now(), v);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *nn = v[i].addr.net == NET_IPV4   ? "ipv4"
                         : v[i].addr.net == NET_IPV6 ? "ipv6"
                         : v[i].addr.net == NET_TORV3 ? "onion"
                         : v[i].addr.net == NET_I2P  ? "i2p"
                                                     : "cjdns";
        if (net && strcmp(net, nn) != 0) continue;
        char host[96];
        net_addr_format(&v[i].addr, false, host, sizeof host);
        json_array_append_new(a, json_pack("{s:I,s:I,s:s,s:i,s:s}", "time",
                                           (json_int_t)v[i].time, "services",
                                           (json_int_t)v[i].services, "address", host, "port",
                                           (int)v[i].addr.port, "network", nn));
    }
    free(v);
    *result = a;
    return true;
}

/* ---- The table ---- */

#define EXAMPLES(m, args)                                                                      \
    "\nExamples:\n> iop-cli " m " " args "\n"                                                  \
    "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "    \
    "\"method\": \"" m "\", \"params\": []}' -H 'content-type: application/json' "             \
    "http://127.0.0.1:8337/\n"

static const struct rpc_method net_methods[] = {
    {"getconnectioncount", "network", rpc_getconnectioncount, {{NULL, 0, 0}},
     "getconnectioncount\n\nReturns the number of connections to other nodes.\n\nResult:\n"
     "n    (numeric) The connection count\n" EXAMPLES("getconnectioncount", "")},
    {"getnetworkinfo", "network", rpc_getnetworkinfo, {{NULL, 0, 0}},
     "getnetworkinfo\n\nReturns an object containing various state info regarding P2P "
     "networking.\n\nResult:\n{\n  \"version\" : n,            (numeric) the server version\n"
     "  \"subversion\" : \"str\",     (string) the server subversion string\n"
     "  \"protocolversion\" : n,    (numeric) the protocol version\n"
     "  \"localservices\" : \"hex\",  (string) the services we offer to the network\n"
     "  \"localservicesnames\" : [ \"str\", ... ], (json array) the services we offer, in "
     "human-readable form\n"
     "  \"localrelay\" : true|false, (boolean) true if transaction relay is requested from "
     "peers\n  \"timeoffset\" : n,         (numeric) the time offset\n"
     "  \"connections\" : n,        (numeric) the total number of connections\n"
     "  \"connections_in\" : n,     (numeric) the number of inbound connections\n"
     "  \"connections_out\" : n,    (numeric) the number of outbound connections\n"
     "  \"networkactive\" : true|false, (boolean) whether p2p networking is enabled\n"
     "  \"networks\" : [ {...}, ... ], (json array) information per network\n"
     "  \"relayfee\" : n,           (numeric) minimum relay fee rate for transactions in "
     "IOP/kvB\n  \"incrementalfee\" : n,     (numeric) minimum fee rate increment for mempool "
     "limiting or replacement in IOP/kvB\n"
     "  \"localaddresses\" : [ {...}, ... ], (json array) list of local addresses\n"
     "  \"warnings\" : [ \"str\", ... ] (json array) any network and blockchain warnings\n}\n"
         EXAMPLES("getnetworkinfo", "")},
    {"getpeerinfo", "network", rpc_getpeerinfo, {{NULL, 0, 0}},
     "getpeerinfo\n\nReturns data about each connected network peer as a json array of "
     "objects.\n\nResult:\n[                              (json array)\n  {\n"
     "    \"id\" : n,                   (numeric) Peer index\n"
     "    \"addr\" : \"str\",             (string) (host:port) The IP address and port of the "
     "peer\n    \"addrbind\" : \"str\",         (string, optional) (ip:port) Bind address of "
     "the connection to the peer\n"
     "    \"network\" : \"str\",          (string) Network (ipv4, ipv6, onion, i2p, cjdns, "
     "not_publicly_routable)\n"
     "    \"services\" : \"hex\",         (string) The services offered\n"
     "    \"servicesnames\" : [ ... ],  (json array) the services offered, in human-readable "
     "form\n    \"relaytxes\" : true|false,   (boolean) Whether we relay transactions to this "
     "peer\n    \"lastsend\" : xxx, \"lastrecv\" : xxx, \"last_transaction\" : xxx, "
     "\"last_block\" : xxx, (numeric) UNIX epoch times\n"
     "    \"bytessent\" : n, \"bytesrecv\" : n, \"conntime\" : xxx, \"timeoffset\" : n,\n"
     "    \"pingtime\" : n, \"minping\" : n, \"pingwait\" : n, (numeric, optional) seconds\n"
     "    \"version\" : n, \"subver\" : \"str\", \"inbound\" : true|false,\n"
     "    \"bip152_hb_to\" : true|false, \"bip152_hb_from\" : true|false,\n"
     "    \"startingheight\" : n, \"presynced_headers\" : n, \"synced_headers\" : n, "
     "\"synced_blocks\" : n,\n    \"inflight\" : [ n, ... ], (json array) heights of blocks "
     "we are currently asking from this peer\n"
     "    \"addr_relay_enabled\" : true|false, \"addr_processed\" : n, \"addr_rate_limited\" : "
     "n,\n    \"permissions\" : [ \"str\", ... ], \"minfeefilter\" : n,\n"
     "    \"bytessent_per_msg\" : {...}, \"bytesrecv_per_msg\" : {...},\n"
     "    \"connection_type\" : \"str\",  (string) outbound-full-relay, block-relay-only, "
     "inbound, manual, addr-fetch or feeler\n"
     "    \"transport_protocol_type\" : \"str\", \"session_id\" : \"str\"\n  },\n  ...\n]\n"
         EXAMPLES("getpeerinfo", "")},
    {"addnode", "network", rpc_addnode, {{"node", RPC_ARG_STR, false}, {"command", RPC_ARG_STR, false}, {"v2transport", RPC_ARG_BOOL, true}},
     "addnode \"node\" \"command\" ( v2transport )\n\nAttempts to add or remove a node from "
     "the addnode list.\nOr try a connection to a node once.\nNodes added using addnode (or "
     "-connect) are protected from DoS disconnection and are not required to be\nfull nodes "
     "or support SegWit as other outbound peers are (though such peers will not be synced "
     "from).\nAddnode connections are limited to 8 at a time and are counted separately from "
     "the -maxconnections limit.\n\nArguments:\n1. node           (string, required) The "
     "address of the peer to connect to (IP:port; host names are not resolved)\n2. command    "
     "    (string, required) 'add' to add a node to the list, 'remove' to remove a node from "
     "the list, 'onetry' to try a connection to the node once\n3. v2transport    (boolean, "
     "optional) Accepted for compatibility; only v1 is spoken\n\nResult:\nnull    (json "
     "null)\n" EXAMPLES("addnode", "\"192.168.0.6:4877\" \"onetry\"")},
    {"disconnectnode", "network", rpc_disconnectnode, {{"address", RPC_ARG_STR, true}, {"nodeid", RPC_ARG_NUM, true}},
     "disconnectnode ( \"address\" nodeid )\n\nImmediately disconnects from the specified "
     "peer node.\n\nStrictly one out of 'address' and 'nodeid' can be provided to identify the "
     "node.\n\nTo disconnect by nodeid, either set 'address' to the empty string, or call "
     "using the named 'nodeid' argument only.\n\nArguments:\n1. address    (string, optional) "
     "The IP address/port of the node\n2. nodeid     (numeric, optional) The node ID (see "
     "getpeerinfo for node IDs)\n\nResult:\nnull    (json null)\n"
         EXAMPLES("disconnectnode", "\"192.168.0.6:4877\"")},
    {"getaddednodeinfo", "network", rpc_getaddednodeinfo, {{"node", RPC_ARG_STR, true}},
     "getaddednodeinfo ( \"node\" )\n\nReturns information about the given added node, or all "
     "added nodes\n(note that onetry addnodes are not listed here)\n\nArguments:\n1. node    "
     "(string, optional) If provided, return information about this specific node, otherwise "
     "all nodes are returned.\n\nResult:\n[\n  {\n    \"addednode\" : \"str\",    (string) The "
     "node IP address or name (as provided to addnode)\n    \"connected\" : true|false, "
     "(boolean) If connected\n    \"addresses\" : [ { \"address\" : \"str\", \"connected\" : "
     "\"str\" }, ... ]\n  },\n  ...\n]\n" EXAMPLES("getaddednodeinfo", "\"192.168.0.201\"")},
    {"getnettotals", "network", rpc_getnettotals, {{NULL, 0, 0}},
     "getnettotals\n\nReturns information about network traffic, including bytes in, bytes "
     "out,\nand current system time.\n\nResult:\n{\n  \"totalbytesrecv\" : n,   (numeric) "
     "Total bytes received\n  \"totalbytessent\" : n,   (numeric) Total bytes sent\n  "
     "\"timemillis\" : xxx,     (numeric) Current system UNIX epoch time in milliseconds\n  "
     "\"uploadtarget\" : {...}  (json object)\n}\n" EXAMPLES("getnettotals", "")},
    {"ping", "network", rpc_ping, {{NULL, 0, 0}},
     "ping\n\nRequests that a ping be sent to all other nodes, to measure ping time.\nResults "
     "provided in getpeerinfo, pingtime and pingwait fields are decimal seconds.\nPing command "
     "is handled in queue with all other commands, so it measures processing backlog, not just "
     "network ping.\n\nResult:\nnull    (json null)\n" EXAMPLES("ping", "")},
    {"setnetworkactive", "network", rpc_setnetworkactive, {{"state", RPC_ARG_BOOL, false}},
     "setnetworkactive state\n\nDisable/enable all p2p network activity.\n\nArguments:\n1. "
     "state    (boolean, required) true to enable networking, false to disable\n\nResult:\n"
     "true|false    (boolean) The value that was passed in\n" EXAMPLES("setnetworkactive", "false")},
    {"setban", "network", rpc_setban, {{"subnet", RPC_ARG_STR, false}, {"command", RPC_ARG_STR, false}, {"bantime", RPC_ARG_NUM, true}, {"absolute", RPC_ARG_BOOL, true}},
     "setban \"subnet\" \"command\" ( bantime absolute )\n\nAttempts to add or remove an IP/"
     "Subnet from the banned list.\n\nArguments:\n1. subnet      (string, required) The IP/"
     "Subnet (see getpeerinfo for nodes IP) with an optional netmask (default is /32 = single "
     "IP)\n2. command     (string, required) 'add' to add an IP/Subnet to the list, 'remove' "
     "to remove an IP/Subnet from the list\n3. bantime     (numeric, optional, default=0) time "
     "in seconds how long (or until when if [absolute] is set) the IP is banned (0 or empty "
     "means using the default time of 24h which can also be overwritten by the -bantime "
     "startup argument)\n4. absolute    (boolean, optional, default=false) If set, the bantime "
     "must be an absolute timestamp expressed in UNIX epoch time\n\nResult:\nnull    (json "
     "null)\n" EXAMPLES("setban", "\"192.168.0.6\" \"add\" 86400")},
    {"listbanned", "network", rpc_listbanned, {{NULL, 0, 0}},
     "listbanned\n\nList all manually banned IPs/Subnets.\n\nResult:\n[\n  {\n    \"address\" "
     ": \"str\",       (string) The IP/Subnet of the banned node\n    \"ban_created\" : xxx,   "
     " (numeric) The UNIX epoch time the ban was created\n    \"banned_until\" : xxx,   "
     "(numeric) The UNIX epoch time the ban expires\n    \"ban_duration\" : xxx,   (numeric) "
     "The ban duration, in seconds\n    \"time_remaining\" : xxx  (numeric) The time remaining "
     "until the ban expires, in seconds\n  },\n  ...\n]\n" EXAMPLES("listbanned", "")},
    {"clearbanned", "network", rpc_clearbanned, {{NULL, 0, 0}},
     "clearbanned\n\nClear all banned IPs.\n\nResult:\nnull    (json null)\n"
         EXAMPLES("clearbanned", "")},
    {"getnodeaddresses", "network", rpc_getnodeaddresses, {{"count", RPC_ARG_NUM, true}, {"network", RPC_ARG_STR, true}},
     "getnodeaddresses ( count \"network\" )\n\nReturn known addresses, after filtering for "
     "quality and recency.\nThese can potentially be used to find new peers in the network.\n"
     "The total number of addresses known to the node may be higher.\n\nArguments:\n1. count  "
     "  (numeric, optional, default=1) The maximum number of addresses to return. Specify 0 to "
     "return all known addresses.\n2. network  (string, optional, default=all networks) Return "
     "only addresses of the specified network. Can be one of: ipv4, ipv6, onion, i2p, cjdns.\n"
     "\nResult:\n[\n  {\n    \"time\" : xxx, \"services\" : n, \"address\" : \"str\", "
     "\"port\" : n, \"network\" : \"str\"\n  },\n  ...\n]\n" EXAMPLES("getnodeaddresses", "8")},
};

struct rpc_table net_rpc_table(struct net_rpc_ctx *ctx)
{
    struct rpc_table t = {net_methods, sizeof net_methods / sizeof net_methods[0], ctx};
    return t;
}
