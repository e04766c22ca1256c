/**
 * Storage of evidence collections on `@forge/kvs` plain keys: `evidence:job:<grantId>` (where the
 * read stands: cursor, pages, counts) and `evidence:page:<grantId>:<n>` (the events of page n, at
 * most one API page of 100, far below KVS's 240 KiB per value). The job is written after its page,
 * so a crash between the two re-reads that page, and the core counts an event id once.
 */
import { kvs } from '@forge/kvs';
import type { OrgEvent } from '../decision/core';
import type { EvidenceJob, EvidenceStore } from '../ports';
import { safeKey } from './storage';

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
    async events(grantId, pages) {
      const out: OrgEvent[] = [];
      for (let n = 0; n < pages; n++) out.push(...((await kvs.get<OrgEvent[]>(pageKey(grantId, n))) ?? []));
      return out;
    },
  };
}
