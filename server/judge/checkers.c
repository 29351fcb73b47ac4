/*
 * checkers.c - the built-in output checkers (exact, lines, tokens, float).
 * Each walks both byte strings once without copying them, so a checker's
 * cost is linear in the output and it never allocates.  Output may hold
 * NUL bytes; nothing here treats a string as NUL-terminated.  On a
 * mismatch a short, printable reason is produced for the response.
 */
#include "checkers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const checker_names[] = {
    [CHECKER_EXACT] = "exact",
    [CHECKER_LINES] = "lines",
    [CHECKER_TOKENS] = "tokens",
    [CHECKER_FLOAT] = "float",
};

int checker_type_from_name(const char *name, checker_type *out)
{
    for (size_t i = 0; i < sizeof checker_names / sizeof checker_names[0]; i++) {
        if (strcmp(name, checker_names[i]) == 0) {
            *out = (checker_type)i;
            return 0;
        }
    }
    return -1;
}

const char *checker_type_name(checker_type type)
{
    if ((size_t)type < sizeof checker_names / sizeof checker_names[0])
        return checker_names[type];
    return "unknown";
}

/* A bounded, printable excerpt of s[0..len) for messages. */
static void excerpt(char *dst, size_t size, const char *s, size_t len)
{
    size_t o = 0, max = 40;
    for (size_t i = 0; i < len && i < max && o + 5 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F && c != '\'' && c != '\\') {
            dst[o++] = (char)c;
        } else {
            int n = snprintf(dst + o, size - o, "\\x%02x", c);
            if (n < 0 || (size_t)n >= size - o)
                break;
            o += (size_t)n;
        }
    }
    if (len > max && o + 4 < size) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o < size ? o : size - 1] = '\0';
}

static void mismatch(char *message, size_t size, const char *what, size_t index,
                     const char *exp, size_t exp_len, bool exp_present,
                     const char *got, size_t got_len, bool got_present)
{
    if (!message || size == 0)
        return;
    char e[200], g[200];
    excerpt(e, sizeof e, exp, exp_len);
    excerpt(g, sizeof g, got, got_len);
    if (!got_present)
        snprintf(message, size, "%s %zu: expected '%s', got end of output", what, index, e);
    else if (!exp_present)
        snprintf(message, size, "%s %zu: expected end of output, got '%s'", what, index, g);
    else
        snprintf(message, size, "%s %zu: expected '%s', got '%s'", what, index, e, g);
}

/* ---- exact ---- */

static bool check_exact(const char *out, size_t out_len, const char *exp, size_t exp_len,
                        char *message, size_t size)
{
    size_t i = 0;
    while (i < out_len && i < exp_len && out[i] == exp[i])
        i++;
    if (i == out_len && i == exp_len)
        return true;
    if (message && size) {
        char e[200], g[200];
        excerpt(e, sizeof e, exp + i, exp_len - i);
        excerpt(g, sizeof g, out + i, out_len - i);
        snprintf(message, size, "byte %zu: expected '%s', got '%s'", i, e, g);
    }
    return false;
}

/* ---- lines ---- */

typedef struct cursor { const char *s; size_t len, pos; } cursor;

static bool is_trailing_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Next line (without '\n' and trailing whitespace); false at the end. */
static bool next_line(cursor *c, const char **line, size_t *line_len)
{
    if (c->pos >= c->len)
        return false;
    const char *start = c->s + c->pos;
    const char *nl = memchr(start, '\n', c->len - c->pos);
    size_t n = nl ? (size_t)(nl - start) : c->len - c->pos;
    c->pos += n + (nl ? 1 : 0);
    while (n > 0 && is_trailing_space(start[n - 1]))
        n--;
    *line = start;
    *line_len = n;
    return true;
}

/* True when everything from the cursor on is blank lines. */
static bool only_blank_left(cursor c)
{
    const char *line;
    size_t n;
    while (next_line(&c, &line, &n))
        if (n > 0)
            return false;
    return true;
}

static bool check_lines(const char *out, size_t out_len, const char *exp, size_t exp_len,
                        char *message, size_t size)
{
    cursor o = {out, out_len, 0}, e = {exp, exp_len, 0};
    for (size_t line_no = 1;; line_no++) {
        cursor o_before = o, e_before = e;
        const char *ol = NULL, *el = NULL;
        size_t on = 0, en = 0;
        bool has_o = next_line(&o, &ol, &on);
        bool has_e = next_line(&e, &el, &en);
        if (!has_o && !has_e)
            return true;
        if (has_o && has_e && on == en && memcmp(ol, el, on) == 0)
            continue;
        /* Trailing blank lines on either side are not a difference. */
        if (only_blank_left(o_before) && only_blank_left(e_before))
            return true;
        if (has_o && !has_e && only_blank_left(o_before))
            return true;
        if (has_e && !has_o && only_blank_left(e_before))
            return true;
        mismatch(message, size, "line", line_no, el, en, has_e, ol, on, has_o);
        return false;
    }
}

/* ---- tokens ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static bool next_token(cursor *c, const char **tok, size_t *tok_len)
{
    while (c->pos < c->len && is_space(c->s[c->pos]))
        c->pos++;
    if (c->pos >= c->len)
        return false;
    size_t start = c->pos;
    while (c->pos < c->len && !is_space(c->s[c->pos]))
        c->pos++;
    *tok = c->s + start;
    *tok_len = c->pos - start;
    return true;
}

/* Parse a whole token as a finite or infinite double; false if it is not
 * entirely a number (hex floats and "0x" forms are not numbers here). */
static bool parse_number(const char *tok, size_t len, double *out)
{
    char buf[128];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, tok, len);
    buf[len] = '\0';
    for (size_t i = 0; i < len; i++) {
        char ch = buf[i];
        if (ch == 'x' || ch == 'X' || ch == '\0')
            return false;
    }
    char *end;
    double v = strtod(buf, &end);
    if (end != buf + len)
        return false;
    *out = v;
    return true;
}

static bool numbers_close(const checker *c, double got, double exp)
{
    if (isnan(exp) || isnan(got))
        return isnan(exp) && isnan(got);
    if (isinf(exp) || isinf(got))
        return got == exp;
    double diff = fabs(got - exp);
    if (diff <= c->abs_tolerance)
        return true;
    return diff <= c->rel_tolerance * fabs(exp);
}

static bool same_token(const checker *c, const char *a, const char *b, size_t n)
{
    if (!c->case_insensitive)
        return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return false;
    }
    return true;
}

static bool check_tokens(const checker *c, const char *out, size_t out_len,
                         const char *exp, size_t exp_len, char *message, size_t size)
{
    cursor o = {out, out_len, 0}, e = {exp, exp_len, 0};
    for (size_t n = 1;; n++) {
        const char *ot = NULL, *et = NULL;
        size_t on = 0, en = 0;
        bool has_o = next_token(&o, &ot, &on);
        bool has_e = next_token(&e, &et, &en);
        if (!has_o && !has_e)
            return true;
        if (has_o && has_e) {
            if (on == en && same_token(c, ot, et, on))
                continue;
            double gv, ev;
            if (c->type == CHECKER_FLOAT && parse_number(et, en, &ev) &&
                parse_number(ot, on, &gv) && numbers_close(c, gv, ev))
                continue;
        }
        mismatch(message, size, "token", n, et, en, has_e, ot, on, has_o);
        return false;
    }
}

bool checker_accepts(const checker *c, const char *out, size_t out_len,
                     const char *expected, size_t expected_len,
                     char *message, size_t message_size)
{
    if (message && message_size)
        message[0] = '\0';
    if (!out)
        out_len = 0, out = "";
    if (!expected)
        expected_len = 0, expected = "";
    switch (c->type) {
    case CHECKER_EXACT:
        return check_exact(out, out_len, expected, expected_len, message, message_size);
    case CHECKER_LINES:
        return check_lines(out, out_len, expected, expected_len, message, message_size);
    case CHECKER_TOKENS:
    case CHECKER_FLOAT:
        return check_tokens(c, out, out_len, expected, expected_len, message, message_size);
    }
    if (message && message_size)
        snprintf(message, message_size, "unknown checker");
    return false;
}
