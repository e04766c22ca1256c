// The playground through the REAL Custom UI in Debian's chromium (playwright-core): the whole request → approve →
// elevate → extend → done story by clicking in the issue panel iframe, the core's refusals (self-approval, the
// same approver for an extension) both in the panel and through the scripting API, the org view following
// along, a guard-rail policy change proposed by one permanent admin and approved by another on the admin page,
// an expiry by moving the clock with no click at all, and the admin page's Health tab passing, then failing with
// its fix once the playground's fault control swaps in an API key with scopes.
//
// Screenshots go to tests/artifacts/screenshots/ (git-ignored); with UPDATE_SCREENSHOTS=1 they go to
// docs/screenshots/, the committed ones the README shows.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';
import type { Playground } from '../../playground/server';
import { closeBrowser, openBrowser, playgroundApi, runStep, SHOTS, WAIT } from './session';
import { DEMO_ACCOUNTS as A, type DemoAlias } from '../../playground/demo';

// Emulated time starts at the real time: the admin page's Timeline tab asks for holdings in a range computed from
// the BROWSER's clock (forge-app/ui/admin/TimelineTab.tsx), so it shows nothing once the two are far apart.
const T0 = Math.floor(Date.now() / 60_000) * 60_000;
/** How long one UI state may take to appear. Generous: a cold iframe load is ~300 ms here. */

const tmp = mkdtempSync(join(tmpdir(), 'jit-browser-test-'));
let pg: Playground;
let browser: BrowserContext;
let page: Page;

type Answer = { ok: true; data: any } | { ok: false; error: { code: string; message: string } };

const api = (path: string, body?: unknown): Promise<any> => playgroundApi(pg, path, body);
const invoke = (as: string, issueKey: string, fn: string, payload: unknown = {}) => api('/__playground/invoke', { as, issueKey, fn, payload }) as Promise<Answer>;

const panel = (): FrameLocator => page.frameLocator('[data-testid="panel-frame"]');
const admin = (): FrameLocator => page.frameLocator('[data-testid="admin-frame"]');

const step = <T>(name: string, fn: () => Promise<T>): Promise<T> => runStep(page, '', name, fn);

/** Waits for the panel's grant-state lozenge to read `state` (the core's word), and says what it read instead. */
async function grantState(state: string): Promise<void> {
  const lozenge = panel().getByTestId('grant-state');
  try {
    await lozenge.filter({ hasText: new RegExp(`^${state}$`, 'i') }).waitFor({ timeout: WAIT });
  } catch {
    const seen = await lozenge.textContent({ timeout: 1000 }).catch(() => '(no grant-state)');
    throw new Error(`the panel's grant-state is "${seen}", expected "${state}"`);
  }
}

/** Switches "view as" and waits until the panel iframe is showing that user's view. */
async function viewAs(user: DemoAlias): Promise<void> {
  // The picker holds the playground's aliases; the panel's iframe gets the account id.
  await page.getByTestId('view-as').selectOption(user);
  await page.waitForFunction(
    (u) => {
      const frame = document.querySelector<HTMLIFrameElement>('[data-testid="panel-frame"]');
      const doc = frame?.contentDocument;
      return (
        !!doc &&
        doc.readyState === 'complete' &&
        new URLSearchParams(frame!.contentWindow!.location.search).get('as') === u &&
        !!doc.querySelector('[data-testid="grant-state"], [data-testid="request-form"]')
      );
    },
    A[user],
    { timeout: WAIT },
  );
}

async function click(locator: Locator): Promise<void> {
  await locator.click({ timeout: WAIT });
}

/** Saves a screenshot once the iframes have taken their content's height (the shim reports it to the page). */
async function shot(name: string, target: Locator | Page, maxHeight?: number): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.waitForFunction(() =>
    [...document.querySelectorAll<HTMLIFrameElement>('iframe')].every((f) => {
      const doc = f.contentDocument;
      if (!doc || f.closest('[hidden]')) return true;
      const want = Math.max(doc.documentElement.getBoundingClientRect().height, f.id === 'admin-frame' ? 640 : 160);
      return Math.abs(f.getBoundingClientRect().height - want) < 2;
    }),
  );
  const options = { path: join(SHOTS, `${name}.png`), animations: 'disabled' as const, style: '.toast { display: none !important; }' };
  const box = maxHeight && 'boundingBox' in target ? await target.boundingBox() : null;
  if (box && maxHeight && box.height > maxHeight) await page.screenshot({ ...options, fullPage: true, clip: { ...box, height: maxHeight } });
  else await target.screenshot(options);
}

test('the Health tab: every check passes, then a key with scopes fails with its fix', async () => {
  await step('the checks pass on the demo installation', async () => {
    // A sweep and one delivered queue probe first, so nothing is left pending.
    await api('/__playground/sweep', {});
    const first = await api('/__playground/invoke', { as: A['perm-1'], module: 'admin', fn: 'getHealth', payload: {} });
    assert.ok(first.ok, JSON.stringify(first));
    await api('/__playground/clock', { advanceSeconds: 1 });
    await page.goto(`${pg.url}/?as=perm-1&view=admin`);
    await click(admin().getByTestId('tab-health'));
    await click(admin().getByTestId('health-run'));
    await admin().getByTestId('health-overall').filter({ hasText: /^ok$/ }).waitFor();
    const rows = admin().getByTestId('health-row');
    assert.ok((await rows.count()) >= 9, 'one row per check');
    assert.equal(await admin().locator('[data-testid="health-row"]:not([data-status="ok"])').count(), 0);
    await shot('admin-health', page.getByTestId('admin-frame'), 1300);
  });

  await step('the fault control swaps in a key with scopes: the API key check fails and says how to fix it', async () => {
    await page.getByTestId('health-fault').selectOption('key:scoped');
    for (let i = 0; i < 100 && (await api('/__playground/faults')).health.key !== 'scoped'; i++) await new Promise((r) => setTimeout(r, 50));
    await click(admin().getByTestId('health-run'));
    const key = admin().locator('[data-testid="health-row"][data-check="apiKey"][data-code="KEY_SCOPED"]');
    await key.waitFor();
    assert.equal(await key.getAttribute('data-status'), 'failed');
    assert.match((await key.getByTestId('health-fix').textContent()) ?? '', /API key WITHOUT scopes/);
    await admin().getByTestId('health-overall').filter({ hasText: /^failed$/ }).waitFor();
    await admin().locator('[data-testid="health-row"][data-check="directory"][data-code="BLOCKED_BY_KEY"]').waitFor();
    await shot('admin-health-scoped-key', page.getByTestId('admin-frame'), 1300);
  });

  await step('mended from the same control, the check passes again', async () => {
    await page.getByTestId('health-fault').selectOption('off');
    for (let i = 0; i < 100 && (await api('/__playground/faults')).health.key !== 'ok'; i++) await new Promise((r) => setTimeout(r, 50));
    await click(admin().getByTestId('health-run'));
    await admin().locator('[data-testid="health-row"][data-check="apiKey"][data-code="KEY_OK"]').waitFor();
  });
});

const orgHolder = (target: string, accountId: string) => page.getByTestId(`org-holder-${target}-${accountId}`);

before(async () => {
  ({ pg, browser, page } = await openBrowser(tmp, T0, 1440));
});

after(() => closeBrowser({ pg, browser }, tmp));

test('request → self-approval refused → approve → elevate → extension (same approver refused) → done, through the real panel', async () => {
  const key = 'JIT-1'; // the example request issue of a fresh playground, reported by alice

  await step('1. alice requests org admin for 1 h', async () => {
    await page.goto(`${pg.url}/?as=alice&issue=${key}`);
    await panel().getByTestId('request-form').waitFor();
    await panel().getByTestId('request-target').selectOption('org-admin');
    await panel().getByTestId('request-duration').fill('60');
    await panel().getByTestId('request-justification').fill('Rotate the SAML signing certificate before it expires on Friday');
    await shot('panel-request-form', page.getByTestId('panel-frame'));
    await click(panel().getByTestId('request-submit'));
    await grantState('awaiting approval');
  });

  await step('2. alice cannot approve her own request', async () => {
    const refused = await invoke(A.alice, key, 'approve');
    assert.equal(refused.ok, false, 'the core must refuse self-approval');
    assert.equal(!refused.ok && refused.error.code, 'SELF_APPROVAL');
    // The panel as alice offers her own actions (cancel) but no Approve.
    await panel().getByTestId('action-cancel').waitFor();
    assert.equal(await panel().getByTestId('action-approve').count(), 0, 'alice sees no Approve button');
    const why = panel().locator('details.why-not');
    await why.locator('summary').click();
    assert.match((await why.textContent()) ?? '', /SELF_APPROVAL/);
    await shot('panel-requested-as-requester', page.getByTestId('panel-frame'));
  });

  await step('3. bob approves in the panel', async () => {
    await viewAs('bob');
    await panel().getByTestId('action-approve').waitFor();
    await shot('panel-approver-view', page.getByTestId('panel-frame'));
    await click(panel().getByTestId('action-approve'));
    await grantState('approved');
  });

  await step('4. alice elevates, and the org view shows her as org admin', async () => {
    await viewAs('alice');
    await click(panel().getByTestId('action-activate'));
    await grantState('active');
    await panel().getByTestId('time-remaining').waitFor();
    // Explained by the core: alice holds it through the grant on JIT-1.
    await orgHolder('org-admin', A.alice).filter({ hasText: /JIT · JIT-1/ }).waitFor();
    await shot('panel-active', page.getByTestId('panel-frame'));
    await shot('playground-issue-page', page);
  });

  await step('5a. alice asks for 30 more minutes', async () => {
    await click(panel().getByTestId('action-requestExtension'));
    await panel().getByTestId('extension-minutes').fill('30');
    await panel().getByTestId('extension-justification').fill('The new certificate needs a second test sign-in');
    await click(panel().getByTestId('extension-submit'));
    await panel().getByTestId('pending-extension').waitFor();
  });

  await step('5b. bob, who approved the request, cannot approve the extension', async () => {
    await viewAs('bob');
    await panel().getByTestId('pending-extension').waitFor();
    await panel().getByTestId('action-rejectExtension').waitFor(); // bob's actions are rendered …
    assert.equal(await panel().getByTestId('action-approveExtension').count(), 0, '… and Approve extension is not among them');
    const why = panel().locator('details.why-not');
    await why.locator('summary').click();
    const reasons = (await why.textContent()) ?? '';
    assert.match(reasons, /Approve extension:.*SAME_APPROVER/s, `the panel explains why: ${reasons}`);
    const refused = await invoke(A.bob, key, 'approveExtension');
    assert.equal(!refused.ok && refused.error.code, 'SAME_APPROVER');
    await shot('panel-extension-same-approver', page.getByTestId('panel-frame'));
  });

  await step('5c. carol approves the extension', async () => {
    await viewAs('carol');
    await click(panel().getByTestId('action-approveExtension'));
    await panel().getByTestId('pending-extension').waitFor({ state: 'detached' });
    const view = await invoke(A.carol, key, 'getView');
    assert.ok(view.ok);
    const w = view.data.view.grant.grant.window;
    assert.equal((Date.parse(w.end) - Date.parse(w.start)) / 60_000, 90, 'the window grew by 30 minutes');
  });

  await step('6. alice is done, and the org view shows the role gone', async () => {
    await viewAs('alice');
    await click(panel().getByTestId('action-complete'));
    const confirm = panel().getByTestId('confirm-complete');
    const completed = panel().getByTestId('grant-state').filter({ hasText: /^completed$/i });
    await confirm.or(completed).first().waitFor();
    if (await confirm.isVisible()) await click(confirm);
    await grantState('completed');
    await orgHolder('org-admin', A.alice).waitFor({ state: 'detached' });
    const events = await panel().getByTestId('timeline-item').evaluateAll((items) => items.map((i) => i.getAttribute('data-event')));
    for (const e of ['submitRequest', 'approve', 'activate', 'accessGranted', 'requestExtension', 'approveExtension', 'complete', 'accessRevoked']) {
      assert.ok(events.includes(e), `the timeline shows ${e}: ${events.join(', ')}`);
    }
    await shot('panel-completed', page.getByTestId('panel-frame'));
  });

  await step('the admin page: policy, audit with verification, timeline', async () => {
    // A sweep first, so the timeline also shows standing access (the permanent admins).
    await api('/__playground/sweep', {});
    await page.goto(`${pg.url}/?as=perm-1&view=admin`);
    await admin().getByTestId('policy-target').first().waitFor();
    await shot('admin-policy', page.getByTestId('admin-frame'), 1300);
    await click(admin().getByTestId('tab-audit'));
    await admin().locator('[data-testid="audit-verification"][data-valid="true"]').waitFor();
    await admin().getByTestId('audit-row').first().waitFor();
    await shot('admin-audit', page.getByTestId('admin-frame'));
    await click(admin().getByTestId('tab-timeline'));
    await click(admin().getByTestId('timeline-range-24h'));
    await admin().getByTestId('timeline-bar').first().waitFor();
    await admin().locator('[data-testid="timeline-bar"][data-kind="permanent"]').first().waitFor();
    await shot('admin-timeline', page.getByTestId('admin-frame'));
  });

  await step('the drift tab names the group through which someone holds org admin', async () => {
    pg.app.org.seed({ groups: [{ id: 'legacy-org-admins', name: 'org-admins-legacy', members: [A.mallory], roles: [{ role: 'atlassian/org-admin' }] }] });
    await api('/__playground/sweep', {});
    await page.goto(`${pg.url}/?as=perm-1&view=admin`);
    await click(admin().getByTestId('tab-drift'));
    const row = admin().getByTestId('drift-row').filter({ hasText: 'Mallory Outsider' });
    await row.getByTestId('drift-group').filter({ hasText: 'org-admins-legacy' }).waitFor();
    assert.match(await row.innerText(), /reportGroup/);
    await admin().getByTestId('holders-via-group').filter({ hasText: 'org-admins-legacy' }).waitFor();
  });

  await step('the admin page: perm-1 proposes a guard-rail change, and it is not in force', async () => {
    await page.goto(`${pg.url}/?as=perm-1&view=admin`);
    await admin().getByTestId('policy-target').first().waitFor();
    await admin().locator('[data-path="driftMode"]').selectOption('enforce');
    await admin().getByTestId('policy-check-state').filter({ hasText: /^No problems$/ }).waitFor();
    await click(admin().getByTestId('policy-save'));
    await admin().getByTestId('policy-status').filter({ hasText: /Proposed/ }).waitFor();
    const card = admin().getByTestId('pending-change');
    await card.waitFor();
    await admin().locator('[data-testid="pending-diff-row"][data-path="driftMode"][data-guard-rail="true"]').waitFor();
    // People by name (the account ids stay in the tooltips): the other two permanent admins may approve.
    await admin().getByTestId('pending-approvers').filter({ hasText: /Priya Permanent.*Paulo Permanent/ }).waitFor();
    // The proposer gets Withdraw, not Approve.
    await admin().getByTestId('pending-withdraw').waitFor();
    assert.equal(await admin().getByTestId('pending-approve').count(), 0, 'perm-1 sees no Approve button on their own change');
    const policy = await api('/__playground/invoke', { as: A['perm-1'], module: 'admin', fn: 'getPolicy', payload: {} });
    assert.equal(policy.data.policy.driftMode, 'report', 'the change is not in force yet');
    await shot('admin-policy-change-proposed', page.getByTestId('admin-frame'), 1300);
  });

  await step('the admin page: perm-2 sees the change with its diff and approves it', async () => {
    await page.goto(`${pg.url}/?as=perm-2&view=admin`);
    await admin().getByTestId('pending-change').waitFor();
    assert.equal(await admin().getByTestId('pending-withdraw').count(), 0, 'perm-2 may not withdraw perm-1’s change');
    await click(admin().getByTestId('pending-approve'));
    await admin().getByTestId('pending-change').waitFor({ state: 'detached' });
    await admin().getByTestId('policy-approved-by').filter({ hasText: /Pat Permanent.*Priya Permanent/ }).waitFor();
    assert.equal(await admin().locator('[data-path="driftMode"]').inputValue(), 'enforce');
    const policy = await api('/__playground/invoke', { as: A['perm-2'], module: 'admin', fn: 'getPolicy', payload: {} });
    assert.equal(policy.data.policy.driftMode, 'enforce');
    assert.equal(policy.data.approvedBy, A['perm-2']);
    await shot('admin-policy-change-approved', page.getByTestId('admin-frame'), 1300);
  });

  await step('the policy editor picks an approver by name, not by account id', async () => {
    await page.goto(`${pg.url}/?as=perm-1&view=admin`);
    const input = admin().getByTestId('picker-input-targets[0].approvers.accountIds');
    await input.waitFor();
    // The chips already show names and avatars.
    await admin().locator(`[data-testid="picker-chip"][data-id="${A.bob}"]`).filter({ hasText: 'Bob Approver' }).first().waitFor();
    await input.fill('jade');
    const option = admin().getByTestId('picker-option').filter({ hasText: 'Jade Jira-Admin' });
    await option.waitFor();
    await shot('admin-policy-picker', admin().getByTestId('policy-target').first());
    await option.click();
    await admin().locator(`[data-testid="picker-chip"][data-id="${A.jade}"]`).filter({ hasText: 'Jade Jira-Admin' }).waitFor();
    await admin().getByTestId('policy-check-state').filter({ hasText: /^No problems$/ }).waitFor();
    await click(admin().getByTestId('policy-save'));
    // Approvers are a guard rail: proposed, then approved by another permanent admin.
    await admin().getByTestId('policy-status').filter({ hasText: /Proposed/ }).waitFor();
    const proposed = await api('/__playground/invoke', { as: A['perm-1'], module: 'admin', fn: 'getPolicy', payload: {} });
    const approved = await api('/__playground/invoke', { as: A['perm-2'], module: 'admin', fn: 'approvePolicyChange', payload: { changeId: proposed.data.pendingChange.id } });
    assert.ok(approved.ok, JSON.stringify(approved));
    assert.ok(approved.data.policy.targets[0].approvers.accountIds.includes(A.jade), 'the id is what the policy stores');
  });

  await step('the eligibility review lists who may request and approve, with their last use, exports CSV and removes one right', async () => {
    await page.goto(`${pg.url}/?as=perm-1&view=admin`);
    await click(admin().getByTestId('tab-review'));
    const bob = admin().locator(`[data-testid="review-row"][data-target="org-admin"][data-role="approver"][data-id="${A.bob}"]`);
    await bob.filter({ hasText: 'Bob Approver' }).waitFor();
    assert.match(await bob.innerText(), /JIT-1/, 'bob last approved on JIT-1');
    await admin().getByTestId('review-summary').waitFor();
    await shot('admin-review', page.getByTestId('admin-frame'), 1300);
    const [file] = await Promise.all([page.waitForEvent('download'), click(admin().getByTestId('review-export'))]);
    assert.match(file.suggestedFilename(), /^jit-admin-eligibility-.*\.csv$/);
    const csv = await readFile((await file.path())!, 'utf8');
    assert.match(csv.split('\r\n')[0]!, /^target,targetLabel,role,principalType,principalId,name,/);
    assert.ok(csv.includes(`org-admin,Organization admin,approver,account,${A.bob},Bob Approver,`), csv);
    // erin may request site admin: not a guard rail, so removing it applies at once.
    const erin = admin().locator(`[data-testid="review-row"][data-target="site-admin"][data-role="requester"][data-id="${A.erin}"]`);
    await click(erin.getByTestId('review-remove'));
    await click(erin.getByTestId('review-remove-confirm'));
    await erin.waitFor({ state: 'detached' });
    const policy = await api('/__playground/invoke', { as: A['perm-1'], module: 'admin', fn: 'getPolicy', payload: {} });
    assert.deepEqual(policy.data.policy.targets[1].requesters.accountIds, [A.alice]);
  });
});

test('moving the clock past the window revokes the role with no click', async () => {
  const { key } = await api('/__playground/issues', { summary: 'Org admin to review the audit log retention', reporter: A.alice });

  await step('set up an active one-hour grant through the scripting API', async () => {
    for (const [as, fn, payload] of [
      [A.alice, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'Review the audit log retention settings' }],
      [A.dan, 'approve', {}],
      [A.alice, 'activate', {}],
    ] as const) {
      const a = await invoke(as, key, fn, payload);
      assert.ok(a.ok, `${as} ${fn}: ${!a.ok ? a.error.code : ''}`);
    }
    await page.goto(`${pg.url}/?as=alice&issue=${key}`);
    await grantState('active');
    await orgHolder('org-admin', A.alice).waitFor();
  });

  await step('advance the clock 61 minutes: the window ends, the app revokes, the page follows', async () => {
    const before = await api('/__playground/clock');
    const moved = await api('/__playground/clock', { advanceSeconds: 61 * 60 });
    assert.ok(moved.nowMs >= before.nowMs + 61 * 60_000);
    const state = await api('/__playground/state');
    assert.ok(!state.holders.orgAdmins.includes(A.alice), `alice no longer holds org admin: ${state.holders.orgAdmins.join(', ')}`);
    await orgHolder('org-admin', A.alice).waitFor({ state: 'detached' });
    // The host page sees the grant move on without the panel and reloads it: no click.
    await grantState('expired');
    await panel().getByTestId('access-state').filter({ hasText: /revoked/ }).waitFor();
    await shot('panel-expired', page.getByTestId('panel-frame'));
  });
});
