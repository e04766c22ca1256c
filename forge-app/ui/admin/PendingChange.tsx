/**
 * The guard-rail change waiting for a second permanent admin: who proposed it, what it changes (the
 * core's diff, guard rails marked), who may approve it, and the Approve / Withdraw buttons the core
 * says this viewer gets. The buttons are a convenience: the server decides every call again.
 */
import { useState } from 'preact/hooks';
import type { ErrorBody, PolicyData } from '../../src/shared/types';
import { adminCall } from '../shared/api';
import { formatDateTime } from '../shared/time';
import { ErrorAlert, Lozenge } from '../shared/ui';
import { PersonLabel, useWantNames } from '../shared/people';

interface Props {
  meta: PolicyData;
  zone: string;
  locale?: string;
  /** Called with the server's answer after an approval or a withdrawal. */
  onChanged: (data: PolicyData, what: string) => void;
}

const STATE_WORDS = {
  open: 'waiting for approval',
  stale: 'stale: the policy changed since; it can only be withdrawn',
  expired: 'expired without approval',
} as const;

/** A diff value, short: lists joined, objects as compact JSON, absent as a dash. */
function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.length ? v.join(', ') : '(none)';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function PendingChange({ meta, zone, locale, onChanged }: Props) {
  useWantNames([meta.pendingChange?.proposer ?? '', ...(meta.pendingStatus?.approvers.accountIds ?? [])].filter(Boolean));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorBody | null>(null);
  const change = meta.pendingChange;
  const status = meta.pendingStatus;
  if (!change || !status) return null;
  const approvers = status.approvers;

  async function act(call: 'approvePolicyChange' | 'withdrawPolicyChange') {
    setBusy(true);
    setError(null);
    const answer = await adminCall(call, { changeId: change!.id });
    setBusy(false);
    if (answer.ok) onChanged(answer.data, call === 'approvePolicyChange' ? 'Approved: the change is in force.' : 'Withdrawn.');
    else setError(answer.error);
  }

  return (
    <section class="card pending-change" aria-labelledby="pending-title" data-testid="pending-change" data-change-id={change.id} data-state={status.state}>
      <div class="card-head">
        <h3 id="pending-title">Guard-rail change waiting for a second permanent admin</h3>
        <Lozenge tone={status.state === 'open' ? 'warning' : 'neutral'} testid="pending-state">
          {STATE_WORDS[status.state]}
        </Lozenge>
      </div>
      <p>
        Proposed by <strong>
          <PersonLabel accountId={change.proposer} size={16} />
        </strong> at {formatDateTime(change.proposedAt, zone, locale)} against version{' '}
        {change.baseVersion}; it expires at {formatDateTime(change.expiresAt, zone, locale)}. Nothing below is in force until another permanent admin
        approves it.
      </p>
      <div class="table-wrap">
        <table data-testid="pending-diff">
          <caption>What it changes</caption>
          <thead>
            <tr>
              <th scope="col">Setting</th>
              <th scope="col">Now</th>
              <th scope="col">Proposed</th>
              <th scope="col">Kind</th>
            </tr>
          </thead>
          <tbody>
            {change.diff.map((d) => (
              <tr key={d.path} data-testid="pending-diff-row" data-path={d.path} data-guard-rail={d.guardRail ? 'true' : 'false'}>
                <th scope="row" class="mono">
                  {d.path}
                </th>
                <td class="mono">{show(d.before)}</td>
                <td class="mono">{show(d.after)}</td>
                <td>{d.guardRail ? <Lozenge tone="danger">guard rail</Lozenge> : <span class="subtle">applies with it</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p data-testid="pending-approvers">
        Who may approve it:{' '}
        {approvers.accountIds.length
          ? approvers.accountIds.map((id, i) => (
              <span key={id}>
                {i ? ', ' : ''}
                <PersonLabel accountId={id} size={16} />
              </span>
            ))
          : null}
        {approvers.accountIds.length && approvers.orgAdminsMayApprove ? ' or ' : null}
        {approvers.orgAdminsMayApprove ? 'any Jira admin who is an org admin today (the policy has a single permanent admin)' : null}
        {!approvers.accountIds.length && !approvers.orgAdminsMayApprove ? 'nobody' : null}. Never its proposer.
      </p>
      <ErrorAlert error={error} title="The change was not decided" />
      <div class="row">
        {meta.viewer.approve.allowed && status.state === 'open' ? (
          <button type="button" class="btn btn-primary" data-testid="pending-approve" disabled={busy} onClick={() => void act('approvePolicyChange')}>
            Approve change
          </button>
        ) : null}
        {meta.viewer.withdraw.allowed ? (
          <button type="button" class="btn" data-testid="pending-withdraw" disabled={busy} onClick={() => void act('withdrawPolicyChange')}>
            Withdraw change
          </button>
        ) : null}
        {!meta.viewer.approve.allowed && !meta.viewer.withdraw.allowed ? (
          <span class="subtle" data-testid="pending-why-not">
            {meta.viewer.approve.reason?.message ?? 'You cannot decide on this change'} <span class="code">({meta.viewer.approve.reason?.code})</span>
          </span>
        ) : null}
      </div>
    </section>
  );
}
