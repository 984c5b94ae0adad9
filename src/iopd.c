/* iopd: the Internet of People node. Until the daemon issue lands it only reports its
 * version, so packaging and scripts have a binary to call. */
#include <stdio.h>
#include <string.h>

#include "iop-config.h"

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-version") == 0 || strcmp(argv[i], "--version") == 0 ||
            strcmp(argv[i], "-?") == 0 || strcmp(argv[i], "-help") == 0) {
            printf("iopd version %s\n", PACKAGE_VERSION);
            return 0;
        }
    }
    printf("iopd version %s\n", PACKAGE_VERSION);
    fprintf(stderr, "iopd: the node itself is not built yet; only the consensus library "
                    "and its tests exist in this version (see README.md)\n");
    return 1;
}
