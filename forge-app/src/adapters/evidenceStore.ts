/**
 * Storage of evidence collections on `@forge/kvs` plain keys: `evidence:job:<grantId>` (where the
 * read stands: cursor, pages, counts) and `evidence:page:<grantId>:<n>` (the events of page n, at
 * most one API page of 100, far below KVS's 240 KiB per value). The job is written after its page,
 * so a crash between the two re-reads that page, and the core counts an event id once.
 *
 * Reads of the events path take turns (`reserveReadSlot`): the `meta` entity `evidence-read-slot`
 * holds when the next read may start, moved on by compare-and-set on its `version`, so every
 * collection of the installation gets its own time, in order, however many end at once.
 */
import { Filter, FilterConditions, kvs } from '@forge/kvs';
import type { OrgEvent } from '../decision/core';
import type { EvidenceJob, EvidenceStore } from '../ports';
import { classifyWriteError, safeKey } from './storage';

interface SlotEntity {
  version: number;
  value: { nextAt: number };
}
const SLOT_KEY = 'evidence-read-slot';
/** Compare-and-set attempts before giving up (the caller comes back later). */
const SLOT_ATTEMPTS = 10;

/** Keys expire on their own once the pack is long made (KVS TTLs are at most a year). */
const TTL = { value: 30, unit: 'DAYS' } as const;

export function createEvidenceStore(): EvidenceStore {
  const jobKey = (grantId: string) => safeKey('evidence:job:', grantId);
  const pageKey = (grantId: string, n: number) => safeKey('evidence:page:', `${grantId}:${n}`);
  return {
    async job(grantId) {
      return (await kvs.get<EvidenceJob>(jobKey(grantId))) ?? null;
    },
    async saveJob(grantId, job) {
      await kvs.set(jobKey(grantId), job, { ttl: TTL });
    },
    async savePage(grantId, n, events) {
      await kvs.set(pageKey(grantId, n), events, { ttl: TTL });
    },
    async reserveReadSlot(nowMs, spacingMs) {
      const slots = kvs.entity<SlotEntity>('meta');
      for (let attempt = 0; attempt < SLOT_ATTEMPTS; attempt++) {
        const current = await slots.get(SLOT_KEY);
        const version = current?.version ?? 0;
        const at = Math.max(nowMs, current?.value.nextAt ?? 0);
        const tx = kvs.transact();
        tx.set(SLOT_KEY, { version: version + 1, value: { nextAt: at + spacingMs } } satisfies SlotEntity, {
          entityName: 'meta',
          conditions: version === 0 ? new Filter<SlotEntity>().and('version', FilterConditions.notExists()) : new Filter<SlotEntity>().and('version', FilterConditions.equalTo(version)),
        });
        try {
          await tx.execute();
          return at;
        } catch (e) {
          // Another collection took this turn (or the answer may be one): read again and take the next.
          if (classifyWriteError(e) === 'error') throw e;
        }
      }
      return null;
    },
    async events(grantId, pages) {
      const out: OrgEvent[] = [];
      for (let n = 0; n < pages; n++) out.push(...((await kvs.get<OrgEvent[]>(pageKey(grantId, n))) ?? []));
      return out;
    },
  };
}
