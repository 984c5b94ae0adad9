#ifndef IOP_STUB_MINER_H
#define IOP_STUB_MINER_H
#endif
