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
benches/install-tools.sh). `python3 benches/compare.py` runs it as part of the whole suite.
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
# redis-benchmark's load: requests per command, clients, requests in flight per client.
REQUESTS, CLIENTS, PIPELINE = 1_000_000, 1000, 16
TOOLS = ("redis-benchmark", "redis-server")
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


def bench(server, requests, clients, pipeline):
    """requests/s of SET and GET, from one redis-benchmark run against `server`."""
    out = subprocess.run(
        ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-c", str(clients),
         "-P", str(pipeline), "-t", "set,get", "-n", str(requests), "-q"],
        capture_output=True, text=True, timeout=3600).stdout
    if server.proc.poll() is not None:
        sys.exit(f"{server.name} died under the load (exit status {server.proc.returncode})")
    found = {cmd: float(rps) for cmd, rps in RESULT.findall(out.replace("\r", "\n"))}
    if set(found) != {"SET", "GET"}:
        sys.exit(f"no result from redis-benchmark against {server.name}:\n{out}")
    return found


def missing_tools():
    """The tools this comparison needs that are not installed."""
    return [tool for tool in TOOLS if not shutil.which(tool)]


def run(rounds, requests=REQUESTS, clients=CLIENTS, pipeline=PIPELINE, workers=None):
    """Every server in turn for `rounds` rounds (the examples already built); the runs per
    server, or `None` when redis-benchmark or redis-server is not installed. `workers`: the
    runtimes' RUNTIME_WORKERS, one per CPU by default."""
    missing = missing_tools()
    if missing:
        print(f"{', '.join(missing)} not installed: skipping the Redis protocol "
              "(benches/install-tools.sh)")
        return None
    # A thousand clients and as many server connections: the servers and redis-benchmark
    # inherit the raised limit.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    results = {"runtime": [], "tokio": [], "redis": []}
    for round_ in range(rounds):
        for name, runs in results.items():
            with Server(name, workers or os.cpu_count()) as server:
                runs.append(bench(server, requests, clients, pipeline))
            print(f"round {round_ + 1} {name}: {runs[-1]}", flush=True)
    return results


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
    parser.add_argument("-n", "--requests", type=int, default=REQUESTS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("-c", "--clients", type=int, default=CLIENTS)
    parser.add_argument("-P", "--pipeline", type=int, default=PIPELINE)
    parser.add_argument("--workers", type=int, default=os.cpu_count(),
                        help="RUNTIME_WORKERS of kv and bench_kv_tokio (Redis runs its own way)")
    parser.add_argument("--write", action="store_true", help="put the table into BENCHMARKS.md")
    args = parser.parse_args()
    missing = missing_tools()
    if missing:
        sys.exit(f"{' and '.join(missing)} missing: run benches/install-tools.sh")
    subprocess.run(["cargo", "build", "--release", "--example", "kv",
                    "--example", "bench_kv_tokio"], cwd=ROOT, check=True)
    results = run(args.rounds, args.requests, args.clients, args.pipeline, args.workers)
    text = table(results)
    print(text)
    if args.write:
        stamp = (f"Run of `python3 benches/redis_compare.py -n {args.requests} --rounds "
                 f"{args.rounds} -c {args.clients} -P {args.pipeline} --workers {args.workers}` "
                 f"on {time.strftime('%Y-%m-%d')}: medians of {args.rounds} alternating rounds.")
        splice_into_benchmarks_md("redis", f"{stamp}\n\n{text}")


if __name__ == "__main__":
    main()
