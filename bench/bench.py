#!/usr/bin/env python3
"""hewn's benchmark: hewn against nginx serving the same bytes as static files, in
one run on one machine. Run through bench/run.sh, which installs the tools and
builds hewn in release mode. Prints one table and writes the raw figures as JSON.
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEMO = "/posts/year-of-the-stakhanovite"
BIG = "/posts/three-hundred-comments"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, headers=None):
    req = urllib.request.Request("http://127.0.0.1:{}{}".format(port, path), headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, dict(r.headers), r.read()


def small_database(binary, work):
    """The benchmark's small site (gen_data.py small) in work/small.db, flood control
    and IP retention off (see below); returns its path."""
    small_db = os.path.join(work, "small.db")
    subprocess.run([binary, "migrate", "--database-url", small_db], check=True, stderr=subprocess.DEVNULL)
    subprocess.run([sys.executable, os.path.join(HERE, "gen_data.py"), "small", small_db], check=True)
    con = sqlite3.connect(small_db)
    # Flood control off so the comment scenario posts at full speed; the retention
    # task off so that no housekeeping write lands in a measured run.
    for name in ("comment_flood_seconds", "comment_ip_retention_days"):
        con.execute("insert into settings (name, value) values (?, '0') "
                    "on conflict (name) do update set value = excluded.value", (name,))
    con.commit()
    con.close()
    return small_db


def rss_kib(pid, field):
    with open("/proc/{}/status".format(pid)) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Hewn:
    def __init__(self, binary, db, log, env=None):
        self.binary, self.db, self.log = binary, db, log
        self.env = env or {}
        self.port = free_port()
        self.proc = None

    def env_for_load(self):
        """The load generator is one client address with hundreds of connections: lift
        the per-client connection cap that would refuse it, as for a trusted proxy."""
        env = {"HEWN_LOG": "warn", "HEWN_MAX_CONNECTIONS": "8192", "HEWN_MAX_CONNECTIONS_PER_CLIENT": "8192"}
        env.update(self.env)
        return env

    def start(self):
        """Starts hewn; returns milliseconds from process start to the first 200 on /."""
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--bind", "127.0.0.1:{}".format(self.port), "--database-url", self.db],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"), env=dict(os.environ, **self.env_for_load()))
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/")
                if conn.getresponse().status == 200:
                    return (time.perf_counter() - t0) * 1000
            except OSError:
                pass
            if self.proc.poll() is not None:
                sys.exit("hewn exited during startup; see " + self.log)
            if time.perf_counter() - t0 > 60:
                sys.exit("hewn did not answer within 60 s")
            time.sleep(0.0005)

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
            self.proc = None


class Nginx:
    def __init__(self, workdir, root):
        self.port = free_port()
        self.conf = os.path.join(workdir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write("""
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types {{ text/html html; application/atom+xml xml; image/jpeg jpg; image/webp webp; }}
    default_type text/html;
    gzip on;
    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        root {root};
    }}
}}
""".format(dir=workdir, port=self.port, root=root))
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["nginx", "-c", self.conf, "-p", os.path.dirname(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                get(self.port, "/")
                return
            except urllib.error.HTTPError:
                return  # any HTTP answer means nginx is up
            except OSError:
                time.sleep(0.05)
        sys.exit("nginx did not start")

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGQUIT)
            self.proc.wait(timeout=30)


def wrk(port, path, conns, duration, script="report.lua", headers=(), env=None):
    cmd = ["wrk", "-t2", "-c{}".format(conns), "-d{}s".format(duration), "--timeout", "10s",
           "-s", os.path.join(HERE, "wrk", script)]
    for h in headers:
        cmd += ["-H", h]
    cmd.append("http://127.0.0.1:{}{}".format(port, path))
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, **(env or {})), check=True).stdout
    line = [l for l in out.splitlines() if l.startswith("{")][-1]
    r = json.loads(line)
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = sum(r[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    if script == "report.lua" and r["status_errors"]:
        sys.exit("{} answered {} non-2xx responses to {}".format(port, r["status_errors"], path))
    return r


def fmt_ms(us):
    return "{:.2f}".format(us / 1000)


class Report:
    def __init__(self):
        self.rows, self.raw, self.notes = [], [], []

    def add(self, scenario, conns, hewn, nginx=None, rss=None, target=None):
        ratio = hewn["rps"] / nginx["rps"] if nginx else None
        ok = None
        if target and ratio is not None:
            ok = ratio >= target
        self.rows.append((scenario, conns, hewn, nginx, ratio, rss, target, ok))
        self.raw.append({"scenario": scenario, "connections": conns, "hewn": hewn, "nginx": nginx,
                         "ratio": ratio, "hewn_peak_rss_kib": rss, "target_ratio": target})

    def print(self):
        head = "{:<38} {:>5} {:>10} {:>8} {:>8} {:>10} {:>8} {:>8} {:>8} {:>9}".format(
            "scenario", "conns", "hewn rps", "p50 ms", "p99 ms", "nginx rps", "p50 ms", "p99 ms", "ratio", "peak RSS")
        print(head)
        print("-" * len(head))
        for scenario, conns, h, n, ratio, rss, target, ok in self.rows:
            print("{:<38} {:>5} {:>10.0f} {:>8} {:>8} {:>10} {:>8} {:>8} {:>8} {:>9}".format(
                scenario, conns, h["rps"], fmt_ms(h["p50_us"]), fmt_ms(h["p99_us"]),
                "{:.0f}".format(n["rps"]) if n else "-", fmt_ms(n["p50_us"]) if n else "-",
                fmt_ms(n["p99_us"]) if n else "-",
                ("{:.2f}x".format(ratio) + ("" if ok is None else (" ok" if ok else " !"))) if ratio else "-",
                "{:.1f} MiB".format(rss / 1024) if rss else "-"))
        for note in self.notes:
            print(note)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "hewn"))
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--connections", default="32,256")
    ap.add_argument("--skip-large", action="store_true", help="skip the 100k-post database")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    conns_list = [int(c) for c in args.connections.split(",")]
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="hewn-bench-")
    os.chmod(work, 0o755)  # nginx's workers run as an unprivileged user and must read www/
    www = os.path.join(work, "www")
    os.makedirs(www)
    log = os.path.join(work, "hewn.log")
    report = Report()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")

    print("hewn benchmark, {}".format(stamp))
    print("machine: {} cores ({}), {}; wrk -t2 and the servers share these cores".format(
        os.cpu_count(), platform.processor() or platform.machine(), platform.platform()))
    print("each run: {} s; connections: {}".format(args.duration, ", ".join(map(str, conns_list))))
    print()

    # Databases.
    small_db = small_database(args.binary, work)

    hewn = Hewn(args.binary, small_db, log)
    cold_small = [hewn.start()]
    hewn.stop()
    for _ in range(4):
        cold_small.append(hewn.start())
        hewn.stop()
    hewn.start()
    pid = hewn.proc.pid

    # The same bytes for nginx.
    pages = {"post": DEMO, "post300": BIG, "index": "/", "feed": "/feed.xml"}
    available = {}
    for name, path in pages.items():
        try:
            status, headers, body = get(hewn.port, path)
        except urllib.error.HTTPError:
            continue
        ext = "xml" if name == "feed" else "html"
        with open(os.path.join(www, "{}.{}".format(name, ext)), "wb") as f:
            f.write(body)
        available[name] = (path, "/{}.{}".format(name, ext), len(body))
    nginx = Nginx(work, www)
    nginx.start()
    for name, (hpath, npath, size) in available.items():
        status, _, body = get(nginx.port, npath)
        _, _, expected = get(hewn.port, hpath)
        if status != 200 or body != expected:
            sys.exit("nginx does not serve the same bytes as hewn for {} ({})".format(hpath, status))
    idle_rss = rss_kib(pid, "VmRSS")

    targets = {"post": 0.8, "post-compressed": 5.0, "post300": 0.5, "index": 0.5, "feed": None}
    labels = {"post": "1. reference post", "post300": "2. post with 300 comments", "index": "3. index page",
              "feed": "4. Atom feed"}
    for name in ("post", "post300", "index", "feed"):
        if name not in available:
            report.notes.append("skipped {}: hewn does not serve {} yet".format(labels[name], pages[name]))
            continue
        hpath, npath, size = available[name]
        for c in conns_list:
            h = wrk(hewn.port, hpath, c, args.duration)
            n = wrk(nginx.port, npath, c, args.duration)
            report.add("{} ({} B)".format(labels[name], size), c, h, n, rss_kib(pid, "VmHWM"), targets[name])
        if name == "post":
            enc = ["Accept-Encoding: gzip, br"]
            for c in conns_list:
                h = wrk(hewn.port, hpath, c, args.duration, headers=enc)
                n = wrk(nginx.port, npath, c, args.duration, headers=enc)
                report.add("1. reference post, gzip/br", c, h, n, rss_kib(pid, "VmHWM"), targets["post-compressed"])

    # Comment submission: distinct valid comments, flood control off for this run.
    before = sqlite3.connect(small_db).execute("select count(*) from comments").fetchone()[0]
    total_acked = 0
    for c in conns_list:
        r = wrk(hewn.port, DEMO, c, args.duration, script="comment.lua",
                env={"BENCH_POST_PATH": DEMO + "/comments"})
        r["rps"] = r["acked"] / (r["duration_us"] / 1e6)
        total_acked += r["acked"]
        report.add("5. comment POST (acked/s, flood off)", c, r, None, rss_kib(pid, "VmHWM"))
    time.sleep(0.5)
    stored = sqlite3.connect(small_db).execute("select count(*) from comments").fetchone()[0] - before
    in_flight = stored - total_acked
    report.notes.append(
        "5. comments: {} acknowledged with 303, {} stored; {} stored but unacknowledged (in flight when wrk "
        "stopped, at most {}); lost: {}".format(total_acked, stored, in_flight, sum(conns_list),
                                               max(0, total_acked - stored)))
    peak_rss = rss_kib(pid, "VmHWM")
    hewn.stop()
    nginx.stop()

    # Scale.
    scale_notes = []
    if not args.skip_large:
        large_db = os.path.join(work, "large.db")
        subprocess.run([args.binary, "migrate", "--no-demo", "--database-url", large_db], check=True,
                       stderr=subprocess.DEVNULL)
        t0 = time.time()
        subprocess.run([sys.executable, os.path.join(HERE, "gen_data.py"), "large", large_db], check=True)
        report.notes.append("large database: 100,000 posts, 1,000,000 comments, generated in {:.0f} s ({:.0f} MiB)".format(
            time.time() - t0, os.path.getsize(large_db) / 2**20))
        scale_pages = [("index", "/", "/"), ("deep post", DEMO, "/posts/post-50000"),
                       ("tag page", "/tags/coal", "/tags/topic-7"), ("search", "/search?q=seam42x", "/search?q=seam42x")]
        results = {}
        report.notes.append("6. scale runs with the page cache off (HEWN_PAGE_CACHE_MIB=0), so every request "
                            "runs its queries and renders")
        for label, db in (("small", small_db), ("large", large_db)):
            hw = Hewn(args.binary, db, log, env={"HEWN_PAGE_CACHE_MIB": "0"})
            cold = [hw.start()]
            hw.stop()
            for _ in range(2):
                cold.append(hw.start())
                hw.stop()
            report.notes.append("7. cold start, {} database: {} ms (median of {})".format(
                label, "{:.1f}".format(sorted(cold)[len(cold) // 2]), len(cold)))
            hw.start()
            for name, small_path, large_path in scale_pages:
                path = small_path if label == "small" else large_path
                try:
                    get(hw.port, path)
                except urllib.error.HTTPError as e:
                    scale_notes.append("skipped 6. {} ({}): {} answers {}".format(name, label, path, e.code))
                    continue
                r = wrk(hw.port, path, 32, args.duration)
                results[(name, label)] = r
                report.add("6. {} on {} db (uncached)".format(name, label), 32, r, None,
                           rss_kib(hw.proc.pid, "VmHWM"))
            peak_rss = max(peak_rss, rss_kib(hw.proc.pid, "VmHWM"))
            hw.stop()
        for name, _, _ in scale_pages:
            s, l = results.get((name, "small")), results.get((name, "large"))
            if s and l:
                factor = l["p50_us"] / max(s["p50_us"], 1)
                report.notes.append("6. {}: large/small p50 latency {:.2f}x (target <= 2x) {}".format(
                    name, factor, "ok" if factor <= 2 else "!"))
        report.notes.extend(scale_notes)

    report.notes.insert(0, "7. cold start, small database: {:.1f} ms (median of {}; target < 100 ms)".format(
        sorted(cold_small)[len(cold_small) // 2], len(cold_small)))
    report.notes.append("8. memory: idle RSS {:.1f} MiB; peak RSS under load {:.1f} MiB (target < 50 MiB)".format(
        idle_rss / 1024, peak_rss / 1024))

    print()
    report.print()
    out = os.path.join(args.out, "bench-{}.json".format(stamp))
    with open(out, "w") as f:
        json.dump({"stamp": stamp, "cores": os.cpu_count(), "duration_s": args.duration, "runs": report.raw,
                   "notes": report.notes}, f, indent=2)
    print("\nraw results: {}".format(out))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
