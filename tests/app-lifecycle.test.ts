/**
 * The Forge app end to end, over real HTTP against the emulators: resolvers, post-functions,
 * the queue and the sweep running the app's real handlers on a virtual clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jitWorkflow } from '../playground/local-app';
import { activeOrgAdmin, answer, demoApp, orgAdmins, requestOrgAdmin, windowEnd } from './support/app';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

test('request, approval and activation grant the org admin role; completion revokes it and verifies the revoke', async () => {
  const app = await demoApp();
  try {
    const key = await requestOrgAdmin(app);
    assert.deepEqual(orgAdmins(app), [A['perm-1'], A['perm-2'], A['perm-3']].sort());
    assert.equal(answer(await app.panel(A.bob, key, 'approve')).ok, true);
    const activated = answer(await app.panel(A.alice, key, 'activate'));
    assert.equal(activated.ok, true);
    assert.ok(orgAdmins(app).includes(A.alice), 'the emulator shows alice as org admin');
    assert.equal(activated.ok && activated.data.view.grant.grant.provisioning.state, 'granted');

    const done = answer(await app.panel(A.alice, key, 'complete'));
    assert.ok(done.ok);
    assert.equal(done.data.view.grant.grant.provisioning.state, 'revoked');
    assert.ok(done.data.view.grant.grant.provisioning.revokedAt);
    assert.deepEqual(orgAdmins(app), [A['perm-1'], A['perm-2'], A['perm-3']].sort());
    // The revoke was verified by reading it back: the adapter read role assignments after revoking.
    const stats = app.org.stats();
    assert.ok(Object.entries(stats.calls).some(([route, n]) => /role-assignments/.test(route) && route.startsWith('GET') && n > 0), JSON.stringify(stats.calls));

    const comments = app.jira.comments(key).map((c) => c.text);
    assert.ok(comments.some((t) => t.includes('Access granted')));
    assert.ok(comments.some((t) => t.includes('Access removed') && t.includes('verified')));
    const property = app.jira.property(key, 'jit-admin-grant') as { status: string; access: string };
    assert.equal(property.status, 'ended');
    assert.equal(property.access, 'revoked');
  } finally {
    await app.close();
  }
});

test('the window end revokes the role through the queue on time, with no sweep', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    const key = await activeOrgAdmin(app);
    const end = await windowEnd(app, key);
    await app.clock.advanceTo(end - 1000);
    assert.ok(orgAdmins(app).includes(A.alice), 'still held one second before the end');
    await app.clock.advanceTo(end);
    assert.ok(!orgAdmins(app).includes(A.alice), 'revoked at the window end');
    const after = answer(await app.panel(A.alice, key, 'getView'));
    assert.ok(after.ok);
    assert.equal(after.data.view.grant.state, 'expired');
    assert.equal(after.data.view.grant.grant.provisioning.state, 'revoked');
    assert.equal(Date.parse(after.data.view.grant.grant.provisioning.revokedAt), end, 'confirmed with no lateness');
  } finally {
    await app.close();
  }
});

test('an extension is refused for the original approver and accepted from a second approver', async () => {
  const app = await demoApp();
  try {
    const key = await activeOrgAdmin(app);
    const asked = answer(await app.panel(A.alice, key, 'requestExtension', { minutes: 30, justification: 'the migration runs long' }));
    assert.ok(asked.ok);
    const before = asked.data.view.grant.grant.window.end;
    const bob = answer(await app.panel(A.bob, key, 'approveExtension'));
    assert.equal(bob.ok, false);
    assert.equal(!bob.ok && bob.error.code, 'SAME_APPROVER');
    const carol = answer(await app.panel(A.carol, key, 'approveExtension'));
    assert.ok(carol.ok);
    assert.equal(Date.parse(carol.data.view.grant.grant.window.end) - Date.parse(before), 30 * 60_000);
    assert.equal(carol.data.view.grant.grant.id, app.jira.issue(key)!.id, 'the same grant (the issue id), no overlapping one');
    assert.equal(carol.data.view.grant.grant.issueKey, key);
  } finally {
    await app.close();
  }
});

test('in a workflow without the validators, a transition by a non-approver is refused by the post-function, commented and audited', async () => {
  // A team-managed workflow, or one whose admin left out the validators: the issue moves, and the
  // post-function is the last line (the sweep then reports the status it left behind).
  const app = await demoApp({ workflow: jitWorkflow({ withValidators: false }) });
  try {
    const key = await requestOrgAdmin(app);
    await app.transition(A.mallory, key, 'approve');
    const view = answer(await app.panel(A.alice, key, 'getView'));
    assert.ok(view.ok);
    assert.equal(view.data.view.grant.grant.status, 'requested', 'the transition changed nothing');
    const comment = app.jira.comments(key).at(-1)?.text ?? '';
    assert.match(comment, /refused the approve transition/);
    assert.match(comment, /NOT_APPROVER/);
    const refused = view.data.timeline.find((r: { outcome: string; actor: string }) => r.outcome === 'refused' && r.actor === A.mallory);
    assert.ok(refused, 'the refusal is in the audit trail');
    assert.equal(refused.details.source, 'workflow');

    await app.transition(A.bob, key, 'approve');
    const approved = answer(await app.panel(A.alice, key, 'getView'));
    assert.ok(approved.ok);
    assert.equal(approved.data.view.grant.grant.status, 'approved', 'an approver’s transition approves');
  } finally {
    await app.close();
  }
});

test('a sweep revokes a grant whose timer was lost, revokes access still held after its grant, and reports drift', async () => {
  // No queue consumer: every "wake me at T" is lost, so only the sweep can expire the grant.
  const app = await demoApp({ queueConsumer: false, scheduleSweep: false });
  try {
    const key = await activeOrgAdmin(app);
    await app.clock.advanceTo((await windowEnd(app, key)) + 60_000);
    assert.ok(orgAdmins(app).includes(A.alice), 'the lost timer left the role in place');
    app.org.grant(A.mallory, { type: 'orgRole', role: 'atlassian/org-admin' });

    await app.sweep();
    assert.ok(!orgAdmins(app).includes(A.alice), 'the sweep expired the grant and revoked it');
    assert.ok(orgAdmins(app).includes(A.mallory), 'report mode reports drift but revokes nobody');
    const drift = answer(await app.admin(A['perm-1'], 'getDrift'));
    assert.ok(drift.ok);
    assert.ok(drift.data.findings.some((f: { accountId: string; kind: string; disposition: string }) => f.accountId === A.mallory && f.kind === 'drift' && f.disposition === 'report'));
    const alerts = answer(await app.admin(A['perm-1'], 'getAlerts'));
    assert.ok(alerts.ok && alerts.data.some((a: { code: string; message: string }) => a.code === 'DRIFT' && a.message.includes(A.mallory)));

    // Someone re-grants alice behind the app's back after her grant ended: revoked whatever the mode.
    app.org.grant(A.alice, { type: 'orgRole', role: 'atlassian/org-admin' });
    await app.clock.advance(5 * 60_000);
    await app.sweep();
    assert.ok(!orgAdmins(app).includes(A.alice), 'access held after its grant ended is revoked');
    const audit = answer(await app.admin(A['perm-1'], 'getAudit', { event: 'sweep' }));
    assert.ok(audit.ok && audit.data.records.length >= 1);
    assert.equal(audit.ok && audit.data.verification.valid, true);
  } finally {
    await app.close();
  }
});

test('duplicate deliveries of a post-function, a click and a queue event are applied once', async () => {
  const app = await demoApp({ queueFaults: { duplicateRate: 1 } });
  try {
    const key = await requestOrgAdmin(app);
    await app.deliverPostFunction(A.bob, key, 'approve');
    await app.deliverPostFunction(A.bob, key, 'approve');
    const afterApprovals = answer(await app.panel(A.alice, key, 'getView'));
    assert.ok(afterApprovals.ok);
    assert.equal(afterApprovals.data.view.grant.grant.approvals.length, 1);
    assert.equal(afterApprovals.data.timeline.filter((r: { event: string; outcome: string }) => r.event === 'approve' && r.outcome === 'accepted').length, 1);

    app.org.resetStats();
    await Promise.all([app.panel(A.alice, key, 'activate'), app.panel(A.alice, key, 'activate')]);
    const stats = app.org.stats();
    const assigns = Object.entries(stats.calls).filter(([r]) => r.includes('assign')).reduce((n, [, c]) => n + c, 0);
    assert.ok(assigns >= 1 && assigns <= 2, `assign calls: ${assigns}`);
    const view = answer(await app.panel(A.alice, key, 'getView'));
    assert.ok(view.ok);
    assert.equal(view.data.timeline.filter((r: { event: string }) => r.event === 'activate').length, 1);
    assert.equal(view.data.timeline.filter((r: { event: string }) => r.event === 'accessGranted').length, 1);

    // Every queue event is delivered twice: the window still ends once, on time.
    const end = Date.parse(view.data.view.grant.grant.window.end);
    await app.clock.advanceTo(end + 1000);
    const ended = answer(await app.panel(A.alice, key, 'getView'));
    assert.ok(ended.ok);
    assert.equal(ended.data.timeline.filter((r: { event: string }) => r.event === 'expire').length, 1);
    assert.equal(ended.data.timeline.filter((r: { event: string }) => r.event === 'accessRevoked').length, 1);
    assert.ok(!orgAdmins(app).includes(A.alice));
  } finally {
    await app.close();
  }
});

test('a wake-up chain the grant no longer needs stops at its next hop, and the live one still ends the window on time', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    // The request's chain aims at the approval deadline (24 h away); approval moves `wakeAt` to
    // the window end, so that chain is superseded and must not hop on for a day.
    const key = await activeOrgAdmin(app);
    const end = await windowEnd(app, key);
    await app.clock.advanceTo(end);
    assert.ok(!orgAdmins(app).includes(A.alice), 'revoked at the window end');
    await app.clock.advanceTo(end + 25 * 3600_000);
    assert.equal(app.runtime.queue.events({ state: 'pending' }).length, 0, 'every queued event is spent');
    const deliveries = app.runtime.queue.deliveries.length;
    // One hop of the superseded chain each, plus the live chain's hops (≤ 900 s each) to the
    // 60-minute window end: about ten. Hopping on to the deadline would be about a hundred.
    assert.ok(deliveries <= 15, `queue deliveries for one grant: ${deliveries}`);
    const after = answer(await app.panel(A.alice, key, 'getView'));
    assert.ok(after.ok);
    assert.equal(Date.parse(after.data.view.grant.grant.provisioning.revokedAt), end, 'confirmed with no lateness');
  } finally {
    await app.close();
  }
});

test('an org-admin revoke reads only as many org admins as the floor needs (the permanent admins first)', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    const key = await activeOrgAdmin(app);
    app.org.resetStats();
    assert.ok(answer(await app.panel(A.alice, key, 'complete')).ok);
    const calls = app.org.stats().calls;
    const reads = Object.entries(calls).filter(([r]) => r.startsWith('GET') && r.includes('role-assignments')).reduce((n, [, c]) => n + c, 0);
    // The org admins come from the user search: none is in a group holding the role, so each is a
    // direct holder without a read of its own. The only role-assignment read is the revoke's read-back
    // (reading every org admin would be five).
    assert.equal(reads, 1, JSON.stringify(calls));
    const searches = Object.entries(calls).filter(([r]) => r.includes('/search')).reduce((n, [, c]) => n + c, 0);
    assert.ok(searches <= 3, `the group search and the first page of org admins: ${JSON.stringify(calls)}`);
    assert.deepEqual(orgAdmins(app), [A['perm-1'], A['perm-2'], A['perm-3']].sort());
  } finally {
    await app.close();
  }
});
