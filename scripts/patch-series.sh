#!/usr/bin/env bash
# Write cdefang's changes to a source tree as a patch series, one patch per rule, for an rpm
# spec file's Patch/%patch lines on the EL4/EL5 box (README, "The workflow for the real box").
#
#   scripts/patch-series.sh --rules FILE [--rules FILE]... TREE OUTDIR
#
# TREE is not modified (it is copied to a temporary directory). Rules run in the files' order;
# patch N is the diff that rule N makes after rules 1..N-1 (cdefang --rule ID --diff), so the
# series applied in order with `patch -p1` gives cdefang's in-place result. A rule that changes
# nothing in this tree gets no patch. Prints the spec file lines (PatchN: and %patchN -p1).
# Exit status: 0 done, 2 trouble. Environment: CDEFANG (default: cargo build --release).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: scripts/patch-series.sh --rules FILE [--rules FILE]... TREE OUTDIR"
rules=() positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rules) rules+=("$(realpath "${2:?$usage}")"); shift 2 ;;
    -*) echo "$usage" >&2; exit 2 ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ ${#rules[@]} -gt 0 ] && [ ${#positional[@]} = 2 ] || { echo "$usage" >&2; exit 2; }
tree=${positional[0]} out=${positional[1]}
[ -d "$tree" ] || { echo "patch-series.sh: $tree is not a directory" >&2; exit 2; }
if [ -z "${CDEFANG:-}" ]; then
  (cd "$top" && cargo build --release --quiet)
  CDEFANG=$top/target/release/cdefang
fi
[[ "$CDEFANG" != */* ]] || CDEFANG=$(realpath "$CDEFANG")
mkdir -p "$out"
out=$(realpath "$out")

# The rule ids, in the files' order.
mapfile -t ids < <(python3 -c '
import sys, tomllib
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        for rule in tomllib.load(f).get("rule", []):
            print(rule["id"])
' "${rules[@]}")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -a "$tree" "$work/tree"
rule_args=()
for file in "${rules[@]}"; do rule_args+=(--rules "$file"); done

number=0
for id in "${ids[@]}"; do
  rc=0
  (cd "$work/tree" && "$CDEFANG" -q "${rule_args[@]}" --rule "$id" --diff .) \
    >"$work/patch" 2>"$work/stderr" || rc=$?
  case $rc in
    0) echo "# $id: no change in this tree, no patch" ; continue ;;
    1) ;;
    *) cat "$work/stderr" >&2; exit 2 ;;
  esac
  number=$((number + 1))
  name=$(printf '%04d-%s.patch' "$number" "$id")
  mv "$work/patch" "$out/$name"
  (cd "$work/tree" && "$CDEFANG" -q "${rule_args[@]}" --rule "$id" .) \
    2>"$work/stderr" || { cat "$work/stderr" >&2; exit 2; }
  echo "Patch$number: $name"
done
for n in $(seq 1 "$number"); do echo "%patch$n -p1"; done
