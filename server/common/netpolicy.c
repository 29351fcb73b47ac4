/*
 * netpolicy.c - the operator's network policy and a request's subset of
 * it (see netpolicy.h).  Names in the operator's allow list are resolved
 * once, when the config loads (getaddrinfo, IPv4); a request never makes
 * the server resolve anything.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "netpolicy.h"

static int parse_ports(const char *text, sandbox_net_rule *rule)
{
    char *end;
    errno = 0;
    unsigned long low = strtoul(text, &end, 10), high = low;
    if (end == text || errno || (*end && *end != '-'))
        return -1;
    if (*end == '-') {
        const char *second = end + 1;
        high = strtoul(second, &end, 10);
        if (end == second || *end || errno)
            return -1;
    }
    if (low < 1 || high > 65535 || low > high || text[0] == '-' || text[0] == '+')
        return -1;
    rule->port_min = (uint16_t)low;
    rule->port_max = (uint16_t)high;
    return 0;
}

int net_rule_parse(const char *text, bool resolve, sandbox_net_rule *out, size_t max, char *error, size_t size)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text || max == 0) {
        snprintf(error, size, "'%s' is not HOST:PORT or CIDR:PORT", text);
        return -1;
    }
    sandbox_net_rule rule = {.prefix = 32};
    if (parse_ports(colon + 1, &rule) < 0) {
        snprintf(error, size, "'%s': the port must be 1..65535 or LOW-HIGH", text);
        return -1;
    }
    char host[256];
    size_t length = (size_t)(colon - text);
    if (length >= sizeof host) {
        snprintf(error, size, "'%.40s...': the host is too long", text);
        return -1;
    }
    memcpy(host, text, length);
    host[length] = '\0';
    char *slash = strchr(host, '/');
    if (slash) {
        char *end;
        errno = 0;
        unsigned long prefix = strtoul(slash + 1, &end, 10);
        if (end == slash + 1 || *end || errno || prefix > 32) {
            snprintf(error, size, "'%s': the prefix length must be 0..32", text);
            return -1;
        }
        rule.prefix = (uint8_t)prefix;
        *slash = '\0';
    }
    struct in_addr address;
    if (inet_pton(AF_INET, host, &address) == 1) {
        uint32_t mask = rule.prefix ? htonl(~0u << (32 - rule.prefix)) : 0;
        rule.address = address.s_addr & mask;
        out[0] = rule;
        return 1;
    }
    if (!resolve || slash) {
        snprintf(error, size, "'%s': the host must be an IPv4 address%s", text, slash ? "" : " or range (A.B.C.D/N)");
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *found = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &found);
    if (rc != 0) {
        snprintf(error, size, "'%s': cannot resolve %s: %s", text, host, gai_strerror(rc));
        return -1;
    }
    size_t count = 0;
    for (struct addrinfo *a = found; a && count < max; a = a->ai_next) {
        rule.address = ((struct sockaddr_in *)a->ai_addr)->sin_addr.s_addr;
        out[count++] = rule;
    }
    freeaddrinfo(found);
    return (int)count;
}

bool net_rule_within(const sandbox_net_rule *inner, const sandbox_net_rule *outer)
{
    if (inner->prefix < outer->prefix || inner->port_min < outer->port_min || inner->port_max > outer->port_max)
        return false;
    uint32_t mask = outer->prefix ? htonl(~0u << (32 - outer->prefix)) : 0;
    return (inner->address & mask) == (outer->address & mask);
}

void network_policy_free(network_policy *policy)
{
    for (size_t i = 0; i < policy->count; i++)
        free(policy->allow_text[i]);
    memset(policy, 0, sizeof *policy);
}

int network_policy_load(network_policy *policy, json_t *value, char *error, size_t size)
{
    static const char *const known[] = {"enabled", "allow", "max_bytes", "subnet", "masquerade", NULL};
    if (!json_is_object(value)) {
        snprintf(error, size, "network must be an object");
        return -1;
    }
    const char *unknown = json_unknown_key(value, known);
    if (unknown) {
        snprintf(error, size, "network: unknown field '%s'", unknown);
        return -1;
    }
    network_policy_free(policy);
    policy->masquerade = true;
    json_t *enabled = json_object_get(value, "enabled"), *masquerade = json_object_get(value, "masquerade");
    json_t *allow = json_object_get(value, "allow"), *max = json_object_get(value, "max_bytes");
    json_t *subnet = json_object_get(value, "subnet");
    if ((enabled && !json_is_boolean(enabled)) || (masquerade && !json_is_boolean(masquerade))) {
        snprintf(error, size, "network.%s must be true or false", enabled && !json_is_boolean(enabled) ? "enabled"
                                                                                                       : "masquerade");
        return -1;
    }
    policy->enabled = json_is_true(enabled);
    if (masquerade)
        policy->masquerade = json_is_true(masquerade);
    if (max && (!json_is_integer(max) || json_integer_value(max) < 0)) {
        snprintf(error, size, "network.max_bytes must be an integer of 0 or more (0: no cap)");
        return -1;
    }
    policy->max_bytes = max ? (uint64_t)json_integer_value(max) : 0;
    if (subnet) {
        struct in_addr address;
        const char *text = json_string_value(subnet);
        if (!text || inet_pton(AF_INET, text, &address) != 1 || (ntohl(address.s_addr) & 0xffff) != 0) {
            snprintf(error, size, "network.subnet must be an IPv4 address A.B.0.0 (slot N gets its N-th /30)");
            return -1;
        }
        policy->subnet = address.s_addr;
    }
    if (allow && !json_is_array(allow)) {
        snprintf(error, size, "network.allow must be an array of \"HOST:PORT\" or \"CIDR:PORT\" strings");
        return -1;
    }
    size_t i;
    json_t *entry;
    json_array_foreach(allow, i, entry) {
        const char *text = json_string_value(entry);
        if (!text) {
            snprintf(error, size, "network.allow[%zu] must be a string", i);
            return -1;
        }
        char why[300];
        int n = net_rule_parse(text, true, policy->allow + policy->count, NET_MAX_RULES - policy->count, why,
                               sizeof why);
        if (n <= 0) {
            snprintf(error, size, "network.allow[%zu]: %s", i, n == 0 ? "more than 64 rules" : why);
            return -1;
        }
        /* The text names the first of its rules; a request naming it gets all of them. */
        for (int k = 0; k < n; k++)
            policy->allow_text[policy->count + (size_t)k] = strdup(k == 0 ? text : "");
        policy->count += (size_t)n;
    }
    return 0;
}

/* Every rule the request entry `text` stands for, appended to `rules`. */
static int request_entry(const network_policy *policy, const char *text, sandbox_net_rule *rules, size_t *count,
                         int *status, char *error, size_t size)
{
    for (size_t i = 0; i < policy->count; i++) {
        if (policy->allow_text[i] && policy->allow_text[i][0] && strcmp(policy->allow_text[i], text) == 0) {
            /* The operator's own entry, with every address its name had. */
            for (size_t k = i; k < policy->count && (k == i || !policy->allow_text[k][0]); k++) {
                if (*count == NET_MAX_RULES)
                    goto too_many;
                rules[(*count)++] = policy->allow[k];
            }
            return 0;
        }
    }
    sandbox_net_rule rule;
    char why[300];
    if (net_rule_parse(text, false, &rule, 1, why, sizeof why) < 0) {
        *status = 422;
        snprintf(error, size, "network.allow: %s", why);
        return -1;
    }
    for (size_t i = 0; i < policy->count; i++) {
        if (net_rule_within(&rule, &policy->allow[i])) {
            if (*count == NET_MAX_RULES)
                goto too_many;
            rules[(*count)++] = rule;
            return 0;
        }
    }
    *status = 403;
    snprintf(error, size, "network.allow: '%s' is not within what this server allows", text);
    return -1;
too_many:
    *status = 422;
    snprintf(error, size, "network.allow: more than %d destinations", NET_MAX_RULES);
    return -1;
}

int network_request_parse(const network_policy *policy, json_t *value, sandbox_network **out, int *status,
                          char *error, size_t size)
{
    *out = NULL;
    if (!value || json_is_null(value) || json_is_false(value))
        return 0;
    if (!policy->enabled) {
        *status = 403;
        snprintf(error, size, "network is not enabled on this server");
        return -1;
    }
    json_t *allow = NULL;
    if (json_is_object(value)) {
        static const char *const known[] = {"allow", NULL};
        const char *unknown = json_unknown_key(value, known);
        allow = json_object_get(value, "allow");
        if (unknown || !json_is_array(allow)) {
            *status = 422;
            snprintf(error, size, "network must be true, false or {\"allow\": [\"HOST:PORT\", ...]}");
            return -1;
        }
    } else if (!json_is_true(value)) {
        *status = 422;
        snprintf(error, size, "network must be true, false or {\"allow\": [\"HOST:PORT\", ...]}");
        return -1;
    }
    sandbox_network *network = calloc(1, sizeof *network + NET_MAX_RULES * sizeof(sandbox_net_rule));
    if (!network) {
        *status = 500;
        snprintf(error, size, "out of memory");
        return -1;
    }
    sandbox_net_rule *rules = (sandbox_net_rule *)(network + 1);
    size_t count = 0;
    if (!allow) {
        memcpy(rules, policy->allow, policy->count * sizeof *rules);
        count = policy->count;
    } else {
        size_t i;
        json_t *entry;
        json_array_foreach(allow, i, entry) {
            const char *text = json_string_value(entry);
            if (!text) {
                *status = 422;
                snprintf(error, size, "network.allow[%zu] must be a string", i);
                free(network);
                return -1;
            }
            if (request_entry(policy, text, rules, &count, status, error, size) < 0) {
                free(network);
                return -1;
            }
        }
    }
    network->allow = rules;
    network->allow_count = count;
    network->max_bytes = policy->max_bytes;
    network->subnet = policy->subnet;
    network->no_masquerade = !policy->masquerade;
    *out = network;
    return 0;
}
