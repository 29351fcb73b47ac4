# mk/link.mk - how the binaries link their libraries (issue 13).  Every
# shared library is mapped and relocated by the dynamic loader at each
# start, before main: linked as the fragments list them (about 50 shared
# objects with their dependencies), a `judgebox run` spent ~15 ms of CPU
# in the loader, more than the sandboxed run itself.  So, applied to
# LDLIBS by the Makefile's last line, after every fragment added its own:
# - LAZY_LIBS are not linked at all: server/*/*_lazy.c define the functions
#   the code calls and dlopen the library on the first call (lazy_lib.h).
#   Their dependencies (TLS, Kerberos, LDAP, ICU, ...) have no static
#   archives in Debian, so they cannot be linked statically.
# - STATIC_LIBS are linked from Debian's own static archives (they depend
#   only on libc): no loader work at start, no lookup of their symbols.
# The -dev packages that ship the archives are the ones the fragments
# already install.
LAZY_LIBS   := -lcurl -larchive -lmicrohttpd
STATIC_LIBS := -lseccomp -lcap -ljansson -lsqlite3 -lhiredis -lyaml -lnettle
link_libs    = -Wl,-Bstatic $(filter $(STATIC_LIBS),$(1)) -Wl,-Bdynamic $(filter-out $(STATIC_LIBS) $(LAZY_LIBS),$(1))
