/**
 * Act: executes one action the core decided, and turns its outcome into the event the core
 * expects back. It decides nothing: the revocation guard and every retry policy live in the core.
 */
import { core, type Action, type ActionError, type CommentBlock, type Event, type Policy } from '../decision/core';
import type { AlertStore, ClaimStore, Ports } from '../ports';
import { again, done, exponential, retry } from '../shared/retry';
import { startEvidence } from './evidence';

export interface ActOutcome {
  /** The result to feed back to the core (grant and revoke actions only). */
  event?: Event;
  /** Leave the action in the outbox: it failed in a way worth trying again later. */
  keep?: boolean;
}

export interface ActOptions {
  /**
   * Store alerts without a log line each (Forge keeps 100 log lines per invocation; a sweep of a
   * large org raises hundreds): the caller logs one summary instead.
   */
  quietAlerts?: boolean;
}

/** The core's ActionError has exactly these fields; adapters may carry more. */
const actionError = (e: { code: string; message: string; retryable: boolean }): ActionError => ({
  code: e.code,
  message: e.message,
  retryable: e.retryable,
});

const succeeded = (action: Action): Event => ({ type: 'actionSucceeded', action });
const failed = (action: Action, error: ActionError): Event => ({ type: 'actionFailed', action, error });

export async function act(ports: Ports, policy: Policy | null, action: Action, options: ActOptions = {}): Promise<ActOutcome> {
  const { org, jira, store, queue, clock, log } = ports;
  switch (action.type) {
    case 'grant': {
      const outcome = await org.assign(action.access, action.accountId);
      log.info('grant executed', { key: action.key, ok: outcome.ok, ...(outcome.ok ? {} : { code: outcome.error.code }) });
      if (!outcome.ok) await alertOrgApiProblem(ports, outcome.error, action);
      return { event: outcome.ok ? succeeded(action) : failed(action, actionError(outcome.error)) };
    }
    case 'revoke': {
      // Org-admin revokes run one at a time across invocations: two of them passing the guard on
      // the same read could together break the floor.
      const serial =
        action.access.type === 'orgRole' ? await takeLease(ports, ORG_ADMIN_REVOKE_LEASE, LEASE_MS, ports.budget?.leaseWaitMs ?? LEASE_WAIT_MS) : 'none';
      if (!serial) {
        return { event: failed(action, { code: 'BUSY', message: 'another org-admin revoke is in progress', retryable: true }) };
      }
      try {
        const verdict = await guard(ports, policy, action);
        if (verdict?.obsolete) {
          log.info('revoke dropped: no longer wanted', { key: action.key, reason: verdict.message });
          return {};
        }
        if (verdict) {
          await raise(ports, `${action.key}:guard`, 'critical', verdict.code, `revoke of ${action.target} from ${action.accountId} held back: ${verdict.message}`, action);
          return { event: failed(action, { code: verdict.code, message: verdict.message, retryable: true }) };
        }
        const outcome = await org.revoke(action.access, action.accountId);
        log.info('revoke executed', { key: action.key, ok: outcome.ok, ...(outcome.ok ? {} : { code: outcome.error.code }) });
        if (!outcome.ok) await alertOrgApiProblem(ports, outcome.error, action);
        return { event: outcome.ok ? succeeded(action) : failed(action, actionError(outcome.error)) };
      } finally {
        if (serial !== 'none') await ports.store.releaseLease(ORG_ADMIN_REVOKE_LEASE, serial).catch(() => undefined);
      }
    }
    case 'comment': {
      // An outbox saved before contract 2 may still hold `{text}` comments: posted as plain text,
      // never parsed for mentions, rather than kept (and retried) forever.
      const legacy = (action as { text?: unknown }).text;
      const body: CommentBlock[] = Array.isArray(action.body)
        ? action.body
        : typeof legacy === 'string' && legacy.trim()
          ? [{ type: 'paragraph', content: [{ type: 'text', text: legacy }] }]
          : [];
      if (!body.length) {
        log.warn('comment without a body dropped', { key: action.key });
        return {};
      }
      return once(ports, action.key, () => jira.comment(action.issueKey, body));
    }
    case 'wake':
      return once(ports, action.key, () =>
        queue.push({ kind: 'wake', grantId: action.grantId, at: action.at }, (Date.parse(action.at) - clock.now()) / 1000),
      );
    case 'alert':
      return once(ports, action.key, () =>
        raise(ports, action.key, action.severity, action.code, action.message, action, false, options.quietAlerts),
      );
    case 'collectEvidence':
      return once(ports, action.key, () => startEvidence(ports, action));
  }
}

/**
 * Runs a side effect at most once per key across duplicate deliveries; on failure frees the key
 * and keeps the action in the outbox (a full queue or a Jira hiccup is retried later).
 */
async function once(ports: Pick<Ports, 'log'> & { store: ClaimStore }, key: string, effect: () => Promise<unknown>): Promise<ActOutcome> {
  if (!(await ports.store.claim(key))) return {};
  try {
    await effect();
    return {};
  } catch (e) {
    await ports.store.release(key).catch(() => undefined);
    ports.log.warn('action failed; kept for a later attempt', { key, error: String(e) });
    return { keep: true };
  }
}

/** One org-admin revoke at a time (guard → revoke → read-back). */
const ORG_ADMIN_REVOKE_LEASE = 'lease:org-admin-revoke';
/** Longer than one revoke with its read-back may take (the org adapter's budget). */
const LEASE_MS = 60_000;
/** How long a revoke waits for the one before it, before failing retryably (without a budget). */
const LEASE_WAIT_MS = 15_000;

/**
 * Takes a lease, waiting up to `waitMs` (0: one try). The wait is on the ports' clock: it is part
 * of the invocation's time, which its budget accounts for.
 */
export async function takeLease(ports: Pick<Ports, 'clock'> & { store: ClaimStore }, name: string, ttlMs: number, waitMs: number): Promise<string | null> {
  const taken = await retry(
    ports.clock,
    { attempts: Infinity, delayMs: LEASE_BACKOFF, deadline: ports.clock.now() + waitMs },
    async () => {
      const token = await ports.store.tryLease(name, ttlMs);
      return token ? done(token) : again();
    },
  );
  return taken.ok ? taken.value : null;
}

/** 50 ms doubling to 1 s, jittered, so revokes that wait for each other do not retry in step. */
const LEASE_BACKOFF = exponential(50, 1000, (ms) => Math.round(ms * (0.5 + Math.random())));

/**
 * Asks the core whether this revoke may run now, on a fresh read of the org admins and of the
 * account's grants for the target.
 */
async function guard(ports: Ports, policy: Policy | null, action: Extract<Action, { type: 'revoke' }>) {
  if (!policy) return { code: 'NO_POLICY', message: 'no policy is saved', obsolete: false };
  const grants = action.grantId ? [] : await ports.store.grantsFor(action.accountId);
  // The org admins, read only until the core is satisfied: each candidate costs one API read, and
  // confirming the permanent admins first usually settles the floor after `minOrgAdmins` reads.
  // The core still decides, on the lower bound so far (the same rule as for a partial read).
  const snapshot = (holders: readonly string[], complete: boolean) => ({ target: action.target, complete, holders: [...holders] });
  const orgAdmins =
    action.access.type === 'orgRole'
      ? await ports.org
          .holders(action.access, {
            confirmFirst: policy.permanentAdmins ?? [],
            // Room for the revoke and its read-back after the guard's reads.
            reserveRequests: GUARD_RESERVE,
            enough: (confirmed) => {
              const early = core.guardRevocation({ policy, action, orgAdmins: snapshot(confirmed, false), grants });
              return early.ok && early.allowed;
            },
          })
          // Accounts left unread (to keep room for the revoke) may be admins too: not a complete read.
          .then((s) => ({ ...snapshot(s.holders, s.complete && !s.unread?.length), externallySynced: s.externallySynced }))
      : null;
  const answer = core.guardRevocation({ policy, action, orgAdmins, grants });
  if (!answer.ok) return { code: answer.error.code, message: answer.error.message, obsolete: false };
  if (answer.allowed) return null;
  return { code: answer.reason?.code ?? 'REFUSED', message: answer.reason?.message ?? 'refused', obsolete: answer.obsolete };
}

/** What raising an alert uses: a claim (once per key), the alert store, the clock and the log. */
type Alerting = Pick<Ports, 'clock' | 'log'> & { store: ClaimStore & AlertStore };

/** Stores an alert for the admin page and logs it (unless `quiet`: the caller logs a summary). */
async function raise(
  ports: Alerting,
  key: string,
  severity: 'info' | 'warning' | 'critical',
  code: string,
  message: string,
  action: { grantId?: string | null; issueKey?: string | null },
  dedupe = true,
  quiet = false,
): Promise<void> {
  if (dedupe && !(await ports.store.claim(key))) return;
  const at = new Date(ports.clock.now()).toISOString();
  const grantId = action.grantId ?? undefined;
  const issueKey = action.issueKey ?? undefined;
  await ports.store.saveAlert({ key, at, severity, code, message, grantId, issueKey });
  if (!quiet) ports.log.warn(`alert ${code}`, { key, severity, message });
}

/** Requests the revocation guard leaves unused for the revoke and its read-back. */
const GUARD_RESERVE = 4;

/**
 * Org API failures that no retry fixes and that break every grant and revoke until an admin acts:
 * a key with scopes (or an expired or revoked one), or a role endpoint answering outside its
 * documented contract (the org-admin `role-assignments` operations are `x-experimental`).
 */
const ORG_API_PROBLEMS = new Set(['API_KEY_SCOPED', 'UNAUTHORIZED', 'ORG_API_CONTRACT_CHANGED']);

/**
 * Raises a critical alert for an org API failure in `ORG_API_PROBLEMS`, once a day per code and
 * endpoint (the error's `endpoint`, for a contract change), whichever grant, revoke or read met it
 * first.
 */
export async function alertOrgApiProblem(
  ports: Alerting,
  error: { code: string; message: string; endpoint?: string },
  context: { grantId?: string | null; issueKey?: string | null } = {},
): Promise<void> {
  if (!ORG_API_PROBLEMS.has(error.code)) return;
  const day = new Date(ports.clock.now()).toISOString().slice(0, 10);
  const endpoint = error.endpoint ?? 'any';
  await raise(ports, `org-api:${error.code}:${endpoint}:${day}`, 'critical', error.code, error.message, context).catch((e) =>
    ports.log.warn('could not store an org API alert', { code: error.code, error: String(e) }),
  );
}
