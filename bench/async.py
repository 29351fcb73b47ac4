"""bench/async.py - item 6 of `make bench`: N asynchronous submissions of one
body to POST /v1/run?async=true from C keep-alive clients, then polling
GET /v1/runs/{id} in submission order until every run is done.  Prints one
line: "n N submit_s S all_done_s T runs_per_s R errors E" (all_done_s counts
from the first submission to the last run done).  Exit 1 on any error.

  python3 bench/async.py HOST:PORT BODY_FILE N [CLIENTS] [EXPECT]"""

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
    threads = [threading.Thread(target=submitter, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_submit = time.monotonic() - t0
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    for rid in ids:
        if rid is None:
            continue
        while True:
            conn.request("GET", "/v1/runs/" + rid)
            r = conn.getresponse()
            got = json.loads(r.read())
            if r.status != 200 or got.get("state") in ("done", "cancelled"):
                if r.status != 200 or got.get("state") != "done" or (
                        expect and expect not in json.dumps(got)):
                    errors.append("run %s: %d %s" % (rid, r.status, json.dumps(got)[:200]))
                break
            time.sleep(0.05)
    t_done = time.monotonic() - t0
    print("n %d submit_s %.3f all_done_s %.3f runs_per_s %.1f errors %d" %
          (n, t_submit, t_done, n / t_done if t_done else 0, len(errors)))
    for e in errors[:5]:
        print("# " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
