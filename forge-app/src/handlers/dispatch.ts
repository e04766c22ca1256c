/**
 * The loop every handler runs: load the grant, the policy and the audit head; ask the core; save
 * the decision, its audit records and its actions (the outbox) in one conditional transaction;
 * then execute the outbox and feed each grant/revoke result back as an event.
 *
 * At-least-once delivery and concurrent calls are safe: a conditional write that loses the race
 * reloads and asks the core again (which then sees the duplicate and changes nothing), action
 * side effects are claimed by their idempotency keys, and the org API calls are idempotent.
 */
import { core, type Action, type Actor, type AuditHead, type AuditRecord, type DecideAnswer, type DecideInput, type ErrorBody, type Event, type Gate, type Grant, type Policy } from '../decision/core';
import { JiraLimitError, type GrantStore, type Ports, type StoredGrant } from '../ports';
import { again, conflictBackoff, done, retry, wallClock, type Attempt } from '../shared/retry';
import { act } from './act';
import { requesterFor } from './identity';

export type Source = 'panel' | 'workflow' | 'system' | 'portal';

export interface DispatchRequest {
  grantId: string;
  event: Event;
  /** From the platform (context accountId / transition atlassianId), with looked-up groups. */
  actor: Actor | null;
  source: Source;
}

export type DispatchResult = { ok: true; grant: Grant | null; changed: boolean } | { ok: false; error: ErrorBody };

/**
 * Whether the core needs the grant's requester as the platform knows them now (their groups) for
 * this event: the rules that re-check the requester's eligibility when someone else acts. Only
 * open grants, and only when the actor is not the requester (then the actor is that person).
 */
function needsRequester(grant: Grant, request: DispatchRequest): boolean {
  if (grant.status === 'ended' || request.actor?.accountId === grant.requester) return false;
  const type = request.event.type;
  return type === 'approve' || type === 'approveExtension' || type === 'policyCheck' || (type === 'tick' && grant.status === 'approved');
}

/** Conditional-write attempts before giving up (each one reloads and re-decides). */
const MAX_ATTEMPTS = 16;
/** Feeding results back can chain (grant → granted → comment); deeper work goes to the queue. */
const MAX_DEPTH = 4;
/** Longer than one org-API operation may take (its budget), retries and read-back included. */
const ACTION_LEASE_MS = 90_000;

export const NO_POLICY: ErrorBody = {
  code: 'NO_POLICY',
  message: 'JIT Admin has no policy yet: a Jira admin must save one on the JIT Admin admin page',
};

export const iso = (ms: number) => new Date(ms).toISOString();

export async function dispatch(ports: Ports, request: DispatchRequest, depth = 0): Promise<DispatchResult> {
  const { store, clock } = ports;
  let lost = '';
  const result = await retry(wallClock, { attempts: MAX_ATTEMPTS, delayMs: conflictBackoff }, async (): Promise<Attempt<DispatchResult>> => {
    // Load.
    const [stored, policyDoc, head] = await Promise.all([store.grant(request.grantId), store.policy(), store.auditHead()]);
    if (!policyDoc) return done({ ok: false, error: NO_POLICY });
    const subject = request.event.type === 'submit' ? (request.event.subject ?? request.actor?.accountId) : undefined;
    const openGrants = typeof subject === 'string' ? (await store.openGrantsFor(subject)).filter((g) => g.id !== request.grantId) : [];
    const requester = stored && needsRequester(stored.grant, request) ? await requesterFor(ports, stored.grant.requester) : null;

    // Decide.
    const input: DecideInput = {
      policy: policyDoc.policy,
      grant: stored?.grant ?? null,
      event: request.event,
      actor: request.actor,
      now: iso(clock.now()),
      auditHead: head,
      source: request.source,
      context: { openGrants, requester },
    };
    let answer: DecideAnswer = core.decide(input);

    if (!answer.ok) {
      // A refusal changes no grant, but an authorization refusal is audited and a refused
      // workflow transition is explained on the issue — once per period: a refusal the core
      // has seen counted already is asked again with the tally, and then only counted.
      const coalesce = answer.coalesce;
      if (coalesce?.recorded) {
        const tally = await store.refusalTally(coalesce.key);
        if (tally) answer = core.decide({ ...input, context: { ...input.context, refusals: [tally] } });
      }
      if (answer.ok) return done({ ok: false, error: { code: 'INVALID_STATE', message: 'the core accepted an event it had refused' } });
      if (answer.audit?.length && (await appendAudit(ports, answer.audit, head)) === 'conflict') {
        lost = 'record a refusal on';
        return again();
      }
      if (answer.coalesce) await store.countRefusal(answer.coalesce.key);
      for (const action of answer.actions ?? []) await act(ports, policyDoc.policy, action);
      return done({ ok: false, error: answer.error });
    }
    if (!answer.changed) {
      // A duplicate: nothing to save, but finish any work a crashed invocation left behind.
      if (stored?.outbox.length) await drain(ports, request.grantId, depth, policyDoc.policy);
      return done({ ok: true, grant: stored?.grant ?? null, changed: false });
    }
    if (!answer.grant) return done({ ok: false, error: { code: 'INVALID_STATE', message: 'the core returned no grant' } });

    // Save (the decision, its audit and its outbox, atomically).
    const next = { grant: answer.grant, outbox: [...(stored?.outbox ?? []), ...answer.actions] };
    const committed = await store.commit({
      grantId: request.grantId,
      expectedRev: stored?.rev ?? null,
      next,
      audit: answer.audit,
      expectedHead: head,
    });
    if (committed === 'conflict') {
      lost = 'save';
      return again();
    }

    // Act.
    await mirror(ports, answer.grant, policyDoc.policy);
    await drain(ports, request.grantId, depth, policyDoc.policy);
    return done({ ok: true, grant: answer.grant, changed: true });
  });
  if (!result.ok) throw new Error(`could not ${lost} ${request.grantId}: ${result.attempts} conflicting writes`);
  return result.value;
}

/**
 * Whether a grant or revoke can run in this invocation and still leave time to record its result:
 * one org-API operation, or for an org-admin revoke the wait for the revoke lease, the guard's
 * read and the revoke. Anything else always fits (Jira and storage calls are bounded by the tail).
 */
export function fitsInline(ports: Pick<Ports, 'budget' | 'clock'>, action: Action): boolean {
  const b = ports.budget;
  if (!b || (action.type !== 'grant' && action.type !== 'revoke')) return true;
  const cost = action.type === 'revoke' && action.access.type === 'orgRole' ? b.leaseWaitMs + 2 * b.orgOperationMs : b.orgOperationMs;
  return ports.clock.now() + cost + b.tailMs <= b.endsAt;
}

/**
 * Executes a grant's outbox in order, then feeds the results back to the core. `policy`: the one
 * the caller just loaded (its decision's), so the outbox runs under it without another read.
 *
 * Within the invocation's budget: nothing starts after `ports.deadline`, a grant or revoke starts
 * only if it fits (`fitsInline`), and in a click or a transition (`budget.handOff`) a grant or
 * revoke that fails retryably is not reported to the core but left in the outbox for the queue
 * consumer, which runs it at once with minutes to spare (a slow or rate-limited org API).
 */
export async function drain(ports: Ports, grantId: string, depth = 0, policy?: Policy | null): Promise<void> {
  const { store, clock } = ports;
  if (depth >= MAX_DEPTH || clock.now() >= ports.deadline) {
    await deferDrain(ports, grantId, 0);
    return;
  }
  const stored: StoredGrant | null = await store.grant(grantId);
  if (!stored?.outbox.length) return;
  const outboxPolicy = policy !== undefined ? policy : ((await store.policy())?.policy ?? null);
  const done: string[] = [];
  const results: Event[] = [];
  let kept = false;
  let leased = 0;
  let handedOff = false;
  for (const action of stored.outbox) {
    if (clock.now() >= ports.deadline) break;
    const orgAction = action.type === 'grant' || action.type === 'revoke';
    if (orgAction && !fitsInline(ports, action)) {
      handedOff = true;
      continue;
    }
    // A grant or revoke reaches the org API once, however many duplicate deliveries drain this
    // outbox at the same time: the others leave it alone. The lease is not given back (it
    // expires): by then the action has left the outbox, unless its runner crashed or handed it off.
    const lease = orgAction ? await store.tryLease(actionLease(action.key), ACTION_LEASE_MS) : 'none';
    if (!lease) {
      leased++;
      continue;
    }
    const outcome = await act(ports, outboxPolicy, onGrantIssue(action, stored.grant, grantId));
    if (orgAction && lease !== 'none' && ports.budget?.handOff && outcome.event?.type === 'actionFailed' && outcome.event.error.retryable) {
      // Not finished in time (slow, rate-limited, busy): the consumer takes it over now.
      ports.log.info('action handed to the queue', { key: action.key, code: outcome.event.error.code });
      await store.releaseLease(actionLease(action.key), lease).catch(() => undefined);
      handedOff = true;
      continue;
    }
    if (outcome.keep) {
      kept = true;
      continue;
    }
    done.push(action.key);
    if (outcome.event) results.push(outcome.event);
  }
  if (done.length) await store.removeFromOutbox(grantId, done);
  for (const event of results) await dispatch(ports, { grantId, event, actor: null, source: 'system' }, depth + 1);
  if (kept || handedOff || done.length + leased < stored.outbox.length) {
    // Whatever is left (a Jira hiccup, a handed-off grant or revoke, or out of time) is retried
    // from the queue: at once, unless only a hiccup is left.
    await deferDrain(ports, grantId, kept && !handedOff ? 30 : 0);
  }
}

const actionLease = (key: string) => `lease:action:${key}`;

/**
 * A comment on the grant's own issue goes to the issue by its id (the grant's id), which still
 * names it after a move to another project; the key the core knows is the one it had on request.
 */
function onGrantIssue(action: Action, grant: Grant, grantId: string): Action {
  return action.type === 'comment' && action.issueKey === grant.issueKey ? { ...action, issueKey: grantId } : action;
}

/**
 * Asks the queue to finish an outbox later. This runs after the decision is saved, so a full or
 * failing queue must not turn a saved decision into an error: the outbox stays in storage, the
 * grant stays in the sweep's index, and the next sweep (within five minutes) drains it.
 */
async function deferDrain(ports: Pick<Ports, 'queue' | 'log'>, grantId: string, delaySeconds: number): Promise<void> {
  try {
    await ports.queue.push({ kind: 'drain', grantId }, delaySeconds);
  } catch (error) {
    ports.log.warn('could not queue the rest of an outbox; the next sweep finishes it', { grantId, error: String(error) });
  }
}

/** Appends audit records without touching a grant (refusals, sweeps, policy changes). */
export async function appendAudit(ports: { store: Pick<GrantStore, 'commit'> }, records: AuditRecord[], expectedHead: AuditHead) {
  if (records.length === 0) return 'ok' as const;
  return ports.store.commit({ expectedRev: null, audit: records, expectedHead });
}

/**
 * What the issue property `jit-admin-grant` holds for a grant: a summary for JQL and other tools,
 * and the core's gate (who may take each workflow-transition event now), which the workflow
 * validators' Jira expressions read with the transitioning user in hand. The gate is the core's
 * answer as it stands; the wrapper only adds, for entries that let groups through, a word for
 * group members (a Jira expression sees group names, the policy holds group ids, so the
 * expression lets through named accounts only and a group member is sent to the panel).
 */
export function grantProperty(grant: Grant, policy: Policy, nowMs: number): Record<string, unknown> {
  const answer = core.gate({ policy, grant, now: iso(nowMs) });
  const gate = answer.ok ? forExpression(answer.gate) : null;
  return {
    grantId: grant.id,
    version: grant.version,
    status: grant.status,
    outcome: grant.outcome ?? null,
    target: grant.target,
    targetLabel: grant.targetLabel,
    requester: grant.requester,
    subject: grant.subject,
    windowStart: grant.window?.start ?? null,
    windowEnd: grant.window?.end ?? null,
    access: grant.provisioning.state,
    approvers: (grant.approvals ?? []).map((a) => a.approver),
    extensions: (grant.extensions ?? []).length,
    gate,
  };
}

const GROUP_NOTE = ' (if a group makes you eligible, take this step in the JIT Admin panel on this issue: a workflow validator cannot check group membership)';

function forExpression(gate: Gate): Gate {
  const entries = Object.entries(gate).map(([event, e]) => [event, e.groupIds.length ? { ...e, reason: e.reason + GROUP_NOTE } : e]);
  return Object.fromEntries(entries) as Gate;
}

/**
 * Whether an issue property holds what the core says now, in the parts the expression validators
 * read (the grant version and the gate). Key order does not count: Jira may reorder JSON.
 */
export function propertyIsCurrent(property: unknown, grant: Grant, policy: Policy, nowMs: number): boolean {
  if (!property || typeof property !== 'object') return false;
  const p = property as Record<string, unknown>;
  const expected = grantProperty(grant, policy, nowMs);
  return p.version === expected.version && canonical(p.gate) === canonical(expected.gate);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * Mirrors the grant into its issue property. The workflow validators fail closed on a missing
 * or out-of-date property, so a failed write blocks transitions rather than letting a stale
 * answer through; the sweep rewrites a property that does not match.
 */
export async function mirror(ports: Pick<Ports, 'jira' | 'clock' | 'log'>, grant: Grant, policy: Policy): Promise<void> {
  let value = grantProperty(grant, policy, ports.clock.now());
  try {
    // By id: the issue keeps it when it moves to another project (its key changes).
    try {
      await ports.jira.setGrantProperty(grant.id, value);
    } catch (e) {
      if (!(e instanceof JiraLimitError)) throw e;
      // Too many named accounts to list: no gate at all, which every validator refuses.
      value = { ...value, gate: null, gateOmitted: e.message };
      await ports.jira.setGrantProperty(grant.id, value);
    }
  } catch (e) {
    ports.log.warn('could not mirror the grant into its issue property', { grantId: grant.id, error: String(e) });
  }
}

/** Records the result of an action that belongs to no grant (the sweep's revocations). */
export async function recordUngranted(ports: Ports, event: Event): Promise<void> {
  const recorded = await retry(wallClock, { attempts: MAX_ATTEMPTS, delayMs: conflictBackoff }, async (): Promise<Attempt<void>> => {
    const [policyDoc, head] = await Promise.all([ports.store.policy(), ports.store.auditHead()]);
    if (!policyDoc) return done(undefined);
    const answer = core.decide({ policy: policyDoc.policy, grant: null, event, actor: null, now: iso(ports.clock.now()), auditHead: head, source: 'system' });
    if (!answer.ok) {
      ports.log.error('the core refused an action result', { error: answer.error });
      return done(undefined);
    }
    if ((await appendAudit(ports, answer.audit, head)) === 'conflict') return again();
    for (const action of answer.actions) await act(ports, policyDoc.policy, action);
    return done(undefined);
  });
  if (!recorded.ok) throw new Error('could not record an action result: the audit log kept changing');
}
