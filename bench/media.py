#!/usr/bin/env python3
"""Media: a hot image variant served by hewn from its media cache against nginx
serving the same bytes from disk (sendfile), in one run with the same wrk settings;
and the time and peak memory of processing a 12-megapixel JPEG as an upload is
processed (examples/media_bench.rs, release build, under /usr/bin/time -v).

The variant is one that processing made (the JPEG of 960 or 1600 pixels closest to
150 KB), stored in the media table as an upload's variant is. Run through
bench/media.sh, which builds hewn and the example in release mode.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the shared helpers: Hewn, Nginx, wrk, get, Report)

TARGET_RATIO = 0.8
PROCESSING_TARGET_S = 1.5
PROCESSING_TARGET_MIB = 300


def process_photo(example, out_dir):
    """Runs the example under /usr/bin/time -v; returns (wall seconds of each run, CPU seconds of each run,
    peak RSS in KiB, stdout). The peak includes making the input (a 12-megapixel image, encoded)."""
    done = subprocess.run(["/usr/bin/time", "-v", example, "--out", out_dir], capture_output=True, text=True,
                          check=True)
    runs = [float(s) for s in re.findall(r"^run \d+: ([0-9.]+) s", done.stdout, re.M)]
    cpu = [float(s) for s in re.findall(r"^run \d+: [0-9.]+ s \(([0-9.]+) s of CPU\)", done.stdout, re.M)]
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return runs, cpu, peak, done.stdout


def pick_variant(out_dir, want=150_000):
    jpegs = [f for f in os.listdir(out_dir) if f.endswith(".jpg")]
    return min(jpegs, key=lambda f: abs(os.path.getsize(os.path.join(out_dir, f)) - want))


def store_variant(binary, db, name, body):
    """Stores `body` in a fresh database at a content-addressed path, as an upload's
    variant is; returns its /media/ path."""
    subprocess.run([binary, "migrate", "--no-demo", "--database-url", db], check=True, stderr=subprocess.DEVNULL)
    digest = hashlib.sha256(body).hexdigest()
    path = "u/{}/photo-{}".format(digest[:20], name)
    con = sqlite3.connect(db)
    con.execute("insert into media (path, content_type, size, sha256, created_at, bytes) values (?, ?, ?, ?, ?, ?)",
                (path, "image/jpeg", len(body), digest, 0, body))
    con.commit()
    con.close()
    return "/media/" + path


def main():
    root = bench.ROOT
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(target, "release", "hewn"))
    ap.add_argument("--example", default=os.path.join(target, "release", "examples", "media_bench"))
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--connections", default="32,256")
    ap.add_argument("--out", default=os.path.join(bench.HERE, "results"))
    args = ap.parse_args()
    conns_list = [int(c) for c in args.connections.split(",")]
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="hewn-media-bench-")
    os.chmod(work, 0o755)  # nginx's workers run as an unprivileged user and must read www/
    www, made = os.path.join(work, "www"), os.path.join(work, "made")
    os.makedirs(www)
    os.makedirs(made)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    print("hewn media benchmark, {}".format(stamp))
    print("machine: {} cores ({}), {}; wrk -t2 and the servers share these cores".format(
        os.cpu_count(), platform.processor() or platform.machine(), platform.platform()))
    print()

    # Processing: a 12-megapixel JPEG, three times in one process.
    runs, cpu, peak_kib, stdout = process_photo(args.example, made)
    print(stdout.rstrip())
    best, worst = min(runs), max(runs)
    processing = "processing a 12-megapixel JPEG (4000 x 3000): {:.2f} s best, {:.2f} s worst of {} " \
                 "({:.2} s of CPU at best; target < {} s) {}; peak memory {:.0f} MiB (target < {} MiB) {}".format(
                     best, worst, len(runs), min(cpu) if cpu else float("nan"), PROCESSING_TARGET_S,
                     "ok" if best < PROCESSING_TARGET_S else "!", peak_kib / 1024, PROCESSING_TARGET_MIB,
                     "ok" if peak_kib / 1024 < PROCESSING_TARGET_MIB else "!")

    # Serving: the same variant from hewn's memory and from nginx's disk.
    name = pick_variant(made)
    with open(os.path.join(made, name), "rb") as f:
        body = f.read()
    db = os.path.join(work, "media.db")
    hpath = store_variant(args.binary, db, name, body)
    shutil.copy(os.path.join(made, name), os.path.join(www, name))
    npath = "/" + name
    hewn = bench.Hewn(args.binary, db, os.path.join(work, "hewn.log"))
    hewn.start()
    nginx = bench.Nginx(work, www)
    nginx.start()
    # The same nginx copying the file through user space, as hewn must (hewn's body
    # is in memory; hyper writes it with writev, so the kernel copies it once more
    # than sendfile does).
    copying_dir = os.path.join(work, "copying")
    os.makedirs(copying_dir)
    copying = bench.Nginx(copying_dir, www)
    with open(copying.conf) as f:
        conf = f.read().replace("sendfile on;", "sendfile off;")
    with open(copying.conf, "w") as f:
        f.write(conf)
    copying.start()
    report = bench.Report()
    try:
        _, _, from_hewn = bench.get(hewn.port, hpath)
        _, headers, again = bench.get(hewn.port, hpath)
        _, _, from_nginx = bench.get(nginx.port, npath)
        if not (from_hewn == again == from_nginx == body):
            sys.exit("hewn and nginx do not serve the same bytes")
        outcome = {k.lower(): v for k, v in headers.items()}.get("x-hewn-cache")
        if outcome != "hit":
            sys.exit("hewn did not answer the variant from memory (X-Hewn-Cache: {})".format(outcome))
        label = "9. media variant, {} KB JPEG".format(len(body) // 1000)
        for c in conns_list:
            h = bench.wrk(hewn.port, hpath, c, args.duration)
            n = bench.wrk(nginx.port, npath, c, args.duration)
            m = bench.wrk(copying.port, npath, c, args.duration)
            rss = bench.rss_kib(hewn.proc.pid, "VmHWM")
            report.add(label, c, h, n, rss, TARGET_RATIO)
            report.add("9. the same, nginx sendfile off", c, h, m, rss, TARGET_RATIO)
    finally:
        hewn.stop()
        nginx.stop()
        copying.stop()
    report.notes.append("10. " + processing)
    print()
    report.print()
    out = os.path.join(args.out, "media-{}.json".format(stamp))
    with open(out, "w") as f:
        json.dump({"stamp": stamp, "cores": os.cpu_count(), "duration_s": args.duration, "runs": report.raw,
                   "processing_runs_s": runs, "processing_cpu_s": cpu, "processing_peak_rss_kib": peak_kib, "notes": report.notes}, f,
                  indent=2)
    print("\nraw results: {}".format(out))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
