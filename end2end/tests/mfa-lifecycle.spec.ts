import { readFile } from 'node:fs/promises';
import {
  Authenticator,
  enableButton,
  expect,
  expectAccountPage,
  groupInFours,
  logIn,
  logOut,
  mfaBadge,
  mfaSection,
  recordApiRequests,
  submitPassword,
  test,
} from './helpers';

// Reading the clipboard back checks the Copy button for real.
test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

test('two-factor authentication: enable, log in with a code and a recovery code, renew the codes, disable', async ({ page, user }) => {
  // Three app codes, each of a later 30-second step: up to a minute of waiting.
  test.setTimeout(150_000);
  const mfa = mfaSection(page);
  let app!: Authenticator;
  let recoveryCodes: string[] = [];

  await test.step('log in with the password alone: 2FA is inactive', async () => {
    await logIn(page, user);
    await expect(mfaBadge(page, 'inactive')).toBeVisible();
    await expect(enableButton(page)).toBeVisible();
  });

  const dialog = page.getByRole('dialog', { name: 'Activate two-factor authentication' });

  await test.step('enabling asks for the current password first', async () => {
    await enableButton(page).click();
    await expect(dialog).toBeVisible();
    expect(await dialog.evaluate((d) => d.matches(':modal')), 'opened with showModal()').toBe(true);
    await dialog.getByLabel('Current password').fill(user.password);
    await dialog.getByRole('button', { name: 'Continue' }).click();
  });

  await test.step('the QR code, the secret in groups of four and the advice', async () => {
    const qr = dialog.getByRole('img', { name: 'QR code for your authenticator app' });
    await expect(qr.locator('svg')).toBeVisible();
    const secretBox = dialog.getByTestId('totp-secret');
    const secret = (await secretBox.getAttribute('data-secret')) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await expect(secretBox).toHaveText(groupInFours(secret));
    await expect(dialog.getByText('keep the app on a different device from the one you log in on')).toBeVisible();
    app = new Authenticator(secret);
  });

  const codeField = dialog.getByLabel('6-digit code from the app');

  await test.step('a malformed code is flagged while typing, without a request', async () => {
    const apiRequests = recordApiRequests(page);
    await codeField.fill('12a');
    await expect(dialog.getByText('Enter the 6-digit code (digits 0–9; spaces are fine).')).toBeVisible();
    await expect(codeField).toHaveAttribute('aria-invalid', 'true');
    expect(apiRequests()).toEqual([]);
  });

  await test.step('the right code enables 2FA and reveals 10 recovery codes', async () => {
    await codeField.fill(await app.freshCode());
    await expect(codeField).not.toHaveAttribute('aria-invalid', 'true');
    await dialog.getByRole('button', { name: 'Verify & Enable' }).click();

    const items = dialog.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await expect(items).toHaveCount(10);
    recoveryCodes = (await items.allInnerTexts()).map((c) => c.trim());
    for (const code of recoveryCodes) expect(code).toMatch(/^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
    expect(new Set(recoveryCodes).size).toBe(10);
  });

  await test.step('the codes can be copied and downloaded', async () => {
    await expect(dialog.getByRole('status').filter({ hasText: 'is now active' })).toHaveText('Two-factor authentication is now active.');
    await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
    await expect(dialog.getByText('Copied to the clipboard.')).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(recoveryCodes.join('\n'));

    const downloading = page.waitForEvent('download');
    await dialog.getByRole('button', { name: 'Download' }).click();
    const download = await downloading;
    const today = new Date();
    const date = [today.getFullYear(), today.getMonth() + 1, today.getDate()].map((n) => String(n).padStart(2, '0')).join('-');
    expect(download.suggestedFilename()).toBe(`recovery-codes-${user.username}-${date}.txt`);
    expect(await download.failure()).toBeNull();
    const text = await readFile(await download.path(), 'utf8');
    const [header, ...rest] = text.trim().split('\n');
    expect(header).toBe(`Recovery codes for ${user.username} at ${new URL(page.url()).host}, made ${date}`);
    expect(text).toContain('instead of a code from your authenticator app');
    expect(rest.slice(-10)).toEqual(recoveryCodes);
  });

  await test.step('"Close" waits for "I have saved these codes"', async () => {
    const done = dialog.getByRole('button', { name: 'Close' });
    await expect(done).toBeDisabled();
    await dialog.getByLabel('I have saved these codes').check();
    await expect(done).toBeEnabled();
    await done.click();
    await expect(dialog).toBeHidden();
    await expect(mfaBadge(page, 'active')).toBeVisible();
    await expect(mfa.getByTestId('recovery-codes-left')).toHaveText('Recovery codes left: 10');
  });

  await test.step('logging in now asks for a code; a wrong one is refused', async () => {
    await logOut(page);
    await submitPassword(page, user);
    const code = page.getByLabel('Authentication code');
    await expect(code).toBeVisible();
    await code.fill(app.wrongCode());
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await expect(page.getByRole('alert')).toHaveText('That code is wrong or has already been used.');
    await expect(page).toHaveURL(/\/$/);
    await expect(code).toBeVisible();
    await expect(code).toHaveValue('');

    await code.fill(await app.freshCode());
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await expectAccountPage(page);
    await expect(mfaBadge(page, 'active')).toBeVisible();
  });

  await test.step('a recovery code logs in instead, and is used up', async () => {
    await logOut(page);
    await submitPassword(page, user);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code', { exact: true }).fill(recoveryCodes[0]);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await expectAccountPage(page);
    await expect(mfa.getByTestId('recovery-codes-left')).toHaveText('Recovery codes left: 9');
  });

  await test.step('new recovery codes (confirmed with a recovery code) replace the old set', async () => {
    await mfa.getByRole('button', { name: 'New recovery codes' }).click();
    const regenerate = page.getByRole('dialog', { name: 'New recovery codes' });
    await regenerate.getByLabel('Current password').fill(user.password);
    await regenerate.getByLabel('Code from your app (or a recovery code)').fill(recoveryCodes[1].toUpperCase());
    await expect(regenerate).toContainText('all of your current ones stop working at once');
    await regenerate.getByRole('button', { name: 'Continue' }).click();
    await expect(regenerate.getByRole('alert')).toHaveText('All of your current recovery codes will stop working. Make new ones?');
    await regenerate.getByRole('button', { name: 'Make new recovery codes' }).click();
    const items = regenerate.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await expect(items).toHaveCount(10);
    const fresh = (await items.allInnerTexts()).map((c) => c.trim());
    expect(fresh.filter((c) => recoveryCodes.includes(c))).toEqual([]);
    await regenerate.getByLabel('I have saved these codes').check();
    await regenerate.getByRole('button', { name: 'Close' }).click();
    await expect(regenerate).toBeHidden();
    await expect(mfa.getByTestId('recovery-codes-left')).toHaveText('Recovery codes left: 10');
    recoveryCodes = fresh;
  });

  await test.step('disabling needs the password, a current code and a confirmation', async () => {
    await mfa.getByRole('button', { name: 'Deactivate two-factor authentication' }).click();
    const disable = page.getByRole('dialog', { name: 'Deactivate two-factor authentication' });
    await expect(disable).toBeVisible();
    await disable.getByLabel('Current password').fill(user.password);
    await disable.getByLabel('Code from your app (or a recovery code)').fill(await app.freshCode());
    await disable.getByRole('button', { name: 'Continue' }).click();
    await expect(disable.getByRole('alert')).toHaveText(
      'Deactivate two-factor authentication? Your password alone will then protect this login, and your recovery codes will stop working.',
    );
    await disable.getByRole('button', { name: 'Deactivate two-factor authentication' }).click();
    await expect(disable).toBeHidden();
    await expect(mfaBadge(page, 'inactive')).toBeVisible();
    await expect(enableButton(page)).toBeVisible();
  });

  await test.step('the password alone logs in again', async () => {
    await logOut(page);
    await submitPassword(page, user);
    await expectAccountPage(page);
    await expect(enableButton(page)).toBeVisible();
  });
});
