import {
  Authenticator,
  createUser,
  enableMfaThroughApi,
  expect,
  expectNoHorizontalScroll,
  expectTouchSizedButtons,
  loginRequiredDialog,
  openUserMenu,
  openWebmail,
  submitMailboxLogin,
  test,
  type User,
} from './helpers';
import type { Page } from '@playwright/test';

/** A mailbox of a customer of its own, as webmail users have. */
function newMailbox(prefix: string): User {
  const customer = createUser(`${prefix}-owner`, 'customer');
  return createUser(prefix, 'mailbox', customer);
}

async function expectInbox(page: Page): Promise<void> {
  await expect(page).toHaveURL(/\/webmail\/inbox$/);
  await expect(page.getByRole('heading', { name: 'Inbox', level: 1 })).toBeVisible();
}

async function openMyAccount(page: Page): Promise<void> {
  const menu = await openUserMenu(page);
  await menu.getByRole('menuitem', { name: 'My account' }).click();
  await expect(page).toHaveURL(/\/webmail\/account$/);
  await expect(page.getByRole('heading', { name: 'My account', level: 1 })).toBeVisible();
}

test('webmail: enable MFA from My account, log in through the code pop-up, disable MFA', async ({ page }) => {
  // Three app codes, each of a later 30-second step: up to a minute of waiting.
  test.setTimeout(150_000);
  const mailbox = newMailbox('wm');
  const mfa = page.getByRole('region', { name: 'MFA' });
  let app!: Authenticator;

  await test.step('the password alone logs in to the inbox', async () => {
    await openWebmail(page);
    await submitMailboxLogin(page, mailbox);
    await expectInbox(page);
    await expect(page.getByText('Tessera provides its login')).toBeVisible();
  });

  await test.step('user menu > My account > Account tab > MFA: off', async () => {
    await openMyAccount(page);
    const tab = page.getByRole('tab', { name: 'Account' });
    await expect(tab).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('tabpanel', { name: 'Account' })).toBeVisible();
    await expect(mfa).toBeVisible();
    await expect(mfa.getByText('Disabled', { exact: true })).toBeVisible();
  });

  const enable = page.getByRole('dialog', { name: 'Enable MFA' });

  await test.step('Enable MFA: password, then the QR code and secret', async () => {
    await mfa.getByRole('button', { name: 'Enable MFA' }).click();
    await enable.getByLabel('Current password').fill(mailbox.password);
    await enable.getByRole('button', { name: 'Continue' }).click();
    await expect(enable.getByRole('img', { name: 'QR code for your authenticator app' }).locator('svg')).toBeVisible();
    const secret = (await enable.getByTestId('totp-secret').getAttribute('data-secret')) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    app = new Authenticator(secret);
  });

  await test.step('Verify & Enable: MFA is on, the recovery codes shown under that news, then Close', async () => {
    await enable.getByLabel('6-digit code from the app').fill(await app.freshCode());
    await enable.getByRole('button', { name: 'Verify & Enable' }).click();
    await expect(enable.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')).toHaveCount(10);
    const save = enable.getByRole('button', { name: 'Close' });
    await expect(save).toBeDisabled();
    await enable.getByLabel('I have saved these codes').check();
    await save.click();
    await expect(enable).toBeHidden();
    await expect(mfa.getByText('Enabled', { exact: true })).toBeVisible();
    await expect(mfa.getByTestId('recovery-codes-left')).toHaveText('Recovery codes left: 10');
  });

  await test.step('log out from the user menu', async () => {
    const menu = await openUserMenu(page);
    await menu.getByRole('menuitem', { name: 'Log out' }).click();
    await expect(page).toHaveURL(/\/webmail$/);
    await expect(page.locator('form[data-live]')).toHaveCount(1);
  });

  const popup = loginRequiredDialog(page);
  const code = popup.getByLabel('Code', { exact: true });

  await test.step('the code is asked in a pop-up over the login page', async () => {
    await submitMailboxLogin(page, mailbox);
    await expect(popup).toBeVisible();
    expect(await popup.evaluate((d) => d.matches(':modal')), 'opened with showModal()').toBe(true);
    await expect(popup.getByText('Get the device code from the authenticator app on your mobile and fill it in below.')).toBeVisible();
    await expect(page).toHaveURL(/\/webmail$/);
    await expect(page.getByRole('heading', { name: 'Log in to Webmail' })).toBeAttached();
  });

  await test.step('a wrong code keeps the pop-up open, with the error, and clears the field', async () => {
    await code.fill(app.wrongCode());
    await popup.getByRole('button', { name: 'Next' }).click();
    await expect(popup.getByRole('alert')).toHaveText('That code is wrong or has already been used.');
    await expect(popup).toBeVisible();
    await expect(code).toHaveValue('');
  });

  await test.step('Cancel returns to the login form, password cleared', async () => {
    await popup.getByRole('button', { name: 'Cancel' }).click();
    await expect(popup).toBeHidden();
    await expect(page).toHaveURL(/\/webmail$/);
    await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
    await expect(page.getByLabel('E-mail address', { exact: true })).toHaveValue(mailbox.username);
  });

  await test.step('the password again and a fresh code open the inbox', async () => {
    await submitMailboxLogin(page, mailbox);
    await expect(popup).toBeVisible();
    await code.fill(await app.freshCode());
    await popup.getByRole('button', { name: 'Next' }).click();
    await expectInbox(page);
  });

  await test.step('Disable MFA: password and a current code, then Disable MFA', async () => {
    await openMyAccount(page);
    await mfa.getByRole('button', { name: 'Disable MFA' }).click();
    const disable = page.getByRole('dialog', { name: 'Disable MFA' });
    await disable.getByLabel('Current password').fill(mailbox.password);
    await disable.getByLabel('Code from your app (or a recovery code)').fill(await app.freshCode());
    await disable.getByRole('button', { name: 'Continue' }).click();
    await expect(disable.getByRole('alert')).toHaveText('Disable MFA? Your password alone will then protect this login, and your recovery codes will stop working.');
    await disable.getByRole('button', { name: 'Disable MFA' }).click();
    await expect(disable).toBeHidden();
    await expect(mfa.getByText('Disabled', { exact: true })).toBeVisible();
    await expect(mfa.getByRole('button', { name: 'Enable MFA' })).toBeVisible();
  });

  await test.step('the security events show on the Recent activity tab', async () => {
    await page.getByRole('tab', { name: 'Recent activity' }).click();
    const panel = page.getByRole('tabpanel', { name: 'Recent activity' });
    await expect(panel.getByText('MFA disabled', { exact: true })).toBeVisible();
    await expect(panel.getByText('Wrong or reused code', { exact: true })).toBeVisible();
  });
});

test('webmail: the e-mail address is checked before sending, a recovery code works in the pop-up', async ({ page }) => {
  const mailbox = newMailbox('wm-rc');
  const { recoveryCodes } = await enableMfaThroughApi(mailbox);

  await test.step('a name without a domain is refused on the page', async () => {
    await openWebmail(page);
    await page.getByLabel('E-mail address', { exact: true }).fill('info');
    await page.getByLabel('Password', { exact: true }).fill(mailbox.password);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await expect(page.getByText('Enter your full e-mail address, like info@example.com.')).toBeVisible();
    await expect(page.getByLabel('E-mail address', { exact: true })).toHaveAttribute('aria-invalid', 'true');
    await expect(loginRequiredDialog(page)).toBeHidden();
  });

  await test.step('a wrong password is refused with the API\'s message', async () => {
    await submitMailboxLogin(page, mailbox, `${mailbox.password}x`);
    await expect(page.getByRole('alert')).toHaveText('Wrong e-mail address or password.');
    await expect(loginRequiredDialog(page)).toBeHidden();
  });

  const popup = loginRequiredDialog(page);

  await test.step('Escape closes the pop-up as Cancel does', async () => {
    await submitMailboxLogin(page, mailbox);
    await expect(popup).toBeVisible();
    await popup.getByLabel('Code', { exact: true }).press('Escape');
    await expect(popup).toBeHidden();
    await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
  });

  await test.step('a recovery code instead of the app code', async () => {
    await submitMailboxLogin(page, mailbox);
    await popup.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await popup.getByLabel('Recovery code', { exact: true }).fill(recoveryCodes[0]);
    await popup.getByRole('button', { name: 'Next' }).click();
    await expectInbox(page);
  });

  await test.step('Escape closes the user menu and gives the focus back', async () => {
    const button = page.getByRole('button', { name: 'User menu' });
    await openUserMenu(page);
    await expect(page.getByRole('menuitem', { name: 'My account' })).toBeFocused();
    await page.keyboard.press('ArrowDown');
    await expect(page.getByRole('menuitem', { name: 'Log out' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('menu')).toBeHidden();
    await expect(button).toBeFocused();
    await expect(button).toHaveAttribute('aria-expanded', 'false');
  });
});

test('webmail pages without a session go back to the login form', async ({ page }) => {
  for (const path of ['/webmail/inbox', '/webmail/account']) {
    await page.goto(path);
    await expect(page).toHaveURL(new RegExp(`/webmail\\?next=${path.replaceAll('/', '\\/')}$`));
    await expect(page.locator('form[data-live]')).toHaveCount(1);
  }
});

// Written for the phone project (360 px wide, touch); the same holds on the
// desktop, so both projects run it.
test('webmail login page, code pop-up, inbox and My account fit the screen, with touch-sized buttons', async ({ page }) => {
  const mailbox = newMailbox('wm-layout');
  const { app } = await enableMfaThroughApi(mailbox);

  await test.step('login page, with the inline messages shown', async () => {
    await openWebmail(page);
    await expectNoHorizontalScroll(page);
    await expectTouchSizedButtons(page.locator('form'));
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await expect(page.getByText('Enter your e-mail address.')).toBeVisible();
    await expectNoHorizontalScroll(page);
  });

  await test.step('the code pop-up', async () => {
    await submitMailboxLogin(page, mailbox);
    const popup = loginRequiredDialog(page);
    await expect(popup).toBeVisible();
    await expectNoHorizontalScroll(page);
    await expectTouchSizedButtons(popup, 2); // Cancel, Next
    await popup.getByLabel('Code', { exact: true }).fill(await app.freshCode());
    await popup.getByRole('button', { name: 'Next' }).click();
    await expectInbox(page);
  });

  await test.step('inbox with the user menu open', async () => {
    await expectNoHorizontalScroll(page);
    await expectTouchSizedButtons(page.locator('header'), 1); // User menu
    const menu = await openUserMenu(page);
    await expectNoHorizontalScroll(page);
    // Menu items are not buttons to the accessibility tree: measure them here.
    for (const item of await menu.getByRole('menuitem').all()) {
      const box = await item.boundingBox();
      expect(box?.height ?? 0, `height of ${await item.innerText()}`).toBeGreaterThanOrEqual(44);
    }
    await menu.getByRole('menuitem', { name: 'My account' }).click();
  });

  await test.step('My account', async () => {
    await expect(page.getByRole('region', { name: 'MFA' })).toBeVisible();
    await expectNoHorizontalScroll(page);
    await expectTouchSizedButtons(page.locator('main'), 2); // Disable MFA, New recovery codes
    for (const tab of await page.getByRole('tab').all()) {
      const box = await tab.boundingBox();
      expect(box?.height ?? 0, `height of the ${await tab.innerText()} tab`).toBeGreaterThanOrEqual(44);
    }
  });
});
