/* Placeholder; being written. */
#ifndef IOP_WALLET_CRYPTER_H
#define IOP_WALLET_CRYPTER_H
#endif
