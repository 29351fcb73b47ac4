/*
 * command_lines.c - a request's command lines from the language file's
 * templates.  Placeholders, each a whole argv element unless noted:
 *   {sources}      every other submitted file whose extension is one of
 *                  the language's "sources" (as DOMjudge compiles every
 *                  source of the language), in request order, then the main
 *                  file last (Fortran and OCaml need modules before their
 *                  users); a name that starts with '-' gets "./" so it is
 *                  never a flag
 *   {options}      the request's compile_options (already checked against
 *                  the allowlist); without the token they follow argv[0]
 *   {source_file}  the main file's name (also inside an element)
 *   {main_class}   the JVM class to run, "pkg.Name" (also inside an element)
 * The main file is saved as the language's source_file, or as the
 * source_file of the first "source_rules" entry whose regex matches it
 * (JavaScript with import/export becomes main.mjs), or, for Java, after its
 * public class (javac insists), so any class name and package line work.
 */
#include "command_lines.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the JVM main-class detector ---- */

/* The source with comments and string/char literals blanked to spaces, so
 * that "class" in a comment or a string is not a declaration. */
static char *strip_source(const char *src, size_t len)
{
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    size_t i = 0;
    while (i < len) {
        char c = src[i];
        if (c == '/' && i + 1 < len && src[i + 1] == '/') {
            while (i < len && src[i] != '\n')
                s[i++] = ' ';
        } else if (c == '/' && i + 1 < len && src[i + 1] == '*') {
            s[i++] = ' ';
            s[i++] = ' ';
            while (i < len && !(src[i] == '*' && i + 1 < len && src[i + 1] == '/'))
                s[i] = src[i] == '\n' ? '\n' : ' ', i++;
            for (int k = 0; k < 2 && i < len; k++)
                s[i++] = ' ';
        } else if (c == '"' || c == '\'') {
            s[i++] = ' ';
            while (i < len && src[i] != c && src[i] != '\n') {
                if (src[i] == '\\' && i + 1 < len)
                    s[i++] = ' ';
                s[i++] = ' ';
            }
            if (i < len)
                s[i++] = ' ';
        } else {
            s[i] = c == '\0' ? ' ' : c;
            i++;
        }
    }
    s[len] = '\0';
    return s;
}

typedef struct token {
    const char *p;
    size_t n;
} token;

static bool is_ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_' || c == '$';
}
static bool is_ident(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* Next token at *pos: an identifier or one punctuation character. */
static bool next_token(const char *s, size_t *pos, token *t)
{
    size_t i = *pos;
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    if (!s[i])
        return false;
    t->p = s + i;
    if (is_ident_start(s[i])) {
        while (is_ident(s[i]))
            i++;
    } else {
        i++;
    }
    t->n = (size_t)(s + i - t->p);
    *pos = i;
    return true;
}

static bool tok_is(const token *t, const char *word)
{
    return t->n == strlen(word) && memcmp(t->p, word, t->n) == 0;
}

static void tok_copy(char *dst, size_t size, const token *t)
{
    snprintf(dst, size, "%.*s", (int)t->n, t->p);
}

#define MAX_TYPES 32

int commands_find_main_class(main_class_kind kind, const char *source, size_t len,
                             char *package, size_t package_size, char *main_class,
                             size_t main_size, char *public_class, size_t public_size)
{
    package[0] = main_class[0] = public_class[0] = '\0';
    char *s = strip_source(source, len);
    if (!s)
        return -1;
    /* Open type declarations: name and the brace depth of their body. */
    struct { char name[128]; int depth; } types[MAX_TYPES];
    int ntypes = 0, depth = 0;
    token win[8] = {{0}};            /* the last tokens, newest last */
    char pending[128] = "";           /* a type whose '{' has not come yet */
    bool pending_app = false, found = false;
    char app_object[128] = "";
    size_t pos = 0;
    token t;
    while (!found && next_token(s, &pos, &t)) {
        memmove(win, win + 1, sizeof win - sizeof win[0]);
        win[7] = t;
        if (tok_is(&t, "{")) {
            depth++;
            if (pending[0] && ntypes < MAX_TYPES) {
                snprintf(types[ntypes].name, sizeof types[ntypes].name, "%s", pending);
                types[ntypes++].depth = depth;
                if (pending_app && !app_object[0])
                    snprintf(app_object, sizeof app_object, "%s", pending);
            }
            pending[0] = '\0';
            pending_app = false;
            continue;
        }
        if (tok_is(&t, "}")) {
            while (ntypes > 0 && types[ntypes - 1].depth >= depth)
                ntypes--;
            if (depth > 0)
                depth--;
            continue;
        }
        if (tok_is(&t, ";") && kind == MAIN_CLASS_JAVA) {
            pending[0] = '\0';
            continue;
        }
        token *prev = &win[6], *prev2 = &win[5];
        if (depth == 0 && prev->p && tok_is(prev, "package") && is_ident_start(t.p[0])) {
            /* package a.b.c (Scala may chain several package clauses) */
            size_t n = strlen(package);
            if (n && n + 1 < package_size)
                strcat(package, ".");
            n = strlen(package);
            tok_copy(package + n, package_size - n, &t);
            size_t save = pos;
            token d, id;
            while (next_token(s, &pos, &d) && tok_is(&d, ".") && next_token(s, &pos, &id) &&
                   is_ident_start(id.p[0])) {
                n = strlen(package);
                snprintf(package + n, package_size - n, ".%.*s", (int)id.n, id.p);
                save = pos;
            }
            pos = save;
            continue;
        }
        bool type_kw = prev->p && (tok_is(prev, "class") || tok_is(prev, "interface") ||
                                   tok_is(prev, "enum") || tok_is(prev, "record") ||
                                   tok_is(prev, "object"));
        if (type_kw && is_ident_start(t.p[0]) && !(prev2->p && tok_is(prev2, "."))) {
            tok_copy(pending, sizeof pending, &t);
            if (kind == MAIN_CLASS_JAVA && depth == 0 && !public_class[0]) {
                bool is_public = false;
                for (int k = 5; k >= 0 && win[k].p && is_ident_start(win[k].p[0]); k--)
                    if (tok_is(&win[k], "public"))
                        is_public = true;
                if (is_public)
                    tok_copy(public_class, public_size, &t);
            }
            continue;
        }
        if (pending[0] && kind == MAIN_CLASS_SCALA && tok_is(&t, "App") && prev->p &&
            (tok_is(prev, "extends") || tok_is(prev, "with")))
            pending_app = true;
        /* main( : "void main (" in Java, "def main (" in Scala */
        if (tok_is(&t, "(") && prev->p && tok_is(prev, "main") && prev2->p && ntypes > 0 &&
            ((kind == MAIN_CLASS_JAVA && tok_is(prev2, "void")) ||
             (kind == MAIN_CLASS_SCALA && tok_is(prev2, "def")))) {
            bool is_static = kind == MAIN_CLASS_SCALA;
            for (int k = 4; k >= 0 && !is_static && win[k].p; k--)
                is_static = tok_is(&win[k], "static");
            if (!is_static)
                continue;
            /* nested types: Outer$Inner, the JVM's binary name */
            main_class[0] = '\0';
            for (int k = 0; k < ntypes; k++) {
                size_t n = strlen(main_class);
                snprintf(main_class + n, main_size - n, "%s%s", k ? "$" : "", types[k].name);
            }
            found = true;
        }
    }
    if (!found && app_object[0]) {
        snprintf(main_class, main_size, "%s", app_object);
        found = true;
    }
    free(s);
    return found ? 0 : -1;
}

/* ---- templates ---- */

typedef struct argv_builder {
    char **v;
    size_t n, cap;
} argv_builder;

static int push(argv_builder *b, const char *s)
{
    if (b->n + 2 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        char **v = realloc(b->v, cap * sizeof *v);
        if (!v)
            return -1;
        b->v = v;
        b->cap = cap;
    }
    if (!(b->v[b->n] = strdup(s)))
        return -1;
    b->v[++b->n] = NULL;
    return 0;
}

static void free_argv(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

/* `s` with every `key` replaced by `value`; NULL when out of memory. */
static char *replace_all(const char *s, const char *key, const char *value)
{
    size_t klen = strlen(key), vlen = strlen(value), count = 0;
    for (const char *p = strstr(s, key); p; p = strstr(p + klen, key))
        count++;
    char *out = malloc(strlen(s) + count * vlen + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const char *p = s;;) {
        const char *hit = strstr(p, key);
        if (!hit) {
            strcpy(o, p);
            break;
        }
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy(o, value, vlen);
        o += vlen;
        p = hit + klen;
    }
    return out;
}

static bool has_extension(const char *name, const char *ext)
{
    size_t n = strlen(name), e = strlen(ext);
    return n > e && strcmp(name + n - e, ext) == 0 && name[n - e - 1] != '/';
}

static int push_source(argv_builder *b, const char *name)
{
    if (name[0] != '-')
        return push(b, name);
    char *dotted = NULL;
    if (asprintf(&dotted, "./%s", name) < 0)
        return -1;
    int rc = push(b, dotted);
    free(dotted);
    return rc;
}

static int is_source(const job_request *job, const char *name)
{
    const language *l = job->lang;
    if (l->source_exts) {
        for (char **e = l->source_exts; *e; e++)
            if (has_extension(name, *e))
                return 1;
        return 0;
    }
    const char *dot = strrchr(l->source_file, '.');
    return dot && has_extension(name, dot);
}

static char **expand(const job_request *job, const job_commands *c, char *const *tmpl,
                     bool with_options)
{
    argv_builder b = {0};
    bool options_placed = false;
    for (size_t i = 0; tmpl[i]; i++)
        if (strcmp(tmpl[i], "{options}") == 0)
            options_placed = true;
    for (size_t i = 0; tmpl[i]; i++) {
        const char *t = tmpl[i];
        if (strcmp(t, "{sources}") == 0) {
            for (size_t f = 1; f < job->nfiles; f++)
                if (is_source(job, job->files[f].name) && push_source(&b, job->files[f].name) < 0)
                    goto oom;
            if (push_source(&b, c->main_file) < 0)
                goto oom;
            continue;
        }
        if (strcmp(t, "{options}") == 0) {
            for (char **o = job->compile_options; with_options && o && *o; o++)
                if (push(&b, *o) < 0)
                    goto oom;
            continue;
        }
        char *a = replace_all(t, "{source_file}", c->main_file);
        char *x = a ? replace_all(a, "{main_class}", c->main_class ? c->main_class : "Main") : NULL;
        free(a);
        if (!x || push(&b, x) < 0) {
            free(x);
            goto oom;
        }
        free(x);
        if (i == 0 && with_options && !options_placed)
            for (char **o = job->compile_options; o && *o; o++)
                if (push(&b, *o) < 0)
                    goto oom;
    }
    return b.v;
oom:
    free_argv(b.v);
    return NULL;
}

static char **copy_argv(char *const *argv)
{
    argv_builder b = {0};
    for (size_t i = 0; argv[i]; i++)
        if (push(&b, argv[i]) < 0) {
            free_argv(b.v);
            return NULL;
        }
    return b.v;
}

static bool name_taken(const job_request *job, const char *name)
{
    for (size_t i = 1; i < job->nfiles; i++)
        if (strcmp(job->files[i].name, name) == 0)
            return true;
    return false;
}

int commands_build(const job_request *job, job_commands *out, char *error, size_t size)
{
    memset(out, 0, sizeof *out);
    const language *l = job->lang;
    const job_file *main = job->nfiles ? &job->files[0] : NULL;
    char *text = NULL;
    if (main && (l->nsource_rules || l->main_class)) {
        /* regexec and the detector want a C string; a NUL in the source
         * just ends what they look at */
        text = malloc(main->len + 1);
        if (!text)
            goto oom;
        memcpy(text, main->data, main->len);
        text[main->len] = '\0';
    }
    /* The API saves files[0] as the language's source_file; a caller that
     * named it otherwise (the compatibility APIs) keeps its name. */
    const char *main_file = main && main->name ? main->name : l->source_file;
    if (strcmp(main_file, l->source_file) != 0) {
        free(text);
        text = NULL;
    }
    for (size_t i = 0; text && i < l->nsource_rules; i++)
        if (regexec(&l->source_rules[i].match, text, 0, NULL, 0) == 0) {
            main_file = l->source_rules[i].source_file;
            break;
        }
    char file_buf[256];
    if (text && l->main_class) {
        char package[256], cls[256], pub[128];
        if (commands_find_main_class(l->main_class, text, main->len, package, sizeof package, cls,
                                     sizeof cls, pub, sizeof pub) == 0) {
            if (asprintf(&out->main_class, "%s%s%s", package, package[0] ? "." : "", cls) < 0) {
                out->main_class = NULL;
                goto oom;
            }
            /* javac wants a public class in a file of its name; without one,
             * the main class's name does (and is what a reader expects). */
            const char *file_class = pub[0] ? pub : cls;
            const char *ext = strrchr(l->source_file, '.');
            if (l->main_class == MAIN_CLASS_JAVA && !strchr(file_class, '$') && ext &&
                snprintf(file_buf, sizeof file_buf, "%s%s", file_class, ext) < (int)sizeof file_buf &&
                !name_taken(job, file_buf))
                main_file = file_buf;
        }
    }
    free(text);
    text = NULL;
    if (!(out->main_file = strdup(main_file)))
        goto oom;
    /* A job's own commands (the compatibility APIs set them) are used as
     * they are; the language's are templates. */
    if (job->compile_argv) {
        if (!(out->compile = copy_argv(job->compile_argv)))
            goto oom;
    } else {
        char *const *compile = l->compile_argv ? l->compile_argv : l->check_argv;
        if (compile && !(out->compile = expand(job, out, compile, l->compile_argv != NULL)))
            goto oom;
    }
    if (!(out->run = job->run_argv ? copy_argv(job->run_argv) : expand(job, out, l->run_argv, false)))
        goto oom;
    return 0;
oom:
    free(text);
    snprintf(error, size, "build the command lines: %s", strerror(ENOMEM));
    commands_free(out);
    return -1;
}

void commands_free(job_commands *c)
{
    free(c->main_file);
    free(c->main_class);
    free_argv(c->compile);
    free_argv(c->run);
    memset(c, 0, sizeof *c);
}
