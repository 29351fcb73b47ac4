/*
 * lazy_lib.c - dlopen a shared library the first time one of its
 * functions is called (see lazy_lib.h for why).
 */
#include "lazy_lib.h"

#include <dlfcn.h>
#include <stdio.h>

/* pthread_once takes no argument: the library being loaded, per thread. */
static __thread struct lazy_lib *loading;

static void load(void)
{
    struct lazy_lib *lib = loading;
    for (const char *const *name = lib->names; *name && !lib->handle; name++)
        lib->handle = dlopen(*name, RTLD_NOW | RTLD_LOCAL);
    if (!lib->handle)
        fprintf(stderr, "judgebox: cannot load %s: %s\n", lib->names[0], dlerror());
}

void *lazy_symbol(struct lazy_lib *lib, const char *name)
{
    loading = lib;
    pthread_once(&lib->once, load);
    if (!lib->handle)
        return NULL;
    void *symbol = dlsym(lib->handle, name);
    if (!symbol)
        fprintf(stderr, "judgebox: %s has no %s\n", lib->names[0], name);
    return symbol;
}
