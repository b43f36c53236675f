import { randomBytes } from 'node:crypto';
import {
  Authenticator,
  createUser,
  enableMfaThroughApi,
  expect,
  expectNoHorizontalScroll,
  expectTouchSizedButtons,
  submitMailboxLogin,
  tessera,
  test,
  type User,
} from './helpers';
import type { Page } from '@playwright/test';

const GENERIC_ERROR = 'Wrong e-mail address, password or code.';

/** A mailbox of a customer of its own; `password` when the test needs a particular one. */
function newMailbox(prefix: string, password?: string): User {
  const customer = createUser(`${prefix}-owner`, 'customer');
  if (!password) return createUser(prefix, 'mailbox', customer);
  const username = `${prefix}-${randomBytes(5).toString('hex')}@example.com`;
  tessera(
    ['account', 'create', '--kind', 'mailbox', '--username', username, '--password-stdin', '--owner', customer.username],
    `${password}\n`,
  );
  return { username, password };
}

async function openUserPanel(page: Page): Promise<void> {
  await page.goto('/user-panel');
  await expect(page.getByRole('heading', { name: 'User Control Panel' })).toBeVisible();
  await expect(page.locator('form[data-live]')).toHaveCount(1);
}

async function expectHome(page: Page, user: User, status: 'Enabled' | 'Disabled'): Promise<void> {
  await expect(page).toHaveURL(/\/user-panel\/home$/);
  await expect(page.getByRole('heading', { name: 'Home', level: 1 })).toBeVisible();
  await expect(page.getByText(user.username, { exact: true })).toBeVisible();
  await expect(page.getByTestId('home-2fa-status')).toHaveText(status);
}

async function expectStillOnLogin(page: Page, message: string): Promise<void> {
  await expect(page.getByRole('alert')).toHaveText(message);
  await expect(page).toHaveURL(/\/user-panel$/);
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
}

async function logOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/user-panel$/);
  await expect(page.locator('form[data-live]')).toHaveCount(1);
}

test('the User Panel login explains that the code goes straight after the password', async ({ page }) => {
  await openUserPanel(page);
  await expect(page.getByText('add the 6-digit code provided by the app on your phone at the end of your password')).toBeVisible();
  await expect(page.getByTestId('appended-code-example')).toHaveText(
    'For example, if your password is T9D3K!px and the 6-digit code is 189 145, you must enter T9D3K!px189145.',
  );
});

test('with 2FA on, the password with the code appended logs in; a wrong code gets the generic error', async ({ page }) => {
  // Activation and login each use a 30-second step of their own.
  test.setTimeout(90_000);
  const mailbox = newMailbox('up');
  const { app } = await enableMfaThroughApi(mailbox);

  await test.step('a wrong appended code: the generic error, still on the login page', async () => {
    await openUserPanel(page);
    await submitMailboxLogin(page, mailbox, mailbox.password + app.wrongCode());
    await expectStillOnLogin(page, GENERIC_ERROR);
  });

  await test.step('the password without the code: the same error', async () => {
    await submitMailboxLogin(page, mailbox);
    await expectStillOnLogin(page, GENERIC_ERROR);
  });

  await test.step('password + current code opens the User Panel', async () => {
    await submitMailboxLogin(page, mailbox, mailbox.password + (await app.freshCode()));
    await expectHome(page, mailbox, 'Enabled');
  });

  await test.step('2-FACTOR AUTH shows the status; Log out returns to the login form', async () => {
    await page.getByRole('button', { name: '2-FACTOR AUTH', exact: true }).click();
    const section = page.getByRole('region', { name: '2-factor authentication' });
    await expect(section.getByText('Enabled', { exact: true })).toBeVisible();
    await expect(section.getByRole('button', { name: 'Disable 2FA' })).toBeVisible();
    await logOut(page);
  });
});

test('a mailbox without 2FA whose password ends in six digits logs in; then 2FA from the User Panel', async ({ page }) => {
  test.setTimeout(120_000);
  const mailbox = newMailbox('up-digits', `Pw-${randomBytes(4).toString('hex')}-123456`);
  const section = page.getByRole('region', { name: '2-factor authentication' });
  let app!: Authenticator;

  await test.step('the whole password, digits included, is the password', async () => {
    await openUserPanel(page);
    await submitMailboxLogin(page, mailbox);
    await expectHome(page, mailbox, 'Disabled');
  });

  await test.step('2-FACTOR AUTH > Enable 2FA > scan, Verify & Enable, Close', async () => {
    await page.getByRole('button', { name: '2-FACTOR AUTH', exact: true }).click();
    await expect(page.getByRole('button', { name: '2-FACTOR AUTH', exact: true })).toHaveAttribute('aria-current', 'page');
    await section.getByRole('button', { name: 'Enable 2FA' }).click();
    const enable = page.getByRole('dialog', { name: 'Enable 2FA' });
    await enable.getByLabel('Current password').fill(mailbox.password);
    await enable.getByRole('button', { name: 'Continue' }).click();
    const secret = (await enable.getByTestId('totp-secret').getAttribute('data-secret')) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    app = new Authenticator(secret);
    await enable.getByLabel('6-digit code from the app').fill(await app.freshCode());
    await enable.getByRole('button', { name: 'Verify & Enable' }).click();
    await enable.getByLabel('I have saved these codes').check();
    await enable.getByRole('button', { name: 'Close' }).click();
    await expect(enable).toBeHidden();
    await expect(section.getByText('Enabled', { exact: true })).toBeVisible();
    await logOut(page);
  });

  await test.step('now the password alone is refused, and password + code logs in', async () => {
    await submitMailboxLogin(page, mailbox);
    await expectStillOnLogin(page, GENERIC_ERROR);
    await submitMailboxLogin(page, mailbox, mailbox.password + (await app.freshCode()));
    await expectHome(page, mailbox, 'Enabled');
  });
});

test('the User Panel without a session goes back to its login form', async ({ page }) => {
  await page.goto('/user-panel/home');
  await expect(page).toHaveURL(/\/user-panel\?next=\/user-panel\/home$/);
  await expect(page.locator('form[data-live]')).toHaveCount(1);
});

// Written for the phone project (360 px wide, touch); the same holds on the
// desktop, so both projects run it.
test('User Panel login and home fit the screen, with touch-sized buttons', async ({ page }) => {
  const mailbox = newMailbox('up-layout');
  await openUserPanel(page);
  await expectNoHorizontalScroll(page);
  await expectTouchSizedButtons(page.locator('form'));
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page.getByText('Enter your e-mail address.')).toBeVisible();
  await expectNoHorizontalScroll(page);

  await submitMailboxLogin(page, mailbox);
  await expectHome(page, mailbox, 'Disabled');
  await expectNoHorizontalScroll(page);
  await expectTouchSizedButtons(page.locator('body'), 4); // Log out, HOME, 2-FACTOR AUTH, Manage
  await page.getByRole('button', { name: '2-FACTOR AUTH', exact: true }).click();
  await expectNoHorizontalScroll(page);
  await expectTouchSizedButtons(page.locator('main'), 1); // Enable 2FA
});
