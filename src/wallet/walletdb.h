/* Placeholder; being written. */
#ifndef IOP_WALLET_WALLETDB_H
#define IOP_WALLET_WALLETDB_H
#endif
