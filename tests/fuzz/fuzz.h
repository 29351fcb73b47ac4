/*
 * fuzz.h - shared by the libFuzzer harnesses of tests/fuzz/: an assertion
 * that stops the fuzzer with a message (libFuzzer saves the input), so a
 * harness checks properties, not only "did not crash"; and the input split
 * into a selector byte and a string, for harnesses of several parsers.
 */
#ifndef JUDGEBOX_FUZZ_H
#define JUDGEBOX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(cond) do {                                                   \
        if (!(cond)) {                                                           \
            fprintf(stderr, "fuzz property failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                             \
        }                                                                        \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input after its first byte (which picks what the harness does) as a
 * malloc'd NUL-terminated string of size - 1 bytes; NULL when size is 0. */
static inline char *fuzz_text_after_selector(const uint8_t *data, size_t size)
{
    if (size < 1)
        return NULL;
    char *text = malloc(size);
    FUZZ_ASSERT(text);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    return text;
}

#endif
