#!/usr/bin/env python3
"""Peak memory of a metrotrack server under a burst of failing sign-ins (issue 17).

Starts `metrotrack serve` on a fresh SQLite database, sends CONCURRENCY requests at once,
each `Authorization: Basic` with a random username and a wrong password (what anyone can
send without an account), in ROUNDS rounds, and prints the server's peak resident memory
(VmHWM), its memory afterwards, the answers by status and how long the burst took.
Figures, not assertions: the target is a peak under 300 MiB.

    cargo build --release --bin metrotrack
    python3 benches/auth_burst.py target/release/metrotrack [--concurrency 200] [--rounds 3]
"""

import argparse
import base64
import collections
import http.client
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def failing_sign_in(host, port, results, start):
    user = "u" + secrets.token_hex(8)
    auth = base64.b64encode(f"{user}:wrong-password-{secrets.token_hex(4)}".encode()).decode()
    start.wait()
    try:
        c = http.client.HTTPConnection(host, port, timeout=120)
        c.request("GET", "/api/v1/imports", headers={"Authorization": "Basic " + auth})
        r = c.getresponse()
        r.read()
        results.append(r.status)
        c.close()
    except Exception as e:  # a refused or reset connection is an answer too
        results.append(type(e).__name__)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("--concurrency", type=int, default=200)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "burst.db")
        server = subprocess.Popen(
            [args.binary, "--database-url", f"sqlite://{db}", "serve", "--bind", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            line = server.stdout.readline()
            address = line.split("http://", 1)[1].split()[0]
            host, port = address.rsplit(":", 1)
            port = int(port)
            idle = status_kib(server.pid, "VmRSS")
            counts = collections.Counter()
            took = []
            for _ in range(args.rounds):
                results = []
                start = threading.Event()
                threads = [
                    threading.Thread(target=failing_sign_in, args=(host, port, results, start))
                    for _ in range(args.concurrency)
                ]
                for t in threads:
                    t.start()
                t0 = time.monotonic()
                start.set()
                for t in threads:
                    t.join()
                took.append(time.monotonic() - t0)
                counts.update(results)
            time.sleep(2)
            peak = status_kib(server.pid, "VmHWM")
            after = status_kib(server.pid, "VmRSS")
        finally:
            server.terminate()
            server.wait()
    print(f"binary: {args.binary}")
    print(f"{args.rounds} rounds of {args.concurrency} concurrent failing sign-ins (random usernames)")
    print(f"  RSS idle before:     {idle / 1024:8.1f} MiB")
    print(f"  peak RSS (VmHWM):    {peak / 1024:8.1f} MiB   (target < 300 MiB)")
    print(f"  RSS 2 s after:       {after / 1024:8.1f} MiB")
    print(f"  burst took (s):      {', '.join(f'{t:.1f}' for t in took)}")
    print(f"  answers:             {dict(sorted(counts.items(), key=str))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
