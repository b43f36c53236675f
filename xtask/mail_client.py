#!/usr/bin/env python3
"""A real mail client for Tessera's tests: Python's imaplib, poplib and
smtplib, logging in to 127.0.0.1:PORT. Prints one JSON line:
{"ok": true, ...} or {"ok": false, "error": "<the server's words>"}.

  mail_client.py imap PORT USER PASSWORD       log in, SELECT INBOX
  mail_client.py pop3 PORT USER PASSWORD       USER/PASS, STAT
  mail_client.py smtp PORT USER PASSWORD TO    AUTH, send one message to TO
"""

import imaplib
import json
import poplib
import smtplib
import sys
from email.message import EmailMessage

TIMEOUT = 60


def text(error):
    if error.args and isinstance(error.args[0], bytes):
        return error.args[0].decode(errors="replace")
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {error.smtp_error.decode(errors='replace')}"
    return str(error)


def imap(port, user, password):
    client = imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT)
    try:
        client.login(user, password)
        status, data = client.select("INBOX")
        return {"ok": status == "OK", "exists": int(data[0])}
    finally:
        try:
            client.logout()
        except Exception:
            pass


def pop3(port, user, password):
    client = poplib.POP3("127.0.0.1", port, timeout=TIMEOUT)
    try:
        client.user(user)
        client.pass_(password)
        count, size = client.stat()
        return {"ok": True, "messages": count}
    finally:
        try:
            client.quit()
        except Exception:
            pass


def smtp(port, user, password, to):
    with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT) as client:
        client.ehlo("client.tessera.test")
        client.login(user, password)
        message = EmailMessage()
        message["From"] = user
        message["To"] = to
        message["Subject"] = "Sent through nginx with an app password"
        message.set_content("Hello from a real SMTP client.\n")
        client.send_message(message)
    return {"ok": True}


def main():
    kind, port, user, password, *rest = sys.argv[1:]
    run = {"imap": imap, "pop3": pop3, "smtp": smtp}[kind]
    try:
        result = run(int(port), user, password, *rest)
    except (imaplib.IMAP4.error, poplib.error_proto, smtplib.SMTPException, OSError) as error:
        result = {"ok": False, "error": text(error)}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
