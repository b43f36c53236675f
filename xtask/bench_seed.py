"""Seeds a Tessera database for xtask/bench.sh: logins with an authenticator
app, each with a pending login (password checked, code step to come).

  bench_seed.py seed (--sqlite FILE | --postgres URL) --count N --prefix P --tokens FILE
      N accounts P1..PN copied from the account P (made with `tessera account
      create`, so its password hash and defaults are Tessera's own), all with
      the same TOTP secret, and one pending session each. FILE gets the
      session tokens, one per line, for xtask/bench.lua.
  bench_seed.py code
      The secret's current 6-digit code (every seeded login accepts it once).

Rows go in directly (one transaction, or COPY), not through the API: the
password step costs an argon2id hash, and the benchmark measures the code step.
"""

import argparse
import base64
import hashlib
import hmac
import io
import secrets
import sqlite3
import struct
import subprocess
import sys
import time

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # base32, 160 bits
PENDING_TTL = 15 * 60


def totp(secret_b32: str, at: float, period: int = 30) -> str:
    key = base64.b32decode(secret_b32)
    digest = hmac.new(key, struct.pack(">Q", int(at) // period), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def rows(count: int, prefix: str):
    """(username, token, token hash) for each seeded login."""
    for i in range(1, count + 1):
        token = secrets.token_hex(32)
        yield f"{prefix}{i}", token, hashlib.sha256(token.encode()).hexdigest()


ACCOUNT_COLUMNS = "kind, password_hash, mfa_failures, created_at, email_codes, email_code_failures"


def seed_sqlite(path: str, prefix: str, seeded: list) -> None:
    now = int(time.time())
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            f"INSERT INTO accounts (username, totp_secret, {ACCOUNT_COLUMNS}) "
            f"SELECT ?, ?, {ACCOUNT_COLUMNS} FROM accounts WHERE username = ?",
            ((name, SECRET, prefix) for name, _, _ in seeded),
        )
        db.executemany(
            "INSERT INTO sessions (token_hash, account_id, stage, code_failures, via_recovery_code, created_at, expires_at) "
            "SELECT ?, id, 'pending_mfa', 0, 0, ?, ? FROM accounts WHERE username = ?",
            ((digest, now, now + PENDING_TTL, name) for name, _, digest in seeded),
        )
    db.close()


def seed_postgres(url: str, prefix: str, seeded: list) -> None:
    now = int(time.time())
    names = io.StringIO()
    for name, _, digest in seeded:
        names.write(f"{name}\t{digest}\n")
    script = f"""
BEGIN;
CREATE TEMP TABLE seed (username text, token_hash text);
COPY seed FROM STDIN;
{names.getvalue()}\\.
INSERT INTO accounts (username, totp_secret, {ACCOUNT_COLUMNS})
  SELECT s.username, '{SECRET}', {", ".join("t." + c.strip() for c in ACCOUNT_COLUMNS.split(","))}
  FROM seed s CROSS JOIN (SELECT * FROM accounts WHERE username = '{prefix}') t;
INSERT INTO sessions (token_hash, account_id, stage, code_failures, via_recovery_code, created_at, expires_at)
  SELECT s.token_hash, a.id, 'pending_mfa', 0, false, {now}, {now + PENDING_TTL}
  FROM seed s JOIN accounts a ON a.username = s.username;
COMMIT;
"""
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url], input=script, text=True, check=True,
                   stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    seed = sub.add_parser("seed")
    target = seed.add_mutually_exclusive_group(required=True)
    target.add_argument("--sqlite")
    target.add_argument("--postgres")
    seed.add_argument("--count", type=int, required=True)
    seed.add_argument("--prefix", required=True)
    seed.add_argument("--tokens", required=True)
    sub.add_parser("code")
    args = parser.parse_args()

    if args.command == "code":
        print(totp(SECRET, time.time()))
        return 0
    seeded = list(rows(args.count, args.prefix))
    if args.sqlite:
        seed_sqlite(args.sqlite, args.prefix, seeded)
    else:
        seed_postgres(args.postgres, args.prefix, seeded)
    with open(args.tokens, "w") as out:
        out.writelines(token + "\n" for _, token, _ in seeded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
