#!/usr/bin/env python3
"""Scale: 100,000 concurrent idle TCP connections on loopback, held by one server process.

For this runtime's `echo` example and tokio's reference server, each with the buffered handler
and with the one that holds no buffer while idle: opens the connections (spread over several
127.0.0.x source addresses, past the ephemeral port range of one address), checks that every
one of them still answers an echo afterwards, and reports the server's RSS growth per
connection.

    python3 benches/scale.py                 # 100,000 connections (needs a hard
                                             # RLIMIT_NOFILE above that, for the script and
                                             # for the server)
    python3 benches/scale.py --conns 20000   # a smaller run
"""

import argparse
import os
import resource
import selectors
import socket
import sys
import time

import compare

PER_SOURCE = 25_000  # well inside the ephemeral port range of one source address


def raise_limit(conns):
    # The script holds the client ends, the server process the others: each needs `conns`.
    need = conns + 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(need, soft), max(need, hard)))
    except (ValueError, OSError):
        sys.exit(f"need RLIMIT_NOFILE >= {need} (have {soft}/{hard}): raise the hard limit "
                 "(ulimit -Hn, as root with CAP_SYS_RESOURCE), or ask for fewer --conns")


def connect_all(addr, conns):
    host, port = addr.rsplit(":", 1)
    socks = []
    for i in range(conns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((f"127.0.0.{2 + i // PER_SOURCE}", 0))
        s.connect((host, int(port)))
        socks.append(s)
    return socks


def all_answer(socks):
    """Sends one byte on every connection and waits for every echo; returns how many came."""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
    answered = 0
    # In windows, so the kernel's buffers and the selector stay small.
    for start in range(0, len(socks), 5000):
        window = socks[start:start + 5000]
        for s in window:
            s.send(b"x")
            sel.register(s, selectors.EVENT_READ)
        deadline = time.time() + 60
        pending = len(window)
        while pending and time.time() < deadline:
            for key, _ in sel.select(timeout=1):
                if key.fileobj.recv(16) == b"x":
                    answered += 1
                sel.unregister(key.fileobj)
                pending -= 1
        for s in window:
            try:
                sel.unregister(s)
            except KeyError:
                pass
    return answered


def run(name, mode, conns):
    with compare.Server(name, mode, 1) as server:
        time.sleep(0.5)
        before = server.rss_kib()
        start = time.time()
        socks = connect_all(server.addr, conns)
        connected = time.time() - start
        time.sleep(2)
        after = server.rss_kib()
        answered = all_answer(socks)
        for s in socks:
            s.close()
    per_conn = (after - before) * 1024 / conns
    print(f"{name:10} {mode:16} {conns} connections in {connected:.1f} s, "
          f"{answered} answered, {per_conn:.0f} bytes/connection", flush=True)
    return {"answered": answered, "bytes_per_conn": per_conn}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conns", type=int, default=100_000)
    args = parser.parse_args()
    raise_limit(args.conns)
    os.environ["RUNTIME_WORKERS"] = "1"
    compare.build()
    results = {}
    for mode in ("echo-unbuffered", "echo"):
        for name in ("runtime", "tokio-mt"):
            results[(name, mode)] = run(name, mode, args.conns)
    print(f"\n| server | handler | connections answering | bytes per connection | vs tokio |")
    print("|---|---|---:|---:|---:|")
    for (name, mode), r in results.items():
        ref = results[("tokio-mt", mode)]["bytes_per_conn"]
        print(f"| {name} | {mode} | {r['answered']} of {args.conns} | "
              f"{r['bytes_per_conn']:.0f} | {r['bytes_per_conn'] / ref:.2f}x |")
    if any(r["answered"] != args.conns for r in results.values()):
        sys.exit("some connections did not answer")


if __name__ == "__main__":
    main()
