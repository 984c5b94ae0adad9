#ifndef IOP_STUB_BIP32_H
#define IOP_STUB_BIP32_H
#endif
