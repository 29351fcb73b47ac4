/*
 * text.c - UTF-8 validation/repair and base64, the byte-level edges of the
 * JSON API.  Program output is bytes; JSON strings are Unicode.  Output that
 * is valid UTF-8 goes out as is; anything else goes out repaired (U+FFFD)
 * next to an exact base64 copy.  Inputs may come in base64 the same way.
 * Written for clarity and bounded work: one pass, no recursion.
 */
#include "text.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (1-4), or 0 if ill-formed. */
static size_t utf8_sequence(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;          /* overlong */
        if (c == 0xED) hi = 0x9F;          /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;          /* overlong */
        if (c == 0xF4) hi = 0x8F;          /* above U+10FFFF */
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

bool utf8_valid(const char *data, size_t len)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_sequence(s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

char *utf8_repair(const char *data, size_t len, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)data;
    /* Worst case: every byte becomes the 3-byte U+FFFD. */
    if (len > (SIZE_MAX - 1) / 3) {
        errno = ENOMEM;
        return NULL;
    }
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    while (i < len) {
        size_t n = utf8_sequence(s + i, len - i);
        if (n == 0) {
            out[o++] = (char)0xEF;
            out[o++] = (char)0xBF;
            out[o++] = (char)0xBD;
            i++;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *data, size_t len, size_t *out_len)
{
    const unsigned char *s = data;
    if (len / 3 >= (SIZE_MAX - 8) / 4) {
        errno = ENOMEM;
        return NULL;
    }
    size_t n = (len + 2) / 3 * 4;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        out[o++] = b64_alphabet[v >> 18 & 63];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = b64_alphabet[v >> 6 & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        out[o++] = b64_alphabet[v >> 18 & 63];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        out[o++] = b64_alphabet[v >> 18 & 63];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = b64_alphabet[v >> 6 & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len)
{
    unsigned char *buf = malloc(len / 4 * 3 + 4);
    if (!buf)
        return -1;
    size_t o = 0, pad = 0;
    uint32_t acc = 0;
    unsigned bits = 0, digits = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || pad > 0)       /* bad character, or data after '=' */
            goto bad;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        digits++;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits & 0xFF);
        }
    }
    /* A lone digit in the last group carries no byte; padding, when given,
     * must complete the group exactly. */
    if (digits % 4 == 1)
        goto bad;
    if (pad > 0 && (digits + pad) % 4 != 0)
        goto bad;
    if (pad > 2)
        goto bad;
    /* Leftover bits must be zero (canonical encoding). */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        goto bad;
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return 0;
bad:
    free(buf);
    errno = EINVAL;
    return -1;
}

/* ---- JSON string text and base64, piece by piece ----
 * A program's output can be as large as the request's output budget; the
 * response must not hold it two or three more times (a repaired copy, an
 * escaped copy, the whole body).  These encode straight from the captured
 * bytes into a small buffer, in whole units, so a response can be streamed
 * with its exact size known beforehand. */

/* The JSON string text of the unit at s[i] (without quotes), as jansson
 * writes it (json_dumps without JSON_ENSURE_ASCII or JSON_ESCAPE_SLASH),
 * ill-formed UTF-8 as U+FFFD: into buf (at most 6 bytes); *adv is the
 * number of raw bytes it stands for. */
static size_t escape_unit(const unsigned char *s, size_t len, size_t i, char buf[6], size_t *adv)
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned char c = s[i];
    *adv = 1;
    if (c < 0x80) {
        char short_form = 0;
        switch (c) {
        case '"': short_form = '"'; break;
        case '\\': short_form = '\\'; break;
        case '\b': short_form = 'b'; break;
        case '\f': short_form = 'f'; break;
        case '\n': short_form = 'n'; break;
        case '\r': short_form = 'r'; break;
        case '\t': short_form = 't'; break;
        default: break;
        }
        if (short_form) {
            buf[0] = '\\';
            buf[1] = short_form;
            return 2;
        }
        if (c < 0x20) {
            memcpy(buf, "\\u00", 4);
            buf[4] = hex[c >> 4];
            buf[5] = hex[c & 15];
            return 6;
        }
        buf[0] = (char)c;
        return 1;
    }
    size_t n = utf8_sequence(s + i, len - i);
    if (n == 0) {
        memcpy(buf, "\xEF\xBF\xBD", 3);
        return 3;
    }
    memcpy(buf, s + i, n);
    *adv = n;
    return n;
}

uint64_t base64_size(size_t len)
{
    return ((uint64_t)len + 2) / 3 * 4;
}

size_t json_escaped_prefix(const char *data, size_t len, uint64_t budget, bool with_base64,
                           uint64_t *size)
{
    const unsigned char *s = (const unsigned char *)data;
    uint64_t escaped = 0;
    size_t i = 0;
    char unit[6];
    while (i < len) {
        size_t adv;
        size_t n = escape_unit(s, len, i, unit, &adv);
        if (escaped + n + (with_base64 ? base64_size(i + adv) : 0) > budget)
            break;
        escaped += n;
        i += adv;
    }
    *size = escaped + (with_base64 ? base64_size(i) : 0);
    return i;
}

size_t json_escape_some(const char *data, size_t len, size_t *pos, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t o = 0, i = *pos;
    char unit[6];
    while (i < len) {
        size_t adv;
        size_t n = escape_unit(s, len, i, unit, &adv);
        if (o + n > cap)
            break;
        memcpy(out + o, unit, n);
        o += n;
        i += adv;
    }
    *pos = i;
    return o;
}

size_t base64_encode_some(const void *data, size_t len, size_t *pos, char *out, size_t cap)
{
    const unsigned char *s = data;
    size_t o = 0, i = *pos;
    while (i < len && o + 4 <= cap) {
        size_t k = len - i < 3 ? len - i : 3;
        uint32_t v = (uint32_t)s[i] << 16 | (k > 1 ? (uint32_t)s[i + 1] << 8 : 0) | (k > 2 ? s[i + 2] : 0);
        out[o++] = b64_alphabet[v >> 18 & 63];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = k > 1 ? b64_alphabet[v >> 6 & 63] : '=';
        out[o++] = k > 2 ? b64_alphabet[v & 63] : '=';
        i += k;
    }
    *pos = i;
    return o;
}

bool relative_path_ok(const char *path, size_t len, size_t max_components, const char *extra)
{
    if (len == 0 || len > 200 || path[0] == '/' || strlen(path) != len)
        return false;
    size_t components = 0;
    const char *start = path;
    for (size_t i = 0; i <= len; i++) {
        char ch = path[i];
        if (ch == '/' || ch == '\0') {
            size_t n = (size_t)(path + i - start);
            if (n == 0 || (n == 1 && start[0] == '.') || (n == 2 && start[0] == '.' && start[1] == '.'))
                return false;
            if (++components > max_components)
                return false;
            start = path + i + 1;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
              ch == '_' || ch == '-' || ch == '+' || (extra && strchr(extra, ch))))
            return false;
    }
    return true;
}
