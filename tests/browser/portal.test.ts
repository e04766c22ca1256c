// The service-management portal's request page in Debian's chromium: the REAL portal module bundle
// (forge-app/ui/dist/portal, module jiraServiceManagement:portalRequestDetail) in the playground's portal page,
// driven as the customer: request, (bob approves through the scripting API, as an agent would in Jira),
// elevate, the end-of-window warning arriving in the request's activity with its mention, ask for more time, done.
//
// Screenshots go to tests/artifacts/screenshots/ (git-ignored); with UPDATE_SCREENSHOTS=1 to docs/screenshots/.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type BrowserContext, type FrameLocator, type Page } from 'playwright-core';
import type { Playground } from '../../playground/server';
import { closeBrowser, openBrowser, playgroundApi, runStep, SHOTS, WAIT } from './session';
import { DEMO_ACCOUNTS as A } from '../../playground/demo';

const T0 = Math.floor(Date.now() / 60_000) * 60_000;

const tmp = mkdtempSync(join(tmpdir(), 'jit-portal-test-'));
let pg: Playground;
let browser: BrowserContext;
let page: Page;

const api = (path: string, body?: unknown): Promise<any> => playgroundApi(pg, path, body);

const portal = (): FrameLocator => page.frameLocator('[data-testid="portal-frame"]');

const step = <T>(name: string, fn: () => Promise<T>): Promise<T> => runStep(page, 'portal-', name, fn);

async function grantState(state: string): Promise<void> {
  await portal().getByTestId('grant-state').filter({ hasText: new RegExp(`^${state}$`, 'i') }).waitFor({ timeout: WAIT });
}

before(async () => {
  ({ pg, browser, page } = await openBrowser(tmp, T0, 1280));
});

after(() => closeBrowser({ pg, browser }, tmp));

test('the portal request page renders the grant with its buttons: request, elevate, the warning with its mention, ask for more time, done', async () => {
  const created = await api('/__playground/issues', { summary: 'Org admin to rotate the SAML certificate', reporter: A.alice });
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
    assert.deepEqual(await asked.locator('.mention').evaluateAll((ms) => ms.map((m) => m.getAttribute('data-account-id'))), [A.alice, A.bob, A.carol, A.dan]);
    assert.equal(await portal().getByTestId('action-approve').count(), 0, 'the requester gets no Approve button');
  });

  await step('2. bob approves (an agent, through the scripting API); alice elevates on the portal', async () => {
    const approved = await api('/__playground/invoke', { as: A.bob, issueKey: key, fn: 'approve' });
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
    assert.deepEqual(await warning.locator('.mention').evaluateAll((ms) => ms.map((m) => m.getAttribute('data-account-id'))), [A.alice]);
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
    assert.ok(!state.holders.orgAdmins.includes(A.alice), `alice no longer holds org admin: ${state.holders.orgAdmins.join(', ')}`);
    await page.getByTestId('portal-comment').filter({ hasText: /Access removed: .*\(verified\)/ }).waitFor();
  });
});
