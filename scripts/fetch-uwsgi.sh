#!/usr/bin/env bash
# Fetch uWSGI release sdists from PyPI into an ignored cache and unpack them.
#   scripts/fetch-uwsgi.sh VERSION...   prints the unpacked tree of each VERSION, one per line
# The cache is .cache/uwsgi/ at the project root (CDEFANG_UWSGI_CACHE overrides it); a version
# already unpacked there is reused without touching the network. Safe to run concurrently: each
# version is fetched under a lock, unpacked in a private directory and moved in place whole.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${CDEFANG_UWSGI_CACHE:-$top/.cache/uwsgi}
mkdir -p "$cache/sdist"

fetch_one() {
  local version=$1 tree="$cache/uwsgi-$version" sdist partial top_dir
  [ -f "$tree/core/utils.c" ] && return 0
  # The sdist is named uwsgi-V.tar.gz or, for some releases, uWSGI-V.tar.gz.
  sdist=$(find "$cache/sdist" -maxdepth 1 -iname "uwsgi-$version.tar.gz" -print -quit)
  if [ -z "$sdist" ]; then
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
      -d "$cache/sdist" "uwsgi==$version" >&2
    sdist=$(find "$cache/sdist" -maxdepth 1 -iname "uwsgi-$version.tar.gz" -print -quit)
    [ -n "$sdist" ] || { echo "fetch-uwsgi.sh: no sdist for uwsgi $version" >&2; return 1; }
  fi
  partial=$(mktemp -d "$cache/.unpack-$version.XXXXXX")
  tar -xzf "$sdist" -C "$partial"
  # Most sdists hold one top directory; some (2.0.19, 2.0.19.1) hold the files at the top.
  top_dir=$(find "$partial" -mindepth 2 -maxdepth 3 -path '*/core/utils.c' -printf '%h\n' -quit)
  top_dir=${top_dir%/core}
  [ -n "$top_dir" ] || { echo "fetch-uwsgi.sh: no core/utils.c in $sdist" >&2; rm -rf "$partial"; return 1; }
  rm -rf "$tree"
  mv "$top_dir" "$tree"
  rm -rf "$partial"
}

for version in "$@"; do
  (
    exec {lock}>"$cache/.lock-$version"
    flock "$lock"
    fetch_one "$version"
  )
  echo "$cache/uwsgi-$version"
done
