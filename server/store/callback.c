/*
 * callback.c - callback_url delivery (libcurl).  The host name is resolved
 * here with getaddrinfo and handed to libcurl (CURLOPT_RESOLVE), so libcurl
 * never starts its resolver thread: the server makes no thread after
 * start-up (see server/http/http.c on why).  Only http and https are
 * allowed, redirects are not followed, signals are not used for timeouts.
 */
#include "callback.h"

#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "log.h"
#include "store.h"

typedef struct delivery {
    char id[STORE_ID_LEN];
    char *url;
    char *body;
    size_t len;
    struct delivery *next;
} delivery;

struct callbacks {
    callback_options o;
    pthread_mutex_t lock;
    pthread_cond_t work;
    delivery *head, *tail;
    size_t queued;
    bool stopping;
    pthread_t *threads;
    unsigned started;
};

int callback_url_check(const char *url, char *why, size_t size)
{
    CURLU *u = curl_url();
    if (!u) {
        snprintf(why, size, "cannot be checked: libcurl cannot be loaded or is out of memory");
        return -1;
    }
    char *scheme = NULL, *host = NULL, *user = NULL;
    int rc = -1;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        snprintf(why, size, "is not a valid absolute URL");
    else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
             (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
        snprintf(why, size, "must be an http:// or https:// URL");
    else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
        snprintf(why, size, "has no host");
    else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
        snprintf(why, size, "must not hold credentials");
    else if (strlen(url) > 2048)
        snprintf(why, size, "is longer than 2048 characters");
    else
        rc = 0;
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(u);
    return rc;
}

/* "host:port:address" for CURLOPT_RESOLVE, or "" when the host is an
 * address already.  -1 with an error when it does not resolve. */
static int resolve_entry(const char *url, char *entry, size_t size, char *error, size_t esize)
{
    entry[0] = '\0';
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;
    int rc = -1;
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        snprintf(error, esize, "cannot parse the URL");
        goto out;
    }
    unsigned char buf[sizeof(struct in6_addr)];
    if (host[0] == '[' || inet_pton(AF_INET, host, buf) == 1) {
        rc = 0;
        goto out;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai != 0) {
        snprintf(error, esize, "resolve %s: %s", host, gai_strerror(gai));
        goto out;
    }
    char addr[INET6_ADDRSTRLEN] = "";
    if (ai->ai_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr, sizeof addr);
    else if (ai->ai_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, addr, sizeof addr);
    freeaddrinfo(ai);
    if (!addr[0]) {
        snprintf(error, esize, "resolve %s: no usable address", host);
        goto out;
    }
    snprintf(entry, size, "%s:%s:%s%s%s", host, port, strchr(addr, ':') ? "[" : "", addr,
             strchr(addr, ':') ? "]" : "");
    rc = 0;
out:
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

static size_t discard(char *ptr, size_t size, size_t n, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * n;
}

/* libcurl is loaded and started by the first delivery, not at start-up:
 * a server that never delivers a callback does not map it and the ~30
 * libraries it needs (lazy_lib.h; idle RSS, issue 13). */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_started = CURLE_FAILED_INIT;
static void start_curl(void)
{
    curl_started = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* One PUT.  0 on a 2xx answer, else -1 with why. */
static int put_once(const callbacks *c, const delivery *d, char *why, size_t size)
{
    char entry[512];
    if (resolve_entry(d->url, entry, sizeof entry, why, size) < 0)
        return -1;
    pthread_once(&curl_once, start_curl);
    if (curl_started != CURLE_OK) {
        snprintf(why, size, "start libcurl: %s", curl_easy_strerror(curl_started));
        return -1;
    }
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(why, size, "curl_easy_init failed");
        return -1;
    }
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *resolve = entry[0] ? curl_slist_append(NULL, entry) : NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, d->url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, d->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    if (resolve)
        curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)c->o.timeout_s);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "judgebox");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    curl_slist_free_all(resolve);
    if (rc != CURLE_OK) {
        snprintf(why, size, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return -1;
    }
    if (code < 200 || code > 299) {
        snprintf(why, size, "answered HTTP %ld", code);
        return -1;
    }
    return 0;
}

static void deliver(callbacks *c, delivery *d)
{
    char why[512] = "";
    for (unsigned attempt = 1; attempt <= c->o.tries; attempt++) {
        if (put_once(c, d, why, sizeof why) == 0) {
            log_message("info", "job %s: callback delivered to %s (try %u)", d->id, d->url, attempt);
            return;
        }
        pthread_mutex_lock(&c->lock);
        bool stop = c->stopping;
        if (!stop && attempt < c->o.tries) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&c->work, &c->lock, &until);
            stop = c->stopping;
        }
        pthread_mutex_unlock(&c->lock);
        if (stop)
            break;
    }
    log_message("warning", "job %s: callback to %s not delivered: %s", d->id, d->url, why);
}

static void delivery_free(delivery *d)
{
    free(d->url);
    free(d->body);
    free(d);
}

static void *callback_main(void *arg)
{
    callbacks *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->head && !c->stopping)
            pthread_cond_wait(&c->work, &c->lock);
        if (c->stopping)
            break;
        delivery *d = c->head;
        c->head = d->next;
        if (!c->head)
            c->tail = NULL;
        c->queued--;
        pthread_mutex_unlock(&c->lock);
        deliver(c, d);
        delivery_free(d);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

int callbacks_start(const callback_options *o, callbacks **out, char *error, size_t size)
{
    callbacks *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(error, size, "start callbacks: %s", strerror(errno));
        return -1;
    }
    c->o = *o;
    if (!c->o.threads) c->o.threads = 2;
    if (!c->o.tries) c->o.tries = 3;
    if (!c->o.timeout_s) c->o.timeout_s = 5;
    if (!c->o.queue_max) c->o.queue_max = 10000;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->work, NULL);
    c->threads = calloc(c->o.threads, sizeof *c->threads);
    if (!c->threads) {
        snprintf(error, size, "start callbacks: %s", strerror(errno));
        callbacks_stop(c);
        return -1;
    }
    for (; c->started < c->o.threads; c->started++) {
        int err = pthread_create(&c->threads[c->started], NULL, callback_main, c);
        if (err) {
            snprintf(error, size, "start callback thread: %s", strerror(err));
            callbacks_stop(c);
            return -1;
        }
    }
    *out = c;
    return 0;
}

void callbacks_send(callbacks *c, const char *job_id, const char *url, char *body, size_t len)
{
    delivery *d = calloc(1, sizeof *d);
    if (!d || !(d->url = strdup(url))) {
        log_message("warning", "job %s: callback to %s dropped: out of memory", job_id, url);
        free(d);
        free(body);
        return;
    }
    snprintf(d->id, sizeof d->id, "%s", job_id);
    d->body = body;
    d->len = len;
    pthread_mutex_lock(&c->lock);
    if (c->queued >= c->o.queue_max || c->stopping) {
        pthread_mutex_unlock(&c->lock);
        log_message("warning", "job %s: callback to %s dropped: %zu callbacks waiting", job_id, url,
                    c->o.queue_max);
        delivery_free(d);
        return;
    }
    if (c->tail)
        c->tail->next = d;
    else
        c->head = d;
    c->tail = d;
    c->queued++;
    pthread_cond_broadcast(&c->work);
    pthread_mutex_unlock(&c->lock);
}

void callbacks_stop(callbacks *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_broadcast(&c->work);
    pthread_mutex_unlock(&c->lock);
    for (unsigned i = 0; i < c->started; i++)
        pthread_join(c->threads[i], NULL);
    for (delivery *d = c->head, *next; d; d = next) {
        next = d->next;
        log_message("warning", "job %s: callback to %s dropped: the server is stopping", d->id,
                    d->url);
        delivery_free(d);
    }
    free(c->threads);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->work);
    free(c);
    if (curl_started == CURLE_OK)
        curl_global_cleanup();
}
