#!/usr/bin/env python3
"""HTTP/2 under h2load: the runtime's `hyper_hello --h2` against the same hyper service on
tokio's multi-thread runtime (`bench_hyper_tokio --h2`).

Both serve HTTP/2 with prior knowledge (no TLS) and hyper's default settings; each stream is
a task on its runtime's executor (`runtime::hyper::Executor` here, which spawns on the loop
that owns the connection). For each workload (connections x concurrent streams per
connection) and worker count, the two servers take turns for several rounds (A B, A B, ...),
each a fresh process under a fresh `h2load` run; the medians of requests/s, mean request time
and server CPU per request are reported with their ratio to tokio.

    python3 benches/h2_compare.py                   # 5 rounds of 5 s
    python3 benches/h2_compare.py --rounds 2 --secs 3 --write

Needs h2load (Debian: nghttp2-client; see benches/install-tools.sh). `python3
benches/compare.py` runs it as part of the whole suite.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

from compare import (ROOT, Server, confined, ex, median_of, raise_nofile, ratio,
                     splice_into_benchmarks_md)

SERVERS = {
    "runtime": (lambda mode: [ex("hyper_hello"), "--h2"], {}),
    "tokio": (lambda mode: [ex("bench_hyper_tokio"), "--h2"], {}),
}
REFERENCE = "tokio"
# (connections, concurrent streams per connection): few connections carrying many streams,
# as behind a proxy or between services, and many connections with a few streams each.
WORKLOADS = [(16, 64), (256, 4)]
FINISHED = re.compile(r"finished in [\d.]+s, ([\d.]+) req/s")
SUCCEEDED = re.compile(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded")
REQUEST_TIME = re.compile(r"time for request:\s+(\S+)\s+(\S+)\s+(\S+)")


def duration_us(text):
    for unit, scale in (("us", 1), ("ms", 1e3), ("s", 1e6)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * scale
    return float(text)


def h2load(addr, conns, streams, secs):
    """One h2load run: requests/s, succeeded requests and mean request time in µs."""
    # h2load takes whole seconds (`-D 5.0` is an error).
    duration = str(max(1, round(secs)))
    run = subprocess.run(
        confined("client", ["h2load", "-t", "1", "-c", str(conns), "-m", str(streams),
                            "-D", duration, "--warm-up-time", "1", f"http://{addr}/"]),
        capture_output=True, text=True, preexec_fn=raise_nofile)
    if run.returncode != 0:
        sys.exit(f"h2load failed (exit {run.returncode}):\n{run.stdout}{run.stderr}")
    text = run.stdout
    rps, ok, mean = FINISHED.search(text), SUCCEEDED.search(text), REQUEST_TIME.search(text)
    if not (rps and ok and mean):
        sys.exit(f"no result from h2load:\n{text}")
    return float(rps.group(1)), int(ok.group(1)), duration_us(mean.group(3))


def run(rounds, secs, workers_list):
    """Every workload on every worker count; `None` when h2load is not installed."""
    if not shutil.which("h2load"):
        print("h2load not installed: skipping HTTP/2 (benches/install-tools.sh)")
        return None
    out = {}
    for workers in workers_list:
        for conns, streams in WORKLOADS:
            key = (f"{conns} conns x {streams} streams, "
                   f"{workers} worker{'s' if workers > 1 else ''}")
            results = out.setdefault(key, {name: [] for name in SERVERS})
            for _ in range(rounds):
                for name in SERVERS:
                    with Server(name, "h2", workers, servers=SERVERS) as server:
                        before = server.cpu()
                        rps, ok, mean = h2load(server.addr, conns, streams, secs)
                        after = server.cpu()
                    cpu = sum(after) - sum(before)
                    results[name].append({"rps": rps, "mean": mean,
                                          "cpu_us": cpu * 1e6 / max(ok, 1)})
            print(key, {n: median_of(r, "rps") for n, r in results.items()}, flush=True)
    return out


def tables(results):
    lines = []
    for key, runs in (results or {}).items():
        ref = runs[REFERENCE]
        lines += [f"### HTTP/2: {key}", "",
                  "| server | req/s | mean µs | CPU µs/req | req/s vs tokio | mean vs tokio "
                  "| CPU vs tokio |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, server_runs in runs.items():
            m = {f: median_of(server_runs, f) for f in ("rps", "mean", "cpu_us")}
            lines.append(f"| {name} | {m['rps']:.0f} | {m['mean']:.0f} | {m['cpu_us']:.1f} | "
                         + " | ".join(ratio(m[f], median_of(ref, f))
                                      for f in ("rps", "mean", "cpu_us")) + " |")
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--secs", type=int, default=5)
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--write", action="store_true", help="put the tables into BENCHMARKS.md")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--example", "hyper_hello",
                    "--example", "bench_hyper_tokio"], cwd=ROOT, check=True)
    results = run(args.rounds, args.secs, [int(w) for w in args.workers.split(",")])
    text = tables(results)
    print(text)
    if args.write and results:
        stamp = (f"Run of `python3 benches/h2_compare.py --rounds {args.rounds} --secs "
                 f"{args.secs} --workers {args.workers}` on {time.strftime('%Y-%m-%d')}: "
                 f"medians of {args.rounds} alternating rounds of {args.secs} s each.")
        splice_into_benchmarks_md("h2", f"{stamp}\n\n{text}")


if __name__ == "__main__":
    main()
