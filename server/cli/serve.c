/*
 * serve.c - `judgebox serve`: flags and config, the startup checks, and the
 * server's lifetime.  Startup opens the sandbox context (is the cgroup
 * backend usable?), loads the languages and checks their images, takes one
 * sandbox slot per worker, and starts listening; any failure is one line
 * on stderr and exit status 1.  Then it waits for SIGINT/SIGTERM, stops
 * accepting, lets running requests finish and releases everything.
 */
#include <errno.h>
#include <malloc.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "dispatch.h"
#include "http.h"
#include "session.h"
#include "judge.h"
#include "judge0.h"
#include "langs.h"
#include "log.h"
#include "ops.h"
#include "queue.h"
#include "sandbox.h"
#include "store.h"

static void usage(FILE *out)
{
    fputs("usage: judgebox serve [--listen HOST:PORT] [--slots N] [--queue N] [--config FILE]\n"
          "                      [--images DIR] [--langs DIR] [--store URL] [--state-dir DIR]\n"
          "                      [--result-ttl SECONDS] [--claim-timeout SECONDS]\n"
          "                      [--interactive-slots N]\n"
          "  --listen HOST:PORT  address to serve on (default 127.0.0.1:8080; port 0 = any)\n"
          "  --slots N           runs at once, one sandbox slot each (default: number of CPUs, at most 64)\n"
          "  --queue N           requests that may wait for a slot before 503 (default 64)\n"
          "  --config FILE       JSON settings (limits, request bounds); flags override it\n"
          "  --images DIR        rootfs images (default $JUDGEBOX_IMAGES or /var/lib/judgebox/images)\n"
          "  --langs DIR         language files (default <binary dir>/../langs, else\n"
          "                      /usr/share/judgebox/langs)\n"
          "  --store URL         job store of asynchronous runs: sqlite:PATH (default\n"
          "                      sqlite:<state dir>/jobs.db) or redis://HOST:PORT[/DB]\n"
          "  --state-dir DIR     the server's durable state: the job store, stored problems,\n"
          "                      compiled judge programs (default /var/lib/judgebox)\n"
          "  --result-ttl S      finished asynchronous runs are kept this long (default 86400)\n"
          "  --claim-timeout S   redis: a job whose server went silent is taken over after\n"
          "                      this (default 30)\n"
          "  --interactive-slots N  workers for interactive tests, two slots each (default 1; 0 = none)\n"
          "  --run-dir DIR       sandbox runtime state: slot locks, net namespaces, workspaces\n"
          "                      (default /run/judgebox)\n"
          "  --cgroup-parent NAME  cgroup under which the slots live (default judgebox)\n"
          "  --uid-base N        host uids of slot N are N+2*slot and N+2*slot+1 (default 3000000)\n"
          "                      (two servers on one machine: each its own run dir, state dir, parent, uids)\n"
          "  --pin-cpus          each slot on one CPU of its own (cpuset, v1 and v2): stable CPU times\n"
          "  --no-playground     no playground page at GET / (404; config \"playground\": false)\n",
          out);
    fputs(ops_usage, out);
    fputs("API: POST /v1/run, GET /v1/languages, GET /v1/health, GET /v1/limits, GET /metrics,\n"
          "     /v1/problems (POST, GET, DELETE),\n"
          "     GET /v1/openapi.json, GET / (the playground page) (docs/api.md, docs/operations.md)\n",
          out);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}


static int parse_unsigned(const char *flag, const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
        fprintf(stderr, "judgebox serve: %s %s: want a number from %u to %u\n", flag, s, lo, hi);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

/* Warnings of startup, printed only once startup has succeeded: a server
 * that refuses to start says one line. */
typedef struct warnings {
    char **items;
    size_t count;
} warnings;

static void warn_later(void *ctx, const char *message)
{
    warnings *w = ctx;
    char **items = realloc(w->items, (w->count + 1) * sizeof *items);
    if (!items)
        return;
    w->items = items;
    if ((w->items[w->count] = strdup(message)))
        w->count++;
}

static void warnings_flush(warnings *w, bool print)
{
    for (size_t i = 0; i < w->count; i++) {
        if (print)
            log_message("warning", "%s; leaving it out", w->items[i]);
        free(w->items[i]);
    }
    free(w->items);
    w->items = NULL;
    w->count = 0;
}

/* The pool's figures for /metrics, read at scrape time. */
static void pool_gauges(void *ctx, metrics_gauges *g)
{
    pool_stats st;
    pool_get_stats(ctx, &st);
    g->slots = st.workers;
    g->busy = st.busy;
    g->queued = st.queued;
    g->queue_capacity = st.queue_max;
    g->runs_waiting = st.waiting_tasks;
}

static int fatal(const char *msg)
{
    fprintf(stderr, "judgebox serve: %s\n", msg);
    return 1;
}

int command_serve(int argc, char **argv)
{
    const char *listen = NULL, *config_file = NULL, *images = NULL, *langs_dir = NULL;
    const char *slots_arg = NULL, *queue_arg = NULL, *islots_arg = NULL;
    const char *store_url_arg = NULL, *state_dir = NULL, *ttl_arg = NULL, *claim_arg = NULL;
    const char *run_dir = NULL, *cgroup_parent = NULL, *uid_base_arg = NULL;
    bool pin_cpus = false, no_playground = false;
    ops_options ops_opt;
    ops_options_default(&ops_opt);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool used_value = false;
        char why[300];
        int ours = ops_option(&ops_opt, a, i + 1 < argc ? argv[i + 1] : NULL, &used_value, why, sizeof why);
        if (ours < 0) {
            fprintf(stderr, "judgebox serve: %s\n", why);
            return 2;
        }
        if (ours > 0) {
            i += used_value;
            continue;
        }
        if (strcmp(a, "--pin-cpus") == 0) {
            pin_cpus = true;
            continue;
        }
        if (strcmp(a, "--no-playground") == 0) {
            no_playground = true;
            continue;
        }
        const char **dst = strcmp(a, "--listen") == 0   ? &listen
                         : strcmp(a, "--config") == 0   ? &config_file
                         : strcmp(a, "--images") == 0   ? &images
                         : strcmp(a, "--langs") == 0    ? &langs_dir
                         : strcmp(a, "--slots") == 0    ? &slots_arg
                         : strcmp(a, "--queue") == 0    ? &queue_arg
                         : strcmp(a, "--store") == 0    ? &store_url_arg
                         : strcmp(a, "--state-dir") == 0 ? &state_dir
                         : strcmp(a, "--result-ttl") == 0 ? &ttl_arg
                         : strcmp(a, "--claim-timeout") == 0 ? &claim_arg
                         : strcmp(a, "--run-dir") == 0  ? &run_dir
                         : strcmp(a, "--cgroup-parent") == 0 ? &cgroup_parent
                         : strcmp(a, "--uid-base") == 0 ? &uid_base_arg
                         : strcmp(a, "--interactive-slots") == 0 ? &islots_arg : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (!dst) {
            fprintf(stderr, "judgebox serve: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "judgebox serve: %s needs a value\n", a);
            return 2;
        }
        *dst = argv[++i];
    }

    char error[1024];
    server_config config;
    config_defaults(&config);
    int status = 1;
    sandbox_context *ctx = NULL;
    language_table langs = {0};
    pool *workers = NULL, *interact = NULL;
    http_server *server = NULL;
    live_sessions *live = NULL;
    store *jobs = NULL;
    dispatcher *jobs_dispatcher = NULL;
    unsigned result_ttl = 0, claim_timeout = 0;
    ops *ops_state = NULL;
    warnings startup_warnings = {0};

    if (!config.listen) {
        status = fatal("out of memory");
        goto out;
    }
    if (config_file && config_load_file(&config, config_file, error, sizeof error) < 0) {
        status = fatal(error);
        goto out;
    }
    if ((slots_arg && parse_unsigned("--slots", slots_arg, 1, CONFIG_MAX_SLOTS, &config.slots) < 0) ||
        (queue_arg && parse_unsigned("--queue", queue_arg, 0, CONFIG_MAX_QUEUE, &config.queue) < 0) ||
        (ttl_arg && parse_unsigned("--result-ttl", ttl_arg, 1, 365u * 86400, &result_ttl) < 0) ||
        (claim_arg && parse_unsigned("--claim-timeout", claim_arg, 1, 86400, &claim_timeout) < 0) ||
        (islots_arg && parse_unsigned("--interactive-slots", islots_arg, 0, CONFIG_MAX_SLOTS,
                                      &config.interactive_slots) < 0)) {
        status = 2;
        goto out;
    }
    if (no_playground)
        config.playground = false;
    if (listen && config_set_string(&config.listen, listen) < 0) {
        status = fatal("out of memory");
        goto out;
    }
    const char *env_images = getenv("JUDGEBOX_IMAGES");
    if (images) {
        if (config_set_string(&config.images_dir, images) < 0)
            goto oom;
    } else if (!config.images_dir) {
        if (config_set_string(&config.images_dir, env_images && *env_images
                                                      ? env_images : "/var/lib/judgebox/images") < 0)
            goto oom;
    }
    if (langs_dir) {
        if (config_set_string(&config.langs_dir, langs_dir) < 0)
            goto oom;
    } else if (!config.langs_dir && !(config.langs_dir = langs_default_dir())) {
        goto oom;
    }
    if (state_dir && config_set_string(&config.state_dir, state_dir) < 0)
        goto oom;
    if (config.slots + 2 * config.interactive_slots > CONFIG_MAX_SLOTS) {
        snprintf(error, sizeof error,
                 "--slots %u and --interactive-slots %u need %u sandbox slots, more than the %u there are",
                 config.slots, config.interactive_slots, config.slots + 2 * config.interactive_slots,
                 CONFIG_MAX_SLOTS);
        status = fatal(error);
        goto out;
    }
    if (config_check(&config, error, sizeof error) < 0) {
        status = fatal(error);
        goto out;
    }
    if (!is_dir(config.images_dir)) {
        snprintf(error, sizeof error,
                 "images directory %s does not exist (build the default image with "
                 "`make default-image`, or pass --images DIR / set JUDGEBOX_IMAGES)",
                 config.images_dir);
        status = fatal(error);
        goto out;
    }
    /* The state directory holds problems that outlive the server. */
    if ((mkdir(config.state_dir, 0755) < 0 && errno != EEXIST) || !is_dir(config.state_dir)) {
        snprintf(error, sizeof error, "state directory %s: %s", config.state_dir,
                 errno ? strerror(errno) : "not a directory");
        status = fatal(error);
        goto out;
    }
    /* The core wants absolute paths; resolve relative ones once. */
    char **dirs[] = {&config.images_dir, &config.langs_dir, &config.state_dir};
    const char *dir_names[] = {"images", "languages", "state"};
    for (size_t i = 0; i < 3; i++) {
        char *real = realpath(*dirs[i], NULL);
        if (!real) {
            snprintf(error, sizeof error, "%s directory %s: %s", dir_names[i], *dirs[i],
                     strerror(errno));
            status = fatal(error);
            goto out;
        }
        free(*dirs[i]);
        *dirs[i] = real;
    }
    if (config_finish(&config) < 0)
        goto oom;

    /* Signals are taken by sigwait below; block them before any thread
     * starts so every thread inherits the mask. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    int err = pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    if (err) {
        snprintf(error, sizeof error, "block signals: %s", strerror(err));
        status = fatal(error);
        goto out;
    }
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        snprintf(error, sizeof error, "ignore SIGPIPE: %s", strerror(errno));
        status = fatal(error);
        goto out;
    }

    /* Bound the heap before any thread starts: glibc gives each thread
     * that contends for malloc an arena of its own (up to 8 per core), and
     * memory freed in an arena stays mapped; with ~100 threads (executors,
     * workers, HTTP) RSS grew under load and never came back.  Two arenas
     * cost nothing measurable here (docs/reliability.md); the HTTP reaper
     * also calls malloc_trim when the server goes idle. */
    (void)mallopt(M_ARENA_MAX, 2);   /* refused under ASan, which has its own allocator */
    if (langs_load(config.langs_dir, config.images_dir, &config, warn_later, &startup_warnings,
                   &langs, error, sizeof error) < 0) {
        status = fatal(error);
        goto out;
    }
    sandbox_config sc = {.state_dir = run_dir, .cgroup_parent = cgroup_parent, .pin_cpus = pin_cpus, .helpers = true,
                         .attach = config.attach_enabled};
    if (uid_base_arg) {
        unsigned uid_base;
        if (parse_unsigned("--uid-base", uid_base_arg, 1000, 4000000000u, &uid_base) < 0) {
            status = 2;
            goto out;
        }
        sc.uid_base = (uid_t)uid_base;
    }
    if (run_dir && run_dir[0] != '/') {
        status = fatal("--run-dir must be an absolute path");
        goto out;
    }
    /* The page's files hold no data: open while the playground is on;
     * every API call the page makes needs a token as any other. */
    if (config.playground)
        ops_opt.open_mask |= AUTH_OPEN_PLAYGROUND;
    if (ops_open(&ops_opt, config.listen, &langs, &ops_state, error, sizeof error) < 0) {
        status = fatal(error);
        goto out;
    }
    sandbox_error serr = {0};
    if (sandbox_context_open(&sc, &ctx, &serr) < 0) {
        snprintf(error, sizeof error, "sandbox unusable: %s", serr.message);
        status = fatal(error);
        goto out;
    }
    if (pool_create(config.slots, config.queue, executors_for(&config), judge_worker_init,
                    judge_worker_fini, ctx, &workers, error, sizeof error) < 0) {
        status = fatal(error);
        goto out;
    }
    /* The job store before listening: a store that cannot take writes is
     * a start-up error, never a lost submission later. */
    store_options so = {.url = store_url_arg, .state_dir = config.state_dir, .result_ttl_s = result_ttl,
                        .claim_timeout_s = claim_timeout};
    if (store_open(&so, &jobs, error, sizeof error) < 0) {
        status = fatal(error);
        goto out;
    }
    static const store_origin *const origins[] = {&store_origin_v1, &judge0_store_origin};
    dispatcher_options dopt = {
        .store = jobs, .config = &config, .langs = &langs, .context = ctx, .pool = workers,
        .origins = origins, .norigins = sizeof origins / sizeof origins[0],
    };
    if (dispatcher_start(&dopt, &jobs_dispatcher, error, sizeof error) < 0) {
        status = fatal(error);
        goto out;
    }
    /* Interactive tests: workers holding two slots and a helper thread
     * each, made now like every other thread. */
    if (config.interactive_slots > 0) {
        if (pool_create(config.interactive_slots, CONFIG_MAX_QUEUE, 0, judge_pair_init,
                        judge_pair_fini, ctx, &interact, error, sizeof error) < 0) {
            status = fatal(error);
            goto out;
        }
        judge_set_interact_pool(interact);
    }
    app a = {
        .store = jobs,
        .dispatcher = jobs_dispatcher,
        .config = &config,
        .langs = &langs,
        .context = ctx,
        .cgroup_version = sandbox_context_cgroup_version(ctx),
        .pool = workers,
        .ops = ops_state,
    };
    metrics_set_gauges(pool_gauges, workers);
    clock_gettime(CLOCK_MONOTONIC, &a.started);
    /* WebSocket sessions' threads, made now like every other thread. */
    if (live_sessions_start(&a, config.slots, &live, error, sizeof error) < 0) {
        status = fatal(error);
        goto out;
    }
    a.live = live;
    unsigned port = 0;
    if (http_start(&a, &server, &port, error, sizeof error) < 0) {
        status = fatal(error);
        goto out;
    }
    json_t *ready = json_object();
    if (ready) {
        char url[300];
        const char *colon = strrchr(config.listen, ':');
        snprintf(url, sizeof url, "http://%.*s:%u", (int)(colon - config.listen), config.listen, port);
        json_object_set_new(ready, "msg", json_string("listening"));
        json_object_set_new(ready, "url", json_string(url));
        json_object_set_new(ready, "port", json_integer(port));
        json_object_set_new(ready, "slots", json_integer(config.slots));
        json_object_set_new(ready, "queue", json_integer(config.queue));
        json_object_set_new(ready, "cgroup_version", json_integer(a.cgroup_version));
        json_object_set_new(ready, "languages", json_integer((json_int_t)langs.count));
        json_object_set_new(ready, "images", json_string(config.images_dir));
        json_object_set_new(ready, "langs", json_string(config.langs_dir));
        json_object_set_new(ready, "store", json_string(store_url(jobs)));
    }
    log_json("info", ready);
    warnings_flush(&startup_warnings, true);

    int sig = 0;
    while ((err = sigwait(&stop_signals, &sig)) == EINTR)
        ;
    log_message("info", "stopping on %s", err ? "a sigwait error" : sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = 0;
    goto out;
oom:
    status = fatal("out of memory");
out:
    live_sessions_stop(live);    /* ends sessions: libmicrohttpd must hold no upgraded socket */
    http_stop(server);           /* waits for requests in flight */
    dispatcher_stop(jobs_dispatcher); /* lets the jobs being judged finish */
    store_close(jobs);
    pool_destroy(workers);       /* releases the slots */
    judge_set_interact_pool(NULL);
    pool_destroy(interact);
    if (ctx)
        sandbox_context_close(ctx);
    warnings_flush(&startup_warnings, false);
    ops_close(ops_state);        /* after the server: handlers observe metrics */
    langs_free(&langs);
    config_free(&config);
    return status;
}
