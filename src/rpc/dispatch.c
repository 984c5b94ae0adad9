/* JSON-RPC processing (see dispatch.h).
 *
 * The rules follow Bitcoin Core's httprpc.cpp and request.cpp. A single request with
 * "jsonrpc": "2.0" always gets HTTP 200 (an error is reported inside the body, "result"
 * is left out on error and "error" on success) or 204 when it is a notification (no
 * "id"). Legacy 1.0/1.1 requests get both "result" and "error", and a failed call turns
 * into an HTTP error: 400 for an invalid request, 404 for an unknown method, 500 for the
 * rest. Batches always get 200 with one reply per non-notification element. */
#include "rpc/dispatch.h"
#include "util/json_write.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/timeutil.h"

struct active_call {
    const char *method;
    int64_t start;
    struct active_call *next;
};

struct rpc_dispatcher {
    struct rpc_table *tables;
    size_t ntables;
    pthread_mutex_t mutex; /* guards warmup and the active list */
    bool warmup;
    char warmup_status[128];
    struct active_call *active;
};

struct rpc_dispatcher *rpc_dispatcher_new(void)
{
    struct rpc_dispatcher *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    pthread_mutex_init(&d->mutex, NULL);
    return d;
}

void rpc_dispatcher_free(struct rpc_dispatcher *d)
{
    if (!d) return;
    pthread_mutex_destroy(&d->mutex);
    free(d->tables);
    free(d);
}

bool rpc_dispatcher_add_table(struct rpc_dispatcher *d, const struct rpc_table *t)
{
    for (size_t i = 0; i < t->count; i++) {
        void *ctx;
        if (rpc_dispatcher_find(d, t->methods[i].name, &ctx)) return false;
    }
    struct rpc_table *n = realloc(d->tables, (d->ntables + 1) * sizeof *n);
    if (!n) return false;
    d->tables = n;
    d->tables[d->ntables++] = *t;
    return true;
}

void rpc_dispatcher_set_warmup(struct rpc_dispatcher *d, bool on, const char *status)
{
    pthread_mutex_lock(&d->mutex);
    d->warmup = on;
    snprintf(d->warmup_status, sizeof d->warmup_status, "%s", status ? status : "");
    pthread_mutex_unlock(&d->mutex);
}

const struct rpc_method *rpc_dispatcher_find(const struct rpc_dispatcher *d, const char *name,
                                             void **ctx)
{
    for (size_t t = 0; t < d->ntables; t++)
        for (size_t i = 0; i < d->tables[t].count; i++)
            if (strcmp(d->tables[t].methods[i].name, name) == 0) {
                if (ctx) *ctx = d->tables[t].ctx;
                return &d->tables[t].methods[i];
            }
    return NULL;
}

const struct rpc_method *rpc_dispatcher_at(const struct rpc_dispatcher *d, size_t i)
{
    for (size_t t = 0; t < d->ntables; t++) {
        if (i < d->tables[t].count) return &d->tables[t].methods[i];
        i -= d->tables[t].count;
    }
    return NULL;
}

json_t *rpc_dispatcher_active_commands(struct rpc_dispatcher *d)
{
    json_t *arr = json_array();
    int64_t now = time_mono_micros();
    pthread_mutex_lock(&d->mutex);
    for (struct active_call *c = d->active; c; c = c->next)
        json_array_append_new(arr, json_pack("{s:s,s:I}", "method", c->method, "duration",
                                             (json_int_t)(now - c->start)));
    pthread_mutex_unlock(&d->mutex);
    return arr;
}

bool rpc_dispatcher_execute(struct rpc_dispatcher *d, const char *method, const json_t *params,
                            json_t **result, struct rpc_error *err)
{
    *result = NULL;
    pthread_mutex_lock(&d->mutex);
    if (d->warmup) {
        rpc_error_set(err, RPC_IN_WARMUP, "%s", d->warmup_status);
        pthread_mutex_unlock(&d->mutex);
        return false;
    }
    pthread_mutex_unlock(&d->mutex);
    void *ctx = NULL;
    const struct rpc_method *m = rpc_dispatcher_find(d, method, &ctx);
    if (!m) return rpc_error_set(err, RPC_METHOD_NOT_FOUND, "Method not found");

    struct active_call call = {.method = m->name, .start = time_mono_micros()};
    pthread_mutex_lock(&d->mutex);
    call.next = d->active;
    d->active = &call;
    pthread_mutex_unlock(&d->mutex);

    bool ok = rpc_method_call(m, ctx, params, result, err);

    pthread_mutex_lock(&d->mutex);
    for (struct active_call **p = &d->active; *p; p = &(*p)->next)
        if (*p == &call) {
            *p = call.next;
            break;
        }
    pthread_mutex_unlock(&d->mutex);
    return ok;
}

enum json_version { V1_LEGACY, V2 };

struct parsed_request {
    json_t *id; /* borrowed; NULL when absent (a notification in 2.0) */
    enum json_version version;
    const char *method;
    const json_t *params; /* borrowed; NULL means [] */
};

static json_t *error_object(const struct rpc_error *err)
{
    return json_pack("{s:i,s:s}", "code", err->code, "message",
                     err->message ? err->message : "");
}

/* Core's JSONRPCReplyObj: result xor error (both in 1.x), id when the request had one. */
static json_t *reply_object(json_t *result, json_t *error, const json_t *id,
                            enum json_version v)
{
    json_t *r = json_object();
    if (v == V2) json_object_set_new(r, "jsonrpc", json_string("2.0"));
    if (!error) {
        json_object_set_new(r, "result", result ? result : json_null());
        if (v == V1_LEGACY) json_object_set_new(r, "error", json_null());
    } else {
        if (result) json_decref(result);
        if (v == V1_LEGACY) json_object_set_new(r, "result", json_null());
        json_object_set_new(r, "error", error);
    }
    if (id) json_object_set(r, "id", (json_t *)id);
    return r;
}

/* Core's JSONRPCRequest::parse. Fills what it can (id, version) before failing. */
static bool parse_request(const json_t *v, struct parsed_request *req, struct rpc_error *err)
{
    req->id = NULL;
    req->version = V1_LEGACY;
    req->method = NULL;
    req->params = NULL;
    if (!json_is_object(v))
        return rpc_error_set(err, RPC_INVALID_REQUEST, "Invalid Request object");
    req->id = json_object_get(v, "id");
    const json_t *ver = json_object_get(v, "jsonrpc");
    if (ver && !json_is_null(ver)) {
        if (!json_is_string(ver))
            return rpc_error_set(err, RPC_INVALID_REQUEST, "jsonrpc field must be a string");
        if (strcmp(json_string_value(ver), "1.0") == 0)
            req->version = V1_LEGACY;
        else if (strcmp(json_string_value(ver), "2.0") == 0)
            req->version = V2;
        else
            return rpc_error_set(err, RPC_INVALID_REQUEST, "JSON-RPC version not supported");
    }
    const json_t *m = json_object_get(v, "method");
    if (!m || json_is_null(m)) return rpc_error_set(err, RPC_INVALID_REQUEST, "Missing method");
    if (!json_is_string(m))
        return rpc_error_set(err, RPC_INVALID_REQUEST, "Method must be a string");
    req->method = json_string_value(m);
    const json_t *p = json_object_get(v, "params");
    if (p && !json_is_null(p)) {
        if (!json_is_array(p) && !json_is_object(p))
            return rpc_error_set(err, RPC_INVALID_REQUEST, "Params must be an array or object");
        req->params = p;
    }
    return true;
}

static bool is_notification(const struct parsed_request *r)
{
    return r->version == V2 && r->id == NULL;
}

static int http_status_for(int code)
{
    if (code == RPC_INVALID_REQUEST) return 400;
    if (code == RPC_METHOD_NOT_FOUND) return 404;
    return 500;
}

static void set_body(struct rpc_reply *out, int status, json_t *reply)
{
    out->http_status = status;
    char *text = json_write(reply, 0); /* amounts as Core writes them */
    json_decref(reply);
    if (!text) {
        out->http_status = 500;
        out->body = strdup("{\"result\":null,\"error\":{\"code\":-32603,\"message\":"
                           "\"Internal error\"},\"id\":null}\n");
        return;
    }
    size_t n = strlen(text);
    out->body = malloc(n + 2);
    if (out->body) {
        memcpy(out->body, text, n);
        out->body[n] = '\n';
        out->body[n + 1] = '\0';
    }
    free(text);
}

/* Executes a parsed request and always returns a reply object (Core's JSONRPCExecOne with
 * catch_errors). */
static json_t *exec_caught(struct rpc_dispatcher *d, const struct parsed_request *r)
{
    struct rpc_error err = {0};
    json_t *result = NULL;
    json_t *params = r->params ? json_incref((json_t *)r->params) : json_array();
    bool ok = rpc_dispatcher_execute(d, r->method, params, &result, &err);
    json_decref(params);
    json_t *reply = ok ? reply_object(result, NULL, r->id, r->version)
                       : reply_object(NULL, error_object(&err), r->id, r->version);
    rpc_error_clear(&err);
    return reply;
}

void rpc_dispatch_body(struct rpc_dispatcher *d, const char *body, size_t len,
                       const char *wallet, struct rpc_reply *out)
{
    out->http_status = 200;
    out->body = NULL;
    rpc_call_set_wallet(wallet);
    json_error_t jerr;
    json_t *req = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    struct rpc_error err = {0};
    if (!req) {
        rpc_error_set(&err, RPC_PARSE_ERROR, "Parse error");
        set_body(out, 500, reply_object(NULL, error_object(&err), json_null(), V1_LEGACY));
        rpc_error_clear(&err);
        rpc_call_set_wallet(NULL);
        return;
    }
    if (json_is_object(req)) {
        struct parsed_request r;
        if (!parse_request(req, &r, &err)) {
            /* As Core: the id is echoed when the request had one, else left out. */
            set_body(out, http_status_for(err.code),
                     reply_object(NULL, error_object(&err), r.id, r.version));
        } else {
            log_debug(LOG_RPC, "ThreadRPCServer method=%s%s%s", r.method,
                      wallet ? " wallet=" : "", wallet ? wallet : "");
            json_t *params = r.params ? json_incref((json_t *)r.params) : json_array();
            json_t *result = NULL;
            bool ok = rpc_dispatcher_execute(d, r.method, params, &result, &err);
            json_decref(params);
            if (is_notification(&r)) {
                if (result) json_decref(result);
                out->http_status = 204;
            } else if (ok) {
                set_body(out, 200, reply_object(result, NULL, r.id, r.version));
            } else if (r.version == V2) {
                set_body(out, 200, reply_object(NULL, error_object(&err), r.id, r.version));
            } else {
                set_body(out, http_status_for(err.code),
                         reply_object(NULL, error_object(&err), r.id, r.version));
            }
        }
    } else if (json_is_array(req)) {
        json_t *replies = json_array();
        size_t n = json_array_size(req);
        for (size_t i = 0; i < n; i++) {
            struct parsed_request r;
            json_t *reply;
            if (!parse_request(json_array_get(req, i), &r, &err)) {
                reply = reply_object(NULL, error_object(&err), r.id ? r.id : json_null(),
                                     r.version);
                rpc_error_clear(&err);
            } else {
                log_debug(LOG_RPC, "ThreadRPCServer method=%s (batch)", r.method);
                reply = exec_caught(d, &r);
            }
            if (is_notification(&r))
                json_decref(reply);
            else
                json_array_append_new(replies, reply);
        }
        if (json_array_size(replies) == 0 && n > 0) {
            json_decref(replies);
            out->http_status = 204;
        } else {
            set_body(out, 200, replies);
        }
    } else {
        rpc_error_set(&err, RPC_PARSE_ERROR, "Top-level object parse error");
        set_body(out, 500, reply_object(NULL, error_object(&err), json_null(), V1_LEGACY));
    }
    rpc_error_clear(&err);
    json_decref(req);
    rpc_call_set_wallet(NULL);
}
