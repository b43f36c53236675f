// Starts one `tessera serve` for the whole run: a free port on 127.0.0.1, a
// fresh SQLite database in a temporary directory, a real SMTP server
// (xtask/smtp_sink.py, aiosmtpd) that writes every mail it gets into a
// directory, and a real mail stack (xtask/mail_stack.py: nginx's mail proxy
// asking Tessera, Dovecot behind it; TESSERA_E2E_IMAP_PORT is nginx's). Tests find them through TESSERA_E2E_BASE_URL,
// TESSERA_E2E_DATABASE_URL and TESSERA_E2E_MAIL_DIR (environment variables
// set here reach the workers). The returned function stops both.
//
// Both also stop by themselves if this runner dies: the server's watchdog
// shell and the sink each read a pipe from this process and end once it closes.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

// $0 is the server binary, "$@" its arguments. fd 3 keeps the pipe from the
// runner; the background subshell waits for its end, then stops the server,
// which replaces the shell (exec) so its pid is the child's pid.
const WATCHDOG = [
  'exec 3<&0',
  'server=$$',
  '(cat <&3 >/dev/null; kill -TERM "$server" 2>/dev/null) &',
  'exec "$0" "$@" </dev/null 3<&-',
].join('\n');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The SMTP sink on a free port, writing mails into `dir`; answers its port. */
async function startMailSink(dir: string, log: number): Promise<{ port: number; stop: () => void }> {
  const python = process.env.TESSERA_TEST_PYTHON ?? path.join(os.homedir(), '.cache/tessera-tools/venv/bin/python');
  const script = path.resolve(__dirname, '../xtask/smtp_sink.py');
  const sink = spawn(python, [script, '--port', '0', '--dir', dir], { stdio: ['pipe', 'pipe', log] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the SMTP sink did not start within 10 s')), 10_000);
    sink.on('error', (e) => reject(new Error(`no SMTP sink (${python}): ${e.message}; run xtask/test.sh`)));
    sink.on('exit', (code) => reject(new Error(`the SMTP sink exited (${code}); is aiosmtpd installed? run xtask/test.sh`)));
    let seen = '';
    sink.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /PORT (\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  return { port, stop: () => sink.stdin?.end() };
}

/**
 * xtask/mail_stack.py: Dovecot (IMAP, POP3) behind nginx's mail proxy, which
 * asks Tessera before every login. Dovecot starts first (Tessera needs its
 * ports); `connect` starts nginx once Tessera listens. nginx's ports are
 * chosen here, so Tessera can tell mail clients about them.
 */
async function startMailStack(dir: string, log: number) {
  mkdirSync(dir, { recursive: true });
  const proxySecret = path.join(dir, 'proxy.secret');
  const backendSecret = path.join(dir, 'backend.secret');
  writeFileSync(proxySecret, randomBytes(24).toString('hex'), { mode: 0o600 });
  writeFileSync(backendSecret, randomBytes(24).toString('hex'), { mode: 0o600 });
  const nginx = { imap: await freePort(), pop3: await freePort(), smtp: await freePort() };
  const script = path.resolve(__dirname, '../xtask/mail_stack.py');
  const stack = spawn(
    'python3',
    [
      script, '--dir', path.join(dir, 'stack'), '--proxy-secret-file', proxySecret, '--backend-secret-file', backendSecret,
      '--imap-port', String(nginx.imap), '--pop3-port', String(nginx.pop3), '--smtp-port', String(nginx.smtp),
    ],
    { stdio: ['pipe', 'pipe', log] },
  );
  let seen = '';
  const line = (word: string) =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the mail stack printed no ${word} line within 30 s`)), 30_000);
      stack.on('exit', (code) => reject(new Error(`the mail stack exited (${code}); are nginx and Dovecot installed? run xtask/test.sh`)));
      const look = () => {
        const match = new RegExp(`^${word} (.*)$`, 'm').exec(seen);
        if (!match) return;
        clearTimeout(timer);
        stack.stdout?.off('data', onData);
        resolve(Object.fromEntries(match[1].split(' ').map((pair) => pair.split('=')).map(([k, v]) => [k, Number(v)])));
      };
      const onData = (chunk: Buffer) => {
        seen += chunk.toString();
        look();
      };
      stack.stdout?.on('data', onData);
      look();
    });
  const dovecot = await line('DOVECOT');
  return {
    dovecot,
    nginx,
    proxySecret,
    backendSecret,
    connect: async (tesseraPort: number) => {
      stack.stdin?.write(`TESSERA ${tesseraPort}\n`);
      await line('NGINX');
    },
    stop: () => stack.stdin?.end(),
  };
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const bin = path.resolve(
    process.env.TESSERA_BIN ?? path.join(os.homedir(), '.cache/tessera-target/debug/tessera'),
  );
  // xtask/test.sh builds the debug bundle into the target dir; a cargo-leptos
  // build (xtask/run.sh) lands in target/site, to be served by its release binary.
  const siteRoot = process.env.TESSERA_SITE_ROOT
    ? path.resolve(process.env.TESSERA_SITE_ROOT)
    : path.join(os.homedir(), '.cache/tessera-target/e2e-site');
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(`No tessera binary at ${bin}: build it (cargo build -p server) or set TESSERA_BIN.`);
  }
  if (!existsSync(path.join(siteRoot, 'pkg', 'tessera.js'))) {
    throw new Error(
      `No built site in ${siteRoot} (pkg/tessera.js missing): the pages would not hydrate. ` +
        `Run xtask/test.sh, or set TESSERA_SITE_ROOT.`,
    );
  }

  const dir = mkdtempSync(path.join(os.tmpdir(), 'tessera-e2e-'));
  const databaseUrl = `sqlite://${path.join(dir, 'e2e.db')}?mode=rwc`;
  const logFile = path.join(dir, 'server.log');
  const log = openSync(logFile, 'a');
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const mailDir = path.join(dir, 'mail');
  mkdirSync(mailDir);
  const sink = await startMailSink(mailDir, log);
  const mailStack = await startMailStack(path.join(dir, 'mail-stack'), log);

  const server = spawn(
    'sh',
    [
      '-c', WATCHDOG, bin, '--database-url', databaseUrl, 'serve', '--listen', `127.0.0.1:${port}`, '--site-root', siteRoot,
      '--smtp-url', `smtp://127.0.0.1:${sink.port}`, '--mail-from', 'Tessera <security@example.com>',
      '--mail-auth-secret-file', mailStack.proxySecret, '--mail-backend-secret-file', mailStack.backendSecret,
      '--imap-backend', `127.0.0.1:${mailStack.dovecot.imap}`, '--pop3-backend', `127.0.0.1:${mailStack.dovecot.pop3}`,
      '--smtp-backend', `127.0.0.1:${sink.port}`,
      '--mail-client-imap', `127.0.0.1:${mailStack.nginx.imap}`, '--mail-client-pop3', `127.0.0.1:${mailStack.nginx.pop3}`,
      '--mail-client-smtp', `127.0.0.1:${mailStack.nginx.smtp}`,
      // Every browser of the suite comes from 127.0.0.1, and some tests type
      // wrong passwords on purpose: the guessing throttle is tested by the API suite.
      '--password-free-failures', '99', '--password-address-budget', '100000',
    ],
    { stdio: ['pipe', log, log], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' } },
  );
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    server.on('exit', () => {
      exited = true;
      resolve();
    }),
  );

  const stop = async () => {
    server.stdin?.end(); // the watchdog sends SIGTERM
    const timer = setTimeout(() => server.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exit;
    clearTimeout(timer);
    sink.stop();
    mailStack.stop();
    if (process.env.TESSERA_E2E_KEEP) {
      console.log(`Kept ${dir} (database and server.log).`);
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      const output = tail(logFile);
      await stop();
      throw new Error(`tessera serve exited before it was ready:\n${output}`);
    }
    try {
      const response = await fetch(`${baseUrl}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const output = tail(logFile);
      await stop();
      throw new Error(`tessera serve did not answer GET /healthz within ${START_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  await mailStack.connect(port);
  process.env.TESSERA_E2E_IMAP_PORT = String(mailStack.nginx.imap);
  process.env.TESSERA_E2E_SMTP_PORT = String(mailStack.nginx.smtp);
  process.env.TESSERA_E2E_BASE_URL = baseUrl;
  process.env.TESSERA_E2E_DATABASE_URL = databaseUrl;
  process.env.TESSERA_E2E_BIN = bin;
  process.env.TESSERA_E2E_MAIL_DIR = mailDir;
  return stop;
}
