/* getprofileserverinfo (see profile_rpc.h). */
#include "services/profile/profile_rpc.h"

#include <stdio.h>

static bool rpc_getprofileserverinfo(void *vctx, const json_t *params, json_t **result,
                                     struct rpc_error *err)
{
    struct profile_service *ps = vctx;
    (void)params;
    json_t *o = json_object();
    if (!o) return rpc_error_set(err, RPC_OUT_OF_MEMORY, "Out of memory");
    json_object_set_new(o, "enabled", json_boolean(ps != NULL));
    if (ps) {
        struct profile_service_info info;
        profile_service_get_info(ps, &info);
        char hex[65] = "";
        for (size_t i = 0; info.has_key && i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", info.server_key[i]);
        json_t *plans = json_array();
        for (size_t i = 0; plans && i < info.nplans; i++)
            json_array_append_new(plans,
                                  json_pack("{s:s,s:I}", "name", info.plans[i], "price", 0));
        json_object_set_new(o, "port", json_integer(info.port));
        json_object_set_new(o, "identity", json_string(hex));
        json_object_set_new(o, "hosted", json_integer((json_int_t)info.hosted));
        json_object_set_new(o, "online", json_integer((json_int_t)info.online));
        json_object_set_new(o, "maxhosted", json_integer((json_int_t)info.max_hosted));
        json_object_set_new(o, "plans", plans ? plans : json_array());
    }
    *result = o;
    return true;
}

static const struct rpc_method METHODS[] = {
    {"getprofileserverinfo",
     "services",
     rpc_getprofileserverinfo,
     {{NULL, 0, false}},
     "getprofileserverinfo\n"
     "\n"
     "Returns the state of the profile service (-profile).\n"
     "\n"
     "Result:\n"
     "{\n"
     "  \"enabled\" : true|false,    (boolean) whether the service runs\n"
     "  \"port\" : n,                (numeric) the TLS port it listens on\n"
     "  \"identity\" : \"hex\",        (string) the server's 32-byte identity public key\n"
     "  \"hosted\" : n,              (numeric) identities hosted\n"
     "  \"online\" : n,              (numeric) hosted identities checked in now\n"
     "  \"maxhosted\" : n,           (numeric) the most identities it will host\n"
     "  \"plans\" : [                (array) hosting plans offered\n"
     "    { \"name\" : \"str\", \"price\" : n }   (price 0: free)\n"
     "  ]\n"
     "}\n"
     "The other fields are present only when enabled.\n"
     "\n"
     "Examples:\n"
     "> iop-cli getprofileserverinfo\n"},
};

struct rpc_table profile_rpc_table(struct profile_service *ps)
{
    struct rpc_table t = {METHODS, sizeof METHODS / sizeof METHODS[0], ps};
    return t;
}
