/**
 * Storage adapter on `@forge/kvs` custom entities (declared in manifest.yml `app.storage.entities`).
 *
 * Layout:
 * - `grant`  one per grant: the core's grant and its outbox under `record`, plus the attributes
 *            the indexes need (`open`, `subject`, `updatedAt`) and `rev`, the compare-and-set
 *            revision every write checks and bumps;
 * - `audit`  one per audit record, keyed by its zero-padded `seq`, indexed by seq and by grant;
 * - `meta`   `audit-head` (the chain's end, compare-and-set on `version` = seq), `policy`,
 *            `sweep` (the last sweep's findings), `policy-change` (the pending guard-rail change
 *            waiting for its second permanent admin; compare-and-set on `version` = its `seq`);
 * - `alert`  one per alert key;
 * - plain keys `claim:<action key>` (created with FAIL_IF_EXISTS) so an action delivered twice
 *   runs once.
 * A decision is one transaction (grant + audit records + head): within KVS's 25-operation limit
 * because a decision yields at most a handful of records. Values stay far below 240 KiB.
 */
import { Filter, FilterConditions, kvs, Sort, WhereConditions, type ForgeKvsAPIError } from '@forge/kvs';
import type { Action, AuditHead, AuditRecord, Grant, OpenGrant } from '../decision/core';
import type { Commit, PolicyChangeSlot, PolicyDoc, Store, StoredGrant, SweepState } from '../ports';
import type { AlertRecord, AuditQuery } from '../shared/types';

const GENESIS: AuditHead = { seq: 0, hash: '0'.repeat(64) };
/** The most operations one KVS transaction may hold. */
const MAX_TRANSACTION_OPS = 25;
const PAGE = 100;

interface GrantEntity {
  rev: number;
  version: number;
  open: number;
  subject: string;
  target: string;
  issueKey: string;
  status: string;
  updatedAt: number;
  record: { grant: Grant; outbox: Action[] };
}

interface AuditEntity {
  seq: number;
  at: number;
  grantId: string;
  actor: string;
  event: string;
  outcome: string;
  record: AuditRecord;
}

interface MetaEntity<T> {
  version: number;
  value: T;
}

interface LeaseEntity {
  until: number;
  owner: string;
}

interface AlertEntity {
  at: number;
  severity: string;
  code: string;
  record: AlertRecord;
}

/** `meta/policy-change`: an emptied slot keeps its `seq` and has no `change`. */
interface StoredSlot {
  seq: number;
  change?: NonNullable<PolicyChangeSlot['change']>;
}

const auditKey = (seq: number) => `a:${String(seq).padStart(12, '0')}`;

/** KVS keys allow `[a-zA-Z0-9:._\s-#]`, ≤ 500 characters; action keys are mapped into that. */
export function safeKey(prefix: string, key: string): string {
  const cleaned = `${prefix}${key}`.replace(/[^a-zA-Z0-9:._\-#]/g, '_');
  return cleaned.length <= 500 ? cleaned : `${cleaned.slice(0, 440)}#${hashString(cleaned)}`;
}

function hashString(s: string): string {
  // FNV-1a, enough to keep over-long keys distinct.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16);
}

function isConflict(e: unknown): boolean {
  const code = (e as ForgeKvsAPIError | undefined)?.code;
  return code === 'CONDITIONAL_CHECK_FAILED';
}

function grantEntity(rev: number, grant: Grant, outbox: Action[], now: number): GrantEntity {
  const finished = grant.status === 'ended' && ['notGranted', 'revoked', 'retained'].includes(grant.provisioning.state);
  return {
    rev,
    version: grant.version,
    open: finished && outbox.length === 0 ? 0 : 1,
    subject: grant.subject,
    target: grant.target,
    issueKey: grant.issueKey,
    status: grant.status,
    updatedAt: now,
    record: { grant, outbox },
  };
}

const stored = (e: GrantEntity): StoredGrant => ({ grant: e.record.grant, outbox: e.record.outbox ?? [], rev: e.rev });

async function all<T>(query: () => { cursor(c: string): unknown; getMany(): Promise<{ results: Array<{ key: string; value: T }>; nextCursor?: string }> }): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const q = query() as { cursor(c: string): unknown; getMany(): Promise<{ results: Array<{ key: string; value: T }>; nextCursor?: string }> };
    if (cursor) q.cursor(cursor);
    const { results, nextCursor } = await q.getMany();
    out.push(...results.map((r) => r.value));
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return out;
}

/** The KVS store. `now` stamps `updatedAt` (the sweep's and admin page's index). */
export function createKvsStore(clockNow: () => number): Store {
  // Whole milliseconds: KVS integer attributes (`updatedAt`, `until`) refuse fractions, which a
  // scaled clock can produce.
  const now = () => Math.floor(clockNow());
  const grants = () => kvs.entity<GrantEntity>('grant');
  /** Every grant that elevates `subject`, open or not. */
  const bySubject = (subject: string) => all(() => grants().query().index('by-subject', { partition: [subject] }).limit(PAGE));
  const audits = () => kvs.entity<AuditEntity>('audit');
  const meta = <T>() => kvs.entity<MetaEntity<T>>('meta');

  const head = async (): Promise<AuditHead> => (await meta<AuditHead>().get('audit-head'))?.value ?? GENESIS;

  /** Adds the audit records and the head move to a transaction. */
  const appendAudit = (tx: ReturnType<typeof kvs.transact>, records: AuditRecord[], expectedHead: AuditHead) => {
    if (records.length === 0) return;
    for (const r of records) {
      const value: AuditEntity = {
        seq: r.seq,
        at: Date.parse(r.at),
        grantId: r.grantId ?? '-',
        actor: r.actor,
        event: r.event,
        outcome: r.outcome,
        record: r,
      };
      tx.set(auditKey(r.seq), value, { entityName: 'audit', conditions: new Filter<AuditEntity>().and('seq', FilterConditions.notExists()) });
    }
    const last = records[records.length - 1]!;
    const next: MetaEntity<AuditHead> = { version: last.seq, value: { seq: last.seq, hash: last.hash } };
    const conditions =
      expectedHead.seq === 0
        ? new Filter<MetaEntity<AuditHead>>().and('version', FilterConditions.notExists())
        : new Filter<MetaEntity<AuditHead>>().and('version', FilterConditions.equalTo(expectedHead.seq));
    tx.set('audit-head', next, { entityName: 'meta', conditions });
  };

  const execute = async (tx: ReturnType<typeof kvs.transact>): Promise<Commit> => {
    try {
      await tx.execute();
      return 'ok';
    } catch (e) {
      if (isConflict(e)) return 'conflict';
      throw e;
    }
  };

  const store: Store = {
    async grant(id) {
      const e = await grants().get(id);
      return e ? stored(e) : null;
    },

    async commit({ grantId, expectedRev, next, audit, expectedHead }) {
      if (audit.length + 2 > MAX_TRANSACTION_OPS) throw new Error(`a decision produced ${audit.length} audit records, more than one transaction holds`);
      const tx = kvs.transact();
      if (next && grantId) {
        const rev = (expectedRev ?? 0) + 1;
        const conditions =
          expectedRev === null
            ? new Filter<GrantEntity>().and('rev', FilterConditions.notExists())
            : new Filter<GrantEntity>().and('rev', FilterConditions.equalTo(expectedRev));
        tx.set(grantId, grantEntity(rev, next.grant, next.outbox, now()), { entityName: 'grant', conditions });
      }
      appendAudit(tx, audit, expectedHead);
      return execute(tx);
    },

    async removeFromOutbox(grantId, keys) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const e = await grants().get(grantId);
        if (!e) return;
        const outbox = (e.record.outbox ?? []).filter((a) => !keys.includes(a.key));
        if (outbox.length === (e.record.outbox ?? []).length) return;
        const tx = kvs.transact();
        tx.set(grantId, grantEntity(e.rev + 1, e.record.grant, outbox, now()), {
          entityName: 'grant',
          conditions: new Filter<GrantEntity>().and('rev', FilterConditions.equalTo(e.rev)),
        });
        if ((await execute(tx)) === 'ok') return;
      }
      throw new Error(`could not update the outbox of ${grantId}: too much contention`);
    },

    auditHead: head,

    async openGrants() {
      const rows = await all(() => grants().query().index('open-by-updated', { partition: [1] }).limit(PAGE));
      return rows.map(stored);
    },

    async grantsUpdatedSince(sinceMs) {
      const rows = await all(() => grants().query().index('by-updated').where(WhereConditions.greaterThan(sinceMs)).limit(PAGE));
      return rows.map(stored);
    },

    async openGrantsFor(subject): Promise<OpenGrant[]> {
      const rows = await bySubject(subject);
      return rows.filter((r) => r.open === 1).map((r) => ({ id: r.record.grant.id, subject: r.subject, target: r.target }));
    },

    async allGrants(limit) {
      const { results } = await grants().query().index('by-updated').sort(Sort.DESC).limit(Math.min(limit, PAGE)).getMany();
      return results.map((r) => r.value.record.grant);
    },

    async policy() {
      return (await meta<PolicyDoc>().get('policy'))?.value ?? null;
    },

    async savePolicy(doc, expectedVersion, audit, expectedHead) {
      const tx = kvs.transact();
      const conditions =
        expectedVersion === 0
          ? new Filter<MetaEntity<PolicyDoc>>().and('version', FilterConditions.notExists())
          : new Filter<MetaEntity<PolicyDoc>>().and('version', FilterConditions.equalTo(expectedVersion));
      tx.set('policy', { version: doc.version, value: doc }, { entityName: 'meta', conditions });
      appendAudit(tx, audit, expectedHead);
      return execute(tx);
    },

    async claim(key) {
      try {
        await kvs.set(safeKey('claim:', key), 1, { keyPolicy: 'FAIL_IF_EXISTS', ttl: { value: 30, unit: 'DAYS' } });
        return true;
      } catch (e) {
        if (isConflict(e) || (e as ForgeKvsAPIError | undefined)?.code === 'KEY_ALREADY_EXISTS') return false;
        throw e;
      }
    },

    async release(key) {
      await kvs.delete(safeKey('claim:', key));
    },

    async tryLease(name, ttlMs) {
      const at = now();
      const token = `${at}-${Math.random().toString(36).slice(2, 10)}`;
      const tx = kvs.transact();
      tx.set(safeKey('', name), { until: at + ttlMs, owner: token } satisfies LeaseEntity, {
        entityName: 'lease',
        conditions: new Filter<LeaseEntity>().or('until', FilterConditions.notExists()).or('until', FilterConditions.lessThan(at)),
      });
      return (await execute(tx)) === 'ok' ? token : null;
    },

    async releaseLease(name, token) {
      const tx = kvs.transact();
      tx.delete(safeKey('', name), { entityName: 'lease', conditions: new Filter<LeaseEntity>().and('owner', FilterConditions.equalTo(token)) });
      await execute(tx);
    },

    async grantsFor(subject) {
      return (await bySubject(subject)).map((r) => r.record.grant);
    },

    async saveAlert(alert) {
      await kvs.entity<AlertEntity>('alert').set(safeKey('', alert.key), { at: Date.parse(alert.at), severity: alert.severity, code: alert.code, record: alert });
    },

    async alerts(limit) {
      const { results } = await kvs.entity<AlertEntity>('alert').query().index('by-at').sort(Sort.DESC).limit(Math.min(limit, PAGE)).getMany();
      return results.map((r) => r.value.record);
    },

    async sweepState() {
      return (await meta<SweepState>().get('sweep'))?.value ?? null;
    },

    async saveSweepState(state) {
      await meta<SweepState>().set('sweep', { version: 1, value: state });
    },

    async auditPage(query: AuditQuery) {
      const limit = Math.min(Math.max(query.limit ?? 50, 1), PAGE);
      const matches = (r: AuditEntity) =>
        (!query.grantId || r.grantId === query.grantId || r.record.issueKey === query.grantId) &&
        (!query.actor || r.actor === query.actor) &&
        (!query.event || r.event === query.event) &&
        (!query.outcome || r.outcome === query.outcome) &&
        (!query.from || r.at >= Date.parse(query.from)) &&
        (!query.to || r.at <= Date.parse(query.to));
      const records: AuditRecord[] = [];
      let before = query.beforeSeq ?? Number.MAX_SAFE_INTEGER;
      // Walk back through the chain a page at a time until enough records match.
      for (let page = 0; page < 200 && records.length < limit; page++) {
        const { results } = await audits().query().index('by-seq').where(WhereConditions.lessThan(before)).sort(Sort.DESC).limit(PAGE).getMany();
        if (results.length === 0) return { records };
        for (const { value } of results) {
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

    async policyChangeSlot() {
      const e = await meta<StoredSlot>().get('policy-change');
      return { seq: e?.version ?? 0, change: e?.value.change ?? null };
    },

    async commitPolicyChange({ policy, slot, audit, expectedHead }) {
      if (!policy && !slot && audit.length === 0) return 'ok';
      if (audit.length + 3 > MAX_TRANSACTION_OPS) throw new Error(`a policy change produced ${audit.length} audit records, more than one transaction holds`);
      const tx = kvs.transact();
      const version = <T>(expected: number) =>
        expected === 0
          ? new Filter<MetaEntity<T>>().and('version', FilterConditions.notExists())
          : new Filter<MetaEntity<T>>().and('version', FilterConditions.equalTo(expected));
      if (policy) tx.set('policy', { version: policy.doc.version, value: policy.doc }, { entityName: 'meta', conditions: version<PolicyDoc>(policy.expectedVersion) });
      if (slot) {
        // The slot is never deleted, only emptied, so its revision never repeats (no ABA).
        const seq = slot.expectedSeq + 1;
        const value: StoredSlot = slot.change ? { seq, change: slot.change } : { seq };
        tx.set('policy-change', { version: seq, value }, { entityName: 'meta', conditions: version<StoredSlot>(slot.expectedSeq) });
      }
      appendAudit(tx, audit, expectedHead);
      return execute(tx);
    },
  };
  return store;
}
