// Drives the relay inspector's Deliveries view in headless Debian chromium and checks what a
// user sees of a dead-lettered webhook (durable delivery, docs/delivery.md):
//   1. the Deliveries view lists it, polled, with state "dead", its attempts and last error;
//   2. the state filter keeps it under "Dead-lettered";
//   3. Drop removes it (the edge's queue forgets it) and the row goes away.
// A screenshot goes to --out. Prints one JSON line; exits 1 on failure.
//
//   node deliveries_check.mjs --inspector http://127.0.0.1:4040 --out DIR --delivery ID
//        [--error-text RELAY_WEBHOOK_SIGNATURE_INVALID]   expected in the last error cell
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const inspector = args.inspector;
const out = args.out || '.';
const id = args.delivery;
fs.mkdirSync(out, { recursive: true });
const steps = [];
const step = (name, detail = '') => steps.push({ name, detail });

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-deliveries-chromium-'));
const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1400, height: 860 },
});
let failure = null;
try {
  if (!id) throw new Error('pass --delivery ID');
  const page = browser.pages()[0] || await browser.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(inspector);
  await page.waitForSelector('#live.on', { timeout: 10000 });
  await page.click('#view-deliveries');
  await page.waitForSelector('#deliveries-view:not([hidden])', { timeout: 5000 });
  step('Deliveries view shown');

  const row = page.locator(`tr.dq-row[data-id="${id}"]`);
  await row.waitFor({ timeout: 10000 });
  const state = await row.getAttribute('data-state');
  if (state !== 'dead') throw new Error(`delivery ${id} shows state ${state}, expected dead`);
  const text = await row.innerText();
  if (args['error-text'] && !text.includes(args['error-text'])) {
    throw new Error(`the row does not show "${args['error-text']}": ${text}`);
  }
  step('the dead-lettered delivery is listed with its last error', text.replace(/\s+/g, ' '));
  await page.screenshot({ path: path.join(out, 'deliveries-dead.png') });

  await page.selectOption('#dq-state', 'delivered');
  await row.waitFor({ state: 'detached', timeout: 5000 });
  await page.selectOption('#dq-state', 'dead');
  await row.waitFor({ timeout: 5000 });
  step('the state filter shows it under Dead-lettered only');

  await row.locator('button[data-action="drop"]').click();
  await row.waitFor({ state: 'detached', timeout: 10000 });
  const res = await fetch(`${inspector}/api/deliveries?state=dead`);
  const left = (await res.json()).deliveries.filter((d) => d.id === id);
  if (left.length) throw new Error(`the edge still lists ${id} after Drop`);
  step('Drop removed it from the edge\'s queue');
  await page.screenshot({ path: path.join(out, 'deliveries-after-drop.png') });

  if (consoleErrors.length) throw new Error(`browser console errors: ${consoleErrors.join(' | ')}`);
} catch (e) {
  failure = String(e && e.message ? e.message : e);
} finally {
  await browser.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify({ ok: !failure, failure, steps, out }));
process.exit(failure ? 1 : 0);
