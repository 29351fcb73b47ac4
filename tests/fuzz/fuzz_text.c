/*
 * fuzz_text.c - libFuzzer harness for UTF-8 validation and repair and
 * base64 (server/common/text.c).  Properties: repair always yields valid
 * UTF-8 and leaves valid input unchanged; encoding then decoding gives the
 * bytes back; decoding any text either fails cleanly or gives bytes whose
 * encoding decodes to the same bytes.
 */
#include <string.h>

#include "fuzz.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    bool valid = utf8_valid(s, size);
    size_t rlen = 0;
    char *fixed = utf8_repair(s, size, &rlen);
    FUZZ_ASSERT(fixed);
    FUZZ_ASSERT(utf8_valid(fixed, rlen));
    FUZZ_ASSERT(fixed[rlen] == '\0');
    if (valid)
        FUZZ_ASSERT(rlen == size && memcmp(fixed, s, size) == 0);
    else
        FUZZ_ASSERT(rlen > 0);
    free(fixed);

    size_t elen = 0, dlen = 0;
    char *enc = base64_encode(data, size, &elen);
    FUZZ_ASSERT(enc && elen == (size + 2) / 3 * 4 && enc[elen] == '\0');
    unsigned char *dec = NULL;
    FUZZ_ASSERT(base64_decode(enc, elen, &dec, &dlen) == 0);
    FUZZ_ASSERT(dlen == size && memcmp(dec, data, size) == 0);
    free(enc);
    free(dec);

    dec = NULL;
    if (base64_decode(s, size, &dec, &dlen) == 0) {
        char *again = base64_encode(dec, dlen, &elen);
        unsigned char *dec2 = NULL;
        size_t dlen2 = 0;
        FUZZ_ASSERT(again && base64_decode(again, elen, &dec2, &dlen2) == 0);
        FUZZ_ASSERT(dlen2 == dlen && memcmp(dec2, dec, dlen) == 0);
        free(again);
        free(dec2);
        free(dec);
    }
    return 0;
}
