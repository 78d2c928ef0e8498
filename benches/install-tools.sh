#!/bin/sh
# Installs what the benchmark suite uses beyond the Rust toolchain, from Debian's packages:
# wrk (HTTP load), strace (system calls per request) and valgrind (instructions per request).
# benches/compare.py skips a measurement whose tool is missing.
set -e
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq wrk strace valgrind
