import { defineConfig, devices } from '@playwright/test';
import { chromium } from './chromium.mjs';

export default defineConfig({
  testDir: './tests',
  // Starts `tessera serve` on a free port with a fresh SQLite database and
  // stops it when the run ends (see global-setup.ts).
  globalSetup: './global-setup.ts',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: 'list',
  // The lifecycle test waits for up to two fresh 30-second TOTP steps.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    acceptDownloads: true,
  },
  projects: [
    {
      name: 'desktop',
      use: {
        ...devices['Desktop Chrome'],
        viewport: { width: 1280, height: 800 },
        launchOptions: chromium,
      },
    },
    {
      name: 'phone',
      use: {
        ...devices['Pixel 5'],
        viewport: { width: 360, height: devices['Pixel 5'].viewport.height },
        isMobile: true,
        hasTouch: true,
        launchOptions: chromium,
      },
    },
  ],
});
