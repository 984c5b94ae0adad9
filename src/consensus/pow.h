#ifndef IOP_STUB_POW_H
#define IOP_STUB_POW_H
#endif
