#!/usr/bin/env python3
"""Slow and idle clients against a running hewn on loopback.

Opens N sockets from N/PER_ADDR loopback addresses (127.0.x.y), either idle or
trickling an endless request header one byte every 2 s; after 3 s it times a
`GET /` from 127.0.0.2; after WATCH seconds it reports what became of the sockets.

Usage: bench/slow_clients.py PORT idle|trickle N PER_ADDR WATCH
e.g.   bench/slow_clients.py 3000 idle 500 5 25
"""
import asyncio
import sys
import time

PORT, MODE, N, PER_ADDR, WATCH = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])


async def one(i, results):
    group = i // PER_ADDR
    src = f"127.0.{1 + group // 250}.{1 + group % 250}"
    t0 = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", PORT, local_addr=(src, 0))
    except OSError:
        results.append(("connect-failed", 0.0))
        return

    async def trickle():
        for b in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10000:
            await asyncio.sleep(2)
            writer.write(bytes([b]))
            await writer.drain()

    task = asyncio.create_task(trickle()) if MODE == "trickle" else None
    try:
        data = await asyncio.wait_for(reader.read(200), WATCH)
        results.append((data[:12].decode(errors="replace") or "closed", time.monotonic() - t0))
    except asyncio.TimeoutError:
        results.append(("still-open", WATCH))
    except OSError as e:
        results.append((type(e).__name__, time.monotonic() - t0))
    if task:
        task.cancel()
    writer.close()


async def probe():
    await asyncio.sleep(3)
    t0 = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT, local_addr=("127.0.0.2", 0))
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    await writer.drain()
    data = await asyncio.wait_for(reader.read(64), 30)
    print(f"GET / from another address after 3 s: {data[:12].decode()} in {time.monotonic() - t0:.3f} s")


async def main():
    results = []
    await asyncio.gather(probe(), *(one(i, results) for i in range(N)))
    summary = {}
    for kind, t in results:
        s = summary.setdefault(kind, [0, 1e9, 0.0])
        s[0] += 1
        s[1] = min(s[1], t)
        s[2] = max(s[2], t)
    for kind, (n, lo, hi) in sorted(summary.items()):
        print(f"{n:4d} sockets: {kind!r:18} after {lo:.1f}-{hi:.1f} s")


asyncio.run(main())
