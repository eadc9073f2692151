#!/usr/bin/env python3
"""Importing a large WordPress export into a live hewn site.

Generates an export (examples/wxr_generate), starts `hewn serve` on a fresh
database, and while a commenter posts a comment every few milliseconds and a
reader loads the front page, runs `hewn import wordpress` on the same database.
Reports the import's pace (comments a second; the target is 20,000) and its
writes, and what the commenter and the reader lived through during the import,
against the same measures over the seconds before it (the reference, same run).
Every comment the site acknowledged must be stored.

Run through bench/import.sh, which builds hewn and the generator first.
"""

import argparse
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from bench import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEWN = os.path.join(ROOT, "target", "release", "hewn")
GENERATOR = os.path.join(ROOT, "target", "release", "examples", "wxr_generate")
POST = "/posts/year-of-the-stakhanovite"
AUTHOR = "Live commenter"


class Client(threading.Thread):
    """Sends one request at a time, every `interval` seconds, noting when each was
    sent, how long it took and its status."""

    def __init__(self, port, interval, comment):
        super().__init__(daemon=True)
        self.port, self.interval, self.comment = port, interval, comment
        self.samples = []  # (sent at, seconds, status)
        self.stop = threading.Event()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        n = 0
        while not self.stop.is_set():
            n += 1
            started = time.monotonic()
            try:
                if self.comment:
                    body = urllib.parse.urlencode({
                        "comment": f"Comment {n} written while the site imports.",
                        "author": f"{AUTHOR} {n}",
                        "email": f"live{n}@example.org",
                        "url": "",
                        "comment_parent": "0",
                    })
                    headers = {
                        "Content-Type": "application/x-www-form-urlencoded",
                        # A client of its own for each comment, so flood control lets them all in.
                        "X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
                    }
                    conn.request("POST", POST + "/comments", body, headers)
                else:
                    conn.request("GET", "/")
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as e:
                status = type(e).__name__
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.samples.append((started, time.monotonic() - started, status))
            time.sleep(self.interval)


def summarise(samples, start, end):
    chosen = sorted(s[1] for s in samples if start <= s[0] < end)
    statuses = {}
    for s in samples:
        if start <= s[0] < end:
            statuses[str(s[2])] = statuses.get(str(s[2]), 0) + 1
    if not chosen:
        return {"requests": 0, "statuses": statuses}
    pick = lambda q: chosen[min(len(chosen) - 1, int(len(chosen) * q))] * 1000
    return {"requests": len(chosen), "statuses": statuses, "p50_ms": pick(0.5), "p99_ms": pick(0.99),
            "max_ms": chosen[-1] * 1000}


def line(name, before, during):
    def fmt(s):
        if not s.get("requests"):
            return "no requests"
        return (f"{s['requests']:>5} requests, p50 {s['p50_ms']:6.1f} ms, p99 {s['p99_ms']:6.1f} ms, "
                f"max {s['max_ms']:7.1f} ms, statuses {s['statuses']}")
    ratio = ""
    if before.get("requests") and during.get("requests"):
        ratio = f"   max during/before {during['max_ms'] / max(before['max_ms'], 0.001):.1f}x"
    print(f"  {name:<9} before: {fmt(before)}")
    print(f"  {'':<9} during: {fmt(during)}{ratio}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=500, help="size of the generated export")
    parser.add_argument("--interval", type=float, default=0.01, help="seconds between a client's requests")
    parser.add_argument("--before", type=float, default=3.0, help="seconds measured before the import")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="hewn-import-bench-")
    export = os.path.join(work, "export.xml")
    db = os.path.join(work, "hewn.db")
    print(f"generating a {args.megabytes} MB export...", flush=True)
    with open(export, "wb") as out:
        made = subprocess.run([GENERATOR, str(args.megabytes)], stdout=out, stderr=subprocess.PIPE, check=True)
    print("  " + made.stderr.decode().strip())

    port = free_port()
    env = dict(os.environ, HEWN_LOG="warn")
    server = subprocess.Popen(
        [HEWN, "--database-url", f"sqlite://{db}", "--bind", f"127.0.0.1:{port}", "--trusted-proxies", "127.0.0.1/32"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.05)
        commenter, reader = Client(port, args.interval, True), Client(port, args.interval, False)
        commenter.start()
        reader.start()
        time.sleep(args.before)
        began = time.monotonic()
        run = subprocess.run([HEWN, "import", "wordpress", export, "--database-url", f"sqlite://{db}", "--quiet"],
                             env=env, capture_output=True, text=True)
        ended = time.monotonic()
        time.sleep(0.5)
        commenter.stop.set()
        reader.stop.set()
        commenter.join()
        reader.join()
    finally:
        server.terminate()
        server.wait()
    if run.returncode != 0:
        sys.exit(f"the import failed:\n{run.stdout}\n{run.stderr}")
    summary = run.stdout
    print(summary.rstrip())

    comments = int(re.search(r"comments:\s+([\d,]+) new", summary).group(1).replace(",", ""))
    seconds = float(re.search(r" in ([\d.]+) s \(", summary).group(1))
    writes, longest = (int(x) for x in re.search(r"Written in (\d+) short writes.*?longer than (\d+) ms",
                                                 summary, re.S).groups())
    acknowledged = sum(1 for s in commenter.samples if s[2] == 303)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        stored = conn.execute("select count(*) from comments where author_name like ?", (AUTHOR + " %",)).fetchone()[0]
    start = began - args.before
    results = {
        "megabytes": args.megabytes,
        "comments": comments,
        "import_seconds": seconds,
        "comments_per_second": comments / seconds,
        "writes": writes,
        "longest_write_ms": longest,
        "commenter": {"before": summarise(commenter.samples, start, began),
                      "during": summarise(commenter.samples, began, ended)},
        "reader": {"before": summarise(reader.samples, start, began),
                   "during": summarise(reader.samples, began, ended)},
        "acknowledged": acknowledged,
        "stored": stored,
    }
    print()
    print(f"import: {comments:,} comments in {seconds:.1f} s: {comments / seconds:,.0f} a second "
          f"(target 20,000: {'met' if comments / seconds >= 20000 else 'NOT met'}); "
          f"{writes} writes, the longest {longest} ms")
    line("commenter", results["commenter"]["before"], results["commenter"]["during"])
    line("reader", results["reader"]["before"], results["reader"]["during"])
    print(f"  comments acknowledged {acknowledged}, stored {stored}: "
          f"{'none lost' if stored == acknowledged else 'LOST ' + str(acknowledged - stored)}")
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    out = os.path.join(ROOT, "bench", "results", time.strftime("import-%Y%m%d-%H%M%S.json"))
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
    print(f"raw figures: {out}")
    for name in os.listdir(work):
        os.remove(os.path.join(work, name))
    os.rmdir(work)
    if stored != acknowledged:
        sys.exit(1)


if __name__ == "__main__":
    main()
