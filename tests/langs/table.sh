#!/bin/bash
# tests/langs/table.sh - prints docs/languages.md's language table from this
# machine (issue 14): for every langs/*.json, id, aliases, image, version
# (GET /v1/languages), compile (or syntax check) and run commands, the
# compile_options allowlist, and hello world's compile+run wall time through
# a real server (tests/langs/<id>/hello.*; the median of 3 requests).
#   tests/langs/table.sh > /tmp/table.md
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
T=$(mktemp -d)
"$BUILD/judgebox" serve --listen 127.0.0.1:0 >"$T/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 100); do
    URL=$(sed -n 's/.*"msg":"listening".*"url":"\([^"]*\)".*/\1/p' "$T/log")
    [ -n "$URL" ] && break
    sleep 0.1
done
curl -fsS "$URL/v1/languages" >"$T/langs.json"
echo '| id | aliases | image | version | compile (or syntax check) | run | compile_options | hello ms |'
echo '|---|---|---|---|---|---|---|---|'
for f in langs/*.json; do
    id=$(jq -r .id "$f")
    src=$(ls tests/langs/$id/hello.* 2>/dev/null | head -1)
    ms=-
    if [ -n "$src" ] && jq -e --arg id "$id" 'any(.[]; .id == $id)' "$T/langs.json" >/dev/null; then
        for i in 1 2 3; do
            jq -n --arg l "$id" --rawfile s "$src" '{language: $l, source: $s}' |
                curl -sS --max-time 120 -H 'Content-Type: application/json' --data-binary @- "$URL/v1/run" |
                jq -r '((.compile.wall_ms // 0) + (.runs[0].wall_ms // 0))'
        done | sort -n | sed -n 2p >"$T/ms"
        ms=$(cat "$T/ms")
    fi
    version=$(jq -r --arg id "$id" '.[] | select(.id == $id) | .version' "$T/langs.json")
    jq -r --arg v "${version:-not built}" --arg ms "$ms" '
        def cmd: if . == null then "" else map(if test("[ \"]") then "\u0027" + . + "\u0027" else . end) | join(" ") | "`" + gsub("\\|"; "\\|") + "`" end;
        "| `\(.id)` | \((.aliases // []) | map("`" + . + "`") | join(" ")) | `\(.image)` | \($v) | \(if .compile then (.compile | cmd) elif .check then "check: " + (.check | cmd) else "" end) | \(.run | cmd) | \((.compile_options // []) | map("`" + gsub("\\|"; "\\|") + "`") | join(" ")) | \($ms) |"' "$f"
done
