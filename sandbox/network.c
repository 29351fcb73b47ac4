/*
 * network.c - the network of a networked run (sandbox_spec.network), on
 * the slot's runner thread.  Before the run: a fresh net namespace of the
 * run's own (the slot's shared one stays empty), a veth pair ("eth0" in
 * the run, "jb<hash>-<slot>" on the host, <hash> naming the state
 * directory so two servers never share a name), the slot's /30 (host .1,
 * run .2), a default route, and an nftables table inside the run's
 * namespace that lets out only the allowed destinations and counts the
 * bytes against the cap.  That namespace belongs to the initial user
 * namespace: the program, without capabilities there, cannot change it.
 * On the host: the interface's own forwarding switch (no global sysctl)
 * and, unless turned off, a masquerade rule in a table of judgebox's own
 * ("ip judgebox_<hash>_<slot>").  After the run, or for a slot a crashed
 * process left (`judgebox cleanup`), the table and the interface are
 * removed; the run's namespace goes with its last process.
 *
 * libmnl (rtnetlink) and libnftables are loaded with dlopen on the first
 * networked run: a `judgebox run` without network pays nothing for them.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "internal.h"
#include "network.h"

#define DEFAULT_SUBNET 0x0AD50000u /* 10.213.0.0 */
#define RUN_IFNAME "eth0"

/* The library functions used here, resolved once. */
static struct {
    __typeof__(&mnl_socket_open) socket_open;
    __typeof__(&mnl_socket_bind) socket_bind;
    __typeof__(&mnl_socket_get_portid) socket_get_portid;
    __typeof__(&mnl_socket_sendto) socket_sendto;
    __typeof__(&mnl_socket_recvfrom) socket_recvfrom;
    __typeof__(&mnl_socket_close) socket_close;
    __typeof__(&mnl_nlmsg_put_header) put_header;
    __typeof__(&mnl_nlmsg_put_extra_header) put_extra_header;
    __typeof__(&mnl_attr_put) attr_put;
    __typeof__(&mnl_attr_put_u32) attr_put_u32;
    __typeof__(&mnl_attr_put_strz) attr_put_strz;
    __typeof__(&mnl_attr_nest_start) nest_start;
    __typeof__(&mnl_attr_nest_end) nest_end;
    __typeof__(&mnl_cb_run) cb_run;
    __typeof__(&nft_ctx_new) nft_new;
    __typeof__(&nft_ctx_free) nft_free;
    __typeof__(&nft_ctx_buffer_error) nft_buffer_error;
    __typeof__(&nft_ctx_get_error_buffer) nft_error_buffer;
    __typeof__(&nft_run_cmd_from_buffer) nft_run;
    __typeof__(&nft_ctx_buffer_output) nft_buffer_output;
    __typeof__(&nft_ctx_get_output_buffer) nft_output_buffer;
    char error[256];
} lib;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void load_libraries(void)
{
    void *mnl = dlopen("libmnl.so.0", RTLD_NOW | RTLD_LOCAL);
    void *nft = mnl ? dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL) : NULL;
    if (!mnl || !nft) {
        snprintf(lib.error, sizeof lib.error, "load %s: %s", mnl ? "libnftables.so.1" : "libmnl.so.0", dlerror());
        return;
    }
#define LOAD(handle, field, name)                                                                                   \
    if (!(*(void **)&lib.field = dlsym(handle, name))) {                                                            \
        snprintf(lib.error, sizeof lib.error, "resolve %s: %s", name, dlerror());                                   \
        return;                                                                                                     \
    }
    LOAD(mnl, socket_open, "mnl_socket_open");
    LOAD(mnl, socket_bind, "mnl_socket_bind");
    LOAD(mnl, socket_get_portid, "mnl_socket_get_portid");
    LOAD(mnl, socket_sendto, "mnl_socket_sendto");
    LOAD(mnl, socket_recvfrom, "mnl_socket_recvfrom");
    LOAD(mnl, socket_close, "mnl_socket_close");
    LOAD(mnl, put_header, "mnl_nlmsg_put_header");
    LOAD(mnl, put_extra_header, "mnl_nlmsg_put_extra_header");
    LOAD(mnl, attr_put, "mnl_attr_put");
    LOAD(mnl, attr_put_u32, "mnl_attr_put_u32");
    LOAD(mnl, attr_put_strz, "mnl_attr_put_strz");
    LOAD(mnl, nest_start, "mnl_attr_nest_start");
    LOAD(mnl, nest_end, "mnl_attr_nest_end");
    LOAD(mnl, cb_run, "mnl_cb_run");
    LOAD(nft, nft_new, "nft_ctx_new");
    LOAD(nft, nft_free, "nft_ctx_free");
    LOAD(nft, nft_buffer_error, "nft_ctx_buffer_error");
    LOAD(nft, nft_error_buffer, "nft_ctx_get_error_buffer");
    LOAD(nft, nft_run, "nft_run_cmd_from_buffer");
    LOAD(nft, nft_buffer_output, "nft_ctx_buffer_output");
    LOAD(nft, nft_output_buffer, "nft_ctx_get_output_buffer");
#undef LOAD
}

static int need_libraries(sandbox_error *error)
{
    pthread_once(&lib_once, load_libraries);
    if (lib.error[0])
        return error_set(error, ENOSYS, "network: %s (install libmnl0 and libnftables1)", lib.error);
    return 0;
}

/* Names of slot `index`'s host-side things: "jb1a2b-3", "judgebox_1a2b_3". */
static void host_names(const char *state_dir, unsigned index, char ifname[IFNAMSIZ], char table[64])
{
    uint32_t hash = 2166136261u; /* FNV-1a, folded to 16 bits */
    for (const char *p = state_dir; *p; p++)
        hash = (hash ^ (uint8_t)*p) * 16777619u;
    hash = (hash >> 16) ^ (hash & 0xffff);
    snprintf(ifname, IFNAMSIZ, "jb%04" PRIx32 "-%u", hash, index);
    snprintf(table, 64, "judgebox_%04" PRIx32 "_%u", hash, index);
}

/* ---- rtnetlink ---- */

static struct mnl_socket *rtnl_open(sandbox_error *error)
{
    struct mnl_socket *nl = lib.socket_open(NETLINK_ROUTE);
    if (!nl) {
        error_errno(error, "network: open an rtnetlink socket");
        return NULL;
    }
    if (lib.socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        error_errno(error, "network: bind an rtnetlink socket");
        lib.socket_close(nl);
        return NULL;
    }
    return nl;
}

static struct nlmsghdr *rtnl_message(char *buf, uint16_t type, uint16_t flags)
{
    memset(buf, 0, 4096);
    struct nlmsghdr *msg = lib.put_header(buf);
    msg->nlmsg_type = type;
    msg->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    msg->nlmsg_seq = (uint32_t)time(NULL);
    return msg;
}

/* Send `msg` and wait for its acknowledgement: 0, or -1 with errno. */
static int rtnl_talk(struct mnl_socket *nl, struct nlmsghdr *msg)
{
    if (lib.socket_sendto(nl, msg, msg->nlmsg_len) < 0)
        return -1;
    char reply[8192];
    ssize_t got = lib.socket_recvfrom(nl, reply, sizeof reply);
    if (got < 0)
        return -1;
    return lib.cb_run(reply, (size_t)got, msg->nlmsg_seq, lib.socket_get_portid(nl), NULL, NULL) < 0 ? -1 : 0;
}

/* A message about the link named `ifname` (no index needed). */
static struct nlmsghdr *link_message(char *buf, uint16_t type, uint16_t flags, const char *ifname, bool up)
{
    struct nlmsghdr *msg = rtnl_message(buf, type, flags);
    struct ifinfomsg *ifi = lib.put_extra_header(msg, sizeof *ifi);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_change = up ? IFF_UP : 0;
    ifi->ifi_flags = up ? IFF_UP : 0;
    lib.attr_put_strz(msg, IFLA_IFNAME, ifname);
    return msg;
}

static int link_up(struct mnl_socket *nl, const char *ifname, sandbox_error *error)
{
    char buf[4096];
    if (rtnl_talk(nl, link_message(buf, RTM_NEWLINK, 0, ifname, true)) < 0)
        return error_errno(error, "network: set %s up", ifname);
    return 0;
}

/* 0 when deleted or absent. */
static int link_delete(struct mnl_socket *nl, const char *ifname, sandbox_error *error)
{
    char buf[4096];
    if (rtnl_talk(nl, link_message(buf, RTM_DELLINK, 0, ifname, false)) < 0 && errno != ENODEV)
        return error_errno(error, "network: delete %s", ifname);
    return 0;
}

/* The pair: `inner` here, `outer` in the net namespace `outer_ns`. */
static int veth_create(struct mnl_socket *nl, const char *inner, const char *outer, int outer_ns,
                       sandbox_error *error)
{
    char buf[4096];
    struct nlmsghdr *msg = link_message(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, inner, false);
    struct nlattr *info = lib.nest_start(msg, IFLA_LINKINFO);
    lib.attr_put_strz(msg, IFLA_INFO_KIND, "veth");
    struct nlattr *data = lib.nest_start(msg, IFLA_INFO_DATA);
    struct nlattr *peer = lib.nest_start(msg, VETH_INFO_PEER);
    struct ifinfomsg peer_info = {.ifi_family = AF_UNSPEC};
    /* The peer's ifinfomsg sits inside the attribute, before its own attributes. */
    memcpy((char *)msg + msg->nlmsg_len, &peer_info, sizeof peer_info);
    msg->nlmsg_len += NLMSG_ALIGN(sizeof peer_info);
    lib.attr_put_strz(msg, IFLA_IFNAME, outer);
    lib.attr_put_u32(msg, IFLA_NET_NS_FD, (uint32_t)outer_ns);
    lib.nest_end(msg, peer);
    lib.nest_end(msg, data);
    lib.nest_end(msg, info);
    if (rtnl_talk(nl, msg) < 0)
        return error_errno(error, "network: create the veth pair %s/%s", inner, outer);
    return 0;
}

static int address_add(struct mnl_socket *nl, const char *ifname, uint32_t address, sandbox_error *error)
{
    unsigned index = if_nametoindex(ifname);
    if (index == 0)
        return error_errno(error, "network: find %s", ifname);
    char buf[4096];
    struct nlmsghdr *msg = rtnl_message(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    struct ifaddrmsg *ifa = lib.put_extra_header(msg, sizeof *ifa);
    *ifa = (struct ifaddrmsg){.ifa_family = AF_INET, .ifa_prefixlen = 30, .ifa_index = index};
    uint32_t net = htonl(address);
    lib.attr_put(msg, IFA_LOCAL, sizeof net, &net);
    lib.attr_put(msg, IFA_ADDRESS, sizeof net, &net);
    if (rtnl_talk(nl, msg) < 0)
        return error_errno(error, "network: add an address to %s", ifname);
    return 0;
}

static int default_route(struct mnl_socket *nl, const char *ifname, uint32_t gateway, sandbox_error *error)
{
    unsigned index = if_nametoindex(ifname);
    if (index == 0)
        return error_errno(error, "network: find %s", ifname);
    char buf[4096];
    struct nlmsghdr *msg = rtnl_message(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    struct rtmsg *rt = lib.put_extra_header(msg, sizeof *rt);
    *rt = (struct rtmsg){.rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
                         .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST};
    uint32_t net = htonl(gateway);
    lib.attr_put(msg, RTA_GATEWAY, sizeof net, &net);
    lib.attr_put_u32(msg, RTA_OIF, index);
    if (rtnl_talk(nl, msg) < 0)
        return error_errno(error, "network: add the default route via %s", ifname);
    return 0;
}

/* ---- nftables ---- */

/* libnftables keeps some state process-wide (its GMP set-up, symbol
 * tables): slots' runner threads take turns with it. */
static pthread_mutex_t nft_mutex = PTHREAD_MUTEX_INITIALIZER;

/* libnftables calls exit(3) from inside the library when it cannot open
 * its netlink socket (a kernel built without nf_tables' netlink, as the
 * cgroup v2 VM's is): ask the kernel first, so that a server or `judgebox
 * cleanup` gets an error instead of ending. */
static int nftables_netlink_available(sandbox_error *error)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd < 0)
        return error_errno(error, "network: this kernel offers no nftables (netlink NETLINK_NETFILTER)");
    close(fd);
    return 0;
}

/* Run `commands` in the current net namespace; `quiet`: failures are not errors. */
static int nft_apply(const char *commands, bool quiet, sandbox_error *error)
{
    if (nftables_netlink_available(error) < 0)
        return quiet ? 0 : -1;
    pthread_mutex_lock(&nft_mutex);
    struct nft_ctx *nft = lib.nft_new(NFT_CTX_DEFAULT);
    if (!nft) {
        pthread_mutex_unlock(&nft_mutex);
        return error_set(error, ENOMEM, "network: nft_ctx_new");
    }
    lib.nft_buffer_error(nft);
    int rc = lib.nft_run(nft, commands);
    if (rc != 0 && !quiet) {
        const char *why = lib.nft_error_buffer(nft);
        error_set(error, EINVAL, "network: nftables refused the rules: %.300s", why ? why : "?");
    }
    lib.nft_free(nft);
    pthread_mutex_unlock(&nft_mutex);
    return rc != 0 && !quiet ? -1 : 0;
}

static void format_address(uint32_t host_order, char out[INET_ADDRSTRLEN])
{
    uint32_t net = htonl(host_order);
    inet_ntop(AF_INET, &net, out, INET_ADDRSTRLEN);
}

/* The run's own table: out only to the allowed destinations; everything
 * that passes, both ways, counts against the cap (after the filter, so
 * the count stays below the link's). */
static char *run_rules(const sandbox_network *network)
{
    size_t size = 1024 + network->allow_count * 128;
    char *text = malloc(size);
    if (!text)
        return NULL;
    int n = snprintf(text, size,
                     "table inet judgebox {\n"
                     "  quota cap { over %" PRIu64 " bytes; }\n"
                     "  chain counted {\n    %s\n    accept\n  }\n"
                     "  chain output {\n"
                     "    type filter hook output priority 0; policy drop;\n"
                     "    oif \"lo\" accept\n"
                     "    ct state established,related jump counted\n",
                     network->max_bytes ? network->max_bytes : UINT64_MAX / 2,
                     network->max_bytes ? "quota name \"cap\" drop" : "");
    for (size_t i = 0; i < network->allow_count; i++) {
        const sandbox_net_rule *r = &network->allow[i];
        char address[INET_ADDRSTRLEN];
        format_address(ntohl(r->address), address);
        n += snprintf(text + n, size - (size_t)n,
                      "    ip daddr %s/%u meta l4proto { tcp, udp } th dport %u-%u jump counted\n", address,
                      (unsigned)r->prefix, (unsigned)r->port_min, (unsigned)r->port_max);
    }
    snprintf(text + n, size - (size_t)n,
             "  }\n"
             "  chain input {\n"
             "    type filter hook input priority 0; policy drop;\n"
             "    iif \"lo\" accept\n"
             "    ct state established,related jump counted\n"
             "  }\n"
             "}\n");
    return text;
}

/* ---- the host side ---- */

static int write_sysctl(const char *ifname, const char *family, const char *name, const char *value,
                        sandbox_error *error)
{
    char path[128];
    snprintf(path, sizeof path, "/proc/sys/net/%s/conf/%s/%s", family, ifname, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return error_errno(error, "network: open %s", path);
    ssize_t wrote = write(fd, value, strlen(value));
    int saved = errno;
    close(fd);
    errno = saved;
    if (wrote < 0)
        return error_errno(error, "network: write %s", path);
    return 0;
}

/* In the host's namespace: remove slot `index`'s table and interface. */
static int remove_host_side(const char *ifname, const char *table, sandbox_error *error)
{
    char commands[160];
    /* "add" first: deleting a table that is not there is an error. */
    snprintf(commands, sizeof commands, "add table ip %s\ndelete table ip %s\n", table, table);
    int rc = nft_apply(commands, false, error);
    struct mnl_socket *nl = rtnl_open(error);
    if (!nl)
        return -1;
    if (link_delete(nl, ifname, error) < 0)
        rc = -1;
    lib.socket_close(nl);
    return rc;
}

static int setup_host_side(const sandbox_network *network, run_network *rn, sandbox_error *error)
{
    struct mnl_socket *nl = rtnl_open(error);
    if (!nl)
        return -1;
    /* No IPv6 chatter on the link (it would count against the cap). */
    int rc = write_sysctl(rn->host_ifname, "ipv6", "disable_ipv6", "1", error);
    if (rc == 0)
        rc = write_sysctl(rn->host_ifname, "ipv4", "forwarding", "1", error);
    if (rc == 0)
        rc = address_add(nl, rn->host_ifname, rn->subnet + 1, error);
    if (rc == 0)
        rc = link_up(nl, rn->host_ifname, error);
    lib.socket_close(nl);
    if (rc < 0)
        return -1;
    if (!network->no_masquerade) {
        char run_address[INET_ADDRSTRLEN], commands[512];
        format_address(rn->subnet + 2, run_address);
        snprintf(commands, sizeof commands,
                 "table ip %s {\n"
                 "  chain postrouting {\n"
                 "    type nat hook postrouting priority srcnat; policy accept;\n"
                 "    ip saddr %s oifname != \"%s\" masquerade\n"
                 "  }\n"
                 "}\n",
                 rn->table, run_address, rn->host_ifname);
        if (nft_apply(commands, false, error) < 0)
            return -1;
    }
    static const char *const counters[] = {"rx_bytes", "tx_bytes"};
    for (int i = 0; i < 2; i++) {
        char path[128];
        snprintf(path, sizeof path, "/sys/class/net/%s/statistics/%s", rn->host_ifname, counters[i]);
        rn->counter_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (rn->counter_fds[i] < 0)
            return error_errno(error, "network: open %s", path);
    }
    return 0;
}

static int setup_run_side(const sandbox_network *network, run_network *rn, int host_netns_fd,
                          sandbox_error *error)
{
    struct mnl_socket *nl = rtnl_open(error);
    if (!nl)
        return -1;
    int rc = veth_create(nl, RUN_IFNAME, rn->host_ifname, host_netns_fd, error);
    if (rc == 0)
        rc = write_sysctl(RUN_IFNAME, "ipv6", "disable_ipv6", "1", error);
    if (rc == 0)
        rc = link_up(nl, "lo", error);
    if (rc == 0)
        rc = address_add(nl, RUN_IFNAME, rn->subnet + 2, error);
    if (rc == 0)
        rc = link_up(nl, RUN_IFNAME, error);
    if (rc == 0)
        rc = default_route(nl, RUN_IFNAME, rn->subnet + 1, error);
    lib.socket_close(nl);
    if (rc < 0)
        return -1;
    char *rules = run_rules(network);
    if (!rules)
        return error_set(error, ENOMEM, "network: the run's rules");
    rc = nft_apply(rules, false, error);
    free(rules);
    return rc;
}

static int enter(int netns_fd, const char *which, sandbox_error *error)
{
    if (setns(netns_fd, CLONE_NEWNET) < 0)
        return error_errno(error, "network: enter the %s net namespace", which);
    return 0;
}

int network_begin(sandbox_slot *slot, const sandbox_network *network, run_network *rn, sandbox_error *error)
{
    *rn = (run_network){.run_netns_fd = -1, .counter_fds = {-1, -1}, .max_bytes = network->max_bytes};
    if (need_libraries(error) < 0)
        return -1;
    if (slot->host_netns_fd < 0 || slot->slot_netns_fd < 0)
        return error_set(error, EINVAL, "network: slot %u has no host net namespace to reach", slot->index);
    uint32_t base = network->subnet ? ntohl(network->subnet) : DEFAULT_SUBNET;
    rn->subnet = (base & ~3u) + 4u * slot->index;
    host_names(slot->context->state_dir, slot->index, rn->host_ifname, rn->table);
    /* Whatever a crashed process left for this slot goes first (the slot's lock is ours). */
    if (enter(slot->host_netns_fd, "host", error) < 0)
        return -1;
    rn->active = true;
    if (remove_host_side(rn->host_ifname, rn->table, error) < 0)
        goto fail;
    if (unshare(CLONE_NEWNET) < 0) {
        error_errno(error, "network: unshare a net namespace for the run");
        goto fail;
    }
    rn->run_netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (rn->run_netns_fd < 0) {
        error_errno(error, "network: open the run's net namespace");
        goto fail;
    }
    if (setup_run_side(network, rn, slot->host_netns_fd, error) < 0 ||
        enter(slot->host_netns_fd, "host", error) < 0 || setup_host_side(network, rn, error) < 0 ||
        enter(rn->run_netns_fd, "run's", error) < 0)
        goto fail;
    return 0;
fail:;
    sandbox_error ignored;
    network_end(slot, rn, &ignored);
    return -1;
}

uint64_t network_bytes(const run_network *rn)
{
    uint64_t total = 0;
    for (int i = 0; i < 2; i++) {
        char text[32];
        ssize_t got = rn->counter_fds[i] >= 0 ? pread(rn->counter_fds[i], text, sizeof text - 1, 0) : -1;
        if (got > 0) {
            text[got] = '\0';
            total += strtoull(text, NULL, 10);
        }
    }
    return total;
}

int network_end(sandbox_slot *slot, run_network *rn, sandbox_error *error)
{
    if (!rn->active)
        return 0;
    rn->active = false;
    rn->bytes = network_bytes(rn);
    for (int i = 0; i < 2; i++)
        if (rn->counter_fds[i] >= 0)
            close(rn->counter_fds[i]);
    rn->counter_fds[0] = rn->counter_fds[1] = -1;
    int rc = enter(slot->host_netns_fd, "host", error);
    if (rc == 0)
        rc = remove_host_side(rn->host_ifname, rn->table, error);
    if (rn->run_netns_fd >= 0)
        close(rn->run_netns_fd); /* the namespace goes with its last process */
    rn->run_netns_fd = -1;
    if (enter(slot->slot_netns_fd, "slot's", error) < 0) {
        rc = -1;
        /* Never leave the runner in the host's namespace: later runs start
         * where it is.  An empty namespace of its own will do. */
        if (unshare(CLONE_NEWNET) < 0)
            slot->network_broken = true; /* run.c refuses every later run of the slot */
    }
    return rc;
}

/* "list tables" in the host's namespace, once per cleanup; NULL when
 * the libraries cannot load or the kernel has no nftables (then no run
 * here could have made one). */
static char *list_tables(void)
{
    pthread_once(&lib_once, load_libraries);
    sandbox_error ignored;
    if (lib.error[0] || nftables_netlink_available(&ignored) < 0)
        return NULL;
    pthread_mutex_lock(&nft_mutex);
    struct nft_ctx *nft = lib.nft_new(NFT_CTX_DEFAULT);
    if (!nft) {
        pthread_mutex_unlock(&nft_mutex);
        return NULL;
    }
    lib.nft_buffer_output(nft);
    lib.nft_buffer_error(nft);
    char *text = NULL;
    if (lib.nft_run(nft, "list tables") == 0) {
        const char *out = lib.nft_output_buffer(nft);
        text = strdup(out ? out : "");
    }
    lib.nft_free(nft);
    pthread_mutex_unlock(&nft_mutex);
    return text;
}

int network_cleanup_slot(const char *state_dir, unsigned index, char **tables, sandbox_error *error)
{
    char ifname[IFNAMSIZ], table[64], line[96];
    host_names(state_dir, index, ifname, table);
    if (!*tables)
        *tables = list_tables();
    snprintf(line, sizeof line, "table ip %s\n", table);
    bool has_table = *tables && strstr(*tables, line);
    if (!has_table && if_nametoindex(ifname) == 0)
        return 0;
    if (need_libraries(error) < 0)
        return -1;
    return remove_host_side(ifname, table, error);
}
