/*
 * fuzz_problems.c - libFuzzer harness for what issue 9 parses from
 * untrusted packages and judge programs: problem.yaml (libyaml, then our
 * key checks), archive entry names, and the testlib/Kattis exit-code
 * protocols' reading of a program's stderr and feedback files.  Input: one
 * byte picking the target, then the text.  Properties: no crash or
 * overread (ASan); an accepted entry name has no "..", no empty component
 * and no leading '/', and accepting is stable (the cleaned name is
 * accepted again unchanged); a protocol always yields one of its verdicts
 * and a NUL-terminated message; a parsed problem.yaml frees cleanly.
 */
#include <string.h>

#include "fuzz.h"
#include "package.h"
#include "program.h"

static bool known_verdict(const char *v)
{
    static const char *const all[] = {"accepted", "wrong_answer", "partially_accepted", "judge_error"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (v && strcmp(v, all[i]) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t pick = data[0];
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    char *copy = malloc(n + 1);
    FUZZ_ASSERT(copy);
    memcpy(copy, text, n);
    copy[n] = '\0';
    switch (pick % 4) {
    case 0: {
        problem_yaml y;
        char error[256];
        memset(error, 'x', sizeof error);
        if (problem_yaml_parse(copy, n, &y, error, sizeof error) == 0)
            problem_yaml_free(&y);
        else
            FUZZ_ASSERT(memchr(error, '\0', sizeof error) != NULL);
        break;
    }
    case 1: {
        char clean[300], why[300], again[300];
        if (package_entry_path_ok(copy, clean, sizeof clean, why, sizeof why) && clean[0]) {
            FUZZ_ASSERT(clean[0] != '/');
            FUZZ_ASSERT(strstr(clean, "//") == NULL);
            FUZZ_ASSERT(strcmp(clean, "..") != 0 && strncmp(clean, "../", 3) != 0);
            FUZZ_ASSERT(strstr(clean, "/../") == NULL);
            size_t l = strlen(clean);
            FUZZ_ASSERT(!(l >= 3 && strcmp(clean + l - 3, "/..") == 0));
            FUZZ_ASSERT(package_entry_path_ok(clean, again, sizeof again, why, sizeof why));
            FUZZ_ASSERT(strcmp(clean, again) == 0);
        }
        break;
    }
    case 2: {
        program_outcome o;
        program_decide_testlib((int)(pick >> 2) % 10, text, n, &o);
        FUZZ_ASSERT(known_verdict(o.verdict));
        FUZZ_ASSERT(memchr(o.message, '\0', sizeof o.message) != NULL);
        break;
    }
    default: {
        const char *sep = memchr(text, 0xFF, n);
        size_t mlen = sep ? (size_t)(sep - text) : n;
        program_outcome o;
        program_decide_kattis((pick >> 2) & 1 ? 42 : 43 - ((pick >> 3) & 1) * 40, text, mlen,
                              sep ? sep + 1 : NULL, sep ? n - mlen - 1 : 0, &o);
        FUZZ_ASSERT(known_verdict(o.verdict));
        FUZZ_ASSERT(memchr(o.message, '\0', sizeof o.message) != NULL);
        break;
    }
    }
    free(copy);
    return 0;
}
