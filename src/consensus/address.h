#ifndef IOP_STUB_ADDRESS_H
#define IOP_STUB_ADDRESS_H
#endif
