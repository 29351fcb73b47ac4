/*
 * netpolicy.h - opt-in network: the operator's policy from the config
 * ("network": {"enabled", "allow", "max_bytes", "subnet", "masquerade"}),
 * allow entries ("HOST:PORT", "CIDR:PORT", PORT may be "LOW-HIGH") parsed
 * into the core's sandbox_net_rule, and a request's "network" checked to
 * ask for no more than the policy allows.  Builds plain data for the spec
 * (sandbox_network); the kernel work is sandbox/network.c's.
 */
#ifndef JUDGEBOX_NETPOLICY_H
#define JUDGEBOX_NETPOLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sandbox.h"

#define NET_MAX_RULES 64

typedef struct network_policy {
    bool enabled;
    size_t count;
    sandbox_net_rule allow[NET_MAX_RULES];
    char *allow_text[NET_MAX_RULES];  /* as the operator wrote them (a request may name one) */
    uint64_t max_bytes;               /* 0 = no cap */
    uint32_t subnet;                  /* network order; 0 = the core's default */
    bool masquerade;
} network_policy;

/* "HOST:PORT", "A.B.C.D/N:PORT", PORT "N" or "N-M".  HOST may be a name
 * only when `resolve` (the operator's config): every IPv4 address it has
 * then becomes a rule, up to `max` of them.  Returns the number of rules
 * written to `out`, or -1 with a message. */
int net_rule_parse(const char *text, bool resolve, sandbox_net_rule *out, size_t max, char *error, size_t size);
/* Is every address and port of `inner` within `outer`? */
bool net_rule_within(const sandbox_net_rule *inner, const sandbox_net_rule *outer);

/* The config's "network" object over `policy`. -1 with a message. */
int network_policy_load(network_policy *policy, json_t *value, char *error, size_t size);
void network_policy_free(network_policy *policy);

/* A request's "network": true (all the policy allows), false/null (none),
 * or {"allow": [...]} (a subset: each entry one of the policy's own
 * strings or within one of its rules).  0 with *out NULL (no network) or
 * malloc'd (the rules follow it in the same block: free(*out) frees all);
 * -1 with *status (403: not allowed, 422: malformed) and a message. */
int network_request_parse(const network_policy *policy, json_t *value, sandbox_network **out, int *status,
                          char *error, size_t size);

#endif
