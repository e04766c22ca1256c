/**
 * The Health view: runs the checks of the live installation (`getHealth`) and shows one row per
 * check with its status, what was found and the fix. Every word of a row is the core's
 * (`core.judgeHealth`: title, code, found, fix); this tab only lays them out.
 */
import { useState } from 'preact/hooks';
import type { ErrorBody, HealthReport, HealthStatus } from '../../src/shared/types';
import { adminCall } from '../shared/api';
import { formatDateTime } from '../shared/time';
import { ErrorAlert, Lozenge } from '../shared/ui';
import type { Tone } from '../shared/words';

const TONE: Record<HealthStatus, Tone> = { ok: 'success', warning: 'warning', unknown: 'neutral', failed: 'danger' };

export function HealthTab({ zone, locale }: { zone: string; locale?: string }) {
  const [report, setReport] = useState<HealthReport | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [running, setRunning] = useState(false);

  async function run() {
    setRunning(true);
    const answer = await adminCall('getHealth', {});
    setRunning(false);
    if (answer.ok) {
      setReport(answer.data);
      setError(null);
    } else setError(answer.error);
  }

  return (
    <div class="stack">
      <div class="row space-between">
        <p>
          {report ? (
            <>
              <Lozenge tone={TONE[report.status]} testid="health-overall">
                {report.status}
              </Lozenge>{' '}
              Checked at <strong>{formatDateTime(report.at, zone, locale)}</strong>
            </>
          ) : (
            <span class="subtle">Checks the organizations API key and organization, the role endpoints, the policy's targets and permanent admins, storage, the queue and the sweep.</span>
          )}
        </p>
        <button type="button" class="btn btn-primary" data-testid="health-run" disabled={running} onClick={() => void run()}>
          {running ? 'Running…' : 'Run checks'}
        </button>
      </div>
      <ErrorAlert error={error} title="The checks could not be run" />
      {report ? (
        <div class="table-wrap">
          <table data-testid="health-table">
            <thead>
              <tr>
                <th scope="col">Check</th>
                <th scope="col">Status</th>
                <th scope="col">Found</th>
                <th scope="col">Fix</th>
              </tr>
            </thead>
            <tbody>
              {report.checks.map((c, i) => (
                <tr key={i} data-testid="health-row" data-check={c.check} data-subject={c.subject ?? ''} data-code={c.code} data-status={c.status}>
                  <td>
                    {c.title}
                    {c.subject ? <span class="mono-cell"> {c.subject}</span> : null}
                  </td>
                  <td>
                    <Lozenge tone={TONE[c.status]}>{c.status}</Lozenge> <span class="mono subtlest nowrap">{c.code}</span>
                  </td>
                  <td>{c.found}</td>
                  <td data-testid="health-fix">{c.fix ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
