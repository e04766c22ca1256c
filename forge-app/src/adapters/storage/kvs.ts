/**
 * What every storage module shares: the Custom Entity Store's attribute rules, key rules, the
 * `meta` entity, paging, and the one way a conditional write is run and its failure read.
 *
 * Lost races: what the store answers for a failed transaction condition or `FAIL_IF_EXISTS` is not
 * documented. Every write therefore treats any answer that may be a lost race as one only after
 * re-reading what it was conditioned on: if that moved, the caller reloads and decides again (a
 * false conflict costs one re-decision on fresh state); if not, the error is real and is thrown.
 */
import { Filter, FilterConditions, kvs } from '@forge/kvs';
import type { Commit } from '../../ports';

/** The most operations one KVS transaction may hold. */
export const MAX_TRANSACTION_OPS = 25;
/** Rows per query page. */
export const PAGE = 100;

/** Whole milliseconds on the app's clock (a scaled clock has fractions; equal instants must give equal timestamps). */
export type Now = () => number;

/** A transaction under construction. */
export type Transaction = ReturnType<typeof kvs.transact>;

/** A `meta` entity: one value with the compare-and-set revision `version`. */
export interface MetaEntity<T> {
  version: number;
  value: T;
}

export const meta = <T>() => kvs.entity<MetaEntity<T>>('meta');

/** A condition on a `version` attribute: absent when `expected` is 0, else equal to it. */
export const versionIs = <T extends { version: number }>(expected: number) =>
  expected === 0 ? new Filter<T>().and('version', FilterConditions.notExists()) : new Filter<T>().and('version', FilterConditions.equalTo(expected));

/** Epoch milliseconds → the fixed-width ISO-8601 UTC string stored in timestamp attributes. */
export const isoAttr = (ms: number): string => new Date(ms).toISOString();

/** A `string` attribute's value: the store refuses empty strings and null, so those are left out. */
export const text = (v: string | null | undefined): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** A timestamp the core produced (ISO-8601), normalised to the fixed width that sorts correctly. */
export const isoText = (v: string): string => {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new Error(`storage: \`${v}\` is not a timestamp`);
  return isoAttr(ms);
};

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

/**
 * Runs a conditional write. `moved` re-reads what the write was conditioned on: a failure that
 * may be a lost race is one only if that changed; otherwise the failure is real and is thrown.
 */
export async function execute(tx: Transaction, moved: () => Promise<boolean>): Promise<Commit> {
  try {
    await tx.execute();
    return 'ok';
  } catch (e) {
    const kind = classifyWriteError(e);
    if (kind === 'conflict') return 'conflict';
    if (kind === 'maybe' && (await moved())) return 'conflict';
    throw e;
  }
}

/**
 * The key of the Health view's probe records (one per entity kind, removed after the read-back).
 * Indexed queries may meet one in the moment it exists, so every listing leaves it out; its
 * index attributes are also placed where no query of the app looks (seq -1, timestamps in 1970).
 */
export const HEALTH_PROBE_KEY = 'jit-health-probe';
/** Query results without a Health probe record. */
export const real = <T>(results: Array<{ key: string; value: T }>) => results.filter((r) => r.key !== HEALTH_PROBE_KEY);

type Pageable<T> = { cursor(c: string): unknown; getMany(): Promise<{ results: Array<{ key: string; value: T }>; nextCursor?: string }> };

/** Every row of a query, page by page (at most 1,000 pages). */
export async function all<T>(query: () => { cursor(c: string): unknown; getMany(): Promise<{ results: Array<{ key: string; value: T }>; nextCursor?: string }> }): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const q = query() as Pageable<T>;
    if (cursor) q.cursor(cursor);
    const { results, nextCursor } = await q.getMany();
    out.push(...real(results).map((r) => r.value));
    if (!nextCursor) break;
    cursor = nextCursor;
  }
  return out;
}
