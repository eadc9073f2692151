#!/usr/bin/env python3
"""The admin panel on a large site: logs in and times each panel page, page cache off.

    python3 bench/gen_data.py large /tmp/large.db     # 100,000 posts, 1,000,000 comments
    python3 bench/admin.py --database-url sqlite:///tmp/large.db
    python3 bench/admin.py --database-url postgres://USER@HOST:PORT/DB   # a `hewn copy` of it

Adds an account named `bench-admin` to the database if it has none of that name (the
panel needs one). Each page is loaded 20 times; the first 5 warm up, the median and the
fastest of the other 15 are printed.
"""
import argparse
import http.cookiejar
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the shared helpers: Hewn)

NAME, PASSWORD = "bench-admin", "a long bench password"
PAGES = [
    ("dashboard", "/admin"),
    ("comments: all", "/admin/comments"),
    ("comments: pending", "/admin/comments?status=pending"),
    ("comments: spam", "/admin/comments?status=spam"),
    ("comments: approved, page 500", "/admin/comments?status=approved&page=500"),
    ("posts", "/admin/posts"),
    ("posts, page 300", "/admin/posts?page=300"),
    ("pages", "/admin/pages"),
    ("media", "/admin/media"),
    ("mail", "/admin/mail"),
    ("settings", "/admin/settings"),
]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def log_in(port):
    """A client holding a session of the bench account."""
    base = "http://127.0.0.1:{}".format(port)
    client = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)
    page = client.open(base + "/admin/login").read().decode()
    token = re.search(r'name="form_token"[^>]*value="([^"]+)"', page) or \
        re.search(r'value="([^"]+)"[^>]*name="form_token"', page)
    if not token:
        sys.exit("the login page has no form token")
    form = urllib.parse.urlencode({"username": NAME, "password": PASSWORD, "form_token": token.group(1), "next": ""})
    try:
        client.open(base + "/admin/login", form.encode())
        sys.exit("logging in did not redirect")
    except urllib.error.HTTPError as e:
        if e.code != 303:
            sys.exit("logging in answered {}".format(e.code))
    return client


def timed(client, url):
    t0 = time.perf_counter()
    try:
        with client.open(url) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, (time.perf_counter() - t0) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(bench.ROOT, "target", "release", "hewn"))
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--loads", type=int, default=20)
    args = ap.parse_args()
    subprocess.run([args.binary, "user", "add", NAME, "--password-stdin", "--database-url", args.database_url],
                   input=PASSWORD.encode(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = os.path.join(tempfile.mkdtemp(prefix="hewn-bench-admin-"), "hewn.log")
    hewn = bench.Hewn(args.binary, args.database_url, log, env={"HEWN_PAGE_CACHE_MIB": "0"})
    hewn.start()
    try:
        client = log_in(hewn.port)
        print("{:<32} {:>6} {:>10} {:>10}".format("panel page", "status", "median ms", "fastest"))
        for label, path in PAGES:
            runs = [timed(client, "http://127.0.0.1:{}{}".format(hewn.port, path)) for _ in range(args.loads)]
            kept = [ms for _, ms in runs[5:]] or [ms for _, ms in runs]
            print("{:<32} {:>6} {:>10.1f} {:>10.1f}".format(label, runs[-1][0], statistics.median(kept), min(kept)))
    finally:
        hewn.stop()


if __name__ == "__main__":
    main()
