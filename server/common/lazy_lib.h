/*
 * lazy_lib.h - shared libraries loaded on first use instead of at start.
 * Every shared library the binary links is mapped and relocated by the
 * dynamic loader at each start, before main: libcurl, libarchive and
 * libmicrohttpd pull in about forty more (TLS, Kerberos, LDAP, ICU, ...),
 * which cost ~15 ms of CPU per `judgebox run` that never calls them.  So
 * they are not linked (mk/link.mk): a *_lazy.c file defines the functions
 * the server calls, and each definition dlopens the library on its first
 * call and forwards to the library's own (server/http/mhd_lazy.c,
 * server/store/curl_lazy.c, server/common/archive_lazy.c).
 */
#ifndef JUDGEBOX_LAZY_LIB_H
#define JUDGEBOX_LAZY_LIB_H

#include <pthread.h>

struct lazy_lib {
    const char *const *names; /* sonames to try in order, NULL-terminated */
    pthread_once_t once;
    void *handle;
};
#define LAZY_LIB(...) {(const char *const[]){__VA_ARGS__, NULL}, PTHREAD_ONCE_INIT, NULL}

/* `name` in `lib`, loading it on the first call (thread-safe); NULL, with
 * the reason on stderr, when the library or the symbol is missing. */
void *lazy_symbol(struct lazy_lib *lib, const char *name);

/* In a forwarder: declares `function`, of type `call`, as `lib`'s `name`,
 * resolved on the first call and cached (threads call forwarders
 * concurrently: atomic load and store).  `function` is NULL when the
 * library cannot be loaded: the forwarder returns the library's failure
 * value. */
#define LAZY_RESOLVED(lib, call, name)                                                                          \
    static void *cached;                                                                                        \
    void *symbol = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);                                                  \
    if (!symbol) {                                                                                              \
        symbol = lazy_symbol(lib, name);                                                                        \
        __atomic_store_n(&cached, symbol, __ATOMIC_RELEASE);                                                    \
    }                                                                                                           \
    __typeof__(call) function;                                                                                  \
    *(void **)&function = symbol

#endif
