#!/bin/sh
# run-fuzzer.sh [SECONDS]
# Builds the libFuzzer targets with clang (build dir: $CYGNET_FUZZ_BUILD_DIR,
# default build-fuzz at the project root, reused if it exists) and runs
# fuzz-ike-message for SECONDS (default 60) on a temporary copy of the seed
# corpus. Exits non-zero on a crash.
set -eu

seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${CYGNET_FUZZ_BUILD_DIR:-$root/build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" "$root" -Dfuzzing=true -Dtests=true
else
    meson configure "$build" -Dfuzzing=true -Dtests=true
fi
ninja -C "$build" tests/fuzz/fuzz-ike-message

cd "$build/tests/fuzz"
exec "$here/run-fuzz-target.sh" "$build/tests/fuzz/fuzz-ike-message" \
    "$here/corpus-ike-message" "$seconds"
