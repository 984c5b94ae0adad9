/* TLS contexts and the node's self-signed certificate (see tls.h). */
#include "services/common/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/common/identity.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/random.h"

/* PEM files are small; anything bigger is not ours. */
#define PEM_MAX_SIZE    (64 * 1024)
#define CERT_VALID_DAYS 3650

/* Appends OpenSSL's most recent error to a message, and empties its error queue. */
static void ssl_error(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    snprintf(err, errlen, "%s%s%s", what, e ? ": " : "", buf);
}

/* Writes key (if not NULL) or else cert as PEM into path, atomically. */
static bool write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert, char *err,
                      size_t errlen)
{
    BIO *mem = BIO_new(BIO_s_mem());
    if (!mem) {
        ssl_error(err, errlen, "BIO_new");
        return false;
    }
    int ok = key ? PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL)
                 : PEM_write_bio_X509(mem, cert);
    if (!ok) {
        BIO_free(mem);
        ssl_error(err, errlen, "cannot encode PEM");
        return false;
    }
    char *data;
    long len = BIO_get_mem_data(mem, &data);
    bool written = len > 0 && fs_write_atomic(path, data, (size_t)len, mode, err, errlen);
    if (len <= 0) snprintf(err, errlen, "empty PEM output");
    BIO_free(mem);
    return written;
}

/* A new P-256 key and a self-signed certificate for it. */
static bool generate(EVP_PKEY **key_out, X509 **cert_out, char *err, size_t errlen)
{
    *key_out = NULL;
    *cert_out = NULL;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!key) {
        ssl_error(err, errlen, "cannot generate the TLS key");
        return false;
    }
    X509 *x = X509_new();
    uint64_t serial;
    if (!x || !random_bytes(&serial, sizeof serial)) {
        ssl_error(err, errlen, "cannot create the certificate");
        goto fail;
    }
    serial &= 0x7fffffffffffffffULL; /* a positive serial of at most 8 bytes */
    X509_NAME *name = X509_get_subject_name(x);
    if (!X509_set_version(x, 2) ||
        !ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial | 1) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -86400) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), CERT_VALID_DAYS, 0, NULL) ||
        !X509_set_pubkey(x, key) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"iopd", -1,
                                    -1, 0) ||
        !X509_set_issuer_name(x, name) || !X509_sign(x, key, EVP_sha256())) {
        ssl_error(err, errlen, "cannot build the certificate");
        goto fail;
    }
    *key_out = key;
    *cert_out = x;
    return true;
fail:
    X509_free(x);
    EVP_PKEY_free(key);
    return false;
}

/* Reads path into a memory BIO; NULL (message in err) if unreadable. */
static BIO *read_bio(const char *path, char *err, size_t errlen)
{
    char *data;
    size_t len;
    if (!fs_read_file(path, PEM_MAX_SIZE, &data, &len)) {
        snprintf(err, errlen, "cannot read %s", path);
        return NULL;
    }
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || BIO_write(b, data, (int)len) != (int)len) {
        BIO_free(b);
        free(data);
        ssl_error(err, errlen, "BIO_write");
        return NULL;
    }
    free(data);
    return b;
}

static X509 *load_cert(const char *path, char *err, size_t errlen)
{
    BIO *b = read_bio(path, err, errlen);
    if (!b) return NULL;
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    if (!x) {
        ERR_clear_error();
        snprintf(err, errlen, "%s is not a PEM certificate", path);
    }
    return x;
}

static EVP_PKEY *load_key(const char *path, char *err, size_t errlen)
{
    BIO *b = read_bio(path, err, errlen);
    if (!b) return NULL;
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    if (!k) {
        ERR_clear_error();
        snprintf(err, errlen, "%s is not a PEM private key", path);
    }
    return k;
}

/* Loads the pair from dir, or creates it when dir has no certificate yet. */
static bool load_or_create(const char *dir, EVP_PKEY **key, X509 **cert, char *err,
                           size_t errlen)
{
    char cert_path[4096], key_path[4096];
    if (!fs_join(cert_path, sizeof cert_path, dir, TLS_CERT_FILE) ||
        !fs_join(key_path, sizeof key_path, dir, TLS_KEY_FILE)) {
        snprintf(err, errlen, "certificate directory path too long");
        return false;
    }
    if (!fs_mkdirs(dir, err, errlen)) return false;
    if (fs_exists(cert_path)) {
        if (!fs_exists(key_path)) {
            snprintf(err, errlen, "%s exists but %s is missing", cert_path, key_path);
            return false;
        }
        *cert = load_cert(cert_path, err, errlen);
        if (!*cert) return false;
        *key = load_key(key_path, err, errlen);
        if (!*key) {
            X509_free(*cert);
            *cert = NULL;
            return false;
        }
        return true;
    }
    if (!generate(key, cert, err, errlen)) return false;
    /* Key first: a crash between the two writes leaves no certificate, so the next start
     * generates a fresh pair instead of finding a certificate without its key. */
    if (!write_pem(key_path, 0600, *key, NULL, err, errlen) ||
        !write_pem(cert_path, 0644, NULL, *cert, err, errlen)) {
        X509_free(*cert);
        EVP_PKEY_free(*key);
        *cert = NULL;
        *key = NULL;
        return false;
    }
    log_info("services: created TLS certificate %s", cert_path);
    return true;
}

/* Settings both ends share: TLS 1.3 and nothing older. */
static bool restrict_to_tls13(SSL_CTX *ctx)
{
    return SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) &&
           SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
}

SSL_CTX *tls_server_ctx_new(const char *dir, char *err, size_t errlen)
{
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    if (!load_or_create(dir, &key, &cert, err, errlen)) return NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        ssl_error(err, errlen, "SSL_CTX_new");
        goto fail;
    }
    if (!restrict_to_tls13(ctx)) {
        ssl_error(err, errlen, "cannot restrict the server to TLS 1.3");
        goto fail;
    }
    if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
        ssl_error(err, errlen, "cannot use the stored certificate");
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ssl_error(err, errlen, "the stored TLS key does not match the certificate");
        goto fail;
    }
    /* No resumption: every connection runs a full handshake and its own conversation. */
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    X509_free(cert);
    EVP_PKEY_free(key);
    return ctx;
fail:
    SSL_CTX_free(ctx);
    X509_free(cert);
    EVP_PKEY_free(key);
    return NULL;
}

SSL_CTX *tls_client_ctx_new(char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        ssl_error(err, errlen, "SSL_CTX_new");
        return NULL;
    }
    if (!restrict_to_tls13(ctx)) {
        SSL_CTX_free(ctx);
        ssl_error(err, errlen, "cannot restrict the client to TLS 1.3");
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

bool tls_conversation_exporter(SSL *ssl, uint8_t out[32])
{
    if (!ssl || !SSL_is_init_finished(ssl) || SSL_version(ssl) != TLS1_3_VERSION) return false;
    const char *label = IDENTITY_EXPORTER_LABEL;
    if (SSL_export_keying_material(ssl, out, 32, label, strlen(label), NULL, 0, 0) != 1) {
        ERR_clear_error();
        return false;
    }
    return true;
}

/* SHA-256 of a certificate's DER encoding. */
static bool cert_sha256(const X509 *x, uint8_t out[32])
{
    unsigned int n = 0;
    if (X509_digest(x, EVP_sha256(), out, &n) != 1 || n != 32) {
        ERR_clear_error();
        return false;
    }
    return true;
}

bool tls_peer_cert_sha256(SSL *ssl, uint8_t out[32])
{
    X509 *x = ssl ? SSL_get1_peer_certificate(ssl) : NULL;
    if (!x) return false;
    bool ok = cert_sha256(x, out);
    X509_free(x);
    return ok;
}

bool tls_stored_cert_sha256(const char *dir, uint8_t out[32], char *err, size_t errlen)
{
    char path[4096];
    if (!fs_join(path, sizeof path, dir, TLS_CERT_FILE)) {
        snprintf(err, errlen, "path too long");
        return false;
    }
    X509 *x = load_cert(path, err, errlen);
    if (!x) return false;
    bool ok = cert_sha256(x, out);
    X509_free(x);
    if (!ok) snprintf(err, errlen, "cannot hash %s", path);
    return ok;
}
