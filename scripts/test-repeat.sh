#!/usr/bin/env bash
# test-repeat.sh runs `make test` N times in a row to catch flaky tests, printing one line per
# run ("run 3/10: PASS in 212s") and a summary ("9 passed, 1 failed"). The output of a failed
# run is kept in bin/test-repeat-<i>.log; a passed run's is removed. It exits 1 when any run
# failed. `make test-repeat N=10` calls it.
#
# Usage: scripts/test-repeat.sh [N]   (N: number of runs, default 10)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10}
if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
  echo "test-repeat: N must be a positive number, not '$n'" >&2
  exit 2
fi
make=${MAKE:-make}

mkdir -p "$root/bin"
rm -f "$root"/bin/test-repeat-*.log # logs of an earlier series would be mistaken for this one's
passed=0
failed=0
for ((i = 1; i <= n; i++)); do
  log=$root/bin/test-repeat-$i.log
  start=$(date +%s)
  if "$make" -C "$root" --no-print-directory test >"$log" 2>&1; then
    result=PASS
    passed=$((passed + 1))
    rm -f "$log"
  else
    result=FAIL
    failed=$((failed + 1))
  fi
  line="run $i/$n: $result in $(($(date +%s) - start))s"
  if [[ $result == FAIL ]]; then
    line+=" (log: bin/test-repeat-$i.log)"
  fi
  echo "$line"
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
