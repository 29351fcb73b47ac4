/*
 * judge0_langs.h - Judge0 CE's language ids for judgebox's languages: a
 * fixed table (ids never change: clients hard-code them), the names Judge0
 * shows ("C (GCC 12.2.0)", the version read from the image), the bodies of
 * GET /languages, /languages/all and /languages/{id}, and the two
 * languages Judge0 has that are not a judgebox language file: 43 "Plain
 * Text" (the source is the output) and 89 "Multi-file program" (a zip of
 * files with `compile` and `run` scripts), both run in the image of bash.
 */
#ifndef JUDGEBOX_JUDGE0_LANGS_H
#define JUDGEBOX_JUDGE0_LANGS_H

#include <jansson.h>
#include <stdbool.h>

#include "langs.h"

#define JUDGE0_PLAIN_TEXT 43
#define JUDGE0_MULTI_FILE 89

typedef struct judge0_language {
    int id;
    const language *lang;        /* the judgebox language it runs as */
    char name[96];               /* "C (GCC 12.2.0)" */
    bool listed;                 /* in GET /languages (false: an alias id) */
    bool project;                /* 89: files and scripts come in additional_files */
} judge0_language;

/* The Judge0 language with this id among the languages loaded in `langs`
 * (a language whose image is not built has no Judge0 id either).  false
 * when there is none.  Thread-safe; the table is built on first use. */
bool judge0_language_find(const language_table *langs, int id, judge0_language *out);
/* The Judge0 id of a judgebox language, 0 when it has none. */
int judge0_language_id(const char *lang_id);

/* GET /languages: [{"id", "name"}], listed ids in id order. */
json_t *judge0_languages_body(const language_table *langs);
/* GET /languages/all: [{"id", "name", "is_archived"}]. */
json_t *judge0_languages_all_body(const language_table *langs);
/* GET /languages/{id}: {"id", "name", "is_archived", "source_file",
 * "compile_cmd", "run_cmd"}. */
json_t *judge0_language_body(const judge0_language *l);

#endif
