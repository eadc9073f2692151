#!/usr/bin/env python3
"""SQLite against PostgreSQL in one run: the same site (generated into SQLite, then
moved with `hewn copy`), the same scenarios, the same wrk runs; and two instances on
one PostgreSQL database behind nginx against one instance. Prints req/s, the
PostgreSQL/SQLite ratio and hewn's CPU time per request. Run through
bench/postgres.sh, which installs the tools, starts a private PostgreSQL cluster and
builds hewn in release mode.
"""
import argparse
import atexit
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the shared helpers: Hewn, Nginx, wrk, get)

HERE = bench.HERE
DEMO = bench.DEMO


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/{}/stat".format(pid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(hewn, path, conns, duration, **kw):
    before = cpu_seconds(hewn.proc.pid)
    r = bench.wrk(hewn.port, path, conns, duration, **kw)
    used = cpu_seconds(hewn.proc.pid) - before
    requests = r.get("acked") or r["requests"]
    r["cpu_us_per_req"] = used * 1e6 / max(requests, 1)
    return r


def median(runs):
    """The run with the median req/s (the lower middle one of an even number)."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return ordered[(len(ordered) - 1) // 2]


def balancer_conf(work, port, upstreams):
    conf = os.path.join(work, "balancer.conf")
    with open(conf, "w") as f:
        f.write("""
worker_processes 1;
pid {dir}/balancer.pid;
error_log {dir}/balancer-error.log warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    upstream hewn {{ {servers} keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass http://hewn; proxy_http_version 1.1; proxy_set_header Connection ""; }}
    }}
}}
""".format(dir=work, port=port, servers=" ".join("server 127.0.0.1:{};".format(p) for p in upstreams)))
    return conf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(bench.ROOT, "target", "release", "hewn"))
    ap.add_argument("--postgres", required=True, help="a maintenance URL, postgres://USER@HOST:PORT/postgres")
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--busy-connections", type=int, default=256,
                    help="the cached scenarios run again with this many connections, where both backends keep the "
                         "cores busy (0: not again). At 32, a PostgreSQL hit waits for a version reading that started "
                         "after it came, so about 18 requests share a reading and the cores idle during its round trip")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each scenario on each backend, alternating; the "
                    "median is reported (one 5 s run on 2 shared cores varies by a third from one to the next)")
    ap.add_argument("--large", help="also run the uncached pages of this large SQLite database (bench/gen_data.py "
                    "large FILE) and of its copy on PostgreSQL")
    ap.add_argument("--large-postgres", help="a PostgreSQL copy of --large made earlier (`hewn copy`), instead of "
                    "copying it again")
    ap.add_argument("--only", help="run only the scenarios whose label contains this text (e.g. cached, POST)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="hewn-bench-pg-")
    log = os.path.join(work, "hewn.log")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H-%M-%SZ")
    c, d = args.connections, args.duration
    print("hewn on SQLite and on PostgreSQL, {}".format(stamp))
    print("machine: {} cores, {}; wrk, hewn and PostgreSQL share these cores".format(os.cpu_count(), platform.platform()))
    print("each run: {} s, {} connections".format(d, c))

    small_db = bench.small_database(args.binary, work)
    name = "hewn_bench_{}".format(int(time.time()))
    subprocess.run(["psql", args.postgres, "-qc", "create database {}".format(name)], check=True)
    # Dropped however the run ends (a scenario failing included).
    atexit.register(subprocess.run, ["psql", args.postgres, "-qc", "drop database if exists {} with (force)".format(name)])
    parts = urllib.parse.urlsplit(args.postgres)
    pg_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    subprocess.run([args.binary, "copy", "--database-url", small_db, "--to", pg_url], check=True)

    cached = [
        ("1. reference post (cached)", DEMO, {}),
        ("1. reference post, gzip/br (cached)", DEMO, {"headers": ["Accept-Encoding: gzip, br"]}),
        ("3. index page (cached)", "/", {}),
        ("4. Atom feed (cached)", "/feed.xml", {}),
    ]
    scenarios = []
    for label, path, wrk_kw in cached:
        scenarios.append((label, path, wrk_kw, {}, c))
        if args.busy_connections:
            scenarios.append(("{}, {} conns".format(label, args.busy_connections), path, wrk_kw, {},
                              args.busy_connections))
    scenarios += [
        ("6. reference post, page cache off", DEMO, {}, {"HEWN_PAGE_CACHE_MIB": "0"}, c),
        ("6. search, page cache off", "/search?q=coal", {}, {"HEWN_PAGE_CACHE_MIB": "0"}, c),
        ("5. comment POST (acked/s)", DEMO, {"script": "comment.lua", "env": {"BENCH_POST_PATH": DEMO + "/comments"}},
         {}, c),
    ]
    if args.only:
        scenarios = [s for s in scenarios if args.only in s[0]]
    rows = []
    for label, path, wrk_kw, env, conns in scenarios:
        rounds = {"sqlite": [], "postgres": []}
        for _ in range(max(args.rounds, 1)):
            for backend, url in (("sqlite", small_db), ("postgres", pg_url)):
                hewn = bench.Hewn(args.binary, url, log, env=env)
                hewn.start()
                bench.get(hewn.port, path)
                r = run(hewn, path, conns, d, **wrk_kw)
                if "acked" in r:
                    r["rps"] = r["acked"] / (r["duration_us"] / 1e6)
                rounds[backend].append(r)
                hewn.stop()
        result = {backend: median(runs) for backend, runs in rounds.items()}
        result["rounds"] = rounds
        result["connections"] = conns
        rows.append((label, result))
        s, p = result["sqlite"], result["postgres"]
        # Each round's two runs are seconds apart, so their ratio is the least moved by the
        # machine's own drift; the median of those is printed beside the ratio of the medians.
        ratios = [pr["rps"] / max(sr["rps"], 1) for sr, pr in zip(rounds["sqlite"], rounds["postgres"])]
        result["round_ratios"] = ratios
        print("{:<50} SQLite {:>9.0f}/s {:>6.1f} µs CPU   PostgreSQL {:>9.0f}/s {:>6.1f} µs CPU   ratio {:.2f}{}".format(
            label, s["rps"], s["cpu_us_per_req"], p["rps"], p["cpu_us_per_req"], p["rps"] / max(s["rps"], 1),
            "  (of the medians; median of the rounds' {:.2f}: {})".format(
                sorted(ratios)[(len(ratios) - 1) // 2], ", ".join("{:.2f}".format(r) for r in ratios))
            if len(ratios) > 1 else ""))

    if args.large and (not args.only or args.only in "8. large db"):
        big = None
        big_url = args.large_postgres
        if not big_url:
            big = "hewn_bench_large_{}".format(int(time.time()))
            subprocess.run(["psql", args.postgres, "-qc", "create database {}".format(big)], check=True)
            big_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + big, parts.query, ""))
            t0 = time.time()
            subprocess.run([args.binary, "copy", "--database-url", args.large, "--to", big_url], check=True)
            print("large database copied to PostgreSQL in {:.0f} s".format(time.time() - t0))
        for label, path in (("index", "/"), ("deep post", "/posts/post-50000"), ("tag page", "/tags/topic-7"),
                            ("search", "/search?q=seam42x")):
            result = {}
            for backend, url in (("sqlite", args.large), ("postgres", big_url)):
                hewn = bench.Hewn(args.binary, url, log, env={"HEWN_PAGE_CACHE_MIB": "0"})
                hewn.start()
                bench.get(hewn.port, path)
                result[backend] = run(hewn, path, c, d)
                hewn.stop()
            rows.append(("8. large db, {} (uncached)".format(label), result))
            s_, p_ = result["sqlite"], result["postgres"]
            print("{:<40} SQLite {:>9.0f}/s {:>6.1f} µs CPU   PostgreSQL {:>9.0f}/s {:>6.1f} µs CPU   ratio {:.2f}".format(
                "8. large db, {} (uncached)".format(label), s_["rps"], s_["cpu_us_per_req"], p_["rps"],
                p_["cpu_us_per_req"], p_["rps"] / max(s_["rps"], 1)))
        if big:
            subprocess.run(["psql", args.postgres, "-qc", "drop database {} with (force)".format(big)])

    # Two instances behind nginx against one, both on PostgreSQL.
    single = pair = None
    if not args.only or args.only in "7. reference post, one and two instances":
        one = bench.Hewn(args.binary, pg_url, log)
        one.start()
        single = bench.wrk(one.port, DEMO, c, d)
        one.stop()
        a, b = bench.Hewn(args.binary, pg_url, log), bench.Hewn(args.binary, pg_url, log)
        a.start()
        b.start()
        port = bench.free_port()
        conf = balancer_conf(work, port, [a.port, b.port])
        lb = subprocess.Popen(["nginx", "-c", conf, "-p", work], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                bench.get(port, DEMO)
                break
            except OSError:
                time.sleep(0.05)
        pair = bench.wrk(port, DEMO, c, d)
        lb.terminate()
        lb.wait()
        a.stop()
        b.stop()
        print("{:<40} one instance {:>9.0f}/s   two behind nginx {:>9.0f}/s   ratio {:.2f}".format(
            "7. reference post, PostgreSQL", single["rps"], pair["rps"], pair["rps"] / max(single["rps"], 1)))

    out = os.path.join(args.out, "postgres-{}.json".format(stamp))
    with open(out, "w") as f:
        json.dump({"stamp": stamp, "cores": os.cpu_count(), "duration_s": d, "connections": c,
                   "runs": [{"scenario": label, **result} for label, result in rows],
                   "one_instance": single, "two_instances": pair}, f, indent=2)
    print("raw results: {}".format(out))


if __name__ == "__main__":
    main()
