/*
 * image_store.c - importing, removing and locking images (image_store.h).
 * Sources an import understands:
 *   - an OCI image layout directory: index.json -> manifest (an image
 *     index is followed, linux/amd64 preferred) -> layers, each blob read
 *     from blobs/<alg>/<hex> and checked against its sha256 digest;
 *   - a tarball with index.json at the top (an OCI archive, or `docker
 *     save` of Docker >= 25) or manifest.json (older `docker save`): it is
 *     unpacked into a scratch directory with the same rules as a layer,
 *     then read as above (manifest.json's "Layers" are paths in it);
 *   - any other tarball: a `docker export`, one flat layer.
 * Every path in a source directory is opened with RESOLVE_IN_ROOT, so a
 * crafted index cannot name a file outside it.
 */
#include "image_store.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <nettle/sha2.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "layer.h"

extern char **environ;

#define MAX_LAYERS 256

/* The finished tree of an import packed as rootfs.erofs beside it, as
 * rootfs-recipes/build.sh packs the recipes' images: the sandbox roots
 * runs on it (sandbox/image_view.c).  Without mkfs.erofs (erofs-utils),
 * or if it fails, the image still works on its directory: info->packed
 * false and why in info->pack_note, not an error. */
static void pack_tree(const char *work_dir, image_import_info *info)
{
    char tree[4200 + 16], image[4200 + 16]; /* work_dir fits 4200 */
    snprintf(tree, sizeof tree, "%s/rootfs", work_dir);
    snprintf(image, sizeof image, "%s/rootfs.erofs", work_dir);
    char *const argv[] = {"mkfs.erofs", "--quiet", "-zlz4", image, tree, NULL};
    posix_spawn_file_actions_t actions;
    pid_t pid;
    int status = 0, rc = posix_spawn_file_actions_init(&actions);
    if (rc == 0) {
        rc = posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        if (rc == 0)
            rc = posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        if (rc == 0)
            rc = posix_spawnp(&pid, "mkfs.erofs", &actions, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
    }
    pid_t waited = -1;
    if (rc == 0)
        while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
            ;
    if (rc == 0 && waited < 0)
        rc = errno;
    info->packed = rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (info->packed)
        return;
    unlink(image);
    if (rc == ENOENT)
        snprintf(info->pack_note, sizeof info->pack_note, "mkfs.erofs not found (install erofs-utils)");
    else if (rc != 0)
        snprintf(info->pack_note, sizeof info->pack_note, "run mkfs.erofs: %s", strerror(rc));
    else
        snprintf(info->pack_note, sizeof info->pack_note, "mkfs.erofs failed (%s %d)",
                 WIFEXITED(status) ? "exit" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

static int open_beneath(int dirfd, const char *path, int flags)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

bool image_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
              *p == '-'))
            return false;
    return true;
}

int image_lock(const char *images_dir, char *error, size_t size)
{
    if (mkdir(images_dir, 0755) < 0 && errno != EEXIST) {
        snprintf(error, size, "mkdir %s: %s", images_dir, strerror(errno));
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/.lock", images_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) {
        snprintf(error, size, "lock %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

void image_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* ---- reading the source ---- */

static json_t *read_json_fd(int fd, const char *what, char *error, size_t size)
{
    json_error_t jerr;
    FILE *f = fdopen(fd, "r");
    if (!f) {
        snprintf(error, size, "%s: %s", what, strerror(errno));
        close(fd);
        return NULL;
    }
    json_t *j = json_loadf(f, 0, &jerr);
    fclose(f);
    if (!j)
        snprintf(error, size, "%s: line %d: %s", what, jerr.line, jerr.text);
    return j;
}

/* "sha256:<64 hex>" -> "blobs/sha256/<hex>"; -1 if the digest is not one */
static int blob_path(const char *digest, char *out, size_t size)
{
    if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 7 + 64)
        return -1;
    for (const char *p = digest + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return -1;
    snprintf(out, size, "blobs/sha256/%s", digest + 7);
    return 0;
}

/* Open a blob and check its sha256; the fd is at offset 0. */
static int open_blob(int dfd, const char *digest, char *error, size_t size)
{
    char path[128];
    if (blob_path(digest, path, sizeof path) < 0) {
        snprintf(error, size, "digest \"%.80s\" is not sha256:<64 hex digits>", digest ? digest : "");
        return -1;
    }
    int fd = open_beneath(dfd, path, O_RDONLY);
    if (fd < 0) {
        snprintf(error, size, "blob %s: %s", path, strerror(errno));
        return -1;
    }
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    unsigned char buf[1 << 16];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        sha256_update(&ctx, (size_t)n, buf);
    uint8_t sum[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, sizeof sum, sum);
    char hex[65];
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", sum[i]);
    if (n < 0 || strcmp(hex, digest + 7) != 0 || lseek(fd, 0, SEEK_SET) < 0) {
        snprintf(error, size, "blob %s: %s", path, n < 0 ? strerror(errno) : "content does not match its digest");
        close(fd);
        return -1;
    }
    return fd;
}

static bool is_index_type(const char *mt)
{
    return mt && (strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
                  strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

/* The manifest's layer digests, following image indexes (amd64 first). */
static int oci_layers(int dfd, json_t *index, int depth, char layers[][80], size_t *nlayers,
                      char *error, size_t size)
{
    json_t *manifests = json_object_get(index, "manifests");
    if (!json_is_array(manifests) || json_array_size(manifests) == 0) {
        snprintf(error, size, "index.json: no \"manifests\"");
        return -1;
    }
    json_t *pick = NULL, *m;
    size_t i;
    json_array_foreach(manifests, i, m) {
        json_t *plat = json_object_get(m, "platform");
        const char *arch = json_string_value(json_object_get(plat, "architecture"));
        if (!pick || (arch && strcmp(arch, "amd64") == 0))
            pick = m;
        if (arch && strcmp(arch, "amd64") == 0)
            break;
    }
    const char *digest = json_string_value(json_object_get(pick, "digest"));
    int fd = open_blob(dfd, digest, error, size);
    if (fd < 0)
        return -1;
    json_t *man = read_json_fd(fd, "manifest", error, size);
    if (!man)
        return -1;
    int rc = -1;
    const char *mt = json_string_value(json_object_get(pick, "mediaType"));
    if (is_index_type(mt) || json_object_get(man, "manifests")) {
        rc = depth < 4 ? oci_layers(dfd, man, depth + 1, layers, nlayers, error, size)
                       : (snprintf(error, size, "image indexes nested too deep"), -1);
        json_decref(man);
        return rc;
    }
    json_t *ls = json_object_get(man, "layers");
    if (!json_is_array(ls)) {
        snprintf(error, size, "manifest %.80s: no \"layers\"", digest);
        goto out;
    }
    json_t *l;
    json_array_foreach(ls, i, l) {
        const char *d = json_string_value(json_object_get(l, "digest"));
        if (*nlayers >= MAX_LAYERS || !d || strlen(d) >= 80) {
            snprintf(error, size, "manifest %.80s: layer %zu: bad digest or too many layers", digest, i);
            goto out;
        }
        snprintf(layers[(*nlayers)++], 80, "%s", d);
    }
    rc = 0;
out:
    json_decref(man);
    return rc;
}

/* Does the tarball hold index.json or manifest.json at its top? */
static int tar_kind(int fd, bool *packaged, char *error, size_t size)
{
    *packaged = false;
    struct archive *a = archive_read_new();
    if (!a) {
        snprintf(error, size, "libarchive: cannot start a reader");
        return -1;
    }
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    int rc = 0;
    if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
        snprintf(error, size, "not a tar archive: %s", archive_error_string(a));
        rc = -1;
    }
    struct archive_entry *e;
    while (rc == 0 && archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *p = archive_entry_pathname(e);
        if (p && strncmp(p, "./", 2) == 0)
            p += 2;
        if (p && (strcmp(p, "index.json") == 0 || strcmp(p, "manifest.json") == 0)) {
            *packaged = true;
            break;
        }
    }
    archive_read_free(a);
    if (rc == 0 && lseek(fd, 0, SEEK_SET) < 0) {
        snprintf(error, size, "rewind: %s", strerror(errno));
        rc = -1;
    }
    return rc;
}

/* ---- the import ---- */

static int apply_layers_from(int srcfd, int root_fd, image_import_info *info, json_t *record,
                             char *error, size_t size)
{
    size_t n = 0;
    int fd = open_beneath(srcfd, "index.json", O_RDONLY);
    if (fd >= 0) {
        json_t *index = read_json_fd(fd, "index.json", error, size);
        if (!index)
            return -1;
        char (*layers)[80] = calloc(MAX_LAYERS, sizeof *layers);
        int rc = layers ? oci_layers(srcfd, index, 0, layers, &n, error, size)
                        : (snprintf(error, size, "out of memory"), -1);
        json_decref(index);
        if (rc < 0) {
            free(layers);
            return -1;
        }
        if (!info->format[0])
            snprintf(info->format, sizeof info->format, "oci");
        for (size_t i = 0; i < n; i++) {
            char label[160], msg[1024];
            snprintf(label, sizeof label, "layer %zu (%.19s...)", i + 1, layers[i]);
            int lfd = open_blob(srcfd, layers[i], msg, sizeof msg);
            if (lfd < 0) {
                snprintf(error, size, "%s: %s", label, msg);
                free(layers);
                return -1;
            }
            rc = layer_apply(root_fd, lfd, label, error, size);
            close(lfd);
            if (rc < 0) {
                free(layers);
                return -1;
            }
            json_array_append_new(json_object_get(record, "layers"), json_string(layers[i]));
        }
        free(layers);
        info->layers = n;
        return 0;
    }
    fd = open_beneath(srcfd, "manifest.json", O_RDONLY);
    if (fd < 0) {
        snprintf(error, size, "neither index.json (OCI layout) nor manifest.json (docker save) found");
        return -1;
    }
    json_t *man = read_json_fd(fd, "manifest.json", error, size);
    if (!man)
        return -1;
    json_t *ls = json_object_get(json_array_get(man, 0), "Layers");
    int rc = 0;
    if (!json_is_array(ls)) {
        snprintf(error, size, "manifest.json: no [{\"Layers\": [...]}]");
        rc = -1;
    }
    snprintf(info->format, sizeof info->format, "docker-save");
    size_t i;
    json_t *l;
    json_array_foreach(ls, i, l) {
        if (rc)
            break;
        const char *p = json_string_value(l);
        char label[300];
        snprintf(label, sizeof label, "layer %zu (%.200s)", i + 1, p ? p : "?");
        int lfd = p ? open_beneath(srcfd, p, O_RDONLY) : -1;
        if (lfd < 0) {
            snprintf(error, size, "%s: %s", label, p ? strerror(errno) : "not a string");
            rc = -1;
            break;
        }
        rc = layer_apply(root_fd, lfd, label, error, size);
        close(lfd);
        if (rc == 0) {
            json_array_append_new(json_object_get(record, "layers"), json_string(p));
            info->layers++;
        }
    }
    json_decref(man);
    return rc;
}

static int write_text(int dirfd, const char *name, const char *text, char *error, size_t size)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) < 0) {
        snprintf(error, size, "write %s: %s", name, strerror(errno));
        return -1;
    }
    return 0;
}

int image_import(const char *images_dir, const char *name, const char *source, bool replace,
                 image_import_info *info, char *error, size_t size)
{
    memset(info, 0, sizeof *info);
    if (!image_name_valid(name)) {
        snprintf(error, size, "image name \"%s\": use lower-case letters, digits and . _ - (64 at most)", name);
        return -1;
    }
    int lock = image_lock(images_dir, error, size);
    if (lock < 0)
        return -1;
    int images_fd = open(images_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char work[128], scratch[128];
    snprintf(work, sizeof work, ".import-%s", name);
    snprintf(scratch, sizeof scratch, ".import-src-%s", name);
    int rc = -1, src_fd = -1, root_fd = -1, work_fd = -1, tar_fd = -1;
    json_t *record = json_object();
    json_object_set_new(record, "source", json_string(source));
    json_object_set_new(record, "layers", json_array());
    struct stat st;
    if (images_fd < 0) {
        snprintf(error, size, "open %s: %s", images_dir, strerror(errno));
        goto out;
    }
    if (fstatat(images_fd, name, &st, 0) == 0 && !replace) {
        snprintf(error, size, "image %s exists (remove it with `judgebox image rm %s`, or pass --replace)",
                 name, name);
        goto out;
    }
    layer_remove_at(images_fd, work);
    layer_remove_at(images_fd, scratch);
    if (mkdirat(images_fd, work, 0755) < 0 ||
        (work_fd = openat(images_fd, work, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        mkdirat(work_fd, "rootfs", 0755) < 0 ||
        (root_fd = openat(work_fd, "rootfs", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        snprintf(error, size, "make %s/%s/rootfs: %s", images_dir, work, strerror(errno));
        goto out;
    }
    if (stat(source, &st) < 0) {
        snprintf(error, size, "%s: %s", source, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        src_fd = open(source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (src_fd < 0) {
            snprintf(error, size, "open %s: %s", source, strerror(errno));
            goto out;
        }
        if (apply_layers_from(src_fd, root_fd, info, record, error, size) < 0)
            goto out;
    } else {
        tar_fd = open(source, O_RDONLY | O_CLOEXEC);
        bool packaged;
        if (tar_fd < 0) {
            snprintf(error, size, "open %s: %s", source, strerror(errno));
            goto out;
        }
        char msg[1024];
        if (tar_kind(tar_fd, &packaged, msg, sizeof msg) < 0) {
            snprintf(error, size, "%s: %s", source, msg);
            goto out;
        }
        if (packaged) {
            if (mkdirat(images_fd, scratch, 0700) < 0 ||
                (src_fd = openat(images_fd, scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
                snprintf(error, size, "make %s/%s: %s", images_dir, scratch, strerror(errno));
                goto out;
            }
            char label[300];
            snprintf(label, sizeof label, "archive %.250s", source);
            if (layer_apply(src_fd, tar_fd, label, error, size) < 0 ||
                apply_layers_from(src_fd, root_fd, info, record, error, size) < 0)
                goto out;
        } else {
            snprintf(info->format, sizeof info->format, "docker-export");
            char label[300];
            snprintf(label, sizeof label, "%.250s", source);
            if (layer_apply(root_fd, tar_fd, label, error, size) < 0)
                goto out;
            info->layers = 1;
        }
    }
    char root_path[4200];
    snprintf(root_path, sizeof root_path, "%s/%s/rootfs", images_dir, work);
    if (layer_finish_tree(root_path, error, size) < 0)
        goto out;
    char work_path[4200];
    snprintf(work_path, sizeof work_path, "%s/%s", images_dir, work);
    pack_tree(work_path, info);
    json_object_set_new(record, "format", json_string(info->format));
    json_object_set_new(record, "imported_at", json_integer((json_int_t)time(NULL)));
    char *text = json_dumps(record, JSON_INDENT(2) | JSON_SORT_KEYS);
    int w = text ? write_text(work_fd, "source.json", text, error, size) : -1;
    free(text);
    if (w < 0 || write_text(work_fd, "versions.json", "{}\n", error, size) < 0)
        goto out;
    /* swap in: the old image (if any) moves aside, then goes */
    char old[128];
    snprintf(old, sizeof old, ".old-import-%s", name);
    layer_remove_at(images_fd, old);
    if (fstatat(images_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        renameat(images_fd, name, images_fd, old) < 0) {
        snprintf(error, size, "move the old %s aside: %s", name, strerror(errno));
        goto out;
    }
    if (renameat(images_fd, work, images_fd, name) < 0) {
        snprintf(error, size, "rename %s to %s: %s", work, name, strerror(errno));
        renameat(images_fd, old, images_fd, name);
        goto out;
    }
    layer_remove_at(images_fd, old);
    rc = 0;
out:
    json_decref(record);
    if (tar_fd >= 0)
        close(tar_fd);
    if (src_fd >= 0)
        close(src_fd);
    if (root_fd >= 0)
        close(root_fd);
    if (work_fd >= 0)
        close(work_fd);
    if (images_fd >= 0) {
        layer_remove_at(images_fd, scratch);
        if (rc < 0)
            layer_remove_at(images_fd, work);
        close(images_fd);
    }
    image_unlock(lock);
    return rc;
}

int image_remove(const char *images_dir, const char *name, char *error, size_t size)
{
    if (!image_name_valid(name)) {
        snprintf(error, size, "image name \"%s\" is not valid", name);
        return -1;
    }
    int lock = image_lock(images_dir, error, size);
    if (lock < 0)
        return -1;
    int rc = -1;
    int fd = open(images_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char gone[128];
    snprintf(gone, sizeof gone, ".rm-%s", name);
    struct stat st;
    if (fd < 0)
        snprintf(error, size, "open %s: %s", images_dir, strerror(errno));
    else if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        snprintf(error, size, "no image %s in %s", name, images_dir);
    else if (layer_remove_at(fd, gone), renameat(fd, name, fd, gone) < 0)
        snprintf(error, size, "rename %s/%s: %s", images_dir, name, strerror(errno));
    else if (layer_remove_at(fd, gone) < 0)
        snprintf(error, size, "remove %s/%s: %s", images_dir, gone, strerror(errno));
    else
        rc = 0;
    if (fd >= 0)
        close(fd);
    image_unlock(lock);
    return rc;
}
