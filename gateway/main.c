/* main.c - the lwm2m-mqtt-gateway daemon entry point. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            printf("lwm2m-mqtt-gateway %s\n", LMG_VERSION);
            return 0;
        }
    }
    printf("lwm2m-mqtt-gateway %s\n", LMG_VERSION);
    return 0;
}
