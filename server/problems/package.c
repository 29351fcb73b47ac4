/*
 * package.c - unpacking and reading problem packages (see package.h).
 *
 * Unpacking trusts nothing in the archive: every entry's path is checked
 * (relative, no "..", no empty component) before anything is created;
 * only regular files and directories are accepted (symlinks, hard links,
 * devices, fifos and setuid/setgid bits are refused); entries are counted
 * and the bytes actually written are summed (not the sizes the headers
 * claim), so a zip bomb stops at the configured unpacked size.  Files are
 * created with O_EXCL | O_NOFOLLOW relative to the destination's
 * directory fds, so a duplicate entry is refused rather than overwritten.
 */
#include "package.h"
#include "files.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "program.h"

bool package_entry_path_ok(const char *path, char *clean, size_t clean_size, char *why,
                           size_t why_size)
{
    if (!path) {
        snprintf(why, why_size, "an entry has no name");
        return false;
    }
    size_t len = strlen(path);
    if (len > 255) {
        snprintf(why, why_size, "%.60s...: name longer than 255 bytes", path);
        return false;
    }
    if (path[0] == '/') {
        snprintf(why, why_size, "%s: absolute path", path);
        return false;
    }
    const char *p = path;
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    size_t n = strlen(p);
    if (n >= clean_size) {
        snprintf(why, why_size, "%.60s: name too long", path);
        return false;
    }
    memcpy(clean, p, n + 1);
    while (n > 0 && clean[n - 1] == '/')
        clean[--n] = '\0';
    if (n == 0 || strcmp(clean, ".") == 0) {
        clean[0] = '\0';
        return true;
    }
    unsigned components = 0;
    for (const char *c = clean; *c;) {
        const char *slash = strchr(c, '/');
        size_t clen = slash ? (size_t)(slash - c) : strlen(c);
        if (clen == 0 || (clen == 1 && c[0] == '.')) {
            snprintf(why, why_size, "%s: empty or \".\" path component", path);
            return false;
        }
        if (clen == 2 && c[0] == '.' && c[1] == '.') {
            snprintf(why, why_size, "%s: \"..\" in the path", path);
            return false;
        }
        if (++components > 32) {
            snprintf(why, why_size, "%.60s: more than 32 path components", path);
            return false;
        }
        c += clen + (slash ? 1 : 0);
    }
    for (const unsigned char *c = (const unsigned char *)clean; *c; c++) {
        if (*c < 0x20 || *c == 0x7f || *c == '\\') {
            snprintf(why, why_size, "%.80s: control character or backslash in the name", path);
            return false;
        }
    }
    return true;
}

/* ---- unpacking ---- */

/* Open (creating when `create`) each directory of `rel` under root_fd;
 * returns the fd of the last one, or -1 with errno. */
static int open_parent(int root_fd, char *rel, bool create, const char **leaf)
{
    int fd = dup(root_fd);
    if (fd < 0)
        return -1;
    char *c = rel;
    for (char *slash = strchr(c, '/'); slash; slash = strchr(c, '/')) {
        *slash = '\0';
        if (create && mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
            int e = errno;
            close(fd);
            *slash = '/';
            errno = e;
            return -1;
        }
        int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(fd);
        *slash = '/';
        if (next < 0) {
            errno = e;
            return -1;
        }
        fd = next;
        c = slash + 1;
    }
    *leaf = c;
    return fd;
}

static int refuse(char *error, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char *error, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, size, fmt, ap);
    va_end(ap);
    return -1;
}

int package_extract(int fd, const char *dest, const package_limits *limits, char *error,
                    size_t size)
{
    struct archive *a = archive_read_new();
    if (!a) {
        snprintf(error, size, "libarchive: out of memory");
        return -2;
    }
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_format_zip(a);
    int root_fd = -1, rc = -1;
    if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
        rc = refuse(error, size, "not a tar, tar.gz or zip archive: %s", archive_error_string(a));
        goto out;
    }
    root_fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) {
        snprintf(error, size, "open %s: %s", dest, strerror(errno));
        rc = -2;
        goto out;
    }
    uint64_t entries = 0, bytes = 0;
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            /* Nothing recognised at all is "not an archive"; a format or
             * compression recognised and then cut short is "truncated". */
            bool known = entries > 0 || archive_format(a) != 0 || archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE;
            rc = refuse(error, size, "%s: %s",
                        known ? "truncated or damaged archive" : "not a tar, tar.gz or zip archive",
                        archive_error_string(a) ? archive_error_string(a) : "unreadable");
            goto out;
        }
        const char *name = archive_entry_pathname(e);
        char clean[512], why[400];
        if (!package_entry_path_ok(name, clean, sizeof clean, why, sizeof why)) {
            rc = refuse(error, size, "entry %s", why);
            goto out;
        }
        if (++entries > limits->max_files) {
            rc = refuse(error, size, "entry %s: more than %llu entries", name,
                        (unsigned long long)limits->max_files);
            goto out;
        }
        if (archive_entry_hardlink(e)) {
            rc = refuse(error, size, "entry %s: hard link (to %s)", name, archive_entry_hardlink(e));
            goto out;
        }
        mode_t type = archive_entry_filetype(e);
        mode_t perm = archive_entry_perm(e);
        if (type == AE_IFLNK) {
            rc = refuse(error, size, "entry %s: symbolic link (to %s)", name,
                        archive_entry_symlink(e) ? archive_entry_symlink(e) : "?");
            goto out;
        }
        if (type != AE_IFREG && type != AE_IFDIR) {
            rc = refuse(error, size, "entry %s: not a regular file or directory (a device, fifo or socket)",
                        name);
            goto out;
        }
        if (perm & (S_ISUID | S_ISGID)) {
            rc = refuse(error, size, "entry %s: setuid or setgid bit", name);
            goto out;
        }
        if (clean[0] == '\0')
            continue;            /* "./" itself */
        const char *leaf;
        int parent = open_parent(root_fd, clean, true, &leaf);
        if (parent < 0) {
            rc = refuse(error, size, "entry %s: its folder cannot be made (%s; a file of that name?)",
                        name, strerror(errno));
            goto out;
        }
        if (type == AE_IFDIR) {
            int m = mkdirat(parent, leaf, 0755);
            close(parent);
            if (m < 0 && errno != EEXIST) {
                rc = refuse(error, size, "entry %s: %s", name, strerror(errno));
                goto out;
            }
            continue;
        }
        int out_fd = openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                            (perm & 0111) ? 0755 : 0644);
        int open_errno = errno;
        close(parent);
        if (out_fd < 0) {
            rc = refuse(error, size, "entry %s: %s", name,
                        open_errno == EEXIST ? "appears twice" : strerror(open_errno));
            goto out;
        }
        for (;;) {
            const void *block;
            size_t len;
            la_int64_t offset;
            r = archive_read_data_block(a, &block, &len, &offset);
            if (r == ARCHIVE_EOF)
                break;
            if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
                close(out_fd);
                rc = refuse(error, size, "entry %s: truncated or damaged archive: %s", name,
                            archive_error_string(a) ? archive_error_string(a) : "read error");
                goto out;
            }
            bytes += len;
            if (bytes > limits->max_unpacked_bytes) {
                close(out_fd);
                rc = refuse(error, size, "entry %s: the package unpacks to more than %llu bytes",
                            name, (unsigned long long)limits->max_unpacked_bytes);
                goto out;
            }
            /* Sparse tar entries come with offsets; write where they say. */
            const char *p = block;
            size_t left = len;
            off_t at = offset;
            while (left > 0) {
                ssize_t w = pwrite(out_fd, p, left, at);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0) {
                    snprintf(error, size, "write %s/%s: %s", dest, clean, strerror(errno));
                    close(out_fd);
                    rc = -2;
                    goto out;
                }
                p += w;
                left -= (size_t)w;
                at += w;
            }
        }
        if (close(out_fd) < 0) {
            snprintf(error, size, "close %s/%s: %s", dest, clean, strerror(errno));
            rc = -2;
            goto out;
        }
    }
    if (entries == 0) {
        rc = refuse(error, size, "the archive is empty");
        goto out;
    }
    rc = 0;
out:
    if (root_fd >= 0)
        close(root_fd);
    archive_read_free(a);
    return rc;
}

/* ---- reading a package directory ---- */

static bool exists(const char *path, bool dir)
{
    struct stat st;
    return lstat(path, &st) == 0 && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* What each_entry calls for an entry: its path, its name and its lstat. */
typedef int (*entry_fn)(void *ctx, const char *path, const char *name, const struct stat *st,
                        char *error, size_t size);

/* fn for every entry of `dir` but . and .. (with skip_hidden, but any name
 * starting with '.'), sorted by name as problemtools orders them; stops at
 * the first nonzero fn returns and returns it.  -2 with "read DIR: why" or
 * "stat PATH: why" in error when the walk itself fails. */
static int each_entry(const char *dir, bool skip_hidden, entry_fn fn, void *ctx, char *error,
                      size_t size)
{
    struct dirent **entries;
    int n = scandir(dir, &entries, NULL, name_cmp);
    if (n < 0) {
        snprintf(error, size, "read %s: %s", dir, strerror(errno));
        return -2;
    }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const char *e = entries[i]->d_name;
        if (strcmp(e, ".") == 0 || strcmp(e, "..") == 0 || (skip_hidden && e[0] == '.'))
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e);
        struct stat st;
        if (lstat(path, &st) < 0) {
            snprintf(error, size, "stat %s: %s", path, strerror(errno));
            rc = -2;
        } else {
            rc = fn(ctx, path, e, &st, error, size);
        }
    }
    for (int i = 0; i < n; i++)
        free(entries[i]);
    free(entries);
    return rc;
}

typedef struct test_list {
    problem_test_meta *items;
    size_t count, cap;
} test_list;

static int add_test(test_list *l, const char *name, const char *in, const char *ans, uint64_t bytes,
                    bool sample)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        problem_test_meta *items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return -1;
        l->items = items;
        l->cap = cap;
    }
    problem_test_meta *t = &l->items[l->count];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    t->in_path = strdup(in);
    t->ans_path = strdup(ans);
    t->bytes = bytes;
    t->sample = sample;
    l->count++;
    return t->name && t->in_path && t->ans_path ? 0 : -1;
}

/* Where scan_tests is: data/<name>, at `depth`. */
typedef struct tests_walk {
    const char *name;
    bool sample;
    unsigned depth;
    test_list *l;
} tests_walk;

static int scan_tests(const char *dir, const char *name, bool sample, unsigned depth, test_list *l,
                      char *error, size_t size);

/* One entry of a test group: a subgroup, or <test>.in with its <test>.ans. */
static int scan_test_entry(void *ctx, const char *path, const char *e, const struct stat *st,
                           char *error, size_t size)
{
    const tests_walk *w = ctx;
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/%s", w->name, e);
    if (S_ISDIR(st->st_mode))
        return scan_tests(path, sub, w->sample, w->depth + 1, w->l, error, size);
    size_t len = strlen(e);
    if (!S_ISREG(st->st_mode) || len <= 3 || strcmp(e + len - 3, ".in") != 0)
        return 0;        /* .ans, .interaction, .desc, images, ... */
    char ans[PATH_MAX + 8];
    snprintf(ans, sizeof ans, "%.*s.ans", (int)(strlen(path) - 3), path);
    struct stat ast;
    if (lstat(ans, &ast) < 0 || !S_ISREG(ast.st_mode))
        return refuse(error, size, "data/%s: no matching .ans file", sub);
    sub[strlen(sub) - 3] = '\0';
    if (add_test(w->l, sub, path, ans, (uint64_t)st->st_size + (uint64_t)ast.st_size, w->sample) < 0) {
        snprintf(error, size, "out of memory listing tests");
        return -2;
    }
    return 0;
}

/* Tests under `dir` (data/<group>...), files and subgroups in one sorted
 * walk, as problemtools orders them. */
static int scan_tests(const char *dir, const char *name, bool sample, unsigned depth, test_list *l,
                      char *error, size_t size)
{
    if (depth > 16)
        return refuse(error, size, "data/%s: test groups nested more than 16 deep", name);
    tests_walk w = {.name = name, .sample = sample, .depth = depth, .l = l};
    return each_entry(dir, true, scan_test_entry, &w, error, size);
}

static const struct {
    const char *ext, *lang;
    int rank;                    /* the strongest source decides the language */
} source_kinds[] = {
    {".cpp", "cpp", 3}, {".cc", "cpp", 3}, {".cxx", "cpp", 3}, {".c", "c", 2}, {".py", "python3", 1},
};

static const char *ext_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot ? dot : "";
}

/* output_validators/<name>/ (or output_validator/, or files directly in
 * it): the language from the sources' extensions, the main source first
 * (validator.* or main.* when several), every other file as an extra. */
static int scan_validator(const char *root, problem_meta *m, char *error, size_t size)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/output_validators", root);
    if (!exists(dir, true))
        snprintf(dir, sizeof dir, "%s/output_validator", root);
    if (!exists(dir, true))
        return refuse(error, size, "validation is custom but there is no output_validators/ folder");
    struct dirent **entries;
    int n = scandir(dir, &entries, NULL, name_cmp);
    if (n < 0) {
        snprintf(error, size, "read %s: %s", dir, strerror(errno));
        return -2;
    }
    /* A sub-folder per validator; the first one is used. */
    for (int i = 0; i < n; i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, entries[i]->d_name);
        if (entries[i]->d_name[0] != '.' && exists(p, true)) {
            snprintf(dir, sizeof dir, "%s", p);
            break;
        }
    }
    for (int i = 0; i < n; i++)
        free(entries[i]);
    free(entries);
    n = scandir(dir, &entries, NULL, name_cmp);
    if (n < 0) {
        snprintf(error, size, "read %s: %s", dir, strerror(errno));
        return -2;
    }
    int best = -1, rc = 0;
    size_t nfiles = 0;
    char **files = calloc((size_t)n + 1, sizeof *files);
    if (!files) {
        rc = -2;
        snprintf(error, size, "out of memory");
    }
    for (int i = 0; i < n && rc == 0; i++) {
        const char *e = entries[i]->d_name;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, e);
        if (e[0] == '.' || !exists(p, false))
            continue;
        for (size_t k = 0; k < sizeof source_kinds / sizeof source_kinds[0]; k++) {
            if (strcmp(ext_of(e), source_kinds[k].ext) == 0 &&
                (best < 0 || source_kinds[k].rank > source_kinds[best].rank))
                best = (int)k;
        }
        if (!(files[nfiles++] = strdup(p))) {
            rc = -2;
            snprintf(error, size, "out of memory");
        }
    }
    for (int i = 0; i < n; i++)
        free(entries[i]);
    free(entries);
    if (rc == 0 && best < 0)
        rc = refuse(error, size,
                    "output validator in %s: no C, C++ or Python source (build/run scripts are not "
                    "supported)", dir + strlen(root) + 1);
    if (rc == 0) {
        /* Main source: validator.<ext> or main.<ext>, else the first of
         * the language's sources; moved to the front. */
        int main_index = -1;
        for (size_t i = 0; i < nfiles; i++) {
            const char *base = strrchr(files[i], '/') + 1;
            bool same_lang = false;
            for (size_t k = 0; k < sizeof source_kinds / sizeof source_kinds[0]; k++)
                if (strcmp(ext_of(base), source_kinds[k].ext) == 0 &&
                    strcmp(source_kinds[k].lang, source_kinds[best].lang) == 0)
                    same_lang = true;
            if (!same_lang)
                continue;
            bool named = strncmp(base, "validator.", 10) == 0 || strncmp(base, "main.", 5) == 0;
            if (main_index < 0 || named) {
                main_index = (int)i;
                if (named)
                    break;
            }
        }
        char *first = files[main_index];
        memmove(files + 1, files, (size_t)main_index * sizeof *files);
        files[0] = first;
        m->validator_files = files;
        m->validator_language = strdup(source_kinds[best].lang);
        if (!m->validator_language) {
            snprintf(error, size, "out of memory");
            rc = -2;
        }
        files = NULL;
    }
    if (files) {
        for (size_t i = 0; i < nfiles; i++)
            free(files[i]);
        free(files);
    }
    return rc;
}

static int split_words(const char *s, char ***out)
{
    size_t n = 0, cap = 4;
    char **words = calloc(cap + 1, sizeof *words);
    if (!words)
        return -1;
    const char *p = s ? s : "";
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        if (n == cap) {
            char **w = realloc(words, (cap * 2 + 1) * sizeof *words);
            if (!w)
                goto fail;
            words = w;
            cap *= 2;
        }
        if (!(words[n++] = strndup(start, (size_t)(p - start))))
            goto fail;
        words[n] = NULL;
    }
    *out = words;
    return 0;
fail:
    for (size_t i = 0; i < n; i++)
        free(words[i]);
    free(words);
    return -1;
}

/* The package root: `dir`, or its only folder when the archive wrapped
 * the package in one. */
static void find_root(const char *dir, char *root, size_t size)
{
    snprintf(root, size, "%s", dir);
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s/problem.yaml", dir);
    if (exists(probe, false))
        return;
    snprintf(probe, sizeof probe, "%s/data", dir);
    if (exists(probe, true))
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    int folders = 0, others = 0;
    char only[NAME_MAX + 1] = "";
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(probe, sizeof probe, "%s/%s", dir, e->d_name);
        if (exists(probe, true)) {
            folders++;
            snprintf(only, sizeof only, "%s", e->d_name);
        } else {
            others++;
        }
    }
    closedir(d);
    if (folders == 1 && others == 0)
        snprintf(root, size, "%s/%s", dir, only);
}

int package_scan(const char *dir, problem_meta *m, char *error, size_t size)
{
    memset(m, 0, sizeof *m);
    char root[PATH_MAX], path[PATH_MAX + 32];
    find_root(dir, root, sizeof root);
    problem_yaml y = {0};
    snprintf(path, sizeof path, "%s/problem.yaml", root);
    size_t len = 0;
    char *text = exists(path, false) ? file_read(path, 1 << 20, true, &len) : NULL;
    if (text && problem_yaml_parse(text, len, &y, error, size) < 0) {
        free(text);
        return -1;
    }
    free(text);
    int rc = -2;
    /* The name: problem.yaml's, else the folder's. */
    const char *base = strrchr(root, '/');
    m->name = strdup(y.name ? y.name : base ? base + 1 : root);
    m->dir = strdup(root);
    if (!m->name || !m->dir)
        goto nomem;
    const char *validation = y.validation ? y.validation : "default";
    m->custom = strstr(validation, "custom") != NULL;
    m->interactive = strstr(validation, "interactive") != NULL;
    m->scoring = strstr(validation, "score") != NULL;
    if (y.type) {
        /* Newer format: type: pass-fail | scoring | interactive (words may combine). */
        if (strstr(y.type, "interactive"))
            m->interactive = m->custom = true;
        if (strstr(y.type, "scoring"))
            m->scoring = true;
    }
    if (!m->custom) {
        snprintf(path, sizeof path, "%s/output_validator", root);
        if (exists(path, true))
            m->custom = true;    /* newer format: its presence means custom */
    }
    if (m->interactive && !m->custom) {
        rc = refuse(error, size, "an interactive problem needs its interactor in output_validators/");
        goto fail;
    }
    if (split_words(y.validator_flags, &m->validator_flags) < 0)
        goto nomem;
    /* Time limit: .timelimit (problemtools / DOMjudge), else
     * domjudge-problem.ini, else limits.time_limit. */
    snprintf(path, sizeof path, "%s/.timelimit", root);
    char *tl = file_read(path, 64, true, NULL);
    if (!tl) {
        snprintf(path, sizeof path, "%s/domjudge-problem.ini", root);
        char *ini = file_read(path, 4096, true, NULL);
        char *at = ini ? strstr(ini, "timelimit") : NULL;
        if (at && (at = strchr(at, '='))) {
            at++;
            while (*at == ' ' || *at == '\'' || *at == '"')
                at++;
            tl = strdup(at);
        }
        free(ini);
    }
    double seconds = y.time_limit_s;
    if (tl) {
        char *end;
        double v = strtod(tl, &end);
        while (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\'' || *end == '"')
            end++;
        if (end == tl || (*end && *end != '\n') || !(v > 0) || v > 3600) {
            free(tl);
            rc = refuse(error, size, "the time limit (.timelimit or domjudge-problem.ini) is not a number of seconds from 0 to 3600");
            goto fail;
        }
        seconds = v;
        free(tl);
    }
    m->time_limit_ms = (uint64_t)(seconds * 1000 + 0.5);
    m->memory_kb = y.memory_mb * 1024;
    m->output_bytes = y.output_mb << 20;
    test_list l = {0};
    const char *groups[] = {"sample", "secret"};
    for (size_t g = 0; g < 2; g++) {
        snprintf(path, sizeof path, "%s/data/%s", root, groups[g]);
        if (!exists(path, true))
            continue;
        int src = scan_tests(path, groups[g], g == 0, 0, &l, error, size);
        if (src < 0) {
            m->tests = l.items;
            m->ntests = l.count;
            rc = src;
            goto fail;
        }
    }
    m->tests = l.items;
    m->ntests = l.count;
    if (m->ntests == 0) {
        rc = refuse(error, size, "no tests: want data/sample/*.in and data/secret/**/*.in with .ans files");
        goto fail;
    }
    if (m->custom) {
        int vrc = scan_validator(root, m, error, size);
        if (vrc < 0) {
            rc = vrc;
            goto fail;
        }
    }
    problem_yaml_free(&y);
    return 0;
nomem:
    snprintf(error, size, "out of memory reading the package");
fail:
    problem_yaml_free(&y);
    problem_meta_free(m);
    return rc;
}

/* ---- the content hash ---- */

static void hash_bytes(struct sha256_ctx *ctx, const void *data, size_t len)
{
    uint8_t n[8];
    for (int i = 0; i < 8; i++)
        n[i] = (uint8_t)((uint64_t)len >> (8 * i));
    sha256_update(ctx, sizeof n, n);
    sha256_update(ctx, len, data);
}

/* A regular file's size and bytes into the hash. */
static int hash_file(struct sha256_ctx *ctx, const char *path, off_t file_size, char *error,
                     size_t size)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(error, size, "open %s: %s", path, strerror(errno));
        return -2;
    }
    uint8_t n8[8];
    for (int k = 0; k < 8; k++)
        n8[k] = (uint8_t)((uint64_t)file_size >> (8 * k));
    sha256_update(ctx, sizeof n8, n8);
    /* On the heap: as a __thread array it was zeroed in every
     * thread of the server, 64 KB of RSS each (issue 13). */
    enum { BUF_SIZE = 1 << 16 };
    uint8_t *buf = malloc(BUF_SIZE);
    if (!buf) {
        snprintf(error, size, "read %s: %s", path, strerror(errno));
        close(fd);
        return -2;
    }
    int rc = 0;
    for (;;) {
        ssize_t got = read(fd, buf, BUF_SIZE);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(error, size, "read %s: %s", path, strerror(errno));
            rc = -2;
        }
        if (got <= 0)
            break;
        sha256_update(ctx, (size_t)got, buf);
    }
    free(buf);
    close(fd);
    return rc;
}

/* Where hash_dir is: `rel` below the package root, at `depth`. */
typedef struct hash_walk {
    struct sha256_ctx *ctx;
    const char *rel;
    unsigned depth;
} hash_walk;

static int hash_dir(struct sha256_ctx *ctx, const char *dir, const char *rel, unsigned depth,
                    char *error, size_t size);

/* One entry: its kind and relative name, then a directory's entries or a
 * file's bytes; anything else (a symlink) is left out. */
static int hash_entry(void *arg, const char *path, const char *e, const struct stat *st,
                      char *error, size_t size)
{
    const hash_walk *w = arg;
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s%s%s", w->rel, w->rel[0] ? "/" : "", e);
    if (S_ISDIR(st->st_mode)) {
        hash_bytes(w->ctx, "d", 1);
        hash_bytes(w->ctx, sub, strlen(sub));
        return hash_dir(w->ctx, path, sub, w->depth + 1, error, size);
    }
    if (!S_ISREG(st->st_mode))
        return 0;
    hash_bytes(w->ctx, (st->st_mode & 0111) ? "x" : "f", 1);
    hash_bytes(w->ctx, sub, strlen(sub));
    return hash_file(w->ctx, path, st->st_size, error, size);
}

static int hash_dir(struct sha256_ctx *ctx, const char *dir, const char *rel, unsigned depth,
                    char *error, size_t size)
{
    if (depth > 40) {
        snprintf(error, size, "%s: nested too deep", dir);
        return -2;
    }
    hash_walk w = {.ctx = ctx, .rel = rel, .depth = depth};
    return each_entry(dir, false, hash_entry, &w, error, size);
}

int package_hash(const char *dir, char hex[65], char *error, size_t size)
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    hash_bytes(&ctx, "judgebox-package-1", 18);
    char root[PATH_MAX];
    find_root(dir, root, sizeof root);
    int rc = hash_dir(&ctx, root, "", 0, error, size);
    if (rc < 0)
        return rc;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return 0;
}
