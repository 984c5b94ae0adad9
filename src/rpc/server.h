#ifndef IOP_STUB_SERVER_H
#define IOP_STUB_SERVER_H
#endif
