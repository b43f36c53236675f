// The split bundle (ARCHITECTURE.md, "The browser bundle"): a page fetches
// its own chunks, not every page's; the login page prefetches My Account's
// once it is live, so logging in downloads no code.

import type { Page } from '@playwright/test';
import { expect, expectAccountPage, openLoginPage, submitPassword, test } from './helpers';

/**
 * The names of the wasm files (main module, chunks) the page has fetched, as
 * they arrived, and how many it is still waiting for.
 */
function recordWasm(page: Page): { done: () => string[]; pending: () => number } {
  const name = (url: string) => new URL(url).pathname.match(/^\/bundle\/[0-9a-f]{16}\/pkg\/([^/]+\.wasm)$/)?.[1];
  const done: string[] = [];
  let pending = 0;
  page.on('request', (request) => {
    if (name(request.url())) pending += 1;
  });
  for (const event of ['requestfinished', 'requestfailed'] as const) {
    page.on(event, (request) => {
      const file = name(request.url());
      if (!file) return;
      pending -= 1;
      if (event === 'requestfinished') done.push(file);
    });
  }
  return { done: () => [...done], pending: () => pending };
}

const route = (view: string) => (name: string) => name.startsWith(`split___${view}_view_`);

test('the login page fetches its own chunks and My Account’s, then logging in fetches none', async ({ page, user }) => {
  const wasm = recordWasm(page);
  await openLoginPage(page);
  // The loader asks for a chunk and its dependencies at once: once the
  // account chunk is in and nothing is pending, the prefetch is complete.
  await expect.poll(() => wasm.done().filter(route('account')).length === 1 && wasm.pending() === 0).toBe(true);
  const before = wasm.done();
  expect(before.filter(route('login'))).toHaveLength(1);
  for (const other of ['admin', 'packages', 'webmail_account', 'user_panel_home']) {
    expect(before.filter(route(other)), other).toEqual([]);
  }

  await submitPassword(page, user);
  await expectAccountPage(page);
  expect(wasm.done()).toEqual(before);
});
