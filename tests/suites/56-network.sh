#!/bin/sh
# tests/suites/56-network.sh - opt-in network at the core, through
# `judgebox run --net-*` (issue 15 part 4): against servers in a net
# namespace this suite makes itself (tests/network/testnet.sh), never an
# outside address.  The allowed port answers; another port, another
# address, DNS (UDP 53) not allowed and everything without --net-* are
# blocked; the byte cap ends the run with network_limit; nothing is left
# after the runs, and `judgebox cleanup` removes what a killed run left.
. tests/lib.sh
SLOT=59; SANDBOX_SLOT=59
ROOTFS=${JUDGEBOX_IMAGES:-/var/lib/judgebox/images}/default/rootfs
NS=jnt$$ NET=10.251.0 SUBNET=10.214.0.0
SERVER=$NET.2 SECOND=10.251.1.2
if [ ! -x "$ROOTFS/usr/bin/python3" ]; then
    fail "network suite" "no python3 in $ROOTFS (make default-image)"
    exit 0
fi
WWW=$TMPD/www BOX=$TMPD/box
mkdir -p "$WWW" "$BOX"
echo hello > "$WWW/index.html"
head -c 300000 /dev/zero > "$WWW/big.bin"
cp tests/network/netclient.py "$BOX/"
chmod -R a+rX "$TMPD"
trap 'tests/network/testnet.sh down "$NS" "$WWW"; rm -rf "$TMPD"' EXIT
if ! tests/network/testnet.sh up "$NS" "$NET" "$WWW" 2>"$ERR"; then
    fail "test network comes up" "$(cat "$ERR")"
    exit 0
fi

# net [judgebox run flags] -- netclient args: one run of the client.
net() {
    flags=""
    while [ "$1" != "--" ]; do flags="$flags $1"; shift; done
    shift
    : >"$RESULT"
    # shellcheck disable=SC2086
    "$JUDGEBOX" run --slot $SLOT --rootfs "$ROOTFS" --box "$BOX" --wall-ms 30000 --result "$RESULT" $flags \
        -- python3 /box/netclient.py "$@" >"$OUT" 2>"$ERR" </dev/null
}
# Our slot's host-side leftovers: interfaces jb<hash>-59, tables judgebox_<hash>_59.
leftovers() {
    { ip -o link show | awk -F': ' '{print $2}' | grep -E "^jb[0-9a-f]{4}-$SLOT(@|\$)"
      nft list tables | grep -E "judgebox_[0-9a-f]{4}_$SLOT\$"; } | wc -l
}

# The servers answer from the host itself: a block below is judgebox's.
check "host reaches the second address's port 8000 (routing works)" \
    python3 -c "import socket; socket.create_connection(('$SECOND', 8000), 3).close()"

net --net-allow $SERVER:8000 --net-subnet $SUBNET -- tcp:$SERVER:8000 tcp:$SERVER:8001 tcp:$SECOND:8000 \
    tcp:$NET.1:8000 udp:$SERVER:53
check "networked run ends ok" is status ok
check "the allowed address and port answers" out_has "^tcp:$SERVER:8000 open"
check "another port of the same address is blocked" out_has "^tcp:$SERVER:8001 blocked"
check "another address is blocked" out_has "^tcp:$SECOND:8000 blocked"
check "the host's end of the link is blocked" out_has "^tcp:$NET.1:8000 blocked"
check "DNS (UDP 53) is blocked when not allowed" out_has "^udp:$SERVER:53 blocked"
check "network_bytes counts the traffic" in_range "$(field network_bytes)" 200 100000

net --net-allow $SERVER:8000 --net-allow $NET.0/24:53 --net-subnet $SUBNET -- udp:$SERVER:53 tcp:$SERVER:8000
check "DNS answers when allowed (a CIDR entry)" out_has "^udp:$SERVER:53 open"
net --net-allow $SERVER:7999-8001 --net-subnet $SUBNET -- tcp:$SERVER:8001 tcp:$SECOND:8001
check "a port range allows its ports" out_has "^tcp:$SERVER:8001 open"
check "a port range allows no other address" out_has "^tcp:$SECOND:8001 blocked"

net -- tcp:$SERVER:8000 udp:$SERVER:53
check "without --net-* a run reaches nothing (tcp)" out_has "^tcp:$SERVER:8000 blocked"
check "without --net-* a run reaches nothing (udp)" out_has "^udp:$SERVER:53 blocked"
check "without --net-* no traffic is counted" is network_bytes 0

net --net-allow $SERVER:8000 --net-subnet $SUBNET -- tcp:$SERVER:8000:big.bin
check "a 300000-byte download passes without a cap" grep -Eq "^tcp:$SERVER:8000:big.bin open 300[0-9]{3}\$" "$OUT"
check "its traffic is counted" in_range "$(field network_bytes)" 300000 400000
net --net-allow $SERVER:8000 --net-max-bytes 20000 --net-subnet $SUBNET -- tcp:$SERVER:8000:big.bin
check "the byte cap ends the run with network_limit" is status network_limit
check "the cap's message names it" sh -c "grep -q 'network traffic over 20000 bytes' '$RESULT'"
check "the run stopped near the cap" in_range "$(field network_bytes)" 20001 120000


"$JUDGEBOX" run --slot $SLOT --rootfs "$ROOTFS" --net-allow 10.0.0.1 -- /bin/true >"$OUT" 2>"$ERR"
check "a --net-allow without a port is refused (125)" [ $? -eq 125 ]
check "the refusal says why" grep -q "net-allow" "$ERR"
"$JUDGEBOX" run --slot $SLOT --rootfs "$ROOTFS" --net-allow 10.0.0.1/33:80 -- /bin/true >"$OUT" 2>"$ERR"
check "a prefix over 32 is refused (125)" [ $? -eq 125 ]

check "no interface, table or process of the slot is left after the runs" [ "$(leftovers)" -eq 0 ]
check "no sandbox process of the slot is left" [ "$(sandbox_processes)" -eq 0 ]

# A run killed with its supervisor: cleanup removes what it left.
"$JUDGEBOX" run --slot $SLOT --rootfs "$ROOTFS" --net-allow $SERVER:8000 --net-subnet $SUBNET --wall-ms 60000 \
    -- python3 -c 'import time; time.sleep(60)' >/dev/null 2>&1 &
victim=$!
for _ in $(seq 300); do [ "$(leftovers)" -ge 2 ] && break; sleep 0.1; done
check "a live networked run has its interface and table" [ "$(leftovers)" -ge 2 ]
kill -9 $victim
wait $victim 2>/dev/null
for _ in $(seq 300); do [ "$(sandbox_processes)" -eq 0 ] && break; sleep 0.1; done
"$JUDGEBOX" cleanup >"$OUT" 2>"$ERR"
check "judgebox cleanup succeeds" [ $? -eq 0 ]
check "after cleanup nothing of the killed run is left" [ "$(leftovers)" -eq 0 ]
# The same through `judgebox serve` (its own run dir, cgroup parent and uids).
mkdir -p "$TMPD/serve"
python3 tests/network/server_net.py "$SERVER" "$SECOND" "$NET.1" "$TMPD/serve"
"$JUDGEBOX" cleanup --run-dir "$TMPD/serve/run" --cgroup-parent judgebox-nettest --uid-base 3600000 >"$OUT" 2>"$ERR"
check "cleanup of the servers' run dir succeeds" [ $? -eq 0 ]
check "no mount of the servers' run dir is left" sh -c "! grep -q '$TMPD/serve' /proc/mounts"

tests/network/testnet.sh down "$NS" "$WWW"
check "no netns mount of the suite is left" sh -c "! grep -q '$NS' /proc/mounts"
check "no interface of the suite is left" sh -c "! ip -o link show | grep -q '${NS}h'"
