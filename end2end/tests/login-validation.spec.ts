import { createUser, expect, expectAccountPage, openLoginPage, recordApiRequests, submitPassword, test } from './helpers';

test('empty fields get inline messages, without a request', async ({ page }) => {
  await openLoginPage(page);
  const apiRequests = recordApiRequests(page);
  const username = page.getByLabel('Username', { exact: true });
  const password = page.getByLabel('Password', { exact: true });

  await page.getByRole('button', { name: 'Log in', exact: true }).click();

  await expect(page.getByText('Enter your username.')).toBeVisible();
  await expect(page.getByText('Enter your password.')).toBeVisible();
  await expect(username).toHaveAttribute('aria-invalid', 'true');
  await expect(username).toHaveAccessibleDescription(/Enter your username\./);
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(password).toHaveAccessibleDescription('Enter your password.');
  await expect(page).toHaveURL(/\/$/);
  expect(apiRequests()).toEqual([]);

  // A username alone: only the password is still missing.
  await username.fill('someone');
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await expect(page.getByText('Enter your username.')).toBeHidden();
  await expect(username).not.toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Enter your password.')).toBeVisible();
  expect(apiRequests()).toEqual([]);
});

test('a wrong password or an unknown user is refused with one message', async ({ page, user }) => {
  await openLoginPage(page);

  const refused = () => page.waitForResponse((r) => r.url().endsWith('/api/v1/login') && r.status() === 401);

  let answer = refused();
  await submitPassword(page, user, `${user.password}-wrong`);
  await answer;
  await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
  await expect(page).toHaveURL(/\/$/);

  // The same words for a login that does not exist: nothing to tell them apart.
  answer = refused();
  await submitPassword(page, { username: `${user.username}-nobody`, password: user.password });
  await answer;
  await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');

  // And the right password still works after both.
  await submitPassword(page, user);
  await expectAccountPage(page);
});

test('after logging in, the page that was asked for opens; only paths of this site are followed', async ({ page }) => {
  const admin = createUser('next-admin', 'admin');
  await page.goto('/admin');
  await expect(page).toHaveURL(/\/\?next=\/admin$/);
  await submitPassword(page, admin);
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole('heading', { name: 'Admin console', level: 1 })).toBeVisible();

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/$/);
  for (const elsewhere of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
    await page.goto(`/?next=${encodeURIComponent(elsewhere)}`);
    await submitPassword(page, admin);
    await expectAccountPage(page);
    expect(new URL(page.url()).host).toBe(new URL(process.env.TESSERA_E2E_BASE_URL!).host);
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page).toHaveURL(/\/$/);
  }
});
