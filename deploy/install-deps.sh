#!/usr/bin/env bash
# Installs what koji-rs needs to build, test and run on Debian 12: the Debian
# packages, and a Python venv holding the stock `koji` CLI that the tests (and
# people) use to talk to the hub.
#
# Idempotent and quiet when there is nothing to do, so test.sh and run.sh call
# it every time. `apt-get update` runs only when a package is missing.
#
# Environment:
#   KOJI_RS_VENV   where the koji CLI venv lives (default /var/tmp/koji-rs-venv)
set -euo pipefail

KOJI_RS_VENV=${KOJI_RS_VENV:-/var/tmp/koji-rs-venv}
KOJI_VERSION=1.36.1
# Debian's own interpreter: python3-rpm is built for it, and `koji import`
# needs `import rpm`, which the venv sees through --system-site-packages.
SYSTEM_PYTHON=/usr/bin/python3

# postgresql: only its server binaries are used (tests and deploy/pg.sh run
#   private clusters), never the system service.
# libkrb5-dev, python3-dev, gcc, pkg-config: pip builds `gssapi` (pulled by
#   koji's requests-gssapi dependency) from source.
# python3-venv, python3-rpm: the CLI venv and `koji import`.
# libssl-dev, pkg-config: the openssl crate.
# openssl: test certificates. rpm, createrepo-c: the builder side.
# chromium, chromium-driver: the web UI's browser tests (tests/web.rs, WebDriver).
PACKAGES=(
    postgresql libkrb5-dev python3-venv python3-rpm python3-dev gcc pkg-config
    libssl-dev openssl rpm createrepo-c git curl chromium chromium-driver
)

say() { echo "install-deps: $*" >&2; }
die() { say "error: $*"; exit 1; }

# Runs a command with its output kept back, shown only if it fails.
quietly() {
    local log status=0
    log=$(mktemp)
    "$@" >"$log" 2>&1 || status=$?
    if [[ $status -ne 0 ]]; then
        cat "$log" >&2
        rm -f "$log"
        die "failed ($status): $*"
    fi
    rm -f "$log"
}

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

install_packages() {
    local missing=() pkg
    for pkg in "${PACKAGES[@]}"; do
        if [[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) != installed ]]; then
            missing+=("$pkg")
        fi
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    say "installing ${missing[*]}"
    quietly as_root apt-get update -q
    quietly as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Installing `postgresql` creates a "main" cluster and, where services may
# start, starts it on port 5432. koji-rs never uses it: stop it and keep it
# from starting at boot, so it holds no memory or port.
disable_system_clusters() {
    command -v pg_lsclusters >/dev/null || return 0
    local version cluster _port status _rest
    while read -r version cluster _port status _rest; do
        if [[ $status == online* ]]; then
            say "stopping system PostgreSQL cluster $version/$cluster"
            quietly as_root pg_ctlcluster --mode fast "$version" "$cluster" stop
        fi
        local start_conf=/etc/postgresql/$version/$cluster/start.conf
        if [[ -f $start_conf ]] && [[ $(grep -v '^\s*#' "$start_conf" | tr -d '[:space:]') != manual ]]; then
            echo manual | as_root tee "$start_conf" >/dev/null
        fi
    done < <(pg_lsclusters -h)
}

venv_koji_version() {
    "$KOJI_RS_VENV/bin/python" -c \
        'import importlib.metadata as m, rpm, koji; print(m.version("koji"))' 2>/dev/null
}

install_venv() {
    [[ $(venv_koji_version || true) == "$KOJI_VERSION" ]] && return 0
    if [[ -e $KOJI_RS_VENV && ! -f $KOJI_RS_VENV/pyvenv.cfg ]]; then
        die "$KOJI_RS_VENV exists but is not a venv; remove it or set KOJI_RS_VENV"
    fi
    say "installing koji==$KOJI_VERSION into $KOJI_RS_VENV"
    # --clear: a venv from another interpreter (e.g. pyenv's) cannot import
    # Debian's rpm module; rebuild it from scratch.
    quietly "$SYSTEM_PYTHON" -m venv --clear --system-site-packages "$KOJI_RS_VENV"
    quietly "$KOJI_RS_VENV/bin/python" -m pip install -q --disable-pip-version-check \
        "koji==$KOJI_VERSION"
    local got
    got=$(venv_koji_version) || die "the venv cannot import koji and rpm"
    [[ $got == "$KOJI_VERSION" ]] || die "venv has koji $got, wanted $KOJI_VERSION"
}

check_cargo() {
    if ! command -v cargo >/dev/null && [[ ! -x $HOME/.cargo/bin/cargo ]]; then
        die "cargo not found. Install a Rust toolchain (1.89 or newer, e.g. with rustup) and put cargo on PATH."
    fi
}

install_packages
disable_system_clusters
install_venv
check_cargo
