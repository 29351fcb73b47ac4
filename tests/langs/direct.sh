#!/bin/bash
# tests/langs/direct.sh - owns running one submission in a language's image
# WITHOUT the server (issue 4): a debugging aid and the "direct" backend of
# tests/suites/50-languages.sh.  It follows langs/<id>.json the way the
# server does (source written as source_file in /box, compile argv, then
# run argv + args, the language's env) and prints a response shaped like
# POST /v1/run's: {"compile": {...} | null, "verdict": ..., "runs": [{...}]}.
#
#   tests/langs/direct.sh ID SOURCE_FILE STDIN_FILE [ARG...]
#
# Isolation is bubblewrap's (read-only image, no network, uid 1000), not
# judgebox's: no seccomp, no cgroup limits.  Use `judgebox run` or the
# server for those.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
images=${JUDGEBOX_IMAGES:-/var/lib/judgebox/images}
[ $# -ge 3 ] || { echo "usage: $0 ID SOURCE_FILE STDIN_FILE [ARG...]" >&2; exit 2; }
id=$1 src=$2 input=$3
shift 3
lang=$top/langs/$id.json
[ -f "$lang" ] || { echo "no language $id" >&2; exit 2; }
root=$images/$(jq -r .image "$lang")/rootfs
[ -d "$root" ] || { echo "image of $id missing: $root" >&2; exit 2; }

work=$(mktemp -d /tmp/judgebox-direct.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
mkdir "$work/box"
cp "$src" "$work/box/$(jq -r .source_file "$lang")"
chmod -R a+rwX "$work/box"

bw=(--unshare-all --die-with-parent --ro-bind "$root" / --proc /proc --dev /dev
    --tmpfs /tmp --bind "$work/box" /box --chdir /box --clearenv
    --setenv PATH /usr/local/bin:/usr/bin:/bin)
while IFS= read -r -d '' k && IFS= read -r -d '' v; do
    bw+=(--setenv "$k" "$v")
done < <(jq -j '.env // {} | to_entries[] | "\(.key)\u0000\(.value)\u0000"' "$lang")

# step NAME STDIN argv...: runs in the image, prints a result object
step() {
    local name=$1 in=$2 rc=0 t0 t1
    shift 2
    t0=$(date +%s%N)
    timeout 120 setpriv --reuid=1000 --regid=1000 --clear-groups -- bwrap "${bw[@]}" -- "$@" \
        <"$in" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    t1=$(date +%s%N)
    jq -n --rawfile o "$work/$name.out" --rawfile e "$work/$name.err" --argjson rc "$rc" \
        --argjson ms $(((t1 - t0) / 1000000)) \
        '{status: (if $rc == 0 then "ok" elif $rc == 124 then "wall_time_limit" else "runtime_error" end),
          exit_code: $rc, stdout: $o, stderr: $e, wall_ms: $ms}'
}

# the server's placeholders (server/judge/command_lines.c), for one file,
# no options, and the class Main
argv_of() { # KEY
    jq -j --arg k "$1" '.source_file as $f | .[$k][] | select(. != "{options}") |
        if . == "{sources}" then $f else gsub("{source_file}"; $f) | gsub("{main_class}"; "Main") end |
        "\(.)\u0000"' "$lang"
}

compile=null
step_key=$(jq -r 'if .compile != null then "compile" elif .check != null then "check" else "" end' "$lang")
if [ -n "$step_key" ]; then
    mapfile -d '' -t argv < <(argv_of "$step_key")
    compile=$(step compile /dev/null "${argv[@]}")
    if [ "$(jq -r .status <<<"$compile")" != ok ]; then
        jq -n --argjson c "$compile" '{compile: ($c + {status: "compile_error"}), verdict: "compile_error", runs: []}'
        exit 0
    fi
fi
mapfile -d '' -t argv < <(argv_of run)
run=$(step run "$input" "${argv[@]}" "$@")
jq -n --argjson c "$compile" --argjson r "$run" '{compile: $c, verdict: $r.status, runs: [$r]}'
