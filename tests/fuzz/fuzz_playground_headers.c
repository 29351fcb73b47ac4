/*
 * fuzz_playground_headers.c - libFuzzer harness for the two request headers
 * the playground's handlers parse (server/playground/playground.c):
 * If-None-Match against an ETag, and Accept-Encoding for gzip.  Any bytes
 * (up to the first NUL) as either header.  Properties: the answers are 0
 * or 1; no "gzip" in the header means no gzip; an ETag absent from a
 * header without '*' never matches; the header followed by ", ETAG" (or
 * by ", W/ETAG") always matches; "gzip" alone, or after a comma, is taken
 * unless an earlier gzip coding said q=0; no overread (ASan).
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "playground.h"

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char etag[] = "\"0123456789abcdef\"";
    if (size > 4096)
        return 0;
    char header[4096 + 64];
    memcpy(header, data, size);
    header[size] = '\0';

    int m = playground_etag_matches(header, etag);
    FUZZ_ASSERT(m == 0 || m == 1);
    if (!strstr(header, etag) && !strchr(header, '*'))
        FUZZ_ASSERT(m == 0);
    FUZZ_ASSERT(playground_etag_matches(NULL, etag) == 0);
    int g = playground_accepts_gzip(header);
    FUZZ_ASSERT(g == 0 || g == 1);
    if (!contains_ci(header, "gzip"))
        FUZZ_ASSERT(g == 0);
    FUZZ_ASSERT(playground_accepts_gzip(NULL) == 0);

    /* Appended as one more list item, the ETag always matches. */
    char listed[sizeof header + 32];
    snprintf(listed, sizeof listed, "%s, %s", header, etag);
    FUZZ_ASSERT(playground_etag_matches(listed, etag) == 1);
    snprintf(listed, sizeof listed, "%s, W/%s", header, etag);
    FUZZ_ASSERT(playground_etag_matches(listed, etag) == 1);
    /* "gzip" as the first item is taken. */
    snprintf(listed, sizeof listed, "gzip, %s", header);
    FUZZ_ASSERT(playground_accepts_gzip(listed) == 1);
    return 0;
}
