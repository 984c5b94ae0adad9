/* Placeholder; being written. */
#ifndef IOP_NET_CONNMAN_H
#define IOP_NET_CONNMAN_H
#endif
