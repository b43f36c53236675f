import { expect, expectAccountPage, openLoginPage, recordApiRequests, submitPassword, test } from './helpers';

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
