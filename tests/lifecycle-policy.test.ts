/**
 * The lifecycle follows the policy in force now, through the whole app (resolvers, the sweep, the
 * org-API emulator): a requester removed from a target's requesters cannot activate an approved
 * grant; removing a person or a target ends their open grants at once (the kill switch,
 * `applyPolicyToOpenGrants`, and every sweep); the holders of a deleted target stay watched; and
 * with no permanent admin holding org admin, enforce mode revokes no org admin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_SITE_ARI, demoPolicy, type LocalApp } from '../playground/local-app';
import { applyPolicyToOpenGrants, type PolicyApplied } from '../forge-app/src/handlers/policyApply';
import { platform } from '../forge-app/src/platform';
import type { Policy } from '../forge-app/src/decision/core';
import { answer, demoApp, orgAdmins, requestOrgAdmin } from './support/app';
import { grantOf } from './support/security';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

const ORG_ADMIN = { type: 'orgRole', role: 'atlassian/org-admin' } as const;
const SITE_ADMIN = { type: 'resourceRole', role: 'atlassian/site-admin', resource: DEMO_SITE_ARI } as const;

/** Puts `p` in force as the admin page does (a guard-rail change: proposed by perm-1, approved by perm-2). */
async function savePolicy(app: LocalApp, p: Policy) {
  await app.changePolicy(p);
}

/**
 * Puts `p` in force the way a save that crashed right after its commit would leave it: stored, but
 * the save's kill switch never ran. Activation must still check the policy in force.
 */
async function storeWithoutKillSwitch(app: LocalApp, p: Policy) {
  await app.runtime.invokeFunction(
    (async () => {
      const ports = platform('resolver');
      const [current, head] = await Promise.all([ports.store.policy(), ports.store.auditHead()]);
      assert.ok(current);
      const committed = await ports.store.commitPolicyChange({
        policy: { doc: { ...current, policy: p, version: current.version + 1 }, expectedVersion: current.version },
        audit: [],
        expectedHead: head,
      });
      assert.equal(committed, 'ok');
    }) as never,
    {},
    { moduleKey: 'jit-admin-admin' },
  );
}

/** What the admin page's save does right after a policy change (as one resolver invocation). */
function applyPolicy(app: LocalApp): Promise<PolicyApplied> {
  return app.runtime.invokeFunction((() => applyPolicyToOpenGrants(platform('resolver'))) as never, {}, { moduleKey: 'jit-admin-admin' }) as Promise<PolicyApplied>;
}

function withoutAlice(p: Policy): Policy {
  return { ...p, targets: (p.targets ?? []).map((t) => ({ ...t, requesters: { accountIds: (t.requesters?.accountIds ?? []).filter((a) => a !== A.alice) } })) };
}

const siteAdmins = (app: LocalApp) => app.org.holders().direct.filter((d) => d.role === SITE_ADMIN.role && d.resource === DEMO_SITE_ARI).map((d) => d.accountId);

async function auditEvents(app: LocalApp, key: string): Promise<string[]> {
  const v = answer(await app.panel(A['perm-1'], key, 'getView'));
  assert.ok(v.ok);
  return (v.data.timeline as Array<{ event: string }>).map((r) => r.event);
}

test('an approved grant does not activate once its requester was removed from the requesters, and the kill switch ends it', async () => {
  const app = await demoApp();
  try {
    const key = await requestOrgAdmin(app);
    assert.ok(answer(await app.panel(A.bob, key, 'approve')).ok);
    await storeWithoutKillSwitch(app, withoutAlice(demoPolicy()));

    const activated = answer(await app.panel(A.alice, key, 'activate'));
    assert.equal(activated.ok, false, 'activation under the new policy must be refused');
    if (!activated.ok) assert.equal(activated.error.code, 'NOT_ELIGIBLE');
    assert.ok(!orgAdmins(app).includes(A.alice), 'alice never became org admin');

    const applied = await applyPolicy(app);
    assert.deepEqual(applied.ended, [app.jira.issue(key)!.id], 'grants are keyed by the issue id');
    const g = await grantOf(app, key);
    assert.equal(g.status, 'ended');
    assert.equal(g.outcome, 'ineligible');
    assert.match(g.ending.reason, /not eligible/);
    assert.ok((await auditEvents(app, key)).includes('endedByPolicy'));
    assert.ok(app.jira.comments(key).some((c) => c.text.includes('no longer allows')), 'the issue says why');
  } finally {
    await app.close();
  }
});

test('saving a policy that drops a requester is the kill switch: their approved grant ends with the save', async () => {
  const app = await demoApp();
  try {
    const key = await requestOrgAdmin(app);
    assert.ok(answer(await app.panel(A.bob, key, 'approve')).ok);
    await savePolicy(app, withoutAlice(demoPolicy()));
    const g = await grantOf(app, key);
    assert.equal(g.status, 'ended', 'ended by the save itself, not at the next sweep');
    assert.equal(g.outcome, 'ineligible');
    const activated = answer(await app.panel(A.alice, key, 'activate'));
    assert.equal(activated.ok, false);
    assert.ok(!orgAdmins(app).includes(A.alice));
  } finally {
    await app.close();
  }
});

test('the sweep is a kill switch too: an active grant of a removed requester is revoked at the next sweep', async () => {
  const app = await demoApp();
  try {
    const key = await requestOrgAdmin(app);
    assert.ok(answer(await app.panel(A.bob, key, 'approve')).ok);
    assert.ok(answer(await app.panel(A.alice, key, 'activate')).ok);
    assert.ok(orgAdmins(app).includes(A.alice));
    await savePolicy(app, withoutAlice(demoPolicy()));
    await app.sweep();
    const g = await grantOf(app, key);
    assert.equal(g.outcome, 'ineligible');
    assert.equal(g.provisioning.state, 'revoked', 'revoked and read back');
    assert.ok(!orgAdmins(app).includes(A.alice));
  } finally {
    await app.close();
  }
});

test('deleting a target ends its active grants from their own copy of the access, and its holders stay watched', async () => {
  const app = await demoApp();
  try {
    const { key } = app.createIssue('Site admin for the SSO rollout', A.alice);
    assert.ok(answer(await app.panel(A.alice, key, 'submitRequest', { target: 'site-admin', durationMinutes: 60, justification: 'configure SSO for the demo site' })).ok);
    assert.ok(answer(await app.panel(A.bob, key, 'approve')).ok);
    assert.ok(answer(await app.panel(A.alice, key, 'activate')).ok);
    assert.deepEqual(siteAdmins(app), [A.alice]);

    const p = demoPolicy();
    await savePolicy(app, { ...p, targets: (p.targets ?? []).filter((t) => t.key !== 'site-admin') });
    await applyPolicy(app);
    const g = await grantOf(app, key);
    assert.equal(g.outcome, 'ineligible');
    assert.equal(g.provisioning.state, 'revoked');
    assert.deepEqual(siteAdmins(app), [], 'revoked although the policy no longer names the access');

    // The access comes back behind the app's back (a slow retry, a console click): the target is
    // gone from the policy, but the sweep still watches what the app handed out.
    app.org.grant(A.alice, SITE_ADMIN);
    app.org.grant(A.mallory, SITE_ADMIN);
    await app.sweep();
    assert.deepEqual(siteAdmins(app), [A.mallory], 'alice\'s leftover is revoked; mallory was never the app\'s to govern here');
    const drift = answer(await app.admin(A['perm-1'], 'getDrift'));
    assert.ok(drift.ok);
    assert.ok(
      (drift.data.findings as Array<{ target: string; accountId: string; kind: string }>).some((f) => f.target === 'site-admin' && f.accountId === A.alice && f.kind === 'endedStillHeld'),
    );
  } finally {
    await app.close();
  }
});

test('enforce mode with no permanent admin holding org admin revokes no org admin and raises a critical alert', async () => {
  const app = await demoApp();
  try {
    await savePolicy(app, { ...demoPolicy(), driftMode: 'enforce' });
    for (const p of [A['perm-1'], A['perm-2'], A['perm-3']]) app.org.revoke(p, ORG_ADMIN);
    app.org.grant(A.mallory, ORG_ADMIN);
    app.org.grant(A.dan, ORG_ADMIN);
    const before = orgAdmins(app);
    await app.sweep();
    assert.deepEqual(orgAdmins(app), before, 'nobody is revoked: which admin the org still needs cannot be told');
    const alerts = answer(await app.admin(A['perm-1'], 'getAlerts', { limit: 100 }));
    assert.ok(alerts.ok);
    const critical = (alerts.data as Array<{ code: string; severity: string }>).filter((a) => a.code === 'NO_PERMANENT_ORG_ADMIN');
    assert.ok(critical.length >= 1 && critical.every((a) => a.severity === 'critical'), JSON.stringify(alerts.data));
  } finally {
    await app.close();
  }
});
