#ifndef IOP_STUB_BECH32_H
#define IOP_STUB_BECH32_H
#endif
