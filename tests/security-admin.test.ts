/**
 * Guarding the guard: the admin page's resolver and the policy, attacked through the app's own
 * calls. The authorization matrix is read from SECURITY.md (`<!-- admin-matrix -->`) and checked
 * cell by cell through the admin resolver exactly as the platform calls it: identity from the
 * Forge context, the Jira admin check asked of Jira as the caller. Then each finding of the attack
 * review, one test each: the resolver open to anyone, the first-save race, and one permanent admin
 * locking the others out with a single save — and the two-person rule and grace period that answer
 * the last.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKvsStore } from '../forge-app/src/adapters/storage';
import type { Policy } from '../forge-app/src/decision/core';
import { DEMO_PEOPLE, demoPolicy, startLocalApp, type LocalApp } from '../playground/local-app';
import { VirtualClock } from '../playground/forge-runtime/index';
import { T0, answer, demoApp, orgAdmins, type Answer } from './support/app';
import { ADMIN_CALLS, ADMIN_ROLES, orgWrites, readAdminMatrix, type AdminCallName } from './support/security';

const ORG_ADMIN = { type: 'orgRole', role: 'atlassian/org-admin' } as const;
const WRITES = new Set<AdminCallName>(['savePolicy', 'approvePolicyChange', 'withdrawPolicyChange']);
const HOUR = 3600_000;

type App = LocalApp & { clock: VirtualClock };

const enforce = (): Policy => ({ ...demoPolicy(), driftMode: 'enforce' });
/** A change to no guard rail: applies at once for a permanent admin. */
const relabelled = (): Policy => {
  const p = demoPolicy();
  p.targets![0]!.label = 'Organization admin (relabelled)';
  return p;
};

async function must(app: LocalApp, as: string, fn: string, payload: unknown = {}): Promise<any> {
  const r = answer(await app.admin(as, fn, payload));
  if (!r.ok) throw new Error(`${fn} by ${as} refused: ${r.error.code} ${r.error.message}`);
  return r.data;
}

/** perm-1 proposes switching drift to enforce (a guard rail); returns the pending change's id. */
async function proposeEnforce(app: LocalApp): Promise<string> {
  const d = await must(app, 'perm-1', 'savePolicy', { policy: enforce() });
  assert.equal(d.outcome, 'proposed');
  return d.pendingChange.id as string;
}

/** What the policy calls may change: the stored policy's version and the pending change. */
async function stored(app: LocalApp) {
  const store = createKvsStore(() => app.clock.now());
  const [doc, slot, head] = await Promise.all([store.policy(), store.policyChangeSlot(), store.auditHead()]);
  return { version: doc?.version ?? 0, driftMode: doc?.policy.driftMode, pending: slot.change?.id ?? null, head, doc };
}

async function lastRecord(app: LocalApp) {
  const r = answer(await app.admin('perm-3', 'getAudit', { limit: 1 }));
  assert.ok(r.ok);
  return r.data.records[0] as { actor: string; event: string; outcome: string; details: Record<string, unknown> };
}

function payloadFor(call: AdminCallName, changeId: string): Record<string, unknown> {
  switch (call) {
    case 'validatePolicy':
      return { policy: demoPolicy() };
    case 'listGrants':
      return { scope: 'all' };
    case 'getAudit':
      return { limit: 5 };
    case 'exportAudit':
      return { format: 'json' };
    case 'savePolicy':
      return { policy: relabelled() };
    case 'approvePolicyChange':
    case 'withdrawPolicyChange':
      return { changeId };
    default:
      return {};
  }
}

/** Moves the clock on while `p` runs (retries and back-off sleep on the app's clock). */
async function drive<T>(app: App, p: Promise<T>): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 3600 && !settled; i++) {
    await new Promise((r) => setTimeout(r, 2));
    if (!settled) await app.clock.advance(1000);
  }
  return p;
}

/** Runs the sweep as the scheduled trigger would, moving the clock on until its revokes are done. */
async function sweep(app: App) {
  let failure: unknown;
  app.clock.setTimer(app.clock.now(), () => app.sweep().catch((e) => (failure = e)));
  for (let t = 0; t < 60_000; t += 1000) await app.clock.advance(1000);
  if (failure) throw failure;
}

const matrix = readAdminMatrix();

test('SECURITY.md holds the admin page matrix: 4 roles × 12 calls, with a permanent admin who may not approve their own change', () => {
  let accepted = 0;
  for (const role of ADMIN_ROLES) for (const call of ADMIN_CALLS) if (matrix[role][call] === '✓') accepted++;
  assert.equal(accepted, 9 + 9 + 2 + 9 + 2);
  assert.equal(matrix['perm-1'].approvePolicyChange, 'SELF_APPROVAL');
  assert.ok(ADMIN_CALLS.every((c) => matrix.mallory[c] === 'NOT_JIRA_ADMIN'));
});

test('admin matrix: every cell through the admin resolver, and the page offers the same buttons', async () => {
  const app = await demoApp();
  const problems: string[] = [];
  try {
    const changeId = await proposeEnforce(app);

    // The buttons the page shows each viewer (the core's answer) agree with the write columns.
    for (const role of ADMIN_ROLES) {
      if (matrix[role].getPolicy !== '✓') continue;
      const viewer = (await must(app, role, 'getPolicy')).viewer;
      for (const [call, button] of [['savePolicy', 'save'], ['approvePolicyChange', 'approve'], ['withdrawPolicyChange', 'withdraw']] as const) {
        const offered = viewer[button].allowed ? '✓' : viewer[button].reason?.code;
        if (offered !== matrix[role][call]) problems.push(`view   ${role.padEnd(7)} ${call.padEnd(20)} expected ${matrix[role][call]}, the page offers ${offered}`);
      }
    }

    // Every read, and every refusal, on this one state: nothing changes but the refusals' records.
    for (const role of ADMIN_ROLES) {
      for (const call of ADMIN_CALLS) {
        const want = matrix[role][call];
        if (want === '✓' && WRITES.has(call)) continue;
        const before = await stored(app);
        const writes = orgWrites(app);
        const r = answer(await app.admin(role, call, payloadFor(call, changeId)));
        const got = r.ok ? '✓' : r.error.code;
        if (got !== want) problems.push(`call   ${role.padEnd(7)} ${call.padEnd(20)} expected ${want}, got ${r.ok ? 'ok' : `${r.error.code} (${r.error.message})`}`);
        if (!r.ok && 'data' in (r as object)) problems.push(`leak   ${role.padEnd(7)} ${call.padEnd(20)} a refusal carried data`);
        const after = await stored(app);
        if (after.version !== before.version || after.pending !== before.pending) {
          problems.push(`change ${role.padEnd(7)} ${call.padEnd(20)} changed the policy (v${before.version} → v${after.version}) or the pending change (${before.pending} → ${after.pending})`);
        }
        if (orgWrites(app) !== writes) problems.push(`change ${role.padEnd(7)} ${call.padEnd(20)} wrote to the org API`);
        // A refused write is audited under the caller's id; a read writes no record.
        const records = after.head.seq - before.head.seq;
        if (WRITES.has(call) && !r.ok) {
          const last = await lastRecord(app);
          if (records !== 1 || last.actor !== role || last.outcome !== 'refused') problems.push(`audit  ${role.padEnd(7)} ${call.padEnd(20)} ${records} record(s), last ${last.actor}/${last.outcome}`);
        } else if (records !== 0) problems.push(`audit  ${role.padEnd(7)} ${call.padEnd(20)} a read wrote ${records} audit record(s)`);
      }
    }
  } finally {
    await app.close();
  }

  // Accepted writes, each on a fresh installation with the same pending change.
  for (const role of ADMIN_ROLES) {
    for (const call of ADMIN_CALLS) {
      if (!WRITES.has(call) || matrix[role][call] !== '✓') continue;
      const fresh = await demoApp();
      try {
        const changeId = await proposeEnforce(fresh);
        const r = answer(await fresh.admin(role, call, payloadFor(call, changeId)));
        if (!r.ok) {
          problems.push(`call   ${role.padEnd(7)} ${call.padEnd(20)} expected ✓, got ${r.error.code} (${r.error.message})`);
          continue;
        }
        const s = await stored(fresh);
        const effect =
          call === 'savePolicy'
            ? s.version === 2 && s.doc?.policy.targets?.[0]?.label === 'Organization admin (relabelled)' && r.data.outcome === 'applied'
            : call === 'approvePolicyChange'
              ? s.version === 2 && s.driftMode === 'enforce' && s.pending === null && s.doc?.approvedBy === role && r.data.outcome === 'approved'
              : s.version === 1 && s.pending === null && r.data.outcome === 'withdrawn';
        if (!effect) problems.push(`call   ${role.padEnd(7)} ${call.padEnd(20)} answered ok but did not take effect: ${JSON.stringify({ ...s, doc: undefined, outcome: r.data.outcome })}`);
        const last = await lastRecord(fresh);
        if (last.actor !== role || last.outcome !== 'accepted') problems.push(`audit  ${role.padEnd(7)} ${call.padEnd(20)} the last record is ${last.actor}/${last.outcome}`);
      } finally {
        await fresh.close();
      }
    }
  }
  if (problems.length) assert.fail(`${problems.length} cell(s) of the admin matrix disagree with SECURITY.md:\n${problems.join('\n')}`);
});

test('finding 1: someone who is no Jira admin gets nothing from the admin resolver — no justification, audit, holding, drift or alert, no chain rescan', async () => {
  const app = await demoApp();
  try {
    const { key } = app.createIssue('Org admin for the SAML rotation', 'alice');
    await app.panel('alice', key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'a secret reason only admins may read' });
    for (const who of ['mallory', 'alice', 'bob']) {
      for (const call of ADMIN_CALLS) {
        const raw = await app.admin(who, call, payloadFor(call, 'pc-1-1'));
        const r = answer(raw);
        assert.equal(r.ok, false, `${who} ${call} was answered`);
        assert.equal(!r.ok && r.error.code, 'NOT_JIRA_ADMIN', `${who} ${call}`);
        assert.ok(!JSON.stringify(raw).includes('secret reason'), `${who} ${call} leaked a justification`);
      }
    }
    // The permission was asked of Jira as the caller each time (the act-as-user principal), never as the app.
    const asked = app.jira.requests.filter((e) => e.path === '/rest/api/3/mypermissions');
    assert.ok(asked.length >= 3 * ADMIN_CALLS.length);
    assert.ok(asked.every((e) => e.query === '?permissions=ADMINISTER' && e.principal !== app.jira.appAccountId), JSON.stringify(asked.slice(0, 3)));
    assert.deepEqual([...new Set(asked.map((e) => e.principal))].filter((p) => p !== 'perm-1').sort(), ['alice', 'bob', 'mallory']);
    // A Jira admin still gets it all.
    const grants = await must(app, 'jade', 'listGrants', { scope: 'all' });
    assert.equal(grants.grants[0].justification, 'a secret reason only admins may read');
  } finally {
    await app.close();
  }
});

test('a failed Jira permission lookup refuses the call (Jira down closes the admin page, it does not open it)', async () => {
  const app = (await demoApp()) as App;
  try {
    app.jira.injectFault({ status: 503, times: 20, path: '/rest/api/3/mypermissions' });
    for (const call of ['getAudit', 'savePolicy'] as const) {
      const r = answer(await drive(app, app.admin('perm-1', call, payloadFor(call, ''))));
      assert.equal(!r.ok && r.error.code, 'PERMISSION_UNKNOWN', call);
    }
    app.jira.clearFaults();
    assert.ok(answer(await app.admin('perm-1', 'getAudit', { limit: 1 })).ok);
  } finally {
    await app.close();
  }
});

test('two callers at once each get their own answer: the as-user lookup is the invocation’s, not the last one started', async () => {
  const app = await demoApp();
  try {
    const calls = Array.from({ length: 12 }, (_, i) => (i % 2 ? 'mallory' : 'perm-1'));
    const results = await Promise.all(calls.map((who) => app.admin(who, 'getAudit', { limit: 1 }).then(answer)));
    calls.forEach((who, i) => {
      const r = results[i] as Answer;
      if (who === 'mallory') assert.equal(!r.ok && r.error.code, 'NOT_JIRA_ADMIN', `call ${i}`);
      else assert.ok(r.ok, `call ${i}: ${JSON.stringify(r)}`);
    });
  } finally {
    await app.close();
  }
});

test('finding 2: a Jira admin who is no org admin cannot save the first policy, however normal it looks', async () => {
  const app = (await startLocalApp({ clock: new VirtualClock(T0) })) as App;
  try {
    // The attack: the real permanent admins listed, jade added as requester and break-glass.
    const normalLooking = demoPolicy();
    for (const t of normalLooking.targets!) {
      t.requesters!.accountIds!.push('jade');
      t.breakGlass = ['jade'];
    }
    const r = answer(await app.admin('jade', 'savePolicy', { policy: normalLooking }));
    assert.equal(r.ok, false, 'jade saved the first policy');
    assert.equal(!r.ok && r.error.code, 'NOT_ORG_ADMIN');
    assert.match(!r.ok ? r.error.message : '', /org admin today/);
    assert.equal((await stored(app)).doc, null, 'no policy stored');
    // Nor can someone who is not even a Jira admin.
    assert.equal(answer(await app.admin('mallory', 'savePolicy', { policy: normalLooking })).ok, false);
    // Without a policy, jade's break glass goes nowhere.
    const { key } = app.createIssue('Break glass', 'jade');
    assert.equal(answer(await app.panel('jade', key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'break glass now please' })).ok, false);
    assert.deepEqual(orgAdmins(app), ['perm-1', 'perm-2', 'perm-3']);

    // The org API unreadable: refused with a clear message, nothing saved (fail closed).
    app.org.setFaults({ rate: 1, routes: ['searchUsers'], kinds: ['500'] });
    const unreadable = answer(await drive(app, app.admin('perm-1', 'savePolicy', { policy: demoPolicy() })));
    assert.equal(!unreadable.ok && unreadable.error.code, 'ORG_ADMINS_UNKNOWN', JSON.stringify(unreadable));
    assert.match(!unreadable.ok ? unreadable.error.message : '', /could not be read from the organizations API/);
    assert.equal((await stored(app)).doc, null);
    app.org.setFaults(null);

    // perm-1 is a Jira admin and an org admin today: the first save applies.
    const saved = await must(app, 'perm-1', 'savePolicy', { policy: demoPolicy() });
    assert.equal(saved.outcome, 'applied');
    assert.equal(saved.version, 1);
    const records = JSON.parse((await must(app, 'perm-1', 'exportAudit', { format: 'json' })).content) as Array<{ actor: string; event: string; outcome: string; details: Record<string, unknown> }>;
    assert.ok(records.some((x) => x.actor === 'jade' && x.event === 'policyChange' && x.outcome === 'refused' && x.details.code === 'NOT_ORG_ADMIN'), 'the attempt is audited');
  } finally {
    await app.close();
  }
});

test('with BOOTSTRAP_ADMINS set, only the accounts it names save the first policy', async () => {
  const saved = process.env.BOOTSTRAP_ADMINS;
  process.env.BOOTSTRAP_ADMINS = 'perm-2, jade';
  const app = await startLocalApp({ clock: new VirtualClock(T0) });
  try {
    const refused = answer(await app.admin('perm-1', 'savePolicy', { policy: demoPolicy() }));
    assert.equal(!refused.ok && refused.error.code, 'NOT_BOOTSTRAP_ADMIN');
    // A named account need not be an org admin; the policy must still list one.
    const ghosts = { ...demoPolicy(), permanentAdmins: ['ghost-1'] };
    const noAdmin = answer(await app.admin('jade', 'savePolicy', { policy: ghosts }));
    assert.equal(!noAdmin.ok && noAdmin.error.code, 'NO_ORG_ADMIN_LISTED');
    assert.equal((await must(app, 'jade', 'savePolicy', { policy: demoPolicy() })).outcome, 'applied');
  } finally {
    await app.close();
    if (saved === undefined) delete process.env.BOOTSTRAP_ADMINS;
    else process.env.BOOTSTRAP_ADMINS = saved;
  }
});

test('finding 3: one permanent admin cannot lock the others out with one save (a mistyped list with drift mode enforce)', async () => {
  const app = (await demoApp()) as App;
  try {
    // The attack as the review found it: only a mistyped id, and enforce.
    const typo = { ...demoPolicy(), permanentAdmins: ['perm-1x'], driftMode: 'enforce' } as Policy;
    const r = answer(await app.admin('perm-1', 'savePolicy', { policy: typo }));
    assert.equal(!r.ok && r.error.code, 'SELF_REMOVAL', JSON.stringify(r));

    // Keeping themself but dropping the others: only proposed, nothing in force, nobody revoked.
    const dropOthers = { ...demoPolicy(), permanentAdmins: ['perm-1', 'perm-2x'], driftMode: 'enforce' } as Policy;
    const proposed = await must(app, 'perm-1', 'savePolicy', { policy: dropOthers });
    assert.equal(proposed.outcome, 'proposed');
    assert.equal(proposed.version, 1);
    assert.equal(proposed.policy.driftMode, 'report', 'the policy in force is unchanged');
    await app.clock.advance(5 * 60_000);
    await sweep(app);
    assert.deepEqual(orgAdmins(app), ['perm-1', 'perm-2', 'perm-3'], 'the sweep revoked nobody');

    // A permanent admin who is no org admin any more cannot save a list with no org admin of today.
    app.org.revoke('perm-3', ORG_ADMIN);
    const ghost = { ...demoPolicy(), permanentAdmins: ['perm-3', 'ghost'] } as Policy;
    const lockout = answer(await app.admin('perm-3', 'savePolicy', { policy: ghost }));
    assert.equal(!lockout.ok && lockout.error.code, 'NO_ORG_ADMIN_LISTED', JSON.stringify(lockout));
  } finally {
    await app.close();
  }
});

test('the two-person rule: a guard-rail change waits, its proposer cannot approve it, another permanent admin does, and it takes effect', async () => {
  const app = await demoApp();
  try {
    const changeId = await proposeEnforce(app);
    const seen = await must(app, 'perm-2', 'getPolicy');
    assert.equal(seen.policy.driftMode, 'report');
    assert.equal(seen.pendingChange.id, changeId);
    assert.equal(seen.pendingChange.proposer, 'perm-1');
    assert.deepEqual(seen.pendingChange.diff, [{ path: 'driftMode', guardRail: true, before: 'report', after: 'enforce' }]);
    assert.deepEqual(seen.pendingStatus, { state: 'open', approvers: { accountIds: ['perm-2', 'perm-3'], orgAdminsMayApprove: false } });

    assert.equal(answer(await app.admin('perm-1', 'approvePolicyChange', { changeId })).ok, false, 'the proposer approved');
    assert.equal(answer(await app.admin('jade', 'approvePolicyChange', { changeId })).ok, false, 'a Jira admin approved');
    const wrongId = answer(await app.admin('perm-2', 'approvePolicyChange', { changeId: 'pc-0-0' }));
    assert.equal(!wrongId.ok && wrongId.error.code, 'NO_PENDING_CHANGE');
    // One guard-rail change at a time.
    const second = answer(await app.admin('perm-3', 'savePolicy', { policy: { ...demoPolicy(), minOrgAdmins: 2 } }));
    assert.equal(!second.ok && second.error.code, 'CHANGE_PENDING');

    const approved = await must(app, 'perm-2', 'approvePolicyChange', { changeId });
    assert.equal(approved.outcome, 'approved');
    assert.equal(approved.policy.driftMode, 'enforce');
    assert.equal(approved.version, 2);
    assert.equal(approved.updatedBy, 'perm-1');
    assert.equal(approved.approvedBy, 'perm-2');
    assert.equal(approved.pendingChange, undefined);
    const records = JSON.parse((await must(app, 'perm-3', 'exportAudit', { format: 'json' })).content) as Array<{ actor: string; event: string; outcome: string; details: Record<string, unknown> }>;
    // Refusals about who are audited; a wrong id and a second proposal are not attempts worth a record.
    const trail = records.filter((x) => /PolicyChange$/.test(x.event)).map((x) => `${x.actor}:${x.event}:${x.outcome}`);
    assert.deepEqual(trail, [
      'perm-1:proposePolicyChange:accepted',
      'perm-1:approvePolicyChange:refused',
      'jade:approvePolicyChange:refused',
      'perm-2:approvePolicyChange:accepted',
    ]);
  } finally {
    await app.close();
  }
});

test('a pending change goes stale when the policy changes under it, expires after 72 hours, and only its proposer withdraws it', async () => {
  const app = (await demoApp()) as App;
  try {
    // Stale: a change to no guard rail lands in between.
    let changeId = await proposeEnforce(app);
    assert.equal((await must(app, 'perm-2', 'savePolicy', { policy: relabelled() })).outcome, 'applied');
    assert.equal((await must(app, 'perm-3', 'getPolicy')).pendingStatus.state, 'stale');
    const stale = answer(await app.admin('perm-3', 'approvePolicyChange', { changeId }));
    assert.equal(!stale.ok && stale.error.code, 'CHANGE_STALE');
    assert.equal((await stored(app)).pending, null, 'a stale change is dropped');
    assert.equal((await stored(app)).driftMode, 'report');

    // Expired.
    changeId = await proposeEnforce(app);
    await app.clock.advance(72 * HOUR);
    const expired = answer(await app.admin('perm-2', 'approvePolicyChange', { changeId }));
    assert.equal(!expired.ok && expired.error.code, 'CHANGE_EXPIRED');
    assert.equal((await stored(app)).pending, null);

    // Withdrawn, by its proposer only.
    changeId = await proposeEnforce(app);
    const notMine = answer(await app.admin('perm-2', 'withdrawPolicyChange', { changeId }));
    assert.equal(!notMine.ok && notMine.error.code, 'NOT_PROPOSER');
    assert.equal((await must(app, 'perm-1', 'withdrawPolicyChange', { changeId })).outcome, 'withdrawn');
    const after = await stored(app);
    assert.equal(after.pending, null);
    assert.equal(after.driftMode, 'report');
  } finally {
    await app.close();
  }
});

test('a permanent admin dropped by an approved change is reported, not revoked, by enforce mode for 7 days', async () => {
  const app = (await demoApp()) as App;
  try {
    await app.changePolicy({ ...demoPolicy(), permanentAdmins: ['perm-1', 'perm-2'], driftMode: 'enforce' } as Policy);
    await app.clock.advance(5 * 60_000);
    await sweep(app);
    assert.ok(orgAdmins(app).includes('perm-3'), 'perm-3 was revoked inside the grace period');
    const doc = (await stored(app)).doc!;
    assert.equal(doc.policy.driftMode, 'enforce');
    assert.deepEqual(doc.formerPermanentAdmins?.map((f) => f.accountId), ['perm-3']);
    const drift = await must(app, 'perm-1', 'getDrift');
    const finding = drift.findings.find((f: { accountId: string }) => f.accountId === 'perm-3');
    assert.equal(finding?.disposition, 'keptGrace');
    assert.equal(finding?.graceUntil, new Date(T0 + 7 * 24 * HOUR).toISOString());
    assert.ok((await must(app, 'perm-1', 'getAlerts', { limit: 100 })).some((a: { code: string }) => a.code === 'PERMANENT_ADMIN_GRACE'));

    // After the grace period it is drift like any other.
    await app.clock.advance(7 * 24 * HOUR);
    await sweep(app);
    assert.ok(!orgAdmins(app).includes('perm-3'), 'perm-3 is revoked once the grace period is over');
    assert.deepEqual(orgAdmins(app), ['perm-1', 'perm-2']);
  } finally {
    await app.close();
  }
});

test('the demo has every admin role: the permanent admins and jade are Jira admins, nobody else is', async () => {
  const app = await demoApp();
  try {
    const admins: string[] = [];
    for (const who of Object.keys(DEMO_PEOPLE)) if (answer(await app.admin(who, 'getDrift')).ok) admins.push(who);
    assert.deepEqual(admins.sort(), ['jade', 'perm-1', 'perm-2', 'perm-3']);
  } finally {
    await app.close();
  }
});
