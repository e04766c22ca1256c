/**
 * The eligibility review: every person and group the policy lets request, approve or break glass
 * on each target, when each last used that right, and the ones idle for longer than the policy's
 * period (all the core's answer). Remove takes one right away through the same validated, audited
 * policy save as the editor (a guard rail, such as an approver, waits for a second permanent
 * admin). Export CSV gives the review to a quarterly access review.
 */
import { useEffect, useState } from 'preact/hooks';
import type { EligibilityRole, Principal } from '../../src/decision/contract';
import { reviewCsv } from '../../src/shared/reviewCsv';
import type { EligibilityReviewData, ErrorBody, PolicyData, ReviewRow } from '../../src/shared/types';
import { adminCall } from '../shared/api';
import { GroupLabel, PeopleContext, PersonLabel } from '../shared/people';
import { formatDateTime } from '../shared/time';
import { ErrorAlert, Lozenge } from '../shared/ui';
import { download } from './AuditTab';
import { withoutPrincipal } from './policyModel';

const ROLE_WORDS: Record<EligibilityRole, string> = { requester: 'may request', approver: 'may approve', breakGlass: 'break glass' };

const idOf = (p: Principal) => (p.type === 'account' ? p.accountId : p.groupId);
const rowKey = (r: ReviewRow) => `${r.target}\u0000${r.role}\u0000${r.principal.type}\u0000${idOf(r.principal)}`;

export function ReviewTab({ zone, locale }: { zone: string; locale?: string }) {
  const [data, setData] = useState<EligibilityReviewData | null>(null);
  const [policy, setPolicy] = useState<PolicyData | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [onlyIdle, setOnlyIdle] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');

  async function load() {
    const [review, current] = await Promise.all([adminCall('getEligibilityReview', {}), adminCall('getPolicy', {})]);
    if (!review.ok) return setError(review.error);
    if (!current.ok) return setError(current.error);
    setError(null);
    setData(review.data);
    setPolicy(current.data);
  }
  useEffect(() => {
    void load();
  }, []);

  async function remove(r: ReviewRow) {
    if (!policy?.policy || !data) return;
    setBusy(true);
    const next = withoutPrincipal(policy.policy, r.target, r.role, r.principal);
    const answer = await adminCall('savePolicy', { policy: next, expectedVersion: policy.version });
    setBusy(false);
    setConfirming(null);
    if (!answer.ok) {
      setError(answer.problems?.length ? { ...answer.error, message: `${answer.error.message}: ${answer.problems.map((p) => p.message).join('; ')}` } : answer.error);
      return;
    }
    setError(null);
    setStatus(
      answer.data.outcome === 'proposed'
        ? 'Proposed: the removal touches a guard rail and waits for another permanent admin (see the Policy tab).'
        : 'Removed: the policy was saved.',
    );
    await load();
  }

  if (!data) {
    return (
      <div>
        <ErrorAlert error={error} title="The review could not load" />
        {error ? null : <p class="subtle">Loading…</p>}
      </div>
    );
  }
  const { review } = data;
  const canSave = !!policy?.viewer.save.allowed && !policy.pendingChange;
  const rows = onlyIdle ? review.rows.filter((r) => r.idle) : review.rows;
  const at = (iso?: string) => (iso ? formatDateTime(iso, zone, locale, false) : 'never');
  const stamp = data.now.replace(/[:.]/g, '-');

  return (
    <PeopleContext.Provider value={data}>
      <div class="review" data-testid="review">
        <div class="card-head">
          <p data-testid="review-summary">
            <strong>{review.idleCount}</strong> of {review.rows.length} rights unused for more than {review.idleAfterDays} days
            {review.historyFrom ? <span class="subtle"> (activity read since {at(review.historyFrom)})</span> : null}.
          </p>
          <label class="check">
            <input type="checkbox" checked={onlyIdle} data-testid="review-only-idle" onChange={(e) => setOnlyIdle((e.target as HTMLInputElement).checked)} /> Only idle
          </label>
          <button
            type="button"
            class="btn"
            data-testid="review-export"
            onClick={() => {
              download(`jit-admin-eligibility-${stamp}.csv`, 'text/csv', reviewCsv(review, data));
              setStatus('Downloaded the review as CSV.');
            }}
          >
            Export CSV
          </button>
        </div>
        {data.groupsUnread ? <p class="message message-warning">The groups of {data.groupsUnread} people could not be read: some group rows may miss uses.</p> : null}
        {policy?.pendingChange ? <p class="subtle">A policy change waits for approval: removals are possible once it is decided.</p> : null}
        {!policy?.viewer.save.allowed ? <p class="subtle">Only a permanent admin can remove a right.</p> : null}
        <ErrorAlert error={error} />
        <div class="sr-only" role="status" aria-live="polite" data-testid="review-status">
          {status}
        </div>
        {status ? <p class="subtle">{status}</p> : null}
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Target</th>
              <th scope="col">Right</th>
              <th scope="col">Who</th>
              <th scope="col">Last used</th>
              <th scope="col">Uses</th>
              <th scope="col">Idle</th>
              <th scope="col">
                <span class="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const key = rowKey(r);
              const id = idOf(r.principal);
              return (
                <tr key={key} data-testid="review-row" data-idle={r.idle ? 'true' : 'false'} data-id={id} data-role={r.role} data-target={r.target}>
                  <td>{r.targetLabel}</td>
                  <td>{ROLE_WORDS[r.role]}</td>
                  <td>{r.principal.type === 'account' ? <PersonLabel accountId={id} /> : <GroupLabel groupId={id} />}</td>
                  <td>
                    {at(r.lastUsed)}
                    {r.lastIssueKey ? <span class="subtlest"> {r.lastIssueKey}</span> : null}
                    {r.attributionComplete ? null : <span class="subtlest" title="Some members' groups could not be read"> (incomplete)</span>}
                  </td>
                  <td>{r.uses}</td>
                  <td>{r.idle ? <Lozenge tone="warning">idle {r.idleDays} days</Lozenge> : r.idleDays !== undefined ? <span class="subtle">{r.idleDays} days</span> : null}</td>
                  <td>
                    {!canSave ? null : confirming === key ? (
                      <span class="confirm">
                        <button type="button" class="btn btn-danger" disabled={busy} data-testid="review-remove-confirm" onClick={() => void remove(r)}>
                          Remove
                        </button>{' '}
                        <button type="button" class="btn" disabled={busy} onClick={() => setConfirming(null)}>
                          Keep
                        </button>
                      </span>
                    ) : (
                      <button type="button" class="btn" data-testid="review-remove" aria-label={`Remove ${ROLE_WORDS[r.role]} on ${r.targetLabel} from ${id}`} onClick={() => setConfirming(key)}>
                        Remove…
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </PeopleContext.Provider>
  );
}
