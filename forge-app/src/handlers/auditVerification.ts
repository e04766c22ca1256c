/**
 * Verifying the audit chain in bounded work per call, without letting tampering go unseen.
 *
 * Reading the whole chain on every admin-page call grows without limit (and would one day pass
 * the resolver's 25 s). Instead each call does two bounded pieces of work, both checked by the
 * core's `verifyAudit`:
 *
 * 1. **New records**: those after the stored checkpoint (the newest record verified so far) are
 *    verified against it, and the checkpoint record itself must still be there with the hash it
 *    had. The stored head must be where the verified chain ends, so records cut from the end show.
 * 2. **A re-scan** of the older records, a chunk per call from a stored cursor, each chunk starting
 *    at the last record of the one before (so every link is checked) and wrapping around at the
 *    checkpoint. An edited, re-hashed or removed old record shows as soon as the re-scan passes
 *    it: at once while the chain is shorter than one chunk, otherwise within ⌈records / chunk⌉
 *    calls.
 *
 * The checkpoint moves only after a clean verification; a broken chain is reported on every call.
 */
import { core, type AuditHead, type AuditRecord } from '../decision/core';
import type { AuditLog, Ports } from '../ports';
import { iso } from './dispatch';

/** New records verified per call at most (more are verified on the next calls). */
export const NEW_RECORDS_PER_CALL = 2_000;
/** Older records re-scanned per call. */
export const RESCAN_PER_CALL = 1_000;

const GENESIS: AuditHead = { seq: 0, hash: '0'.repeat(64) };

export interface BrokenLink {
  index: number;
  seq: number;
  reason: string;
}

export interface ChainVerification {
  /** No broken link in what this call checked, and none known. */
  valid: boolean;
  /** Distinct records checked by this call (new ones and re-scanned ones). */
  checked: number;
  firstBroken?: BrokenLink;
  /** The newest seq verified so far (every record up to it passed the new-record check). */
  verifiedThrough: number;
  /** False while new records remain to be verified on the next calls. */
  upToDate: boolean;
  /** The older records this call re-scanned. */
  rescanned?: { from: number; to: number };
}

type Verified = { valid: boolean; checked: number; firstBroken?: BrokenLink; head: AuditHead };

function verify(records: AuditRecord[], anchor: AuditHead, expectedHead?: AuditHead): Verified {
  const answer = core.verifyAudit({ records, anchor, expectedHead: expectedHead ?? null });
  if (!answer.ok) return { valid: false, checked: 0, firstBroken: { index: 0, seq: anchor.seq + 1, reason: answer.error.message }, head: anchor };
  return { valid: answer.valid, checked: answer.checked, firstBroken: answer.firstBroken, head: answer.head };
}

/** One bounded step of verification; see the module comment. */
export async function verifyAuditChain(ports: Pick<Ports, 'clock'> & { store: AuditLog }): Promise<ChainVerification> {
  const { store } = ports;
  const [checkpoint, head] = await Promise.all([store.auditCheckpoint(), store.auditHead()]);
  const from = checkpoint && checkpoint.verified.seq <= head.seq ? checkpoint.verified : GENESIS;

  // 1. New records, from the checkpoint record itself.
  const read = await store.auditFrom(Math.max(from.seq, 1), NEW_RECORDS_PER_CALL + (from.seq > 0 ? 1 : 0));
  let fresh = read;
  let broken: BrokenLink | undefined;
  if (from.seq > 0) {
    const [first, ...rest] = read;
    fresh = rest;
    if (!first || first.seq !== from.seq || first.hash !== from.hash) {
      broken = { index: 0, seq: from.seq, reason: `the record at seq ${from.seq}, verified before, is gone or no longer has the hash it was verified with` };
    }
  }
  const upToDate = fresh.length < NEW_RECORDS_PER_CALL;
  const newer = broken ? undefined : verify(fresh, from, upToDate ? head : undefined);
  if (newer && !newer.valid) broken = newer.firstBroken;
  const verified = newer?.valid ? newer.head : from;

  // 2. A chunk of the older records, wrapping around at the verified end.
  let cursor = checkpoint?.rescanFrom ?? 1;
  if (cursor < 1 || cursor > verified.seq) cursor = 1;
  let rescanned: ChainVerification['rescanned'];
  const seen = new Set(fresh.slice(0, newer?.checked ?? 0).map((r) => r.seq));
  let nextCursor = cursor;
  if (verified.seq > 0) {
    const chunk = (await store.auditFrom(cursor, RESCAN_PER_CALL)).filter((r) => r.seq <= verified.seq);
    const reachedEnd = chunk.length === 0 || chunk[chunk.length - 1]!.seq >= verified.seq || chunk.length < RESCAN_PER_CALL;
    // From seq 1 the chain must start at the genesis; later chunks start at a record whose link to
    // its predecessor the chunk before checked.
    const anchor = cursor === 1 || !chunk[0] ? GENESIS : { seq: cursor - 1, hash: chunk[0].prevHash };
    const older = verify(chunk, anchor, reachedEnd ? verified : undefined);
    for (const r of chunk.slice(0, older.checked)) seen.add(r.seq);
    rescanned = { from: cursor, to: chunk[chunk.length - 1]?.seq ?? cursor };
    if (!older.valid && older.firstBroken && (!broken || older.firstBroken.seq < broken.seq)) broken = older.firstBroken;
    nextCursor = reachedEnd ? 1 : chunk[chunk.length - 1]!.seq;
  }

  if (!broken) {
    await store.saveAuditCheckpoint({ verified, rescanFrom: nextCursor, at: iso(ports.clock.now()) });
  }
  return {
    valid: !broken,
    checked: seen.size,
    ...(broken ? { firstBroken: broken } : {}),
    verifiedThrough: verified.seq,
    upToDate,
    ...(rescanned ? { rescanned } : {}),
  };
}
