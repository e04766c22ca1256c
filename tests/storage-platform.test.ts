// The Custom Entity Store as strict as Forge documents it ("Defining custom entities", "Storage
// limits"), and the app's storage adapter living within it: 32-bit integers, non-empty strings,
// ISO-8601 timestamps in string attributes, and lost races recognised whatever the store answers.
//
// The runtime module is imported first: @forge/api captures the global fetch when it loads.
import { startForgeRuntime, validateEntityDefinitions, VirtualClock, type ConflictAnswer, type ForgeRuntime } from '../playground/forge-runtime/index';
import { startJiraEmulator, type JiraEmulator } from '../playground/emulators/jira/index';
import { manifestEntities } from '../playground/local-app';
import { createKvsStore } from '../forge-app/src/adapters/storage';
import type { Grant, AuditRecord, AuditHead } from '../forge-app/src/decision/core';
import type { Store } from '../forge-app/src/ports';
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { ForgeKvsAPIError, kvs } from '@forge/kvs';

const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);
const GENESIS: AuditHead = { seq: 0, hash: '0'.repeat(64) };

let clock: VirtualClock;
let jira: JiraEmulator;
let rt: ForgeRuntime;
let store: Store;

before(async () => {
  clock = new VirtualClock(T0);
  jira = await startJiraEmulator({ now: () => clock.now() });
  rt = await startForgeRuntime({ jiraUrl: jira.url, jiraAppToken: jira.appToken, clock, entities: manifestEntities() });
  store = createKvsStore(() => clock.now());
});

after(async () => {
  await rt.close();
  await jira.close();
  clock.close();
});

beforeEach(() => rt.kvs.setConflictAnswers(null));

const refusal = async (p: Promise<unknown>): Promise<ForgeKvsAPIError> => {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ForgeKvsAPIError, `expected ForgeKvsAPIError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the store to refuse the write');
};

/** A grant as the core stores it, with only the fields the adapter reads for its attributes. */
function grant(id: string, over: Partial<Grant> = {}): Grant {
  return {
    id,
    issueKey: 'JIT-1',
    version: 1,
    subject: 'alice',
    target: 'org-admin',
    status: 'requested',
    provisioning: { state: 'notGranted' },
    ...over,
  } as unknown as Grant;
}

function auditRecord(seq: number, over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    seq,
    prevHash: '0'.repeat(64),
    hash: String(seq).padStart(64, '0'),
    at: new Date(clock.now()).toISOString(),
    actor: 'system',
    event: 'sweep',
    outcome: 'noted',
    details: {},
    ...over,
  } as AuditRecord;
}

// ---------------------------------------------------------------------------------------------- the store

test('custom-entity integer attributes are 32-bit signed: epoch milliseconds are refused, 2,147,483,647 is the largest', async () => {
  const grants = kvs.entity<Record<string, unknown>>('grant');
  const base = { version: 1, open: 1, subject: 'alice', updatedAt: '2026-06-01T09:00:00.000Z', record: {} };
  await grants.set('int-ok', { ...base, rev: 2_147_483_647 });
  await grants.set('int-min', { ...base, rev: -2_147_483_648 });
  for (const rev of [2_147_483_648, -2_147_483_649, T0, 1.5]) {
    const e = await refusal(grants.set('int-bad', { ...base, rev }));
    assert.equal(e.code, 'INVALID_ENTITY_VALUE', `rev ${rev}`);
    assert.equal(e.responseDetails.status, 400);
  }
  // The old layout: epoch milliseconds in an attribute the manifest now declares a string.
  assert.equal((await refusal(grants.set('old-layout', { ...base, rev: 1, updatedAt: T0 }))).code, 'INVALID_ENTITY_VALUE');
});

test('custom-entity string attributes refuse empty strings and null; only `any` takes null; undeclared attributes are refused', async () => {
  const audit = kvs.entity<Record<string, unknown>>('audit');
  const base = { seq: 1, at: '2026-06-01T09:00:00.000Z', actor: 'system', event: 'sweep', outcome: 'noted', record: {} };
  await audit.set('s-ok', base);
  await audit.set('s-any-null', { ...base, record: null });
  for (const [attr, value] of [
    ['grantId', ''],
    ['grantId', null],
    ['actor', ''],
    ['seq', null],
    ['at', 1],
  ] as const) {
    const e = await refusal(audit.set('s-bad', { ...base, [attr]: value }));
    assert.equal(e.code, 'INVALID_ENTITY_VALUE', `${attr} = ${JSON.stringify(value)}`);
  }
  assert.equal((await refusal(audit.set('s-extra', { ...base, colour: 'red' }))).code, 'INVALID_ENTITY_VALUE');
  // Transactions validate the same way.
  const tx = await refusal(kvs.transact().set('s-tx', { ...base, grantId: '' }, { entityName: 'audit' }).execute());
  assert.equal(tx.code, 'INVALID_ENTITY_VALUE');
});

test('index values are bounded: a partition value over 1,700 bytes or range values over 900 bytes are refused', async () => {
  const grants = kvs.entity<Record<string, unknown>>('grant');
  const base = { rev: 1, version: 1, open: 1, updatedAt: '2026-06-01T09:00:00.000Z', record: {} };
  await grants.set('idx-ok', { ...base, subject: 'a'.repeat(1700) });
  assert.equal((await refusal(grants.set('idx-partition', { ...base, subject: 'a'.repeat(1701) }))).code, 'INVALID_ENTITY_VALUE');
  assert.equal((await refusal(grants.set('idx-range', { ...base, updatedAt: 'x'.repeat(901) }))).code, 'INVALID_ENTITY_VALUE');
  await grants.delete('idx-ok');
});

test('a range query must compare like with like: a number against the ISO-string `updatedAt` index is refused', async () => {
  const e = await refusal(kvs.entity('grant').query().index('by-updated').where({ condition: 'GREATER_THAN', values: [T0] } as never).getMany());
  assert.equal(e.code, 'INVALID_FILTER_VALUES');
  await kvs.entity('grant').query().index('by-updated').where({ condition: 'GREATER_THAN', values: ['2026-01-01T00:00:00.000Z'] } as never).getMany();
});

test('the manifest passes the deploy-time entity checks; an unknown type, an index on an undeclared attribute and `by-key` are refused', () => {
  validateEntityDefinitions(manifestEntities());
  assert.throws(() => validateEntityDefinitions({ grant: { attributes: { at: { type: 'date' as never } } } }), /type must be one of string\|integer\|float\|boolean\|any/);
  assert.throws(() => validateEntityDefinitions({ grant: { attributes: { at: { type: 'string' } }, indexes: [{ name: 'by-when', range: ['when'] }] } }), /`when` is not an attribute/);
  assert.throws(() => validateEntityDefinitions({ grant: { attributes: { at: { type: 'string' } }, indexes: [{ name: 'by-key', range: ['at'] }] } }), /reserved/);
  for (const [name, def] of Object.entries(manifestEntities())) {
    for (const [attr, { type }] of Object.entries(def.attributes ?? {})) {
      assert.ok(!/(^at$|At$|until)/.test(attr) || type === 'string', `${name}.${attr} holds a timestamp: it must be a string attribute, not ${type}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------- the adapter

test('every kind of write the app makes is accepted by the strict store, with fixed-width ISO-8601 UTC timestamps', async () => {
  clock.setTimer(clock.now(), () => undefined);
  await clock.advance(1234); // an odd millisecond, to see it kept
  const iso = new Date(clock.now()).toISOString();
  // The first policy save, with its audit record (which belongs to no grant).
  const policy = { policy: { permanentAdmins: ['perm-1'] }, version: 1, updatedAt: iso, updatedBy: 'perm-1' } as never;
  assert.equal(await store.savePolicy(policy, 0, [auditRecord(1, { event: 'policyChange' })], GENESIS), 'ok');
  const head1 = await store.auditHead();
  assert.equal(head1.seq, 1);
  // A grant commit with an audit record of that grant.
  assert.equal(await store.commit({ grantId: '10001', expectedRev: null, next: { grant: grant('10001'), outbox: [] }, audit: [auditRecord(2, { grantId: '10001', event: 'submitRequest' })], expectedHead: head1 }), 'ok');
  const stored = rt.kvs.peek('10001', { entityName: 'grant' }) as Record<string, unknown>;
  assert.equal(stored.updatedAt, iso);
  assert.match(String(stored.updatedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const policyAudit = rt.kvs.peek('a:000000000001', { entityName: 'audit' }) as Record<string, unknown>;
  assert.equal(policyAudit.at, iso);
  assert.equal('grantId' in policyAudit, false, 'a record of no grant has no grantId attribute (never "" nor a placeholder)');
  assert.equal((rt.kvs.peek('a:000000000002', { entityName: 'audit' }) as Record<string, unknown>).grantId, '10001');
  // A lease and an alert.
  const token = await store.tryLease('lease:test', 60_000);
  assert.ok(token);
  assert.equal((rt.kvs.peek('lease:test', { entityName: 'lease' }) as { until: string }).until, new Date(clock.now() + 60_000).toISOString());
  await store.saveAlert({ key: 'alert:test', at: iso, severity: 'warning', code: 'TEST', message: 'a test alert' } as never);
  assert.equal((rt.kvs.peek('alert:test', { entityName: 'alert' }) as { at: string }).at, iso);
  // The range indexes order the ISO strings: recent grants, newest alerts first.
  assert.deepEqual((await store.grantsUpdatedSince(clock.now() - 1)).map((s) => s.grant.id), ['10001']);
  assert.deepEqual(await store.grantsUpdatedSince(clock.now() + 1), []);
  assert.equal((await store.alerts(10))[0]?.code, 'TEST');
  await store.releaseLease('lease:test', token);
});

/** Answers a store could plausibly give for a lost race; none is documented. */
const ANSWERS: Array<[string, ConflictAnswer]> = [
  ['409 CONFLICT (the emulator default for a failed condition)', { status: 409, code: 'CONFLICT', message: 'Conflicting update occurred' }],
  ['409 KEY_CONFLICT (the default for FAIL_IF_EXISTS)', { status: 409, code: 'KEY_CONFLICT', message: 'The key already exists.' }],
  ['400 CONDITIONAL_CHECK_FAILED', { status: 400, code: 'CONDITIONAL_CHECK_FAILED', message: 'The conditional request failed' }],
  ['412 PRECONDITION_FAILED', { status: 412, code: 'PRECONDITION_FAILED', message: 'Precondition failed' }],
  ['400 TRANSACTION_CANCELLED', { status: 400, code: 'TRANSACTION_CANCELLED', message: 'Transaction cancelled' }],
  ['400 with an undocumented code', { status: 400, code: 'SOMETHING_NEW', message: 'Something the docs never mention' }],
  ['409 with a body that is not JSON', { status: 409, raw: 'Conflict' }],
  ['400 with a body that is not JSON', { status: 400, raw: '<html>Bad Request</html>' }],
];

for (const [name, answer] of ANSWERS) {
  test(`a lost race is a conflict, not an error, when the store answers ${name}`, async () => {
    rt.kvs.setConflictAnswers({ condition: answer, keyExists: answer });
    const id = `race-${ANSWERS.findIndex(([n]) => n === name)}`;
    // Two writers both expect the grant to be new: the second loses.
    assert.equal(await store.commit({ grantId: id, expectedRev: null, next: { grant: grant(id), outbox: [] }, audit: [], expectedHead: GENESIS }), 'ok');
    assert.equal(await store.commit({ grantId: id, expectedRev: null, next: { grant: grant(id, { version: 2 }), outbox: [] }, audit: [], expectedHead: GENESIS }), 'conflict');
    // A stale revision loses too; the right one wins.
    assert.equal(await store.commit({ grantId: id, expectedRev: 7, next: { grant: grant(id, { version: 2 }), outbox: [] }, audit: [], expectedHead: GENESIS }), 'conflict');
    assert.equal(await store.commit({ grantId: id, expectedRev: 1, next: { grant: grant(id, { version: 2 }), outbox: [] }, audit: [], expectedHead: GENESIS }), 'ok');
    // A moved audit head.
    const head = await store.auditHead();
    assert.equal(await store.commit({ expectedRev: null, audit: [auditRecord(head.seq + 1)], expectedHead: { seq: head.seq + 5, hash: 'f'.repeat(64) } }), 'conflict');
    // A stale policy save.
    const current = await store.policy();
    const doc = { policy: {}, version: (current?.version ?? 0) + 1, updatedAt: new Date(clock.now()).toISOString(), updatedBy: 'perm-1' } as never;
    assert.equal(await store.savePolicy(doc, (current?.version ?? 0) + 3, [], head), 'conflict');
    // FAIL_IF_EXISTS: the second claim of an action key loses.
    assert.equal(await store.claim(`${id}:comment`), true);
    assert.equal(await store.claim(`${id}:comment`), false);
    // A held lease is not taken, and a stranger's release does nothing.
    const token = await store.tryLease(`lease:${id}`, 60_000);
    assert.ok(token);
    assert.equal(await store.tryLease(`lease:${id}`, 60_000), null);
    await store.releaseLease(`lease:${id}`, 'not-the-holder');
    assert.equal(await store.tryLease(`lease:${id}`, 60_000), null, 'still held by its owner');
    await store.releaseLease(`lease:${id}`, token);
    assert.ok(await store.tryLease(`lease:${id}`, 60_000), 'free once its owner gave it back');
  });
}

test('a write the store refuses for what it is (not a race) is still thrown, whatever a lost race looks like', async () => {
  rt.kvs.setConflictAnswers({ condition: { status: 400, code: 'SOMETHING_NEW' }, keyExists: { status: 400, code: 'SOMETHING_NEW' } });
  // The largest revision there is: the next one does not fit a 32-bit integer, and nothing moved.
  await kvs.entity('grant').set('rev-max', { rev: 2_147_483_647, version: 1, open: 1, updatedAt: '2026-06-01T09:00:00.000Z', record: { grant: grant('rev-max'), outbox: [] } });
  await assert.rejects(
    store.commit({ grantId: 'rev-max', expectedRev: 2_147_483_647, next: { grant: grant('rev-max'), outbox: [] }, audit: [], expectedHead: GENESIS }),
    (e: unknown) => e instanceof ForgeKvsAPIError && e.code === 'INVALID_ENTITY_VALUE',
  );
});

test('an invocation reads its grant and the policy once, yet a write that lost to another invocation makes it read both fresh, and an outbox removal from its own copy is still compare-and-set', async () => {
  const mine = createKvsStore(() => clock.now());
  const other = createKvsStore(() => clock.now());
  const id = 'cache-1';
  const action = (key: string) => ({ type: 'comment', key, issueKey: 'JIT-1', body: { type: 'doc', version: 1, content: [] } }) as never;
  const gets = () => rt.fetchLog.filter((e) => e.path === '/api/v1/entity/get').length;

  assert.equal(await mine.commit({ grantId: id, expectedRev: null, next: { grant: grant(id), outbox: [action('a'), action('b')] }, audit: [], expectedHead: GENESIS }), 'ok');
  const before = gets();
  const own = await mine.grant(id);
  const policy = await mine.policy();
  await mine.policy();
  assert.equal(gets() - before, 1, 'its own write served from memory, the policy read once');
  assert.equal(own?.rev, 1);
  own!.grant.version = 99;
  assert.equal((await mine.grant(id))?.grant.version, 1, 'a caller changing its copy changes nothing');

  // Another invocation takes `b` out of the outbox and saves a new policy (moving the audit head).
  await other.removeFromOutbox(id, ['b']);
  const head = await other.auditHead();
  const doc = { policy: { permanentAdmins: ['perm-1'] }, version: (policy?.version ?? 0) + 1, updatedAt: new Date(clock.now()).toISOString(), updatedBy: 'perm-1' } as never;
  assert.equal(await other.savePolicy(doc, policy?.version ?? 0, [auditRecord(head.seq + 1, { prevHash: head.hash, event: 'policyChange' })], head), 'ok');

  // Removing `a` from the stale copy (rev 1) loses the compare-and-set and retries on a fresh read: both gone.
  await mine.removeFromOutbox(id, ['a']);
  assert.deepEqual((await other.grant(id))?.outbox, []);
  assert.equal((rt.kvs.peek(id, { entityName: 'grant' }) as { rev: number }).rev, 3);

  // A decision on the old audit head loses; the retry reads the policy the other invocation saved.
  assert.equal(await mine.commit({ grantId: id, expectedRev: 3, next: { grant: grant(id, { version: 2 }), outbox: [] }, audit: [auditRecord(head.seq + 1)], expectedHead: head }), 'conflict');
  assert.equal((await mine.policy())?.version, (policy?.version ?? 0) + 1);
  assert.equal((await mine.grant(id))?.rev, 3);
});
