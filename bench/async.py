"""bench/async.py - item 6 of `make bench`: N asynchronous submissions of one
body to POST /v1/run?async=true from C keep-alive clients, then waiting
until every run is done: the last submitted one is polled every 0.2 s (runs
are judged oldest first), then every run is read once.  Prints one line:
"n N submit_s S all_done_s T runs_per_s R errors E", where all_done_s runs
from the first submission to the latest finished_at of all runs (the
server's clock, the same machine), so polling adds nothing to it and
steals little CPU from the runs.  Exit 1 on any error.

  python3 bench/async.py HOST:PORT BODY_FILE N [CLIENTS] [EXPECT]"""

import datetime
import http.client
import json
import sys
import threading
import time


def main():
    hostport, body_file, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    clients = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    expect = sys.argv[5] if len(sys.argv) > 5 else None
    host, port = hostport.rsplit(":", 1)
    body = open(body_file, "rb").read()
    ids = [None] * n
    errors = []
    lock = threading.Lock()

    def submitter(k):
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        for i in range(k, n, clients):
            try:
                conn.request("POST", "/v1/run?async=true", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
                if r.status == 202:
                    ids[i] = json.loads(data)["id"]
                else:
                    with lock:
                        errors.append("submit %d: %d %s" % (i, r.status, data[:200]))
            except Exception as e:  # count it, go on with a new connection
                with lock:
                    errors.append("submit %d: %s" % (i, e))
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=120)
        conn.close()

    t0 = time.monotonic()
    wall0 = time.time()
    threads = [threading.Thread(target=submitter, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_submit = time.monotonic() - t0
    conn = http.client.HTTPConnection(host, int(port), timeout=120)

    def fetch(rid):
        conn.request("GET", "/v1/runs/" + rid)
        r = conn.getresponse()
        return r.status, json.loads(r.read())

    latest = 0.0
    for rid in reversed([i for i in ids if i]):
        # The last one first; the rest are normally done by then.
        while True:
            status, got = fetch(rid)
            if status != 200 or got.get("state") in ("done", "cancelled"):
                break
            time.sleep(0.2)
        if status != 200 or got.get("state") != "done" or (expect and expect not in json.dumps(got)):
            errors.append("run %s: %d %s" % (rid, status, json.dumps(got)[:200]))
            continue
        fin = datetime.datetime.strptime(got["finished_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
        latest = max(latest, fin.replace(tzinfo=datetime.timezone.utc).timestamp())
    t_done = latest - wall0 if latest else time.monotonic() - t0
    print("n %d submit_s %.3f all_done_s %.3f runs_per_s %.1f errors %d" %
          (n, t_submit, t_done, n / t_done if t_done else 0, len(errors)))
    for e in errors[:5]:
        print("# " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
