/* The method type's shared logic (see rpc_method.h): argument mapping and checking as
 * Bitcoin Core's RPCHelpMan does it, so every module gets the same errors for free. */
#define _GNU_SOURCE
#include "util/rpc_method.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local const char *call_wallet;

const char *rpc_call_wallet(void) { return call_wallet; }
void rpc_call_set_wallet(const char *wallet) { call_wallet = wallet; }

bool rpc_error_set(struct rpc_error *err, int code, const char *fmt, ...)
{
    if (!err) return false;
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
    va_end(ap);
    free(err->message);
    err->message = msg;
    err->code = code;
    return false;
}

void rpc_error_clear(struct rpc_error *err)
{
    if (!err) return;
    free(err->message);
    err->message = NULL;
    err->code = 0;
}

const char *rpc_json_type_name(const json_t *v)
{
    if (!v) return "null";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_NULL: return "null";
    }
    return "null";
}

static size_t arg_count(const struct rpc_method *m)
{
    size_t n = 0;
    while (n < RPC_MAX_ARGS && m->args[n].name) n++;
    return n;
}

json_t *rpc_method_positional(const struct rpc_method *m, const json_t *params,
                              struct rpc_error *err)
{
    if (!params || json_is_null(params)) return json_array();
    if (json_is_array(params)) return json_incref((json_t *)params);
    if (!json_is_object(params)) {
        rpc_error_set(err, RPC_INVALID_REQUEST, "Params must be an array or object");
        return NULL;
    }
    size_t nargs = arg_count(m);
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)params, key, val)
    {
        bool known = false;
        for (size_t i = 0; i < nargs; i++)
            if (strcmp(m->args[i].name, key) == 0) known = true;
        if (!known) {
            rpc_error_set(err, RPC_INVALID_PARAMETER, "Unknown named parameter %s", key);
            return NULL;
        }
    }
    json_t *out = json_array();
    if (!out) {
        rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
        return NULL;
    }
    size_t holes = 0;
    for (size_t i = 0; i < nargs; i++) {
        json_t *v = json_object_get(params, m->args[i].name);
        if (!v) {
            holes++;
            continue;
        }
        for (; holes > 0; holes--) json_array_append_new(out, json_null());
        json_array_append(out, v);
    }
    return out;
}

static const char *type_name(enum rpc_arg_type t)
{
    switch (t) {
    case RPC_ARG_STR: return "string";
    case RPC_ARG_NUM: return "number";
    case RPC_ARG_BOOL: return "bool";
    case RPC_ARG_OBJ: return "object";
    case RPC_ARG_ARR: return "array";
    case RPC_ARG_ANY: break;
    }
    return "any";
}

static bool type_matches(enum rpc_arg_type t, const json_t *v)
{
    switch (t) {
    case RPC_ARG_ANY: return true;
    case RPC_ARG_STR: return json_is_string(v);
    case RPC_ARG_NUM: return json_is_number(v);
    case RPC_ARG_BOOL: return json_is_boolean(v);
    case RPC_ARG_OBJ: return json_is_object(v);
    case RPC_ARG_ARR: return json_is_array(v);
    }
    return false;
}

bool rpc_method_call(const struct rpc_method *m, void *ctx, const json_t *params,
                     json_t **result, struct rpc_error *err)
{
    *result = NULL;
    json_t *pos = rpc_method_positional(m, params, err);
    if (!pos) return false;
    size_t nargs = arg_count(m), nreq = 0;
    for (size_t i = 0; i < nargs; i++)
        if (!m->args[i].optional) nreq = i + 1;
    size_t n = json_array_size(pos);
    if (n < nreq || n > nargs) {
        json_decref(pos);
        return rpc_error_set(err, RPC_MISC_ERROR, "%s", m->help);
    }
    json_t *mismatch = NULL;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(pos, i);
        const struct rpc_arg *a = &m->args[i];
        if (a->optional && json_is_null(v)) continue;
        if (a->type == RPC_ARG_ANY && !json_is_null(v)) continue;
        if (type_matches(a->type, v)) continue;
        if (!mismatch) mismatch = json_object();
        char key[128], msg[160];
        snprintf(key, sizeof key, "Position %zu (%s)", i + 1, a->name);
        snprintf(msg, sizeof msg, "JSON value of type %s is not of expected type %s",
                 rpc_json_type_name(v), type_name(a->type));
        json_object_set_new(mismatch, key, json_string(msg));
    }
    if (mismatch) {
        char *text = json_dumps(mismatch, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        rpc_error_set(err, RPC_TYPE_ERROR, "Wrong type passed:\n%s", text ? text : "{}");
        free(text);
        json_decref(mismatch);
        json_decref(pos);
        return false;
    }
    bool ok = m->handler(ctx, pos, result, err);
    json_decref(pos);
    if (ok && !*result) *result = json_null();
    if (!ok) {
        if (*result) json_decref(*result);
        *result = NULL;
        if (!err->message) rpc_error_set(err, RPC_INTERNAL_ERROR, "Internal error");
    }
    return ok;
}
