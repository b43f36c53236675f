// What the specs share: a fresh user per test, logging in and out, the MFA
// section, an authenticator app (otpauth, independent of the server's TOTP
// code) and layout checks.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test as base, expect, request, type Locator, type Page } from '@playwright/test';
import * as OTPAuth from 'otpauth';

export { expect };

export interface User {
  username: string;
  password: string;
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`npx playwright test\` (global-setup.ts sets it)`);
  return value;
}

export type Kind = 'customer' | 'package' | 'mailbox' | 'admin';

/** A random suffix: logins are unique per test and project. */
function unique(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`.toLowerCase().replace(/[^a-z0-9._@+-]/g, '-');
}

/** Runs the server's CLI against the suite's database; answers its output. */
export function tessera(args: string[], input?: string): string {
  return execFileSync(env('TESSERA_E2E_BIN'), ['--database-url', env('TESSERA_E2E_DATABASE_URL'), ...args], {
    input: input ?? '',
    stdio: ['pipe', 'pipe', 'pipe'],
  }).toString();
}

/**
 * Creates a login with the CLI, straight in the server's database. A mailbox
 * is named `<prefix>-<random>@example.com`; package and mailbox logins need
 * the customer that owns them.
 */
export function createUser(prefix: string, kind: Kind = 'customer', owner?: User, email?: string, extra: string[] = []): User {
  const name = unique(prefix);
  const user = {
    username: kind === 'mailbox' ? `${name}@example.com` : name,
    password: `Pw ${randomBytes(9).toString('base64url')}`,
  };
  const ownerArgs = owner ? ['--owner', owner.username] : [];
  const emailArgs = email ? ['--email', email] : [];
  tessera(
    ['account', 'create', '--kind', kind, '--username', user.username, '--password-stdin', ...ownerArgs, ...emailArgs, ...extra],
    `${user.password}\n`,
  );
  return user;
}

/** A new customer with a contact address: e-mailed codes are its second factor from the start. */
export function createCustomerWithEmail(prefix: string): User & { email: string } {
  const email = `${unique(prefix)}@mail.example.com`;
  return { ...createUser(prefix, 'customer', undefined, email), email };
}

// ---- Mail (the SMTP sink global-setup.ts runs) ---------------------------

export interface Mail {
  file: string;
  to: string[];
  subject: string;
  /** The message with its quoted-printable parts decoded (headers and MIME boundaries kept). */
  raw: string;
}

/** Undoes quoted-printable (RFC 2045): soft line breaks and =XX bytes, read as UTF-8. */
function decodeQuotedPrintable(text: string): string {
  const bytes = Buffer.from(text.replace(/=\r?\n/g, ''), 'latin1').toString('latin1');
  return Buffer.from(bytes.replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
}

function readMails(): Mail[] {
  const dir = env('TESSERA_E2E_MAIL_DIR');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((file) => {
      const raw = decodeQuotedPrintable(readFileSync(path.join(dir, file), 'latin1'));
      const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(raw)?.[1]?.trim() ?? '';
      return {
        file,
        to: header('X-Envelope-To').split(',').map((a) => a.trim().toLowerCase()),
        subject: header('Subject'),
        raw,
      };
    });
}

/**
 * Waits for a mail to `to` whose subject contains `subject` and that was not
 * in `seen` (files handed out before); answers it and remembers it.
 */
export async function waitForMail(to: string, subject: string, seen: Set<string>): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(
      () => {
        found = readMails().find((m) => !seen.has(m.file) && m.to.includes(to.toLowerCase()) && m.subject.includes(subject));
        return found !== undefined;
      },
      { message: `a mail to ${to} about "${subject}"`, timeout: 15_000 },
    )
    .toBe(true);
  seen.add(found!.file);
  return found!;
}

/** The mails to `to` so far whose subject contains `subject`. */
export function mailsTo(to: string, subject: string): Mail[] {
  return readMails().filter((m) => m.to.includes(to.toLowerCase()) && m.subject.includes(subject));
}

/** The code of a "Your login code: 123456" mail. */
export function codeIn(mail: Mail): string {
  const code = /Your login code: (\d{6})/.exec(mail.subject)?.[1];
  if (!code) throw new Error(`no code in "${mail.subject}"`);
  return code;
}

/** The "This wasn't me" link of a security notice (its text part). */
export function notMeLink(mail: Mail): string {
  const link = /https?:\/\/[^\s"<>]+\/this-wasnt-me#[0-9a-f]{64}/.exec(mail.raw)?.[0];
  if (!link) throw new Error(`no "This wasn't me" link in ${mail.file}`);
  return link;
}

export const test = base.extend<{ user: User }>({
  baseURL: async ({}, use) => {
    await use(env('TESSERA_E2E_BASE_URL'));
  },
  /** A customer login of its own for each test and project. */
  user: async ({}, use, testInfo) => {
    await use(createUser(`e2e-${testInfo.project.name}`));
  },
});

// ---- Pages -------------------------------------------------------------

/** My Account's "Recent security events" section. */
export function eventsSection(page: Page): Locator {
  return page.getByRole('region', { name: 'Recent security events' });
}

/**
 * The login page, live: until then the browser posts the form itself, which
 * works but is not what most tests are about.
 */
export async function openLoginPage(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.locator('form[data-live]')).toHaveCount(1);
}

/** The first step of logging in (username and password); does not wait for where it leads. */
export async function submitPassword(page: Page, user: User, password = user.password): Promise<void> {
  const submit = page.getByRole('button', { name: 'Log in', exact: true });
  await expect(submit).toBeEnabled();
  await page.getByLabel('Username', { exact: true }).fill(user.username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await submit.click();
}

/** Logs in with the password and a fresh code from `app`, and lands on My Account. */
export async function logInWithCode(page: Page, user: User, app: Authenticator): Promise<void> {
  await openLoginPage(page);
  await submitPassword(page, user);
  await page.getByLabel('Authentication code').fill(await app.freshCode());
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expectAccountPage(page);
}

/** Logs in where no second factor is asked for, and lands on My Account. */
export async function logIn(page: Page, user: User): Promise<void> {
  await openLoginPage(page);
  await submitPassword(page, user);
  await expectAccountPage(page);
}

export async function expectAccountPage(page: Page): Promise<void> {
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { name: 'My Account' })).toBeVisible();
  await expect(mfaSection(page)).toBeVisible();
}

export async function logOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('form[data-live]')).toHaveCount(1);
}

/** My Account's "Two-factor authentication" section. */
export function mfaSection(page: Page): Locator {
  return page.getByRole('region', { name: 'Two-factor authentication' });
}

export function enableButton(page: Page): Locator {
  return mfaSection(page).getByRole('button', { name: 'inactive – click to activate' });
}

/** The status badge ("active" or "inactive"). */
export function mfaBadge(page: Page, text: 'active' | 'inactive'): Locator {
  return mfaSection(page).getByText(text, { exact: true });
}

/** Every request to the REST API from now on, as "METHOD /path". */
export function recordApiRequests(page: Page): () => string[] {
  const seen: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/')) seen.push(`${request.method()} ${url.pathname}`);
  });
  return () => [...seen];
}

// ---- The authenticator app ---------------------------------------------

/** A secret as the page shows it: groups of four, space-separated. */
export function groupInFours(secret: string): string {
  return (secret.match(/.{1,4}/g) ?? []).join(' ');
}

const STEP_MARGIN_MS = 300;

/**
 * An authenticator app for one secret. The server accepts each 30-second
 * step once per account (and no earlier step after it), so `freshCode`
 * remembers the last step it handed out and, when the current step is used,
 * waits for the next step boundary.
 */
export class Authenticator {
  private readonly totp: OTPAuth.TOTP;
  private lastStep = -1;

  constructor(
    secret: string,
    private readonly period = 30,
  ) {
    this.totp = new OTPAuth.TOTP({
      secret: OTPAuth.Secret.fromBase32(secret),
      digits: 6,
      period,
      algorithm: 'SHA1',
    });
  }

  private stepAt(ms: number): number {
    return Math.floor(ms / (this.period * 1000));
  }

  /** A code of a step not handed out before: the current one, or the next. */
  async freshCode(): Promise<string> {
    let step = this.stepAt(Date.now());
    if (step <= this.lastStep) {
      step = this.lastStep + 1;
      const wait = step * this.period * 1000 - Date.now() + STEP_MARGIN_MS;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    this.lastStep = step;
    return this.codeAt(step);
  }

  /** Six digits that are not the code of this step, nor of two steps either side. */
  wrongCode(): string {
    const now = this.stepAt(Date.now());
    const valid = new Set([-2, -1, 0, 1, 2].map((d) => this.codeAt(now + d)));
    for (const candidate of ['000000', '111111', '222222', '333333', '444444', '555555']) {
      if (!valid.has(candidate)) return candidate;
    }
    throw new Error('unreachable: five codes cannot take six candidates');
  }

  private codeAt(step: number): string {
    return this.totp.generate({ timestamp: step * this.period * 1000 });
  }
}

// ---- Layout ------------------------------------------------------------

/** No horizontal scrolling: neither the document nor any element sticks out. */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const layout = await page.evaluate(() => {
    const width = window.innerWidth;
    const sticking = [...document.body.querySelectorAll('*')]
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && (box.right > width + 0.5 || box.left < -0.5);
      })
      .map((el) => {
        const box = el.getBoundingClientRect();
        const name = el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') + (el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : '');
        return `${name} [${Math.round(box.left)}..${Math.round(box.right)}]`;
      });
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: width, sticking };
  });
  expect(layout.scrollWidth, `document wider than the ${layout.innerWidth}px viewport`).toBeLessThanOrEqual(layout.innerWidth);
  expect(layout.sticking, `elements outside the ${layout.innerWidth}px viewport`).toEqual([]);
}

/** Every visible button in `scope` is at least 44 px tall (a touch target). */
export async function expectTouchSizedButtons(scope: Locator, atLeast = 1): Promise<void> {
  const buttons = scope.getByRole('button');
  await expect(buttons.first()).toBeVisible();
  const heights: Record<string, number> = {};
  for (const button of await buttons.all()) {
    if (!(await button.isVisible())) continue;
    const box = await button.boundingBox();
    heights[(await button.innerText()).trim()] = box ? Math.round(box.height * 10) / 10 : 0;
  }
  expect(Object.keys(heights).length, 'visible buttons').toBeGreaterThanOrEqual(atLeast);
  const small = Object.entries(heights).filter(([, height]) => height < 44);
  expect(small, `buttons under 44 px tall: ${JSON.stringify(heights)}`).toEqual([]);
}

// ---- Webmail and User Panel --------------------------------------------

/** The webmail's login form, live (see openLoginPage). */
export async function openWebmail(page: Page): Promise<void> {
  await page.goto('/webmail');
  await expect(page.locator('form[data-live]')).toHaveCount(1);
}

/** Fills the webmail's (or the User Panel's) login form and submits it; does not wait for where it leads. */
export async function submitMailboxLogin(page: Page, user: User, password = user.password): Promise<void> {
  const submit = page.getByRole('button', { name: 'Log in', exact: true });
  await expect(submit).toBeEnabled();
  await page.getByLabel('E-mail address', { exact: true }).fill(user.username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await submit.click();
}

/** The webmail's code pop-up. */
export function loginRequiredDialog(page: Page): Locator {
  return page.getByRole('dialog', { name: 'Login required' });
}

/** Opens the webmail's user menu (top right) and answers the menu. */
export async function openUserMenu(page: Page): Promise<Locator> {
  const button = page.getByRole('button', { name: 'User menu' });
  await expect(button).toHaveAttribute('aria-expanded', 'false');
  await button.click();
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  const menu = page.getByRole('menu', { name: 'User menu' });
  await expect(menu).toBeVisible();
  return menu;
}

export interface MfaOn {
  app: Authenticator;
  recoveryCodes: string[];
}

/**
 * Turns 2FA on for `user` through the REST API (its own session, not the
 * page's), sending the page's Origin as a browser would; answers an
 * authenticator app for the new secret and the recovery codes.
 */
export async function enableMfaThroughApi(user: User): Promise<MfaOn> {
  const baseURL = env('TESSERA_E2E_BASE_URL');
  const api = await request.newContext({ baseURL, extraHTTPHeaders: { Origin: new URL(baseURL).origin } });
  try {
    const call = async (path: string, data: object) => {
      const response = await api.post(path, { data });
      const body = await response.text();
      expect(response.ok(), `${path}: ${response.status()} ${body}`).toBe(true);
      return body ? JSON.parse(body) : null;
    };
    expect(await call('/api/v1/login', { username: user.username, password: user.password })).toEqual({ status: 'ok' });
    const { secret } = await call('/api/v1/me/mfa/totp/setup', { password: user.password });
    const app = new Authenticator(secret);
    const { recovery_codes: recoveryCodes } = await call('/api/v1/me/mfa/totp/activate', { code: await app.freshCode() });
    await call('/api/v1/logout', {});
    return { app, recoveryCodes };
  } finally {
    await api.dispose();
  }
}

// ---- Mail clients (the mail stack global-setup.ts runs) -------------------

export interface MailLogin {
  ok: boolean;
  error?: string;
}

/**
 * Logs in over IMAP through nginx's mail proxy with Python's imaplib (a real
 * mail client, xtask/mail_client.py) and selects INBOX.
 */
export function imapLogin(username: string, password: string): MailLogin {
  const script = path.resolve(__dirname, '../../xtask/mail_client.py');
  const output = execFileSync('python3', [script, 'imap', env('TESSERA_E2E_IMAP_PORT'), username, password], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(output.toString()) as MailLogin;
}
