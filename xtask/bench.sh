#!/usr/bin/env bash
# Benchmarks, every figure from one run, printed side by side as one table.
# The machine is shared and noisy: compare the ratios, not the numbers.
#   - raw argon2id verifies per second, in-process, on every core
#     (server/examples/argon2_rate.rs): the ceiling for password logins
#   - a flood of wrong-password logins (200 connections, SQLite): logins/s and
#     their ratio to that ceiling, 503s, peak and after-flood RSS, and p50/p99
#     of /healthz and of the code step, each probed 50 times a second meanwhile
#   - code steps per second, SQLite and PostgreSQL: pending logins seeded
#     (xtask/bench_seed.py), each sends its one valid TOTP code once; beside
#     them one-row UPDATEs per second through the same pool
#     (server/examples/statement_rate.rs), the ceiling a code step is under
#   - mail logins per second (/api/v1/mail/auth, an app password), beside
#     /healthz, on both databases
#   - the browser: WebAssembly + JS + CSS per route (raw, gzip, brotli), and
#     navigation to a login form that can be sent (the browser posts it) and
#     to the live one, on an emulated phone (end2end/bench.mjs)
# Builds the release server and site (cargo leptos build --release --split) when needed.
# Usage: xtask/bench.sh [--seconds N] [--seed N] [--no-browser] [--quick]
#   --no-browser: the server's figures only (no site build, no Chromium)
#   --quick: a smoke run (1 s loads, 2,000 seeded logins, no browser figures)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

seconds=10 seed=30000 browser=1
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:?}"; shift ;;
    --seed) seed="${2:?}"; shift ;;
    --no-browser) browser=0 ;;
    --quick) seconds=1 seed=2000 browser=0 ;;
    *) die "unknown option $1 (use --seconds N, --seed N, --no-browser, --quick)" ;;
  esac
  shift
done
probes=$((seconds * 50 + 100))

apt_install wrk curl
# Fsync on: a benchmark of commits must pay for them (the tests' cluster does not).
PG_OPTIONS="-c fsync=on" start_postgres
if [ "$browser" = 1 ]; then
  ensure_build_tools
  ensure_cargo_leptos
  ensure_node_modules "$ROOT/end2end"
fi
work="$(mktemp -d /tmp/tessera-bench.XXXXXX)"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; fi
  server_pid=""
}
finish() {
  stop_server
  stop_postgres
  rm -rf "$work"
}
trap finish EXIT

if [ "$browser" = 1 ]; then
  step "Building the release server and site (cargo leptos build --release --split)"
  cargo leptos build --release --split 2>&1 | grep -v '^\s*$' | tail -n 3 >&2
  compress_site "$SITE_ROOT"
  site="$SITE_ROOT"
else
  step "Building the release server"
  cargo build --quiet --release -p server
  site="$work"
fi
cargo build --quiet --release -p server --example argon2_rate --example statement_rate
tessera="$CARGO_TARGET_DIR/release/tessera"
python3 -c 'import secrets; print(secrets.token_hex(24))' > "$work/proxy.secret"
python3 -c 'import secrets; print(secrets.token_hex(24))' > "$work/backend.secret"
chmod 600 "$work"/*.secret

# One wrk load through xtask/bench.lua; prints its key=value line.
load() { # threads connections seconds url lua-args...
  local threads="$1" connections="$2" duration="$3" url="$4"; shift 4
  wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s -s "$ROOT/xtask/bench.lua" "$url" -- "$@" | tail -n 1
}
# The value of KEY in a key=value line (0 when absent).
field() { # line key
  local v
  v="$(tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }')"
  echo "${v:-0}"
}
calc() { python3 -c "print($1)"; }
ms() { calc "f'{$1 / 1000:.1f}'"; }
rss_mib() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$server_pid/status"; }

# Starts Tessera on database URL with the accounts every part uses, and the
# pending logins of code_steps and flood seeded beforehand: the seed writes
# TOTP secrets in the clear, as a version before keys did, and the server
# seals them as it starts.
start_server() { # name url
  local name="$1" url="$2"
  password() { printf 'bench-password-1\n'; }
  password | "$tessera" --database-url "$url" account create --kind customer --username bench --password-stdin >/dev/null
  password | "$tessera" --database-url "$url" account create --kind admin --username bench-admin --password-stdin >/dev/null
  password | "$tessera" --database-url "$url" account create --kind mailbox --username info@example.com \
    --owner bench --password-stdin >/dev/null
  seed_logins "$url" probe "$probes" "$work/probe-tokens"
  seed_logins "$url" bench "$seed" "$work/tokens"
  port="$(free_port)"
  "$tessera" --database-url "$url" --secret-key-file "$work/$name.key" serve --listen "127.0.0.1:$port" \
    --site-root "$site" --password-address-budget 100000 \
    --mail-auth-secret-file "$work/proxy.secret" --mail-backend-secret-file "$work/backend.secret" \
    --imap-backend 127.0.0.1:143 >"$work/$name.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  base="http://127.0.0.1:$port"
}

# Pending logins with TOTP, their tokens in FILE.
seed_logins() { # url prefix count file
  local target=(--postgres "$1")
  case "$1" in sqlite:*) target=(--sqlite "$(sed -E 's#^sqlite:(//)?##; s#\?.*##' <<<"$1")") ;; esac
  python3 "$ROOT/xtask/bench_seed.py" seed "${target[@]}" --prefix "$2" --count "$3" --tokens "$4"
}

# Code steps per second: every seeded login sends its code once.
code_steps() {
  local out ok
  out="$(load 2 32 "$seconds" "$base" code "$work/tokens" "$(python3 "$ROOT/xtask/bench_seed.py" code)" 2)"
  ok="$(field "$out" s200)"
  [ "$(field "$out" exhausted)" = 1 ] && ok_note="≥" || ok_note=""
  code_rate="$ok_note$(calc "round($ok / $(field "$out" seconds))")"
  code_failed="$(calc "$(field "$out" errors) + $(field "$out" s401) + $(field "$out" s422) + $(field "$out" s429) + $(field "$out" s500) + $(field "$out" s503)")"
}

# Mail logins per second with a valid app password, and /healthz beside them.
mail_logins() {
  curl -sf -c "$work/jar" -H 'Content-Type: application/json' \
    -d '{"username":"info@example.com","password":"bench-password-1"}' "$base/api/v1/login" >/dev/null
  local app_password
  app_password="$(curl -sf -b "$work/jar" -H 'Content-Type: application/json' \
    -d '{"name":"bench","protocols":["imap"],"password":"bench-password-1"}' "$base/api/v1/me/app-passwords" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["password"].replace(" ", ""))')"
  local auth=(
    -H "X-Tessera-Mail-Secret: $(cat "$work/proxy.secret")" -H "Auth-Method: plain" -H "Auth-User: info%40example.com"
    -H "Auth-Pass: $app_password" -H "Auth-Protocol: imap" -H "Auth-Login-Attempt: 1" -H "Client-IP: 192.0.2.10"
  )
  local answer
  answer="$(curl -si "${auth[@]}" "$base/api/v1/mail/auth" | tr -d '\r' | awk -F': ' '/^auth-status/ { print $2 }')"
  [ "$answer" = "OK" ] || die "the app password was not accepted (Auth-Status: $answer)"
  mail_rate="$(wrk -t2 -c32 -d"${seconds}s" "${auth[@]}" "$base/api/v1/mail/auth" | awk '/^Requests\/sec/ { printf "%d", $2 }')"
  health_rate="$(wrk -t2 -c32 -d"${seconds}s" "$base/healthz" | awk '/^Requests\/sec/ { printf "%d", $2 }')"
}

# 200 connections of wrong-password logins, each for another username (spraying
# from one address whose budget is lifted: every attempt costs a hash);
# /healthz and the code step probed meanwhile, RSS sampled.
flood() {
  curl -sf "$base/healthz" >/dev/null
  rss_start="$(rss_mib)"
  local code
  code="$(python3 "$ROOT/xtask/bench_seed.py" code)"
  load 1 1 "$seconds" "$base/healthz" get 20 >"$work/health-probe" &
  local health_pid=$!
  load 1 1 "$seconds" "$base" code "$work/probe-tokens" "$code" 1 20 >"$work/code-probe" &
  local code_pid=$!
  (while sleep 0.2; do rss_mib; echo; done) >"$work/rss" 2>/dev/null &
  local sampler=$!
  flood_out="$(load 2 200 "$seconds" "$base" login '{"username":"nobody%n@example.com","password":"wrong-password-1"}')"
  wait "$health_pid" "$code_pid"
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  rss_peak="$(sort -n "$work/rss" | tail -n 1)"
  sleep 5
  rss_after="$(rss_mib)"
  health_probe="$(cat "$work/health-probe")" code_probe="$(cat "$work/code-probe")"
  logins_rate="$(calc "round($(field "$flood_out" s401) / $(field "$flood_out" seconds), 1)")"
}

raw() { "$CARGO_TARGET_DIR/release/examples/argon2_rate" "$((seconds < 5 ? seconds : 5))"; }
# One-row UPDATEs per second through Tessera's pool, on a database of its own.
statements() { "$CARGO_TARGET_DIR/release/examples/statement_rate" "$1" "$((seconds < 5 ? seconds : 5))"; }

step "SQLite: raw argon2id on $(nproc) cores, the login flood, raw again; code steps, mail logins"
sqlite_url="sqlite://$work/bench.db?mode=rwc"
start_server SQLite "$sqlite_url"
# The ceiling right before and right after the flood: on a shared machine
# the mean of the two is the fairer yardstick.
raw_before="$(raw)"
flood
raw_after="$(raw)"
raw_rate="$(calc "round(($raw_before + $raw_after) / 2, 1)")"
code_steps
sqlite_code="$code_rate" sqlite_code_failed="$code_failed"
sqlite_statements="$(statements "sqlite://$work/statements.db?mode=rwc")"
mail_logins
sqlite_mail="$mail_rate" sqlite_health="$health_rate"
if [ "$browser" = 1 ]; then
  step "The browser: bundles per route, first interaction on an emulated phone"
  logins='{"/account":{"username":"bench","password":"bench-password-1"},
    "/packages":{"username":"bench","password":"bench-password-1"},
    "/admin":{"username":"bench-admin","password":"bench-password-1"},
    "/webmail/inbox":{"username":"info@example.com","password":"bench-password-1"},
    "/user-panel/home":{"username":"info@example.com","password":"bench-password-1"}}'
  (cd "$ROOT/end2end" && node bench.mjs "$base" "$logins") >"$work/browser"
fi
stop_server

step "PostgreSQL: code steps, mail logins"
pg_db="tessera_bench_$$"
psql "$TESSERA_TEST_POSTGRES_URL" -qc "CREATE DATABASE $pg_db" >/dev/null
pg_url="${TESSERA_TEST_POSTGRES_URL%/*}/$pg_db"
start_server PostgreSQL "$pg_url"
code_steps
pg_code="$code_rate" pg_code_failed="$code_failed"
psql "$TESSERA_TEST_POSTGRES_URL" -qc "CREATE DATABASE ${pg_db}_statements" >/dev/null
pg_statements="$(statements "${pg_url}_statements")"
mail_logins
pg_mail="$mail_rate" pg_health="$health_rate"
stop_server

row() { printf '| %-48s | %-32s | %-10s |\n' "$@"; }
echo
echo "xtask/bench.sh on $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC'); ${seconds} s per load"
echo
row "figure" "SQLite" "PostgreSQL"
row "---" "---" "---"
row "raw argon2id verifies/s (in-process)" "$raw_rate (before $raw_before, after $raw_after)" ""
row "password logins/s, 200 connections" "$logins_rate ($(calc "f'{$logins_rate / $raw_rate:.0%}'") of raw)" ""
row "  answered 503 (busy) / other errors" "$(field "$flood_out" s503) / $(calc "$(field "$flood_out" errors) + $(field "$flood_out" s500)")" ""
row "  /healthz p50 / p99 meanwhile (ms)" "$(ms "$(field "$health_probe" p50)") / $(ms "$(field "$health_probe" p99)")" ""
row "  code step p50 / p99 meanwhile (ms)" "$(ms "$(field "$code_probe" p50)") / $(ms "$(field "$code_probe" p99)")" ""
row "  RSS start / peak / 5 s after (MiB)" "$rss_start / $rss_peak / $rss_after" ""
row "code steps/s ($seed pending logins, 32 conns)" "$sqlite_code" "$pg_code"
row "  code steps refused or failed" "$sqlite_code_failed" "$pg_code_failed"
row "one-row UPDATEs/s through the pool (32 tasks)" "$sqlite_statements" "$pg_statements"
row "  code step costs that many UPDATEs" "$(calc "f'{$sqlite_statements / ${sqlite_code#≥}:.1f}'")" "$(calc "f'{$pg_statements / ${pg_code#≥}:.1f}'")"
row "mail logins/s (app password)" "$sqlite_mail" "$pg_mail"
row "/healthz/s" "$sqlite_health" "$pg_health"
if [ "$browser" = 1 ]; then
  while read -r line; do
    route="$(field "$line" route)"
    sizes="$(calc "f'{$(field "$line" raw) / 1000:.0f} / {$(field "$line" gzip) / 1000:.0f} / {$(field "$line" br) / 1000:.0f}'")"
    row "$route: wasm+JS+CSS KB raw / gzip / br" "$sizes ($(field "$line" files) files)" ""
    loaded="$(field "$line" loaded_br)"
    if [ "$loaded" != "$(field "$line" br)" ]; then
      row "  with the next page's chunks, KB br" "$(calc "f'{$loaded / 1000:.0f}'") ($(field "$line" loaded_files) files)" ""
    fi
    usable="$(field "$line" usable_ms)"
    if [ "$usable" != 0 ]; then
      row "$route: login form usable / live, phone (s)" "$(calc "f'{$usable / 1000:.2f} / {$(field "$line" live_ms) / 1000:.2f}'")" ""
    fi
  done <"$work/browser"
fi
