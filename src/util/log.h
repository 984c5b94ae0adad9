#ifndef IOP_STUB_LOG_H
#define IOP_STUB_LOG_H
#endif
