/**
 * The audit log: one `audit` entity per record, keyed by its zero-padded `seq`, indexed by seq and
 * by grant; `meta/audit-head` is the chain's end (compare-and-set on `version` = seq), appended to
 * only inside another concern's transaction (a decision, a policy change); `meta/audit-checkpoint`
 * says how far the chain is verified; `meta/tally:<key>` counts coalesced refusals.
 */
import { Filter, FilterConditions, kvs, Sort, WhereConditions } from '@forge/kvs';
import type { AuditHead, AuditRecord } from '../../decision/core';
import type { AuditCheckpoint, AuditLog } from '../../ports';
import { again, done, retry, wallClock } from '../../shared/retry';
import type { AuditQuery } from '../../shared/types';
import { all, execute, isoText, meta, PAGE, real, safeKey, text, versionIs, type MetaEntity, type Transaction } from './kvs';

const GENESIS: AuditHead = { seq: 0, hash: '0'.repeat(64) };

interface AuditEntity {
  seq: number;
  /** ISO-8601 UTC, fixed width. */
  at: string;
  /** Absent for records that belong to no grant (sweeps, policy changes). */
  grantId?: string;
  actor?: string;
  event?: string;
  outcome?: string;
  record: AuditRecord;
}

interface RefusalTally {
  key: string;
  count: number;
}

const auditKey = (seq: number) => `a:${String(seq).padStart(12, '0')}`;
const audits = () => kvs.entity<AuditEntity>('audit');

/** The chain's end (the genesis head before the first record). */
export const auditHead = async (): Promise<AuditHead> => (await meta<AuditHead>().get('audit-head'))?.value ?? GENESIS;

/** Whether the chain's end is no longer `expected` (a conditional append lost its race). */
export const headMoved = async (expected: AuditHead): Promise<boolean> => {
  const current = await auditHead();
  return current.seq !== expected.seq || current.hash !== expected.hash;
};

/** Adds the audit records and the head move to a transaction, conditioned on the head still being `expectedHead`. */
export function appendAudit(tx: Transaction, records: AuditRecord[], expectedHead: AuditHead): void {
  if (records.length === 0) return;
  for (const r of records) {
    const value: AuditEntity = {
      seq: r.seq,
      at: isoText(r.at),
      grantId: text(r.grantId),
      actor: text(r.actor),
      event: text(r.event),
      outcome: text(r.outcome),
      record: r,
    };
    tx.set(auditKey(r.seq), value, { entityName: 'audit', conditions: new Filter<AuditEntity>().and('seq', FilterConditions.notExists()) });
  }
  const last = records[records.length - 1]!;
  const next: MetaEntity<AuditHead> = { version: last.seq, value: { seq: last.seq, hash: last.hash } };
  tx.set('audit-head', next, { entityName: 'meta', conditions: versionIs<MetaEntity<AuditHead>>(expectedHead.seq) });
}

/** The audit log on KVS. */
export function createAuditLog(): AuditLog {
  return {
    auditHead,

    async auditPage(query: AuditQuery) {
      const limit = Math.min(Math.max(query.limit ?? 50, 1), PAGE);
      const matches = (r: AuditEntity) =>
        (!query.grantId || r.grantId === query.grantId || r.record.issueKey === query.grantId) &&
        (!query.actor || r.actor === query.actor) &&
        (!query.event || r.event === query.event) &&
        (!query.outcome || r.outcome === query.outcome) &&
        (!query.from || Date.parse(r.at) >= Date.parse(query.from)) &&
        (!query.to || Date.parse(r.at) <= Date.parse(query.to));
      const records: AuditRecord[] = [];
      let before = query.beforeSeq ?? Number.MAX_SAFE_INTEGER;
      // Walk back through the chain a page at a time until enough records match.
      for (let page = 0; page < 200 && records.length < limit; page++) {
        const { results } = await audits().query().index('by-seq').where(WhereConditions.lessThan(before)).sort(Sort.DESC).limit(PAGE).getMany();
        if (results.length === 0) return { records };
        for (const { value } of real(results)) {
          before = value.seq;
          if (matches(value)) records.push(value.record);
          if (records.length === limit) break;
        }
        if (results.length < PAGE && records.length < limit) return { records };
      }
      return { records, nextBeforeSeq: before > 1 ? before : undefined };
    },

    async auditAll() {
      const rows = await all(() => audits().query().index('by-seq').sort(Sort.ASC).limit(PAGE));
      return rows.map((r) => r.record);
    },

    async auditForGrant(grantId) {
      const rows = await all(() => audits().query().index('by-grant', { partition: [grantId] }).sort(Sort.ASC).limit(PAGE));
      return rows.map((r) => r.record);
    },

    async auditForGrantPage(grantId, { beforeSeq, limit }) {
      const n = Math.min(Math.max(limit, 1), PAGE);
      let q = audits().query().index('by-grant', { partition: [grantId] });
      if (beforeSeq !== undefined) q = q.where(WhereConditions.lessThan(beforeSeq));
      // One more than asked: whether older records remain, without another read.
      const { results } = await q.sort(Sort.DESC).limit(n + 1).getMany();
      const records = results.slice(0, n).map((r) => r.value.record);
      return results.length > n ? { records, nextBeforeSeq: records[records.length - 1]!.seq } : { records };
    },

    async auditFrom(fromSeq, limit) {
      const n = Math.min(Math.max(limit, 1), 10_000);
      const out: AuditRecord[] = [];
      let from = fromSeq;
      while (out.length < n) {
        const want = Math.min(PAGE, n - out.length);
        const { results } = await audits().query().index('by-seq').where(WhereConditions.greaterThanEqualTo(from)).sort(Sort.ASC).limit(want).getMany();
        out.push(...results.map((r) => r.value.record));
        if (results.length < want) break;
        from = out[out.length - 1]!.seq + 1;
      }
      return out;
    },

    async auditCheckpoint() {
      return (await meta<AuditCheckpoint>().get('audit-checkpoint'))?.value ?? null;
    },

    async saveAuditCheckpoint(checkpoint) {
      await meta<AuditCheckpoint>().set('audit-checkpoint', { version: Math.min(checkpoint.verified.seq, 2_147_483_647), value: checkpoint });
    },

    async refusalTally(key) {
      const e = await meta<RefusalTally>().get(safeKey('tally:', key));
      return e ? { key, count: e.value.count } : null;
    },

    async countRefusal(key) {
      // Compare-and-set on the count itself (`version`), so concurrent refusals each add one; a
      // lost race re-reads and adds again at once.
      const id = safeKey('tally:', key);
      const counted = await retry(wallClock, { attempts: 20 }, async () => {
        const e = await meta<RefusalTally>().get(id);
        const count = (e?.value.count ?? 0) + 1;
        const tx = kvs.transact();
        const conditions = e
          ? new Filter<MetaEntity<RefusalTally>>().and('version', FilterConditions.equalTo(e.version))
          : new Filter<MetaEntity<RefusalTally>>().and('version', FilterConditions.notExists());
        tx.set(id, { version: Math.min(count, 2_147_483_647), value: { key, count } }, { entityName: 'meta', conditions });
        const moved = async () => ((await meta<RefusalTally>().get(id))?.version ?? null) !== (e?.version ?? null);
        return (await execute(tx, moved)) === 'ok' ? done(count) : again();
      });
      if (!counted.ok) throw new Error(`could not count a refusal under ${key}: too much contention`);
      return counted.value;
    },

    async refusalCounts(keys) {
      const out: Record<string, number> = {};
      for (const key of new Set(keys)) {
        const e = await meta<RefusalTally>().get(safeKey('tally:', key));
        if (e) out[key] = e.value.count;
      }
      return out;
    },
  };
}
