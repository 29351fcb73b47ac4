/*
 * fdpass.h - descriptors over a unix socket (SCM_RIGHTS), for the run's
 * program handing its seccomp listener to init and for `judgebox run`
 * handing its stdio and slot lock to a slot's keeper.  No allocation and
 * no locks: usable between clone and exec.
 */
#ifndef JUDGEBOX_FDPASS_H
#define JUDGEBOX_FDPASS_H

#include <stdbool.h>
#include <stddef.h>

#define FDPASS_MAX 4

/* Send `size` bytes with `count` (1..FDPASS_MAX) descriptors attached, in one message. */
bool fdpass_send(int socket_fd, const void *data, size_t size, const int *fds, int count);
/* Receive exactly `size` bytes and up to `max` descriptors (received
 * close-on-exec); *count says how many came, also on failure (the caller
 * closes them).  False on a short message or truncated descriptors. */
bool fdpass_receive(int socket_fd, void *data, size_t size, int *fds, int max, int *count);

/* Read or write exactly `size` bytes of a stream socket (EINTR retried,
 * no SIGPIPE); false on EOF or error. */
bool fdpass_read_all(int fd, void *data, size_t size);
bool fdpass_write_all(int fd, const void *data, size_t size);

#endif
