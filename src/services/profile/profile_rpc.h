/* The profile service's RPC methods: getprofileserverinfo. */
#ifndef IOP_SERVICES_PROFILE_RPC_H
#define IOP_SERVICES_PROFILE_RPC_H

#include "services/profile/profile_service.h"
#include "util/rpc_method.h"

/* The method table. ps is the running service, or NULL when -profile is off (the
 * method then reports enabled=false); it must outlive the table. The handler may run on
 * any thread (it only takes profile_service_get_info's snapshot). */
struct rpc_table profile_rpc_table(struct profile_service *ps);

#endif
