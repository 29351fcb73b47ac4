/*
 * compat.h - the handlers of the drop-in Judge0 CE 1.13.1 and Piston v2
 * APIs, served on the same port as the native API (routes.c lists them).
 * docs/compat.md says, field by field, what is supported, what is mapped
 * and what differs.
 */
#ifndef JUDGEBOX_COMPAT_H
#define JUDGEBOX_COMPAT_H

#include "route.h"

/* Judge0 (judge0_http.c, judge0_info.c) */
void judge0_create(http_request *req);          /* POST /submissions */
void judge0_index(http_request *req);           /* GET /submissions (admin: 403) */
void judge0_show(http_request *req);            /* GET /submissions/{token} */
void judge0_delete(http_request *req);          /* DELETE /submissions/{token} */
void judge0_batch_create(http_request *req);    /* POST /submissions/batch */
void judge0_batch_show(http_request *req);      /* GET /submissions/batch?tokens= */
void judge0_languages(http_request *req);       /* GET /languages */
void judge0_languages_all(http_request *req);   /* GET /languages/all */
void judge0_language_show(http_request *req);  /* GET /languages/{id} */
void judge0_statuses(http_request *req);        /* GET /statuses */
void judge0_about(http_request *req);           /* GET /about */
void judge0_version(http_request *req);         /* GET /version */
void judge0_config_info(http_request *req);     /* GET /config_info */
void judge0_workers(http_request *req);         /* GET /workers */
void judge0_system_info(http_request *req);     /* GET /system_info */
void judge0_statistics(http_request *req);      /* GET /statistics */

/* Piston (piston.c) */
void piston_execute(http_request *req);         /* POST /api/v2/execute */
void piston_runtimes(http_request *req);        /* GET /api/v2/runtimes */
void piston_packages(http_request *req);        /* /api/v2/packages: 501 */

/* Counted by the Judge0 layer for GET /statistics (judge0_info.c). */
void judge0_count_submission(int language_id);
void judge0_count_status(int status_id);

#endif
