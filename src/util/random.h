#ifndef IOP_STUB_RANDOM_H
#define IOP_STUB_RANDOM_H
#endif
