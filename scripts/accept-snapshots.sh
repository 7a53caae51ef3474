#!/usr/bin/env bash
# Accept the pending snapshots of the project's own tests: a test whose output is missing from
# snapshots/ or differs from it fails with the diff and writes snapshots/NAME.snap.new. Read
# each one first (the failure showed its diff); then this renames it to snapshots/NAME.snap.
#   scripts/accept-snapshots.sh          accept every pending snapshot, saying which
#   scripts/accept-snapshots.sh NAME...  accept snapshots/NAME.snap.new only
# (The snapshots of rules files' test cases are accepted with `cdefang test --accept`.)
set -euo pipefail
cd "$(dirname "$0")/.."

pending=()
if [ $# -gt 0 ]; then
  for name in "$@"; do
    file="snapshots/$name.snap.new"
    [ -f "$file" ] || { echo "accept-snapshots.sh: no pending snapshot $file" >&2; exit 2; }
    pending+=("$file")
  done
else
  shopt -s nullglob
  pending=(snapshots/*.snap.new)
fi
if [ ${#pending[@]} -eq 0 ]; then
  echo "no pending snapshots in snapshots/"
  exit 0
fi
for file in "${pending[@]}"; do
  mv -f -- "$file" "${file%.new}"
  echo "accepted $file -> ${file%.new}"
done
echo "${#pending[@]} snapshot(s) accepted"
