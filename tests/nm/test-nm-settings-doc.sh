#!/bin/bash
# docs/nm-settings.md is the one table of the vpn.data and vpn.secrets
# keys: every key of src/shared/nm-cygnet-keys.h has its row there, and
# the tables name no key the header lacks.
# Usage: test-nm-settings-doc.sh KEYS-HEADER DOC
set -euo pipefail
header="$1" doc="$2"
keys="$(sed -nE 's/^#define NM_CYGNET_(KEY|SECRET)_[A-Z0-9_]+ +"([a-z0-9-]+)".*/\2/p' "$header" | sort -u)"
documented="$(sed -nE 's/^\| `([a-z0-9-]+)` \|.*/\1/p' "$doc" | sort -u)"
[ -n "$keys" ] || { echo "no keys found in $header" >&2; exit 1; }
missing="$(comm -23 <(echo "$keys") <(echo "$documented"))"
extra="$(comm -13 <(echo "$keys") <(echo "$documented"))"
[ -z "$missing" ] || { echo "keys without a row in $doc: $missing" >&2; exit 1; }
[ -z "$extra" ] || { echo "rows in $doc for keys the header lacks: $extra" >&2; exit 1; }
echo "$(echo "$keys" | wc -l) keys, all documented"
