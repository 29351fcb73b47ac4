/*
 * playground.c - owns serving the playground page: its files are copied
 * into .rodata by the assembler's .incbin at build time (mk/playground.mk
 * makes this object depend on them; the CodeMirror bundle is the committed
 * web/playground/dist/editor.js, so the build needs no npm), and served
 * with their Content-Type, a Content-Security-Policy that allows only the
 * server itself, and an ETag (a hash of the bytes, computed once) with
 * Cache-Control: no-cache, so a browser revalidates and gets 304 until the
 * binary changes.  The bundle also comes gzipped (dist/editor.js.gz, made
 * with it: 875 KB -> 300 KB) for clients that accept gzip.  Turned off,
 * every path answers the ordinary 404.
 */
#include "playground.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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
EMBED(pg_editor_js_gz, "web/playground/dist/editor.js.gz");

#define FILE_ENTRY(p, type, sym) {p, type, sym##_start, sym##_end, NULL, NULL}
#define FILE_ENTRY_GZ(p, type, sym) {p, type, sym##_start, sym##_end, sym##_gz_start, sym##_gz_end}
static const struct {
    const char *path, *content_type, *start, *end, *gz_start, *gz_end;
} files[] = {
    FILE_ENTRY("/", "text/html; charset=utf-8", pg_index_html),
    FILE_ENTRY("/playground/app.js", "text/javascript; charset=utf-8", pg_app_js),
    FILE_ENTRY("/playground/style.css", "text/css; charset=utf-8", pg_style_css),
    FILE_ENTRY("/playground/icon.svg", "image/svg+xml", pg_icon_svg),
    FILE_ENTRY_GZ("/playground/editor.js", "text/javascript; charset=utf-8", pg_editor_js),
};
#define NFILES (sizeof files / sizeof files[0])

/* Only the server itself: scripts, styles, images and API calls.  No
 * inline script or style attribute; CodeMirror's styles are constructed
 * style sheets, which CSP does not govern. */
static const char csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static playground_file table[NFILES];
/* Each file's ETag, and its gzipped form's (another representation,
 * another tag). */
static char etags[NFILES][24], gz_etags[NFILES][24];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

/* FNV-1a, 64 bits, quoted: the ETag changes with the bytes. */
static void etag_of(const char *data, size_t len, char out[24])
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t j = 0; j < len; j++)
        h = (h ^ (unsigned char)data[j]) * 0x100000001b3ull;
    snprintf(out, 24, "\"%016llx\"", (unsigned long long)h);
}

static void table_init(void)
{
    for (size_t i = 0; i < NFILES; i++) {
        table[i] = (playground_file){files[i].path, files[i].content_type, files[i].start,
                                     (size_t)(files[i].end - files[i].start), NULL, 0};
        etag_of(table[i].data, table[i].len, etags[i]);
        if (files[i].gz_start) {
            table[i].gz = files[i].gz_start;
            table[i].gz_len = (size_t)(files[i].gz_end - files[i].gz_start);
            etag_of(table[i].gz, table[i].gz_len, gz_etags[i]);
        }
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
int playground_etag_matches(const char *header, const char *etag)
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

/* Does Accept-Encoding take gzip?  A "gzip" coding without q=0 (RFC 9110
 * 12.5.3; "*" is not taken as gzip: browsers name it). */
int playground_accepts_gzip(const char *header)
{
    for (const char *p = header ? header : ""; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        size_t n = strcspn(p, ",");
        if (strncasecmp(p, "gzip", 4) == 0 && (n == 4 || p[4] == ';' || p[4] == ' ')) {
            const char *q = p + 4;
            while (q < p + n && (*q == ' ' || *q == ';'))
                q++;
            bool zero = strncasecmp(q, "q=0", 3) == 0 && strspn(q + 3, ".0") == (size_t)(p + n - q - 3);
            return !zero;
        }
        p += n;
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
    bool gzip = f->gz && playground_accepts_gzip(http_header(req, "Accept-Encoding"));
    const char *etag = gzip ? gz_etags[f - table] : etags[f - table];
    if (f->gz)
        http_reply_header(req, "Vary", "Accept-Encoding");
    if (gzip)
        http_reply_header(req, "Content-Encoding", "gzip");
    http_reply_header(req, "ETag", etag);
    http_reply_header(req, "Cache-Control", "no-cache");
    http_reply_header(req, "Content-Security-Policy", csp);
    http_reply_header(req, "X-Content-Type-Options", "nosniff");
    if (playground_etag_matches(http_header(req, "If-None-Match"), etag)) {
        http_reply_raw(req, 304, NULL, "", 0, NULL);
        return;
    }
    http_reply_raw(req, 200, f->content_type, gzip ? f->gz : f->data, gzip ? f->gz_len : f->len, NULL);
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
