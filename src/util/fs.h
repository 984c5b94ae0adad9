#ifndef IOP_STUB_FS_H
#define IOP_STUB_FS_H
#endif
