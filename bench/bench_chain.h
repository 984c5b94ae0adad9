/* Chain figures for bench_iop: block connection and import speed. */
#ifndef IOP_BENCH_CHAIN_H
#define IOP_BENCH_CHAIN_H
/* Prints its figures; budget_seconds is the time to spend on each. */
void bench_chain(double budget_seconds);
#endif
