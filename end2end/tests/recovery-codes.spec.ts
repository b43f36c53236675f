import {
  Authenticator,
  enableButton,
  enableMfaThroughApi,
  expect,
  expectAccountPage,
  logIn,
  mfaSection,
  openLoginPage,
  submitPassword,
  test,
  type User,
} from './helpers';
import { request } from '@playwright/test';

// The browser may refuse the clipboard (permissions, insecure context): the
// page must say so, not claim the codes were copied.
test('a refused clipboard write is reported as a failure', async ({ page, user }) => {
  await page.addInitScript(() => {
    Object.defineProperty(navigator.clipboard, 'writeText', {
      value: () => Promise.reject(new DOMException('denied', 'NotAllowedError')),
    });
  });
  await logIn(page, user);
  await enableButton(page).click();
  const dialog = page.getByRole('dialog', { name: 'Activate two-factor authentication' });
  await dialog.getByLabel('Current password').fill(user.password);
  await dialog.getByRole('button', { name: 'Continue' }).click();
  const secret = (await dialog.getByTestId('totp-secret').getAttribute('data-secret')) ?? '';
  await dialog.getByLabel('6-digit code from the app').fill(await new Authenticator(secret).freshCode());
  await dialog.getByRole('button', { name: 'Verify & Enable' }).click();
  // "Copy key" is still on the page until the server has answered.
  await expect(dialog.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')).toHaveCount(10);

  await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
  await expect(dialog.getByText('Copying failed: select the codes and copy them by hand.')).toBeVisible();
});

/** Logs in through the API with a recovery code, as from another browser. */
async function logInWithRecoveryCode(baseURL: string, user: User, code: string): Promise<void> {
  const api = await request.newContext({ baseURL, extraHTTPHeaders: { Origin: new URL(baseURL).origin } });
  try {
    expect((await api.post('/api/v1/login', { data: { username: user.username, password: user.password } })).ok()).toBe(true);
    const answer = await api.post('/api/v1/login/mfa', { data: { code } });
    expect(answer.ok(), await answer.text()).toBe(true);
  } finally {
    await api.dispose();
  }
}

test('with 3 or fewer recovery codes left, My Account warns and offers new ones', async ({ page, user, baseURL }) => {
  const { recoveryCodes } = await enableMfaThroughApi(user);
  for (const code of recoveryCodes.slice(0, 6)) await logInWithRecoveryCode(baseURL!, user, code);

  await test.step('a seventh recovery code logs in: 3 are left', async () => {
    await openLoginPage(page);
    await submitPassword(page, user);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code', { exact: true }).fill(recoveryCodes[6]);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await expectAccountPage(page);
    await expect(mfaSection(page).getByTestId('recovery-codes-left')).toHaveText('Recovery codes left: 3');
  });

  const warning = mfaSection(page).getByTestId('recovery-codes-warning');
  await test.step('3 left: the warning, with the way to new codes', async () => {
    await expect(warning).toContainText('Only 3 recovery codes are left. Make new ones now, while you can still log in.');
    await warning.getByRole('button', { name: 'New recovery codes' }).click();
    const dialog = page.getByRole('dialog', { name: 'New recovery codes' });
    await expect(dialog.getByLabel('Current password')).toBeFocused();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
  });
});
