/*
 * unit.h - the smallest test harness: CHECK prints "PASS name" or
 * "FAIL name: expression (file:line)" and the program exits non-zero when
 * anything failed.  tests/run.sh counts those lines.
 */
#ifndef JUDGEBOX_UNIT_H
#define JUDGEBOX_UNIT_H
#include <stdio.h>

static int unit_failures;

#define CHECK(name, expr) do {                                              \
        if (expr) printf("PASS %s\n", (name));                               \
        else { printf("FAIL %s: %s (%s:%d)\n", (name), #expr, __FILE__, __LINE__); \
               unit_failures++; }                                            \
        fflush(stdout);                                                      \
    } while (0)

#define UNIT_EXIT() return unit_failures ? 1 : 0
#endif
