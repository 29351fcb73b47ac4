/*
 * test_text.c - UTF-8 validation and repair, base64 both ways (server/common/text.c).
 */
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "unit.h"

static int roundtrip(const unsigned char *data, size_t len)
{
    size_t n, m;
    char *enc = base64_encode(data, len, &n);
    unsigned char *dec = NULL;
    int ok = enc && base64_decode(enc, n, &dec, &m) == 0 && m == len && memcmp(dec, data, len) == 0;
    free(enc);
    free(dec);
    return ok;
}

int main(void)
{
    CHECK("utf8 ascii", utf8_valid("hello\n", 6));
    CHECK("utf8 empty", utf8_valid("", 0));
    CHECK("utf8 nul is valid", utf8_valid("a\0b", 3));
    CHECK("utf8 two/three/four bytes", utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
    CHECK("utf8 lone continuation", !utf8_valid("\x80", 1));
    CHECK("utf8 truncated sequence", !utf8_valid("\xe2\x82", 2));
    CHECK("utf8 overlong slash", !utf8_valid("\xc0\xaf", 2));
    CHECK("utf8 overlong three", !utf8_valid("\xe0\x80\xaf", 3));
    CHECK("utf8 surrogate", !utf8_valid("\xed\xa0\x80", 3));
    CHECK("utf8 above U+10FFFF", !utf8_valid("\xf4\x90\x80\x80", 4));
    CHECK("utf8 0xff", !utf8_valid("a\xff", 2));

    size_t n;
    char *fixed = utf8_repair("a\xff" "b\xe2\x82", 5, &n);
    CHECK("repair replaces each bad byte", fixed && n == 1 + 3 + 1 + 3 + 3 &&
          memcmp(fixed, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd", n) == 0);
    CHECK("repair output is valid", fixed && utf8_valid(fixed, n));
    free(fixed);
    fixed = utf8_repair("ok\xc3\xa9", 4, &n);
    CHECK("repair keeps valid text", fixed && n == 4 && memcmp(fixed, "ok\xc3\xa9", 4) == 0);
    free(fixed);

    char *enc = base64_encode("foobar", 6, &n);
    CHECK("base64 foobar", enc && strcmp(enc, "Zm9vYmFy") == 0 && n == 8);
    free(enc);
    enc = base64_encode("fo", 2, &n);
    CHECK("base64 padding", enc && strcmp(enc, "Zm8=") == 0);
    free(enc);
    enc = base64_encode("", 0, &n);
    CHECK("base64 empty", enc && n == 0 && enc[0] == '\0');
    free(enc);

    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    CHECK("base64 roundtrip all bytes", roundtrip(all, 256));
    CHECK("base64 roundtrip 1", roundtrip(all, 1));
    CHECK("base64 roundtrip 2", roundtrip(all + 7, 2));

    unsigned char *dec = NULL;
    size_t m;
    CHECK("base64 decode with line breaks (Ruby)",
          base64_decode("Zm9v\nYmFy\n", 10, &dec, &m) == 0 && m == 6 && memcmp(dec, "foobar", 6) == 0);
    free(dec);
    dec = NULL;
    CHECK("base64 decode without padding", base64_decode("Zm8", 3, &dec, &m) == 0 && m == 2 &&
          memcmp(dec, "fo", 2) == 0);
    free(dec);
    dec = NULL;
    CHECK("base64 rejects bad character", base64_decode("Zm9v!", 5, &dec, &m) < 0 && !dec);
    CHECK("base64 rejects data after padding", base64_decode("Zm8=Zm8=", 8, &dec, &m) < 0);
    CHECK("base64 rejects lone digit", base64_decode("Zm9vY", 5, &dec, &m) < 0);
    CHECK("base64 rejects wrong padding", base64_decode("Zm9=", 4, &dec, &m) < 0);
    CHECK("base64 rejects too much padding", base64_decode("Zg===", 5, &dec, &m) < 0);
    UNIT_EXIT();
}
