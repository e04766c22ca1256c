// People, not account ids, in the app: names on the panel's and the admin page's data, the pickers, and the
// eligibility review end to end (last use, idle flags, removal through the validated policy save, its CSV).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reviewCsv, REVIEW_CSV_COLUMNS } from '../forge-app/src/shared/reviewCsv';
import { answer, demoApp, requestOrgAdmin } from './support/app';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

test('the panel names everyone it mentions, and a Jira failure leaves account ids instead of failing the panel', async () => {
  const app = await demoApp();
  try {
    const key = await requestOrgAdmin(app);
    const view = answer(await app.panel(A.bob, key, 'getView'));
    assert.ok(view.ok);
    assert.equal(view.data.people[A.alice].displayName, 'Alice Requester');
    assert.equal(view.data.people[A.bob].displayName, 'Bob Approver');
    // A 401 is not retried (a 503 would be, sleeping on the app's virtual clock).
    app.jira.injectFault({ path: '/rest/api/3/user/bulk', status: 401, times: 10 });
    const degraded = answer(await app.panel(A.bob, key, 'getView'));
    assert.ok(degraded.ok, 'names are for showing: the panel still answers');
    assert.deepEqual(degraded.data.people, {});
    assert.equal(degraded.data.view.grant.grant.requester, A.alice);
  } finally {
    await app.close();
  }
});

test('lookupPeople names accounts and groups in one call, each id asked of Jira once per invocation, at most 200 ids', async () => {
  const app = await demoApp();
  try {
    const start = app.jira.requests.length;
    const r = answer(await app.admin(A['perm-1'], 'lookupPeople', { accountIds: [A.alice, A.bob, A.alice, 'nobody'], groupIds: [] }));
    assert.ok(r.ok);
    assert.deepEqual(Object.keys(r.data.people).sort(), [A.alice, A.bob].sort());
    assert.equal(app.jira.requests.slice(start).filter((e) => e.path === '/rest/api/3/user/bulk').length, 1);
    const tooMany = answer(await app.admin(A['perm-1'], 'lookupPeople', { accountIds: Array.from({ length: 201 }, (_, i) => `a${i}`) }));
    assert.equal(!tooMany.ok && tooMany.error.code, 'INVALID_INPUT');
    const picked = answer(await app.admin(A['perm-1'], 'searchPeople', { query: 'bob' }));
    assert.ok(picked.ok);
    assert.deepEqual(picked.data.people.map((p: any) => [p.accountId, p.displayName]), [[A.bob, 'Bob Approver']]);
    const empty = answer(await app.admin(A['perm-1'], 'searchPeople', { query: '   ' }));
    assert.equal(!empty.ok && empty.error.path, 'payload.query');
  } finally {
    await app.close();
  }
});

test('the eligibility review: last use per right, the idle ones after the policy’s period, removal through a validated save, and its CSV', async () => {
  const app = await demoApp();
  try {
    const key = await requestOrgAdmin(app);
    assert.ok(answer(await app.panel(A.bob, key, 'approve')).ok);
    // Two days on, with a one-day idle period.
    const policy = (answer(await app.admin(A['perm-1'], 'getPolicy')) as any).data.policy;
    assert.ok(answer(await app.admin(A['perm-1'], 'savePolicy', { policy: { ...policy, idleAfterDays: 1 } })).ok);
    await app.clock.advance(2 * 24 * 3600_000);
    const r = answer(await app.admin(A.jade, 'getEligibilityReview'));
    assert.ok(r.ok, JSON.stringify(r));
    const { review, people } = r.data;
    const row = (target: string, role: string, who: string) =>
      review.rows.find((x: any) => x.target === target && x.role === role && x.principal.accountId === who);
    assert.equal(review.idleAfterDays, 1);
    assert.equal(row('org-admin', 'requester', A.alice).uses, 1);
    assert.equal(row('org-admin', 'requester', A.alice).idle, true, 'two days since her request');
    assert.equal(row('org-admin', 'approver', A.bob).lastIssueKey, key);
    assert.equal(row('org-admin', 'approver', A.carol).uses, 0);
    assert.equal(people[A.carol].displayName, 'Carol Approver');

    // One-click removal is an ordinary save. erin leaves the site-admin requesters (no guard rail): applied,
    // and the review follows.
    const fewer = structuredClone(policy);
    fewer.idleAfterDays = 1;
    fewer.targets[1].requesters.accountIds = fewer.targets[1].requesters.accountIds.filter((a: string) => a !== A.erin);
    const applied = answer(await app.admin(A['perm-1'], 'savePolicy', { policy: fewer, expectedVersion: r.data.policyVersion }));
    assert.ok(applied.ok && applied.data.outcome === 'applied', JSON.stringify(applied));
    const again = answer(await app.admin(A['perm-1'], 'getEligibilityReview'));
    assert.ok(again.ok);
    assert.ok(!again.data.review.rows.some((x: any) => x.target === 'site-admin' && x.principal.accountId === A.erin));
    // carol leaves the org-admin approvers: a guard rail, so only proposed until another permanent admin approves.
    const next = structuredClone(fewer);
    next.targets[0].approvers.accountIds = next.targets[0].approvers.accountIds.filter((a: string) => a !== A.carol);
    const proposed = answer(await app.admin(A['perm-1'], 'savePolicy', { policy: next, expectedVersion: again.data.policyVersion }));
    assert.ok(proposed.ok && proposed.data.outcome === 'proposed', JSON.stringify(proposed));
    // A stale review cannot overwrite a newer policy.
    const stale = answer(await app.admin(A['perm-2'], 'savePolicy', { policy: fewer, expectedVersion: r.data.policyVersion }));
    assert.equal(!stale.ok && stale.error.code, 'STALE_POLICY');

    const csv = reviewCsv(review, r.data);
    const lines = csv.trimEnd().split('\r\n');
    assert.equal(lines[0], REVIEW_CSV_COLUMNS.join(','));
    assert.equal(lines.length, review.rows.length + 1);
    assert.ok(lines.some((l) => l.startsWith(`org-admin,Organization admin,approver,account,${A.carol},Carol Approver,`) && l.includes(',yes,')));
  } finally {
    await app.close();
  }
});

