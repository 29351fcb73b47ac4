/*
 * cli_run.c - `judgebox run` and `judgebox cleanup`: flags to a sandbox
 * spec, one run in the first free slot, stdin passed through, stdout and
 * stderr forwarded (capped), and the result as JSON to --result FILE or a
 * one-line summary on stderr.  Exit status: the program's exit code,
 * 128+N when killed by signal N, 124 when a limit or forbidden syscall
 * ended it, 125 when judgebox itself failed or a flag was bad.  The JSON
 * config (--config, $JUDGEBOX_CONFIG or /etc/judgebox/config.json, as for
 * `judgebox attach`) is read for one setting: attach.enabled, which makes
 * the run findable by `judgebox attach` (its record, sandbox/runs.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "netpolicy.h"
#include "sandbox.h"

#define EXIT_LIMIT 124
#define EXIT_JUDGEBOX 125
#define MAX_ENV 64

typedef struct cli_options {
    sandbox_spec spec;
    const char *result_path;
    const char *config_file;
    const char *env[MAX_ENV + 1];
    size_t env_count;
    int slot;
    sandbox_config config;
    char default_rootfs[4096];
    bool networked;
    sandbox_network network;
    sandbox_net_rule net_rules[NET_MAX_RULES];
} cli_options;

typedef struct numeric_flag {
    const char *name;
    uint64_t minimum, maximum;
    size_t offset;
} numeric_flag;

#define LIMIT(field) offsetof(sandbox_limits, field)
static const numeric_flag numeric_flags[] = {
    {"cpu-ms", 1, 24 * 3600 * 1000ull, LIMIT(cpu_ms)},
    {"wall-ms", 1, 24 * 3600 * 1000ull, LIMIT(wall_ms)},
    {"memory-kb", 1024, 64ull * 1024 * 1024, LIMIT(memory_kb)},
    {"pids", 1, 65536, LIMIT(pids)},
    {"output-bytes", 1, 1ull << 32, LIMIT(output_bytes)},
    {"disk-kb", 64, 64ull * 1024 * 1024, LIMIT(disk_kb)},
    {"file-size-kb", 1, 64ull * 1024 * 1024, LIMIT(file_size_kb)},
    {"open-files", 8, 1 << 20, LIMIT(open_files)},
    {"stack-kb", 16, 64ull * 1024 * 1024, LIMIT(stack_kb)},
};
#define NUMERIC_COUNT (sizeof numeric_flags / sizeof numeric_flags[0])

enum { OPT_ROOTFS = 1000, OPT_RESULT, OPT_BOX, OPT_BOX_RW, OPT_ENV, OPT_WORKDIR, OPT_SLOT, OPT_UID_BASE, OPT_PIN_CPUS, OPT_HELP, OPT_RUN_ID, OPT_CONFIG,
       OPT_NET_ALLOW, OPT_NET_MAX_BYTES, OPT_NET_SUBNET, OPT_NET_NO_MASQUERADE, OPT_NUMERIC };

static void usage(FILE *out)
{
    fputs("usage: judgebox run [OPTIONS] -- CMD [ARGS...]\n"
          "  --rootfs DIR        lower layer of / (default: $JUDGEBOX_IMAGES/default/rootfs,\n"
          "                      JUDGEBOX_IMAGES defaults to /var/lib/judgebox/images)\n"
          "  --cpu-ms N          CPU time of all processes and threads (default 2000)\n"
          "  --wall-ms N         wall time (default 5000)\n"
          "  --memory-kb N       memory, swap off (default 262144)\n"
          "  --pids N            processes and threads (default 64)\n"
          "  --output-bytes N    per stream; more is cut and ends the run (default 1048576)\n"
          "  --disk-kb N         everything written, /tmp and /box included (default 65536)\n"
          "  --file-size-kb N  --open-files N  --stack-kb N\n"
          "  --box DIR           DIR at /box, copy-on-write;  --box-rw DIR: writes persist\n"
          "  --env NAME=VALUE    (repeatable; replaces the default environment)\n"
          "  --workdir DIR       inside the run (default /box)\n"
          "  --slot N            use slot N (default: the first free one)\n"
          "  --uid-base N        host uids of slot N are N+2*slot and N+2*slot+1 (default 3000000)\n"
          "  --pin-cpus          run on the slot's own CPU (cpuset; slot N gets the N-th allowed CPU)\n"
          "  --run-id ID         the run's name for `judgebox attach ID` while it lives (default slot<N>-<pid>)\n"
          "  --config FILE       the JSON config whose attach.enabled makes the run findable by `judgebox\n"
          "                      attach` (default $JUDGEBOX_CONFIG, else " CONFIG_DEFAULT_FILE "; none: not findable)\n"
          "  --result FILE       write the JSON result there (else a summary on stderr)\n"
          "  --net-allow A:PORT  network: a link of its own, out only to A:PORT (A.B.C.D[/N], PORT or\n"
          "                      LOW-HIGH; repeatable); without any --net-* flag the run has no network\n"
          "  --net-max-bytes N   network: traffic both ways over N ends the run (network_limit)\n"
          "  --net-subnet A.B.0.0  network: slot N's /30 is the N-th of A.B.0.0/16 (default 10.213.0.0)\n"
          "  --net-no-masquerade network: the host does not masquerade the run's address\n",
          out);
}

static int parse_number(const char *flag, const char *text, uint64_t minimum, uint64_t maximum, uint64_t *value)
{
    char *end;
    errno = 0;
    if (!text[0] || text[0] == '-' || text[0] == '+') {
        fprintf(stderr, "judgebox run: --%s: '%s' is not a positive integer\n", flag, text);
        return -1;
    }
    unsigned long long parsed = strtoull(text, &end, 10);
    if (errno || *end) {
        fprintf(stderr, "judgebox run: --%s: '%s' is not a positive integer\n", flag, text);
        return -1;
    }
    if (parsed < minimum || parsed > maximum) {
        fprintf(stderr, "judgebox run: --%s: %llu is outside %llu..%llu\n", flag, parsed,
                (unsigned long long)minimum, (unsigned long long)maximum);
        return -1;
    }
    *value = parsed;
    return 0;
}

static int parse_options(int argc, char **argv, cli_options *o)
{
    struct option long_options[NUMERIC_COUNT + 18];
    size_t n = 0;
    for (size_t i = 0; i < NUMERIC_COUNT; i++)
        long_options[n++] = (struct option){numeric_flags[i].name, required_argument, NULL, OPT_NUMERIC + (int)i};
    long_options[n++] = (struct option){"rootfs", required_argument, NULL, OPT_ROOTFS};
    long_options[n++] = (struct option){"result", required_argument, NULL, OPT_RESULT};
    long_options[n++] = (struct option){"box", required_argument, NULL, OPT_BOX};
    long_options[n++] = (struct option){"box-rw", required_argument, NULL, OPT_BOX_RW};
    long_options[n++] = (struct option){"env", required_argument, NULL, OPT_ENV};
    long_options[n++] = (struct option){"workdir", required_argument, NULL, OPT_WORKDIR};
    long_options[n++] = (struct option){"slot", required_argument, NULL, OPT_SLOT};
    long_options[n++] = (struct option){"uid-base", required_argument, NULL, OPT_UID_BASE};
    long_options[n++] = (struct option){"pin-cpus", no_argument, NULL, OPT_PIN_CPUS};
    long_options[n++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    long_options[n++] = (struct option){"run-id", required_argument, NULL, OPT_RUN_ID};
    long_options[n++] = (struct option){"config", required_argument, NULL, OPT_CONFIG};
    long_options[n++] = (struct option){"net-allow", required_argument, NULL, OPT_NET_ALLOW};
    long_options[n++] = (struct option){"net-max-bytes", required_argument, NULL, OPT_NET_MAX_BYTES};
    long_options[n++] = (struct option){"net-subnet", required_argument, NULL, OPT_NET_SUBNET};
    long_options[n++] = (struct option){"net-no-masquerade", no_argument, NULL, OPT_NET_NO_MASQUERADE};
    long_options[n] = (struct option){0};
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+", long_options, NULL)) != -1) {
        uint64_t value;
        switch (c) {
        case OPT_ROOTFS: o->spec.rootfs = optarg; break;
        case OPT_RESULT: o->result_path = optarg; break;
        case OPT_BOX: o->spec.box_dir = optarg; o->spec.box_mode = SANDBOX_BOX_COPY_ON_WRITE; break;
        case OPT_BOX_RW: o->spec.box_dir = optarg; o->spec.box_mode = SANDBOX_BOX_WRITABLE; break;
        case OPT_WORKDIR: o->spec.workdir = optarg; break;
        case OPT_RUN_ID: o->spec.run_id = optarg; break;
        case OPT_CONFIG: o->config_file = optarg; break;
        case OPT_ENV:
            if (!strchr(optarg, '=') || o->env_count == MAX_ENV) {
                fprintf(stderr, "judgebox run: --env: expected NAME=VALUE (at most %d)\n", MAX_ENV);
                return -1;
            }
            o->env[o->env_count++] = optarg;
            break;
        case OPT_SLOT:
            if (parse_number("slot", optarg, 0, 4095, &value) < 0)
                return -1;
            o->slot = (int)value;
            break;
        case OPT_UID_BASE:
            /* Never 0: the range must not reach host root or system users. */
            if (parse_number("uid-base", optarg, 1000, 4000000000u, &value) < 0)
                return -1;
            o->config.uid_base = (uid_t)value;
            break;
        case OPT_PIN_CPUS: o->config.pin_cpus = true; break;
        case OPT_NET_ALLOW: {
            char why[300];
            if (o->network.allow_count == NET_MAX_RULES ||
                net_rule_parse(optarg, false, o->net_rules + o->network.allow_count, 1, why, sizeof why) < 0) {
                fprintf(stderr, "judgebox run: --net-allow: %s\n",
                        o->network.allow_count == NET_MAX_RULES ? "too many" : why);
                return -1;
            }
            o->network.allow_count++;
            o->networked = true;
            break;
        }
        case OPT_NET_MAX_BYTES:
            if (parse_number("net-max-bytes", optarg, 1, UINT64_MAX / 2, &value) < 0)
                return -1;
            o->network.max_bytes = value;
            o->networked = true;
            break;
        case OPT_NET_SUBNET: {
            struct in_addr address;
            if (inet_pton(AF_INET, optarg, &address) != 1 || (ntohl(address.s_addr) & 0xffff) != 0) {
                fprintf(stderr, "judgebox run: --net-subnet: '%s' is not A.B.0.0\n", optarg);
                return -1;
            }
            o->network.subnet = address.s_addr;
            o->networked = true;
            break;
        }
        case OPT_NET_NO_MASQUERADE: o->network.no_masquerade = true; o->networked = true; break;
        case OPT_HELP: usage(stdout); exit(0);
        case '?':
            fprintf(stderr, "judgebox run: unknown or incomplete option '%s'\n", argv[optind - 1]);
            return -1;
        default: {
            const numeric_flag *flag = &numeric_flags[c - OPT_NUMERIC];
            if (parse_number(flag->name, optarg, flag->minimum, flag->maximum, &value) < 0)
                return -1;
            memcpy((char *)&o->spec.limits + flag->offset, &value, sizeof value);
        }
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "judgebox run: no command given (judgebox run [OPTIONS] -- CMD [ARGS...])\n");
        return -1;
    }
    o->spec.argv = (const char *const *)argv + optind;
    if (o->networked) {
        o->network.allow = o->net_rules;
        o->spec.network = &o->network;
    }
    return 0;
}

/* attach.enabled of the config: the only setting of it a run needs. */
static int read_attach_setting(cli_options *o)
{
    server_config settings;
    const char *source;
    char error[512];
    int rc = config_load_cli(&settings, o->config_file, &source, error, sizeof error);
    if (rc < 0)
        fprintf(stderr, "judgebox run: %s\n", error);
    else
        o->config.attach = settings.attach_enabled;
    config_free(&settings);
    return rc;
}

static int check_rootfs(const char *rootfs)
{
    struct stat info;
    if (stat(rootfs, &info) < 0) {
        fprintf(stderr, "judgebox run: rootfs %s: %s%s\n", rootfs, strerror(errno),
                errno == ENOENT ? " (build one with 'make rootfs', or pass --rootfs DIR)" : "");
        return -1;
    }
    if (!S_ISDIR(info.st_mode)) {
        fprintf(stderr, "judgebox run: rootfs %s: not a directory\n", rootfs);
        return -1;
    }
    return 0;
}

static json_t *result_json(const sandbox_result *r)
{
    char signal_name[32] = "";
    if (r->signal) {
        const char *abbrev = sigabbrev_np(r->signal);
        snprintf(signal_name, sizeof signal_name, "SIG%s", abbrev ? abbrev : "UNKNOWN");
    }
    return json_pack("{s:s, s:i, s:o, s:o, s:I, s:I, s:I, s:b, s:b, s:o, s:I}", "status", sandbox_status_name(r->status),
                     "exit_code", r->exit_code, "signal", r->signal ? json_string(signal_name) : json_null(),
                     "syscall", r->syscall[0] ? json_string(r->syscall) : json_null(), "cpu_ms",
                     (json_int_t)r->cpu_ms, "wall_ms", (json_int_t)r->wall_ms, "memory_kb", (json_int_t)r->memory_kb,
                     "stdout_truncated", r->stdout_truncated, "stderr_truncated", r->stderr_truncated, "message",
                     r->message[0] ? json_string(r->message) : json_null(), "network_bytes",
                     (json_int_t)r->network_bytes);
}

static int report(const cli_options *o, const sandbox_result *r)
{
    json_t *json = result_json(r);
    if (!json) {
        fprintf(stderr, "judgebox run: cannot build the JSON result\n");
        return -1;
    }
    int rc = 0;
    if (o->result_path) {
        if (json_dump_file(json, o->result_path, JSON_INDENT(2)) < 0) {
            fprintf(stderr, "judgebox run: write %s: %s\n", o->result_path, strerror(errno));
            rc = -1;
        }
    } else {
        char *line = json_dumps(json, JSON_COMPACT);
        fprintf(stderr, "judgebox: %s\n", line ? line : "?");
        free(line);
    }
    json_decref(json);
    return rc;
}

static int exit_status(const sandbox_result *r)
{
    switch (r->status) {
    case SANDBOX_OK: return 0;
    case SANDBOX_RUNTIME_ERROR: return r->signal ? 128 + r->signal : r->exit_code;
    case SANDBOX_INTERNAL_ERROR: return EXIT_JUDGEBOX;
    default: return EXIT_LIMIT;
    }
}

int command_run(int argc, char **argv)
{
    cli_options o = {.slot = -1, .config = {.one_run = true}};
    o.spec.stdin_fd = 0;
    o.spec.stdout_fd = 1;
    o.spec.stderr_fd = 2;
    if (parse_options(argc, argv, &o) < 0)
        return EXIT_JUDGEBOX;
    if (!o.spec.rootfs) {
        const char *images = getenv("JUDGEBOX_IMAGES");
        snprintf(o.default_rootfs, sizeof o.default_rootfs, "%s/default/rootfs",
                 images && images[0] ? images : "/var/lib/judgebox/images");
        o.spec.rootfs = o.default_rootfs;
    }
    if (check_rootfs(o.spec.rootfs) < 0 || read_attach_setting(&o) < 0)
        return EXIT_JUDGEBOX;
    if (o.env_count)
        o.spec.env = o.env;
    signal(SIGPIPE, SIG_IGN);
    sandbox_error error = {0};
    sandbox_result result;
    int rc;
    /* cgroup v1: through the slot's keeper, a process already in the
     * slot's cgroups (sandbox/keeper.c); else here, in a slot of our own. */
    if (getenv("JUDGEBOX_NO_KEEPER") || sandbox_keeper_run(&o.config, o.slot, &o.spec, &result, &error, &rc) != 0) {
        sandbox_context *context = NULL;
        sandbox_slot *slot = NULL;
        if (sandbox_context_open(&o.config, &context, &error) < 0 ||
            sandbox_slot_acquire(context, o.slot, &slot, &error) < 0) {
            fprintf(stderr, "judgebox run: %s\n", error.message);
            sandbox_context_close(context);
            return EXIT_JUDGEBOX;
        }
        rc = sandbox_run(slot, &o.spec, &result, &error);
        sandbox_slot_release(slot);
        sandbox_context_close(context);
    }
    if (rc < 0)
        fprintf(stderr, "judgebox run: %s\n", error.message);
    int status = report(&o, &result) < 0 ? EXIT_JUDGEBOX : exit_status(&result);
    sandbox_result_free(&result);
    return rc < 0 ? EXIT_JUDGEBOX : status;
}

int command_cleanup(int argc, char **argv)
{
    /* The same state as a server started with these flags (serve.c). */
    sandbox_config config = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc || (strcmp(a, "--run-dir") != 0 && strcmp(a, "--cgroup-parent") != 0 &&
                              strcmp(a, "--uid-base") != 0)) {
            fprintf(stderr, "judgebox cleanup: unexpected argument '%s' (takes --run-dir DIR, "
                            "--cgroup-parent NAME, --uid-base N)\n", a);
            return 2;
        }
        const char *v = argv[++i];
        if (strcmp(a, "--run-dir") == 0) {
            config.state_dir = v;
        } else if (strcmp(a, "--cgroup-parent") == 0) {
            config.cgroup_parent = v;
        } else {
            uint64_t uid;
            if (parse_number("uid-base", v, 1000, 4000000000u, &uid) < 0)
                return 2;
            config.uid_base = (uid_t)uid;
        }
    }
    sandbox_error error = {0};
    if (sandbox_cleanup(&config, &error) < 0) {
        fprintf(stderr, "judgebox cleanup: %s\n", error.message);
        return 1;
    }
    return 0;
}
