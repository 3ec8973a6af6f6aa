#!/usr/bin/env bash
# The web UI benchmark (issue 8 §4): server-side render time of the main pages on a farm with 100,000 tasks
# and 10,000 builds. Builds the release hub, starts a private PostgreSQL (deploy/pg.sh, in a temporary
# directory) and a hub on a free port, generates the history with deploy/bench/web-data.sql, then requests
# each page REQUESTS times in a row (after one warm-up) and reports p50/p95/max of the time to the first byte
# (pages are rendered whole before the first byte is sent, so this is the render time plus a local round trip)
# against the 50 ms target. Writes what it printed to deploy/bench/web.txt.
#
#   deploy/bench/web.sh                          the whole benchmark (a few minutes on 2 cores)
#   TASKS=10000 BUILDS=1000 OUT=/tmp/w.txt deploy/bench/web.sh    a quick run
#
# Environment: TASKS, BUILDS, HOSTS (farm size), REQUESTS (per page, default 200), OUT,
# CARGO_TARGET_DIR (default /var/tmp/koji-rs-target), KOJI_RS_PGBIN (see deploy/pg.sh).
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
TASKS=${TASKS:-100000}
BUILDS=${BUILDS:-10000}
HOSTS=${HOSTS:-200}
REQUESTS=${REQUESTS:-200}
TARGET_MS=50
OUT=${OUT:-$ROOT/deploy/bench/web.txt}
. deploy/bench/lib.sh

cargo build --release --bin koji-hub

bench_setup webbench "ReadyTimeout = 315360000"

GEN_START=$(date +%s)
bench_psql -v tasks="$TASKS" -v builds="$BUILDS" -v hosts="$HOSTS" -f deploy/bench/web-data.sql >/dev/null
GEN_SECS=$(( $(date +%s) - GEN_START ))

bench_serve
BASE=http://127.0.0.1:$HUB_PORT/koji

TOP=$(bench_psql -c "SELECT max(id) FROM task WHERE parent IS NULL AND state = 2")
HOST=$(bench_psql -c "SELECT min(id) FROM host")
PKG=$(bench_psql -c "SELECT min(pkg_id) FROM build")
BUILD=$(bench_psql -c "SELECT max(id) FROM build")
USER_ID=$(bench_psql -c "SELECT min(id) FROM users WHERE name LIKE 'packager%'")
PAGES=(
    "index"
    "tasks"
    "tasks?state=all&view=flat"
    "tasks?state=closed&view=toplevel&order=-completion_time&start=5000"
    "tasks?state=all&method=buildArch&arch=aarch64&view=flat"
    "taskinfo?taskID=$TOP"
    "builds"
    "builds?order=nvr&start=5000"
    "buildinfo?buildID=$BUILD"
    "packages"
    "packageinfo?packageID=$PKG"
    "tags"
    "hosts"
    "hostinfo?hostID=$HOST"
    "channels"
    "channelinfo?channelID=1"
    "clusterhealth"
    "users"
    "userinfo?userID=$USER_ID"
    "search?terms=pkg1*&type=package&match=glob"
)

TMP_OUT=$WORK/out.txt
{
    echo "\$ deploy/bench/web.sh      ($(date -u +%F), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, release build)"
    echo "farm: $(bench_psql -c 'SELECT count(*) FROM task') tasks, $(bench_psql -c 'SELECT count(*) FROM build') builds," \
        "$(bench_psql -c 'SELECT count(*) FROM host') hosts, $(bench_psql -c 'SELECT count(*) FROM package') packages" \
        "(generated in ${GEN_SECS}s); $REQUESTS sequential requests per page after one warm-up"
    printf '%-72s %8s %8s %8s  %s\n' page p50_ms p95_ms max_ms "target p95 <= ${TARGET_MS} ms"
    worst=0
    for page in "${PAGES[@]}"; do
        code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/$page")
        [[ $code == 200 ]] || { echo "$page answered HTTP $code" >&2; exit 1; }
        times=$(for _ in $(seq "$REQUESTS"); do
            curl -s -o /dev/null -w '%{time_starttransfer}\n' "$BASE/$page"
        done | awk '{ printf "%.3f\n", $1 * 1000 }' | sort -n)
        stat() { echo "$times" | awk -v q="$1" '{ a[NR] = $1 } END { i = int(NR * q + 0.999); if (i < 1) i = 1; print a[i] }'; }
        p50=$(stat 0.50); p95=$(stat 0.95); max=$(stat 1.0)
        verdict=$(awk -v p="$p95" -v t="$TARGET_MS" 'BEGIN { print (p <= t) ? "met" : "MISSED" }')
        printf '%-72s %8s %8s %8s  %s\n' "/koji/$page" "$p50" "$p95" "$max" "$verdict"
        worst=$(awk -v a="$worst" -v b="$p95" 'BEGIN { print (b > a) ? b : a }')
    done
    echo "worst p95: $worst ms (target $TARGET_MS ms): $(awk -v p="$worst" -v t="$TARGET_MS" 'BEGIN { print (p <= t) ? "all met" : "MISSED" }')"
} | tee "$TMP_OUT"
cp "$TMP_OUT" "$OUT"
