#!/usr/bin/env bash
# Bounds: time and peak memory of cdefang as the input grows (scripts/bench.sh --bounds runs it).
#   scripts/bench-bounds.sh [BIN]
# Inputs are generated in a temporary directory and removed after:
#   inside:  one C file of 1, 10 and 100 MB (functions with #ifndef/#ifdef blocks), a rule with
#            `inside` and `calls`, --check;
#   rules:   100 to 100,000 rules whose globs select no file (a warning each), --check;
#   learn:   a patch removing 100 to 20,000 blocks, one per function, cdefang learn;
#   jobs:    --jobs 30000 on 5 files.
# One run each (the big inputs take a while), each stopped after BENCH_TIMEOUT seconds (default
# 600: shown as "> 600"); prints a markdown table.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$top/target/release/cdefang}
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

limit=${BENCH_TIMEOUT:-600}
# measure NAME INPUT COMMAND...: one run, "| NAME | INPUT | seconds | peak MiB |".
measure() {
  local name=$1 input=$2 status=0; shift 2
  /usr/bin/time -o "$work/time" -f '%e %M' timeout "$limit" "$@" >/dev/null 2>&1 || status=$?
  if [ "$status" = 124 ]; then
    printf '| %s | %s | > %s | - |\n' "$name" "$input" "$limit"
    return
  fi
  read -r seconds kib < <(tail -1 "$work/time")
  printf '| %s | %s | %s | %s |\n' "$name" "$input" "$seconds" "$((kib / 1024))"
}

python3 - "$work" <<'PY'
import os, sys
work = sys.argv[1]
def function(i):
    return (f"static int f{i}(int a)\n{{\n\tint b = a * {i};\n#ifndef HAVE_X\n\tcall_x(b);\n"
            f"#endif\n#ifdef USE_Y\n\tb += call_y(a);\n#endif\n\treturn b;\n}}\n\n")
for mb in (1, 10, 100):
    os.makedirs(f"{work}/inside-{mb}", exist_ok=True)
    with open(f"{work}/inside-{mb}/big.c", "w") as out:
        size, i = 0, 0
        while size < mb * 1_000_000:
            text = function(i); out.write(text); size += len(text); i += 1
with open(f"{work}/inside.toml", "w") as out:
    out.write('[[rule]]\nid = "x"\nmessage = "m"\nfiles = ["*.c"]\naction = "drop"\n'
              '[rule.match]\ncondition = "!defined(HAVE_X)"\ncalls = ["call_x"]\ninside = "f7"\n')
os.makedirs(f"{work}/small", exist_ok=True)
with open(f"{work}/small/a.c", "w") as out:
    out.write(function(1))
for n in (100, 1000, 10_000, 100_000):
    with open(f"{work}/rules-{n}.toml", "w") as out:
        for i in range(n):
            out.write(f'[[rule]]\nid = "r{i}"\nmessage = "m"\nfiles = ["none/{i}.c"]\naction = "drop"\n'
                      '[rule.match]\ncondition = "defined(X)"\n\n')
for n in (100, 1000, 10_000, 20_000):
    os.makedirs(f"{work}/learn-{n}", exist_ok=True)
    old, new = [], []
    for i in range(n):
        old.append(f"int g{i}(void) {{\n\tint a = {i};\n#ifdef USE_X\n\tcall_x(a);\n#endif\n\treturn a;\n}}\n\n")
        new.append(f"int g{i}(void) {{\n\tint a = {i};\n\treturn a;\n}}\n\n")
    open(f"{work}/learn-{n}/a.c", "w").write("".join(old))
    open(f"{work}/learn-{n}.new", "w").write("".join(new))
PY
for n in 100 1000 10000 20000; do
  diff -u --label a/a.c --label b/a.c "$work/learn-$n/a.c" "$work/learn-$n.new" >"$work/learn-$n.patch" || true
done

echo "| what | input | time (s) | peak RSS (MiB) |"
echo "| --- | --- | --- | --- |"
for mb in 1 10 100; do
  measure "inside + calls, --check" "$mb MB file" "$bin" -q --check --rules "$work/inside.toml" "$work/inside-$mb"
done
for n in 100 1000 10000 100000; do
  measure "rules selecting no file, --check" "$n rules" "$bin" -q --check --rules "$work/rules-$n.toml" "$work/small"
done
for n in 100 1000 10000 20000; do
  measure "learn" "$n blocks" "$bin" learn -q "$work/learn-$n.patch" --source "$work/learn-$n" -o "$work/learned-$n.toml"
done
for i in 1 2 3 4 5; do cp "$work/small/a.c" "$work/small/a$i.c"; done
measure "--jobs 30000" "6 files" "$bin" -q --check --jobs 30000 --rules "$work/inside.toml" "$work/small"
