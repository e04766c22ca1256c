/**
 * The inputs every decision benchmark uses, native and Wasm alike, made by the real core.
 *
 * One org-admin grant is taken through its lifecycle with the demo policy (submit, approve,
 * activate, grant landed, a tick with nothing due, an extension asked for and approved by a second
 * approver, done, revoke landed), each step fed the previous step's grant and audit head, exactly
 * as the handlers chain them. The `DecideInput` of each step is kept as a case. The grants it
 * passes through (active, ended) are the templates of the sweep inputs (`sweep-inputs.ts`).
 *
 * Written as JSON to bench/out/fixtures.json; core/benches/decide.rs reads the same file, so the
 * native and the Wasm figures are for identical inputs.
 */
import { core, type AuditHead, type DecideAnswer, type DecideInput, type Event, type Grant, type Policy } from '../forge-app/src/decision/core';
import { demoAccountId, demoPolicy } from '../playground/local-app';

export const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;

export interface DecideCase {
  name: string;
  /** What the case stands for, for the table. */
  what: string;
  /** One of the four representative events the headline figures pool. */
  headline: boolean;
  input: DecideInput;
}

export interface SweepTemplate {
  policy: Policy;
  now: string;
  auditHead: AuditHead;
  /** Granted, window open at `now`: a holder it covers. */
  active: Grant;
  /** Like `active` but its window ended before `now`: due for a tick. */
  due: Grant;
  /** Ended and revoked: a holder still holding it is `endedStillHeld`. */
  ended: Grant;
}

export interface Fixtures {
  policy: Policy;
  cases: DecideCase[];
  sweep: SweepTemplate;
}

export function buildFixtures(): Fixtures {
  const policy = demoPolicy();
  const cases: DecideCase[] = [];
  let grant: Grant | null = null;
  let head: AuditHead = { seq: 0, hash: '0'.repeat(64) };
  let active: Grant | null = null;

  const step = (name: string, what: string, headline: boolean, at: number, event: Event, actor: string | null, expectChanged = true): DecideAnswer & { ok: true } => {
    const input: DecideInput = {
      policy,
      grant,
      event,
      // The demo policy names people by their account ids; the steps below use the demo aliases.
      actor: actor ? { accountId: demoAccountId(actor), groupIds: [] } : null,
      now: iso(at),
      auditHead: head,
      source: actor ? 'panel' : 'system',
      ...(event.type === 'submit' ? { context: { openGrants: [] } } : {}),
    };
    // The stored case is a deep copy: what the core is given later must not share objects.
    cases.push({ name, what, headline, input: structuredClone(input) });
    const answer = core.decide(input);
    if (!answer.ok) throw new Error(`fixtures: ${name} refused: ${answer.error.code} ${answer.error.message}`);
    if (answer.changed !== expectChanged) throw new Error(`fixtures: ${name}: changed=${answer.changed}, expected ${expectChanged}`);
    if (answer.changed) {
      grant = answer.grant ?? null;
      head = answer.auditHead;
    }
    return answer;
  };
  const only = <T extends { type: string }>(actions: T[], type: string): T => {
    const found = actions.filter((a) => a.type === type);
    if (found.length !== 1) throw new Error(`fixtures: expected one ${type} action, got ${found.length}`);
    return found[0]!;
  };

  step('submit', 'request a grant (no grant yet)', false, T0, { type: 'submit', grantId: 'JIT-1', issueKey: 'JIT-1', target: 'org-admin', durationMinutes: 60, justification: 'rotate the SAML certificate' }, 'alice');
  step('approve', 'approve a requested grant', true, T0 + 5 * MIN, { type: 'approve' }, 'bob');
  const activated = step('activate', 'activate an approved grant', true, T0 + 10 * MIN, { type: 'activate' }, 'alice');
  const grantAction = only(activated.actions, 'grant');
  step('grantLanded', 'the grant action succeeded', false, T0 + 10 * MIN, { type: 'actionSucceeded', action: grantAction }, null);
  active = structuredClone(grant!);
  step('tickNothingDue', 'tick with nothing due', true, T0 + 30 * MIN, { type: 'tick' }, null, false);
  step('requestExtension', 'ask for 30 more minutes', false, T0 + 40 * MIN, { type: 'requestExtension', minutes: 30, justification: 'the migration runs long' }, 'alice');
  step('approveExtension', 'approve an extension (second approver)', true, T0 + 45 * MIN, { type: 'approveExtension' }, 'carol');
  const completed = step('complete', 'done: end the grant early', false, T0 + 50 * MIN, { type: 'complete' }, 'alice');
  const revokeAction = only(completed.actions, 'revoke');
  step('revokeLanded', 'the revoke action succeeded', false, T0 + 50 * MIN, { type: 'actionSucceeded', action: revokeAction }, null);
  const ended = structuredClone(grant!);
  if (ended.status !== 'ended' || ended.provisioning.state !== 'revoked') throw new Error(`fixtures: the grant did not end revoked: ${ended.status}/${ended.provisioning.state}`);

  const activeGrant = active as Grant;
  const now = T0 + 30 * MIN;
  const due: Grant = structuredClone(activeGrant);
  due.window = { start: activeGrant.window!.start, end: iso(now - 5 * MIN) };
  if ('wakeAt' in due) due.wakeAt = iso(now - 5 * MIN);
  return { policy, cases, sweep: { policy, now: iso(now), auditHead: head, active: activeGrant, due, ended } };
}
