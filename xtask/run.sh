#!/usr/bin/env bash
# Builds Tessera with cargo-leptos (release) and starts it on SQLite
# (data/tessera.db) with demo accounts. Installs what is missing first.
# Unless TESSERA_SMTP_URL names a mail server, a local SMTP sink receives
# Tessera's mails and prints them here (the demo customer's login codes).
# Usage: xtask/run.sh [--listen ADDR]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

listen="${TESSERA_LISTEN:-127.0.0.1:3000}"
while [ $# -gt 0 ]; do
  case "$1" in
    --listen) listen="${2:?--listen needs an address}"; shift ;;
    *) die "unknown option $1 (use --listen ADDR)" ;;
  esac
  shift
done

cd "$ROOT"
ensure_build_tools
ensure_cargo_leptos
[ -n "${TESSERA_SMTP_URL:-}" ] || ensure_smtp_sink_venv
step "Building Tessera (cargo leptos build --release)"
cargo leptos build --release
tessera="$CARGO_TARGET_DIR/release/tessera"
export TESSERA_DATABASE_URL="${TESSERA_DATABASE_URL:-sqlite://data/tessera.db?mode=rwc}"

step "Creating demo accounts (kept if they exist)"
demo() { # kind username password [owner] [email]
  local extra=()
  [ -n "${4:-}" ] && extra+=(--owner "$4")
  [ -n "${5:-}" ] && extra+=(--email "$5")
  printf '%s\n' "$3" | "$tessera" account create --kind "$1" --username "$2" --password-stdin "${extra[@]}" 2>/dev/null \
    || true
}
demo customer c10001 'demo-customer-1' '' c10001@example.com
demo package web1.c10001 'demo-package-1' c10001
demo mailbox info@example.com 'demo-mailbox-1' c10001
demo admin admin 'demo-admin-1'

mail_note="Mail goes to the server TESSERA_SMTP_URL names."
if [ -z "${TESSERA_SMTP_URL:-}" ]; then
  mail_port="$(free_port)"
  mkdir -p data/mail
  # The sink's stdin is fd 3, which the server (exec'd below) inherits: when
  # the server ends, the pipe closes and the sink ends too.
  exec 3> >("${TESSERA_TEST_PYTHON:-$TOOLS_DIR/venv/bin/python}" "$ROOT/xtask/smtp_sink.py" --port "$mail_port" --dir data/mail --echo \
    | grep --line-buffered -v '^PORT ')
  export TESSERA_SMTP_URL="smtp://127.0.0.1:$mail_port"
  mail_note="Mails Tessera sends are printed below and kept in data/mail/."
fi

cat <<TXT

  Tessera runs at http://$listen
    control panel  http://$listen/            (customer, package, admin)
    webmail        http://$listen/webmail     (mailbox; code in a pop-up)
    User Panel     http://$listen/user-panel  (mailbox; code after the password)
    admin console  http://$listen/admin
  Demo logins (username / password):
    customer  c10001            / demo-customer-1   (owns the next two; codes by e-mail to c10001@example.com)
    package   web1.c10001       / demo-package-1
    mailbox   info@example.com  / demo-mailbox-1
    admin     admin             / demo-admin-1
  Database: $TESSERA_DATABASE_URL   Stop with Ctrl-C.
  $mail_note

TXT
exec "$tessera" serve --listen "$listen" --site-root "$SITE_ROOT"
