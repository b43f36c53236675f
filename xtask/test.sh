#!/usr/bin/env bash
# Runs every test: formatting and lints, unit tests, integration tests on
# SQLite and on PostgreSQL, and the Playwright suite in Debian's Chromium.
# Installs what is missing first (wasm target, wasm-bindgen-cli, npm packages,
# aiosmtpd for the mail tests, nginx's mail proxy and Dovecot, chromium,
# postgresql). PostgreSQL runs as a
# throw-away cluster on a free port unless TESSERA_TEST_POSTGRES_URL names one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

start_postgres() {
  if [ -n "${TESSERA_TEST_POSTGRES_URL:-}" ]; then return 0; fi
  apt_install postgresql
  local bindir port run=()
  bindir="$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -n 1)"
  [ -x "$bindir/initdb" ] || die "postgresql is installed but initdb is missing"
  PG_DIR="$(mktemp -d /tmp/tessera-pg.XXXXXX)"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_DIR"; run=(runuser -u postgres --); fi
  port="$(free_port)"
  step "Starting PostgreSQL on 127.0.0.1:$port"
  "${run[@]}" "$bindir/initdb" --pgdata="$PG_DIR/data" --auth=trust --username=postgres --no-sync >/dev/null
  "${run[@]}" "$bindir/pg_ctl" --pgdata="$PG_DIR/data" --log="$PG_DIR/log" --wait \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
  STOP_PG=("${run[@]}" "$bindir/pg_ctl" --pgdata="$PG_DIR/data" --mode=immediate stop)
  export TESSERA_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

cleanup() {
  if [ -n "${STOP_PG+x}" ]; then "${STOP_PG[@]}" >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; fi
}
trap cleanup EXIT

ensure_build_tools
ensure_smtp_sink_venv
ensure_mail_servers
apt_install chromium
ensure_node_modules "$ROOT/end2end"
start_postgres

step "Formatting and lints (ssr and hydrate builds apart: never both features at once)"
cargo fmt --all -- --check
cargo clippy --quiet -p app --features ssr --all-targets -- -D warnings
cargo clippy --quiet -p server -p migrations --all-targets -- -D warnings
cargo clippy --quiet -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

step "Unit tests (shared rules) and server tests (unit, integration on SQLite and PostgreSQL)"
cargo test -p app --features ssr
cargo test -p server

step "End-to-end tests (Playwright, Chromium: desktop and phone)"
export TESSERA_SITE_ROOT="$CARGO_TARGET_DIR/e2e-site"
build_test_site "$TESSERA_SITE_ROOT"
# The binary `cargo test -p server` built: one build serves both suites.
export TESSERA_BIN="$CARGO_TARGET_DIR/debug/tessera"
(cd end2end && npx playwright test)
