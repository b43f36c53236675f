import {
  createUser,
  enableMfaThroughApi,
  expect,
  expectNoHorizontalScroll,
  expectTouchSizedButtons,
  imapLogin,
  loginRequiredDialog,
  openWebmail,
  submitMailboxLogin,
  test,
} from './helpers';

test('webmail: with MFA on, an app password made in My account opens IMAP through nginx, and revoking it closes it', async ({ page }) => {
  // Two app codes, each of a later 30-second step.
  test.setTimeout(120_000);
  const mailbox = createUser('ap', 'mailbox', createUser('ap-owner', 'customer'));
  const { app } = await enableMfaThroughApi(mailbox);
  const section = page.getByRole('region', { name: 'App passwords' });
  const create = page.getByRole('dialog', { name: 'Create app password' });
  let password = '';

  await test.step("the mailbox's own password no longer opens IMAP, and says what to do", async () => {
    const refused = imapLogin(mailbox.username, mailbox.password);
    expect(refused.ok).toBe(false);
    expect(refused.error).toContain('log in with an app password');
    expect(refused.error).toContain('My account, App passwords');
  });

  await test.step('log in to webmail with the code pop-up, open My account', async () => {
    await openWebmail(page);
    await submitMailboxLogin(page, mailbox);
    const popup = loginRequiredDialog(page);
    await popup.getByLabel('Code', { exact: true }).fill(await app.freshCode());
    await popup.getByRole('button', { name: 'Next' }).click();
    await expect(page).toHaveURL(/\/webmail\/inbox$/);
    await page.goto('/webmail/account');
    await expect(section).toBeVisible();
    await expect(section.getByText('Make sure to set up an app password for each mail app')).toBeVisible();
    await expect(section.getByText('No app passwords yet.')).toBeVisible();
  });

  await test.step('Create app password: name, protocols, password and a current code', async () => {
    await section.getByRole('button', { name: 'Create app password' }).click();
    await expect(create).toBeVisible();
    await expect(create.getByRole('checkbox', { name: /IMAP/ })).toBeChecked();
    await expect(create.getByRole('checkbox', { name: /SMTP/ })).toBeChecked();
    await expect(create.getByRole('checkbox', { name: /POP3/ })).not.toBeChecked();
    // Nothing sent while the form is incomplete: the shared rules say why.
    await create.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(create.getByText('Name it after the device or app')).toBeVisible();
    await create.getByLabel('Name', { exact: true }).fill('iPhone Mail');
    await create.getByLabel('Current password').fill(mailbox.password);
    await create.getByLabel('Code from your app (or a recovery code)').fill(await app.freshCode());
    await create.getByRole('button', { name: 'Create', exact: true }).click();
    const shown = create.getByTestId('new-app-password');
    await expect(shown).toBeVisible();
    password = (await shown.innerText()).trim();
    expect(password).toMatch(/^([0-9a-z]{4} ){5}[0-9a-z]{4}$/);
    await expect(create.getByText('it will not be shown again.')).toBeVisible();
    await expect(create.getByText(`127.0.0.1, port ${process.env.TESSERA_E2E_IMAP_PORT}, no encryption`)).toBeVisible();
    await expect(create.getByText(mailbox.username)).toBeVisible();
    await expectNoHorizontalScroll(page);
    await create.getByRole('button', { name: 'Done' }).click();
    await expect(create).toBeHidden();
    await expect(section.getByText('“iPhone Mail” is ready.')).toBeVisible();
    await expect(section.locator('[data-name="iPhone Mail"]').getByTestId('last-used')).toHaveText('Not used yet');
  });

  await test.step('a real IMAP client logs in with it through nginx; the list shows the use', async () => {
    expect(imapLogin(mailbox.username, password)).toEqual({ ok: true, exists: 0 });
    await page.reload();
    await expect(section.locator('[data-name="iPhone Mail"]').getByTestId('last-used')).toContainText('(IMAP from 127.0.0.1)');
    await expectNoHorizontalScroll(page);
    await expectTouchSizedButtons(section);
  });

  await test.step('Revoke, confirmed: IMAP refuses it at once', async () => {
    await section.getByRole('button', { name: 'Revoke' }).click();
    const revoke = page.getByRole('dialog', { name: 'Revoke app password' });
    await expect(revoke.getByText('Revoke “iPhone Mail”?')).toBeVisible();
    await revoke.getByRole('button', { name: 'Revoke', exact: true }).click();
    await expect(revoke).toBeHidden();
    await expect(section.getByText('“iPhone Mail” is revoked.')).toBeVisible();
    await expect(section.getByText('No app passwords yet.')).toBeVisible();
    const refused = imapLogin(mailbox.username, password);
    expect(refused).toEqual({ ok: false, error: 'Invalid login or password' });
  });
});

test('Package Management: a customer makes an app password for its mailbox, and the count follows', async ({ page }) => {
  const customer = createUser('ap-pm', 'customer');
  const mailbox = createUser('ap-pm', 'mailbox', customer);
  await page.goto('/');
  await expect(page.locator('form[data-live]')).toHaveCount(1);
  await page.getByLabel('Username', { exact: true }).fill(customer.username);
  await page.getByLabel('Password', { exact: true }).fill(customer.password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
  await page.goto('/packages');
  const row = page.locator('li.login-row', { hasText: mailbox.username });
  const toggle = row.getByRole('button', { name: 'App passwords: 0' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await expect(row.getByText(`${mailbox.username} has no two-factor authentication`)).toBeVisible();
  await row.getByRole('button', { name: 'Create app password' }).click();
  const create = page.getByRole('dialog', { name: 'Create app password' });
  await create.getByLabel('Name', { exact: true }).fill('Office PC');
  await create.getByLabel('Your own password (customer login)').fill(customer.password);
  await create.getByRole('button', { name: 'Create', exact: true }).click();
  const password = (await create.getByTestId('new-app-password').innerText()).trim();
  await create.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByText('“Office PC” is ready.')).toBeVisible();
  await expect(row.getByRole('button', { name: 'App passwords: 1' })).toHaveAttribute('aria-expanded', 'true');
  expect(imapLogin(mailbox.username, password).ok).toBe(true);
  await expectNoHorizontalScroll(page);
});

test('User Panel: 2-FACTOR AUTH has the app passwords with the ActiveSync advice', async ({ page }) => {
  const mailbox = createUser('ap-up', 'mailbox', createUser('ap-up-owner', 'customer'));
  await page.goto('/user-panel');
  await submitMailboxLogin(page, mailbox);
  await expect(page).toHaveURL(/\/user-panel\/home$/);
  await page.getByRole('button', { name: '2-FACTOR AUTH', exact: true }).click();
  const section = page.getByRole('region', { name: 'Application passwords' });
  await expect(section.getByText('Mail apps and ActiveSync phones still log in')).toBeVisible();
  await expect(section.getByRole('button', { name: 'Create app password' })).toBeVisible();
  await expectNoHorizontalScroll(page);
});
