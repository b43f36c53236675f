#!/usr/bin/env bash
# Builds Tessera with cargo-leptos (release) and starts it on SQLite
# (data/tessera.db) with demo accounts. Installs what is missing first.
# Unless TESSERA_SMTP_URL names a mail server, a local SMTP sink receives
# Tessera's mails and prints them here (the demo customer's login codes).
# nginx's mail proxy and Dovecot run for the demo mailbox, on free ports.
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
ensure_mail_servers
step "Building Tessera (cargo leptos build --release --split)"
cargo leptos build --release --split
compress_site "$SITE_ROOT"
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
smtp_backend=()
if [ -z "${TESSERA_SMTP_URL:-}" ]; then
  mail_port="$(free_port)"
  mkdir -p data/mail
  # The sink's stdin is fd 3, which the server (exec'd below) inherits: when
  # the server ends, the pipe closes and the sink ends too.
  exec 3> >("${TESSERA_TEST_PYTHON:-$TOOLS_DIR/venv/bin/python}" "$ROOT/xtask/smtp_sink.py" --port "$mail_port" --dir data/mail --echo \
    | grep --line-buffered -v '^PORT ')
  export TESSERA_SMTP_URL="smtp://127.0.0.1:$mail_port"
  mail_note="Mails Tessera sends are printed below and kept in data/mail/."
  # What mail clients send through nginx goes to the same sink.
  smtp_backend=(--smtp-backend "127.0.0.1:$mail_port")
fi

# The mail stack: Dovecot behind nginx's mail proxy, which asks Tessera before
# each IMAP, POP3 or SMTP login. Its stdin is fd 5, inherited by the server:
# when the server ends, the stack stops (xtask/mail_stack.py).
stack_dir="$ROOT/data/mail-stack"
mkdir -p "$stack_dir"
for secret in proxy backend; do
  [ -s "$stack_dir/$secret.secret" ] || (umask 077; python3 -c 'import secrets; print(secrets.token_hex(24))' > "$stack_dir/$secret.secret")
done
imap_port="$(free_port)" pop3_port="$(free_port)" smtp_port="$(free_port)"
dovecot_imap="$(free_port)" dovecot_pop3="$(free_port)"
tessera_port="${listen##*:}"
tessera_host="${listen%:*}"
tessera_host="${tessera_host#[}" tessera_host="${tessera_host%]}"
case "$tessera_host" in 0.0.0.0|::|"") tessera_host=127.0.0.1 ;; esac
# nginx calls Tessera on that address, so it calls from it too.
export TESSERA_MAIL_PROXIES="${TESSERA_MAIL_PROXIES:-127.0.0.1,::1,$tessera_host}"
exec 5> >(python3 "$ROOT/xtask/mail_stack.py" --dir "$stack_dir/run" \
  --proxy-secret-file "$stack_dir/proxy.secret" --backend-secret-file "$stack_dir/backend.secret" \
  --tessera "$tessera_host:$tessera_port" --imap-port "$imap_port" --pop3-port "$pop3_port" --smtp-port "$smtp_port" \
  --dovecot-imap-port "$dovecot_imap" --dovecot-pop3-port "$dovecot_pop3" >/dev/null)
export TESSERA_MAIL_AUTH_SECRET_FILE="$stack_dir/proxy.secret"
export TESSERA_MAIL_BACKEND_SECRET_FILE="$stack_dir/backend.secret"
export TESSERA_IMAP_BACKEND="127.0.0.1:$dovecot_imap" TESSERA_POP3_BACKEND="127.0.0.1:$dovecot_pop3"
export TESSERA_MAIL_CLIENT_IMAP="127.0.0.1:$imap_port" TESSERA_MAIL_CLIENT_POP3="127.0.0.1:$pop3_port"
export TESSERA_MAIL_CLIENT_SMTP="127.0.0.1:$smtp_port"

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

  Mail clients: nginx's mail proxy asks Tessera before each login (Dovecot behind it).
    IMAP 127.0.0.1:$imap_port   POP3 127.0.0.1:$pop3_port   SMTP 127.0.0.1:$smtp_port   (no TLS: a demo)
    curl -v imap://127.0.0.1:$imap_port/ -u 'info@example.com:demo-mailbox-1'
  Once the mailbox has MFA (webmail > My account), its password is refused there;
  make an app password under My account > App passwords, then:
    curl -v imap://127.0.0.1:$imap_port/ -u 'info@example.com:APP-PASSWORD'

TXT
exec "$tessera" serve --listen "$listen" --site-root "$SITE_ROOT" "${smtp_backend[@]}"
