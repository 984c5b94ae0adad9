#ifndef IOP_STUB_RAWTX_RPC_H
#define IOP_STUB_RAWTX_RPC_H
#endif
