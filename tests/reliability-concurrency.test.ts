/**
 * Concurrency: the same approval, click or post-function arriving 50 times at once changes the
 * grant once, writes one audit record, and makes no more org-API calls than one delivery would;
 * and a duplicated click still in flight can't bring access back after the grant is revoked.
 * Every figure is printed; the org-API counts come from the emulator's request log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoPolicy, type LocalApp } from '../playground/local-app';
import { dispatch } from '../forge-app/src/handlers/dispatch';
import type { Ports } from '../forge-app/src/ports';
import { answer, demoApp, orgAdmins } from './support/app';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

const N = 50;

type App = Awaited<ReturnType<typeof demoApp>>;

async function request(app: LocalApp, who: string) {
  const issue = app.createIssue(`Org admin for ${who}`, who);
  const r = answer(await app.panel(who, issue.key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'rotate the SAML certificate' }));
  assert.ok(r.ok, `submit: ${JSON.stringify(r)}`);
  return issue.key;
}

async function view(app: LocalApp, who: string, key: string) {
  const v = answer(await app.panel(who, key, 'getView'));
  assert.ok(v.ok);
  return { grant: v.data.view.grant.grant, timeline: v.data.timeline as Array<{ event: string; outcome: string }> };
}

const count = (timeline: Array<{ event: string; outcome: string }>, event: string) => timeline.filter((r) => r.event === event && r.outcome === 'accepted').length;

/** Org-API calls since the log was cleared, by route. */
function calls(app: LocalApp): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of app.org.requestLog()) out[e.route] = (out[e.route] ?? 0) + 1;
  return out;
}
const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);

async function twoGrants(app: App) {
  // One grant each for alice and erin: 50 deliveries go to one, a single delivery to the other.
  return { alice: await request(app, A.alice), erin: await request(app, A.erin) };
}

test(`${N} parallel approvals through the panel, and ${N} duplicated post-function deliveries, each approve once`, async () => {
  const app = await demoApp();
  try {
    const { alice, erin } = await twoGrants(app);
    for (const [key, via] of [
      [alice, 'panel'],
      [erin, 'post-function'],
    ] as const) {
      const before = await view(app, A.bob, key);
      const commentsBefore = app.jira.comments(key).length;
      app.org.clearRequestLog();
      const results =
        via === 'panel'
          ? (await Promise.all(Array.from({ length: N }, () => app.panel(A.bob, key, 'approve')))).map(answer)
          : await Promise.all(Array.from({ length: N }, () => app.deliverPostFunction(A.bob, key, 'approve')));
      const after = await view(app, A.bob, key);
      const comments = app.jira.comments(key).slice(commentsBefore).map((c) => c.text);
      console.log(
        `approve x${N} via ${via}: ${via === 'panel' ? `${(results as Array<{ ok: boolean }>).filter((r) => r.ok).length} answered ok, ` : ''}grant version ${before.grant.version} → ${after.grant.version}, approvals ${after.grant.approvals.length}, approve records ${count(after.timeline, 'approve')}, comments ${comments.length}, org-API calls ${total(calls(app))}`,
      );
      assert.equal(after.grant.status, 'approved');
      assert.equal(after.grant.approvals.length, 1, 'one approval');
      assert.equal(after.grant.version, before.grant.version + 1, 'one state change');
      assert.equal(count(after.timeline, 'approve'), 1, 'one audit record');
      assert.equal(after.timeline.filter((r) => r.outcome === 'refused').length, 0, 'duplicates are not refusals');
      assert.equal(comments.length, 1, `one comment: ${JSON.stringify(comments)}`);
      assert.equal(total(calls(app)), 0, 'an approval makes no org-API call');
    }
  } finally {
    await app.close();
  }
});

test(`${N} parallel "Elevate now" clicks grant once, with one assign call`, async () => {
  const app = await demoApp();
  try {
    const { alice, erin } = await twoGrants(app);
    for (const key of [alice, erin]) assert.ok(answer(await app.panel(A.bob, key, 'approve')).ok);

    app.org.clearRequestLog();
    assert.ok(answer(await app.panel(A.erin, erin, 'activate')).ok);
    const baseline = calls(app);

    app.org.clearRequestLog();
    const results = (await Promise.all(Array.from({ length: N }, () => app.panel(A.alice, alice, 'activate')))).map(answer);
    const used = calls(app);
    const after = await view(app, A.alice, alice);
    console.log(
      `activate x${N}: ${results.filter((r) => r.ok).length} answered ok, activate records ${count(after.timeline, 'activate')}, accessGranted records ${count(after.timeline, 'accessGranted')}, org-API calls ${total(used)} ${JSON.stringify(used)} (one click: ${total(baseline)} ${JSON.stringify(baseline)})`,
    );
    assert.equal(after.grant.provisioning.state, 'granted');
    assert.ok(orgAdmins(app).includes(A.alice));
    assert.equal(count(after.timeline, 'activate'), 1, 'one activate record');
    assert.equal(count(after.timeline, 'accessGranted'), 1, 'one accessGranted record');
    assert.equal(used.assignOrgRole ?? 0, 1, `one assign call, as for one click (${used.assignOrgRole} made)`);
    assert.ok(total(used) <= total(baseline), `no more org-API calls than one click (${total(used)} > ${total(baseline)})`);
  } finally {
    await app.close();
  }
});

test(`${N} parallel "Done" clicks revoke once, with one revoke call and one read-back`, async () => {
  const app = await demoApp();
  try {
    const { alice, erin } = await twoGrants(app);
    // The baseline first, in the same org state alice's clicks will find (perm-1..3 and one grantee).
    assert.ok(answer(await app.panel(A.bob, erin, 'approve')).ok);
    assert.ok(answer(await app.panel(A.erin, erin, 'activate')).ok);
    app.org.clearRequestLog();
    assert.ok(answer(await app.panel(A.erin, erin, 'complete')).ok);
    const baseline = calls(app);
    assert.equal((await view(app, A.erin, erin)).grant.provisioning.state, 'revoked');

    assert.ok(answer(await app.panel(A.bob, alice, 'approve')).ok);
    assert.ok(answer(await app.panel(A.alice, alice, 'activate')).ok);
    app.org.clearRequestLog();
    const results = (await Promise.all(Array.from({ length: N }, () => app.panel(A.alice, alice, 'complete')))).map(answer);
    const used = calls(app);
    const after = await view(app, A.alice, alice);
    console.log(
      `done x${N}: ${results.filter((r) => r.ok).length} answered ok, complete records ${count(after.timeline, 'complete')}, accessRevoked records ${count(after.timeline, 'accessRevoked')}, org-API calls ${total(used)} ${JSON.stringify(used)} (one click: ${total(baseline)} ${JSON.stringify(baseline)})`,
    );
    assert.equal(after.grant.provisioning.state, 'revoked');
    assert.ok(!orgAdmins(app).includes(A.alice));
    assert.equal(count(after.timeline, 'complete'), 1, 'one complete record');
    assert.equal(count(after.timeline, 'accessRevoked'), 1, 'one accessRevoked record');
    assert.equal(used.revokeOrgRole ?? 0, 1, `one revoke call, as for one click (${used.revokeOrgRole} made)`);
    assert.ok(total(used) <= total(baseline), `no more org-API calls than one click (${total(used)} > ${total(baseline)})`);
  } finally {
    await app.close();
  }
});

test('a double-clicked "Elevate now" whose first assign is rate-limited leaves no access behind after "Done"', async () => {
  const app = await demoApp({ scheduleSweep: true });
  try {
    const key = await request(app, A.alice);
    assert.ok(answer(await app.panel(A.bob, key, 'approve')).ok);
    // The first click's assign gets a 429 (Retry-After 2 s) and waits. The second click finds the
    // grant action still in the outbox but leased by the first click, so it leaves it alone: the
    // grant is still granting. (Before action leases it ran the assign a second time.)
    app.org.setFaults({ rate: 0, routes: ['assignOrgRole'], retryAfterSeconds: 2 });
    app.org.injectFaults('429');
    const first = app.panel(A.alice, key, 'activate');
    for (let i = 0; i < 400 && !app.org.requestLog().some((e) => e.route === 'assignOrgRole' && e.status === 429); i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const second = answer(await app.panel(A.alice, key, 'activate'));
    assert.ok(second.ok && ['granting', 'granted'].includes(second.data.view.grant.grant.provisioning.state));
    // Alice is done before the first click's retry comes round: revoked and verified.
    const done = answer(await app.panel(A.alice, key, 'complete'));
    assert.ok(done.ok && done.data.view.grant.grant.provisioning.state === 'revoked');
    assert.ok(!orgAdmins(app).includes(A.alice), 'revoked at the done click');
    const doneAt = app.clock.now();

    // The first click's retry now runs. Watch the org for six minutes (the sweep runs every five).
    await app.clock.advance(3_000);
    await first;
    let heldUntil = doneAt;
    for (let t = 0; t < 6 * 60; t++) {
      await app.clock.advance(1000);
      if (orgAdmins(app).includes(A.alice)) heldUntil = app.clock.now();
    }
    const after = await view(app, A.alice, key);
    const assigns = app.org.requestLog().filter((e) => e.route === 'assignOrgRole').map((e) => `${e.status}@+${(e.receivedAt - doneAt) / 1000}s`);
    const heldFor = (heldUntil - doneAt) / 1000;
    console.log(
      `assign calls relative to done: ${JSON.stringify(assigns)}; alice held org admin again for ${heldFor} s after done (until a sweep found it); grant ${after.grant.provisioning.state}, timeline ${after.timeline.map((r) => r.event).join(' ')}`,
    );
    assert.ok(
      heldFor <= 30,
      `alice held org admin ${heldFor} s after her grant was completed and its revoke verified: a stale duplicate of the grant action landed after the revoke, and the grant, which says ${after.grant.provisioning.state}, never revoked it again`,
    );
  } finally {
    await app.close();
  }
});

/** Policy saves race on the audit head and retry (8 attempts): far fewer than N come at once. */
const SAVES = 10;

test(`${SAVES} parallel policy saves by someone not allowed are each refused and each audited, on one unbroken chain`, async () => {
  const app = await demoApp();
  try {
    // A burst an admin page could see (a script, a double submit). All of them read the same audit head; every refusal but the first meets a moved head and
    // must decide and append again rather than lose its record. jade is a Jira admin, but no permanent admin of the policy.
    const results = (await Promise.all(Array.from({ length: SAVES }, () => app.admin(A.jade, 'savePolicy', { policy: demoPolicy() })))).map(answer);
    assert.deepEqual([...new Set(results.map((r) => (r.ok ? 'ok' : r.error.code)))], ['NOT_AUTHORIZED']);
    const exported = answer(await app.admin(A['perm-1'], 'exportAudit', { format: 'json' }));
    assert.ok(exported.ok);
    const records = JSON.parse(exported.data.content) as Array<{ event: string; outcome: string; actor: string }>;
    const refusals = records.filter((r) => r.event === 'policyChange' && r.outcome === 'refused' && r.actor === A.jade);
    assert.equal(refusals.length, SAVES, `audited refusals: ${refusals.length} of ${SAVES}`);
    const audit = answer(await app.admin(A['perm-1'], 'getAudit', { limit: 1 }));
    assert.ok(audit.ok && audit.data.verification.valid, 'the chain still verifies');
  } finally {
    await app.close();
  }
});

test('a refusal whose audit record can never be appended gives up after bounded retries instead of looping until the invocation dies', { timeout: 60_000 }, async () => {
  // A store whose audit head always moves under the writer: the worst contention there is.
  let commits = 0;
  const refuse = (what: string) => () => {
    throw new Error(`${what} is not expected here`);
  };
  const store = {
    grant: async () => null,
    policy: async () => ({ policy: demoPolicy(), version: 1, updatedAt: '2026-06-01T09:00:00.000Z', updatedBy: A['perm-1'] }),
    auditHead: async () => ({ seq: 0, hash: '0'.repeat(64) }),
    openGrantsFor: async () => [],
    // The first refusal of its period: nothing counted yet.
    refusalTally: async () => null,
    commit: async () => {
      commits++;
      return 'conflict' as const;
    },
  };
  const ports = {
    store: new Proxy(store, { get: (t, k: string) => (t as Record<string, unknown>)[k] ?? refuse(`store.${k}`) }),
    org: new Proxy({}, { get: (_, k: string) => refuse(`org.${k}`) }),
    jira: new Proxy({}, { get: (_, k: string) => refuse(`jira.${k}`) }),
    queue: new Proxy({}, { get: (_, k: string) => refuse(`queue.${k}`) }),
    clock: { now: () => Date.UTC(2026, 5, 1, 9), sleep: async () => {} },
    log: { info() {}, warn() {}, error() {} },
    bootstrapAdmins: [],
    deadline: Date.UTC(2026, 5, 1, 10),
  } as unknown as Ports;
  // mallory may not request: an authorization refusal, which is audited.
  const event = { type: 'submit', grantId: 'JIT-9', issueKey: 'JIT-9', target: 'org-admin', durationMinutes: 60, justification: 'rotate the SAML certificate' } as const;
  await assert.rejects(dispatch(ports, { grantId: 'JIT-9', event, actor: { accountId: A.mallory, groupIds: [] }, source: 'panel' }), /could not record a refusal on JIT-9/);
  assert.equal(commits, 16, 'one append per attempt, then it gave up');
});
