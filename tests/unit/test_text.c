/*
 * test_text.c - UTF-8 validation and repair, base64 both ways (server/common/text.c).
 */
#include <jansson.h>
#include <stdio.h>
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

/* The streamed JSON text of data equals what jansson writes for the
 * repaired string, whatever the buffer size; the same for base64. */
static int stream_matches(const char *data, size_t len, size_t cap)
{
    size_t rn;
    char *fixed = utf8_repair(data, len, &rn);
    json_t *str = json_stringn_nocheck(fixed, rn);
    char *dumped = json_dumps(str, JSON_ENCODE_ANY | JSON_COMPACT);
    json_decref(str);
    free(fixed);
    size_t dn = strlen(dumped) - 2;                  /* without the quotes */
    char *got = malloc(dn + 64);
    size_t o = 0, pos = 0;
    while (pos < len && o <= dn) {
        size_t n = json_escape_some(data, len, &pos, got + o, cap);
        if (n == 0)
            break;
        o += n;
    }
    uint64_t size;
    size_t all = json_escaped_prefix(data, len, UINT64_MAX, false, &size);
    int ok = pos == len && o == dn && memcmp(got, dumped + 1, dn) == 0 && all == len && size == dn;
    free(got);
    free(dumped);
    size_t bn;
    char *b64 = base64_encode(data, len, &bn);
    char *b = malloc(bn + 8);
    o = pos = 0;
    while (pos < len) {
        size_t n = base64_encode_some(data, len, &pos, b + o, cap < 4 ? 4 : cap / 4 * 4);
        if (n == 0)
            break;
        o += n;
    }
    ok = ok && o == bn && memcmp(b, b64, bn) == 0 && base64_size(len) == bn;
    free(b);
    free(b64);
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
    /* Streamed JSON string text and base64 (issue 11, fault 5). */
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)i;
    CHECK("stream: every byte value, 6-byte buffer", stream_matches((const char *)bytes, 256, 6));
    CHECK("stream: every byte value, 7-byte buffer", stream_matches((const char *)bytes, 256, 7));
    CHECK("stream: every byte value, 4096-byte buffer", stream_matches((const char *)bytes, 256, 4096));
    const char *mixed = "h\xc3\xa9llo \"q\" \\ \xe2\x82\xac \xf0\x9f\x98\x80 \xff\xfe\xc3 \x01\x1f\x7f tab\t\r\n";
    CHECK("stream: mixed UTF-8, invalid bytes and escapes", stream_matches(mixed, strlen(mixed), 6));
    unsigned seed = 12345;
    int random_ok = 1;
    for (int round = 0; round < 200 && random_ok; round++) {
        char buf[300];
        size_t blen = (size_t)(rand_r(&seed) % 300);
        for (size_t i = 0; i < blen; i++)
            buf[i] = (char)(rand_r(&seed) % 4 == 0 ? rand_r(&seed) % 256 : "ab\"\n\x01\xc3\xa9"[rand_r(&seed) % 7]);
        random_ok = stream_matches(buf, blen, 6 + (size_t)round % 50);
    }
    CHECK("stream: 200 random byte strings match jansson and base64_encode", random_ok);
    uint64_t size;
    /* \x01 takes 6 bytes as JSON text: 100 of them fit 64 bytes 10 times. */
    char ctl[100];
    memset(ctl, 1, sizeof ctl);
    CHECK("prefix: budget counts escaping (10 control bytes in 64)",
          json_escaped_prefix(ctl, sizeof ctl, 64, false, &size) == 10 && size == 60);
    CHECK("prefix: budget counts base64 too",
          json_escaped_prefix("\xff\xff\xff\xff\xff\xff", 6, 14, true, &size) == 3 && size == 13);
    CHECK("prefix: a multi-byte character is never split",
          json_escaped_prefix("\xe2\x82\xac\xe2\x82\xac", 6, 5, false, &size) == 3 && size == 3);
    UNIT_EXIT();
}
