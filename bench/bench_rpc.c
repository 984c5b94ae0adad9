/* placeholder: the RPC load program is being written. */
#include <stdio.h>
int main(void)
{
    fprintf(stderr, "bench_rpc: not built yet\n");
    return 1;
}
