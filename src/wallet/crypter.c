/* Wallet encryption (see crypter.h for the record formats and the reasons).
 *
 * Both layers use the same AES-256-GCM helpers: the master record seals the master key
 * under scrypt(passphrase), secret records seal secrets under the master key. The
 * associated data of the master record is its own header, so the parameters and salt
 * are authenticated as well as being inputs to scrypt. */
#include "wallet/crypter.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "util/random.h"

/* Offsets in the master record. */
#define M_VERSION 0
#define M_LOG2N   1
#define M_R       2
#define M_P       6
#define M_SALT    10
#define M_NONCE   (M_SALT + CRYPTER_SALT_LEN)
#define M_CT      (M_NONCE + CRYPTER_NONCE_LEN)
#define M_TAG     (M_CT + CRYPTER_KEY_LEN)

/* Offsets in a secret record. */
#define S_NONCE 1
#define S_CT    (1 + CRYPTER_NONCE_LEN)

const char *crypter_error_string(enum crypter_error e)
{
    switch (e) {
    case CRYPTER_OK: return "ok";
    case CRYPTER_ERR_PASSPHRASE: return "the wallet passphrase entered was incorrect";
    case CRYPTER_ERR_AUTH: return "encrypted secret failed authentication";
    case CRYPTER_ERR_FORMAT: return "malformed encrypted record";
    case CRYPTER_ERR_PARAMS: return "key derivation parameters out of range";
    case CRYPTER_ERR_ARG: return "invalid argument";
    case CRYPTER_ERR_RANDOM: return "random number generator failed";
    case CRYPTER_ERR_INTERNAL: return "cryptographic library failure";
    }
    return "unknown error";
}

static enum crypter_error fail(enum crypter_error e, char *err, size_t errlen, const char *msg)
{
    if (err && errlen) snprintf(err, errlen, "%s", msg ? msg : crypter_error_string(e));
    return e;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct crypter_params crypter_default_params(void)
{
    struct crypter_params p = {CRYPTER_DEFAULT_LOG2_N, CRYPTER_DEFAULT_R, CRYPTER_DEFAULT_P};
    return p;
}

void crypter_key_clear(struct crypter_key *k)
{
    if (k) OPENSSL_cleanse(k, sizeof(*k));
}

static bool params_ok(const struct crypter_params *p)
{
    if (p->log2_n < CRYPTER_LOG2_N_MIN || p->log2_n > CRYPTER_LOG2_N_MAX) return false;
    if (p->r < 1 || p->r > CRYPTER_R_MAX || p->p < 1 || p->p > CRYPTER_P_MAX) return false;
    return (uint64_t)128 * p->r * ((uint64_t)1 << p->log2_n) <= CRYPTER_MEM_MAX;
}

/* scrypt(passphrase, salt) with p into kek. */
static enum crypter_error derive_kek(uint8_t kek[CRYPTER_KEY_LEN], const char *passphrase,
                                     const uint8_t salt[CRYPTER_SALT_LEN],
                                     const struct crypter_params *p)
{
    uint64_t n = (uint64_t)1 << p->log2_n;
    /* OpenSSL needs room for B (128 r p bytes) and V (128 r (N + 2) bytes). */
    uint64_t maxmem = (uint64_t)128 * p->r * (n + 2) + (uint64_t)128 * p->r * p->p + 4096;
    if (EVP_PBE_scrypt(passphrase, strlen(passphrase), salt, CRYPTER_SALT_LEN, n, p->r, p->p,
                       maxmem, kek, CRYPTER_KEY_LEN) != 1) {
        OPENSSL_cleanse(kek, CRYPTER_KEY_LEN);
        return CRYPTER_ERR_INTERNAL;
    }
    return CRYPTER_OK;
}

/* AES-256-GCM over in (len bytes) into out and tag, with associated data ad1 || ad2. */
static enum crypter_error gcm_seal(uint8_t *out, uint8_t tag[CRYPTER_TAG_LEN],
                                   const uint8_t key[CRYPTER_KEY_LEN],
                                   const uint8_t nonce[CRYPTER_NONCE_LEN], const uint8_t *ad1,
                                   size_t ad1_len, const uint8_t *ad2, size_t ad2_len,
                                   const uint8_t *in, size_t len)
{
    if (len > INT_MAX || ad1_len > INT_MAX || ad2_len > INT_MAX) return CRYPTER_ERR_ARG;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return CRYPTER_ERR_INTERNAL;
    uint8_t fin[16]; /* GCM's final step writes nothing; never a pointer past out */
    int n = 0;
    bool ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRYPTER_NONCE_LEN, NULL) == 1 &&
              EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
              (ad1_len == 0 || EVP_EncryptUpdate(ctx, NULL, &n, ad1, (int)ad1_len) == 1) &&
              (ad2_len == 0 || EVP_EncryptUpdate(ctx, NULL, &n, ad2, (int)ad2_len) == 1) &&
              (len == 0 || EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1) &&
              EVP_EncryptFinal_ex(ctx, fin, &n) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTER_TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(ctx); /* wipes the key schedule */
    return ok ? CRYPTER_OK : CRYPTER_ERR_INTERNAL;
}

/* Inverse of gcm_seal. Returns CRYPTER_ERR_AUTH when the tag does not verify; out is
 * wiped on any failure. */
static enum crypter_error gcm_open(uint8_t *out, const uint8_t key[CRYPTER_KEY_LEN],
                                   const uint8_t nonce[CRYPTER_NONCE_LEN], const uint8_t *ad1,
                                   size_t ad1_len, const uint8_t *ad2, size_t ad2_len,
                                   const uint8_t *in, size_t len,
                                   const uint8_t tag[CRYPTER_TAG_LEN])
{
    if (len > INT_MAX || ad1_len > INT_MAX || ad2_len > INT_MAX) return CRYPTER_ERR_ARG;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return CRYPTER_ERR_INTERNAL;
    uint8_t tag_copy[CRYPTER_TAG_LEN], fin[16];
    memcpy(tag_copy, tag, sizeof(tag_copy));
    int n = 0;
    enum crypter_error e = CRYPTER_ERR_INTERNAL;
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRYPTER_NONCE_LEN, NULL) == 1 &&
        EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
        (ad1_len == 0 || EVP_DecryptUpdate(ctx, NULL, &n, ad1, (int)ad1_len) == 1) &&
        (ad2_len == 0 || EVP_DecryptUpdate(ctx, NULL, &n, ad2, (int)ad2_len) == 1) &&
        (len == 0 || EVP_DecryptUpdate(ctx, out, &n, in, (int)len) == 1) &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTER_TAG_LEN, tag_copy) == 1)
        e = EVP_DecryptFinal_ex(ctx, fin, &n) == 1 ? CRYPTER_OK : CRYPTER_ERR_AUTH;
    EVP_CIPHER_CTX_free(ctx);
    if (e != CRYPTER_OK && len) OPENSSL_cleanse(out, len);
    return e;
}

enum crypter_error crypter_record_params(struct crypter_params *out, const uint8_t *record,
                                         size_t record_len)
{
    memset(out, 0, sizeof(*out));
    if (record_len != CRYPTER_MASTER_RECORD_LEN || record[M_VERSION] != CRYPTER_VERSION)
        return CRYPTER_ERR_FORMAT;
    out->log2_n = record[M_LOG2N];
    out->r = get_le32(record + M_R);
    out->p = get_le32(record + M_P);
    return CRYPTER_OK;
}

/* Seals master into record under passphrase with params, fresh salt and nonce. */
static enum crypter_error seal_master(uint8_t record[CRYPTER_MASTER_RECORD_LEN],
                                      const struct crypter_key *master, const char *passphrase,
                                      const struct crypter_params *params, char *err,
                                      size_t errlen)
{
    if (!passphrase || !*passphrase)
        return fail(CRYPTER_ERR_ARG, err, errlen, "the passphrase must not be empty");
    if (!params_ok(params))
        return fail(CRYPTER_ERR_PARAMS, err, errlen,
                    "scrypt parameters out of range (log2 N 1..20, r 1..32, p 1..16, "
                    "at most 1 GiB)");
    uint8_t rec[CRYPTER_MASTER_RECORD_LEN];
    uint8_t kek[CRYPTER_KEY_LEN];
    rec[M_VERSION] = CRYPTER_VERSION;
    rec[M_LOG2N] = params->log2_n;
    put_le32(rec + M_R, params->r);
    put_le32(rec + M_P, params->p);
    enum crypter_error e = CRYPTER_OK;
    if (!random_bytes(rec + M_SALT, CRYPTER_SALT_LEN + CRYPTER_NONCE_LEN))
        e = CRYPTER_ERR_RANDOM;
    if (e == CRYPTER_OK) e = derive_kek(kek, passphrase, rec + M_SALT, params);
    if (e == CRYPTER_OK)
        e = gcm_seal(rec + M_CT, rec + M_TAG, kek, rec + M_NONCE, rec,
                     CRYPTER_MASTER_HEADER_LEN, NULL, 0, master->k, CRYPTER_KEY_LEN);
    OPENSSL_cleanse(kek, sizeof(kek));
    if (e == CRYPTER_OK) memcpy(record, rec, sizeof(rec));
    OPENSSL_cleanse(rec, sizeof(rec));
    return e == CRYPTER_OK ? e : fail(e, err, errlen, NULL);
}

enum crypter_error crypter_new_master(uint8_t record[CRYPTER_MASTER_RECORD_LEN],
                                      struct crypter_key *master, const char *passphrase,
                                      const struct crypter_params *params, char *err,
                                      size_t errlen)
{
    struct crypter_key key;
    struct crypter_params def = crypter_default_params();
    enum crypter_error e = CRYPTER_OK;
    OPENSSL_cleanse(record, CRYPTER_MASTER_RECORD_LEN);
    if (master) crypter_key_clear(master);
    if (!random_bytes(key.k, sizeof(key.k))) e = fail(CRYPTER_ERR_RANDOM, err, errlen, NULL);
    if (e == CRYPTER_OK)
        e = seal_master(record, &key, passphrase, params ? params : &def, err, errlen);
    if (e == CRYPTER_OK && master) *master = key;
    crypter_key_clear(&key);
    return e;
}

enum crypter_error crypter_unlock(struct crypter_key *master, const uint8_t *record,
                                  size_t record_len, const char *passphrase, char *err,
                                  size_t errlen)
{
    struct crypter_params p;
    uint8_t kek[CRYPTER_KEY_LEN];
    crypter_key_clear(master);
    if (crypter_record_params(&p, record, record_len) != CRYPTER_OK)
        return fail(CRYPTER_ERR_FORMAT, err, errlen,
                    "malformed master key record (wrong length or unknown version)");
    if (!params_ok(&p))
        return fail(CRYPTER_ERR_PARAMS, err, errlen,
                    "master key record has scrypt parameters out of range");
    if (!passphrase) passphrase = "";
    enum crypter_error e = derive_kek(kek, passphrase, record + M_SALT, &p);
    if (e == CRYPTER_OK)
        e = gcm_open(master->k, kek, record + M_NONCE, record, CRYPTER_MASTER_HEADER_LEN, NULL,
                     0, record + M_CT, CRYPTER_KEY_LEN, record + M_TAG);
    OPENSSL_cleanse(kek, sizeof(kek));
    if (e == CRYPTER_OK) return e;
    crypter_key_clear(master);
    if (e == CRYPTER_ERR_AUTH)
        return fail(CRYPTER_ERR_PASSPHRASE, err, errlen,
                    "the wallet passphrase entered was incorrect");
    return fail(e, err, errlen, NULL);
}

enum crypter_error crypter_change_passphrase(uint8_t new_record[CRYPTER_MASTER_RECORD_LEN],
                                             const uint8_t *old_record, size_t old_record_len,
                                             const char *old_passphrase,
                                             const char *new_passphrase,
                                             const struct crypter_params *new_params, char *err,
                                             size_t errlen)
{
    struct crypter_key key;
    struct crypter_params p;
    uint8_t rec[CRYPTER_MASTER_RECORD_LEN];
    enum crypter_error e =
        crypter_unlock(&key, old_record, old_record_len, old_passphrase, err, errlen);
    if (e == CRYPTER_OK) {
        /* crypter_unlock has validated the record, so this cannot fail */
        e = crypter_record_params(&p, old_record, old_record_len);
        if (new_params) p = *new_params;
    }
    if (e == CRYPTER_OK) e = seal_master(rec, &key, new_passphrase, &p, err, errlen);
    crypter_key_clear(&key);
    /* written last: new_record may alias old_record */
    if (e == CRYPTER_OK)
        memcpy(new_record, rec, sizeof(rec));
    else
        OPENSSL_cleanse(new_record, CRYPTER_MASTER_RECORD_LEN);
    OPENSSL_cleanse(rec, sizeof(rec));
    return e;
}

enum crypter_error crypter_encrypt_secret(uint8_t *out, size_t cap, size_t *out_len,
                                          const struct crypter_key *master,
                                          const uint8_t *plain, size_t plain_len,
                                          const uint8_t *ad, size_t ad_len, char *err,
                                          size_t errlen)
{
    *out_len = 0;
    if (plain_len > INT_MAX || cap < plain_len + CRYPTER_SECRET_OVERHEAD)
        return fail(CRYPTER_ERR_ARG, err, errlen, "output buffer too small for the secret");
    out[0] = CRYPTER_VERSION;
    if (!random_bytes(out + S_NONCE, CRYPTER_NONCE_LEN))
        return fail(CRYPTER_ERR_RANDOM, err, errlen, NULL);
    enum crypter_error e = gcm_seal(out + S_CT, out + S_CT + plain_len, master->k,
                                    out + S_NONCE, out, 1, ad, ad_len, plain, plain_len);
    if (e != CRYPTER_OK) {
        OPENSSL_cleanse(out, plain_len + CRYPTER_SECRET_OVERHEAD);
        return fail(e, err, errlen, NULL);
    }
    *out_len = plain_len + CRYPTER_SECRET_OVERHEAD;
    return CRYPTER_OK;
}

enum crypter_error crypter_decrypt_secret(uint8_t *plain, size_t cap, size_t *plain_len,
                                          const struct crypter_key *master, const uint8_t *in,
                                          size_t in_len, const uint8_t *ad, size_t ad_len,
                                          char *err, size_t errlen)
{
    *plain_len = 0;
    if (in_len < CRYPTER_SECRET_OVERHEAD || in[0] != CRYPTER_VERSION)
        return fail(CRYPTER_ERR_FORMAT, err, errlen,
                    "malformed encrypted secret (too short or unknown version)");
    size_t len = in_len - CRYPTER_SECRET_OVERHEAD;
    if (cap < len)
        return fail(CRYPTER_ERR_ARG, err, errlen, "output buffer too small for the secret");
    enum crypter_error e = gcm_open(plain, master->k, in + S_NONCE, in, 1, ad, ad_len,
                                    in + S_CT, len, in + S_CT + len);
    if (e != CRYPTER_OK) {
        OPENSSL_cleanse(plain, cap);
        if (e == CRYPTER_ERR_AUTH)
            return fail(e, err, errlen,
                        "encrypted secret failed authentication (wrong key, wrong record or "
                        "altered data)");
        return fail(e, err, errlen, NULL);
    }
    *plain_len = len;
    return CRYPTER_OK;
}
