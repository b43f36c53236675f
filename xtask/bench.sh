#!/usr/bin/env bash
# Benchmarks, side by side: how many mail logins per second Tessera decides
# for nginx's mail proxy (/api/v1/mail/auth) with a valid app password, on
# SQLite and on PostgreSQL, beside GET /healthz (a database ping) in the same
# run. The machine is shared and noisy: compare the ratios, not the numbers.
# Builds the release server (cargo build --release -p server) when needed.
# Usage: xtask/bench.sh [--seconds N] [--connections N]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

seconds=10 connections=32
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:?}"; shift ;;
    --connections) connections="${2:?}"; shift ;;
    *) die "unknown option $1 (use --seconds N, --connections N)" ;;
  esac
  shift
done

apt_install wrk curl
start_postgres
work="$(mktemp -d /tmp/tessera-bench.XXXXXX)"
server_pid=""
finish() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  stop_postgres
  rm -rf "$work"
}
trap finish EXIT

step "Building the release server"
cargo build --quiet --release -p server
tessera="$CARGO_TARGET_DIR/release/tessera"
python3 -c 'import secrets; print(secrets.token_hex(24))' > "$work/proxy.secret"
python3 -c 'import secrets; print(secrets.token_hex(24))' > "$work/backend.secret"
chmod 600 "$work"/*.secret

# requests/second that wrk reports for a GET with these headers.
rate() { # url header...
  local url="$1"; shift
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  wrk -t2 -c"$connections" -d"${seconds}s" "${args[@]}" "$url" | awk '/^Requests\/sec/ { printf "%d", $2 }'
}

# One database: a mailbox with an app password, then wrk against Tessera.
bench() { # name database-url
  local name="$1" url="$2" port
  port="$(free_port)"
  printf 'bench-password-1\n' | "$tessera" --database-url "$url" account create --kind customer --username c1 --password-stdin >/dev/null
  printf 'bench-password-1\n' | "$tessera" --database-url "$url" account create --kind mailbox --username info@example.com \
    --owner c1 --password-stdin >/dev/null
  "$tessera" --database-url "$url" serve --listen "127.0.0.1:$port" --site-root "$work" \
    --mail-auth-secret-file "$work/proxy.secret" --mail-backend-secret-file "$work/backend.secret" \
    --imap-backend 127.0.0.1:143 >"$work/$name.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local base="http://127.0.0.1:$port/api/v1"
  curl -sf -c "$work/jar" -H 'Content-Type: application/json' \
    -d '{"username":"info@example.com","password":"bench-password-1"}' "$base/login" >/dev/null
  local app_password
  app_password="$(curl -sf -b "$work/jar" -H 'Content-Type: application/json' \
    -d '{"name":"bench","protocols":["imap"],"password":"bench-password-1"}' "$base/me/app-passwords" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["password"].replace(" ", ""))')"
  local auth=(
    "X-Tessera-Mail-Secret: $(cat "$work/proxy.secret")" "Auth-Method: plain" "Auth-User: info%40example.com"
    "Auth-Pass: $app_password" "Auth-Protocol: imap" "Auth-Login-Attempt: 1" "Client-IP: 192.0.2.10"
  )
  local answer
  answer="$(curl -si "${auth[@]/#/-H}" "$base/mail/auth" | tr -d '\r' | awk -F': ' '/^auth-status/ { print $2 }')"
  [ "$answer" = "OK" ] || die "$name: the app password was not accepted (Auth-Status: $answer)"
  local health mail
  health="$(rate "http://127.0.0.1:$port/healthz")"
  mail="$(rate "$base/mail/auth" "${auth[@]}")"
  printf '%-11s %20s %18s %8s\n' "$name" "$mail" "$health" "$(python3 -c "print(f'{$mail / $health:.2f}')")"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

step "wrk: $connections connections, $seconds s each, on $(nproc) cores"
printf '%-11s %20s %18s %8s\n' "database" "mail logins/s" "healthz/s" "ratio"
bench SQLite "sqlite://$work/bench.db?mode=rwc"
pg_db="tessera_bench_$$"
psql "$TESSERA_TEST_POSTGRES_URL" -qc "CREATE DATABASE $pg_db" >/dev/null
bench PostgreSQL "${TESSERA_TEST_POSTGRES_URL%/*}/$pg_db"
