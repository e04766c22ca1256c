/**
 * Forge handlers, grouped by module kind. Each builds the ports for its invocation and hands
 * over to a handler in ./handlers, which loads, asks the core, acts and saves.
 */
import { defineResolver, redactingLog, retryLater, type ResolverRequest } from './adapters/forge';
import { ADMIN_CALLS, adminCall } from './handlers/admin';
import { onQueueEvent } from './handlers/consumer';
import { PANEL_CALLS, panelCall } from './handlers/panel';
import { PORTAL_CALLS, portalCall } from './handlers/portal';
import { onTransition, type TransitionEvent } from './handlers/postFunction';
import { runSweep } from './handlers/sweep';
import { onValidate } from './handlers/validator';
import { platform } from './platform';
import type { Result } from './shared/types';

/**
 * A resolver call that failed for reasons outside the core (storage or Jira unavailable) answers
 * with the same envelope as a refusal, so the panel can say so instead of showing a bridge error.
 * A decision is saved whole or not at all, but the failure may come before or after that save,
 * so the message asks the user to reload rather than claiming nothing changed.
 */
async function answered<T>(call: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await call();
  } catch (error) {
    redactingLog((line) => console.error(line)).error('resolver call failed', { error: String(error) });
    return {
      ok: false,
      error: {
        code: 'UNAVAILABLE',
        message: 'JIT Admin could not finish this call because Jira or its storage did not answer. Reload to see what was saved before trying again.',
      },
    };
  }
}

// ---- Custom UI resolvers (identity from the platform context, never from the payload)

/** The issue panel's resolver. */
export const panelResolver = defineResolver(
  Object.fromEntries(
    PANEL_CALLS.map((call) => [
      call,
      (req: ResolverRequest) =>
        answered(() =>
          panelCall(
            platform('resolver'),
            { accountId: req.context.accountId, issueId: req.context.extension?.issue?.id, issueKey: req.context.extension?.issue?.key },
            call,
            req.payload,
          ),
        ),
    ]),
  ),
);

/** The service-management portal's resolver: the panel's calls on the customer's request page. */
export const portalResolver = defineResolver(
  Object.fromEntries(
    PORTAL_CALLS.map((call) => [
      call,
      (req: ResolverRequest) =>
        answered(() => portalCall(platform('resolver'), { accountId: req.context.accountId, requestKey: req.context.extension?.request?.key }, call, req.payload)),
    ]),
  ),
);

/** The admin page's resolver (the admin page is visible to Jira admins only). */
export const adminResolver = defineResolver(
  Object.fromEntries(
    ADMIN_CALLS.map((call) => [call, (req: ResolverRequest) => answered(() => adminCall(platform('resolver'), { accountId: req.context.accountId }, call, req.payload))]),
  ),
);

// ---- Workflow post-functions

function postFunction(event: TransitionEvent) {
  return async (payload: unknown) => {
    const outcome = await onTransition(platform('postFunction'), payload, event);
    return outcome.done ? undefined : retryLater(outcome.retryAfterSeconds, outcome.reason);
  };
}

export const postApprove = postFunction('approve');
export const postReject = postFunction('reject');
export const postComplete = postFunction('complete');
export const postRevoke = postFunction('revoke');
export const postApproveExtension = postFunction('approveExtension');

// ---- Workflow validator (function): the issue property the expression validators read is current

/**
 * Runs inside the user's transition, before it happens, so it shares the post-functions' 25 s
 * limit and ports; it answers `{result, errorMessage}` and refuses whatever it cannot check.
 */
export async function validateRecord(payload: unknown) {
  return onValidate(platform('postFunction'), payload);
}

// ---- Scheduled trigger

/**
 * Every five minutes: expiries, retries, drift and the admin floor. A scheduled trigger must answer
 * `{statusCode}` ("Scheduled trigger events"); anything else is recorded as a failed run. A sweep
 * that throws is a failed run too (and is not retried: the next one comes in five minutes).
 */
export async function sweep(): Promise<{ statusCode: number }> {
  await runSweep(platform('sweep'));
  return { statusCode: 200 };
}

// ---- Async events consumer

/** "Wake me at T" and outbox events from the app's queue. */
export async function consumer(event: { body?: unknown }) {
  const outcome = await onQueueEvent(platform('consumer'), event?.body);
  return outcome.done ? undefined : retryLater(outcome.retryAfterSeconds, outcome.reason);
}
