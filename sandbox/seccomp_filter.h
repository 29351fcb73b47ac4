/*
 * seccomp_filter.h - the syscall allowlist, compiled once per context into a raw
 * BPF program (libseccomp), installed in the run's program just before
 * exec with a user-notification listener, so that a forbidden syscall
 * stops the run and is reported by name.
 */
#ifndef JUDGEBOX_SECCOMP_FILTER_H
#define JUDGEBOX_SECCOMP_FILTER_H

#include <linux/filter.h>
#include <stddef.h>

#include "sandbox.h"

typedef struct seccomp_program {
    struct sock_filter *instructions;
    unsigned short length;
} seccomp_program;

/* Build the policy of seccomp_policy.c for x86_64; other ABIs are killed. */
int seccomp_program_build(seccomp_program *program, sandbox_error *error);
/* The same, from a cache in `cache_dir` (root's) when it holds this
 * build's filter; else built and stored there.  NULL: always build. */
int seccomp_program_load(seccomp_program *program, const char *cache_dir, sandbox_error *error);
void seccomp_program_free(seccomp_program *program);

/* In the child: install with NO_NEW_PRIVS already set.  Returns the
 * listener fd, or -1 with errno set.  Async-signal-safe (no malloc). */
int seccomp_program_install(const seccomp_program *program);

/* Name of an x86_64 syscall number into `out` ("kexec_load", or "#NNN"). */
void seccomp_syscall_name(int number, char *out, size_t size);

/* The policy tables (seccomp_policy.c). */
typedef struct seccomp_errno_rule { const char *name; int errno_value; } seccomp_errno_rule;
extern const char *const seccomp_allowed_syscalls[];
extern const seccomp_errno_rule seccomp_errno_syscalls[];

#endif
