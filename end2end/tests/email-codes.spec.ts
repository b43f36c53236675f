// E-mailed codes (help page 004): the default second factor of a new
// customer, the switch to an authenticator app and back, the security
// notices those changes send, and their "This wasn't me" link. Every mail
// goes through a real SMTP server (global-setup.ts) and is read back from it.

import {
  Authenticator,
  codeIn,
  createCustomerWithEmail,
  createUser,
  expect,
  expectAccountPage,
  expectNoHorizontalScroll,
  expectTouchSizedButtons,
  loginRequiredDialog,
  logOut,
  mailsTo,
  mfaBadge,
  mfaSection,
  notMeLink,
  openLoginPage,
  openWebmail,
  submitMailboxLogin,
  submitPassword,
  test,
  waitForMail,
} from './helpers';

test('a new customer logs in with an e-mailed code, switches to the app, and back to e-mail', async ({ page }, testInfo) => {
  // Two app codes of later 30-second steps: up to a minute of waiting.
  test.setTimeout(150_000);
  const user = createCustomerWithEmail(`e2e-${testInfo.project.name}-mail`);
  const seen = new Set<string>();
  const mfa = mfaSection(page);
  const method = mfa.getByTestId('mfa-method');
  let app!: Authenticator;
  let secret = '';

  await test.step('the password, then the code the e-mail brings', async () => {
    await openLoginPage(page);
    await submitPassword(page, user);
    await expect(page.getByRole('status')).toHaveText(
      /^We sent a 6-digit code to e•+@mail\.example\.com at \d{2}:\d{2}\. It is valid for 15 minutes\.$/,
    );
    const mail = await waitForMail(user.email, 'Your login code', seen);
    expect(mail.raw).toContain('Nobody from support will ever ask you for this code');
    if (testInfo.project.name === 'phone') {
      await expectNoHorizontalScroll(page);
      await expectTouchSizedButtons(page.locator('form'), 2);
    }
    await page.getByLabel('Code from the e-mail').fill(codeIn(mail));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await expectAccountPage(page);
  });

  await test.step('My Account says e-mailed codes are active and compares them with an app', async () => {
    await expect(method).toContainText(`a 6-digit code we e-mail to ${user.email}, valid for 15 minutes`);
    const table = mfa.getByRole('table', { name: 'Authenticator app and e-mailed codes compared' });
    await expect(table.getByRole('columnheader', { name: 'Authenticator app (recommended)' })).toBeVisible();
    await expect(table.getByRole('row', { name: /Without your inbox/ })).toContainText('Needs that one inbox');
    if (testInfo.project.name === 'phone') await expectNoHorizontalScroll(page);
  });

  await test.step('activating the app: password, QR code, a verified code', async () => {
    await mfa.getByRole('button', { name: 'Activate two-factor authentication with an app' }).click();
    const dialog = page.getByRole('dialog', { name: 'Activate two-factor authentication' });
    await dialog.getByLabel('Current password').fill(user.password);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    secret = (await dialog.getByTestId('totp-secret').getAttribute('data-secret')) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    app = new Authenticator(secret);
    await dialog.getByLabel('6-digit code from the app').fill(await app.freshCode());
    await dialog.getByRole('button', { name: 'Verify & Enable' }).click();
    await dialog.getByLabel('I have saved these codes').check();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toBeHidden();
    await expect(mfaBadge(page, 'active')).toBeVisible();
    await expect(mfa).toContainText(`Deactivating it returns this login to codes sent by e-mail to ${user.email}.`);
  });

  await test.step('the contact address is told, without the secret', async () => {
    const notice = await waitForMail(user.email, 'Two-factor authentication with an app is on', seen);
    expect(notice.raw).not.toContain(secret);
    expect(notice.raw).toContain('Content-Type: text/html');
    notMeLink(notice);
  });

  await test.step('the next login asks for the app code, and no code is mailed', async () => {
    const codeMails = mailsTo(user.email, 'Your login code').length;
    await logOut(page);
    await submitPassword(page, user);
    await page.getByLabel('Authentication code').fill(await app.freshCode());
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await expectAccountPage(page);
    expect(mailsTo(user.email, 'Your login code')).toHaveLength(codeMails);
  });

  await test.step('deactivating the app (password and a current app code) returns to e-mailed codes', async () => {
    await mfa.getByRole('button', { name: 'Deactivate two-factor authentication' }).click();
    const dialog = page.getByRole('dialog', { name: 'Deactivate two-factor authentication' });
    await dialog.getByLabel('Current password').fill(user.password);
    await dialog.getByLabel('Code from your app (or a recovery code)').fill(await app.freshCode());
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await expect(dialog.getByRole('alert')).toContainText(`Logging in will need a 6-digit code sent by e-mail to ${user.email} again`);
    await dialog.getByRole('button', { name: 'Deactivate two-factor authentication' }).click();
    await expect(dialog).toBeHidden();
    await expect(method).toContainText('codes by e-mail');
    const notice = await waitForMail(user.email, 'Two-factor authentication with an app is off', seen);
    expect(notice.raw).toContain('From now on, logging in needs a code we send to this address.');
  });

  await test.step('and the next login is by e-mailed code again', async () => {
    await logOut(page);
    await submitPassword(page, user);
    const mail = await waitForMail(user.email, 'Your login code', seen);
    await page.getByLabel('Code from the e-mail').fill(codeIn(mail));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await expectAccountPage(page);
  });
});

test('"Send a new code" counts down; a new code voids the one before, whose use says so', async ({ page }, testInfo) => {
  // The minute between two codes.
  test.setTimeout(120_000);
  const user = createCustomerWithEmail(`e2e-${testInfo.project.name}-resend`);
  const seen = new Set<string>();
  await openLoginPage(page);
  await submitPassword(page, user);
  const first = codeIn(await waitForMail(user.email, 'Your login code', seen));

  // The button counts down the minute the server asks for between two codes.
  const counting = page.getByRole('button', { name: /^Send a new code \(\d+ s\)$/ });
  await expect(counting).toBeDisabled();
  const seconds = async () => Number(/\((\d+) s\)/.exec((await counting.textContent()) ?? '')?.[1]);
  const before = await seconds();
  expect(before).toBeGreaterThan(50);
  expect(before).toBeLessThanOrEqual(60);
  await expect.poll(seconds, { timeout: 5_000 }).toBeLessThan(before);
  const resend = page.getByRole('button', { name: 'Send a new code', exact: true });
  await expect(resend).toBeEnabled({ timeout: 65_000 });
  await resend.click();
  const second = codeIn(await waitForMail(user.email, 'Your login code', seen));
  await expect(page.getByRole('button', { name: /^Send a new code \(\d+ s\)$/ })).toBeDisabled();

  const field = page.getByLabel('Code from the e-mail');
  const verify = page.getByRole('button', { name: 'Verify', exact: true });
  if (first !== second) {
    await field.fill(first);
    await verify.click();
    await expect(page.getByRole('alert')).toHaveText('A newer code was sent: use the latest e-mail.');
    await expect(field).toHaveValue('');
  }
  await field.fill(second);
  await verify.click();
  await expectAccountPage(page);
});

test('"This wasn\'t me" from a notice ends every session of the login', async ({ page, browser }, testInfo) => {
  test.setTimeout(90_000);
  const user = createCustomerWithEmail(`e2e-${testInfo.project.name}-notme`);
  const seen = new Set<string>();

  await test.step('logged in with an e-mailed code, the user switches the app on', async () => {
    await openLoginPage(page);
    await submitPassword(page, user);
    await page.getByLabel('Code from the e-mail').fill(codeIn(await waitForMail(user.email, 'Your login code', seen)));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await expectAccountPage(page);
    await mfaSection(page).getByRole('button', { name: 'Activate two-factor authentication with an app' }).click();
    const dialog = page.getByRole('dialog', { name: 'Activate two-factor authentication' });
    await dialog.getByLabel('Current password').fill(user.password);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    const app = new Authenticator((await dialog.getByTestId('totp-secret').getAttribute('data-secret')) ?? '');
    await dialog.getByLabel('6-digit code from the app').fill(await app.freshCode());
    await dialog.getByRole('button', { name: 'Verify & Enable' }).click();
    await dialog.getByLabel('I have saved these codes').check();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(mfaBadge(page, 'active')).toBeVisible();
  });

  const link = notMeLink(await waitForMail(user.email, 'Two-factor authentication with an app is on', seen));

  await test.step('the link asks first, then ends the sessions', async () => {
    const other = await browser.newPage();
    await other.goto(link);
    await expect(other.getByRole('heading', { name: "This wasn't me" })).toBeVisible();
    const report = other.getByRole('button', { name: 'End all sessions and report' });
    await expect(report).toBeEnabled();
    await report.click();
    await expect(other.getByRole('status')).toContainText(`Done. Every session of ${user.username} has ended`);
    if (testInfo.project.name === 'phone') await expectNoHorizontalScroll(other);

    await other.close();

    // Once: a second visit (a new page, not a same-document hash change) is refused.
    const again = await browser.newPage();
    await again.goto(link);
    await again.getByRole('button', { name: 'End all sessions and report' }).click();
    await expect(again.getByRole('alert')).toContainText('This link does not work');
    await again.close();
  });

  await test.step('the first browser is logged out', async () => {
    await page.reload();
    await expect(page).toHaveURL(/\/\?next=\/account$/);
    await expect(page.getByRole('button', { name: 'Log in', exact: true })).toBeVisible();
  });

  await test.step('an administrator sees the report and dismisses it', async () => {
    const admin = createUser('admin', 'admin');
    await submitPassword(page, admin);
    await expectAccountPage(page);
    await page.getByRole('link', { name: 'Admin console' }).click();
    const accounts = page.getByRole('tabpanel', { name: 'Accounts' });
    await accounts.getByLabel('Username contains').fill(user.username);
    await accounts.getByRole('button', { name: 'Search' }).click();
    const row = accounts.getByRole('list', { name: 'Logins' }).getByRole('listitem').filter({ hasText: user.username });
    await expect(row).toContainText('Reported \u201cThis wasn\'t me\u201d');
    if (testInfo.project.name === 'phone') await expectNoHorizontalScroll(page);
    await row.getByRole('button', { name: 'Dismiss report' }).click();
    await expect(accounts.getByRole('status')).toHaveText(`The report on ${user.username} is dismissed.`);
    await expect(row).not.toContainText('Reported');
    await expect(row.getByRole('button', { name: 'Dismiss report' })).toHaveCount(0);
  });
});

test('webmail: a mailbox with e-mailed codes gets its code in the pop-up', async ({ page }, testInfo) => {
  const owner = createUser(`e2e-${testInfo.project.name}-wm-owner`);
  // Another address than the mailbox itself: whoever reads the mailbox must not get its codes.
  const contact = `${owner.username}@mail.example.com`;
  const mailbox = createUser(`e2e-${testInfo.project.name}-wm`, 'mailbox', owner, contact, ['--email-codes-for', 'mailbox']);
  const seen = new Set<string>();

  await openWebmail(page);
  await submitMailboxLogin(page, mailbox);
  const dialog = loginRequiredDialog(page);
  await expect(dialog.getByRole('status')).toContainText('We sent a 6-digit code to');
  await expect(dialog.getByRole('button', { name: 'Use a recovery code instead' })).toHaveCount(0);
  const mail = await waitForMail(contact, 'Your login code', seen);
  await dialog.getByLabel('Code from the e-mail').fill(codeIn(mail));
  await dialog.getByRole('button', { name: 'Next' }).click();
  await expect(page).toHaveURL(/\/webmail\/inbox$/);
});
