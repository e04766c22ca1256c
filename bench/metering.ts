/**
 * What the app costs an organisation under Forge's consumption pricing, metered by the local Forge
 * runtime (`playground/forge-runtime/meter.ts`) around the real handlers on a virtual clock:
 *
 * - per lifecycle (request → approve → activate → done or window end, the revoke included), per
 *   target kind, the five-minute sweep off (its cost is per run, not per grant); the queue's wakes
 *   (the end-of-window warning among them) and the evidence pack collected after the end included;
 * - per idle day (no requests, 288 sweeps) with 0, 100 and 10,000 ended grants in storage, spread
 *   over the last 30 days (so about a quarter were updated this week);
 * - per month for organisations of 20, 200 and 2,000 elevations: 8,640 idle sweeps, plus each
 *   lifecycle, plus what a sweep costs more while a grant is active (one hour of sweeps per grant);
 * - one opening of the Health view (not in the monthly bill: an admin's occasional look).
 */
import { kvs } from '@forge/kvs';
import { monthlyBill, totalUsage, type InvocationUsage, type MonthlyBill, type UsageTotals, type VirtualClock } from '../playground/forge-runtime/index';
import type { LocalApp } from '../playground/local-app';
import { benchApp, benchUser, panelOk, type BenchApp } from './app';

const DAY = 24 * 3600_000;
const SWEEP_MS = 5 * 60_000;
export const SWEEPS_PER_DAY = 288;
export const SWEEPS_PER_MONTH = 8_640;
/** One grant in four is ended with "done", the rest run out (as in the lateness scenario). */
const DONE_SHARE = 0.25;

/** The figures a report keeps of a span of invocations. */
export interface Usage {
  invocations: number;
  byModule: Record<string, number>;
  gbSeconds: number;
  billedMs: number;
  wallMs: number;
  kvsRequests: number;
  kvsReadBytes: number;
  kvsWriteBytes: number;
  byEntity: UsageTotals['byEntity'];
  jiraRequests: number;
  egressRequests: number;
  queueEvents: number;
  logBytes: number;
}

const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

function usage(list: InvocationUsage[]): Usage {
  const t = totalUsage(list);
  return {
    invocations: t.invocations,
    byModule: t.byModule,
    gbSeconds: round(t.gbSeconds, 4),
    billedMs: round(t.billedMs, 1),
    wallMs: round(t.wallMs, 1),
    kvsRequests: t.kvsRequests,
    kvsReadBytes: t.kvsReadBytes,
    kvsWriteBytes: t.kvsWriteBytes,
    byEntity: t.byEntity,
    jiraRequests: t.jiraRequests,
    egressRequests: t.egressRequests,
    queueEvents: t.queueEvents,
    logBytes: t.logBytes,
  };
}

/** Divides every figure of `u` by `n` (a per-run average). */
function per(u: Usage, n: number): Usage {
  const d = (x: number) => round(x / n, 4);
  return {
    ...u,
    invocations: d(u.invocations),
    byModule: Object.fromEntries(Object.entries(u.byModule).map(([k, v]) => [k, d(v)])),
    gbSeconds: d(u.gbSeconds),
    billedMs: d(u.billedMs),
    wallMs: d(u.wallMs),
    kvsRequests: d(u.kvsRequests),
    kvsReadBytes: d(u.kvsReadBytes),
    kvsWriteBytes: d(u.kvsWriteBytes),
    byEntity: Object.fromEntries(
      Object.entries(u.byEntity).map(([k, e]) => [k, { reads: d(e.reads), readBytes: d(e.readBytes), writes: d(e.writes), writeBytes: d(e.writeBytes) }]),
    ),
    jiraRequests: d(u.jiraRequests),
    egressRequests: d(u.egressRequests),
    queueEvents: d(u.queueEvents),
    logBytes: d(u.logBytes),
  };
}

async function metered(app: BenchApp, run: () => Promise<unknown>): Promise<Usage> {
  const mark = app.runtime.meter.mark();
  await run();
  return usage(app.runtime.meter.since(mark));
}

export interface LifecycleUsage {
  target: string;
  ending: 'done' | 'expiry';
  usage: Usage;
}

async function lifecycle(app: BenchApp, user: string, target: string, ending: 'done' | 'expiry'): Promise<LifecycleUsage> {
  const issue = app.createIssue(`${target} for the metering benchmark`, user);
  const u = await metered(app, async () => {
    await panelOk(app, user, issue.key, 'submitRequest', { target, durationMinutes: 60, justification: 'benchmark the Forge cost' });
    await app.clock.advance(5 * 60_000);
    await panelOk(app, 'bob', issue.key, 'approve');
    await app.clock.advance(60_000);
    const data = await panelOk(app, user, issue.key, 'activate');
    const end = Date.parse(data.view.grant.grant.window.end);
    if (ending === 'done') {
      await app.clock.advance(10 * 60_000);
      await panelOk(app, user, issue.key, 'complete');
    } else {
      await app.clock.advanceTo(end);
    }
    // Every queued event (the superseded wake-up chains included) is spent within a day.
    await app.clock.advance(25 * 3600_000);
  });
  const grant = (await panelOk(app, user, issue.key, 'getView')).view.grant.grant;
  if (grant.provisioning.state !== 'revoked') throw new Error(`metering: ${target}/${ending}: access ended ${grant.provisioning.state}, not revoked`);
  return { target, ending, usage: u };
}

/**
 * Stores `count` ended, revoked grants, copies of a real one with their own ids and subjects,
 * their `updatedAt` spread evenly over the 30 days before now (written straight to the store, as
 * history: no invocation, so nothing metered).
 */
export async function seedHistory(app: LocalApp & { clock: VirtualClock }, count: number, template: Record<string, any>): Promise<void> {
  const now = app.clock.now();
  let batch: Array<{ key: string; value: unknown; entityName: string }> = [];
  for (let i = 0; i < count; i++) {
    const value = structuredClone(template);
    const id = String(900_000 + i);
    const subject = `hist-${String(i % 400).padStart(3, '0')}`;
    value.subject = subject;
    value.issueKey = `HIST-${i + 1}`;
    value.updatedAt = new Date(now - ((i + 1) / count) * 30 * DAY).toISOString();
    value.record.grant.id = id;
    value.record.grant.issueKey = `HIST-${i + 1}`;
    value.record.grant.subject = subject;
    value.record.grant.requester = subject;
    batch.push({ key: id, value, entityName: 'grant' });
    if (batch.length === 25 || i === count - 1) {
      const r = await kvs.batchSet(batch as never);
      if (r.failedKeys.length) throw new Error(`metering: could not seed history: ${JSON.stringify(r.failedKeys[0])}`);
      batch = [];
    }
  }
}

/** A real ended, revoked grant as stored (`user` asks for `target`, bob approves), to copy as history. */
export async function endedGrantTemplate(app: LocalApp & { clock: VirtualClock }, user: string, target: string): Promise<Record<string, any>> {
  const issue = app.createIssue('template grant', user);
  await panelOk(app, user, issue.key, 'submitRequest', { target, durationMinutes: 60, justification: 'a grant to copy as history' });
  await panelOk(app, 'bob', issue.key, 'approve');
  await panelOk(app, user, issue.key, 'activate');
  await panelOk(app, user, issue.key, 'complete');
  await app.clock.advance(25 * 3600_000);
  const stored = app.runtime.kvs.peek(issue.id, { entityName: 'grant' }) as Record<string, any> | undefined;
  if (!stored || stored.open !== 0) throw new Error('metering: the template grant did not end');
  return stored;
}

export interface IdleDay {
  storedGrants: number;
  sweepsRun: number;
  /** One sweep, averaged over the sweeps run. */
  perSweep: Usage;
  /** 288 sweeps. */
  perDay: Usage;
}

/** An idle day: no requests, only the five-minute sweep, with `history` ended grants stored. */
async function idleDay(history: number, sweeps: number): Promise<IdleDay> {
  const app = await benchApp(2, { scheduleSweep: false });
  try {
    if (history > 0) await seedHistory(app, history, await endedGrantTemplate(app, benchUser(0), 'site-admin'));
    await app.clock.advance(DAY);
    await app.sweep(); // the first sweep records the findings once; the day's sweeps repeat it
    const u = await metered(app, async () => {
      for (let i = 0; i < sweeps; i++) {
        await app.clock.advance(SWEEP_MS);
        await app.sweep();
      }
    });
    const perSweep = per(u, sweeps);
    return { storedGrants: history, sweepsRun: sweeps, perSweep, perDay: per(u, sweeps / SWEEPS_PER_DAY) };
  } finally {
    await app.close();
  }
}

/**
 * The sweeps of one hour while one org-admin grant is active (60-minute window, activated just
 * before the first), against an idle hour: what an elevation adds to the sweeps. Only the sweeps'
 * invocations are counted (the grant's own are the lifecycle's).
 */
async function sweepWhileActive(): Promise<{ idle: Usage; oneActive: Usage }> {
  const app = await benchApp(2, { scheduleSweep: false });
  const sweeps = async () => {
    const mark = app.runtime.meter.mark();
    for (let i = 0; i < 12; i++) {
      await app.clock.advance(SWEEP_MS - 1000);
      await app.sweep();
      await app.clock.advance(1000);
    }
    return usage(app.runtime.meter.since(mark).filter((u) => u.moduleKey === 'jit-sweep'));
  };
  try {
    await app.sweep();
    const idle = await sweeps();
    const user = benchUser(1);
    const issue = app.createIssue('org admin during a sweep', user);
    await panelOk(app, user, issue.key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'benchmark the sweep cost' });
    await panelOk(app, 'bob', issue.key, 'approve');
    await panelOk(app, user, issue.key, 'activate');
    const oneActive = await sweeps();
    return { idle, oneActive };
  } finally {
    await app.close();
  }
}

/**
 * One opening of the Health view (its storage, queue, org-API and sweep probes) after a sweep, and
 * its queue push: an admin's occasional cost, not part of the monthly bill (the probe's delivery to the
 * consumer comes later and is not counted).
 */
async function healthCheck(): Promise<Usage> {
  const app = await benchApp(2, { scheduleSweep: false });
  try {
    await app.sweep();
    await app.clock.advance(SWEEP_MS);
    return await metered(app, async () => {
      const r = (await app.admin('perm-1', 'getHealth', {})) as { ok: boolean; error?: { code: string } };
      if (!r.ok) throw new Error(`metering: getHealth refused: ${r.error?.code}`);
      await app.clock.advance(1_000);
    });
  } finally {
    await app.close();
  }
}

export interface OrgMonth {
  elevationsPerMonth: number;
  /** The idle sweep measured with this many grants stored (the history the organisation would have). */
  historyGrants: number;
  usage: { gbSeconds: number; kvsReadBytes: number; kvsWriteBytes: number; logBytes: number };
  bill: MonthlyBill;
}

export interface MeteringReport {
  lifecycles: LifecycleUsage[];
  /** The mix of the lifecycles: every target alike, one in four ended with "done". */
  perLifecycle: { gbSeconds: number; kvsReadBytes: number; kvsWriteBytes: number; logBytes: number };
  idle: IdleDay[];
  /** Twelve sweeps (an hour): idle, and while one org-admin grant is active. */
  sweep: { idle: Usage; oneActive: Usage };
  /** One opening of the Health view (its probes; the queue probe's later delivery is not counted). */
  health: Usage;
  months: OrgMonth[];
  assumptions: string[];
}

export async function metering(quick: boolean): Promise<MeteringReport> {
  const app = await benchApp(8, { scheduleSweep: false });
  const lifecycles: LifecycleUsage[] = [];
  try {
    let u = 0;
    for (const target of ['org-admin', 'site-admin', 'jira-admins']) {
      for (const ending of ['done', 'expiry'] as const) lifecycles.push(await lifecycle(app, benchUser(u++), target, ending));
    }
  } finally {
    await app.close();
  }
  const weight = (l: LifecycleUsage) => (l.ending === 'done' ? DONE_SHARE : 1 - DONE_SHARE) / 3;
  const mix = (f: (u: Usage) => number) => lifecycles.reduce((n, l) => n + weight(l) * f(l.usage), 0);
  const perLifecycle = {
    gbSeconds: round(mix((x) => x.gbSeconds), 4),
    kvsReadBytes: round(mix((x) => x.kvsReadBytes)),
    kvsWriteBytes: round(mix((x) => x.kvsWriteBytes)),
    logBytes: round(mix((x) => x.logBytes)),
  };

  const sweeps = quick ? 12 : SWEEPS_PER_DAY;
  const idle: IdleDay[] = [];
  for (const history of [0, 100, 10_000]) idle.push(await idleDay(history, sweeps));
  const sweep = await sweepWhileActive();
  const health = await healthCheck();

  // An active grant costs the sweeps of its hour (the bench's 60-minute window) more than idle ones.
  const activeExtra = (f: (u: Usage) => number) => Math.max(0, f(sweep.oneActive) - f(sweep.idle));
  const months: OrgMonth[] = [
    { elevations: 20, history: 100 },
    { elevations: 200, history: 10_000 },
    { elevations: 2_000, history: 10_000 },
  ].map(({ elevations, history }) => {
    const day = idle.find((d) => d.storedGrants === history)!.perSweep;
    const total = (f: (u: Usage) => number, life: number) => SWEEPS_PER_MONTH * f(day) + elevations * (life + activeExtra(f));
    const month = {
      gbSeconds: round(total((x) => x.gbSeconds, perLifecycle.gbSeconds), 1),
      kvsReadBytes: round(total((x) => x.kvsReadBytes, perLifecycle.kvsReadBytes)),
      kvsWriteBytes: round(total((x) => x.kvsWriteBytes, perLifecycle.kvsWriteBytes)),
      logBytes: round(total((x) => x.logBytes, perLifecycle.logBytes)),
    };
    return { elevationsPerMonth: elevations, historyGrants: history, usage: month, bill: monthlyBill(month) };
  });
  return {
    lifecycles,
    perLifecycle,
    idle,
    sweep,
    health,
    months,
    assumptions: [
      'bytes read/written: UTF-8 key + JSON value of each item returned or stored (deletes: the key); conditions and empty queries count nothing',
      'duration: local wall time + virtual-clock time + modeled round trips (KVS 20 ms, Jira 150 ms, egress 250 ms, queue push 30 ms) at 0.5 GB',
      `a month: ${SWEEPS_PER_MONTH} sweeps; each elevation one lifecycle (targets alike, ${DONE_SHARE * 100}% done, the rest run out) plus 12 sweeps with it active`,
      'history: the 20-elevation organisation is measured with 100 stored grants, the others with 10,000',
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await metering(process.argv.includes('--quick'));
  console.log(JSON.stringify(report, null, 2));
}
