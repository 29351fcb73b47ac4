#!/bin/bash
# rootfs-recipes/build.sh - owns building judgebox's rootfs images (issue 4).
#
#   rootfs-recipes/build.sh [-f] IMAGE...     build or refresh images ("all" = every recipe)
#   rootfs-recipes/build.sh --list            print the recipe names
#
# An image NAME comes from rootfs-recipes/NAME.packages (Debian bookworm
# package names; '#' starts a comment) and, if present, NAME.customize (a
# script run on the host with the new tree as $1, before trimming).  It is
# written to $JUDGEBOX_IMAGES (default /var/lib/judgebox/images):
#   NAME/rootfs/         the tree, the sandbox's read-only overlay lower layer
#   NAME/manifest.txt    "package version arch", one a line, sorted
#   NAME/stamp           hash of the recipe (packages, customize script, apt
#                        sources, tree_format below); equal = up to date
#   NAME/versions.json   {"<lang id>": "<version>"} for every langs/*.json on NAME,
#                        from the language's "version" command run in the image
#   NAME/versions.stamp  hash of stamp + those language files
#   NAME/rootfs.erofs    the same tree packed as an erofs image (lz4): where
#                        the kernel mounts erofs from a file (Linux 6.12), runs
#                        are rooted on it instead of an overlay of rootfs/,
#                        which spares every path lookup overlayfs's checks
#                        (sandbox/image_view.c); NAME/rootfs.erofs.stamp is
#                        the stamp it was packed from.  Edit an image only by
#                        rebuilding it: runs do not see rootfs/ while the
#                        image file is there.
#
# How a tree is made: mmdebstrap --variant=essential plus the recipe's
# packages (no Recommends), from the bookworm entries of this machine's apt
# sources (or the file $JUDGEBOX_APT_SOURCES); dpkg leaves out man pages,
# info, docs (but copyright files) and translations.  Then it is trimmed:
# apt and dpkg state, logs, caches and device nodes go; every file is owned
# by root:root, loses setuid/setgid bits and file capabilities, and is made
# readable (and, if executable, executable) by others, because the sandbox
# mounts it from a user namespace where host root is unmapped and the
# program runs as uid 1000 ("judge", added to /etc/passwd).
#
# Sharing, to keep disk and build time low: one tree per image, several
# languages per image (languages that share a big dependency such as gcc or
# a JVM live together; big toolchains that most sites may not want get an
# image of their own, so `make rootfs IMAGES=go` builds only Go).  The core
# mounts exactly one lower directory, so instead of stacked layers, identical
# files of all images are hard-linked together after every build
# (util-linux `hardlink`): gcc, libc and python shared by several images are
# stored once, and each image stays a plain directory that is rebuilt, or
# deleted, on its own.  Images are read-only at run time (overlay copies up
# on write), so sharing inodes is safe.
#
# A build replaces an image atomically (new tree built beside the old one,
# then renamed over it).  One build at a time per images directory (flock).
set -Eeuo pipefail
trap 'echo "rootfs: error: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
# temp files (scratch NAME) go however the script ends: die, an ERR exit, a signal
scratch_files=()
trap 'rm -f "${scratch_files[@]}"' EXIT
trap 'exit 130' INT TERM
scratch() { local f; f=$(mktemp); scratch_files+=("$f"); printf -v "$1" %s "$f"; }

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
images=${JUDGEBOX_IMAGES:-/var/lib/judgebox/images}
langs_dir=${JUDGEBOX_LANGS:-$top/langs}
suite=bookworm
force=0

log() { printf 'rootfs: %s\n' "$*" >&2; }
die() { printf 'rootfs: error: %s\n' "$*" >&2; exit 1; }

recipes() { for f in "$here"/*.packages; do basename "$f" .packages; done; }

packages_of() { # NAME -> package names, one a line
    sed -e 's/#.*//' "$here/$1.packages" | tr -s ' \t' '\n' | sed '/^$/d'
}

# The Debian bookworm entries of this machine's apt sources, one-line
# style, main only (other repositories configured on the host are ignored).
debian_sources() {
    if [ -n "${JUDGEBOX_APT_SOURCES:-}" ]; then
        cat "$JUDGEBOX_APT_SOURCES"
        return
    fi
    {
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] || continue
            awk '$1 == "deb" { u = ""; for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/ && $i !~ /=/) { if (!u) u = $i; else { print u, $i; break } } }' "$f"
        done
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] || continue
            # deb822 stanzas: every URI x every suite, for Types: deb
            awk 'function flush() { if (deb) for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print uri[i], su[j]; deb = 0; nu = 0; ns = 0 }
                 /^[ \t]*$/ { flush(); next }
                 /^Types:/ { deb = ($0 ~ /[ \t]deb([ \t]|$)/) }
                 /^URIs:/ { nu = split(substr($0, 6), uri, " ") }
                 /^Suites:/ { ns = split(substr($0, 8), su, " ") }
                 END { flush() }' "$f"
        done
    } | awk -v s="$suite" '$2 == s || $2 == s "-updates" || $2 == s "-security" { print "deb", $1, $2, "main" }' | sort -u
}

sha() { sha256sum | cut -c1-64; }

# Bump when a change to this script changes the trees it makes: the stamp
# covers the recipe, not this file, so that editing comments or the
# version step does not rebuild every image.
tree_format=1

tree_stamp() { # NAME
    {
        echo "format $tree_format"
        cat "$here/$1.packages"
        [ ! -f "$here/$1.customize" ] || cat "$here/$1.customize"
        debian_sources
    } | sha
}

# "IMAGE<tab>FILE" for every langs/*.json, in glob order.  main reads it
# once into $lang_table: a jq per file for every image took seconds on each
# no-op `make test` / `make run`.
lang_table() {
    local -a files=("$langs_dir"/*.json)
    [ -f "${files[0]}" ] || return 0
    jq -r '[.image, input_filename] | @tsv' "${files[@]}"
}
lang_table=

# langs/*.json files whose "image" is NAME
langs_of() {
    awk -F'\t' -v n="$1" '$1 == n { print $2 }' <<<"$lang_table"
}

versions_stamp() { # NAME
    { cat "$images/$1/stamp"; for f in $(langs_of "$1"); do cat "$f"; done; } | sha
}

# Run argv inside ROOT as an unprivileged user, read-only, no network,
# with /box and /tmp writable: the way the sandbox will run it.
run_in() { # ROOT ENVFILE argv...
    local root=$1 envfile=$2; shift 2
    local -a envargs=(--setenv PATH /usr/local/bin:/usr/bin:/bin --setenv HOME /tmp --setenv LANG C.UTF-8)
    local k v
    while IFS='=' read -r k v; do
        [ -n "$k" ] && envargs+=(--setenv "$k" "$v")
    done <"$envfile"
    timeout 120 setpriv --reuid=1000 --regid=1000 --clear-groups -- \
        bwrap --unshare-all --die-with-parent --ro-bind "$root" / --proc /proc --dev /dev \
        --tmpfs /tmp --tmpfs /box --chdir /box --clearenv "${envargs[@]}" -- "$@"
}

write_versions() { # NAME
    local name=$1 root=$images/$1/rootfs f id out json='{}'
    # Entries of languages this checkout does not have stay (same tree,
    # same versions): worktrees with other langs/ share the images, and a
    # language renamed in one must not lose its version in the others.
    # A rebuilt tree starts from nothing (build_tree writes a new NAME/).
    if [ -f "$images/$name/versions.json" ] && jq -e 'type == "object"' "$images/$name/versions.json" >/dev/null 2>&1; then
        json=$(jq -c . "$images/$name/versions.json")
    fi
    local envfile
    scratch envfile
    for f in $(langs_of "$name"); do
        id=$(jq -r .id "$f")
        jq -r '.env // {} | to_entries[] | "\(.key)=\(.value)"' "$f" >"$envfile"
        mapfile -t argv < <(jq -r '.version[]' "$f")
        if ! out=$(run_in "$root" "$envfile" "${argv[@]}" 2>&1 </dev/null); then
            die "$name: version command of $id failed: ${argv[*]}: $out"
        fi
        out=$(printf '%s\n' "$out" | sed -n '/[^[:space:]]/{p;q}')
        case $out in
            *[0-9]*) ;;
            *) die "$name: version command of $id printed no version: '$out'" ;;
        esac
        json=$(jq -c --arg k "$id" --arg v "$out" '. + {($k): $v}' <<<"$json")
        log "$name: $id $out"
    done
    jq -S . <<<"$json" >"$images/$name/versions.json.new"
    mv "$images/$name/versions.json.new" "$images/$name/versions.json"
    versions_stamp "$name" >"$images/$name/versions.stamp"
}

trim() { # ROOT
    local r=${1:?}
    case $r in /|"") die "refusing to trim '$r'" ;; esac
    rm -rf "$r"/var/lib/apt "$r"/var/cache/* "$r"/var/log/* "$r"/var/lib/dpkg \
        "$r"/etc/apt "$r"/etc/dpkg/dpkg.cfg.d/99mmdebstrap "$r"/usr/share/lintian \
        "$r"/usr/share/bash-completion "$r"/dev/* "$r"/run/* "$r"/tmp/* "$r"/var/tmp/*
    find "$r"/usr/share/man "$r"/usr/share/info "$r"/usr/share/doc "$r"/usr/share/locale \
        -mindepth 1 ! -type d ! -name copyright ! -name locale.alias -delete 2>/dev/null || true
    find "$r"/usr/share/man "$r"/usr/share/info "$r"/usr/share/doc "$r"/usr/share/locale \
        -mindepth 1 -depth -type d -empty -delete 2>/dev/null || true
    : >"$r/etc/resolv.conf"
    echo judgebox >"$r/etc/hostname"
    : >"$r/etc/machine-id"
    # the uid the sandbox runs programs as
    grep -q '^judge:' "$r/etc/passwd" || echo 'judge:x:1000:1000:judgebox program:/box:/bin/sh' >>"$r/etc/passwd"
    grep -q '^judge:' "$r/etc/group" || echo 'judge:x:1000:' >>"$r/etc/group"
    mkdir -p "$r/box" "$r/proc" "$r/sys" "$r/dev" "$r/tmp"
    chmod 1777 "$r/tmp"
    # chown of a file also drops its setuid/setgid bits and capabilities;
    # the explicit passes make sure of it (and cover directories).
    chown -R -h root:root "$r"
    find "$r" -perm /6000 ! -type l -exec chmod ug-s {} +
    find "$r" ! -type l ! -perm -o+r -exec chmod o+r {} +
    find "$r" ! -type l -perm /u+x ! -perm -o+x -exec chmod o+x {} +
    if [ -n "$(find "$r" -perm /6000 ! -type l -print -quit)" ]; then die "setuid/setgid left in $r"; fi
    if command -v getcap >/dev/null && [ -n "$(getcap -r "$r" 2>/dev/null)" ]; then
        die "file capabilities left in $r: $(getcap -r "$r" | head -3)"
    fi
}

build_tree() { # NAME
    local name=$1 dir=$images/$1 new=$images/.new-$1 old=$images/.old-$1
    local pkgs sources
    pkgs=$(packages_of "$name" | paste -sd,)
    [ -n "$pkgs" ] || die "$name.packages lists no package"
    scratch sources
    debian_sources >"$sources"
    [ -s "$sources" ] || die "no Debian $suite entry in /etc/apt/sources.list*; set JUDGEBOX_APT_SOURCES"
    rm -rf "$new" "$old"
    mkdir -p "$new"
    # update-alternatives creates links to man pages even when they are
    # excluded, and fails if the directory is missing (OpenJDK does this)
    local -a hooks=(--essential-hook='for s in 1 2 3 4 5 6 7 8; do mkdir -p "$1/usr/share/man/man$s"; done')
    if [ -f "$here/$name.customize" ]; then
        hooks+=(--customize-hook="sh '$here/$name.customize' \"\$1\"")
    fi
    local t0=$SECONDS
    log "$name: mmdebstrap $suite with: $pkgs"
    if ! mmdebstrap --variant=essential --mode=root --format=directory \
        --aptopt='Apt::Install-Recommends "false"' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/info/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-include=/usr/share/locale/locale.alias' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --include="$pkgs" "${hooks[@]}" \
        "$suite" "$new/rootfs" "$sources" >"$new/build.log" 2>&1; then
        grep -v -E '^(I: |Get:|Selecting |Preparing |Unpacking |Setting up |Processing )' "$new/build.log" | tail -n 30 >&2
        die "$name: mmdebstrap failed (log: $new/build.log)"
    fi
    dpkg-query --admindir="$new/rootfs/var/lib/dpkg" -W -f='${Package} ${Version} ${Architecture}\n' |
        LC_ALL=C sort >"$new/manifest.txt"
    trim "$new/rootfs"
    # the image carries its manifest (read by version commands of programs
    # that cannot tell their own version, e.g. beef)
    mkdir -p "$new/rootfs/usr/share/judgebox"
    cp "$new/manifest.txt" "$new/rootfs/usr/share/judgebox/manifest.txt"
    chmod 0644 "$new/rootfs/usr/share/judgebox/manifest.txt"
    tree_stamp "$name" >"$new/stamp"
    echo $((SECONDS - t0)) >"$new/build-seconds"   # make rootfs-list shows it
    rm -f "$new/build.log"
    # same recipe, same package set: say so when a rebuild resolved another
    if [ -f "$dir/manifest.txt" ]; then
        local diff
        diff=$({ diff <(cut -d' ' -f1 "$dir/manifest.txt") <(cut -d' ' -f1 "$new/manifest.txt") || true; } |
            sed -n 's/^</removed/p; s/^>/added/p' | paste -sd' ')
        [ -z "$diff" ] || log "$name: package set changed since the last build: $diff"
    fi
    if [ -d "$dir" ]; then mv "$dir" "$old"; fi
    mv "$new" "$dir"
    rm -rf "$old"
    log "$name: built in $((SECONDS - t0)) s, $(du -sh "$dir/rootfs" | cut -f1), $(wc -l <"$dir/manifest.txt") packages"
}

up_to_date() { # NAME
    [ -f "$images/$1/stamp" ] && [ -d "$images/$1/rootfs" ] &&
        [ "$(cat "$images/$1/stamp")" = "$(tree_stamp "$1")" ]
}

versions_up_to_date() {
    [ -f "$images/$1/versions.json" ] && [ -f "$images/$1/versions.stamp" ] &&
        [ "$(cat "$images/$1/versions.stamp")" = "$(versions_stamp "$1")" ]
}

packed_up_to_date() { # NAME
    [ -f "$images/$1/rootfs.erofs" ] && [ -f "$images/$1/rootfs.erofs.stamp" ] &&
        cmp -s "$images/$1/stamp" "$images/$1/rootfs.erofs.stamp"
}

# NAME/rootfs.erofs from NAME/rootfs (see the header), written beside and
# renamed over, so a run never sees half an image: the sandbox notices the
# new file at the next run.
pack_image() { # NAME
    local dir=$images/$1 t0=$SECONDS
    rm -f "$dir/rootfs.erofs.new" "$dir/rootfs.erofs.stamp"
    mkfs.erofs --quiet -zlz4 "$dir/rootfs.erofs.new" "$dir/rootfs" >/dev/null ||
        die "$1: mkfs.erofs of $dir/rootfs failed"
    mv "$dir/rootfs.erofs.new" "$dir/rootfs.erofs"
    cp "$dir/stamp" "$dir/rootfs.erofs.stamp"
    log "$1: packed as rootfs.erofs in $((SECONDS - t0)) s, $(du -h "$dir/rootfs.erofs" | cut -f1)"
}

main() {
    local -a names=()
    while [ $# -gt 0 ]; do
        case $1 in
            -f|--force) force=1 ;;
            --list) recipes; return ;;
            all) mapfile -t -O "${#names[@]}" names < <(recipes) ;;
            -*) die "unknown option $1" ;;
            *) [ -f "$here/$1.packages" ] || die "no recipe $1 (have: $(recipes | paste -sd' '))"
               names+=("$1") ;;
        esac
        shift
    done
    [ ${#names[@]} -gt 0 ] || die "usage: $0 [-f] IMAGE...|all"
    [ "$(id -u)" -eq 0 ] || die "building images needs root (mmdebstrap --mode=root)"
    for tool in mmdebstrap jq bwrap hardlink setpriv mkfs.erofs; do
        command -v "$tool" >/dev/null || die "$tool is missing (make rootfs installs it)"
    done
    lang_table=$(lang_table)
    mkdir -p "$images"
    exec 9>"$images/.lock"
    flock 9
    local built=0 name
    for name in "${names[@]}"; do
        if [ "$force" -eq 1 ] || ! up_to_date "$name"; then
            build_tree "$name"
            built=1
            write_versions "$name"
        elif ! versions_up_to_date "$name"; then
            write_versions "$name"
        fi
        packed_up_to_date "$name" || pack_image "$name"
    done
    if [ "$built" -eq 1 ]; then
        local t0=$SECONDS
        # identical files of all images share one inode (see the header)
        hardlink --quiet --respect-xattrs "$images"/*/rootfs
        log "hard-linked identical files across images in $((SECONDS - t0)) s; all images: $(du -sh "$images" | cut -f1)"
    fi
}

main "$@"
