#!/bin/sh
# tests/vm/setup.sh [IMAGE_DIR] - prepare the cgroup v2 test VM.  Idempotent:
# a second run with nothing changed takes well under a second.
#
# Produces IMAGE_DIR (default build/vm-image): vmlinux (ELF, booted through
# QEMU's PVH entry), initrd.gz (static busybox, tests/vm/init, the modules
# for virtio 9p and overlayfs) and kernel.txt (which kernel).
#
#  1. Installs qemu-system-x86 (--no-install-recommends) and busybox-static
#     with apt-get when they are missing (needs root then).
#  2. Resolves the current Debian kernel through the linux-image-amd64
#     metapackage (the real package name changes with every ABI bump, and old
#     ones leave the mirror), `apt-get download`s it and unpacks it with
#     `dpkg-deb -x` into the cache, never into the host's /boot.  Only the
#     decompressed vmlinux and the few modules the guest needs are kept.
#     The kernel is downloaded again only when the metapackage points at a
#     new package; with no apt lists or no mirror, a cached kernel is used.
#  3. Builds initrd.gz when tests/vm/init, the module set or busybox changed.
#
# Environment:
#   VM_CACHE        kernel cache, shared by checkouts (default /var/cache/judgebox-vm)
#   VM_KERNEL_PKG   boot this kernel package instead (e.g. linux-image-6.1.0-56-amd64);
#                   it needs 9p modules, so not the -cloud- flavour
#   VM_MODULES      modules to load in the guest, dependencies are added
#                   (default: virtio_pci 9pnet_virtio 9p overlay)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${1:-$REPO/build/vm-image}
CACHE=${VM_CACHE:-/var/cache/judgebox-vm}
WANT=${VM_MODULES:-virtio_pci 9pnet_virtio 9p overlay}

say() { echo "vm-setup: $*" >&2; }
die() { echo "vm-setup: ERROR: $*" >&2; exit 1; }

mkdir -p "$OUT" "$CACHE" || die "cannot create $OUT or $CACHE"
OUT=$(cd "$OUT" && pwd)
# scratch directories of fetch_kernel and the initrd, gone however we exit
tmp="" R=""
trap 'rm -rf ${tmp:+"$tmp"} ${R:+"$R"}' EXIT
trap 'exit 130' INT TERM HUP
# Two checkouts (or make -j) may set up at once: one at a time per cache.
exec 9>"$CACHE/.lock"
flock 9

# --- 1. host tools ----------------------------------------------------------
static_busybox() {
    for b in /bin/busybox /usr/bin/busybox; do
        [ -x "$b" ] || continue
        # a dynamic busybox would need its libraries inside the initrd
        if ! readelf -l "$b" 2>/dev/null | grep -q 'INTERP'; then echo "$b"; return 0; fi
    done
    return 1
}
need=""
command -v qemu-system-x86_64 >/dev/null 2>&1 || need="$need qemu-system-x86"
static_busybox >/dev/null || need="$need busybox-static"
command -v python3 >/dev/null 2>&1 || need="$need python3-minimal"
if [ -n "$need" ]; then
    [ "$(id -u)" = 0 ] || die "missing:$need; run as root or install them"
    say "installing:$need"
    apt-get update -qq || say "apt-get update failed; trying the lists we have"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null ||
        die "apt-get install$need failed"
fi
BUSYBOX=$(static_busybox) || die "no static busybox after installing busybox-static"

# --- 2. kernel ----------------------------------------------------------------
resolve_pkg() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}
current=""
[ -f "$CACHE/current" ] && current=$(cat "$CACHE/current")
[ -n "$current" ] && [ -f "$CACHE/$current/vmlinux" ] && [ -f "$CACHE/$current/modules/load" ] || current=""

PKG=${VM_KERNEL_PKG:-}
if [ -z "$PKG" ]; then
    PKG=$(resolve_pkg)
    if [ -z "$PKG" ] && [ -z "$current" ]; then
        say "linux-image-amd64 not in the apt lists; running apt-get update"
        apt-get update -qq || true
        PKG=$(resolve_pkg)
    fi
    [ -n "$PKG" ] || PKG=$current
    [ -n "$PKG" ] || die "cannot resolve the kernel package behind linux-image-amd64"
fi

# modname_of FILE: module name as modprobe sees it (dashes are underscores)
modname_of() { basename "$1" | sed 's/\.ko.*$//; s/-/_/g'; }
# depends_of FILE: comma-separated dependencies from the .ko's .modinfo section
depends_of() { tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -1; }

# Called as `if fetch_kernel`, where set -e does not apply: every step that
# can fail is checked, or a broken kernel or module would be cached as good.
fetch_kernel() { # PKG -> $CACHE/PKG/{vmlinux,modules/*.ko,modules/load,release}
    pkg=$1
    tmp="$CACHE/tmp.$$"
    rm -rf "$tmp"; mkdir -p "$tmp/deb" || return 1
    # apt's _apt user must be able to write the download directory
    chown _apt "$tmp/deb" 2>/dev/null || true
    say "downloading $pkg"
    (cd "$tmp/deb" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
        { say "apt-get download $pkg failed"; return 1; }
    dpkg-deb -x "$tmp"/deb/*.deb "$tmp/x" || { say "dpkg-deb -x of $pkg failed"; return 1; }
    rm -rf "$tmp/deb"
    kimg=$(ls "$tmp"/x/boot/vmlinuz-* 2>/dev/null | head -1)
    [ -n "$kimg" ] || { say "$pkg has no /boot/vmlinuz-*"; return 1; }
    release=${kimg##*/vmlinuz-}
    mdir="$tmp/x/lib/modules/$release"
    mkdir -p "$tmp/k/modules" || return 1
    # The bzImage's payload is xz (Debian amd64): booting the decompressed ELF
    # vmlinux through its PVH note saves ~3.5 s of in-guest decompression
    # under TCG.  Find the xz stream, decompress, check it is an ELF.
    python3 - "$kimg" "$tmp/k/vmlinux" <<'EOF' || return 1
import lzma, sys
data = open(sys.argv[1], "rb").read()
i = data.find(b"\xfd7zXZ\x00")
if i < 0:
    sys.exit("no xz stream in " + sys.argv[1])
raw = lzma.LZMADecompressor().decompress(data[i:])
if raw[:4] != b"\x7fELF":
    sys.exit("decompressed kernel is not an ELF vmlinux")
open(sys.argv[2], "wb").write(raw)
EOF
    # Modules: the .deb has no modules.dep, so follow each module's own
    # depends= list, depth first, to get an insmod order.  Built-in ones
    # (modules.builtin) need nothing.
    find "$mdir/kernel" -name '*.ko*' >"$tmp/all" || return 1
    : >"$tmp/k/modules/load"
    add_mod() { # recursive: locals, or the caller's $m is overwritten
        local m f d
        m=$1
        grep -qx "$m" "$tmp/k/modules/load" && return 0
        f=$(grep -E "/$(echo "$m" | sed 's/_/[_-]/g')\.ko(\.xz|\.zst|\.gz)?$" "$tmp/all" | head -1)
        if [ -z "$f" ]; then
            if sed 's/-/_/g' "$mdir/modules.builtin" 2>/dev/null | grep -q "/$m\.ko$"; then return 0; fi
            say "module $m: neither a .ko nor built in"; return 1
        fi
        case "$f" in
            *.ko) cp "$f" "$tmp/k/modules/$m.ko" ;;
            *.ko.xz) xz -dc "$f" >"$tmp/k/modules/$m.ko" ;;
            *.ko.zst) zstd -qdc "$f" >"$tmp/k/modules/$m.ko" ;;
            *.ko.gz) gzip -dc "$f" >"$tmp/k/modules/$m.ko" ;;
        esac || { say "module $m: cannot copy or decompress $f"; return 1; }
        for d in $(depends_of "$tmp/k/modules/$m.ko" | tr ',' ' '); do
            add_mod "$d" || return 1
        done
        echo "$m" >>"$tmp/k/modules/load"
    }
    for m in $WANT; do add_mod "$m" || return 1; done
    echo "$release" >"$tmp/k/release" && echo "$pkg" >"$tmp/k/package" || return 1
    rm -rf "${CACHE:?}/$pkg"
    mv "$tmp/k" "$CACHE/$pkg" || return 1
    rm -rf "$tmp"; tmp=""
    say "kernel $release: vmlinux $(du -m "$CACHE/$pkg/vmlinux" | cut -f1) MB, modules: $(tr '\n' ' ' <"$CACHE/$pkg/modules/load")"
}

if [ "$PKG" != "$current" ]; then
    if fetch_kernel "$PKG"; then
        # the old kernel is no longer what the metapackage points at
        [ -n "$current" ] && [ "$current" != "$PKG" ] && rm -rf "${CACHE:?}/$current"
        echo "$PKG" >"$CACHE/current"
        current=$PKG
    elif [ -n "$current" ]; then
        say "WARNING: could not fetch $PKG; using the cached $current"
    else
        die "could not fetch kernel package $PKG (see above)"
    fi
fi
K="$CACHE/$current"

# --- 3. initrd ----------------------------------------------------------------
stamp=$( { cat "$HERE/init" "$K/modules/load" "$K/release"; sha256sum "$BUSYBOX" "$K"/modules/*.ko; } | sha256sum | cut -d' ' -f1)
if [ -f "$OUT/initrd.gz" ] && [ "$(cat "$OUT/initrd.stamp" 2>/dev/null)" = "$stamp" ] &&
   [ "$(readlink "$OUT/vmlinux")" = "$K/vmlinux" ]; then
    exit 0
fi
R=$(mktemp -d "$OUT/initrd.XXXXXX")
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/run" "$R/mnt" "$R/host" "$R/lib/modules"
cp "$BUSYBOX" "$R/bin/busybox"
cp "$HERE/init" "$R/init"
chmod 755 "$R/init" "$R/bin/busybox"
cp "$K"/modules/*.ko "$K/modules/load" "$R/lib/modules/"
# no cpio(1) on a minimal Debian: busybox has one
(cd "$R" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) | gzip -1 >"$OUT/initrd.gz.new"
mv "$OUT/initrd.gz.new" "$OUT/initrd.gz"
rm -rf "$R"; R=""
ln -sfn "$K/vmlinux" "$OUT/vmlinux"
echo "$stamp" >"$OUT/initrd.stamp"
echo "$current $(cat "$K/release")" >"$OUT/kernel.txt"
say "initrd.gz built ($(du -k "$OUT/initrd.gz" | cut -f1) KB) for kernel $(cat "$K/release")"
