/*
 * cli_judge.c - `judgebox judge PROBLEM_DIR FILE [--language ID]` judges
 * one submission against a problem package directory and prints a line
 * per test and the verdict (exit 0 when accepted, 1 otherwise, 2 on bad
 * usage or a package that cannot be read).  `judgebox judge PROBLEM_DIR
 * --all` judges every file under submissions/<folder>/ with the language
 * from its extension and reports each one whose verdict differs from its
 * folder (exit 0 when none does).  The same parsing (api.c) and judging
 * (judge.c) as the server, on a pool of its own in this process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "commands.h"
#include "config.h"
#include "judge.h"
#include "langs.h"
#include "package.h"
#include "queue.h"

static void usage(FILE *out)
{
    fputs("usage: judgebox judge PROBLEM_DIR FILE [--language ID] [options]\n"
          "       judgebox judge PROBLEM_DIR --all [options]\n"
          "  --language ID     the submission's language (default: from its extension)\n"
          "  --all             judge submissions/<verdict>/* and report mismatches\n"
          "  --wall-ms N       wall limit per test (default: 3 x the time limit + 2 s)\n"
          "  --langs DIR       language files (default <binary dir>/../langs)\n"
          "  --images DIR      images (default $JUDGEBOX_IMAGES or /var/lib/judgebox/images)\n"
          "  --state-dir DIR   compiled judge programs are cached in DIR/programs\n"
          "                    (default /var/lib/judgebox)\n", out);
}

static const struct {
    const char *ext, *lang;
} extensions[] = {
    {".c", "c"}, {".cpp", "cpp"}, {".cc", "cpp"}, {".cxx", "cpp"}, {".py", "python3"},
    {".java", "java"}, {".kt", "kotlin"}, {".rs", "rust"}, {".go", "go"}, {".js", "javascript"},
    {".rb", "ruby"}, {".lua", "lua"}, {".pl", "perl"}, {".sh", "bash"}, {".hs", "haskell"},
    {".pas", "pascal"}, {".cs", "csharp"}, {".php", "php"}, {".scala", "scala"}, {".ml", "ocaml"},
};

static const char *language_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof extensions / sizeof extensions[0]; i++)
        if (strcmp(dot, extensions[i].ext) == 0)
            return extensions[i].lang;
    return NULL;
}

/* What a submissions/<folder>/ expects; NULL when the folder is not a
 * verdict judgebox knows. */
static bool folder_matches(const char *folder, const char *verdict)
{
    static const struct {
        const char *folder, *verdicts[3];
    } map[] = {
        {"accepted", {"accepted"}},
        {"wrong_answer", {"wrong_answer"}},
        {"time_limit_exceeded", {"time_limit", "wall_time_limit"}},
        {"run_time_error", {"runtime_error", "forbidden_syscall"}},
        {"memory_limit_exceeded", {"memory_limit"}},
        {"output_limit_exceeded", {"output_limit"}},
        {"compile_error", {"compile_error"}},
        {"partially_accepted", {"partially_accepted"}},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(map[i].folder, folder) != 0)
            continue;
        for (size_t k = 0; k < 3 && map[i].verdicts[k]; k++)
            if (strcmp(map[i].verdicts[k], verdict) == 0)
                return true;
        return false;
    }
    return false;
}

static char *read_source(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *data = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 65536;
            if (cap > (64u << 20)) {
                free(data);
                fclose(f);
                errno = EFBIG;
                return NULL;
            }
            char *grown = realloc(data, cap);
            if (!grown) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = grown;
        }
        size_t got = fread(data + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    data[n] = '\0';
    *len = n;
    return data;
}

typedef struct judge_env {
    server_config config;
    language_table langs;
    sandbox_context *ctx;
    pool *workers, *interact;
    problem_meta meta;
    uint64_t wall_ms;
} judge_env;

/* Judge `path`; the verdict (static string) or NULL with a message
 * printed.  verbose: a line per test. */
static const char *judge_one(judge_env *e, const char *path, const char *lang_id, bool verbose)
{
    if (!lang_id)
        lang_id = language_of(path);
    if (!lang_id || !langs_find(&e->langs, lang_id)) {
        fprintf(stderr, "judgebox judge: %s: no language %s (give --language ID)\n", path,
                lang_id ? lang_id : "for its extension");
        return NULL;
    }
    size_t len;
    char *source = read_source(path, &len);
    if (!source) {
        fprintf(stderr, "judgebox judge: read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    json_t *body = json_object();
    json_object_set_new(body, "language", json_string(lang_id));
    json_object_set_new(body, "source", json_stringn(source, len));
    free(source);
    if (e->wall_ms) {
        json_t *limits = json_object();
        json_object_set_new(limits, "wall_ms", json_integer((json_int_t)e->wall_ms));
        json_object_set_new(body, "limits", limits);
    }
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text) {
        fprintf(stderr, "judgebox judge: %s: the source is not valid UTF-8 text\n", path);
        return NULL;
    }
    job_request job;
    api_error err = {0};
    int rc = api_parse_run_local(text, strlen(text), &e->config, &e->langs, &e->meta, &job, &err);
    free(text);
    if (rc < 0) {
        fprintf(stderr, "judgebox judge: %s: %s\n", path, err.message);
        return NULL;
    }
    pool_ticket *t = pool_admit(e->workers);
    if (!t) {
        fprintf(stderr, "judgebox judge: admit: %s\n", strerror(errno));
        job_request_free(&job);
        return NULL;
    }
    job_result res;
    char why[1024] = "";
    rc = judge_run(e->ctx, t, &job, -1, &res, why, sizeof why);
    pool_leave(t);
    const char *verdict = NULL;
    if (rc < 0) {
        fprintf(stderr, "judgebox judge: %s: %s\n", path, why);
    } else {
        verdict = res.verdict;
        if (verbose) {
            if (res.has_compile && strcmp(res.compile_status, "ok") != 0)
                printf("compile %s\n%.*s", res.compile_status, (int)res.compile.result.stderr_len,
                       res.compile.result.stderr_data ? res.compile.result.stderr_data : "");
            if (res.judge_error[0])
                printf("judge_error: %s\n", res.judge_error);
            for (size_t i = 0; i < res.nruns; i++) {
                const step_result *s = &res.runs[i];
                if (!s->ran && !s->skipped)
                    continue;
                printf("%-28s %-18s", job.tests[i].id, s->verdict ? s->verdict : "-");
                if (!s->skipped)
                    printf(" %5llu ms %7llu KB", (unsigned long long)s->result.cpu_ms,
                           (unsigned long long)s->result.memory_kb);
                if (s->checker_message[0])
                    printf("  %s", s->checker_message);
                printf("\n");
            }
            printf("verdict %s", verdict);
            if (res.scored)
                printf("  score %g/%g", res.score, res.max_score);
            printf("\n");
        }
        job_result_free(&res);
    }
    job_request_free(&job);
    return verdict;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int judge_all(judge_env *e)
{
    char subs[PATH_MAX];
    snprintf(subs, sizeof subs, "%s/submissions", e->meta.dir);
    struct dirent **folders;
    int nf = scandir(subs, &folders, NULL, name_cmp);
    if (nf < 0) {
        fprintf(stderr, "judgebox judge: read %s: %s\n", subs, strerror(errno));
        return 2;
    }
    unsigned judged = 0, mismatches = 0, failures = 0;
    for (int i = 0; i < nf; i++) {
        const char *folder = folders[i]->d_name;
        char dir[PATH_MAX + 256];
        snprintf(dir, sizeof dir, "%s/%s", subs, folder);
        struct stat st;
        if (folder[0] == '.' || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
            continue;
        struct dirent **files;
        int n = scandir(dir, &files, NULL, name_cmp);
        for (int k = 0; k < n; k++) {
            char path[PATH_MAX + 512];
            snprintf(path, sizeof path, "%s/%s", dir, files[k]->d_name);
            if (files[k]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                const char *verdict = judge_one(e, path, NULL, false);
                judged++;
                if (!verdict) {
                    failures++;
                    printf("FAILED   %s/%s: could not be judged\n", folder, files[k]->d_name);
                } else if (folder_matches(folder, verdict)) {
                    printf("ok       %s/%s: %s\n", folder, files[k]->d_name, verdict);
                } else {
                    mismatches++;
                    printf("MISMATCH %s/%s: expected %s, got %s\n", folder, files[k]->d_name,
                           folder, verdict);
                }
                fflush(stdout);
            }
            free(files[k]);
        }
        if (n >= 0)
            free(files);
        free(folders[i]);
    }
    free(folders);
    printf("%u submissions judged, %u mismatches, %u not judged\n", judged, mismatches, failures);
    return mismatches || failures ? 1 : 0;
}

static void quiet_warning(void *ctx, const char *message)
{
    (void)ctx;
    (void)message;
}

int command_judge(int argc, char **argv)
{
    const char *problem = NULL, *file = NULL, *lang = NULL, *langs_dir = NULL, *images = NULL,
               *state = NULL, *wall = NULL;
    bool all = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = strcmp(a, "--language") == 0    ? &lang
                         : strcmp(a, "--langs") == 0       ? &langs_dir
                         : strcmp(a, "--images") == 0      ? &images
                         : strcmp(a, "--state-dir") == 0   ? &state
                         : strcmp(a, "--wall-ms") == 0     ? &wall : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--all") == 0) {
            all = true;
        } else if (dst) {
            if (i + 1 >= argc) {
                fprintf(stderr, "judgebox judge: %s needs a value\n", a);
                return 2;
            }
            *dst = argv[++i];
        } else if (a[0] == '-') {
            fprintf(stderr, "judgebox judge: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!problem) {
            problem = a;
        } else if (!file) {
            file = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!problem || (!file && !all) || (file && all)) {
        usage(stderr);
        return 2;
    }
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, "judgebox judge: ignore SIGPIPE: %s\n", strerror(errno));
        return 2;
    }
    judge_env e;
    memset(&e, 0, sizeof e);
    config_defaults(&e.config);
    int status = 2;
    char error[1024];
    if (wall) {
        char *end;
        unsigned long long v = strtoull(wall, &end, 10);
        if (*end || v == 0 || v > 3600000) {
            fprintf(stderr, "judgebox judge: --wall-ms %s: want milliseconds\n", wall);
            goto out;
        }
        e.wall_ms = v;
    }
    const char *env_images = getenv("JUDGEBOX_IMAGES");
    if (config_set_string(&e.config.images_dir, images ? images
                                                : env_images && *env_images ? env_images
                                                : "/var/lib/judgebox/images") < 0 ||
        (state && config_set_string(&e.config.state_dir, state) < 0))
        goto oom;
    e.config.langs_dir = langs_dir ? strdup(langs_dir) : langs_default_dir();
    if (!e.config.langs_dir || config_finish(&e.config) < 0)
        goto oom;
    if ((mkdir(e.config.state_dir, 0755) < 0 && errno != EEXIST)) {
        fprintf(stderr, "judgebox judge: state directory %s: %s\n", e.config.state_dir, strerror(errno));
        goto out;
    }
    char *real = realpath(problem, NULL);
    if (!real) {
        fprintf(stderr, "judgebox judge: %s: %s\n", problem, strerror(errno));
        goto out;
    }
    int rc = package_scan(real, &e.meta, error, sizeof error);
    free(real);
    if (rc < 0) {
        fprintf(stderr, "judgebox judge: %s: %s\n", problem, error);
        goto out;
    }
    if (langs_load(e.config.langs_dir, e.config.images_dir, &e.config, quiet_warning, NULL, &e.langs,
                   error, sizeof error) < 0) {
        fprintf(stderr, "judgebox judge: %s\n", error);
        goto out;
    }
    sandbox_config sc = {0};
    sandbox_error serr = {0};
    if (sandbox_context_open(&sc, &e.ctx, &serr) < 0) {
        fprintf(stderr, "judgebox judge: sandbox unusable: %s\n", serr.message);
        goto out;
    }
    if (pool_create(1, 4, 0, judge_worker_init, judge_worker_fini, e.ctx, &e.workers, error,
                    sizeof error) < 0 ||
        (e.meta.interactive && pool_create(1, 4, 0, judge_pair_init, judge_pair_fini, e.ctx,
                                           &e.interact, error, sizeof error) < 0)) {
        fprintf(stderr, "judgebox judge: %s\n", error);
        goto out;
    }
    judge_set_interact_pool(e.interact);
    if (all) {
        status = judge_all(&e);
    } else {
        const char *verdict = judge_one(&e, file, lang, true);
        status = !verdict ? 2 : strcmp(verdict, "accepted") == 0 ? 0 : 1;
    }
    goto out;
oom:
    fprintf(stderr, "judgebox judge: out of memory\n");
out:
    judge_set_interact_pool(NULL);
    pool_destroy(e.interact);
    pool_destroy(e.workers);
    if (e.ctx)
        sandbox_context_close(e.ctx);
    problem_meta_free(&e.meta);
    langs_free(&e.langs);
    config_free(&e.config);
    return status;
}
