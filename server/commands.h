/*
 * commands.h - the subcommands of the judgebox binary.  main.c dispatches
 * on argv[1]; each command parses its own flags and returns an exit code.
 */
#ifndef JUDGEBOX_COMMANDS_H
#define JUDGEBOX_COMMANDS_H

int command_run(int argc, char **argv);      /* judgebox run [flags] -- CMD ... (cli_run.c) */
int command_serve(int argc, char **argv);    /* judgebox serve [flags]          (serve.c)   */
int command_cleanup(int argc, char **argv);  /* judgebox cleanup                (cli_run.c) */
int command_image(int argc, char **argv);    /* judgebox image import|list|rm   (cli_image.c) */
int command_judge(int argc, char **argv);    /* judgebox judge PROBLEM_DIR ...  (cli_judge.c) */
int command_attach(int argc, char **argv);   /* judgebox attach RUN_ID|--slot N|--list (cli_attach.c) */

#endif
