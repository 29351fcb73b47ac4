/*
 * fdpass.c - SCM_RIGHTS messages, see fdpass.h.  Both sides retry EINTR;
 * the receiver asks for the whole message (MSG_WAITALL) and keeps what
 * descriptors arrived even when it then reports failure, so that nothing
 * passed is leaked.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"

typedef union control_space {
    struct cmsghdr header;
    char space[CMSG_SPACE(sizeof(int) * FDPASS_MAX)];
} control_space;

bool fdpass_send(int socket_fd, const void *data, size_t size, const int *fds, int count)
{
    if (count < 1 || count > FDPASS_MAX)
        return false;
    control_space control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = (void *)data, .iov_len = size};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                             .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count)};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)count);
    ssize_t sent;
    do
        sent = sendmsg(socket_fd, &message, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    return sent == (ssize_t)size;
}

bool fdpass_receive(int socket_fd, void *data, size_t size, int *fds, int max, int *count)
{
    control_space control;
    struct iovec iov = {.iov_base = data, .iov_len = size};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                             .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)(max < FDPASS_MAX ? max : FDPASS_MAX))};
    *count = 0;
    ssize_t got;
    do
        got = recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC | MSG_WAITALL);
    while (got < 0 && errno == EINTR);
    struct cmsghdr *cmsg = got > 0 ? CMSG_FIRSTHDR(&message) : NULL;
    if (cmsg && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
        size_t received = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        *count = (int)(received < (size_t)max ? received : (size_t)max);
        memcpy(fds, CMSG_DATA(cmsg), sizeof(int) * (size_t)*count);
    }
    return got == (ssize_t)size && !(message.msg_flags & MSG_CTRUNC);
}

bool fdpass_read_all(int fd, void *data, size_t size)
{
    for (char *p = data; size;) {
        ssize_t n = read(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        size -= (size_t)n;
    }
    return true;
}

bool fdpass_write_all(int fd, const void *data, size_t size)
{
    for (const char *p = data; size;) {
        ssize_t n = send(fd, p, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        size -= (size_t)n;
    }
    return true;
}
