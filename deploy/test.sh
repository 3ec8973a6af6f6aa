#!/usr/bin/env bash
# The one test command (CI runs it through .ci/run): installs what the tests
# need, then runs every test with nextest when it is there, else cargo test.
# Extra arguments go to the test runner, e.g. `deploy/test.sh harness`.
set -euo pipefail

cd "$(dirname "$0")/.."
deploy/install-deps.sh

# Outside the checkout, so a fresh clone (as CI makes) reuses compiled
# dependencies; incremental builds only cost disk there.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/koji-rs-target}
export CARGO_INCREMENTAL=0
# Where rustup puts cargo, for shells that have not sourced its env.
if [[ -d ${HOME:-}/.cargo/bin ]]; then PATH=$HOME/.cargo/bin:$PATH; fi

if cargo nextest --version >/dev/null 2>&1; then
    exec cargo nextest run --no-fail-fast "$@"
else
    exec cargo test --no-fail-fast "$@"
fi
