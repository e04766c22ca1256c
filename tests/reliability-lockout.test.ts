/**
 * Lockout guard: hostile policies and snapshots never leave the org without an admin, or below
 * the admin floor. An empty permanent list is refused (and, written straight into storage, makes
 * the sweep revoke nobody); a floor above the actual number of admins keeps them all; a holder
 * read that fails or is cut short removes nobody; and when the only org admins are JIT grantees,
 * expiring their grants holds the last revoke back, alerts and retries. Judged on the emulator's
 * truth and its request log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKvsStore } from '../forge-app/src/adapters/storage';
import type { Policy } from '../forge-app/src/decision/core';
import { DEMO_JIRA_ADMINS_GROUP, DEMO_SITE_ARI, demoPolicy, type LocalApp } from '../playground/local-app';
import { activeOrgAdmin, answer, demoApp, orgAdmins } from './support/app';

const ORG_ADMIN = { type: 'orgRole', role: 'atlassian/org-admin' } as const;
const SITE_ADMIN = { type: 'resourceRole', role: 'atlassian/site-admin', resource: DEMO_SITE_ARI } as const;
const JIRA_ADMINS = { type: 'groupMembership', groupId: DEMO_JIRA_ADMINS_GROUP } as const;
const REVOKES = ['revokeOrgRole', 'revokeRole', 'removeGroupMember'];
const PERMANENT = ['perm-1', 'perm-2', 'perm-3'];

type App = Awaited<ReturnType<typeof demoApp>>;
type LogEntry = ReturnType<LocalApp['org']['requestLog']>[number];
const describe = (e: LogEntry) => `#${e.seq} ${e.route} ${e.params.userId ?? e.params.accountId ?? ''} → ${e.status}`;
const revokeCalls = (app: LocalApp) => app.org.requestLog().filter((e) => REVOKES.includes(e.route));

/** Writes a policy straight into storage, past the core's validation (a hostile or corrupted save). */
async function writePolicyToStorage(app: App, policy: unknown) {
  const store = createKvsStore(() => app.clock.now());
  const current = await store.policy();
  const doc = { policy: policy as Policy, version: (current?.version ?? 0) + 1, updatedAt: new Date(app.clock.now()).toISOString(), updatedBy: 'mallory' };
  assert.equal(await store.savePolicy(doc, current?.version ?? 0, [], await store.auditHead()), 'ok');
}

/** Puts a policy in force: perm-1 saves it and perm-2 approves it when it changes a guard rail. */
async function savePolicy(app: App, policy: Policy) {
  // Driven: with a tight request timeout, a slow first call is retried after a back-off on the clock.
  await app.clock.drive(app.changePolicy(policy));
}

/**
 * Runs the sweep as the scheduled trigger would (on the clock, so its back-off sleeps advance with
 * time) and moves time on until it is done, sampling the org admins every second.
 */
async function sweep(app: App, samples?: number[]) {
  let failure: unknown;
  app.clock.setTimer(app.clock.now(), () => app.sweep().catch((e) => (failure = e)));
  await advance(app, 60_000, samples);
  if (failure) throw failure;
}

/** Moves time on a second at a time, recording the number of org admins after each step. */
async function advance(app: App, ms: number, samples?: number[]) {
  for (let t = 0; t < ms; t += 1000) {
    await app.clock.advance(Math.min(1000, ms - t));
    samples?.push(app.org.holders().orgAdmins.length);
  }
}

async function alerts(app: LocalApp) {
  const r = answer(await app.admin('perm-1', 'getAlerts', { limit: 100 }));
  assert.ok(r.ok);
  return r.data as Array<{ code: string; message: string; severity: string; grantId?: string }>;
}

async function findings(app: LocalApp) {
  const r = answer(await app.admin('perm-1', 'getDrift'));
  assert.ok(r.ok);
  return r.data.findings as Array<{ target: string; accountId: string; kind: string; disposition: string }>;
}

async function grantOf(app: LocalApp, who: string, key: string) {
  const v = answer(await app.panel(who, key, 'getView'));
  assert.ok(v.ok);
  return { grant: v.data.view.grant.grant, timeline: v.data.timeline as Array<{ event: string; outcome: string; details: Record<string, unknown> }> };
}

test('an empty permanent list is refused, and a sweep under one written straight into storage revokes nobody, even in enforce mode', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    const hostile = { ...demoPolicy(), permanentAdmins: [], driftMode: 'enforce' } as Policy;
    const refused = answer(await app.admin('perm-1', 'savePolicy', { policy: hostile }));
    assert.equal(refused.ok, false, 'the core refuses to save it');
    console.log(`empty permanent list: save refused with ${!refused.ok && refused.error.code}: ${!refused.ok && refused.error.message}`);

    const key = await activeOrgAdmin(app, 'alice', 120);
    app.org.grant('mallory', ORG_ADMIN);
    await writePolicyToStorage(app, hostile);
    app.org.clearRequestLog();
    const samples: number[] = [];
    await app.clock.advance(5 * 60_000);
    await sweep(app, samples);

    const found = await findings(app);
    console.log(`sweep under it: findings ${JSON.stringify(found.map((f) => `${f.accountId}:${f.disposition}`))}; revoke calls ${revokeCalls(app).length}; alerts ${JSON.stringify((await alerts(app)).map((a) => a.code))}`);
    assert.deepEqual(revokeCalls(app).map(describe), [], 'no revoke call');
    assert.deepEqual(orgAdmins(app), ['alice', 'mallory', ...PERMANENT].sort(), 'everyone keeps org admin');
    assert.ok(Math.min(...samples) >= 5);
    assert.ok(found.length >= 4 && found.every((f) => f.disposition === 'keptIncomplete'), 'every finding is kept');
    assert.ok((await alerts(app)).some((a) => a.code === 'INVALID_POLICY'), 'the invalid policy is alerted');
    assert.equal((await grantOf(app, 'alice', key)).grant.provisioning.state, 'granted', "alice's grant is untouched");
  } finally {
    await app.close();
  }
});

test('a floor above the number of actual admins: the sweep removes nobody and alerts, and an expiring org admin is held back', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    await savePolicy(app, { ...demoPolicy(), minOrgAdmins: 3, driftMode: 'enforce' } as Policy);
    const key = await activeOrgAdmin(app, 'alice', 30);
    // Behind the app's back: two permanent admins lose org admin, mallory gains it.
    app.org.revoke('perm-2', ORG_ADMIN);
    app.org.revoke('perm-3', ORG_ADMIN);
    app.org.grant('mallory', ORG_ADMIN);
    app.org.clearRequestLog();
    const samples: number[] = [];
    await advance(app, 5 * 60_000, samples);
    await sweep(app, samples);
    const found = await findings(app);
    console.log(`floor 3 with 3 admins: findings ${JSON.stringify(found.map((f) => `${f.accountId}:${f.disposition}`))}; revoke calls ${revokeCalls(app).length}`);
    assert.deepEqual(revokeCalls(app).map(describe), [], 'no revoke call');
    assert.ok(found.some((f) => f.accountId === 'mallory' && f.disposition === 'keptForFloor'), 'the drift is kept for the floor');
    assert.ok((await alerts(app)).some((a) => a.code === 'ADMIN_FLOOR' && a.message.includes('mallory')), 'and alerted');

    // alice's window ends: the revoke would leave 2 org admins, fewer than 3. Held back, alerted, retried.
    await advance(app, 30 * 60_000, samples);
    await sweep(app, samples);
    const g = await grantOf(app, 'alice', key);
    const heldBack = g.timeline.filter((r) => r.event === 'revokeFailed' && r.details.code === 'ADMIN_FLOOR');
    console.log(`alice's expiry under the floor: ${heldBack.length} held-back attempt(s), state ${g.grant.provisioning.state}, next try ${g.grant.provisioning.pending?.retryAt}`);
    assert.ok(orgAdmins(app).includes('alice'), 'alice is not revoked below the floor');
    assert.ok(heldBack.length >= 2, 'the revoke was held back and retried');
    assert.equal(g.grant.provisioning.state, 'revoking', 'and is still pending');
    assert.ok((await alerts(app)).some((a) => a.code === 'ADMIN_FLOOR' && a.severity === 'critical' && a.message.includes('alice')), 'the held-back revoke is alerted');
    assert.deepEqual(revokeCalls(app).map(describe), [], 'still no revoke call');

    // Worse: a floor of 50 written straight into storage (the core would refuse to save it).
    await writePolicyToStorage(app, { ...demoPolicy(), minOrgAdmins: 50, driftMode: 'enforce' });
    await sweep(app, samples);
    assert.deepEqual(revokeCalls(app).map(describe), [], 'no revoke call under a floor of 50 either');
    assert.ok(Math.min(...samples) >= 3, `never fewer than 3 org admins (min ${Math.min(...samples)})`);
  } finally {
    await app.close();
  }
});

test('a holder read that fails or is cut short removes nobody; once complete, the same drift is revoked', async () => {
  const app = await demoApp({ scheduleSweep: false, orgOptions: { requestTimeoutMs: 50 } });
  try {
    await savePolicy(app, { ...demoPolicy(), driftMode: 'enforce' } as Policy);
    // Drift in every target; four members in jira-admins-demo, so its member list takes two pages.
    app.org.grant('mallory', ORG_ADMIN);
    app.org.grant('erin', SITE_ADMIN);
    for (const who of ['dan', 'carol', 'bob', 'mallory']) app.org.grant(who, JIRA_ADMINS);
    const drifted = () => {
      const h = app.org.holders();
      return {
        mallory: h.orgAdmins.includes('mallory'),
        erin: h.direct.some((d) => d.accountId === 'erin' && d.role === 'atlassian/site-admin'),
        jiraAdmins: h.groups.find((g) => g.groupId === DEMO_JIRA_ADMINS_GROUP)?.members.length ?? 0,
      };
    };
    const variants: Array<[string, () => void]> = [
      ['every users/search call fails', () => app.org.setFaults({ rate: 1, kinds: ['503'], routes: ['searchUsers'] })],
      ['every role-assignments read fails', () => app.org.setFaults({ rate: 1, kinds: ['500'], routes: ['getUserRoleAssignments'] })],
      ['the group read is rate-limited throughout', () => app.org.setFaults({ rate: 1, kinds: ['429'], routes: ['getGroup'], retryAfterSeconds: 1 })],
      [
        'the holder lists are cut short after their first page',
        () => app.org.setFaultHook(({ route, body }) => (route === 'searchUsers' && (body as { cursor?: string } | undefined)?.cursor ? '503' : null)),
      ],
      [
        "one candidate's role read times out every time (perm-2)",
        () => {
          app.org.setFaults({ rate: 0, timeoutMs: 100 });
          app.org.setFaultHook(({ route, params }) => (route === 'getUserRoleAssignments' && params.accountId === 'perm-2' ? 'timeout' : null));
        },
      ],
    ];
    for (const [name, inject] of variants) {
      inject();
      app.org.clearRequestLog();
      await app.clock.advance(5 * 60_000);
      await sweep(app);
      const found = await findings(app);
      console.log(`${name}: ${app.org.requestLog().filter((e) => e.fault).length} faulted calls, findings ${JSON.stringify(found.map((f) => `${f.target}:${f.accountId}:${f.disposition}`))}, revoke calls ${revokeCalls(app).length}`);
      assert.deepEqual(revokeCalls(app).map(describe), [], `${name}: no revoke call`);
      assert.deepEqual(drifted(), { mallory: true, erin: true, jiraAdmins: 4 }, `${name}: every drifted holder is still there`);
      assert.ok(found.every((f) => f.disposition === 'keptIncomplete'), `${name}: whatever was found is kept, not revoked`);
      app.org.setFaults(null);
      app.org.setFaultHook(null);
    }
    assert.ok((await alerts(app)).some((a) => a.code === 'SNAPSHOT_INCOMPLETE'), 'the incomplete reads are alerted');

    // The control: a complete read revokes the same drift (so the checks above could fail).
    app.org.clearRequestLog();
    await app.clock.advance(5 * 60_000);
    await sweep(app);
    console.log(`complete read: revoke calls ${JSON.stringify(revokeCalls(app).map(describe))}`);
    assert.deepEqual(drifted(), { mallory: false, erin: false, jiraAdmins: 0 }, 'a complete read revokes the drift');
    assert.deepEqual(orgAdmins(app), PERMANENT);
  } finally {
    await app.close();
  }
});

test('an expiring org admin whose guard cannot read the org admins is held back, alerted and retried until it can', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    const key = await activeOrgAdmin(app, 'alice', 30);
    // The org admins are read from the user search (and, for accounts it cannot classify, their role reads).
    app.org.setFaults({ rate: 1, kinds: ['503'], routes: ['searchUsers', 'getUserRoleAssignments'] });
    await advance(app, 31 * 60_000);
    const during = await grantOf(app, 'alice', key);
    const codes = during.timeline.filter((r) => r.event === 'revokeFailed').map((r) => String(r.details.code));
    console.log(`guard without a holder read: attempts ${JSON.stringify(codes)}, revoke calls ${revokeCalls(app).length}`);
    assert.ok(codes.length >= 1 && codes.every((c) => c === 'HOLDERS_UNKNOWN'), 'held back: the org admins could not be read');
    assert.deepEqual(revokeCalls(app).map(describe), [], 'no revoke call blind');
    assert.ok((await alerts(app)).some((a) => a.code === 'HOLDERS_UNKNOWN' && a.severity === 'critical'), 'alerted');
    app.org.setFaults(null);
    await advance(app, 5 * 60_000);
    const after = await grantOf(app, 'alice', key);
    assert.equal(after.grant.provisioning.state, 'revoked', 'revoked at the next retry');
    assert.ok(!orgAdmins(app).includes('alice'));
  } finally {
    await app.close();
  }
});

test('when the only org admins are JIT grantees, expiring their grants never leaves zero admins: the guard holds the last revoke back, alerts and retries', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    // alice and erin elevate at the same instant for 30 minutes; then the permanent admins lose
    // org admin behind the app's back, so the two grantees are the only org admins. At the window
    // end the first revoke passes the guard, then its call is rate-limited (Retry-After 2 s), and
    // meanwhile the second expiry runs its own guard.
    const alice = await activeOrgAdmin(app, 'alice', 30);
    const erin = await activeOrgAdmin(app, 'erin', 30);
    for (const p of PERMANENT) app.org.revoke(p, ORG_ADMIN);
    const startLog = app.org.requestLog().length;
    assert.deepEqual(orgAdmins(app), ['alice', 'erin']);
    app.org.setFaults({ rate: 0, routes: ['revokeOrgRole'], retryAfterSeconds: 2 });
    app.org.injectFaults('429');
    const samples: number[] = [];
    await advance(app, 30 * 60_000 + 120_000, samples);
    await sweep(app, samples);

    const left = orgAdmins(app);
    const a = await grantOf(app, 'alice', alice);
    const e = await grantOf(app, 'erin', erin);
    const kept = left[0] === 'alice' ? a : e;
    const trail = (g: typeof a) => g.timeline.filter((r) => ['expire', 'revokeFailed', 'retryRevoke', 'accessRevoked'].includes(r.event)).map((r) => `${r.event}${r.details.code ? `(${String(r.details.code)})` : ''}`).join(' ');
    const refusedByApi = app.org.requestLog().slice(startLog).filter((e2) => e2.route === 'revokeOrgRole' && e2.status === 403);
    console.log(`JIT-only admins: fewest org admins seen ${Math.min(...samples)}; left ${JSON.stringify(left)}; alice: ${trail(a)}; erin: ${trail(e)}; revokes the API refused as the last admin: ${refusedByApi.length}`);

    assert.ok(Math.min(...samples) >= 1, 'the org never had zero admins');
    assert.equal(left.length, 1, 'one of them is kept');
    assert.equal(kept.grant.provisioning.state, 'revoking', 'its revoke is still pending');
    assert.ok(kept.timeline.some((r) => r.event === 'revokeFailed' && r.details.code === 'ADMIN_FLOOR'), 'held back by the guard (ADMIN_FLOOR)');
    assert.ok(kept.timeline.filter((r) => r.event === 'revokeFailed').length >= 2, 'and retried');
    assert.ok((await alerts(app)).some((al) => al.code === 'ADMIN_FLOOR' && al.severity === 'critical'), 'and alerted');

    // A permanent admin comes back: the held-back revoke goes through at its next retry.
    app.org.grant('perm-1', ORG_ADMIN);
    await advance(app, 16 * 60_000, samples);
    assert.deepEqual(orgAdmins(app), ['perm-1'], 'the kept grantee is revoked once another admin exists');

    // The guard itself must have kept the last admin: the app never asked the API to remove the
    // last org admin (the emulator refuses that with a 403, as a guess of the real API; an org
    // that allowed it would have been left with none).
    assert.deepEqual(
      refusedByApi.map(describe),
      [],
      'a revoke passed the guard while another revoke of the last-but-one admin was in flight; only the API stopped it from removing the last org admin',
    );
  } finally {
    await app.close();
  }
});

test('two expiries racing never take the org below its admin floor (minOrgAdmins 2)', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    await savePolicy(app, { ...demoPolicy(), permanentAdmins: ['perm-1', 'perm-2'], minOrgAdmins: 2 } as Policy);
    const alice = await activeOrgAdmin(app, 'alice', 30);
    const erin = await activeOrgAdmin(app, 'erin', 30);
    // perm-2 and perm-3 lose org admin behind the app's back: perm-1, alice and erin are left.
    app.org.revoke('perm-2', ORG_ADMIN);
    app.org.revoke('perm-3', ORG_ADMIN);
    app.org.setFaults({ rate: 0, routes: ['revokeOrgRole'], retryAfterSeconds: 2 });
    app.org.injectFaults('429');
    const samples: number[] = [];
    await advance(app, 30 * 60_000 + 120_000, samples);
    const states = [(await grantOf(app, 'alice', alice)).grant.provisioning.state, (await grantOf(app, 'erin', erin)).grant.provisioning.state];
    console.log(`floor 2 with perm-1, alice, erin: fewest org admins seen ${Math.min(...samples)}; left ${JSON.stringify(orgAdmins(app))}; grants ${JSON.stringify(states)}`);
    assert.ok(
      Math.min(...samples) >= 2,
      `the org went below its floor of 2 org admins (to ${Math.min(...samples)}): both revokes passed the guard on the same read of the org admins`,
    );
  } finally {
    await app.close();
  }
});
