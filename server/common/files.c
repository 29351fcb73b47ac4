/*
 * files.c - file_read: a small file whole; file_copy_fd: one open file
 * into another; as files.h says.
 */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

char *file_read(const char *path, size_t max, bool truncate, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *data = malloc(max + 2);
    if (!data) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    size_t got = 0;
    while (got <= max) { /* one byte past max tells "longer" */
        ssize_t n = read(fd, data + got, max + 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            free(data);
            errno = saved;
            return NULL;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got > max) {
        if (!truncate) {
            free(data);
            errno = EFBIG;
            return NULL;
        }
        got = max;
    }
    data[got] = '\0';
    if (len)
        *len = got;
    return data;
}

int file_copy_fd(int out, int in)
{
    for (;;) {
        ssize_t n = sendfile(out, in, NULL, 1 << 20);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -1 : 0;
    }
}
