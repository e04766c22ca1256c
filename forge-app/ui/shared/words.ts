/**
 * Words for what the core returns. Nothing here decides anything: it only names states, events and actions.
 */
import type { ActionName, AuditEvent } from '../../src/decision/contract';
import type { Access, AuditRecord, Finding, Grant } from '../../src/shared/types';
import { formatMinutes } from './time';

export type Tone = 'neutral' | 'info' | 'success' | 'warning' | 'danger' | 'discovery';

/** The badge colour for a grant (the badge TEXT is always the core's `state`). */
export function grantTone(g: Grant): Tone {
  switch (g.status) {
    case 'requested':
      return 'discovery';
    case 'approved':
      return 'info';
    case 'active':
      return 'success';
    case 'ended':
      return g.outcome === 'failed' || g.outcome === 'revoked' ? 'danger' : g.outcome === 'rejected' ? 'warning' : 'neutral';
  }
  return 'neutral';
}

export function describeAccess(a: Access): string {
  switch (a.type) {
    case 'orgRole':
      return `role ${a.role}`;
    case 'resourceRole':
      return `role ${a.role} on ${a.resource}`;
    case 'groupMembership':
      return `membership of group ${a.groupName ?? a.groupId}`;
  }
  return 'unknown access';
}

/** Button labels of the panel's actions. */
export const ACTION_LABELS: Record<ActionName, string> = {
  submitRequest: 'Request access',
  approve: 'Approve',
  reject: 'Reject',
  activate: 'Elevate now',
  complete: 'Done — revoke now',
  requestExtension: 'Ask for more time',
  approveExtension: 'Approve extension',
  rejectExtension: 'Reject extension',
  revoke: 'Revoke',
  cancel: 'Cancel request',
};

/**
 * What each audit event the core writes is, in words (the core's list, `AUDIT_EVENTS`, is generated from its
 * `AuditEvent`; a new event does not compile until it has words here): the audit filter's labels, and what a
 * record says when nothing more specific is known.
 */
export const AUDIT_EVENT_WORDS: Record<AuditEvent, string> = {
  submitRequest: 'request submitted',
  approve: 'request approved',
  reject: 'request rejected',
  cancel: 'request cancelled',
  activate: 'elevated',
  complete: 'finished early',
  revoke: 'grant revoked',
  expire: 'expired',
  requestExtension: 'more time asked for',
  approveExtension: 'extension approved',
  rejectExtension: 'extension rejected',
  accessGranted: 'access granted',
  accessRevoked: 'access revoked',
  grantFailed: 'granting access failed',
  revokeFailed: 'revoking access failed',
  retryGrant: 'granting access retried',
  retryRevoke: 'revoking access retried',
  revocationSkipped: 'revocation skipped',
  lateGrant: 'late grant being removed',
  cleanup: 'possible grant being cleaned up',
  endedByPolicy: 'ended by the current policy',
  sweep: 'sweep of who holds what',
  policyChange: 'policy saved and applied',
  proposePolicyChange: 'policy change proposed',
  approvePolicyChange: 'policy change approved and applied',
  withdrawPolicyChange: 'policy change withdrawn',
  tick: 'timer',
  policyCheck: 'policy check',
  actionSucceeded: 'action result',
  actionFailed: 'action failure',
  evidenceCollected: 'evidence pack made from the org audit log',
  approvalReminder: 'approvers reminded',
  windowEndWarning: 'requester warned before the window ends',
};

/** What "tried to …" says for a refused event. */
const TRIED: Partial<Record<AuditEvent, string>> = {
  submitRequest: 'request access',
  approve: 'approve',
  reject: 'reject',
  activate: 'elevate',
  complete: 'finish early',
  requestExtension: 'ask for more time',
  approveExtension: 'approve the extension',
  rejectExtension: 'reject the extension',
  revoke: 'revoke',
  cancel: 'cancel',
  policyChange: 'save the policy',
  approvePolicyChange: 'approve the policy change',
  withdrawPolicyChange: 'withdraw the policy change',
};

/** A person for display: the account id ("the app" for the system), marked "(you)" for the viewer if asked. */
export type Namer = (accountId: string | undefined) => string;

export function makeNamer(viewer?: string): Namer {
  return (id) => {
    if (!id) return 'someone';
    if (id === 'system') return 'the app';
    if (viewer && id === viewer) return `${id} (you)`;
    return id;
  };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One audit record in words: "bob approved (1 of 2)", "access granted", "refused: alice tried to approve (SELF_APPROVAL)". */
export function describeRecord(r: AuditRecord, name: Namer, time: (iso: string) => string, requiredApprovals?: number): string {
  const who = name(r.actor);
  const d = r.details ?? {};
  const reason = str(d.reason);
  const because = reason ? `: “${reason}”` : '';
  if (r.outcome === 'refused') {
    const code = str(d.code);
    return `refused: ${who} tried to ${TRIED[r.event] ?? r.event}${code ? ` (${code})` : ''}`;
  }
  switch (r.event) {
    case 'submitRequest': {
      const subject = str(d.subject);
      const minutes = num(d.durationMinutes);
      const start = str(d.requestedStart);
      const forWhom = subject && subject !== r.actor ? ` for ${name(subject)}` : '';
      const howLong = minutes !== undefined ? ` for ${formatMinutes(minutes)}` : '';
      const when = start && Date.parse(start) - Date.parse(r.at) > 60_000 ? `, from ${time(start)}` : '';
      return `${who} requested access${forWhom}${howLong}${when}`;
    }
    case 'approve': {
      const have = num(d.approvals);
      const of = have !== undefined ? ` (${have}${requiredApprovals ? ` of ${requiredApprovals}` : ''})` : '';
      const end = str(d.windowEnd);
      const start = str(d.windowStart);
      return `${who} approved${of}${start && end ? ` — window ${time(start)} to ${time(end)}` : ''}`;
    }
    case 'reject':
      return `${who} rejected the request${because}`;
    case 'cancel':
      return `${who} cancelled the request`;
    case 'activate': {
      const end = str(d.windowEnd);
      const until = end ? ` until ${time(end)}` : '';
      if (d.breakGlass === true) return `${who} broke glass and elevated without approval${until}`;
      return r.actor === 'system' ? `activated automatically${until}` : `${who} elevated${until}`;
    }
    case 'complete':
      return `${who} finished early`;
    case 'revoke':
      return `${who} revoked the grant${because}`;
    case 'requestExtension': {
      const minutes = num(d.minutes);
      return `${who} asked for ${minutes !== undefined ? formatMinutes(minutes) : 'more time'} more${num(d.extension) ? ` (extension ${num(d.extension)})` : ''}`;
    }
    case 'approveExtension': {
      const end = str(d.windowEnd);
      return `${who} approved extension ${num(d.extension) ?? ''}${end ? ` — now until ${time(end)}` : ''}`.replace(/ +—/, ' —');
    }
    case 'rejectExtension':
      return `${who} rejected extension ${num(d.extension) ?? ''}${because}`.replace(/ +:/, ':');
    case 'expire':
      return `expired${because}`;
    case 'accessGranted':
      return d.lateGrant === true ? 'access granted (late)' : d.duplicateAttempt ? 'access granted (duplicate answer)' : 'access granted';
    case 'accessRevoked':
      return d.verified === true ? 'access revoked (verified)' : 'access revoked';
    case 'grantFailed': {
      const retry = str(d.retryAt);
      return `granting access failed (attempt ${num(d.attempt) ?? '?'}): ${str(d.message) ?? str(d.code) ?? 'error'}${retry ? ` — retrying at ${time(retry)}` : ''}`;
    }
    case 'revokeFailed': {
      const retry = str(d.retryAt);
      return `revoking access failed (attempt ${num(d.attempt) ?? '?'}): ${str(d.message) ?? str(d.code) ?? 'error'}${retry ? ` — retrying at ${time(retry)}` : ''}`;
    }
    case 'retryGrant':
      return `retrying the grant (attempt ${num(d.attempt) ?? '?'})`;
    case 'retryRevoke':
      return `retrying the revoke (attempt ${num(d.attempt) ?? '?'})`;
    case 'revocationSkipped':
      return `revocation skipped${because}`;
    case 'lateGrant':
      return 'a grant landed after the request ended; removing it';
    case 'cleanup':
      return 'cleaning up a grant that may have landed';
    case 'sweep':
      return `sweep: ${num(d.findings) ?? 0} finding(s), ${num(d.revocations) ?? 0} revocation(s)`;
    case 'approvalReminder': {
      const notified = Array.isArray(d.notified) ? d.notified.filter((a): a is string => typeof a === 'string') : [];
      const deadline = str(d.approvalDeadline);
      return `approvers reminded${notified.length ? ` (${notified.map(name).join(', ')})` : ''}${deadline ? ` — expires unapproved at ${time(deadline)}` : ''}`;
    }
    case 'windowEndWarning': {
      const end = str(d.windowEnd);
      const left = num(d.extensionsLeft);
      return `the requester was warned the window ends${end ? ` at ${time(end)}` : ''}${left !== undefined ? ` (${left} extension${left === 1 ? '' : 's'} left)` : ''}`;
    }
    case 'endedByPolicy':
      return `ended by the current policy${because}${d.hadAccess === true ? ' — removing access' : ''}`;
    case 'policyChange':
    case 'proposePolicyChange':
    case 'approvePolicyChange':
    case 'withdrawPolicyChange': {
      const version = num(d.version);
      return `${who}: ${AUDIT_EVENT_WORDS[r.event]}${version !== undefined ? ` (version ${version})` : ''}`;
    }
    default:
      // A record of another version of the app may name an event this one does not know.
      return `${who}: ${AUDIT_EVENT_WORDS[r.event] ?? r.event}${r.outcome === 'noted' ? ' (noted)' : ''}`;
  }
}

/** A sweep finding's disposition in words. */
export function describeDisposition(f: Finding): string {
  switch (f.disposition) {
    case 'revoke':
      return 'being revoked';
    case 'report':
      return 'reported only (drift mode: report)';
    case 'keptForFloor':
      return 'kept: removing it would break the org-admin floor';
    case 'keptIncomplete':
      return 'kept: the holder list was incomplete';
    case 'externallyManaged':
      return 'kept: the group is synced from an identity provider';
    case 'keptNoPermanentAdmin':
      return 'kept: no permanent admin holds org admin, so no org admin is revoked';
    case 'keptGrace':
      return `kept: removed from the permanent admins by a policy change; grace period until ${f.graceUntil ?? '?'}`;
  }
  return f.disposition;
}

export function describeFindingKind(f: Finding): string {
  return f.kind === 'endedStillHeld' ? 'still held after its grant ended' : 'held without a grant (drift)';
}

/**
 * How many refusals a coalesced refusal record stands for, in words ("" for one): repeated
 * refusals are recorded once an hour and counted beside the chain (`refusalCounts`).
 */
export function repeatNote(r: AuditRecord, counts: Record<string, number> | undefined): string {
  const key = str(r.details?.coalesceKey);
  const n = key ? counts?.[key] : undefined;
  return n && n > 1 ? `${n.toLocaleString('en-US')} times that hour (recorded once)` : '';
}
