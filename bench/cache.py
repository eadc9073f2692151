#!/usr/bin/env python3
"""The page cache while writes no reader can see arrive.

Readers load the reference post at full speed (wrk) twice: once on a quiet site,
once while 50 comments a second arrive that moderation holds (first-time authors)
and 20 logins a second fail. Neither changes anything a reader sees, so the cache
should keep answering from memory: the report gives the share of answers that came
from memory (X-Hewn-Cache: hit; the target is 99 %) and the readers' requests a
second in both runs.

Run through bench/cache.sh, which builds hewn in release mode first.
"""

import argparse
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from bench import DEMO, Hewn, fmt_ms, wrk

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
AUTHOR = "Held commenter"
LOGIN_TOKEN = "0123456789abcdef0123456789abcdef"


class Writer(threading.Thread):
    """Sends `rate` requests a second on one connection, on a fixed schedule (a late
    request is sent at once, not skipped), counting the answers by status. Worker
    `index` of `workers` numbers its requests index, index + workers, ..."""

    def __init__(self, port, rate, kind, index=0, workers=1):
        super().__init__(daemon=True)
        self.port, self.rate, self.kind = port, rate, kind
        self.index, self.workers = index, workers
        self.statuses = {}
        self.sent = 0
        self.seconds = 0.0
        self.stop = threading.Event()

    def request(self, conn, n):
        # Each from an address of its own, as a wave from many clients would come: flood
        # control and the login throttle, which count per client, never step in.
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Forwarded-For": "10.{}.{}.{}".format(n // 65536 % 256, n // 256 % 256, n % 256)}
        if self.kind == "comment":
            body = urllib.parse.urlencode({
                "comment": "Held comment {} from a first-time author.".format(n),
                "author": "{} {}".format(AUTHOR, n),
                "email": "held{}@bench.example".format(n),
                "url": "",
                "comment_parent": "0",
            })
            conn.request("POST", DEMO + "/comments", body, headers)
        else:
            headers["Cookie"] = "hewn_login=" + LOGIN_TOKEN
            body = urllib.parse.urlencode({"username": "admin", "password": "guess {}".format(n),
                                           "form_token": LOGIN_TOKEN, "next": ""})
            conn.request("POST", "/admin/login", body, headers)
        response = conn.getresponse()
        response.read()
        return response.status

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        began = time.monotonic()
        while not self.stop.is_set():
            due = began + self.sent / self.rate
            pause = due - time.monotonic()
            if pause > 0 and self.stop.wait(pause):
                break
            self.sent += 1
            try:
                status = self.request(conn, self.index + self.sent * self.workers)
            except (OSError, http.client.HTTPException) as e:
                status = type(e).__name__
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        self.seconds = time.monotonic() - began


class Writers:
    """`workers` writers sharing `rate` requests a second of one kind: a failed login
    waits for its password check (Argon2, tens of milliseconds), so one connection
    could not keep the pace."""

    def __init__(self, port, rate, kind, workers):
        self.all = [Writer(port, rate / workers, kind, i, workers) for i in range(workers)]

    def start(self):
        for w in self.all:
            w.start()

    def stop(self):
        for w in self.all:
            w.stop.set()
        for w in self.all:
            w.join()

    @property
    def sent(self):
        return sum(w.sent for w in self.all)

    @property
    def seconds(self):
        return max(w.seconds for w in self.all)

    @property
    def statuses(self):
        total = {}
        for w in self.all:
            for k, v in w.statuses.items():
                total[k] = total.get(k, 0) + v
        return total


def row(label, r):
    answered = r["hits"] + r["misses"]
    ratio = r["hits"] / answered if answered else 0.0
    return "{:<34} {:>10.0f} {:>8} {:>8} {:>9} {:>8} {:>9.2f}%".format(
        label, r["rps"], fmt_ms(r["p50_us"]), fmt_ms(r["p99_us"]), r["hits"], r["misses"], ratio * 100)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(TARGET, "release", "hewn"))
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--comments", type=float, default=50, help="held comments a second")
    ap.add_argument("--logins", type=float, default=20, help="failed logins a second")
    ap.add_argument("--workers", type=int, default=4, help="connections per kind of write")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="hewn-cache-bench-")
    db = os.path.join(work, "hewn.db")
    log = os.path.join(work, "hewn.log")
    subprocess.run([args.binary, "migrate", "--database-url", db], check=True, stderr=subprocess.DEVNULL)
    subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen_data.py"),
                    "small", db], check=True)
    con = sqlite3.connect(db)
    con.execute("insert into settings (name, value) values ('comment_flood_seconds', '0') "
                "on conflict (name) do update set value = excluded.value")
    con.commit()
    con.close()

    hewn = Hewn(args.binary, db, log, env={"HEWN_TRUSTED_PROXIES": "127.0.0.1/32"})
    hewn.start()
    try:
        print("page cache under invisible writes: {} cores; wrk -t2 -c{}, {} s a run; {}/s held comments, "
              "{}/s failed logins".format(os.cpu_count(), args.connections, args.duration, args.comments,
                                          args.logins), flush=True)
        load = [os.getloadavg()[0]]
        quiet = wrk(hewn.port, DEMO, args.connections, args.duration, script="cache.lua")
        writers = [Writers(hewn.port, args.comments, "comment", args.workers),
                   Writers(hewn.port, args.logins, "login", args.workers)]
        for w in writers:
            w.start()
        time.sleep(1)
        load.append(os.getloadavg()[0])
        busy = wrk(hewn.port, DEMO, args.connections, args.duration, script="cache.lua")
        for w in writers:
            w.stop()
    finally:
        hewn.stop()

    with sqlite3.connect("file:{}?mode=ro".format(db), uri=True) as conn:
        held = dict(conn.execute("select status, count(*) from comments where author_name like ? group by status",
                                 (AUTHOR + " %",)).fetchall())
        failures = conn.execute("select count(*) from login_failures").fetchone()[0]
    comments, logins = writers

    print()
    head = "{:<34} {:>10} {:>8} {:>8} {:>9} {:>8} {:>10}".format(
        "readers of the reference post", "rps", "p50 ms", "p99 ms", "hits", "misses", "hit ratio")
    print(head)
    print("-" * len(head))
    print(row("quiet site", quiet))
    print(row("with held comments, failed logins", busy))
    print()
    print("readers' rps with the writes: {:.0%} of the quiet run's (1-minute load average before each run: "
          "{:.1f}, {:.1f}; other processes on the machine move these figures)".format(
              busy["rps"] / quiet["rps"], *load))
    for name, w in (("held comments", comments), ("failed logins", logins)):
        print("{}: {} sent in {:.1f} s ({:.1f}/s), answers {}".format(name, w.sent, w.seconds,
                                                                      w.sent / max(w.seconds, 0.001), w.statuses))
    print("stored: comments by status {}, failed logins {}".format(held, failures))
    ratio = busy["hits"] / max(busy["hits"] + busy["misses"], 1)
    print("hit ratio under writes {:.2%}: target 99 % {}".format(ratio, "met" if ratio >= 0.99 else "NOT met"))

    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    out = os.path.join(ROOT, "bench", "results", time.strftime("cache-%Y%m%d-%H%M%S.json"))
    with open(out, "w") as f:
        json.dump({"connections": args.connections, "load_average": load, "duration_s": args.duration, "quiet": quiet, "busy": busy,
                   "comments": {"sent": comments.sent, "seconds": comments.seconds, "statuses": comments.statuses},
                   "logins": {"sent": logins.sent, "seconds": logins.seconds, "statuses": logins.statuses},
                   "stored_comments": held, "stored_failures": failures}, f, indent=2)
    print("raw figures: {}".format(out))
    for name in os.listdir(work):
        os.remove(os.path.join(work, name))
    os.rmdir(work)
    if set(held) - {"pending"}:
        sys.exit("some bench comments were not held, so they changed what readers see: {}".format(held))


if __name__ == "__main__":
    main()
