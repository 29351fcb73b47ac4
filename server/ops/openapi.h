/*
 * openapi.h - the OpenAPI 3.1 description of every endpoint, served at
 * GET /v1/openapi.json.  The document is server/ops/openapi.json, built
 * into the binary as it is (openapi.c), so the file in the repository and
 * what the server serves are the same bytes.
 */
#ifndef JUDGEBOX_OPENAPI_H
#define JUDGEBOX_OPENAPI_H

#include <stddef.h>

/* The document (JSON text, not NUL-terminated past len). */
const char *openapi_document(size_t *len);

#endif
