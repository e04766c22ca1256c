/**
 * Grants: one `grant` entity per grant, keyed by the Jira issue id (stable when an issue moves and
 * its key changes): the core's grant and its outbox under `record`, plus the attributes the
 * indexes need (`open`, `subject`, `updatedAt`) and `rev`, the compare-and-set revision every
 * write checks and bumps. A decision is one transaction (grant + audit records + head), within
 * KVS's 25 operations because a decision yields at most a handful of records.
 */
import { Filter, FilterConditions, kvs, Sort, WhereConditions } from '@forge/kvs';
import type { Action, Grant, OpenGrant } from '../../decision/core';
import type { GrantStore, StoredGrant } from '../../ports';
import { again, done, retry, wallClock } from '../../shared/retry';
import { appendAudit, headMoved } from './audit';
import type { InvocationCache } from './cache';
import { all, execute, isoAttr, isoText, MAX_TRANSACTION_OPS, type Now, PAGE, real, text } from './kvs';

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
const grants = () => kvs.entity<GrantEntity>('grant');
/** Every grant that elevates `subject`, open or not. */
const bySubject = (subject: string) => all(() => grants().query().index('by-subject', { partition: [subject] }).limit(PAGE));

/**
 * The grants on KVS; `now` stamps `updatedAt` (the sweep's and admin page's index); `cache`: the
 * invocation's, which serves a grant this invocation already read or wrote.
 */
export function createGrantStore(now: Now, cache: InvocationCache): GrantStore {
  return {
    async grant(id) {
      const known = cache.grant(id);
      if (known !== undefined) return known;
      const e = await grants().get(id);
      const s = e ? stored(e) : null;
      cache.keepGrant(id, s);
      return s;
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
      const result = await execute(tx, async () => {
        if (next && grantId && ((await grants().get(grantId))?.rev ?? null) !== expectedRev) return true;
        return audit.length > 0 && headMoved(expectedHead);
      });
      // What was written is what a read would return (the store wrapper empties the cache on a conflict).
      if (result === 'ok' && next && grantId) cache.keepGrant(grantId, { grant: next.grant, outbox: next.outbox, rev: (expectedRev ?? 0) + 1 });
      return result;
    },

    async removeFromOutbox(grantId, keys) {
      // A lost race re-reads the grant and removes again at once. The first attempt may start from
      // this invocation's own copy: the write is conditional on its `rev` all the same.
      let first = true;
      const removed = await retry(wallClock, { attempts: 10 }, async () => {
        const known = first ? cache.grant(grantId) : undefined;
        first = false;
        const fresh = known === undefined ? await grants().get(grantId) : undefined;
        const e = known !== undefined ? known : fresh ? stored(fresh) : null;
        if (!e) return done(undefined);
        const outbox = e.outbox.filter((a) => !keys.includes(a.key));
        if (outbox.length === e.outbox.length) return done(undefined);
        const tx = kvs.transact();
        tx.set(grantId, grantEntity(e.rev + 1, e.grant, outbox, now()), {
          entityName: 'grant',
          conditions: new Filter<GrantEntity>().and('rev', FilterConditions.equalTo(e.rev)),
        });
        if ((await execute(tx, async () => (await grants().get(grantId))?.rev !== e.rev)) !== 'ok') return again();
        cache.keepGrant(grantId, { grant: e.grant, outbox, rev: e.rev + 1 });
        return done(undefined);
      });
      if (!removed.ok) throw new Error(`could not update the outbox of ${grantId}: too much contention`);
    },

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
      return real(results).map((r) => r.value.record.grant);
    },

    async grantsFor(subject) {
      return (await bySubject(subject)).map((r) => r.record.grant);
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
      const rows = real(results).map((r) => r.value);
      return { grants: rows.map(stored), ...(results.length >= limit ? { next: results[results.length - 1]!.value.updatedAt } : {}) };
    },

    async grantsForSince(subject, sinceMs) {
      const since = isoAttr(Number.isFinite(sinceMs) ? Math.max(0, sinceMs) : 0);
      // Open ones however old (a long window), ended ones only if recent.
      const filters = new Filter<GrantEntity>().or('open', FilterConditions.equalTo(1)).or('updatedAt', FilterConditions.greaterThan(since));
      const rows = await all(() => grants().query().index('by-subject', { partition: [subject] }).filters(filters).limit(PAGE));
      return rows.map(stored);
    },
  };
}
