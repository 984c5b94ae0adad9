/* The profile service's request handlers (see profile_service.h).
 *
 * Each handler checks the conversation state, then the request by itself
 * (profile_check.h), then what needs the store, and answers exactly once. Store
 * failures answer ERROR_INTERNAL and leave the server running.
 *
 * Presence: CheckIn marks the identity online in the store and remembers it with the
 * connection; when that connection closes the identity goes offline. If the same
 * identity checks in from a second connection, the newer connection takes over, so the
 * older one closing does not take it offline.
 *
 * Search results: a search keeps the matching rows (not the profiles) with the
 * connection for the TTL; ProfileSearchPart reads the rows again, so a profile that
 * changed since shows its current version and one cancelled since is left out. */
#include "services/profile/profile_service.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consensus/hash.h"
#include "consensus/pubkey.h"
#include "services/profile/profile_check.h"
#include "services/profile/profile_store.h"

/* Per connection, owned through svc_conn_user. */
struct pconn {
    bool checked_in;
    uint8_t identity_id[32];
    int64_t *rows; /* kept search results */
    size_t nrows;
    bool thumbs;
    int64_t search_ms;
};

struct profile_service {
    struct profile_store *store;
    size_t max_hosted;
    char plans[PROFILE_MAX_PLANS][PROFILE_MAX_PLAN + 1];
    size_t nplans;
    int search_ttl_ms;
    struct pconn **online; /* connections with a checked-in identity */
    size_t nonline, online_cap;

    pthread_mutex_t mu; /* guards the fields below, read by other threads */
    uint16_t port;
    bool has_key;
    uint8_t server_key[32];
    size_t hosted_count, online_count;
};

typedef Iop__Common__Status status_t;
#define ST(x) IOP__COMMON__STATUS__##x

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Publishes the counts for profile_service_get_info. The online count is the check-in
 * table's size (the store's flags mirror it: they are cleared at open and only set by
 * check-ins); the hosted count is read from the store only when it may have changed. */
static void refresh_stats(struct profile_service *ps, bool hosted_changed)
{
    size_t hosted = 0, online = 0;
    char err[256];
    bool have = hosted_changed &&
                profile_store_counts(ps->store, &hosted, &online, err, sizeof err);
    pthread_mutex_lock(&ps->mu);
    if (have) ps->hosted_count = hosted;
    ps->online_count = ps->nonline;
    pthread_mutex_unlock(&ps->mu);
}

struct profile_service *profile_service_new(const struct profile_service_config *cfg, char *err,
                                            size_t errlen)
{
    if (!cfg->store_dir) {
        snprintf(err, errlen, "profile service: no store directory");
        return NULL;
    }
    if (cfg->nplans > PROFILE_MAX_PLANS) {
        snprintf(err, errlen, "profile service: more than %d plans", PROFILE_MAX_PLANS);
        return NULL;
    }
    struct profile_service *ps = calloc(1, sizeof *ps);
    if (!ps) {
        snprintf(err, errlen, "profile service: out of memory");
        return NULL;
    }
    for (size_t i = 0; cfg->plans && i < cfg->nplans; i++) {
        const char *p = cfg->plans[i];
        size_t n = p ? strlen(p) : 0;
        if (n == 0 || n > PROFILE_MAX_PLAN || !profile_utf8_valid(p, n)) {
            snprintf(err, errlen, "profile service: bad plan name");
            free(ps);
            return NULL;
        }
        memcpy(ps->plans[ps->nplans++], p, n + 1);
    }
    if (ps->nplans == 0)
        memcpy(ps->plans[ps->nplans++], PROFILE_DEFAULT_PLAN, sizeof PROFILE_DEFAULT_PLAN);
    ps->max_hosted = cfg->max_hosted ? cfg->max_hosted : PROFILE_DEFAULT_MAX_HOSTED;
    ps->search_ttl_ms = cfg->search_ttl_ms > 0 ? cfg->search_ttl_ms : PROFILE_SEARCH_TTL_MS;
    ps->store = profile_store_open(cfg->store_dir, err, errlen);
    if (!ps->store) {
        free(ps);
        return NULL;
    }
    pthread_mutex_init(&ps->mu, NULL);
    refresh_stats(ps, true);
    return ps;
}

void profile_service_free(struct profile_service *ps)
{
    if (!ps) return;
    profile_store_close(ps->store);
    free(ps->online);
    pthread_mutex_destroy(&ps->mu);
    free(ps);
}

void profile_service_attach(struct profile_service *ps, struct svc_server_config *cfg)
{
    cfg->handler = profile_service_handle;
    cfg->on_close = profile_service_on_close;
    cfg->handler_arg = ps;
    cfg->service = IOP__COMMON__SERVICE_TYPE__SERVICE_PROFILE;
}

void profile_service_set_endpoint(struct profile_service *ps, uint16_t port,
                                  const uint8_t server_key[IDENTITY_PUBKEY_SIZE])
{
    pthread_mutex_lock(&ps->mu);
    ps->port = port;
    ps->has_key = server_key != NULL;
    if (server_key) memcpy(ps->server_key, server_key, 32);
    pthread_mutex_unlock(&ps->mu);
}

void profile_service_get_info(struct profile_service *ps, struct profile_service_info *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&ps->mu);
    out->port = ps->port;
    out->has_key = ps->has_key;
    memcpy(out->server_key, ps->server_key, 32);
    out->hosted = ps->hosted_count;
    out->online = ps->online_count;
    pthread_mutex_unlock(&ps->mu);
    /* Fixed after creation. */
    out->max_hosted = ps->max_hosted;
    out->nplans = ps->nplans;
    for (size_t i = 0; i < ps->nplans; i++) memcpy(out->plans[i], ps->plans[i], 65);
}

/* ---- Per-connection state ---- */

static struct pconn *pconn_of(struct svc_conn *c)
{
    struct pconn *pc = svc_conn_user(c);
    if (!pc) {
        pc = calloc(1, sizeof *pc);
        if (pc) svc_conn_set_user(c, pc);
    }
    return pc;
}

static void online_remove(struct profile_service *ps, struct pconn *pc)
{
    for (size_t i = 0; i < ps->nonline; i++) {
        if (ps->online[i] == pc) {
            ps->online[i] = ps->online[--ps->nonline];
            break;
        }
    }
    pc->checked_in = false;
}

/* The connection that has identity_id checked in, if any. */
static struct pconn *online_find(struct profile_service *ps, const uint8_t identity_id[32])
{
    for (size_t i = 0; i < ps->nonline; i++)
        if (memcmp(ps->online[i]->identity_id, identity_id, 32) == 0) return ps->online[i];
    return NULL;
}

static bool online_add(struct profile_service *ps, struct pconn *pc)
{
    if (ps->nonline == ps->online_cap) {
        size_t cap = ps->online_cap ? ps->online_cap * 2 : 16;
        struct pconn **n = realloc(ps->online, cap * sizeof *n);
        if (!n) return false;
        ps->online = n;
        ps->online_cap = cap;
    }
    ps->online[ps->nonline++] = pc;
    pc->checked_in = true;
    return true;
}

void profile_service_on_close(struct svc_conn *c, void *arg)
{
    struct profile_service *ps = arg;
    struct pconn *pc = svc_conn_user(c);
    if (!pc) return;
    if (pc->checked_in) {
        online_remove(ps, pc);
        char err[256];
        /* Nothing to answer; a flag left set is cleared at the next open anyway. */
        enum profile_store_result r =
            profile_store_set_online(ps->store, pc->identity_id, false, 0, err, sizeof err);
        (void)r;
        refresh_stats(ps, false);
    }
    free(pc->rows);
    free(pc);
    svc_conn_set_user(c, NULL);
}

/* ---- Replies ---- */

static bool reply_status(struct svc_conn *c, uint32_t id, status_t st, const char *details)
{
    (void)svc_conn_reply_status(c, id, st, details);
    return true;
}

static bool reply_internal(struct svc_conn *c, uint32_t id, const char *err)
{
    (void)err; /* not for the client: store messages name files */
    return reply_status(c, id, ST(ERROR_INTERNAL), "store failure");
}

static bool reply_ok(struct svc_conn *c, uint32_t id, Iop__Common__Response *resp)
{
    resp->status = ST(OK);
    (void)svc_conn_reply(c, id, resp);
    return true;
}

/* The verified identity's id, or false after answering with the right status. */
static bool need_verified(struct svc_conn *c, uint32_t id, uint8_t pubkey[32],
                          uint8_t identity_id[32])
{
    if (svc_conn_state(c) != SVC_CONV_VERIFIED || !svc_conn_peer_identity(c, pubkey)) {
        reply_status(c, id, ST(ERROR_BAD_CONVERSATION_STATUS), "identity not verified");
        return false;
    }
    sha256(pubkey, 32, identity_id);
    return true;
}

static void fill_profile(Iop__Profile__SignedProfile *p, struct profile_record *r)
{
    p->public_key.data = r->public_key;
    p->public_key.len = 32;
    p->version = r->version;
    p->type = r->type;
    p->name = r->name;
    p->latitude = r->latitude;
    p->longitude = r->longitude;
    p->extra_data = r->extra;
    if (r->has_image) {
        p->image_hash.data = r->image_hash;
        p->image_hash.len = 32;
    }
    if (r->has_thumbnail) {
        p->thumbnail_hash.data = r->thumbnail_hash;
        p->thumbnail_hash.len = 32;
    }
    if (r->version > 0) {
        p->signature.data = r->signature;
        p->signature.len = 64;
    }
}

/* ---- Hosting ---- */

static bool h_register(struct profile_service *ps, struct svc_conn *c, uint32_t id,
                       const Iop__Profile__RegisterHostingRequest *r)
{
    uint8_t pk[32], iid[32];
    char err[256];
    if (!need_verified(c, id, pk, iid)) return true;
    if (!profile_check_register(r, err, sizeof err))
        return reply_status(c, id, ST(ERROR_INVALID_VALUE), err);
    const char *plan = NULL;
    if (!r->plan || !*r->plan) {
        plan = ps->plans[0];
    } else {
        for (size_t i = 0; i < ps->nplans && !plan; i++)
            if (strcmp(ps->plans[i], r->plan) == 0) plan = ps->plans[i];
    }
    if (!plan) return reply_status(c, id, ST(ERROR_INVALID_VALUE), "plan");
    int64_t now = (int64_t)time(NULL);
    switch (profile_store_register(ps->store, pk, plan, r->type, now, ps->max_hosted, err,
                                   sizeof err)) {
    case PROFILE_STORE_OK: break;
    case PROFILE_STORE_EXISTS:
        return reply_status(c, id, ST(ERROR_ALREADY_EXISTS), "identity already hosted");
    case PROFILE_STORE_QUOTA:
        return reply_status(c, id, ST(ERROR_QUOTA_EXCEEDED), "server hosts its maximum");
    default: return reply_internal(c, id, err);
    }
    refresh_stats(ps, true);
    Iop__Profile__RegisterHostingResponse rr = IOP__PROFILE__REGISTER_HOSTING_RESPONSE__INIT;
    rr.plan = (char *)plan;
    rr.agreement_time = (uint64_t)now;
    Iop__Common__Response resp = IOP__COMMON__RESPONSE__INIT;
    resp.kind_case = IOP__COMMON__RESPONSE__KIND_REGISTER_HOSTING;
    resp.register_hosting = &rr;
    return reply_ok(c, id, &resp);
}

static bool h_cancel(struct profile_service *ps, struct svc_conn *c, uint32_t id)
{
    uint8_t pk[32], iid[32];
    char err[256];
    if (!need_verified(c, id, pk, iid)) return true;
    switch (profile_store_cancel(ps->store, iid, err, sizeof err)) {
    case PROFILE_STORE_OK: break;
    case PROFILE_STORE_NOT_FOUND:
        return reply_status(c, id, ST(ERROR_NOT_FOUND), "identity not hosted");
    default: return reply_internal(c, id, err);
    }
    struct pconn *other = online_find(ps, iid);
    if (other) online_remove(ps, other);
    refresh_stats(ps, true);
    Iop__Profile__CancelHostingAgreementResponse cr =
        IOP__PROFILE__CANCEL_HOSTING_AGREEMENT_RESPONSE__INIT;
    Iop__Common__Response resp = IOP__COMMON__RESPONSE__INIT;
    resp.kind_case = IOP__COMMON__RESPONSE__KIND_CANCEL_HOSTING_AGREEMENT;
    resp.cancel_hosting_agreement = &cr;
    return reply_ok(c, id, &resp);
}

static bool h_check_in(struct profile_service *ps, struct svc_conn *c, uint32_t id)
{
    uint8_t pk[32], iid[32];
    char err[256];
    if (!need_verified(c, id, pk, iid)) return true;
    struct pconn *pc = pconn_of(c);
    if (!pc) return reply_status(c, id, ST(ERROR_INTERNAL), "out of memory");
    switch (
        profile_store_set_online(ps->store, iid, true, (int64_t)time(NULL), err, sizeof err)) {
    case PROFILE_STORE_OK: break;
    case PROFILE_STORE_NOT_FOUND:
        return reply_status(c, id, ST(ERROR_UNAUTHORIZED), "identity not hosted");
    default: return reply_internal(c, id, err);
    }
    if (!pc->checked_in) {
        struct pconn *other = online_find(ps, iid);
        if (other) online_remove(ps, other); /* the newer connection takes over */
        memcpy(pc->identity_id, iid, 32);
        if (!online_add(ps, pc))
            return reply_status(c, id, ST(ERROR_INTERNAL), "out of memory");
    }
    refresh_stats(ps, false);
    Iop__Profile__CheckInResponse cr = IOP__PROFILE__CHECK_IN_RESPONSE__INIT;
    Iop__Common__Response resp = IOP__COMMON__RESPONSE__INIT;
    resp.kind_case = IOP__COMMON__RESPONSE__KIND_CHECK_IN;
    resp.check_in = &cr;
    return reply_ok(c, id, &resp);
}

static bool h_update(struct profile_service *ps, struct svc_conn *c, uint32_t id,
                     const Iop__Profile__UpdateProfileRequest *r)
{
    uint8_t pk[32], iid[32];
    char err[256];
    if (!need_verified(c, id, pk, iid)) return true;
    if (!profile_check_update(r, err, sizeof err))
        return reply_status(c, id, ST(ERROR_INVALID_VALUE), err);
    const Iop__Profile__SignedProfile *p = r->profile;
    if (memcmp(p->public_key.data, pk, 32) != 0)
        return reply_status(c, id, ST(ERROR_INVALID_VALUE), "profile.public_key");
    struct profile_record rec;
    switch (profile_store_get(ps->store, iid, false, false, &rec, err, sizeof err)) {
    case PROFILE_STORE_OK: break;
    case PROFILE_STORE_NOT_FOUND:
        return reply_status(c, id, ST(ERROR_UNAUTHORIZED), "identity not hosted");
    default: return reply_internal(c, id, err);
    }
    if (strcmp(p->type, rec.type) != 0) {
        profile_record_clear(&rec);
        return reply_status(c, id, ST(ERROR_INVALID_VALUE), "profile.type");
    }
    if (p->version <= rec.version) {
        profile_record_clear(&rec);
        return reply_status(c, id, ST(ERROR_INVALID_VALUE), "profile.version");
    }
    uint8_t digest[32];
    profile_signed_digest(digest, pk, p->version, p->type, p->name, p->latitude, p->longitude,
                          p->extra_data, r->image.len ? p->image_hash.data : NULL,
                          r->thumbnail.len ? p->thumbnail_hash.data : NULL);
    if (!pubkey_schnorr_verify(pk, p->signature.data, digest, sizeof digest)) {
        profile_record_clear(&rec);
        return reply_status(c, id, ST(ERROR_INVALID_SIGNATURE), "profile.signature");
    }
    rec.version = p->version;
    snprintf(rec.name, sizeof rec.name, "%s", p->name);
    snprintf(rec.extra, sizeof rec.extra, "%s", p->extra_data);
    rec.latitude = p->latitude;
    rec.longitude = p->longitude;
    memcpy(rec.signature, p->signature.data, 64);
    rec.has_image = r->image.len > 0;
    rec.has_thumbnail = r->thumbnail.len > 0;
    if (rec.has_image) memcpy(rec.image_hash, p->image_hash.data, 32);
    if (rec.has_thumbnail) memcpy(rec.thumbnail_hash, p->thumbnail_hash.data, 32);
    /* Borrowed for the write only; rec owns no image here. */
    rec.image = r->image.data;
    rec.image_len = r->image.len;
    rec.thumbnail = r->thumbnail.data;
    rec.thumbnail_len = r->thumbnail.len;
    enum profile_store_result sr = profile_store_update(ps->store, &rec, err, sizeof err);
    rec.image = rec.thumbnail = NULL;
    profile_record_clear(&rec);
    if (sr == PROFILE_STORE_NOT_FOUND)
        return reply_status(c, id, ST(ERROR_UNAUTHORIZED), "identity not hosted");
    if (sr != PROFILE_STORE_OK) return reply_internal(c, id, err);
    Iop__Profile__UpdateProfileResponse ur = IOP__PROFILE__UPDATE_PROFILE_RESPONSE__INIT;
    Iop__Common__Response resp = IOP__COMMON__RESPONSE__INIT;
    resp.kind_case = IOP__COMMON__RESPONSE__KIND_UPDATE_PROFILE;
    resp.update_profile = &ur;
    return reply_ok(c, id, &resp);
}

static bool h_app_add(struct profile_service *ps, struct svc_conn *c, uint32_t id,
                      const Iop__Profile__ApplicationServiceAddRequest *r)
{
    uint8_t pk[32], iid[32];
    char err[256];
    if (!need_verified(c, id, pk, iid)) return true;
    if (!profile_check_app_services(r, err, sizeof err))
        return reply_status(c, id, ST(ERROR_INVALID_VALUE), err);
    switch (profile_store_app_add(ps->store, iid, r->names, r->n_names, err, sizeof err)) {
    case PROFILE_STORE_OK: break;
    case PROFILE_STORE_NOT_FOUND:
        return reply_status(c, id, ST(ERROR_UNAUTHORIZED), "identity not hosted");
    case PROFILE_STORE_EXISTS: return reply_status(c, id, ST(ERROR_ALREADY_EXISTS), "names");
    case PROFILE_STORE_QUOTA:
        return reply_status(c, id, ST(ERROR_QUOTA_EXCEEDED), "at most 50 application services");
    default: return reply_internal(c, id, err);
    }
    Iop__Profile__ApplicationServiceAddResponse ar =
        IOP__PROFILE__APPLICATION_SERVICE_ADD_RESPONSE__INIT;
    Iop__Common__Response resp = IOP__COMMON__RESPONSE__INIT;
    resp.kind_case = IOP__COMMON__RESPONSE__KIND_APPLICATION_SERVICE_ADD;
    resp.application_service_add = &ar;
    return reply_ok(c, id, &resp);
}

static bool h_app_remove(struct profile_service *ps, struct svc_conn *c, uint32_t id,
                         const Iop__Profile__ApplicationServiceRemoveRequest *r)
{
    uint8_t pk[32], iid[32];
    char err[256];
    if (!need_verified(c, id, pk, iid)) return true;
    size_t n = r->name ? strlen(r->name) : 0;
    if (n == 0 || n > PROFILE_MAX_APP_SERVICE_LEN)
        return reply_status(c, id, ST(ERROR_INVALID_VALUE), "name");
    struct profile_record rec;
    enum profile_store_result sr =
        profile_store_get(ps->store, iid, false, false, &rec, err, sizeof err);
    profile_record_clear(&rec);
    if (sr == PROFILE_STORE_NOT_FOUND)
        return reply_status(c, id, ST(ERROR_UNAUTHORIZED), "identity not hosted");
    if (sr == PROFILE_STORE_OK)
        sr = profile_store_app_remove(ps->store, iid, r->name, err, sizeof err);
    if (sr == PROFILE_STORE_NOT_FOUND) return reply_status(c, id, ST(ERROR_NOT_FOUND), "name");
    if (sr != PROFILE_STORE_OK) return reply_internal(c, id, err);
    Iop__Profile__ApplicationServiceRemoveResponse ar =
        IOP__PROFILE__APPLICATION_SERVICE_REMOVE_RESPONSE__INIT;
    Iop__Common__Response resp = IOP__COMMON__RESPONSE__INIT;
    resp.kind_case = IOP__COMMON__RESPONSE__KIND_APPLICATION_SERVICE_REMOVE;
    resp.application_service_remove = &ar;
    return reply_ok(c, id, &resp);
}

/* ---- Lookup and search ---- */

static bool h_get(struct profile_service *ps, struct svc_conn *c, uint32_t id,
                  const Iop__Profile__GetProfileInformationRequest *r)
{
    char err[256];
    if (r->identity_id.len != 32)
        return reply_status(c, id, ST(ERROR_INVALID_VALUE), "identity_id");
    struct profile_record rec;
    switch (profile_store_get(ps->store, r->identity_id.data, r->include_image,
                              r->include_thumbnail, &rec, err, sizeof err)) {
    case PROFILE_STORE_OK: break;
    case PROFILE_STORE_NOT_FOUND:
        return reply_status(c, id, ST(ERROR_NOT_FOUND), "identity not hosted");
    default: return reply_internal(c, id, err);
    }
    char **names = NULL;
    size_t nnames = 0;
    if (r->include_application_services &&
        profile_store_app_list(ps->store, rec.identity_id, &names, &nnames, err, sizeof err) !=
            PROFILE_STORE_OK) {
        profile_record_clear(&rec);
        return reply_internal(c, id, err);
    }
    Iop__Profile__SignedProfile sp = IOP__PROFILE__SIGNED_PROFILE__INIT;
    fill_profile(&sp, &rec);
    Iop__Profile__GetProfileInformationResponse gr =
        IOP__PROFILE__GET_PROFILE_INFORMATION_RESPONSE__INIT;
    gr.is_online = rec.online;
    gr.profile = &sp;
    gr.image.data = rec.image;
    gr.image.len = rec.image_len;
    gr.thumbnail.data = rec.thumbnail;
    gr.thumbnail.len = rec.thumbnail_len;
    gr.application_services = names;
    gr.n_application_services = nnames;
    gr.plan = rec.plan;
    gr.agreement_time = (uint64_t)rec.agreement_time;
    Iop__Common__Response resp = IOP__COMMON__RESPONSE__INIT;
    resp.kind_case = IOP__COMMON__RESPONSE__KIND_GET_PROFILE_INFORMATION;
    resp.get_profile_information = &gr;
    reply_ok(c, id, &resp);
    profile_store_free_names(names, nnames);
    profile_record_clear(&rec);
    return true;
}

/* Loads rows[0..n) into results (profiles gone since the search are skipped) and
 * replies through send(). */
struct page {
    struct profile_record *recs;
    Iop__Profile__SignedProfile *sps;
    Iop__Profile__ProfileSearchResult *res;
    Iop__Profile__ProfileSearchResult **ptrs;
    size_t n;
};

static void page_free(struct page *pg)
{
    if (pg->recs)
        for (size_t i = 0; i < pg->n; i++) profile_record_clear(&pg->recs[i]);
    free(pg->recs);
    free(pg->sps);
    free(pg->res);
    free(pg->ptrs);
    memset(pg, 0, sizeof *pg);
}

static bool page_load(struct profile_service *ps, const int64_t *rows, size_t n, bool thumbs,
                      struct page *pg, char *err, size_t errlen)
{
    memset(pg, 0, sizeof *pg);
    if (n == 0) return true;
    pg->recs = calloc(n, sizeof *pg->recs);
    pg->sps = calloc(n, sizeof *pg->sps);
    pg->res = calloc(n, sizeof *pg->res);
    pg->ptrs = calloc(n, sizeof *pg->ptrs);
    if (!pg->recs || !pg->sps || !pg->res || !pg->ptrs) {
        page_free(pg);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        struct profile_record *rec = &pg->recs[pg->n];
        enum profile_store_result r =
            profile_store_get_row(ps->store, rows[i], false, thumbs, rec, err, errlen);
        if (r == PROFILE_STORE_NOT_FOUND) continue;
        if (r != PROFILE_STORE_OK) {
            page_free(pg);
            return false;
        }
        Iop__Profile__SignedProfile *sp = &pg->sps[pg->n];
        iop__profile__signed_profile__init(sp);
        fill_profile(sp, rec);
        Iop__Profile__ProfileSearchResult *res = &pg->res[pg->n];
        iop__profile__profile_search_result__init(res);
        res->profile = sp;
        res->is_online = rec->online;
        res->thumbnail.data = rec->thumbnail;
        res->thumbnail.len = rec->thumbnail_len;
        res->identity_id.data = rec->identity_id;
        res->identity_id.len = 32;
        pg->ptrs[pg->n] = res;
        pg->n++;
    }
    return true;
}

static bool h_search(struct profile_service *ps, struct svc_conn *c, uint32_t id,
                     const Iop__Profile__ProfileSearchRequest *r)
{
    char err[256];
    struct profile_search_limits lim;
    if (!profile_check_search(r, &lim, err, sizeof err))
        return reply_status(c, id, ST(ERROR_INVALID_VALUE), err);
    struct pconn *pc = pconn_of(c);
    int64_t *rows = malloc(lim.max_total * sizeof *rows);
    if (!pc || !rows) {
        free(rows);
        return reply_status(c, id, ST(ERROR_INTERNAL), "out of memory");
    }
    struct profile_search_query q = {
        .name = r->name,
        .type = r->type,
        .extra = r->extra_data,
        .use_location = r->use_location,
        .latitude = r->latitude,
        .longitude = r->longitude,
        .radius_m = r->radius,
    };
    size_t n = 0;
    if (!profile_store_search(ps->store, &q, rows, lim.max_total, &n, err, sizeof err)) {
        free(rows);
        return reply_internal(c, id, err);
    }
    free(pc->rows);
    pc->rows = rows;
    pc->nrows = n;
    pc->thumbs = r->include_thumbnails;
    pc->search_ms = now_ms();
    struct page pg;
    size_t first = n < lim.max_response ? n : lim.max_response;
    if (!page_load(ps, rows, first, pc->thumbs, &pg, err, sizeof err))
        return reply_internal(c, id, err);
    Iop__Profile__ProfileSearchResponse sr = IOP__PROFILE__PROFILE_SEARCH_RESPONSE__INIT;
    sr.total = (uint32_t)n;
    sr.profiles = pg.ptrs;
    sr.n_profiles = pg.n;
    Iop__Common__Response resp = IOP__COMMON__RESPONSE__INIT;
    resp.kind_case = IOP__COMMON__RESPONSE__KIND_PROFILE_SEARCH;
    resp.profile_search = &sr;
    reply_ok(c, id, &resp);
    page_free(&pg);
    return true;
}

static bool h_search_part(struct profile_service *ps, struct svc_conn *c, uint32_t id,
                          const Iop__Profile__ProfileSearchPartRequest *r)
{
    char err[256];
    if (!profile_check_search_part(r, err, sizeof err))
        return reply_status(c, id, ST(ERROR_INVALID_VALUE), err);
    struct pconn *pc = svc_conn_user(c);
    if (!pc || !pc->rows || now_ms() - pc->search_ms > ps->search_ttl_ms) {
        if (pc) {
            free(pc->rows);
            pc->rows = NULL;
            pc->nrows = 0;
        }
        return reply_status(c, id, ST(ERROR_NOT_AVAILABLE), "no search results kept");
    }
    if (r->offset >= pc->nrows) return reply_status(c, id, ST(ERROR_INVALID_VALUE), "offset");
    size_t count = pc->nrows - r->offset;
    if (count > r->count) count = r->count;
    struct page pg;
    if (!page_load(ps, pc->rows + r->offset, count, pc->thumbs, &pg, err, sizeof err))
        return reply_internal(c, id, err);
    Iop__Profile__ProfileSearchPartResponse sr =
        IOP__PROFILE__PROFILE_SEARCH_PART_RESPONSE__INIT;
    sr.offset = r->offset;
    sr.profiles = pg.ptrs;
    sr.n_profiles = pg.n;
    Iop__Common__Response resp = IOP__COMMON__RESPONSE__INIT;
    resp.kind_case = IOP__COMMON__RESPONSE__KIND_PROFILE_SEARCH_PART;
    resp.profile_search_part = &sr;
    reply_ok(c, id, &resp);
    page_free(&pg);
    return true;
}

bool profile_service_handle(struct svc_conn *c, uint32_t id, const Iop__Common__Request *req,
                            void *arg)
{
    struct profile_service *ps = arg;
    switch (req->kind_case) {
    case IOP__COMMON__REQUEST__KIND_REGISTER_HOSTING:
        return h_register(ps, c, id, req->register_hosting);
    case IOP__COMMON__REQUEST__KIND_CANCEL_HOSTING_AGREEMENT: return h_cancel(ps, c, id);
    case IOP__COMMON__REQUEST__KIND_CHECK_IN: return h_check_in(ps, c, id);
    case IOP__COMMON__REQUEST__KIND_UPDATE_PROFILE:
        return h_update(ps, c, id, req->update_profile);
    case IOP__COMMON__REQUEST__KIND_GET_PROFILE_INFORMATION:
        return h_get(ps, c, id, req->get_profile_information);
    case IOP__COMMON__REQUEST__KIND_APPLICATION_SERVICE_ADD:
        return h_app_add(ps, c, id, req->application_service_add);
    case IOP__COMMON__REQUEST__KIND_APPLICATION_SERVICE_REMOVE:
        return h_app_remove(ps, c, id, req->application_service_remove);
    case IOP__COMMON__REQUEST__KIND_PROFILE_SEARCH:
        return h_search(ps, c, id, req->profile_search);
    case IOP__COMMON__REQUEST__KIND_PROFILE_SEARCH_PART:
        return h_search_part(ps, c, id, req->profile_search_part);
    default: return false;
    }
}
