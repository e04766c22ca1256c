/**
 * The authorization matrix of SECURITY.md, cell by cell, through the issue panel's resolver exactly
 * as the platform calls it (identity from the context). The expected cells are read from
 * SECURITY.md, so the document and the behaviour cannot drift apart.
 *
 * Per state: one issue in that state takes every call expected to be refused or to be a no-op
 * (each must leave the grant, the org and the org API untouched); every call expected to succeed
 * gets a fresh issue in that state. The panel's view must give each viewer the same answer first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answer, demoApp, orgAdmins, requestOrgAdmin } from './support/app';
import {
  ACTIONS,
  ROLES,
  STATES,
  buildState,
  closeGrant,
  grantOf,
  orgWrites,
  payloadFor,
  readMatrix,
  viewOf,
  type Action,
  type Role,
  type State,
} from './support/security';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

const matrix = readMatrix();

test('SECURITY.md holds the whole matrix: 7 states × 6 roles × 10 actions', () => {
  let cells = 0;
  let accepted = 0;
  let noops = 0;
  for (const state of STATES) {
    for (const role of ROLES) {
      for (const action of ACTIONS) {
        cells++;
        if (matrix[state][role][action] === '✓') accepted++;
        if (matrix[state][role][action] === '—') noops++;
      }
    }
  }
  assert.equal(cells, 420);
  // The counts SECURITY.md states in words.
  assert.equal(accepted, 42);
  assert.equal(noops, 11);
});

/** What the view says about one action for one viewer, in the matrix's terms. */
function viewCell(view: any, action: Action): string {
  const option = view.view.actions.find((a: { action: string }) => a.action === action);
  if (!option) return '(missing)';
  return option.allowed ? '✓' : option.reason?.code ?? '(no reason)';
}

for (const state of STATES) {
  test(`matrix: ${state}`, async () => {
    const app = await demoApp();
    const problems: string[] = [];
    try {
      const expected = matrix[state];

      // The issue in this state, and what every viewer's panel offers.
      const key = await buildState(app, state);
      for (const role of ROLES) {
        const view = await viewOf(app, role, key);
        for (const action of ACTIONS) {
          const want = expected[role][action] === '—' ? 'INVALID_STATE' : expected[role][action];
          const got = viewCell(view, action);
          if (got !== want) problems.push(`view   ${role.padEnd(7)} ${action.padEnd(16)} expected ${want}, the panel offers ${got}`);
        }
      }

      // Refusals and no-ops, all on that one issue: nothing may change.
      const adminsBefore = orgAdmins(app);
      for (const role of ROLES) {
        for (const action of ACTIONS) {
          const want = expected[role][action];
          if (want === '✓') continue;
          const before = await grantOf(app, key);
          const writes = orgWrites(app);
          let r;
          try {
            r = answer(await app.panel(role, key, action, payloadFor(action)));
          } catch (e) {
            problems.push(`call   ${role.padEnd(7)} ${action.padEnd(16)} threw: ${String(e)}`);
            continue;
          }
          const got = r.ok ? '—' : r.error.code;
          if (got !== want) problems.push(`call   ${role.padEnd(7)} ${action.padEnd(16)} expected ${want}, got ${r.ok ? 'ok' : `${r.error.code} (${r.error.message})`}`);
          const after = await grantOf(app, key);
          if (JSON.stringify(after) !== JSON.stringify(before)) {
            problems.push(`change ${role.padEnd(7)} ${action.padEnd(16)} changed the grant (version ${before?.version ?? 'none'} → ${after?.version ?? 'none'})`);
          }
          if (orgWrites(app) !== writes) problems.push(`change ${role.padEnd(7)} ${action.padEnd(16)} wrote to the org API`);
        }
      }
      assert.deepEqual(orgAdmins(app), adminsBefore, 'refusals left the org admins as they were');
      await closeGrant(app, key);

      // Accepted calls, each on a fresh issue in this state.
      for (const role of ROLES) {
        for (const action of ACTIONS) {
          if (expected[role][action] !== '✓') continue;
          const fresh = await buildState(app, state);
          const prior = await grantOf(app, fresh);
          const r = answer(await app.panel(role, fresh, action, payloadFor(action)));
          if (!r.ok) {
            problems.push(`call   ${role.padEnd(7)} ${action.padEnd(16)} expected ✓, got ${r.error.code} (${r.error.message})`);
          } else {
            const grant = r.data.view.grant?.grant;
            if (!grant || grant.version <= (prior?.version ?? 0)) {
              problems.push(`call   ${role.padEnd(7)} ${action.padEnd(16)} answered ok but the grant did not change (version ${prior?.version ?? 'none'} → ${grant?.version ?? 'none'})`);
            }
            // The change is recorded as this person's (identity from the context).
            const mine = r.data.timeline.filter((rec: any) => rec.event === action && rec.actor === A[role] && rec.outcome === 'accepted');
            if (mine.length !== 1) problems.push(`audit  ${role.padEnd(7)} ${action.padEnd(16)} ${mine.length} accepted audit records by ${role}, expected 1`);
          }
          await closeGrant(app, fresh);
        }
      }
    } finally {
      await app.close();
    }
    if (problems.length) assert.fail(`${problems.length} cell(s) of the ${state} table disagree with SECURITY.md:\n${problems.join('\n')}`);
  });
}

test('identity comes from the context: accountId, actor, atlassianId or context in a payload are ignored', async () => {
  const app = await demoApp();
  try {
    const forged = (as: string) => ({ accountId: as, actor: { accountId: as, groupIds: [] }, atlassianId: as, context: { accountId: as } });
    const key = await requestOrgAdmin(app);
    const before = await grantOf(app, key);

    // mallory claims to be bob.
    const mallory = answer(await app.panel(A.mallory, key, 'approve', forged(A.bob)));
    assert.equal(mallory.ok, false);
    assert.equal(!mallory.ok && mallory.error.code, 'NOT_APPROVER');
    assert.deepEqual(await grantOf(app, key), before, 'the forged approval changed nothing');
    // alice claims to be bob to approve her own request.
    const alice = answer(await app.panel(A.alice, key, 'approve', forged(A.bob)));
    assert.equal(!alice.ok && alice.error.code, 'SELF_APPROVAL');
    // mallory claims to be a permanent admin to revoke.
    const revoke = answer(await app.panel(A.mallory, key, 'revoke', { ...forged(A['perm-1']), reason: 'trust me' }));
    assert.equal(!revoke.ok && revoke.error.code, 'NOT_APPROVER');
    assert.deepEqual(await grantOf(app, key), before);

    // The refusals are audited under the real caller.
    const timeline = (await viewOf(app, A['perm-1'], key)).timeline as Array<{ actor: string; event: string; outcome: string }>;
    const refused = timeline.filter((r) => r.outcome === 'refused');
    assert.deepEqual(
      refused.map((r) => `${r.actor}:${r.event}`),
      [`${A.mallory}:approve`, `${A.alice}:approve`, `${A.mallory}:revoke`],
    );

    // bob approves while claiming to be carol: the approval is bob's, so bob still cannot approve the extension.
    const bob = answer(await app.panel(A.bob, key, 'approve', forged(A.carol)));
    assert.ok(bob.ok);
    assert.deepEqual(bob.data.view.grant.grant.approvals.map((a: { approver: string }) => a.approver), [A.bob]);
    assert.ok(answer(await app.panel(A.alice, key, 'activate', forged(A.erin))).ok);
    assert.ok(answer(await app.panel(A.alice, key, 'requestExtension', { ...forged(A.erin), minutes: 30, justification: 'the migration runs long' })).ok);
    const sameApprover = answer(await app.panel(A.bob, key, 'approveExtension', forged(A.dan)));
    assert.equal(!sameApprover.ok && sameApprover.error.code, 'SAME_APPROVER');
    const active = await grantOf(app, key);
    assert.equal(active.requester, A.alice);
    assert.equal(active.subject, A.alice);
    assert.equal(active.activation.by, A.alice);
    assert.ok(orgAdmins(app).includes(A.alice));
    assert.ok(!orgAdmins(app).includes(A.erin));
  } finally {
    await app.close();
  }
});

test('a submit cannot be made for someone else: {accountId: erin, subject: erin} is refused and nothing is created for erin', async () => {
  const app = await demoApp();
  try {
    const { key } = app.createIssue('Org admin for erin?', A.alice);
    const writes = orgWrites(app);
    const r = answer(
      await app.panel(A.alice, key, 'submitRequest', {
        target: 'org-admin',
        durationMinutes: 60,
        justification: 'I am erin, honestly (INC-4711)',
        accountId: A.erin,
        subject: A.erin,
        actor: { accountId: A.erin, groupIds: [] },
        atlassianId: A.erin,
        context: { accountId: A.erin },
      }),
    );
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, 'NOT_OWNER', 'erin is no service account alice owns');
    assert.equal(!r.ok && r.error.path, 'event.subject');
    assert.equal(await grantOf(app, key), null, 'no grant on the issue');
    const all = answer(await app.admin(A['perm-1'], 'listGrants', { scope: 'all' }));
    assert.ok(all.ok);
    assert.deepEqual(all.data.grants, [], 'no grant anywhere, for erin or anyone');
    assert.equal(orgWrites(app), writes);
    assert.equal(app.jira.comments(key).length, 0);
    const audit = answer(await app.admin(A['perm-1'], 'getAudit', { outcome: 'refused' }));
    assert.ok(audit.ok);
    const refusal = audit.data.records.find((rec: { event: string }) => rec.event === 'submitRequest');
    assert.equal(refusal?.actor, A.alice, 'the refusal is audited as alice’s');

    // Without `subject`, the forged identity fields are simply dropped: the request is alice’s.
    const mine = answer(
      await app.panel(A.alice, key, 'submitRequest', { ...{ target: 'org-admin', durationMinutes: 60, justification: 'Rotate the SAML signing certificate' }, accountId: A.erin, atlassianId: A.erin, context: { accountId: A.erin } }),
    );
    assert.ok(mine.ok);
    assert.equal(mine.data.view.grant.grant.requester, A.alice);
    assert.equal(mine.data.view.grant.grant.subject, A.alice);
  } finally {
    await app.close();
  }
});

test('the issue comes from the context: issueKey or grantId in a payload are ignored', async () => {
  const app = await demoApp();
  try {
    const a = app.createIssue('Request A', A.alice);
    const b = app.createIssue('Request B', A.alice);
    const r = answer(
      await app.panel(A.alice, a.key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'Rotate the SAML signing certificate', issueKey: b.key, grantId: b.key, type: 'approve' }),
    );
    assert.ok(r.ok);
    assert.equal(r.data.view.grant.grant.id, a.id, 'the grant is the context issue, by its id');
    assert.equal(r.data.view.grant.grant.issueKey, a.key);
    assert.equal(r.data.view.grant.grant.status, 'requested', 'a `type` in the payload does not change the event');
    assert.equal(await grantOf(app, b.key), null);
    // bob approves B's (non-existent) request by naming A in the payload: it is B he acts on.
    const cross = answer(await app.panel(A.bob, b.key, 'approve', { issueKey: a.key, grantId: a.key }));
    assert.equal(cross.ok, false);
    assert.equal((await grantOf(app, a.key)).status, 'requested');
  } finally {
    await app.close();
  }
});
