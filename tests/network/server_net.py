"""tests/network/server_net.py - opt-in network through `judgebox serve`
(issue 15 part 4), run by tests/suites/56-network.sh while its test
network is up: argv = SERVER SECOND HOST_END WORK_DIR.  Real servers
(tests/server/lib.py) with a run dir, cgroup parent and uids of their own;
the program making the connections is tests/network/netclient.py, judged
as Python 3 in the default image."""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "server"))
import lib  # noqa: E402
from lib import check, report  # noqa: E402

SERVER, SECOND, HOST_END, WORK = sys.argv[1:5]
CLIENT = open(os.path.join(os.path.dirname(__file__), "netclient.py")).read()
RUN_DIR = os.path.join(WORK, "run")
ISOLATION = ["--run-dir", RUN_DIR, "--cgroup-parent", "judgebox-nettest", "--uid-base", "3600000"]


def host_network_things():
    """jb* interfaces and judgebox_* tables on the host, by name."""
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    names = {l.split(": ")[1].split("@")[0] for l in links.splitlines() if ": " in l}
    tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    return {n for n in names if n.startswith("jb")} | {t for t in tables.split() if t.startswith("judgebox_")}


def start(config, name):
    path = os.path.join(WORK, name + ".json")
    with open(path, "w") as f:
        json.dump(config, f)
    return lib.Server("--slots", "2", "--queue", "8", "--config", path, "--state-dir",
                      os.path.join(WORK, "state-" + name), *ISOLATION)


def client(srv, targets, network=None, limits=None):
    body = {"language": "python3", "source": CLIENT, "args": targets,
            "limits": dict({"wall_ms": 30000}, **(limits or {}))}
    if network is not None:
        body["network"] = network
    return srv.run(body)


def lines_of(resp):
    run = resp["runs"][0]
    return run, {l.split(" ")[0]: l.split(" ")[1] for l in run["stdout"].splitlines() if " " in l}


def networked_checks(srv):
    allowed, other_port = "tcp:%s:8000" % SERVER, "tcp:%s:8001" % SERVER
    other_address, dns = "tcp:%s:8000" % SECOND, "udp:%s:53" % SERVER

    def everything_allowed():
        status, _, resp = client(srv, [allowed, other_port, other_address, "tcp:%s:8000" % HOST_END, dns], True)
        run, seen = lines_of(resp)
        ok = (status == 200 and run["status"] == "ok" and seen.get(allowed) == "open" and
              seen.get(other_port) == "blocked" and seen.get(other_address) == "blocked" and
              seen.get("tcp:%s:8000" % HOST_END) == "blocked" and seen.get(dns) == "open" and
              run.get("network_bytes", 0) > 0)
        return ok, "%s %s" % (status, run)
    check("network: true: the allowed port answers, another port, another address and the host are "
          "blocked, allowed DNS answers, traffic counted", everything_allowed)

    def two_at_once():
        """Two tests of one request run on two slots at the same time, each with its own network."""
        body = {"language": "python3", "source": CLIENT, "network": True, "limits": {"wall_ms": 30000},
                "tests": [{"args": [allowed, other_port]}, {"args": [allowed, other_port]}]}
        status, _, resp = srv.run(body)
        runs = [lines_of({"runs": [r]})[1] for r in resp["runs"]]
        return (status == 200 and len(runs) == 2 and
                all(r.get(allowed) == "open" and r.get(other_port) == "blocked" for r in runs)), resp
    check("two networked runs at once (two slots): each reaches the allowed port only", two_at_once)

    def subset():
        status, _, resp = client(srv, [allowed, dns], {"allow": ["%s:8000" % SERVER]})
        run, seen = lines_of(resp)
        return status == 200 and seen.get(allowed) == "open" and seen.get(dns) == "blocked", run
    check("a request's subset: DNS blocked when the request does not ask for it", subset)

    def by_operator_text():
        status, _, resp = client(srv, [dns], {"allow": ["%s.0/24:53" % SERVER.rsplit(".", 1)[0]]})
        run, seen = lines_of(resp)
        return status == 200 and seen.get(dns) == "open", run
    check("a request may name the operator's own entry", by_operator_text)

    def off_by_default():
        status, _, resp = client(srv, [allowed, dns])
        run, seen = lines_of(resp)
        return (status == 200 and seen.get(allowed) == "blocked" and seen.get(dns) == "blocked" and
                "network_bytes" not in run), run
    check("without \"network\" a run reaches nothing, even on a server that allows some", off_by_default)

    def refused(network, code, word):
        status, _, resp = client(srv, [allowed], network)
        err = (resp or {}).get("error", {}) if isinstance(resp, dict) else {}
        return (status == code and err.get("field") == "network" and word in err.get("message", ""),
                "%s %s" % (status, resp))
    check("asking for another port is refused: 403 JSON error",
          lambda: refused({"allow": ["%s:8001" % SERVER]}, 403, "not within"))
    check("asking for a wider range is refused: 403",
          lambda: refused({"allow": ["%s/16:8000" % SERVER]}, 403, "not within"))
    check("a malformed entry is refused: 422", lambda: refused({"allow": ["nonsense"]}, 422, "nonsense"))
    check("a name in a request is refused: 422 (only the operator's names resolve)",
          lambda: refused({"allow": ["localhost:8000"]}, 422, "IPv4"))
    check("a network of the wrong type is refused: 422", lambda: refused("yes", 422, "network must be"))

    def capped():
        status, _, resp = client(srv, ["tcp:%s:8000:big.bin" % SERVER], True)
        run = resp["runs"][0]
        return (status == 200 and run["status"] == "network_limit" and resp["verdict"] == "network_limit" and
                50000 < run.get("network_bytes", 0) < 200000 and "50000" in run.get("message", "")), run
    check("passing max_bytes ends the run with network_limit", capped)

    def during_run():
        """A run's interface and table exist while it lives, and only then."""
        before = host_network_things()
        box = {}
        body = {"language": "python3", "source": "import time; time.sleep(4)", "network": True,
                "limits": {"wall_ms": 30000}}
        t = threading.Thread(target=lambda: box.update(r=srv.run(body)))
        t.start()
        seen = set()
        deadline = time.time() + 60
        while t.is_alive() and time.time() < deadline:
            seen |= host_network_things() - before
            time.sleep(0.05)
        t.join()
        return (box.get("r", (0,))[0] == 200 and any(n.startswith("jb") for n in seen) and
                any(n.startswith("judgebox_") for n in seen) and host_network_things() - before == set(),
                "seen during the run: %s; after: %s" % (seen, host_network_things() - before))
    check("a run's interface and table exist while it runs and are gone after it", during_run)


def main():
    before = host_network_things()
    prefix = SERVER.rsplit(".", 1)[0]
    on = off = None
    try:
        on = start({"network": {"enabled": True, "allow": ["%s:8000" % SERVER, "%s.0/24:53" % prefix],
                                "max_bytes": 50000, "subnet": "10.215.0.0"}}, "on")
        networked_checks(on)
        off = start({}, "off")

        def not_enabled():
            status, _, resp = client(off, ["tcp:%s:8000" % SERVER], True)
            err = (resp or {}).get("error", {})
            return status == 403 and "not enabled" in err.get("message", ""), "%s %s" % (status, resp)
        check("a server without network refuses a request for it: 403 JSON error", not_enabled)
    except Exception as e:
        report("network server checks", False, "%s: %s" % (type(e).__name__, e))
    finally:
        for s in (on, off):
            if s:
                code = s.stop()
                report("the server stops cleanly (exit 0)", code == 0, "exit %s" % code)
                s.cleanup()
    check("after the servers stop, no jb* interface or judgebox_* table of theirs is left",
          lambda: (host_network_things() - before == set(), host_network_things() - before))

    for bad, word in (({"enabled": True, "allow": ["10.0.0.1"]}, "HOST:PORT"),
                      ({"enabled": True, "allow": ["10.0.0.1:0"]}, "port"),
                      ({"enabled": "yes"}, "enabled"),
                      ({"enabled": True, "subnet": "10.1.2.3"}, "subnet"),
                      ({"enabled": True, "bogus": 1}, "bogus")):
        def refused_config(bad=bad, word=word):
            with tempfile.NamedTemporaryFile("w", suffix=".json") as cfg:
                json.dump({"network": bad}, cfg)
                cfg.flush()
                rc, lines = lib.run_startup_failure(["--langs", lib.LANGS, "--config", cfg.name] + ISOLATION)
            return rc != 0 and len(lines) == 1 and word in lines[0] and "network" in lines[0], (rc, lines)
        check("a bad network config stops the start with one line naming it (%s)" % word, refused_config)
    return 1 if lib.failures else 0


if __name__ == "__main__":
    sys.exit(main())
