/*
 * checkers.h - comparing a program's output with the expected output.
 * Built-in checkers only: exact bytes, lines (the default: trailing
 * whitespace on each line and trailing blank lines ignored), tokens
 * (whitespace-separated words), and float (tokens, numbers compared with an
 * absolute or relative tolerance).  Pure functions over byte strings.
 */
#ifndef JUDGEBOX_CHECKERS_H
#define JUDGEBOX_CHECKERS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum checker_type {
    CHECKER_EXACT,
    CHECKER_LINES,
    CHECKER_TOKENS,
    CHECKER_FLOAT,
} checker_type;

typedef struct checker {
    checker_type type;
    double abs_tolerance;   /* CHECKER_FLOAT: |out - exp| <= abs ... */
    double rel_tolerance;   /* ... or |out - exp| <= rel * |exp| */
    bool case_insensitive;  /* CHECKER_TOKENS/FLOAT: letters compared without case
                               (the Kattis default validator's default) */
} checker;

#define CHECKER_DEFAULT_TOLERANCE 1e-6
#define CHECKER_MESSAGE_MAX 1024

/* "exact", "lines", "tokens", "float"; -1 when unknown. */
int checker_type_from_name(const char *name, checker_type *out);
const char *checker_type_name(checker_type type);

/* True when `out` is accepted against `expected`.  When it is not and
 * message is non-NULL, a short reason ("line 3: expected '4', got '5'")
 * is written there. */
bool checker_accepts(const checker *checker,
                     const char *out, size_t out_len,
                     const char *expected, size_t expected_len,
                     char *message, size_t message_size);

#endif
