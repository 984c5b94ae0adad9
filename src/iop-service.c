/* Placeholder; being written. */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "iop-service: not built yet\n");
    return 1;
}
