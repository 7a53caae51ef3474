#!/usr/bin/env bash
# Fetch uWSGI release sdists from PyPI into an ignored cache and unpack them.
#   scripts/fetch-uwsgi.sh VERSION...   prints the unpacked tree of each VERSION, one per line
# The cache is .cache/uwsgi/ at the project root (CDEFANG_UWSGI_CACHE overrides it); a version
# already unpacked there is reused without touching the network, after checking that it is still
# the sdist's content (tests and the README's examples rewrite copies, but a tree changed in
# place, by hand or by a run of cdefang on it, is unpacked again from the sdist). Safe to run
# concurrently: each version is fetched under a lock, unpacked in a private directory and moved
# in place whole.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${CDEFANG_UWSGI_CACHE:-$top/.cache/uwsgi}
mkdir -p "$cache/sdist"

# Unpack the sdist $1 (of version $2) into a new private directory under the cache: sets
# partial (that directory) and top_dir (the release's directory in it, holding core/utils.c).
unpack() {
  local sdist=$1 version=$2
  partial=$(mktemp -d "$cache/.unpack-$version.XXXXXX")
  tar -xzf "$sdist" -C "$partial"
  # Most sdists hold one top directory; some (2.0.19, 2.0.19.1) hold the files at the top.
  top_dir=$(find "$partial" -mindepth 2 -maxdepth 3 -path '*/core/utils.c' -printf '%h\n' -quit)
  top_dir=${top_dir%/core}
  [ -n "$top_dir" ] || { echo "fetch-uwsgi.sh: no core/utils.c in $sdist" >&2; rm -rf "$partial"; return 1; }
}

fetch_one() {
  local version=$1 tree="$cache/uwsgi-$version" sdist partial top_dir
  # The sdist is named uwsgi-V.tar.gz or, for some releases, uWSGI-V.tar.gz.
  sdist=$(find "$cache/sdist" -maxdepth 1 -iname "uwsgi-$version.tar.gz" -print -quit)
  if [ -f "$tree/core/utils.c" ]; then
    # Reused only if it is still the sdist's content (no sdist kept: trusted as it is).
    [ -n "$sdist" ] || return 0
    unpack "$sdist" "$version"
    if diff -rq "$top_dir" "$tree" >/dev/null 2>&1; then
      rm -rf "$partial"
      return 0
    fi
    echo "fetch-uwsgi.sh: $tree differs from its sdist: unpacked again" >&2
    rm -rf "$tree"
    mv "$top_dir" "$tree"
    rm -rf "$partial"
    return 0
  fi
  if [ -z "$sdist" ]; then
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
      -d "$cache/sdist" "uwsgi==$version" >&2
    sdist=$(find "$cache/sdist" -maxdepth 1 -iname "uwsgi-$version.tar.gz" -print -quit)
    [ -n "$sdist" ] || { echo "fetch-uwsgi.sh: no sdist for uwsgi $version" >&2; return 1; }
  fi
  unpack "$sdist" "$version"
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
