#!/usr/bin/env python3
"""The server under load (issue 17): latency of what a lab does while a big upload runs and
while uploads stall, and peak memory under a burst of failing sign-ins.

Against a release build on fresh SQLite databases, it measures:

1. while one upload of ROWS rows (default 1,000,000) is sent and imported: p50/p99 of
   the dashboard's figures (GET /api/v1/achievement), a sign-in (HTTP Basic, a real
   Argon2 check) and a plan change (PUT /api/v1/plans/…), each split into the time the
   body was still arriving and the time the server was writing it;
2. while 5 uploads stall (chunked bodies that stop after 2 rows and stay open): the same;
3. on a fresh server: peak resident memory (VmHWM) under CONCURRENCY concurrent failing
   sign-ins with random usernames.

Figures, not assertions; the targets are printed beside them: figures p99 < 200 ms and
sign-in < 2 s during an upload; peak memory under the burst < 300 MiB.

    cargo build --release --bin metrotrack
    python3 benches/load.py target/release/metrotrack [--rows 1000000] [--concurrency 200]
"""

import argparse
import base64
import collections
import http.client
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PASSWORD = "load-bench-password-1"
PERIOD = "2023-10"


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cli(binary, url, *args, stdin=None):
    env = dict(os.environ, METROTRACK_USER="bench")
    out = subprocess.run(
        [binary, "--database-url", url, *args],
        input=stdin, capture_output=True, text=True, env=env, check=True,
    )
    return out.stdout


class Server:
    """`metrotrack serve` on `url`, with a supervisor user and an admin token."""

    def __init__(self, binary, url, spool_dir):
        cli(binary, url, "migrate")
        cli(binary, url, "user", "create", "sup", "--role", "supervisor", "--password-stdin",
            stdin=PASSWORD + "\n")
        self.token = cli(binary, url, "token", "create", "--name", "bench", "--role",
                         "admin").strip().splitlines()[-1]
        self.process = subprocess.Popen(
            [binary, "--database-url", url, "serve", "--bind", "127.0.0.1:0",
             "--spool-dir", spool_dir],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.process.stdout.readline()
        address = line.split("http://", 1)[1].split()[0]
        host, port = address.rsplit(":", 1)
        self.host, self.port = host, int(port)

    def stop(self):
        self.process.terminate()
        self.process.wait()

    def request(self, method, path, body=None, headers=None, timeout=120):
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            r.read()
            return r.status
        finally:
            c.close()


def timed(fn):
    t0 = time.monotonic()
    try:
        status = fn()
    except Exception as e:  # a reset or a timeout is an answer too
        status = type(e).__name__
    return (time.monotonic() - t0) * 1000.0, status


def operations(server):
    bearer = {"Authorization": "Bearer " + server.token}
    basic = {"Authorization": "Basic " + base64.b64encode(f"sup:{PASSWORD}".encode()).decode()}
    targets = iter(range(100, 10**9))

    def figures():
        return server.request("GET", f"/api/v1/achievement?period={PERIOD}", headers=bearer)

    def sign_in():
        return server.request("GET", "/api/v1/categories", headers=basic)

    def plan():
        body = json.dumps({"target": next(targets), "category": None})
        h = dict(bearer, **{"Content-Type": "application/json"})
        return server.request("PUT", f"/api/v1/plans/{PERIOD}/inspections", body=body, headers=h)

    return {"figures": figures, "sign-in": sign_in, "plan change": plan}


def measure_while(server, busy, phase_of, pause=0.05):
    """Runs each operation in a loop of its own while `busy()` (one that waits does not
    hold the others back); latencies by (phase, operation)."""
    samples = collections.defaultdict(list)
    statuses = collections.defaultdict(collections.Counter)
    lock = threading.Lock()

    def loop(name, fn):
        while busy():
            phase = phase_of()
            ms, status = timed(fn)
            with lock:
                samples[(phase, name)].append(ms)
                statuses[(phase, name)][status] += 1
            time.sleep(pause)

    threads = [threading.Thread(target=loop, args=item) for item in operations(server).items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples, statuses


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def report(title, samples, statuses):
    print(title)
    print(f"  {'phase':<22} {'operation':<12} {'n':>5} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}  answers")
    for key in sorted(samples):
        phase, name = key
        v = samples[key]
        print(f"  {phase:<22} {name:<12} {len(v):>5} {percentile(v, 50):>9.1f} "
              f"{percentile(v, 99):>9.1f} {max(v):>9.1f}  {dict(statuses[key])}")


def write_log(path, rows):
    rng = random.Random(17)
    with open(path, "w") as f:
        f.write("date,category,serial_number,kind,result,technician\n")
        for n in range(rows):
            day = 1 + n % 31
            result = "pass" if rng.random() < 0.97 else "fail"
            f.write(f"2023-10-{day:02},DHN,LOAD-{n:08},verification,{result},Nguyễn Văn An\n")


def big_upload(server, path, events):
    size = os.path.getsize(path)
    c = http.client.HTTPConnection(server.host, server.port, timeout=3600)
    c.putrequest("POST", "/api/v1/imports?kind=inspections")
    c.putheader("Authorization", "Bearer " + server.token)
    c.putheader("Content-Type", "text/csv")
    c.putheader("Content-Length", str(size))
    c.endheaders()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            c.send(chunk)
    events["sent"] = time.monotonic()
    r = c.getresponse()
    events["body"] = r.read()
    events["status"] = r.status
    events["done"] = time.monotonic()
    c.close()


def stalled_upload(server, n):
    s = socket.create_connection((server.host, server.port))
    rows = ("date,category,serial_number,kind,result,technician\n"
            f"2023-10-02,DHN,STALL-{n}-1,verification,pass,An\n"
            f"2023-10-02,DHN,STALL-{n}-2,verification,pass,An\n")
    head = (f"POST /api/v1/imports?kind=inspections HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {server.token}\r\nContent-Type: text/csv\r\n"
            f"Transfer-Encoding: chunked\r\n\r\n{len(rows.encode()):x}\r\n{rows}\r\n")
    s.sendall(head.encode())
    return s


def failing_sign_in(server, results, start):
    user = "u" + secrets.token_hex(8)
    auth = base64.b64encode(f"{user}:wrong-{secrets.token_hex(4)}".encode()).decode()
    start.wait()
    try:
        results.append(server.request("GET", "/api/v1/imports",
                                      headers={"Authorization": "Basic " + auth}))
    except Exception as e:
        results.append(type(e).__name__)


def burst(server, concurrency):
    results = []
    start = threading.Event()
    threads = [threading.Thread(target=failing_sign_in, args=(server, results, start))
               for _ in range(concurrency)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    start.set()
    for t in threads:
        t.join()
    return time.monotonic() - t0, collections.Counter(results)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--concurrency", type=int, default=200)
    p.add_argument("--stalled", type=int, default=5)
    p.add_argument("--stall-seconds", type=float, default=15.0)
    args = p.parse_args()
    print(f"binary: {args.binary}; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        def fresh(name):
            return f"sqlite://{os.path.join(tmp, name)}"

        # 3. The burst, on a server of its own (VmHWM is the process' peak so far).
        server = Server(args.binary, fresh("burst.db"), tmp)
        try:
            idle = status_kib(server.process.pid, "VmRSS")
            took, counts = burst(server, args.concurrency)
            time.sleep(2)
            peak = status_kib(server.process.pid, "VmHWM")
            after = status_kib(server.process.pid, "VmRSS")
        finally:
            server.stop()

        log = os.path.join(tmp, "big.csv")
        t0 = time.monotonic()
        write_log(log, args.rows)
        print(f"log of {args.rows} rows: {os.path.getsize(log) / 2**20:.0f} MiB, "
              f"written in {time.monotonic() - t0:.0f} s")
        server = Server(args.binary, fresh("load.db"), tmp)
        try:
            # Quiet: the same operations with nothing else running.
            quiet_until = time.monotonic() + 5
            quiet = measure_while(server, lambda: time.monotonic() < quiet_until, lambda: "quiet")

            # 1. During the big upload.
            events = {}
            uploader = threading.Thread(target=big_upload, args=(server, log, events))
            t_start = time.monotonic()
            uploader.start()
            during = measure_while(
                server, uploader.is_alive,
                lambda: "upload: receiving" if "sent" not in events else "upload: writing")
            uploader.join()
            up_peak = status_kib(server.process.pid, "VmHWM")

            # 2. While uploads stall.
            sockets = [stalled_upload(server, n) for n in range(args.stalled)]
            time.sleep(0.5)
            stall_until = time.monotonic() + args.stall_seconds
            stalled = measure_while(server, lambda: time.monotonic() < stall_until,
                                    lambda: f"{args.stalled} uploads stalled")
            for s in sockets:
                s.close()
        finally:
            server.stop()

    print()
    print(f"1M-row upload: {events.get('status')} in {events['done'] - t_start:.1f} s "
          f"(body sent after {events['sent'] - t_start:.1f} s, "
          f"then {events['done'] - events['sent']:.1f} s writing); server peak RSS "
          f"{up_peak / 1024:.0f} MiB")
    merged = ({}, {})
    for part in (quiet, during, stalled):
        merged[0].update(part[0])
        merged[1].update(part[1])
    report("latency (targets: figures p99 < 200 ms and sign-in < 2 s during an upload)", *merged)
    print()
    print(f"{args.concurrency} concurrent failing sign-ins (random usernames), own server:")
    print(f"  RSS idle before:   {idle / 1024:8.1f} MiB")
    print(f"  peak RSS (VmHWM):  {peak / 1024:8.1f} MiB   (target < 300 MiB)")
    print(f"  RSS 2 s after:     {after / 1024:8.1f} MiB")
    print(f"  burst took:        {took:8.1f} s")
    print(f"  answers:           {dict(sorted(counts.items(), key=str))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
