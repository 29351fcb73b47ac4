/*
 * fuzz_async_body.c - libFuzzer harness for the asynchronous /v1/run body
 * split (server/store/runs_http.c: runs_split_body, which takes
 * callback_url out and checks it with callback.c's libcurl URL parser).
 * Properties: success or a 400/422 naming callback_url, never anything
 * else; on success the text to store is the body itself, or a JSON object
 * without callback_url, and the URL kept passes the check again.
 */
#include <jansson.h>
#include <string.h>

#include "callback.h"
#include "fuzz.h"
#include "runs_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *request = NULL, *url = NULL;
    size_t len = 0;
    api_error err = {0};
    int rc = runs_split_body((const char *)data, size, 16, &request, &len, &url, &err);
    if (rc < 0) {
        FUZZ_ASSERT(!request && !url);
        FUZZ_ASSERT(err.status == 400 || err.status == 422 || err.status == 500);
        FUZZ_ASSERT(strcmp(err.field, "callback_url") == 0 || err.status == 500);
        return 0;
    }
    FUZZ_ASSERT(request && request[len] == '\0');
    if (url) {
        char why[128];
        FUZZ_ASSERT(callback_url_check(url, why, sizeof why) == 0);
        json_t *root = json_loadb(request, len, 0, NULL);
        FUZZ_ASSERT(json_is_object(root) && !json_object_get(root, "callback_url"));
        json_decref(root);
    } else if (len != size || memcmp(request, data, size) != 0) {
        /* Rewritten only when callback_url was present (null). */
        json_t *root = json_loadb(request, len, 0, NULL);
        FUZZ_ASSERT(json_is_object(root) && !json_object_get(root, "callback_url"));
        json_decref(root);
    }
    free(request);
    free(url);
    return 0;
}
