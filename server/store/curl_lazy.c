/*
 * curl_lazy.c - libcurl, loaded the first time the server validates or
 * delivers a callback_url.  Linked normally it brings OpenSSL, GnuTLS,
 * Kerberos, LDAP, libssh2, ... (about thirty libraries) into every
 * process, paid at each `judgebox run` start (lazy_lib.h).  The code may
 * call only the functions defined here: another libcurl function fails
 * the link with an undefined symbol; add its forwarder below.
 */
#define CURL_DISABLE_TYPECHECK /* these are the functions its macros check */
#include "lazy_lib.h"

#include <curl/curl.h>
#include <stdarg.h>

static struct lazy_lib libcurl = LAZY_LIB("libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so");
#define RESOLVED(call, name) LAZY_RESOLVED(&libcurl, call, name)

CURLcode curl_global_init(long flags)
{
    RESOLVED(CURLcode (*)(long), "curl_global_init");
    return function ? function(flags) : CURLE_FAILED_INIT;
}

void curl_global_cleanup(void)
{
    RESOLVED(void (*)(void), "curl_global_cleanup");
    if (function)
        function();
}

const char *curl_easy_strerror(CURLcode code)
{
    RESOLVED(const char *(*)(CURLcode), "curl_easy_strerror");
    return function ? function(code) : "libcurl cannot be loaded";
}

CURL *curl_easy_init(void)
{
    RESOLVED(CURL *(*)(void), "curl_easy_init");
    return function ? function() : NULL;
}

/* The option's number says the type of its one argument (curl.h). */
CURLcode curl_easy_setopt(CURL *h, CURLoption option, ...)
{
    RESOLVED(CURLcode (*)(CURL *, CURLoption, ...), "curl_easy_setopt");
    if (!function)
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = function(h, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT || option >= CURLOPTTYPE_BLOB)
        rc = function(h, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = function(h, option, va_arg(ap, void (*)(void)));
    else
        rc = function(h, option, va_arg(ap, curl_off_t));
    va_end(ap);
    return rc;
}

/* Every CURLINFO takes one pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
    RESOLVED(CURLcode (*)(CURL *, CURLINFO, ...), "curl_easy_getinfo");
    if (!function)
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, info);
    CURLcode rc = function(h, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

CURLcode curl_easy_perform(CURL *h)
{
    RESOLVED(CURLcode (*)(CURL *), "curl_easy_perform");
    return function ? function(h) : CURLE_FAILED_INIT;
}

void curl_easy_cleanup(CURL *h)
{
    RESOLVED(void (*)(CURL *), "curl_easy_cleanup");
    if (function)
        function(h);
}

void curl_free(void *p)
{
    RESOLVED(void (*)(void *), "curl_free");
    if (function)
        function(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
    RESOLVED(struct curl_slist *(*)(struct curl_slist *, const char *), "curl_slist_append");
    return function ? function(list, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *list)
{
    RESOLVED(void (*)(struct curl_slist *), "curl_slist_free_all");
    if (function)
        function(list);
}

CURLU *curl_url(void)
{
    RESOLVED(CURLU *(*)(void), "curl_url");
    return function ? function() : NULL;
}

void curl_url_cleanup(CURLU *u)
{
    RESOLVED(void (*)(CURLU *), "curl_url_cleanup");
    if (function)
        function(u);
}

CURLUcode curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
    RESOLVED(CURLUcode (*)(CURLU *, CURLUPart, char **, unsigned int), "curl_url_get");
    return function ? function(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
    RESOLVED(CURLUcode (*)(CURLU *, CURLUPart, const char *, unsigned int), "curl_url_set");
    return function ? function(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}
