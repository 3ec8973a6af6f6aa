#!/usr/bin/env bash
# Reads the output of deploy/bench/scheduler.sh (a file, or stdin) and prints the issue 5 §6 targets
# against what was measured; scheduler.sh appends this to deploy/bench/scheduler.txt.
set -euo pipefail

awk '
function ms(s) { sub(/ ms.*/, "", s); return s + 0 }
/^=== push, / { mode = "push"; n = $3; pushes[++npush] = n }
/^=== poll/ { mode = "poll"; n = $(NF - 1) }
/^=== in memory/ { mode = "mem" }
/^idle:/ { phase = "idle" } /^trees:/ { phase = "trees" } /^burst:/ { phase = "burst" }
phase == "trees" && /FREE→OPEN/ { split($0, a, "p99 "); open99[mode, n] = ms(a[2]) }
phase == "trees" && /FREE→ASSIGNED/ { split($0, a, "p99 "); asg99[mode, n] = ms(a[2]); split($0, b, "p50 "); asg50[mode, n] = ms(b[2]) }
phase == "trees" && /parent wake/ { split($0, a, "p99 "); wake99[mode, n] = ms(a[2]) }
phase == "burst" && /durable placements/ { split($0, a, " = "); split(a[2], b, "/s"); place[mode, n] = b[1] + 0 }
phase == "idle" && /per heartbeat/ { split($0, a, "commits, "); split(a[2], b, " tuples"); beat_tuples[n] = b[1]; split($0, c, "/min\\): "); split(c[2], d, " commits"); beat_commits[n] = d[1] }
phase == "idle" && /per idle host per minute/ { split($0, a, "minute: "); idle[mode, n] = a[2] }
mode == "mem" && /koji-rs model/ { split($0, a, "= *"); split(a[2], b, " "); mem = b[1] + 0 }
END {
    print "targets (issue 5 §6, spec koji-scheduler.md §6.4) against this run:"
    line = ""; ok = 1
    for (i = 1; i <= npush; i++) { n = pushes[i]; line = line sprintf(" %s hosts %d ms;", n, open99["push", n]); if (open99["push", n] + 0 > 1000) ok = 0 }
    printf "  FREE→OPEN p99 ≤ 1 s with push builders (task trees):%s %s\n", line, (ok ? "MET" : "MISSED")
    line = ""
    for (i = 1; i <= npush; i++) { n = pushes[i]; line = line sprintf(" %s hosts p50 %d / p99 %d ms;", n, asg50["push", n], asg99["push", n]) }
    printf "  FREE→ASSIGNED p50 ≤ 20 ms, p99 ≤ 250 ms (spec §6.4, push trees):%s\n", line
    line = ""
    for (i = 1; i <= npush; i++) { n = pushes[i]; line = line sprintf(" %s hosts %d ms;", n, wake99["push", n]) }
    printf "  child done → parent woken p99 ≤ 200 ms (push):%s\n", line
    r = place["push", 10000]
    printf "  ≥ 5,000 durable placements/s at 10k hosts: %d/s (first to last placement of a burst of 20,000) %s\n", r, (r >= 5000 ? "MET" : "MISSED")
    line = ""
    for (i = 1; i <= npush; i++) { n = pushes[i]; line = line sprintf(" %s hosts %s tuples and %s commits per heartbeat;", n, beat_tuples[n], beat_commits[n]) }
    printf "  0 DB writes per idle heartbeat:%s\n", line
    printf "    (a heartbeat writes nothing; what remains is the coalesced host.update_time, one row per host per\n"
    printf "    minute in one statement for all hosts, and the hub'"'"'s own timers, a fixed ~50 commits/min)\n"
    for (k in idle) { split(k, p, SUBSEP); if (p[1] == "poll") printf "    polling builders, %s hosts, per idle host per minute: %s\n", p[2], idle[k] }
    printf "  ≥ 10^5 in-memory placement decisions/s at 10k hosts: %d/s %s\n", mem, (mem >= 100000 ? "MET" : "MISSED")
    print "notes:"
    print "  - The burst'"'"'s FREE→OPEN (seconds) is 20,000 tasks worked off by the builders on the same 2 cores, each"
    print "    open and close a committed write: throughput, not dispatch latency, which the trees phase measures."
    print "  - Placements/s varies between runs on this shared 2-core machine (5,400-5,600/s in the 10k runs of this code):"
    print "    the leader persists 1,000 placements per transaction in 70-200 ms, after reading the burst (~1 s)."
    print "  - FREE→ASSIGNED p50 at 10k hosts is over the spec'"'"'s 20 ms: a placement waits for the notification, a"
    print "    reconcile read and its batch'"'"'s commit while the trees'"'"' opens and closes load the same database."
    print "  - Polling: FREE→OPEN is bounded by sleeptime (compat target p99 ≤ 15.5 s). Its p50 is not ~7.5 s"
    print "    because ties among idle hosts go to the lowest host id (as Koji'"'"'s host order does), so the tasks of"
    print "    every tree land on the same few hosts and wait for their fixed poll phases."
}
' "${1:-/dev/stdin}"
