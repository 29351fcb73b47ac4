/*
 * playground.c - owns serving the playground page: its files are copied
 * into .rodata by the assembler's .incbin at build time (mk/playground.mk
 * makes this object depend on them; the CodeMirror bundle is the committed
 * web/playground/dist/editor.js, so the build needs no npm), and served
 * with their Content-Type, a Content-Security-Policy that allows only the
 * server itself, and an ETag (a hash of the bytes, computed once) with
 * Cache-Control: no-cache, so a browser revalidates and gets 304 until the
 * binary changes.  Turned off, every path answers the ordinary 404.
 */
#include "playground.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define EMBED(sym, file)                                                   \
    __asm__(".section .rodata\n"                                           \
            ".balign 16\n"                                                 \
            ".global " #sym "_start\n"                                     \
            ".global " #sym "_end\n"                                       \
            ".hidden " #sym "_start\n"                                     \
            ".hidden " #sym "_end\n"                                       \
            #sym "_start:\n"                                               \
            ".incbin \"" file "\"\n"                                       \
            #sym "_end:\n"                                                 \
            ".byte 0\n"                                                    \
            ".previous\n");                                                \
    extern const char sym##_start[], sym##_end[]

EMBED(pg_index_html, "web/playground/src/index.html");
EMBED(pg_app_js, "web/playground/src/app.js");
EMBED(pg_style_css, "web/playground/src/style.css");
EMBED(pg_icon_svg, "web/playground/src/icon.svg");
EMBED(pg_editor_js, "web/playground/dist/editor.js");

#define FILE_ENTRY(p, type, sym) {p, type, sym##_start, sym##_end}
static const struct {
    const char *path, *content_type, *start, *end;
} files[] = {
    FILE_ENTRY("/", "text/html; charset=utf-8", pg_index_html),
    FILE_ENTRY("/playground/app.js", "text/javascript; charset=utf-8", pg_app_js),
    FILE_ENTRY("/playground/style.css", "text/css; charset=utf-8", pg_style_css),
    FILE_ENTRY("/playground/icon.svg", "image/svg+xml", pg_icon_svg),
    FILE_ENTRY("/playground/editor.js", "text/javascript; charset=utf-8", pg_editor_js),
};
#define NFILES (sizeof files / sizeof files[0])

/* Only the server itself: scripts, styles, images and API calls.  No
 * inline script or style attribute; CodeMirror's styles are constructed
 * style sheets, which CSP does not govern. */
static const char csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static playground_file table[NFILES];
static char etags[NFILES][24];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void table_init(void)
{
    for (size_t i = 0; i < NFILES; i++) {
        table[i] = (playground_file){files[i].path, files[i].content_type, files[i].start,
                                     (size_t)(files[i].end - files[i].start)};
        /* FNV-1a, 64 bits: the ETag changes with the bytes. */
        uint64_t h = 0xcbf29ce484222325ull;
        for (size_t j = 0; j < table[i].len; j++)
            h = (h ^ (unsigned char)table[i].data[j]) * 0x100000001b3ull;
        snprintf(etags[i], sizeof etags[i], "\"%016llx\"", (unsigned long long)h);
    }
}

const playground_file *playground_find(const char *path)
{
    pthread_once(&table_once, table_init);
    for (size_t i = 0; i < NFILES; i++)
        if (strcmp(table[i].path, path) == 0)
            return &table[i];
    return NULL;
}

/* Does If-None-Match name `etag` ("*", or one of a comma list, W/ or not)? */
static int etag_matches(const char *header, const char *etag)
{
    if (!header)
        return 0;
    size_t n = strlen(etag);
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (*p == '*')
            return 1;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return 1;
        while (*p && *p != ',')
            p++;
    }
    return 0;
}

static void serve(http_request *req, const char *path)
{
    const playground_file *f = http_app(req)->config->playground ? playground_find(path) : NULL;
    if (!f) {
        http_reply_errorf(req, 404, "not_found", NULL, "no such endpoint: %s", http_path(req));
        return;
    }
    const char *etag = etags[f - table];
    http_reply_header(req, "ETag", etag);
    http_reply_header(req, "Cache-Control", "no-cache");
    http_reply_header(req, "Content-Security-Policy", csp);
    http_reply_header(req, "X-Content-Type-Options", "nosniff");
    if (etag_matches(http_header(req, "If-None-Match"), etag)) {
        http_reply_raw(req, 304, NULL, "", 0, NULL);
        return;
    }
    http_reply_raw(req, 200, f->content_type, f->data, f->len, NULL);
}

void playground_index(http_request *req)
{
    serve(req, "/");
}

void playground_asset(http_request *req)
{
    char path[128];
    const char *name = http_param(req, "name");
    if (snprintf(path, sizeof path, "/playground/%s", name ? name : "") >= (int)sizeof path)
        path[0] = '\0';
    serve(req, path);
}
