/*
 * test_workspace.c - emptying a workspace for reuse (sandbox/workspace.c):
 * whatever a request left (nested folders, a folder of mode 0 with files
 * in it, a symlink to a file outside, a fifo, dot files) is removed, what
 * a symlink points to is not, the folder is mode 0777 again; a tree deeper
 * than 64 levels or a mount inside is refused (the caller unmounts the
 * workspace instead), and the mount's files are not touched.  Needs root
 * (the folder must be root's; the mount).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "unit.h"

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int entries(const char *path)
{
    char command[512];
    snprintf(command, sizeof command, "ls -A '%s' | wc -l", path);
    FILE *p = popen(command, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

int main(void)
{
    char base[] = "/tmp/judgebox-unit-ws.XXXXXX";
    if (!mkdtemp(base) || geteuid() != 0) {
        printf("FAIL workspace tests need root and a temporary folder\n");
        return 1;
    }
    char ws[600], outside[600], path[1200];
    snprintf(ws, sizeof ws, "%s/ws", base);
    snprintf(outside, sizeof outside, "%s/outside", base);
    mkdir(ws, 0777);
    put(outside, "keep me");

    /* What a hostile request could leave. */
    snprintf(path, sizeof path, "%s/a/b/c", ws);
    char mk[1400];
    snprintf(mk, sizeof mk, "mkdir -p '%s' && echo x > '%s/f'", path, path);
    CHECK("setup: nested folders", system(mk) == 0);
    snprintf(path, sizeof path, "%s/locked", ws);
    mkdir(path, 0700);
    snprintf(mk, sizeof mk, "%s/locked/secret", ws);
    put(mk, "s");
    chmod(path, 0);
    snprintf(path, sizeof path, "%s/link", ws);
    CHECK("setup: a symlink to a file outside", symlink(outside, path) == 0);
    snprintf(path, sizeof path, "%s/fifo", ws);
    CHECK("setup: a fifo", mkfifo(path, 0600) == 0);
    snprintf(path, sizeof path, "%s/.hidden", ws);
    put(path, "h");
    chmod(ws, 0700);
    CHECK("a request's leftovers are removed", workspace_empty(ws) && entries(ws) == 0);
    struct stat info;
    CHECK("the folder is mode 0777 again", stat(ws, &info) == 0 && (info.st_mode & 07777) == 0777);
    CHECK("what a symlink pointed to is left alone", access(outside, F_OK) == 0);

    /* Deeper than 64 levels: refused. */
    char deep[4096];
    snprintf(deep, sizeof deep, "%s", ws);
    for (int i = 0; i < 70 && strlen(deep) + 3 < sizeof deep; i++) {
        strcat(deep, "/d");
        mkdir(deep, 0755);
    }
    CHECK("a tree deeper than 64 levels is refused", !workspace_empty(ws));
    snprintf(mk, sizeof mk, "rm -rf '%s/d'", ws);
    CHECK("setup: deep tree removed", system(mk) == 0 && entries(ws) == 0);

    /* A mount inside: refused, and its files untouched. */
    snprintf(path, sizeof path, "%s/m", ws);
    mkdir(path, 0755);
    bool mounted = mount("judgebox-unit", path, "tmpfs", 0, "size=64k") == 0;
    CHECK("setup: a tmpfs inside the workspace", mounted);
    if (mounted) {
        char inside[1300];
        snprintf(inside, sizeof inside, "%s/file", path);
        put(inside, "i");
        CHECK("a mount inside the workspace is refused", !workspace_empty(ws));
        CHECK("the mount's files are not touched", access(inside, F_OK) == 0);
        umount2(path, MNT_DETACH);
    }
    snprintf(mk, sizeof mk, "rm -rf '%s'", base);
    CHECK("cleanup", system(mk) == 0);
    UNIT_EXIT();
}
