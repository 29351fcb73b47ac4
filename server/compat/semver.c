/*
 * semver.c - node-semver's range matching (semver.satisfies), which Piston
 * uses to choose a runtime from a request's "version": ranges of
 * comparators joined by "||", each a space-separated list of primitives
 * (<, <=, >, >=, =), X-ranges (1.x, 1.2.*, *), tilde and caret ranges and
 * hyphen ranges, every one turned into plain comparators as node-semver
 * desugars them.
 */
#include "semver.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Version numbers are capped so that "the next version" cannot overflow. */
#define PART_MAX 999999999L

static long part_value(const char *s, char **end)
{
    long v = strtol(s, end, 10);
    return v > PART_MAX ? PART_MAX : v;
}

bool semver_parse_loose(const char *s, semver *out)
{
    long part[3] = {0, 0, 0};
    while (*s == 'v' || *s == '=' || *s == ' ')
        s++;
    if (!isdigit((unsigned char)*s))
        return false;
    for (int i = 0; i < 3; i++) {
        char *end;
        part[i] = part_value(s, &end);
        s = end;
        if (*s != '.' || !isdigit((unsigned char)s[1]))
            break;
        s++;
    }
    *out = (semver){part[0], part[1], part[2]};
    return true;
}

void semver_format(const semver *v, char *buf, size_t size)
{
    snprintf(buf, size, "%ld.%ld.%ld", v->major, v->minor, v->patch);
}

int semver_compare(const semver *a, const semver *b)
{
    long d = a->major != b->major ? a->major - b->major
           : a->minor != b->minor ? a->minor - b->minor : a->patch - b->patch;
    return d < 0 ? -1 : d > 0;
}

/* A partial version: how many parts were given (0 for "*"). */
typedef struct partial {
    long part[3];
    int given;
} partial;

/* Parse "1", "1.2", "1.x", "1.2.3", "*" at *s; false when malformed. */
static bool parse_partial(const char **sp, partial *p)
{
    const char *s = *sp;
    memset(p, 0, sizeof *p);
    while (*s == 'v' || *s == '=')
        s++;
    for (int i = 0; i < 3; i++) {
        if (*s == 'x' || *s == 'X' || *s == '*') {
            s++;
            /* Everything after a wildcard is a wildcard too. */
            while (*s == '.' && (s[1] == 'x' || s[1] == 'X' || s[1] == '*' || isdigit((unsigned char)s[1]))) {
                s++;
                while (isalnum((unsigned char)*s) || *s == '*')
                    s++;
            }
            break;
        }
        if (!isdigit((unsigned char)*s))
            return false;
        char *end;
        p->part[i] = part_value(s, &end);
        s = end;
        p->given = i + 1;
        if (*s != '.')
            break;
        s++;
        if (i == 2)
            return false;
    }
    if (*s && *s != ' ' && *s != '\t')
        return false;
    *sp = s;
    return true;
}

typedef enum { OP_GE, OP_GT, OP_LE, OP_LT, OP_EQ } op;

typedef struct comparator {
    op op;
    semver v;
} comparator;

static bool test(const comparator *c, const semver *v)
{
    int d = semver_compare(v, &c->v);
    switch (c->op) {
    case OP_GE: return d >= 0;
    case OP_GT: return d > 0;
    case OP_LE: return d <= 0;
    case OP_LT: return d < 0;
    case OP_EQ: return d == 0;
    }
    return false;
}

static semver lower(const partial *p)
{
    return (semver){p->part[0], p->part[1], p->part[2]};
}

/* The first version past everything `p` covers: 1 -> 2.0.0, 1.2 -> 1.3.0. */
static semver upper(const partial *p)
{
    if (p->given == 1)
        return (semver){p->part[0] + 1, 0, 0};
    if (p->given == 2)
        return (semver){p->part[0], p->part[1] + 1, 0};
    return (semver){p->part[0], p->part[1], p->part[2] + 1};
}

/* Is v inside one space-separated set of simple ranges? */
static bool satisfies_set(const semver *v, const char *set)
{
    const char *s = set;
    /* Hyphen range: "A - B". */
    const char *dash = strstr(s, " - ");
    if (dash) {
        partial a, b;
        const char *pa = s, *pb = dash + 3;
        while (*pa == ' ')
            pa++;
        while (*pb == ' ')
            pb++;
        if (!parse_partial(&pa, &a) || !parse_partial(&pb, &b))
            return false;
        while (*pa == ' ')
            pa++;
        while (*pb == ' ')
            pb++;
        if (pa != dash && *pa != '\0' && pa < dash)
            return false;
        if (*pb)
            return false;
        comparator lo = {OP_GE, lower(&a)};
        comparator hi = b.given == 3 ? (comparator){OP_LE, lower(&b)}
                      : b.given == 0 ? (comparator){OP_GE, {0, 0, 0}}
                                     : (comparator){OP_LT, upper(&b)};
        return test(&lo, v) && test(&hi, v);
    }
    bool any = false;
    while (*s) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            break;
        any = true;
        char kind = 0;
        op o = OP_EQ;
        if (*s == '^' || *s == '~') {
            kind = *s++;
            if (kind == '~' && *s == '>')
                s++;
        } else if (s[0] == '>' && s[1] == '=') {
            o = OP_GE, s += 2, kind = 'c';
        } else if (s[0] == '<' && s[1] == '=') {
            o = OP_LE, s += 2, kind = 'c';
        } else if (*s == '>') {
            o = OP_GT, s++, kind = 'c';
        } else if (*s == '<') {
            o = OP_LT, s++, kind = 'c';
        } else if (*s == '=') {
            s++;
        }
        while (*s == ' ')
            s++;
        partial p;
        if (!parse_partial(&s, &p))
            return false;
        comparator c[2];
        int n = 0;
        if (kind == '^') {
            semver hi;
            if (p.given == 0)
                hi = (semver){PART_MAX + 1, 0, 0};
            else if (p.part[0] > 0 || p.given == 1)
                hi = (semver){p.part[0] + 1, 0, 0};
            else if (p.part[1] > 0 || p.given == 2)
                hi = (semver){0, p.part[1] + 1, 0};
            else
                hi = (semver){0, 0, p.part[2] + 1};
            c[n++] = (comparator){OP_GE, lower(&p)};
            c[n++] = (comparator){OP_LT, hi};
        } else if (kind == '~') {
            semver hi = p.given == 0 ? (semver){PART_MAX + 1, 0, 0}
                      : p.given == 1 ? (semver){p.part[0] + 1, 0, 0}
                                     : (semver){p.part[0], p.part[1] + 1, 0};
            c[n++] = (comparator){OP_GE, lower(&p)};
            c[n++] = (comparator){OP_LT, hi};
        } else if (kind == 'c') {
            if (p.given == 0) {
                /* ">*" and "<*" match nothing, ">=*" and "<=*" everything. */
                if (o == OP_GT || o == OP_LT)
                    return false;
            } else if (p.given == 3) {
                c[n++] = (comparator){o, lower(&p)};
            } else if (o == OP_GT) {
                c[n++] = (comparator){OP_GE, upper(&p)};
            } else if (o == OP_GE) {
                c[n++] = (comparator){OP_GE, lower(&p)};
            } else if (o == OP_LT) {
                c[n++] = (comparator){OP_LT, lower(&p)};
            } else {
                c[n++] = (comparator){OP_LT, upper(&p)};
            }
        } else if (p.given == 3) {
            c[n++] = (comparator){OP_EQ, lower(&p)};
        } else if (p.given > 0) {
            c[n++] = (comparator){OP_GE, lower(&p)};
            c[n++] = (comparator){OP_LT, upper(&p)};
        }
        for (int i = 0; i < n; i++)
            if (!test(&c[i], v))
                return false;
    }
    (void)any;
    return true;
}

bool semver_satisfies(const semver *v, const char *range)
{
    if (!range)
        return false;
    char *copy = strdup(range);
    if (!copy)
        return false;
    bool ok = false;
    char *save = NULL;
    /* "||" separates alternatives; split on '|' and skip the empty halves. */
    for (char *alt = copy;; ) {
        char *bar = strstr(alt, "||");
        if (bar)
            *bar = '\0';
        if (satisfies_set(v, alt))
            ok = true;
        if (!bar || ok)
            break;
        alt = bar + 2;
    }
    (void)save;
    free(copy);
    return ok;
}
