/* Placeholder; being written. */
#ifndef IOP_WALLET_BIP39_H
#define IOP_WALLET_BIP39_H
#endif
