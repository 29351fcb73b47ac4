/*
 * network.h - a networked run's namespace, link, addresses and rules
 * (network.c), for run.c and the cleanup in context.c.
 */
#ifndef JUDGEBOX_NETWORK_H
#define JUDGEBOX_NETWORK_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "sandbox.h"

typedef struct run_network {
    bool active;                 /* something to undo */
    int run_netns_fd;
    int counter_fds[2];          /* the host end's rx_bytes and tx_bytes */
    uint32_t subnet;             /* host order: the slot's /30 */
    uint64_t max_bytes, bytes;   /* bytes: the count when it ended */
    char host_ifname[IFNAMSIZ];
    char table[64];
} run_network;

/* On the slot's runner thread: build the run's network; on success the
 * thread sits in the run's fresh net namespace (runs cloned now start
 * there) until network_end takes it back to the slot's. */
int network_begin(sandbox_slot *slot, const sandbox_network *network, run_network *rn, sandbox_error *error);
/* Bytes on the run's link so far, both ways. */
uint64_t network_bytes(const run_network *rn);
/* After the run's processes are gone: remove the host side, back to the
 * slot's namespace.  A no-op when nothing was begun. */
int network_end(sandbox_slot *slot, run_network *rn, sandbox_error *error);
/* `judgebox cleanup` of an idle slot: what a crashed process left on the
 * host.  `*tables`: the host's table list, fetched on first use (free it). */
int network_cleanup_slot(const char *state_dir, unsigned index, char **tables, sandbox_error *error);

#endif
