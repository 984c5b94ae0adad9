#ifndef IOP_STUB_TXINDEX_H
#define IOP_STUB_TXINDEX_H
#endif
