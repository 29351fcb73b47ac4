#!/bin/sh
# tests/suites/55-images.sh - owns `judgebox image import|list|rm` (issue 14).
# Everything happens in a scratch images directory of its own; nothing
# touches /var/lib/judgebox/images.
#   oci-umoci        a two-layer OCI layout built offline by umoci from a
#                    local directory (static busybox; the second layer deletes
#                    a file, a whiteout) imports; files, whiteout, root owner
#                    and modes are right
#   oci-run          a program runs in the imported image (judgebox run)
#   oci-language     a language file naming the image: versions.json filled
#                    by the import, GET /v1/languages lists it with its image,
#                    POST /v1/run runs in it
#   docker-save      a `docker save` tarball (whiteout + opaque directory)
#   docker-export    a `docker export` tarball (one flat layer)
#   oci-packed       the import packs the tree as rootfs.erofs (erofs magic)
#   oci-packed-root  the server's runs of it are rooted on that image
#                    (Linux >= 6.12; else on the directory)
#   var-symlink      an image whose var is an absolute symlink imports, runs,
#                    and making var/tmp did not follow it to the host
#   tmp-symlink      an image whose tmp is an absolute symlink is refused, and
#                    the host directory it names is not made world-writable
#   hostile-KIND     a layer with an absolute path, a '..', a whiteout out of
#                    its directory, a symlink out of the image, a device node,
#                    a setuid file, a hard link out: refused naming the entry,
#                    and nothing is left in the images directory
#   exists           importing over an existing name is refused without --replace
#   list             `image list` shows the images, whether each is packed
#                    (rootfs.erofs) and the languages using them
#   list-packed      a packed file of another build shows as stale, none as no
#   rm-used / rm     rm refuses an image a language uses unless --force
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.." || exit 2
T=$(mktemp -d /tmp/judgebox-images.XXXXXX)
chmod 0755 "$T"   # the sandbox's user namespace must reach the images
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
pass() { printf 'PASS %s\n' "$1"; }
fail() { printf 'FAIL %s: %s\n' "$1" "$(printf '%s' "$2" | tr '\n\r' '  ' | head -c 600)"; }

JB=$BUILD/judgebox
[ -x "$JB" ] || { fail images-setup "$JB is not built"; exit 1; }
for tool in umoci python3 jq curl; do
    command -v "$tool" >/dev/null || { fail images-setup "$tool is not installed (make test-deps)"; exit 1; }
done
BUSYBOX=$(command -v busybox)
case $(file -b "$BUSYBOX" 2>/dev/null) in
    *static*) ;;
    *) fail images-setup "$BUSYBOX is not static (busybox-static)"; exit 1 ;;
esac
IMAGES=$T/images
mkdir -p "$T/langs" "$IMAGES"
img() { "$JB" image "$@" --images "$IMAGES" --langs "$T/langs"; }

# ---- a real OCI layout, built with umoci from a local directory
oci=$T/oci
if umoci init --layout "$oci" >"$T/umoci.log" 2>&1 &&
    umoci new --image "$oci:v1" >>"$T/umoci.log" 2>&1 &&
    umoci unpack --image "$oci:v1" "$T/bundle" >>"$T/umoci.log" 2>&1; then
    r=$T/bundle/rootfs
    mkdir -p "$r/bin" "$r/etc" "$r/data"
    cp "$BUSYBOX" "$r/bin/busybox"
    ln -s busybox "$r/bin/sh"
    echo kept >"$r/etc/keep"
    echo doomed >"$r/etc/doomed"
    echo 'private' >"$r/data/secret"
    chmod 0600 "$r/data/secret"
    chown -R 1234:1234 "$r/data"
    umoci repack --image "$oci:v1" "$T/bundle" >>"$T/umoci.log" 2>&1 &&
        rm -f "$r/etc/doomed" &&
        umoci repack --image "$oci:v1" "$T/bundle" >>"$T/umoci.log" 2>&1 ||
        fail oci-umoci "umoci repack: $(tail -n 3 "$T/umoci.log")"
else
    fail oci-umoci "umoci could not make a layout: $(tail -n 3 "$T/umoci.log")"
fi
cat >"$T/langs/bbsh.json" <<'EOF'
{"id": "bbsh", "name": "busybox sh (imported image)", "image": "tiny", "source_file": "main.sh",
 "run": ["/bin/busybox", "sh", "main.sh"], "version": ["/bin/busybox", "sh", "-c", "busybox | sed -n '1s/^BusyBox v\\([0-9.]*\\).*/\\1/p'"],
 "env": {"PATH": "/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}}
EOF
if out=$(img import tiny "$oci" 2>&1); then
    rt=$IMAGES/tiny/rootfs
    why=
    [ -x "$rt/bin/busybox" ] || why="$why no bin/busybox;"
    [ "$(cat "$rt/etc/keep" 2>/dev/null)" = kept ] || why="$why etc/keep lost;"
    [ ! -e "$rt/etc/doomed" ] || why="$why the whiteout of etc/doomed was not applied;"
    [ "$(stat -c %u:%g "$rt/data/secret" 2>/dev/null)" = 0:0 ] || why="$why data/secret not owned by root;"
    [ "$(stat -c %a "$rt/data/secret" 2>/dev/null)" = 644 ] || why="$why data/secret not readable by others;"
    [ -d "$rt/box" ] && [ -d "$rt/tmp" ] && [ -d "$rt/var/tmp" ] || why="$why no /box, /tmp or /var/tmp;"
    [ "$(jq -r .format "$IMAGES/tiny/source.json" 2>/dev/null)" = oci ] || why="$why source.json lacks format oci;"
    if [ -z "$why" ]; then pass oci-umoci; else fail oci-umoci "$why ($out)"; fi
    # packed as the recipes' images are: runs are rooted on it (sandbox/image_view.c)
    if [ "$(od -An -tx4 -j 1024 -N 4 "$IMAGES/tiny/rootfs.erofs" 2>/dev/null | tr -d ' ')" = e0f5e1e2 ] &&
        printf '%s' "$out" | grep -q "packed as $IMAGES/tiny/rootfs.erofs"; then
        pass oci-packed
    else
        fail oci-packed "no erofs image at $IMAGES/tiny/rootfs.erofs: $out"
    fi
    if [ "$(jq -r .bbsh "$IMAGES/tiny/versions.json" 2>/dev/null)" = "$("$BUSYBOX" | sed -n '1s/^BusyBox v\([0-9.]*\).*/\1/p')" ]; then
        pass oci-versions
    else
        fail oci-versions "versions.json: $(cat "$IMAGES/tiny/versions.json" 2>&1) ($out)"
    fi
    got=$("$JB" run --rootfs "$rt" -- /bin/busybox echo "ran in tiny" 2>"$T/run.err")
    if [ "$got" = "ran in tiny" ]; then pass oci-run; else fail oci-run "got '$got': $(cat "$T/run.err")"; fi
else
    fail oci-umoci "import failed: $out"
fi

# ---- the server with a language on the imported image
if [ -d "$IMAGES/tiny/rootfs" ]; then
    "$JB" serve --listen 127.0.0.1:0 --images "$IMAGES" --langs "$T/langs" >"$T/server.log" 2>&1 &
    server_pid=$!
    URL=
    for _ in $(seq 1 100); do
        URL=$(sed -n 's/.*"msg":"listening".*"url":"\([^"]*\)".*/\1/p' "$T/server.log")
        [ -n "$URL" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    listed=$(curl -fsS --max-time 10 "$URL/v1/languages" 2>&1 | jq -c '.[] | select(.id == "bbsh") | [.image, .version]' 2>&1)
    resp=$(jq -n '{language: "bbsh", source: "echo \"hi from $(cat /etc/keep)\" \"$1\"", args: ["ä"]}' |
        curl -sS --max-time 60 -H 'Content-Type: application/json' --data-binary @- "$URL/v1/run" 2>&1)
    if [ "$listed" = "[\"tiny\",\"$(jq -r .bbsh "$IMAGES/tiny/versions.json")\"]" ] &&
        [ "$(printf '%s' "$resp" | jq -r '.runs[0].stdout' 2>/dev/null)" = "hi from kept ä" ]; then
        pass oci-language
    else
        fail oci-language "listed $listed, run $resp $(tail -n 3 "$T/server.log")"
    fi
    # its runs' root: the packed image where the kernel mounts erofs from a
    # file (Linux >= 6.12), else a view or overlay of the directory
    want=overlay
    uname -r | awk -F. '{ exit !($1 > 6 || ($1 == 6 && $2 >= 12)) }' && want=erofs
    resp=$(jq -n '{language: "bbsh", source: "busybox awk '"'"'$2 == \"/\" { print $3 }'"'"' /proc/self/mounts"}' |
        curl -sS --max-time 60 -H 'Content-Type: application/json' --data-binary @- "$URL/v1/run" 2>&1)
    got=$(printf '%s' "$resp" | jq -r '.runs[0].stdout' 2>/dev/null | tr -d '\n')
    if [ "$got" = "$want" ]; then pass oci-packed-root; else fail oci-packed-root "want $want, got $resp"; fi
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=
fi

# ---- docker save / docker export tarballs
python3 tests/images/make_sources.py docker-save "$T/save.tar" "$BUSYBOX"
python3 tests/images/make_sources.py docker-export "$T/export.tar" "$BUSYBOX"
if out=$(img import saved "$T/save.tar" 2>&1); then
    r=$IMAGES/saved/rootfs
    if [ -x "$r/bin/busybox" ] && [ -f "$r/etc/keep" ] && [ ! -e "$r/etc/gone" ] &&
        [ ! -e "$r/opaque/old" ] && [ -f "$r/opaque/new" ] && [ "$(stat -c %a "$r/etc")" = 755 ] &&
        [ "$(jq -r .format "$IMAGES/saved/source.json")" = docker-save ] &&
        [ ! -e "$IMAGES/.import-src-saved" ]; then
        pass docker-save
    else
        fail docker-save "tree: $(cd "$r" && find . | sort | tr '\n' ' ')"
    fi
else
    fail docker-save "$out"
fi
if out=$(img import exported "$T/export.tar" 2>&1) && [ -f "$IMAGES/exported/rootfs/etc/gone" ] &&
    [ "$(jq -r .format "$IMAGES/exported/source.json")" = docker-export ]; then
    pass docker-export
else
    fail docker-export "$out"
fi

# ---- an image whose var is an absolute symlink: finishing the tree (var/tmp)
# must not follow it to the host; the image imports and runs on its own overlay
mkdir "$T/host-var"
python3 tests/images/make_sources.py docker-export-link "$T/varlink.tar" "$BUSYBOX" var "$T/host-var"
got=
if out=$(img import varlink "$T/varlink.tar" 2>&1) && [ -L "$IMAGES/varlink/rootfs/var" ] &&
    got=$("$JB" run --rootfs "$IMAGES/varlink/rootfs" -- /bin/busybox echo ok 2>"$T/run.err") && [ "$got" = ok ] &&
    [ -z "$(ls -A "$T/host-var")" ]; then
    pass var-symlink
else
    fail var-symlink "import: $out; host dir: $(ls -A "$T/host-var" | tr '\n' ' '); run: $got $(cat "$T/run.err")"
fi
img rm varlink >/dev/null 2>&1
# ---- tmp an absolute symlink: refused (the sandbox needs a directory there),
# and the host directory it names keeps its mode (no chmod 1777 through it)
mkdir "$T/host-tmp" && chmod 0755 "$T/host-tmp"
python3 tests/images/make_sources.py docker-export-link "$T/tmplink.tar" "$BUSYBOX" tmp "$T/host-tmp"
if out=$(img import tmplink "$T/tmplink.tar" 2>&1); then
    fail tmp-symlink "imported: $out"
elif ! printf '%s' "$out" | grep -q 'tmp: .*not a symlink'; then
    fail tmp-symlink "the refusal does not say why: $out"
elif [ "$(stat -c %a "$T/host-tmp")" != 755 ] || [ -e "$IMAGES/tmplink" ]; then
    fail tmp-symlink "host dir mode $(stat -c %a "$T/host-tmp"), left: $(ls -A "$IMAGES" | tr '\n' ' ')"
else
    pass tmp-symlink
fi

# ---- hostile layers
for kind in absolute dotdot whiteout-escape symlink-outside device setuid hardlink-outside; do
    why=$(python3 tests/images/make_sources.py oci-hostile "$T/h-$kind" "$kind")
    entry=$(tar -tf "$T/h-$kind"/blobs/sha256/* 2>/dev/null | tail -n 1)
    if out=$(img import "h-$kind" "$T/h-$kind" 2>&1); then
        fail "hostile-$kind" "imported: $out"
    elif ! printf '%s' "$out" | grep -q -- "$why"; then
        fail "hostile-$kind" "the message does not say '$why': $out"
    elif ! printf '%s' "$out" | grep -q 'entry "'; then
        fail "hostile-$kind" "the message names no entry: $out"
    elif [ -n "$(ls -A "$IMAGES" | grep -e "h-$kind")" ]; then
        fail "hostile-$kind" "left behind: $(ls -A "$IMAGES" | tr '\n' ' ')"
    else
        pass "hostile-$kind"
    fi
done
[ ! -e /etc/evil ] && [ ! -e "$T/escape" ] || fail hostile-host "a hostile entry reached the host"

# ---- names, list, rm
if out=$(img import saved "$T/export.tar" 2>&1); then
    fail exists "a second import over 'saved' worked without --replace: $out"
elif out2=$(img import --replace saved "$T/export.tar" 2>&1) && [ -f "$IMAGES/saved/rootfs/etc/gone" ]; then
    pass exists
else
    fail exists "--replace did not replace: $out2"
fi
out=$(img import ../x "$T/export.tar" 2>&1) && fail bad-name "imported as ../x" || pass bad-name
list=$(img list 2>&1)
if printf '%s\n' "$list" | grep -q '^tiny .*imported.* yes .*bbsh' && printf '%s\n' "$list" | grep -q '^saved '; then
    pass list
else
    fail list "$list"
fi
# a recipe-built image (a stamp) whose packed file is of another build: stale
mkdir -p "$IMAGES/recipe/rootfs" && echo build-2 >"$IMAGES/recipe/stamp" && echo build-1 >"$IMAGES/recipe/rootfs.erofs.stamp"
cp "$IMAGES/saved/rootfs.erofs" "$IMAGES/recipe/rootfs.erofs" 2>/dev/null
stale=$(img list 2>&1 | awk '$1 == "recipe" { print $4 }')
rm "$IMAGES/recipe/rootfs.erofs"
none=$(img list 2>&1 | awk '$1 == "recipe" { print $4 }')
rm -r "$IMAGES/recipe"
if [ "$stale" = stale ] && [ "$none" = no ]; then pass list-packed; else fail list-packed "got '$stale' and '$none'"; fi
if [ -d "$IMAGES/tiny" ]; then
    if out=$(img rm tiny 2>&1) || ! printf '%s' "$out" | grep -q bbsh || [ ! -d "$IMAGES/tiny/rootfs" ]; then
        fail rm-used "rm of an image bbsh uses: $out"
    elif out=$(img rm --force tiny 2>&1) && [ ! -e "$IMAGES/tiny" ]; then
        pass rm-used
    else
        fail rm-used "rm --force: $out"
    fi
fi
if out=$(img rm exported 2>&1) && [ ! -e "$IMAGES/exported" ] && ! img rm exported >/dev/null 2>&1; then
    pass rm
else
    fail rm "$out"
fi
leftover=$(ls -A "$IMAGES" | grep -v -e '^saved$' -e '^\.lock$')
[ -z "$leftover" ] && pass images-clean || fail images-clean "left in the images directory: $leftover"
exit 0
