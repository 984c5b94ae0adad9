#ifndef IOP_STUB_TX_CHECK_H
#define IOP_STUB_TX_CHECK_H
#endif
