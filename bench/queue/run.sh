#!/usr/bin/env bash
# No-op jobs per second through each queue backend: `interdict queue submit --count N` fills the queue,
# `interdict worker --until-idle` drains it with the built-in no-op handler (queue/builtin_handlers.h), so
# the figure is the queue's own cost per job (lease, heartbeat bookkeeping, fenced completion), not a plugin's.
# PostgreSQL comes from scripts/services.d/postgresql.start (a throw-away local server, fsync off as in
# the tests; a production server with fsync on is slower per commit).
# Usage: bench/queue/run.sh BUILD_DIR OUT_DIR      Environment: JOBS (default 5000), SLOTS (default "1 4 8").
set -euo pipefail
build_dir=$(cd "${1:-build}" && pwd)
out_dir=${2:-/tmp/interdict-bench-queue}
mkdir -p "$out_dir"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
interdict=$build_dir/bin/interdict
jobs=${JOBS:-5000}
slots_list=${SLOTS:-1 4 8}

export SERVICES_ENV=$(mktemp)
work=$(mktemp -d)
cleanup() { "$root/scripts/services.d/postgresql.stop" || true; rm -rf "$work" "$SERVICES_ENV"; }
trap cleanup EXIT
"$root/scripts/services.d/postgresql.start"
# shellcheck disable=SC1090
. "$SERVICES_ENV"

now() { date +%s.%N; }
results=$out_dir/queue.tsv
printf 'backend\tslots\tjobs\tsubmit_s\tsubmit_jobs_per_s\tdrain_s\tjobs_per_s\n' >"$results"
run=0
for backend in sqlite postgresql; do
  for slots in $slots_list; do
    run=$((run + 1))
    if [ "$backend" = sqlite ]; then
      url=sqlite:$work/queue-$run.db
    else
      psql "$INTERDICT_TEST_PG_URL" -q -c "CREATE SCHEMA bench$run" >/dev/null
      url="$INTERDICT_TEST_PG_URL?options=-csearch_path%3Dbench$run"
    fi
    t0=$(now)
    "$interdict" queue --queue "$url" submit --plugin builtin:noop --plugin-version 1 --count "$jobs" >/dev/null
    t1=$(now)
    "$interdict" worker --queue "$url" --concurrency "$slots" --until-idle 2>"$out_dir/worker-$backend-$slots.log"
    t2=$(now)
    done_count=$("$interdict" --json queue --queue "$url" status | sed -n 's/.*"done": \([0-9]*\).*/\1/p')
    [ "$done_count" = "$jobs" ] || { echo "bench: $backend/$slots finished $done_count of $jobs" >&2; exit 1; }
    awk -v b="$backend" -v s="$slots" -v n="$jobs" -v t0="$t0" -v t1="$t1" -v t2="$t2" 'BEGIN {
      printf "%s\t%d\t%d\t%.2f\t%.0f\t%.2f\t%.0f\n", b, s, n, t1 - t0, n / (t1 - t0), t2 - t1, n / (t2 - t1) }' >>"$results"
  done
done
column -t "$results"
