#!/usr/bin/env python3
"""
jobtool.py: the HTTP side of tests/bench/jobs.sh, over keep-alive
connections (http.client), so that setting up 10,000 devices is not 10,000
curl processes.

  jobtool.py tag PORT PREFIX N TAG CONNS
      PUT /v1/devices/PREFIX{0..N-1}/tags ["TAG"] over CONNS connections at
      once (each answer waits for its commit, so several in flight share
      one); prints "tagged=N seconds=S rate=R".
  jobtool.py run PORT BODY_FILE LIMIT_S
      POSTs the job, polls GET /v1/jobs/{id} every 50 ms until it is done
      (or paused, cancelled, ended; or LIMIT_S passed); prints
      "id=ID status=ST seconds=S succeeded=N failed=N total=N".
  jobtool.py records PORT ID
      every device record of job ID (GET /v1/jobs/{id}/devices, pages of
      1000): the bytes jobstore.c writes for them, key 8 + endpoint,
      value 56 + error text; prints "records=N bytes=B errors=E", then
      the three commonest error texts, "error: COUNT TEXT" each.
"""
import collections
import http.client
import json
import sys
import threading
import time

HOST = "127.0.0.1"


def conn(port):
    return http.client.HTTPConnection(HOST, port, timeout=60)


def request(c, method, path, body=None):
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    c.request(method, path, body=body, headers=hdrs)
    r = c.getresponse()
    return r.status, r.read()


def tag(port, prefix, n, name, nconns):
    body = json.dumps([name])
    errors = []

    def worker(k):
        c = conn(port)
        for i in range(k, n, nconns):
            st, out = request(c, "PUT", "/v1/devices/%s%d/tags" % (prefix, i),
                              body)
            if st != 200:
                errors.append((i, st, out[:200]))
                return
    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(k,))
               for k in range(nconns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    if errors:
        sys.exit("tag: %r" % (errors[0],))
    print("tagged=%d seconds=%.2f rate=%.0f" % (n, took, n / took))


def run(port, body_file, limit):
    c = conn(port)
    with open(body_file) as fp:
        body = fp.read()
    t0 = time.monotonic()
    st, out = request(c, "POST", "/v1/jobs", body)
    if st != 201:
        sys.exit("POST /v1/jobs: %d %s" % (st, out[:300]))
    jid = json.loads(out)["id"]
    while True:
        st, out = request(c, "GET", "/v1/jobs/%d" % jid)
        doc = json.loads(out)
        if doc["status"] not in ("scheduled", "running", "approval"):
            break
        if time.monotonic() - t0 > limit:
            break
        time.sleep(0.05)
    took = time.monotonic() - t0
    counts = doc["counts"]
    print("id=%d status=%s seconds=%.2f succeeded=%d failed=%d total=%d"
          % (jid, doc["status"], took, counts.get("succeeded", 0),
             counts.get("failed", 0), doc["total"]))


def records(port, jid):
    c = conn(port)
    n = size = errors = 0
    texts = collections.Counter()
    after = None
    while True:
        q = "/v1/jobs/%d/devices?limit=1000" % jid
        if after:
            q += "&after=" + after
        st, out = request(c, "GET", q)
        if st != 200:
            sys.exit("GET %s: %d" % (q, st))
        doc = json.loads(out)
        for d in doc["devices"]:
            err = d.get("error") or ""
            n += 1
            errors += bool(err)
            if err:
                texts[err] += 1
            size += 8 + len(d["ep"].encode()) + 56 + len(err.encode())
        after = doc["next"]
        if after is None:
            break
    print("records=%d bytes=%d errors=%d" % (n, size, errors))
    for text, count in texts.most_common(3):
        print("error: %d %s" % (count, text[:200]))


def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "tag":
        tag(port, sys.argv[3], int(sys.argv[4]), sys.argv[5],
            int(sys.argv[6]))
    elif cmd == "run":
        run(port, sys.argv[3], float(sys.argv[4]))
    elif cmd == "records":
        records(port, int(sys.argv[3]))
    else:
        sys.exit("usage: see the docstring")


if __name__ == "__main__":
    main()
