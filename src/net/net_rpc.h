/* Placeholder; being written. */
#ifndef IOP_NET_NET_RPC_H
#define IOP_NET_NET_RPC_H
#endif
