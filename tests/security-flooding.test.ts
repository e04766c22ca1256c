/**
 * Refusals cannot flood anything. A scripted client can be refused thousands of times; every
 * authorization refusal used to add one audit record to the grant's timeline, so 2,500 of them
 * made one panel answer about 1.1 MB and twenty times slower, and about 11,000 would have passed
 * what one resolver answer may carry. Now a refusal is recorded once per actor, grant, event,
 * reason and hour and counted after that; the panel sends one page of the timeline; and the
 * admin page's chain verification does bounded work per call. The counts stay visible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answer, demoApp, requestOrgAdmin } from './support/app';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

const REFUSALS = 2_500;

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

test(`${REFUSALS.toLocaleString('en-US')} refused calls: the panel answer stays small, the audit grows by a bounded number of records, and the count is visible`, async () => {
  const app = await demoApp();
  try {
    const key = await requestOrgAdmin(app);
    const view = async (as: string, payload?: unknown) => {
      const r = answer(await app.panel(as, key, 'getView', payload));
      assert.ok(r.ok, JSON.stringify(r));
      return r.data;
    };
    const head = async () => {
      const r = answer(await app.admin(A['perm-1'], 'getAudit', { limit: 1 }));
      assert.ok(r.ok);
      return r.data.records[0]?.seq as number;
    };
    const baseline = bytes(await view(A.alice));
    const seqBefore = await head();

    const started = performance.now();
    for (let i = 0; i < REFUSALS; i++) {
      const r = answer(await app.panel(A.mallory, key, 'approve'));
      if (r.ok || r.error.code !== 'NOT_APPROVER') assert.fail(`call ${i}: ${JSON.stringify(r)}`);
    }
    const perCall = (performance.now() - started) / REFUSALS;

    const t0 = performance.now();
    const data = await view(A.alice);
    const viewMs = performance.now() - t0;
    const size = bytes(data);
    const added = (await head()) - seqBefore;
    console.log(
      `${REFUSALS} refusals: ${perCall.toFixed(1)} ms per refused call; panel answer ${baseline} B before, ${size} B after (${viewMs.toFixed(0)} ms); ${added} audit record(s) added`,
    );
    assert.ok(added <= 3, `the audit grew by ${added} records (one per hour at most is expected)`);
    assert.ok(size < baseline + 4_096, `the panel answer grew from ${baseline} to ${size} bytes`);

    // Nothing is hidden: the one record says how many refusals it stands for, in the panel and
    // on the admin page.
    const refusal = (data.timeline as Array<{ outcome: string; actor: string; details: Record<string, unknown> }>).find(
      (r) => r.outcome === 'refused' && r.actor === A.mallory,
    );
    assert.ok(refusal, 'the refusal is on the timeline');
    const coalesceKey = refusal.details.coalesceKey as string;
    assert.equal(data.refusalCounts[coalesceKey], REFUSALS);
    const audit = answer(await app.admin(A['perm-1'], 'getAudit', { outcome: 'refused', limit: 10 }));
    assert.ok(audit.ok);
    assert.equal(audit.data.refusalCounts[coalesceKey], REFUSALS);
    assert.equal(audit.data.verification.valid, true);

    // A new hour is a new period: recorded again, so a long campaign leaves one record an hour.
    await app.clock.advance(60 * 60_000);
    assert.equal(answer(await app.panel(A.mallory, key, 'approve')).ok, false);
    assert.equal((await head()) - seqBefore, added + 1);
  } finally {
    await app.close();
  }
});

test('the panel sends the newest page of a long history, and older pages on request', async () => {
  const app = await demoApp();
  try {
    const key = await requestOrgAdmin(app);
    // Sixty distinct refusals (different hours), each its own record.
    for (let i = 0; i < 60; i++) {
      assert.equal(answer(await app.panel(A.mallory, key, 'approve')).ok, false);
      await app.clock.advance(60 * 60_000);
    }
    const first = answer(await app.panel(A.alice, key, 'getView'));
    assert.ok(first.ok);
    const page = first.data.timeline as Array<{ seq: number }>;
    assert.equal(page.length, 50);
    assert.ok(page.every((r, i) => i === 0 || r.seq > page[i - 1]!.seq), 'oldest first within the page');
    assert.equal(typeof first.data.timelineBefore, 'number');
    const older = answer(await app.panel(A.alice, key, 'getView', { timelineBefore: first.data.timelineBefore }));
    assert.ok(older.ok);
    const rest = older.data.timeline as Array<{ seq: number; event: string }>;
    assert.ok(rest.length > 0 && rest.at(-1)!.seq < page[0]!.seq);
    assert.equal(older.data.timelineBefore, undefined, 'the oldest page');
    assert.equal(rest[0]!.event, 'submitRequest');
    const bad = answer(await app.panel(A.alice, key, 'getView', { timelineBefore: 'x' }));
    assert.ok(!bad.ok && bad.error.path === 'payload.timelineBefore');
  } finally {
    await app.close();
  }
});
