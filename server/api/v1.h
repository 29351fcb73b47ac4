/*
 * v1.h - the handlers of the native v1 endpoints (listed in
 * server/http/routes.c).
 */
#ifndef JUDGEBOX_V1_H
#define JUDGEBOX_V1_H

#include "route.h"

void v1_run(http_request *req);         /* POST /v1/run */
void v1_languages(http_request *req);   /* GET /v1/languages */
void v1_limits(http_request *req);      /* GET /v1/limits */
void v1_health(http_request *req);      /* GET /v1/health */

#endif
