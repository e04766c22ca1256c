/**
 * The five-minute sweep: reads who actually holds each target, asks the core what brings
 * reality back to policy, and does it — ticking due grants, finishing stuck outboxes, revoking
 * leftovers and drift (through the same revocation guard), and recording what it found.
 */
import { core, type Access, type Actor, type Grant, type Policy, type StatusCategory, type TargetHolders } from '../decision/core';
import type { GrantStore, Ports, StoredGrant, SweepState } from '../ports';
import type { DriftReport } from '../shared/types';
import { again, conflictBackoff, done, retry, wallClock } from '../shared/retry';
import { act, alertOrgApiProblem } from './act';
import { appendAudit, dispatch, drain, fitsInline, iso, mirror, propertyIsCurrent, recordUngranted } from './dispatch';
import { requesterFor } from './identity';
import { applyPolicyToOpenGrants } from './policyApply';

/** Ended grants are remembered this long, so access still held after them is recognised as such. */
const MEMORY_MS = 7 * 24 * 3600_000;
/**
 * Open grants reviewed per sweep, in turn (the next sweep continues where this one stopped): their
 * requester's standing under today's policy and their Jira issue are checked even when nothing is
 * due and their subject holds nothing yet, and a grant stored before `dueAt` existed is still
 * ticked. A pass over every open grant starts at most every `REVIEW_PERIOD_MS`: with a few open
 * grants, each is reviewed every 15 minutes; with hundreds, 120 an hour.
 */
const REVIEW_PER_SWEEP = 10;
const REVIEW_PERIOD_MS = 15 * 60_000;
/** Grants are stamped by the writing invocation's clock: the sweep reads changes from this far back. */
const CLOCK_SKEW_MS = 60_000;

/**
 * Forge allows 100 egress requests per invocation. The holder reads classify most accounts from a few
 * listing pages; the accounts a listing cannot classify (members of a group holding the role, org
 * admins for a resource role) cost one read each, so each sweep reads at most this many per target
 * and the next sweep continues where it stopped.
 */
const ACCOUNT_READS_PER_TARGET = 20;
/** Requests kept for the sweep's own revocations (guard reads, the revoke, its read-back). */
const RESERVE_FOR_ACTIONS = 16;
/** What one target's listing usually costs, kept for the targets still to read. */
const LISTING_ESTIMATE = 6;
/** Below this many requests left, a revoke (guard reads + revoke + read-back) is left for the next sweep. */
const REVOKE_COST = 8;

export interface SweepSummary {
  ran: boolean;
  due: number;
  findings: number;
  revocations: number;
  drained: number;
  /** Open grants the current policy no longer allowed, sent a `policyCheck`. */
  ineligible: number;
  /** Open grants whose issue status was ahead of them (reported, never acted on). */
  diverged: number;
}

/** JSON with sorted keys: two copies of one access compare equal however their keys are ordered. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  );

/**
 * Every open grant and those updated within `MEMORY_MS`: the most the sweep could need (the
 * playground's holder explanation reads them; the sweep itself reads only what it needs, see
 * `runSweep`).
 */
export async function grantsToWatch(ports: Pick<Ports, 'clock'> & { store: GrantStore }): Promise<{ open: StoredGrant[]; grants: Grant[] }> {
  const [open, recent] = await Promise.all([ports.store.openGrants(), ports.store.grantsUpdatedSince(ports.clock.now() - MEMORY_MS)]);
  const byId = new Map<string, StoredGrant>();
  for (const s of [...recent, ...open]) byId.set(s.grant.id, s);
  return { open, grants: [...byId.values()].map((s) => s.grant) };
}

/**
 * Whether two sweep states say the same, apart from when they were taken: orphan accesses'
 * `until` may move by less than a day without a write (it is a memory of days).
 */
function sameState(a: SweepState, b: SweepState): boolean {
  const day = (iso: string) => iso.slice(0, 10);
  const plain = (s: SweepState) => canonical({ ...s, at: undefined, orphans: s.orphans?.map((o) => ({ ...o, until: day(o.until) })) });
  return plain(a) === plain(b);
}

export async function runSweep(ports: Ports): Promise<SweepSummary> {
  const { store, clock, org, log } = ports;
  const policyDoc = await store.policy();
  if (!policyDoc) return { ran: false, due: 0, findings: 0, revocations: 0, drained: 0, ineligible: 0, diverged: 0 };
  const policy = policyDoc.policy;

  // Load: a fresh read of every target's holders, THEN the grants. In this order a grant that
  // gives access during the read is already saved (as granting) when the grants are read, so its
  // holder is covered; read the other way round, it would look like drift or a leftover.
  // Each target's read gets a share of the invocation's requests; the accounts it cannot afford are
  // read by later sweeps (from the cursor), the last sweep's holders re-read first so they stay seen.
  const before = await store.sweepState();
  const now = clock.now();
  const targets: Array<DriftReport['holders'][number] & TargetHolders> = [];
  const unread: Record<string, number> = {};
  const accountCursors: Record<string, string> = {};
  const policyTargets = policy.targets ?? [];
  const read = async (key: string, access: Access, tagged: boolean, reserveRequests: number) => {
    const previous = before?.holders.find((h) => h.target === key);
    const snapshot = await org.holders(access, {
      confirmFirst: previous?.holders ?? [],
      maxAccountReads: ACCOUNT_READS_PER_TARGET,
      reserveRequests,
      ...(!tagged && before?.accountCursors?.[key] ? { accountCursor: before.accountCursors[key] } : {}),
    });
    targets.push({
      target: key,
      complete: snapshot.complete,
      externallySynced: snapshot.externallySynced,
      ...(tagged ? { access } : {}),
      holders: snapshot.holders,
      viaGroups: snapshot.viaGroups ?? [],
    });
    if (!tagged && snapshot.unread?.length) unread[key] = snapshot.unread.length;
    if (!tagged && snapshot.accountCursor) accountCursors[key] = snapshot.accountCursor;
    if (!snapshot.complete) log.warn('holder read incomplete', { target: key, error: snapshot.error?.code });
    if (snapshot.error) await alertOrgApiProblem(ports, snapshot.error);
  };
  for (const [i, target] of policyTargets.entries()) {
    await read(target.key, target.access, false, RESERVE_FOR_ACTIONS + (policyTargets.length - i - 1) * LISTING_ESTIMATE);
  }
  // Accesses the grants copied that the policy no longer lists (a removed target, or one that
  // grants something else now): their holders are read too, so whoever the app gave them to is
  // still watched until the access is gone. Those earlier sweeps found are read now, with the
  // policy's; those named by grants loaded below are read after them.
  const listed = new Set(policyTargets.map((t) => `${t.key}\u0000${canonical(t.access)}`));
  const orphans = new Map<string, { target: string; access: Access; until: string }>();
  for (const o of before?.orphans ?? []) {
    const id = `${o.target}\u0000${canonical(o.access)}`;
    if (listed.has(id) || Date.parse(o.until) <= now) continue;
    listed.add(id);
    orphans.set(id, o);
    await read(o.target, o.access, true, RESERVE_FOR_ACTIONS);
  }

  // The grants: only those that can matter to this sweep, so what it reads does not grow with the
  // history. Those written since the last sweep began (none, when nothing happened: the cheap
  // check; the first sweep reads `MEMORY_MS` of them), so every access a grant names is seen at
  // least once; what is due (the core's `wakeAt`, copied into the `dueAt` index; a stuck outbox);
  // every grant of each account that holds a watched access (open, or ended within `MEMORY_MS`:
  // the ones that explain, or fail to explain, why it holds it); and a few open grants in turn.
  const loaded = new Map<string, StoredGrant>();
  const keep = (list: StoredGrant[]) => list.forEach((s) => loaded.set(s.grant.id, s));
  const lastBegan = before?.at ? Date.parse(before.at) : Number.NaN;
  keep(await store.grantsUpdatedSince(Number.isFinite(lastBegan) ? lastBegan - CLOCK_SKEW_MS : now - MEMORY_MS));
  keep(await store.dueGrants(now));
  const passStarted = before?.reviewStartedAt ? Date.parse(before.reviewStartedAt) : Number.NaN;
  const reviewing = !!before?.reviewAfter || !(now < passStarted + REVIEW_PERIOD_MS);
  const review = reviewing ? await store.openGrantsAfter(before?.reviewAfter, REVIEW_PER_SWEEP) : { grants: [] };
  // A pass that found no open grant is no pass: the next sweep looks again (an empty query costs nothing).
  const reviewStartedAt = reviewing && !before?.reviewAfter && review.grants.length > 0 ? iso(now) : before?.reviewStartedAt;
  keep(review.grants);
  const subjectsRead = new Set<string>();
  const loadHolders = async () => {
    for (const t of targets) {
      for (const holder of t.holders) {
        if (subjectsRead.has(holder)) continue;
        subjectsRead.add(holder);
        keep(await store.grantsForSince(holder, now - MEMORY_MS));
      }
    }
  };
  await loadHolders();
  let newOrphans = false;
  for (const s of [...loaded.values()]) {
    const g = s.grant;
    const id = `${g.target}\u0000${canonical(g.access)}`;
    const remembered = orphans.get(id);
    if (remembered) remembered.until = iso(now + MEMORY_MS);
    if (listed.has(id)) continue;
    listed.add(id);
    orphans.set(id, { target: g.target, access: g.access, until: iso(now + MEMORY_MS) });
    await read(g.target, g.access, true, RESERVE_FOR_ACTIONS);
    newOrphans = true;
  }
  // The holders the new orphans' reads found need their grants too.
  if (newOrphans) await loadHolders();
  const stored = [...loaded.values()];
  const grants = stored.map((s) => s.grant);
  const snapshot = { complete: targets.every((t) => t.complete), targets };
  // The loaded grants' requesters as the platform knows them now, so the core can tell which grants
  // the policy no longer allows (a failed lookup leaves one out: judged on account ids alone).
  const requesters: Actor[] = [];
  for (const id of new Set(grants.filter((g) => g.status !== 'ended').map((g) => g.requester))) {
    const r = await requesterFor(ports, id);
    if (r) requesters.push(r);
  }

  // Decide, and record the findings (retrying if another writer moved the audit head).
  let attempt = 0;
  const decided = await retry(wallClock, { attempts: 8, delayMs: conflictBackoff }, async () => {
    // The state read at the start, unless another sweep has written since (a retry).
    const [head, previous] = await Promise.all([store.auditHead(), attempt++ === 0 ? before : store.sweepState()]);
    const answer = core.sweep({
      policy,
      grants,
      snapshot,
      now: iso(clock.now()),
      auditHead: head,
      previousFingerprint: previous?.fingerprint ?? null,
      previousFindings: previous?.findings ?? [],
      requesters,
      formerPermanentAdmins: policyDoc.formerPermanentAdmins ?? [],
    });
    if (!answer.ok) throw new Error(`the core refused the sweep: ${answer.error.message}`);
    return (await appendAudit(ports, answer.audit, head)) === 'ok' ? done(answer) : again();
  });
  if (!decided.ok) throw new Error('could not record the sweep: the audit log kept changing');
  const answer = decided.value;
  const state: SweepState = {
    // When this sweep began: the next one reads the grants written since.
    at: iso(now),
    fingerprint: answer.fingerprint,
    findings: answer.findings,
    explained: answer.holders,
    floor: answer.floor,
    holders: targets.map((t) => ({ ...t, ...(unread[t.target] ? { unread: unread[t.target] } : {}) })),
    accountCursors,
    ...(review.next ? { reviewAfter: review.next } : {}),
    ...(reviewStartedAt ? { reviewStartedAt } : {}),
    ...(orphans.size ? { orphans: [...orphans.values()] } : {}),
  };
  // Most sweeps find what the last one found: then only the time is written (the write is what
  // Forge bills most for), not the whole report again. `until`s move on by day, not by sweep.
  if (before && sameState(before, state)) await store.touchSweep(state.at!);
  else await store.saveSweepState(state);

  // Act: grants the policy no longer allows first (the kill switch), then due grants (their own
  // revokes), then unfinished outboxes, then the sweep's actions.
  const ineligible = answer.ineligible ?? [];
  if (ineligible.length) await applyPolicyToOpenGrants(ports, ineligible);
  for (const grantId of answer.due) {
    if (ineligible.includes(grantId)) continue;
    if (clock.now() >= ports.deadline) break;
    await dispatch(ports, { grantId, event: { type: 'tick' }, actor: null, source: 'system' });
  }
  let drained = 0;
  for (const s of stored) {
    if (s.outbox.length === 0 || answer.due.includes(s.grant.id) || clock.now() >= ports.deadline) continue;
    await drain(ports, s.grant.id, 0, policy);
    drained++;
  }
  let revocations = 0;
  let deferred = 0;
  const alerts: Record<string, number> = {};
  const requestsLeft = () => {
    const u = org.requestUsage?.();
    return u ? u.limit - u.used : Number.POSITIVE_INFINITY;
  };
  for (const action of answer.actions) {
    if (clock.now() >= ports.deadline) break;
    // What does not fit in this run (time or requests) is decided again by the next one, five
    // minutes later: leaving a revoke is safe, running out mid-way is not.
    if ((action.type === 'revoke' || action.type === 'grant') && (!fitsInline(ports, action) || requestsLeft() < REVOKE_COST)) {
      deferred++;
      continue;
    }
    const outcome = await act(ports, policy, action, { quietAlerts: true });
    if (action.type === 'alert') alerts[action.code] = (alerts[action.code] ?? 0) + 1;
    if (action.type === 'revoke') {
      revocations++;
      if (outcome.event) await recordUngranted(ports, outcome.event);
    }
  }

  // Reconcile Jira with the grants: a status the core never reached (a post-function that gave up
  // after its four retries, a workflow without the validators) and an issue property that no
  // longer says what the core says (a failed mirror write, a rewrite, time moving on). The grants
  // under review only: every open grant's turn comes within a few sweeps.
  let diverged = 0;
  const acted = new Set([...ineligible, ...answer.due]);
  for (const s of review.grants) {
    if (clock.now() >= ports.deadline) break;
    try {
      // Re-read only a grant this sweep may have changed (a tick, a kill switch, a drain).
      const current = acted.has(s.grant.id) || s.outbox.length > 0 ? await store.grant(s.grant.id) : s;
      if (current && (await reconcileIssue(ports, policy, current))) diverged++;
    } catch (error) {
      log.warn('could not reconcile an issue with its grant; the next sweep tries again', { grantId: s.grant.id, error: String(error) });
    }
  }
  log.info('sweep done', {
    due: answer.due.length,
    ineligible: ineligible.length,
    findings: answer.findings.length,
    revocations,
    drained,
    diverged,
    alerts,
    ...(deferred ? { revocationsLeftForNextSweep: deferred } : {}),
    ...(Object.keys(unread).length ? { accountsLeftForNextSweeps: unread } : {}),
    orgRequests: org.requestUsage?.().used,
  });
  return { ran: true, due: answer.due.length, findings: answer.findings.length, revocations, drained, ineligible: ineligible.length, diverged };
}

const STATUS_CATEGORIES: readonly string[] = ['new', 'indeterminate', 'done'];

/**
 * Compares one open grant with its issue. The sweep knows the issue's status but not who moved
 * it, and the core acts only on an event with its real actor, so a status ahead of the grant is
 * reported (an alert for the admins, a comment on the issue), never turned into a grant or a
 * revocation; the grant keeps its own clock (an active one still ends at its window end). Returns
 * whether the status had diverged.
 */
async function reconcileIssue(ports: Ports, policy: Policy, stored: StoredGrant): Promise<boolean> {
  const { grant } = stored;
  // By id: a moved issue keeps it.
  const issue = await ports.jira.issue(grant.id);
  if (!issue) return false;
  const now = ports.clock.now();
  const category = issue.statusCategory && STATUS_CATEGORIES.includes(issue.statusCategory) ? (issue.statusCategory as StatusCategory) : undefined;
  const answer = core.gate({ policy, grant, now: iso(now), ...(category ? { statusCategory: category } : {}) });
  if (!answer.ok) throw new Error(`the core refused the gate: ${answer.error.message}`);
  for (const action of answer.actions) await act(ports, policy, action);
  if (!propertyIsCurrent(await ports.jira.grantProperty(grant.id), grant, policy, now)) await mirror(ports, grant, policy);
  return answer.divergence !== undefined;
}

