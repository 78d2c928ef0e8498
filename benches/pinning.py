#!/usr/bin/env python3
"""Pinned against unpinned: a 1-worker server with its loop pinned to CPU 0 (`RUNTIME_PIN=1`)
or left to the kernel, while the load generator is confined to the other CPUs
(`taskset -c 1-`), so the question is only whether the loop's thread keeps its core.

Unpinned, the kernel may move the loop (and the thread waiting in `main`) onto the load
generator's CPU, where they take turns with it; pinned, the loop stays on CPU 0, which it
shares with nothing busy. The tokio servers, never pinned here, run alongside as a reference.
Servers alternate round by round (as in `benches/compare.py`); medians of throughput, p50,
p99 and server CPU per request.

    python3 benches/pinning.py                  # 5 rounds of 5 s
    python3 benches/pinning.py --rounds 3 --secs 3 --write

`python3 benches/compare.py` runs it as part of the whole suite.
"""

import argparse
import os
import shutil
import sys
import time

import compare
from compare import Server, load, median_of, ratio, runtime_example

SERVERS = {
    "unpinned": (runtime_example, compare.NO_IDLE_TIMEOUT),
    "pinned": (runtime_example, {**compare.NO_IDLE_TIMEOUT, "RUNTIME_PIN": "1"}),
    "tokio-mt": compare.SERVERS["tokio-mt"],
    "tokio-tpc": compare.SERVERS["tokio-tpc"],
}
REFERENCE = "unpinned"
WORKLOADS = [("echo", 100), ("echo", 1000), ("http", 256), ("http", 1000)]


def unavailable():
    """Why this comparison cannot run here, or `None`: it needs a CPU for the loop and others
    for the load generator, and taskset to keep the generator off the loop's."""
    if (os.cpu_count() or 1) < 2:
        return "needs two CPUs: one for the server's loop, the rest for the load generator"
    if not shutil.which("taskset"):
        return "taskset is missing (Debian: util-linux)"
    return None


def run(loadgen, rounds, secs):
    """Every workload, servers alternating round by round; `None` (with a note) when
    `unavailable`. The load generator is confined to CPUs 1- and the servers left to the
    kernel for the run, whatever CPU sets the caller had (compare.py's `--client-cpus`)."""
    reason = unavailable()
    if reason:
        print(f"skipping pinned against unpinned: {reason}")
        return None
    saved = dict(compare.CPUS)
    compare.CPUS.update(server="", client=f"1-{os.cpu_count() - 1}")
    try:
        return run_workloads(loadgen, rounds, secs)
    finally:
        compare.CPUS.update(saved)


def run_workloads(loadgen, rounds, secs):
    """The runs per workload and server, the CPU sets in place."""
    results = {}
    for mode, conns in WORKLOADS:
        key = f"{mode} {conns} conns, 1 worker"
        runs = results.setdefault(key, {name: [] for name in SERVERS})
        for _ in range(rounds):
            for name in SERVERS:
                with Server(name, mode, 1, servers=SERVERS) as server:
                    before = server.cpu()
                    res = load(loadgen, server.addr, mode, conns, secs=secs)
                    after = server.cpu()
                runs[name].append({"rps": res["rps"], "p50": res["p50_us"],
                                   "p99": res["p99_us"],
                                   "cpu_us": (sum(after) - sum(before)) * 1e6
                                   / max(res["total"], 1)})
        print(key, {n: median_of(r, "rps") for n, r in runs.items()}, flush=True)
    return results


def tables(results):
    lines = []
    for key, runs in results.items():
        ref = runs[REFERENCE]
        lines += [f"### {key}, load generator on CPUs 1-", "",
                  "| server | req/s | p50 µs | p99 µs | CPU µs/req | req/s vs unpinned "
                  "| p99 vs unpinned |", "|---|---:|---:|---:|---:|---:|---:|"]
        for name, server_runs in runs.items():
            m = {f: median_of(server_runs, f) for f in ("rps", "p50", "p99", "cpu_us")}
            lines.append(f"| {name} | {m['rps']:.0f} | {m['p50']:.0f} | {m['p99']:.0f} | "
                         f"{m['cpu_us']:.1f} | {ratio(m['rps'], median_of(ref, 'rps'))} | "
                         f"{ratio(m['p99'], median_of(ref, 'p99'))} |")
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--secs", type=float, default=5)
    parser.add_argument("--write", action="store_true", help="put the tables into BENCHMARKS.md")
    args = parser.parse_args()
    reason = unavailable()
    if reason:
        sys.exit(reason)
    loadgen = compare.build()
    results = run(loadgen, args.rounds, args.secs)
    text = tables(results)
    print(text)
    if args.write:
        stamp = (f"Run of `python3 benches/pinning.py --rounds {args.rounds} --secs "
                 f"{args.secs}` on {time.strftime('%Y-%m-%d')}: medians of {args.rounds} "
                 "alternating rounds.")
        compare.splice_into_benchmarks_md("pinning", f"{stamp}\n\n{text}")


if __name__ == "__main__":
    main()
