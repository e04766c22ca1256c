/** The last sweep: findings with their disposition in words, the org-admin floor, holders per target, alerts. */
import { useEffect, useState } from 'preact/hooks';
import type { AlertRecord, DriftReport, ErrorBody, Finding } from '../../src/shared/types';
import { adminCall } from '../shared/api';
import { formatDateTime, formatMinutes } from '../shared/time';
import { ErrorAlert, Lozenge } from '../shared/ui';
import { describeDisposition, describeFindingKind, type Tone } from '../shared/words';
import { PersonLabel, useWantNames } from '../shared/people';

const SEVERITY: Record<string, Tone> = { critical: 'danger', warning: 'warning', info: 'info' };
const DISPOSITION: Record<string, Tone> = {
  revoke: 'warning',
  report: 'danger',
  keptForFloor: 'info',
  keptIncomplete: 'neutral',
  externallyManaged: 'neutral',
  keptNoPermanentAdmin: 'danger',
  reportGroup: 'danger',
  keptGrace: 'info',
};

/** Access through a group's role: the app reports it and names the group, an admin must change the group. */
const viaGroup = (f: Finding) => f.kind === 'viaGroup';

export function DriftTab({ zone, locale }: { zone: string; locale?: string }) {
  const [drift, setDrift] = useState<DriftReport | null>(null);
  const [alerts, setAlerts] = useState<AlertRecord[] | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [alertError, setAlertError] = useState<ErrorBody | null>(null);
  useWantNames([
    ...(drift?.findings ?? []).map((f) => f.accountId),
    ...(drift?.holders ?? []).flatMap((h) => [...h.holders, ...(h.viaGroups ?? []).flatMap((g) => g.accountIds)]),
  ]);

  async function load() {
    const [d, a] = await Promise.all([adminCall('getDrift', {}), adminCall('getAlerts', { limit: 50 })]);
    if (d.ok) {
      setDrift(d.data);
      setError(null);
    } else setError(d.error);
    if (a.ok) {
      setAlerts(a.data);
      setAlertError(null);
    } else setAlertError(a.error);
  }
  useEffect(() => {
    void load();
  }, []);

  const at = (iso?: string) => formatDateTime(iso, zone, locale);
  const floor = drift?.floor;
  const floorTone: Tone = !floor ? 'neutral' : floor.after < floor.min ? 'danger' : floor.after === floor.min ? 'warning' : 'success';

  return (
    <div class="stack">
      <div class="row space-between">
        <p>
          {drift?.at ? (
            <>
              Last sweep: <strong>{at(drift.at)}</strong>{' '}
              <span class="subtlest">({formatMinutes((Date.now() - Date.parse(drift.at)) / 60000)} ago)</span>
            </>
          ) : drift ? (
            <span class="subtle">No sweep has run yet.</span>
          ) : null}
        </p>
        <button type="button" class="btn btn-small" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <ErrorAlert error={error} title="The drift report could not be loaded" />

      {floor ? (
        <section class={`floor card tone-border-${floorTone}`} aria-labelledby="floor-title" data-testid="drift-floor">
          <h3 id="floor-title">Org-admin floor</h3>
          <p>
            <Lozenge tone={floorTone}>{floor.after < floor.min ? 'below the floor' : floor.after === floor.min ? 'at the floor' : 'above the floor'}</Lozenge>{' '}
            {floor.orgAdmins} org admin{floor.orgAdmins === 1 ? '' : 's'} now; {floor.after} after the planned revocations; at least {floor.min}{' '}
            must remain.
          </p>
        </section>
      ) : null}

      {drift ? (
        <section aria-labelledby="findings-title" class="stack-tight">
          <h3 id="findings-title">Findings ({drift.findings.length})</h3>
          <div class="table-wrap">
            <table data-testid="drift-table">
              <thead>
                <tr>
                  <th scope="col">Target</th>
                  <th scope="col">Account</th>
                  <th scope="col">Finding</th>
                  <th scope="col">What happens</th>
                  <th scope="col">Grant</th>
                </tr>
              </thead>
              <tbody>
                {drift.findings.length === 0 ? (
                  <tr>
                    <td colSpan={5} class="empty">
                      Nothing found: everyone who holds admin access has a grant or is expected to.
                    </td>
                  </tr>
                ) : null}
                {drift.findings.map((f, i) => (
                  <tr key={i} data-testid="drift-row">
                    <td>{f.target}</td>
                    <td>
                      <PersonLabel accountId={f.accountId} />
                    </td>
                    <td>
                      {viaGroup(f) ? (
                        <>
                          held through group <strong data-testid="drift-group">{f.groupName ?? f.groupId}</strong>
                        </>
                      ) : (
                        describeFindingKind(f)
                      )}
                    </td>
                    <td>
                      <Lozenge tone={DISPOSITION[f.disposition] ?? 'neutral'}>{f.disposition}</Lozenge>{' '}
                      {viaGroup(f)
                        ? `reported only: JIT Admin never changes a group's roles or members; remove the role from group ${f.groupName ?? f.groupId} (or the person from the group) in admin.atlassian.com`
                        : describeDisposition(f)}
                    </td>
                    <td class="mono-cell">{f.grantId ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}

      {drift?.holders.length ? (
        <section aria-labelledby="holders-title" class="stack-tight">
          <h3 id="holders-title">Who holds each target</h3>
          <ul class="holders">
            {drift.holders.map((h) => (
              <li key={h.target} class="holder-row">
                <strong>{h.target}</strong>{' '}
                {!h.complete ? <Lozenge tone="warning">list incomplete</Lozenge> : null}{' '}
                {h.externallySynced ? <Lozenge tone="neutral">synced from identity provider</Lozenge> : null}
                <span class="holder-ids">
                  {h.holders.length ? (
                    h.holders.map((id) => (
                      <span key={id} class="chip chip-static">
                        <PersonLabel accountId={id} size={16} />
                      </span>
                    ))
                  ) : (
                    <span class="subtle">nobody</span>
                  )}
                </span>
                {(h.viaGroups ?? []).map((g) => (
                  <span key={g.groupId} class="holder-ids" data-testid="holders-via-group">
                    <span class="subtle">through group {g.groupName ?? g.groupId}:</span>{' '}
                    {g.accountIds.length ? (
                      g.accountIds.map((id) => (
                        <span key={id} class="chip chip-static">
                          <PersonLabel accountId={id} size={16} />
                        </span>
                      ))
                    ) : (
                      <span class="subtle">no members</span>
                    )}
                  </span>
                ))}
                {h.unread ? <span class="subtle"> ({h.unread} account(s) still to be read by later sweeps)</span> : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <section aria-labelledby="alerts-title" class="stack-tight">
        <h3 id="alerts-title">Recent alerts</h3>
        <ErrorAlert error={alertError} title="The alerts could not be loaded" />
        {alerts && alerts.length === 0 ? <p class="subtle">No alerts.</p> : null}
        {alerts && alerts.length ? (
          <ul class="alerts" data-testid="alerts-list">
            {alerts.map((a) => (
              <li key={a.key} class="alert-item">
                <Lozenge tone={SEVERITY[a.severity] ?? 'neutral'}>{a.severity}</Lozenge>
                <span class="subtlest nowrap">{at(a.at)}</span>
                <span class="mono">{a.code}</span>
                <span class="alert-message">
                  {a.message}
                  {a.issueKey ? <span class="subtle"> · {a.issueKey}</span> : null}
                </span>
              </li>
            ))}
          </ul>
        ) : null}
      </section>
    </div>
  );
}
