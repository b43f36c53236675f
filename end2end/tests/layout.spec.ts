import {
  enableButton,
  expect,
  expectNoHorizontalScroll,
  expectTouchSizedButtons,
  logIn,
  mfaSection,
  openLoginPage,
  test,
} from './helpers';

// Written for the phone project (360 px wide, touch); the same holds on the
// desktop, so both projects run it.
test('login page, My Account and the enable dialog fit the screen, with touch-sized buttons', async ({ page, user }) => {
  await test.step('login page', async () => {
    await openLoginPage(page);
    const form = page.locator('form');
    await expectNoHorizontalScroll(page);
    await expectTouchSizedButtons(form);
    // With the inline messages shown, too.
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await expect(page.getByText('Enter your username.')).toBeVisible();
    await expectNoHorizontalScroll(page);
  });

  await test.step('My Account', async () => {
    await logIn(page, user);
    await expectNoHorizontalScroll(page);
    await expectTouchSizedButtons(page.locator('main'), 2); // Log out, enable
  });

  const dialog = page.getByRole('dialog', { name: 'Enable two-factor authentication' });

  await test.step('enable dialog: password', async () => {
    await enableButton(page).click();
    await expect(dialog.getByLabel('Current password')).toBeVisible();
    await expectNoHorizontalScroll(page);
    await expectTouchSizedButtons(dialog, 2); // Continue, Cancel
  });

  await test.step('enable dialog: QR code and secret', async () => {
    await dialog.getByLabel('Current password').fill(user.password);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await expect(dialog.getByTestId('totp-secret')).toBeVisible();
    await expect(dialog.locator('svg')).toBeVisible();
    await expectNoHorizontalScroll(page);
    await expectTouchSizedButtons(dialog, 2); // Verify & Enable, Cancel
    const qr = await dialog.locator('svg').boundingBox();
    expect(qr?.width ?? 0, 'QR code width').toBeGreaterThanOrEqual(120); // big enough to scan
  });

  await test.step('cancelling leaves 2FA off', async () => {
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(enableButton(page)).toBeVisible();
    await expect(mfaSection(page)).toBeVisible();
  });
});
