/*
 * seccomp_filter.c - HOW the policy becomes a filter: libseccomp builds it once
 * from seccomp_policy.c, it is exported as raw BPF so that each run only
 * pays one seccomp() call, and the default action is a user notification,
 * which the run's init turns into "forbidden_syscall" with the syscall's
 * name.  Other ABIs (i386, x32) are killed outright by the arch check.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "seccomp_filter.h"

#define NAMESPACE_CLONE_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | \
                               CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP | CLONE_NEWTIME)

static int add_rule(scmp_filter_ctx filter, uint32_t action, const char *name, sandbox_error *error)
{
    int number = seccomp_syscall_resolve_name(name);
    if (number == __NR_SCMP_ERROR)
        return error_set(error, 0, "seccomp: unknown syscall name %s", name);
    int rc = seccomp_rule_add(filter, action, number, 0);
    if (rc < 0)
        return error_set(error, -rc, "seccomp: add rule for %s", name);
    return 0;
}

static int add_argument_rules(scmp_filter_ctx filter, sandbox_error *error)
{
    /* clone without any namespace flag: threads and processes only. */
    int rc = seccomp_rule_add(filter, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, NAMESPACE_CLONE_FLAGS, 0));
    if (rc < 0)
        return error_set(error, -rc, "seccomp: add rule for clone");
    /* Injecting input into a terminal (TIOCSTI) or the console (TIOCLINUX). */
    static const unsigned long terminal_requests[] = {TIOCSTI, TIOCLINUX};
    for (size_t i = 0; i < sizeof terminal_requests / sizeof terminal_requests[0]; i++) {
        rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, terminal_requests[i]));
        if (rc < 0)
            return error_set(error, -rc, "seccomp: add rule for ioctl");
    }
    return 0;
}

static int build_filter(scmp_filter_ctx filter, sandbox_error *error)
{
    int rc = seccomp_attr_set(filter, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (rc < 0)
        return error_set(error, -rc, "seccomp: set bad-arch action");
    /* A binary search over syscall numbers instead of a linear list: the
     * kernel emulates the filter for every syscall number when it is
     * installed (the action cache), so a short path makes each run's
     * seccomp() 3x cheaper (270 -> 85 us here), and every syscall too. */
    rc = seccomp_attr_set(filter, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (rc < 0)
        return error_set(error, -rc, "seccomp: set binary-tree optimisation");
    rc = seccomp_attr_set(filter, SCMP_FLTATR_CTL_NNP, 0); /* the child sets NNP itself */
    if (rc < 0)
        return error_set(error, -rc, "seccomp: clear NNP attribute");
    for (size_t i = 0; seccomp_allowed_syscalls[i]; i++)
        if (add_rule(filter, SCMP_ACT_ALLOW, seccomp_allowed_syscalls[i], error) < 0)
            return -1;
    for (size_t i = 0; seccomp_errno_syscalls[i].name; i++)
        if (add_rule(filter, SCMP_ACT_ERRNO((uint32_t)seccomp_errno_syscalls[i].errno_value),
                     seccomp_errno_syscalls[i].name, error) < 0)
            return -1;
    return add_argument_rules(filter, error);
}

static int export_filter(scmp_filter_ctx filter, seccomp_program *program, sandbox_error *error)
{
    int fd = memfd_create("judgebox-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return error_errno(error, "seccomp: memfd_create");
    int rc = seccomp_export_bpf(filter, fd);
    if (rc < 0) {
        close(fd);
        return error_set(error, -rc, "seccomp: export BPF");
    }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
        size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
        close(fd);
        return error_set(error, 0, "seccomp: exported BPF has a bad size (%lld bytes)", (long long)size);
    }
    program->instructions = malloc((size_t)size);
    if (!program->instructions) {
        close(fd);
        return error_set(error, ENOMEM, "seccomp: allocate BPF");
    }
    ssize_t got = pread(fd, program->instructions, (size_t)size, 0);
    close(fd);
    if (got != size) {
        free(program->instructions);
        program->instructions = NULL;
        return error_errno(error, "seccomp: read back BPF");
    }
    program->length = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
    return 0;
}

int seccomp_program_build(seccomp_program *program, sandbox_error *error)
{
    *program = (seccomp_program){0};
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_NOTIFY);
    if (!filter)
        return error_set(error, 0, "seccomp: seccomp_init failed");
    int rc = build_filter(filter, error);
    if (rc == 0)
        rc = export_filter(filter, program, error);
    seccomp_release(filter);
    return rc;
}

/* The cache: compiling the policy costs ~1 ms, paid by every `judgebox
 * run`.  The BPF depends only on the policy tables, this file's code and
 * libseccomp, so it is kept in <dir>/<key>.bpf, where the key hashes the
 * tables, libseccomp's version and when this file was compiled (any
 * rebuild of judgebox makes a new key).  The directory is root's (0700);
 * the file is written whole under a temporary name and renamed. */
typedef struct cache_header {
    char magic[8];          /* "JBSECC1\0" */
    uint64_t key;
    uint32_t length;        /* instructions */
    uint32_t check;         /* FNV-1a of the instructions */
} cache_header;

static uint64_t fnv1a(uint64_t hash, const void *data, size_t size)
{
    const unsigned char *bytes = data;
    for (size_t i = 0; i < size; i++)
        hash = (hash ^ bytes[i]) * 0x100000001b3ull;
    return hash;
}

static uint64_t policy_key(void)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    static const char build[] = __FILE__ " " __DATE__ " " __TIME__;
    hash = fnv1a(hash, build, sizeof build);
    const struct scmp_version *version = seccomp_version();
    if (version)
        hash = fnv1a(hash, version, sizeof *version);
    for (size_t i = 0; seccomp_allowed_syscalls[i]; i++)
        hash = fnv1a(hash, seccomp_allowed_syscalls[i], strlen(seccomp_allowed_syscalls[i]) + 1);
    for (size_t i = 0; seccomp_errno_syscalls[i].name; i++) {
        hash = fnv1a(hash, seccomp_errno_syscalls[i].name, strlen(seccomp_errno_syscalls[i].name) + 1);
        hash = fnv1a(hash, &seccomp_errno_syscalls[i].errno_value, sizeof seccomp_errno_syscalls[i].errno_value);
    }
    return hash;
}

static int load_cached(const char *path, uint64_t key, seccomp_program *program)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    cache_header header;
    struct stat info;
    int rc = -1;
    if (fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_uid == 0 && (info.st_mode & 022) == 0 &&
        pread(fd, &header, sizeof header, 0) == (ssize_t)sizeof header &&
        memcmp(header.magic, "JBSECC1", 8) == 0 && header.key == key && header.length > 0 &&
        header.length <= BPF_MAXINSNS &&
        info.st_size == (off_t)(sizeof header + header.length * sizeof(struct sock_filter))) {
        size_t size = header.length * sizeof(struct sock_filter);
        program->instructions = malloc(size);
        if (program->instructions && pread(fd, program->instructions, size, sizeof header) == (ssize_t)size &&
            (uint32_t)fnv1a(0xcbf29ce484222325ull, program->instructions, size) == header.check) {
            program->length = (unsigned short)header.length;
            rc = 0;
        } else {
            free(program->instructions);
            program->instructions = NULL;
        }
    }
    close(fd);
    return rc;
}

static void store_cached(const char *dir, const char *path, uint64_t key, const seccomp_program *program)
{
    char temporary[PATH_MAX + 64];
    snprintf(temporary, sizeof temporary, "%s/.tmp.%ld", dir, (long)getpid());
    int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    size_t size = program->length * sizeof(struct sock_filter);
    cache_header header = {.magic = "JBSECC1", .key = key, .length = program->length,
                           .check = (uint32_t)fnv1a(0xcbf29ce484222325ull, program->instructions, size)};
    bool ok = write(fd, &header, sizeof header) == (ssize_t)sizeof header &&
              write(fd, program->instructions, size) == (ssize_t)size;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(temporary, path) < 0)
        unlink(temporary);
}

int seccomp_program_load(seccomp_program *program, const char *cache_dir, sandbox_error *error)
{
    *program = (seccomp_program){0};
    if (!cache_dir)
        return seccomp_program_build(program, error);
    char path[PATH_MAX + 64];
    uint64_t key = policy_key();
    snprintf(path, sizeof path, "%s/%016llx.bpf", cache_dir, (unsigned long long)key);
    if (load_cached(path, key, program) == 0)
        return 0;
    if (seccomp_program_build(program, error) < 0)
        return -1;
    store_cached(cache_dir, path, key, program);
    return 0;
}

void seccomp_program_free(seccomp_program *program)
{
    free(program->instructions);
    *program = (seccomp_program){0};
}

int seccomp_program_install(const seccomp_program *program)
{
    struct sock_fprog fprog = {.len = program->length, .filter = program->instructions};
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
}

void seccomp_syscall_name(int number, char *out, size_t size)
{
    char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, number);
    if (name)
        snprintf(out, size, "%s", name);
    else
        snprintf(out, size, "#%d", number);
    free(name);
}
