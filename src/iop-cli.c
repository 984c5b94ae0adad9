/* iop-cli: the command-line RPC client. A version-printing stub until the RPC issue. */
#include <stdio.h>

#include "iop-config.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("iop-cli version %s\n", PACKAGE_VERSION);
    return 0;
}
