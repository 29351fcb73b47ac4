/*
 * mhd_lazy.c - libmicrohttpd, loaded only when `judgebox serve` first
 * needs it.  Linked normally, libmicrohttpd brings gnutls and about ten
 * more shared libraries (p11-kit, nettle, gmp, idn2, ...) into every
 * process, whose loading and constructors cost ~4 ms per start here:
 * more than a whole sandboxed run of /bin/true, and paid by every
 * `judgebox run`.  So the binary is not linked with it (mk/link.mk);
 * these definitions of the MHD functions the server uses dlopen the
 * library on first use and forward to it (lazy_lib.h).
 *
 * The server may call only the functions defined here: using another MHD
 * function fails the link with an undefined symbol, add a forwarder below.
 */
#include "lazy_lib.h"

#include <microhttpd.h>
#include <stdarg.h>

static struct lazy_lib mhd = LAZY_LIB("libmicrohttpd.so.12", "libmicrohttpd.so");
#define RESOLVED(call, name) LAZY_RESOLVED(&mhd, call, name)

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
                                    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
    typedef struct MHD_Daemon *(*start_va)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
                                           MHD_AccessHandlerCallback, void *, va_list);
    RESOLVED(start_va, "MHD_start_daemon_va");
    if (!function)
        return NULL;
    va_list ap;
    va_start(ap, dh_cls);
    struct MHD_Daemon *daemon = function(flags, port, apc, apc_cls, dh, dh_cls, ap);
    va_end(ap);
    return daemon;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
    RESOLVED(void (*)(struct MHD_Daemon *), "MHD_stop_daemon");
    if (function)
        function(daemon);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key)
{
    RESOLVED(const char *(*)(struct MHD_Connection *, enum MHD_ValueKind, const char *),
             "MHD_lookup_connection_value");
    return function ? function(connection, kind, key) : NULL;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
                                   struct MHD_Response *response)
{
    RESOLVED(enum MHD_Result (*)(struct MHD_Connection *, unsigned int, struct MHD_Response *),
             "MHD_queue_response");
    return function ? function(connection, status_code, response) : MHD_NO;
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode)
{
    RESOLVED(struct MHD_Response *(*)(size_t, void *, enum MHD_ResponseMemoryMode),
             "MHD_create_response_from_buffer");
    return function ? function(size, buffer, mode) : NULL;
}

void MHD_destroy_response(struct MHD_Response *response)
{
    RESOLVED(void (*)(struct MHD_Response *), "MHD_destroy_response");
    if (function)
        function(response);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header, const char *content)
{
    RESOLVED(enum MHD_Result (*)(struct MHD_Response *, const char *, const char *), "MHD_add_response_header");
    return function ? function(response, header, content) : MHD_NO;
}

/* Every info type this MHD version knows takes no variadic argument. */
const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *connection,
                                                        enum MHD_ConnectionInfoType info_type, ...)
{
    RESOLVED(const union MHD_ConnectionInfo *(*)(struct MHD_Connection *, enum MHD_ConnectionInfoType, ...),
             "MHD_get_connection_info");
    return function ? function(connection, info_type) : NULL;
}

/* Suspend/resume while an executor judges a request, quiesce at shutdown:
 * reached only after MHD_start_daemon loaded the library. */
void MHD_suspend_connection(struct MHD_Connection *connection)
{
    RESOLVED(void (*)(struct MHD_Connection *), "MHD_suspend_connection");
    if (function)
        function(connection);
}

void MHD_resume_connection(struct MHD_Connection *connection)
{
    RESOLVED(void (*)(struct MHD_Connection *), "MHD_resume_connection");
    if (function)
        function(connection);
}

MHD_socket MHD_quiesce_daemon(struct MHD_Daemon *daemon)
{
    RESOLVED(MHD_socket (*)(struct MHD_Daemon *), "MHD_quiesce_daemon");
    return function ? function(daemon) : MHD_INVALID_SOCKET;
}

/* Replies whose bytes a handler made (freed by its callback) and streamed
 * replies. */
struct MHD_Response *MHD_create_response_from_buffer_with_free_callback(size_t size, void *buffer,
                                                                        MHD_ContentReaderFreeCallback crfc)
{
    RESOLVED(struct MHD_Response *(*)(size_t, void *, MHD_ContentReaderFreeCallback),
             "MHD_create_response_from_buffer_with_free_callback");
    return function ? function(size, buffer, crfc) : NULL;
}

struct MHD_Response *MHD_create_response_from_callback(uint64_t size, size_t block_size,
                                                       MHD_ContentReaderCallback crc, void *crc_cls,
                                                       MHD_ContentReaderFreeCallback crfc)
{
    RESOLVED(struct MHD_Response *(*)(uint64_t, size_t, MHD_ContentReaderCallback, void *,
                                      MHD_ContentReaderFreeCallback),
             "MHD_create_response_from_callback");
    return function ? function(size, block_size, crc, crc_cls, crfc) : NULL;
}

/* WebSocket upgrades (server/live/). */
struct MHD_Response *MHD_create_response_for_upgrade(MHD_UpgradeHandler upgrade_handler, void *upgrade_handler_cls)
{
    RESOLVED(struct MHD_Response *(*)(MHD_UpgradeHandler, void *), "MHD_create_response_for_upgrade");
    return function ? function(upgrade_handler, upgrade_handler_cls) : NULL;
}

/* Every action the server uses (CLOSE) takes no variadic argument. */
enum MHD_Result MHD_upgrade_action(struct MHD_UpgradeResponseHandle *urh, enum MHD_UpgradeAction action, ...)
{
    RESOLVED(enum MHD_Result (*)(struct MHD_UpgradeResponseHandle *, enum MHD_UpgradeAction, ...),
             "MHD_upgrade_action");
    return function ? function(urh, action) : MHD_NO;
}
