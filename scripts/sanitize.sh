#!/usr/bin/env bash
# Memory-safety checks too slow for every CI run: the test suite under AddressSanitizer
# (nightly toolchain), and the echo server under valgrind memcheck through an echo stress,
# which must end with zero bytes definitely lost.
#
#   scripts/sanitize.sh            # both
#   scripts/sanitize.sh asan       # one of them
#   scripts/sanitize.sh valgrind
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
target=$(rustc -vV | sed -n 's/^host: //p')

if [ "$what" = all ] || [ "$what" = asan ]; then
    echo "== the test suite under AddressSanitizer"
    # Libraries and integration tests; the trybuild UI tests run cargo themselves, without the
    # sanitizer, and doc tests would need it in rustdoc too.
    # The examples first: integration tests run them as processes.
    export RUSTFLAGS="-Zsanitizer=address" ASAN_OPTIONS="detect_leaks=1"
    cargo +nightly build --examples --target "$target" --target-dir target/asan
    cargo +nightly test --workspace --exclude macros --lib --tests --no-fail-fast \
        --target "$target" --target-dir target/asan -- --skip macros_ui
    unset RUSTFLAGS
fi

if [ "$what" = all ] || [ "$what" = valgrind ]; then
    echo "== the echo server under valgrind memcheck, through an echo stress"
    cargo build --release --example echo
    loadgen=$(cargo bench --no-run --bench loadgen --message-format=json 2>/dev/null |
        python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "loadgen":
        print(m["executable"])')
    log=$(mktemp)
    RUNTIME_WORKERS=2 valgrind --leak-check=full --errors-for-leak-kinds=definite \
        --error-exitcode=99 --log-file="$log" \
        target/release/examples/echo 127.0.0.1:0 2> >(tee "$log.stderr" >&2) &
    server=$!
    addr=""
    for _ in $(seq 600); do
        addr=$(sed -n 's/.*listening on //p' "$log.stderr" | head -1)
        [ -n "$addr" ] && break
        sleep 0.1
    done
    [ -n "$addr" ] || { echo "the echo server did not start"; kill "$server"; exit 1; }
    "$loadgen" --addr "$addr" --mode echo --conns 64 --requests 20000 >/dev/null
    # A graceful stop (Ctrl-C): the process exits on its own, so memcheck sees every free.
    kill -INT "$server"
    status=0
    wait "$server" || status=$?
    sed -n '/HEAP SUMMARY/,$p' "$log"
    if ! grep -q "definitely lost: 0 bytes" "$log" && ! grep -q "All heap blocks were freed" "$log"; then
        echo "memcheck found memory definitely lost"
        exit 1
    fi
    [ "$status" -eq 0 ] || { echo "the server exited with status $status"; exit 1; }
    rm -f "$log" "$log.stderr"
fi
