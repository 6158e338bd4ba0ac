// Drives the relay inspector in headless Debian chromium and checks what a user sees:
//   1. a request sent through the tunnel appears in the list without a reload (SSE);
//   2. its detail shows the body;
//   3. Replay delivers it again;
//   4. Replay with modifications delivers the edited body.
// Screenshots of the list and the detail go to --out. Prints one JSON line; exits 1 on failure.
//
//   node inspector_check.mjs --inspector http://127.0.0.1:4040 --out DIR
//        [--send-url http://web.relay.test:8080/hook]  send the request through the tunnel
//        [--connect 127.0.0.1:8080]                     ...to this address (like curl --resolve)
//        [--app-url http://127.0.0.1:3000]             the test app: GET /__received → [bodies]
// Without --send-url the newest captured request is used; without --app-url deliveries are
// checked through the API (the replay's captured request body).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const inspector = args.inspector;
const out = args.out || '.';
fs.mkdirSync(out, { recursive: true });
const marker = `m${Date.now()}`;
const steps = [];
const step = (name, detail = '') => steps.push({ name, detail });

async function waitFor(check, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function delivered(body) {
  if (args['app-url']) {
    const res = await fetch(`${args['app-url']}/__received`);
    const bodies = await res.json();
    return bodies.filter((b) => b === body).length;
  }
  const res = await fetch(`${inspector}/api/requests/http?limit=100`);
  const list = (await res.json()).requests;
  return list.filter((r) => r.relay.replay && Buffer.from(r.request.body, 'base64').toString() === body).length;
}

// POST through the tunnel; --connect picks the address, the URL's host goes in the Host header.
function send(url, body) {
  const u = new URL(url);
  const [host, port] = args.connect ? args.connect.split(':') : [u.hostname, u.port || '80'];
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), method: 'POST', path: u.pathname + u.search,
      headers: { host: u.host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
    (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error('no answer through the tunnel in 10 s')));
    req.end(body);
  });
}

// Debian's chromium, never a downloaded browser; a fresh profile each run (no state leaks in).
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-inspector-chromium-'));
const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1400, height: 860 },
});
let failure = null;
try {
  const page = browser.pages()[0] || await browser.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(inspector);
  await page.waitForSelector('#live.on', { timeout: 10000 });
  step('page loaded, live stream connected');

  let pathText, body;
  if (args['send-url']) {
    body = JSON.stringify({ event: 'video.publish', marker });
    const url = `${args['send-url']}${args['send-url'].includes('?') ? '&' : '?'}marker=${marker}`;
    const status = await send(url, body);
    step('sent through the tunnel', `${status}`);
    pathText = marker;
  } else {
    const res = await fetch(`${inspector}/api/requests/http?limit=1`);
    const newest = (await res.json()).requests[0];
    if (!newest) throw new Error('no captured request to use (pass --send-url)');
    body = Buffer.from(newest.request.body, 'base64').toString();
    pathText = newest.request.uri;
  }
  const row = page.locator('tr.req-row', { hasText: pathText }).first();
  await row.waitFor({ timeout: 10000 });
  step('request appeared in the list without a reload');
  await page.screenshot({ path: path.join(out, 'inspector-list.png') });

  await row.click();
  const bodyText = JSON.parse(body).marker || JSON.parse(body).event || body;
  await page.locator('#req-body', { hasText: String(bodyText) }).waitFor({ timeout: 5000 });
  step('detail shows the body');
  await page.screenshot({ path: path.join(out, 'inspector-detail.png') });

  const before = await delivered(body);
  await page.click('#btn-replay');
  await waitFor(async () => (await delivered(body)) > before, 'the replay to reach the app');
  await page.locator('tr.req-row .badge.replay').first().waitFor({ timeout: 5000 });
  step('Replay delivered the request again and is marked as a replay');

  await row.click();
  await page.click('#btn-modify');
  await page.waitForSelector('#modify[open]');
  const edited = JSON.stringify({ event: 'video.publish', marker, edited: true });
  await page.fill('#mod-body', edited);
  await page.screenshot({ path: path.join(out, 'inspector-modify.png') });
  await page.click('#mod-send');
  await waitFor(async () => (await delivered(edited)) > 0, 'the edited body to reach the app');
  step('Replay with modifications delivered the edited body');
  await page.screenshot({ path: path.join(out, 'inspector-after-replay.png') });

  if (consoleErrors.length) throw new Error(`browser console errors: ${consoleErrors.join(' | ')}`);
} catch (e) {
  failure = String(e && e.message ? e.message : e);
} finally {
  await browser.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify({ ok: !failure, failure, steps, out }));
process.exit(failure ? 1 : 0);
