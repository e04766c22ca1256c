/**
 * The five-minute sweep: reads who actually holds each target, asks the core what brings
 * reality back to policy, and does it — ticking due grants, finishing stuck outboxes, revoking
 * leftovers and drift (through the same revocation guard), and recording what it found.
 */
import { core, type Grant, type TargetHolders } from '../decision/core';
import type { AccessTarget } from '../adapters/orgAdmin';
import type { Ports, StoredGrant } from '../ports';
import { act } from './act';
import { appendAudit, backoff, dispatch, drain, iso, recordUngranted } from './dispatch';

/** Ended grants are remembered this long, so access still held after them is recognised as such. */
const MEMORY_MS = 7 * 24 * 3600_000;

export interface SweepSummary {
  ran: boolean;
  due: number;
  findings: number;
  revocations: number;
  drained: number;
}

export async function runSweep(ports: Ports): Promise<SweepSummary> {
  const { store, clock, org, log } = ports;
  const policyDoc = await store.policy();
  if (!policyDoc) return { ran: false, due: 0, findings: 0, revocations: 0, drained: 0 };
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
      formerPermanentAdmins: policyDoc.formerPermanentAdmins ?? [],
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
  log.info('sweep done', { due: answer.due.length, findings: answer.findings.length, revocations, drained });
  return { ran: true, due: answer.due.length, findings: answer.findings.length, revocations, drained };
}

