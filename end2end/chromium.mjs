// Debian's Chromium, for the suite (playwright.config.ts) and xtask/bench.sh
// (bench.mjs): nothing here downloads a browser.
export const chromium = {
  executablePath: process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
};
