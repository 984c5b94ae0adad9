#ifndef IOP_STUB_ARGS_H
#define IOP_STUB_ARGS_H
#endif
