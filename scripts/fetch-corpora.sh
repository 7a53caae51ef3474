#!/usr/bin/env bash
# Fetch the real C code bases the coverage and unifdef tests read, at pinned versions, into
# .cache/corpora/NAME (or $CDEFANG_CORPORA_CACHE/NAME). They come from crates.io: "-sys" crates
# that vendor a C library's sources (static.crates.io is reachable from CI; GitHub is not).
#
#   scripts/fetch-corpora.sh            # all of them
#   scripts/fetch-corpora.sh zlib lua   # some
#
# Each entry: NAME CRATE VERSION SUBDIR (the C sources inside the crate). "unifdef" is unifdef
# 2.10's own sources and test suite (tests/), Debian's orig tarball from deb.debian.org.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${CDEFANG_CORPORA_CACHE:-.cache/corpora}"
corpora=(
  "zlib libz-sys 1.1.20 src/zlib"
  "lua lua-src 547.0.0 lua-5.4.7"
  "curl curl-sys 0.4.78+curl-8.11.0 curl"
  "jemalloc jemalloc-sys 0.5.4+5.3.0-patched jemalloc"
  "zstd zstd-sys 2.0.13+zstd.1.5.6 zstd/lib"
  "libgit2 libgit2-sys 0.17.0+1.8.1 libgit2/src"
)
wanted=("$@")
mkdir -p "$cache"
if { [ ${#wanted[@]} -eq 0 ] || [[ " ${wanted[*]} " == *" unifdef "* ]]; } && [ ! -d "$cache/unifdef" ]; then
  url="https://deb.debian.org/debian/pool/main/u/unifdef/unifdef_2.10.orig.tar.gz"
  echo "fetching unifdef: $url" >&2
  tmp="$(mktemp -d)"
  curl -fsSL --retry 3 "$url" | tar -xz -C "$tmp"
  mv "$tmp/unifdef-2.10" "$cache/unifdef.part"
  mv "$cache/unifdef.part" "$cache/unifdef"
  rm -rf "$tmp"
fi
for entry in "${corpora[@]}"; do
  read -r name crate version subdir <<<"$entry"
  if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " == *" $name "* ]]; then
    continue
  fi
  if [ -d "$cache/$name" ]; then
    continue
  fi
  tmp="$(mktemp -d)"
  url="https://static.crates.io/crates/$crate/$crate-$version.crate"
  echo "fetching $name: $url" >&2
  curl -fsSL --retry 3 "$url" | tar -xz -C "$tmp"
  if [ ! -d "$tmp/$crate-$version/$subdir" ]; then
    echo "error: $crate-$version has no $subdir" >&2
    rm -rf "$tmp"
    exit 1
  fi
  mv "$tmp/$crate-$version/$subdir" "$cache/$name.part"
  mv "$cache/$name.part" "$cache/$name"
  rm -rf "$tmp"
done
