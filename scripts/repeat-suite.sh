#!/usr/bin/env bash
# Runs the whole test suite (`npm test`, the README's command) several times, each from a fresh
# clone in its own folder, optionally beside a busy loop on every core, and records one line per
# run: time, commit, condition, exit code, duration, load average, failed tests.
#
# Usage: scripts/repeat-suite.sh [--runs N] [--contention] [--commit REV] [--out DIR]
#   --runs N        how many runs (default 10)
#   --contention    a `yes > /dev/null` loop per core beside each run
#   --commit REV    what to test (default HEAD of this checkout)
#   --out DIR       where clones, logs and results.tsv go (default a new temporary folder)
# A failed run's clone (with its test-artifacts/ folder) is kept; a passed one is removed.
# Exit code: 0 when every run passed.
set -euo pipefail

runs=10 contention=false commit=HEAD out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --contention) contention=true; shift ;;
    --commit) commit=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "repeat-suite: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$runs" in ''|*[!0-9]*) echo "repeat-suite: --runs needs a number" >&2; exit 2 ;; esac

repo="$(cd "$(dirname "$0")/.." && pwd)"
rev="$(git -C "$repo" rev-parse --short "$commit")"
out="${out:-$(mktemp -d "${TMPDIR:-/tmp}/aviary-suite-runs-XXXX")}"
mkdir -p "$out"
results="$out/results.tsv"
echo "repeat-suite: $runs run(s) of $rev ($([ "$contention" = true ] && echo contention || echo quiet)); results in $results"

busy=()
stop_busy() { for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null || true; done; busy=(); }
trap stop_busy EXIT

failed=0
for i in $(seq 1 "$runs"); do
  dir="$out/run-$i"
  rm -rf "$dir"
  git clone -q "$repo" "$dir"
  git -C "$dir" checkout -q "$rev"
  # The same lockfile: hard links of the installed packages instead of a fresh `npm ci`.
  cp -al "$repo/node_modules" "$dir/node_modules"
  if [ "$contention" = true ]; then
    for _ in $(seq 1 "$(nproc)"); do (exec yes > /dev/null) & busy+=($!); done
  fi
  load0=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s)
  set +e
  (cd "$dir" && AVIARY_TEST_ARTIFACTS="$dir/test-artifacts" npm test < /dev/null > "$out/run-$i.log" 2>&1)
  code=$?
  set -e
  seconds=$(( $(date +%s) - start ))
  load1=$(cut -d' ' -f1 /proc/loadavg)
  stop_busy
  fails=$(sed 's/\x1b\[[0-9;]*m//g' "$out/run-$i.log" | grep -E '^ +FAIL ' | sed 's/^ *FAIL *//' | paste -sd'|' - || true)
  printf '%s\t%s\t%s\t%s\texit %s\t%s s\tload %s -> %s\t%s\n' "$(date -u +%FT%TZ)" "run-$i" "$rev" \
    "$([ "$contention" = true ] && echo contention || echo quiet)" "$code" "$seconds" "$load0" "$load1" "$fails" \
    | tee -a "$results"
  if [ "$code" -eq 0 ]; then rm -rf "$dir"; else failed=$((failed + 1)); fi
done
echo "repeat-suite: $((runs - failed)) of $runs passed"
[ "$failed" -eq 0 ]
