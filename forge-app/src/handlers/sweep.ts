/**
 * The five-minute sweep: reads who actually holds each target, asks the core what brings
 * reality back to policy, and does it — ticking due grants, finishing stuck outboxes, revoking
 * leftovers and drift (through the same revocation guard), and recording what it found.
 */
import { core, type Grant, type Policy, type StatusCategoryKey, type TargetHolders } from '../decision/core';
import type { AccessTarget } from '../adapters/orgAdmin';
import type { Ports, StoredGrant } from '../ports';
import { act } from './act';
import { appendAudit, backoff, dispatch, drain, iso, mirror, propertyIsCurrent, recordUngranted } from './dispatch';

/** Ended grants are remembered this long, so access still held after them is recognised as such. */
const MEMORY_MS = 7 * 24 * 3600_000;

export interface SweepSummary {
  ran: boolean;
  due: number;
  findings: number;
  revocations: number;
  drained: number;
  /** Open grants whose issue status was ahead of them (reported, never acted on). */
  diverged: number;
}

export async function runSweep(ports: Ports): Promise<SweepSummary> {
  const { store, clock, org, log } = ports;
  const policyDoc = await store.policy();
  if (!policyDoc) return { ran: false, due: 0, findings: 0, revocations: 0, drained: 0, diverged: 0 };
  const policy = policyDoc.policy;

  // Load: a fresh read of every target's holders, THEN the grants. In this order a grant that
  // gives access during the read is already saved (as granting) when the grants are read, so its
  // holder is covered; read the other way round, it would look like drift or a leftover.
  const targets: TargetHolders[] = [];
  for (const target of policy.targets ?? []) {
    const snapshot = await org.holders(target.access as AccessTarget);
    targets.push({ target: target.key, complete: snapshot.complete, externallySynced: snapshot.externallySynced, holders: snapshot.holders });
    if (!snapshot.complete) log.warn('holder read incomplete', { target: target.key, error: snapshot.error?.code });
  }
  const snapshot = { complete: targets.every((t) => t.complete), targets };
  const [open, recent] = await Promise.all([store.openGrants(), store.grantsUpdatedSince(clock.now() - MEMORY_MS)]);
  const byId = new Map<string, StoredGrant>();
  for (const s of [...recent, ...open]) byId.set(s.grant.id, s);
  const grants: Grant[] = [...byId.values()].map((s) => s.grant);

  // Decide, and record the findings (retrying if another writer moved the audit head).
  let answer;
  for (let attempt = 1; ; attempt++) {
    const [head, previous] = await Promise.all([store.auditHead(), store.sweepState()]);
    answer = core.sweep({
      policy,
      grants,
      snapshot,
      now: iso(clock.now()),
      auditHead: head,
      previousFingerprint: previous?.fingerprint ?? null,
      previousFindings: previous?.findings ?? [],
    });
    if (!answer.ok) throw new Error(`the core refused the sweep: ${answer.error.message}`);
    if ((await appendAudit(ports, answer.audit, head)) === 'ok') break;
    if (attempt >= 8) throw new Error('could not record the sweep: the audit log kept changing');
    await backoff(attempt);
  }
  await store.saveSweepState({
    at: iso(clock.now()),
    fingerprint: answer.fingerprint,
    findings: answer.findings,
    floor: answer.floor,
    holders: targets.map((t) => ({ ...t, externallySynced: t.externallySynced ?? false })),
  });

  // Act: due grants first (their own revokes), then unfinished outboxes, then the sweep's actions.
  for (const grantId of answer.due) {
    if (clock.now() >= ports.deadline) break;
    await dispatch(ports, { grantId, event: { type: 'tick' }, actor: null, source: 'system' });
  }
  let drained = 0;
  for (const s of open) {
    if (s.outbox.length === 0 || answer.due.includes(s.grant.id) || clock.now() >= ports.deadline) continue;
    await drain(ports, s.grant.id, 0, policy);
    drained++;
  }
  let revocations = 0;
  for (const action of answer.actions) {
    if (clock.now() >= ports.deadline) break;
    const outcome = await act(ports, policy, action);
    if (action.type === 'revoke') {
      revocations++;
      if (outcome.event) await recordUngranted(ports, outcome.event);
    }
  }

  // Reconcile Jira with the grants: a status the core never reached (a post-function that gave up
  // after its four retries, a workflow without the validators) and an issue property that no
  // longer says what the core says (a failed mirror write, a rewrite, time moving on).
  let diverged = 0;
  for (const s of open) {
    if (clock.now() >= ports.deadline) break;
    try {
      if (await reconcileIssue(ports, policy, s.grant.id)) diverged++;
    } catch (error) {
      log.warn('could not reconcile an issue with its grant; the next sweep tries again', { grantId: s.grant.id, error: String(error) });
    }
  }
  log.info('sweep done', { due: answer.due.length, findings: answer.findings.length, revocations, drained, diverged });
  return { ran: true, due: answer.due.length, findings: answer.findings.length, revocations, drained, diverged };
}

const STATUS_CATEGORIES: readonly string[] = ['new', 'indeterminate', 'done'];

/**
 * Compares one open grant with its issue. The sweep knows the issue's status but not who moved
 * it, and the core acts only on an event with its real actor, so a status ahead of the grant is
 * reported (an alert for the admins, a comment on the issue), never turned into a grant or a
 * revocation; the grant keeps its own clock (an active one still ends at its window end). Returns
 * whether the status had diverged.
 */
async function reconcileIssue(ports: Ports, policy: Policy, grantId: string): Promise<boolean> {
  const stored = await ports.store.grant(grantId);
  if (!stored) return false;
  const { grant } = stored;
  const issue = await ports.jira.issue(grant.issueKey);
  if (!issue) return false;
  const now = ports.clock.now();
  const category = issue.statusCategory && STATUS_CATEGORIES.includes(issue.statusCategory) ? (issue.statusCategory as StatusCategoryKey) : undefined;
  const answer = core.gate({ policy, grant, now: iso(now), ...(category ? { statusCategory: category } : {}) });
  if (!answer.ok) throw new Error(`the core refused the gate: ${answer.error.message}`);
  for (const action of answer.actions) await act(ports, policy, action);
  if (!propertyIsCurrent(await ports.jira.grantProperty(grant.issueKey), grant, policy, now)) await mirror(ports, grant, policy);
  return answer.divergence !== undefined;
}

