#!/usr/bin/env bash
# A private PostgreSQL for running koji-rs by hand (deploy/run.sh), kept
# entirely under one directory and independent of any system cluster.
#
#   deploy/pg.sh start  DATADIR [PORT]   initdb on first use, start, ensure role+db "koji"
#   deploy/pg.sh stop   DATADIR          fast shutdown
#   deploy/pg.sh status DATADIR          exit 0 when running
#
# Layout: DATADIR/data (PGDATA), DATADIR/run (unix socket, private to the
# server's owner), DATADIR/server.log, DATADIR/port (the port last started
# on), DATADIR/koji.password (password of role koji for TCP logins).
#
# Connections through the socket are trusted: only the server's owner (and
# root) can reach it. TCP listens on 127.0.0.1:PORT (default 55432, or the
# port of the last start) and wants a password.
#
# The server refuses to run as root, so as root it runs as the `postgres`
# system user; otherwise as the current user.
set -euo pipefail

PGBIN=${KOJI_RS_PGBIN:-/usr/lib/postgresql/15/bin}
DEFAULT_PORT=55432

usage() {
    echo "usage: $0 start|stop|status DATADIR [PORT]" >&2
    exit 2
}
die() { echo "pg.sh: $*" >&2; exit 1; }

[[ $# -ge 2 && $# -le 3 ]] || usage
action=$1
[[ $action == start ]] && mkdir -p "$2"
if ! datadir=$(cd "$2" 2>/dev/null && pwd); then
    [[ $action == start ]] && die "cannot enter $2"
    echo "PostgreSQL not running (no $2)"
    [[ $action == status ]] && exit 3
    exit 0
fi
pgdata=$datadir/data
rundir=$datadir/run
log=$datadir/server.log
[[ -x $PGBIN/initdb ]] || die "PostgreSQL binaries not found in $PGBIN (run deploy/install-deps.sh, or set KOJI_RS_PGBIN)"

if [[ $(id -u) -eq 0 ]]; then
    owner=postgres
    as_owner() { setpriv --reuid=postgres --regid=postgres --clear-groups -- "$@"; }
else
    owner=$(id -un)
    as_owner() { "$@"; }
fi
# The server's tools fail when they cannot enter the working directory.
cd /

pg_ctl() { as_owner "$PGBIN/pg_ctl" -D "$pgdata" "$@"; }
is_running() { [[ -f $pgdata/PG_VERSION ]] && pg_ctl status >/dev/null 2>&1; }
psql_admin() {
    as_owner "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$rundir" -p "$port" -d postgres "$@"
}

start() {
    port=${1:-$(cat "$datadir/port" 2>/dev/null || echo "$DEFAULT_PORT")}
    [[ $port =~ ^[0-9]+$ ]] || die "bad port: $port"
    if is_running; then
        echo "PostgreSQL already running: host=$rundir port=$(cat "$datadir/port") user=koji dbname=koji"
        return 0
    fi
    if [[ ! -f $pgdata/PG_VERSION ]]; then
        if ! as_owner test -w "$datadir"; then
            chown "$owner:" "$datadir" ||
                die "$owner cannot write to $datadir"
        fi
        as_owner test -x "$datadir" ||
            die "$owner cannot reach $datadir: choose a directory whose parents it may enter"
        local initdb_log
        initdb_log=$(mktemp)
        # `as_owner` may switch users: the log must be writable by that user.
        chmod 666 "$initdb_log"
        # --no-locale: byte-order collation, as in the tests' clusters.
        if ! as_owner "$PGBIN/initdb" -D "$pgdata" -E UTF8 --no-locale \
            --auth-local=trust --auth-host=scram-sha-256 >"$initdb_log" 2>&1; then
            cat "$initdb_log" >&2
            rm -f "$initdb_log"
            die "initdb failed"
        fi
        rm -f "$initdb_log"
    fi
    as_owner mkdir -p "$rundir"
    chmod 700 "$rundir"
    echo "$port" >"$datadir/port"
    if ! pg_ctl -l "$log" -w -t 60 \
        -o "-k $rundir -p $port -c listen_addresses=127.0.0.1" start >/dev/null; then
        tail -n 20 "$log" >&2
        die "PostgreSQL did not start (log: $log)"
    fi
    ensure_koji_db
    echo "PostgreSQL running: host=$rundir port=$port user=koji dbname=koji"
}

# Role and database "koji", made once and checked on every start, so an
# interrupted first start is completed by the next one.
ensure_koji_db() {
    if [[ -z $(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'koji'") ]]; then
        local password
        password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
        as_owner "$PGBIN/createuser" -h "$rundir" -p "$port" koji
        # psql interpolates :'pw' as a quoted literal only in scripts, so
        # the statement goes through stdin.
        echo "ALTER ROLE koji PASSWORD :'pw';" | psql_admin -v pw="$password"
        (umask 077 && printf '%s' "$password" >"$datadir/koji.password")
    fi
    if [[ -z $(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'koji'") ]]; then
        as_owner "$PGBIN/createdb" -h "$rundir" -p "$port" -O koji -E UTF8 koji
    fi
}

stop() {
    if is_running; then
        pg_ctl -m fast -w stop >/dev/null
        echo "PostgreSQL stopped"
    else
        echo "PostgreSQL not running"
    fi
}

status() {
    if is_running; then
        echo "PostgreSQL running: host=$rundir port=$(cat "$datadir/port") user=koji dbname=koji"
    else
        echo "PostgreSQL not running"
        return 3
    fi
}

case $action in
    start) start "${3:-}" ;;
    stop) [[ $# -eq 2 ]] || usage; stop ;;
    status) [[ $# -eq 2 ]] || usage; status ;;
    *) usage ;;
esac
