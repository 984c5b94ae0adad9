#ifndef IOP_STUB_MERKLE_H
#define IOP_STUB_MERKLE_H
#endif
