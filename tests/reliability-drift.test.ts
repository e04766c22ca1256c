/**
 * Drift: access granted outside the app (an org admin, a site admin on the demo site, a member of
 * jira-admins-demo) is found by the next sweep; `report` mode comments on the alert issue and
 * alerts, `enforce` mode revokes and reads each revoke back; a member of the SCIM-synced group is
 * reported and never modified, in both modes. Writes are checked in the emulator's request log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_JIRA_ADMINS_GROUP, DEMO_SCIM_GROUP, DEMO_SITE_ARI, demoPolicy, type LocalApp } from '../playground/local-app';
import type { Policy } from '../forge-app/src/decision/core';
import { activeOrgAdmin, answer, demoApp, orgAdmins, requestOrgAdmin } from './support/app';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

const ORG_ADMIN = { type: 'orgRole', role: 'atlassian/org-admin' } as const;
const SITE_ADMIN = { type: 'resourceRole', role: 'atlassian/site-admin', resource: DEMO_SITE_ARI } as const;
const JIRA_ADMINS = { type: 'groupMembership', groupId: DEMO_JIRA_ADMINS_GROUP } as const;
const SCIM = { type: 'groupMembership', groupId: DEMO_SCIM_GROUP } as const;
const WRITES = ['assignOrgRole', 'revokeOrgRole', 'assignRole', 'revokeRole', 'addGroupMember', 'removeGroupMember'];

/** The demo policy with a target for the SCIM-synced group, the alert issue and a drift mode. */
function policy(alertIssueKey: string, driftMode: 'report' | 'enforce'): Policy {
  const p = demoPolicy(alertIssueKey);
  p.driftMode = driftMode;
  p.targets = [...(p.targets ?? []), {
    key: 'idp-admins',
    label: 'IdP platform admins (idp-platform-admins)',
    access: { type: 'groupMembership', groupId: DEMO_SCIM_GROUP, groupName: 'idp-platform-admins' },
    requesters: { accountIds: [A.alice, A.erin] },
    approvers: { accountIds: [A.bob, A.carol, A.dan] },
    defaultDurationMinutes: 60,
    maxDurationMinutes: 240,
  } as NonNullable<Policy['targets']>[number]];
  return p;
}

/** Puts a policy in force: perm-1 saves it and perm-2 approves it when it changes a guard rail. */
async function savePolicy(app: LocalApp, policy: Policy) {
  await app.changePolicy(policy);
}

/** Who holds what, from the emulator's truth. */
function truth(app: LocalApp) {
  const h = app.org.holders();
  const members = (g: string) => h.groups.find((x) => x.groupId === g)?.members ?? [];
  return {
    orgAdmins: h.orgAdmins,
    siteAdmins: h.direct.filter((d) => d.role === 'atlassian/site-admin' && d.resource === DEMO_SITE_ARI).map((d) => d.accountId),
    jiraAdmins: members(DEMO_JIRA_ADMINS_GROUP),
    scim: members(DEMO_SCIM_GROUP),
  };
}

const writes = (app: LocalApp) => app.org.requestLog().filter((e) => WRITES.includes(e.route));
const describe = (e: ReturnType<LocalApp['org']['requestLog']>[number]) => `#${e.seq} ${e.route} ${JSON.stringify(e.params)} ${JSON.stringify(e.body ?? '')}`;

async function alerts(app: LocalApp) {
  const r = answer(await app.admin(A['perm-1'], 'getAlerts', { limit: 100 }));
  assert.ok(r.ok);
  return r.data as Array<{ code: string; message: string; severity: string }>;
}

async function findings(app: LocalApp) {
  const r = answer(await app.admin(A['perm-1'], 'getDrift'));
  assert.ok(r.ok);
  return r.data.findings as Array<{ target: string; accountId: string; kind: string; disposition: string }>;
}

/** Grants the four kinds of drift behind the app's back. */
function drift(app: LocalApp) {
  app.org.grant(A.mallory, ORG_ADMIN);
  app.org.grant(A.erin, SITE_ADMIN);
  app.org.grant(A.dan, JIRA_ADMINS);
  app.org.grant(A.carol, SCIM);
}

test('report mode: drift in org admin, site admin and jira-admins-demo is commented and alerted by the next sweep; the SCIM group is reported; nothing is written to the org', async () => {
  const app = await demoApp();
  try {
    const alertIssue = app.createIssue('JIT Admin alerts', A['perm-1']).key;
    await savePolicy(app, policy(alertIssue, 'report'));
    drift(app);
    app.org.clearRequestLog();
    await app.clock.advance(5 * 60_000);
    await app.sweep();

    const found = await findings(app);
    const comments = app.jira.comments(alertIssue).map((c) => c.text);
    const raised = await alerts(app);
    console.log(`report mode: findings ${JSON.stringify(found.map((f) => `${f.target}:${f.accountId}:${f.kind}:${f.disposition}`))}; ${comments.length} comments on ${alertIssue}; alerts ${JSON.stringify(raised.map((a) => `${a.code}:${a.severity}`))}; org writes ${writes(app).length}`);

    for (const [target, who] of [
      ['org-admin', A.mallory],
      ['site-admin', A.erin],
      ['jira-admins', A.dan],
    ] as const) {
      assert.ok(found.some((f) => f.target === target && f.accountId === who && f.kind === 'drift' && f.disposition === 'report'), `${who} in ${target} is a reported drift finding`);
      assert.ok(comments.some((t) => t.includes(who) && t.includes('outside JIT Admin')), `${who}'s drift is commented on ${alertIssue}`);
      assert.ok(raised.some((a) => a.code === 'DRIFT' && a.message.includes(who)), `${who}'s drift is alerted`);
    }
    assert.ok(found.some((f) => f.target === 'idp-admins' && f.accountId === A.carol && f.disposition === 'externallyManaged'), 'the SCIM member is reported as managed by the identity provider');
    assert.ok(raised.some((a) => a.code === 'DRIFT_EXTERNALLY_MANAGED' && a.message.includes(A.carol)), 'and alerted');
    assert.deepEqual(writes(app).map(describe), [], 'report mode writes nothing to the org');
    const t = truth(app);
    assert.ok(t.orgAdmins.includes(A.mallory) && t.siteAdmins.includes(A.erin) && t.jiraAdmins.includes(A.dan) && t.scim.includes(A.carol));
  } finally {
    await app.close();
  }
});

test('enforce mode: the next sweep revokes drift and reads each revoke back; the SCIM group is reported and never modified', async () => {
  const app = await demoApp();
  try {
    const alertIssue = app.createIssue('JIT Admin alerts', A['perm-1']).key;
    await savePolicy(app, policy(alertIssue, 'enforce'));
    drift(app);
    app.org.clearRequestLog();
    await app.clock.advance(5 * 60_000);
    await app.sweep();

    const log = app.org.requestLog();
    const found = await findings(app);
    const t = truth(app);
    console.log(`enforce mode: findings ${JSON.stringify(found.map((f) => `${f.target}:${f.accountId}:${f.disposition}`))}; org writes ${JSON.stringify(writes(app).map((e) => `${e.route}:${e.params.userId ?? e.params.accountId}:${e.status}`))}`);
    assert.ok(!t.orgAdmins.includes(A.mallory), 'mallory no longer org admin');
    assert.ok(!t.siteAdmins.includes(A.erin), 'erin no longer site admin');
    assert.ok(!t.jiraAdmins.includes(A.dan), 'dan no longer in jira-admins-demo');
    for (const p of [A['perm-1'], A['perm-2'], A['perm-3']]) assert.ok(t.orgAdmins.includes(p), `${p} untouched`);

    // Each revoke call is followed by a read of that account's access (the read-back).
    for (const [route, who, isRead] of [
      ['revokeOrgRole', A.mallory, (e: (typeof log)[number]) => e.route === 'getUserRoleAssignments' && e.params.accountId === A.mallory],
      ['revokeRole', A.erin, (e: (typeof log)[number]) => e.route === 'getUserRoleAssignments' && e.params.accountId === A.erin],
      ['removeGroupMember', A.dan, (e: (typeof log)[number]) => e.route === 'searchUsers' && JSON.stringify(e.body).includes(`"accountIds":["${A.dan}"]`)],
    ] as const) {
      const write = log.find((e) => e.route === route && (e.params.userId ?? e.params.accountId) === who);
      assert.ok(write, `a ${route} call for ${who}`);
      assert.ok(log.some((e) => e.seq > write.seq && e.status === 200 && isRead(e)), `${who}'s revoke is read back`);
    }
    const exported = answer(await app.admin(A['perm-1'], 'exportAudit', { format: 'json' }));
    assert.ok(exported.ok);
    const revoked = (JSON.parse(exported.data.content) as Array<{ event: string; details: { accountId?: string; reason?: string } }>).filter((r) => r.event === 'accessRevoked');
    for (const who of [A.mallory, A.erin, A.dan]) assert.ok(revoked.some((r) => r.details.accountId === who && r.details.reason === 'drift'), `the revoke of ${who} is audited`);

    // The SCIM group: reported, never written to, its member still there.
    assert.ok(found.some((f) => f.target === 'idp-admins' && f.accountId === A.carol && f.disposition === 'externallyManaged'));
    assert.ok(t.scim.includes(A.carol), 'carol still in the SCIM group');
    assert.deepEqual(log.filter((e) => WRITES.includes(e.route) && e.params.groupId === DEMO_SCIM_GROUP).map(describe), [], 'no write call hit the SCIM group');
    assert.deepEqual(log.filter((e) => WRITES.includes(e.route) && /perm-/.test(e.params.userId ?? e.params.accountId ?? '')).map(describe), [], 'no write call named a permanent admin');

    // A second sweep finds nothing more to do, and still leaves the SCIM group alone.
    app.org.clearRequestLog();
    await app.clock.advance(5 * 60_000);
    await app.sweep();
    assert.deepEqual(writes(app).map(describe), [], 'nothing left to revoke');
    assert.deepEqual((await findings(app)).map((f) => `${f.target}:${f.accountId}`), [`idp-admins:${A.carol}`]);
  } finally {
    await app.close();
  }
});

test('drift that comes back after it was cleared is commented and alerted again (report mode, same day)', async () => {
  const app = await demoApp();
  try {
    const alertIssue = app.createIssue('JIT Admin alerts', A['perm-1']).key;
    await savePolicy(app, policy(alertIssue, 'report'));
    const mentions = () => app.jira.comments(alertIssue).filter((c) => c.text.includes(A.mallory)).length;

    app.org.grant(A.mallory, ORG_ADMIN);
    await app.clock.advance(5 * 60_000);
    await app.sweep();
    assert.equal(mentions(), 1, 'the first drift is commented');

    // Someone removes it, and two hours later someone grants it again.
    app.org.revoke(A.mallory, ORG_ADMIN);
    await app.clock.advance(5 * 60_000);
    await app.sweep();
    assert.deepEqual(await findings(app), [], 'cleared');
    await app.clock.advance(2 * 3600_000);
    app.org.grant(A.mallory, ORG_ADMIN);
    await app.clock.advance(5 * 60_000);
    await app.sweep();
    const found = await findings(app);
    assert.ok(found.some((f) => f.accountId === A.mallory && f.kind === 'drift'), 'the sweep finds it again');
    const raisedFor = (await alerts(app)).filter((a) => a.code === 'DRIFT' && a.message.includes(A.mallory));
    console.log(`drift twice in a day: ${mentions()} comment(s) mentioning mallory on ${alertIssue}, ${raisedFor.length} DRIFT alert record(s) for mallory`);
    assert.equal(mentions(), 2, 'the second, separate drift of the day is commented too (it was not: the comment key is per target, account and UTC day)');
  } finally {
    await app.close();
  }
});

test('a grant activated while the sweep is reading holders is not taken for drift or for access left over from an earlier grant', async () => {
  const app = await demoApp();
  try {
    // alice had a grant earlier today, completed and revoked.
    const earlier = await activeOrgAdmin(app);
    assert.ok(answer(await app.panel(A.alice, earlier, 'complete')).ok);
    await app.clock.advance(60_000);
    const key = await requestOrgAdmin(app);
    assert.ok(answer(await app.panel(A.bob, key, 'approve')).ok);

    // The sweep's first holder read is rate-limited (Retry-After 2 s); alice elevates meanwhile.
    app.org.setFaults({ rate: 0, routes: ['searchUsers'], retryAfterSeconds: 2 });
    app.org.injectFaults('429');
    app.org.clearRequestLog();
    const sweeping = app.sweep();
    for (let i = 0; i < 400 && !app.org.requestLog().some((e) => e.status === 429); i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const activated = answer(await app.panel(A.alice, key, 'activate'));
    assert.ok(activated.ok && activated.data.view.grant.grant.provisioning.state === 'granted');
    await app.clock.advance(3_000);
    await sweeping;

    const found = await findings(app);
    const after = answer(await app.panel(A.alice, key, 'getView'));
    assert.ok(after.ok);
    console.log(`sweep racing an activation: findings ${JSON.stringify(found)}; alice org admin: ${orgAdmins(app).includes(A.alice)}; her grant says ${after.data.view.grant.grant.provisioning.state}`);
    assert.deepEqual(found.filter((f) => f.accountId === A.alice), [], 'alice holds it through her active grant: no finding');
    assert.ok(orgAdmins(app).includes(A.alice), 'the sweep left the access of an active grant in place');
  } finally {
    await app.close();
  }
});
