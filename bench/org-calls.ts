/**
 * Org-API calls per grant lifecycle, counted by the org-admin emulator (`app.org.stats()`, per
 * route) around each step of a grant run through the real handlers: request → approve → activate
 * → done, and request → approve → activate → window end (the queue's wake-up). The five-minute
 * sweep is off while a lifecycle runs, and counted on its own (its cost is per run, not per grant).
 */
import { benchApp, benchUser, panelOk, type BenchApp } from './app';

export interface StepCalls {
  step: string;
  calls: number;
  routes: Record<string, number>;
}

export interface LifecycleCalls {
  target: string;
  ending: 'done' | 'expiry';
  total: number;
  steps: StepCalls[];
}

/** Queue deliveries (consumer invocations) one grant causes, from request until every event is spent. */
export interface QueueReport {
  grant: string;
  deliveries: number;
  /** Deliveries per wake-up time: which chain of "wake me at T" events they belong to. */
  chains: Array<{ at: string; meaning: string; deliveries: number }>;
  /** Deliveries of chains whose time was no longer the grant's next wake-up when they were pushed over. */
  stale: number;
}

export interface OrgCallsReport {
  queue: QueueReport;
  lifecycles: LifecycleCalls[];
  /** One sweep with nothing open (the three permanent org admins only), and with one active grant. */
  sweepIdle: StepCalls;
  sweepOneActive: StepCalls;
  /** Why each route is called, from forge-app/src/adapters/orgAdmin.ts and handlers/act.ts. */
  why: Record<string, string>;
  pageSize: number;
}

/** Route (as the emulator names it) → why the app calls it. */
export const WHY: Array<[RegExp, string]> = [
  [/^POST .*role-assignments\/assign$/, 'grant: the one write of a healthy assign (no read-back after assigning)'],
  [/^POST .*role-assignments\/revoke$/, 'revoke: the one write of a healthy revoke'],
  [/^POST .*\/roles\/assign$/, 'grant of a resource role (site admin): one write'],
  [/^POST .*\/roles\/revoke$/, 'revoke of a resource role: one write'],
  [/^POST .*\/memberships$/, 'grant of a group membership: one write'],
  [/^DELETE .*\/memberships\//, 'revoke of a group membership: one write'],
  [/^GET .*\/users\/[^/]+\/role-assignments$/, 'read one user’s role assignments: the revoke read-back (one), and, in a holder listing, one per account the listing cannot classify (a member of a group holding the role, or an org admin for a resource role)'],
  [/^GET .*\/groups\/[^/]+\/role-assignments$/, 'read a group’s roles: which resource a group holding a resource role holds it on (holder listing)'],
  [/^POST .*\/groups\/search$/, 'groups/search: groups that hold the role (holder listing), whose members hold it through the group'],
  [/^GET .*\/directories$/, 'Get directories: the real directory of a group write (once per invocation)'],
  [/^POST .*\/users\/search$/, 'users/search: a holder listing page (admin-floor guard before an org-admin revoke; the sweep), or the group revoke read-back'],
  [/^GET .*\/groups\/[^/]+$/, 'read a group (externalSynced), first call of a group holder listing (the sweep)'],
];

export function why(route: string): string {
  return WHY.find(([re]) => re.test(route))?.[1] ?? '?';
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, n] of Object.entries(after)) {
    const d = n - (before[route] ?? 0);
    if (d > 0) out[route] = d;
  }
  return out;
}

async function counted(app: BenchApp, step: string, run: () => Promise<unknown>): Promise<StepCalls> {
  const before = (app.org.stats() as unknown as { calls: Record<string, number> }).calls;
  await run();
  const routes = diff((app.org.stats() as unknown as { calls: Record<string, number> }).calls, before);
  return { step, calls: Object.values(routes).reduce((a, b) => a + b, 0), routes };
}

async function lifecycle(app: BenchApp, user: string, target: string, ending: 'done' | 'expiry'): Promise<LifecycleCalls> {
  const issue = app.createIssue(`${target} for the benchmark`, user);
  const steps: StepCalls[] = [];
  steps.push(await counted(app, 'request', () => panelOk(app, user, issue.key, 'submitRequest', { target, durationMinutes: 60, justification: 'benchmark the org-API cost' })));
  steps.push(await counted(app, 'approve', () => panelOk(app, 'bob', issue.key, 'approve')));
  let end = 0;
  steps.push(
    await counted(app, 'activate', async () => {
      const data = await panelOk(app, user, issue.key, 'activate');
      end = Date.parse(data.view.grant.grant.window.end);
    }),
  );
  if (ending === 'done') {
    steps.push(await counted(app, 'done', () => panelOk(app, user, issue.key, 'complete')));
  } else {
    // Everything until the window end: the queue's wake-ups (hops of ≤ 900 s) and the expiry's revoke.
    steps.push(await counted(app, 'window end (queue wake-up, expiry)', () => app.clock.advanceTo(end)));
  }
  const grant = (await panelOk(app, user, issue.key, 'getView')).view.grant.grant;
  if (grant.provisioning.state !== 'revoked') throw new Error(`org-calls: ${target}/${ending}: access ended ${grant.provisioning.state}, not revoked`);
  return { target, ending, total: steps.reduce((n, s) => n + s.calls, 0), steps };
}

/**
 * One org-admin grant, requested at T0, approved 5 min later, activated a minute after, its
 * 60-minute window left to run out; then time runs on for 25 h, until every queued event is spent.
 */
export async function queuePerLifecycle(): Promise<QueueReport> {
  const app = await benchApp(1, { scheduleSweep: false });
  try {
    const user = benchUser(0);
    const issue = app.createIssue('org admin, queue cost', user);
    await panelOk(app, user, issue.key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'benchmark the queue cost' });
    const requested = (await panelOk(app, user, issue.key, 'getView')).view.grant.grant;
    await app.clock.advance(5 * 60_000);
    await panelOk(app, 'bob', issue.key, 'approve');
    await app.clock.advance(60_000);
    const active = (await panelOk(app, user, issue.key, 'activate')).view.grant.grant;
    await app.clock.advance(25 * 3600_000);
    const pending = app.runtime.queue.events({ state: 'pending' }).length;
    if (pending) throw new Error(`queue: ${pending} events still pending after 25 h`);
    const bodies = new Map(app.runtime.queue.events().map((e) => [e.eventId, e.body as { kind?: string; at?: string }]));
    const byAt = new Map<string, number>();
    for (const d of app.runtime.queue.deliveries) {
      const body = bodies.get(d.eventId);
      const key = body?.kind === 'wake' ? String(body.at) : `(${body?.kind ?? '?'})`;
      byAt.set(key, (byAt.get(key) ?? 0) + 1);
    }
    const end = active.window.end as string;
    const meaning = (at: string) =>
      at === end ? 'the window end (useful)' : at === requested.approvalDeadline ? 'the approval deadline, set at the request (stale once approved)' : at.startsWith('(') ? 'outbox drain' : 'another wake-up (stale: superseded)';
    const chains = [...byAt.entries()].map(([at, deliveries]) => ({ at, meaning: meaning(at), deliveries })).sort((a, b) => b.deliveries - a.deliveries);
    return {
      grant: '60-minute org-admin grant, approved after 5 min, activated after 6 min, left to expire',
      deliveries: app.runtime.queue.deliveries.length,
      chains,
      stale: chains.filter((c) => c.meaning.includes('stale')).reduce((n, c) => n + c.deliveries, 0),
    };
  } finally {
    await app.close();
  }
}

export async function orgCalls(): Promise<OrgCallsReport> {
  const queue = await queuePerLifecycle();
  const app = await benchApp(8, { scheduleSweep: false });
  try {
    const sweepIdle = await counted(app, 'sweep (idle)', () => app.sweep());
    const lifecycles: LifecycleCalls[] = [];
    let u = 0;
    for (const target of ['org-admin', 'site-admin', 'jira-admins']) {
      for (const ending of ['done', 'expiry'] as const) lifecycles.push(await lifecycle(app, benchUser(u++), target, ending));
    }
    // One sweep while an org-admin grant is active: one more candidate to read.
    const issue = app.createIssue('org admin during a sweep', benchUser(u));
    await panelOk(app, benchUser(u), issue.key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'benchmark the sweep cost' });
    await panelOk(app, 'bob', issue.key, 'approve');
    await panelOk(app, benchUser(u), issue.key, 'activate');
    const sweepOneActive = await counted(app, 'sweep (one org admin grant active)', () => app.sweep());
    const routes = new Set([...lifecycles.flatMap((l) => l.steps.flatMap((s) => Object.keys(s.routes))), ...Object.keys(sweepIdle.routes), ...Object.keys(sweepOneActive.routes)]);
    return { queue, lifecycles, sweepIdle, sweepOneActive, why: Object.fromEntries([...routes].sort().map((r) => [r, why(r)])), pageSize: 3 };
  } finally {
    await app.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await orgCalls(), null, 2));
}
