#!/usr/bin/env python3
"""The network comparison: this runtime against tokio and a hand-written mio loop.

Each server runs as its own process on a loopback port with the same request handling (the
`echo` and `hello_http` logic); the load generator (benches/loadgen.rs) runs against it, the
server is stopped, and the next one starts: A B C D E, A B C D E, ... for several rounds, so
that the machine's drift hits every server alike. Per server and workload it reports the median
throughput, p50 and p99 latency, server CPU time per request (user and system, from
/proc/PID/stat) and each figure's ratio to tokio multi-thread. It also counts system calls per
request (strace), user-space instructions per echo round trip and, under load, per request with
first-level data cache misses (callgrind), and the memory each idle connection costs, then
writes BENCHMARKS.md and the chart (network.svg). It goes on with the comparisons that also run
alone, each into its own section of BENCHMARKS.md: HTTP/2 under h2load (benches/h2_compare.py),
the Redis protocol under redis-benchmark (benches/redis_compare.py) and a pinned loop against
an unpinned one (benches/pinning.py); then the skewed workloads, with a chart of their own
(skew.svg). Whatever lacks its tool (wrk, strace, valgrind, h2load, redis-benchmark, taskset)
is skipped with a note.

The skewed workloads. The balanced ones give every connection the same work, which a
thread-per-core server handles as well as any; the runtime's design (a loop per core that
steals from its peers, and stands in for a peer stuck in a task) is for the cases where the
work is not balanced. Three workloads measure those, with 2 workers, each server in its skew
mode (`echo --skew`, `echo-skew`: requests carry a marker byte asking for extra work, see
benches/servers/skew.rs):

- `stall`: 200 connections in closed loop; one request every 200 ms (across them) blocks its
  thread for 20 ms, a blocking call made by mistake. Reported: how many light requests each
  stall delayed by 15 ms or more (the connections left behind on the stuck loop), besides
  throughput and latency.
- `long`: open loop at moderate load: 100 light connections sending 5,000 requests/s in all,
  and 4 heavy connections each sending a request that burns 2 ms of CPU every 10 ms; latency
  runs from each request's scheduled send time. Reported per class: throughput,
  p50/p99/p99.9, and the share of light requests that took 1 ms or more (those that waited
  behind a heavy one). The load generator runs at real-time priority (`chrt -f 50`) where
  permitted: at normal priority its own send lag was as large as the effect measured; the
  lag is reported.
- `saturating`: 100 connections in closed loop, 8 of them sending requests that burn 200 µs
  of CPU each: throughput and latency per class, no target.

Besides the servers of the balanced workloads, these run the runtime with re-homing on
(`runtime-rehome`), and the runtime and the per-core tokio server pinned to a core per worker
(`runtime-pinned`, `tokio-tpc-pinned`, with `RUNTIME_PIN=1`).

For each run it also records, per server: the CPU time of each of its threads
(/proc/PID/task/*/stat, utime + stime over the run, as a share of one core; the runtime names
its workers `runtime-<i>`, the reference servers theirs `worker-<i>`), the CPU the load
generator and other processes used meanwhile (from /proc/stat), the runtime's steals
and stand-in turns per request (its Prometheus metrics, served at METRICS_ADDR), the
connections moved per request by `runtime-rehome` (the runtime with `RUNTIME_REHOME=1`), and how
SO_REUSEPORT split the heavy connections between the threads (each server prints, per
connection that had marked requests, the thread it started on and those that ran them).

    python3 benches/compare.py                  # the whole suite (about an hour)
    python3 benches/compare.py --rounds 3 --secs 3   # a quicker pass
    python3 benches/compare.py --only skew --rounds 3 --secs 5   # the skewed workloads only
    python3 benches/compare.py --only h2,redis,pinning   # parts: micro,network,h2,redis,pinning,skew
    python3 benches/compare.py --skip-micro --skip-redis --skip-pinning   # leave some out

Binaries are taken from `$CARGO_TARGET_DIR/release` (`target/release` by default).
"""

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where cargo puts the binaries: $CARGO_TARGET_DIR (relative to the root, where cargo runs) or
# target/.
TARGET = os.path.join(ROOT, os.environ.get("CARGO_TARGET_DIR", "target"))
EXAMPLES = os.path.join(TARGET, "release", "examples")
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
# The skewed workloads also run the runtime with connection re-homing on (`Builder::rehome`),
# the case it exists for, and, pinned to a core each (`RUNTIME_PIN=1`), the runtime and the
# per-core tokio server: unpinned, the kernel often runs an idle loop's thread on the core of
# one busy in a long task, where it waits for the end of that task's time slice before it can
# stand in.
SKEW_SERVERS = {
    **SERVERS,
    "runtime-rehome": (lambda mode: runtime_example(mode),
                       {**NO_IDLE_TIMEOUT, "RUNTIME_REHOME": "1"}),
    "runtime-pinned": (lambda mode: runtime_example(mode),
                       {**NO_IDLE_TIMEOUT, "RUNTIME_PIN": "1"}),
    "tokio-tpc-pinned": (lambda mode: [ex("bench_tokio_tpc"), mode], {"RUNTIME_PIN": "1"}),
}
# hyper's "hello world": the runtime's `hyper_hello` example and the same on tokio (wrk only).
HYPER_SERVERS = {
    "runtime": (lambda mode: [ex("hyper_hello")], {}),
    "tokio": (lambda mode: [ex("bench_hyper_tokio")], {}),
}
WORKLOADS = [("echo", 100), ("echo", 1000), ("http", 256), ("http", 1000)]

# The skewed workloads (see the module doc): the load generator's arguments, on 2 workers.
SKEW_WORKERS = 2
# A light request delayed this long by a stall counts as the stall's victim: three quarters of
# the stall, so it waited for the stall's end rather than for a stand-in (half a millisecond).
STALL_VICTIM_US = 15_000
# A light request this slow in the `long` workload waited behind a heavy one.
SLOW_LIGHT_US = 1_000
# The parts of the suite, in the order a full run takes them (`--only`).
PARTS = ["micro", "network", "h2", "redis", "pinning", "skew"]
SKEW_WORKLOADS = {
    "stall": {
        "title": "stall: 200 connections (closed loop), one request in 200 ms blocks its "
                 "thread for 20 ms",
        "args": ["--conns", "200", "--rare", "stall:20ms", "--rare-every", "200ms",
                 "--over", str(STALL_VICTIM_US)],
    },
    "long": {
        "title": "long requests at moderate load: 100 light connections at 5,000 requests/s "
                 "in all, 4 heavy ones each sending a 2 ms CPU burn every 10 ms (open loop)",
        "args": ["--conns", "104", "--heavy-conns", "4", "--heavy", "burn:2ms",
                 "--heavy-every", "10ms", "--rate", "5000", "--over", str(SLOW_LIGHT_US)],
        "realtime": True,
    },
    "saturating": {
        "title": "saturating skew: 100 connections (closed loop), 8 of them sending requests "
                 "that burn 200 µs of CPU",
        "args": ["--conns", "100", "--heavy-conns", "8", "--heavy", "burn:200us"],
    },
}


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
            "echo-unbuffered": [ex("echo"), "--unbuffered"],
            "echo-skew": [ex("echo"), "--skew"]}[mode]


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

    def __init__(self, name, mode, workers, wrap=(), servers=None, extra_env=None):
        cmd, env = (servers or SERVERS)[name]
        self.proc = subprocess.Popen(
            confined("server", list(wrap) + cmd(mode) + ["127.0.0.1:0"]),
            env={**os.environ, **env, **(extra_env or {}), "RUNTIME_WORKERS": str(workers)},
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
        self.addr = line.split("listening on ")[1].split()[0]
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

    def threads(self):
        """Per thread id: the thread's name (as the kernel keeps it, 15 bytes) and its user
        and system CPU seconds so far."""
        tick = os.sysconf("SC_CLK_TCK")
        out = {}
        for tid in os.listdir(f"/proc/{self.pid}/task"):
            try:
                with open(f"/proc/{self.pid}/task/{tid}/stat") as f:
                    stat = f.read()
            except FileNotFoundError:  # the thread ended meanwhile
                continue
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat.rsplit(")", 1)[1].split()
            out[tid] = (name, (int(fields[11]) + int(fields[12])) / tick)
        return out

    def stderr_after_kill(self, settle=0.5):
        """Everything the server printed to stderr after its banner: waits `settle` seconds
        for the last connections to end, then kills it."""
        time.sleep(settle)
        self.stop(signal.SIGKILL)
        return self.proc.stderr.read()

    def rss_kib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def load(loadgen, addr, mode, conns=None, secs=None, requests=None, extra=(), prefix=()):
    """One load generator run; its JSON line. `extra`: more arguments; `prefix`: a command
    to run it under (`chrt`)."""
    args = list(prefix) + [loadgen, "--addr", addr, "--mode", mode]
    args += ["--conns", str(conns)] if conns else []
    args += ["--requests", str(requests)] if requests else ["--secs", str(secs)]
    out = subprocess.run(confined("client", args + list(extra)), check=True,
                         capture_output=True, text=True, preexec_fn=raise_nofile).stdout
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


def realtime_prefix():
    """`chrt -f 50` if this process may run the load generator at real-time priority, else
    nothing (a container without CAP_SYS_NICE, say)."""
    prefix = ["chrt", "-f", "50"]
    if shutil.which("chrt") and subprocess.run(prefix + ["true"], capture_output=True,
                                               check=False).returncode == 0:
        return prefix
    return []


def free_port():
    """A loopback port nothing listens on now (for a server's METRICS_ADDR)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port):
    """The runtime's counters summed over its workers, from its Prometheus endpoint."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
    totals = {}
    for line in text.decode().splitlines():
        if line.startswith("runtime_worker_") and "_total{" in line:
            name, value = line.split("{", 1)[0], float(line.rsplit(None, 1)[1])
            totals[name] = totals.get(name, 0) + value
    return totals


TALLY = re.compile(r"skew: connection started on (\S+): (\d+) marked requests, run on (.*)")


def tallies(stderr):
    """The servers' per-connection lines (benches/servers/skew.rs): for each connection that
    had marked requests, the thread it started on and its requests per thread that ran them."""
    out = []
    for line in stderr.splitlines():
        m = TALLY.match(line)
        if m:
            ran = dict(pair.rsplit("=", 1) for pair in m.group(3).split())
            out.append({"started_on": m.group(1), "requests": int(m.group(2)),
                        "ran_on": {thread: int(n) for thread, n in ran.items()}})
    return out


def thread_shares(before, after, wall):
    """Each thread's CPU time over the run as a share of one core, busiest first."""
    shares = [(name, (cpu - before.get(tid, (name, 0))[1]) / wall)
              for tid, (name, cpu) in after.items()]
    return sorted(((n, round(v, 3)) for n, v in shares if v > 0), key=lambda t: -t[1])


def machine_cpu():
    """CPU seconds the whole machine has been busy (every CPU, any process or the kernel)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle, iowait = fields[3], fields[4]
    return (sum(fields[:8]) - idle - iowait) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    """CPU seconds of this process's finished children (the load generators)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def skew_run(loadgen, name, workload, secs, prefix):
    """One server under one skewed workload: the load generator's figures, the threads' CPU,
    the runtime's steals and stand-ins, the heavy connections' tallies, and how much CPU
    other processes took meanwhile (the machine's busy time less the server's and the load
    generator's: builds or benchmarks of others on a shared machine)."""
    port = free_port() if name.startswith("runtime") else None
    extra_env = {"METRICS_ADDR": f"127.0.0.1:{port}"} if port else {}
    spec = SKEW_WORKLOADS[workload]
    with Server(name, "echo-skew", SKEW_WORKERS, servers=SKEW_SERVERS,
                extra_env=extra_env) as server:
        counters = scrape(port) if port else None
        threads, start = server.threads(), time.monotonic()
        machine, generator = machine_cpu(), children_cpu()
        res = load(loadgen, server.addr, "echo", secs=secs, extra=spec["args"],
                   prefix=prefix if spec.get("realtime") else ())
        machine, generator = machine_cpu() - machine, children_cpu() - generator
        wall = time.monotonic() - start
        shares = thread_shares(threads, server.threads(), wall)
        if port:
            after = scrape(port)
            counters = {k: after.get(k, 0) - counters.get(k, 0) for k in after}
        conns = tallies(server.stderr_after_kill())
    total = max(res["total"], 1)
    per_request = (lambda metric: counters.get(metric, 0) / total) if port else (lambda _: None)
    server_share = sum(share for _, share in shares)
    return {
        "loadgen": res,
        "threads": shares,
        "loadgen_cpu": round(generator / wall, 3),
        "others_cpu": round(max(machine / wall - server_share - generator / wall, 0), 3),
        "steals_per_request": per_request("runtime_worker_steals_total"),
        "stand_ins_per_request": per_request("runtime_worker_stand_ins_total"),
        "moves_per_request": per_request("runtime_worker_moves_total"),
        "connections": conns,
    }


def skew(loadgen, rounds, secs, workloads):
    """The skewed workloads, servers alternating within each round as `network` does.
    Returns the runs per workload and server, and whether the load generator ran at real-time
    priority where asked to."""
    prefix = realtime_prefix()
    results = {}
    for workload in workloads:
        runs = results.setdefault(workload, {name: [] for name in SKEW_SERVERS})
        for r in range(rounds):
            for name in SKEW_SERVERS:
                run = skew_run(loadgen, name, workload, secs, prefix)
                runs[name].append(run)
                fig = skew_figures(workload, run)
                print(f"skew {workload:10} round {r + 1} {name:16} "
                      + " ".join(f"{k} {v:.4g}" for k, v in fig.items() if v is not None),
                      flush=True)
    return results, bool(prefix)


def skew_figures(workload, run):
    """The figures a skewed run is judged by, flat, for the medians."""
    res, classes = run["loadgen"], run["loadgen"]["classes"]
    light = classes.get("light", {})
    threads = [share for _, share in run["threads"]] + [0, 0]
    fig = {
        "rps": res["rps"],
        "light_rps": light.get("rps", 0),
        "light_p50": light.get("p50_us", 0),
        "light_p99": light.get("p99_us", 0),
        "light_p999": light.get("p999_us", 0),
        "steals": run["steals_per_request"],
        "stand_ins": run["stand_ins_per_request"],
        "moves": run.get("moves_per_request"),
        "cpu_first": threads[0],
        "cpu_second": threads[1],
        "cpu_total": sum(threads),
        "loadgen_cpu": run["loadgen_cpu"],
        "others_cpu": run["others_cpu"],
        "errors": res["errors"],
    }
    if workload == "stall":
        stalls = classes["rare"]["requests"]
        fig["stalls"] = stalls
        fig["stall_p50"] = classes["rare"]["p50_us"]
        fig["victims"] = light["over_us"][str(STALL_VICTIM_US)] / max(stalls, 1)
        stand_ins = run["stand_ins_per_request"]
        fig["stand_ins_per_stall"] = (None if stand_ins is None
                                      else stand_ins * res["total"] / max(stalls, 1))
    else:
        heavy = classes["heavy"]
        fig.update(heavy_rps=heavy["rps"], heavy_p50=heavy["p50_us"], heavy_p99=heavy["p99_us"],
                   heavy_p999=heavy["p999_us"])
        moved = sum(c["requests"] - c["ran_on"].get(c["started_on"], 0)
                    for c in run["connections"])
        fig["heavy_moved"] = moved / max(sum(c["requests"] for c in run["connections"]), 1)
    if workload == "long":
        fig["light_slow"] = light["over_us"][str(SLOW_LIGHT_US)] / max(light["requests"], 1)
        fig["lag_p50"] = res["send_lag_us"]["p50"]
        fig["lag_p99"] = res["send_lag_us"]["p99"]
    return fig


def split_of(run):
    """How SO_REUSEPORT split a run's heavy connections: connections per thread they started
    on, most first, a 0 for each worker that had none (`3+1`, `4+0`)."""
    per_thread = {}
    for conn in run["connections"]:
        per_thread[conn["started_on"]] = per_thread.get(conn["started_on"], 0) + 1
    counts = sorted(per_thread.values(), reverse=True)
    counts += [0] * (SKEW_WORKERS - len(counts))
    return "+".join(map(str, counts))


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


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def skew_medians(workload, runs):
    """Per server, the median of each of `skew_figures` over its runs."""
    figs = {name: [skew_figures(workload, run) for run in server_runs]
            for name, server_runs in runs.items()}
    return {name: {k: median_or_none([f[k] for f in fs]) for k in fs[0]}
            for name, fs in figs.items()}


def skew_tables(workload, runs):
    """A skewed workload's tables: its figures with ratios to tokio-mt and tokio-tpc (pinned and
    not), and where the work ran."""
    med = skew_medians(workload, runs)

    def value(key, spec, scale=1, suffix=""):
        def cell(name):
            v = med[name][key]
            return "-" if v is None else format(v * scale, spec) + suffix
        return cell

    def vs(key, reference):
        return lambda name: ratio(med[name][key], med[reference][key])

    def ratios(key, label):
        return [(f"{label} vs tokio-mt", vs(key, REFERENCE)),
                ("vs tokio-tpc", vs(key, "tokio-tpc")),
                ("vs tokio-tpc pinned", vs(key, "tokio-tpc-pinned"))]

    # Per table: its caption and columns, each a header and a cell per server.
    light = [("light req/s", value("light_rps", ".0f")),
             ("light p50 µs", value("light_p50", ".0f")),
             ("light p99 µs", value("light_p99", ".0f"))]
    heavy = [("heavy req/s", value("heavy_rps", ".0f")),
             ("heavy p50 µs", value("heavy_p50", ".0f")),
             ("heavy p99 µs", value("heavy_p99", ".0f"))]
    if workload == "stall":
        tables = [("", light + [
            ("light p99.9 µs", value("light_p999", ".0f")),
            ("stalls", value("stalls", ".0f")),
            ("light ≥15 ms per stall", value("victims", ".1f")),
            ("stall p50 µs", value("stall_p50", ".0f")),
        ] + ratios("victims", "per stall") + ratios("light_p99", "light p99"))]
    elif workload == "long":
        tables = [
            ("Light requests:", light + [
                ("light p99.9 µs", value("light_p999", ".0f")),
                ("light ≥1 ms", value("light_slow", ".2f", 100, "%")),
            ] + ratios("light_p99", "light p99") + ratios("light_slow", "light ≥1 ms")),
            ("Heavy requests, and the load generator's send lag:", heavy + [
                ("heavy p99.9 µs", value("heavy_p999", ".0f")),
                ("send lag p50 µs", value("lag_p50", ".0f")),
                ("send lag p99 µs", value("lag_p99", ".0f")),
            ] + ratios("heavy_p99", "heavy p99")),
        ]
    else:
        tables = [("", [("req/s", value("rps", ".0f"))] + light + heavy
                   + ratios("rps", "req/s") + ratios("light_p99", "light p99"))]
    where = [
        ("steals/request", value("steals", ".3f")),
        ("stand-ins per million requests", value("stand_ins", ".1f", 1e6)),
        ("moves per million requests", value("moves", ".1f", 1e6)),
        ("busiest thread", value("cpu_first", ".0f", 100, "%")),
        ("second thread", value("cpu_second", ".0f", 100, "%")),
        ("all threads", value("cpu_total", ".0f", 100, "%")),
        ("load generator", value("loadgen_cpu", ".0f", 100, "%")),
        ("other processes", value("others_cpu", ".0f", 100, "%")),
    ]
    if workload == "stall":
        where.insert(2, ("stand-ins per stall", value("stand_ins_per_stall", ".1f")))
    else:
        where += [
            ("heavy connections per thread, each round",
             lambda name: ", ".join(split_of(run) for run in runs[name])),
            ("heavy requests run elsewhere", value("heavy_moved", ".1f", 100, "%")),
        ]
    tables.append(("Where the work ran (CPU as a share of one core; the server's threads, "
                   "then the load generator and whatever else ran on the machine meanwhile):",
                   where))
    lines = [f"### {SKEW_WORKLOADS[workload]['title']}", ""]
    for caption, columns in tables:
        lines += [caption, ""] if caption else []
        lines += ["| server | " + " | ".join(head for head, _ in columns) + " |",
                  "|---|" + "---:|" * len(columns)]
        lines += [f"| {name} | " + " | ".join(cell(name) for _, cell in columns) + " |"
                  for name in med]
        lines.append("")
    errors = {name: m["errors"] for name, m in med.items() if m["errors"]}
    if errors:
        lines += ["Errors (median per run): "
                  + ", ".join(f"{n} {e:.0f}" for n, e in errors.items()), ""]
    return lines


def write_skew_report(args, results, realtime, loadavg):
    """skew.json (every run, raw), skew.md, the chart and the `skew` section of
    BENCHMARKS.md."""
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "skew.json"), "w") as f:
        json.dump({"realtime_loadgen": realtime, "loadavg": loadavg, "skew": results}, f,
                  indent=1)
    lines = []
    for workload, runs in results.items():
        lines += skew_tables(workload, runs)
    with open(os.path.join(RESULTS, "skew.md"), "w") as f:
        f.write("\n".join(lines))
    write_skew_chart(results)
    priority = ("at real-time priority (`chrt -f 50`)" if realtime else
                "at normal priority (`chrt -f 50` was not permitted)")
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}"
    stamp = (f"Run of `{invocation()}` on {time.strftime('%Y-%m-%d')} "
             f"({machine}; load average {loadavg[0]:.1f} before, {loadavg[1]:.1f} after): "
             f"medians of {args.rounds} alternating rounds of {args.secs} s each, "
             f"{SKEW_WORKERS} workers; the `long` workload's load generator {priority}.")
    splice_into_benchmarks_md("skew", f"{stamp}\n\n" + "\n".join(lines))


def invocation():
    """This run's command line, as the sections' stamps quote it."""
    return " ".join(["python3 benches/compare.py"] + sys.argv[1:])


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


# A colour per server, the same in both charts.
COLORS = {"runtime": "#1f77b4", "runtime-nosteal": "#aec7e8", "tokio-mt": "#d62728",
          "tokio-tpc": "#ff9896", "mio": "#2ca02c", "runtime-rehome": "#9467bd",
          "runtime-pinned": "#17becf", "tokio-tpc-pinned": "#e377c2"}


def bar_panel(x0, y0, width, height, title, groups, peak, value_format=None):
    """One panel of grouped bars, as SVG elements: `title` above, a baseline `width` long, and
    per group a caption (under it, if any) and its bars, each (value, colour, tooltip), side by
    side in 80% of the group's slot, heights scaled to `peak`. With `value_format`, each value
    is written above its bar; a value of None gets no bar and a dash."""
    group_w = width / max(len(groups), 1)
    svg = [f'<text x="{x0}" y="{y0 - 10}" font-size="13">{title}</text>',
           f'<line x1="{x0}" y1="{y0 + height}" x2="{x0 + width}" y2="{y0 + height}" '
           f'stroke="black"/>']
    for g, (caption, bars) in enumerate(groups):
        bar_w = group_w * 0.8 / max(len(bars), 1)
        for i, (v, color, tooltip) in enumerate(bars):
            x = x0 + g * group_w + i * bar_w
            h = 0 if v is None else height * v / (peak or 1)
            if v is not None:
                svg.append(f'<rect x="{x:.1f}" y="{y0 + height - h:.1f}" width="{bar_w:.1f}" '
                           f'height="{h:.1f}" fill="{color}"><title>{tooltip}</title></rect>')
            if value_format:
                label = "-" if v is None else format(v, value_format)
                svg.append(f'<text x="{x + bar_w / 2:.1f}" y="{y0 + height - h - 3:.1f}" '
                           f'text-anchor="middle" font-size="9">{label}</text>')
        if caption:
            svg.append(f'<text x="{x0 + g * group_w + group_w * 0.4:.1f}" '
                       f'y="{y0 + height + 14}" text-anchor="middle">{caption}</text>')
    return svg


def write_svg(name, width, height, elements):
    """An SVG file in the results directory: white background, then `elements`."""
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" font-family="sans-serif" font-size="10">',
           '<rect width="100%" height="100%" fill="white"/>'] + elements + ["</svg>"]
    with open(os.path.join(RESULTS, name), "w", encoding="utf-8") as f:
        f.write("\n".join(svg))


def write_chart(network_results):
    """Two panels of grouped bars: throughput and p99 latency per server per workload."""
    names = list(SERVERS)
    keys = list(network_results)
    width, panel_h, left, top = 900, 260, 60, 40
    svg = []
    for panel, (field, title) in enumerate([("rps", "throughput (req/s, higher is better)"),
                                             ("p99", "p99 latency (µs, lower is better)")]):
        peak = max(median_of(runs[n], field) for runs in network_results.values()
                   for n in names) or 1
        groups = []
        for key in keys:
            # Workload names under the lower panel only: `echo 100/1w`.
            label = key.replace(" conns, ", "/").replace(" workers", "w").replace(
                " worker", "w") if panel == 1 else ""
            bars = []
            for n in names:
                v = median_of(network_results[key][n], field)
                bars.append((v, COLORS[n], f"{n} {key}: {v:.0f}"))
            groups.append((label, bars))
        svg += bar_panel(left, top + panel * (panel_h + 40), width - left - 20, panel_h, title,
                         groups, peak)
    for i, n in enumerate(names):
        y = 2 * panel_h + 130
        svg.append(f'<rect x="{left + i * 150}" y="{y - 9}" width="10" height="10" '
                   f'fill="{COLORS[n]}"/>')
        svg.append(f'<text x="{left + i * 150 + 14}" y="{y}">{n}</text>')
    write_svg("network.svg", width, 2 * panel_h + 160, svg)


# The skewed workloads' chart: a panel per figure their targets are stated in, as (workload,
# figure from `skew_figures`, scale, format of the value labels, title).
SKEW_CHART = [
    ("stall", "victims", 1, ".1f",
     "stall: light requests delayed 15 ms or more per stall (lower is better)"),
    ("long", "light_p99", 1e-3, ".2f", "long: light p99 (ms, lower is better)"),
    ("long", "light_slow", 100, ".1f",
     "long: light requests taking 1 ms or more (%, lower is better)"),
    ("saturating", "rps", 1, ".0f", "saturating: throughput (req/s, higher is better)"),
]


def write_skew_chart(results):
    """skew.svg: a panel per figure of SKEW_CHART whose workload ran, a bar per server (the
    median of its runs, the value above it), server names under the bars."""
    panels = [spec for spec in SKEW_CHART if spec[0] in results]
    if not panels:
        return
    medians = {workload: skew_medians(workload, results[workload])
               for workload in {spec[0] for spec in panels}}
    width, panel_h, left, top, stride = 900, 150, 60, 40, 210
    svg = []
    for p, (workload, field, scale, value_format, title) in enumerate(panels):
        values = {name: None if med[field] is None else med[field] * scale
                  for name, med in medians[workload].items()}
        # Headroom above the tallest bar for its label.
        peak = 1.15 * max((v for v in values.values() if v is not None), default=0) or 1
        groups = [(name, [(v, COLORS.get(name, "#7f7f7f"),
                           f"{name}: {'-' if v is None else format(v, value_format)}")])
                  for name, v in values.items()]
        svg += bar_panel(left, top + p * stride, width - left - 20, panel_h, title, groups,
                         peak, value_format)
    write_svg("skew.svg", width, top + len(panels) * stride - 20, svg)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--secs", type=float, default=5)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--requests", type=int, default=50_000,
                        help="round trips for the strace and callgrind counts")
    parser.add_argument("--idle-conns", type=int, default=10_000)
    parser.add_argument("--skip-micro", action="store_true")
    parser.add_argument("--skip-redis", action="store_true",
                        help="leave out the Redis protocol (benches/redis_compare.py)")
    parser.add_argument("--skip-pinning", action="store_true",
                        help="leave out pinned against unpinned (benches/pinning.py)")
    parser.add_argument("--server-cpus", default="",
                        help="CPU list (taskset -c) for the servers, e.g. 0-15")
    parser.add_argument("--client-cpus", default="",
                        help="CPU list (taskset -c) for the load generators, e.g. 16-31")
    parser.add_argument("--only", default=",".join(PARTS),
                        help="which parts to run, comma-separated, of "
                             f"{','.join(PARTS)} (network: also the system calls, "
                             "instructions, memory, wrk and hyper); all by default")
    parser.add_argument("--skew-workloads", default=",".join(SKEW_WORKLOADS),
                        help="which skewed workloads, comma-separated")
    args = parser.parse_args()
    CPUS["server"], CPUS["client"] = args.server_cpus, args.client_cpus
    os.makedirs(RESULTS, exist_ok=True)
    skew_workloads = args.skew_workloads.split(",")
    unknown = set(skew_workloads) - set(SKEW_WORKLOADS)
    if unknown:
        sys.exit(f"unknown skewed workloads: {', '.join(sorted(unknown))}")
    parts = set(args.only.split(","))
    if parts - set(PARTS):
        sys.exit(f"unknown parts: {', '.join(sorted(parts - set(PARTS)))}")
    for part, skip in (("micro", args.skip_micro), ("redis", args.skip_redis),
                       ("pinning", args.skip_pinning)):
        if skip:
            parts.discard(part)
    loadgen = build()

    def run_skew():
        before = os.getloadavg()[0]
        results, realtime = skew(loadgen, args.rounds, args.secs, skew_workloads)
        write_skew_report(args, results, realtime, (before, os.getloadavg()[0]))
        print(f"wrote {RESULTS}/skew.md and skew.json")

    workers = [int(w) for w in args.workers.split(",")]
    if parts & {"micro", "network"}:
        machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}"
        print(f"machine: {machine}")
        splice_into_benchmarks_md("machine", machine)
    if "micro" in parts:
        table = micro()
        print(table, flush=True)
        splice_into_benchmarks_md("micro", table)
    if "network" in parts:
        run_network(args, loadgen, workers)
    standalone_comparisons(args, loadgen, workers, parts)
    if "skew" in parts:
        run_skew()


def run_network(args, loadgen, workers):
    """The balanced workloads and the counts taken on them; writes network.md, the chart and
    BENCHMARKS.md's network sections."""
    network_results = network(loadgen, args.rounds, args.secs, workers)
    syscalls = syscalls_per_request(loadgen, args.requests)
    print("syscalls per request:", syscalls, flush=True)
    instructions = callgrind_per_request(loadgen, 1, args.requests // 10, args.requests // 5)
    print("instructions per round trip:", instructions, flush=True)
    under_load = callgrind_per_request(loadgen, 1000, 20_000, 60_000, cache=True)
    print("instructions and misses per request, 1,000 connections:", under_load, flush=True)
    memory = idle_memory(args.idle_conns)
    print("bytes per idle connection:", memory, flush=True)
    wrk_results = wrk(args.rounds, args.secs, workers)
    hyper_results = wrk(args.rounds, args.secs, workers, servers=HYPER_SERVERS)
    write_report(args, network_results, syscalls, instructions, under_load, memory,
                 wrk_results, hyper_results)
    print(f"wrote {RESULTS}/network.md, network.svg and network.json")


def standalone_comparisons(args, loadgen, workers, parts):
    """HTTP/2, the Redis protocol and pinning: the scripts that also run alone, each run here
    through its `run` and splicing its tables into the section its `--write` fills. Each skips
    itself, with a note, when its tool is missing."""
    # Their scripts import this one's helpers (and CPU sets) as `compare`: the same module,
    # not a second copy.
    sys.modules.setdefault("compare", sys.modules[__name__])
    import h2_compare
    import pinning
    import redis_compare

    def splice(section, tables, each=f" of {args.secs} s each"):
        """`tables` into the section, under a stamp naming this run."""
        stamp = (f"Run of `{invocation()}` on {time.strftime('%Y-%m-%d')}: medians of "
                 f"{args.rounds} alternating rounds{each}.")
        splice_into_benchmarks_md(section, f"{stamp}\n\n{tables}")

    h2_results = h2_compare.run(args.rounds, args.secs, workers) if "h2" in parts else None
    if h2_results:
        splice("h2", h2_compare.tables(h2_results))
    # The script's own load (a million requests per command, 1,000 clients, 16 in flight
    # each) and a worker per CPU, as when it runs alone.
    redis_results = redis_compare.run(args.rounds) if "redis" in parts else None
    if redis_results:
        splice("redis", redis_compare.table(redis_results),
               f" of `redis-benchmark -c {redis_compare.CLIENTS} -P {redis_compare.PIPELINE} "
               f"-t set,get -n {redis_compare.REQUESTS}`, {os.cpu_count()} workers")
    pinning_results = (pinning.run(loadgen, args.rounds, args.secs) if "pinning" in parts
                       else None)
    if pinning_results:
        splice("pinning", pinning.tables(pinning_results))


if __name__ == "__main__":
    main()
