# tests/network/netclient.py - run inside a sandbox by the network tests:
# for each argument "tcp:HOST:PORT[:PATH]" or "udp:HOST:PORT", try it and
# print one line "<arg> open <bytes>" or "<arg> blocked <why>".
import socket
import sys

for target in sys.argv[1:]:
    kind, host, port, *rest = target.split(":")
    try:
        if kind == "tcp":
            s = socket.create_connection((host, int(port)), timeout=2)
            s.settimeout(5)
            s.sendall(b"GET /" + (rest[0] if rest else "").encode() + b" HTTP/1.0\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.close()
            ok = data.startswith(b"HTTP/1.0 200")
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(2)
            s.sendto(b"ping", (host, int(port)))
            data, _ = s.recvfrom(2048)
            ok = data == b"echo:ping"
        print(target, "open" if ok else "wrong", len(data), flush=True)
    except Exception as e:
        print(target, "blocked", type(e).__name__, flush=True)
