// The evidence pack in the playground's page, in Debian's chromium: alice, elevated, creates an API
// key through "Act in the org"; after her grant ends and the clock moves on, the issue page lists
// the pack's CSV and JSON under Attachments (downloadable), the comment is there, and the admin
// page's alerts show the high-risk action.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { rawFetch } from '../../playground/forge-runtime/index';
import { startPlayground, type Playground } from '../../playground/server';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = process.env.UPDATE_SCREENSHOTS ? join(ROOT, 'docs', 'screenshots') : join(ROOT, 'tests', 'artifacts', 'screenshots');
const T0 = Math.floor(Date.now() / 60_000) * 60_000;
const WAIT = 15_000;

const tmp = mkdtempSync(join(tmpdir(), 'jit-browser-evidence-'));
let pg: Playground;
let browser: BrowserContext;
let page: Page;

async function api(path: string, body?: unknown): Promise<any> {
  const r = await rawFetch(`${pg.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  assert.ok(r.ok, `${path}: HTTP ${r.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
async function invoke(as: string, issueKey: string, fn: string, payload: unknown = {}) {
  const a = await api('/__playground/invoke', { as, issueKey, fn, payload });
  assert.ok(a.ok, `${fn} as ${as}: ${JSON.stringify(a)}`);
}

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} does not exist: install Debian's chromium with \`bash scripts/setup.sh --browser\``);
  pg = await startPlayground({ port: 0, dataDir: join(tmp, 'data'), startAt: T0, log: () => undefined });
  browser = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    viewport: { width: 1440, height: 1000 },
    timezoneId: 'UTC',
    locale: 'en-US',
    timeout: 30_000,
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(WAIT);
  page.on('pageerror', (e) => console.error(`[browser] page error: ${e.message}`));
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await pg?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('browser: an elevated person’s org action becomes an evidence pack on the issue page, and a high-risk alert on the admin page', async () => {
  const { key } = await api('/__playground/issues', { summary: 'Org admin to rotate the SAML certificate', reporter: 'alice' });
  await invoke('alice', key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'rotate the SAML certificate' });
  await invoke('bob', key, 'approve');
  await invoke('alice', key, 'activate');

  await page.goto(`${pg.url}/?as=alice&issue=${key}`);
  await page.getByTestId('org-actions').locator('summary').click();
  await page.getByTestId('org-action').selectOption('createApiKey');
  await page.getByTestId('org-action-submit').click();
  await page.getByTestId('toast').filter({ hasText: 'api_key_created' }).waitFor();

  await invoke('alice', key, 'complete');
  await api('/__playground/clock', { advanceSeconds: 15 * 60 });
  await page.reload();
  const files = page.getByTestId('attachment');
  await files.nth(1).waitFor();
  assert.deepEqual((await files.locator('a').allTextContents()).sort(), [`jit-evidence-${key}.csv`, `jit-evidence-${key}.json`]);
  const csvHref = await files.locator('a', { hasText: '.csv' }).getAttribute('href');
  const csv = await (await rawFetch(`${pg.url}${csvHref}`)).text();
  assert.match(csv, /"api_key_created","yes","alice"/);
  await page.getByTestId('comment').filter({ hasText: 'Evidence pack' }).waitFor();
  assert.match((await page.getByTestId('comment').filter({ hasText: 'Evidence pack' }).textContent()) ?? '', /api_key_created × 1/);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, 'playground-evidence-pack.png'), fullPage: true, animations: 'disabled', style: '.toast { display: none !important; }' });

  // The admin page's Drift tab lists the alert.
  await page.goto(`${pg.url}/?as=perm-1&view=admin`);
  const admin = page.frameLocator('[data-testid="admin-frame"]');
  // The policy tab shows the evidence settings with the core's default high-risk actions.
  await admin.getByTestId('policy-evidence').getByText('api_key_created').waitFor();
  await admin.getByTestId('tab-drift').click();
  await admin.getByText('HIGH_RISK_WHILE_ELEVATED').first().waitFor();
});
