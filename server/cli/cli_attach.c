/*
 * cli_attach.c - `judgebox attach`: a command (default: the image's
 * /bin/sh) inside a live run, to look at a stuck program; `--list` shows
 * the live runs.  This file parses flags, checks that the caller is root
 * and that the config enables attaching, logs every attempt, and calls
 * the door (sandbox_run_find, sandbox_attach); the kernel work is the
 * core's (sandbox/attach.c).  Every attach, refused ones too, is one JSON
 * line (the server's log format) on stderr, appended to the attach log
 * (<run-dir>/attach.log or the config's attach.log) and sent to syslog
 * (LOG_AUTHPRIV); an attach whose log line cannot be written to the file
 * is refused.  Exit status: the command's exit code, 128+N when a signal
 * N ended it (the run ending kills it: 137), 125 when refused or failed.
 * See docs/attach.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "log.h"
#include "sandbox.h"

#define EXIT_REFUSED 125

typedef struct attach_options {
    const char *run_id;
    int slot;
    bool list;
    const char *config_file, *run_dir, *cgroup_parent;
    char *const *argv;          /* after "--"; NULL = the default shell */
} attach_options;

static void usage(FILE *out)
{
    fputs("usage: judgebox attach [OPTIONS] RUN_ID [-- CMD [ARGS...]]\n"
          "       judgebox attach [OPTIONS] --slot N [-- CMD [ARGS...]]\n"
          "       judgebox attach [OPTIONS] --list\n"
          "Run CMD (default /bin/sh of the run's image) inside a live run: its namespaces, cgroups,\n"
          "root and working directory, as its uid 1000 with no capabilities and its seccomp filter.\n"
          "Root only; off unless the config says \"attach\": {\"enabled\": true}.  Every attach is logged.\n"
          "options:\n"
          "  --config FILE         the server's JSON config (default $JUDGEBOX_CONFIG, else " CONFIG_DEFAULT_FILE ")\n"
          "  --run-dir DIR         the sandbox state directory the server uses (default /run/judgebox)\n"
          "  --cgroup-parent NAME  as given to the server (default judgebox)\n"
          "  --slot N              the run in slot N instead of a RUN_ID\n"
          "  --list                the live runs: RUN_ID SLOT INIT_PID UID AGE_S SUPERVISOR_PID\n",
          out);
}

static int parse(int argc, char **argv, attach_options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "judgebox attach: no command after --\n");
                return -1;
            }
            o->argv = argv + i + 1;
            break;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--list") == 0) {
            o->list = true;
            continue;
        }
        const char **value = strcmp(a, "--config") == 0          ? &o->config_file
                             : strcmp(a, "--run-dir") == 0       ? &o->run_dir
                             : strcmp(a, "--cgroup-parent") == 0 ? &o->cgroup_parent : NULL;
        if (value || strcmp(a, "--slot") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "judgebox attach: %s needs a value\n", a);
                return -1;
            }
            const char *v = argv[++i];
            if (value) {
                *value = v;
                continue;
            }
            char *end;
            errno = 0;
            long slot = strtol(v, &end, 10);
            if (errno || end == v || *end || slot < 0 || slot > 100000) {
                fprintf(stderr, "judgebox attach: --slot wants a slot number, not '%s'\n", v);
                return -1;
            }
            o->slot = (int)slot;
            continue;
        }
        if (a[0] == '-' || o->run_id) {
            fprintf(stderr, "judgebox attach: unexpected argument '%s' (see --help)\n", a);
            return -1;
        }
        o->run_id = a;
    }
    int selectors = (o->run_id != NULL) + (o->slot >= 0) + o->list;
    if (selectors != 1) {
        fprintf(stderr, "judgebox attach: give exactly one of RUN_ID, --slot N, --list (see --help)\n");
        return -1;
    }
    if (o->list && o->argv) {
        fprintf(stderr, "judgebox attach: --list takes no command\n");
        return -1;
    }
    if (o->run_dir && o->run_dir[0] != '/') {
        fprintf(stderr, "judgebox attach: --run-dir must be an absolute path\n");
        return -1;
    }
    return 0;
}

/* The live runs' records.  With attaching off in the config read, a judgebox
 * started with that config records no runs (sandbox_config.attach): say so,
 * so that an empty list is not taken for "nothing runs". */
static int list_runs(const sandbox_config *config, const server_config *settings, const char *source)
{
    if (!settings->attach_enabled)
        fprintf(stderr,
                "judgebox attach: attaching is off in %s: runs started with that config are not recorded "
                "(only runs of a judgebox whose config enables it are listed)\n",
                source ? source : "the defaults (no --config, $JUDGEBOX_CONFIG nor " CONFIG_DEFAULT_FILE ")");
    sandbox_run_info *runs = NULL;
    size_t count = 0;
    sandbox_error error = {0};
    if (sandbox_runs_list(config, &runs, &count, &error) < 0) {
        fprintf(stderr, "judgebox attach: %s\n", error.message);
        return EXIT_REFUSED;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t now_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
    printf("%-40s %5s %8s %10s %7s %14s\n", "RUN_ID", "SLOT", "INIT_PID", "UID", "AGE_S", "SUPERVISOR_PID");
    for (size_t i = 0; i < count; i++) {
        const sandbox_run_info *r = &runs[i];
        uint64_t age = now_ms > r->started_ms ? (now_ms - r->started_ms) / 1000 : 0;
        printf("%-40s %5d %8d %10u %7llu %14d\n", r->run_id, r->slot, (int)r->init_pid, (unsigned)r->uid,
               (unsigned long long)age, (int)r->supervisor_pid);
    }
    free(runs);
    return 0;
}

/* The config's word on attaching: enabled or not, and the log's path. */
static int read_config(const attach_options *o, server_config *config, const char **source)
{
    char error[512];
    if (config_load_cli(config, o->config_file, source, error, sizeof error) < 0) {
        fprintf(stderr, "judgebox attach: %s\n", error);
        return -1;
    }
    return 0;
}

/* Who asked: the uid, and the login uid and sudo user behind a sudo. */
static json_t *who(void)
{
    json_t *fields = json_pack("{s:s, s:I}", "event", "attach", "uid", (json_int_t)getuid());
    char text[32] = "";
    int fd = open("/proc/self/loginuid", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t got = read(fd, text, sizeof text - 1);
        close(fd);
        text[got > 0 ? got : 0] = '\0';
        long loginuid = strtol(text, NULL, 10);
        if (got > 0 && loginuid >= 0 && loginuid != 4294967295L)
            json_object_set_new(fields, "loginuid", json_integer(loginuid));
    }
    const char *sudo_user = getenv("SUDO_USER");
    if (sudo_user && sudo_user[0])
        json_object_set_new(fields, "sudo_user", json_string(sudo_user));
    return fields;
}

static json_t *command_json(char *const *argv)
{
    json_t *command = json_array();
    if (!argv)
        json_array_append_new(command, json_string("/bin/sh"));
    for (size_t i = 0; argv && argv[i]; i++) {
        json_t *word = json_string(argv[i]);
        json_array_append_new(command, word ? word : json_string("(not UTF-8)"));
    }
    return command;
}

/* One line to stderr, the attach log and syslog; -1 when the file did not take it. */
static int log_attach(int log_fd, const char *level, json_t *fields)
{
    char *text = json_dumps(fields, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text) {
        syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", text);
        free(text);
    }
    int rc = log_fd >= 0 ? log_json_fd(log_fd, level, json_deep_copy(fields)) : -1;
    log_json(level, fields);
    return rc;
}

static int refuse(int log_fd, json_t *fields, const char *reason)
{
    fprintf(stderr, "judgebox attach: %s\n", reason);
    json_object_set_new(fields, "refused", json_string(reason));
    log_attach(log_fd, "warn", fields);
    return EXIT_REFUSED;
}

static int exit_status(const sandbox_attach_result *result)
{
    if (WIFEXITED(result->wait_status))
        return WEXITSTATUS(result->wait_status);
    if (WIFSIGNALED(result->wait_status))
        return 128 + WTERMSIG(result->wait_status);
    return EXIT_REFUSED;
}

static int attach(const attach_options *o, const sandbox_config *sconfig, const server_config *config, int log_fd,
                  json_t *fields)
{
    sandbox_error error = {0};
    if (!config->attach_enabled)
        return refuse(log_fd, fields, "attaching is off: enable it with \"attach\": {\"enabled\": true} in the "
                                      "config (--config FILE)");
    sandbox_run_info run;
    if (sandbox_run_find(sconfig, o->run_id, o->slot, &run, &error) < 0)
        return refuse(log_fd, fields, error.message);
    json_object_set_new(fields, "run_id", json_string(run.run_id));
    json_object_set_new(fields, "slot", json_integer(run.slot));
    json_object_set_new(fields, "init_pid", json_integer(run.init_pid));
    sandbox_context *context = NULL;
    if (sandbox_context_open(sconfig, &context, &error) < 0)
        return refuse(log_fd, fields, error.message);
    if (log_attach(log_fd, "info", json_deep_copy(fields)) < 0) {
        sandbox_context_close(context);
        return refuse(-1, fields, "the attach log cannot be written: not attaching unlogged");
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    sandbox_attach_result result;
    int rc = sandbox_attach(context, &run, (const char *const *)o->argv, &result, &error);
    sandbox_context_close(context);
    clock_gettime(CLOCK_MONOTONIC, &end);
    json_object_set_new(fields, "event", json_string("attach_end"));
    json_object_set_new(fields, "duration_ms", json_integer((end.tv_sec - start.tv_sec) * 1000 +
                                                            (end.tv_nsec - start.tv_nsec) / 1000000));
    if (rc < 0) {
        fprintf(stderr, "judgebox attach: %s\n", error.message);
        json_object_set_new(fields, "error", json_string(error.message));
        log_attach(log_fd, "error", fields);
        return EXIT_REFUSED;
    }
    if (WIFEXITED(result.wait_status))
        json_object_set_new(fields, "exit_code", json_integer(WEXITSTATUS(result.wait_status)));
    else if (WIFSIGNALED(result.wait_status))
        json_object_set_new(fields, "signal", json_integer(WTERMSIG(result.wait_status)));
    json_object_set_new(fields, "run_ended", json_boolean(result.run_ended));
    if (result.forbidden_syscall[0])
        json_object_set_new(fields, "forbidden_syscall", json_string(result.forbidden_syscall));
    if (result.run_ended)
        fprintf(stderr, "judgebox attach: run %s ended; the attached command ended with it\n", run.run_id);
    log_attach(log_fd, "info", fields);
    return exit_status(&result);
}

int command_attach(int argc, char **argv)
{
    attach_options o = {.slot = -1};
    if (parse(argc, argv, &o) < 0)
        return 2;
    if (getuid() != 0 || geteuid() != 0) {
        fprintf(stderr, "judgebox attach: only root may attach to a run or list runs (uid %u)\n",
                (unsigned)getuid());
        return EXIT_REFUSED;
    }
    sandbox_config sconfig = {.state_dir = o.run_dir, .cgroup_parent = o.cgroup_parent};
    server_config config;
    const char *config_source = NULL;
    if (read_config(&o, &config, &config_source) < 0) {
        config_free(&config);
        return EXIT_REFUSED;
    }
    if (o.list) {
        int listed = list_runs(&sconfig, &config, config_source);
        config_free(&config);
        return listed;
    }
    openlog("judgebox-attach", LOG_PID, LOG_AUTHPRIV);
    char default_log[4096];
    snprintf(default_log, sizeof default_log, "%s/attach.log", o.run_dir ? o.run_dir : "/run/judgebox");
    const char *log_path = config.attach_log ? config.attach_log : default_log;
    int log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    json_t *fields = who();
    if (o.run_id)
        json_object_set_new(fields, "run_id", json_string(o.run_id));
    else
        json_object_set_new(fields, "slot", json_integer(o.slot));
    json_object_set_new(fields, "command", command_json(o.argv));
    if (config_source)
        json_object_set_new(fields, "config", json_string(config_source));
    int status;
    if (log_fd < 0) {
        char reason[4200];
        snprintf(reason, sizeof reason, "open the attach log %s: %s: not attaching unlogged", log_path,
                 strerror(errno));
        status = refuse(-1, fields, reason);
    } else {
        status = attach(&o, &sconfig, &config, log_fd, fields);
        close(log_fd);
    }
    closelog();
    config_free(&config);
    return status;
}
