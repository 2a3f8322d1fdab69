#!/usr/bin/env bash
# Runs `pnpm test` RUNS times (default 5) while four busy loops load the cores
# and a writer keeps the disk busy (64 MiB rewritten with fsync, in a loop).
# For each run: exit status, failed and cancelled counts, and the longest
# top-level test or suite. The load is stopped by PID when the script ends.
# Usage: scripts/test-under-load.sh [RUNS]   (set BOOKS_TEST_DATABASE_URL as for pnpm test)
set -uo pipefail
cd "$(dirname "$0")/.."

runs="${1:-5}"
work="$(mktemp -d)"
load=()
test_run=''
stop_load() {
  for pid in "${load[@]}"; do kill "$pid" 2>/dev/null; done
  # The test run has a process group of its own: end it whole if it is still going.
  [[ -n "$test_run" ]] && kill -- "-$test_run" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap stop_load EXIT
trap 'exit 130' INT TERM

for _ in 1 2 3 4; do
  node -e 'for(;;){}' &
  load+=($!)
done
(while :; do dd if=/dev/zero of="$work/disk-load" bs=1M count=64 conv=fsync status=none; done) &
load+=($!)
echo "load: ${#load[@]} processes (${load[*]}); results in $work until the end" >&2

# The longest top-level test or suite of a run, from the runner's TAP or spec output.
longest() {
  node -e '
    const text = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
    let best = {ms: 0, name: "none"};
    for (let i = 0; i < text.length; i++) {
      const tap = /^(?:not )?ok \d+ - (.*)/.exec(text[i]);
      const spec = /^[✔✖﹣] (.*) \(([\d.]+)ms\)/.exec(text[i]);
      let name, ms;
      if (tap) {
        name = tap[1];
        for (let j = i + 1; j < text.length && /^\s/.test(text[j]); j++) {
          const d = /^\s+duration_ms: ([\d.]+)/.exec(text[j]);
          if (d) { ms = Number(d[1]); break; }
        }
      } else if (spec) [name, ms] = [spec[1], Number(spec[2])];
      if (ms > best.ms) best = {ms, name};
    }
    console.log(`${(best.ms / 1000).toFixed(1)} s (${best.name})`);
  ' "$1"
}

count() { grep -E "^(# |ℹ )$1 " "$2" | tail -1 | awk '{print $3}'; }

passed=0
for run in $(seq 1 "$runs"); do
  out="$work/run-$run.txt"
  started=$SECONDS
  # In the background, so that Ctrl-C or kill reaches the traps at once.
  setsid pnpm test >"$out" 2>&1 &
  test_run=$!
  wait "$test_run"
  status=$?
  test_run=''
  [[ $status -eq 0 ]] && passed=$((passed + 1))
  echo "run $run: exit $status in $((SECONDS - started)) s; tests $(count tests "$out"), failed $(count fail "$out"), cancelled $(count cancelled "$out"); longest top-level: $(longest "$out")"
  if [[ $status -ne 0 ]]; then
    cp "$out" "./test-under-load-run-$run.txt"
    echo "  output kept in ./test-under-load-run-$run.txt" >&2
  fi
done
echo "$passed of $runs runs passed under load"
[[ $passed -eq $runs ]]
