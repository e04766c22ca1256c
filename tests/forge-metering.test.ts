/**
 * The local Forge runtime's meter (playground/forge-runtime/meter.ts) and what it shows of the
 * sweep: an idle sweep reads a few KB whatever the history, and still finds what is due. Bytes and
 * calls are counted, never time.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { endedGrantTemplate, seedHistory } from '../bench/metering';
import { kvsCallUsage, monthlyBill, totalUsage } from '../playground/forge-runtime/meter';
import { activeOrgAdmin, answer, demoApp, orgAdmins, windowEnd } from './support/app';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

test('a KVS call is metered as the bytes of the keys and values it returns or stores, per entity', () => {
  const query = kvsCallUsage('/api/v1/entity/query', { entityName: 'grant', indexName: 'by-updated' }, 200, {
    data: [
      { key: 'g1', value: { open: 1, note: 'é' } },
      { key: 'g22', value: { open: 0 } },
    ],
  });
  assert.deepEqual(query.reads, [
    ['grant', bytes('g1') + bytes('{"open":1,"note":"é"}')],
    ['grant', bytes('g22') + bytes('{"open":0}')],
  ]);
  assert.deepEqual(query.writes, []);
  const tx = kvsCallUsage(
    '/api/v1/transaction',
    { set: [{ key: 'a:000000000001', value: { seq: 1 }, entityName: 'audit', conditions: { and: [] } }], delete: [{ key: 'claim:x' }] },
    204,
    undefined,
  );
  assert.deepEqual(tx.writes, [
    ['audit', bytes('a:000000000001{"seq":1}')],
    ['(kv)', bytes('claim:x')],
  ]);
  // A refused write stored nothing; a get of a missing key returned nothing.
  assert.deepEqual(kvsCallUsage('/api/v1/transaction', { set: [{ key: 'k', value: 1 }] }, 409, { code: 'CONFLICT' }).writes, []);
  assert.deepEqual(kvsCallUsage('/api/v1/entity/get', { entityName: 'grant', key: 'x' }, 404, { code: 'KEY_NOT_FOUND' }).reads, []);
});

test('a month is priced as the Forge pricing page prices its worked example (150,000 GB-s and 0.15 GB read: $1.25275)', () => {
  const bill = monthlyBill({ gbSeconds: 150_000, kvsReadBytes: 0.15e9, kvsWriteBytes: 0.01e9, logBytes: 0 });
  assert.ok(Math.abs(bill.overageUsd.total - 1.25275) < 1e-9, String(bill.overageUsd.total));
  assert.equal(bill.allowanceUsedPct.duration, 150);
  assert.equal(bill.allowanceUsedPct.kvsWrites, 10);
  assert.equal(bill.largestPct, 150);
  assert.equal(monthlyBill({ gbSeconds: 1, kvsReadBytes: 1, kvsWriteBytes: 1, logBytes: 1 }).overageUsd.total, 0);
});

test('every invocation is metered: the grant it wrote, byte for byte, its log bytes, and a billed duration from its platform calls', async () => {
  const app = await demoApp();
  try {
    const issue = app.createIssue('Org admin to rotate the SAML certificate', 'alice');
    const mark = app.runtime.meter.mark();
    const fetchStart = app.runtime.fetchLog.length;
    const r = answer(await app.panel('alice', issue.key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'rotate the SAML certificate' }));
    assert.ok(r.ok);
    const [usage, ...more] = app.runtime.meter.since(mark);
    assert.equal(more.length, 0);
    assert.equal(usage!.moduleKey, 'jit-admin-panel');
    // The grant writes the KVS client sent (the decision, then the emptied outbox), as the runtime logged them.
    const grantSets = app.runtime.fetchLog
      .slice(fetchStart)
      .flatMap((e) => ((e.body as { set?: Array<{ key: string; value: unknown; entityName?: string }> } | undefined)?.set ?? []))
      .filter((x) => x.entityName === 'grant');
    assert.ok(grantSets.length >= 1);
    assert.deepEqual(grantSets.at(-1)!.value, app.runtime.kvs.peek(issue.id, { entityName: 'grant' }), 'the last write is what is stored');
    assert.equal(usage!.byEntity.grant?.writes, grantSets.length);
    assert.equal(usage!.byEntity.grant?.writeBytes, grantSets.reduce((n, x) => n + bytes(x.key) + bytes(JSON.stringify(x.value)), 0));
    assert.ok((usage!.byEntity.audit?.writeBytes ?? 0) > 0, 'the audit record was written');
    assert.equal(usage!.kvsWriteBytes, Object.values(usage!.byEntity).reduce((n, e) => n + e.writeBytes, 0));
    assert.ok(usage!.kvsRequests >= 3 && usage!.jiraRequests >= 1);
    // At least the modeled round trips of its platform calls, at 0.5 GB.
    assert.ok(usage!.billedMs >= usage!.kvsRequests * 20 + usage!.jiraRequests * 150);
    assert.equal(usage!.gbSeconds, (usage!.billedMs / 1000) * 0.5);
    const record = app.runtime.invocations.find((i) => i.id === usage!.id)!;
    assert.equal(usage!.logBytes, record.logBytes);
    assert.equal(totalUsage([usage!, usage!]).kvsWriteBytes, 2 * usage!.kvsWriteBytes);
  } finally {
    await app.close();
  }
});

test('an idle sweep reads at most 6 KB and writes at most 200 bytes with 10,000 grants stored, and still revokes a grant whose window ended', async () => {
  // No queue consumer: every "wake me at T" is lost, so only the sweep can end the grant.
  const app = await demoApp({ queueConsumer: false });
  try {
    const template = await endedGrantTemplate(app, 'alice', 'org-admin');
    await seedHistory(app, 10_000, template);
    await app.clock.advance(3600_000);
    await app.sweep();
    await app.clock.advance(5 * 60_000);
    const mark = app.runtime.meter.mark();
    await app.sweep();
    const [idle] = app.runtime.meter.since(mark);
    assert.equal(idle!.moduleKey, 'jit-sweep');
    assert.ok(idle!.kvsReadBytes <= 6_000, `the idle sweep read ${idle!.kvsReadBytes} bytes`);
    assert.ok(idle!.kvsWriteBytes <= 200, `the idle sweep wrote ${idle!.kvsWriteBytes} bytes`);
    assert.equal(idle!.byEntity.grant?.readBytes ?? 0, 0, 'no stored grant is read when none is due or held');

    const key = await activeOrgAdmin(app, 'alice', 30);
    const end = await windowEnd(app, key);
    await app.clock.advanceTo(end + 60_000);
    assert.ok(orgAdmins(app).includes(A.alice), 'with the timer lost, the role is still held after the window');
    const due = app.runtime.meter.mark();
    await app.sweep();
    assert.ok(!orgAdmins(app).includes(A.alice), 'the sweep found the due grant among 10,000 and revoked it');
    const view = answer(await app.panel('alice', key, 'getView'));
    assert.ok(view.ok && view.data.view.grant.grant.provisioning.state === 'revoked');
    // It read the due grant, not the history.
    const [sweep] = app.runtime.meter.since(due).filter((u) => u.moduleKey === 'jit-sweep');
    assert.ok(sweep!.kvsReadBytes < 60_000, `the sweep with one due grant read ${sweep!.kvsReadBytes} bytes`);
  } finally {
    await app.close();
  }
});

test('the due index holds every wake the core schedules (approval reminder, unapproved expiry, end-of-window warning), and the sweep alone brings each on time among 1,000 stored grants', async () => {
  // No queue consumer and no scheduled sweep: every "wake me at T" is lost; only the sweep we run acts.
  const app = await demoApp({ queueConsumer: false, scheduleSweep: false });
  const MINUTE = 60_000;
  const dueAt = (id: string) => (app.runtime.kvs.peek(id, { entityName: 'grant' }) as { dueAt?: string } | undefined)?.dueAt;
  const texts = (key: string) => app.jira.comments(key).map((c) => c.text);
  try {
    await seedHistory(app, 1_000, await endedGrantTemplate(app, 'alice', 'org-admin'));
    const policy = (answer(await app.admin('perm-1', 'getPolicy')) as { ok: true; data: { policy: any } }).data.policy;
    policy.targets[0].approvalReminderBeforeMinutes = 120;
    await app.changePolicy(policy);

    const requested = app.createIssue('Org admin for the reminder', 'alice');
    const submitted = answer(await app.panel('alice', requested.key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'rotate the SAML certificate' }));
    assert.ok(submitted.ok, JSON.stringify(submitted));
    const deadline = Date.parse((answer(await app.panel('alice', requested.key, 'getView')) as any).data.view.grant.grant.approvalDeadline);
    assert.equal(dueAt(requested.id), new Date(deadline - 120 * MINUTE).toISOString(), 'due at the reminder, before the deadline');
    await app.clock.advanceTo(deadline - 120 * MINUTE);
    assert.ok(!texts(requested.key).some((t) => /^Reminder: /.test(t)), 'the lost wake sent nothing');
    await app.sweep();
    assert.ok(texts(requested.key).some((t) => /^Reminder: /.test(t)), 'the sweep sent the reminder');
    assert.equal(dueAt(requested.id), new Date(deadline).toISOString(), 'then due at the approval deadline');
    await app.clock.advanceTo(deadline);
    await app.sweep();
    const expired = answer(await app.panel('alice', requested.key, 'getView')) as any;
    assert.equal(expired.data.view.grant.grant.outcome, 'unapproved');
    assert.equal(dueAt(requested.id), undefined, 'nothing is due of an ended grant');

    const active = app.createIssue('Org admin for the warning', 'alice');
    assert.ok(answer(await app.panel('alice', active.key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'rotate the SAML certificate' })).ok);
    assert.ok(answer(await app.panel('bob', active.key, 'approve')).ok);
    assert.ok(answer(await app.panel('alice', active.key, 'activate')).ok);
    const end = await windowEnd(app, active.key);
    assert.equal(dueAt(active.id), new Date(end - 10 * MINUTE).toISOString(), 'due at the end-of-window warning');
    await app.clock.advanceTo(end - 10 * MINUTE);
    await app.sweep();
    assert.ok(texts(active.key).some((t) => /in 10 minutes\)/.test(t)), 'the sweep sent the warning');
    assert.equal(dueAt(active.id), new Date(end).toISOString(), 'then due at the window end');
  } finally {
    await app.close();
  }
});
