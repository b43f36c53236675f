import { request } from '@playwright/test';
import {
  createUser,
  enableButton,
  enableMfaThroughApi,
  eventsSection,
  expect,
  expectAccountPage,
  expectNoHorizontalScroll,
  expectTouchSizedButtons,
  logIn,
  logOut,
  test,
} from './helpers';

// Each surface names the second factor in its own words.
const resetLabel = '2FA deactivated by an administrator';
const resetLabelInMyAccount = 'Two-factor authentication deactivated by an administrator';

test('an administrator finds a login with 2FA on, switches it off, and the security log and the user both see it', async ({
  page,
  user: target,
}) => {
  const admin = createUser('admin', 'admin');
  await enableMfaThroughApi(target);

  const accounts = page.getByRole('tabpanel', { name: 'Accounts' });
  const results = accounts.getByRole('list', { name: 'Logins' }).getByRole('listitem');
  const targetRow = results.filter({ hasText: target.username });

  /** Searches the Accounts tab by username part and 2FA state. */
  async function search(mfa: 'Any state' | 'Inactive' | 'Active (app)'): Promise<void> {
    await accounts.getByLabel('Username contains').fill(target.username.slice(0, -2));
    await accounts.getByLabel('2FA').selectOption({ label: mfa });
    await accounts.getByRole('button', { name: 'Search' }).click();
  }

  await test.step('My Account leads to the admin console', async () => {
    await logIn(page, admin);
    await page.getByRole('link', { name: 'Admin console' }).click();
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByRole('heading', { name: 'Admin console', level: 1 })).toBeVisible();
    await expect(page.getByRole('tab', { name: 'Accounts' })).toHaveAttribute('aria-selected', 'true');
  });

  await test.step('searching by name and 2FA "on" finds the login', async () => {
    await search('Active (app)');
    await expect(results).toHaveCount(1);
    await expect(targetRow).toContainText('2FA active (app)');
    await expect(targetRow).toContainText('Customer login');
    await expect(targetRow).toContainText('Last login: 20'); // logged in through the API
    await expectNoHorizontalScroll(page);
    await expectTouchSizedButtons(accounts, 2); // Search, Deactivate 2FA
  });

  const dialog = page.getByRole('dialog', { name: 'Deactivate 2FA' });

  await test.step("a wrong administrator password is refused", async () => {
    await targetRow.getByRole('button', { name: 'Deactivate 2FA' }).click();
    await expect(dialog).toContainText(`Deactivate 2FA for ${target.username}?`);
    await dialog.getByLabel('Your administrator password').fill(`${admin.password}x`);
    await dialog.getByRole('button', { name: 'Deactivate 2FA' }).click();
    await expect(dialog.getByRole('alert')).toHaveText('That password is not right.');
    await expectNoHorizontalScroll(page);
  });

  await test.step('the right one switches 2FA off', async () => {
    await dialog.getByLabel('Your administrator password').fill(admin.password);
    await dialog.getByRole('button', { name: 'Deactivate 2FA' }).click();
    await expect(dialog).toBeHidden();
    await expect(accounts.getByRole('status')).toHaveText(`2FA is now inactive for ${target.username}.`);
    // No longer among the logins with 2FA on…
    await expect(results).toHaveCount(0);
    // …but among those with 2FA off.
    await search('Inactive');
    await expect(targetRow).toContainText('2FA inactive');
    await expect(targetRow.getByRole('button', { name: 'Deactivate 2FA' })).toHaveCount(0);
  });

  const log = page.getByRole('tabpanel', { name: 'Security log' });
  const events = log.getByRole('region', { name: 'Security events' }).getByRole('listitem');

  await test.step('the security log, filtered by the login, shows who switched it off', async () => {
    await page.getByRole('tab', { name: 'Security log' }).click();
    await expect(accounts).toBeHidden();
    await log.getByLabel('Login (username)').fill(target.username);
    await log.getByRole('button', { name: 'Show' }).click();
    await expect(events.first()).toContainText(resetLabel);
    await expect(events.first()).toContainText(`by ${admin.username}`);
    await expect(events.first()).toContainText(`Login: ${target.username}`);
    // Older entries of this login: its 2FA being enabled, its login.
    await expect(events.filter({ hasText: '2FA activated' })).toHaveCount(1);
    await expectNoHorizontalScroll(page);
  });

  await test.step('filtering by event kind as well', async () => {
    await log.getByLabel('Event', { exact: true }).selectOption({ label: resetLabel });
    await log.getByRole('button', { name: 'Show' }).click();
    await expect(events).toHaveCount(1);
    await expect(events.first()).toContainText(resetLabel);
    await log.getByLabel('Event', { exact: true }).selectOption({ label: 'Recovery code used' });
    await log.getByRole('button', { name: 'Show' }).click();
    await expect(log.getByText('No events match.')).toBeVisible();
  });

  await test.step("the user sees the same event under My Account's recent security events", async () => {
    await logOut(page);
    await logIn(page, target);
    const recent = eventsSection(page).getByRole('listitem');
    // Newest first: this login, then the reset.
    await expect(recent.first()).toContainText('Logged in');
    const reset = recent.filter({ hasText: resetLabelInMyAccount });
    await expect(reset).toHaveCount(1);
    await expect(reset).toContainText(`by ${admin.username}`);
    await expectNoHorizontalScroll(page);
  });
});

test('the security log pages back through older events', async ({ page, request }) => {
  const admin = createUser('admin-paging', 'admin');
  // 55 failed logins under one made-up name: more than one page (50).
  const typed = `nobody-${Date.now().toString(36)}`;
  for (let i = 0; i < 55; i++) {
    const refused = await request.post('/api/v1/login', { data: { username: typed, password: 'not the password' } });
    expect(refused.status()).toBe(401);
  }

  await logIn(page, admin);
  await page.goto('/admin');
  await page.getByRole('tab', { name: 'Security log' }).click();
  const log = page.getByRole('tabpanel', { name: 'Security log' });
  const events = log.getByRole('region', { name: 'Security events' }).getByRole('listitem');
  await log.getByLabel('Login (username)').fill(typed);
  await log.getByRole('button', { name: 'Show' }).click();
  await expect(events).toHaveCount(50);
  await expect(events.first()).toContainText('Login failed (wrong password)');
  await expect(events.first()).toContainText(`Login: ${typed}`);
  await log.getByRole('button', { name: 'Older events' }).click();
  await expect(events).toHaveCount(55);
  await expect(log.getByRole('button', { name: 'Older events' })).toHaveCount(0);
  await expectNoHorizontalScroll(page);
});

test('the admin console is for administrators only; without a session it leads to the login page', async ({ page, user }) => {
  await test.step('not logged in', async () => {
    await page.goto('/admin');
    await expect(page).toHaveURL(/\/\?next=\/admin$/);
  });

  await test.step('a customer is told so', async () => {
    await logIn(page, user);
    await expect(page.getByRole('link', { name: 'Admin console' })).toHaveCount(0);
    await page.goto('/admin');
    await expect(page.getByRole('alert')).toHaveText('This page is for administrators.');
    await page.getByRole('link', { name: 'Back to My Account' }).click();
    await expectAccountPage(page);
  });
});

test('My Account lists its own security events, newest first, and fits a phone', async ({ page, user }) => {
  await logIn(page, user);
  const recent = eventsSection(page).getByRole('listitem');
  await expect(recent).toHaveCount(1);
  await expect(recent.first()).toContainText('Logged in');
  await expect(recent.first()).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  await expect(recent.first()).toContainText('IP 127.0.0.1');
  // The browser in words, not its User-Agent string.
  await expect(recent.first()).toContainText(/Chrome \d+ on (Windows 10|Linux|Android \d+ \(phone\))/);
  await expectNoHorizontalScroll(page);
});

test('My Account pages back 20 events at a time; a set-up typo says so; "This wasn\'t me" ends the session', async ({ page, user }) => {
  // 24 failed logins (a wrong password) before this one.
  for (let i = 0; i < 24; i++) {
    const api = await request.newContext({ baseURL: process.env.TESSERA_E2E_BASE_URL, extraHTTPHeaders: { Origin: process.env.TESSERA_E2E_BASE_URL! } });
    await api.post('/api/v1/login', { data: { username: user.username, password: 'not the password' } });
    await api.dispose();
  }
  await logIn(page, user);
  const recent = eventsSection(page).getByRole('listitem');
  await expect(recent).toHaveCount(20);
  await eventsSection(page).getByRole('button', { name: 'Older events' }).click();
  await expect(recent).toHaveCount(25);
  await expect(eventsSection(page).getByRole('button', { name: 'Older events' })).toHaveCount(0);

  await test.step('a wrong code while setting up is a typo, not an attack', async () => {
    await enableButton(page).click();
    const dialog = page.getByRole('dialog', { name: 'Activate two-factor authentication' });
    await dialog.getByLabel('Current password').fill(user.password);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.getByLabel('6-digit code from the app').fill('000000');
    await dialog.getByRole('button', { name: 'Verify & Enable' }).click();
    await expect(dialog.getByRole('alert')).toBeVisible();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.reload();
    const typo = eventsSection(page).getByRole('listitem').first();
    await expect(typo).toContainText('Code mistyped while setting up the app');
    await expect(typo).not.toHaveClass(/alarming/);
  });

  await test.step('"This wasn\'t me" beside an event, confirmed, ends every session', async () => {
    const failed = eventsSection(page).getByRole('listitem').filter({ hasText: 'Login failed (wrong password)' }).first();
    await failed.getByRole('button', { name: "This wasn't me" }).click();
    const dialog = page.getByRole('dialog', { name: "This wasn't me" });
    await expect(dialog).toContainText('Login failed (wrong password)');
    await dialog.getByRole('button', { name: 'End all sessions and report' }).click();
    await expect(dialog.getByRole('status')).toContainText('Every session of this login has ended');
    await dialog.getByRole('link', { name: 'Log in again' }).click();
    await expect(page).toHaveURL(/\/$/);
    await page.goto('/account');
    await expect(page).toHaveURL(/\/\?next=\/account$/);
  });
});
