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
    # The sdist is named uwsgi-V.tar.gz or, for some releases, uWSGI-V.tar.gz.
    sdist=$(find "$cache/sdist" -maxdepth 1 -iname "uwsgi-$version.tar.gz" -print -quit)
    if [ -z "$sdist" ]; then
      python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
        -d "$cache/sdist" "uwsgi==$version" >&2
      sdist=$(find "$cache/sdist" -maxdepth 1 -iname "uwsgi-$version.tar.gz" -print -quit)
      [ -n "$sdist" ] || { echo "fetch-uwsgi.sh: no sdist for uwsgi $version" >&2; exit 1; }
    fi
    rm -rf "$tree.partial"
    mkdir -p "$tree.partial"
    tar -xzf "$sdist" -C "$tree.partial"
    # Most sdists hold one top directory; some (2.0.19, 2.0.19.1) hold the files at the top.
    top_dir=$(find "$tree.partial" -mindepth 2 -maxdepth 3 -path '*/core/utils.c' -printf '%h\n' -quit)
    top_dir=${top_dir%/core}
    if [ -n "$top_dir" ] && [ "$top_dir" != "$tree.partial" ]; then
      mv "$top_dir" "$tree.inner" && rm -rf "$tree.partial" && mv "$tree.inner" "$tree.partial"
    fi
    [ -f "$tree.partial/core/utils.c" ] || { echo "fetch-uwsgi.sh: no core/utils.c in $sdist" >&2; exit 1; }
    rm -rf "$tree"
    mv "$tree.partial" "$tree"
  fi
  echo "$tree"
done
