#!/usr/bin/env bash
# Fetch uWSGI release sdists from PyPI into an ignored cache and unpack them.
#   scripts/fetch-uwsgi.sh VERSION...   prints the unpacked tree of each VERSION, one per line
# The cache is .cache/uwsgi/ at the project root (CDEFANG_UWSGI_CACHE overrides it); a version
# already unpacked there is reused without touching the network.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${CDEFANG_UWSGI_CACHE:-$top/.cache/uwsgi}
mkdir -p "$cache/sdist"
for version in "$@"; do
  tree="$cache/uwsgi-$version"
  if [ ! -f "$tree/core/utils.c" ]; then
    sdist="$cache/sdist/uwsgi-$version.tar.gz"
    if [ ! -f "$sdist" ]; then
      python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
        -d "$cache/sdist" "uwsgi==$version" >&2
    fi
    rm -rf "$tree.partial"
    mkdir -p "$tree.partial"
    tar -xzf "$sdist" -C "$tree.partial" --strip-components=1
    rm -rf "$tree"
    mv "$tree.partial" "$tree"
  fi
  echo "$tree"
done
