import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOrgDirectory } from '../forge-app/src/adapters/orgAdmin';
import type { Access } from '../forge-app/src/decision/contract';
import { ORG_ADMIN_ROUTES, startOrgAdminEmulator, type OrgAdminEmulator, type OrgSeed } from '../playground/emulators/org-admin/index';
import { OpenApiSpec, recordingFetch, type RecordedCall } from './support/openapi';

// The generated subset in specs/ (scripts/refresh-specs.ts).
const spec = OpenApiSpec.load('admin-organization.subset.json');

const ORG_ADMIN = 'atlassian/org-admin';
const SITE = 'f0c1a2b3-0000-4000-8000-00000000c10d';
const SITE_ARI = `ari:cloud:platform::site/${SITE}`;
const JIRA_ARI = `ari:cloud:jira-software::site/${SITE}`;
const GROUP = 'a1a1a1a1-0000-4000-8000-000000000001';
const SCIM_GROUP = 'a1a1a1a1-0000-4000-8000-000000000002';
const SITE_GROUP = 'a1a1a1a1-0000-4000-8000-000000000003';
const ORG_GROUP = 'a1a1a1a1-0000-4000-8000-000000000004';
const acct = (n: number) => `712020:acc-${String(n).padStart(2, '0')}`;

function seed(): OrgSeed {
  return {
    users: Array.from({ length: 8 }, (_, i) => ({ accountId: acct(i + 1), name: `User ${String.fromCharCode(65 + i)}` })),
    sites: [{ cloudId: SITE, name: 'test', products: ['jira-software'] }],
    groups: [
      { id: GROUP, name: 'jira-admins-test', members: [1, 2, 3, 4].map(acct) },
      { id: SCIM_GROUP, name: 'idp-admins', externalSynced: true, members: [acct(3)] },
      // Access through a group's role, so the holder reads use groups/search and group role-assignments.
      { id: SITE_GROUP, name: 'site-admins-test', members: [acct(7)], roles: [{ role: 'atlassian/site-admin', resource: SITE_ARI }] },
      { id: ORG_GROUP, name: 'org-admins', members: [acct(8)], roles: [{ role: ORG_ADMIN }] },
    ],
    assignments: [1, 2, 3, 4].map((n) => ({ accountId: acct(n), role: ORG_ADMIN })),
  };
}

const clock = () => {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
};

test('the spec server prefix is /admin, so spec path /v1/orgs is served as /admin/v1/orgs', () => {
  assert.equal(spec.prefix, '/admin');
  assert.ok(spec.operations.length >= ORG_ADMIN_ROUTES.length);
  assert.ok(spec.match('GET', 'https://api.atlassian.com/admin/v1/orgs'));
  assert.equal(spec.match('GET', 'https://api.atlassian.com/v1/orgs'), undefined);
});

test('every route the emulator serves (control endpoints aside) is a method + path template of the spec', () => {
  assert.ok(ORG_ADMIN_ROUTES.length >= 12);
  const missing = ORG_ADMIN_ROUTES.filter((r) => !r.path.startsWith('/__emulator') && !spec.findByTemplate(r.method, r.path));
  assert.deepEqual(missing, [], 'routes not in specs/admin-organization.subset.json (if Atlassian documents them, add them to scripts/refresh-specs.ts and run it)');
  assert.ok(ORG_ADMIN_ROUTES.every((r) => !r.path.startsWith('/__emulator')), 'control endpoints are not in the route table');
});

/** Runs every adapter method against the emulator and returns every call it made (with the responses). */
async function adapterScenario(emu: OrgAdminEmulator): Promise<RecordedCall[]> {
  const rec = recordingFetch();
  const dir = createOrgDirectory({ fetch: rec.fetch, baseUrl: emu.url, orgId: emu.orgId, apiKey: emu.apiKey, clock: clock(), random: () => 0.5 });
  const targets: Access[] = [
    { type: 'orgRole', role: ORG_ADMIN },
    { type: 'resourceRole', role: 'atlassian/site-admin', resource: SITE_ARI },
    { type: 'resourceRole', role: 'atlassian/admin', resource: JIRA_ARI },
    { type: 'resourceRole', role: 'atlassian/user-access-admin', resource: JIRA_ARI },
    { type: 'groupMembership', groupId: GROUP, groupName: 'jira-admins-test' },
  ];
  for (const target of targets) {
    assert.equal((await dir.assign(target, acct(6))).ok, true);
    assert.equal((await dir.assign(target, acct(6))).ok, true); // already assigned
    const h = await dir.holders(target); // several pages (page size 3)
    assert.equal(h.complete, true);
    assert.equal((await dir.revoke(target, acct(6))).ok, true);
    assert.equal((await dir.revoke(target, acct(6))).ok, true); // not assigned
  }
  const scim: Access = { type: 'groupMembership', groupId: SCIM_GROUP };
  assert.equal((await dir.assign(scim, acct(6))).ok, false);
  assert.equal((await dir.revoke(scim, acct(3))).ok, false);
  assert.equal((await dir.holders(scim)).externallySynced, true);
  return rec.calls;
}

test('every call the adapter makes is a spec operation with valid query parameters and request body, and every answer fits the spec', async (t) => {
  const emu = await startOrgAdminEmulator({ seed: seed() });
  t.after(() => emu.close());
  const calls = await adapterScenario(emu);
  const problems = calls.flatMap((c) => spec.checkCall(c, { responses: true }));
  assert.deepEqual(problems, []);

  const used = new Set(calls.map((c) => spec.match(c.method, c.url)!.op.template + ' ' + c.method));
  assert.deepEqual([...used].sort(), [
    '/v1/orgs/{orgId}/users/{userId}/role-assignments/assign POST',
    '/v1/orgs/{orgId}/users/{userId}/role-assignments/revoke POST',
    '/v1/orgs/{orgId}/users/{userId}/roles/assign POST',
    '/v1/orgs/{orgId}/users/{userId}/roles/revoke POST',
    '/v2/orgs/{orgId}/directories GET',
    '/v2/orgs/{orgId}/directories/{directoryId}/groups/search POST',
    '/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId} GET',
    '/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships POST',
    '/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships/{accountId} DELETE',
    '/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments GET',
    '/v2/orgs/{orgId}/directories/{directoryId}/users/search POST',
    '/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/role-assignments GET',
  ]);
  assert.ok(calls.some((c) => c.method === 'POST' && c.url.endsWith('/users/search') && (c.body as { cursor?: string }).cursor), 'followed a cursor');
  assert.ok(calls.some((c) => c.status === 409), 'saw an already-a-member 409');
  assert.ok(calls.some((c) => c.status === 403), 'saw a SCIM 403');
  const writes = calls.filter((c) => c.method !== 'GET' && /\/memberships/.test(c.url));
  assert.ok(writes.length > 0 && writes.every((c) => !c.url.includes('/directories/-/')), 'no write names directory `-`');
});

test('the emulator answers the discovery reads and its error cases in the shapes the spec documents', async (t) => {
  const emu = await startOrgAdminEmulator({ seed: seed(), pageSize: 2 });
  t.after(() => emu.close());
  const rec = recordingFetch();
  const send = (method: string, path: string, body?: unknown, key = emu.apiKey) =>
    rec.fetch(`${emu.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const o = `/admin/v1/orgs/${emu.orgId}`;
  const d = `/admin/v2/orgs/${emu.orgId}/directories/-`;
  await send('GET', '/admin/v1/orgs');
  await send('GET', o);
  await send('GET', '/admin/v1/orgs/00000000-0000-4000-8000-000000000000');
  await send('GET', `/admin/v2/orgs/${emu.orgId}/directories`);
  await send('POST', `/admin/v2/orgs/${emu.orgId}/workspaces`, { limit: 10 });
  await send('POST', `${d}/groups/search`, { expand: ['counts.users'] });
  await send('GET', `${d}/groups/${GROUP}`);
  await send('GET', `${d}/groups/nope`);
  await send('POST', `${d}/users/search`, { expand: ['platformRoles', 'groups'], roleIds: [ORG_ADMIN] });
  await send('POST', `${d}/users/search`, { limit: 1000 });
  await send('GET', `${d}/users/${encodeURIComponent(acct(1))}/role-assignments?limit=1`);
  await send('POST', `${o}/users/${encodeURIComponent(acct(1))}/role-assignments/assign`, { role: ORG_ADMIN }, 'wrong');
  await send('POST', `${o}/users/${encodeURIComponent(acct(1))}/roles/assign`, { role: 'atlassian/site-admin', resource: JIRA_ARI });
  await send('POST', `${o}/users/${encodeURIComponent('712020:ghost')}/roles/revoke`, { role: 'atlassian/admin', resource: JIRA_ARI });
  // Key kinds, `-` on a write, a group's role assignments, and the contract faults.
  emu.addApiKey('scoped-key', { scopes: ['read:orgs:admin'] });
  emu.addApiKey('expired-key', { status: 'expired' });
  await send('GET', o, undefined, 'scoped-key');
  await send('POST', `${o}/users/${encodeURIComponent(acct(2))}/role-assignments/assign`, { role: ORG_ADMIN }, 'scoped-key');
  await send('POST', `${d}/users/search`, { limit: 1 }, 'scoped-key');
  await send('GET', o, undefined, 'expired-key');
  await send('POST', `${d}/groups/${GROUP}/memberships`, { accountId: acct(2) });
  await send('GET', `${d}/groups/${GROUP}/role-assignments?roleIds=atlassian%2Fadmin`);
  emu.setContractFaults({ orgRoleAssignments: 'removed' });
  await send('POST', `${o}/users/${encodeURIComponent(acct(2))}/role-assignments/assign`, { role: ORG_ADMIN });
  emu.setContractFaults({ orgRoleAssignments: 'changed' });
  await send('POST', `${o}/users/${encodeURIComponent(acct(2))}/role-assignments/revoke`, { role: ORG_ADMIN });
  emu.setContractFaults({ roleApi: 'forbidden' });
  await send('POST', `${o}/users/${encodeURIComponent(acct(2))}/roles/assign`, { role: 'atlassian/admin', resource: JIRA_ARI });
  emu.setContractFaults(null);
  emu.injectFaults('429', '500');
  await send('GET', o);
  await send('POST', `${o}/users/${encodeURIComponent(acct(1))}/roles/assign`, { role: 'atlassian/admin', resource: JIRA_ARI });
  // Only the answers are under test here (some requests are deliberately wrong).
  const problems = rec.calls.flatMap((c) => {
    const m = spec.match(c.method, c.url);
    if (!m) return [`${c.method} ${c.url}: not a spec operation`];
    return spec.validateResponse(m.op, c.status!, c.responseBody).map((p) => `${c.method} ${c.url}: ${p}`);
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(
    rec.calls.map((c) => c.status),
    [200, 200, 404, 200, 200, 200, 200, 404, 200, 400, 200, 401, 400, 404, 200, 403, 403, 401, 404, 200, 404, 400, 403, 429, 500],
  );
});

test('the checker itself rejects a wrong path, a missing /admin prefix, a wrong method, an undeclared query parameter and invalid bodies', () => {
  const base = 'https://api.atlassian.com/admin';
  const ok = (c: RecordedCall) => assert.deepEqual(spec.checkCall(c), [], JSON.stringify(c));
  const bad = (c: RecordedCall, why: RegExp) => {
    const problems = spec.checkCall(c);
    assert.ok(problems.length > 0, `expected a problem for ${JSON.stringify(c)}`);
    assert.match(problems.join('\n'), why);
  };
  ok({ method: 'POST', url: `${base}/v1/orgs/o/users/u/role-assignments/assign`, body: { role: ORG_ADMIN } });
  ok({ method: 'POST', url: `${base}/v2/orgs/o/directories/-/groups/g/memberships`, body: { accountId: 'a' } });
  ok({ method: 'GET', url: `${base}/v2/orgs/o/directories/-/users/a/role-assignments?roleIds=atlassian%2Fsite-admin&resourceIds=x&limit=100` });

  bad({ method: 'POST', url: `${base}/v1/orgs/o/users/u/role-assignment/assign`, body: { role: ORG_ADMIN } }, /no operation/);
  bad({ method: 'POST', url: 'https://api.atlassian.com/v1/orgs/o/users/u/role-assignments/assign', body: { role: ORG_ADMIN } }, /no operation/);
  bad({ method: 'GET', url: `${base}/v2/orgs/o/directories/-/groups/g/memberships` }, /no operation.*POST/);
  bad({ method: 'POST', url: `${base}/v1/orgs/o/users/u/role-assignments/assign`, body: { role: 'atlassian/site-admin' } }, /allowed values/);
  bad({ method: 'POST', url: `${base}/v1/orgs/o/users/u/roles/assign`, body: { resource: SITE_ARI } }, /required property 'role'/);
  bad({ method: 'POST', url: `${base}/v2/orgs/o/directories/-/groups/g/memberships`, body: { account_id: 'a' } }, /required property 'accountId'/);
  bad({ method: 'POST', url: `${base}/v2/orgs/o/directories/-/users/search`, body: { groupIds: 'g', limit: 101 } }, /must be array[\s\S]*must be <= 100/);
  bad({ method: 'DELETE', url: `${base}/v2/orgs/o/directories/-/groups/g/memberships/a`, body: { accountId: 'a' } }, /takes no request body/);
  bad({ method: 'GET', url: `${base}/v2/orgs/o/directories/-/users/a/role-assignments?roleId=atlassian%2Forg-admin` }, /`roleId` is not defined/);
  bad({ method: 'GET', url: `${base}/v2/orgs/o/directories/-/users/a/role-assignments?roleIds=atlassian%2Fgod&limit=0` }, /allowed values[\s\S]*must be >= 1/);

  const wrongRoute = { method: 'POST', path: '/admin/v1/orgs/{orgId}/users/{userId}/role-assignments/grant' };
  assert.equal(spec.findByTemplate(wrongRoute.method, wrongRoute.path), undefined);
  assert.equal(spec.findByTemplate('POST', '/v1/orgs/{orgId}/users/{userId}/role-assignments/assign'), undefined, 'prefix required');
});
