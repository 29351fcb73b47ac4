/*
 * mhd_extra.c - forwarders for the libmicrohttpd functions http.c needs
 * beyond those in mhd_lazy.c (which owns loading the library lazily):
 * suspending and resuming a connection while an executor judges its
 * request, and quiescing the daemon at shutdown.  They are called only
 * after MHD_start_daemon has loaded the library, so they look it up with
 * RTLD_NOLOAD (the same handle, no second load).  Candidates to move into
 * mhd_lazy.c.
 */
#include <dlfcn.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>

static void *extra_resolve(const char *name)
{
    static const char *const names[] = {"libmicrohttpd.so.12", "libmicrohttpd.so"};
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !library; i++)
        library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    void *symbol = library ? dlsym(library, name) : NULL;
    if (library)
        dlclose(library);          /* drops our reference; MHD_start_daemon's stays */
    if (!symbol) {
        /* Unreachable once the daemon runs; nothing sensible to go on with. */
        fprintf(stderr, "judgebox: libmicrohttpd's %s is not available\n", name);
        abort();
    }
    return symbol;
}

#define EXTRA_RESOLVED(type, name)                                           \
    static void *cached;                                                     \
    void *symbol = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);               \
    if (!symbol) {                                                           \
        symbol = extra_resolve(name);                                        \
        __atomic_store_n(&cached, symbol, __ATOMIC_RELEASE);                 \
    }                                                                        \
    __typeof__(type) function;                                               \
    *(void **)&function = symbol

void MHD_suspend_connection(struct MHD_Connection *connection)
{
    EXTRA_RESOLVED(void (*)(struct MHD_Connection *), "MHD_suspend_connection");
    function(connection);
}

void MHD_resume_connection(struct MHD_Connection *connection)
{
    EXTRA_RESOLVED(void (*)(struct MHD_Connection *), "MHD_resume_connection");
    function(connection);
}

MHD_socket MHD_quiesce_daemon(struct MHD_Daemon *daemon)
{
    EXTRA_RESOLVED(MHD_socket (*)(struct MHD_Daemon *), "MHD_quiesce_daemon");
    return function(daemon);
}
