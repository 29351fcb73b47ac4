#!/bin/sh
# tests/suites/50-languages.sh - owns the per-language checks (issue 4).
# For every langs/<id>.json, through the HTTP API of a real server on
# loopback (POST /v1/run, GET /v1/languages):
#   hello-<id>   hello world prints exactly "Hello, World!\n"
#   echo-<id>    stdin comes back byte for byte
#   args-<id>    arguments, one per line, a non-ASCII one included
#   error-<id>   (compiled languages, and interpreted ones with a syntax
#                check) a broken program gives compile_error with the
#                compiler's message
#   version-<id> GET /v1/languages reports the version in versions.json
#   alias-<id>   each alias of the language runs hello as the language
#   big-<id>     hello padded with comments to 128 KiB still works (code golf
#                sends big generated sources)
#   nul-<id>     hello with a comment holding a NUL byte, sent as base64 in
#                files[]: works where tests/langs/<id>/NUL_OK says the
#                language allows it, and otherwise still gets a judged result
# Programs live in tests/langs/<id>/{hello,echo,args,error}.<ext>; optional
# <kind>.in / <kind>.out replace the shared stdin / expected output (bc and
# dc echo numbers); error.expect holds a piece of the compiler's message;
# NO_ARGS says why a language cannot see arguments (sed, bc, dc,
# brainfuck) and replaces args.<ext>.  A missing image or program is a FAIL.
#
# JUDGEBOX_LANG_TESTS=direct runs the same checks through
# tests/langs/direct.sh (bubblewrap, no server) to tell an image problem
# from a server problem.  LANGS="c cpp" limits the languages.
BUILD=${BUILD:-build}
cd "$(dirname "$0")/../.." || exit 2
IMAGES=${JUDGEBOX_IMAGES:-/var/lib/judgebox/images}
MODE=${JUDGEBOX_LANG_TESTS:-http}
T=$(mktemp -d /tmp/judgebox-langs.XXXXXX)
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
fail() { printf 'FAIL %s: %s\n' "$1" "$(printf '%s' "$2" | tr '\n\r' '  ')"; }

for tool in jq curl; do
    command -v "$tool" >/dev/null || { fail setup "$tool is not installed"; exit 1; }
done

# The shared inputs and expected outputs.
printf 'Hello, World!\n' >"$T/hello.out"
printf 'line one\n  two\twith a tab  \n\nCRLF line\r\n\303\274n\303\257c\303\266d\303\251 \342\234\223\nno newline at the end' >"$T/echo.in"
cp "$T/echo.in" "$T/echo.out"
printf 'one\ntwo words\n-x\n\303\274n\303\257c\303\266d\303\251 \342\234\223\n' >"$T/args.out"
: >"$T/empty"
ARGS_JSON='["one","two words","-x","ünïcödé ✓"]'

# submit ID SOURCE STDIN_FILE ARGS_JSON -> response JSON on stdout
if [ "$MODE" = direct ]; then
    submit() {
        eval "set -- \"\$1\" \"\$2\" \"\$3\" $(printf '%s' "$4" | jq -r 'map(@sh) | join(" ")')"
        tests/langs/direct.sh "$@"
    }
elif [ "$MODE" = http ]; then
    [ -x "$BUILD/judgebox" ] || { fail server "$BUILD/judgebox is not built"; exit 1; }
    # port 0: the kernel picks a free one, the "listening" log line says which
    JUDGEBOX_IMAGES=$IMAGES "$BUILD/judgebox" serve --listen 127.0.0.1:0 >"$T/server.log" 2>&1 &
    server_pid=$!
    URL=
    for _ in $(seq 1 100); do
        URL=$(sed -n 's/.*"msg":"listening".*"url":"\([^"]*\)".*/\1/p' "$T/server.log")
        [ -n "$URL" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$URL" ] || ! curl -fsS --max-time 10 "$URL/v1/languages" >"$T/languages.json" 2>"$T/curl.err"; then
        fail server "judgebox serve did not answer GET /v1/languages (${URL:-no listening line}): $(tail -n 3 "$T/server.log" "$T/curl.err" 2>/dev/null | tr '\n' ' ')"
        exit 1
    fi
    # the source goes as base64 in files[], so any byte (NUL included) works
    submit() {
        base64 -w0 "$2" >"$T/source.b64"
        jq -n --arg l "$1" --rawfile s "$T/source.b64" --rawfile i "$3" --argjson a "$4" \
            '{language: $l, files: [{content: $s, encoding: "base64"}], stdin: $i, args: $a}' >"$T/request.json"
        curl -sS --max-time 180 -H 'Content-Type: application/json' \
            --data-binary "@$T/request.json" "$URL/v1/run"
    }
else
    fail setup "JUDGEBOX_LANG_TESTS must be http or direct, not $MODE"
    exit 1
fi

# stdout of the first run, exact bytes (stdout_b64 when the server sent it)
run_stdout() {
    jq -j 'if .runs[0].stdout_b64 then .runs[0].stdout_b64 | @base64d else .runs[0].stdout // "" end' "$1"
}

# A comment line of the language, for padding sources (%s: the filler).
comment_of() {
    case $1 in
        c11|c17|c23|cpp*|csharp|d|go|java|kotlin|scala|rust|objc|vala|groovy|typescript|tcc|pascal|php|javascript) echo '// %s' ;;
        lua|luajit|haskell|ada|sqlite) echo '-- %s' ;;
        commonlisp|chicken|guile|racket|clojure|nasm) echo '; %s' ;;
        erlang|prolog) echo '% %s' ;;
        fortran) echo '! %s' ;;
        ocaml) echo '(* %s *)' ;;
        cobol) echo '*> %s' ;;
        m4) echo 'dnl %s' ;;
        forth) echo '\ %s' ;;
        rexx) echo '/* %s */' ;;
        algol68) echo '# %s #' ;;
        yabasic) echo 'rem %s' ;;
        brainfuck) echo '%s' ;;
        coffeescript|*) echo '# %s' ;;
    esac
}

# with_comment SRC OUT LINE COUNT: SRC, a newline if it lacks one, then
# COUNT times the language's comment line holding LINE
with_comment() {
    line=$(comment_of "$id" | awk -v t="$3" '{ i = index($0, "%s"); print substr($0, 1, i - 1) t substr($0, i + 2) }')
    { cat "$1"; [ -z "$(tail -c 1 "$1")" ] || printf '\n'
      awk -v l="$line" -v n="$4" 'BEGIN { for (i = 0; i < n; i++) print l }'; } >"$2"
}

# check ID KIND DIR EXT ARGS_JSON [SOURCE]: one PASS or FAIL line
check() {
    id=$1 kind=$2 dir=$3 ext=$4 args=$5
    name=$kind-$id
    src=${6:-$dir/$kind.$ext}
    [ -f "$src" ] || { fail "$name" "no test program $src"; return; }
    base=$kind
    case $kind in big|nul|alias*) base=hello ;; esac
    in=$T/empty
    [ "$kind" = echo ] && in=$T/echo.in
    [ -f "$dir/$base.in" ] && in=$dir/$base.in
    want=$T/$base.out
    [ -f "$dir/$base.out" ] && want=$dir/$base.out
    [ "$kind" = echo ] && [ -f "$dir/echo.in" ] && [ ! -f "$dir/echo.out" ] && want=$dir/echo.in
    if ! submit "$id" "$src" "$in" "$args" >"$T/response.json" 2>"$T/submit.err"; then
        fail "$name" "request failed: $(head -c 300 "$T/submit.err")"
        return
    fi
    if ! jq -e 'type == "object"' "$T/response.json" >/dev/null 2>&1; then
        fail "$name" "response is not a JSON object: $(head -c 300 "$T/response.json")"
        return
    fi
    if [ "$kind" = error ]; then
        expect=$(cat "$dir/error.expect" 2>/dev/null)
        [ -n "$expect" ] || { fail "$name" "no $dir/error.expect"; return; }
        got=$(jq -r '[.compile.status // "none", .verdict // "none", (.runs | length)] | join(" ")' "$T/response.json")
        msg=$(jq -r '(.compile.stderr // "") + (.compile.stdout // "")' "$T/response.json")
        if [ "$got" != "compile_error compile_error 0" ]; then
            fail "$name" "want compile_error and no runs, got compile.status, verdict, runs = $got: $(printf '%s' "$msg" | head -c 300)"
        elif ! printf '%s' "$msg" | grep -qF -- "$expect"; then
            fail "$name" "compiler message lacks '$expect': $(printf '%s' "$msg" | head -c 300)"
        else
            pass "$name"
        fi
        return
    fi
    cstatus=$(jq -r '.compile.status // "none"' "$T/response.json")
    if [ "$cstatus" != none ] && [ "$cstatus" != ok ]; then
        fail "$name" "compile $cstatus: $(jq -r '(.compile.stderr // "") + (.compile.stdout // "")' "$T/response.json" | head -c 400)"
        return
    fi
    status=$(jq -r '.runs[0].status // "none"' "$T/response.json")
    run_stdout "$T/response.json" >"$T/got"
    if [ "$status" != ok ]; then
        fail "$name" "run status $status (exit $(jq -r '.runs[0].exit_code' "$T/response.json"), syscall $(jq -r '.runs[0].syscall' "$T/response.json")): $(jq -r '.runs[0].stderr // "" , .error.message // ""' "$T/response.json" | head -c 400)"
    elif ! cmp -s "$T/got" "$want"; then
        fail "$name" "stdout differs: want $(od -An -c "$want" | tr -s ' \n' ' ' | head -c 200) got $(od -An -c "$T/got" | tr -s ' \n' ' ' | head -c 200)"
    else
        pass "$name"
    fi
}

if [ "$MODE" = http ]; then
    if jq -e 'type == "array"' "$T/languages.json" >/dev/null 2>&1; then
        pass languages-list
    else
        fail languages-list "GET /v1/languages is not an array: $(head -c 200 "$T/languages.json")"
    fi
fi

ids=${LANGS:-$(for f in langs/*.json; do basename "$f" .json; done)}
[ -n "$ids" ] || { fail languages "no langs/*.json"; exit 1; }

# What the recipes promise of every image the languages use: a manifest,
# versions for each of its languages, no setuid/setgid file, everything
# readable by others (the sandbox's uid is not the files' owner), and the
# tree packed as rootfs.erofs from the current build (its stamp).
for image in $(for id in $ids; do jq -r .image "langs/$id.json" 2>/dev/null; done | sort -u); do
    d=$IMAGES/$image
    [ -d "$d/rootfs" ] || continue   # reported per language below
    why=
    [ -s "$d/manifest.txt" ] || why="no manifest.txt;"
    for id in $ids; do
        [ "$(jq -r .image "langs/$id.json")" = "$image" ] || continue
        jq -e --arg id "$id" '.[$id] | type == "string"' "$d/versions.json" >/dev/null 2>&1 ||
            why="$why versions.json lacks $id;"
    done
    s=$(find "$d/rootfs" -xdev -perm /6000 ! -type l -print -quit)
    [ -z "$s" ] || why="$why setuid/setgid $s;"
    s=$(find "$d/rootfs" -xdev ! -type l \( ! -perm -o+r -o -type d ! -perm -o+x \) -print -quit)
    [ -z "$s" ] || why="$why not readable by others: $s;"
    s=$(find "$d/rootfs" -xdev \( ! -user root -o ! -group root \) -print -quit)
    [ -z "$s" ] || why="$why not owned by root: $s;"
    [ -s "$d/rootfs.erofs" ] && cmp -s "$d/stamp" "$d/rootfs.erofs.stamp" ||
        why="$why no rootfs.erofs packed from this build;"
    if [ -z "$why" ]; then pass "image-$image"; else fail "image-$image" "$why"; fi
done
# The server roots runs on an image's packed tree where the kernel mounts
# erofs from a file (Linux >= 6.12; sandbox/image_view.c), else on the
# directory (a read-only overlay view, or the run's own overlay).
if [ "$MODE" = http ] && printf '%s\n' $ids | grep -qx bash; then
    printf '%s\n' "awk '\$2 == \"/\" { print \$3 }' /proc/self/mounts" >"$T/root.sh"
    want=overlay
    uname -r | awk -F. '{ exit !($1 > 6 || ($1 == 6 && $2 >= 12)) }' && want=erofs
    got=$(submit bash "$T/root.sh" "$T/empty" '[]' 2>/dev/null | jq -r '.runs[0].stdout // empty' | tr -d '\n')
    if [ "$got" = "$want" ]; then pass "packed-root"; else fail "packed-root" "a bash run's / is '$got', want $want"; fi
fi
for id in $ids; do
    lang=langs/$id.json
    [ -f "$lang" ] || { fail "lang-$id" "no $lang"; continue; }
    image=$(jq -r .image "$lang")
    if [ ! -d "$IMAGES/$image/rootfs" ]; then
        fail "image-$id" "image $image missing under $IMAGES (make rootfs IMAGES=$image)"
        continue
    fi
    src=$(jq -r .source_file "$lang")
    ext=${src##*.}
    dir=tests/langs/$id
    if [ "$MODE" = http ]; then
        want=$(jq -r --arg id "$id" '.[$id] // empty' "$IMAGES/$image/versions.json" 2>/dev/null)
        got=$(jq -r --arg id "$id" '.[] | select(.id == $id) | .version' "$T/languages.json" 2>/dev/null)
        if [ -n "$want" ] && [ "$got" = "$want" ]; then
            pass "version-$id"
        else
            fail "version-$id" "GET /v1/languages says '$got', $IMAGES/$image/versions.json says '$want'"
        fi
    fi
    check "$id" hello "$dir" "$ext" '[]'
    check "$id" echo "$dir" "$ext" '[]'
    if [ -f "$dir/NO_ARGS" ]; then
        printf 'NOTE args-%s not checked: %s\n' "$id" "$(cat "$dir/NO_ARGS")"
    else
        # args.json replaces the shared arguments where a language's
        # launcher takes "-x" for its own option (jq 1.6)
        check "$id" args "$dir" "$ext" "$(cat "$dir/args.json" 2>/dev/null || echo "$ARGS_JSON")"
    fi
    if [ "$(jq -r '.compile != null or .check != null' "$lang")" = true ]; then
        check "$id" error "$dir" "$ext" '[]'
    fi
    if [ -f "$dir/hello.$ext" ]; then
        # 128 KiB of whole comment lines after hello
        with_comment "$dir/hello.$ext" "$T/big.$ext" "$(printf '%060d' 0 | tr 0 x)" 2150
        [ "$(wc -c <"$T/big.$ext")" -ge 131072 ] || fail "big-$id" "the padded source is under 128 KiB"
        check "$id" big "$dir" "$ext" '[]' "$T/big.$ext"
        with_comment "$dir/hello.$ext" "$T/nul.$ext" "a NUL: @ byte" 1
        sed -i 's/a NUL: @ byte/a NUL: \x00 byte/' "$T/nul.$ext"
        if [ -f "$dir/NUL_OK" ]; then
            check "$id" nul "$dir" "$ext" '[]' "$T/nul.$ext"
        elif [ "$MODE" = http ]; then
            if submit "$id" "$T/nul.$ext" "$T/empty" '[]' >"$T/response.json" 2>/dev/null &&
                jq -e '.verdict | type == "string"' "$T/response.json" >/dev/null 2>&1; then
                pass "nul-$id"
            else
                fail "nul-$id" "a source with a NUL byte got no judged result: $(head -c 300 "$T/response.json")"
            fi
        fi
    fi
    if [ "$MODE" = http ]; then
        lid=$id   # check() sets $id
        for alias in $(jq -r '.aliases // [] | .[]' "$lang"); do
            check "$alias" alias "$dir" "$ext" '[]' "$dir/hello.$ext"
            got=$(jq -r '.language.id' "$T/response.json" 2>/dev/null)
            [ "$got" = "$lid" ] || fail "alias-$alias-id" "language $alias ran as '$got', not $lid"
        done
        id=$lid
        listed=$(jq -r --arg id "$id" '.[] | select(.id == $id) | .aliases // [] | join(" ")' "$T/languages.json")
        want_aliases=$(jq -r '.aliases // [] | join(" ")' "$lang")
        if [ "$listed" = "$want_aliases" ]; then pass "aliases-listed-$id"; else
            fail "aliases-listed-$id" "GET /v1/languages lists '$listed', $lang has '$want_aliases'"; fi
    fi
done
exit 0
