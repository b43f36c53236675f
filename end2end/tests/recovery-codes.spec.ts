import { Authenticator, enableButton, expect, logIn, test } from './helpers';

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
  const dialog = page.getByRole('dialog', { name: 'Enable two-factor authentication' });
  await dialog.getByLabel('Current password').fill(user.password);
  await dialog.getByRole('button', { name: 'Continue' }).click();
  const secret = (await dialog.getByTestId('totp-secret').getAttribute('data-secret')) ?? '';
  await dialog.getByLabel('6-digit code from the app').fill(await new Authenticator(secret).freshCode());
  await dialog.getByRole('button', { name: 'Verify & Enable' }).click();

  await dialog.getByRole('button', { name: 'Copy' }).click();
  await expect(dialog.getByRole('status')).toHaveText('Copying failed: select the codes and copy them by hand.');
});
