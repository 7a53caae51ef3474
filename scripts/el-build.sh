#!/usr/bin/env bash
# Build uWSGI's core binary against an EL4 or EL5 userland (emulated: scripts/el/README.md),
# before and after cdefang, and say for each whether it links.
#
#   scripts/el-build.sh RELEASE|TREE --target el4|el5 [--rules FILE]... [--kernel VERSION]
#
# RELEASE is a uWSGI version (fetched by scripts/fetch-uwsgi.sh into its cache, which is never
# written to: the tree is copied to a temporary directory); TREE a uWSGI source directory.
# --rules: the rules files cdefang runs (default: rules/el5.toml and its add-on
#   rules/el5-robust.toml; then rules/el4.toml for el4, if there is one).
# --kernel: the kernel release uwsgiconfig.py is told it runs on (default 2.6.32: the host kernel
#   of an EL4/EL5 chroot, mock root or container; "native" means the target's own, 2.6.9 or
#   2.6.18, on which uwsgiconfig.py defines OBSOLETE_LINUX_KERNEL for 2.6.9 and older).
# Prints two lines, "VERSION TARGET pristine: RESULT" and "... rewritten: RESULT", where RESULT
# is "links", "missing header H", "undefined: SYMBOL..." or "fails: FIRST ERROR".
# Exit status: 0 the rewritten tree links, 1 it does not, 2 trouble (usage, tools, cdefang).
# Environment: CDEFANG (a cdefang binary; default: cargo build --release), CPUCOUNT (parallel
# compiles inside one build, default 1), EL_OPTIMIZE=1 (keep -O2, see scripts/el/cc).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: scripts/el-build.sh RELEASE|TREE --target el4|el5 [--rules FILE]... [--kernel VERSION]"

source_arg="" target="" kernel=2.6.32-754.el6 rules=()
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target=${2:-}; shift 2 || { echo "$usage" >&2; exit 2; } ;;
    --rules) rules+=("$(realpath "${2:?$usage}")"); shift 2 ;;
    --kernel) kernel=${2:?$usage}; shift 2 ;;
    -*) echo "$usage" >&2; exit 2 ;;
    *) [ -z "$source_arg" ] || { echo "$usage" >&2; exit 2; }; source_arg=$1; shift ;;
  esac
done
case "$target" in
  el4) native=2.6.9-103.EL ;;
  el5) native=2.6.18-419.el5 ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
[ -n "$source_arg" ] || { echo "$usage" >&2; exit 2; }
[ "$kernel" != native ] || kernel=$native
if [ ${#rules[@]} = 0 ]; then
  rules=("$top/rules/el5.toml" "$top/rules/el5-robust.toml")
  [ "$target" != el4 ] || [ ! -f "$top/rules/el4.toml" ] || rules+=("$top/rules/el4.toml")
fi
python3 -m ziglang version >/dev/null 2>&1 || {
  echo "el-build.sh: zig's C compiler is needed: python3 -m pip install ziglang" >&2; exit 2; }

if [ -d "$source_arg" ]; then
  release=$(realpath "$source_arg")
  version=$(basename "$release")
  version=${version#uwsgi-}
else
  version=$source_arg
  release=$("$top/scripts/fetch-uwsgi.sh" "$version") || exit 2
fi
[ -f "$release/uwsgiconfig.py" ] || { echo "el-build.sh: $release has no uwsgiconfig.py" >&2; exit 2; }

if [ -z "${CDEFANG:-}" ]; then
  (cd "$top" && cargo build --release --quiet)
  CDEFANG=$top/target/release/cdefang
fi
[[ "$CDEFANG" != */* ]] || CDEFANG=$(realpath "$CDEFANG")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# zig caches objects by source, command line and the headers they included: a header the layer
# adds in front of one an object used before would not be noticed. One cache per state of
# scripts/el/ (EL_ZIG_CACHE: where; default .cache/zig-el/ of the project).
layer=$(cd "$top/scripts/el" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
export ZIG_GLOBAL_CACHE_DIR=${EL_ZIG_CACHE:-$top/.cache/zig-el}/${layer:0:16}

# The core profile, for every release: the release's buildconf/base.ini without plugins and
# with none of the optional libraries (an option a release does not know stays unknown to it).
# Written whole, not with `inherit`: the inherit code of some releases (1.9.x) fails on Python 3.
write_profile() {
  python3 - "$1/buildconf/base.ini" "$1/buildconf/el.ini" <<'PY'
import configparser, sys
profile = configparser.RawConfigParser()
profile.read(sys.argv[1])
overrides = {"main_plugin": "", "embedded_plugins": "", "plugins": "", "malloc_implementation": "libc"}
for library in ("xml", "yaml", "json", "sqlite3", "zeromq", "ldap", "ssl", "pcre", "routing"):
    overrides[library] = "false"
for key, value in overrides.items():
    profile.set("uwsgi", key, value)
with open(sys.argv[2], "w") as out:
    profile.write(out)
PY
}

# Builds $work/tree (always this path: zig caches objects by content and path, so the rewritten
# build recompiles only the files cdefang changed) and prints its RESULT.
build() {
  local log=$1
  write_profile "$work/tree"
  (cd "$work/tree" && EL_TARGET=$target EL_KERNEL=$kernel CC="$top/scripts/el/cc" \
    CPP="$top/scripts/el/cpp" CPUCOUNT=${CPUCOUNT:-1} \
    python3 "$top/scripts/el/uwsgiconfig.py" --build el) >"$log" 2>&1 || true
  local header symbols
  if [ -x "$work/tree/uwsgi" ]; then
    echo links
  elif header=$(grep -m1 -oE "missing header [^ ]+|'[^']+' file not found" "$log"); then
    header=${header#missing header }
    header=${header%\' file not found}
    echo "missing header ${header#\'}"
  elif symbols=$(grep -oE 'undefined symbol: [^ ]+' "$log" | sed 's/undefined symbol: //' | sort -u | tr '\n' ' '); [ -n "$symbols" ]; then
    echo "undefined: ${symbols% }"
  else
    echo "fails: $( (grep -m1 -E 'error:|Error:' "$log" || tail -1 "$log") | cut -c1-160)"
  fi
}

cp -a "$release" "$work/tree"
pristine=$(build "$work/pristine.log")
echo "$version $target pristine: $pristine"

rm -rf "$work/tree"
cp -a "$release" "$work/tree"
rule_args=()
for file in "${rules[@]}"; do rule_args+=(--rules "$file"); done
if ! "$CDEFANG" -q "${rule_args[@]}" "$work/tree" 2>"$work/cdefang.log"; then
  echo "$version $target rewritten: cdefang failed: $(grep -m1 '^error' "$work/cdefang.log" || true)"
  exit 2
fi
rewritten=$(build "$work/rewritten.log")
echo "$version $target rewritten: $rewritten"
if [ -n "${EL_BUILD_LOGS:-}" ]; then
  mkdir -p "$EL_BUILD_LOGS"
  cp "$work/pristine.log" "$EL_BUILD_LOGS/$version-$target-pristine.log"
  cp "$work/rewritten.log" "$EL_BUILD_LOGS/$version-$target-rewritten.log"
fi
[ "$rewritten" = links ]
