#!/bin/sh
# tests/network/testnet.sh - the network tests' own little internet: a net
# namespace NAME holding TCP servers on ports 8000 and 8001 (python3
# http.server over tests' files) and a UDP echo on port 53, reached from
# the host through a veth pair this script makes ("NAMEh" on the host).
# Addresses: the namespace is A.B.C.2/30 (host end A.B.C.1) and also
# A.B.C+1.2 (a second address, routed through it).  Nothing else is
# touched: forwarding is switched on for NAMEh alone.
#   testnet.sh up NAME A.B.C DIR     (DIR: served files; state kept in DIR/.testnet)
#   testnet.sh down NAME DIR
set -eu
cmd=$1 name=$2
case "$cmd" in
up)
    net=$3 dir=$4
    second=$(echo "$net" | awk -F. '{print $1"."$2"."$3+1".2"}')
    ip netns add "$name"
    ip link add "${name}h" type veth peer name eth0 netns "$name"
    echo 1 > "/proc/sys/net/ipv6/conf/${name}h/disable_ipv6"
    echo 1 > "/proc/sys/net/ipv4/conf/${name}h/forwarding"
    ip addr add "$net.1/30" dev "${name}h"
    ip link set "${name}h" up
    ip -n "$name" link set lo up
    ip -n "$name" addr add "$net.2/30" dev eth0
    ip -n "$name" addr add "$second/32" dev eth0
    ip -n "$name" link set eth0 up
    ip -n "$name" route add default via "$net.1"
    ip route add "$second/32" via "$net.2" dev "${name}h"
    : > "$dir/.testnet"
    for port in 8000 8001; do
        ip netns exec "$name" python3 -m http.server "$port" --bind 0.0.0.0 --directory "$dir" \
            >"$dir/.server-$port.log" 2>&1 &
        echo $! >> "$dir/.testnet"
    done
    ip netns exec "$name" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(b"echo:" + data, peer)
' >"$dir/.udp.log" 2>&1 &
    echo $! >> "$dir/.testnet"
    # Ready when both TCP ports answer from the host (up to 30 s: a busy machine).
    for _ in $(seq 300); do
        ok=0
        for port in 8000 8001; do
            python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()' \
                "$net.2" "$port" 2>/dev/null && ok=$((ok + 1))
        done
        [ "$ok" = 2 ] && exit 0
        sleep 0.1
    done
    echo "testnet: the servers in $name did not come up" >&2
    exit 1
    ;;
down)
    dir=$3
    if [ -f "$dir/.testnet" ]; then
        for pid in $(cat "$dir/.testnet"); do kill "$pid" 2>/dev/null || true; done
        for pid in $(cat "$dir/.testnet"); do
            while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
        done
        rm -f "$dir/.testnet"
    fi
    ip netns del "$name" 2>/dev/null || true
    ip link del "${name}h" 2>/dev/null || true
    ;;
*)
    echo "usage: testnet.sh up NAME A.B.C DIR | down NAME DIR" >&2
    exit 2
    ;;
esac
