/*
 * fuzz_checkers.c - libFuzzer harness for the built-in checkers
 * (server/judge/checkers.c).  Input: one byte picking the checker (and a
 * tolerance), then the program's output and the expected output separated
 * by the first 0xFF byte.  Properties: no crash or overread (ASan); exact
 * accepts exactly equal bytes; every checker accepts an output equal to
 * the expected one; a refusal comes with a NUL-terminated message that
 * fits its buffer.
 */
#include <string.h>

#include "checkers.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    checker c = {0};
    c.type = (checker_type)(data[0] & 3);
    static const double tolerances[4] = {0, 1e-9, 1e-6, 0.5};
    c.abs_tolerance = tolerances[(data[0] >> 2) & 3];
    c.rel_tolerance = tolerances[(data[0] >> 4) & 3];
    const char *rest = (const char *)data + 1;
    size_t n = size - 1;
    const char *sep = memchr(rest, 0xFF, n);
    size_t out_len = sep ? (size_t)(sep - rest) : n;
    const char *expected = sep ? sep + 1 : rest + n;
    size_t expected_len = sep ? n - out_len - 1 : 0;

    /* Copies of exactly the given length, so ASan sees any overread. */
    char *out = malloc(out_len ? out_len : 1), *exp = malloc(expected_len ? expected_len : 1);
    FUZZ_ASSERT(out && exp);
    memcpy(out, rest, out_len);
    memcpy(exp, expected, expected_len);
    char message[CHECKER_MESSAGE_MAX];
    memset(message, 'x', sizeof message);
    bool ok = checker_accepts(&c, out, out_len, exp, expected_len, message, sizeof message);
    if (!ok)
        FUZZ_ASSERT(memchr(message, '\0', sizeof message) != NULL);
    if (c.type == CHECKER_EXACT)
        FUZZ_ASSERT(ok == (out_len == expected_len && memcmp(out, exp, out_len) == 0));
    FUZZ_ASSERT(checker_accepts(&c, exp, expected_len, exp, expected_len, NULL, 0));
    free(out);
    free(exp);
    return 0;
}
