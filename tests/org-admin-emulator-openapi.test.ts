// The org-admin emulator refuses every request the published organizations API spec does not allow (its
// generated subset specs/admin-organization.subset.json), before it looks at anything else, in the shape Atlassian
// uses: `{"errors":[{id,status,code,title,detail}]}` with the 400 code the operation documents. A refused write
// changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOrgAdminEmulator, type OrgAdminEmulator, type OrgSeed } from '../playground/emulators/org-admin/index';
import { OpenApiSpec } from './support/openapi';

const spec = OpenApiSpec.load('admin-organization.subset.json');
const ORG_ADMIN = 'atlassian/org-admin';
const SITE = 'f0c1a2b3-0000-4000-8000-00000000c10d';
const JIRA_ARI = `ari:cloud:jira-software::site/${SITE}`;
const GROUP = 'a1a1a1a1-0000-4000-8000-000000000001';
const acct = (n: number) => `712020:acc-${String(n).padStart(2, '0')}`;

function seed(): OrgSeed {
  return {
    users: [1, 2, 3].map((n) => ({ accountId: acct(n), name: `User ${n}` })),
    sites: [{ cloudId: SITE, name: 'test', products: ['jira-software'] }],
    groups: [{ id: GROUP, name: 'jira-admins-test', members: [acct(2)] }],
    assignments: [{ accountId: acct(1), role: ORG_ADMIN }],
  };
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function start(t: { after(fn: () => unknown): void }): Promise<OrgAdminEmulator> {
  const emu = await startOrgAdminEmulator({ seed: seed() });
  t.after(() => emu.close());
  return emu;
}

async function call(emu: OrgAdminEmulator, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${emu.apiKey}` };
  if (body !== undefined) headers['content-type'] = contentType;
  const res = await fetch(`${emu.url}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** An Atlassian-shaped refusal with this status and code, whose body fits what the spec documents for it. */
function assertRefusal(a: Answer, status: number, code: string, detail: RegExp, documentedFor?: { method: string; url: string }): void {
  assert.equal(a.status, status, JSON.stringify(a.body));
  assert.ok(Array.isArray(a.body?.errors) && a.body.errors.length === 1, JSON.stringify(a.body));
  const e = a.body.errors[0];
  assert.deepEqual(Object.keys(e).sort(), ['code', 'detail', 'id', 'status', 'title']);
  assert.equal(e.status, String(status));
  assert.equal(e.code, code);
  assert.ok(e.id && e.title);
  assert.match(e.detail, detail);
  if (documentedFor) {
    const m = spec.match(documentedFor.method, `https://api.atlassian.com${documentedFor.url}`);
    assert.ok(m, `${documentedFor.method} ${documentedFor.url} is a spec operation`);
    assert.deepEqual(spec.validateResponse(m.op, a.status, a.body), []);
  }
}

test('orgApi_pathParameterBreakingItsFormat_isRefusedWith400AndTheOperationsCode_andAssignsNothing', async (t) => {
  const emu = await start(t);
  // The v1 role operations type orgId as `format: uuid`.
  const url = `/admin/v1/orgs/not-a-uuid/users/${encodeURIComponent(acct(2))}/role-assignments/assign`;
  const a = await call(emu, 'POST', url, { role: ORG_ADMIN });
  assertRefusal(a, 400, 'ADMIN-UAM-400-1', /path parameter `orgId` must match format "uuid"/, { method: 'POST', url });
  assert.deepEqual(emu.holders().orgAdmins, [acct(1)]);
  // userId's `format: uuid` is not enforced (account ids are not UUIDs; a Guess in docs/platform-rules.md).
  const ok = await call(emu, 'POST', `/admin/v1/orgs/${emu.orgId}/users/${encodeURIComponent(acct(2))}/role-assignments/assign`, { role: ORG_ADMIN });
  assert.equal(ok.status, 204, JSON.stringify(ok.body));
});

test('orgApi_missingRequiredBodyField_isRefusedWithTheOperationsDocumented400Code', async (t) => {
  const emu = await start(t);
  const membership = `/admin/v2/orgs/${emu.orgId}/directories/-/groups/${GROUP}/memberships`;
  assertRefusal(await call(emu, 'POST', membership, { account_id: acct(3) }), 400, 'ADMIN-400-24', /`accountId` is required/, { method: 'POST', url: membership });
  const roles = `/admin/v1/orgs/${emu.orgId}/users/${encodeURIComponent(acct(3))}/roles/assign`;
  assertRefusal(await call(emu, 'POST', roles, { resource: JIRA_ARI }), 400, 'ADMIN-UAM-400-1', /`role` is required/, { method: 'POST', url: roles });
  // No body at all, where the body schema has required properties (the spec marks the body itself optional).
  assertRefusal(await call(emu, 'POST', roles), 400, 'ADMIN-UAM-400-1', /a request body is required \(with `role`\)/, { method: 'POST', url: roles });
  assert.deepEqual(emu.holders().groups.find((g) => g.groupId === GROUP)?.members, [acct(2)]);
  assert.deepEqual(emu.holders().direct.filter((d) => d.accountId === acct(3)), []);
});

test('orgApi_wrongEnumValues_inBodyAndQuery_areRefused', async (t) => {
  const emu = await start(t);
  const assign = `/admin/v1/orgs/${emu.orgId}/users/${encodeURIComponent(acct(2))}/role-assignments/assign`;
  assertRefusal(await call(emu, 'POST', assign, { role: 'atlassian/site-admin' }), 400, 'ADMIN-UAM-400-1', /`role` must be one of `atlassian\/org-admin`/, {
    method: 'POST',
    url: assign,
  });
  const search = `/admin/v2/orgs/${emu.orgId}/directories/-/users/search`;
  assertRefusal(await call(emu, 'POST', search, { expand: ['everything'], limit: 101 }), 400, 'ADMIN-400-24', /`expand\[0\]` must be one of .*`limit` must be <= 100/, {
    method: 'POST',
    url: search,
  });
  const roles = `/admin/v2/orgs/${emu.orgId}/directories/-/users/${encodeURIComponent(acct(1))}/role-assignments?roleIds=atlassian%2Fgod&limit=0&roleId=x`;
  assertRefusal(
    await call(emu, 'GET', roles),
    400,
    'ADMIN-400-19',
    /query parameter `roleIds` item 0 must be one of .*query parameter `limit` must be >= 1.*query parameter `roleId` is not defined for this operation/,
    { method: 'GET', url: roles },
  );
  assert.deepEqual(emu.holders().orgAdmins, [acct(1)]);
});

test('orgApi_unknownRouteAndWrongMethod_areRefusedWith404And405_asTheApiAnswers', async (t) => {
  const emu = await start(t);
  assertRefusal(await call(emu, 'POST', `/admin/v1/orgs/${emu.orgId}/users/${encodeURIComponent(acct(2))}/role-assignments/grant`, { role: ORG_ADMIN }), 404, 'ADMIN-404-1', /No resource at/);
  assertRefusal(await call(emu, 'GET', `/v1/orgs/${emu.orgId}`), 404, 'ADMIN-404-1', /No resource at/); // no /admin prefix
  const wrong = await call(emu, 'GET', `/admin/v2/orgs/${emu.orgId}/directories/-/groups/${GROUP}/memberships`);
  assertRefusal(wrong, 405, 'ADMIN-405-1', /allowed: POST/);
  assert.equal(wrong.headers.get('allow'), 'POST');
  assert.deepEqual(emu.holders().orgAdmins, [acct(1)]);
});

test('orgApi_bodyInTheWrongContentType_is415OnUserManagementOperations_and400InvalidBodyOnV2', async (t) => {
  const emu = await start(t);
  const url = `/admin/v1/orgs/${emu.orgId}/users/${encodeURIComponent(acct(2))}/role-assignments/assign`;
  assertRefusal(await call(emu, 'POST', url, JSON.stringify({ role: ORG_ADMIN }), 'text/plain'), 415, 'ADMIN-UAM-415-1', /content type `text\/plain` is not accepted/);
  assertRefusal(await call(emu, 'POST', url, '{"role":', 'application/json'), 400, 'ADMIN-UAM-400-1', /not valid JSON/, { method: 'POST', url });
  assert.deepEqual(emu.holders().orgAdmins, [acct(1)]);
  // The v2 code lists document no 415 code: a body the server cannot read is an invalid body (a Guess).
  const membership = `/admin/v2/orgs/${emu.orgId}/directories/-/groups/${GROUP}/memberships`;
  assertRefusal(await call(emu, 'POST', membership, JSON.stringify({ accountId: acct(3) }), 'text/plain'), 400, 'ADMIN-400-24', /content type `text\/plain` is not accepted/, {
    method: 'POST',
    url: membership,
  });
  assert.deepEqual(emu.holders().groups.find((g) => g.groupId === GROUP)?.members, [acct(2)]);
});
