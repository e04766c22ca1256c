/**
 * Sweep inputs of any size, from the templates in fixtures.ts: `n` grants spread over the demo
 * policy's three targets, and `n` holders (each grant's subject holds its target) plus the three
 * permanent org admins. Of every 100 grants, one has ended but its access is still held (a revoke),
 * one is past its window end (due for a tick), and 98 are active and cover their holder.
 *
 * core/benches/decide.rs builds exactly the same inputs (`expand`); the bench compares the two
 * sweeps' fingerprints and counts, so a difference between the generators shows up as a failure.
 */
import type { Grant, SweepInput } from '../forge-app/src/decision/core';
import type { SweepTemplate } from './fixtures';

export function sweepInput(t: SweepTemplate, n: number): SweepInput {
  const targets = t.policy.targets ?? [];
  const holders = new Map<string, string[]>(targets.map((target) => [target.key, []]));
  const orgAdmin = targets.find((target) => target.access.type === 'orgRole');
  if (orgAdmin) holders.get(orgAdmin.key)!.push(...(t.policy.permanentAdmins ?? []));
  const grants: Grant[] = [];
  for (let i = 0; i < n; i++) {
    const target = targets[i % targets.length]!;
    const kind = i % 100 === 0 ? t.ended : i % 100 === 1 ? t.due : t.active;
    const account = `u${String(i).padStart(6, '0')}`;
    const id = `JIT-${i + 1}`;
    grants.push({ ...structuredClone(kind), id, issueKey: id, subject: account, requester: account, target: target.key, targetLabel: target.label, access: structuredClone(target.access) });
    holders.get(target.key)!.push(account);
  }
  return {
    policy: t.policy,
    grants,
    snapshot: { complete: true, targets: targets.map((target) => ({ target: target.key, complete: true, externallySynced: false, holders: holders.get(target.key)! })) },
    now: t.now,
    auditHead: t.auditHead,
    previousFingerprint: null,
  };
}
