#!/usr/bin/env bash
# The drift check: rules/el5.toml over real uWSGI releases, against an oracle and an EL5 build
# emulation, side by side with the fixed-line diff of 2.0.17.
#
#   scripts/drift.sh [--quick|--all] [--table] [VERSION...]
#
# Default: every release in scripts/uwsgi-versions.txt (1.4.9 to the newest 2.0.x on PyPI);
# --quick: a dozen spread over 1.4.x, 1.9.x and 2.0.x (what CI runs); --table: end with the
# markdown table of README.md. Releases come from PyPI through scripts/fetch-uwsgi.sh (cached in
# .cache/uwsgi/). Exit status 1 if cdefang is wrong on any release.
#
# For each release, cdefang passes when:
#   - `cdefang --rules rules/el5.toml TREE` exits 0;
#   - core/utils.c equals `unifdef -DOBSOLETE_LINUX_KERNEL core/utils.c` of the release (oracle);
#   - core/utils.c, core/event.c and core/fsmon.c (where present) compile with a sys/inotify.h
#     that is an #error (EL5 has none), and `nm -u` of utils.o lists no unshare;
#   - no file outside those three changed, and a second run (--check) changes nothing.
# The fixed-line diff (2.0.17's core/utils.c against its unifdef output) is applied to the same
# release with GNU patch and classed: clean, offset/fuzz, failed, or applied-but-wrong (not the
# oracle).
#
# Then the line and statement examples, rules/no-epoll.toml and rules/pdeathsig.toml (with
# rules/uwsgi-parse.toml's hints), on another copy. A release "has the code" when uwsgi.h's
# `#ifdef __linux__` branch includes <sys/epoll.h>, core/event.c has a poll backend
# (UWSGI_EVENT_USE_POLL) and core/emperor.c calls prctl(PR_SET_PDEATHSIG, …). With the code,
# they pass when:
#   - the run exits 0, changing uwsgi.h, core/event.c and core/emperor.c only;
#   - uwsgi.h loses exactly its `#include <sys/epoll.h>` line, nothing else;
#   - every prctl(PR_SET_PDEATHSIG call of core/emperor.c is guarded (as many
#     `#ifdef PR_SET_PDEATHSIG` lines as calls);
#   - core/event.c and core/emperor.c compile where <sys/epoll.h> is an #error and
#     <sys/prctl.h> has no PR_SET_PDEATHSIG, and `nm -u` of event.o lists no epoll_ function;
#   - a second run (--check) changes nothing.
# Without the code, they pass when the run raises the drift alarm (exit 2) and writes nothing.
#
# The EL4/EL5 build check (section at the end; scripts/el-build.sh): with --quick, the releases
# of scripts/uwsgi-build-quick.txt; with --all, every release checked. Each is built against
# EL4's and EL5's glibc before and after cdefang; the check fails a release unless the rewritten
# core links for both targets and the pristine one fails on EL4 (when it links, the emulation no
# longer proves anything).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# The issue's EL5 build flags, plus UWSGI_THREADING: 1.4.x's uwsgi.h needs it (its uwsgiconfig.py
# always sets it) and later releases do not test it. None of them hides inotify or unshare.
FLAGS=(-D_GNU_SOURCE -DUWSGI_EVENT_USE_EPOLL -DUWSGI_EVENT_FILEMONITOR_USE_INOTIFY -DUWSGI_THREADING -w)
# The target examples' build: no event backend flag (the rules chose poll), a version string for
# the emperor's stats.
TARGET_FLAGS=(-D_GNU_SOURCE -DUWSGI_THREADING '-DUWSGI_VERSION="drift"' -w)
TARGET_RULES=(--rules rules/uwsgi-parse.toml --rules rules/no-epoll.toml --rules rules/pdeathsig.toml)

# The target examples on one release: prints "PASS|", "DRIFT|" (alarm raised where the code is
# missing, as it must be) or "FAIL|details".
check_targets() {
  local release=$1 dir=$2 bin=$3
  local tree="$dir/targets" failures=() rc=0 has_code=1 calls guards
  cp -a "$release" "$tree"
  sed -n '/^#ifdef __linux__/,/^#e/p' "$release/uwsgi.h" | grep -q '^#include <sys/epoll.h>' || has_code=0
  grep -q 'UWSGI_EVENT_USE_POLL' "$release/core/event.c" || has_code=0
  calls=$(grep -c 'prctl(PR_SET_PDEATHSIG' "$release/core/emperor.c" || true)
  [ "$calls" -gt 0 ] || has_code=0
  "$bin" -q "${TARGET_RULES[@]}" "$tree" 2>"$dir/targets.stderr" || rc=$?
  if [ $has_code = 0 ]; then
    if [ $rc = 2 ] && grep -q '^error: drift' "$dir/targets.stderr" && diff -rq "$release" "$tree" >/dev/null; then
      echo "DRIFT|$(grep -m1 '^error: drift' "$dir/targets.stderr")"
    else
      echo "FAIL|no code, yet no drift alarm (exit $rc)"
    fi
    return
  fi
  [ $rc = 0 ] || failures+=("exit $rc: $(grep -m1 '^error' "$dir/targets.stderr" || true)")
  local changed
  changed=$(diff -rq "$release" "$tree" | sed -E "s#^Files $release/([^ ]+) and .*#\1#" \
    | grep -vxE 'uwsgi\.h|core/(event|emperor)\.c' || true)
  [ -z "$changed" ] || failures+=("other files changed: $changed")
  [ "$(diff "$release/uwsgi.h" "$tree/uwsgi.h" | grep -c '^[<>]')" = 1 ] \
    && diff "$release/uwsgi.h" "$tree/uwsgi.h" | grep -qx '< #include <sys/epoll.h>' \
    || failures+=("uwsgi.h: not exactly the epoll line removed")
  guards=$(grep -c '^#ifdef PR_SET_PDEATHSIG' "$tree/core/emperor.c" || true)
  [ "$guards" = "$calls" ] || failures+=("emperor.c: $guards guards for $calls calls")
  local file
  for file in core/event.c core/emperor.c; do
    if ! (cd "$tree" && gcc -c -I"$dir/../target-shadow" -I. "${TARGET_FLAGS[@]}" "$file" \
          -o "$dir/t-$(basename "$file" .c).o" 2>"$dir/t-gcc.log"); then
      failures+=("$file does not compile without epoll and PR_SET_PDEATHSIG: $(grep -m1 'error' "$dir/t-gcc.log")")
    fi
  done
  if [ -f "$dir/t-event.o" ] && nm -u "$dir/t-event.o" | grep -q epoll_; then
    failures+=("event.o needs epoll")
  fi
  rc=0
  "$bin" -q --check "${TARGET_RULES[@]}" "$tree" 2>>"$dir/targets.stderr" || rc=$?
  [ "$rc" = 0 ] || failures+=("second run: exit $rc")
  if [ ${#failures[@]} = 0 ]; then
    echo "PASS|"
  else
    echo "FAIL|$(printf '%s; ' "${failures[@]}")"
  fi
}

# One release: prints "VERSION|cdefang RESULT|fixed-line diff CLASS|details".
check_one() {
  local version=$1 work=$2 bin=$3
  local release dir failures=() class detail=""
  release=$(scripts/fetch-uwsgi.sh "$version") || { echo "$version|FAIL|-|cannot fetch"; return; }
  dir="$work/$version"
  mkdir -p "$dir"
  cp -a "$release" "$dir/tree"

  local rc=0
  "$bin" -q --rules rules/el5.toml "$dir/tree" 2>"$dir/stderr" || rc=$?
  if [ "$rc" != 0 ]; then
    failures+=("exit $rc: $(grep -m1 '^error' "$dir/stderr" || true)")
  fi
  unifdef -DOBSOLETE_LINUX_KERNEL "$release/core/utils.c" >"$dir/oracle.c"
  [ $? -le 1 ] || failures+=("unifdef failed on core/utils.c")
  cmp -s "$dir/oracle.c" "$dir/tree/core/utils.c" || failures+=("utils.c is not the oracle")

  local changed
  changed=$(diff -rq "$release" "$dir/tree" | sed -E "s#^Files $release/([^ ]+) and .*#\1#" \
    | grep -vxE 'core/(utils|event|fsmon)\.c' || true)
  [ -z "$changed" ] || failures+=("other files changed: $changed")

  local file
  for file in core/utils.c core/event.c core/fsmon.c; do
    [ -f "$dir/tree/$file" ] || continue
    if ! (cd "$dir/tree" && gcc -c -I"$work/shadow" -I. "${FLAGS[@]}" "$file" \
          -o "$dir/$(basename "$file" .c).o" 2>"$dir/gcc-$(basename "$file" .c).log"); then
      failures+=("$file does not compile under EL5: $(grep -m1 'error' "$dir/gcc-$(basename "$file" .c).log")")
    fi
  done
  if [ -f "$dir/utils.o" ] && nm -u "$dir/utils.o" | grep -q unshare; then
    failures+=("utils.o needs unshare")
  fi

  rc=0
  "$bin" -q --check --rules rules/el5.toml "$dir/tree" 2>>"$dir/stderr" || rc=$?
  [ "$rc" = 0 ] || failures+=("second run: exit $rc")

  # The fixed-line diff.
  cp -a "$release" "$dir/patched"
  if ! (cd "$dir/patched" && patch -p1 --forward --dry-run --batch <"$work/fixed.patch" >"$dir/patch.log" 2>&1); then
    class=failed
  else
    (cd "$dir/patched" && patch -p1 --forward --batch <"$work/fixed.patch" >"$dir/patch.log" 2>&1)
    if ! cmp -s "$dir/oracle.c" "$dir/patched/core/utils.c"; then
      class=wrong
    elif grep -qiE 'offset|fuzz' "$dir/patch.log"; then
      class=fuzz
    else
      class=clean
    fi
  fi

  local targets
  targets=$(check_targets "$release" "$dir" "$bin")
  if [ ${#failures[@]} = 0 ]; then
    echo "$version|PASS|$class||$targets"
  else
    detail=$(printf '%s; ' "${failures[@]}")
    echo "$version|FAIL|$class|$detail|$targets"
  fi
  rm -rf "$dir"
}

if [ "${1:-}" = "--one" ]; then
  # Every check records its own failure; none may end the release's line early.
  set +e +o pipefail
  check_one "$2" "$3" "$4"
  exit 0
fi

quick=0 table=0 all=0 versions=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --all) all=1 ;;
    --table) table=1 ;;
    -*) echo "usage: scripts/drift.sh [--quick|--all] [--table] [VERSION...]" >&2; exit 2 ;;
    *) versions+=("$arg") ;;
  esac
done
if [ ${#versions[@]} = 0 ]; then
  if [ $quick = 1 ]; then
    mapfile -t versions < <(grep -v '^#' scripts/uwsgi-quick.txt)
  else
    mapfile -t versions < <(grep -v '^#' scripts/uwsgi-versions.txt)
  fi
fi

for tool in unifdef patch gcc nm python3; do
  command -v "$tool" >/dev/null || { echo "drift.sh: $tool is needed (see .ci/run)" >&2; exit 2; }
done
cargo build --release --quiet
bin="$top/target/release/cdefang"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/shadow/sys"
echo '#error no inotify on EL5' >"$work/shadow/sys/inotify.h"
# The target examples' system: no <sys/epoll.h>, a <sys/prctl.h> without PR_SET_PDEATHSIG.
mkdir -p "$work/target-shadow/sys"
echo '#error no epoll on this system' >"$work/target-shadow/sys/epoll.h"
printf '#include_next <sys/prctl.h>\n#undef PR_SET_PDEATHSIG\n' >"$work/target-shadow/sys/prctl.h"

# The fixed-line diff people use today: 2.0.17's core/utils.c against its unifdef output.
base=$(scripts/fetch-uwsgi.sh 2.0.17)
unifdef -DOBSOLETE_LINUX_KERNEL "$base/core/utils.c" >"$work/utils-fixed.c" || [ $? = 1 ]
diff -u --label a/core/utils.c --label b/core/utils.c "$base/core/utils.c" "$work/utils-fixed.c" \
  >"$work/fixed.patch" || [ $? = 1 ]

# Fetch first (sequentially, so pip's output stays sane), then check two at a time.
scripts/fetch-uwsgi.sh "${versions[@]}" >/dev/null
results=$(printf '%s\n' "${versions[@]}" \
  | xargs -P2 -I{} "$0" --one {} "$work" "$bin" | sort -t'|' -k1,1V)

failed=0
while IFS='|' read -r version verdict class detail targets tdetail; do
  printf '%-10s cdefang: %-4s  fixed-line diff: %-7s  targets: %-5s %s\n' "$version" "$verdict" "$class" \
    "$targets" "$detail$tdetail"
  [ "$verdict" = PASS ] || failed=1
  [ "$targets" = PASS ] || [ "$targets" = DRIFT ] || failed=1
done <<<"$results"
cat <<'LEGEND'

legend: "cdefang: PASS" is this check: rules/el5.toml made the release right (core/utils.c equals
unifdef's, the EL5 compile and nm pass, nothing else changed, a second run changes nothing);
"FAIL" fails the run. "fixed-line diff" is the comparison, not a check: how 2.0.17's fixed-line
patch applies to that release (clean, fuzz: with offset or fuzz, failed: refused, wrong: applied
but the result differs from unifdef's). "failed" there is expected on older releases and is
what cdefang's rules are for. "targets" checks the line and statement examples
(rules/no-epoll.toml, rules/pdeathsig.toml): PASS where the release has their code, DRIFT where
it does not (the alarm raised, nothing written: 1.4.x has no poll backend); anything else fails
the run.
LEGEND

if [ $table = 1 ]; then
  echo
  echo "| release line | releases | cdefang: correct and EL5-clean | fixed-line diff: clean | offset/fuzz | failed | applied but wrong |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for line in 1.4 1.9 2.0; do
    awk -F'|' -v line="$line" '
      index($1, line) == 1 && (length($1) == length(line) || substr($1, length(line) + 1, 1) == ".") {
        n++; if ($2 == "PASS") ok++
        c[$3]++
      }
      END { if (n) printf "| %s.x | %d | %d (%d%%) | %d | %d | %d | %d |\n", line, n, ok, 100 * ok / n, c["clean"], c["fuzz"], c["failed"], c["wrong"] }
    ' <<<"$results"
  done
  echo
  echo "| release line | releases | no-epoll + pdeathsig: hold | drift alarm (no code) | wrong |"
  echo "| --- | --- | --- | --- | --- |"
  for line in 1.4 1.9 2.0; do
    awk -F'|' -v line="$line" '
      index($1, line) == 1 && (length($1) == length(line) || substr($1, length(line) + 1, 1) == ".") {
        n++; c[$5]++
      }
      END { if (n) printf "| %s.x | %d | %d | %d | %d |\n", line, n, c["PASS"], c["DRIFT"], n - c["PASS"] - c["DRIFT"] }
    ' <<<"$results"
  done
fi

# --- The EL4/EL5 build check (issue 15) -------------------------------------------------------
# scripts/el-build.sh per release and target; one release at a time, two compiles at a time
# (zig's cache serves the rewritten build the objects cdefang did not change).
build_versions=()
if [ $all = 1 ]; then
  build_versions=("${versions[@]}")
elif [ $quick = 1 ]; then
  mapfile -t build_versions < <(grep -v '^#' scripts/uwsgi-build-quick.txt)
fi
if [ ${#build_versions[@]} -gt 0 ]; then
  python3 -m ziglang version >/dev/null 2>&1 || {
    echo "drift.sh: the build check needs zig's C compiler: python3 -m pip install ziglang" >&2; exit 2; }
  scripts/fetch-uwsgi.sh "${build_versions[@]}" >/dev/null
  echo
  echo "EL4/EL5 build check (scripts/el-build.sh; RESULT: links, missing header, undefined symbols):"
  build_results=()
  for version in "${build_versions[@]}"; do
    line=$version
    for target in el4 el5; do
      output=$(CDEFANG=$bin CPUCOUNT=${CPUCOUNT:-2} scripts/el-build.sh "$version" --target "$target" 2>&1) || true
      pristine=$(sed -n "s/^$version $target pristine: //p" <<<"$output")
      rewritten=$(sed -n "s/^$version $target rewritten: //p" <<<"$output")
      [ -n "$rewritten" ] || rewritten="no result: $(tail -1 <<<"$output")"
      [ "$rewritten" = links ] || failed=1
      # Every release's pristine core fails on EL4 (no <sys/inotify.h>, no unshare): one that
      # links means the emulation has lost what it proves, not that the release is fixed.
      if [ "$target" = el4 ] && [ "$pristine" = links ]; then
        pristine="links (the EL4 emulation should have failed it: see scripts/el/README.md)"
        failed=1
      fi
      line="$line|${pristine:--}|$rewritten"
    done
    build_results+=("$line")
    IFS='|' read -r _ p4 r4 p5 r5 <<<"$line"
    printf '%-10s el4: pristine %s; rewritten %s\n%-10s el5: pristine %s; rewritten %s\n' \
      "$version" "$p4" "$r4" "" "$p5" "$r5"
  done
  if [ $table = 1 ]; then
    echo
    echo "| release | EL4 pristine | EL4 rewritten | EL5 pristine | EL5 rewritten |"
    echo "| --- | --- | --- | --- | --- |"
    for line in "${build_results[@]}"; do
      IFS='|' read -r version p4 r4 p5 r5 <<<"$line"
      echo "| $version | $p4 | $r4 | $p5 | $r5 |"
    done
  fi
fi
exit $failed
