// Ordinary use rather than the tests' own way: typing before the WebAssembly
// has loaded, the keyboard alone, and dialogs that hold the focus.

import {
  codeIn,
  createCustomerWithEmail,
  createUser,
  enableMfaThroughApi,
  expect,
  loginRequiredDialog,
  logIn,
  logInWithCode,
  mfaSection,
  mailsTo,
  openWebmail,
  test,
  type User,
  waitForMail,
} from './helpers';
import type { Locator, Page } from '@playwright/test';

/**
 * A mid-range phone (CPU 4× slower, 150 ms latency) whose WebAssembly is
 * held back until `release()`: what is typed meanwhile meets the
 * server-rendered page only. No bandwidth cap: the tests' bundle is a 14 MB
 * debug build (a phone gets the release one; xtask/bench.sh measures that).
 */
async function slowPhone(page: Page): Promise<{ release: () => void }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/pkg/*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  return { release };
}

const loginForms: { path: string; user: () => User; name: string; lands: RegExp }[] = [
  { path: '/', user: () => createUser('early'), name: 'Username', lands: /\/account$/ },
  {
    path: '/webmail',
    user: () => createUser('early-wm', 'mailbox', createUser('early-wm-owner')),
    name: 'E-mail address',
    lands: /\/webmail\/inbox$/,
  },
  {
    path: '/user-panel',
    user: () => createUser('early-up', 'mailbox', createUser('early-up-owner')),
    name: 'E-mail address',
    lands: /\/user-panel\/home$/,
  },
];

for (const form of loginForms) {
  test(`${form.path}: what is typed before the app has loaded is kept, and the login succeeds`, async ({ page }) => {
    const user = form.user();
    const { release } = await slowPhone(page);
    await page.goto(form.path, { waitUntil: 'domcontentloaded' });
    await expect(page.locator('form[data-live]')).toHaveCount(0);

    await page.getByLabel(form.name, { exact: true }).pressSequentially(user.username, { delay: 30 });
    await page.getByLabel('Password', { exact: true }).pressSequentially(user.password, { delay: 30 });

    release();
    await expect(page.locator('form[data-live]')).toHaveCount(1, { timeout: 30_000 });
    await expect(page.getByLabel(form.name, { exact: true })).toHaveValue(user.username);
    await expect(page.getByLabel('Password', { exact: true })).toHaveValue(user.password);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await expect(page).toHaveURL(form.lands);
  });

  test(`${form.path}: the form logs in before the app has loaded, posted by the browser itself`, async ({ page }) => {
    const user = form.user();
    const { release } = await slowPhone(page);
    await page.goto(form.path, { waitUntil: 'domcontentloaded' });
    await expect(page.locator('form[data-live]')).toHaveCount(0);
    const logIn = page.getByRole('button', { name: 'Log in', exact: true });
    await expect(logIn).toBeEnabled();

    await page.getByLabel(form.name, { exact: true }).pressSequentially(user.username, { delay: 30 });
    await page.getByLabel('Password', { exact: true }).pressSequentially(`${user.password}-wrong`, { delay: 30 });
    await page.keyboard.press('Enter');
    // Refused: back on the form with the reason and the name kept.
    await expect(page.getByRole('alert')).toContainText('Wrong');
    await expect(page.getByLabel(form.name, { exact: true })).toHaveValue(user.username);

    await page.getByLabel('Password', { exact: true }).pressSequentially(user.password, { delay: 30 });
    await page.keyboard.press('Enter');
    release();
    await expect(page).toHaveURL(form.lands);
  });
}

const codeSteps: { path: string; name: string; code: string; user: () => User; lands: RegExp }[] = [
  { path: '/', name: 'Username', code: 'Authentication code', user: () => createUser('early-code'), lands: /\/account$/ },
  {
    path: '/webmail',
    name: 'E-mail address',
    code: 'Code',
    user: () => createUser('early-wm-code', 'mailbox', createUser('early-wm-code-owner')),
    lands: /\/webmail\/inbox$/,
  },
];

for (const step of codeSteps) {
  test(`${step.path}: the code step works before the app has loaded too`, async ({ page }) => {
    const user = step.user();
    const { app } = await enableMfaThroughApi(user);
    const { release } = await slowPhone(page);
    await page.goto(step.path, { waitUntil: 'domcontentloaded' });
    await page.getByLabel(step.name, { exact: true }).pressSequentially(user.username, { delay: 30 });
    await page.getByLabel('Password', { exact: true }).pressSequentially(user.password, { delay: 30 });
    await page.keyboard.press('Enter');

    // The server renders the code step (webmail: its pop-up) and says why a
    // wrong code was refused there.
    const code = page.getByLabel(step.code, { exact: true });
    await code.pressSequentially('000000', { delay: 30 });
    await page.keyboard.press('Enter');
    await expect(page.getByRole('alert')).toContainText('code');
    await expect(page.locator('form[data-live]')).toHaveCount(0);

    await code.pressSequentially(await app.freshCode(), { delay: 30 });
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(step.lands);
    release();
  });
}

test('/: a login by e-mailed code before the app has loaded gets one code, from the server', async ({ page }) => {
  const user = createCustomerWithEmail('early-mail');
  const { release } = await slowPhone(page);
  await page.goto('/', { waitUntil: 'domcontentloaded' });
  await page.getByLabel('Username', { exact: true }).pressSequentially(user.username, { delay: 30 });
  await page.getByLabel('Password', { exact: true }).pressSequentially(user.password, { delay: 30 });
  await page.keyboard.press('Enter');

  const mail = await waitForMail(user.email, 'Your login code', new Set());
  const code = page.getByLabel('Code from the e-mail', { exact: true });
  await code.pressSequentially('000000', { delay: 30 });
  await page.keyboard.press('Enter');
  await expect(page.getByRole('alert')).toContainText('code');
  await expect(page.locator('form[data-live]')).toHaveCount(0);

  // Once live, the page does not send another code, which would void this one.
  release();
  await expect(page.locator('form[data-live]')).toHaveCount(1, { timeout: 30_000 });
  await expect(page.getByRole('status')).toHaveText('We e-mailed you a 6-digit code a moment ago: use the latest one.');
  await code.fill(codeIn(mail));
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(page).toHaveURL(/\/account$/);
  expect(mailsTo(user.email, 'Your login code')).toHaveLength(1);
});

test('webmail by keyboard only: e-mail, Tab, password, Enter, six digits, Enter', async ({ page }) => {
  const mailbox = createUser('kb-wm', 'mailbox', createUser('kb-wm-owner'));
  const { app } = await enableMfaThroughApi(mailbox);
  await openWebmail(page);
  await page.getByLabel('E-mail address', { exact: true }).focus();
  await page.keyboard.type(mailbox.username);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password', { exact: true })).toBeFocused();
  await page.keyboard.type(mailbox.password);
  await page.keyboard.press('Enter');

  const popup = loginRequiredDialog(page);
  await expect(popup).toBeVisible();
  await expect(popup.getByLabel('Code', { exact: true })).toBeFocused();
  await page.keyboard.type(await app.freshCode());
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/webmail\/inbox$/);
});

test('webmail pop-up: the page behind is inert and a wrong code is the pop-up\'s error', async ({ page }) => {
  const mailbox = createUser('kb-inert', 'mailbox', createUser('kb-inert-owner'));
  const { app } = await enableMfaThroughApi(mailbox);
  await openWebmail(page);
  await page.getByLabel('E-mail address', { exact: true }).fill(mailbox.username);
  await page.getByLabel('Password', { exact: true }).fill(mailbox.password);
  await page.getByLabel('Password', { exact: true }).press('Enter');
  const popup = loginRequiredDialog(page);
  await expect(popup.getByLabel('Code', { exact: true })).toBeFocused();
  await expectBehindIsInert(page, popup, page.getByLabel('Password', { exact: true }));
  await page.keyboard.type(app.wrongCode());
  await page.keyboard.press('Enter');
  await expect(popup.getByRole('alert')).toHaveText('That code is wrong or has already been used.');
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
});

/** Whether the focus is on a control inside `dialog`. */
function focusInside(dialog: Locator): Promise<boolean> {
  return dialog.evaluate((d) => d.contains(document.activeElement) && document.activeElement !== d);
}

/** A point of `behind` hits the dialog (or its backdrop), not the element. */
async function expectBehindIsInert(page: Page, dialog: Locator, behind: Locator): Promise<void> {
  expect(await dialog.evaluate((d) => d.matches(':modal')), 'opened with showModal()').toBe(true);
  const box = await behind.boundingBox();
  expect(box, 'the element behind the dialog is laid out').not.toBeNull();
  const x = box!.x + box!.width / 2;
  const y = box!.y + box!.height / 2;
  const hit = await page.evaluate(([px, py]) => document.elementFromPoint(px, py)?.closest('dialog')?.id ?? null, [x, y]);
  expect(hit, 'what a click behind the dialog reaches').toBe(await dialog.getAttribute('id'));
}

/**
 * Opens `dialog` with Enter on `opener`, then: the first field has the focus,
 * Tab and Shift+Tab stay inside, Escape closes, the opener has the focus back.
 */
async function expectKeyboardDialog(page: Page, opener: Locator, dialog: Locator, first: Locator): Promise<void> {
  await opener.focus();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeVisible();
  await expect(first).toBeFocused();
  await expectBehindIsInert(page, dialog, opener);
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    expect(await focusInside(dialog), `after ${i + 1}× Tab`).toBe(true);
  }
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Shift+Tab');
    expect(await focusInside(dialog), `after ${i + 1}× Shift+Tab`).toBe(true);
  }
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(opener).toBeFocused();
}

test('My Account: the set-up dialog and its QR step by keyboard', async ({ page, user }) => {
  await logIn(page, user);
  const opener = mfaSection(page).getByRole('button', { name: 'inactive – click to activate' });
  const dialog = page.getByRole('dialog', { name: 'Activate two-factor authentication' });
  await expectKeyboardDialog(page, opener, dialog, dialog.getByLabel('Current password'));

  await test.step('the QR step takes the focus on its code field, and Escape still closes', async () => {
    await opener.focus();
    await page.keyboard.press('Enter');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    await expect(dialog.getByTestId('totp-secret')).toBeVisible();
    await expect(dialog.getByLabel('6-digit code from the app')).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(opener).toBeFocused();
  });
});

test('My Account with 2FA on: disabling and new recovery codes by keyboard', async ({ page, user }) => {
  const { app } = await enableMfaThroughApi(user);
  await logInWithCode(page, user, app);

  for (const [button, title] of [
    ['Deactivate two-factor authentication', 'Deactivate two-factor authentication'],
    ['New recovery codes', 'New recovery codes'],
  ]) {
    const dialog = page.getByRole('dialog', { name: title });
    await expectKeyboardDialog(page, mfaSection(page).getByRole('button', { name: button }), dialog, dialog.getByLabel('Current password'));
  }
});

/** From now on every request of the page takes `ms` longer (a slow network). */
async function slowNetwork(page: Page, ms: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: ms, downloadThroughput: -1, uploadThroughput: -1 });
}

test('Escape while a dialog\'s request is out: new recovery codes still show, a deactivation still shows', async ({ page, user }) => {
  test.slow(); // every request 1.5 s late
  const { app } = await enableMfaThroughApi(user);
  await logInWithCode(page, user, app);
  const section = mfaSection(page);
  let recoveryCode = '';

  await test.step('new recovery codes: Escape waits for them, they are shown once', async () => {
    await slowNetwork(page, 1500);
    await section.getByRole('button', { name: 'New recovery codes' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New recovery codes' });
    await dialog.getByLabel('Current password').fill(user.password);
    await dialog.getByLabel('Code from your app (or a recovery code)').fill(await app.freshCode());
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.getByRole('button', { name: 'Make new recovery codes' }).click();
    await page.keyboard.press('Escape');
    const shown = dialog.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await expect(shown).toHaveCount(10);
    recoveryCode = (await shown.first().innerText()).trim();
    await dialog.getByLabel('I have saved these codes').check();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toBeHidden();
  });

  await test.step('deactivating: closed while the request is out, the page still shows it off', async () => {
    await section.getByRole('button', { name: 'Deactivate two-factor authentication' }).click();
    const dialog = page.getByRole('dialog', { name: 'Deactivate two-factor authentication' });
    await dialog.getByLabel('Current password').fill(user.password);
    await dialog.getByLabel('Code from your app (or a recovery code)').fill(recoveryCode);
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.getByRole('button', { name: 'Deactivate two-factor authentication' }).click();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(section.getByTestId('mfa-method')).toContainText('inactive');
  });
});

test('Package Management and the admin console: their dialogs by keyboard', async ({ page, user: customer }) => {
  const mailbox = createUser('kb-pm', 'mailbox', customer);
  await enableMfaThroughApi(mailbox);
  const pkg = createUser('kb-pm-pkg', 'package', customer);
  await logIn(page, customer);
  await page.getByRole('link', { name: 'Package Management' }).click();
  const row = (login: User) => page.getByRole('listitem').filter({ hasText: login.username });

  const setUp = page.getByRole('dialog', { name: 'Activate two-factor authentication' });
  await expectKeyboardDialog(page, row(pkg).getByRole('button', { name: 'inactive – click to activate' }), setUp, setUp.getByLabel('Your own password'));
  const switchOff = page.getByRole('dialog', { name: 'Deactivate two-factor authentication' });
  await expectKeyboardDialog(
    page,
    row(mailbox).getByRole('button', { name: 'active – click to deactivate' }),
    switchOff,
    switchOff.getByLabel('Your own password (customer login)'),
  );
  await row(mailbox).getByRole('button', { name: 'App passwords: 0' }).click();
  const create = page.getByRole('dialog', { name: 'Create app password' });
  await expectKeyboardDialog(page, row(mailbox).getByRole('button', { name: 'Create app password' }), create, create.getByLabel('Name'));

  const admin = createUser('kb-admin', 'admin');
  await page.getByRole('button', { name: 'Log out' }).click();
  await logIn(page, admin);
  await page.goto('/admin');
  const accounts = page.getByRole('tabpanel', { name: 'Accounts' });
  await accounts.getByLabel('Username contains').fill(mailbox.username);
  await accounts.getByRole('button', { name: 'Search' }).click();
  const adminOff = page.getByRole('dialog', { name: 'Deactivate 2FA' });
  await expectKeyboardDialog(
    page,
    accounts.getByRole('listitem').filter({ hasText: mailbox.username }).getByRole('button', { name: 'Deactivate 2FA' }),
    adminOff,
    adminOff.getByLabel('Your administrator password'),
  );
});

test('at 360 px the set-up dialog is a sheet whose buttons are in view without scrolling the page', async ({ page, user }) => {
  await page.setViewportSize({ width: 360, height: 640 });
  await logIn(page, user);
  const opener = mfaSection(page).getByRole('button', { name: 'inactive – click to activate' });
  await opener.scrollIntoViewIfNeeded();
  const scrolled = await page.evaluate(() => window.scrollY);
  await opener.click();
  const dialog = page.getByRole('dialog', { name: 'Activate two-factor authentication' });
  await dialog.getByLabel('Current password').fill(user.password);
  await dialog.getByRole('button', { name: 'Continue' }).click();
  await expect(dialog.getByTestId('totp-secret')).toBeVisible();

  const sheet = await dialog.boundingBox();
  expect(sheet, 'the dialog is laid out').not.toBeNull();
  expect(Math.round(sheet!.height), 'a full-height sheet').toBe(640);
  for (const name of ['Verify & Enable', 'Cancel']) {
    const box = await dialog.getByRole('button', { name }).boundingBox();
    expect(box, name).not.toBeNull();
    expect(box!.y, `${name}: top in view`).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height, `${name}: bottom in view`).toBeLessThanOrEqual(640);
  }
  expect(await page.evaluate(() => window.scrollY), 'the page behind did not scroll').toBe(scrolled);
  // The code field is reached by scrolling inside the sheet.
  await dialog.getByLabel('6-digit code from the app').scrollIntoViewIfNeeded();
  await expect(dialog.getByLabel('6-digit code from the app')).toBeInViewport();
  await expect(dialog.getByRole('button', { name: 'Verify & Enable' })).toBeInViewport();
});
