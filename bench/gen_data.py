#!/usr/bin/env python3
"""Fills a hewn database (already created by `hewn migrate`) with benchmark data.

  gen_data.py small DB   the demo post, 30 more posts, and a post with 300 threaded
                         approved comments (slug: three-hundred-comments)
  gen_data.py large DB   100,000 posts, 1,000,000 comments, 200 tags

Rows go straight into hewn's tables with SQLite (one transaction), which is far
quicker than posting them through the web form; the schema is hewn's own because
`hewn migrate` made it.
"""
import random
import sqlite3
import sys
import time

WORDS = ("coal steel miner shift norm quota record hero worker factory plan tractor train harvest "
         "village city river bridge winter summer letter poster congress movement history labour "
         "union brigade furnace forge hammer sickle engine railway canal reform archive memory").split()
START = 1_104_537_600  # 2005-01-01
SPAN = 20 * 365 * 86400


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def paragraphs(rng, count, words):
    return ["{} {}".format(sentence(rng, words // 2), sentence(rng, words - words // 2)) for _ in range(count)]


def insert_post(db, rng, slug, title, published_at, paras):
    html = "".join("<p>{}</p>\n".format(p) for p in paras)
    source = "\n\n".join(paras)
    excerpt = " ".join(" ".join(paras).split()[:55])
    cur = db.execute(
        "insert into posts (kind, slug, title, source, source_format, body_html, excerpt, status, "
        "author_name, comments_open, published_at, updated_at, created_at) "
        "values ('post', ?, ?, ?, 'markdown', ?, ?, 'published', '', 1, ?, ?, ?)",
        (slug, title, source, html, excerpt, published_at, published_at, published_at))
    return cur.lastrowid


def comment_rows(rng, post_id, count, base_time, first_id, approved_share=1.0):
    """Yields comment rows: a third top level, the rest replies to earlier ones."""
    rows = []
    for i in range(count):
        cid = first_id + i
        parent = None
        if i >= 3 and rng.random() < 0.66:
            parent = first_id + rng.randrange(0, i)
        status = "approved" if rng.random() < approved_share else rng.choice(["pending", "spam"])
        text = sentence(rng, rng.randrange(8, 30))
        rows.append((cid, post_id, parent, "Reader {}".format(cid), "reader{}@bench.example".format(cid), "",
                     text, "<p>{}</p>\n".format(text), status, "bench", "127.0.0.1", "bench",
                     base_time + 60 * i))
    return rows


def insert_comments(db, rows):
    db.executemany(
        "insert into comments (id, post_id, parent_id, kind, author_name, author_email, author_url, body, "
        "body_html, status, rule, author_ip, user_agent, created_at) "
        "values (?, ?, ?, 'comment', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def tag_posts(db, pairs, names):
    for i, name in enumerate(names, start=1):
        db.execute("insert or ignore into tags (id, slug, name) values (?, ?, ?)", (10_000 + i, name.lower().replace(" ", "-"), name))
    db.executemany("insert or ignore into post_tags (post_id, tag_id) values (?, ?)",
                   [(p, 10_000 + t) for p, t in pairs])


def next_comment_id(db):
    return (db.execute("select coalesce(max(id), 0) from comments").fetchone()[0] or 0) + 1


def small(db, rng):
    tags = ["Coal", "History", "Labour"]
    post_ids = []
    for n in range(30):
        t = START + n * 86400 * 30
        # "seam42x" is in twenty posts here as in the large database: a search both
        # databases answer with the same number of results.
        extra = ["Seam seam42x was mapped."] if n < 20 else []
        post_ids.append(insert_post(db, rng, "bench-post-{}".format(n), "Bench post {} on coal".format(n), t,
                                    paragraphs(rng, 3, 40) + extra))
    big = insert_post(db, rng, "three-hundred-comments", "Three hundred comments", START + 31 * 86400 * 30,
                      paragraphs(rng, 4, 50))
    insert_comments(db, comment_rows(rng, big, 300, START + 32 * 86400 * 30, next_comment_id(db)))
    demo = db.execute("select id from posts where slug = 'year-of-the-stakhanovite'").fetchone()
    tagged = post_ids + [big] + ([demo[0]] if demo else [])
    tag_posts(db, [(p, i % 3 + 1) for i, p in enumerate(tagged)] + [(p, 1) for p in tagged], tags)


def large(db, rng, posts=100_000, comments=1_000_000):
    tags = ["Topic {}".format(i) for i in range(1, 201)]
    t0 = time.time()
    ids = []
    for n in range(posts):
        t = START + n * (SPAN // posts)
        ids.append(insert_post(db, rng, "post-{}".format(n), "Post {} about {}".format(n, rng.choice(WORDS)), t,
                               paragraphs(rng, 2, 30) + ["Seam seam{}x was mapped.".format(n % 5000)]))
    print("  {} posts in {:.1f}s".format(posts, time.time() - t0), file=sys.stderr)
    t0 = time.time()
    next_id = next_comment_id(db)
    per_post = comments // posts
    batch = []
    for i, pid in enumerate(ids):
        rows = comment_rows(rng, pid, per_post, START + i * (SPAN // posts) + 3600, next_id, approved_share=0.9)
        next_id += per_post
        batch.extend(rows)
        if len(batch) >= 50_000:
            insert_comments(db, batch)
            batch = []
    insert_comments(db, batch)
    print("  {} comments in {:.1f}s".format(per_post * posts, time.time() - t0), file=sys.stderr)
    t0 = time.time()
    tag_posts(db, [(p, rng.randrange(1, 201)) for p in ids for _ in range(3)], tags)
    print("  tags in {:.1f}s".format(time.time() - t0), file=sys.stderr)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("small", "large"):
        sys.exit(__doc__)
    rng = random.Random(1935)
    db = sqlite3.connect(sys.argv[2], isolation_level=None)
    db.execute("pragma foreign_keys = on")
    db.execute("begin")
    (small if sys.argv[1] == "small" else large)(db, rng)
    db.execute("update site_state set version = version + 1, changed_at = strftime('%s', 'now')")
    db.execute("commit")
    db.execute("pragma wal_checkpoint(truncate)")
    db.execute("pragma optimize")
    db.close()


if __name__ == "__main__":
    main()
