/*
 * compat_util.c - word splitting, argv building, Judge0's number and time
 * formats and UUIDs for the compatibility layers (see compat_util.h).
 */
#include "compat_util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

void compat_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}

size_t compat_argv_count(char *const *argv)
{
    size_t n = 0;
    while (argv && argv[n])
        n++;
    return n;
}

/* A growing list of words and the word being built. */
typedef struct words {
    char **list;
    size_t count, capacity;
    char *word;
    size_t len;
    bool in_word;
} words;

static int word_add_char(words *w, char c)
{
    char *grown = realloc(w->word, w->len + 2);
    if (!grown)
        return -1;
    w->word = grown;
    w->word[w->len++] = c;
    w->word[w->len] = '\0';
    w->in_word = true;
    return 0;
}

static int word_end(words *w)
{
    if (!w->in_word)
        return 0;
    if (w->count + 2 > w->capacity) {
        size_t capacity = w->capacity ? w->capacity * 2 : 8;
        char **grown = realloc(w->list, capacity * sizeof *grown);
        if (!grown)
            return -1;
        w->list = grown;
        w->capacity = capacity;
    }
    w->list[w->count++] = w->word ? w->word : strdup("");
    w->list[w->count] = NULL;
    if (!w->list[w->count - 1])
        return -1;
    w->word = NULL;
    w->len = 0;
    w->in_word = false;
    return 0;
}

int compat_shell_split(const char *text, char ***out)
{
    words w = {0};
    enum { PLAIN, SINGLE, DOUBLE } mode = PLAIN;
    int rc = 0;
    *out = NULL;
    for (const char *p = text; *p && rc == 0; p++) {
        char c = *p;
        if (strchr("$&;<>|`", c))
            continue;             /* deleted, as Judge0 does */
        switch (mode) {
        case PLAIN:
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                rc = word_end(&w);
            } else if (c == '\'') {
                mode = SINGLE;
                w.in_word = true;
            } else if (c == '"') {
                mode = DOUBLE;
                w.in_word = true;
            } else if (c == '\\') {
                /* \x is x; a backslash ending the line is dropped. */
                while (p[1] && strchr("$&;<>|`", p[1]))
                    p++;
                if (p[1])
                    rc = word_add_char(&w, *++p);
            } else {
                rc = word_add_char(&w, c);
            }
            break;
        case SINGLE:
            if (c == '\'')
                mode = PLAIN;
            else
                rc = word_add_char(&w, c);
            break;
        case DOUBLE:
            if (c == '"') {
                mode = PLAIN;
            } else if (c == '\\' && (p[1] == '"' || p[1] == '\\')) {
                rc = word_add_char(&w, *++p);
            } else {
                rc = word_add_char(&w, c);
            }
            break;
        }
    }
    if (rc == 0 && mode != PLAIN) {
        errno = EINVAL;
        rc = -1;
    } else if (rc == 0) {
        rc = word_end(&w);
        if (rc < 0)
            errno = ENOMEM;
    } else {
        errno = ENOMEM;
    }
    if (rc == 0 && !w.list) {
        w.list = calloc(1, sizeof *w.list);
        if (!w.list) {
            errno = ENOMEM;
            rc = -1;
        }
    }
    if (rc < 0) {
        int e = errno;
        free(w.word);
        compat_argv_free(w.list);
        errno = e;
        return -1;
    }
    *out = w.list;
    return 0;
}

char **compat_argv_insert(char *const *argv, const char *before, char *const *extra)
{
    size_t n = compat_argv_count(argv), m = compat_argv_count(extra);
    char **out = calloc(n + m + 1, sizeof *out);
    if (!out)
        return NULL;
    size_t at = n > 0 ? 1 : 0;
    for (size_t i = 0; before && i < n; i++)
        if (strcmp(argv[i], before) == 0) {
            at = i;
            break;
        }
    size_t k = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == at)
            for (size_t j = 0; j < m; j++)
                if (!(out[k++] = strdup(extra[j])))
                    goto oom;
        if (i < n && !(out[k++] = strdup(argv[i])))
            goto oom;
    }
    return out;
oom:
    compat_argv_free(out);
    return NULL;
}

char *compat_argv_join(char *const *argv)
{
    size_t len = 1;
    for (char *const *a = argv; a && *a; a++)
        len += strlen(*a) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    char *end = s;
    for (char *const *a = argv; a && *a; a++) {
        if (a != argv)
            *end++ = ' ';
        size_t l = strlen(*a);
        memcpy(end, *a, l + 1);
        end += l;
    }
    return s;
}

void compat_seconds(char *buf, size_t size, uint64_t ms)
{
    char frac[4];
    snprintf(frac, sizeof frac, "%03u", (unsigned)(ms % 1000));
    int n = 3;
    while (n > 1 && frac[n - 1] == '0')
        frac[--n] = '\0';
    snprintf(buf, size, "%llu.%s", (unsigned long long)(ms / 1000), frac);
}

int64_t compat_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void compat_iso8601(char *buf, size_t size, int64_t unix_ms)
{
    time_t secs = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03dZ", date, (int)(unix_ms % 1000));
}

void compat_uuid(char out[37])
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        /* Not secret: unique is enough; mix time and address. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t v[2] = {(uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec,
                         (uint64_t)(uintptr_t)out ^ (uint64_t)ts.tv_nsec << 17};
        memcpy(b, v, sizeof b);
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}
