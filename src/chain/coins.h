#ifndef IOP_STUB_COINS_H
#define IOP_STUB_COINS_H
#endif
