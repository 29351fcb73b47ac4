/*
 * command_lines.h - a request's command lines: the language file's compile,
 * check and run templates with their placeholders filled in for one job
 * ({source_file}, {sources}, {options}, {main_class}), and the name the
 * main source file is saved under (a JVM class name, an ES module's .mjs).
 * Pure text work on the job's sources; no sandbox, no files.
 */
#ifndef JUDGEBOX_COMMAND_LINES_H
#define JUDGEBOX_COMMAND_LINES_H

#include <stddef.h>

#include "judge.h"

typedef struct job_commands {
    char *main_file;   /* what files[0] is saved as in /box */
    char *main_class;  /* "pkg.Main" for JVM languages, else NULL */
    char **compile;    /* compile or syntax-check argv, NULL-terminated; NULL = no step */
    char **run;        /* run argv without the test's args, NULL-terminated */
} job_commands;

/* Fill `out` for `job`.  -1 with `error` only when memory runs out. */
int commands_build(const job_request *job, job_commands *out, char *error, size_t error_size);
void commands_free(job_commands *commands);

/* The JVM main-class detector, exposed for unit tests: from a Java or
 * Scala source (kind as in langs.h), the package ("" when none), the class
 * holding main, and for Java the public class the file must be named
 * after ("" when none).  0 when a main was found, -1 otherwise. */
int commands_find_main_class(main_class_kind kind, const char *source, size_t len,
                             char *package, size_t package_size, char *main_class,
                             size_t main_size, char *public_class, size_t public_size);

#endif
