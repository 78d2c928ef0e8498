#!/usr/bin/env python3
"""The network comparison: this runtime against tokio and a hand-written mio loop.

Each server runs as its own process on a loopback port with the same request handling (the
`echo` and `hello_http` logic); the load generator (benches/loadgen.rs) runs against it, the
server is stopped, and the next one starts: A B C D E, A B C D E, ... for several rounds, so
that the machine's drift hits every server alike. Per server and workload it reports the
median throughput, p50 and p99 latency, server CPU time per request (user and system, from
/proc/PID/stat) and each figure's ratio to tokio multi-thread. It also counts system calls
per request (strace), user-space instructions per echo round trip and, under load, per
request with first-level data cache misses (callgrind), and the memory each idle connection
costs, then writes BENCHMARKS.md and the chart.

    python3 benches/compare.py                  # the full suite (about 40 minutes)
    python3 benches/compare.py --rounds 3 --secs 3   # a quicker pass
"""

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "target", "release", "examples")
RESULTS = os.path.join(ROOT, "benches", "results")

# name -> (command for a mode, extra environment)
# The runtime's examples close idle connections (a timer per read); the reference servers do
# not, so the comparison turns that off.
NO_IDLE_TIMEOUT = {"IDLE_TIMEOUT_SECS": "0"}
SERVERS = {
    "runtime": (lambda mode: runtime_example(mode), NO_IDLE_TIMEOUT),
    # Stealing and stand-ins off: each loop a thread-per-core server of its own.
    "runtime-nosteal": (lambda mode: runtime_example(mode),
                        {**NO_IDLE_TIMEOUT, "RUNTIME_STEALING": "0", "RUNTIME_STAND_IN": "0"}),
    "tokio-mt": (lambda mode: [ex("bench_tokio_mt"), mode], {}),
    "tokio-tpc": (lambda mode: [ex("bench_tokio_tpc"), mode], {}),
    "mio": (lambda mode: [ex("bench_mio"), mode], {}),
}
REFERENCE = "tokio-mt"
# hyper's "hello world": the runtime's `hyper_hello` example and the same on tokio (wrk only).
HYPER_SERVERS = {
    "runtime": (lambda mode: [ex("hyper_hello")], {}),
    "tokio": (lambda mode: [ex("bench_hyper_tokio")], {}),
}
WORKLOADS = [("echo", 100), ("echo", 1000), ("http", 256), ("http", 1000)]


# CPU sets for the server and the load generator (`--server-cpus`, `--client-cpus`): empty,
# both run wherever the kernel puts them; set, each is confined with `taskset`, so that on a
# machine with more cores the two never share one.
CPUS = {"server": "", "client": ""}


def confined(role, cmd):
    """`cmd` under `taskset -c` with `role`'s CPU set, if one was given."""
    return (["taskset", "-c", CPUS[role]] if CPUS[role] else []) + list(cmd)


def ex(name):
    return os.path.join(EXAMPLES, name)


def runtime_example(mode):
    """The runtime's own example for a mode (`echo-unbuffered`: `echo --unbuffered`)."""
    return {"echo": [ex("echo")], "http": [ex("hello_http")],
            "echo-unbuffered": [ex("echo"), "--unbuffered"]}[mode]


def raise_nofile():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def build():
    subprocess.run(["cargo", "build", "--release", "--examples"], cwd=ROOT, check=True)
    out = subprocess.run(
        ["cargo", "bench", "--no-run", "--bench", "loadgen", "--message-format=json"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and \
                msg["target"]["name"] == "loadgen":
            return msg["executable"]
    sys.exit("the load generator did not build")


class Server:
    """A server process on 127.0.0.1, stopped when the `with` block ends."""

    def __init__(self, name, mode, workers, wrap=(), servers=None):
        cmd, env = (servers or SERVERS)[name]
        self.proc = subprocess.Popen(
            confined("server", list(wrap) + cmd(mode) + ["127.0.0.1:0"]),
            env={**os.environ, **env, "RUNTIME_WORKERS": str(workers)},
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            preexec_fn=raise_nofile,
            text=True,
        )
        line = self.proc.stderr.readline()
        while "listening on" not in line:
            if not line:
                sys.exit(f"{name} did not start")
            line = self.proc.stderr.readline()
        self.addr = line.split()[-1]
        self.pid = self.proc.pid

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop(signal.SIGKILL)

    def stop(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=60)

    def cpu(self):
        """User and system CPU seconds so far."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick

    def rss_kib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def load(loadgen, addr, mode, conns, secs=None, requests=None):
    args = [loadgen, "--addr", addr, "--mode", mode, "--conns", str(conns)]
    args += ["--requests", str(requests)] if requests else ["--secs", str(secs)]
    out = subprocess.run(confined("client", args), check=True, capture_output=True,
                         text=True, preexec_fn=raise_nofile).stdout
    return json.loads(out.strip().splitlines()[-1])


def network(loadgen, rounds, secs, workers_list):
    results = {}
    for workers in workers_list:
        for mode, conns in WORKLOADS:
            key = f"{mode} {conns} conns, {workers} worker{'s' if workers > 1 else ''}"
            runs = results.setdefault(key, {name: [] for name in SERVERS})
            for r in range(rounds):
                for name in SERVERS:
                    with Server(name, mode, workers) as server:
                        before = server.cpu()
                        res = load(loadgen, server.addr, mode, conns, secs=secs)
                        after = server.cpu()
                    total = max(res["total"], 1)
                    runs[name].append({
                        "rps": res["rps"],
                        "p50": res["p50_us"],
                        "p99": res["p99_us"],
                        "user_us": (after[0] - before[0]) * 1e6 / total,
                        "sys_us": (after[1] - before[1]) * 1e6 / total,
                        "errors": res["errors"],
                    })
                    print(f"{key:32} round {r + 1} {name:16} {res['rps']:>9.0f} req/s "
                          f"p50 {res['p50_us']:>6} us p99 {res['p99_us']:>7} us", flush=True)
    return results


def median_of(runs, field):
    return statistics.median(run[field] for run in runs)


def syscalls_per_request(loadgen, requests):
    """strace attached to a 1-worker server while it answers `requests` echo round trips over
    100 connections; counts every system call of every thread."""
    out = {}
    if not shutil.which("strace"):
        return out
    for name in ["runtime", "tokio-mt", "tokio-tpc", "mio"]:
        with Server(name, "echo", 1) as server:
            log = os.path.join(RESULTS, f".strace-{name}")
            tracer = subprocess.Popen(["strace", "-c", "-f", "-o", log, "-p", str(server.pid)],
                                      stderr=subprocess.DEVNULL)
            time.sleep(1)
            load(loadgen, server.addr, "echo", 100, requests=requests)
            tracer.send_signal(signal.SIGINT)
            tracer.wait(timeout=60)
        calls = 0
        with open(log) as f:
            for line in f:
                if line.strip().endswith("total"):
                    calls = int(line.split()[3])
        os.remove(log)
        out[name] = calls / requests
    return out


def callgrind_per_request(loadgen, conns, small, large, cache=False):
    """User-space events of a 1-worker echo server under callgrind, over `conns` connections:
    the difference between a run of `large` requests and one of `small`, per request, so
    start-up and shutdown cancel out. `Ir` is instructions; with `cache`, callgrind's cache
    model also counts first-level data misses (`D1m`: reads and writes)."""
    out = {}
    if not shutil.which("valgrind"):
        return out
    for name in ["runtime", "tokio-mt", "tokio-tpc", "mio"]:
        totals = []
        for requests in (small, large):
            log = os.path.join(RESULTS, f".callgrind-{name}")
            wrap = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={log}"]
            wrap += ["--cache-sim=yes"] if cache else []
            server = Server(name, "echo", 1, wrap=wrap)
            load(loadgen, server.addr, "echo", conns, requests=requests)
            server.stop(signal.SIGTERM)
            with open(log) as f:
                lines = f.read().splitlines()
            os.remove(log)
            events = next(line.split()[1:] for line in lines if line.startswith("events:"))
            counts = next(line.split()[1:] for line in lines
                          if line.startswith(("summary:", "totals:")))
            counts = dict(zip(events, map(int, counts)))
            counts["D1m"] = counts.get("D1mr", 0) + counts.get("D1mw", 0)
            totals.append(counts)
        wanted = ("Ir", "D1m") if cache else ("Ir",)
        out[name] = {event: (totals[1][event] - totals[0][event]) / (large - small)
                     for event in wanted}
    return out


def idle_memory(conns):
    """RSS growth of a 1-worker echo server per idle connection, with the buffered handler
    (every server) and with the one that holds no buffer while idle (this runtime and tokio)."""
    out = {}
    raise_nofile()
    runs = [(name, "echo") for name in ["runtime", "tokio-mt", "tokio-tpc", "mio"]]
    runs += [(name, "echo-unbuffered") for name in ["runtime", "tokio-mt"]]
    for name, mode in runs:
        with Server(name, mode, 1) as server:
            host, port = server.addr.rsplit(":", 1)
            time.sleep(0.5)
            before = server.rss_kib()
            socks = []
            for _ in range(conns):
                s = socket.create_connection((host, int(port)))
                socks.append(s)
            # Every connection accepted and its task waiting for data.
            for s in socks[-10:]:
                s.sendall(b"x")
                s.recv(1)
            time.sleep(1)
            after = server.rss_kib()
            for s in socks:
                s.close()
        out.setdefault(mode, {})[name] = (after - before) * 1024 / conns
    return out


def wrk(rounds, secs, workers_list, servers=None):
    """wrk against the HTTP servers (`servers`, or the network comparison's), alternating as
    the load generator's runs do; `None` when wrk is not installed (benches/install-tools.sh
    installs it)."""
    servers = servers or SERVERS
    if not shutil.which("wrk"):
        print("wrk not installed: skipping its figures (benches/install-tools.sh)")
        return None
    out = {}
    for workers in workers_list:
        for conns in (256, 1000):
            key = f"http {conns} conns, {workers} worker{'s' if workers > 1 else ''}"
            results = out.setdefault(key, {name: [] for name in servers})
            for _ in range(rounds):
                for name in servers:
                    with Server(name, "http", workers, servers=servers) as server:
                        results[name].append(run_wrk(server.addr, conns, secs))
            print(key, {n: median_of(r, "rps") for n, r in results.items()}, flush=True)
    return out


def run_wrk(addr, conns, secs):
    """One wrk run: requests per second and p99 latency in µs."""
    text = subprocess.run(
        confined("client", ["wrk", "-t", "1", "-c", str(conns), "-d",
                            f"{max(1, round(secs))}s", "--latency", f"http://{addr}/"]),
        check=True, capture_output=True, text=True,
        preexec_fn=raise_nofile).stdout
    rps, p99 = 0.0, 0.0
    for line in text.splitlines():
        fields = line.split()
        if line.startswith("Requests/sec:"):
            rps = float(fields[1])
        elif fields[:1] == ["99%"]:
            p99 = wrk_duration_us(fields[1])
    return {"rps": rps, "p99": p99}


def wrk_duration_us(text):
    for unit, scale in (("us", 1), ("ms", 1e3), ("s", 1e6)):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * scale
    return float(text)


def micro():
    """The criterion micro-benchmarks, each case on both runtimes: a table with ratios."""
    out = subprocess.run(
        ["cargo", "bench", "--bench", "micro", "--", "--output-format", "bencher"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    times = {}
    for line in out.splitlines():
        if line.startswith("test ") and " bench: " in line:
            name = line.split()[1]
            ns = int(line.split("bench:")[1].split("ns/iter")[0].replace(",", "").strip())
            case, runtime = name.split("/")
            times.setdefault(case, {})[runtime] = ns
    lines = ["| case | runtime | tokio | runtime / tokio |", "|---|---:|---:|---:|"]
    for case, t in times.items():
        lines.append(f"| {case} | {fmt_ns(t['runtime'])} | {fmt_ns(t['tokio'])} "
                     f"| {ratio(t['runtime'], t['tokio'])} |")
    return "\n".join(lines)


def fmt_ns(ns):
    return f"{ns / 1e6:.3f} ms" if ns >= 1e6 else f"{ns / 1e3:.1f} µs"


def ratio(value, reference):
    return f"{value / reference:.2f}x" if reference else "-"


def wrk_tables(title, results, reference):
    """One table per workload of wrk runs: medians and their ratio to `reference`."""
    lines = []
    for key, runs in (results or {}).items():
        ref = runs[reference]
        lines += [f"### {title}: {key}", "", "| server | req/s | p99 µs | req/s vs tokio "
                  "| p99 vs tokio |", "|---|---:|---:|---:|---:|"]
        for name, server_runs in runs.items():
            rps, p99 = median_of(server_runs, "rps"), median_of(server_runs, "p99")
            lines.append(f"| {name} | {rps:.0f} | {p99:.0f} | "
                         f"{ratio(rps, median_of(ref, 'rps'))} | "
                         f"{ratio(p99, median_of(ref, 'p99'))} |")
        lines.append("")
    return lines


def write_report(args, network_results, syscalls, instructions, under_load, memory,
                 wrk_results, hyper_results):
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "network.json"), "w") as f:
        json.dump({"network": network_results, "syscalls": syscalls,
                   "instructions": instructions, "under_load": under_load,
                   "idle_memory": memory,
                   "wrk": wrk_results, "hyper_wrk": hyper_results}, f, indent=1)
    lines = []
    for key, runs in network_results.items():
        ref = runs[REFERENCE]
        lines += [f"### {key}", "",
                  "| server | req/s | p50 µs | p99 µs | user µs/req | sys µs/req "
                  "| req/s vs tokio | p99 vs tokio | user CPU vs tokio |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for name, server_runs in runs.items():
            m = {f: median_of(server_runs, f) for f in ("rps", "p50", "p99", "user_us", "sys_us")}
            r = {f: median_of(ref, f) for f in ("rps", "p99", "user_us")}
            lines.append(
                f"| {name} | {m['rps']:.0f} | {m['p50']:.0f} | {m['p99']:.0f} "
                f"| {m['user_us']:.2f} | {m['sys_us']:.2f} | {ratio(m['rps'], r['rps'])} "
                f"| {ratio(m['p99'], r['p99'])} | {ratio(m['user_us'], r['user_us'])} |")
        lines.append("")
    if syscalls:
        lines += ["### System calls per echo request (1 worker, 100 connections)", "",
                  "| server | syscalls/request | vs tokio |", "|---|---:|---:|"]
        lines += [f"| {n} | {v:.2f} | {ratio(v, syscalls.get(REFERENCE))} |"
                  for n, v in syscalls.items()]
        lines.append("")
    if instructions:
        lines += ["### User-space instructions per echo round trip (callgrind, 1 worker)", "",
                  "| server | instructions | vs tokio |", "|---|---:|---:|"]
        ref = instructions.get(REFERENCE, {}).get("Ir")
        lines += [f"| {n} | {v['Ir']:.0f} | {ratio(v['Ir'], ref)} |"
                  for n, v in instructions.items()]
        lines.append("")
    if under_load:
        ref = under_load.get(REFERENCE, {})
        lines += ["### User-space instructions and cache misses per echo request under load "
                  "(callgrind with its cache model, 1 worker, 1,000 connections)", "",
                  "| server | instructions | L1 data misses | instructions vs tokio "
                  "| misses vs tokio |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {n} | {v['Ir']:.0f} | {v['D1m']:.1f} | {ratio(v['Ir'], ref.get('Ir'))} "
                  f"| {ratio(v['D1m'], ref.get('D1m'))} |" for n, v in under_load.items()]
        lines.append("")
    titles = {"echo": "the echo handler, with its 4 KiB buffer",
              "echo-unbuffered": "a handler holding no buffer while idle (`echo --unbuffered`)"}
    for mode, by_server in (memory or {}).items():
        lines += [f"### Memory per idle connection ({args.idle_conns} connections, "
                  f"{titles[mode]})", "",
                  "| server | bytes/connection | vs tokio |", "|---|---:|---:|"]
        lines += [f"| {n} | {v:.0f} | {ratio(v, by_server.get(REFERENCE))} |"
                  for n, v in by_server.items()]
        lines.append("")
    lines += wrk_tables("wrk", wrk_results, REFERENCE)
    lines += wrk_tables("hyper on wrk", hyper_results, "tokio")
    with open(os.path.join(RESULTS, "network.md"), "w") as f:
        f.write("\n".join(lines))
    write_chart(network_results)
    stamp = (f"Run of `python3 benches/compare.py --rounds {args.rounds} --secs {args.secs} "
             f"--workers {args.workers}` on {time.strftime('%Y-%m-%d')}: medians of "
             f"{args.rounds} alternating rounds of {args.secs} s each.")
    splice_into_benchmarks_md("network", f"{stamp}\n\n" + "\n".join(lines))


def splice_into_benchmarks_md(section, content):
    """Replaces what stands between the section's markers in BENCHMARKS.md."""
    path = os.path.join(ROOT, "BENCHMARKS.md")
    with open(path) as f:
        text = f.read()
    begin, end = f"<!-- {section}:begin -->", f"<!-- {section}:end -->"
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    with open(path, "w") as f:
        f.write(f"{head}{begin}\n{content}\n{end}{tail}")


def write_chart(network_results):
    """Two panels of grouped bars: throughput and p99 latency per server per workload."""
    names = list(SERVERS)
    colors = ["#1f77b4", "#aec7e8", "#d62728", "#ff9896", "#2ca02c"]
    keys = list(network_results)
    width, panel_h, left, top = 900, 260, 60, 40
    group_w = (width - left - 20) / max(len(keys), 1)
    bar_w = group_w * 0.8 / len(names)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{2 * panel_h + 160}" font-family="sans-serif" font-size="10">',
           '<rect width="100%" height="100%" fill="white"/>']
    for panel, (field, title) in enumerate([("rps", "throughput (req/s, higher is better)"),
                                             ("p99", "p99 latency (µs, lower is better)")]):
        y0 = top + panel * (panel_h + 40)
        peak = max(median_of(runs[n], field) for runs in network_results.values()
                   for n in names) or 1
        svg.append(f'<text x="{left}" y="{y0 - 10}" font-size="13">{title}</text>')
        svg.append(f'<line x1="{left}" y1="{y0 + panel_h}" x2="{width - 20}" '
                   f'y2="{y0 + panel_h}" stroke="black"/>')
        for g, key in enumerate(keys):
            for i, n in enumerate(names):
                v = median_of(network_results[key][n], field)
                h = panel_h * v / peak
                x = left + g * group_w + i * bar_w
                svg.append(f'<rect x="{x:.1f}" y="{y0 + panel_h - h:.1f}" width="{bar_w:.1f}" '
                           f'height="{h:.1f}" fill="{colors[i % len(colors)]}">'
                           f'<title>{n} {key}: {v:.0f}</title></rect>')
            if panel == 1:
                label = key.replace(" conns, ", "/").replace(" workers", "w").replace(
                    " worker", "w")
                svg.append(f'<text x="{left + g * group_w + group_w * 0.4:.1f}" '
                           f'y="{y0 + panel_h + 14}" text-anchor="middle">{label}</text>')
    for i, n in enumerate(names):
        y = 2 * panel_h + 130
        svg.append(f'<rect x="{left + i * 150}" y="{y - 9}" width="10" height="10" '
                   f'fill="{colors[i % len(colors)]}"/>')
        svg.append(f'<text x="{left + i * 150 + 14}" y="{y}">{n}</text>')
    svg.append("</svg>")
    with open(os.path.join(RESULTS, "network.svg"), "w") as f:
        f.write("\n".join(svg))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--secs", type=float, default=5)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--requests", type=int, default=50_000,
                        help="round trips for the strace and callgrind counts")
    parser.add_argument("--idle-conns", type=int, default=10_000)
    parser.add_argument("--skip-micro", action="store_true")
    parser.add_argument("--server-cpus", default="",
                        help="CPU list (taskset -c) for the servers, e.g. 0-15")
    parser.add_argument("--client-cpus", default="",
                        help="CPU list (taskset -c) for the load generators, e.g. 16-31")
    args = parser.parse_args()
    CPUS["server"], CPUS["client"] = args.server_cpus, args.client_cpus
    os.makedirs(RESULTS, exist_ok=True)
    loadgen = build()
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}"
    print(f"machine: {machine}")
    splice_into_benchmarks_md("machine", machine)
    if not args.skip_micro:
        table = micro()
        print(table, flush=True)
        splice_into_benchmarks_md("micro", table)
    network_results = network(loadgen, args.rounds, args.secs,
                              [int(w) for w in args.workers.split(",")])
    syscalls = syscalls_per_request(loadgen, args.requests)
    print("syscalls per request:", syscalls, flush=True)
    instructions = callgrind_per_request(loadgen, 1, args.requests // 10, args.requests // 5)
    print("instructions per round trip:", instructions, flush=True)
    under_load = callgrind_per_request(loadgen, 1000, 20_000, 60_000, cache=True)
    print("instructions and misses per request, 1,000 connections:", under_load, flush=True)
    memory = idle_memory(args.idle_conns)
    print("bytes per idle connection:", memory, flush=True)
    workers = [int(w) for w in args.workers.split(",")]
    wrk_results = wrk(args.rounds, args.secs, workers)
    hyper_results = wrk(args.rounds, args.secs, workers, servers=HYPER_SERVERS)
    write_report(args, network_results, syscalls, instructions, under_load, memory,
                 wrk_results, hyper_results)
    print(f"wrote {RESULTS}/network.md, network.svg and network.json")


if __name__ == "__main__":
    main()
