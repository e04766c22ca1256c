/**
 * Reliability under faults: hundreds of randomized grant lifecycles (seeded) run concurrently
 * against the org-API emulator while 30% of its calls fail (429 with Retry-After, 500, 503,
 * timeouts whose change lands anyway, and dropped responses whose change landed), with every queue
 * event, post-function, click and sweep delivered at least once (duplicates and reordering
 * included) and the five-minute sweep on.
 *
 * Everything is judged against the emulator's truth (its holders and its request log), not
 * against the app's own records:
 * - lateness: nobody holds a target past their window end, done click or revoke click by more
 *   than one retry interval (bound below), sampled from `app.org.holders()` every virtual second;
 * - every confirmed revoke (`provisioning.revokedAt`) was preceded by a read that showed it gone;
 * - no grant is applied twice (one accepted `activate` and `accessGranted` per grant; no assign
 *   reaches the org for a grant after its revoke was confirmed);
 * - the audit chain verifies and holds each grant's lifecycle;
 * - the permanent admins keep org admin at every sample and no revoke call ever names them, and
 *   the org never has zero admins.
 *
 * Reproducible: the plans, the faults (drawn per logical call), the queue's duplicates and the
 * adapter's jitter are seeded, and the virtual clock runs one piece of work at a time and waits
 * for requests the emulator still holds, so a run interleaves the same way every time (on a
 * machine loaded enough to make a healthy call exceed the 40 ms request timeout, it may not).
 * `RELIABILITY_SEED=<n>` runs another seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../playground/forge-runtime/index';
import { seededRandom } from '../playground/emulators/org-admin/faults';
import { startLocalApp, DEMO_JIRA_ADMINS_GROUP, DEMO_SITE_ARI, type LocalApp, type TransitionName } from '../playground/local-app';
import type { Policy } from '../forge-app/src/decision/core';
import { answer, T0 } from './support/app';

const SEED = Number(process.env.RELIABILITY_SEED ?? 20260601);
const LIFECYCLES = 208;
const BATCHES = 8;
const BATCH_GAP_MS = 10 * 60_000;
const FAULT_RATE = 0.3;
/** `backoff_seconds(1)` in core/src/provisioning/backoff.rs: the core's first retry interval. */
const RETRY_INTERVAL_MS = 30_000;
/** The queue's reorder window: a wake may be delivered this much after its time. */
const REORDER_WINDOW_MS = 3_000;
/** Holders are sampled once per virtual second. */
const SAMPLE_MS = 1_000;
/**
 * How long one revoke attempt may take under these faults: the guard's read of the org admins, the
 * revoke call and its read-back, each call retried by the org adapter up to 4 times (0.5/1/2 s
 * back-off, or the 2 s Retry-After of a 429). Attempts that succeed take at most ~15 s here.
 */
const ATTEMPT_MS = 15_000;
/**
 * The bound: "no more than one retry interval late". The first attempt may fail (its time), the
 * core waits one retry interval, the second attempt succeeds (its time); the queue may deliver the
 * wake up to its reorder window late; samples are a second apart. 64 s. Held longer means a second
 * failed attempt in a row, or access nobody is revoking.
 */
const LATENESS_BOUND_MS = RETRY_INTERVAL_MS + 2 * ATTEMPT_MS + REORDER_WINDOW_MS + SAMPLE_MS;

const PERMANENT = ['perm-1', 'perm-2', 'perm-3'];
const REQUESTERS = Array.from({ length: 40 }, (_, i) => `req-${String(i + 1).padStart(2, '0')}`);
const APPROVERS = ['bob', 'carol', 'dan'];
const TARGETS = ['org-admin', 'site-admin', 'jira-admins'] as const;
type TargetKey = (typeof TARGETS)[number];

function policy(): Policy {
  const common = {
    requesters: { accountIds: REQUESTERS },
    approvers: { accountIds: APPROVERS },
    defaultDurationMinutes: 30,
    maxDurationMinutes: 60,
    maxExtensions: 2,
    approvalDeadlineMinutes: 20,
    justification: { required: true, minLength: 10 },
  };
  return {
    permanentAdmins: PERMANENT,
    maxPermanentAdmins: 3,
    minOrgAdmins: 1,
    driftMode: 'report',
    serviceAccounts: [],
    targets: [
      { key: 'org-admin', label: 'Organization admin', access: { type: 'orgRole', role: 'atlassian/org-admin' }, ...common },
      { key: 'site-admin', label: 'Site admin', access: { type: 'resourceRole', role: 'atlassian/site-admin', resource: DEMO_SITE_ARI }, ...common },
      {
        key: 'jira-admins',
        label: 'Jira admins',
        access: { type: 'groupMembership', groupId: DEMO_JIRA_ADMINS_GROUP, groupName: 'jira-admins-demo' },
        ...common,
      },
    ],
  } as Policy;
}

type Ending = 'cancel' | 'reject' | 'unapproved' | 'unused' | 'revokeBeforeActivation' | 'done' | 'revoke' | 'expire';

interface Plan {
  index: number;
  batch: number;
  startAt: number;
  target: TargetKey;
  minutes: number;
  approver: string;
  via: 'panel' | 'workflow';
  copies: number;
  ending: Ending;
  extension?: { minutes: number; approver: string; reject: boolean; via: 'panel' | 'workflow' };
  /** Fractions of the remaining window at which the clicks happen. */
  f1: number;
  f2: number;
  f3: number;
}

interface Run {
  plan: Plan;
  requester?: string;
  issueKey?: string;
  refused?: string;
  steps: string[];
}

/** Weighted choice. */
function pick<T>(rnd: () => number, items: Array<[T, number]>): T {
  const total = items.reduce((n, [, w]) => n + w, 0);
  let x = rnd() * total;
  for (const [item, w] of items) {
    x -= w;
    if (x < 0) return item;
  }
  return items[items.length - 1]![0];
}

function plans(): Plan[] {
  const rnd = seededRandom(SEED);
  const out: Plan[] = [];
  for (let i = 0; i < LIFECYCLES; i++) {
    const batch = Math.floor(i / (LIFECYCLES / BATCHES));
    const approver = APPROVERS[Math.floor(rnd() * APPROVERS.length)]!;
    const ending = pick<Ending>(rnd, [
      ['cancel', 7],
      ['reject', 7],
      ['unapproved', 3],
      ['unused', 3],
      ['revokeBeforeActivation', 4],
      ['done', 28],
      ['revoke', 20],
      ['expire', 28],
    ]);
    const others = APPROVERS.filter((a) => a !== approver);
    const activated = ['done', 'revoke', 'expire'].includes(ending);
    out.push({
      index: i,
      batch,
      startAt: T0 + batch * BATCH_GAP_MS + Math.floor(rnd() * 120) * 1000,
      target: TARGETS[Math.floor(rnd() * TARGETS.length)]!,
      minutes: 4 + Math.floor(rnd() * 26),
      approver,
      via: rnd() < 0.5 ? 'panel' : 'workflow',
      copies: rnd() < 0.5 ? 2 : 1,
      ending,
      extension:
        activated && rnd() < 0.35
          ? { minutes: 3 + Math.floor(rnd() * 12), approver: others[Math.floor(rnd() * others.length)]!, reject: rnd() < 0.2, via: rnd() < 0.5 ? 'panel' : 'workflow' }
          : undefined,
      f1: rnd(),
      f2: rnd(),
      f3: rnd(),
    });
  }
  return out;
}

/** FNV-1a, to seed one generator per logical call. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

interface Interval {
  key: string;
  start: number;
  end: number | null;
}

test(`faults: ${LIFECYCLES} randomized lifecycles with ${FAULT_RATE * 100}% org-API faults and duplicated deliveries keep access within its window, verified, once, audited and never lock the org out`, async () => {
  const clock = new VirtualClock(T0);
  const app: LocalApp = await startLocalApp({
    clock,
    scheduleSweep: true,
    seed: SEED,
    queueFaults: { duplicateRate: 0.25, reorderWindowMs: REORDER_WINDOW_MS },
    orgOptions: { requestTimeoutMs: 40, random: seededRandom(SEED + 1) },
  });
  const wallStart = Date.now();
  try {
    app.org.seed({ users: REQUESTERS.map((accountId) => ({ accountId, name: `Requester ${accountId}`, email: `${accountId}@acme.example` })) });
    for (const accountId of REQUESTERS) app.jira.seedUser({ accountId, displayName: `Requester ${accountId}` });
    // A 40 ms request timeout trips on a cold or busy machine, and the retry backs off on this clock:
    // nothing advances it yet, so the save is driven (it hung CI for good before).
    await clock.drive(app.seedPolicy(policy()));
    // Faults: 30% of calls, each kind equally likely. Drawn per logical call (route, parameters,
    // body and how many times that same call was made before), not from one global sequence, so a
    // call's fate does not depend on how concurrent work happened to interleave.
    app.org.setFaults({ rate: 0, retryAfterSeconds: 2, timeoutMs: 60 });
    const KINDS = ['429', '500', '503', 'timeout', 'drop'] as const;
    const seen = new Map<string, number>();
    app.org.setFaultHook(({ route, params, query, body }) => {
      const id = `${route} ${JSON.stringify(params)} ${query.toString()} ${JSON.stringify(body ?? null)}`;
      const n = seen.get(id) ?? 0;
      seen.set(id, n + 1);
      const r = seededRandom(hash(`${SEED}:${n}:${id}`));
      return r() < FAULT_RATE ? KINDS[Math.floor(r() * KINDS.length)]! : null;
    });
    const orgAri = app.org.orgAri;
    // Time never moves on while the emulator still holds a request (a timed-out call lands when it
    // is released, before the next timer runs), so the run interleaves the same way every time.
    clock.setSettle(async () => {
      while (app.org.inFlight() > 0) await new Promise((r) => setTimeout(r, 1));
    });

    // ---- Observation: the emulator's truth, once per virtual second and after every step.
    const open = new Map<string, Interval>();
    const intervals: Interval[] = [];
    const violations: string[] = [];
    let samples = 0;
    let minAdmins = Number.POSITIVE_INFINITY;
    const sample = () => {
      samples++;
      const t = clock.now();
      const h = app.org.holders();
      minAdmins = Math.min(minAdmins, h.orgAdmins.length);
      if (h.orgAdmins.length === 0) violations.push(`zero org admins at ${new Date(t).toISOString()}`);
      for (const p of PERMANENT) if (!h.orgAdmins.includes(p)) violations.push(`${p} lost org admin at ${new Date(t).toISOString()}`);
      const held = new Set<string>();
      for (const d of h.direct) {
        if (d.role === 'atlassian/org-admin' && d.resource === orgAri) held.add(`${d.accountId}|org-admin`);
        if (d.role === 'atlassian/site-admin' && d.resource === DEMO_SITE_ARI) held.add(`${d.accountId}|site-admin`);
      }
      for (const m of h.groups.find((g) => g.groupId === DEMO_JIRA_ADMINS_GROUP)?.members ?? []) held.add(`${m}|jira-admins`);
      for (const k of held) {
        if (k.startsWith('perm-')) continue;
        if (!open.has(k)) {
          const iv = { key: k, start: t, end: null };
          open.set(k, iv);
          intervals.push(iv);
        }
      }
      for (const [k, iv] of open) {
        if (!held.has(k)) {
          iv.end = t;
          open.delete(k);
        }
      }
    };

    // ---- The lifecycles.
    const rnd = seededRandom(SEED + 2);
    const runs: Run[] = [];
    const busy = new Set<string>();
    let duplicates = 0;
    let extraSweeps = 0;
    const sleep = (ms: number) => clock.sleep(Math.max(0, Math.round(ms)));

    // At least once: a click or post-function is delivered `copies` times: once now, and again
    // 0–15 s later (a retried request, a platform redelivery), while the first may still be busy.
    // Redeliveries run as their own clock timers, so the interleaving is the clock's (reproducible).
    const again = (copies: number, deliver: () => Promise<unknown>) => {
      for (let i = 1; i < copies; i++) {
        duplicates++;
        clock.setTimer(clock.now() + Math.floor(rnd() * 15) * 1000, () => deliver().then(sample, () => undefined));
      }
    };
    const click = async (run: Run, who: string, fn: string, payload?: unknown, copies = 1) => {
      const r = answer(await app.panel(who, run.issueKey!, fn, payload));
      again(copies, () => app.panel(who, run.issueKey!, fn, payload));
      run.steps.push(`${fn}:${who}:${r.ok ? 'ok' : r.error.code}@${clock.now() - T0}`);
      sample();
      return r;
    };
    const workflow = async (run: Run, who: string, event: TransitionName, copies = 1) => {
      await app.deliverPostFunction(who, run.issueKey!, event);
      again(copies, () => app.deliverPostFunction(who, run.issueKey!, event));
      run.steps.push(`pf:${event}:${who}@${clock.now() - T0}`);
      sample();
    };
    const decide = (run: Run, who: string, panelFn: string, event: TransitionName, via: 'panel' | 'workflow', copies: number, payload?: unknown) =>
      via === 'panel' ? click(run, who, panelFn, payload, copies) : workflow(run, who, event, copies);

    const lifecycle = async (plan: Plan) => {
      const run: Run = { plan, steps: [] };
      runs.push(run);
      const free = REQUESTERS.filter((r) => !busy.has(`${r}|${plan.target}`));
      if (free.length === 0) {
        run.refused = 'no free requester';
        return;
      }
      const requester = free[Math.floor(rnd() * free.length)]!;
      const pair = `${requester}|${plan.target}`;
      busy.add(pair);
      run.requester = requester;
      try {
        const issue = app.createIssue(`JIT ${plan.target} #${plan.index}`, requester);
        run.issueKey = issue.key;
        const submitted = await click(run, requester, 'submitRequest', {
          target: plan.target,
          durationMinutes: plan.minutes,
          justification: `lifecycle ${plan.index}: scheduled maintenance`,
        });
        if (!submitted.ok) {
          run.refused = submitted.error.code;
          return;
        }
        const windowMs = plan.minutes * 60_000;
        const before = (f: number, span: number) => sleep(1000 + f * Math.max(0, span - 2000));
        switch (plan.ending) {
          case 'cancel':
            await before(plan.f1, 10 * 60_000);
            await click(run, requester, 'cancel', {}, plan.copies);
            return;
          case 'reject':
            await before(plan.f1, 10 * 60_000);
            await decide(run, plan.approver, 'reject', 'reject', plan.via, plan.copies, { reason: 'not this time' });
            return;
          case 'unapproved':
            await sleep(21 * 60_000);
            return;
          default:
            break;
        }
        await before(plan.f1, 5 * 60_000);
        await decide(run, plan.approver, 'approve', 'approve', plan.via, plan.copies);
        const approvedAt = clock.now();
        if (plan.ending === 'unused') {
          await sleep(windowMs + 60_000);
          return;
        }
        if (plan.ending === 'revokeBeforeActivation') {
          await before(plan.f2, windowMs / 2);
          await decide(run, plan.approver, 'revoke', 'revoke', plan.via, plan.copies, { reason: 'changed my mind' });
          return;
        }
        await before(plan.f2, windowMs / 4);
        await click(run, requester, 'activate', {}, plan.copies);
        let end = approvedAt + windowMs;
        if (plan.extension) {
          const ext = plan.extension;
          await before(plan.f3, Math.max(0, end - clock.now()) / 3);
          const asked = await click(run, requester, 'requestExtension', { minutes: ext.minutes, justification: 'the migration runs long' });
          if (asked?.ok) {
            await sleep(30_000 + plan.f3 * 60_000);
            if (ext.reject) await click(run, ext.approver, 'rejectExtension', { reason: 'no' });
            else {
              await decide(run, ext.approver, 'approveExtension', 'approveExtension', ext.via, plan.copies);
              end += ext.minutes * 60_000;
            }
          }
        }
        if (plan.ending === 'done') {
          await before(plan.f1, end - clock.now());
          if (plan.via === 'panel') await click(run, requester, 'complete', {}, plan.copies);
          else await workflow(run, requester, 'complete', plan.copies);
        } else if (plan.ending === 'revoke') {
          await before(plan.f1, end - clock.now());
          await decide(run, plan.approver, 'revoke', 'revoke', plan.via, plan.copies, { reason: 'done with it' });
        } else {
          await sleep(end - clock.now() + 5 * 60_000);
        }
      } finally {
        // Keep the pair for a while: the grant may still be revoking.
        await sleep(10 * 60_000);
        busy.delete(pair);
      }
    };

    const all = plans();
    let running = 0;
    for (const plan of all) {
      running++;
      clock.setTimer(plan.startAt, () => lifecycle(plan).finally(() => running--));
    }
    // Extra, unscheduled sweeps (at-least-once: a sweep may run twice, or overlap the scheduled one).
    for (let t = T0 + 7 * 60_000; t < T0 + BATCHES * BATCH_GAP_MS + 3 * 3600_000; t += (6 + Math.floor(rnd() * 14)) * 60_000) {
      clock.setTimer(t, () => {
        extraSweeps++;
        return app.sweep().catch(() => undefined);
      });
    }

    // ---- Drive time: one virtual second at a time.
    const tick = async () => {
      await clock.advance(SAMPLE_MS);
      sample();
    };
    while (running > 0 || clock.now() < all[all.length - 1]!.startAt) await tick();
    // Let every grant finish (revokes still retrying), then two more sweeps.
    const openGrants = async () => {
      const r = answer(await app.admin('perm-1', 'listGrants', { scope: 'open' }));
      assert.ok(r.ok);
      return r.data.grants as Array<{ id: string }>;
    };
    for (let i = 0; i < 180 && (await openGrants()).length > 0; i++) for (let s = 0; s < 60; s++) await tick();
    for (let s = 0; s < 6 * 60; s++) await tick();
    await clock.idle();
    app.org.setFaultHook(null);

    // ---- Gather: grants, audit, request log.
    const started = runs.filter((r) => r.issueKey && !r.refused);
    type G = {
      id: string;
      subject: string;
      target: TargetKey;
      status: string;
      outcome?: string;
      window?: { start: string; end: string };
      activation?: { at: string };
      ending?: { at: string };
      extensions: Array<{ status: string }>;
      approvals: unknown[];
      provisioning: { state: string; grantedAt?: string; revokedAt?: string };
    };
    const grants: G[] = [];
    for (const r of started) {
      const v = answer(await app.panel(r.requester!, r.issueKey!, 'getView'));
      assert.ok(v.ok, `view of ${r.issueKey}`);
      grants.push(v.data.view.grant.grant as G);
    }
    const stillOpen = await openGrants();
    assert.deepEqual(
      stillOpen.map((g) => g.id),
      [],
      'every grant finished: ended, with its access confirmed revoked (or never granted)',
    );
    const exported = answer(await app.admin('perm-1', 'exportAudit', { format: 'json' }));
    assert.ok(exported.ok);
    const audit = JSON.parse(exported.data.content) as Array<{ seq: number; event: string; outcome: string; grantId?: string; details: Record<string, unknown> }>;
    const verified = answer(await app.admin('perm-1', 'getAudit', { limit: 1 }));
    assert.ok(verified.ok);
    const log = app.org.requestLog();
    const stats = app.org.stats();
    const queueDuplicates = app.runtime.queue.deliveries.filter((d) => d.duplicate).length;

    // ---- 1. Lateness against the emulator's truth.
    const ms = (s?: string) => (s ? Date.parse(s) : NaN);
    const deadline = (g: G): number | null => {
      if (!g.activation) return null;
      if (g.outcome === 'expired') return ms(g.window!.end);
      if (g.ending) return Math.min(ms(g.ending.at), ms(g.window?.end));
      return null;
    };
    for (const iv of open.values()) iv.end = clock.now();
    const byPair = new Map<string, G[]>();
    for (const g of grants) {
      const k = `${g.subject}|${g.target}`;
      byPair.set(k, [...(byPair.get(k) ?? []), g]);
    }
    const lateness: Array<{ grant: string; ms: number }> = [];
    const unexplained: string[] = [];
    for (const [pair, gs] of byPair) {
      const activated = gs.filter((g) => g.activation).sort((a, b) => ms(a.activation!.at) - ms(b.activation!.at));
      const ivs = intervals.filter((iv) => iv.key === pair);
      for (const iv of ivs) {
        if (!activated.some((g) => ms(g.activation!.at) <= iv.start)) unexplained.push(`${pair} held from ${new Date(iv.start).toISOString()} with no grant activated before`);
      }
      activated.forEach((g, i) => {
        const d = deadline(g);
        if (d === null) return;
        const next = activated[i + 1] ? ms(activated[i + 1]!.activation!.at) : Number.POSITIVE_INFINITY;
        let late = 0;
        for (const iv of ivs) {
          const end = Math.min(iv.end ?? clock.now(), next);
          if (end > d && iv.start < next) late = Math.max(late, end - d);
        }
        lateness.push({ grant: g.id, ms: late });
      });
    }
    for (const iv of intervals) if (!byPair.has(iv.key)) unexplained.push(`${iv.key} held from ${new Date(iv.start).toISOString()} without any grant`);
    lateness.sort((a, b) => a.ms - b.ms);
    const worst = lateness[lateness.length - 1] ?? { grant: '-', ms: 0 };
    const p99 = lateness[Math.min(lateness.length - 1, Math.floor(lateness.length * 0.99))]?.ms ?? 0;
    const over = lateness.filter((l) => l.ms > LATENESS_BOUND_MS);

    const byGrant = new Map<string, typeof audit>();
    for (const r of audit) if (r.grantId) byGrant.set(r.grantId, [...(byGrant.get(r.grantId) ?? []), r]);

    // ---- 2. Every confirmed revoke was read back: before `revokedAt`, after a revoke call, a read
    // of that account's access answered and showed it gone.
    const isWrite = (route: string, kind: 'assign' | 'revoke') =>
      kind === 'assign' ? ['assignOrgRole', 'assignRole', 'addGroupMember'].includes(route) : ['revokeOrgRole', 'revokeRole', 'removeGroupMember'].includes(route);
    const accountOf = (e: (typeof log)[number]) =>
      e.params.userId ?? e.params.accountId ?? (e.body as { accountId?: string } | undefined)?.accountId ?? (e.body as { accountIds?: string[] } | undefined)?.accountIds?.[0];
    const targetOf = (e: (typeof log)[number]): TargetKey | undefined => {
      const body = e.body as { role?: string; resource?: string; groupIds?: string[] } | undefined;
      if (e.route === 'assignOrgRole' || e.route === 'revokeOrgRole') return 'org-admin';
      if (e.route === 'assignRole' || e.route === 'revokeRole') return body?.role === 'atlassian/org-admin' ? 'org-admin' : 'site-admin';
      if (e.route === 'addGroupMember' || e.route === 'removeGroupMember') return e.params.groupId === DEMO_JIRA_ADMINS_GROUP ? 'jira-admins' : undefined;
      if (e.route === 'getUserRoleAssignments') return /org-admin/.test(decodeURIComponent(e.query)) ? 'org-admin' : 'site-admin';
      if (e.route === 'searchUsers' && body?.groupIds?.includes(DEMO_JIRA_ADMINS_GROUP)) return 'jira-admins';
      return undefined;
    };
    /** A read of one account's access (role assignments, or group membership by account). */
    const isReadBack = (e: (typeof log)[number]) =>
      e.status === 200 && (e.route === 'getUserRoleAssignments' || (e.route === 'searchUsers' && Array.isArray((e.body as { accountIds?: unknown })?.accountIds)));
    /** What the read answered: no direct assignment of the role, or no such member. */
    const showsGone = (e: (typeof log)[number]) => {
      const data = (e.response as { data?: Array<{ roleAssignments?: Array<{ roleAssignmentMethods?: string[] }> }> } | undefined)?.data ?? [];
      if (e.route === 'searchUsers') return data.length === 0;
      return !data.some((entry) => (entry.roleAssignments ?? []).some((ra) => (ra.roleAssignmentMethods ?? []).includes('direct')));
    };
    const unverified: string[] = [];
    for (const g of grants) {
      if (!g.provisioning.revokedAt) continue;
      const at = ms(g.provisioning.revokedAt);
      const pairLog = log.filter((e) => accountOf(e) === g.subject && targetOf(e) === g.target && e.receivedAt >= ms(g.activation?.at) && e.receivedAt <= at);
      const proof = pairLog.find((r) => isReadBack(r) && showsGone(r) && (r.servedAt ?? Infinity) <= at && pairLog.some((w) => isWrite(w.route, 'revoke') && w.seq < r.seq));
      if (!proof) unverified.push(`${g.id}: revokedAt ${g.provisioning.revokedAt} with no read showing the access gone after a revoke call`);
    }
    // And every revoke write the API accepted is followed by a read of that account.
    const unreadRevokes = log.filter(
      (e) => isWrite(e.route, 'revoke') && (e.status === 204 || e.status === 'dropped') && !log.some((r) => r.seq > e.seq && isReadBack(r) && accountOf(r) === accountOf(e)),
    );

    // ---- 3. No grant applied twice.
    const twice: string[] = [];
    for (const g of grants) {
      const recs = byGrant.get(g.id) ?? [];
      const n = (event: string) => recs.filter((r) => r.event === event && r.outcome === 'accepted').length;
      if (n('activate') > 1) twice.push(`${g.id}: ${n('activate')} accepted activate records`);
      if (n('accessGranted') > 1) twice.push(`${g.id}: ${n('accessGranted')} accepted accessGranted records`);
    }
    // An assign for (subject, target) must belong to a grant activated before it and not yet
    // confirmed revoked when the org received it.
    const assignsAfterRevoke: string[] = [];
    for (const e of log.filter((x) => isWrite(x.route, 'assign'))) {
      const pair = `${accountOf(e)}|${targetOf(e)}`;
      const owner = (byPair.get(pair) ?? [])
        .filter((g) => g.activation && ms(g.activation.at) <= e.receivedAt)
        .sort((a, b) => ms(b.activation!.at) - ms(a.activation!.at))[0];
      if (!owner) assignsAfterRevoke.push(`assign #${e.seq} for ${pair} with no activated grant`);
      else if (owner.provisioning.revokedAt && e.receivedAt > ms(owner.provisioning.revokedAt)) {
        assignsAfterRevoke.push(`assign #${e.seq} for ${pair} received ${e.receivedAt - ms(owner.provisioning.revokedAt)} ms after ${owner.id} was confirmed revoked`);
      }
    }

    // ---- 4. Audit chain complete and valid.
    const missing: string[] = [];
    for (const g of grants) {
      const events = new Set((byGrant.get(g.id) ?? []).map((r) => r.event));
      const need = ['submitRequest'];
      if (g.approvals.length) need.push('approve');
      if (g.activation) need.push('activate');
      if (g.provisioning.grantedAt) need.push('accessGranted');
      if (g.provisioning.revokedAt) need.push('accessRevoked');
      const endEvent: Record<string, string> = { completed: 'complete', revoked: 'revoke', expired: 'expire', rejected: 'reject', cancelled: 'cancel', failed: 'grantFailed', ineligible: 'endedByPolicy', unapproved: 'expire' };
      if (g.outcome) need.push(endEvent[g.outcome]!);
      if (g.extensions.length) need.push('requestExtension');
      if (g.extensions.some((x) => x.status === 'approved')) need.push('approveExtension');
      for (const ev of need) if (!events.has(ev)) missing.push(`${g.id}: no ${ev}`);
    }

    // ---- 5. Permanent admins untouched.
    const permanentWrites = log.filter((e) => isWrite(e.route, 'revoke') && PERMANENT.includes(accountOf(e) ?? ''));

    // ---- Figures.
    const outcomes: Record<string, number> = {};
    for (const g of grants) outcomes[g.outcome ?? g.status] = (outcomes[g.outcome ?? g.status] ?? 0) + 1;
    console.log(
      [
        `lifecycles: ${started.length} started (${runs.length - started.length} refused at submit), outcomes ${JSON.stringify(outcomes)}`,
        `org API: ${stats.totalCalls} calls, ${stats.totalFaults} faults injected ${JSON.stringify(stats.faults)}`,
        `duplicates delivered: ${queueDuplicates} queue events twice, ${duplicates} extra clicks/post-function deliveries, ${extraSweeps} extra sweeps`,
        `lateness (bound ${LATENESS_BOUND_MS / 1000} s) over ${lateness.length} held grants: worst ${worst.ms / 1000} s (${worst.grant}), p99 ${p99 / 1000} s; over the bound: ${over.length}`,
        `samples: ${samples}; fewest org admins seen: ${minAdmins}; audit records: ${audit.length}; wall time ${((Date.now() - wallStart) / 1000).toFixed(1)} s`,
      ].join('\n'),
    );
    // Lateness by the number of failed revoke attempts the grant recorded (the core's retries).
    const failedAttempts = (id: string) => new Set((byGrant.get(id) ?? []).filter((r) => r.event === 'revokeFailed').map((r) => r.details.attempt)).size;
    const byFailures = new Map<number, number[]>();
    for (const l of lateness) byFailures.set(failedAttempts(l.grant), [...(byFailures.get(failedAttempts(l.grant)) ?? []), l.ms]);
    const heldBack = audit.filter((r) => r.event === 'revokeFailed');
    const codes: Record<string, number> = {};
    for (const r of heldBack) codes[String(r.details.code)] = (codes[String(r.details.code)] ?? 0) + 1;
    console.log(
      `lateness by failed revoke attempts: ${[...byFailures.entries()].sort(([a], [b]) => a - b).map(([f, l]) => `${f} failed: ${l.length} grants, worst ${Math.max(...l) / 1000} s`).join('; ')}`,
    );
    console.log(`failed revoke attempts by code: ${JSON.stringify(codes)}`);
    if (over.length) {
      for (const o of over.slice(-5)) {
        const g = grants.find((x) => x.id === o.grant)!;
        const trail = (byGrant.get(g.id) ?? []).map((r) => `${r.event}/${r.outcome}${r.details.code ? `(${String(r.details.code)})` : ''}`).join(' ');
        console.log(`  late ${o.ms / 1000} s: ${g.id} ${g.subject} ${g.target} ${g.outcome} revokedAt=${g.provisioning.revokedAt ?? '-'} :: ${trail}`);
      }
    }

    assert.ok(started.length >= 200, `at least 200 lifecycles ran (${started.length})`);
    assert.ok(stats.totalFaults > 0 && Object.values(stats.faults).every((n) => n > 0), 'every fault kind was injected');
    assert.ok(queueDuplicates > 0, 'queue events were duplicated');
    assert.deepEqual(violations.slice(0, 5), [], 'the permanent admins kept org admin and the org never had zero admins');
    assert.deepEqual(permanentWrites.map((e) => `#${e.seq} ${e.route} ${accountOf(e)}`), [], 'no revoke call named a permanent admin');
    assert.deepEqual(unexplained.slice(0, 5), [], 'nobody held a target without a grant');
    assert.deepEqual(unverified.slice(0, 5), [], 'every revokedAt was preceded by a read that showed the access gone, after a revoke call');
    assert.deepEqual(unreadRevokes.map((e) => `#${e.seq}`).slice(0, 5), [], 'every accepted revoke call was followed by a read of that account');
    assert.deepEqual(twice.slice(0, 5), [], 'no grant was activated or recorded as granted twice');
    assert.deepEqual(assignsAfterRevoke.slice(0, 5), [], 'no assign reached the org for a grant after its revoke was confirmed');
    assert.equal(verified.data.verification.valid, true, 'the audit chain verifies');
    assert.deepEqual(missing.slice(0, 5), [], "every grant's lifecycle is in the audit log");
    assert.deepEqual(
      over.map((o) => `${o.grant} ${o.ms / 1000}s`),
      [],
      `nobody held a target more than ${LATENESS_BOUND_MS / 1000} s past its window end, done or revoke`,
    );
  } finally {
    clock.setSettle(null);
    await app.close();
  }
});

/**
 * The outliers above (a revoke held back twice, 100 s and more late; e.g. RELIABILITY_SEED=4) are
 * all `HOLDERS_UNKNOWN`: before revoking org admin the guard reads every org admin (a search page
 * per 3 and a role read per candidate) and refuses unless every one of those calls succeeds. One
 * read that keeps failing, of an account that doesn't matter to the floor, then holds back every
 * org-admin revoke, though the permanent admins it did confirm already keep the floor.
 */
test('one org-admin read that keeps failing does not hold back a revoke the confirmed admins already allow', async () => {
  const clock = new VirtualClock(T0);
  const app = await startLocalApp({ clock, scheduleSweep: true });
  try {
    await app.seedPolicy();
    const activate = async (who: string, minutes: number) => {
      const issue = app.createIssue(`Org admin for ${who}`, who);
      assert.ok(answer(await app.panel(who, issue.key, 'submitRequest', { target: 'org-admin', durationMinutes: minutes, justification: 'rotate the SAML certificate' })).ok);
      assert.ok(answer(await app.panel('bob', issue.key, 'approve')).ok);
      assert.ok(answer(await app.panel(who, issue.key, 'activate')).ok);
      return issue.key;
    };
    const key = await activate('alice', 30);
    await activate('erin', 240);
    // From now on every read of erin's role assignments fails; perm-1..3 read fine.
    app.org.setFaultHook(({ route, params }) => (route === 'getUserRoleAssignments' && params.accountId === 'erin' ? '503' : null));
    let heldUntil = 0;
    for (let t = 0; t < 40 * 60_000; t += 1000) {
      await clock.advance(1000);
      if (app.org.holders().orgAdmins.includes('alice')) heldUntil = clock.now();
    }
    const end = T0 + 30 * 60_000;
    const v = answer(await app.panel('alice', key, 'getView'));
    assert.ok(v.ok);
    const attempts = (v.data.timeline as Array<{ event: string; details: { code?: string } }>).filter((r) => r.event === 'revokeFailed').map((r) => r.details.code);
    const late = Math.max(0, heldUntil - end);
    console.log(`one unreadable org admin (erin): alice held ${late / 1000} s past her window end; revoke attempts held back: ${JSON.stringify(attempts)}; grant ${v.data.view.grant.grant.provisioning.state}`);
    assert.ok(
      late <= LATENESS_BOUND_MS,
      `alice held org admin ${late / 1000} s past her window end: every revoke attempt was held back as HOLDERS_UNKNOWN because erin's role read failed, though perm-1..3 were read as org admins`,
    );
  } finally {
    await app.close();
  }
});
