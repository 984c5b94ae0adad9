#ifndef IOP_STUB_POLICY_H
#define IOP_STUB_POLICY_H
#endif
