// The playground's one router (find-my-way behind playground/http/router.ts) and one body reader
// (playground/http/body.ts): how paths match, and that every server answers an oversized body 413 in its own
// error shape instead of buffering it.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { BodyTooLarge, EMULATOR_BODY_LIMIT, readBody } from '../playground/http/body';
import { RouteTable, routerPath } from '../playground/http/router';
import { rawFetch, startKvsEmulator } from '../playground/forge-runtime/index';
import { startJiraEmulator } from '../playground/emulators/jira/index';
import { startOrgAdminEmulator } from '../playground/emulators/org-admin/index';

const table = () =>
  new RouteTable<string>()
    .add('GET', '/groups/{groupId}', 'get')
    .add('POST', '/groups/search', 'search')
    .add('DELETE', '/groups/{groupId}/members/{accountId}', 'remove');

test('router: a literal segment beats a parameter, and parameters come back decoded', () => {
  const t = table();
  assert.deepEqual(t.lookup('POST', '/groups/search'), { kind: 'match', value: 'search', params: {} });
  assert.deepEqual(t.lookup('GET', '/groups/search'), { kind: 'match', value: 'get', params: { groupId: 'search' } });
  assert.deepEqual(t.lookup('delete', '/groups/a%20b/members/712020%3Ax'), { kind: 'match', value: 'remove', params: { groupId: 'a b', accountId: '712020:x' } });
});

test('router: a known path with another method is told apart from an unknown path', () => {
  const t = table();
  assert.deepEqual(t.lookup('PUT', '/groups/g1'), { kind: 'wrongMethod', allowed: ['GET'] });
  assert.deepEqual(t.lookup('GET', '/groups/g1/members'), { kind: 'none' });
  assert.deepEqual(t.lookup('GET', '/Groups/g1'), { kind: 'none' }, 'paths are case-sensitive');
});

test('router: empty parameters, trailing slashes and broken percent-encoding match nothing', () => {
  const t = table();
  assert.equal(t.lookup('GET', '/groups/').kind, 'none');
  assert.equal(t.lookup('DELETE', '/groups//members/x').kind, 'none');
  assert.equal(t.lookup('GET', '/groups/g1/').kind, 'none');
  assert.equal(t.lookup('GET', '/groups/%E0%A4%A').kind, 'none');
});

test('router: long parameters match (the 100-character default cap of find-my-way is lifted)', () => {
  const long = 'k'.repeat(5_000);
  assert.deepEqual(table().lookup('GET', `/groups/${long}`), { kind: 'match', value: 'get', params: { groupId: long } });
});

test('router: templates take whole-segment parameters only; colons are literal', () => {
  assert.equal(routerPath('/a/{id}/b'), '/a/:id/b');
  assert.equal(routerPath('/ari:cloud/{id}'), '/ari::cloud/:id');
  assert.throws(() => routerPath('/files/{name}.json'), /not a literal or a whole/);
  assert.throws(() => routerPath('/files/*'), /not a literal or a whole/);
  assert.throws(() => new RouteTable<string>().add('GET', '/a', 'x').add('GET', '/a', 'y'));
});

async function echoServer(limit: number) {
  const server = createServer((req, res) => {
    readBody(req, limit).then(
      (b) => res.end(`read ${b.length}`),
      (e) => res.writeHead(e instanceof BodyTooLarge ? 413 : 500).end(String(e.message)),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('body reader: up to the limit is read whole; one byte more is BodyTooLarge, answered (not a reset connection)', async () => {
  const s = await echoServer(1000);
  try {
    const atLimit = await rawFetch(s.url, { method: 'POST', body: 'x'.repeat(1000) });
    assert.equal(await atLimit.text(), 'read 1000');
    const over = await rawFetch(s.url, { method: 'POST', body: 'x'.repeat(1001) });
    assert.equal(over.status, 413);
    assert.match(await over.text(), /larger than 1000 bytes/);
  } finally {
    await s.close();
  }
});

const oversized = () => new Uint8Array(EMULATOR_BODY_LIMIT + 1).fill(0x20);

test('body limit: the org emulator answers an oversized body 413 in the gateway error shape, before auth', async () => {
  const org = await startOrgAdminEmulator();
  try {
    const r = await rawFetch(`${org.url}/admin/v1/orgs/${org.orgId}/users/u1/role-assignments/assign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: oversized(),
    });
    assert.equal(r.status, 413);
    assert.deepEqual(await r.json(), { code: 413, message: 'Request Entity Too Large' });
    assert.equal(org.holders().direct.length, 1, 'nothing was granted');
  } finally {
    await org.close();
  }
});

test('body limit: the Jira emulator answers an oversized body 413 in Jira error shape', async () => {
  const jira = await startJiraEmulator();
  try {
    const r = await rawFetch(`${jira.url}/rest/api/3/issue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${jira.appToken}` },
      body: oversized(),
    });
    assert.equal(r.status, 413);
    assert.deepEqual(await r.json(), { errorMessages: ['Request entity too large'], errors: {} });
  } finally {
    await jira.close();
  }
});

test('body limit: the KVS emulator answers an oversized body 413 in the store error shape', async () => {
  const kvs = await startKvsEmulator({ token: 't' });
  try {
    const r = await rawFetch(`${kvs.url}/api/v1/set`, { method: 'POST', headers: { authorization: 'Bearer t' }, body: oversized() });
    assert.equal(r.status, 413);
    assert.equal(((await r.json()) as { code: string }).code, 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(kvs.keys(), []);
  } finally {
    await kvs.close();
  }
});
