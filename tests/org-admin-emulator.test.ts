import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { startOrgAdminEmulator, type OrgAdminEmulator, type OrgAdminEmulatorOptions, type OrgSeed } from '../playground/emulators/org-admin/index';

const ORG_ADMIN = 'atlassian/org-admin';
const SITE = 'f0c1a2b3-0000-4000-8000-00000000c10d';
const SITE_ARI = `ari:cloud:platform::site/${SITE}`;
const JIRA_ARI = `ari:cloud:jira-software::site/${SITE}`;
const GROUP = 'a1a1a1a1-0000-4000-8000-000000000001';
const SCIM_GROUP = 'a1a1a1a1-0000-4000-8000-000000000002';
const acct = (n: number) => `712020:acc-${String(n).padStart(2, '0')}`;

/** Seven users (so a page size of 3 needs three pages), one org admin, a site with Jira, a plain and a SCIM group. */
function seed(): OrgSeed {
  return {
    orgName: 'Test org',
    users: Array.from({ length: 7 }, (_, i) => ({ accountId: acct(i + 1), name: `User ${String.fromCharCode(65 + i)}` })),
    sites: [{ cloudId: SITE, name: 'test', products: ['jira-software'] }],
    groups: [
      { id: GROUP, name: 'jira-admins-test', members: [acct(2)] },
      { id: SCIM_GROUP, name: 'idp-admins', externalSynced: true, members: [acct(3)] },
    ],
    assignments: [{ accountId: acct(1), role: ORG_ADMIN }],
  };
}

async function start(t: { after(fn: () => unknown): void }, options: OrgAdminEmulatorOptions = {}): Promise<OrgAdminEmulator> {
  const emu = await startOrgAdminEmulator({ seed: seed(), ...options });
  t.after(() => emu.close());
  return emu;
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(emu: OrgAdminEmulator, method: string, path: string, body?: unknown, auth: string | null = `Bearer ${emu.apiKey}`): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (auth !== null) headers.authorization = auth;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${emu.url}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const v1 = (emu: OrgAdminEmulator) => `/admin/v1/orgs/${emu.orgId}`;
const v2 = (emu: OrgAdminEmulator, dir = '-') => `/admin/v2/orgs/${emu.orgId}/directories/${dir}`;
const u = (id: string) => encodeURIComponent(id);

function assertAppError(a: Answer, status: number, code: string): void {
  assert.equal(a.status, status, JSON.stringify(a.body));
  assert.ok(Array.isArray(a.body?.errors) && a.body.errors.length === 1, 'errors array');
  const e = a.body.errors[0];
  assert.deepEqual(Object.keys(e).sort(), ['code', 'detail', 'id', 'status', 'title']);
  assert.equal(e.status, String(status));
  assert.equal(e.code, code);
  assert.ok(e.id && e.title && e.detail);
}

test('auth: requests without a bearer key or with the wrong key get 401 in the gateway error shape and change nothing', async (t) => {
  const emu = await start(t);
  for (const auth of [null, 'Bearer wrong-key', `Basic ${emu.apiKey}`, emu.apiKey]) {
    const r = await call(emu, 'GET', '/admin/v1/orgs', undefined, auth);
    assert.equal(r.status, 401);
    assert.deepEqual(r.body, { code: 401, message: 'Unauthorized' });
  }
  const w = await call(emu, 'POST', `${v1(emu)}/users/${u(acct(2))}/role-assignments/assign`, { role: ORG_ADMIN }, 'Bearer nope');
  assert.equal(w.status, 401);
  assert.deepEqual(emu.holders().orgAdmins, [acct(1)]);
  const ok = await call(emu, 'GET', '/admin/v1/orgs');
  assert.equal(ok.status, 200);
  assert.equal(ok.body.data[0].id, emu.orgId);
  assert.equal(ok.body.data[0].type, 'orgs');
});

test('errors: unknown org, user, group, bad bodies, wrong roles and wrong methods answer with the spec error shape and codes', async (t) => {
  const emu = await start(t);
  assertAppError(await call(emu, 'GET', '/admin/v1/orgs/00000000-0000-4000-8000-000000000000'), 404, 'ADMIN-404-2');
  assertAppError(await call(emu, 'GET', `/admin/v2/orgs/nope/directories/-/groups/${GROUP}`), 404, 'ADMIN-404-2');
  assertAppError(await call(emu, 'GET', `${v2(emu)}/groups/no-such-group`), 404, 'ADMIN-404-10');
  assertAppError(await call(emu, 'GET', `${v2(emu, 'no-such-dir')}/groups/${GROUP}`), 404, 'ADMIN-404-1');
  assertAppError(await call(emu, 'POST', `${v1(emu)}/users/${u('712020:ghost')}/role-assignments/assign`, { role: ORG_ADMIN }), 404, 'ADMIN-UAM-404-3');
  assertAppError(await call(emu, 'POST', `${v1(emu)}/users/${u(acct(2))}/role-assignments/assign`, { role: 'atlassian/site-admin' }), 400, 'ADMIN-UAM-400-1');
  assertAppError(await call(emu, 'POST', `${v1(emu)}/users/${u(acct(2))}/role-assignments/assign`, '{not json'), 400, 'ADMIN-UAM-400-1');
  assertAppError(await call(emu, 'POST', `${v1(emu)}/users/${u(acct(2))}/role-assignments/assign`, {}), 400, 'ADMIN-UAM-400-1');
  assertAppError(await call(emu, 'POST', `${v1(emu)}/users/${u(acct(2))}/roles/assign`, { role: 'atlassian/site-admin' }), 400, 'ADMIN-UAM-400-1');
  assertAppError(await call(emu, 'POST', `${v1(emu)}/users/${u(acct(2))}/roles/assign`, { role: 'atlassian/site-admin', resource: JIRA_ARI }), 400, 'ADMIN-UAM-400-3');
  assertAppError(await call(emu, 'POST', `${v1(emu)}/users/${u(acct(2))}/roles/assign`, { role: 'atlassian/admin', resource: SITE_ARI }), 400, 'ADMIN-UAM-400-3');
  assertAppError(await call(emu, 'POST', `${v1(emu)}/users/${u(acct(2))}/roles/assign`, { role: 'atlassian/admin', resource: 'ari:cloud:jira::site/x' }), 404, 'ADMIN-UAM-404-3');
  assertAppError(await call(emu, 'POST', `${v2(emu, emu.directoryId)}/groups/${GROUP}/memberships`, { account_id: acct(4) }), 400, 'ADMIN-400-24');
  assertAppError(await call(emu, 'POST', `${v2(emu, emu.directoryId)}/groups/${GROUP}/memberships`, { accountId: '712020:ghost' }), 404, 'ADMIN-404-8');
  assertAppError(await call(emu, 'POST', `${v2(emu)}/users/search`, { limit: 500 }), 400, 'ADMIN-400-24');
  assertAppError(await call(emu, 'POST', `${v2(emu)}/users/search`, { roleIds: ['atlassian/nope'] }), 400, 'ADMIN-400-24');
  assertAppError(await call(emu, 'POST', `${v2(emu)}/users/search`, { searchTerm: 'a', emails: ['a@b.c'] }), 400, 'ADMIN-400-24');
  assertAppError(await call(emu, 'GET', `${v2(emu)}/users/${u(acct(1))}/role-assignments?limit=0`), 400, 'ADMIN-400-19');
  assertAppError(await call(emu, 'GET', `${v2(emu)}/users/${u(acct(1))}/role-assignments?roleIds=atlassian/nope`), 400, 'ADMIN-400-19');
  const wrongMethod = await call(emu, 'GET', `${v2(emu)}/groups/${GROUP}/memberships`);
  assertAppError(wrongMethod, 405, 'ADMIN-405-1');
  assert.equal(wrongMethod.headers.get('allow'), 'POST');
  assertAppError(await call(emu, 'GET', '/admin/v9/nothing'), 404, 'ADMIN-404-1');
});

test('pagination: searches and role-assignment reads return small pages whose links.next cursors reach every item exactly once', async (t) => {
  const emu = await start(t);
  const seen: string[] = [];
  let r = await call(emu, 'POST', `${v2(emu)}/users/search`, {});
  let pages = 1;
  for (;;) {
    assert.equal(r.status, 200);
    assert.ok(r.body.data.length <= 3);
    seen.push(...r.body.data.map((x: { accountId: string }) => x.accountId));
    if (!r.body.links.next) break;
    r = await call(emu, 'POST', `${v2(emu)}/users/search`, { cursor: r.body.links.next });
    pages++;
  }
  assert.equal(pages, 3);
  assert.deepEqual([...seen].sort(), Array.from({ length: 7 }, (_, i) => acct(i + 1)));

  const two = await call(emu, 'POST', `${v2(emu)}/users/search`, { limit: 2 });
  assert.equal(two.body.data.length, 2);
  const filtered = await call(emu, 'POST', `${v2(emu)}/users/search`, { groupIds: [GROUP], expand: ['groups', 'platformRoles'] });
  assert.deepEqual(filtered.body.data.map((x: { accountId: string }) => x.accountId), [acct(2)]);
  assert.deepEqual(filtered.body.data[0].groups, [{ id: GROUP, name: 'jira-admins-test', description: '' }]);
  assert.equal(filtered.body.links.next, undefined);

  assertAppError(await call(emu, 'POST', `${v2(emu)}/users/search`, { cursor: 'garbage' }), 400, 'ADMIN-400-1');

  // Entries are per resource: the org (org-admin), each site (inferred site-admin) and the Jira
  // product (four direct roles in one entry). Two sites make four entries: two pages of three.
  for (const role of ['atlassian/admin', 'atlassian/user-access-admin', 'atlassian/user', 'atlassian/basic']) {
    assert.equal((await call(emu, 'POST', `${v1(emu)}/users/${u(acct(1))}/roles/assign`, { role, resource: JIRA_ARI })).status, 204);
  }
  emu.seed({ sites: [{ cloudId: 'second-site', name: 'second', products: ['confluence'] }] });
  let ra = await call(emu, 'GET', `${v2(emu)}/users/${u(acct(1))}/role-assignments`);
  const resources: string[] = [];
  let raPages = 1;
  for (;;) {
    resources.push(...ra.body.data.map((x: { resourceId: string }) => x.resourceId));
    if (!ra.body.links.next) break;
    ra = await call(emu, 'GET', `${v2(emu)}/users/${u(acct(1))}/role-assignments?cursor=${encodeURIComponent(ra.body.links.next)}`);
    raPages++;
  }
  assert.equal(resources.length, 4);
  assert.equal(raPages, 2);
  // Role reads name a site in the spec's `ResourceId` form, not the workspaces' `platform` form.
  assert.ok(resources.includes('ari:cloud:jira-core::site/second-site'));
});

test('already assigned and not assigned: role assign/revoke are idempotent 204s, group add answers 409 and group remove of a non-member 404', async (t) => {
  const emu = await start(t);
  const path = `${v1(emu)}/users/${u(acct(2))}/roles/assign`;
  assert.equal((await call(emu, 'POST', path, { role: 'atlassian/site-admin', resource: SITE_ARI })).status, 204);
  assert.equal((await call(emu, 'POST', path, { role: 'atlassian/site-admin', resource: SITE_ARI })).status, 204);
  assert.equal(emu.holders().direct.filter((d) => d.accountId === acct(2)).length, 1);
  const revoke = `${v1(emu)}/users/${u(acct(2))}/roles/revoke`;
  assert.equal((await call(emu, 'POST', revoke, { role: 'atlassian/site-admin', resource: SITE_ARI })).status, 204);
  assert.equal((await call(emu, 'POST', revoke, { role: 'atlassian/site-admin', resource: SITE_ARI })).status, 204);
  assert.equal(emu.holders().direct.filter((d) => d.accountId === acct(2)).length, 0);
  assert.equal((await call(emu, 'POST', `${v1(emu)}/users/${u(acct(5))}/role-assignments/revoke`, { role: ORG_ADMIN })).status, 204);

  assert.equal((await call(emu, 'POST', `${v2(emu, emu.directoryId)}/groups/${GROUP}/memberships`, { accountId: acct(4) })).status, 204);
  assertAppError(await call(emu, 'POST', `${v2(emu, emu.directoryId)}/groups/${GROUP}/memberships`, { accountId: acct(4) }), 409, 'ADMIN-409-28');
  assert.equal((await call(emu, 'DELETE', `${v2(emu, emu.directoryId)}/groups/${GROUP}/memberships/${u(acct(4))}`)).status, 204);
  assertAppError(await call(emu, 'DELETE', `${v2(emu, emu.directoryId)}/groups/${GROUP}/memberships/${u(acct(4))}`), 404, 'ADMIN-404-1');
});

test('SCIM: a group synced from an identity provider refuses adding and removing members with 403 and stays unchanged', async (t) => {
  const emu = await start(t);
  const g = await call(emu, 'GET', `${v2(emu)}/groups/${SCIM_GROUP}`);
  assert.equal(g.status, 200);
  assert.equal(g.body.data.externalSynced, true);
  assert.equal(g.body.data.managementAccess.modifiable, false);
  const add = await call(emu, 'POST', `${v2(emu, emu.directoryId)}/groups/${SCIM_GROUP}/memberships`, { accountId: acct(4) });
  assertAppError(add, 403, 'ADMIN-403-5');
  assert.match(add.body.errors[0].detail, /identity provider/);
  assertAppError(await call(emu, 'DELETE', `${v2(emu, emu.directoryId)}/groups/${SCIM_GROUP}/memberships/${u(acct(3))}`), 403, 'ADMIN-403-5');
  assert.deepEqual(emu.holders().groups.find((x) => x.groupId === SCIM_GROUP)?.members, [acct(3)]);
});

test('lockout: the last org admin cannot be revoked, another admin can, and the key owner cannot revoke itself', async (t) => {
  const emu = await start(t, { keyOwnerAccountId: acct(7) });
  const revoke = (n: number) => call(emu, 'POST', `${v1(emu)}/users/${u(acct(n))}/role-assignments/revoke`, { role: ORG_ADMIN });
  const last = await revoke(1);
  assertAppError(last, 403, 'ADMIN-UAM-403-1');
  assert.match(last.body.errors[0].detail, /last organization admin/);
  assert.equal((await call(emu, 'POST', `${v1(emu)}/users/${u(acct(2))}/role-assignments/assign`, { role: ORG_ADMIN })).status, 204);
  assert.equal((await revoke(1)).status, 204);
  assertAppError(await revoke(2), 403, 'ADMIN-UAM-403-1');
  assert.deepEqual(emu.holders().orgAdmins, [acct(2)]);
  emu.grant(acct(7), { type: 'orgRole', role: ORG_ADMIN });
  const self = await revoke(7);
  assertAppError(self, 403, 'ADMIN-UAM-403-1');
  assert.match(self.body.errors[0].detail, /your own/);
});

test('lockout: removing the only org admin from a group that grants org admin is refused too', async (t) => {
  const legacy = 'a1a1a1a1-0000-4000-8000-0000000000aa';
  const emu = await start(t, {
    seed: { ...seed(), assignments: [], groups: [{ id: legacy, name: 'org-admins', members: [acct(1)], roles: [{ role: ORG_ADMIN }] }] },
  });
  assert.deepEqual(emu.holders().orgAdmins, [acct(1)]);
  const r = await call(emu, 'DELETE', `${v2(emu, emu.directoryId)}/groups/${legacy}/memberships/${u(acct(1))}`);
  assertAppError(r, 403, 'ADMIN-403-3');
  assert.match(r.body.errors[0].detail, /without an organization admin/);
  emu.grant(acct(2), { type: 'orgRole', role: ORG_ADMIN });
  assert.equal((await call(emu, 'DELETE', `${v2(emu, emu.directoryId)}/groups/${legacy}/memberships/${u(acct(1))}`)).status, 204);
});

test('eventual consistency: reads reflect a write only after consistencyDelayMs of emulator clock, while writes see it at once', async (t) => {
  let now = Date.UTC(2026, 0, 1);
  const emu = await start(t, { now: () => now, consistencyDelayMs: 30_000 });
  const reads = async () => {
    const r = await call(emu, 'GET', `${v2(emu)}/users/${u(acct(2))}/role-assignments?roleIds=${encodeURIComponent(ORG_ADMIN)}`);
    return r.body.data.length as number;
  };
  assert.equal((await call(emu, 'POST', `${v1(emu)}/users/${u(acct(2))}/role-assignments/assign`, { role: ORG_ADMIN })).status, 204);
  assert.equal(await reads(), 0);
  assert.deepEqual(emu.holders('truth').orgAdmins, [acct(1), acct(2)]);
  assert.deepEqual(emu.holders('visible').orgAdmins, [acct(1)]);
  now += 29_999;
  assert.equal(await reads(), 0);
  // The write side already knows: revoking acct(1) is allowed because acct(2) is an admin in truth.
  assert.equal((await call(emu, 'POST', `${v1(emu)}/users/${u(acct(1))}/role-assignments/revoke`, { role: ORG_ADMIN })).status, 204);
  now += 1;
  assert.equal(await reads(), 1);
  const search = await call(emu, 'POST', `${v2(emu)}/users/search`, { roleIds: [ORG_ADMIN] });
  assert.deepEqual(search.body.data.map((x: { accountId: string }) => x.accountId), [acct(1), acct(2)]);
  now += 30_000;
  const after = await call(emu, 'POST', `${v2(emu)}/users/search`, { roleIds: [ORG_ADMIN] });
  assert.deepEqual(after.body.data.map((x: { accountId: string }) => x.accountId), [acct(2)]);
});

test('faults: 429 carries Retry-After, 500 and 503 fail fast, and none of them applies the change', async (t) => {
  const emu = await start(t, { faults: { retryAfterSeconds: 7 } });
  const assign = () => call(emu, 'POST', `${v2(emu, emu.directoryId)}/groups/${GROUP}/memberships`, { accountId: acct(4) });
  emu.injectFaults('429', '500', '503');
  const r429 = await assign();
  assert.equal(r429.status, 429);
  assert.equal(r429.headers.get('retry-after'), '7');
  assert.deepEqual(r429.body, { code: 429, message: 'Too Many Requests' });
  assertAppError(await assign(), 500, 'ADMIN-500-1');
  assert.equal((await assign()).status, 503);
  assert.deepEqual(emu.holders().groups.find((g) => g.groupId === GROUP)?.members, [acct(2)]);
  const key = `POST /admin/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships`;
  const stats = emu.stats();
  assert.deepEqual(stats.faults, { '429': 1, '500': 1, '503': 1, timeout: 0, drop: 0 });
  assert.deepEqual(stats.faultsByRoute[key], { '429': 1, '500': 1, '503': 1 });
  assert.equal(stats.calls[key], 3);
  assert.equal((await assign()).status, 204);
});

test('faults: a timeout holds the request for timeoutMs and then applies it, even when the client gave up', async (t) => {
  const emu = await start(t, { faults: { timeoutMs: 150 } });
  emu.injectFaults('timeout');
  const t0 = Date.now();
  const r = await call(emu, 'POST', `${v1(emu)}/users/${u(acct(3))}/roles/assign`, { role: 'atlassian/site-admin', resource: SITE_ARI });
  assert.equal(r.status, 204);
  assert.ok(Date.now() - t0 >= 140, 'held');
  emu.injectFaults('timeout');
  await assert.rejects(
    fetch(`${emu.url}${v1(emu)}/users/${u(acct(4))}/roles/assign`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'atlassian/site-admin', resource: SITE_ARI }),
      signal: AbortSignal.timeout(30),
    }),
  );
  assert.ok(!emu.holders().direct.some((d) => d.accountId === acct(4)));
  await delay(200);
  assert.ok(emu.holders().direct.some((d) => d.accountId === acct(4)), 'applied after the hold');
  assert.equal(emu.stats().faults.timeout, 2);
});

test('faults: drop applies the change and then destroys the connection without a response', async (t) => {
  const emu = await start(t);
  emu.injectFaults('drop');
  await assert.rejects(call(emu, 'POST', `${v2(emu, emu.directoryId)}/groups/${GROUP}/memberships`, { accountId: acct(6) }));
  assert.ok(emu.holders().groups.find((g) => g.groupId === GROUP)?.members.includes(acct(6)));
  assert.equal(emu.stats().faults.drop, 1);
  assert.equal(emu.stats().statuses.dropped, 1);
});

test('faults: a seeded rate injects the same faults in the same order on every run, only on the chosen routes', async () => {
  const pattern = async () => {
    const emu = await startOrgAdminEmulator({ seed: seed(), faults: { rate: 0.5, seed: 42, kinds: ['429', '500', '503'], routes: ['getOrgById'] } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await call(emu, 'GET', v1(emu))).status);
      const other = await call(emu, 'GET', '/admin/v1/orgs');
      assert.equal(other.status, 200, 'routes outside the filter are never faulted');
      return { statuses, faults: emu.stats().totalFaults };
    } finally {
      await emu.close();
    }
  };
  const a = await pattern();
  const b = await pattern();
  assert.deepEqual(a, b);
  assert.ok(a.faults > 3 && a.faults < 17, `about half faulted (${a.faults})`);
  assert.equal(a.statuses.filter((s) => s !== 200).length, a.faults);
});

test('control endpoints: faults, grant, holders, stats, snapshot and reset work over HTTP without the API key', async (t) => {
  const emu = await start(t);
  const ctl = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${emu.url}/__emulator${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: await r.json() };
  };
  assert.equal((await ctl('PUT', '/faults', { rate: 0.25, kinds: ['503'], seed: 3 })).body.rate, 0.25);
  assert.equal((await ctl('PUT', '/faults', { rate: 2 })).status, 400);
  assert.equal((await ctl('PUT', '/faults', null)).body.rate, 0);
  await ctl('POST', '/grant', { accountId: acct(5), target: { type: 'resourceRole', role: 'atlassian/admin', resource: JIRA_ARI } });
  const holders = await ctl('GET', '/holders');
  assert.deepEqual(holders.body.direct.find((d: { accountId: string }) => d.accountId === acct(5)), { accountId: acct(5), role: 'atlassian/admin', resource: JIRA_ARI });
  assert.equal((await ctl('POST', '/grant', { accountId: 'nobody', target: { type: 'orgRole', role: ORG_ADMIN } })).status, 400);
  await call(emu, 'GET', '/admin/v1/orgs');
  const stats = await ctl('GET', '/stats');
  assert.deepEqual(stats.body, emu.stats());
  assert.equal(stats.body.calls['GET /admin/v1/orgs'], 1);
  const snap = (await ctl('GET', '/snapshot')).body;
  await ctl('POST', '/reset');
  assert.ok(!emu.holders().direct.some((d) => d.accountId === acct(5)));
  assert.equal(emu.stats().totalCalls, 0);
  await ctl('PUT', '/snapshot', JSON.parse(JSON.stringify(snap)));
  assert.ok(emu.holders().direct.some((d) => d.accountId === acct(5)));
  await ctl('POST', '/seed', { users: [{ accountId: 'new-user', name: 'Newbie' }] });
  assert.equal((await call(emu, 'POST', `${v2(emu)}/users/search`, { accountIds: ['new-user'] })).body.data.length, 1);
  const info = await ctl('GET', '/');
  assert.equal(info.body.orgId, emu.orgId);
  assert.ok(!JSON.stringify(info.body).includes(emu.apiKey));
});

test('workspaces: sites and products are listed with their resource ARIs, paged by body cursor', async (t) => {
  const emu = await start(t, { pageSize: 1 });
  const first = await call(emu, 'POST', `/admin/v2/orgs/${emu.orgId}/workspaces`, {});
  assert.equal(first.status, 200);
  assert.equal(first.body.data[0].id, SITE_ARI);
  assert.ok(first.body.links.next);
  const second = await call(emu, 'POST', `/admin/v2/orgs/${emu.orgId}/workspaces`, { cursor: first.body.links.next });
  assert.equal(second.body.data[0].id, JIRA_ARI);
  assertAppError(await call(emu, 'POST', `/admin/v2/orgs/${emu.orgId}/workspaces`, { cursor: first.body.links.next, limit: 5 }), 400, 'ADMIN-400-4');
  const jira = await call(emu, 'POST', `/admin/v2/orgs/${emu.orgId}/workspaces`, { query: { field: { name: 'attributes.typeKey', values: ['jira-software'] } } });
  assert.deepEqual(jira.body.data.map((w: { id: string }) => w.id), [JIRA_ARI]);
});

// ---------------------------------------------------------------------------------------------
// Rules added for the organizations API's documented contract (docs/platform-rules.md, org-api).

test('directories: `-` is accepted by reads but refused by both membership writes; a group is written only through its own directory', async (t) => {
  const B = 'd0d0d0d0-0000-4000-8000-00000000000b';
  const emu = await start(t, {
    directories: [
      { id: 'd0d0d0d0-0000-4000-8000-00000000000a', name: 'Primary' },
      { id: B, name: 'Contractors' },
    ],
    seed: { ...seed(), users: [...(seed().users ?? []), { accountId: acct(9), directoryId: B }], groups: [...(seed().groups ?? []), { id: 'g-b', name: 'in-b', directoryId: B }] },
  });
  assertAppError(await call(emu, 'POST', `${v2(emu)}/groups/${GROUP}/memberships`, { accountId: acct(4) }), 404, 'ADMIN-404-1');
  assertAppError(await call(emu, 'DELETE', `${v2(emu)}/groups/${GROUP}/memberships/${u(acct(2))}`), 404, 'ADMIN-404-1');
  assert.deepEqual(emu.holders().groups.find((g) => g.groupId === GROUP)?.members, [acct(2)], 'nothing changed');
  // Reads with `-` see every directory.
  assert.equal((await call(emu, 'GET', `${v2(emu)}/groups/g-b`)).body.data.directoryId, B);
  const dirs = await call(emu, 'GET', `/admin/v2/orgs/${emu.orgId}/directories`);
  assert.deepEqual(dirs.body.data.map((d: { directoryId: string }) => d.directoryId), ['d0d0d0d0-0000-4000-8000-00000000000a', B]);
  // The group's directory works; another directory does not know the group; a user of another directory can't join.
  assertAppError(await call(emu, 'POST', `${v2(emu, emu.directoryId)}/groups/g-b/memberships`, { accountId: acct(9) }), 404, 'ADMIN-404-10');
  assertAppError(await call(emu, 'POST', `${v2(emu, B)}/groups/g-b/memberships`, { accountId: acct(1) }), 404, 'ADMIN-404-8');
  assert.equal((await call(emu, 'POST', `${v2(emu, B)}/groups/g-b/memberships`, { accountId: acct(9) })).status, 204);
});

test('api keys: a key without scopes reaches everything; a key with scopes only operations naming one of its scopes (403 elsewhere); expired and revoked keys get 401', async (t) => {
  const emu = await start(t, { apiKeys: [{ key: 'scoped', scopes: ['read:orgs:admin', 'read:directories:admin'] }] });
  emu.addApiKey('old', { status: 'expired' });
  emu.addApiKey('gone', { status: 'revoked' });
  const as = (key: string, method: string, path: string, body?: unknown) => call(emu, method, path, body, `Bearer ${key}`);
  assert.equal((await as('scoped', 'GET', v1(emu))).status, 200, 'read:orgs:admin');
  assert.equal((await as('scoped', 'GET', `${v2(emu)}/users/${u(acct(1))}/role-assignments`)).status, 200, 'read:directories:admin');
  for (const [method, path, body] of [
    ['POST', `${v1(emu)}/users/${u(acct(2))}/role-assignments/assign`, { role: ORG_ADMIN }],
    ['POST', `${v1(emu)}/users/${u(acct(2))}/roles/assign`, { role: 'atlassian/admin', resource: JIRA_ARI }],
    ['POST', `${v2(emu)}/users/search`, {}],
    ['GET', `${v2(emu)}/groups/${GROUP}/role-assignments`, undefined],
  ] as const) {
    const r = await as('scoped', method, path, body);
    assert.equal(r.status, 403, path);
    assert.equal(r.body.code, 403);
    assert.match(r.body.message, /scope/);
  }
  assert.deepEqual(emu.holders().orgAdmins, [acct(1)], 'nothing changed');
  for (const key of ['old', 'gone']) {
    const r = await as(key, 'GET', v1(emu));
    assert.deepEqual([r.status, r.body], [401, { code: 401, message: 'Unauthorized' }]);
  }
  emu.setApiKeyStatus(emu.apiKey, 'revoked');
  assert.equal((await call(emu, 'GET', v1(emu))).status, 401);
});

test('resource ARIs: role writes accept a site in the platform, jira and jira-core forms; role reads answer in one form and `resourceIds` match only that form', async (t) => {
  const emu = await start(t, { pageSize: 10 });
  for (const [n, form] of [[4, 'platform'], [5, 'jira'], [6, 'jira-core']] as const) {
    const r = await call(emu, 'POST', `${v1(emu)}/users/${u(acct(n))}/roles/assign`, { role: 'atlassian/site-admin', resource: `ari:cloud:${form}::site/${SITE}` });
    assert.equal(r.status, 204, form);
  }
  const read = await call(emu, 'GET', `${v2(emu)}/users/${u(acct(5))}/role-assignments?roleIds=atlassian%2Fsite-admin`);
  assert.deepEqual(read.body.data.map((e: { resourceId: string }) => e.resourceId), [`ari:cloud:jira-core::site/${SITE}`]);
  const search = (resourceIds: string[]) =>
    call(emu, 'POST', `${v2(emu)}/users/search`, { roleIds: ['atlassian/site-admin'], resourceIds }).then((r) => r.body.data.map((x: { accountId: string }) => x.accountId));
  // Every direct site admin, plus acct(1), an org admin and so a site admin by inference.
  assert.deepEqual(await search([`ari:cloud:jira-core::site/${SITE}`]), [1, 4, 5, 6].map(acct));
  assert.deepEqual(await search([SITE_ARI]), [], 'the platform form of the same site matches nothing (GUESS)');
  // A product's ARI is that product for product roles, never the site.
  assertAppError(await call(emu, 'POST', `${v1(emu)}/users/${u(acct(2))}/roles/assign`, { role: 'atlassian/site-admin', resource: JIRA_ARI }), 400, 'ADMIN-UAM-400-3');
});

test('groups holding roles: a group\'s role assignments are readable, and its members hold the role as `group_direct`', async (t) => {
  const emu = await start(t, {
    seed: { ...seed(), groups: [...(seed().groups ?? []), { id: 'g-site', name: 'site-admins', members: [acct(5)], roles: [{ role: 'atlassian/site-admin', resource: SITE_ARI }, { role: ORG_ADMIN }] }] },
  });
  const ra = await call(emu, 'GET', `${v2(emu)}/groups/g-site/role-assignments`);
  assert.equal(ra.status, 200);
  assert.deepEqual(
    ra.body.data.map((e: { resourceId: string; roles: string[] }) => [e.resourceId, e.roles]),
    [
      [`ari:cloud:jira-core::site/${SITE}`, ['atlassian/site-admin']],
      [emu.orgAri, [ORG_ADMIN]],
    ],
  );
  const filtered = await call(emu, 'GET', `${v2(emu)}/groups/g-site/role-assignments?roleIds=${encodeURIComponent(ORG_ADMIN)}`);
  assert.equal(filtered.body.data.length, 1);
  assertAppError(await call(emu, 'GET', `${v2(emu)}/groups/nope/role-assignments`), 404, 'ADMIN-404-10');
  const mine = await call(emu, 'GET', `${v2(emu)}/users/${u(acct(5))}/role-assignments?roleIds=atlassian%2Fsite-admin`);
  assert.deepEqual(mine.body.data[0].roleAssignments, [{ role: 'atlassian/site-admin', roleAssignmentMethods: ['group_direct', 'inferred'] }]);
  const groups = await call(emu, 'POST', `${v2(emu)}/groups/search`, { roleIds: [ORG_ADMIN] });
  assert.deepEqual(groups.body.data.map((g: { id: string }) => g.id), ['g-site']);
});

test('contract faults: the experimental org-admin role-assignments operations can answer as removed (404) or changed (400), and the role API as not enabled (403/404), changing nothing', async (t) => {
  const emu = await start(t);
  const assignOrg = () => call(emu, 'POST', `${v1(emu)}/users/${u(acct(2))}/role-assignments/assign`, { role: ORG_ADMIN });
  const assignSite = () => call(emu, 'POST', `${v1(emu)}/users/${u(acct(2))}/roles/assign`, { role: 'atlassian/site-admin', resource: SITE_ARI });
  emu.setContractFaults({ orgRoleAssignments: 'removed' });
  assertAppError(await assignOrg(), 404, 'ADMIN-404-1');
  assert.equal((await assignSite()).status, 204, 'the roles API is not experimental');
  emu.setContractFaults({ orgRoleAssignments: 'changed' });
  assertAppError(await assignOrg(), 400, 'ADMIN-UAM-400-1');
  emu.setContractFaults({ roleApi: 'forbidden' });
  assertAppError(await assignOrg(), 403, 'ADMIN-UAM-403-1');
  assertAppError(await assignSite(), 403, 'ADMIN-UAM-403-1');
  emu.setContractFaults({ roleApi: 'missing' });
  assertAppError(await assignSite(), 404, 'ADMIN-404-1');
  assert.deepEqual(emu.holders().orgAdmins, [acct(1)]);
  assert.throws(() => emu.setContractFaults({ roleApi: 'bogus' as 'missing' }), /roleApi/);
  const put = await fetch(`${emu.url}/__emulator/contract`, { method: 'PUT', body: JSON.stringify(null) });
  assert.deepEqual(await put.json(), { orgRoleAssignments: null, roleApi: null });
  assert.equal((await assignOrg()).status, 204);
});
