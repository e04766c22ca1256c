// The service-management portal's request page in Debian's chromium: the REAL portal module bundle
// (forge-app/ui/dist/portal, module jiraServiceManagement:portalRequestDetail) in the playground's portal page,
// driven as the customer: request, (bob approves through the scripting API, as an agent would in Jira),
// elevate, the end-of-window warning arriving in the request's activity with its mention, ask for more time, done.
//
// Screenshots go to tests/artifacts/screenshots/ (git-ignored); with UPDATE_SCREENSHOTS=1 to docs/screenshots/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type FrameLocator, type Page } from 'playwright-core';
import { rawFetch } from '../../playground/forge-runtime/index';
import { startPlayground, type Playground } from '../../playground/server';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = process.env.UPDATE_SCREENSHOTS ? join(ROOT, 'docs', 'screenshots') : join(ROOT, 'tests', 'artifacts', 'screenshots');
const T0 = Math.floor(Date.now() / 60_000) * 60_000;
const WAIT = 15_000;

const tmp = mkdtempSync(join(tmpdir(), 'jit-portal-test-'));
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

const portal = (): FrameLocator => page.frameLocator('[data-testid="portal-frame"]');

async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const file = join(ROOT, 'tests', 'artifacts', `failed-portal-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
    mkdirSync(join(ROOT, 'tests', 'artifacts'), { recursive: true });
    await page?.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    const message = e instanceof Error ? e.message.split('\n').filter(Boolean).slice(0, 4).join(' ') : String(e);
    throw new Error(`step "${name}" failed: ${message}\n  page: ${page?.url()}\n  screenshot: ${file}`, { cause: e });
  }
}

async function grantState(state: string): Promise<void> {
  await portal().getByTestId('grant-state').filter({ hasText: new RegExp(`^${state}$`, 'i') }).waitFor({ timeout: WAIT });
}

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} does not exist: install Debian's chromium with \`bash scripts/setup.sh --browser\` (or set CHROMIUM_PATH)`);
  }
  pg = await startPlayground({ port: 0, dataDir: join(tmp, 'data'), startAt: T0, log: () => undefined });
  browser = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    viewport: { width: 1280, height: 1000 },
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

test('the portal request page renders the grant with its buttons: request, elevate, the warning with its mention, ask for more time, done', async () => {
  const created = await api('/__playground/issues', { summary: 'Org admin to rotate the SAML certificate', reporter: 'alice' });
  const key: string = created.key;

  await step('1. alice requests org admin on the portal', async () => {
    await page.goto(`${pg.url}/portal?as=alice&issue=${key}`);
    await page.getByTestId('portal-summary').filter({ hasText: 'rotate the SAML certificate' }).waitFor();
    await portal().getByTestId('request-form').waitFor();
    await portal().getByTestId('request-target').selectOption('org-admin');
    await portal().getByTestId('request-duration').fill('60');
    await portal().getByTestId('request-justification').fill('Rotate the SAML signing certificate before Friday');
    await portal().getByTestId('request-submit').click();
    await grantState('awaiting approval');
    // The request's activity shows the app's comment asking the approvers, with their mentions.
    const asked = page.getByTestId('portal-comment').filter({ hasText: 'Approval needed from' });
    await asked.waitFor();
    assert.deepEqual(await asked.locator('.mention').evaluateAll((ms) => ms.map((m) => m.getAttribute('data-account-id'))), ['alice', 'bob', 'carol', 'dan']);
    assert.equal(await portal().getByTestId('action-approve').count(), 0, 'the requester gets no Approve button');
  });

  await step('2. bob approves (an agent, through the scripting API); alice elevates on the portal', async () => {
    const approved = await api('/__playground/invoke', { as: 'bob', issueKey: key, fn: 'approve' });
    assert.ok(approved.ok, JSON.stringify(approved));
    await page.reload();
    await portal().getByTestId('action-activate').click();
    await grantState('active');
    await portal().getByTestId('time-remaining').waitFor();
  });

  await step('3. fifty minutes later the warning arrives in the activity, mentioning alice, with the way to ask for more time', async () => {
    await api('/__playground/clock', { advanceSeconds: 50 * 60 });
    const warning = page.getByTestId('portal-comment').filter({ hasText: 'To keep it, use “Ask for more time”' });
    await warning.waitFor();
    assert.deepEqual(await warning.locator('.mention').evaluateAll((ms) => ms.map((m) => m.getAttribute('data-account-id'))), ['alice']);
    // The module follows on its next load: the history shows the warning too.
    await page.reload();
    await portal().locator('[data-testid="timeline-item"][data-event="windowEndWarning"]').waitFor();
    await page.waitForFunction(() => {
      const f = document.querySelector<HTMLIFrameElement>('[data-testid="portal-frame"]');
      const doc = f?.contentDocument;
      return !!doc && Math.abs(f!.getBoundingClientRect().height - Math.max(doc.documentElement.getBoundingClientRect().height, 200)) < 2;
    });
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'portal-request-warning.png'), fullPage: true, animations: 'disabled' });
  });

  await step('4. alice asks for more time, then marks it done; the role is gone', async () => {
    await page.reload();
    await portal().getByTestId('action-requestExtension').click();
    await portal().getByTestId('extension-minutes').fill('30');
    await portal().getByTestId('extension-justification').fill('The new certificate needs a second test sign-in');
    await portal().getByTestId('extension-submit').click();
    await portal().getByTestId('pending-extension').waitFor();
    await portal().getByTestId('action-complete').click();
    const confirm = portal().getByTestId('confirm-complete');
    const completed = portal().getByTestId('grant-state').filter({ hasText: /^completed$/i });
    await confirm.or(completed).first().waitFor();
    if (await confirm.isVisible()) await confirm.click();
    await grantState('completed');
    const state = await api('/__playground/state');
    assert.ok(!state.holders.orgAdmins.includes('alice'), `alice no longer holds org admin: ${state.holders.orgAdmins.join(', ')}`);
    await page.getByTestId('portal-comment').filter({ hasText: /Access removed: .*\(verified\)/ }).waitFor();
  });
});
