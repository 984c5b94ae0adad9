/* Placeholder; being written. */
#ifndef IOP_NET_NET_PROCESSING_H
#define IOP_NET_NET_PROCESSING_H
#endif
