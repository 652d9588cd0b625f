#!/bin/sh
# run-fuzzer.sh [SECONDS] [TARGET]
# Builds the libFuzzer targets with clang (build dir: $CYGNET_FUZZ_BUILD_DIR,
# default build-fuzz at the project root, reused if it exists) and runs
# TARGET (default fuzz-ike-message; also fuzz-auth, fuzz-import,
# fuzz-packet, fuzz-control) for SECONDS (default 60) on a temporary copy
# of its seed corpus (corpus-NAME for fuzz-NAME). Exits non-zero on a crash.
set -eu

seconds=${1:-60}
target=${2:-fuzz-ike-message}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${CYGNET_FUZZ_BUILD_DIR:-$root/build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" "$root" -Dfuzzing=true -Dtests=true
else
    meson configure "$build" -Dfuzzing=true -Dtests=true
fi
ninja -C "$build" "tests/fuzz/$target"

cd "$build/tests/fuzz"
exec "$here/run-fuzz-target.sh" "$build/tests/fuzz/$target" \
    "$here/corpus-${target#fuzz-}" "$seconds"
