#!/usr/bin/env bash
# Benchmark: cdefang over a whole uWSGI 2.0.17 tree, side by side with ast-grep and unifdef.
#
#   scripts/bench.sh [--runs N]
#
# Times (hyperfine, cold process each run, medians) on the unpacked 2.0.17 sdist:
#   cdefang --rules rules/el5.toml --check TREE        (default threads, and --jobs 1)
#   cdefang --parse-stats TREE                          (every function through lang-c)
#   ast-grep scan with the equivalent drop-unshare rule (ast-grep-cli from PyPI)
#   unifdef -DOBSOLETE_LINUX_KERNEL, file by file       (Debian's unifdef)
# then throughput, peak memory (/usr/bin/time -v) and cdefang --check on 1x, 4x and 16x copies
# of the tree. Installs hyperfine (apt) and ast-grep-cli (pip) when missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
runs=10
[ "${1:-}" = "--runs" ] && runs=$2
# --bounds: only the bounds (time and memory as inputs grow to 100 MB and 100,000 rules).
if [ "${1:-}" = "--bounds" ]; then
  cargo build --release --quiet
  exec scripts/bench-bounds.sh "$top/target/release/cdefang"
fi

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
command -v ast-grep >/dev/null || python3 -m pip install -q ast-grep-cli
command -v unifdef >/dev/null || { apt-get update -qq && apt-get install -y -qq unifdef >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

cargo build --release --quiet
bin="$top/target/release/cdefang"
tree=$(scripts/fetch-uwsgi.sh 2.0.17)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/sg-rule.yml" <<'EOF'
id: drop-unshare-blocks
language: c
message: EL5's libc has no unshare()
rule:
  kind: preproc_if
  has:
    kind: call_expression
    stopBy: end
    has:
      field: function
      regex: ^unshare$
EOF
find "$tree" -name '*.[ch]' | sort >"$work/files.txt"
cat >"$work/unifdef-loop.sh" <<EOF
while read -r f; do unifdef -DOBSOLETE_LINUX_KERNEL "\$f" >/dev/null || [ \$? = 1 ]; done <"$work/files.txt"
EOF
files=$(wc -l <"$work/files.txt")
bytes=$(xargs cat <"$work/files.txt" | wc -c)

echo "tree: uWSGI 2.0.17, $files .c/.h files, $bytes bytes; $(nproc) cores; $runs runs each"
hyperfine --style basic --warmup 2 --runs "$runs" -i --export-json "$work/main.json" \
  -n "cdefang --check" "$bin -q --check --rules rules/el5.toml $tree" \
  -n "cdefang --check --jobs 1" "$bin -q --check --jobs 1 --rules rules/el5.toml $tree" \
  -n "cdefang --parse-stats" "$bin -q --parse-stats --rules rules/uwsgi-parse.toml $tree" \
  -n "ast-grep scan" "ast-grep scan --rule $work/sg-rule.yml $tree" \
  -n "unifdef per file" "bash $work/unifdef-loop.sh" >/dev/null

peak() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ {print $6}'; }
peak_cdefang=$(peak "$bin" -q --check --rules rules/el5.toml "$tree" || true)
peak_parse=$(peak "$bin" -q --parse-stats --rules rules/uwsgi-parse.toml "$tree" || true)
peak_sg=$(peak ast-grep scan --rule "$work/sg-rule.yml" "$tree" || true)

# Scaling: 4x and 16x copies of the tree.
for n in 4 16; do
  mkdir -p "$work/x$n"
  for i in $(seq "$n"); do cp -a "$tree" "$work/x$n/copy-$i"; done
done
hyperfine --style basic --warmup 1 --runs "$runs" -i --export-json "$work/scale.json" \
  -n "1x" "$bin -q --check --rules rules/el5.toml $tree" \
  -n "4x" "$bin -q --check --rules rules/el5.toml $work/x4" \
  -n "16x" "$bin -q --check --rules rules/el5.toml $work/x16" >/dev/null

python3 - "$work/main.json" "$work/scale.json" "$bytes" "$peak_cdefang" "$peak_parse" "$peak_sg" <<'EOF'
import json, sys
main = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
scale = {r["command"]: r for r in json.load(open(sys.argv[2]))["results"]}
size = int(sys.argv[3])
peaks = {"cdefang --check": sys.argv[4], "cdefang --parse-stats": sys.argv[5], "ast-grep scan": sys.argv[6]}
ours = main["cdefang --check"]["median"]
print()
print("| command | median (s) | cdefang --check faster by | throughput (MB/s) | peak RSS (MiB) |")
print("| --- | --- | --- | --- | --- |")
for name, r in main.items():
    median = r["median"]
    ratio = median / ours
    peak = peaks.get(name, "")
    peak = f"{int(peak) / 1024:.1f}" if peak else "-"
    print(f"| {name} | {median:.3f} | {ratio:.1f}x | {size / median / 1e6:.1f} | {peak} |")
print()
print("| tree | median (s) | per copy (s) |")
print("| --- | --- | --- |")
for name, copies in (("1x", 1), ("4x", 4), ("16x", 16)):
    median = scale[name]["median"]
    print(f"| {name} | {median:.3f} | {median / copies:.4f} |")
EOF
