#!/bin/bash
# The whole test suite: what CI runs (.ci/run) and what the README's quick
# start calls. Run as root on Debian 12 (the interop tests make network
# namespaces):
#
#   ./scripts/test.sh
#
# 1. installs the Debian packages (scripts/install-deps.sh)
# 2. build-ci: gcc, -Dwerror=true, AddressSanitizer + UBSan; suites
#    "unit", "interop" (cygnetd against strongSwan) and every other suite
#    the tree defines, except "fuzz"
# 3. build-ci-fuzz: clang, -Dfuzzing=true; suite "fuzz" (libFuzzer, 60 s)
#
# Both build dirs are wiped first, so every run starts clean. meson's own
# summary is printed per suite; the last line is the total:
#   N passed, N failed, N skipped
# The exit status is non-zero when anything failed. With CI=true a skipped
# test counts as failed (and is named), so a missing prerequisite cannot
# pass silently.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

BUILD_CI=build-ci
BUILD_FUZZ=build-ci-fuzz
IS_CI=0
[ "${CI:-}" = true ] && IS_CI=1

passed=0
failed=0
skipped=0
failed_names=()
skipped_names=()

step() {
    printf '\n==== %s\n' "$*"
}

# a step that is not a meson test (install, configure, build) failed
record_failure() {
    failed=$((failed + 1))
    failed_names+=("$1")
    printf '\n**** FAILED: %s\n' "$1"
}

# run_suite BUILDDIR SUITE: meson test, then count its results from
# testlog.json (one JSON object per test).
run_suite() {
    local dir="$1" suite="$2" counts
    step "meson test -C $dir --suite $suite"
    rm -f "$dir/meson-logs/testlog.json"
    meson test -C "$dir" --suite "$suite" --no-rebuild --print-errorlogs
    if [ ! -s "$dir/meson-logs/testlog.json" ]; then
        # no test at all: a suite that vanished must not look green
        skipped=$((skipped + 1))
        skipped_names+=("$suite (no tests in $dir)")
        printf '**** suite %s has no tests in %s\n' "$suite" "$dir"
        return
    fi
    counts="$(python3 - "$dir/meson-logs/testlog.json" <<'EOF'
import json, sys
ok, bad, skip = [], [], []
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    test = json.loads(line)
    result, name = test.get("result"), test.get("name", "?")
    if result in ("OK", "EXPECTEDFAIL"):
        ok.append(name)
    elif result == "SKIP":
        skip.append(name)
    else:  # FAIL, TIMEOUT, UNEXPECTEDPASS, ERROR
        bad.append("%s (%s)" % (name, result))
print(len(ok))
print(len(bad))
print(len(skip))
for n in bad:
    print("F " + n)
for n in skip:
    print("S " + n)
EOF
)" || {
        record_failure "$suite: could not read $dir/meson-logs/testlog.json"
        return
    }
    local line n=0
    while IFS= read -r line; do
        n=$((n + 1))
        case "$n" in
            1) passed=$((passed + line)) ;;
            2) failed=$((failed + line)) ;;
            3) skipped=$((skipped + line)) ;;
            *)
                case "$line" in
                    "F "*) failed_names+=("${line#F }") ;;
                    "S "*) skipped_names+=("${line#S }") ;;
                esac
                ;;
        esac
    done <<<"$counts"
}

# setup DIR [meson setup args...]: a fresh build dir (env CC may be set)
setup() {
    local dir="$1"
    shift
    step "meson setup $dir $*"
    rm -rf "$dir"
    if ! meson setup "$dir" "$@"; then
        record_failure "$dir: meson setup"
        return 1
    fi
}

# build DIR [TARGET...]: ninja (everything when no target is named)
build() {
    local dir="$1"
    shift
    step "ninja -C $dir $*"
    if ! ninja -C "$dir" "$@"; then
        record_failure "$dir: build"
        return 1
    fi
}

# targets_defined_in DIR SUBDIR: output paths of the targets that
# SUBDIR/meson.build defines (relative to DIR, as ninja names them)
targets_defined_in() {
    meson introspect "$1" --targets | python3 -c '
import json, os, sys
build_dir, subdir = os.path.abspath(sys.argv[1]), sys.argv[2]
for t in json.load(sys.stdin):
    if t["defined_in"].endswith(os.path.join(subdir, "meson.build")):
        for f in t["filename"]:
            print(os.path.relpath(f, build_dir))
' "$1" "$2"
}

step "./scripts/install-deps.sh"
./scripts/install-deps.sh || record_failure "install-deps"

if [ "$(id -u)" != 0 ]; then
    echo "note: not root; the interop tests will skip (they need network namespaces)"
fi

# suites_of DIR: every suite defined in DIR, unit and interop first
suites_of() {
    meson introspect "$1" --tests | python3 -c '
import json, sys
suites = set()
for test in json.load(sys.stdin):
    for suite in test["suite"]:
        suites.add(suite.split(":")[-1])
first = [s for s in ("unit", "interop") if s in suites]
print("\n".join(first + sorted(suites - set(first))))
'
}

# The whole tree must build warning-free; every suite but fuzz runs here,
# under the sanitizers (unit and interop always, plus any suite added since).
if setup "$BUILD_CI" -Dwerror=true -Db_sanitize=address,undefined && build "$BUILD_CI"; then
    mapfile -t ci_suites < <(suites_of "$BUILD_CI")
    for suite in unit interop; do
        [[ " ${ci_suites[*]} " == *" $suite "* ]] || ci_suites+=("$suite")
    done
    for suite in "${ci_suites[@]}"; do
        [ "$suite" = fuzz ] || run_suite "$BUILD_CI" "$suite"
    done
fi

# libFuzzer needs clang; only the fuzz targets are built here, and the
# fuzz test runs each for 60 s
if CC=clang setup "$BUILD_FUZZ" -Dfuzzing=true; then
    mapfile -t fuzz_targets < <(targets_defined_in "$BUILD_FUZZ" tests/fuzz)
    if [ "${#fuzz_targets[@]}" -eq 0 ]; then
        record_failure "$BUILD_FUZZ: no fuzz targets defined in tests/fuzz"
    elif build "$BUILD_FUZZ" "${fuzz_targets[@]}"; then
        run_suite "$BUILD_FUZZ" fuzz
    fi
fi

step "summary"
if [ "${#failed_names[@]}" -gt 0 ]; then
    echo "failed:"
    printf '  %s\n' "${failed_names[@]}"
fi
if [ "${#skipped_names[@]}" -gt 0 ]; then
    if [ "$IS_CI" = 1 ]; then
        echo "skipped, counted as failed because CI=true:"
    else
        echo "skipped (these did not run):"
    fi
    printf '  %s\n' "${skipped_names[@]}"
fi
if [ "$IS_CI" = 1 ]; then
    failed=$((failed + skipped))
    skipped=0
fi

status=0
[ "$failed" -eq 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
