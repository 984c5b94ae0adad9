/* placeholder: the chain figures come with block connection (issue 3). */
#include "bench_chain.h"
void bench_chain(double budget_seconds) { (void)budget_seconds; }
