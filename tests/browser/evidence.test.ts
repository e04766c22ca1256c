// The evidence pack in the playground's page, in Debian's chromium: alice, elevated, creates an API
// key through "Act in the org"; after her grant ends and the clock moves on, the issue page lists
// the pack's CSV and JSON under Attachments (downloadable), the comment is there, and the admin
// page's alerts show the high-risk action.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type BrowserContext, type Page } from 'playwright-core';
import { rawFetch } from '../../playground/forge-runtime/index';
import type { Playground } from '../../playground/server';
import { closeBrowser, openBrowser, playgroundApi, SHOTS, WAIT } from './session';
import { DEMO_ACCOUNTS as A } from '../../playground/demo';

const T0 = Math.floor(Date.now() / 60_000) * 60_000;

const tmp = mkdtempSync(join(tmpdir(), 'jit-browser-evidence-'));
let pg: Playground;
let browser: BrowserContext;
let page: Page;

const api = (path: string, body?: unknown): Promise<any> => playgroundApi(pg, path, body);
async function invoke(as: string, issueKey: string, fn: string, payload: unknown = {}) {
  const a = await api('/__playground/invoke', { as, issueKey, fn, payload });
  assert.ok(a.ok, `${fn} as ${as}: ${JSON.stringify(a)}`);
}

before(async () => {
  ({ pg, browser, page } = await openBrowser(tmp, T0, 1440));
});

after(() => closeBrowser({ pg, browser }, tmp));

test('browser: an elevated person’s org action becomes an evidence pack on the issue page, and a high-risk alert on the admin page', async () => {
  const { key } = await api('/__playground/issues', { summary: 'Org admin to rotate the SAML certificate', reporter: A.alice });
  await invoke(A.alice, key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'rotate the SAML certificate' });
  await invoke(A.bob, key, 'approve');
  await invoke(A.alice, key, 'activate');

  await page.goto(`${pg.url}/?as=alice&issue=${key}`);
  await page.getByTestId('org-actions').locator('summary').click();
  await page.getByTestId('org-action').selectOption('createApiKey');
  await page.getByTestId('org-action-submit').click();
  await page.getByTestId('toast').filter({ hasText: 'api_key_created' }).waitFor();

  await invoke(A.alice, key, 'complete');
  await api('/__playground/clock', { advanceSeconds: 15 * 60 });
  await page.reload();
  const files = page.getByTestId('attachment');
  await files.nth(1).waitFor();
  assert.deepEqual((await files.locator('a').allTextContents()).sort(), [`jit-evidence-${key}.csv`, `jit-evidence-${key}.json`]);
  const csvHref = await files.locator('a', { hasText: '.csv' }).getAttribute('href');
  const csv = await (await rawFetch(`${pg.url}${csvHref}`)).text();
  assert.ok(csv.includes(`"api_key_created","yes","${A.alice}"`), csv);
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
