/* Control methods (see control_rpc.h). They belong to the server, so they live here
 * rather than in a module; the texts follow Bitcoin Core's. */
#define _GNU_SOURCE
#include "rpc/control_rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/timeutil.h"

static bool rpc_stop(void *vctx, const json_t *params, json_t **result, struct rpc_error *err)
{
    struct control_ctx *ctx = vctx;
    (void)params;
    (void)err;
    if (ctx->request_shutdown) ctx->request_shutdown();
    *result = json_string("iopd stopping");
    return true;
}

static bool rpc_uptime(void *vctx, const json_t *params, json_t **result, struct rpc_error *err)
{
    struct control_ctx *ctx = vctx;
    (void)params;
    (void)err;
    *result = json_integer(time_now() - ctx->start_time);
    return true;
}

static bool rpc_getrpcinfo(void *vctx, const json_t *params, json_t **result,
                           struct rpc_error *err)
{
    struct control_ctx *ctx = vctx;
    (void)params;
    (void)err;
    char path[4096];
    log_file_path(path, sizeof path);
    *result = json_pack("{s:o,s:s}", "active_commands",
                        rpc_dispatcher_active_commands(ctx->dispatcher), "logpath", path);
    return *result != NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *category_map(void)
{
    const char *names[LOG_CATEGORY_COUNT];
    size_t n = 0;
    for (int c = 1; c < LOG_CATEGORY_COUNT; c++)
        names[n++] = log_category_name((enum log_category)c);
    qsort(names, n, sizeof names[0], cmp_str);
    json_t *obj = json_object();
    for (size_t i = 0; i < n; i++) {
        enum log_category c;
        if (log_category_from_name(names[i], &c))
            json_object_set_new(obj, names[i], json_boolean(log_category_enabled(c)));
    }
    return obj;
}

static bool apply_categories(const json_t *list, bool enable, struct rpc_error *err)
{
    if (!list || json_is_null(list)) return true;
    size_t i;
    const json_t *v;
    /* Check everything first so a bad name changes nothing. */
    json_array_foreach((json_t *)list, i, v)
    {
        enum log_category c;
        const char *s = json_string_value(v);
        if (!s)
            return rpc_error_set(err, RPC_TYPE_ERROR,
                                 "JSON value of type %s is not of expected "
                                 "type string",
                                 rpc_json_type_name(v));
        if (strcmp(s, "all") != 0 && strcmp(s, "1") != 0 && strcmp(s, "none") != 0 &&
            strcmp(s, "0") != 0 && !log_category_from_name(s, &c))
            return rpc_error_set(err, RPC_INVALID_PARAMETER, "unknown logging category %s", s);
    }
    json_array_foreach((json_t *)list, i, v)
    {
        const char *s = json_string_value(v);
        if (enable)
            (void)log_enable_category(s);
        else if (strcmp(s, "none") == 0 || strcmp(s, "0") == 0)
            continue;
        else
            (void)log_disable_category(s);
    }
    return true;
}

static bool rpc_logging(void *vctx, const json_t *params, json_t **result,
                        struct rpc_error *err)
{
    (void)vctx;
    if (!apply_categories(json_array_get(params, 0), true, err)) return false;
    if (!apply_categories(json_array_get(params, 1), false, err)) return false;
    *result = category_map();
    return true;
}

static bool rpc_help(void *vctx, const json_t *params, json_t **result, struct rpc_error *err)
{
    struct control_ctx *ctx = vctx;
    (void)err;
    const json_t *cmd = json_array_get(params, 0);
    char *text =
        control_help_text(ctx->dispatcher, json_is_string(cmd) ? json_string_value(cmd) : NULL);
    if (!text) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    *result = json_string(text);
    free(text);
    return true;
}

struct sort_entry {
    const char *category;
    const char *name;
    const char *help;
};

static int cmp_entry(const void *a, const void *b)
{
    const struct sort_entry *x = a, *y = b;
    int c = strcmp(x->category, y->category);
    return c ? c : strcmp(x->name, y->name);
}

char *control_help_text(const struct rpc_dispatcher *d, const char *command)
{
    if (command) {
        const struct rpc_method *m = rpc_dispatcher_find(d, command, NULL);
        char *s = NULL;
        if (m) {
            s = strdup(m->help);
            size_t l = s ? strlen(s) : 0;
            if (l > 0 && s[l - 1] == '\n') s[l - 1] = '\0';
        } else if (asprintf(&s, "help: unknown command: %s", command) < 0)
            s = NULL;
        return s;
    }
    size_t n = 0;
    while (rpc_dispatcher_at(d, n)) n++;
    struct sort_entry *e = calloc(n ? n : 1, sizeof *e);
    if (!e) return NULL;
    size_t cap = 64;
    for (size_t i = 0; i < n; i++) {
        const struct rpc_method *m = rpc_dispatcher_at(d, i);
        e[i] = (struct sort_entry){m->category, m->name, m->help};
        cap += strlen(m->category) + strlen(m->help) + 16;
    }
    qsort(e, n, sizeof *e, cmp_entry);
    char *out = malloc(cap);
    if (!out) {
        free(e);
        return NULL;
    }
    size_t len = 0;
    out[0] = '\0';
    const char *cur = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(e[i].category, "hidden") == 0) continue;
        if (!cur || strcmp(cur, e[i].category) != 0) {
            if (cur) out[len++] = '\n';
            cur = e[i].category;
            char cat[64];
            snprintf(cat, sizeof cat, "%s", cur);
            if (cat[0] >= 'a' && cat[0] <= 'z') cat[0] = (char)(cat[0] - 'a' + 'A');
            len += (size_t)snprintf(out + len, cap - len, "== %s ==\n", cat);
        }
        const char *nl = strchr(e[i].help, '\n');
        size_t l = nl ? (size_t)(nl - e[i].help) : strlen(e[i].help);
        memcpy(out + len, e[i].help, l);
        len += l;
        out[len++] = '\n';
    }
    if (len > 0 && out[len - 1] == '\n') len--;
    out[len] = '\0';
    free(e);
    return out;
}

#define EXAMPLE_CURL(m)                                                                        \
    "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "    \
    "\"method\": \"" m "\", \"params\": []}' -H 'content-type: application/json' "             \
    "http://127.0.0.1:8337/\n"

static const struct rpc_method control_methods[] = {
    {"help",
     "control",
     rpc_help,
     {{"command", RPC_ARG_STR, true}},
     "help ( \"command\" )\n"
     "\n"
     "List all commands, or get help for a specified command.\n"
     "\n"
     "Arguments:\n"
     "1. command    (string, optional, default=all commands) The command to get help on\n"
     "\n"
     "Result:\n"
     "\"str\"    (string) The help text\n"},
    {"stop",
     "control",
     rpc_stop,
     {{NULL, 0, false}},
     "stop\n"
     "\n"
     "Request a graceful shutdown of iopd.\n"
     "\n"
     "Result:\n"
     "\"str\"    (string) A string with the content 'iopd stopping'\n"},
    {"uptime",
     "control",
     rpc_uptime,
     {{NULL, 0, false}},
     "uptime\n"
     "\n"
     "Returns the total uptime of the server.\n"
     "\n"
     "Result:\n"
     "n    (numeric) The number of seconds that the server has been running\n"
     "\n"
     "Examples:\n"
     "> iop-cli uptime\n" EXAMPLE_CURL("uptime")},
    {"getrpcinfo",
     "control",
     rpc_getrpcinfo,
     {{NULL, 0, false}},
     "getrpcinfo\n"
     "\n"
     "Returns details of the RPC server.\n"
     "\n"
     "Result:\n"
     "{                       (json object)\n"
     "  \"active_commands\" : [  (json array) All active commands\n"
     "    {                   (json object) Information about an active command\n"
     "      \"method\" : \"str\", (string) The name of the RPC command\n"
     "      \"duration\" : n    (numeric) The running time in microseconds\n"
     "    },\n"
     "    ...\n"
     "  ],\n"
     "  \"logpath\" : \"str\"     (string) The complete file path to the debug log\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli getrpcinfo\n" EXAMPLE_CURL("getrpcinfo")},
    {"logging",
     "control",
     rpc_logging,
     {{"include", RPC_ARG_ARR, true}, {"exclude", RPC_ARG_ARR, true}},
     "logging ( [\"include_category\",...] [\"exclude_category\",...] )\n"
     "\n"
     "Gets and sets the logging configuration.\n"
     "When called without an argument, returns the list of categories with status that are "
     "currently being debug logged or not.\n"
     "When called with arguments, adds or removes categories from debug logging and return "
     "the lists above.\n"
     "The arguments are evaluated in order \"include\", \"exclude\".\n"
     "If an item is both included and excluded, it will thus end up being excluded.\n"
     "The valid logging categories are: addrman, bench, blockstorage, cmpctblock, coindb, "
     "estimatefee, http, leveldb, libevent, mempool, mempoolrej, minting, net, proxy, prune, "
     "rand, reindex, rpc, selectcoins, services, tor, validation, walletdb, zmq\n"
     "In addition, the following are available as category names with special meanings:\n"
     "  - \"all\",  \"1\" : represent all logging categories.\n"
     "\n"
     "Arguments:\n"
     "1. include                    (json array, optional) The categories to add to debug "
     "logging\n"
     "     [\n"
     "       \"include_category\",    (string) the valid logging category\n"
     "       ...\n"
     "     ]\n"
     "2. exclude                    (json array, optional) The categories to remove from "
     "debug logging\n"
     "     [\n"
     "       \"exclude_category\",    (string) the valid logging category\n"
     "       ...\n"
     "     ]\n"
     "\n"
     "Result:\n"
     "{                   (json object) keys are the logging categories, and values "
     "indicates its status\n"
     "  \"category\" : true|false,    (boolean) if being debug logged or not. false:inactive, "
     "true:active\n"
     "  ...\n"
     "}\n"
     "\n"
     "Examples:\n"
     "> iop-cli logging \"[\\\"all\\\"]\" \"[\\\"http\\\"]\"\n"
     "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "
     "\"method\": \"logging\", \"params\": [[\"all\"], [\"libevent\"]]}' -H 'content-type: "
     "application/json' http://127.0.0.1:8337/\n"},
};

struct rpc_table control_rpc_table(struct control_ctx *ctx)
{
    return (struct rpc_table){control_methods,
                              sizeof control_methods / sizeof control_methods[0], ctx};
}
