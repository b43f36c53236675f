#!/usr/bin/env bash
# Runs every test: formatting and lints, unit tests, integration tests on
# SQLite and on PostgreSQL, and the Playwright suite in Debian's Chromium.
# Installs what is missing first (wasm target, wasm-bindgen-cli, npm packages,
# aiosmtpd for the mail tests, nginx's mail proxy and Dovecot, chromium,
# postgresql). PostgreSQL runs as a
# throw-away cluster on a free port unless TESSERA_TEST_POSTGRES_URL names one.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
trap stop_postgres EXIT

ensure_build_tools
ensure_smtp_sink_venv
ensure_mail_servers
apt_install chromium
ensure_node_modules "$ROOT/end2end"
start_postgres

step "Formatting and lints (ssr and hydrate builds apart: never both features at once)"
cargo fmt --all -- --check
cargo clippy --quiet -p app --features ssr --all-targets -- -D warnings
cargo clippy --quiet -p server -p migrations -p xtask --all-targets -- -D warnings
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
