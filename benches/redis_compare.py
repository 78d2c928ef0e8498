#!/usr/bin/env python3
"""The Redis-protocol comparison: the `kv` example against its tokio twin and a real Redis.

Three servers on loopback ports: `kv` (this runtime), `bench_kv_tokio` (the same parser, store
and commands on tokio's multi-thread runtime) and `redis-server` (no persistence). Each in
turn, for several rounds (A B C, A B C, ...), so that the machine's drift hits all alike,
`redis-benchmark -c CLIENTS -P PIPELINE -t set,get -n REQUESTS -q` runs against a fresh
server; a server that dies under the load fails the run. Prints the median requests/s of SET
and GET per server and their ratio to tokio; with --write, puts the table into BENCHMARKS.md.

    python3 benches/redis_compare.py                    # 5 rounds of 1,000,000 requests
    python3 benches/redis_compare.py -n 100000 --rounds 2  # a quick pass

Needs redis-benchmark and redis-server (Debian: redis-tools, redis-server; see
benches/install-tools.sh).
"""

import argparse
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time

from compare import EXAMPLES, ROOT, ratio, splice_into_benchmarks_md

REFERENCE = "tokio"
RESULT = re.compile(r"^(SET|GET): ([\d.]+) requests per second", re.MULTILINE)


def free_port():
    """A loopback port free right now (Redis cannot be asked to pick one and say which)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process on 127.0.0.1, killed when the `with` block ends."""

    def __init__(self, name, workers):
        self.name = name
        if name == "redis":
            self.port = free_port()
            self.proc = subprocess.Popen(
                ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                 "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.wait_ready()
            return
        exe = {"runtime": "kv", "tokio": "bench_kv_tokio"}[name]
        env = {**os.environ, "RUNTIME_WORKERS": str(workers)}
        self.proc = subprocess.Popen([os.path.join(EXAMPLES, exe), "127.0.0.1:0"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stderr.readline()
        if "listening on" not in line:
            sys.exit(f"{name} did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])
        # Nothing more is read from stderr: let it go nowhere instead of filling the pipe.
        self.proc.stderr.close()

    def wait_ready(self):
        """Waits until the server answers PING (Redis loads for a moment after it starts)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        sys.exit(f"{self.name} did not answer PING")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=60)


def bench(server, args):
    """requests/s of SET and GET, from one redis-benchmark run against `server`."""
    out = subprocess.run(
        ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-c", str(args.clients),
         "-P", str(args.pipeline), "-t", "set,get", "-n", str(args.requests), "-q"],
        capture_output=True, text=True, timeout=3600).stdout
    if server.proc.poll() is not None:
        sys.exit(f"{server.name} died under the load (exit status {server.proc.returncode})")
    found = {cmd: float(rps) for cmd, rps in RESULT.findall(out.replace("\r", "\n"))}
    if set(found) != {"SET", "GET"}:
        sys.exit(f"no result from redis-benchmark against {server.name}:\n{out}")
    return found


def table(results):
    ref = {cmd: statistics.median(r[cmd] for r in results[REFERENCE]) for cmd in ("SET", "GET")}
    lines = ["| server | SET req/s | GET req/s | SET vs tokio | GET vs tokio |",
             "|---|---:|---:|---:|---:|"]
    for name, runs in results.items():
        m = {cmd: statistics.median(r[cmd] for r in runs) for cmd in ("SET", "GET")}
        lines.append(f"| {name} | {m['SET']:.0f} | {m['GET']:.0f} "
                     f"| {ratio(m['SET'], ref['SET'])} | {ratio(m['GET'], ref['GET'])} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("-c", "--clients", type=int, default=1000)
    parser.add_argument("-P", "--pipeline", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count(),
                        help="RUNTIME_WORKERS of kv and bench_kv_tokio (Redis runs its own way)")
    parser.add_argument("--write", action="store_true", help="put the table into BENCHMARKS.md")
    args = parser.parse_args()
    for tool in ("redis-benchmark", "redis-server"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: run benches/install-tools.sh")
    # A thousand clients and as many server connections: the servers and redis-benchmark
    # inherit the raised limit.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    subprocess.run(["cargo", "build", "--release", "--example", "kv",
                    "--example", "bench_kv_tokio"], cwd=ROOT, check=True)
    results = {"runtime": [], "tokio": [], "redis": []}
    for round_ in range(args.rounds):
        for name, runs in results.items():
            with Server(name, args.workers) as server:
                runs.append(bench(server, args))
            print(f"round {round_ + 1} {name}: {runs[-1]}", flush=True)
    text = table(results)
    print(text)
    if args.write:
        stamp = (f"Run of `python3 benches/redis_compare.py -n {args.requests} --rounds "
                 f"{args.rounds} -c {args.clients} -P {args.pipeline} --workers {args.workers}` "
                 f"on {time.strftime('%Y-%m-%d')}: medians of {args.rounds} alternating rounds.")
        splice_into_benchmarks_md("redis", f"{stamp}\n\n{text}")


if __name__ == "__main__":
    main()
