#!/bin/sh
# Installs, from Debian's packages, what the benchmarks and some tests use beyond the Rust
# toolchain: wrk (HTTP load), strace (system calls per request), valgrind (instructions per
# request), redis-tools and redis-server (redis-cli, redis-benchmark and the Redis server the
# kv example is compared with), netcat-openbsd (nc, the chat example's test client), curl (the
# HTTP examples' tests), nghttp2-client (h2load, the HTTP/2 comparison).
# benches/compare.py skips a measurement whose tool is missing, and the tests fall back or
# skip with a note. Does nothing when every tool is there already.
set -e
missing=""
for pair in wrk:wrk strace:strace valgrind:valgrind redis-cli:redis-tools \
    redis-benchmark:redis-tools redis-server:redis-server nc:netcat-openbsd curl:curl \
    h2load:nghttp2-client; do
    package="${pair#*:}"
    if ! command -v "${pair%%:*}" >/dev/null 2>&1; then
        case " $missing " in
            *" $package "*) ;;
            *) missing="$missing $package" ;;
        esac
    fi
done
[ -n "$missing" ] || exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq
# shellcheck disable=SC2086 # one word per package
$sudo apt-get install -y -qq $missing
