/** Open grants (active, approved/scheduled, awaiting approval), or all of them. */
import { useEffect, useState } from 'preact/hooks';
import type { ErrorBody, Grant } from '../../src/shared/types';
import { adminCall } from '../shared/api';
import { clockOffset, formatClock, formatDateTime, formatMinutes, formatRange } from '../shared/time';
import { ErrorAlert, Lozenge } from '../shared/ui';
import { grantTone } from '../shared/words';
import { PersonLabel, useWantNames } from '../shared/people';

/** The grant's state in the core's words (core/src/grant.rs state_word), for the list. */
export function stateWord(g: Grant): string {
  if (g.status === 'ended') return g.outcome ?? 'ended';
  return g.status === 'requested' ? 'awaiting approval' : g.status;
}

function remaining(g: Grant, now: number): string {
  if (!g.window || g.status === 'ended' || g.status === 'requested') return '—';
  const start = Date.parse(g.window.start);
  const end = Date.parse(g.window.end);
  if (now < start) return `starts in ${formatMinutes((start - now) / 60000)}`;
  if (now >= end) return 'time is up';
  const s = (end - now) / 1000;
  return s >= 3600 ? `${formatMinutes(s / 60)} left` : `${formatClock(s)} left`;
}

const ORDER: Record<Grant['status'], number> = { active: 0, approved: 1, requested: 2, ended: 3 };

export function GrantsTab({ zone, locale }: { zone: string; locale?: string }) {
  const [scope, setScope] = useState<'open' | 'all'>('open');
  const [grants, setGrants] = useState<Grant[] | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [loadedAt, setLoadedAt] = useState(Date.now());
  // Server time minus browser time: "time remaining" counts on the server's clock.
  const [offset, setOffset] = useState(0);
  const [now, setNow] = useState(Date.now());
  useWantNames((grants ?? []).flatMap((g) => [g.requester, g.subject]));

  async function load() {
    const answer = await adminCall('listGrants', { scope, limit: 200 });
    if (answer.ok) {
      setGrants(answer.data.grants);
      setError(null);
      setLoadedAt(Date.now());
      setOffset(clockOffset(answer.data.now));
      setNow(Date.now());
    } else setError(answer.error);
  }
  useEffect(() => {
    void load();
  }, [scope]);
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), 15_000);
    return () => window.clearInterval(id);
  }, []);

  const sorted = (grants ?? []).slice().sort((a, b) => ORDER[a.status] - ORDER[b.status] || (a.window?.end ?? a.requestedAt).localeCompare(b.window?.end ?? b.requestedAt));
  return (
    <div class="stack">
      <div class="row space-between">
        <div class="row">
          <label class="choice">
            <input type="checkbox" checked={scope === 'all'} onChange={(e) => setScope((e.target as HTMLInputElement).checked ? 'all' : 'open')} />
            Include ended grants
          </label>
        </div>
        <div class="row">
          <span class="subtlest">Updated {formatDateTime(loadedAt + offset, zone, locale)}</span>
          <button type="button" class="btn btn-small" onClick={() => void load()}>
            Refresh
          </button>
        </div>
      </div>
      <ErrorAlert error={error} title="The grants could not be loaded" />
      {grants === null && !error ? <p class="subtle">Loading…</p> : null}
      {grants !== null ? (
        <div class="table-wrap">
          <table data-testid="grants-table">
            <caption>
              {scope === 'open' ? 'Active, scheduled and pending grants' : 'All grants'} ({sorted.length}); times in {zone}
            </caption>
            <thead>
              <tr>
                <th scope="col">Issue</th>
                <th scope="col">Target</th>
                <th scope="col">Requester / subject</th>
                <th scope="col">State</th>
                <th scope="col">Window</th>
                <th scope="col">Time remaining</th>
              </tr>
            </thead>
            <tbody>
              {sorted.length === 0 ? (
                <tr>
                  <td colSpan={6} class="empty">
                    No {scope === 'open' ? 'open ' : ''}grants.
                  </td>
                </tr>
              ) : null}
              {sorted.map((g) => (
                <tr key={g.id} data-testid="grant-row" data-grant-id={g.id}>
                  <td class="nowrap">
                    <strong>{g.issueKey}</strong>
                  </td>
                  <td>
                    {g.targetLabel}
                    {g.activation?.breakGlass ? (
                      <>
                        {' '}
                        <Lozenge tone="danger">break glass</Lozenge>
                      </>
                    ) : null}
                  </td>
                  <td>
                    <PersonLabel accountId={g.requester} />
                    {g.subject !== g.requester ? (
                      <span class="subtle">
                        {' '}
                        for <PersonLabel accountId={g.subject} />
                      </span>
                    ) : null}
                  </td>
                  <td>
                    <Lozenge tone={grantTone(g)}>{stateWord(g)}</Lozenge>
                    {g.provisioning.state === 'revoking' || g.provisioning.state === 'granting' ? (
                      <span class="subtlest"> · {g.provisioning.state}</span>
                    ) : null}
                  </td>
                  <td>
                    {g.window ? (
                      formatRange(g.window.start, g.window.end, zone, locale)
                    ) : (
                      <span class="subtle">
                        {formatMinutes(g.durationMinutes)} once approved
                      </span>
                    )}
                  </td>
                  <td class="nowrap" data-testid="grant-remaining">
                    {remaining(g, now + offset)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
