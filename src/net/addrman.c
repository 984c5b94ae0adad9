/* Placeholder; being written. */
typedef int iop_placeholder_addrman;
