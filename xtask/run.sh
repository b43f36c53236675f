#!/usr/bin/env bash
# Builds and starts Tessera on SQLite (data/tessera.db) with demo accounts.
# Installs what is missing first. Usage: xtask/run.sh [--release] [--listen ADDR]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode=debug
listen="${TESSERA_LISTEN:-127.0.0.1:3000}"
while [ $# -gt 0 ]; do
  case "$1" in
    --release) mode=release ;;
    --listen) listen="$2"; shift ;;
    *) die "unknown option $1 (use --release, --listen ADDR)" ;;
  esac
  shift
done

cd "$ROOT"
ensure_build_tools
build_site "$mode"
tessera="$(build_server "$mode")"
export TESSERA_DATABASE_URL="${TESSERA_DATABASE_URL:-sqlite://data/tessera.db?mode=rwc}"

step "Creating demo accounts (kept if they exist)"
demo() { # kind username password [owner]
  local owner=(); [ $# -gt 3 ] && owner=(--owner "$4")
  printf '%s\n' "$3" | "$tessera" account create --kind "$1" --username "$2" --password-stdin "${owner[@]}" 2>/dev/null \
    || true
}
demo customer c10001 'demo-customer-1'
demo package web1.c10001 'demo-package-1' c10001
demo mailbox info@example.com 'demo-mailbox-1' c10001
demo admin admin 'demo-admin-1'

cat <<TXT

  Tessera runs at http://$listen
  Demo logins (username / password):
    customer  c10001            / demo-customer-1
    package   web1.c10001       / demo-package-1
    mailbox   info@example.com  / demo-mailbox-1
    admin     admin             / demo-admin-1
  Database: $TESSERA_DATABASE_URL   Stop with Ctrl-C.

TXT
exec "$tessera" serve --listen "$listen" --site-root "$SITE_ROOT"
