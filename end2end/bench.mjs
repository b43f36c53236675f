// The browser half of xtask/bench.sh, against a running release server:
//   node bench.mjs BASE_URL LOGINS_JSON
// For each surface's routes: the bytes of WebAssembly, JS and CSS the page
// loads (raw, gzip and brotli, as the server sends them), and for each login
// page the time from navigation to an enabled "Log in" button on an emulated
// mid-range phone (CPU 4× slower, 150 ms latency, 1.6 Mbit/s down), the
// median of three fresh loads. LOGINS_JSON maps a route to the
// {username, password} it needs a session of. Prints one line per route:
//   route=/ raw=… gzip=… br=… first_ms=…
import http from 'node:http';
import { chromium } from '@playwright/test';
import { chromium as launchOptions } from './chromium.mjs';

const [base, loginsJson] = process.argv.slice(2);
const logins = JSON.parse(loginsJson ?? '{}');
const loginPages = ['/', '/webmail', '/user-panel'];
const routes = [...loginPages, '/account', '/packages', '/admin', '/webmail/inbox', '/user-panel/home'];

const browser = await chromium.launch(launchOptions);

/** The bytes `url` takes on the wire with this Accept-Encoding. */
function bytes(url, encoding) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { 'Accept-Encoding': encoding } }, (res) => {
        let n = 0;
        res.on('data', (chunk) => (n += chunk.length));
        res.on('end', () => resolve(n));
      })
      .on('error', reject);
  });
}

/** The /pkg files a route loads, once the app is live. */
async function bundleOf(route) {
  const context = await browser.newContext();
  const login = logins[route];
  if (login) {
    const answer = await context.request.post(`${base}/api/v1/login`, { data: login });
    if (!answer.ok()) throw new Error(`logging in for ${route}: ${answer.status()}`);
  }
  const page = await context.newPage();
  const files = new Set();
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (/^\/pkg\/.*\.(wasm|js|css)$/.test(path)) files.add(response.url());
  });
  await page.goto(base + route, { waitUntil: 'networkidle' });
  await context.close();
  return [...files];
}

async function firstInteraction(route) {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: (1.6e6 / 8),
    uploadThroughput: (750e3 / 8),
  });
  const start = Date.now();
  await page.goto(base + route, { waitUntil: 'commit' });
  await page.getByRole('button', { name: 'Log in', exact: true }).waitFor({ state: 'visible', timeout: 60_000 });
  await page.waitForFunction(
    () => [...document.querySelectorAll('button')].some((b) => b.textContent.trim() === 'Log in' && !b.disabled),
    null,
    { timeout: 60_000, polling: 20 },
  );
  const elapsed = Date.now() - start;
  await context.close();
  return elapsed;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const route of routes) {
  const files = await bundleOf(route);
  const sizes = { raw: 0, gzip: 0, br: 0 };
  for (const file of files) {
    sizes.raw += await bytes(file, 'identity');
    sizes.gzip += await bytes(file, 'gzip');
    sizes.br += await bytes(file, 'br');
  }
  let line = `route=${route} files=${files.length} raw=${sizes.raw} gzip=${sizes.gzip} br=${sizes.br}`;
  if (loginPages.includes(route)) {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await firstInteraction(route));
    line += ` first_ms=${median(runs)}`;
  }
  console.log(line);
}
await browser.close();
