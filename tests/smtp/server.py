#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) for hewn's mail tests.

Every accepted message is written to MAILDIR/Maildir (untouched bytes) and, for the
tests to read, to MAILDIR/json/<n>.json: its headers (in order, as sent) and its
decoded text and HTML parts. Recipients whose local part is `reject` are refused
with 550 and `tempfail` with 451, so tests can see both kinds of failure. Any
login (AUTH PLAIN or LOGIN) is accepted, without TLS.

Usage: server.py PORT MAILDIR   (listens on 127.0.0.1:PORT until killed)
"""

import asyncio
import email
import email.policy
import json
import mailbox
import os
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Handler:
    def __init__(self, maildir):
        os.makedirs(maildir, exist_ok=True)
        self.box = mailbox.Maildir(os.path.join(maildir, "Maildir"), create=True)
        self.json_dir = os.path.join(maildir, "json")
        os.makedirs(self.json_dir, exist_ok=True)
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local == "reject":
            return "550 5.1.1 No such mailbox here"
        if local == "tempfail":
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        self.box.add(raw)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            kind = part.get_content_type()
            if kind in ("text/plain", "text/html") and kind not in parts:
                parts[kind] = part.get_content()
        self.count += 1
        record = {
            "envelope_to": envelope.rcpt_tos,
            "headers": [[k, str(v)] for k, v in message.items()],
            "text": parts.get("text/plain", ""),
            "html": parts.get("text/html", ""),
        }
        path = os.path.join(self.json_dir, "%06d.json" % self.count)
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 Message accepted"


def accept_any_login(server, session, envelope, mechanism, auth_data):
    """hewn's tests log in with made-up credentials: any login is accepted."""
    return AuthResult(success=True)


def main():
    port, maildir = int(sys.argv[1]), sys.argv[2]
    controller = Controller(
        Handler(maildir),
        hostname="127.0.0.1",
        port=port,
        authenticator=accept_any_login,
        auth_require_tls=False,
    )
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
