#ifndef IOP_STUB_UNDO_H
#define IOP_STUB_UNDO_H
#endif
