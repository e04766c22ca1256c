/**
 * The organizations API as Atlassian documents it, through the whole app: access through a group's
 * role is reported by the sweep (and never revoked), a large organisation stays within Forge's
 * per-invocation budgets (100 egress requests, 100 log lines; counted per invocation in the
 * emulator's request log and the app's log), a changed contract of the `x-experimental` org-admin
 * role-assignments operations and a key with scopes raise critical alerts that say what to do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_SITE_ARI, demoPolicy, type LocalApp } from '../playground/local-app';
import type { OrgSeed } from '../playground/emulators/org-admin/index';
import type { Policy } from '../forge-app/src/decision/core';
import { activeOrgAdmin, answer, demoApp, orgAdmins, requestOrgAdmin } from './support/app';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

const ORG_ADMIN_ROLE = 'atlassian/org-admin';
const LEGACY_GROUP = 'legacy-org-admins';

/** Puts `p` in force (a guard-rail change such as the drift mode needs a second permanent admin). */
async function savePolicy(app: LocalApp, p: Policy) {
  await app.changePolicy(p);
}

async function alerts(app: LocalApp) {
  const r = answer(await app.admin(A['perm-1'], 'getAlerts', { limit: 200 }));
  assert.ok(r.ok);
  return r.data as Array<{ code: string; message: string; severity: string; key: string }>;
}

async function drift(app: LocalApp) {
  const r = answer(await app.admin(A['perm-1'], 'getDrift'));
  assert.ok(r.ok);
  return r.data as {
    findings: Array<{ target: string; accountId: string; kind: string; disposition: string; groupId?: string; groupName?: string }>;
    holders: Array<{ target: string; complete: boolean; holders: string[]; viaGroups?: Array<{ groupId: string; accountIds: string[] }>; unread?: number }>;
  };
}

/** Runs one invocation and returns what it cost: org API requests (emulator log) and log lines. */
async function measured(app: LocalApp, run: () => Promise<unknown>) {
  app.org.clearRequestLog();
  const lines = app.logLines.length;
  await run();
  return { requests: app.org.requestLog().length, logLines: app.logLines.length - lines, log: app.org.requestLog() };
}

test('a member of a group that holds org admin is reported by the sweep naming the group, in enforce mode too, and the group is never changed', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    const p = demoPolicy();
    p.driftMode = 'enforce';
    await savePolicy(app, p);
    app.org.seed({ groups: [{ id: LEGACY_GROUP, name: 'org-admins', members: [A.mallory, A['perm-2']], roles: [{ role: ORG_ADMIN_ROLE }] }] });
    assert.ok(orgAdmins(app).includes(A.mallory), 'mallory is an org admin through the group');
    app.org.clearRequestLog();
    await app.sweep();

    const d = await drift(app);
    const via = d.findings.filter((f) => f.kind === 'viaGroup');
    assert.deepEqual(
      via.map((f) => [f.target, f.accountId, f.disposition, f.groupId, f.groupName]),
      [['org-admin', A.mallory, 'reportGroup', LEGACY_GROUP, 'org-admins']],
      'the permanent admin in the group is not a finding',
    );
    const orgRead = d.holders.find((h) => h.target === 'org-admin');
    assert.deepEqual(orgRead?.viaGroups?.map((g) => [g.groupId, g.accountIds]), [[LEGACY_GROUP, [A.mallory, A['perm-2']].sort()]]);
    assert.ok(!orgRead?.holders.includes(A.mallory), 'not a direct holder');
    const a = (await alerts(app)).filter((x) => x.code === 'DRIFT_VIA_GROUP');
    assert.equal(a.length, 1);
    assert.equal(a[0].severity, 'critical');
    assert.match(a[0].message, /through group `org-admins`/);
    assert.match(a[0].message, /remove the role from group `org-admins`/);
    const writes = app.org.requestLog().filter((e) => !['searchUsers', 'searchGroups', 'getGroup', 'getUserRoleAssignments', 'getGroupRoleAssignments', 'getDirectories'].includes(e.route));
    assert.deepEqual(writes.map((e) => e.route), [], 'nothing written to the org');
    assert.deepEqual(app.org.holders().groups.find((g) => g.groupId === LEGACY_GROUP)?.members, [A.mallory, A['perm-2']]);
  } finally {
    await app.close();
  }
});

/** Ids that sort before and after the demo people, so a read in id order meets them first or last. */
const admin = (i: number) => `712020:admin-${String(i).padStart(4, '0')}`;
const member = (i: number) => `000000:member-${String(i).padStart(4, '0')}`;

function largeOrg(directAdmins: number, groupMembers: number, siteAdmins: number[]): OrgSeed {
  const admins = Array.from({ length: directAdmins }, (_, i) => admin(i));
  const members = Array.from({ length: groupMembers }, (_, i) => member(i));
  return {
    users: [...admins, ...members].map((accountId) => ({ accountId })),
    groups: [{ id: LEGACY_GROUP, name: 'org-admins', members, roles: [{ role: ORG_ADMIN_ROLE }] }],
    assignments: [
      ...admins.map((accountId) => ({ accountId, role: ORG_ADMIN_ROLE })),
      // Org admins that ALSO hold site admin directly: only a read of their own can tell.
      ...siteAdmins.map((i) => ({ accountId: admin(i), role: 'atlassian/site-admin', resource: DEMO_SITE_ARI })),
    ],
  };
}

test('300 org admins: each sweep stays within 100 org API requests and 100 log lines, and over its runs sees every holder, including direct site admins hidden behind org admin', async () => {
  const app = await demoApp({ scheduleSweep: false, orgPageSize: 100 });
  try {
    const hidden = [7, 101, 205, 299];
    app.org.seed(largeOrg(300, 40, hidden));
    const runs: Array<{ requests: number; logLines: number }> = [];
    const siteHolders = new Set<string>();
    // 343 accounts hold site admin by inference (303 direct org admins, 40 through the group); each
    // sweep reads 20 of them in turn, so about 18 sweeps (90 minutes) see them all.
    for (let run = 0; run < 20; run++) {
      const cost = await measured(app, () => app.sweep());
      runs.push({ requests: cost.requests, logLines: cost.logLines });
      const d = await drift(app);
      for (const id of d.holders.find((h) => h.target === 'site-admin')?.holders ?? []) siteHolders.add(id);
      if (run === 0) {
        const org = d.holders.find((h) => h.target === 'org-admin');
        assert.equal(org?.complete, true);
        assert.equal(org?.holders.length, 303, 'every direct org admin in the first sweep (300 + the three permanent admins)');
        assert.equal(org?.viaGroups?.[0].accountIds.length, 40);
        assert.equal(d.findings.filter((f) => f.kind === 'drift' && f.target === 'org-admin').length, 300);
        assert.equal(d.findings.filter((f) => f.kind === 'viaGroup').length, 40);
      }
      await app.clock.advance(5 * 60_000);
    }
    console.log(`large org: per sweep ${JSON.stringify(runs)}`);
    for (const r of runs) {
      assert.ok(r.requests <= 100, `org API requests per sweep: ${r.requests}`);
      assert.ok(r.logLines <= 100, `log lines per sweep: ${r.logLines}`);
    }
    assert.deepEqual([...siteHolders].sort(), hidden.map(admin).sort(), 'every hidden direct site admin was seen by some sweep');
    // Once seen, a holder is read first by every later sweep, so it stays seen.
    const last = (await drift(app)).holders.find((h) => h.target === 'site-admin');
    assert.deepEqual(last?.holders.slice().sort(), hidden.map(admin).sort());
  } finally {
    await app.close();
  }
});

test('300 org admins behind a group: the revocation guard confirms the floor from the listing, its invocation stays within 100 requests, and the floor still holds', async () => {
  const app = await demoApp({ scheduleSweep: false, orgPageSize: 100 });
  try {
    // The floor, a guard rail, is raised while the permanent admins still hold org admin directly
    // (a policy change needs a listed permanent admin who is an org admin today).
    const p = demoPolicy();
    p.minOrgAdmins = 3;
    await app.changePolicy(p);
    // The permanent admins hold org admin only through the legacy group; 290 more members; 10 direct
    // org admins whose ids sort after every member.
    app.org.seed(largeOrg(10, 290, []));
    app.org.seed({ groups: [{ id: LEGACY_GROUP, name: 'org-admins', members: [...Array.from({ length: 290 }, (_, i) => member(i)), A['perm-1'], A['perm-2'], A['perm-3']], roles: [{ role: ORG_ADMIN_ROLE }] }] });
    for (const p of [A['perm-1'], A['perm-2'], A['perm-3']]) app.org.revoke(p, { type: 'orgRole', role: ORG_ADMIN_ROLE });
    const key = await activeOrgAdmin(app, A.alice, 60);
    const cost = await measured(app, () => app.panel(A.alice, key, 'complete'));
    console.log(`large org: the revoke's invocation (guard + revoke + read-back): ${cost.requests} org API requests, ${cost.logLines} log lines`);
    assert.ok(!app.org.holders().direct.some((d) => d.accountId === A.alice && d.role === ORG_ADMIN_ROLE), 'revoked');
    assert.ok(cost.requests <= 100, `org API requests in the invocation: ${cost.requests}`);
    assert.ok(cost.requests <= 12, `the guard needed no per-account reads: ${cost.log.map((e) => e.route).join(', ')}`);

    // Floor: with minOrgAdmins 3 and two other direct org admins left, the 293 group members never
    // count: erin's revoke is held back, not executed.
    for (let i = 2; i < 10; i++) app.org.revoke(admin(i), { type: 'orgRole', role: ORG_ADMIN_ROLE });
    const erinKey = await activeOrgAdmin(app, A.erin, 60);
    const held = await measured(app, () => app.panel(A.erin, erinKey, 'complete'));
    console.log(`large org: a revoke the floor holds back: ${held.requests} org API requests, ${held.logLines} log lines`);
    assert.ok(held.requests <= 100, `requests: ${held.requests}`);
    assert.ok(app.org.holders().direct.some((d) => d.accountId === A.erin && d.role === ORG_ADMIN_ROLE), 'erin is kept');
    assert.ok(!held.log.some((e) => e.route === 'revokeOrgRole'), 'no revoke call');
    const codes = (await alerts(app)).map((a) => a.code);
    assert.ok(codes.includes('ADMIN_FLOOR') || codes.includes('HOLDERS_UNKNOWN'), codes.join(', '));
  } finally {
    await app.close();
  }
});

test('the experimental org-admin role-assignments operations answering as removed: the grant fails with a clear message, the revoke keeps retrying, and both raise ORG_API_CONTRACT_CHANGED naming the endpoint', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    const held = await activeOrgAdmin(app, A.erin, 60);
    app.org.setContractFaults({ orgRoleAssignments: 'removed' });

    // A new grant: activation fails for good, with the reason in the request's comments.
    const key = await requestOrgAdmin(app, A.alice);
    assert.ok(answer(await app.panel(A.bob, key, 'approve')).ok);
    await app.panel(A.alice, key, 'activate');
    const view = answer(await app.panel(A.alice, key, 'getView'));
    assert.ok(view.ok);
    assert.equal(view.data.view.grant.grant.status, 'ended');
    assert.equal(view.data.view.grant.grant.provisioning.lastError.code, 'ORG_API_CONTRACT_CHANGED');
    const comments = app.jira.comments(key).map((c) => c.text).join('\n');
    assert.match(comments, /role-assignments\/assign/);
    assert.ok(!orgAdmins(app).includes(A.alice));

    // The held grant's revoke cannot work: it stays revoking, is retried, and alerts.
    await app.panel(A.erin, held, 'complete');
    await app.clock.advance(10 * 60_000);
    const erin = answer(await app.panel(A.erin, held, 'getView'));
    assert.ok(erin.ok);
    assert.notEqual(erin.data.view.grant.grant.provisioning.state, 'revoked');
    assert.equal(erin.data.view.grant.grant.provisioning.lastError.code, 'ORG_API_CONTRACT_CHANGED');
    assert.ok(orgAdmins(app).includes(A.erin), 'still held, and nothing pretends otherwise');
    const contract = (await alerts(app)).filter((a) => a.code === 'ORG_API_CONTRACT_CHANGED');
    assert.ok(contract.every((a) => a.severity === 'critical'));
    assert.ok(contract.some((a) => a.message.includes('`POST /v1/orgs/{orgId}/users/{userId}/role-assignments/assign`')));
    assert.ok(contract.some((a) => a.message.includes('`POST /v1/orgs/{orgId}/users/{userId}/role-assignments/revoke`')));

    // Once the operation is back, the retry removes it.
    app.org.setContractFaults(null);
    await app.clock.advance(30 * 60_000);
    assert.ok(!orgAdmins(app).includes(A.erin), 'revoked by a later retry');
  } finally {
    await app.close();
  }
});

test('an org API key with scopes: every grant fails with API_KEY_SCOPED and one critical alert says to create an API key without scopes', async () => {
  const app = await demoApp({ scheduleSweep: false });
  try {
    app.org.addApiKey(app.org.apiKey, { scopes: ['read:directories:admin', 'read:groups:admin', 'read:orgs:admin', 'read:workspaces:admin'] });
    const key = await requestOrgAdmin(app, A.alice);
    assert.ok(answer(await app.panel(A.bob, key, 'approve')).ok);
    await app.panel(A.alice, key, 'activate');
    const view = answer(await app.panel(A.alice, key, 'getView'));
    assert.ok(view.ok);
    assert.equal(view.data.view.grant.grant.provisioning.lastError.code, 'API_KEY_SCOPED');
    await app.sweep();
    const scoped = (await alerts(app)).filter((a) => a.code === 'API_KEY_SCOPED');
    assert.equal(scoped.length, 1, 'one alert a day, however many calls met it');
    assert.equal(scoped[0].severity, 'critical');
    assert.match(scoped[0].message, /API key without scopes/);
    assert.match(scoped[0].message, /Settings > API keys/);
    assert.ok(!app.logLines.some((l) => l.includes(app.org.apiKey)), 'the key never reaches a log line');
  } finally {
    await app.close();
  }
});
