/*
 * cli_image.c - `judgebox image import|list|rm`: the images directory from
 * the command line (server/images/image_store.c does the work).  After an
 * import, the version command of every language file naming the image is
 * run in it through the sandbox (as build.sh does for mmdebstrap images)
 * and written to versions.json.  `rm` refuses an image a language file
 * uses, unless --force.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "files.h"
#include "image_store.h"
#include "langs.h"
#include "sandbox.h"

typedef struct image_flags {
    const char *images, *langs;
    int replace, force;
    const char *pos[3];
    int npos;
} image_flags;

static void usage(FILE *out)
{
    fputs("usage: judgebox image import [--replace] NAME SOURCE\n"
          "       judgebox image list\n"
          "       judgebox image rm [--force] NAME\n"
          "  SOURCE: an OCI image layout directory (index.json, blobs/), or a\n"
          "          `docker save` or `docker export` tarball\n"
          "options: --images DIR (default $JUDGEBOX_IMAGES or /var/lib/judgebox/images)\n"
          "         --langs DIR  (language files; default ../langs next to the binary,\n"
          "                       else /usr/share/judgebox/langs)\n", out);
}

static int parse(int argc, char **argv, image_flags *f)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "--images") == 0 || strcmp(a, "--langs") == 0) && i + 1 < argc) {
            if (a[2] == 'i')
                f->images = argv[++i];
            else
                f->langs = argv[++i];
        } else if (strcmp(a, "--replace") == 0) {
            f->replace = 1;
        } else if (strcmp(a, "--force") == 0) {
            f->force = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        } else if (a[0] == '-') {
            fprintf(stderr, "judgebox image: unknown option '%s'\n", a);
            return -1;
        } else if (f->npos < 3) {
            f->pos[f->npos++] = a;
        } else {
            fprintf(stderr, "judgebox image: unexpected argument '%s'\n", a);
            return -1;
        }
    }
    if (!f->images) {
        const char *env = getenv("JUDGEBOX_IMAGES");
        f->images = env && *env ? env : "/var/lib/judgebox/images";
    }
    return 0;
}

/* The language files naming `image`, or every language when image is
 * NULL; files that do not parse are skipped (the server reports them). */
static size_t load_langs(const char *dir, const char *image, language **out)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *fp = fopen(path, "re");
        if (!fp)
            continue;
        char buf[1 << 16];
        size_t got = fread(buf, 1, sizeof buf, fp);
        fclose(fp);
        language l;
        char error[256];
        if (langs_parse(buf, got, path, &l, error, sizeof error) < 0)
            continue;
        if (image && strcmp(l.image, image) != 0) {
            language_free(&l);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            language *grown = realloc(*out, cap * sizeof *grown);
            if (!grown) {
                language_free(&l);
                break;
            }
            *out = grown;
        }
        (*out)[n++] = l;
    }
    closedir(d);
    return n;
}

static void free_langs(language *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        language_free(&l[i]);
    free(l);
}

/* Run each language's version command in the new image; versions.json. */
static int write_versions(const char *images, const char *name, language *langs, size_t n)
{
    char rootfs[PATH_MAX], path[PATH_MAX + 32];
    snprintf(rootfs, sizeof rootfs, "%s/%s/rootfs", images, name);
    json_t *versions = json_object();
    sandbox_config config = {.one_run = true};
    sandbox_context *context = NULL;
    sandbox_slot *slot = NULL;
    sandbox_error err = {0};
    int rc = 0;
    if (n && (sandbox_context_open(&config, &context, &err) < 0 ||
              sandbox_slot_acquire(context, -1, &slot, &err) < 0)) {
        fprintf(stderr, "judgebox image: versions of %s: %s\n", name, err.message);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!langs[i].version_argv)
            continue;
        sandbox_spec spec = {
            .rootfs = rootfs,
            .argv = (const char *const *)langs[i].version_argv,
            .env = (const char *const *)langs[i].env,
            .box_mode = SANDBOX_BOX_NONE,
            .stdin_fd = -1,
            .stdout_fd = -1,
            .stderr_fd = -1,
        };
        sandbox_limits_default(&spec.limits);
        spec.limits.wall_ms = 60000;
        spec.limits.cpu_ms = 30000;
        spec.limits.memory_kb = 1024 * 1024;
        sandbox_result result = {0};
        if (sandbox_run(slot, &spec, &result, &err) < 0 || result.status != SANDBOX_OK) {
            fprintf(stderr, "judgebox image: version command of %s failed in %s: %s %s%s%s\n",
                    langs[i].id, name, sandbox_status_name(result.status), err.message,
                    result.message, result.stderr_data ? result.stderr_data : "");
            sandbox_result_free(&result);
            rc = -1;
            break;
        }
        char *line = result.stdout_data ? result.stdout_data : (char *)"";
        line[strcspn(line, "\n")] = '\0';
        json_object_set_new(versions, langs[i].id, json_string(line));
        printf("%s: %s %s\n", name, langs[i].id, line);
        sandbox_result_free(&result);
    }
    if (slot)
        sandbox_slot_release(slot);
    sandbox_context_close(context);
    snprintf(path, sizeof path, "%s/%s/versions.json", images, name);
    if (rc == 0 && json_dump_file(versions, path, JSON_INDENT(2) | JSON_SORT_KEYS) < 0) {
        fprintf(stderr, "judgebox image: write %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    json_decref(versions);
    return rc;
}

static unsigned long long tree_bytes;
static int add_size(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)p, (void)flag, (void)ftw;
    if (S_ISREG(st->st_mode))
        tree_bytes += (unsigned long long)st->st_size;
    return 0;
}

/* Is the image's tree packed for the sandbox (NAME/rootfs.erofs, see
 * sandbox/image_view.c)?  "stale": a recipe image whose packed file came
 * from another build (rootfs.erofs.stamp is not its stamp): runs see that
 * one, not rootfs/. */
static const char *packed_state(const char *images, const char *name)
{
    char path[PATH_MAX + 300];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s/rootfs.erofs", images, name);
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return "no";
    snprintf(path, sizeof path, "%s/%s/stamp", images, name);
    char *stamp = file_read(path, 256, true, NULL);
    if (!stamp)
        return "yes"; /* an imported image: packed with its tree, in one swap */
    snprintf(path, sizeof path, "%s/%s/rootfs.erofs.stamp", images, name);
    char *packed_stamp = file_read(path, 256, true, NULL);
    bool same = packed_stamp && strcmp(stamp, packed_stamp) == 0;
    free(stamp);
    free(packed_stamp);
    return same ? "yes" : "stale";
}

static int cmd_list(const image_flags *f)
{
    DIR *d = opendir(f->images);
    if (!d) {
        fprintf(stderr, "judgebox image list: %s: %s\n", f->images, strerror(errno));
        return 1;
    }
    language *langs;
    size_t nl = load_langs(f->langs, NULL, &langs);
    printf("%-16s %-14s %10s  %-6s  %s\n", "NAME", "SOURCE", "SIZE", "PACKED", "LANGUAGES");
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *names);
        if (!grown)
            break;
        names = grown;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX + 300];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s/rootfs", f->images, names[i]);
        if (names[i] && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            char src[PATH_MAX + 300];
            snprintf(src, sizeof src, "%s/%s/source.json", f->images, names[i]);
            const char *kind = stat(src, &st) == 0 ? "imported" : "mmdebstrap";
            tree_bytes = 0;
            nftw(path, add_size, 32, FTW_PHYS);
            printf("%-16s %-14s %8.1fMB  %-6s  ", names[i], kind, tree_bytes / 1e6, packed_state(f->images, names[i]));
            for (size_t k = 0; k < nl; k++)
                if (strcmp(langs[k].image, names[i]) == 0)
                    printf("%s ", langs[k].id);
            printf("\n");
        }
        free(names[i]);
    }
    free(names);
    free_langs(langs, nl);
    return 0;
}

int command_image(int argc, char **argv)
{
    image_flags f = {0};
    char *langs_dir = NULL;
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    int p = parse(argc, argv, &f);
    if (p != 0)
        return p > 0 ? 0 : 2;
    if (!f.langs)
        f.langs = langs_dir = langs_default_dir();
    const char *sub = argv[1];
    char error[2048];
    int rc = 0;
    if (strcmp(sub, "import") == 0) {
        if (f.npos != 2) {
            usage(stderr);
            rc = 2;
            goto out;
        }
        image_import_info info;
        if (image_import(f.images, f.pos[0], f.pos[1], f.replace, &info, error, sizeof error) < 0) {
            fprintf(stderr, "judgebox image import: %s\n", error);
            rc = 1;
            goto out;
        }
        printf("imported %s from %s (%s, %zu layer%s) into %s/%s\n", f.pos[0], f.pos[1], info.format,
               info.layers, info.layers == 1 ? "" : "s", f.images, f.pos[0]);
        if (info.packed)
            printf("packed as %s/%s/rootfs.erofs: runs are rooted on it where the kernel mounts erofs files\n",
                   f.images, f.pos[0]);
        else
            printf("not packed (%s): runs use the directory\n", info.pack_note);
        language *langs;
        size_t n = load_langs(f.langs, f.pos[0], &langs);
        if (write_versions(f.images, f.pos[0], langs, n) < 0)
            rc = 1;
        free_langs(langs, n);
    } else if (strcmp(sub, "list") == 0) {
        rc = cmd_list(&f);
    } else if (strcmp(sub, "rm") == 0) {
        if (f.npos != 1) {
            usage(stderr);
            rc = 2;
            goto out;
        }
        language *langs;
        size_t n = load_langs(f.langs, f.pos[0], &langs);
        if (n && !f.force) {
            fprintf(stderr, "judgebox image rm: image %s is used by language%s", f.pos[0], n > 1 ? "s" : "");
            for (size_t i = 0; i < n; i++)
                fprintf(stderr, " %s", langs[i].id);
            fprintf(stderr, " (%s); --force removes it anyway\n", f.langs);
            free_langs(langs, n);
            rc = 1;
            goto out;
        }
        free_langs(langs, n);
        if (image_remove(f.images, f.pos[0], error, sizeof error) < 0) {
            fprintf(stderr, "judgebox image rm: %s\n", error);
            rc = 1;
        } else {
            printf("removed image %s\n", f.pos[0]);
        }
    } else {
        fprintf(stderr, "judgebox image: unknown subcommand '%s'\n", sub);
        usage(stderr);
        rc = 2;
    }
out:
    free(langs_dir);
    return rc;
}
