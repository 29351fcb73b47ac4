/*
 * judge0_langs.c - the fixed table from Judge0 CE ids to judgebox
 * languages, and the language bodies of the Judge0 API.  Ids 43-89 are
 * Judge0 CE 1.13.1's; the languages judgebox has that Judge0 CE has not get
 * ids from 1001 up.  An id is never reused or renumbered.  Older compiler
 * versions Judge0 lists under their own ids (48 and 49 for C, 52 and 53
 * for C++) are accepted as aliases, not listed.
 */
#include "judge0_langs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat_util.h"

typedef struct id_entry {
    int id;
    const char *lang_id;         /* judgebox id; NULL for 43 and 89 */
    const char *name;            /* "%s" is the version */
    bool listed;
} id_entry;

static const id_entry ids[] = {
    {JUDGE0_PLAIN_TEXT, NULL, "Plain Text", true},
    {45, "nasm", "Assembly (NASM %s)", true},
    {46, "bash", "Bash (%s)", true},
    {48, "c", "C (GCC %s)", false},
    {49, "c", "C (GCC %s)", false},
    {50, "c", "C (GCC %s)", true},
    {51, "csharp", "C# (Mono %s)", true},
    {52, "cpp", "C++ (GCC %s)", false},
    {53, "cpp", "C++ (GCC %s)", false},
    {54, "cpp", "C++ (GCC %s)", true},
    {55, "commonlisp", "Common Lisp (SBCL %s)", true},
    {56, "d", "D (GDC %s)", true},
    {57, "elixir", "Elixir (%s)", true},
    {58, "erlang", "Erlang (OTP %s)", true},
    {59, "fortran", "Fortran (GFortran %s)", true},
    {60, "go", "Go (%s)", true},
    {61, "haskell", "Haskell (GHC %s)", true},
    {62, "java", "Java (OpenJDK %s)", true},
    {63, "javascript", "JavaScript (Node.js %s)", true},
    {64, "lua", "Lua (%s)", true},
    {65, "ocaml", "OCaml (%s)", true},
    {67, "pascal", "Pascal (FPC %s)", true},
    {68, "php", "PHP (%s)", true},
    {69, "prolog", "Prolog (SWI-Prolog %s)", true},
    {71, "python3", "Python (%s)", true},
    {72, "ruby", "Ruby (%s)", true},
    {73, "rust", "Rust (%s)", true},
    {74, "typescript", "TypeScript (%s)", true},
    {77, "cobol", "COBOL (GnuCOBOL %s)", true},
    {78, "kotlin", "Kotlin (%s)", true},
    {79, "objc", "Objective-C (GCC %s)", true},
    {80, "r", "R (%s)", true},
    {81, "scala", "Scala (%s)", true},
    {82, "sqlite", "SQL (SQLite %s)", true},
    {85, "perl", "Perl (%s)", true},
    {86, "clojure", "Clojure (%s)", true},
    {88, "groovy", "Groovy (%s)", true},
    {JUDGE0_MULTI_FILE, NULL, "Multi-file program", true},
    /* Not in Judge0 CE: judgebox's own ids. */
    {1001, "awk", "AWK (GNU Awk %s)", true},
    {1002, "bc", "bc (%s)", true},
    {1003, "brainfuck", "Brainfuck (to C, GCC %s)", true},
    {1004, "dc", "dc (%s)", true},
    {1005, "forth", "Forth (Gforth %s)", true},
    {1006, "guile", "Scheme (Guile %s)", true},
    {1007, "nim", "Nim (%s)", true},
    {1008, "racket", "Racket (%s)", true},
    {1009, "sed", "sed (GNU sed %s)", true},
    {1010, "tcl", "Tcl (%s)", true},
    {1011, "ada", "Ada (GNAT %s)", true},
    {1012, "algol68", "ALGOL 68 (Genie %s)", true},
    {1013, "c11", "C11 (GCC %s)", true},
    {1014, "c23", "C23 (GCC %s)", true},
    {1015, "chicken", "Scheme (CHICKEN %s)", true},
    {1016, "coffeescript", "CoffeeScript (%s)", true},
    {1017, "cpp11", "C++11 (GCC %s)", true},
    {1018, "cpp14", "C++14 (GCC %s)", true},
    {1019, "cpp20", "C++20 (GCC %s)", true},
    {1020, "cpp23", "C++23 (GCC %s)", true},
    {1021, "crystal", "Crystal (%s)", true},
    {1022, "fish", "fish (%s)", true},
    {1023, "icon", "Icon (%s)", true},
    {1024, "jq", "jq (%s)", true},
    {1025, "ksh", "ksh (%s)", true},
    {1026, "luajit", "LuaJIT (%s)", true},
    {1027, "m4", "m4 (GNU m4 %s)", true},
    {1028, "pypy3", "Python (PyPy %s)", true},
    {1029, "raku", "Raku (Rakudo %s)", true},
    {1030, "rexx", "Rexx (Regina %s)", true},
    {1031, "sh", "sh (dash %s)", true},
    {1032, "tcc", "C (TCC %s)", true},
    {1033, "vala", "Vala (%s)", true},
    {1034, "yabasic", "BASIC (yabasic %s)", true},
    {1035, "zsh", "zsh (%s)", true},
};
#define NIDS (sizeof ids / sizeof ids[0])

/* 43 and 89 run in bash's image with bash's environment; built once from
 * the loaded bash language and kept for the life of the process. */
static pthread_mutex_t synth_lock = PTHREAD_MUTEX_INITIALIZER;
static const language_table *synth_for;
static language plain_text, multi_file;
static char *plain_run[] = {"cat", "text.txt", NULL};
static char *multi_run[] = {"/bin/bash", "run", NULL};

static void build_synthetic(const language_table *langs)
{
    pthread_mutex_lock(&synth_lock);
    if (synth_for != langs) {
        const language *bash = langs_find(langs, "bash");
        memset(&plain_text, 0, sizeof plain_text);
        memset(&multi_file, 0, sizeof multi_file);
        if (bash) {
            plain_text = (language){.id = "judge0-plain-text", .name = "Plain Text",
                                    .image = bash->image, .source_file = "text.txt",
                                    .version = bash->version, .rootfs = bash->rootfs,
                                    .run_argv = plain_run, .env = bash->env,
                                    .min_limits = bash->min_limits,
                                    .compile_limits = bash->compile_limits};
            multi_file = plain_text;
            multi_file.id = "judge0-multi-file";
            multi_file.name = "Multi-file program";
            multi_file.source_file = "run";
            multi_file.run_argv = multi_run;
        }
        synth_for = langs;
    }
    pthread_mutex_unlock(&synth_lock);
}

static const language *resolve(const language_table *langs, const id_entry *e)
{
    if (e->lang_id)
        return langs_find(langs, e->lang_id);
    build_synthetic(langs);
    const language *l = e->id == JUDGE0_PLAIN_TEXT ? &plain_text : &multi_file;
    return l->rootfs ? l : NULL;
}

static void fill(const id_entry *e, const language *l, judge0_language *out)
{
    out->id = e->id;
    out->lang = l;
    out->listed = e->listed;
    out->project = e->id == JUDGE0_MULTI_FILE;
    /* The template's "%s" is the version read from the image. */
    const char *mark = strstr(e->name, "%s");
    if (mark)
        snprintf(out->name, sizeof out->name, "%.*s%s%s", (int)(mark - e->name), e->name,
                 l->version ? l->version : "unknown", mark + 2);
    else
        snprintf(out->name, sizeof out->name, "%s", e->name);
}

bool judge0_language_find(const language_table *langs, int id, judge0_language *out)
{
    for (size_t i = 0; i < NIDS; i++) {
        if (ids[i].id != id)
            continue;
        const language *l = resolve(langs, &ids[i]);
        if (!l)
            return false;
        fill(&ids[i], l, out);
        return true;
    }
    return false;
}

int judge0_language_id(const char *lang_id)
{
    for (size_t i = 0; i < NIDS; i++)
        if (ids[i].listed && ids[i].lang_id && strcmp(ids[i].lang_id, lang_id) == 0)
            return ids[i].id;
    return 0;
}

static json_t *list(const language_table *langs, bool all)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < NIDS; i++) {
        const language *l = resolve(langs, &ids[i]);
        if (!l || !ids[i].listed)
            continue;
        judge0_language jl;
        fill(&ids[i], l, &jl);
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(jl.id));
        json_object_set_new(o, "name", json_string(jl.name));
        if (all)
            json_object_set_new(o, "is_archived", json_false());
        json_array_append_new(arr, o);
    }
    return arr;
}

json_t *judge0_languages_body(const language_table *langs)
{
    return list(langs, false);
}

json_t *judge0_languages_all_body(const language_table *langs)
{
    return list(langs, true);
}

/* argv as one command line, with "%s" where compiler options go (as in
 * Judge0's compile_cmd) when `with_options`. */
static json_t *command_line(char *const *argv, const char *source_file, bool with_options)
{
    if (!argv)
        return json_null();
    char *percent_s[] = {"%s", NULL};
    bool templated = false;       /* the language file says where options go */
    for (char *const *a = argv; *a; a++)
        templated = templated || strcmp(*a, "{options}") == 0;
    char **full = with_options && !templated ? compat_argv_insert(argv, source_file, percent_s)
                                             : compat_argv_insert(argv, NULL, NULL);
    /* Language-file placeholders as Judge0 shows a command: options as
     * %s, sources as the source file. */
    for (char **a = full; a && *a; a++) {
        const char *with = strcmp(*a, "{options}") == 0 ? "%s"
                         : strcmp(*a, "{sources}") == 0 || strcmp(*a, "{source_file}") == 0 ? source_file
                         : strcmp(*a, "{main_class}") == 0 ? "Main" : NULL;
        if (with) {
            char *copy = strdup(with);
            if (!copy) {
                compat_argv_free(full);
                return NULL;
            }
            free(*a);
            *a = copy;
        }
    }
    char *line = full ? compat_argv_join(full) : NULL;
    compat_argv_free(full);
    json_t *v = line ? json_string(line) : NULL;
    free(line);
    return v;
}

json_t *judge0_language_body(const judge0_language *l)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(l->id));
    json_object_set_new(o, "name", json_string(l->name));
    json_object_set_new(o, "is_archived", json_false());
    if (l->project) {
        json_object_set_new(o, "source_file", json_null());
        json_object_set_new(o, "compile_cmd", json_null());
        json_object_set_new(o, "run_cmd", json_null());
        return o;
    }
    json_object_set_new(o, "source_file", json_string(l->lang->source_file));
    json_object_set_new(o, "compile_cmd",
                        command_line(l->lang->compile_argv, l->lang->source_file, true));
    json_object_set_new(o, "run_cmd", command_line(l->lang->run_argv, NULL, false));
    return o;
}
