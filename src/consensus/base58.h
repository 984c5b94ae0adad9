#ifndef IOP_STUB_BASE58_H
#define IOP_STUB_BASE58_H
#endif
