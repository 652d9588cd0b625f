#!/bin/sh
# Fetches systemd-resolved for the tests (tests/nm/test-nm-split-dns-resolved)
# WITHOUT installing it: the Debian package's postinst would replace the
# host's /etc/resolv.conf with resolved's stub and break name resolution
# on a machine where resolved does not run (no systemd as PID 1 here).
#
#   sh scripts/fetch-resolved.sh      # prints the path of systemd-resolved
#
# It downloads the package systemd-resolved of the same version as the
# installed systemd (its binaries link the installed
# libsystemd-shared-VERSION.so) with `apt-get download` and unpacks it
# with `dpkg -x` into a cache directory:
#
#   $CG_RESOLVED_DIR (default /var/cache/cygnet-test/systemd-resolved)
#     lib/systemd/systemd-resolved   the daemon
#     usr/bin/resolvectl             its client
#     version                        the package version unpacked there
#
# Idempotent: when the cache already holds the installed systemd's version
# it only prints the path. Runs `apt-get update` once if the package is
# not in the lists. Needs root (apt), dpkg, and the network for apt only.
set -eu

DIR="${CG_RESOLVED_DIR:-/var/cache/cygnet-test/systemd-resolved}"
BIN="$DIR/lib/systemd/systemd-resolved"

say() {
    echo "fetch-resolved: $*" >&2
}

version="$(dpkg-query -W -f='${Version}' systemd 2>/dev/null || true)"
if [ -z "$version" ]; then
    say "the systemd package is not installed: systemd-resolved $BIN needs its libsystemd-shared"
    exit 1
fi

if [ -x "$BIN" ] && [ "$(cat "$DIR/version" 2>/dev/null)" = "$version" ]; then
    echo "$BIN"
    exit 0
fi

work="$(mktemp -d /tmp/cygnet-fetch-resolved.XXXXXX)"
trap 'rm -rf "$work" "$DIR.new"' EXIT
# apt downloads as the unprivileged user _apt when it can write here
if id _apt >/dev/null 2>&1; then
    chown _apt "$work"
fi

download() {
    (cd "$work" && apt-get download -q "systemd-resolved=$version") >&2
}

say "downloading systemd-resolved $version (not installing it)"
if ! download; then
    say "not in apt's lists: apt-get update, then again"
    apt-get update -q >&2
    download || {
        say "apt-get download systemd-resolved=$version failed"
        exit 1
    }
fi

deb="$(ls "$work"/systemd-resolved_*.deb)"
rm -rf "$DIR.new"
mkdir -p "$DIR.new"
dpkg -x "$deb" "$DIR.new"
echo "$version" >"$DIR.new/version"
[ -x "$DIR.new/lib/systemd/systemd-resolved" ] || {
    say "the package has no lib/systemd/systemd-resolved"
    exit 1
}
rm -rf "$DIR"
mv "$DIR.new" "$DIR"
"$BIN" --version >/dev/null || {
    say "$BIN does not run (libsystemd-shared of systemd $version?)"
    exit 1
}
say "unpacked into $DIR"
echo "$BIN"
