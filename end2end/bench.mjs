// The browser half of xtask/bench.sh, against a running release server:
//   node bench.mjs BASE_URL LOGINS_JSON
// For each surface's routes: the bytes of WebAssembly, JS and CSS the page
// needs (raw, gzip and brotli, as the server sends them) and all it loads
// (with what a login page prefetches for the next page), and for each login
// page the time from navigation to an enabled "Log in" button on an emulated
// mid-range phone (CPU 4× slower, 150 ms latency, 1.6 Mbit/s down), the
// median of three fresh loads. LOGINS_JSON maps a route to the
// {username, password} it needs a session of. Prints one line per route:
//   route=/ files=… raw=… gzip=… br=… loaded_files=… loaded_br=… usable_ms=… live_ms=…
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

const bundleFile = /^\/bundle\/[0-9a-f]+\/pkg\/.*\.(wasm|js|css)$/;

/**
 * The bundle files (/bundle/<hash>/pkg/…) a route needs, as its HTML links
 * them (script, wasm, stylesheet, the route's chunks to preload), and all
 * it loads once the network is idle: a login page also fetches the chunks of
 * the page the login leads to, after it is live.
 */
async function bundleOf(route) {
  const context = await browser.newContext();
  const login = logins[route];
  if (login) {
    const answer = await context.request.post(`${base}/api/v1/login`, { data: login });
    if (!answer.ok()) throw new Error(`logging in for ${route}: ${answer.status()}`);
  }
  const page = await context.newPage();
  const loaded = new Set();
  page.on('response', (response) => {
    if (bundleFile.test(new URL(response.url()).pathname)) loaded.add(response.url());
  });
  const html = await (await page.goto(base + route, { waitUntil: 'networkidle' })).text();
  const linked = new Set();
  for (const [, href] of html.matchAll(/href="([^"]+)"/g)) {
    const url = new URL(href, base);
    if (bundleFile.test(url.pathname)) linked.add(url.href);
  }
  // The loader is imported by tessera.js, not linked.
  for (const url of loaded) if (url.endsWith('.js')) linked.add(url);
  await context.close();
  return { linked: [...linked], loaded: [...loaded] };
}

/** Raw, gzip and brotli bytes of `files` together. */
async function sizesOf(files) {
  const sizes = { raw: 0, gzip: 0, br: 0 };
  for (const file of files) {
    sizes.raw += await bytes(file, 'identity');
    sizes.gzip += await bytes(file, 'gzip');
    sizes.br += await bytes(file, 'br');
  }
  return sizes;
}

/**
 * On an emulated phone, the time from navigation to a login form the user
 * can type into and send (the server renders it enabled; until the
 * WebAssembly is live, the browser posts it) and to the live form
 * (`form[data-live]`, the app's own handlers attached), in ms.
 */
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
  await page.waitForFunction(
    () => [...document.querySelectorAll('button')].some((b) => b.textContent.trim() === 'Log in' && !b.disabled),
    null,
    { timeout: 60_000, polling: 20 },
  );
  const usable = Date.now() - start;
  await page.waitForSelector('form[data-live]', { timeout: 60_000 });
  const live = Date.now() - start;
  await context.close();
  return { usable, live };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const route of routes) {
  const { linked, loaded } = await bundleOf(route);
  const sizes = await sizesOf(linked);
  const all = await sizesOf(loaded);
  let line = `route=${route} files=${linked.length} raw=${sizes.raw} gzip=${sizes.gzip} br=${sizes.br}`;
  line += ` loaded_files=${loaded.length} loaded_br=${all.br}`;
  if (loginPages.includes(route)) {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await firstInteraction(route));
    line += ` usable_ms=${median(runs.map((r) => r.usable))} live_ms=${median(runs.map((r) => r.live))}`;
  }
  console.log(line);
}
await browser.close();
