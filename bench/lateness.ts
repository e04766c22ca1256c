/**
 * Revocation lateness on emulated time: many grants with random windows and random "done" clicks,
 * run through the REAL local app (`startLocalApp` on a `VirtualClock`: the org-admin and Jira
 * emulators, the local Forge runtime with its KVS and queue, the app's real handlers).
 *
 * Designs (the same scenario, drawn from the same seed, in each):
 * - `app`:    the app as designed: delayed queue events ("wake me at T", hops of ≤ 900 s) consumed
 *             by the queue consumer, plus the five-minute sweep.
 * - `hourly`: sweep only, every 60 minutes (what scheduled-rule tools offer): the same app with
 *             the queue consumer not registered (every queued event is lost) and no five-minute
 *             sweep; the app's own sweep handler runs at every whole hour of the virtual clock.
 * - `sweep5`: sweep only, every five minutes (Forge's shortest scheduled trigger), queue consumer off.
 *
 * A "done" click revokes in the click's own invocation in every design (the panel call acts at
 * once); only window ends depend on the timer design.
 *
 * Lateness of a grant = `provisioning.revokedAt` (set by the core only after the org adapter's
 * read-back shows the access gone) − its deadline (the window end, or the done click). The
 * emulator's truth (`app.org.holders()`, including writes not yet visible) is also sampled at
 * deadline + 1 s, + 5 min + 1 s and + 60 min + 1 s, as a check that does not trust the app's records.
 *
 *   scripts/node22.sh bench/lateness.ts <design> <grants> <out.json> [seed] [spanHours]
 */
import { writeFileSync } from 'node:fs';
import { seededRandom } from '../playground/forge-runtime/index';
import { demoAccountId } from '../playground/local-app';
import { benchApp, benchUser, panelOk, T0, type BenchApp } from './app';
import { summarize, type Summary } from './stats';

export type Design = 'app' | 'hourly' | 'sweep5';
const MIN = 60_000;
const HOUR = 60 * MIN;
/** The truth probes, after each deadline. */
const PROBES_MS = [1_000, 5 * MIN + 1_000, HOUR + 1_000] as const;
const TARGETS = ['org-admin', 'site-admin', 'jira-admins'] as const;

interface Plan {
  user: string;
  target: (typeof TARGETS)[number];
  requestAt: number;
  durationMinutes: number;
  approveAfterMs: number;
  activateAfterMs: number;
  /** Fraction of the window after which "done" is clicked; null: never (the window runs out). */
  doneAt: number | null;
  approver: string;
}

export interface GrantResult {
  key: string;
  target: string;
  ending: 'done' | 'expiry';
  deadline: number;
  revokedAt: number | null;
  latenessMs: number | null;
  /** Truth: still held at each probe (deadline + PROBES_MS[i]). */
  heldAt: boolean[];
}

export interface LatenessReport {
  design: Design;
  grants: number;
  seed: number;
  spanHours: number;
  doneClicks: number;
  /** Every grant's lateness in ms (to merge shards), and whether it ended by a done click. */
  raw: Array<{ ms: number; done: boolean }>;
  /** Seconds, all grants; and split by ending. */
  latenessS: Summary;
  expiryLatenessS: Summary;
  doneLatenessS: Summary;
  /** Truth probes: how many grants still held their access at deadline + 1 s, + 5 min, + 60 min. */
  stillHeldAt: { '1s': number; '5min': number; '60min': number };
  /** Grants whose revoke never happened (a broken invariant). */
  neverRevoked: string[];
  /** Anyone but the permanent admins holding anything once everything has ended. */
  leftoverHolders: string[];
  queueDeliveries: number;
  orgApiCalls: number;
  wallSeconds: number;
}

/** The same scenario for every design: drawn from `seed` only. */
export function plan(grants: number, seed: number, spanHours: number): Plan[] {
  const rand = seededRandom(seed);
  const between = (lo: number, hi: number) => lo + rand() * (hi - lo);
  return Array.from({ length: grants }, (_, i) => {
    const target = TARGETS[Math.floor(rand() * TARGETS.length)]!;
    const requestAt = T0 + Math.floor(rand() * spanHours * HOUR);
    const durationMinutes = Math.floor(between(15, 241));
    const approveAfterMs = Math.floor(between(1 * MIN, 30 * MIN));
    // The window is fixed at approval: activate within its first half (and within 20 minutes).
    const activateAfterMs = Math.floor(between(0, Math.min(20 * MIN, (durationMinutes * MIN) / 2)));
    // Some finish early; most never click done.
    const doneAt = rand() < 0.25 ? between(0.05, 0.95) : null;
    const approver = ['bob', 'carol', 'dan'][Math.floor(rand() * 3)]!;
    return { user: benchUser(i), target, requestAt, durationMinutes, approveAfterMs, activateAfterMs, doneAt, approver };
  });
}

/** Whether the emulator's truth shows `user` holding `target`. */
function holds(app: BenchApp, user: string, target: string): boolean {
  const truth = app.org.holders('truth');
  switch (target) {
    case 'org-admin':
      return truth.orgAdmins.includes(user);
    case 'site-admin':
      return truth.direct.some((a) => a.accountId === user && a.role === 'atlassian/site-admin');
    default:
      return truth.groups.some((g) => g.name === 'jira-admins-demo' && g.members.includes(user));
  }
}

export async function simulate(design: Design, grants: number, seed = 1, spanHours = 24, progress?: (line: string) => void): Promise<LatenessReport> {
  const started = performance.now();
  const plans = plan(grants, seed, spanHours);
  const app = await benchApp(grants, { scheduleSweep: design !== 'hourly', queueConsumer: design === 'app' });
  const failures: string[] = [];
  const results = new Map<string, GrantResult>();
  let stopHourly = () => {};
  try {
    if (design === 'hourly') {
      const next = () => {
        const at = Math.floor(app.clock.now() / HOUR) * HOUR + HOUR;
        stopHourly = app.clock.setTimer(at, async () => {
          next();
          await app.sweep().catch((e: unknown) => failures.push(`hourly sweep failed: ${String(e)}`));
        });
      };
      next();
    }

    // Every user action is a timer on the virtual clock; each one schedules the next step.
    const step = (at: number, what: string, fn: () => Promise<void>) =>
      app.clock.setTimer(at, () => fn().catch((e: unknown) => failures.push(`${what}: ${e instanceof Error ? e.message : String(e)}`)));
    for (const p of plans) {
      step(p.requestAt, `request by ${p.user}`, async () => {
        const issue = app.createIssue(`${p.target} for ${p.user}`, p.user);
        await panelOk(app, p.user, issue.key, 'submitRequest', { target: p.target, durationMinutes: p.durationMinutes, justification: 'benchmark: revocation lateness' });
        step(app.clock.now() + p.approveAfterMs, `approve ${issue.key}`, async () => {
          await panelOk(app, p.approver, issue.key, 'approve');
          step(app.clock.now() + p.activateAfterMs, `activate ${issue.key}`, async () => {
            const data = await panelOk(app, p.user, issue.key, 'activate');
            const window = data.view.grant.grant.window as { start: string; end: string };
            const start = app.clock.now();
            const end = Date.parse(window.end);
            const doneAt = p.doneAt === null ? null : Math.floor(start + (end - start) * p.doneAt);
            const result: GrantResult = { key: issue.key, target: p.target, ending: doneAt === null ? 'expiry' : 'done', deadline: doneAt ?? end, revokedAt: null, latenessMs: null, heldAt: [] };
            results.set(issue.key, result);
            if (doneAt !== null) step(doneAt, `done ${issue.key}`, async () => void (await panelOk(app, p.user, issue.key, 'complete')));
            PROBES_MS.forEach((offset, i) =>
              step(result.deadline + offset, `probe ${issue.key}`, async () => {
                result.heldAt[i] = holds(app, p.user, p.target);
              }),
            );
          });
        });
      });
    }

    // Until every request is approved and activated, then until the last deadline's last probe
    // (an hourly sweep revokes within 60 min of a deadline).
    const activated = T0 + spanHours * HOUR + 30 * MIN + 20 * MIN + MIN;
    for (let t = T0 + 2 * HOUR; ; t += 2 * HOUR) {
      const cap = activated + 241 * MIN + PROBES_MS.at(-1)! + MIN;
      const last = Math.max(...[...results.values()].map((r) => r.deadline));
      const end = results.size === plans.length ? Math.max(activated, last + PROBES_MS.at(-1)! + MIN) : cap;
      await app.clock.advanceTo(Math.min(t, end));
      progress?.(`${design} (${grants} grants, seed ${seed}): ${((app.clock.now() - T0) / HOUR).toFixed(0)} h emulated, ${results.size} activated, ${((performance.now() - started) / 1000).toFixed(0)} s`);
      if (t >= end || failures.length) break;
    }
    if (failures.length) throw new Error(`lateness (${design}): ${failures.length} step(s) failed, first: ${failures[0]}`);

    const neverRevoked: string[] = [];
    const plansByKey = new Map<string, Plan>();
    for (const p of plans) plansByKey.set(`${p.target} for ${p.user}`, p);
    for (const r of results.values()) {
      const issue = app.jira.issue(r.key);
      const p = plansByKey.get(issue?.summary ?? '')!;
      const grant = (await panelOk(app, p.user, r.key, 'getView')).view.grant.grant;
      const revokedAt = grant.provisioning.revokedAt ? Date.parse(grant.provisioning.revokedAt) : null;
      if (grant.provisioning.state !== 'revoked' || revokedAt === null) {
        neverRevoked.push(`${r.key} (${grant.status}/${grant.provisioning.state})`);
        continue;
      }
      r.revokedAt = revokedAt;
      r.latenessMs = revokedAt - r.deadline;
    }
    const truth = app.org.holders('truth');
    const permanent = new Set(['perm-1', 'perm-2', 'perm-3'].map(demoAccountId));
    const leftoverHolders = [
      ...truth.orgAdmins.filter((a) => !permanent.has(a)).map((a) => `${a} (org admin)`),
      ...truth.direct.filter((a) => a.role !== 'atlassian/org-admin').map((a) => `${a.accountId} (${a.role})`),
      ...truth.groups.flatMap((g) => (g.externalSynced ? [] : g.members.map((m) => `${m} (${g.name})`))),
    ];
    const all = [...results.values()];
    const seconds = (rs: GrantResult[]) => summarize(rs.filter((r) => r.latenessMs !== null).map((r) => r.latenessMs! / 1000));
    const stillHeld = (i: number) => all.filter((r) => r.heldAt[i]).length;
    return {
      design,
      grants,
      seed,
      spanHours,
      doneClicks: all.filter((r) => r.ending === 'done').length,
      raw: all.filter((r) => r.latenessMs !== null).map((r) => ({ ms: r.latenessMs!, done: r.ending === 'done' })),
      latenessS: seconds(all),
      expiryLatenessS: seconds(all.filter((r) => r.ending === 'expiry')),
      doneLatenessS: seconds(all.filter((r) => r.ending === 'done')),
      stillHeldAt: { '1s': stillHeld(0), '5min': stillHeld(1), '60min': stillHeld(2) },
      neverRevoked,
      leftoverHolders,
      queueDeliveries: app.runtime.queue.deliveries.length,
      orgApiCalls: (app.org.stats() as unknown as { totalCalls: number }).totalCalls,
      wallSeconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    stopHourly();
    await app.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [design, grants, out, seed, span] = process.argv.slice(2);
  if (!design || !grants || !out || !['app', 'hourly', 'sweep5'].includes(design)) {
    throw new Error('usage: bench/lateness.ts <app|hourly|sweep5> <grants> <out.json> [seed] [spanHours]');
  }
  const report = await simulate(design as Design, Number(grants), Number(seed ?? 1), Number(span ?? 24), (line) => console.error(line));
  writeFileSync(out, JSON.stringify(report, null, 2));
}
