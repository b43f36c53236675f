import { expect, expectNoHorizontalScroll, expectTouchSizedButtons, logIn, test } from './helpers';

function sessionsSection(page: import('@playwright/test').Page) {
  return page.getByRole('region', { name: 'Where you are logged in' });
}

test('My Account lists the browsers logged in; ending another one logs it out', async ({ page, browser, user }) => {
  // A second browser, logged in first.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await logIn(otherPage, user);

  await logIn(page, user);
  const sessions = sessionsSection(page).getByTestId('session');
  await expect(sessions).toHaveCount(2);
  const mine = sessions.filter({ hasText: 'This browser' });
  await expect(mine).toHaveCount(1);
  await expect(mine).toContainText('IP 127.0.0.1');
  await expect(mine).toContainText(/Chrome \d+ on (Windows 10|Linux|Android \d+ \(phone\))/);
  await expect(mine.getByRole('button')).toHaveCount(0);
  await expectNoHorizontalScroll(page);
  await expectTouchSizedButtons(sessionsSection(page));

  await sessions.filter({ hasNotText: 'This browser' }).getByRole('button', { name: /^End the session of / }).click();
  await expect(sessionsSection(page).getByRole('status')).toHaveText('The session has ended: that browser is logged out.');
  await expect(sessions).toHaveCount(1);
  await expect(sessionsSection(page).getByRole('button', { name: 'End all other sessions' })).toHaveCount(0);

  // The other browser finds itself logged out at its next step.
  await otherPage.reload();
  await expect(otherPage).toHaveURL(/\/\?next=\/account$/);
  await other.close();
});

test('"End all other sessions" leaves only this browser', async ({ page, browser, user }) => {
  const others = await Promise.all([browser.newContext(), browser.newContext()]);
  for (const context of others) await logIn(await context.newPage(), user);
  await logIn(page, user);
  await expect(sessionsSection(page).getByTestId('session')).toHaveCount(3);
  await sessionsSection(page).getByRole('button', { name: 'End all other sessions' }).click();
  await expect(sessionsSection(page).getByRole('status')).toHaveText('2 other sessions have ended.');
  await expect(sessionsSection(page).getByTestId('session')).toHaveCount(1);
  for (const context of others) {
    const response = await context.request.get('/api/v1/me');
    expect(response.status()).toBe(401);
    await context.close();
  }
});

test('two minutes before the idle timeout a warning offers to stay logged in', async ({ page, user }) => {
  await page.clock.install();
  await logIn(page, user);
  const warning = page.getByRole('dialog', { name: 'Still there?' });
  await expect(warning).toHaveCount(0);
  // The page's own requests answered first: each answer is activity, and
  // one arriving after the jump below would rightly close the warning.
  await expect(sessionsSection(page).getByTestId('session')).toHaveCount(1);
  await expect(page.getByRole('region', { name: 'Recent security events' }).getByRole('listitem').first()).toBeVisible();

  // 27 minutes without a request: the server counts its minute, the page
  // warns two minutes before that.
  await page.clock.fastForward('27:30');
  await expect(warning).toBeVisible();
  await expect(warning.getByRole('status')).toContainText(/You have not done anything for a while\. .* logged out in \d+ (seconds|minutes)\./);
  await expectNoHorizontalScroll(page);
  await page.screenshot({ path: test.info().outputPath('idle-warning.png') });
  await warning.getByRole('button', { name: 'Stay logged in' }).click();
  await expect(warning).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'My Account' })).toBeVisible();

  // Left alone this time: the page goes to the login form, which leads back.
  await page.clock.fastForward('27:30');
  await expect(warning).toBeVisible();
  await page.clock.fastForward('02:00');
  await expect(page).toHaveURL(/\/\?next=\/account$/);
});

test('a new password in My Account logs the other browsers out; the new one logs in', async ({ page, browser, user }) => {
  const other = await browser.newContext();
  await logIn(await other.newPage(), user);
  await logIn(page, user);

  await page.getByRole('button', { name: 'Change password' }).click();
  const dialog = page.getByRole('dialog', { name: 'Change password' });
  await dialog.getByLabel('Current password').fill(user.password);
  await dialog.getByLabel('New password', { exact: true }).fill('short');
  await dialog.getByLabel('New password again').fill('short');
  await dialog.getByRole('button', { name: 'Change password' }).click();
  await expect(dialog.getByText('A password has at least 8 characters.')).toBeVisible();

  const renewed = `${user.password}-renewed`;
  await dialog.getByLabel('New password', { exact: true }).fill(renewed);
  await dialog.getByLabel('New password again').fill(renewed);
  await expectNoHorizontalScroll(page);
  await dialog.getByRole('button', { name: 'Change password' }).click();
  await expect(dialog.getByRole('status')).toHaveText('Your password has been changed.');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'My Account' })).toBeVisible();

  expect((await other.request.get('/api/v1/me')).status()).toBe(401);
  await other.close();
  await page.getByRole('button', { name: 'Log out' }).click();
  await logIn(page, { ...user, password: renewed });
});
