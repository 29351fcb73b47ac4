/*
 * test_sandbox_policy.c - unit checks of the sandbox core's pure parts:
 * every syscall the policy names exists on x86_64 and appears in one class
 * only, dangerous syscalls stay out of the allowlist, the compiled filter
 * is a valid size, defaults fill only the omitted limits, status names.
 */
#include <seccomp.h>
#include <stdint.h>
#include <string.h>

#include "../../sandbox/seccomp_filter.h"
#include "sandbox.h"
#include "unit.h"

static int in_allowlist(const char *name)
{
    for (size_t i = 0; seccomp_allowed_syscalls[i]; i++)
        if (!strcmp(seccomp_allowed_syscalls[i], name))
            return 1;
    return 0;
}

int main(void)
{
    int unknown = 0, duplicated = 0;
    for (size_t i = 0; seccomp_allowed_syscalls[i]; i++) {
        if (seccomp_syscall_resolve_name(seccomp_allowed_syscalls[i]) == __NR_SCMP_ERROR)
            unknown++;
        for (size_t j = i + 1; seccomp_allowed_syscalls[j]; j++)
            if (!strcmp(seccomp_allowed_syscalls[i], seccomp_allowed_syscalls[j]))
                duplicated++;
    }
    for (size_t i = 0; seccomp_errno_syscalls[i].name; i++) {
        if (seccomp_syscall_resolve_name(seccomp_errno_syscalls[i].name) == __NR_SCMP_ERROR)
            unknown++;
        if (in_allowlist(seccomp_errno_syscalls[i].name))
            duplicated++;
    }
    CHECK("every policy syscall name exists", unknown == 0);
    CHECK("no syscall is in two classes or listed twice", duplicated == 0);
    static const char *const never[] = {"mount", "umount2", "pivot_root", "ptrace", "unshare", "setns",
                                        "kexec_load", "init_module", "finit_module", "reboot", "swapon",
                                        "clone3", "bpf", "keyctl", "open_by_handle_at", "io_uring_setup",
                                        "perf_event_open", "userfaultfd", "process_vm_writev", "clone"};
    int dangerous = 0;
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        dangerous += in_allowlist(never[i]);
    CHECK("dangerous syscalls are not allowed unconditionally", dangerous == 0);

    seccomp_program program;
    sandbox_error error = {0};
    CHECK("the policy compiles", seccomp_program_build(&program, &error) == 0);
    CHECK("the filter has instructions", program.length > 10 && program.instructions != NULL);
    seccomp_program_free(&program);

    char name[64];
    seccomp_syscall_name(246, name, sizeof name);
    CHECK("syscall 246 is named kexec_load", !strcmp(name, "kexec_load"));
    seccomp_syscall_name(99999, name, sizeof name);
    CHECK("an unknown number is shown as #N", !strcmp(name, "#99999"));

    sandbox_limits limits = {.cpu_ms = 7};
    sandbox_limits_fill(&limits);
    CHECK("given limits are kept", limits.cpu_ms == 7);
    CHECK("omitted limits get defaults", limits.wall_ms == 5000 && limits.memory_kb == 262144 && limits.pids == 64);
    CHECK("inodes follow the disk size", limits.inodes >= 1024);
    CHECK("stack defaults to unlimited", limits.stack_kb == UINT64_MAX);
    CHECK("status names", !strcmp(sandbox_status_name(SANDBOX_FORBIDDEN_SYSCALL), "forbidden_syscall") &&
                              !strcmp(sandbox_status_name(SANDBOX_WALL_TIME_LIMIT), "wall_time_limit") &&
                              !strcmp(sandbox_status_name((sandbox_status)99), "internal_error"));
    UNIT_EXIT();
}
