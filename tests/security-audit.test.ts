/**
 * What the audit trail shows when someone with write access to the app's storage tampers with it
 * (SECURITY.md, "An elevated admin tampering with the app" and "Audit retention"): an edited record,
 * a record removed from the middle or from the end, a record re-hashed in place — each must make
 * the admin page's chain verification fail. A chain recomputed from scratch cannot be seen from
 * inside; the last seq/hash of an earlier export shows it.
 *
 * The tampering is done directly in the KVS emulator's SQLite file, as code running as the app
 * (a malicious or broken deployment) could do through @forge/kvs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { recordHash } from '../scripts/verify-audit';
import { activeOrgAdmin, answer, demoApp } from './support/app';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

type AuditRecord = { seq: number; prevHash: string; hash: string; hashVersion?: number; at: string; actor: string; event: string; outcome: string; grantId?: string; issueKey?: string; target?: string; details: Record<string, unknown> };

/** The record hash exactly as core/CONTRACT.md ("The audit chain") defines it, as the offline verifier computes it. */
const hashOf = (r: AuditRecord): string => recordHash(r);

test('tampering with stored audit records shows in the chain verification', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jit-audit-'));
  const kvsPath = join(dir, 'kvs.sqlite');
  const app = await demoApp({ kvsPath });
  const db = new DatabaseSync(kvsPath);
  try {
    const key = await activeOrgAdmin(app);
    assert.equal(answer(await app.panel(A.mallory, key, 'revoke')).ok, false);
    assert.ok(answer(await app.panel(A.alice, key, 'complete')).ok);

    const rows = () => db.prepare("SELECT key, value FROM items WHERE space = 'entity' AND entity = 'audit' ORDER BY key").all() as Array<{ key: string; value: string }>;
    const put = (k: string, value: string) => db.prepare("UPDATE items SET value = ? WHERE space = 'entity' AND entity = 'audit' AND key = ?").run(value, k);
    const remove = (k: string) => db.prepare("DELETE FROM items WHERE space = 'entity' AND entity = 'audit' AND key = ?").run(k);
    const restore = (saved: Array<{ key: string; value: string }>) => {
      db.prepare("DELETE FROM items WHERE space = 'entity' AND entity = 'audit'").run();
      const now = Date.now();
      for (const r of saved) db.prepare("INSERT INTO items (space, entity, key, value, created_at, updated_at) VALUES ('entity', 'audit', ?, ?, ?, ?)").run(r.key, r.value, now, now);
    };
    const record = (row: { value: string }) => (JSON.parse(row.value) as { record: AuditRecord }).record;
    const withRecord = (row: { value: string }, rec: AuditRecord) => {
      const entity = JSON.parse(row.value) as Record<string, unknown>;
      return JSON.stringify({ ...entity, actor: rec.actor, record: rec });
    };
    const verification = async () => {
      const r = answer(await app.admin(A['perm-1'], 'getAudit', { limit: 1 }));
      assert.ok(r.ok);
      return r.data.verification as { valid: boolean; checked: number; firstBroken?: { seq: number; reason: string } };
    };
    const exportJson = async () => {
      const r = answer(await app.admin(A['perm-1'], 'exportAudit', { format: 'json' }));
      assert.ok(r.ok);
      return JSON.parse(r.data.content) as AuditRecord[];
    };

    const original = rows();
    const n = original.length;
    assert.ok(n >= 8, `${n} records`);
    assert.equal((await verification()).valid, true, 'the untouched chain verifies');
    const anchor = (await exportJson()).at(-1)!; // what a careful admin keeps outside the app
    const problems: string[] = [];

    // 1. An edited record: bob's approval made to look like carol's.
    const approval = original.find((r) => record(r).event === 'approve')!;
    put(approval.key, withRecord(approval, { ...record(approval), actor: A.carol }));
    let v = await verification();
    if (v.valid || v.firstBroken?.seq !== record(approval).seq) problems.push(`an edited record: ${JSON.stringify(v)}`);
    restore(original);

    // 2. A record removed from the middle (the refusal of mallory's revoke).
    const refusal = original.find((r) => record(r).outcome === 'refused')!;
    remove(refusal.key);
    v = await verification();
    if (v.valid || v.firstBroken?.seq !== record(refusal).seq + 1) problems.push(`a record removed from the middle: ${JSON.stringify(v)}`);
    restore(original);

    // 3. An edited record whose own hash is recomputed: the next record's link breaks.
    const rehashed = { ...record(approval), actor: A.carol };
    rehashed.hash = hashOf(rehashed);
    put(approval.key, withRecord(approval, rehashed));
    v = await verification();
    if (v.valid || v.firstBroken?.seq !== record(approval).seq + 1) problems.push(`a re-hashed record: ${JSON.stringify(v)}`);
    restore(original);

    // 4. The newest record removed (the head in storage still says seq n).
    remove(original[n - 1]!.key);
    v = await verification();
    if (v.valid) problems.push(`the newest record removed: the chain still verifies (${JSON.stringify(v)}), though the stored head is seq ${n}`);
    restore(original);
    assert.equal((await verification()).valid, true, 'restored');

    // 5. The whole chain recomputed after an edit (head and all): only the saved anchor shows it.
    const recs = original.map(record);
    let prev = recs[0]!.prevHash;
    for (const [i, r] of recs.entries()) {
      const edited: AuditRecord = { ...r, prevHash: prev, ...(r.event === 'approve' ? { actor: A.carol } : {}) };
      edited.hash = hashOf(edited);
      put(original[i]!.key, withRecord(original[i]!, edited));
      prev = edited.hash;
    }
    db.prepare("UPDATE items SET value = json_set(value, '$.value.hash', ?) WHERE space = 'entity' AND entity = 'meta' AND key = 'audit-head'").run(prev);
    const later = await exportJson();
    const same = later.find((r) => r.seq === anchor.seq);
    assert.notEqual(same?.hash, anchor.hash, 'the anchor kept from an earlier export no longer matches: the rewrite is visible');

    if (problems.length) assert.fail(`tampering that did not show:\n${problems.join('\n')}`);
  } finally {
    db.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
