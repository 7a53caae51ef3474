#!/usr/bin/env bash
# The one line .ci/run ends with: how many checks passed and failed over the run, from the
# output of `cargo test` (its `test result:` lines, one per test binary) and of
# scripts/drift.sh (its `cdefang: PASS`/`cdefang: FAIL` lines, one per release).
#   scripts/ci-summary.sh LOG...        (or the output on standard input)
set -euo pipefail
cat "$@" | awk '
  /^test result:/ {
    for (i = 2; i <= NF; i++) {
      if ($i == "passed;") passed += $(i - 1)
      if ($i == "failed;") failed += $(i - 1)
    }
  }
  / cdefang: PASS / { passed++ }
  / cdefang: FAIL / { failed++ }
  END { printf "%d passed, %d failed\n", passed, failed }
'
