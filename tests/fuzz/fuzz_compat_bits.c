/*
 * fuzz_compat_bits.c - libFuzzer harness for the small parsers of the
 * compatibility layers (server/compat): the first byte picks one of
 * node-semver range matching (version, NUL, range), bash-like word
 * splitting and zip unpacking.  Properties: a range is matched without
 * crashing and "*" matches every version; split words never hold the
 * characters Judge0 deletes; an unpacked zip's names are paths judgebox
 * accepts and its total size stays under the cap.
 */
#include <string.h>

#include "compat_util.h"
#include "compat_zip.h"
#include "fuzz.h"
#include "semver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text_after_selector(data, size);
    if (!text)
        return 0;
    switch (data[0] % 3) {
    case 0: {
        const char *range = text + strlen(text);
        if (range < text + size - 1)
            range++;
        semver v;
        if (semver_parse_loose(text, &v)) {
            (void)semver_satisfies(&v, range);
            FUZZ_ASSERT(semver_satisfies(&v, "*"));
        }
        break;
    }
    case 1: {
        char **words;
        if (compat_shell_split(text, &words) == 0) {
            for (char **w = words; *w; w++)
                FUZZ_ASSERT(!strpbrk(*w, "$&;<>|`"));
            compat_argv_free(words);
        }
        break;
    }
    default: {
        job_file *files;
        size_t n;
        char why[320];
        if (compat_zip_extract(data + 1, size - 1, 1 << 20, &files, &n, why, sizeof why) == 0) {
            size_t total = 0;
            for (size_t i = 0; i < n; i++) {
                FUZZ_ASSERT(compat_path_ok(files[i].name));
                total += files[i].len;
            }
            FUZZ_ASSERT(total <= 1 << 20 && n <= COMPAT_ZIP_MAX_ENTRIES);
            compat_files_free(files, n);
        }
        break;
    }
    }
    free(text);
    return 0;
}
