#!/usr/bin/env bash
# Runs the whole test suite (`npm test`, the README's command) several times, each from a fresh
# clone in its own folder, optionally beside a busy loop on every core, and records one line per
# run: time, commit, condition, exit code, duration, load average, failed tests.
#
# Usage: scripts/repeat-suite.sh [--runs N] [--parallel K] [--contention] [--commit REV] [--out DIR]
#   --runs N        how many runs (default 10)
#   --parallel K    runs per round, started together from K clones (default 1); each run of a
#                   round has the other K-1 suites beside it
#   --contention    a `yes > /dev/null` loop per core beside every run, for the whole round
#   --commit REV    what to test (default HEAD of this checkout)
#   --out DIR       where clones, logs and results.tsv go (default a new temporary folder)
# A failed run's clone (with its test-artifacts/ folder) is kept; a passed one is removed.
# Exit code: 0 when every run passed.
set -euo pipefail

runs=10 parallel=1 contention=false commit=HEAD out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    --contention) contention=true; shift ;;
    --commit) commit=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "repeat-suite: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for value in "$runs" "$parallel"; do
  case "$value" in ''|*[!0-9]*|0) echo "repeat-suite: --runs and --parallel need a positive number" >&2; exit 2 ;; esac
done

repo="$(cd "$(dirname "$0")/.." && pwd)"
rev="$(git -C "$repo" rev-parse --short "$commit")"
out="${out:-$(mktemp -d "${TMPDIR:-/tmp}/aviary-suite-runs-XXXX")}"
mkdir -p "$out"
results="$out/results.tsv"
condition="$([ "$contention" = true ] && echo contention || echo quiet)"
[ "$parallel" -gt 1 ] && condition="$condition, $parallel at once"
echo "repeat-suite: $runs run(s) of $rev ($condition); results in $results"

busy=()
stop_busy() { for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null || true; done; busy=(); }
trap stop_busy EXIT

# One run from its own fresh clone; prints its result line to results.tsv.
run_one() {
  local i=$1 dir="$out/run-$1" load0 start code seconds load1 fails
  load0=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s)
  set +e
  (cd "$dir" && AVIARY_TEST_ARTIFACTS="$dir/test-artifacts" npm test < /dev/null > "$out/run-$i.log" 2>&1)
  code=$?
  set -e
  seconds=$(( $(date +%s) - start ))
  load1=$(cut -d' ' -f1 /proc/loadavg)
  fails=$(sed 's/\x1b\[[0-9;]*m//g' "$out/run-$i.log" | grep -E '^ +FAIL ' | sed 's/^ *FAIL *//' | paste -sd'|' - || true)
  printf '%s\t%s\t%s\t%s\texit %s\t%s s\tload %s -> %s\t%s\n' "$(date -u +%FT%TZ)" "run-$i" "$rev" \
    "$condition" "$code" "$seconds" "$load0" "$load1" "$fails" | tee -a "$results"
  if [ "$code" -eq 0 ]; then rm -rf "$dir"; fi
  return "$code"
}

failed=0
i=0
while [ "$i" -lt "$runs" ]; do
  round=()
  for _ in $(seq 1 "$parallel"); do
    [ "$i" -lt "$runs" ] || break
    i=$((i + 1))
    dir="$out/run-$i"
    rm -rf "$dir"
    git clone -q "$repo" "$dir"
    git -C "$dir" checkout -q "$rev"
    # The same lockfile: hard links of the installed packages instead of a fresh `npm ci`.
    cp -al "$repo/node_modules" "$dir/node_modules"
    round+=("$i")
  done
  if [ "$contention" = true ]; then
    for _ in $(seq 1 "$(nproc)"); do (exec yes > /dev/null) & busy+=($!); done
  fi
  pids=()
  for n in "${round[@]}"; do
    run_one "$n" & pids+=($!)
    # Staggered a little, so the rounds' builds do not start in the same instant.
    [ "${#round[@]}" -gt 1 ] && sleep 20
  done
  for pid in "${pids[@]}"; do
    if ! wait "$pid"; then failed=$((failed + 1)); fi
  done
  stop_busy
done
echo "repeat-suite: $((runs - failed)) of $runs passed"
[ "$failed" -eq 0 ]
