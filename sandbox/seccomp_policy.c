/*
 * seccomp_policy.c - WHAT the sandbox allows, as data: the syscalls a
 * program may make, and those that runtimes probe and that are answered
 * with an errno so they fall back.  Everything not listed stops the run as
 * forbidden_syscall, named.  clone (namespace flags) and ioctl (TIOCSTI,
 * TIOCLINUX) get argument rules in seccomp_filter.c.
 *
 * Wide enough for the compilers and runtimes of C, C++, Python, Java, Go,
 * Rust, Node and the other languages in langs/, and no wider.  To add a
 * syscall, say which language needed it and why in a comment.
 */
#include <errno.h>
#include <stddef.h>

#include "seccomp_filter.h"

const char *const seccomp_allowed_syscalls[] = {
    /* files and descriptors */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
    "preadv2", "pwritev2", "open", "openat", "openat2", "creat", "close", "close_range",
    "stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs", "lseek",
    "access", "faccessat", "faccessat2", "dup", "dup2", "dup3", "fcntl", "flock",
    "pipe", "pipe2", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range",
    "truncate", "ftruncate", "fallocate", "fadvise64", "readahead",
    "getdents", "getdents64", "getcwd", "chdir", "fchdir",
    "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir",
    "link", "linkat", "unlink", "unlinkat", "symlink", "symlinkat",
    "readlink", "readlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown",
    "lchown", "fchownat", "umask", "mknod", "mknodat", "utime", "utimes",
    "utimensat", "futimesat", "sendfile", "copy_file_range", "splice", "tee",
    "vmsplice", "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr",
    "flistxattr", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
    "lremovexattr", "fremovexattr", "memfd_create", "ioctl",
    "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
    /* polling and events */
    "poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1",
    "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2",
    "signalfd", "signalfd4", "timerfd_create", "timerfd_settime", "timerfd_gettime",
    /* memory */
    "brk", "mmap", "munmap", "mprotect", "mremap", "msync", "mincore", "madvise",
    "mlock", "mlock2", "munlock", "mlockall", "munlockall", "membarrier",
    "get_mempolicy", "set_mempolicy", "mbind", "pkey_alloc", "pkey_free", "pkey_mprotect",
    /* processes and threads (clone is argument-checked in seccomp_filter.c) */
    "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
    "kill", "tkill", "tgkill", "getpid", "getppid", "gettid", "set_tid_address",
    "set_robust_list", "get_robust_list", "futex", "futex_waitv", "rseq",
    "arch_prctl", "prctl", "personality", "restart_syscall", "setsid", "getsid",
    "setpgid", "getpgid", "getpgrp", "pidfd_open", "pidfd_send_signal", "seccomp",
    /* signals */
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigpending",
    "rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "pause",
    /* time */
    "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday",
    "time", "getitimer", "setitimer", "alarm", "times",
    /* POSIX timers: GHC's runtime ticker, Ruby's timer thread, C programs */
    "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
    /* identity and limits (no capabilities: changing ids fails in the kernel) */
    "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
    "setfsuid", "setfsgid", "capget", "getrlimit", "setrlimit", "prlimit64",
    "getrusage", "sysinfo", "uname", "getrandom", "getcpu",
    "getpriority", "setpriority", "sched_yield", "sched_getaffinity",
    "sched_setaffinity", "sched_getparam", "sched_setparam", "sched_getscheduler",
    "sched_setscheduler", "sched_get_priority_max", "sched_get_priority_min",
    "sched_rr_get_interval", "sched_getattr", "sched_setattr",
    /* System V and POSIX IPC: the run has its own IPC namespace */
    "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semctl", "semtimedop",
    "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
    "mq_timedreceive", "mq_notify", "mq_getsetattr",
    /* sockets: the run's net namespace is empty (no interface up) */
    "socket", "socketpair", "bind", "listen", "accept", "accept4", "connect",
    "getsockname", "getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg",
    "sendmmsg", "recvmmsg", "shutdown", "setsockopt", "getsockopt",
    NULL,
};

const seccomp_errno_rule seccomp_errno_syscalls[] = {
    /* glibc and Go try clone3 first; ENOSYS makes them use clone, whose
     * flags seccomp can check. */
    {"clone3", ENOSYS},
    /* libuv (Node) and others probe io_uring and fall back to epoll. */
    {"io_uring_setup", ENOSYS}, {"io_uring_enter", ENOSYS}, {"io_uring_register", ENOSYS},
    /* probed by libraries that sandbox themselves or cache secrets */
    {"landlock_create_ruleset", ENOSYS}, {"landlock_add_rule", ENOSYS},
    {"landlock_restrict_self", ENOSYS}, {"keyctl", ENOSYS}, {"add_key", ENOSYS},
    {"request_key", ENOSYS}, {"memfd_secret", ENOSYS},
    /* JVM and profilers probe these; nothing needs them to work */
    {"perf_event_open", ENOSYS}, {"userfaultfd", EPERM}, {"bpf", EPERM},
    {"capset", EPERM}, {"pidfd_getfd", EPERM}, {"process_vm_readv", EPERM},
    {"process_vm_writev", EPERM}, {"kcmp", EPERM}, {"ioprio_get", EPERM},
    {"ioprio_set", EPERM}, {"setgroups", EPERM}, {"sysfs", ENOSYS}, {"ustat", ENOSYS},
    {"migrate_pages", EPERM}, {"move_pages", EPERM}, {"name_to_handle_at", EOPNOTSUPP},
    {"fanotify_init", EPERM}, {"chroot", EPERM},
    {NULL, 0},
};
