/*
 * problems_http.h - the /v1/problems endpoints (listed in
 * server/http/routes.c): upload a package (its body spooled to disk),
 * list, show and delete stored problems.
 */
#ifndef JUDGEBOX_PROBLEMS_HTTP_H
#define JUDGEBOX_PROBLEMS_HTTP_H

#include "route.h"

void problems_post(http_request *req);     /* POST /v1/problems */
void problems_list(http_request *req);     /* GET /v1/problems */
void problems_get(http_request *req);      /* GET /v1/problems/{id} */
void problems_delete(http_request *req);   /* DELETE /v1/problems/{id} */
/* The upload cap (config max_problem_bytes), for the spooled route. */
uint64_t problems_max_body(const server_config *config);

#endif
