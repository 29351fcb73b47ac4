/*
 * program.h - judge programs: the special judges (checkers, Kattis output
 * validators) and interactors a request or a problem package brings.  A
 * program is a language, its files and extra arguments; this file owns
 * what is pure about them: the content hash that keys the compile cache,
 * the cache's layout on disk (<cache>/<hash>/box: the /box of the program
 * after its compile, owned by root and read-only to the runs), and the
 * exit-code protocols (testlib and Kattis) that turn a program's exit into
 * a verdict, a score and a message.  Compiling and running live in
 * server/judge/judge.c, which holds the sandbox slots.
 */
#ifndef JUDGEBOX_PROGRAM_H
#define JUDGEBOX_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "langs.h"
#include "sandbox.h"

typedef enum program_protocol {
    PROTOCOL_TESTLIB,
    PROTOCOL_KATTIS,
} program_protocol;

typedef struct program_file {
    char *name;                  /* relative path; files[0] is the language's source_file */
    unsigned char *data;
    size_t len;
} program_file;

typedef struct judge_program {
    bool present;
    program_protocol protocol;
    const language *lang;
    program_file *files;
    size_t nfiles;
    char **args;                 /* NULL-terminated extra arguments; may be NULL */
    sandbox_limits limits;       /* checker_limits / interactor_limits, every field filled */
    sandbox_limits compile_limits;
    char hash[65];               /* hex SHA-256 of language, files and args */
} judge_program;

/* "testlib" / "kattis"; -1 when unknown. */
int program_protocol_from_name(const char *name, program_protocol *out);
const char *program_protocol_name(program_protocol protocol);

/* Fill prog->hash from its language id, files and args. */
void program_hash(judge_program *prog);
void program_free(judge_program *prog);

/* What a checker's or interactor's exit means. */
typedef struct program_outcome {
    const char *verdict;         /* "accepted", "wrong_answer", "partially_accepted", "judge_error" */
    bool has_score;
    double score;
    char message[512];
} program_outcome;

/* testlib: 0 accepted, 1 wrong answer, 2 presentation error (reported as
 * wrong_answer, the message saying so), 7 points (the score is the first
 * number of stderr, after an optional "points" word), 3 and anything else
 * judge_error.  `text` is the program's stderr. */
void program_decide_testlib(int exit_code, const char *text, size_t text_len, program_outcome *out);
/* Kattis: 42 accepted, 43 wrong_answer, anything else judge_error.
 * `message` is feedback_dir/judgemessage.txt, `score` score.txt (either
 * may be NULL). */
void program_decide_kattis(int exit_code, const char *message, size_t message_len,
                           const char *score, size_t score_len, program_outcome *out);

/* Copy the tree `from` to `to` (which must not exist), owned by the
 * caller (root), directories 0755 and files keeping their exec bit
 * (0755/0644): the runs can read and execute it, never change it.
 * -1 with `error` naming the path. */
int program_copy_tree(const char *from, const char *to, char *error, size_t size);
/* Remove the tree `path` (no symlinks followed).  0 or -1 with errno. */
int program_remove_tree(const char *path);

#endif
