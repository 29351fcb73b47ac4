/*
 * serve.c - `judgebox serve`: placeholder until the HTTP service lands.
 */
#include <stdio.h>

#include "commands.h"

int command_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "judgebox serve: not built yet\n");
    return 2;
}
