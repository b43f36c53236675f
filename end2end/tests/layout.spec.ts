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

// Reading the clipboard back checks "Copy key" for real.
test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

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

  const dialog = page.getByRole('dialog', { name: 'Activate two-factor authentication' });

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

test('the set-up step offers "Open in authenticator app" on a touch screen, and "Copy key" everywhere', async ({ page, user }, testInfo) => {
  await logIn(page, user);
  await enableButton(page).click();
  const dialog = page.getByRole('dialog', { name: 'Activate two-factor authentication' });
  await dialog.getByLabel('Current password').fill(user.password);
  await dialog.getByRole('button', { name: 'Continue' }).click();
  const secret = (await dialog.getByTestId('totp-secret').getAttribute('data-secret')) ?? '';
  expect(secret).toMatch(/^[A-Z2-7]{16,}$/);

  const open = dialog.getByRole('link', { name: 'Open in authenticator app' });
  const onlyDevice = dialog.getByText('Is this phone your only device?');
  if (testInfo.project.name === 'phone') {
    await expect(open).toBeVisible();
    const href = (await open.getAttribute('href')) ?? '';
    expect(href).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(href).searchParams.get('secret')).toBe(secret);
    await expect(onlyDevice).toBeVisible();
  } else {
    await expect(open).toBeHidden();
    await expect(onlyDevice).toBeHidden();
  }
  await dialog.getByRole('button', { name: 'Copy key' }).click();
  await expect(dialog.getByText('Copied to the clipboard.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
});
