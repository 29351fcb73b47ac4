/*
 * fuzz_netpolicy.c - libFuzzer harness for the network policy parsers
 * (server/common/netpolicy.c).  The first byte picks: an allow entry
 * ("HOST:PORT", "CIDR:PORT"; no name resolution), or a request's
 * "network" JSON against a fixed operator policy.  Properties: a parsed
 * rule is well formed (prefix <= 32, 1 <= port_min <= port_max, no host
 * bits) and within itself; every rule a request is granted lies within
 * one of the operator's rules (never more than the operator allows).
 */
#include <arpa/inet.h>
#include <string.h>

#include "fuzz.h"
#include "netpolicy.h"

static const char policy_json[] =
    "{\"enabled\": true, \"allow\": [\"10.0.0.5:80\", \"192.168.0.0/16:1000-2000\", \"172.16.1.1:53\"],"
    " \"max_bytes\": 1000}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text_after_selector(data, size);
    if (!text)
        return 0;
    char why[400];
    if (data[0] % 2 == 0) {
        sandbox_net_rule rule;
        if (net_rule_parse(text, false, &rule, 1, why, sizeof why) == 1) {
            FUZZ_ASSERT(rule.prefix <= 32 && rule.port_min >= 1 && rule.port_min <= rule.port_max);
            uint32_t mask = rule.prefix ? htonl(~0u << (32 - rule.prefix)) : 0;
            FUZZ_ASSERT((rule.address & ~mask) == 0);
            FUZZ_ASSERT(net_rule_within(&rule, &rule));
        }
    } else {
        static network_policy policy;
        static bool loaded;
        if (!loaded) {
            json_t *p = json_loads(policy_json, 0, NULL);
            FUZZ_ASSERT(p && network_policy_load(&policy, p, why, sizeof why) == 0);
            json_decref(p);
            loaded = true;
        }
        json_t *value = json_loadb(text, size - 1, JSON_DECODE_ANY, NULL);
        sandbox_network *granted = NULL;
        int status = 0;
        if (value && network_request_parse(&policy, value, &granted, &status, why, sizeof why) == 0 && granted) {
            FUZZ_ASSERT(granted->allow_count <= NET_MAX_RULES);
            for (size_t i = 0; i < granted->allow_count; i++) {
                bool within = false;
                for (size_t k = 0; k < policy.count && !within; k++)
                    within = net_rule_within(&granted->allow[i], &policy.allow[k]);
                FUZZ_ASSERT(within);
            }
            FUZZ_ASSERT(granted->max_bytes == 1000);
        }
        free(granted);
        json_decref(value);
    }
    free(text);
    return 0;
}
