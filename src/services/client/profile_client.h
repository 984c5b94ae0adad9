/* A blocking client of the profile service, for apps, tools (iop-service) and tests.
 *
 * One profile_client is one TLS 1.3 connection to one server (svc_client underneath),
 * optionally with a verified conversation for an identity. It is used from one thread
 * at a time; every call blocks until its response arrives or the timeout passes.
 *
 * Results are jansson values (the same shapes iop-service prints; doc/iop-service.md
 * lists them): byte strings are lowercase hex, locations are degrees as JSON reals,
 * times are seconds or milliseconds since the Unix epoch as the protocol gives them.
 *
 * Every call returns an int:
 *   IOP__COMMON__STATUS__OK (0)  success; *out (where there is one) is a new reference
 *   > 0                          the server answered with that Iop__Common__Status;
 *                                err holds the server's details (for ERROR_INVALID_VALUE
 *                                the offending field)
 *   PROFILE_CLIENT_TRANSPORT     no answer: the connection closed, timed out, or the
 *                                answer was not the response asked for. The client is
 *                                not usable afterwards; free it.
 *   PROFILE_CLIENT_LOCAL         refused before sending: an argument out of the protocol's
 *                                limits, a file that cannot be read, out of memory
 * On anything but OK, *out is NULL and err says why. Secret keys never leave this
 * module: nothing here prints, logs or returns them.
 *
 * Profiles are signed here exactly as the server verifies them (profile_check.h,
 * doc/services-protocol.md section 9.3), with BIP340 and fresh auxiliary randomness. The
 * process must ignore SIGPIPE (see conn.h). No global state. */
#ifndef IOP_SERVICES_PROFILE_CLIENT_H
#define IOP_SERVICES_PROFILE_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "services/common/identity.h"

#define PROFILE_CLIENT_TRANSPORT (-1)
#define PROFILE_CLIENT_LOCAL     (-2)

#define PROFILE_CLIENT_DEFAULT_PORT 16988

struct profile_client;

/* ---- Identity files ----
 * An identity file holds exactly the 32 bytes of a BIP340 secret key, nothing else. */

/* Reads the secret from path into secret. With create, a missing file is made first with
 * a new random key, mode 0600, never replacing an existing file (O_EXCL); *created
 * (may be NULL) says whether that happened. False with err on a missing file (without
 * create), a file that is not 32 bytes, a secret that is not a valid key, or I/O errors;
 * err never contains key material. The caller wipes secret when done. */
__attribute__((warn_unused_result)) bool
profile_client_identity_file(const char *path, bool create,
                             uint8_t secret[IDENTITY_SECRET_SIZE], bool *created, char *err,
                             size_t errlen);

/* ---- Connection ---- */

/* Splits "HOST:PORT" or "[IPv6]:PORT" (numeric host; a missing ":PORT" means
 * PROFILE_CLIENT_DEFAULT_PORT) into host (NUL-terminated) and port 1..65535. */
__attribute__((warn_unused_result)) bool
profile_client_parse_endpoint(const char *s, char *host, size_t hostlen, uint16_t *port);

/* Connects to host:port with TLS 1.3. With secret (32 bytes; copied, not kept after the
 * call except inside a signing key object that is wiped on free) it runs the
 * conversation handshake, so the identity-bound calls work; with NULL the client stays
 * anonymous (ping, roles, get, search). timeout_ms bounds every later wait. NULL with
 * err on a refused or failed connection, TLS or handshake failure. */
__attribute__((warn_unused_result)) struct profile_client *
profile_client_connect(const char *host, uint16_t port, const uint8_t *secret, int timeout_ms,
                       char *err, size_t errlen);

/* Closes the connection and wipes the keys. NULL is a no-op. */
void profile_client_free(struct profile_client *pc);

/* Whether the conversation is verified (a secret was given to connect). */
bool profile_client_has_identity(const struct profile_client *pc);
/* The identity's public key and identity id (SHA-256 of it); false when anonymous. */
bool profile_client_public_key(const struct profile_client *pc, uint8_t out[32]);
bool profile_client_identity_id(const struct profile_client *pc, uint8_t out[32]);
/* The server's identity from the handshake; false when anonymous. */
bool profile_client_server_key(const struct profile_client *pc, uint8_t out[32]);

/* The protocol name of a status ("ERROR_NOT_FOUND"), "TRANSPORT" and "LOCAL" for the
 * negative codes, "UNKNOWN" for anything else. Static string. */
const char *profile_client_status_name(int status);

/* ---- Calls (any conversation state) ---- */

/* Ping with payload (at most 1024 bytes; NULL: empty).
 * out: {"payload": text echoed, "clock": server milliseconds since the epoch} */
__attribute__((warn_unused_result)) int profile_client_ping(struct profile_client *pc,
                                                            const char *payload, json_t **out,
                                                            char *err, size_t errlen);

/* ListRoles. out: [{"service": "profile", "port": N}, ...] */
__attribute__((warn_unused_result)) int
profile_client_list_roles(struct profile_client *pc, json_t **out, char *err, size_t errlen);

enum {
    PROFILE_CLIENT_GET_IMAGE = 1,     /* include "image" (hex) */
    PROFILE_CLIENT_GET_THUMBNAIL = 2, /* include "thumbnail" (hex) */
    PROFILE_CLIENT_GET_APPS = 4,      /* include "application_services" */
};

/* GetProfileInformation of identity_id (32 bytes) with PROFILE_CLIENT_GET_* flags.
 * out: the profile fields "identity_id", "public_key", "version", "type", "name",
 * "latitude", "longitude", "extra_data", "image_hash", "thumbnail_hash" (hex or null),
 * "signature_valid" (the signature checked here; false before the first update), plus
 * "online", "plan", "agreement_time" and what the flags asked for. */
__attribute__((warn_unused_result)) int
profile_client_get_profile(struct profile_client *pc, const uint8_t identity_id[32],
                           unsigned flags, json_t **out, char *err, size_t errlen);

struct profile_client_search {
    const char *name;       /* glob; NULL or "": any */
    const char *type;       /* glob; NULL or "": any */
    const char *extra_data; /* glob; NULL or "": any */
    bool use_location;
    int32_t latitude, longitude; /* 1e-6 degrees */
    uint32_t radius;             /* metres, 1..20037509 with use_location */
    bool include_thumbnails;
    uint32_t max_total;    /* 0: the server's maximum */
    uint32_t max_response; /* 0: 100 */
};

/* ProfileSearch. out: {"total": N, "profiles": [result, ...]} with the first page; each
 * result has the profile fields of profile_client_get_profile plus "online" and, when asked
 * for, "thumbnail" (hex). The remaining results stay on the server for this connection: read
 * them with profile_client_search_part. */
__attribute__((warn_unused_result)) int
profile_client_search(struct profile_client *pc, const struct profile_client_search *s,
                      json_t **out, char *err, size_t errlen);

/* ProfileSearchPart. out: {"offset": N, "profiles": [...]} */
__attribute__((warn_unused_result)) int profile_client_search_part(struct profile_client *pc,
                                                                   uint32_t offset,
                                                                   uint32_t count, json_t **out,
                                                                   char *err, size_t errlen);

/* ---- Calls that need the identity (connect with a secret) ---- */

/* RegisterHosting with plan (NULL or "": the server's first) and type (1..64 bytes,
 * fixed from now on). out: {"plan": NAME, "agreement_time": SECONDS, "identity_id": hex} */
__attribute__((warn_unused_result)) int
profile_client_register_hosting(struct profile_client *pc, const char *plan, const char *type,
                                json_t **out, char *err, size_t errlen);

/* CancelHostingAgreement. out: {} */
__attribute__((warn_unused_result)) int profile_client_cancel_hosting(struct profile_client *pc,
                                                                      json_t **out, char *err,
                                                                      size_t errlen);

/* CheckIn: the identity is online while this connection stays open (and the client
 * sends something at least every 60 s; profile_client_ping does). out: {} */
__attribute__((warn_unused_result)) int
profile_client_check_in(struct profile_client *pc, json_t **out, char *err, size_t errlen);

struct profile_client_update {
    const char *type;            /* NULL: the registered type, read from the server */
    const char *name;            /* NULL: "" */
    int32_t latitude, longitude; /* 1e-6 degrees; 0, 0 for none */
    const char *extra_data;      /* NULL: "" */
    const uint8_t *image;        /* PNG or JPEG; NULL/0: none */
    size_t image_len;
    const uint8_t *thumbnail;
    size_t thumbnail_len;
};

/* UpdateProfile: reads the stored version (and type, when u->type is NULL) with
 * GetProfileInformation, then sends the whole profile as version + 1, signed.
 * out: {"identity_id": hex, "version": N} */
__attribute__((warn_unused_result)) int
profile_client_update_profile(struct profile_client *pc, const struct profile_client_update *u,
                              json_t **out, char *err, size_t errlen);

/* ApplicationServiceAdd of n names (all or none). out: {} */
__attribute__((warn_unused_result)) int profile_client_app_add(struct profile_client *pc,
                                                               const char *const *names,
                                                               size_t n, json_t **out,
                                                               char *err, size_t errlen);

/* ApplicationServiceRemove. out: {} */
__attribute__((warn_unused_result)) int profile_client_app_remove(struct profile_client *pc,
                                                                  const char *name,
                                                                  json_t **out, char *err,
                                                                  size_t errlen);

#endif
