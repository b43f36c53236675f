#!/usr/bin/env python3
"""A throw-away mail stack in front of Tessera, for the tests and the demo.

Dovecot (IMAP and POP3) with a static passdb that takes only the backend
secret, and only from 127.0.0.1; nginx's mail proxy (IMAP, POP3, SMTP)
asking Tessera's /api/v1/mail/auth before each login, and handing Dovecot the
backend secret instead of the user's password. SMTP goes on to whatever
Tessera names (its --smtp-backend: the tests' sink). Everything listens on free ports of
127.0.0.1 and lives in --dir. The configs written here are the ones the
README shows operators.

Talks over stdin and stdout, one line each:
  -> DOVECOT imap=PORT pop3=PORT     Dovecot is up (Tessera's --imap-backend/--pop3-backend)
  <- TESSERA PORT                    Tessera listens on 127.0.0.1:PORT
  -> NGINX imap=PORT pop3=PORT smtp=PORT
(with --tessera HOST:PORT it waits for Tessera to listen there instead of
reading that line), and stops both servers when stdin closes (so they end
with whoever started this script, however it ends).
"""

import argparse
import atexit
import os
import shutil
import tempfile
import pwd
import grp
import signal
import socket
import subprocess
import sys
import time

NGINX_MODULE = "/usr/lib/nginx/modules/ngx_mail_module.so"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, name, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"mail_stack: {name} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"mail_stack: {name} did not listen on {port} within {seconds} s")


def private(path, flags):
    """Opens a file only its owner may read: the configs hold the secrets."""
    return os.open(path, flags, 0o600)


def read_secret(path):
    with open(path) as f:
        return f.read().strip()


def mail_dir(d):
    """Where the mailboxes live. As root, Dovecot reads and writes them as
    nobody, who may not reach into --dir (a 0700 temporary directory, say):
    then they go into a directory of their own under /tmp, removed on stop."""
    if os.geteuid() != 0:
        path = os.path.join(d, "mail")
        os.makedirs(path, exist_ok=True)
        return path
    path = tempfile.mkdtemp(prefix="tessera-mailboxes-")
    os.chmod(path, 0o755)
    atexit.register(shutil.rmtree, path, True)
    return path


def dovecot_config(d, imap, pop3, backend_secret, master_user):
    if os.geteuid() == 0:
        # Dovecot's own unprivileged users run its login and auth processes;
        # mail belongs to nobody.
        users = ""
        uid, gid = "nobody", "nogroup"
        owner = (pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
    else:
        me = pwd.getpwuid(os.geteuid()).pw_name
        users = f"default_internal_user = {me}\ndefault_login_user = {me}\n"
        uid, gid = str(os.geteuid()), str(os.getegid())
        owner = None
    mail = mail_dir(d)
    if owner:
        os.chown(mail, *owner)
    if master_user:
        # A master user: nginx logs in as user*master with the backend secret;
        # the users' own passdb (here an empty file) is the provider's.
        master_users = os.path.join(d, "master-users")
        with open(master_users, "w", opener=private) as f:
            f.write(f"{master_user}:{{PLAIN}}{backend_secret}::::::allow_nets=127.0.0.1/32\n")
        if os.geteuid() == 0:
            # Read by Dovecot's auth process, which runs as its own user.
            os.chown(master_users, 0, grp.getgrnam("dovecot").gr_gid)
            os.chmod(master_users, 0o640)
        open(os.path.join(d, "users"), "w").close()
        passdb = f"""auth_master_user_separator = *
passdb {{
  driver = passwd-file
  args = {d}/master-users
  master = yes
}}
passdb {{
  driver = passwd-file
  args = {d}/users
}}
"""
    else:
        # A static passdb: any mailbox, with the backend secret, from the proxy only.
        passdb = f"""passdb {{
  driver = static
  args = password={backend_secret} allow_nets=127.0.0.1/32
}}
"""
    return f"""# Tessera's mail stack: Dovecot behind nginx's mail proxy.
protocols = imap pop3
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
instance_name = tessera-{os.path.basename(d)}
log_path = {d}/dovecot.log
{users}ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{mail}/%u
first_valid_uid = 1
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
{passdb}userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
"""


def nginx_config(d, tessera, proxy_secret, imap, pop3, smtp):
    return f"""# Tessera's mail stack: nginx's mail proxy asks Tessera before each login.
load_module {NGINX_MODULE};
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/nginx.log info;
events {{
    worker_connections 256;
}}
mail {{
    server_name mail.tessera.test;
    auth_http {tessera[0]}:{tessera[1]}/api/v1/mail/auth;
    auth_http_header X-Tessera-Mail-Secret "{proxy_secret}";
    auth_http_timeout 10s;
    proxy_pass_error_message on;
    imap_auth plain login;
    pop3_auth plain;
    smtp_auth plain login;
    # The SMTP backend trusts the proxy; XCLIENT is Postfix's, not every server's.
    xclient off;
    server {{
        listen 127.0.0.1:{imap};
        protocol imap;
    }}
    server {{
        listen 127.0.0.1:{pop3};
        protocol pop3;
    }}
    server {{
        listen 127.0.0.1:{smtp};
        protocol smtp;
    }}
}}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, help="where configs, logs and mail go")
    parser.add_argument("--proxy-secret-file", required=True, help="Tessera's --mail-auth-secret-file")
    parser.add_argument("--backend-secret-file", required=True, help="Tessera's --mail-backend-secret-file")
    parser.add_argument("--master-user", help="Dovecot master user instead of a static passdb")
    parser.add_argument("--tessera", help="HOST:PORT to wait for, instead of reading 'TESSERA PORT'")
    for protocol in ("imap", "pop3", "smtp"):
        parser.add_argument(f"--{protocol}-port", type=int, default=0, help=f"nginx's {protocol} port (0: a free one)")
    for protocol in ("imap", "pop3"):
        parser.add_argument(f"--dovecot-{protocol}-port", type=int, default=0, help=f"Dovecot's {protocol} port")
    args = parser.parse_args()

    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    # Dovecot's unprivileged processes pass through, nobody else looks in.
    os.chmod(d, 0o711)
    proxy_secret = read_secret(args.proxy_secret_file)
    backend_secret = read_secret(args.backend_secret_file)

    running = []

    def stop(*_):
        for process in reversed(running):
            if process.poll() is None:
                process.terminate()
        for process in running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    dovecot_ports = (args.dovecot_imap_port or free_port(), args.dovecot_pop3_port or free_port())
    conf = os.path.join(d, "dovecot.conf")
    with open(conf, "w", opener=private) as f:
        f.write(dovecot_config(d, *dovecot_ports, backend_secret, args.master_user))
    # stdout is where we tell our caller the ports: nothing else may write there.
    dovecot = subprocess.Popen(["dovecot", "-F", "-c", conf], stdin=subprocess.DEVNULL, stdout=sys.stderr)
    running.append(dovecot)
    for port in dovecot_ports:
        wait_for_port(port, dovecot, "dovecot")
    print(f"DOVECOT imap={dovecot_ports[0]} pop3={dovecot_ports[1]}", flush=True)

    if args.tessera:
        host, port = args.tessera.rsplit(":", 1)
        tessera = (host, int(port))
        deadline = time.monotonic() + 600
        while True:
            try:
                socket.create_connection(tessera, timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"mail_stack: nothing listens on {args.tessera}")
                time.sleep(0.2)
    else:
        line = sys.stdin.readline().split()
        if len(line) != 2 or line[0] != "TESSERA":
            print(f"mail_stack: expected 'TESSERA PORT', got {line!r}", file=sys.stderr)
            stop()
        tessera = ("127.0.0.1", int(line[1]))
    nginx_ports = tuple(port or free_port() for port in (args.imap_port, args.pop3_port, args.smtp_port))
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w", opener=private) as f:
        f.write(nginx_config(d, tessera, proxy_secret, *nginx_ports))
    nginx = subprocess.Popen(
        ["nginx", "-c", conf, "-p", d, "-e", os.path.join(d, "nginx.log"), "-g", "daemon off;"],
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr,
    )
    running.append(nginx)
    for port in nginx_ports:
        wait_for_port(port, nginx, "nginx")
    imap, pop3, smtp = nginx_ports
    print(f"NGINX imap={imap} pop3={pop3} smtp={smtp}", flush=True)

    # Until whoever started us closes our stdin (or dies).
    while sys.stdin.readline():
        pass
    stop()


if __name__ == "__main__":
    main()
