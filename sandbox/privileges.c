/*
 * privileges.c - what the program keeps of privilege: nothing.  In the
 * program's process, after fork from the run's init and before seccomp and
 * exec: rlimits; the bounding set emptied and securebits locked while we
 * still may; the unprivileged inner uid/gid; every capability set
 * (effective, permitted, inheritable, ambient) emptied with libcap; and
 * no_new_privs.  Also makes the program the OOM killer's first choice.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/securebits.h>
#include <stdint.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "internal.h"

static int set_limit(int resource, const char *name, uint64_t value, sandbox_error *error)
{
    struct rlimit limit = {.rlim_cur = value, .rlim_max = value};
    if (value == UINT64_MAX)
        limit.rlim_cur = limit.rlim_max = RLIM_INFINITY;
    if (setrlimit(resource, &limit) < 0)
        return error_errno(error, "setrlimit %s", name);
    return 0;
}

static int set_limits(const sandbox_limits *limits, sandbox_error *error)
{
    /* CPU: a backstop only; the supervisor kills at the millisecond. */
    uint64_t cpu_seconds = limits->cpu_ms / 1000 + 2;
    if (set_limit(RLIMIT_CPU, "RLIMIT_CPU", cpu_seconds, error) < 0 ||
        set_limit(RLIMIT_FSIZE, "RLIMIT_FSIZE",
                  limits->file_size_kb == UINT64_MAX ? UINT64_MAX : limits->file_size_kb * 1024, error) < 0 ||
        set_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", limits->open_files, error) < 0 ||
        set_limit(RLIMIT_STACK, "RLIMIT_STACK",
                  limits->stack_kb == UINT64_MAX ? UINT64_MAX : limits->stack_kb * 1024, error) < 0 ||
        set_limit(RLIMIT_CORE, "RLIMIT_CORE", 0, error) < 0 ||
        set_limit(RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", 64 * 1024, error) < 0 ||
        set_limit(RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE", 800 * 1024, error) < 0)
        return -1;
    return 0;
}

static int prefer_for_oom_kill(sandbox_error *error)
{
    /* setresuid in init made us non-dumpable, which gives /proc/self to
     * the (unmapped) host root; exec makes the program dumpable anyway. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
        return error_errno(error, "prctl PR_SET_DUMPABLE");
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return error_errno(error, "open /proc/self/oom_score_adj");
    ssize_t written = write(fd, "1000", 4);
    close(fd);
    if (written != 4)
        return error_errno(error, "write /proc/self/oom_score_adj");
    return 0;
}

static int drop_bounding_set(sandbox_error *error)
{
    for (cap_value_t cap = 0; cap <= CAP_LAST_CAP || CAP_IS_SUPPORTED(cap); cap++) {
        if (!CAP_IS_SUPPORTED(cap))
            break;
        if (cap_drop_bound(cap) < 0)
            return error_errno(error, "drop capability %d from the bounding set", (int)cap);
    }
    return 0;
}

int privileges_drop(const sandbox_context *context, const sandbox_limits *limits, sandbox_error *error)
{
    if (set_limits(limits, error) < 0 || prefer_for_oom_kill(error) < 0 || drop_bounding_set(error) < 0)
        return -1;
    unsigned long securebits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
                               SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                               SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (prctl(PR_SET_SECUREBITS, securebits, 0, 0, 0) < 0)
        return error_errno(error, "prctl PR_SET_SECUREBITS");
    gid_t gid = SANDBOX_INNER_UID;
    uid_t uid = SANDBOX_INNER_UID;
    /* Raw syscalls: glibc's would signal and wait for the threads of the
     * supervisor's copied thread list (see init.c), which do not exist here. */
    if (syscall(SYS_setresgid, gid, gid, gid) < 0)
        return error_errno(error, "setresgid %u", (unsigned)gid);
    if (syscall(SYS_setresuid, uid, uid, uid) < 0)
        return error_errno(error, "setresuid %u", (unsigned)uid);
    /* What cap_reset_ambient() does after probing every capability with
     * PR_CAP_AMBIENT_IS_SET (41 prctl calls): one call. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
        return error_errno(error, "clear the ambient capability set");
    if (cap_set_proc(context->empty_caps) < 0)
        return error_errno(error, "empty the capability sets");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return error_errno(error, "prctl PR_SET_NO_NEW_PRIVS");
    return 0;
}
