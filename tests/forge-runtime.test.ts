// The local Forge runtime must let the REAL @forge/kvs, @forge/api, @forge/events and
// @forge/resolver client code run against the emulators, with the platform's limits and semantics:
// KVS limits and conditional writes, requestJira identities, the egress allow-list, delayed and
// retried queue deliveries on a virtual clock, and resolver invocation with the platform context.
//
// The runtime module is imported first: @forge/api captures the global fetch when it loads.
import { startJiraEmulator, type JiraEmulator } from '../playground/emulators/jira/index';
import { scaledClock, startForgeRuntime, startKvsEmulator, VirtualClock, type AsyncEvent, type ForgeRuntime } from '../playground/forge-runtime/index';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import api, { __requestAtlassianAsApp, ExternalEndpointNotAllowedError, getAppContext, route } from '@forge/api';
import { Filter, FilterConditions, ForgeKvsAPIError, kvs, MetadataField, WhereConditions } from '@forge/kvs';
import { InvalidPushSettingsError, InvocationError, InvocationErrorCode, PayloadTooBigError, Queue, TooManyEventsError } from '@forge/events';
import ResolverImport from '@forge/resolver';

// Under Node's ESM loader the default import of this CommonJS package is `module.exports`, whose
// `default` is the class (webpack's interop gives the class directly).
const Resolver = (ResolverImport as unknown as { default?: typeof ResolverImport }).default ?? ResolverImport;

const USER = '5b10ac8d82e05b22cc7d4ef5';
type Grant = { issueKey: string; state: string; version: number; until?: number };
const START = Date.UTC(2026, 4, 1, 8, 0, 0);

let jira: JiraEmulator;
let org: Server;
let orgUrl: string;
const orgCalls: Array<{ method: string; url: string; authorization?: string }> = [];
let clock: VirtualClock;
let rt: ForgeRuntime;

before(async () => {
  clock = new VirtualClock(START);
  jira = await startJiraEmulator({ now: () => clock.now(), users: [{ accountId: USER, displayName: 'Riley Requester', groups: ['jit-eligible'] }] });
  org = createServer((req, res) => {
    orgCalls.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: [{ id: 'org-1' }] }));
  });
  await new Promise<void>((r) => org.listen(0, '127.0.0.1', r));
  orgUrl = `http://127.0.0.1:${(org.address() as AddressInfo).port}`;
  rt = await startForgeRuntime({
    jiraUrl: jira.url,
    jiraAppToken: jira.appToken,
    orgAdminUrl: orgUrl,
    clock,
    env: { ORG_API_KEY: 'test-org-key' },
    entities: {
      grant: {
        attributes: { issueKey: { type: 'string' }, state: { type: 'string' }, version: { type: 'integer' }, until: { type: 'integer' } },
        indexes: [{ name: 'by-state', range: ['until'], partition: ['state'] }],
      },
    },
  });
});

after(async () => {
  await rt.close();
  await jira.close();
  await new Promise<void>((r) => org.close(() => r()));
  clock.close();
});

beforeEach(() => {
  rt.queue.setFaults({});
});

const kvsError = async (p: Promise<unknown>): Promise<ForgeKvsAPIError> => {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ForgeKvsAPIError, `expected ForgeKvsAPIError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
};

// ---------------------------------------------------------------------------------------------- KVS

test('@forge/kvs get/set/delete round-trip through the KVS emulator; a missing key reads as undefined', async () => {
  assert.equal(await kvs.get('config:policy'), undefined);
  await kvs.set('config:policy', { maxMinutes: 60, approvers: ['a'] });
  assert.deepEqual(await kvs.get('config:policy'), { maxMinutes: 60, approvers: ['a'] });
  const withMeta = await kvs.get('config:policy', { metadataFields: [MetadataField.CREATED_AT, MetadataField.UPDATED_AT] });
  assert.equal(withMeta?.createdAt, clock.now(), 'timestamps come from the shared clock');
  await kvs.delete('config:policy');
  assert.equal(await kvs.get('config:policy'), undefined);
  await kvs.delete('config:policy'); // deleting a missing key succeeds
});

test('@forge/kvs query pages keys by prefix with a cursor', async () => {
  for (let i = 0; i < 5; i++) await kvs.set(`audit:${i}`, { i });
  await kvs.set('other:1', 1);
  const first = await kvs.query().where('key', WhereConditions.beginsWith('audit:')).limit(3).getMany();
  assert.deepEqual(first.results.map((r) => r.key), ['audit:0', 'audit:1', 'audit:2']);
  assert.ok(first.nextCursor);
  const second = await kvs.query().where('key', WhereConditions.beginsWith('audit:')).limit(3).cursor(first.nextCursor!).getMany();
  assert.deepEqual(second.results.map((r) => r.key), ['audit:3', 'audit:4']);
  assert.equal(second.nextCursor, undefined);
  const tooBig = await kvsError(kvs.query().limit(101).getMany());
  assert.equal(tooBig.code, 'LIST_QUERY_LIMIT_EXCEEDED');
});

test('plain keys: keyPolicy FAIL_IF_EXISTS creates once, then fails (by default 409 KEY_CONFLICT); returnValue PREVIOUS swaps', async () => {
  await kvs.set('lock:JIT-1', { owner: 'a' }, { keyPolicy: 'FAIL_IF_EXISTS' });
  const err = await kvsError(kvs.set('lock:JIT-1', { owner: 'b' }, { keyPolicy: 'FAIL_IF_EXISTS' }));
  assert.equal(err.code, 'KEY_CONFLICT');
  assert.equal(err.responseDetails.status, 409);
  assert.deepEqual(await kvs.get('lock:JIT-1'), { owner: 'a' });

  const previous = await kvs.set<{ owner: string }>('lock:JIT-1', { owner: 'c' }, { keyPolicy: 'OVERRIDE', returnValue: 'PREVIOUS' });
  assert.deepEqual(previous?.value, { owner: 'a' });
  const none = await kvs.set('lock:JIT-2', { owner: 'z' }, { keyPolicy: 'OVERRIDE', returnValue: 'PREVIOUS' });
  assert.equal(none, undefined);
});

test('kvs.transact() applies sets and deletes atomically, and rolls everything back when a condition fails', async () => {
  await kvs.set('tx:a', 1);
  await kvs.transact().set('tx:b', 2).delete('tx:a').execute();
  assert.equal(await kvs.get('tx:a'), undefined);
  assert.equal(await kvs.get('tx:b'), 2);

  await kvs.entity('grant').set('g-tx', { issueKey: 'JIT-7', state: 'active', version: 1 });
  const err = await kvsError(
    kvs
      .transact()
      .set('tx:b', 3)
      .set('tx:c', 3)
      .check('g-tx', { entityName: 'grant', conditions: new Filter<Grant>().and('version', FilterConditions.equalTo(99)) })
      .execute(),
  );
  assert.equal(err.responseDetails.status, 409);
  assert.equal(await kvs.get('tx:b'), 2, 'nothing of the failed transaction was written');
  assert.equal(await kvs.get('tx:c'), undefined);
});

test('transactions are limited to 25 operations on distinct keys', async () => {
  const tx = kvs.transact();
  for (let i = 0; i < 26; i++) tx.set(`many:${i}`, i);
  assert.equal((await kvsError(tx.execute())).responseDetails.status, 400);
  const ok = kvs.transact();
  for (let i = 0; i < 25; i++) ok.set(`many:${i}`, i);
  await ok.execute();
  assert.equal(await kvs.get('many:24'), 24);
  const dup = await kvsError(kvs.transact().set('dup', 1).delete('dup').execute());
  assert.equal(dup.responseDetails.status, 400);
});

test('custom entities: compare-and-set on a version attribute and create-if-absent, through transaction conditions', async () => {
  const grants = kvs.entity<{ issueKey: string; state: string; version: number }>('grant');
  // create if absent: condition on an attribute every stored grant has
  const create = (version: number) =>
    kvs
      .transact()
      .set<Grant>('g-1', { issueKey: 'JIT-1', state: 'requested', version }, { entityName: 'grant', conditions: new Filter<Grant>().and('version', FilterConditions.notExists()) })
      .execute();
  await create(1);
  assert.equal((await kvsError(create(1))).responseDetails.status, 409);

  // compare-and-set: write version 2 only if the stored version is still 1
  const cas = (expected: number, next: { state: string; version: number }) =>
    kvs
      .transact()
      .set<Grant>('g-1', { issueKey: 'JIT-1', ...next }, { entityName: 'grant', conditions: new Filter<Grant>().and('version', FilterConditions.equalTo(expected)) })
      .execute();
  await cas(1, { state: 'active', version: 2 });
  const stale = await kvsError(cas(1, { state: 'revoked', version: 2 }));
  assert.equal(stale.code, 'CONFLICT');
  assert.equal(stale.responseDetails.status, 409);
  assert.deepEqual(await grants.get('g-1'), { issueKey: 'JIT-1', state: 'active', version: 2 });

  // conditional delete
  await kvs.transact().delete('g-1', { entityName: 'grant', conditions: new Filter<Grant>().and('state', FilterConditions.equalTo('active')) }).execute();
  assert.equal(await grants.get('g-1'), undefined);

  // conditions on plain keys are refused (they are an entity feature)
  const plain = await kvsError(
    kvs.transact().set<{ x: number }>('plain', { x: 1 }, { entityName: undefined as unknown as string, conditions: new Filter<{ x: number }>().and('x', FilterConditions.exists()) }).execute(),
  );
  assert.equal(plain.responseDetails.status, 400);
});

test('custom entities: set validates attribute types and query uses the declared index', async () => {
  const grants = kvs.entity<{ issueKey: string; state: string; version: number; until: number }>('grant');
  await grants.set('q-1', { issueKey: 'JIT-11', state: 'active', version: 1, until: 300 });
  await grants.set('q-2', { issueKey: 'JIT-12', state: 'active', version: 1, until: 100 });
  await grants.set('q-3', { issueKey: 'JIT-13', state: 'revoked', version: 1, until: 50 });
  const due = await grants.query().index('by-state', { partition: ['active'] }).where(WhereConditions.lessThan(200)).getMany();
  assert.deepEqual(due.results.map((r) => r.key), ['q-2']);
  const all = await grants.query().index('by-state', { partition: ['active'] }).getMany();
  assert.deepEqual(all.results.map((r) => r.key), ['q-2', 'q-1'], 'sorted by the range attribute');
  const wrongType = await kvsError(grants.set('q-4', { issueKey: 'JIT-14', state: 'active', version: 'one' as unknown as number, until: 1 }));
  assert.equal(wrongType.code, 'INVALID_ENTITY_VALUE');
});

test('KVS key and value limits answer the documented error codes', async () => {
  assert.equal((await kvsError(kvs.set('k'.repeat(501), 1))).code, 'KEY_TOO_LONG');
  await kvs.set('k'.repeat(500), 1);
  assert.equal((await kvsError(kvs.set('bad/key', 1))).code, 'INVALID_KEY');
  assert.equal((await kvsError(kvs.set('   ', 1))).code, 'INVALID_KEY');
  await kvs.set('ok:key with spaces-#1', 1);
  assert.equal((await kvsError(kvs.set('big', 'x'.repeat(240 * 1024)))).code, 'MAX_SIZE');
  await kvs.set('big', 'x'.repeat(240 * 1024 - 2));
  const nest = (depth: number): unknown => (depth === 0 ? 1 : { n: nest(depth - 1) });
  await kvs.set('deep', nest(31));
  assert.equal((await kvsError(kvs.set('deep', nest(32)))).code, 'MAX_DEPTH');
});

test('KVS TTL expires values on the shared clock; secrets live apart from plain keys', async () => {
  await kvs.set('ttl:x', 'soon gone', { ttl: { value: 1, unit: 'MINUTES' } });
  const meta = await kvs.get('ttl:x', { metadataFields: [MetadataField.EXPIRE_TIME] });
  assert.equal(meta?.expireTime, new Date(clock.now() + 60_000).toISOString());
  await clock.advance(60_001);
  assert.equal(await kvs.get('ttl:x'), undefined);

  await kvs.setSecret('secret:token', 's3cr3t');
  assert.equal(await kvs.getSecret('secret:token'), 's3cr3t');
  assert.equal(await kvs.get('secret:token'), undefined);
  const listed = await kvs.query().where('key', WhereConditions.beginsWith('secret:')).getMany();
  assert.deepEqual(listed.results, []);
});

test('@forge/kvs batch set/get/delete report successful and failed keys per item', async () => {
  const set = await kvs.batchSet<unknown>([
    { key: 'batch:1', value: { n: 1 } },
    { key: 'bad/key', value: 2 },
    { key: 'b-1', value: { issueKey: 'JIT-1', state: 'active', version: 1 }, entityName: 'grant' },
  ]);
  assert.deepEqual(set.successfulKeys, [{ key: 'batch:1' }, { key: 'b-1', entityName: 'grant' }]);
  assert.equal(set.failedKeys[0]!.key, 'bad/key');
  assert.equal(set.failedKeys[0]!.error.code, 'INVALID_KEY');
  const got = await kvs.batchGet([{ key: 'batch:1' }, { key: 'batch:missing' }]);
  assert.deepEqual(got.successfulKeys.map((k) => [k.key, k.value]), [['batch:1', { n: 1 }]]);
  assert.equal(got.failedKeys[0]!.error.code, 'KEY_NOT_FOUND');
  await kvs.batchDelete([{ key: 'batch:1' }, { key: 'b-1', entityName: 'grant' }]);
  assert.equal(await kvs.get('batch:1'), undefined);
});

test('the KVS emulator keeps its data in the SQLite file across restarts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvs-'));
  try {
    const path = join(dir, 'kvs.sqlite');
    const post = (url: string, op: string, body: unknown) =>
      rt.rawFetch(`${url}/api/v1/${op}`, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const first = await startKvsEmulator({ path, token: 't' });
    assert.equal((await post(first.url, 'set', { key: 'persisted', value: { ok: true } })).status, 204);
    await first.close();
    const second = await startKvsEmulator({ path, token: 't' });
    const res = await post(second.url, 'get', { key: 'persisted' });
    assert.deepEqual(await res.json(), { key: 'persisted', value: { ok: true } });
    assert.equal((await post(second.url, 'get', { key: 'persisted' }).then((r) => r.status)), 200);
    const unauthorised = await rt.rawFetch(`${second.url}/api/v1/get`, { method: 'POST', body: '{"key":"persisted"}' });
    assert.equal(unauthorised.status, 401);
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------- clocks

test('VirtualClock.advance runs due timers in time order, including sleeps started by earlier timers', async () => {
  const c = new VirtualClock(0);
  const seen: string[] = [];
  c.setTimer(300, () => void seen.push(`t300@${c.now()}`));
  c.setTimer(100, async () => {
    seen.push(`t100@${c.now()}`);
    await c.sleep(150);
    seen.push(`woke@${c.now()}`);
  });
  c.setTimer(200, () => void seen.push(`t200@${c.now()}`));
  c.setTimer(1000, () => void seen.push('late'));
  await c.advance(500);
  assert.deepEqual(seen, ['t100@100', 't200@200', 'woke@250', 't300@300']);
  assert.equal(c.now(), 500);
  assert.deepEqual(c.pendingTimers(), [{ at: 1000 }]);
  c.close();
});

test('scaledClock runs time faster than the wall clock by its factor', async () => {
  const c = scaledClock(1000, 0);
  const wall = Date.now();
  await c.sleep(2_000);
  assert.ok(Date.now() - wall < 500, 'two clock seconds take about two wall milliseconds');
  assert.ok(c.now() >= 2_000);
  let fired = false;
  c.setTimer(c.now() + 1_000, () => void (fired = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(fired);
  c.close();
});

// ---------------------------------------------------------------------------------------------- @forge/api

test('api.asApp().requestJira reaches the Jira emulator as the app; asUser acts as that user', async () => {
  const { key } = jira.createIssue({ summary: 'runtime test', reporter: USER });
  const res = await api.asApp().requestJira(route`/rest/api/3/issue/${key}/comment`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ body: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'from the app' }] }] } }),
  });
  assert.equal(res.status, 201);
  const comment = jira.comments(key)[0]!;
  assert.equal(comment.text, 'from the app');
  assert.equal(comment.author, jira.appAccountId);

  const me = await (await api.asApp().requestJira(route`/rest/api/3/myself`)).json();
  assert.equal(me.accountId, jira.appAccountId);
  const asUser = await (await api.asUser(USER).requestJira(route`/rest/api/3/myself`)).json();
  assert.equal(asUser.accountId, USER);
  assert.equal(jira.requests.at(-1)!.principal, USER);

  const log = rt.fetchLog.filter((e) => e.target.remote === 'jira');
  assert.deepEqual(log.at(-1)!.target, { type: 'fpp', provider: 'user', accountId: USER, remote: 'jira' });
  assert.throws(() => api.asApp().requestJira('/rest/api/3/myself' as never), /route/, 'requestJira refuses plain strings');
  assert.ok(jira.requests.every((r) => r.principal !== undefined), 'the runtime authenticated every request as the app');
});

test('egress fetch to https://api.atlassian.com reaches the org-admin emulator; other hosts are refused', async () => {
  const res = await api.fetch('https://api.atlassian.com/admin/v1/orgs?cursor=abc', {
    headers: { Authorization: `Bearer ${process.env.ORG_API_KEY}`, Accept: 'application/json' },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { data: [{ id: 'org-1' }] });
  assert.deepEqual(orgCalls.at(-1), { method: 'GET', url: '/admin/v1/orgs?cursor=abc', authorization: 'Bearer test-org-key' });

  const refused = (e: unknown) => {
    assert.ok(e instanceof TypeError, 'fetch rejects');
    const cause = (e as TypeError).cause;
    assert.ok(cause instanceof ExternalEndpointNotAllowedError, 'with @forge/api\'s egress error as the cause');
    assert.equal(cause.status, 403);
    return true;
  };
  await assert.rejects(api.fetch('https://evil.example.com/steal'), refused);
  await assert.rejects(fetch('http://api.atlassian.com/admin/v1/orgs'), refused, 'the scheme must match too');
  await assert.rejects(fetch(`${orgUrl}/direct`), refused, 'local servers are not in the allow-list either');
  assert.deepEqual(
    rt.egressLog.slice(-4).map((e) => [e.url, e.allowed]),
    [
      ['https://api.atlassian.com/admin/v1/orgs?cursor=abc', true],
      ['https://evil.example.com/steal', false],
      ['http://api.atlassian.com/admin/v1/orgs', false],
      [`${orgUrl}/direct`, false],
    ],
  );
  assert.equal(orgCalls.length, 1, 'refused calls never left the process');
  // harness code can still reach local servers
  assert.equal((await rt.rawFetch(`${orgUrl}/ping`)).status, 200);
});

test('getAppContext() reads the app, environment and installation from __forge_runtime__', () => {
  const ctx = getAppContext();
  assert.match(String(ctx.appAri), /^ari:cloud:ecosystem::app\//);
  assert.match(String(ctx.environmentAri), /^ari:cloud:ecosystem::environment\//);
  assert.equal(ctx.environmentType, 'DEVELOPMENT');
  assert.equal(ctx.appVersion, '1.0.0');
});

// ---------------------------------------------------------------------------------------------- @forge/events

test('Queue.push with delayInSeconds is delivered to the consumer when the virtual clock reaches it', async () => {
  const got: Array<{ at: number; event: AsyncEvent }> = [];
  rt.registerConsumer('q-delay', (event) => void got.push({ at: clock.now(), event }));
  const pushedAt = clock.now();
  const { jobId } = await new Queue({ key: 'q-delay' }).push({ body: { issueKey: 'JIT-1', action: 'expire' }, delayInSeconds: 120 });
  await clock.advance(119_000);
  assert.equal(got.length, 0);
  await clock.advance(1_000);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.at, pushedAt + 120_000);
  const e = got[0]!.event;
  assert.deepEqual(e.body, { issueKey: 'JIT-1', action: 'expire' });
  assert.equal(e.queueName, 'q-delay');
  assert.equal(e.jobId, jobId);
  assert.equal(e.delayInSeconds, 120);
  assert.ok(e.eventId);
  assert.equal(e.retryContext, undefined);
});

test('a consumer returning InvocationError is redelivered after retryAfter with retryContext; a throwing one is retried with backoff', async () => {
  const seen: Array<{ at: number; retry?: AsyncEvent['retryContext'] }> = [];
  rt.registerConsumer('q-retry', (event) => {
    seen.push({ at: clock.now(), retry: event.retryContext });
    if (seen.length === 1) {
      return new InvocationError({ retryAfter: 30, retryReason: InvocationErrorCode.FUNCTION_UPSTREAM_RATE_LIMITED, retryData: { attempt: 1 } });
    }
    if (seen.length === 2) throw new Error('org API unavailable');
    return undefined;
  });
  const t0 = clock.now();
  await new Queue({ key: 'q-retry' }).push({ body: { n: 1 } });
  await clock.advance(0);
  assert.equal(seen.length, 1);
  await clock.advance(30_000);
  assert.equal(seen.length, 2);
  assert.equal(seen[1]!.at, t0 + 30_000);
  assert.equal(seen[1]!.retry?.retryCount, 1);
  assert.equal(seen[1]!.retry?.retryReason, 'FUNCTION_UPSTREAM_RATE_LIMITED');
  assert.deepEqual(seen[1]!.retry?.retryData, { attempt: 1 });
  await clock.advance(15 * 60_000);
  assert.equal(seen.length, 3);
  assert.equal(seen[2]!.retry?.retryCount, 2);
  const records = rt.queue.deliveries.filter((d) => d.queueName === 'q-retry');
  assert.deepEqual(records.map((d) => d.outcome), ['retry-requested', 'failed', 'succeeded']);
  assert.equal(rt.queue.events({ queueName: 'q-retry' })[0]!.state, 'succeeded');
});

test('push limits: 50 events, 200 KB, delayInSeconds 0..900, enforced by the SDK and by the local queue', async () => {
  const q = new Queue({ key: 'q-limits' });
  await assert.rejects(q.push(Array.from({ length: 51 }, (_, i) => ({ body: { i } }))), TooManyEventsError);
  await assert.rejects(q.push({ body: { big: 'x'.repeat(205 * 1024) } }), PayloadTooBigError);
  await assert.rejects(q.push({ body: {}, delayInSeconds: 901 }), InvalidPushSettingsError);
  await q.push(Array.from({ length: 50 }, (_, i) => ({ body: { i }, delayInSeconds: 900 })));

  // The server side checks too, for clients that skip the SDK's validation.
  const post = (payload: unknown[]) =>
    __requestAtlassianAsApp('/webhook/queue/publish/{contextAri}/{environmentId}/{appId}/{appVersion}', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ queueName: 'q-limits', jobId: 'raw-job', type: 'avi:forge:app:event', schema: 'ari:cloud:ecosystem::forge/app-event-2', payload, time: new Date().toISOString() }),
    });
  assert.equal((await post(Array.from({ length: 51 }, () => ({ body: {} })))).status, 400);
  assert.equal((await post([{ body: {}, delayInSeconds: 901 }])).status, 400);
  assert.equal((await post([{ body: { big: 'x'.repeat(205 * 1024) } }])).status, 413);
});

test('the queue can duplicate and reorder deliveries for reliability tests', async () => {
  const dup: string[] = [];
  rt.registerConsumer('q-dup', (event) => void dup.push(event.eventId));
  rt.queue.duplicateNextDeliveries(1);
  await new Queue({ key: 'q-dup' }).push({ body: { once: true } });
  await clock.advance(0);
  assert.equal(dup.length, 2);
  assert.equal(dup[0], dup[1], 'the same event, delivered twice');
  assert.ok(rt.queue.deliveries.some((d) => d.queueName === 'q-dup' && d.duplicate));

  const order: number[] = [];
  rt.registerConsumer('q-order', (event) => void order.push(event.body.i as number));
  rt.queue.setFaults({ reorderWindowMs: 10_000 });
  await new Queue({ key: 'q-order' }).push(Array.from({ length: 10 }, (_, i) => ({ body: { i } })));
  await clock.advance(10_000);
  assert.deepEqual([...order].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'delivered out of push order');
});

test('job stats and cancel work for pending events', async () => {
  const got: unknown[] = [];
  rt.registerConsumer('q-cancel', (e) => void got.push(e));
  const q = new Queue({ key: 'q-cancel' });
  const { jobId } = await q.push({ body: { x: 1 }, delayInSeconds: 60 });
  assert.deepEqual(await q.getStats(jobId), { success: 0, inProgress: 1, failed: 0 });
  await q.cancel(jobId);
  await clock.advance(61_000);
  assert.equal(got.length, 0);
});

// ---------------------------------------------------------------------------------------------- resolvers and events

test('invokeResolver calls a @forge/resolver handler as the platform does, with the principal accountId and extension context', async () => {
  const resolver = new Resolver();
  resolver.define('whoAmI', async ({ payload, context }) => {
    await kvs.set(`seen:${context.accountId}`, payload);
    const me = await (await api.asUser(context.accountId).requestJira(route`/rest/api/3/myself`)).json();
    return { accountId: context.accountId, issueKey: context.extension.issue.key, payload, jiraSaysIAm: me.accountId, installContext: context.installContext };
  });
  const handler = resolver.getDefinitions();
  const result = await rt.invokeResolver(handler, {
    functionKey: 'whoAmI',
    payload: { minutes: 30 },
    context: { accountId: USER, extension: { type: 'jira:issuePanel', issue: { key: 'JIT-42', id: '10042' } } },
  });
  assert.deepEqual(result, { accountId: USER, issueKey: 'JIT-42', payload: { minutes: 30 }, jiraSaysIAm: USER, installContext: rt.contextAri });
  assert.deepEqual(await kvs.get(`seen:${USER}`), { minutes: 30 });
  await assert.rejects(rt.invokeResolver(handler, { functionKey: 'nope' }), /no definition for 'nope'/);
});

test('a Jira transition listener delivers the post-function event; InvocationError results are retried with retryContext', async () => {
  const { key } = jira.createIssue({ summary: 'post function', reporter: USER });
  const calls: Array<{ at: number; atlassianId: string; retryCount?: number }> = [];
  const postFn = async (event: { atlassianId: string; issue: { key: string }; retryContext?: { retryCount: number } }) => {
    calls.push({ at: clock.now(), atlassianId: event.atlassianId, retryCount: event.retryContext?.retryCount });
    if (calls.length === 1) return new InvocationError({ retryAfter: 10, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST });
    await api.asApp().requestJira(route`/rest/api/3/issue/${event.issue.key}/comment`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ body: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'post function ran' }] }] } }),
    });
    return undefined;
  };
  const off = jira.onTransition((event) => rt.deliverEvent(postFn as never, event as unknown as Record<string, unknown>, { moduleKey: 'jit-approve' }), {
    transitionIds: ['11'],
  });
  const t0 = clock.now();
  await jira.transition(key, '11', { actor: USER });
  for (let i = 0; i < 200 && calls.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(calls.length, 1);
  await clock.advance(10_000);
  await jira.idle();
  off();
  assert.deepEqual(calls, [
    { at: t0, atlassianId: USER, retryCount: undefined },
    { at: t0 + 10_000, atlassianId: USER, retryCount: 1 },
  ]);
  assert.deepEqual(jira.comments(key).map((c) => c.text), ['post function ran']);
});

test('asUser() without an account id acts as the user the invocation runs for, even with another user’s invocation in flight; with no user it needs authentication', async () => {
  const OTHER = '5b10ac8d82e05b22cc7d4e99';
  jira.seedUser({ accountId: OTHER, displayName: 'Other User' });
  const resolver = new Resolver();
  resolver.define('whoAmI', async () => {
    // Yield first, so the other invocation starts and changes the process-wide context meanwhile.
    await new Promise((r) => setTimeout(r, 5));
    return (await (await api.asUser().requestJira(route`/rest/api/3/myself`)).json()).accountId;
  });
  const handler = resolver.getDefinitions();
  const call = (accountId: string) => rt.invokeResolver(handler as never, { functionKey: 'whoAmI', context: { accountId } });
  assert.deepEqual(await Promise.all([call(USER), call(OTHER), call(USER), call(OTHER)]), [USER, OTHER, USER, OTHER]);
  await assert.rejects(api.asUser().requestJira(route`/rest/api/3/myself`), /Authentication Required/, 'outside any invocation there is no user');
});

test('VirtualClock.drive finishes awaited work that backs off on the clock, moving time only as far as it sleeps', async () => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const start = clock.now();
  // Work that is not started by a timer and sleeps twice, as a retried org call would. Without
  // drive nothing advances the clock and this would never settle.
  const work = (async () => {
    await clock.sleep(500);
    await clock.sleep(1_000);
    return clock.now();
  })();
  assert.equal(await clock.drive(work), start + 1_500);
  assert.equal(clock.now(), start + 1_500, 'time moved exactly as far as the work slept');
  // Work that never sleeps sees no time pass, even with a later timer pending.
  clock.setTimer(start + 60_000, () => undefined);
  assert.equal(await clock.drive(Promise.resolve('done')), 'done');
  assert.equal(clock.now(), start + 1_500);
  // A rejection is passed on, not swallowed.
  await assert.rejects(clock.drive((async () => { await clock.sleep(10); throw new Error('refused'); })()), /refused/);
});
