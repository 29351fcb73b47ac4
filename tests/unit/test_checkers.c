/*
 * test_checkers.c - the built-in output checkers (server/judge/judge.checkers.c).
 */
#include <string.h>

#include "checkers.h"
#include "unit.h"

static bool accepts(checker_type type, const char *out, const char *exp)
{
    checker c = {type, CHECKER_DEFAULT_TOLERANCE, CHECKER_DEFAULT_TOLERANCE, false};
    char msg[CHECKER_MESSAGE_MAX];
    return checker_accepts(&c, out, strlen(out), exp, strlen(exp), msg, sizeof msg);
}

static bool floats(double abs_tol, double rel_tol, const char *out, const char *exp)
{
    checker c = {CHECKER_FLOAT, abs_tol, rel_tol, false};
    return checker_accepts(&c, out, strlen(out), exp, strlen(exp), NULL, 0);
}

int main(void)
{
    checker_type t;
    CHECK("names: lines", checker_type_from_name("lines", &t) == 0 && t == CHECKER_LINES);
    CHECK("names: float", checker_type_from_name("float", &t) == 0 && t == CHECKER_FLOAT);
    CHECK("names: unknown", checker_type_from_name("fuzzy", &t) < 0);
    CHECK("names: back", strcmp(checker_type_name(CHECKER_TOKENS), "tokens") == 0);

    CHECK("exact equal", accepts(CHECKER_EXACT, "3\n", "3\n"));
    CHECK("exact missing newline", !accepts(CHECKER_EXACT, "3", "3\n"));
    CHECK("exact trailing space", !accepts(CHECKER_EXACT, "3 \n", "3\n"));
    CHECK("exact empty", accepts(CHECKER_EXACT, "", ""));
    checker ex = {CHECKER_EXACT, 0, 0, false};
    CHECK("exact with NUL bytes", checker_accepts(&ex, "a\0b", 3, "a\0b", 3, NULL, 0) &&
          !checker_accepts(&ex, "a\0b", 3, "a\0c", 3, NULL, 0));

    CHECK("lines equal", accepts(CHECKER_LINES, "1\n2\n", "1\n2\n"));
    CHECK("lines missing final newline", accepts(CHECKER_LINES, "1\n2", "1\n2\n"));
    CHECK("lines trailing spaces", accepts(CHECKER_LINES, "1  \n2\t\n", "1\n2\n"));
    CHECK("lines CRLF", accepts(CHECKER_LINES, "1\r\n2\r\n", "1\n2\n"));
    CHECK("lines trailing blank lines in output", accepts(CHECKER_LINES, "1\n2\n\n\n  \n", "1\n2"));
    CHECK("lines trailing blank lines expected", accepts(CHECKER_LINES, "1\n2", "1\n2\n\n"));
    CHECK("lines leading space matters", !accepts(CHECKER_LINES, " 1\n", "1\n"));
    CHECK("lines inner blank line matters", !accepts(CHECKER_LINES, "1\n\n2\n", "1\n2\n"));
    CHECK("lines different", !accepts(CHECKER_LINES, "1\n3\n", "1\n2\n"));
    CHECK("lines extra line", !accepts(CHECKER_LINES, "1\n2\n3\n", "1\n2\n"));
    CHECK("lines missing line", !accepts(CHECKER_LINES, "1\n", "1\n2\n"));
    CHECK("lines both empty", accepts(CHECKER_LINES, "", "\n"));
    CHECK("lines space split differs", !accepts(CHECKER_LINES, "1 2\n", "1\n2\n"));

    char msg[CHECKER_MESSAGE_MAX];
    checker lines = {CHECKER_LINES, 0, 0, false};
    checker_accepts(&lines, "1\n5\n", 4, "1\n4\n", 4, msg, sizeof msg);
    CHECK("lines message names the line", strcmp(msg, "line 2: expected '4', got '5'") == 0);
    checker_accepts(&lines, "1\n", 2, "1\n4\n", 4, msg, sizeof msg);
    CHECK("lines message at end of output", strstr(msg, "end of output") != NULL);
    char big[300];
    memset(big, 'x', sizeof big);
    checker_accepts(&lines, big, sizeof big, "y", 1, msg, sizeof msg);
    CHECK("message bounded and escaped", strlen(msg) < CHECKER_MESSAGE_MAX && strstr(msg, "...") != NULL);
    checker_accepts(&lines, "\x01'", 2, "y", 1, msg, sizeof msg);
    CHECK("message escapes control bytes", strstr(msg, "\\x01\\x27") != NULL);

    CHECK("tokens whitespace-insensitive", accepts(CHECKER_TOKENS, "1   2\n\n3", "1 2 3\n"));
    CHECK("tokens tabs", accepts(CHECKER_TOKENS, "\t1\t2 ", "1\n2"));
    CHECK("tokens differ", !accepts(CHECKER_TOKENS, "1 2 4", "1 2 3"));
    CHECK("tokens missing", !accepts(CHECKER_TOKENS, "1 2", "1 2 3"));
    CHECK("tokens extra", !accepts(CHECKER_TOKENS, "1 2 3 4", "1 2 3"));
    CHECK("tokens no float tolerance", !accepts(CHECKER_TOKENS, "1.0", "1"));
    CHECK("tokens empty both", accepts(CHECKER_TOKENS, "  \n", ""));

    CHECK("float default tolerance", accepts(CHECKER_FLOAT, "0.3333333", "0.33333333333"));
    CHECK("float beyond default", !accepts(CHECKER_FLOAT, "0.33", "0.3333"));
    CHECK("float abs", floats(0.01, 0, "1.005", "1.0") && !floats(0.001, 0, "1.005", "1.0"));
    CHECK("float rel", floats(0, 1e-3, "1000.5", "1000") && !floats(0, 1e-4, "1000.5", "1000"));
    CHECK("float abs or rel", floats(1e-9, 1e-2, "100.5", "100"));
    CHECK("float exponent forms", floats(1e-9, 0, "1e3", "1000.0"));
    CHECK("float words must match", accepts(CHECKER_FLOAT, "x = 1.0000001", "x = 1") &&
          !accepts(CHECKER_FLOAT, "y = 1", "x = 1"));
    CHECK("float nan/inf", accepts(CHECKER_FLOAT, "nan inf", "nan inf") &&
          !accepts(CHECKER_FLOAT, "inf", "-inf") && !accepts(CHECKER_FLOAT, "nan", "1"));
    CHECK("float hex is not a number", !floats(1, 1, "0x10", "16"));
    CHECK("float count mismatch", !accepts(CHECKER_FLOAT, "1.0", "1.0 2.0"));
    CHECK("float negative", floats(1e-6, 0, "-2.0000001", "-2"));
    UNIT_EXIT();
}
