/*
 * program.c - judge programs' pure parts (see program.h): protocol names,
 * the content hash, the testlib and Kattis exit-code rules, and the tree
 * copy and removal the compile cache uses.  The copy walks directories
 * with openat/fdopendir and never follows a symlink (a compiler does not
 * make them; one found is skipped), so a hostile program cannot point the
 * copy outside its own /box.
 */
#include "program.h"
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int program_protocol_from_name(const char *name, program_protocol *out)
{
    if (strcmp(name, "testlib") == 0)
        *out = PROTOCOL_TESTLIB;
    else if (strcmp(name, "kattis") == 0)
        *out = PROTOCOL_KATTIS;
    else
        return -1;
    return 0;
}

const char *program_protocol_name(program_protocol protocol)
{
    return protocol == PROTOCOL_KATTIS ? "kattis" : "testlib";
}

/* Each field is length-prefixed, so ("ab","c") and ("a","bc") differ. */
static void hash_field(struct sha256_ctx *ctx, const void *data, size_t len)
{
    uint8_t n[8];
    for (int i = 0; i < 8; i++)
        n[i] = (uint8_t)((uint64_t)len >> (8 * i));
    sha256_update(ctx, sizeof n, n);
    sha256_update(ctx, len, data);
}

void program_hash(judge_program *prog)
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    hash_field(&ctx, "judgebox-program-1", 18);
    const char *lang = prog->lang ? prog->lang->id : "";
    hash_field(&ctx, lang, strlen(lang));
    /* The compile command is part of what the cache holds. */
    if (prog->lang && prog->lang->compile_argv)
        for (char **a = prog->lang->compile_argv; *a; a++)
            hash_field(&ctx, *a, strlen(*a));
    hash_field(&ctx, "files", 5);
    for (size_t i = 0; i < prog->nfiles; i++) {
        hash_field(&ctx, prog->files[i].name, strlen(prog->files[i].name));
        hash_field(&ctx, prog->files[i].data, prog->files[i].len);
    }
    hash_field(&ctx, "args", 4);
    for (char **a = prog->args; a && *a; a++)
        hash_field(&ctx, *a, strlen(*a));
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(prog->hash + 2 * i, 3, "%02x", digest[i]);
}

void program_free(judge_program *prog)
{
    for (size_t i = 0; i < prog->nfiles; i++) {
        free(prog->files[i].name);
        free(prog->files[i].data);
    }
    free(prog->files);
    for (char **a = prog->args; a && *a; a++)
        free(*a);
    free(prog->args);
    memset(prog, 0, sizeof *prog);
}

/* Up to `size` bytes of `text`, made one printable line-ish string. */
static void copy_message(char *dst, size_t size, const char *text, size_t len)
{
    size_t n = 0;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    for (size_t i = 0; i < len && n + 1 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        dst[n++] = (c == '\0' || (c < 0x20 && c != '\n' && c != '\t')) ? '?' : (char)c;
    }
    dst[n] = '\0';
}

/* A finite number at the start of `text` (after spaces); false if none. */
static bool leading_number(const char *text, size_t len, double *out, size_t *used)
{
    char buf[64];
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    size_t n = 0;
    while (i + n < len && n + 1 < sizeof buf && text[i + n] != ' ' && text[i + n] != '\n' &&
           text[i + n] != '\t' && text[i + n] != '\r') {
        buf[n] = text[i + n];
        n++;
    }
    buf[n] = '\0';
    if (n == 0)
        return false;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (errno || *end || !isfinite(v))
        return false;
    *out = v;
    if (used)
        *used = i + n;
    return true;
}

void program_decide_testlib(int exit_code, const char *text, size_t len, program_outcome *out)
{
    out->verdict = NULL;
    out->has_score = false;
    out->score = 0;
    if (!text)
        text = "", len = 0;
    copy_message(out->message, sizeof out->message, text, len);
    switch (exit_code) {
    case 0:
        out->verdict = "accepted";
        return;
    case 1:
        out->verdict = "wrong_answer";
        return;
    case 2: {
        char shown[sizeof out->message];
        snprintf(shown, sizeof shown, "%s", out->message);
        snprintf(out->message, sizeof out->message, "presentation error%s%s", shown[0] ? ": " : "",
                 shown);
        out->verdict = "wrong_answer";
        return;
    }
    case 7: {
        /* testlib's quitp writes "points <value> <message>"; accept the
         * value with or without the word. */
        const char *t = text;
        size_t l = len;
        while (l > 0 && (*t == ' ' || *t == '\n'))
            t++, l--;
        if (l >= 6 && strncmp(t, "points", 6) == 0)
            t += 6, l -= 6;
        double v;
        if (!leading_number(t, l, &v, NULL) || v < 0) {
            char shown[sizeof out->message];
            snprintf(shown, sizeof shown, "%s", out->message);
            snprintf(out->message, sizeof out->message,
                     "checker exited with 7 (points) but its stderr starts with no score: %s", shown);
            out->verdict = "judge_error";
            return;
        }
        out->has_score = true;
        out->score = v;
        out->verdict = "partially_accepted";
        return;
    }
    default: {
        char shown[sizeof out->message];
        snprintf(shown, sizeof shown, "%s", out->message);
        snprintf(out->message, sizeof out->message, "%s (exit code %d)%s%s",
                 exit_code == 3 ? "checker failed" : "checker exited with an unknown code",
                 exit_code, shown[0] ? ": " : "", shown);
        out->verdict = "judge_error";
        return;
    }
    }
}

void program_decide_kattis(int exit_code, const char *message, size_t message_len,
                           const char *score, size_t score_len, program_outcome *out)
{
    out->verdict = NULL;
    out->has_score = false;
    out->score = 0;
    out->message[0] = '\0';
    if (message)
        copy_message(out->message, sizeof out->message, message, message_len);
    if (exit_code == 42 || exit_code == 43) {
        out->verdict = exit_code == 42 ? "accepted" : "wrong_answer";
        double v;
        if (score && leading_number(score, score_len, &v, NULL)) {
            out->has_score = true;
            out->score = v;
        }
        return;
    }
    char shown[sizeof out->message];
    snprintf(shown, sizeof shown, "%s", out->message);
    snprintf(out->message, sizeof out->message,
             "validator exited with %d, not 42 (accepted) or 43 (wrong answer)%s%s", exit_code,
             shown[0] ? ": " : "", shown);
    out->verdict = "judge_error";
}

/* ---- trees ---- */

static int copy_file_at(int from_dir, int to_dir, const char *name, mode_t mode, const char *to,
                        char *error, size_t size)
{
    int in = openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0) {
        snprintf(error, size, "open %s for copying: %s", name, strerror(errno));
        return -1;
    }
    int out = openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     (mode & 0111) ? 0755 : 0644);
    if (out < 0) {
        snprintf(error, size, "create %s/%s: %s", to, name, strerror(errno));
        close(in);
        return -1;
    }
    int rc = 0;
    if (file_copy_fd(out, in) < 0) {
        snprintf(error, size, "copy %s to %s: %s", name, to, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && fchmod(out, (mode & 0111) ? 0755 : 0644) < 0) {
        snprintf(error, size, "chmod %s/%s: %s", to, name, strerror(errno));
        rc = -1;
    }
    close(in);
    if (close(out) < 0 && rc == 0) {
        snprintf(error, size, "close %s/%s: %s", to, name, strerror(errno));
        rc = -1;
    }
    return rc;
}

static int copy_dir_fd(int from_fd, const char *to, unsigned depth, char *error, size_t size)
{
    if (depth > 32) {
        snprintf(error, size, "copy to %s: directories nested too deep", to);
        close(from_fd);
        return -1;
    }
    if (mkdir(to, 0755) < 0 || chmod(to, 0755) < 0) {
        snprintf(error, size, "mkdir %s: %s", to, strerror(errno));
        close(from_fd);
        return -1;
    }
    DIR *d = fdopendir(from_fd);
    if (!d) {
        snprintf(error, size, "read directory for %s: %s", to, strerror(errno));
        close(from_fd);
        return -1;
    }
    int to_fd = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (to_fd < 0) {
        snprintf(error, size, "open %s: %s", to, strerror(errno));
        closedir(d);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (errno = 0, e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            snprintf(error, size, "stat %s in the copy to %s: %s", e->d_name, to, strerror(errno));
            rc = -1;
        } else if (S_ISREG(st.st_mode)) {
            rc = copy_file_at(dirfd(d), to_fd, e->d_name, st.st_mode, to, error, size);
        } else if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            char path[4096];
            if (snprintf(path, sizeof path, "%s/%s", to, e->d_name) >= (int)sizeof path) {
                snprintf(error, size, "copy to %s: path too long", to);
                if (sub >= 0)
                    close(sub);
                rc = -1;
            } else if (sub < 0) {
                snprintf(error, size, "open %s/%s: %s", to, e->d_name, strerror(errno));
                rc = -1;
            } else {
                rc = copy_dir_fd(sub, path, depth + 1, error, size);
            }
        }
        /* Symlinks, fifos, sockets, devices: not part of a program. */
    }
    if (rc == 0 && errno) {
        snprintf(error, size, "read directory for %s: %s", to, strerror(errno));
        rc = -1;
    }
    close(to_fd);
    closedir(d);
    return rc;
}

int program_copy_tree(const char *from, const char *to, char *error, size_t size)
{
    int fd = open(from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(error, size, "open %s: %s", from, strerror(errno));
        return -1;
    }
    return copy_dir_fd(fd, to, 0, error, size);
}

static int remove_at(int parent, const char *name, unsigned depth)
{
    if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -1;
    if (depth > 64) {
        errno = ELOOP;
        return -1;
    }
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (remove_at(dirfd(d), e->d_name, depth + 1) < 0)
            rc = -1;
    }
    closedir(d);
    if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

int program_remove_tree(const char *path)
{
    return remove_at(AT_FDCWD, path, 0);
}
