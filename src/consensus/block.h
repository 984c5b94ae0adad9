#ifndef IOP_STUB_BLOCK_H
#define IOP_STUB_BLOCK_H
#endif
