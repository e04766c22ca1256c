/**
 * The whole app for the end-to-end benchmarks: `startLocalApp` (org-admin and Jira emulators, the
 * local Forge runtime, the real handlers) on a `VirtualClock`, with the demo policy opened to a
 * group of benchmark requesters, so a thousand grants can each have their own subject.
 */
import { VirtualClock, type TimerClock } from '../playground/forge-runtime/index';
import { demoPolicy, startLocalApp, type LocalApp, type LocalAppOptions } from '../playground/local-app';
import type { Policy } from '../forge-app/src/decision/core';

export const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);
/** The Jira group every benchmark user is in; the policy lets it request every target. */
export const BENCH_GROUP = { name: 'jit-bench-requesters', groupId: 'b3e1c0de-0000-4000-8000-00000000be01' };

export const benchUser = (i: number) => `bench-${String(i).padStart(5, '0')}`;

/** The demo policy, with the benchmark group added to every target's requesters. */
export function benchPolicy(): Policy {
  const policy = demoPolicy();
  for (const target of policy.targets ?? []) {
    target.requesters = { ...target.requesters, groupIds: [...(target.requesters?.groupIds ?? []), BENCH_GROUP.groupId] };
  }
  return policy;
}

export type BenchApp = LocalApp & { clock: VirtualClock };

/**
 * Starts the app with `users` benchmark users (in Jira, in the group, and in the org) and the bench
 * policy saved; on a `VirtualClock` at T0 unless `options.clock` says otherwise.
 */
export async function benchApp(users: number, options: Partial<LocalAppOptions> = {}): Promise<BenchApp> {
  const app = await startLocalApp({ clock: new VirtualClock(T0), ...options });
  try {
    const accounts = Array.from({ length: users }, (_, i) => benchUser(i));
    for (const accountId of accounts) app.jira.seedUser({ accountId, displayName: `Bench user ${accountId}`, groups: [BENCH_GROUP] });
    app.org.seed({ users: accounts.map((accountId) => ({ accountId, name: `Bench user ${accountId}`, email: `${accountId}@acme.example` })) });
    await app.seedPolicy(benchPolicy());
  } catch (e) {
    await app.close();
    throw e;
  }
  return app as BenchApp;
}

/** The answer envelope of a resolver call. */
export type Answer = { ok: true; data: any } | { ok: false; error: { code: string; message: string } };

/** Calls a panel function and throws on a refusal. */
export async function panelOk(app: LocalApp, accountId: string, issueKey: string, fn: string, payload?: unknown): Promise<any> {
  const r = (await app.panel(accountId, issueKey, fn, payload)) as Answer;
  if (!r.ok) throw new Error(`${fn} on ${issueKey} as ${accountId} refused: ${r.error.code} ${r.error.message}`);
  return r.data;
}
