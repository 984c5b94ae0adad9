/* Placeholder; being written. */
#include <stdio.h>

int main(void)
{
    printf("bench_profile: not written yet\n");
    return 0;
}
