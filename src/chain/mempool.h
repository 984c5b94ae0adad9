#ifndef IOP_STUB_MEMPOOL_H
#define IOP_STUB_MEMPOOL_H
#endif
