/* TLS for the service ports: TLS 1.3 only, a self-signed certificate per node.
 *
 * The certificate proves nothing and clients do not verify it: who is at the other end is
 * established by the conversation handshake, whose signatures cover a TLS exporter value
 * (identity.h). A man in the middle ends up with two TLS sessions with different exporter
 * values and cannot produce the server's signature over the client's one. The certificate
 * is kept anyway so that it stays the same across restarts (clients may pin it).
 *
 * The certificate (EC P-256, SHA-256 signature, 10 years) and its key are created at the
 * first start in a directory the caller names, as tls-cert.pem (0644) and tls-key.pem
 * (0600), and loaded from there afterwards. */
#ifndef IOP_SERVICES_TLS_H
#define IOP_SERVICES_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_CERT_FILE "tls-cert.pem"
#define TLS_KEY_FILE  "tls-key.pem"

/* A server context for TLS 1.3 only, with the certificate and key from dir (created with
 * mode 0700 if missing). When dir holds no certificate a new key and certificate are
 * generated and written there (atomically, key first). A certificate without its key, a
 * file that does not parse or a key that does not match is an error rather than a reason
 * to replace the files. The caller owns the result (SSL_CTX_free). NULL with a message
 * in err on failure. */
__attribute__((warn_unused_result)) SSL_CTX *tls_server_ctx_new(const char *dir, char *err,
                                                                size_t errlen);

/* A client context for TLS 1.3 only that accepts any certificate (see above). The caller
 * owns it. NULL with a message in err on failure. */
__attribute__((warn_unused_result)) SSL_CTX *tls_client_ctx_new(char *err, size_t errlen);

/* The 32-byte keying material both ends derive from an established TLS 1.3 session with
 * the label "EXPORTER-iop-conversation" and an empty context (RFC 8446 section 7.5).
 * False if the handshake is not complete. */
__attribute__((warn_unused_result)) bool tls_conversation_exporter(SSL *ssl, uint8_t out[32]);

/* SHA-256 of the DER encoding of the peer's certificate (on a client: the server's).
 * False if the peer sent none. */
__attribute__((warn_unused_result)) bool tls_peer_cert_sha256(SSL *ssl, uint8_t out[32]);

/* SHA-256 of the DER encoding of the certificate stored in dir. */
__attribute__((warn_unused_result)) bool
tls_stored_cert_sha256(const char *dir, uint8_t out[32], char *err, size_t errlen);

#endif
