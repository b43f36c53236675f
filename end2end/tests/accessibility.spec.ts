// An axe-core scan of every page (and the set-up dialog) at desktop and
// phone size: no serious or critical violation of WCAG 2.1 A/AA.

import AxeBuilder from '@axe-core/playwright';
import {
  createUser,
  enableButton,
  enableMfaThroughApi,
  expect,
  logIn,
  logInWithCode,
  loginRequiredDialog,
  mfaSection,
  openWebmail,
  submitMailboxLogin,
  test,
} from './helpers';
import type { Page } from '@playwright/test';

/** The serious and critical violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function expectAccessible(page: Page, what: string): Promise<void> {
  expect(await seriousViolations(page), what).toEqual([]);
}

test('the pages without a session', async ({ page }) => {
  for (const [path, ready] of [
    ['/', 'Log in'],
    ['/webmail', 'Log in'],
    ['/user-panel', 'Log in'],
  ] as const) {
    await page.goto(path);
    await expect(page.getByRole('button', { name: ready, exact: true })).toBeEnabled();
    await expectAccessible(page, path);
  }
  for (const [path, heading] of [
    ['/this-wasnt-me', "This wasn't me"],
    ['/setup', 'Set up two-factor authentication'],
    ['/no-such-page', 'Page not found'],
  ] as const) {
    await page.goto(path);
    await expect(page.getByRole('heading', { name: heading, level: 1 })).toBeVisible();
    await expectAccessible(page, path);
  }
});

test('the control panel: My Account, its set-up dialog, Package Management', async ({ page, user: customer }) => {
  createUser('a11y-pkg', 'package', customer);
  createUser('a11y-mb', 'mailbox', customer, 'a11y@mail.example.com');
  await logIn(page, customer);
  await expectAccessible(page, '/account');
  await enableButton(page).click();
  const dialog = page.getByRole('dialog', { name: 'Activate two-factor authentication' });
  await dialog.getByLabel('Current password').fill(customer.password);
  await dialog.getByRole('button', { name: 'Continue' }).click();
  await expect(dialog.getByTestId('totp-secret')).toBeVisible();
  await expectAccessible(page, 'the set-up dialog');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(mfaSection(page)).toBeVisible();

  await page.getByRole('link', { name: 'Package Management' }).click();
  await expect(page.getByRole('heading', { name: 'Package Management', level: 1 })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Packages', exact: true })).toBeVisible();
  await expectAccessible(page, '/packages');
});

test('the admin console', async ({ page }) => {
  await logIn(page, createUser('a11y-admin', 'admin'));
  await page.goto('/admin');
  await expect(page.getByRole('heading', { name: 'Admin console', level: 1 })).toBeVisible();
  await expect(page.getByRole('tabpanel', { name: 'Accounts' })).toBeVisible();
  await expectAccessible(page, '/admin');
});

test('webmail and the User Panel, signed in', async ({ page }) => {
  const mailbox = createUser('a11y-wm', 'mailbox', createUser('a11y-wm-owner'));
  await openWebmail(page);
  await submitMailboxLogin(page, mailbox);
  await expect(page.getByRole('heading', { name: 'Inbox', level: 1 })).toBeVisible();
  await expectAccessible(page, '/webmail/inbox');
  await page.goto('/webmail/account');
  await expect(page.getByRole('region', { name: 'MFA' })).toBeVisible();
  await expectAccessible(page, '/webmail/account');

  await page.goto('/user-panel');
  await submitMailboxLogin(page, mailbox);
  await expect(page).toHaveURL(/\/user-panel\/home$/);
  await expectAccessible(page, '/user-panel/home');
});

test("webmail's code pop-up, and My Account with 2FA on", async ({ page, user }) => {
  const mailbox = createUser('a11y-pop', 'mailbox', createUser('a11y-pop-owner'));
  await enableMfaThroughApi(mailbox);
  await openWebmail(page);
  await submitMailboxLogin(page, mailbox);
  await expect(loginRequiredDialog(page).getByLabel('Code', { exact: true })).toBeFocused();
  await expectAccessible(page, 'the code pop-up');

  const { app } = await enableMfaThroughApi(user);
  await logInWithCode(page, user, app);
  await expect(mfaSection(page).getByTestId('recovery-codes-left')).toBeVisible();
  await expectAccessible(page, '/account with 2FA on');
});
