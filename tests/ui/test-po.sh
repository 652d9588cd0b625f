#!/bin/bash
# po/ is complete: every source file with a user-visible string (_(),
# N_(), translatable="yes", an AppStream description) is listed in
# po/POTFILES.in, every listed file exists, and the German and French
# catalogues translate every string (nothing missing, nothing fuzzy).
# Also: the AppStream metainfo passes appstreamcli validate.
# Usage: test-po.sh SOURCE_ROOT
set -euo pipefail
root="$1"
cd "$root"
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
listed="$(grep -v '^#' po/POTFILES.in | sed '/^$/d')"
while read -r f; do
    [ -f "$f" ] || fail "po/POTFILES.in lists $f, which does not exist"
done <<<"$listed"
while read -r f; do
    grep -qxF "$f" <<<"$listed" || fail "$f has translatable strings but is not in po/POTFILES.in"
done < <(grep -rlE '(^|[^A-Za-z_])N?_\("|translatable="yes"' src properties --include='*.c' --include='*.ui' | sort)
grep -qxF properties/io.cygnet.NetworkManager-cygnet.metainfo.xml <<<"$listed" ||
    fail "the metainfo is not in po/POTFILES.in"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
    -f <(printf '%s\n' "$listed") -o "$tmp/ref.pot" --package-name=NetworkManager-cygnet
total="$(grep -c '^msgid "' "$tmp/ref.pot")"
for lang in $(grep -v '^#' po/LINGUAS); do
    msgfmt -c -o /dev/null "po/$lang.po" || fail "po/$lang.po does not compile"
    msgmerge -q --no-fuzzy-matching -o "$tmp/$lang.po" "po/$lang.po" "$tmp/ref.pot"
    stats="$(LC_ALL=C msgfmt --statistics -o /dev/null "$tmp/$lang.po" 2>&1)"
    case "$stats" in
        *fuzzy* | *untranslated*) fail "po/$lang.po is not complete: $stats" ;;
    esac
    echo "po/$lang.po: $stats (of $((total - 1)) strings)"
done
for lang in de fr; do
    grep -qx "$lang" po/LINGUAS || fail "po/LINGUAS lacks $lang"
done
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net properties/io.cygnet.NetworkManager-cygnet.metainfo.xml ||
        fail "appstreamcli validate refuses the metainfo"
elif [ "${CI:-}" = true ]; then
    fail "appstreamcli is missing"
fi
echo PASS
