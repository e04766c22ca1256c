/**
 * Fault injection and call counters. Faults are drawn from a seeded generator, so a run with the
 * same seed and the same sequence of calls injects the same faults.
 *
 * Kinds:
 * - `429`: answered at once with `Retry-After` (seconds); nothing is applied.
 * - `500`, `503`: answered at once with a server error; nothing is applied.
 * - `timeout`: the request is held for `timeoutMs` (wall time) and then processed and answered
 *   normally, so a client that gave up earlier may find its change applied after all.
 * - `drop`: the request is processed (the change IS applied), then the connection is destroyed
 *   without a response.
 */

export const FAULT_KINDS = ['429', '500', '503', 'timeout', 'drop'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultOptions {
  /** Probability (0..1) that a call gets a fault. */
  rate?: number;
  /** Kinds to draw from (uniformly). Default: all. */
  kinds?: FaultKind[];
  /** Seed of the generator. Default 1. */
  seed?: number;
  /** `Retry-After` of injected 429s, in seconds. Default 2. */
  retryAfterSeconds?: number;
  /** How long a `timeout` fault holds the request (wall-clock ms). Default 30 000. */
  timeoutMs?: number;
  /** Only these routes get faults (route ids like `assignRole`, or keys like `POST /admin/v1/...`). Default: all. */
  routes?: string[];
}

export interface FaultConfig {
  rate: number;
  kinds: FaultKind[];
  seed: number;
  retryAfterSeconds: number;
  timeoutMs: number;
  routes: string[] | null;
}

/** mulberry32: small, fast, good enough for test randomness. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function normalizeFaults(options: FaultOptions | null | undefined): FaultConfig {
  const o = options ?? {};
  const rate = o.rate ?? 0;
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`fault rate must be within 0..1, got ${rate}`);
  const kinds = o.kinds ?? [...FAULT_KINDS];
  for (const k of kinds) {
    if (!FAULT_KINDS.includes(k)) throw new RangeError(`unknown fault kind \`${k}\` (expected one of ${FAULT_KINDS.join(', ')})`);
  }
  if (rate > 0 && kinds.length === 0) throw new RangeError('a fault rate above 0 needs at least one kind');
  return {
    rate,
    kinds,
    seed: o.seed ?? 1,
    retryAfterSeconds: o.retryAfterSeconds ?? 2,
    timeoutMs: o.timeoutMs ?? 30_000,
    routes: o.routes ?? null,
  };
}

export class FaultInjector {
  private cfg: FaultConfig;
  private random: () => number;
  private queued: FaultKind[] = [];

  constructor(options?: FaultOptions | null) {
    this.cfg = normalizeFaults(options);
    this.random = seededRandom(this.cfg.seed);
  }

  configure(options: FaultOptions | null): void {
    this.cfg = normalizeFaults(options);
    this.random = seededRandom(this.cfg.seed);
  }

  config(): FaultConfig & { queued: FaultKind[] } {
    return { ...this.cfg, kinds: [...this.cfg.kinds], queued: [...this.queued] };
  }

  /** Makes the next calls (on the configured routes) fail with these kinds, in order, whatever the rate. */
  queue(...kinds: FaultKind[]): void {
    for (const k of kinds) if (!FAULT_KINDS.includes(k)) throw new RangeError(`unknown fault kind \`${k}\``);
    this.queued.push(...kinds);
  }

  /** The fault for this call, if any. */
  decide(routeId: string, key: string): FaultKind | null {
    if (this.cfg.routes && !this.cfg.routes.includes(routeId) && !this.cfg.routes.includes(key)) return null;
    if (this.queued.length) return this.queued.shift()!;
    if (this.cfg.rate <= 0) return null;
    if (this.random() >= this.cfg.rate) return null;
    return this.cfg.kinds[Math.floor(this.random() * this.cfg.kinds.length)];
  }
}

export interface EmulatorStats {
  /** Calls to spec routes (faulted ones included), by `METHOD /path/template`. */
  calls: Record<string, number>;
  totalCalls: number;
  /** Responses by HTTP status (dropped calls are counted under `dropped`). */
  statuses: Record<string, number>;
  faults: Record<FaultKind, number>;
  faultsByRoute: Record<string, Partial<Record<FaultKind, number>>>;
  totalFaults: number;
}

export class StatsRecorder {
  private s: EmulatorStats = StatsRecorder.empty();

  static empty(): EmulatorStats {
    return {
      calls: {},
      totalCalls: 0,
      statuses: {},
      faults: { '429': 0, '500': 0, '503': 0, timeout: 0, drop: 0 },
      faultsByRoute: {},
      totalFaults: 0,
    };
  }

  call(key: string): void {
    this.s.calls[key] = (this.s.calls[key] ?? 0) + 1;
    this.s.totalCalls++;
  }

  status(status: number | 'dropped'): void {
    const k = String(status);
    this.s.statuses[k] = (this.s.statuses[k] ?? 0) + 1;
  }

  fault(key: string, kind: FaultKind): void {
    this.s.faults[kind]++;
    this.s.totalFaults++;
    const byRoute = (this.s.faultsByRoute[key] ??= {});
    byRoute[kind] = (byRoute[kind] ?? 0) + 1;
  }

  snapshot(): EmulatorStats {
    return structuredClone(this.s);
  }

  reset(): void {
    this.s = StatsRecorder.empty();
  }
}

/**
 * Contract faults: operations that answer as if the API had changed under the app, rather than
 * failing for a moment. Each one is `null` (healthy) unless switched on.
 */
export interface ContractFaults {
  /**
   * The org-admin `role-assignments/assign|revoke` operations (marked `x-experimental` in the spec):
   * `removed` answers 404 as for an unknown path; `changed` answers 400 naming a field the app doesn't send.
   */
  orgRoleAssignments: 'removed' | 'changed' | null;
  /**
   * Every role endpoint (`role-assignments/*` and `roles/*`), as if not enabled for this org (the
   * unverified report in platform notes §7): `forbidden` answers 403, `missing` answers 404.
   */
  roleApi: 'forbidden' | 'missing' | null;
}

export const NO_CONTRACT_FAULTS: ContractFaults = { orgRoleAssignments: null, roleApi: null };

export function normalizeContractFaults(options: Partial<ContractFaults> | null | undefined): ContractFaults {
  const o = options ?? {};
  const orgRoleAssignments = o.orgRoleAssignments ?? null;
  const roleApi = o.roleApi ?? null;
  if (orgRoleAssignments !== null && orgRoleAssignments !== 'removed' && orgRoleAssignments !== 'changed') {
    throw new RangeError(`orgRoleAssignments must be \`removed\`, \`changed\` or null, got \`${String(orgRoleAssignments)}\``);
  }
  if (roleApi !== null && roleApi !== 'forbidden' && roleApi !== 'missing') {
    throw new RangeError(`roleApi must be \`forbidden\`, \`missing\` or null, got \`${String(roleApi)}\``);
  }
  return { orgRoleAssignments, roleApi };
}
