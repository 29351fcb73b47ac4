/*
 * fuzz.h - shared by the libFuzzer harnesses of tests/fuzz/: an assertion
 * that stops the fuzzer with a message (libFuzzer saves the input), so a
 * harness checks properties, not only "did not crash".
 */
#ifndef JUDGEBOX_FUZZ_H
#define JUDGEBOX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ASSERT(cond) do {                                                   \
        if (!(cond)) {                                                           \
            fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                             \
        }                                                                        \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
