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
import { type Page, request } from '@playwright/test';

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

/** The status of a login through the API with `code`, as from another browser. */
async function apiLogin(baseURL: string, user: User, code: string): Promise<number> {
  const api = await request.newContext({ baseURL, extraHTTPHeaders: { Origin: new URL(baseURL).origin } });
  try {
    expect((await api.post('/api/v1/login', { data: { username: user.username, password: user.password } })).ok()).toBe(true);
    return (await api.post('/api/v1/login/mfa', { data: { code } })).status();
  } finally {
    await api.dispose();
  }
}

async function logInWithRecoveryCode(baseURL: string, user: User, code: string): Promise<void> {
  expect(await apiLogin(baseURL, user, code)).toBe(200);
}

/** The recovery-code login of the web page, landing on My Account. */
async function logInOnPageWithRecoveryCode(page: Page, user: User, code: string): Promise<void> {
  await openLoginPage(page);
  await submitPassword(page, user);
  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expectAccountPage(page);
}

test('after a recovery-code login, My Account offers to move the app to a new phone', async ({ page, user, baseURL }) => {
  const { app: oldPhone, recoveryCodes } = await enableMfaThroughApi(user);
  await logInOnPageWithRecoveryCode(page, user, recoveryCodes[0]);

  const offer = mfaSection(page).getByTestId('lost-phone');
  await expect(offer).toContainText('You logged in with a recovery code.');
  await offer.getByRole('button', { name: 'Move to a new phone' }).click();
  const dialog = page.getByRole('dialog', { name: 'Move to a new phone' });

  await test.step('password and another recovery code, then the warning', async () => {
    await expect(dialog.getByLabel('Current password')).toBeFocused();
    await dialog.getByLabel('Current password').fill(user.password);
    await dialog.getByLabel('Code from your app (or a recovery code)').fill(recoveryCodes[1]);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await expect(dialog.getByRole('alert')).toContainText("the old phone\u2019s codes stop working");
    await dialog.getByRole('button', { name: 'Show the new QR code' }).click();
  });

  let newPhone!: Authenticator;
  await test.step('the new phone scans, a mistyped code is refused, its code moves the app', async () => {
    const secret = (await dialog.getByTestId('totp-secret').getAttribute('data-secret')) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    newPhone = new Authenticator(secret);
    const code = dialog.getByLabel('6-digit code from the app');
    const right = await newPhone.freshCode();
    const mistyped = right.slice(0, 5) + String((Number(right[5]) + 1) % 10);
    await code.fill(mistyped);
    await dialog.getByRole('button', { name: 'Verify & Move' }).click();
    const refused = dialog.getByRole('alert');
    await expect(refused).toContainText('That code is wrong');
    await expect(code, 'what was typed stays').toHaveValue(mistyped);
    // In sight, not under the row of buttons (a phone's sheet scrolls).
    const buttons = dialog.locator('.actions').last();
    await expect
      .poll(async () => {
        const [note, bar] = [await refused.boundingBox(), await buttons.boundingBox()];
        return note !== null && bar !== null && note.y + note.height <= bar.y + 1;
      })
      .toBe(true);
    await code.fill(right);
    await dialog.getByRole('button', { name: 'Verify & Move' }).click();
    await expect(dialog.getByRole('status')).toContainText('Your authenticator app is on the new phone now.');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect(dialog).toBeHidden();
    await expect(offer).toBeHidden();
    // The same codes, less the two used.
    await expect(mfaSection(page).getByTestId('recovery-codes-left')).toHaveText('Recovery codes left: 8');
  });

  await test.step('only the new phone logs in', async () => {
    // The new phone's next step first: by then the old phone's is unused too.
    const newCode = await newPhone.freshCode();
    expect(await apiLogin(baseURL!, user, await oldPhone.freshCode())).toBe(401);
    expect(await apiLogin(baseURL!, user, newCode)).toBe(200);
  });
});

test('with 3 or fewer recovery codes left, My Account warns and offers new ones', async ({ page, user, baseURL }) => {
  const { recoveryCodes } = await enableMfaThroughApi(user);
  for (const code of recoveryCodes.slice(0, 6)) await logInWithRecoveryCode(baseURL!, user, code);

  await test.step('a seventh recovery code logs in: 3 are left', async () => {
    await logInOnPageWithRecoveryCode(page, user, recoveryCodes[6]);
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
