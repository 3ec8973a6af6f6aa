#!/usr/bin/env bash
# The scheduler benchmark (spec koji-scheduler.md §6.4–6.5, issue 5 point 6): builds release binaries,
# starts a private PostgreSQL (deploy/pg.sh, in a temporary directory) and a hub on a free port, creates an
# admin, runs koji-sim for 100, 1,000 and 10,000 push builders and for 100 and 1,000 polling builders
# (kojid's loop at sleeptime 15 s, not compressed), stops everything it started, and writes what it
# printed to deploy/bench/scheduler.txt.
#
#   deploy/bench/scheduler.sh            the whole benchmark (about 20 minutes on 2 cores)
#   SCALES="100" POLL_SCALES="" deploy/bench/scheduler.sh    a quick run (output to $OUT)
#
# Environment: SCALES (push fleet sizes), POLL_SCALES, SIM_ARGS (more koji-sim options, e.g.
# "--idle-secs 10"), OUT (default deploy/bench/scheduler.txt),
# CARGO_TARGET_DIR (default /var/tmp/koji-rs-target), KOJI_RS_PGBIN (see deploy/pg.sh).
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SCALES=${SCALES:-"100 1000 10000"}
POLL_SCALES=${POLL_SCALES-"100 1000"}
OUT=${OUT:-$ROOT/deploy/bench/scheduler.txt}
SIM_ARGS=${SIM_ARGS:-}
. deploy/bench/lib.sh

# 10,000 WebSockets on each side, plus the pool and the simulator's HTTP connections.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
(( $(ulimit -n) >= 12000 )) || { echo "scheduler.sh: need >= 12000 open files, have $(ulimit -n)" >&2; exit 1; }

cargo build --release --bin koji-hub --bin koji-sim

bench_setup bench
bench_serve

sim() {
    "$BIN/koji-sim" --hub "http://127.0.0.1:$HUB_PORT/kojihub" \
        --db "host=$PG_HOST port=$PG_PORT user=koji dbname=koji" \
        --admin-password-file "$WORK/admin.password" --hub-pid "$HUB_PID" "$@" $SIM_ARGS
}

TMP_OUT=$WORK/out.txt
{
    echo "\$ deploy/bench/scheduler.sh      ($(date -u +%F), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, release build)"
    echo "One hub (Workers = cores), PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') (fsync on) and the simulator share the machine."
    echo "Hosts and their sessions are made with SQL (see koji-sim --help); tasks run 0-200 ms (coordination is"
    echo "what is measured); the poll interval and the hub's timeouts are Koji's defaults, not compressed."
    echo
    for n in $SCALES; do
        trees=$(( n < 1000 ? 200 : (n < 10000 ? 1000 : 2000) ))
        rate=$(( n < 1000 ? 20 : (n < 10000 ? 50 : 100) ))
        echo "=== push, $n hosts"
        sim --mode push --hosts "$n" --prefix "push$n" --trees "$trees" --rate "$rate" --burst $(( 2 * n ))
        echo
    done
    for n in $POLL_SCALES; do
        echo "=== poll (kojid's loop, sleeptime 15 s), $n hosts"
        sim --mode poll --hosts "$n" --prefix "poll$n" --trees 100 --rate 5 --burst "$n" --sleeptime 15
        echo
    done
    echo "=== in memory (cargo bench --bench placement; deploy/bench/placement.txt)"
    sed -n '2,$p' deploy/bench/placement.txt
} 2>&1 | tee "$TMP_OUT"
echo | tee -a "$TMP_OUT"
deploy/bench/targets.sh "$TMP_OUT" | tee -a "$TMP_OUT"
cp "$TMP_OUT" "$OUT"
echo "written to $OUT"
