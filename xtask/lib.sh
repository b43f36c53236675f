# Shared by xtask/run.sh and xtask/test.sh: install what is missing, build.
# Every step checks first, so a warm machine skips it in a moment.
# shellcheck shell=bash

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The cargo target dir lives outside the clone so a fresh clone on a warm
# machine reuses earlier builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tessera-target}"
# The site cargo-leptos builds (pkg/ with JS, wasm and CSS): where `tessera
# serve` looks by default when started from the repository root.
SITE_ROOT="$ROOT/target/site"
TOOLS_DIR="$HOME/.cache/tessera-tools"
export PATH="$HOME/.cargo/bin:$TOOLS_DIR/bin:$PATH"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'xtask: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "Installing Debian packages: ${missing[*]}"
  as_root apt-get update -q
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# apt_install, but a package's service is never started: the mail servers
# run as throw-away processes with their own configs and ports, never as
# the machine's services.
apt_install_no_services() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  # policy-rc.d answering 101 forbids every service start (invoke-rc.d and
  # deb-systemd-invoke ask it); a policy already there is put back after.
  local policy=/usr/sbin/policy-rc.d saved=""
  if [ -e "$policy" ]; then saved="$(mktemp)"; as_root cp -p "$policy" "$saved"; fi
  printf '#!/bin/sh\n# xtask: no service starts while packages install\nexit 101\n' | as_root tee "$policy" >/dev/null
  as_root chmod 755 "$policy"
  local status=0
  apt_install "${missing[@]}" || status=$?
  if [ -n "$saved" ]; then as_root cp -p "$saved" "$policy"; rm -f "$saved"; else as_root rm -f "$policy"; fi
  return "$status"
}

# nginx's mail proxy and Dovecot, for the mail tests and the demo.
ensure_mail_servers() {
  local packages=(nginx libnginx-mod-mail dovecot-imapd dovecot-pop3d)
  dpkg -s "${packages[@]}" >/dev/null 2>&1 && return 0
  apt_install_no_services "${packages[@]}"
  # The packages enable their services for the next boot; the tests and the
  # demo run their own, so the machine's stay off.
  if command -v systemctl >/dev/null; then as_root systemctl disable --quiet nginx dovecot 2>/dev/null || true; fi
}

ensure_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown && return 0
  step "Adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
}

# The wasm-bindgen version Cargo.lock pins; the CLI must match it exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_wasm_bindgen() {
  local want have
  want="$(wasm_bindgen_version)"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" || true
  [ "$have" = "$want" ] && return 0
  step "Installing wasm-bindgen-cli $want (a few minutes, once)"
  # `cargo install --locked` of this version fails on a yanked webpki-roots;
  # install from the crate's source with that one dependency moved.
  local work; work="$(mktemp -d)"
  (
    cd "$work"
    cargo new --quiet fetcher && cd fetcher
    printf 'wasm-bindgen-cli = "=%s"\n' "$want" >> Cargo.toml
    cargo fetch --quiet
  )
  local crate
  crate="$(find "$HOME/.cargo/registry/cache" -name "wasm-bindgen-cli-$want.crate" | head -n 1)"
  [ -n "$crate" ] || die "wasm-bindgen-cli-$want.crate was not downloaded"
  tar -xzf "$crate" -C "$work"
  (
    cd "$work/wasm-bindgen-cli-$want"
    cargo update --quiet -p webpki-roots --precise 1.0.10 || true
    cargo install --quiet --path . --locked --root "$TOOLS_DIR" --target-dir "$work/target"
  )
  rm -rf "$work"
}

ensure_node_modules() {
  local dir="$1"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package.json" -nt "$dir/node_modules" ] \
    || { [ -f "$dir/package-lock.json" ] && [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; }; then
    step "Installing npm packages for ${dir#"$ROOT"/}"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
    touch "$dir/node_modules"
  fi
}

ensure_build_tools() {
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_node_modules "$ROOT"
}

# The Python the integration tests run xtask/smtp_sink.py with: aiosmtpd in a
# venv where server/tests/api/mail_sink.rs looks for it (unless
# TESSERA_TEST_PYTHON names another).
ensure_smtp_sink_venv() {
  [ -n "${TESSERA_TEST_PYTHON:-}" ] && return 0
  local venv="$TOOLS_DIR/venv" want=1.4.6
  "$venv/bin/python" -c "import sys, aiosmtpd; sys.exit(aiosmtpd.__version__ != '$want')" 2>/dev/null && return 0
  apt_install python3-venv
  step "Installing aiosmtpd $want for the mail tests"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$want"
}

ensure_cargo_leptos() {
  local want=0.3.10
  [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" = "$want" ] && return 0
  step "Installing cargo-leptos $want (about 25 minutes, once)"
  # 0.3.11 needs a newer rustc than this machine's.
  cargo install --quiet cargo-leptos --version "$want" --locked
}

# build_test_site DIR: the debug browser bundle, split into route chunks, and
# the CSS into DIR/pkg, as `cargo leptos build --split` would, but without
# cargo-leptos (CI need not install it). The server that serves it must be
# built without LEPTOS_OUTPUT_NAME, as `cargo build` and `cargo test` do: it
# then asks for pkg/tessera_bg.wasm, the name wasm-bindgen writes.
build_test_site() {
  local site="$1" main
  step "Building the browser bundle for the tests"
  (cd "$ROOT" && cargo build --quiet -p frontend --lib --target wasm32-unknown-unknown)
  rm -rf "$site/pkg"
  mkdir -p "$site/pkg"
  main="$(cd "$ROOT" && cargo run --quiet -p xtask --bin split-wasm -- \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/debug/frontend.wasm" "$site/pkg")"
  wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
    --out-name tessera --out-dir "$site/pkg" "$main"
  "$ROOT/node_modules/.bin/sass" --no-source-map "$ROOT/style/main.scss" "$site/pkg/tessera.css"
  cp -r "$ROOT/app/public/." "$site/"
  # Fast rather than small: the tests check that it is sent, not its size.
  compress_site "$site" 4
}

# compress_site DIR [QUALITY]: a .br (brotli, QUALITY, 11 unless given) and
# a .gz beside each JS, wasm and CSS file of DIR/pkg; the server sends them
# to browsers that accept them (server/src/assets.rs).
compress_site() {
  local site="$1" quality="${2:-11}" file
  apt_install brotli
  for file in "$site"/pkg/*.js "$site"/pkg/*.wasm "$site"/pkg/*.css; do
    [ -f "$file" ] || continue
    brotli --force --keep --quality="$quality" "$file"
    gzip --force --keep -9 "$file"
  done
}

# A throw-away PostgreSQL cluster on a free port (unless
# TESSERA_TEST_POSTGRES_URL names a server); call stop_postgres on exit.
# PG_OPTIONS: more server options ("-c name=value ..."), after the defaults.
start_postgres() {
  if [ -n "${TESSERA_TEST_POSTGRES_URL:-}" ]; then return 0; fi
  apt_install_no_services postgresql
  local bindir port run=()
  bindir="$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -n 1)"
  [ -x "$bindir/initdb" ] || die "postgresql is installed but initdb is missing"
  PG_DIR="$(mktemp -d /tmp/tessera-pg.XXXXXX)"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_DIR"; run=(runuser -u postgres --); fi
  port="$(free_port)"
  step "Starting PostgreSQL on 127.0.0.1:$port"
  "${run[@]}" "$bindir/initdb" --pgdata="$PG_DIR/data" --auth=trust --username=postgres --no-sync >/dev/null
  "${run[@]}" "$bindir/pg_ctl" --pgdata="$PG_DIR/data" --log="$PG_DIR/log" --wait \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 ${PG_OPTIONS:-}" start >/dev/null
  STOP_PG=("${run[@]}" "$bindir/pg_ctl" --pgdata="$PG_DIR/data" --mode=immediate stop)
  export TESSERA_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

stop_postgres() {
  if [ -n "${STOP_PG+x}" ]; then "${STOP_PG[@]}" >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; unset STOP_PG; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
