#!/usr/bin/env bash
# Runs the whole koji-rs system on this machine, from a fresh checkout:
#
#   deploy/run.sh          install deps, build, start database and hub, print how to use them
#   deploy/run.sh stop     stop the hub and the database
#   deploy/run.sh status   tell what runs
#
# Everything lives under $DATA (default ./.koji-rs-data): the database
# (pg/), KojiDir (koji/), hub.conf, hub.log, hub.pid, koji.conf, the
# admin's password (admin.password), and the builder's kojid.conf,
# kojid.log, kojid.pid, kojid.password and work dir (kojid/). Running it again rebuilds and restarts
# the hub and keeps the data.
#
# Environment: DATA, KOJI_RS_PORT (hub, default 8080), KOJI_RS_BUILDER
# (the builder's host name, default builder1), KOJI_RS_PG_PORT
# (database, default 55432), CARGO_TARGET_DIR (default
# /var/tmp/koji-rs-target), KOJI_RS_VENV (default /var/tmp/koji-rs-venv).
set -euo pipefail

cd "$(dirname "$0")/.."
DATA=${DATA:-./.koji-rs-data}
HUB_PORT=${KOJI_RS_PORT:-8080}
PG_PORT=${KOJI_RS_PG_PORT:-55432}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/koji-rs-target}
export KOJI_RS_VENV=${KOJI_RS_VENV:-/var/tmp/koji-rs-venv}
HUB=$CARGO_TARGET_DIR/release/koji-hub
KOJID=$CARGO_TARGET_DIR/release/kojid
BUILDER=${KOJI_RS_BUILDER:-builder1}
# Where rustup puts cargo, for shells that have not sourced its env.
if [[ -d ${HOME:-}/.cargo/bin ]]; then PATH=$HOME/.cargo/bin:$PATH; fi

die() { echo "run.sh: $*" >&2; exit 1; }

# The PID in $DATA/<file>.pid, if that process is still a <program> (PIDs get reused). Args: file program.
daemon_pid() {
    local pid
    pid=$(cat "$DATA/$1.pid" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q "$2" &&
        echo "$pid"
}

# SIGTERM, then SIGKILL after a grace period (kojid frees its running tasks on SIGTERM).
# Args: file program tenths-of-a-second.
stop_daemon() {
    local pid i
    if pid=$(daemon_pid "$1" "$2"); then
        kill -TERM "$pid"
        for ((i = 0; i < $3; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "$2 did not stop within $(($3 / 10)) s; killing it" >&2
            kill -KILL "$pid"
        fi
        echo "$2 stopped"
    fi
    rm -f "$DATA/$1.pid"
}

hub_pid() { daemon_pid hub koji-hub; }
stop_hub() { stop_daemon hub koji-hub 100; }
kojid_pid() { daemon_pid kojid kojid; }
stop_kojid() { stop_daemon kojid kojid 150; }

port_in_use() { (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

start() {
    deploy/install-deps.sh
    cargo build --release --bins

    mkdir -p "$DATA"
    DATA=$(cd "$DATA" && pwd)
    deploy/pg.sh start "$DATA/pg" "$PG_PORT"
    mkdir -p "$DATA/koji"
    (
        umask 077
        cat >"$DATA/hub.conf" <<EOF
[hub]
DBName = koji
DBHost = $DATA/pg/run
DBPort = $(cat "$DATA/pg/port")
DBUser = koji
DBPass = $(cat "$DATA/pg/koji.password")
KojiDir = $DATA/koji
ListenAddress = 127.0.0.1:$HUB_PORT
EOF
    )
    "$HUB" --config "$DATA/hub.conf" migrate

    if [[ ! -s $DATA/admin.password ]]; then
        (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$DATA/admin.password.new")
        "$HUB" --config "$DATA/hub.conf" create-user kojiadmin \
            --password-file "$DATA/admin.password.new" --admin
        mv "$DATA/admin.password.new" "$DATA/admin.password"
    fi

    stop_hub
    port_in_use "$HUB_PORT" && die "127.0.0.1:$HUB_PORT is taken by another program; set KOJI_RS_PORT"
    nohup "$HUB" --config "$DATA/hub.conf" serve </dev/null >>"$DATA/hub.log" 2>&1 &
    echo $! >"$DATA/hub.pid"
    local i
    for ((i = 0; i < 300; i++)); do
        hub_pid >/dev/null || { tail -n 30 "$DATA/hub.log" >&2; die "koji-hub exited; log: $DATA/hub.log"; }
        port_in_use "$HUB_PORT" && break
        sleep 0.1
    done
    port_in_use "$HUB_PORT" || die "koji-hub did not listen on 127.0.0.1:$HUB_PORT within 30 s; log: $DATA/hub.log"

    cat >"$DATA/koji.conf" <<EOF
# Log in with --user/--password: the CLI takes them from nowhere else.
[koji-rs]
server = http://127.0.0.1:$HUB_PORT/kojihub
weburl = http://127.0.0.1:$HUB_PORT/koji
topurl = http://127.0.0.1:$HUB_PORT/kojifiles
topdir = $DATA/koji
EOF

    start_kojid

    # --- Web UI: start it here once it exists, like the hub (PID file and
    # --- log under $DATA), and stop it in stop().

    cat <<EOF

koji-rs is running.
  hub:       http://127.0.0.1:$HUB_PORT/kojihub   (pid $(cat "$DATA/hub.pid"), log $DATA/hub.log)
  builder:   $BUILDER (pid $(cat "$DATA/kojid.pid"), rpmbuild backend, log $DATA/kojid.log)
  web UI:    http://127.0.0.1:$HUB_PORT/koji
  metrics:   http://127.0.0.1:$HUB_PORT/metrics
  database:  host=$DATA/pg/run port=$(cat "$DATA/pg/port") user=koji dbname=koji

The koji CLI (1.36.1) is in $KOJI_RS_VENV/bin. As the admin:

  $KOJI_RS_VENV/bin/koji --config $DATA/koji.conf -p koji-rs --user kojiadmin --password "\$(cat $DATA/admin.password)" hello

Anonymous commands need no login:

  $KOJI_RS_VENV/bin/koji --config $DATA/koji.conf -p koji-rs list-tags

Stop everything with: $0 stop
EOF
}

# One builder beside the hub: host $BUILDER (a user with a password, made a host), in the default and
# createrepo channels, running kojid with the rpmbuild backend.
start_kojid() {
    local koji=("$KOJI_RS_VENV/bin/koji" --config "$DATA/koji.conf" -p koji-rs
        --user kojiadmin --password "$(cat "$DATA/admin.password")")
    stop_kojid
    if [[ ! -s $DATA/kojid.password ]]; then
        (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$DATA/kojid.password.new")
        # --reset-password: an earlier start may have stopped between creating the user and saving its password.
        "$HUB" --config "$DATA/hub.conf" create-user "$BUILDER" --reset-password \
            --password-file "$DATA/kojid.password.new"
        "${koji[@]}" hostinfo "$BUILDER" >/dev/null 2>&1 || "${koji[@]}" add-host --force "$BUILDER" "$(uname -m)" >/dev/null
        "${koji[@]}" hostinfo "$BUILDER" | grep -q '^Channels:.*\bcreaterepo\b' ||
            "${koji[@]}" add-host-to-channel "$BUILDER" createrepo >/dev/null
        mv "$DATA/kojid.password.new" "$DATA/kojid.password"
    fi
    mkdir -p "$DATA/kojid/work"
    (
        umask 077
        cat >"$DATA/kojid.conf" <<EOF
[kojid]
server = http://127.0.0.1:$HUB_PORT/kojihub
topurl = http://127.0.0.1:$HUB_PORT/kojifiles
topdir = $DATA/koji
workdir = $DATA/kojid/work
mockdir = $DATA/kojid
user = $BUILDER
password = $(cat "$DATA/kojid.password")
backend = rpmbuild
allowed_scms = *:*:no:
EOF
    )
    nohup "$KOJID" --config "$DATA/kojid.conf" --force-lock </dev/null >>"$DATA/kojid.log" 2>&1 &
    echo $! >"$DATA/kojid.pid"
}

stop() {
    [[ -d $DATA ]] || { echo "nothing to stop (no $DATA)"; return 0; }
    stop_kojid
    stop_hub
    deploy/pg.sh stop "$DATA/pg"
}

status() {
    local pid
    if pid=$(hub_pid); then echo "koji-hub running (pid $pid)"; else echo "koji-hub not running"; fi
    if pid=$(kojid_pid); then echo "kojid running (pid $pid)"; else echo "kojid not running"; fi
    deploy/pg.sh status "$DATA/pg"
}

case ${1:-start} in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
