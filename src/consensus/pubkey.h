#ifndef IOP_STUB_PUBKEY_H
#define IOP_STUB_PUBKEY_H
#endif
