# Shared set-up of the benchmark scripts (scheduler.sh, web.sh, repo.sh), sourced from the repository root
# after `set -euo pipefail`: a temporary work directory removed on exit, a private PostgreSQL in it
# (deploy/pg.sh), a release hub on a free port with an admin, and the processes to stop on exit.
#
# Environment: CARGO_TARGET_DIR (default /var/tmp/koji-rs-target), KOJI_RS_PGBIN (see deploy/pg.sh).
# Sets BIN (the release binaries) and PGBIN; bench_setup sets WORK, PG_HOST, PG_PORT and HUB_PORT, bench_serve
# HUB_PID.

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/koji-rs-target}
if [[ -d ${HOME:-}/.cargo/bin ]]; then PATH=$HOME/.cargo/bin:$PATH; fi
BIN=$CARGO_TARGET_DIR/release
PGBIN=${KOJI_RS_PGBIN:-/usr/lib/postgresql/15/bin}

# Processes started in the background, stopped (SIGTERM, last started first) on exit.
BENCH_PIDS=()
HUB_PID=

bench_cleanup() {
    local i pid
    for (( i = ${#BENCH_PIDS[@]} - 1; i >= 0; i-- )); do
        pid=${BENCH_PIDS[i]}
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [[ -n ${WORK:-} ]]; then
        deploy/pg.sh stop "$WORK/pg" >/dev/null || true
        rm -rf "$WORK"
    fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bench_setup NAME [HUB_CONF_LINE...]: makes WORK (/var/tmp/koji-rs-NAME.XXXXXX, removed on exit), starts
# PostgreSQL in it, writes $WORK/hub.conf (with the extra `[hub]` lines), migrates and creates the admin
# `kojiadmin` whose password is in $WORK/admin.password. The hub is not serving yet: see bench_serve.
bench_setup() {
    local name=$1
    shift
    WORK=$(mktemp -d "/var/tmp/koji-rs-$name.XXXXXX")
    chmod 755 "$WORK"
    trap bench_cleanup EXIT
    deploy/pg.sh start "$WORK/pg" "$(free_port)" >/dev/null
    PG_HOST=$WORK/pg/run
    PG_PORT=$(cat "$WORK/pg/port")
    HUB_PORT=$(free_port)
    mkdir -p "$WORK/koji"
    {
        printf '[hub]\nDBName = koji\nDBHost = %s\nDBPort = %s\nDBUser = koji\nKojiDir = %s\n' \
            "$PG_HOST" "$PG_PORT" "$WORK/koji"
        printf 'ListenAddress = 127.0.0.1:%s\nLogLevel = WARNING\n' "$HUB_PORT"
        if (( $# )); then printf '%s\n' "$@"; fi
    } >"$WORK/hub.conf"
    "$BIN/koji-hub" --config "$WORK/hub.conf" migrate >/dev/null
    (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$WORK/admin.password")
    "$BIN/koji-hub" --config "$WORK/hub.conf" create-user kojiadmin --password-file "$WORK/admin.password" \
        --admin >/dev/null
}

# bench_serve: starts the hub set up by bench_setup (log in $WORK/hub.log) and waits (up to 10 s) until it
# accepts connections.
bench_serve() {
    RUST_LOG=warn "$BIN/koji-hub" --config "$WORK/hub.conf" serve >"$WORK/hub.log" 2>&1 &
    HUB_PID=$!
    BENCH_PIDS+=("$HUB_PID")
    for _ in $(seq 100); do
        (: </dev/tcp/127.0.0.1/"$HUB_PORT") 2>/dev/null && break
        sleep 0.1
    done
}

# psql on the benchmark's database as koji, unaligned and tuples only, stopping at the first error.
bench_psql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U koji -d koji "$@"; }
