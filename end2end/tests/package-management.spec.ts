import { randomBytes } from 'node:crypto';
import {
  Authenticator,
  createUser,
  waitForMail,
  expect,
  expectAccountPage,
  expectNoHorizontalScroll,
  expectTouchSizedButtons,
  logIn,
  logOut,
  loginRequiredDialog,
  openUserMenu,
  openWebmail,
  submitMailboxLogin,
  test,
  type User,
} from './helpers';
import type { Page } from '@playwright/test';

/** From My Account to Package Management, by its link. */
async function openPackageManagement(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Package Management' }).click();
  await expect(page).toHaveURL(/\/packages$/);
  await expect(page.getByRole('heading', { name: 'Package Management', level: 1 })).toBeVisible();
}

/** A login's row in its group ("Packages" or "Mailboxes (webmail)"). */
function loginRow(page: Page, group: 'Packages' | 'Mailboxes (webmail)', login: User) {
  return page
    .getByRole('region', { name: group, exact: true })
    .getByRole('listitem')
    .filter({ hasText: login.username });
}

const activate = 'inactive – click to activate';
const deactivate = 'active – click to deactivate';

test('a customer switches 2FA on for its mailbox in Package Management, the mailbox logs in to webmail through the pop-up, and the customer switches it off', async ({ page, user: customer }) => {
  // Two app codes of different 30-second steps: up to half a minute of waiting.
  test.setTimeout(120_000);
  const pkg = createUser('pm-package', 'package', customer);
  const mailbox = createUser('pm-mailbox', 'mailbox', customer);
  const master = page.getByRole('region', { name: 'Master login' });
  const mailboxRow = loginRow(page, 'Mailboxes (webmail)', mailbox);
  const packageRow = loginRow(page, 'Packages', pkg);
  let app!: Authenticator;

  await test.step('My Account leads to Package Management, which lists both logins as inactive', async () => {
    await logIn(page, customer);
    await openPackageManagement(page);
    await expect(master).toContainText(customer.username);
    await expect(master.getByText('inactive', { exact: true })).toBeVisible();
    await expect(master.getByRole('link', { name: 'My Account' })).toBeVisible();
    await expect(packageRow.getByRole('button', { name: activate })).toBeVisible();
    await expect(mailboxRow.getByRole('button', { name: activate })).toBeVisible();
    await expectNoHorizontalScroll(page);
    await expectTouchSizedButtons(page.locator('main'), 2); // Log out, activate (counted by label)
  });

  const dialog = page.getByRole('dialog', { name: 'Activate two-factor authentication' });

  await test.step('a set-up cancelled after the QR code is shown as not finished', async () => {
    await packageRow.getByRole('button', { name: activate }).click();
    await dialog.getByLabel('Your own password').fill(customer.password);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await expect(dialog.getByTestId('totp-secret')).toBeVisible();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(packageRow).toContainText('Set-up was started but not finished');
    await expect(packageRow.getByRole('button', { name: activate })).toBeVisible();
  });

  await test.step("activating asks for the customer's own password, then shows the mailbox's QR code", async () => {
    await mailboxRow.getByRole('button', { name: activate }).click();
    await expect(dialog).toContainText(`for ${mailbox.username}`);
    await dialog.getByLabel('Your own password').fill(customer.password);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await expect(dialog.getByRole('img', { name: `QR code for the authenticator app of ${mailbox.username}` }).locator('svg')).toBeVisible();
    const secret = (await dialog.getByTestId('totp-secret').getAttribute('data-secret')) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    app = new Authenticator(secret);
    await expectNoHorizontalScroll(page);
  });

  await test.step("the mailbox user's code activates it and shows the mailbox's recovery codes once", async () => {
    await dialog.getByLabel('6-digit code from the app').fill(await app.freshCode());
    await dialog.getByRole('button', { name: 'Verify & Enable' }).click();
    const codes = dialog.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await expect(codes).toHaveCount(10);
    await expect(dialog).toContainText(`These are the recovery codes of ${mailbox.username}`);
    await dialog.getByLabel('I have saved these codes').check();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toBeHidden();
  });

  await test.step('only the mailbox is active; the package and the customer itself stay inactive', async () => {
    await expect(mailboxRow.getByRole('button', { name: deactivate })).toBeVisible();
    await expect(packageRow.getByRole('button', { name: activate })).toBeVisible();
    await expect(master.getByText('inactive', { exact: true })).toBeVisible();
  });

  await test.step('the mailbox now logs in to webmail with a code, asked in the pop-up', async () => {
    await logOut(page);
    await openWebmail(page);
    await submitMailboxLogin(page, mailbox);
    const popUp = loginRequiredDialog(page);
    await expect(popUp).toBeVisible();
    await expect(page).toHaveURL(/\/webmail$/);
    await popUp.getByLabel('Code', { exact: true }).fill(await app.freshCode());
    await popUp.getByRole('button', { name: 'Next' }).click();
    await expect(page).toHaveURL(/\/webmail\/inbox$/);
    await (await openUserMenu(page)).getByRole('menuitem', { name: 'Log out' }).click();
    await expect(page).toHaveURL(/\/webmail$/);
  });

  const switchOff = page.getByRole('dialog', { name: 'Deactivate two-factor authentication' });

  await test.step("a wrong customer password is refused and changes nothing", async () => {
    await logIn(page, customer);
    await openPackageManagement(page);
    await mailboxRow.getByRole('button', { name: deactivate }).click();
    await expect(switchOff).toContainText(`Deactivate two-factor authentication for ${mailbox.username}?`);
    await expectNoHorizontalScroll(page);
    await switchOff.getByLabel('Your own password (customer login)').fill(`${customer.password}x`);
    await switchOff.getByRole('button', { name: 'Deactivate two-factor authentication' }).click();
    await expect(switchOff.getByRole('alert')).toHaveText('That password is not right.');
    await switchOff.getByRole('button', { name: 'Cancel' }).click();
    await expect(switchOff).toBeHidden();
    await page.reload();
    await expect(mailboxRow.getByRole('button', { name: deactivate })).toBeVisible();
  });

  await test.step("the customer's password and the confirmation switch it off", async () => {
    await mailboxRow.getByRole('button', { name: deactivate }).click();
    await switchOff.getByLabel('Your own password (customer login)').fill(customer.password);
    await switchOff.getByRole('button', { name: 'Deactivate two-factor authentication' }).click();
    await expect(switchOff).toBeHidden();
    await expect(page.getByRole('status')).toHaveText(`Two-factor authentication is now inactive for ${mailbox.username}.`);
    await expect(mailboxRow.getByRole('button', { name: activate })).toBeVisible();
  });

  await test.step('the password alone opens the mailbox again', async () => {
    await logOut(page);
    await logIn(page, mailbox);
  });
});

test('Package Management is only for customers; without a session it leads to the login page', async ({ page, user: customer }) => {
  const pkg = createUser('pm-only', 'package', customer);

  await test.step('not logged in', async () => {
    await page.goto('/packages');
    await expect(page).toHaveURL(/\/\?next=\/packages$/);
  });

  await test.step('a package login gets an explanation and the way back', async () => {
    await logIn(page, pkg);
    await page.goto('/packages');
    await expect(page.getByRole('alert')).toContainText('Package Management is for customer logins');
    await page.getByRole('link', { name: 'Back to My Account' }).click();
    await expectAccountPage(page);
  });

  await test.step('an administrator is sent on to the admin console', async () => {
    await logOut(page);
    await logIn(page, createUser('pm-admin', 'admin'));
    await page.goto('/packages');
    await expect(page.getByRole('alert')).toContainText('Package Management is for customer logins');
    await expect(page.getByRole('button', { name: activate })).toHaveCount(0);
    await page.getByRole('link', { name: 'Admin console' }).click();
    await expect(page).toHaveURL(/\/admin$/);
  });
});

test('"E-mail a set-up link": the login\'s user sets up the app from a second browser, no code relayed', async ({ page, browser, user: customer }) => {
  const contact = `link-${randomBytes(5).toString('hex')}@mail.example.com`;
  const mailbox = createUser('pm-link', 'mailbox', customer, contact);
  const row = loginRow(page, 'Mailboxes (webmail)', mailbox);
  const seen = new Set<string>();

  await test.step('the row says its state in words, and offers the link', async () => {
    await logIn(page, customer);
    await openPackageManagement(page);
    await expect(row.getByTestId('mfa-state')).toHaveText('inactive');
    await row.getByRole('button', { name: 'E-mail a set-up link' }).click();
    const dialog = page.getByRole('dialog', { name: 'E-mail a set-up link' });
    await expect(dialog).toContainText(contact);
    await dialog.getByRole('button', { name: 'Send the link' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('status')).toHaveText(/^A set-up link is on its way to l•+@mail\.example\.com\. It works once, for 24 hours\.$/);
  });

  const mail = await waitForMail(contact, `Set up two-factor authentication for ${mailbox.username}`, seen);
  const link = /https?:\/\/\S+\/setup#[0-9a-f]{64}/.exec(mail.raw)?.[0] ?? '';
  expect(link, mail.raw).not.toBe('');

  await test.step("in another browser, the login's password, the QR code, the first code: 2FA is on", async () => {
    const elsewhere = await browser.newContext();
    try {
      const user = await elsewhere.newPage();
      await user.goto(link);
      await expect(user.getByRole('heading', { name: 'Set up two-factor authentication', level: 1 })).toBeVisible();
      await user.getByLabel('Password of the login').fill(customer.password);
      await user.getByRole('button', { name: 'Continue' }).click();
      await expect(user.getByRole('alert')).toHaveText('That password is not right.');
      await user.getByLabel('Password of the login').fill(mailbox.password);
      await user.getByRole('button', { name: 'Continue' }).click();
      const secret = (await user.getByTestId('totp-secret').getAttribute('data-secret')) ?? '';
      await user.getByLabel('6-digit code from the app').fill(await new Authenticator(secret).freshCode());
      await user.getByRole('button', { name: 'Verify & Enable' }).click();
      await expect(user.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')).toHaveCount(10);
      await user.getByLabel('I have saved these codes').check();
      await user.getByRole('button', { name: 'Close' }).click();
      await expect(user.getByRole('status')).toHaveText('Done: two-factor authentication is active for your login.');
      // Used up.
      await user.goto('/');
      await user.goto(link);
      await user.getByLabel('Password of the login').fill(mailbox.password);
      await user.getByRole('button', { name: 'Continue' }).click();
      await expect(user.getByRole('alert')).toContainText('This link does not work');
    } finally {
      await elsewhere.close();
    }
  });

  await test.step('Package Management shows it active', async () => {
    await page.reload();
    await expect(row.getByTestId('mfa-state')).toHaveText('active');
    await expect(row.getByRole('button', { name: 'E-mail a set-up link' })).toHaveCount(0);
  });
});
