/* Placeholder; being written. */
typedef int iop_placeholder_net_rpc;
