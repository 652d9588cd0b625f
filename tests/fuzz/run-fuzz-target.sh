#!/bin/sh
# run-fuzz-target.sh FUZZER SEED_DIR SECONDS
# Runs one libFuzzer binary for SECONDS on a temporary copy of SEED_DIR, so
# the inputs it generates never land in the source tree. Exits non-zero
# when the fuzzer finds a crash, leak, timeout or sanitizer report; the
# crashing input is kept in ./fuzz-artifacts/ and printed as hex.
set -eu

if [ $# -ne 3 ]; then
    echo "usage: $0 FUZZER SEED_DIR SECONDS" >&2
    exit 2
fi
fuzzer=$1
case $fuzzer in */*) ;; *) fuzzer=./$fuzzer ;; esac
seed_dir=$2
seconds=$3

# known leaks outside the code under test, one file per target (see the file)
suppressions="$(cd "$(dirname "$0")" && pwd)/lsan-$(basename "$fuzzer").supp"
if [ -f "$suppressions" ]; then
    LSAN_OPTIONS="suppressions=$suppressions${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
    # GLib has no frame pointers: the fast unwinder stops inside it, before
    # the frame a suppression names
    ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    export LSAN_OPTIONS ASAN_OPTIONS
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cygnet-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/corpus" "$work/artifacts" "$work/tmp"
cp "$seed_dir"/* "$work/corpus/"

echo "fuzzing $(basename "$fuzzer") for ${seconds}s, seeds from $seed_dir"
status=0
# the targets' own temporary files go with ours (libFuzzer ends with
# _Exit: their atexit clean-up does not run)
TMPDIR="$work/tmp" "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" || status=$?

if [ "$status" -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
    keep="$(pwd)/fuzz-artifacts"
    for f in "$work/artifacts"/*; do
        [ -e "$f" ] || continue
        mkdir -p "$keep"
        cp "$f" "$keep/"
        echo "crashing input kept as $keep/$(basename "$f"):"
        od -A x -t x1z -v "$f" | head -64
    done
    echo "FAIL: $(basename "$fuzzer") exited with status $status"
    # libFuzzer reports a finding with 77, which meson reads as "skipped"
    exit 1
fi
echo "OK: $(basename "$fuzzer") ran ${seconds}s without a finding"
