"""tests/ops/haproxy_test.py - scale-out behind a real load balancer: HAProxy
(deploy/haproxy.cfg, unchanged, addresses from the environment) in front of
two `judgebox serve` nodes on loopback, each with its own run and state directories,
cgroup parent and host uid range.  2,000 judging requests go through
HAProxy from 8 client threads while node A is killed (SIGKILL) and started
again on the same port: every client must get a 200 with the right output.

Afterwards: node A served requests again after its restart (it rejoined),
how many requests HAProxy retried or redispatched is printed, and nothing of either node is left
(mounts under its state dir, processes in its uid range, cgroups) after the
nodes stop and `judgebox cleanup` runs with the same flags.  Prints
"PASS name" / "FAIL name: why"."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import http.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
import lib  # noqa: E402
from lib import Server, check, report  # noqa: E402

REQUESTS = int(os.environ.get("HAPROXY_TEST_REQUESTS", "2000"))
CLIENTS = 8
KILL_AT = REQUESTS // 5          # kill node A after this many answers
RESTART_AT = REQUESTS // 2       # start it again after this many
HAPROXY_CFG = os.path.join(lib.ROOT, "deploy", "haproxy.cfg")
# Host uid ranges far from the default (3000000) other suites use.
NODES = {"a": 3400000, "b": 3410000}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def node_args(name, port, state):
    return ["--listen", "127.0.0.1:%d" % port, "--slots", "2", "--queue", "16",
            "--run-dir", os.path.join(state, name), "--state-dir", os.path.join(state, name + "-state"),
            "--cgroup-parent", "judgebox-lbtest-" + name,
            "--uid-base", str(NODES[name])]


def cleanup_args(name, state):
    return ["--run-dir", os.path.join(state, name), "--cgroup-parent", "judgebox-lbtest-" + name,
            "--uid-base", str(NODES[name])]


def lb_request(port, i):
    """One judging request through HAProxy; (ok, why)."""
    body = json.dumps({"language": "bash", "source": "read x; echo $((x * 2))",
                       "stdin": "%d\n" % i, "expected_output": "%d\n" % (2 * i)})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=150)
    try:
        conn.request("POST", "/v1/run", body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            return False, "HTTP %d: %s" % (resp.status, data[:200])
        doc = json.loads(data)
        if doc.get("verdict") != "accepted":
            compile_ = doc.get("compile") or {}
            runs = doc.get("runs") or [{}]
            return False, "verdict %s (compile %s: %s; run %s: %s): %s" % (
                doc.get("verdict"), compile_.get("status"), compile_.get("message"),
                runs[0].get("status"), runs[0].get("message"), str(doc)[:200])
        return True, ""
    except Exception as e:  # a reset or timeout seen by the client is a failure
        return False, "%s: %s" % (type(e).__name__, e)
    finally:
        conn.close()


def stats_status(stats_port):
    """{server name: status} from HAProxy's CSV stats."""
    conn = http.client.HTTPConnection("127.0.0.1", stats_port, timeout=10)
    try:
        conn.request("GET", "/stats;csv")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    out = {}
    header = None
    for line in text.splitlines():
        if line.startswith("# "):
            header = line[2:].split(",")
            continue
        f = line.split(",")
        if header and len(f) >= len(header) - 1:
            row = dict(zip(header, f))
            if row.get("pxname") == "judgebox_nodes" and row.get("svname") not in ("BACKEND", "FRONTEND"):
                out[row["svname"]] = row.get("status", "")
    return out


def wait_for(pred, timeout, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if pred():
                return True
        except Exception:
            pass
        time.sleep(step)
    return False


def leftovers(state, name):
    """Mounts under the node's state dir, processes in its uid range, its cgroups."""
    root = os.path.join(state, name)
    mounts = [l.split()[1] for l in open("/proc/self/mounts") if l.split()[1].startswith(root)]
    lo = NODES[name]
    procs = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            st = os.stat("/proc/" + pid)
            status = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if lo <= st.st_uid < lo + 200 and status != "Z":
            procs.append(pid)
    cgroups = [d for d in ("/sys/fs/cgroup/memory/judgebox-lbtest-" + name,
                           "/sys/fs/cgroup/judgebox-lbtest-" + name) if os.path.isdir(d)]
    return mounts, procs, cgroups


def main():
    if not shutil.which("haproxy"):
        report("haproxy: installed", False, "haproxy is not installed (make test-deps installs it)")
        return 1
    state = tempfile.mkdtemp(prefix="judgebox-lbtest-")
    os.chmod(state, 0o755)
    ports = {"a": free_port(), "b": free_port(), "lb": free_port(), "stats": free_port()}
    nodes = {}
    haproxy = None
    hap_log = open(os.path.join(state, "haproxy.log"), "w+")
    try:
        for name in ("a", "b"):
            nodes[name] = Server(*node_args(name, ports[name], state))
        env = dict(os.environ,
                   JUDGEBOX_LB_BIND="127.0.0.1:%d" % ports["lb"],
                   JUDGEBOX_NODE_A="127.0.0.1:%d" % ports["a"],
                   JUDGEBOX_NODE_B="127.0.0.1:%d" % ports["b"],
                   JUDGEBOX_LB_STATS="127.0.0.1:%d" % ports["stats"])
        haproxy = subprocess.Popen(["haproxy", "-db", "-f", HAPROXY_CFG], env=env,
                                   stdout=hap_log, stderr=subprocess.STDOUT)
        up = wait_for(lambda: stats_status(ports["stats"]) == {"node_a": "UP", "node_b": "UP"}, 60)
        report("haproxy: both nodes UP by their /v1/health checks", up, "stats: %s" % (
            stats_status(ports["stats"]) if haproxy.poll() is None else "haproxy exited"))
        if not up:
            return 1

        done = [0]
        failures = []
        lock = threading.Lock()
        next_i = [0]
        events = {}

        def client():
            while True:
                with lock:
                    i = next_i[0]
                    next_i[0] += 1
                if i >= REQUESTS:
                    return
                ok, why = lb_request(ports["lb"], i)
                with lock:
                    done[0] += 1
                    if not ok:
                        failures.append("request %d: %s" % (i, why))

        def chaos():
            wait_for(lambda: done[0] >= KILL_AT, 600, 0.02)
            os.kill(nodes["a"].pid, signal.SIGKILL)
            nodes["a"].proc.wait()
            events["killed_at"] = done[0]
            wait_for(lambda: done[0] >= RESTART_AT, 600, 0.02)
            old = nodes["a"]
            old.cleanup()  # already dead: only its log goes (or stays, when a check failed)
            nodes["a"] = Server(*node_args("a", ports["a"], state))
            events["restarted_at"] = done[0]

        start = time.time()
        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        killer = threading.Thread(target=chaos)
        killer.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        killer.join()
        elapsed = time.time() - start
        report("haproxy: %d requests, node A killed after %s answers and restarted after %s: 0 failed" % (
            REQUESTS, events.get("killed_at"), events.get("restarted_at")),
            not failures and done[0] == REQUESTS and "restarted_at" in events,
            "%d failed (%s)" % (len(failures), "; ".join(failures[:3])))
        print("# %d requests in %.1f s (%.0f/s) through HAProxy" % (REQUESTS, elapsed, REQUESTS / elapsed))
        served = [e for e in nodes["a"].log() if e.get("path") == "/v1/run" and e.get("status") == 200]
        report("haproxy: node A rejoined after its restart and judged requests again", len(served) > 0,
               "the restarted node A logged no judged request")
        served_b = [e for e in nodes["b"].log() if e.get("path") == "/v1/run" and e.get("status") == 200]
        report("haproxy: node B took the load while A was away", len(served_b) >= REQUESTS - KILL_AT - (REQUESTS - RESTART_AT),
               "node B judged only %d" % len(served_b))
        hap_log.flush()
        hap_log.seek(0)
        lines = hap_log.read().splitlines()
        # httplog: ".../actconn/feconn/beconn/srv_conn/retries": "+N" when redispatched.
        retried = []
        for l in lines:
            m = re.search(r' [-A-Za-z]{4} \d+/\d+/\d+/\d+/(\+?)(\d+) ', l)
            if m and "/v1/run" in l and (m.group(1) or int(m.group(2)) > 0):
                retried.append(l)
        down = [l for l in lines if "node_a is DOWN" in l]
        report("haproxy: health checks took node A out of rotation", bool(down),
               "no 'node_a is DOWN' in HAProxy's log")
        report("haproxy: requests that met the dead node were retried or redispatched (%d)" % len(retried),
               len(retried) > 0, "no retry in HAProxy's log: the kill did not meet any request")
        print("# node A marked down %d times" % len(down))
    finally:
        if haproxy and haproxy.poll() is None:
            haproxy.send_signal(signal.SIGTERM)
            try:
                haproxy.wait(30)
            except subprocess.TimeoutExpired:
                haproxy.kill()
                haproxy.wait()
        for name, srv in nodes.items():
            code = srv.stop()
            if name == "b" or code is not None:
                pass
            srv.cleanup()
        for name in ("a", "b"):
            p = subprocess.run([lib.BINARY, "cleanup"] + cleanup_args(name, state),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
            report("haproxy: judgebox cleanup of node %s" % name.upper(), p.returncode == 0,
                   p.stdout.decode(errors="replace")[-300:])
        for name in ("a", "b"):
            mounts, procs, cgroups = leftovers(state, name)
            report("haproxy: nothing of node %s left (mounts, processes, cgroups)" % name.upper(),
                   not mounts and not procs and not cgroups,
                   "mounts %s, processes %s, cgroups %s" % (mounts[:3], procs[:3], cgroups))
            for m in reversed(mounts):   # do not leave them on the machine either way
                subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
        hap_log.close()
        shutil.copy(os.path.join(state, "haproxy.log"), "/tmp/hap-last.log") if os.environ.get("KEEP_HAPROXY_LOG") else None
        shutil.rmtree(state, ignore_errors=True)
    return 0 if lib.failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
