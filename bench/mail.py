#!/usr/bin/env python3
"""Comment POSTs with mail off against mail on, in one run: the benchmark's small
site, every comment held for moderation (so with mail on each one also queues a
mail to the admin in its transaction), a real SMTP server (aiosmtpd, as the tests
use) receiving what the sender task sends meanwhile. Prints acknowledged comments a
second for both and the ratio, and how many mails arrived.

Usage: python3 bench/mail.py [--binary target/release/hewn] [--duration 5] [--rounds 2]
Needs wrk and Debian's python3-aiosmtpd.
"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

import bench

SMTP_SERVER = os.path.join(bench.ROOT, "tests", "smtp", "server.py")


def prepare(binary, work):
    """The small site with an admin who has an address, every comment held."""
    db = bench.small_database(binary, work)
    con = sqlite3.connect(db)
    con.execute("insert into users (username, display_name, email, password_hash, created_at) "
                "values ('benchadmin', 'Bench Admin', 'admin@bench.example', 'x', 0)")
    for name, value in [("comment_manual_approval", "1"), ("mail_on_held", "1")]:
        con.execute("insert into settings (name, value) values (?, ?) "
                    "on conflict (name) do update set value = excluded.value", (name, value))
    con.commit()
    con.close()
    return db


def run(binary, db, work, duration, env):
    hewn = bench.Hewn(binary, db, os.path.join(work, "hewn.log"), env=env)
    hewn.start()
    try:
        r = bench.wrk(hewn.port, bench.DEMO, 32, duration, script="comment.lua",
                      env={"BENCH_POST_PATH": bench.DEMO + "/comments"})
    finally:
        hewn.stop()
    return r["acked"] / (r["duration_us"] / 1e6)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(bench.ROOT, "target", "release", "hewn"))
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="hewn-mail-bench-")
    port = bench.free_port()
    maildir = os.path.join(work, "mail")
    smtp = subprocess.Popen(["/usr/bin/python3", SMTP_SERVER, str(port), maildir], stdout=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        template = prepare(args.binary, work)
        rows = []
        for _ in range(args.rounds):
            for mode in ("off", "on"):
                db = os.path.join(work, "run-{}.db".format(mode))
                shutil.copy(template, db)
                env = {"HEWN_SMTP_URL": "smtp://127.0.0.1:{}?tls=none".format(port),
                       "HEWN_MAIL_FROM": "Bench <bench@bench.example>"} if mode == "on" else {}
                rows.append((mode, run(args.binary, db, work, args.duration, env)))
                if mode == "on":
                    queued = sqlite3.connect(db).execute("select count(*) from mail_outbox").fetchone()[0]
                    rows[-1] = (mode, rows[-1][1], queued)
        print("comment POST, 32 connections, {} s each, every comment held".format(args.duration))
        print("{:<10} {:>16} {:>14}".format("mail", "acknowledged/s", "mails queued"))
        for row in rows:
            print("{:<10} {:>16,.0f} {:>14}".format(row[0], row[1], row[2] if len(row) > 2 else "-"))
        off = sum(r[1] for r in rows if r[0] == "off") / args.rounds
        on = sum(r[1] for r in rows if r[0] == "on") / args.rounds
        delivered = len(os.listdir(os.path.join(maildir, "json"))) if os.path.isdir(os.path.join(maildir, "json")) else 0
        print("mail on / mail off: {:.2f} (mean of {} rounds); {} mails delivered while the runs lasted"
              .format(on / off if off else 0, args.rounds, delivered))
    finally:
        smtp.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
