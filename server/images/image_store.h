/*
 * image_store.h - the images directory as `judgebox image` sees it:
 * importing an OCI image layout or a docker save / docker export tarball as
 * <images>/NAME/rootfs (layers applied in order by layer.c), listing the
 * images, and removing one.  One writer at a time per images directory (the
 * same flock as rootfs-recipes/build.sh, <images>/.lock); an import is
 * built beside the old image and renamed over it, so a half-made image is
 * never seen.
 */
#ifndef JUDGEBOX_IMAGE_STORE_H
#define JUDGEBOX_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>

/* What an import read, for source.json and the CLI's summary. */
typedef struct image_import_info {
    char format[32];        /* "oci", "docker-save", "docker-export" */
    size_t layers;
    bool packed;            /* rootfs.erofs made beside the tree (sandbox/image_view.c) */
    char pack_note[96];     /* why not, when not */
} image_import_info;

/* Import SOURCE (a directory holding index.json + blobs/, or a tarball)
 * as image `name` under images_dir.  An existing image is replaced only
 * with `replace`.  -1 with `error` (naming the refused entry, blob or file)
 * and nothing left behind. */
int image_import(const char *images_dir, const char *name, const char *source, bool replace,
                 image_import_info *info, char *error, size_t error_size);

/* A plain image name: [a-z0-9][a-z0-9._-]*, at most 64 characters. */
bool image_name_valid(const char *name);

/* Remove image `name` (rename away under the lock, then delete). */
int image_remove(const char *images_dir, const char *name, char *error, size_t error_size);

/* Take / release the images directory's lock (-1 with error). */
int image_lock(const char *images_dir, char *error, size_t error_size);
void image_unlock(int lock_fd);

#endif
