/**
 * Storage adapter on `@forge/kvs` custom entities (declared in manifest.yml `app.storage.entities`).
 *
 * Layout:
 * - `grant`  one per grant, keyed by the Jira issue id (stable when an issue moves and its key
 *            changes): the core's grant and its outbox under `record`, plus the attributes the
 *            indexes need (`open`, `subject`, `updatedAt`) and `rev`, the compare-and-set revision
 *            every write checks and bumps;
 * - `audit`  one per audit record, keyed by its zero-padded `seq`, indexed by seq and by grant;
 * - `meta`   `audit-head` (the chain's end, compare-and-set on `version` = seq), `policy`,
 *            `sweep` (the last sweep's findings), `policy-change` (the pending guard-rail change
 *            waiting for its second permanent admin; compare-and-set on `version` = its `seq`);
 * - `alert`  one per alert key;
 * - plain keys `claim:<action key>` (created with FAIL_IF_EXISTS) so an action delivered twice
 *   runs once.
 * A decision is one transaction (grant + audit records + head): within KVS's 25-operation limit
 * because a decision yields at most a handful of records. Values stay far below 240 KiB.
 *
 * Attribute values follow the Custom Entity Store's types strictly: timestamps are fixed-width
 * ISO-8601 UTC strings (`integer` is 32-bit, epoch milliseconds do not fit), and a `string`
 * attribute without a value is left out rather than written empty.
 *
 * Lost races: what the store answers for a failed transaction condition or `FAIL_IF_EXISTS` is not
 * documented. Every write here therefore treats any answer that may be a lost race as one only
 * after re-reading what it was conditioned on: if that moved, the caller reloads and decides again
 * (a false conflict costs one re-decision on fresh state); if not, the error is real and is thrown.
 */
import { Filter, FilterConditions, kvs, Sort, WhereConditions } from '@forge/kvs';
import type { Action, AuditHead, AuditRecord, Grant, OpenGrant } from '../decision/core';
import type { AuditCheckpoint, Commit, PolicyChangeSlot, PolicyDoc, Store, StoredGrant, SweepState } from '../ports';
import type { AlertRecord, AuditQuery } from '../shared/types';

const GENESIS: AuditHead = { seq: 0, hash: '0'.repeat(64) };
/** The most operations one KVS transaction may hold. */
const MAX_TRANSACTION_OPS = 25;
const PAGE = 100;

interface GrantEntity {
  rev: number;
  version: number;
  open: number;
  subject?: string;
  target?: string;
  issueKey?: string;
  status?: string;
  /** ISO-8601 UTC, fixed width. */
  updatedAt: string;
  /**
   * When the sweep must look at this open grant (ISO-8601 UTC, fixed width): the core's own
   * `wakeAt`, or the write's time while the outbox holds actions. Absent: nothing is due (and on
   * grants written before the attribute existed, which the sweep's review finds instead).
   */
  dueAt?: string;
  record: { grant: Grant; outbox: Action[] };
}

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

interface MetaEntity<T> {
  version: number;
  value: T;
}

interface LeaseEntity {
  /** ISO-8601 UTC, fixed width. */
  until: string;
  owner: string;
}

interface AlertEntity {
  /** ISO-8601 UTC, fixed width. */
  at: string;
  severity?: string;
  code?: string;
  record: AlertRecord;
}

/** Epoch milliseconds → the fixed-width ISO-8601 UTC string stored in timestamp attributes. */
export const isoAttr = (ms: number): string => new Date(ms).toISOString();

/** A `string` attribute's value: the store refuses empty strings and null, so those are left out. */
const text = (v: string | null | undefined): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** A timestamp the core produced (ISO-8601), normalised to the fixed width that sorts correctly. */
const isoText = (v: string): string => {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new Error(`storage: \`${v}\` is not a timestamp`);
  return isoAttr(ms);
};

interface RefusalTally {
  key: string;
  count: number;
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

/**
 * Codes a store could plausibly send for a lost race. None is documented: the legacy
 * `@forge/storage` client names 409 "Conflicting update occurred", a field test of
 * `FAIL_IF_EXISTS` saw 409 `KEY_CONFLICT`, and stores built on conditional writes commonly say one
 * of the others.
 */
const CONFLICT_CODES = new Set([
  'CONFLICT',
  'KEY_CONFLICT',
  'KEY_ALREADY_EXISTS',
  'KEY_EXISTS',
  'CONDITIONAL_CHECK_FAILED',
  'CONDITION_CHECK_FAILED',
  'CONDITION_NOT_MET',
  'PRECONDITION_FAILED',
  'TRANSACTION_CONFLICT',
  'TRANSACTION_CANCELLED',
  'TRANSACTION_CANCELED',
]);

/**
 * What a failed conditional write may mean: `conflict` (a lost race, said plainly), `maybe` (a
 * client error that might be one: check what the write was conditioned on), `error` (storage
 * unavailable, throttled or unauthorised: nothing to decide on).
 */
export function classifyWriteError(e: unknown): 'conflict' | 'maybe' | 'error' {
  const err = e as { code?: unknown; responseDetails?: { status?: unknown } } | null | undefined;
  const status = typeof err?.responseDetails?.status === 'number' ? err.responseDetails.status : undefined;
  if (status === undefined) return 'error';
  if (status === 409 || status === 412 || (typeof err?.code === 'string' && CONFLICT_CODES.has(err.code))) return 'conflict';
  if (status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 429) return 'maybe';
  return 'error';
}

function grantEntity(rev: number, grant: Grant, outbox: Action[], now: number): GrantEntity {
  const finished = grant.status === 'ended' && ['notGranted', 'revoked', 'retained'].includes(grant.provisioning.state);
  const open = finished && outbox.length === 0 ? 0 : 1;
  // A copy of the core's schedule, so the sweep reads what is due instead of every open grant; an
  // outbox not yet emptied is due at once (the queue normally empties it first).
  const dueAt = open === 0 ? undefined : outbox.length > 0 ? isoAttr(now) : grant.wakeAt ? isoText(grant.wakeAt) : undefined;
  return {
    rev,
    version: grant.version,
    open,
    subject: text(grant.subject),
    target: text(grant.target),
    issueKey: text(grant.issueKey),
    status: text(grant.status),
    updatedAt: isoAttr(now),
    ...(dueAt ? { dueAt } : {}),
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
  // Whole milliseconds, so equal instants give equal timestamps (a scaled clock has fractions).
  const now = () => Math.floor(clockNow());
  const leases = () => kvs.entity<LeaseEntity>('lease');
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
    const conditions =
      expectedHead.seq === 0
        ? new Filter<MetaEntity<AuditHead>>().and('version', FilterConditions.notExists())
        : new Filter<MetaEntity<AuditHead>>().and('version', FilterConditions.equalTo(expectedHead.seq));
    tx.set('audit-head', next, { entityName: 'meta', conditions });
  };

  const headMoved = async (expected: AuditHead) => {
    const current = await head();
    return current.seq !== expected.seq || current.hash !== expected.hash;
  };

  /**
   * Runs a conditional write. `moved` re-reads what the write was conditioned on: a failure that
   * may be a lost race is one only if that changed; otherwise the failure is real and is thrown.
   */
  const execute = async (tx: ReturnType<typeof kvs.transact>, moved: () => Promise<boolean>): Promise<Commit> => {
    try {
      await tx.execute();
      return 'ok';
    } catch (e) {
      const kind = classifyWriteError(e);
      if (kind === 'conflict') return 'conflict';
      if (kind === 'maybe' && (await moved())) return 'conflict';
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
      return execute(tx, async () => {
        if (next && grantId && ((await grants().get(grantId))?.rev ?? null) !== expectedRev) return true;
        return audit.length > 0 && headMoved(expectedHead);
      });
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
        if ((await execute(tx, async () => (await grants().get(grantId))?.rev !== e.rev)) === 'ok') return;
      }
      throw new Error(`could not update the outbox of ${grantId}: too much contention`);
    },

    auditHead: head,

    async openGrants() {
      const rows = await all(() => grants().query().index('open-by-updated', { partition: [1] }).limit(PAGE));
      return rows.map(stored);
    },

    async grantsUpdatedSince(sinceMs) {
      const since = isoAttr(Number.isFinite(sinceMs) ? Math.max(0, sinceMs) : 0);
      const rows = await all(() => grants().query().index('by-updated').where(WhereConditions.greaterThan(since)).limit(PAGE));
      return rows.map(stored);
    },

    async openGrantsFor(subject): Promise<OpenGrant[]> {
      const rows = await bySubject(subject);
      return rows.filter((r) => r.open === 1).map((r) => ({ id: r.record.grant.id, subject: r.record.grant.subject, target: r.record.grant.target }));
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
      return execute(tx, async () => ((await meta<PolicyDoc>().get('policy'))?.version ?? 0) !== expectedVersion || (audit.length > 0 && headMoved(expectedHead)));
    },

    async claim(key) {
      const name = safeKey('claim:', key);
      // A token of our own, so a lost answer to a write that landed is still recognised as ours.
      const token = `${now()}-${Math.random().toString(36).slice(2, 12)}`;
      try {
        await kvs.set(name, token, { keyPolicy: 'FAIL_IF_EXISTS', ttl: { value: 30, unit: 'DAYS' } });
        return true;
      } catch (e) {
        if (classifyWriteError(e) === 'error') throw e;
        const holder = await kvs.get<string>(name);
        if (holder === token) return true;
        if (holder !== undefined) return false;
        throw e;
      }
    },

    async release(key) {
      await kvs.delete(safeKey('claim:', key));
    },

    async tryLease(name, ttlMs) {
      const at = now();
      const key = safeKey('', name);
      const token = `${at}-${Math.random().toString(36).slice(2, 10)}`;
      const tx = kvs.transact();
      tx.set(key, { until: isoAttr(at + ttlMs), owner: token } satisfies LeaseEntity, {
        entityName: 'lease',
        conditions: new Filter<LeaseEntity>().or('until', FilterConditions.notExists()).or('until', FilterConditions.lessThan(isoAttr(at))),
      });
      const held = async () => {
        const lease = await leases().get(key);
        return !!lease && lease.owner !== token && lease.until >= isoAttr(at);
      };
      return (await execute(tx, held)) === 'ok' ? token : null;
    },

    async releaseLease(name, token) {
      const key = safeKey('', name);
      const tx = kvs.transact();
      tx.delete(key, { entityName: 'lease', conditions: new Filter<LeaseEntity>().and('owner', FilterConditions.equalTo(token)) });
      // Someone else's (or nobody's) lease by now: there is nothing of ours to give back.
      await execute(tx, async () => (await leases().get(key))?.owner !== token);
    },

    async grantsFor(subject) {
      return (await bySubject(subject)).map((r) => r.record.grant);
    },

    async saveAlert(alert) {
      await kvs
        .entity<AlertEntity>('alert')
        .set(safeKey('', alert.key), { at: isoText(alert.at), severity: text(alert.severity), code: text(alert.code), record: alert });
    },

    async alerts(limit) {
      const { results } = await kvs.entity<AlertEntity>('alert').query().index('by-at').sort(Sort.DESC).limit(Math.min(limit, PAGE)).getMany();
      return results.map((r) => r.value.record);
    },

    async sweepState() {
      const [state, at] = await Promise.all([meta<SweepState>().get('sweep'), meta<string>().get('sweep-at')]);
      if (!state) return null;
      // `sweep-at` moves on every sweep, `sweep` only when what the sweep found changed.
      return at?.value && (!state.value.at || at.value > state.value.at) ? { ...state.value, at: at.value } : state.value;
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
        (!query.from || Date.parse(r.at) >= Date.parse(query.from)) &&
        (!query.to || Date.parse(r.at) <= Date.parse(query.to));
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

    async refusalTally(key) {
      const e = await meta<RefusalTally>().get(safeKey('tally:', key));
      return e ? { key, count: e.value.count } : null;
    },

    async countRefusal(key) {
      // Compare-and-set on the count itself (`version`), so concurrent refusals each add one.
      const id = safeKey('tally:', key);
      for (let attempt = 0; attempt < 20; attempt++) {
        const e = await meta<RefusalTally>().get(id);
        const count = (e?.value.count ?? 0) + 1;
        const tx = kvs.transact();
        const conditions = e
          ? new Filter<MetaEntity<RefusalTally>>().and('version', FilterConditions.equalTo(e.version))
          : new Filter<MetaEntity<RefusalTally>>().and('version', FilterConditions.notExists());
        tx.set(id, { version: Math.min(count, 2_147_483_647), value: { key, count } }, { entityName: 'meta', conditions });
        const moved = async () => ((await meta<RefusalTally>().get(id))?.version ?? null) !== (e?.version ?? null);
        if ((await execute(tx, moved)) === 'ok') return count;
      }
      throw new Error(`could not count a refusal under ${key}: too much contention`);
    },

    async refusalCounts(keys) {
      const out: Record<string, number> = {};
      for (const key of new Set(keys)) {
        const e = await meta<RefusalTally>().get(safeKey('tally:', key));
        if (e) out[key] = e.value.count;
      }
      return out;
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
      return execute(tx, async () => {
        if (policy && ((await meta<PolicyDoc>().get('policy'))?.version ?? 0) !== policy.expectedVersion) return true;
        if (slot && ((await meta<StoredSlot>().get('policy-change'))?.version ?? 0) !== slot.expectedSeq) return true;
        return audit.length > 0 && headMoved(expectedHead);
      });
    },

    async dueGrants(atMs) {
      const rows = await all(() =>
        grants()
          .query()
          .index('open-by-due', { partition: [1] })
          .where(WhereConditions.lessThanEqualTo(isoAttr(atMs)))
          .limit(PAGE),
      );
      return rows.map(stored);
    },

    async openGrantsAfter(after, limit) {
      let q = grants().query().index('open-by-updated', { partition: [1] });
      if (after) q = q.where(WhereConditions.greaterThan(after));
      const { results } = await q.sort(Sort.ASC).limit(Math.min(Math.max(limit, 1), PAGE)).getMany();
      const rows = results.map((r) => r.value);
      return { grants: rows.map(stored), ...(rows.length >= limit ? { next: rows[rows.length - 1]!.updatedAt } : {}) };
    },

    async grantsForSince(subject, sinceMs) {
      const since = isoAttr(Number.isFinite(sinceMs) ? Math.max(0, sinceMs) : 0);
      // Open ones however old (a long window), ended ones only if recent.
      const filters = new Filter<GrantEntity>().or('open', FilterConditions.equalTo(1)).or('updatedAt', FilterConditions.greaterThan(since));
      const rows = await all(() => grants().query().index('by-subject', { partition: [subject] }).filters(filters).limit(PAGE));
      return rows.map(stored);
    },

    async touchSweep(at) {
      await meta<string>().set('sweep-at', { version: 1, value: at });
    },
  };
  return store;
}
