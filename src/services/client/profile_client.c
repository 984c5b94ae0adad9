/* The profile service client (see profile_client.h).
 *
 * Each call builds one request on the stack, sends it with svc_client_call and turns
 * the response into JSON. The identity is held twice: as an identity_key for the
 * conversation handshake, and as a libsecp256k1 keypair in a context of our own for
 * signing profiles, since identity.h signs only its two fixed digests. Both are wiped
 * when the client is freed. */
#include "services/client/profile_client.h"

#include <errno.h>
#include <fcntl.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "consensus/hash.h"
#include "consensus/pubkey.h"
#include "services/common/conn.h"
#include "services/common/frame.h"
#include "services/profile/profile_check.h"
#include "services/proto/iop_common.pb-c.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/random.h"

#define ST_OK IOP__COMMON__STATUS__OK

struct profile_client {
    struct svc_client *cl;
    bool has_identity;
    struct identity_key *key;  /* handshake */
    secp256k1_context *secp;   /* profile signatures */
    secp256k1_keypair keypair; /* wiped on free */
    uint8_t public_key[32], identity_id[32], server_key[32];
};

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--) *v++ = 0;
}

/* ---- Identity files ---- */

static bool write_new_secret(const char *path, const uint8_t secret[32], char *err,
                             size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create identity file %s: %s", path, strerror(errno));
        return false;
    }
    size_t off = 0;
    while (off < 32) {
        ssize_t w = write(fd, secret + off, 32 - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    bool ok = off == 32 && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0) ok = false;
    if (!ok) {
        unlink(path);
        snprintf(err, errlen, "cannot write identity file %s: %s", path, strerror(saved));
    }
    return ok;
}

bool profile_client_identity_file(const char *path, bool create,
                                  uint8_t secret[IDENTITY_SECRET_SIZE], bool *created,
                                  char *err, size_t errlen)
{
    if (created) *created = false;
    if (!fs_exists(path)) {
        if (!create) {
            snprintf(err, errlen, "identity file %s does not exist (-newidentity creates it)",
                     path);
            return false;
        }
        for (int tries = 0; tries < 8; tries++) {
            if (!random_bytes(secret, IDENTITY_SECRET_SIZE)) {
                snprintf(err, errlen, "the kernel random number generator failed");
                return false;
            }
            if (secp256k1_ec_seckey_verify(secp256k1_context_static, secret)) {
                if (!write_new_secret(path, secret, err, errlen)) {
                    wipe(secret, IDENTITY_SECRET_SIZE);
                    return false;
                }
                if (created) *created = true;
                return true;
            }
        }
        wipe(secret, IDENTITY_SECRET_SIZE);
        snprintf(err, errlen, "no valid secret key drawn");
        return false;
    }
    char *data = NULL;
    size_t len = 0;
    if (!fs_read_file(path, IDENTITY_SECRET_SIZE + 1, &data, &len) ||
        len != IDENTITY_SECRET_SIZE) {
        if (data) wipe(data, len);
        free(data);
        snprintf(err, errlen, "identity file %s is not a 32-byte key file", path);
        return false;
    }
    memcpy(secret, data, IDENTITY_SECRET_SIZE);
    wipe(data, len);
    free(data);
    if (!secp256k1_ec_seckey_verify(secp256k1_context_static, secret)) {
        wipe(secret, IDENTITY_SECRET_SIZE);
        snprintf(err, errlen, "identity file %s does not hold a valid secret key", path);
        return false;
    }
    return true;
}

/* ---- Connection ---- */

bool profile_client_parse_endpoint(const char *s, char *host, size_t hostlen, uint16_t *port)
{
    const char *h = s, *p = NULL;
    size_t hl;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close) return false;
        h = s + 1;
        hl = (size_t)(close - h);
        if (close[1] == ':')
            p = close + 2;
        else if (close[1] != '\0')
            return false;
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':')) {
            hl = strlen(s); /* a bare IPv6 address without a port */
        } else {
            hl = colon ? (size_t)(colon - s) : strlen(s);
            if (colon) p = colon + 1;
        }
    }
    if (hl == 0 || hl >= hostlen) return false;
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (!p) {
        *port = PROFILE_CLIENT_DEFAULT_PORT;
        return true;
    }
    char *end;
    errno = 0;
    unsigned long v = strtoul(p, &end, 10);
    if (errno || *p < '0' || *p > '9' || *end || v == 0 || v > 65535) return false;
    *port = (uint16_t)v;
    return true;
}

struct profile_client *profile_client_connect(const char *host, uint16_t port,
                                              const uint8_t *secret, int timeout_ms, char *err,
                                              size_t errlen)
{
    struct profile_client *pc = calloc(1, sizeof *pc);
    if (!pc) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (secret) {
        pc->key = identity_key_from_secret(secret, err, errlen);
        pc->secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        uint8_t seed[32];
        bool ok = pc->key && pc->secp && random_bytes(seed, sizeof seed) &&
                  secp256k1_context_randomize(pc->secp, seed) &&
                  secp256k1_keypair_create(pc->secp, &pc->keypair, secret);
        wipe(seed, sizeof seed);
        if (!ok) {
            if (pc->key) snprintf(err, errlen, "cannot set up the signing key");
            profile_client_free(pc);
            return NULL;
        }
        identity_key_public(pc->key, pc->public_key);
        sha256(pc->public_key, 32, pc->identity_id);
    }
    char e[256];
    pc->cl = svc_client_connect(host, port, timeout_ms, e, sizeof e);
    if (!pc->cl) {
        snprintf(err, errlen, "cannot connect to %s port %u: %s", host, port, e);
        profile_client_free(pc);
        return NULL;
    }
    if (secret) {
        if (!svc_client_handshake(pc->cl, pc->key, pc->server_key, e, sizeof e)) {
            snprintf(err, errlen, "conversation handshake with %s port %u failed: %s", host,
                     port, e);
            profile_client_free(pc);
            return NULL;
        }
        pc->has_identity = true;
    }
    return pc;
}

void profile_client_free(struct profile_client *pc)
{
    if (!pc) return;
    svc_client_free(pc->cl);
    identity_key_free(pc->key);
    wipe(&pc->keypair, sizeof pc->keypair);
    if (pc->secp) secp256k1_context_destroy(pc->secp);
    free(pc);
}

bool profile_client_has_identity(const struct profile_client *pc) { return pc->has_identity; }

bool profile_client_public_key(const struct profile_client *pc, uint8_t out[32])
{
    if (!pc->has_identity) return false;
    memcpy(out, pc->public_key, 32);
    return true;
}

bool profile_client_identity_id(const struct profile_client *pc, uint8_t out[32])
{
    if (!pc->has_identity) return false;
    memcpy(out, pc->identity_id, 32);
    return true;
}

bool profile_client_server_key(const struct profile_client *pc, uint8_t out[32])
{
    if (!pc->has_identity) return false;
    memcpy(out, pc->server_key, 32);
    return true;
}

const char *profile_client_status_name(int status)
{
    if (status == PROFILE_CLIENT_TRANSPORT) return "TRANSPORT";
    if (status == PROFILE_CLIENT_LOCAL) return "LOCAL";
    if (status < 0) return "UNKNOWN";
    return frame_status_code_name((Iop__Common__Status)status);
}

/* ---- JSON helpers ---- */

static json_t *json_hex(const uint8_t *data, size_t len)
{
    char *s = malloc(2 * len + 1);
    if (!s) return NULL;
    hex_encode(s, data, len);
    json_t *v = json_string(s);
    free(s);
    return v;
}

/* Text from the server; a string that is not UTF-8 (which a correct server never sends)
 * becomes null rather than invalid JSON. */
static json_t *json_text(const char *s)
{
    json_t *v = json_string(s ? s : "");
    return v ? v : json_null();
}

static json_t *json_degrees(int32_t e6) { return json_real((double)e6 / 1e6); }

/* The fields of a signed profile, and whether its signature verifies over the digest of
 * doc/services-protocol.md 9.3 (false before the first update, when there is none). */
static json_t *profile_json(const Iop__Profile__SignedProfile *p)
{
    json_t *o = json_object();
    if (!o || !p) return o;
    json_object_set_new(o, "public_key", json_hex(p->public_key.data, p->public_key.len));
    json_object_set_new(o, "version", json_integer(p->version));
    json_object_set_new(o, "type", json_text(p->type));
    json_object_set_new(o, "name", json_text(p->name));
    json_object_set_new(o, "latitude", json_degrees(p->latitude));
    json_object_set_new(o, "longitude", json_degrees(p->longitude));
    json_object_set_new(o, "extra_data", json_text(p->extra_data));
    json_object_set_new(o, "image_hash",
                        p->image_hash.len ? json_hex(p->image_hash.data, p->image_hash.len)
                                          : json_null());
    json_object_set_new(o, "thumbnail_hash",
                        p->thumbnail_hash.len
                            ? json_hex(p->thumbnail_hash.data, p->thumbnail_hash.len)
                            : json_null());
    bool valid = false;
    if (p->public_key.len == 32 && p->signature.len == 64 &&
        (p->image_hash.len == 0 || p->image_hash.len == 32) &&
        (p->thumbnail_hash.len == 0 || p->thumbnail_hash.len == 32)) {
        uint8_t digest[32];
        profile_signed_digest(digest, p->public_key.data, p->version, p->type ? p->type : "",
                              p->name ? p->name : "", p->latitude, p->longitude,
                              p->extra_data ? p->extra_data : "",
                              p->image_hash.len ? p->image_hash.data : NULL,
                              p->thumbnail_hash.len ? p->thumbnail_hash.data : NULL);
        valid = pubkey_schnorr_verify(p->public_key.data, p->signature.data, digest, 32);
    }
    json_object_set_new(o, "signature_valid", json_boolean(valid));
    return o;
}

static json_t *result_json(const Iop__Profile__ProfileSearchResult *r)
{
    json_t *o = profile_json(r->profile);
    if (!o) return NULL;
    if (r->identity_id.len) {
        json_object_set_new(o, "identity_id",
                            json_hex(r->identity_id.data, r->identity_id.len));
    } else if (r->profile && r->profile->public_key.len == 32) {
        uint8_t iid[32];
        sha256(r->profile->public_key.data, 32, iid);
        json_object_set_new(o, "identity_id", json_hex(iid, 32));
    }
    json_object_set_new(o, "online", json_boolean(r->is_online));
    if (r->thumbnail.len)
        json_object_set_new(o, "thumbnail", json_hex(r->thumbnail.data, r->thumbnail.len));
    return o;
}

static json_t *results_json(Iop__Profile__ProfileSearchResult *const *rs, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) json_array_append_new(a, result_json(rs[i]));
    return a;
}

/* ---- Calls ---- */

/* Sends req and checks the answer: OK with the response kind asked for (the message is
 * then in *reply, for the caller to free), a status (details in err), or a transport
 * failure. */
static int call(struct profile_client *pc, const Iop__Common__Request *req,
                Iop__Common__Response__KindCase want, Iop__Common__Message **reply, char *err,
                size_t errlen)
{
    *reply = NULL;
    Iop__Common__Message *m;
    char e[512];
    if (!svc_client_call(pc->cl, req, &m, e, sizeof e)) {
        snprintf(err, errlen, "%s", e);
        return PROFILE_CLIENT_TRANSPORT;
    }
    const Iop__Common__Response *r = m->response;
    if (r->status != ST_OK) {
        int st = (int)r->status;
        snprintf(err, errlen, "%s", r->details && *r->details ? r->details : "(no details)");
        iop__common__message__free_unpacked(m, NULL);
        return st > 0 ? st : PROFILE_CLIENT_TRANSPORT;
    }
    if (r->kind_case != want) {
        snprintf(err, errlen, "the server answered OK without the expected response");
        iop__common__message__free_unpacked(m, NULL);
        return PROFILE_CLIENT_TRANSPORT;
    }
    *reply = m;
    return ST_OK;
}

/* For the calls whose response carries nothing: OK gives an empty object. */
static int call_empty(struct profile_client *pc, const Iop__Common__Request *req,
                      Iop__Common__Response__KindCase want, json_t **out, char *err,
                      size_t errlen)
{
    *out = NULL;
    Iop__Common__Message *m;
    int st = call(pc, req, want, &m, err, errlen);
    if (st != ST_OK) return st;
    iop__common__message__free_unpacked(m, NULL);
    *out = json_object();
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        return PROFILE_CLIENT_LOCAL;
    }
    return ST_OK;
}

static int need_identity(const struct profile_client *pc, char *err, size_t errlen)
{
    if (pc->has_identity) return ST_OK;
    snprintf(err, errlen, "this call needs an identity");
    return PROFILE_CLIENT_LOCAL;
}

static int out_of_memory(json_t **out, char *err, size_t errlen)
{
    json_decref(*out);
    *out = NULL;
    snprintf(err, errlen, "out of memory");
    return PROFILE_CLIENT_LOCAL;
}

int profile_client_ping(struct profile_client *pc, const char *payload, json_t **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    size_t len = payload ? strlen(payload) : 0;
    if (len > SVC_PING_PAYLOAD_MAX) {
        snprintf(err, errlen, "payload over %d bytes", SVC_PING_PAYLOAD_MAX);
        return PROFILE_CLIENT_LOCAL;
    }
    Iop__Common__PingRequest p = IOP__COMMON__PING_REQUEST__INIT;
    p.payload.data = (uint8_t *)payload;
    p.payload.len = len;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_PING;
    req.ping = &p;
    Iop__Common__Message *m;
    int st = call(pc, &req, IOP__COMMON__RESPONSE__KIND_PING, &m, err, errlen);
    if (st != ST_OK) return st;
    const Iop__Common__PingResponse *r = m->response->ping;
    json_t *echo = json_stringn((const char *)r->payload.data, r->payload.len);
    if (!echo) echo = json_hex(r->payload.data, r->payload.len);
    *out = json_pack("{s:o?,s:I}", "payload", echo, "clock", (json_int_t)r->clock);
    iop__common__message__free_unpacked(m, NULL);
    return *out ? ST_OK : out_of_memory(out, err, errlen);
}

static const char *service_name(Iop__Common__ServiceType t)
{
    switch (t) {
    case IOP__COMMON__SERVICE_TYPE__SERVICE_PROFILE: return "profile";
    case IOP__COMMON__SERVICE_TYPE__SERVICE_PROXIMITY: return "proximity";
    case IOP__COMMON__SERVICE_TYPE__SERVICE_REPUTATION: return "reputation";
    case IOP__COMMON__SERVICE_TYPE__SERVICE_RELAY: return "relay";
    case IOP__COMMON__SERVICE_TYPE__SERVICE_LOCATOR: return "locator";
    default: return "unknown";
    }
}

int profile_client_list_roles(struct profile_client *pc, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    Iop__Common__ListRolesRequest lr = IOP__COMMON__LIST_ROLES_REQUEST__INIT;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_LIST_ROLES;
    req.list_roles = &lr;
    Iop__Common__Message *m;
    int st = call(pc, &req, IOP__COMMON__RESPONSE__KIND_LIST_ROLES, &m, err, errlen);
    if (st != ST_OK) return st;
    const Iop__Common__ListRolesResponse *r = m->response->list_roles;
    *out = json_array();
    for (size_t i = 0; *out && i < r->n_roles; i++)
        json_array_append_new(*out, json_pack("{s:s,s:i}", "service",
                                              service_name(r->roles[i]->service), "port",
                                              (int)r->roles[i]->port));
    iop__common__message__free_unpacked(m, NULL);
    return *out ? ST_OK : out_of_memory(out, err, errlen);
}

int profile_client_get_profile(struct profile_client *pc, const uint8_t identity_id[32],
                               unsigned flags, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    Iop__Profile__GetProfileInformationRequest g =
        IOP__PROFILE__GET_PROFILE_INFORMATION_REQUEST__INIT;
    g.identity_id.data = (uint8_t *)identity_id;
    g.identity_id.len = 32;
    g.include_image = (flags & PROFILE_CLIENT_GET_IMAGE) != 0;
    g.include_thumbnail = (flags & PROFILE_CLIENT_GET_THUMBNAIL) != 0;
    g.include_application_services = (flags & PROFILE_CLIENT_GET_APPS) != 0;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_GET_PROFILE_INFORMATION;
    req.get_profile_information = &g;
    Iop__Common__Message *m;
    int st =
        call(pc, &req, IOP__COMMON__RESPONSE__KIND_GET_PROFILE_INFORMATION, &m, err, errlen);
    if (st != ST_OK) return st;
    const Iop__Profile__GetProfileInformationResponse *r = m->response->get_profile_information;
    *out = profile_json(r->profile);
    if (*out) {
        json_object_set_new(*out, "identity_id", json_hex(identity_id, 32));
        json_object_set_new(*out, "online", json_boolean(r->is_online));
        json_object_set_new(*out, "plan", json_text(r->plan));
        json_object_set_new(*out, "agreement_time",
                            json_integer((json_int_t)r->agreement_time));
        if (g.include_image)
            json_object_set_new(*out, "image", json_hex(r->image.data, r->image.len));
        if (g.include_thumbnail)
            json_object_set_new(*out, "thumbnail",
                                json_hex(r->thumbnail.data, r->thumbnail.len));
        if (g.include_application_services) {
            json_t *a = json_array();
            for (size_t i = 0; a && i < r->n_application_services; i++)
                json_array_append_new(a, json_text(r->application_services[i]));
            json_object_set_new(*out, "application_services", a);
        }
    }
    iop__common__message__free_unpacked(m, NULL);
    return *out ? ST_OK : out_of_memory(out, err, errlen);
}

int profile_client_search(struct profile_client *pc, const struct profile_client_search *s,
                          json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    Iop__Profile__ProfileSearchRequest q = IOP__PROFILE__PROFILE_SEARCH_REQUEST__INIT;
    q.name = (char *)(s->name ? s->name : "");
    q.type = (char *)(s->type ? s->type : "");
    q.extra_data = (char *)(s->extra_data ? s->extra_data : "");
    q.use_location = s->use_location;
    q.latitude = s->latitude;
    q.longitude = s->longitude;
    q.radius = s->radius;
    q.include_thumbnails = s->include_thumbnails;
    q.max_total = s->max_total;
    q.max_response = s->max_response;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_PROFILE_SEARCH;
    req.profile_search = &q;
    Iop__Common__Message *m;
    int st = call(pc, &req, IOP__COMMON__RESPONSE__KIND_PROFILE_SEARCH, &m, err, errlen);
    if (st != ST_OK) return st;
    const Iop__Profile__ProfileSearchResponse *r = m->response->profile_search;
    *out = json_pack("{s:I,s:o?}", "total", (json_int_t)r->total, "profiles",
                     results_json(r->profiles, r->n_profiles));
    iop__common__message__free_unpacked(m, NULL);
    return *out ? ST_OK : out_of_memory(out, err, errlen);
}

int profile_client_search_part(struct profile_client *pc, uint32_t offset, uint32_t count,
                               json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    Iop__Profile__ProfileSearchPartRequest q = IOP__PROFILE__PROFILE_SEARCH_PART_REQUEST__INIT;
    q.offset = offset;
    q.count = count;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_PROFILE_SEARCH_PART;
    req.profile_search_part = &q;
    Iop__Common__Message *m;
    int st = call(pc, &req, IOP__COMMON__RESPONSE__KIND_PROFILE_SEARCH_PART, &m, err, errlen);
    if (st != ST_OK) return st;
    const Iop__Profile__ProfileSearchPartResponse *r = m->response->profile_search_part;
    *out = json_pack("{s:I,s:o?}", "offset", (json_int_t)r->offset, "profiles",
                     results_json(r->profiles, r->n_profiles));
    iop__common__message__free_unpacked(m, NULL);
    return *out ? ST_OK : out_of_memory(out, err, errlen);
}

int profile_client_register_hosting(struct profile_client *pc, const char *plan,
                                    const char *type, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    int st = need_identity(pc, err, errlen);
    if (st != ST_OK) return st;
    Iop__Profile__RegisterHostingRequest rh = IOP__PROFILE__REGISTER_HOSTING_REQUEST__INIT;
    rh.plan = (char *)(plan ? plan : "");
    rh.type = (char *)(type ? type : "");
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_REGISTER_HOSTING;
    req.register_hosting = &rh;
    Iop__Common__Message *m;
    st = call(pc, &req, IOP__COMMON__RESPONSE__KIND_REGISTER_HOSTING, &m, err, errlen);
    if (st != ST_OK) return st;
    const Iop__Profile__RegisterHostingResponse *r = m->response->register_hosting;
    *out =
        json_pack("{s:o,s:I,s:o}", "plan", json_text(r->plan), "agreement_time",
                  (json_int_t)r->agreement_time, "identity_id", json_hex(pc->identity_id, 32));
    iop__common__message__free_unpacked(m, NULL);
    return *out ? ST_OK : out_of_memory(out, err, errlen);
}

int profile_client_cancel_hosting(struct profile_client *pc, json_t **out, char *err,
                                  size_t errlen)
{
    *out = NULL;
    int st = need_identity(pc, err, errlen);
    if (st != ST_OK) return st;
    Iop__Profile__CancelHostingAgreementRequest c =
        IOP__PROFILE__CANCEL_HOSTING_AGREEMENT_REQUEST__INIT;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_CANCEL_HOSTING_AGREEMENT;
    req.cancel_hosting_agreement = &c;
    return call_empty(pc, &req, IOP__COMMON__RESPONSE__KIND_CANCEL_HOSTING_AGREEMENT, out, err,
                      errlen);
}

int profile_client_check_in(struct profile_client *pc, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    int st = need_identity(pc, err, errlen);
    if (st != ST_OK) return st;
    Iop__Profile__CheckInRequest c = IOP__PROFILE__CHECK_IN_REQUEST__INIT;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_CHECK_IN;
    req.check_in = &c;
    return call_empty(pc, &req, IOP__COMMON__RESPONSE__KIND_CHECK_IN, out, err, errlen);
}

/* Checks what the server would refuse anyway, so a tool says so before a round trip. */
static bool check_update_locally(const struct profile_client_update *u, char *err,
                                 size_t errlen)
{
    const char *name = u->name ? u->name : "", *extra = u->extra_data ? u->extra_data : "";
    if (u->type && (strlen(u->type) == 0 || strlen(u->type) > PROFILE_MAX_TYPE)) {
        snprintf(err, errlen, "type must be 1..%d bytes", PROFILE_MAX_TYPE);
        return false;
    }
    if (strlen(name) > PROFILE_MAX_NAME) {
        snprintf(err, errlen, "name over %d bytes", PROFILE_MAX_NAME);
        return false;
    }
    if (strlen(extra) > PROFILE_MAX_EXTRA) {
        snprintf(err, errlen, "extra data over %d bytes", PROFILE_MAX_EXTRA);
        return false;
    }
    if (u->latitude < -PROFILE_LAT_LIMIT || u->latitude > PROFILE_LAT_LIMIT ||
        u->longitude < -PROFILE_LON_LIMIT || u->longitude > PROFILE_LON_LIMIT) {
        snprintf(err, errlen, "location out of range");
        return false;
    }
    if (u->image_len > PROFILE_MAX_IMAGE) {
        snprintf(err, errlen, "image over %d bytes", PROFILE_MAX_IMAGE);
        return false;
    }
    if (u->thumbnail_len > PROFILE_MAX_THUMBNAIL) {
        snprintf(err, errlen, "thumbnail over %d bytes", PROFILE_MAX_THUMBNAIL);
        return false;
    }
    return true;
}

int profile_client_update_profile(struct profile_client *pc,
                                  const struct profile_client_update *u, json_t **out,
                                  char *err, size_t errlen)
{
    *out = NULL;
    int st = need_identity(pc, err, errlen);
    if (st != ST_OK) return st;
    if (!check_update_locally(u, err, errlen)) return PROFILE_CLIENT_LOCAL;

    /* The stored version (and type) decide what we sign. */
    json_t *cur = NULL;
    st = profile_client_get_profile(pc, pc->identity_id, 0, &cur, err, errlen);
    if (st != ST_OK) return st;
    json_int_t stored = json_integer_value(json_object_get(cur, "version"));
    if (stored < 0 || stored >= (json_int_t)UINT32_MAX) {
        json_decref(cur);
        snprintf(err, errlen, "the stored profile version cannot grow");
        return PROFILE_CLIENT_LOCAL;
    }
    const char *stored_type = json_string_value(json_object_get(cur, "type"));
    char type[PROFILE_MAX_TYPE + 1];
    snprintf(type, sizeof type, "%s", u->type ? u->type : stored_type ? stored_type : "");
    json_decref(cur);

    Iop__Profile__SignedProfile sp = IOP__PROFILE__SIGNED_PROFILE__INIT;
    uint8_t ih[32], th[32], digest[32], sig[64], aux[32];
    sp.public_key.data = pc->public_key;
    sp.public_key.len = 32;
    sp.version = (uint32_t)stored + 1;
    sp.type = type;
    sp.name = (char *)(u->name ? u->name : "");
    sp.latitude = u->latitude;
    sp.longitude = u->longitude;
    sp.extra_data = (char *)(u->extra_data ? u->extra_data : "");
    if (u->image_len) {
        sha256(u->image, u->image_len, ih);
        sp.image_hash.data = ih;
        sp.image_hash.len = 32;
    }
    if (u->thumbnail_len) {
        sha256(u->thumbnail, u->thumbnail_len, th);
        sp.thumbnail_hash.data = th;
        sp.thumbnail_hash.len = 32;
    }
    profile_signed_digest(digest, pc->public_key, sp.version, sp.type, sp.name, sp.latitude,
                          sp.longitude, sp.extra_data, u->image_len ? ih : NULL,
                          u->thumbnail_len ? th : NULL);
    if (!random_bytes(aux, sizeof aux) ||
        !secp256k1_schnorrsig_sign32(pc->secp, sig, digest, &pc->keypair, aux)) {
        snprintf(err, errlen, "signing failed");
        return PROFILE_CLIENT_LOCAL;
    }
    sp.signature.data = sig;
    sp.signature.len = 64;
    Iop__Profile__UpdateProfileRequest ur = IOP__PROFILE__UPDATE_PROFILE_REQUEST__INIT;
    ur.profile = &sp;
    ur.image.data = (uint8_t *)u->image;
    ur.image.len = u->image_len;
    ur.thumbnail.data = (uint8_t *)u->thumbnail;
    ur.thumbnail.len = u->thumbnail_len;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_UPDATE_PROFILE;
    req.update_profile = &ur;
    json_t *empty;
    st = call_empty(pc, &req, IOP__COMMON__RESPONSE__KIND_UPDATE_PROFILE, &empty, err, errlen);
    if (st != ST_OK) return st;
    json_decref(empty);
    *out = json_pack("{s:o,s:I}", "identity_id", json_hex(pc->identity_id, 32), "version",
                     (json_int_t)sp.version);
    return *out ? ST_OK : out_of_memory(out, err, errlen);
}

int profile_client_app_add(struct profile_client *pc, const char *const *names, size_t n,
                           json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    int st = need_identity(pc, err, errlen);
    if (st != ST_OK) return st;
    Iop__Profile__ApplicationServiceAddRequest a =
        IOP__PROFILE__APPLICATION_SERVICE_ADD_REQUEST__INIT;
    a.names = (char **)names;
    a.n_names = n;
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_APPLICATION_SERVICE_ADD;
    req.application_service_add = &a;
    return call_empty(pc, &req, IOP__COMMON__RESPONSE__KIND_APPLICATION_SERVICE_ADD, out, err,
                      errlen);
}

int profile_client_app_remove(struct profile_client *pc, const char *name, json_t **out,
                              char *err, size_t errlen)
{
    *out = NULL;
    int st = need_identity(pc, err, errlen);
    if (st != ST_OK) return st;
    Iop__Profile__ApplicationServiceRemoveRequest r =
        IOP__PROFILE__APPLICATION_SERVICE_REMOVE_REQUEST__INIT;
    r.name = (char *)(name ? name : "");
    Iop__Common__Request req = IOP__COMMON__REQUEST__INIT;
    req.kind_case = IOP__COMMON__REQUEST__KIND_APPLICATION_SERVICE_REMOVE;
    req.application_service_remove = &r;
    return call_empty(pc, &req, IOP__COMMON__RESPONSE__KIND_APPLICATION_SERVICE_REMOVE, out,
                      err, errlen);
}
