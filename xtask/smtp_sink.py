"""A real SMTP server for tests: accepts every message and stores it in a directory.

Usage: python smtp_sink.py --port PORT --dir DIR [--echo]   (needs aiosmtpd 1.4.6)

* Listens on 127.0.0.1:PORT only (0 picks a free port), then prints one line
  "PORT <n>" to stdout. Any sender, any recipient; no AUTH, no STARTTLS.
* Each message becomes DIR/NNNNNNNNNN.eml (a counter that continues from the
  highest number already in DIR, so names sort in arrival order even across
  restarts). The file holds two added header lines, then the raw DATA bytes
  exactly as received (CRLF line ends, dot-unstuffed):
      X-Envelope-From: <MAIL FROM address>
      X-Envelope-To: <RCPT TO addresses, joined by ", ">
  It is written to a hidden temporary file and renamed, before the 250 reply:
  once the client's send succeeded, the file is complete.
* --echo also prints "mail to ADDRESS: SUBJECT" for each message, and a
  notice's "This wasn't me" link (the demo of xtask/run.sh shows its login
  codes and links that way).
* Exits when stdin reaches EOF (the parent holding the pipe closed it or died;
  from a shell run it as `sleep inf | python smtp_sink.py ...`) or on
  SIGTERM/SIGINT. asyncio's create_server sets SO_REUSEADDR on Linux, so a
  sink can bind the same port again right after the previous one was killed.
"""
import argparse, asyncio, email, email.policy, os, re, signal, threading

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory, echo=False):
        self.dir = directory
        self.echo = echo
        numbers = [int(m.group(1)) for m in map(re.compile(r"^(\d+)\.eml$").match, os.listdir(directory)) if m]
        self.next = max(numbers, default=0) + 1

    async def handle_DATA(self, server, session, envelope):
        n, self.next = self.next, self.next + 1  # one event loop thread: no race
        head = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        tmp = os.path.join(self.dir, f".{n:010d}.tmp")
        with open(tmp, "wb") as f:
            f.write(head.encode("utf-8") + envelope.original_content)
        os.rename(tmp, os.path.join(self.dir, f"{n:010d}.eml"))
        if self.echo:
            message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            print(f"  mail to {', '.join(envelope.rcpt_tos)}: {message['subject']}", flush=True)
            text = message.get_body(("plain",))
            link = text and re.search(r"https?://\S+/this-wasnt-me#[0-9a-f]{64}", text.get_content())
            if link:
                print(f"    its \"This wasn't me\" link: {link.group(0)}", flush=True)
        return "250 OK"


async def main():
    args = argparse.ArgumentParser()
    args.add_argument("--port", type=int, required=True)
    args.add_argument("--dir", required=True)
    args.add_argument("--echo", action="store_true")
    args = args.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    # A thread, not loop.add_reader: epoll refuses regular files and /dev/null.
    # os.read on the raw fd: a daemon thread blocked inside sys.stdin's buffer
    # would hold its lock, which can abort the interpreter at shutdown.
    def watch_stdin():
        try:
            while os.read(0, 65536):
                pass
        except OSError:  # no stdin at all: treat as EOF
            pass
        loop.call_soon_threadsafe(stop.set)
    threading.Thread(target=watch_stdin, daemon=True).start()

    handler = Sink(args.dir, args.echo)
    # hostname set: SMTP would otherwise call socket.getfqdn() (a DNS lookup) per connection.
    try:
        server = await loop.create_server(
            lambda: SMTP(handler, hostname="localhost", enable_SMTPUTF8=True),
            host="127.0.0.1", port=args.port)
    except OSError as error:  # e.g. the port is taken: one line, not a traceback
        raise SystemExit(f"smtp_sink: {error}")
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
