/**
 * The local Forge runtime's meter: what each invocation would be billed for under Forge's
 * consumption pricing (in force since 2026-01-01; "Forge platform pricing",
 * https://developer.atlassian.com/platform/forge/forge-platform-pricing): function duration in
 * GB-seconds (every function runs with 0.5 GB: "Monitor usage metrics",
 * https://developer.atlassian.com/platform/forge/monitor-usage-metrics), Key-Value Store bytes
 * read and written (custom entities included), and log bytes; plus what drives them and costs
 * nothing by itself (egress requests, Jira calls, queue events).
 *
 * The runtime calls the hooks (`start`, `finish`, `kvs`, `jira`, `queue`); egress and log bytes are
 * read from the invocation's own record, which the runtime already keeps for the limits.
 *
 * What counts as a byte read or written is not documented. Here: the UTF-8 bytes of each item's
 * key and JSON value that a call returns (reads) or sends to be stored (writes; a delete counts its
 * key). Transaction conditions, queries that match nothing and failed calls count nothing: if the
 * store bills them (a minimum per request, or every item a filter looks at), real reads are higher;
 * `kvsRequests` is there to size that.
 *
 * Duration: the local wall time of the invocation less the time it waited on the local KVS and Jira
 * emulators (which share this thread: the KVS emulator scans a whole entity for every query, so its
 * time says nothing of Forge's), plus the virtual clock's time when the runtime runs on one (sleeps
 * and injected latency), plus a modeled round trip per platform call (`PLATFORM_LATENCY_MS`).
 * Calls made side by side are counted one after the other (an overestimate).
 */
import { performance } from 'node:perf_hooks';

/** Forge's prices and free monthly allowances ("Forge platform pricing"; read 2026-12-03). */
export const FORGE_PRICING = {
  functionMemoryGb: 0.5,
  free: { gbSeconds: 100_000, kvsReadGb: 0.1, kvsWriteGb: 0.1, logGb: 1 },
  overageUsd: { perGbSecond: 0.000025, perKvsReadGb: 0.055, perKvsWriteGb: 1.09, perLogGb: 1.005 },
} as const;

/**
 * Assumed round trips of the platform calls an invocation waits for (no Atlassian page gives
 * them; guesses for a function in the same region as the store, and Atlassian's public APIs over
 * the internet). They decide most of the billed duration of a short invocation.
 */
export const PLATFORM_LATENCY_MS = { kvs: 20, jira: 150, egress: 250, queue: 30 } as const;

/** Bytes and calls against one custom entity (or `(kv)` for plain keys, `(secret)` for secrets). */
export interface EntityUsage {
  reads: number;
  readBytes: number;
  writes: number;
  writeBytes: number;
}

/** What is counted alike for one invocation and for a sum of them. */
export interface UsageCounts {
  gbSeconds: number;
  kvsRequests: number;
  kvsReadBytes: number;
  kvsWriteBytes: number;
  byEntity: Record<string, EntityUsage>;
  jiraRequests: number;
  egressRequests: number;
  queueEvents: number;
  logLines: number;
  logBytes: number;
}

/** What one invocation used. */
export interface InvocationUsage extends UsageCounts {
  id: string;
  moduleKey: string;
  kind: string;
  wallMs: number;
  /** Of `wallMs`, the time spent waiting on the local KVS and Jira emulators. */
  platformWaitMs: number;
  /** Time that passed on the runtime's clock when it is virtual (0 on a real clock). */
  virtualMs: number;
  /** `wallMs` − `platformWaitMs` + `virtualMs` + the modeled platform round trips: what Forge would bill. */
  billedMs: number;
  outcome?: string;
}

/** The sum of many invocations' usage. */
export interface UsageTotals extends UsageCounts {
  invocations: number;
  byModule: Record<string, number>;
  wallMs: number;
  billedMs: number;
}

/** The part of the runtime's invocation record the meter reads. */
interface RecordLike {
  id: string;
  moduleKey: string;
  kind: string;
  startedAt: number;
  endedAt?: number;
  outcome: string;
  egressRequests: number;
  logLines: number;
  logBytes: number;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const itemBytes = (key: unknown, value: unknown) => bytes(String(key ?? '')) + (value === undefined ? 0 : bytes(JSON.stringify(value)));
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Where a KVS item lives, for the per-entity figures. */
function entityOf(path: string, item: Record<string, unknown>, fallback?: unknown): string {
  if (path.includes('/secret/')) return '(secret)';
  const name = item.entityName ?? fallback;
  return typeof name === 'string' && name ? name : '(kv)';
}

/**
 * The reads and writes of one KVS call, from its request body and its answer (`@forge/kvs`'s
 * paths, `out/storage-api.js`): entity → bytes. Failed calls (status ≥ 300) count nothing.
 */
export function kvsCallUsage(path: string, request: unknown, status: number, response: unknown): { reads: Array<[string, number]>; writes: Array<[string, number]> } {
  const reads: Array<[string, number]> = [];
  const writes: Array<[string, number]> = [];
  if (status >= 300 && status !== 207) return { reads, writes };
  const req = obj(request);
  const res = obj(response);
  const op = path.replace(/^\/api\/v1\//, '');
  switch (op) {
    case 'get':
    case 'secret/get':
    case 'entity/get':
      if (status === 200) reads.push([entityOf(path, req), itemBytes(res.key ?? req.key, res.value)]);
      break;
    case 'query':
    case 'entity/query':
      for (const d of list(res.data)) reads.push([entityOf(path, req), itemBytes(obj(d).key, obj(d).value)]);
      break;
    case 'set':
    case 'secret/set':
    case 'entity/set':
      writes.push([entityOf(path, req), itemBytes(req.key, req.value)]);
      // `returnValue` sends an item back: a read.
      if (status === 200 && res.value !== undefined) reads.push([entityOf(path, req), itemBytes(res.key, res.value)]);
      break;
    case 'delete':
    case 'secret/delete':
    case 'entity/delete':
      writes.push([entityOf(path, req), itemBytes(req.key, undefined)]);
      break;
    case 'batch/get':
      for (const d of list(res.successfulKeys)) reads.push([entityOf(path, obj(d)), itemBytes(obj(d).key, obj(d).value)]);
      break;
    case 'batch/set':
    case 'batch/delete': {
      const done = new Set(list(res.successfulKeys).map((d) => `${String(obj(d).entityName ?? '')}\u0000${String(obj(d).key)}`));
      for (const raw of list(request)) {
        const it = obj(raw);
        if (!done.has(`${String(it.entityName ?? '')}\u0000${String(it.key)}`)) continue;
        writes.push([entityOf(path, it), itemBytes(it.key, op === 'batch/set' ? it.value : undefined)]);
      }
      break;
    }
    case 'transaction':
      for (const s of list(req.set)) writes.push([entityOf(path, obj(s)), itemBytes(obj(s).key, obj(s).value)]);
      for (const d of list(req.delete)) writes.push([entityOf(path, obj(d)), itemBytes(obj(d).key, undefined)]);
      break;
  }
  return { reads, writes };
}

const emptyEntity = (): EntityUsage => ({ reads: 0, readBytes: 0, writes: 0, writeBytes: 0 });

/** Per-invocation usage, kept while the runtime runs. */
export class ForgeMeter {
  /** Every finished invocation's usage (the last 20,000), oldest first. */
  readonly invocations: InvocationUsage[] = [];
  private readonly live = new Map<string, { usage: InvocationUsage; startedWall: number }>();

  constructor(private readonly options: { virtualClock: boolean; latencyMs?: Partial<typeof PLATFORM_LATENCY_MS> }) {}

  /** The runtime started an invocation. */
  start(record: RecordLike): void {
    const usage: InvocationUsage = {
      id: record.id,
      moduleKey: record.moduleKey,
      kind: record.kind,
      wallMs: 0,
      platformWaitMs: 0,
      virtualMs: 0,
      billedMs: 0,
      gbSeconds: 0,
      kvsRequests: 0,
      kvsReadBytes: 0,
      kvsWriteBytes: 0,
      byEntity: {},
      jiraRequests: 0,
      egressRequests: 0,
      queueEvents: 0,
      logLines: 0,
      logBytes: 0,
    };
    this.live.set(record.id, { usage, startedWall: performance.now() });
  }

  /** The invocation ended (however): its duration, egress and logs are final. */
  finish(record: RecordLike): void {
    const live = this.live.get(record.id);
    if (!live) return;
    this.live.delete(record.id);
    const u = live.usage;
    const latency = { ...PLATFORM_LATENCY_MS, ...this.options.latencyMs };
    u.wallMs = performance.now() - live.startedWall;
    u.virtualMs = this.options.virtualClock ? Math.max(0, (record.endedAt ?? record.startedAt) - record.startedAt) : 0;
    u.egressRequests = record.egressRequests;
    u.logLines = record.logLines;
    u.logBytes = record.logBytes;
    u.outcome = record.outcome;
    u.billedMs =
      Math.max(0, u.wallMs - u.platformWaitMs) + u.virtualMs + u.kvsRequests * latency.kvs + u.jiraRequests * latency.jira + u.egressRequests * latency.egress + u.queueEvents * latency.queue;
    u.gbSeconds = (u.billedMs / 1000) * FORGE_PRICING.functionMemoryGb;
    if (this.invocations.length >= 20_000) this.invocations.shift();
    this.invocations.push(u);
  }

  /** A KVS call of the invocation `id` answered after `waitedMs`. */
  kvs(id: string | undefined, path: string, request: unknown, status: number, response: unknown, waitedMs = 0): void {
    const u = id ? this.live.get(id)?.usage : undefined;
    if (!u) return;
    u.kvsRequests++;
    u.platformWaitMs += waitedMs;
    const { reads, writes } = kvsCallUsage(path, request, status, response);
    for (const [entity, n] of reads) {
      const e = (u.byEntity[entity] ??= emptyEntity());
      e.reads++;
      e.readBytes += n;
      u.kvsReadBytes += n;
    }
    for (const [entity, n] of writes) {
      const e = (u.byEntity[entity] ??= emptyEntity());
      e.writes++;
      e.writeBytes += n;
      u.kvsWriteBytes += n;
    }
  }

  /** A Jira call (`requestJira`) of the invocation `id`, answered after `waitedMs`. */
  jira(id: string | undefined, waitedMs = 0): void {
    const u = id ? this.live.get(id)?.usage : undefined;
    if (!u) return;
    u.jiraRequests++;
    u.platformWaitMs += waitedMs;
  }

  /** Events the invocation `id` pushed to a queue. */
  queue(id: string | undefined, events: number): void {
    const u = id ? this.live.get(id)?.usage : undefined;
    if (u) u.queueEvents += events;
  }

  /** How many invocations have finished: a mark for `since`. */
  mark(): number {
    return this.invocations.length;
  }

  /** The usage of the invocations finished after `mark`. */
  since(mark: number): InvocationUsage[] {
    return this.invocations.slice(mark);
  }
}

/** Adds up invocations' usage. */
export function totalUsage(usages: readonly InvocationUsage[]): UsageTotals {
  const t: UsageTotals = {
    invocations: usages.length,
    byModule: {},
    wallMs: 0,
    billedMs: 0,
    gbSeconds: 0,
    kvsRequests: 0,
    kvsReadBytes: 0,
    kvsWriteBytes: 0,
    byEntity: {},
    jiraRequests: 0,
    egressRequests: 0,
    queueEvents: 0,
    logLines: 0,
    logBytes: 0,
  };
  for (const u of usages) {
    t.byModule[u.moduleKey] = (t.byModule[u.moduleKey] ?? 0) + 1;
    t.wallMs += u.wallMs;
    t.billedMs += u.billedMs;
    t.gbSeconds += u.gbSeconds;
    t.kvsRequests += u.kvsRequests;
    t.kvsReadBytes += u.kvsReadBytes;
    t.kvsWriteBytes += u.kvsWriteBytes;
    t.jiraRequests += u.jiraRequests;
    t.egressRequests += u.egressRequests;
    t.queueEvents += u.queueEvents;
    t.logLines += u.logLines;
    t.logBytes += u.logBytes;
    for (const [name, e] of Object.entries(u.byEntity)) {
      const x = (t.byEntity[name] ??= emptyEntity());
      x.reads += e.reads;
      x.readBytes += e.readBytes;
      x.writes += e.writes;
      x.writeBytes += e.writeBytes;
    }
  }
  return t;
}

/** One month of usage, as shares of the free allowance and dollars over it. */
export interface MonthlyBill {
  gbSeconds: number;
  kvsReadGb: number;
  kvsWriteGb: number;
  logGb: number;
  /** Per dimension: the share of its free allowance used, in percent. */
  allowanceUsedPct: { duration: number; kvsReads: number; kvsWrites: number; logs: number };
  /** The largest of `allowanceUsedPct`. */
  largestPct: number;
  overageUsd: { duration: number; kvsReads: number; kvsWrites: number; logs: number; total: number };
}

const GB = 1e9;

/** Prices a month's usage (GB as 10^9 bytes, as the pricing page's examples use decimal units). */
export function monthlyBill(month: { gbSeconds: number; kvsReadBytes: number; kvsWriteBytes: number; logBytes: number }): MonthlyBill {
  const p = FORGE_PRICING;
  const use = { gbSeconds: month.gbSeconds, kvsReadGb: month.kvsReadBytes / GB, kvsWriteGb: month.kvsWriteBytes / GB, logGb: month.logBytes / GB };
  const pct = (x: number, free: number) => (x / free) * 100;
  const over = (x: number, free: number, price: number) => Math.max(0, x - free) * price;
  const allowanceUsedPct = {
    duration: pct(use.gbSeconds, p.free.gbSeconds),
    kvsReads: pct(use.kvsReadGb, p.free.kvsReadGb),
    kvsWrites: pct(use.kvsWriteGb, p.free.kvsWriteGb),
    logs: pct(use.logGb, p.free.logGb),
  };
  const overage = {
    duration: over(use.gbSeconds, p.free.gbSeconds, p.overageUsd.perGbSecond),
    kvsReads: over(use.kvsReadGb, p.free.kvsReadGb, p.overageUsd.perKvsReadGb),
    kvsWrites: over(use.kvsWriteGb, p.free.kvsWriteGb, p.overageUsd.perKvsWriteGb),
    logs: over(use.logGb, p.free.logGb, p.overageUsd.perLogGb),
  };
  return {
    ...use,
    allowanceUsedPct,
    largestPct: Math.max(...Object.values(allowanceUsedPct)),
    overageUsd: { ...overage, total: overage.duration + overage.kvsReads + overage.kvsWrites + overage.logs },
  };
}
