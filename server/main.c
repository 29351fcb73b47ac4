/*
 * main.c - the judgebox binary's entry: picks the subcommand and returns
 * its exit code.  The only place (with the commands it calls) that decides
 * the process exits.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static void print_usage(FILE *out)
{
    fputs("usage: judgebox COMMAND [OPTIONS]\n"
          "commands:\n"
          "  run [--rootfs DIR] [--cpu-ms N] [--wall-ms N] [--memory-kb N] [--pids N]\n"
          "      [--output-bytes N] [--disk-kb N] [--result FILE] -- CMD [ARGS...]\n"
          "                 run one command in a fresh sandbox\n"
          "  serve [--listen HOST:PORT] [--slots N] [--queue N] [--config FILE]\n"
          "                 serve the HTTP API\n"
          "  judge PROBLEM_DIR FILE [--language ID] | PROBLEM_DIR --all\n"
          "                 judge a submission against a problem package directory\n"
          "  cleanup        remove judgebox's idle cgroups, net namespaces and state\n"
          "  attach RUN_ID|--slot N [-- CMD...] | attach --list\n"
          "                 run a command (default: a shell) inside a live run, to debug it (root, opt-in)\n"
          "  image import NAME SOURCE | image list | image rm NAME\n"
          "                 import an OCI layout or docker tarball as a rootfs image, list, remove\n"
          "run 'judgebox COMMAND --help' for a command's options\n", out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *command = argv[1];
    if (strcmp(command, "run") == 0)
        return command_run(argc - 1, argv + 1);
    if (strcmp(command, "serve") == 0)
        return command_serve(argc - 1, argv + 1);
    if (strcmp(command, "judge") == 0)
        return command_judge(argc - 1, argv + 1);
    if (strcmp(command, "cleanup") == 0)
        return command_cleanup(argc - 1, argv + 1);
    if (strcmp(command, "attach") == 0)
        return command_attach(argc - 1, argv + 1);
    if (strcmp(command, "image") == 0)
        return command_image(argc - 1, argv + 1);
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 || strcmp(command, "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    fprintf(stderr, "judgebox: unknown command '%s'\n", command);
    print_usage(stderr);
    return 2;
}
