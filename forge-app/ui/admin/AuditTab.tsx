/**
 * The audit trail: filters, newest first with "older" paging, the hash chain's verification (prominent), and
 * CSV/JSON export (the resolver builds the file; it is downloaded here through a Blob and <a download>).
 */
import { useContext, useEffect, useState } from 'preact/hooks';
import { AUDIT_EVENTS } from '../../src/decision/contract';
import type { AuditPage, AuditQuery, AuditRecord, ErrorBody } from '../../src/shared/types';
import { adminCall } from '../shared/api';
import { formatDateTime, formatFull, fromLocalInput } from '../shared/time';
import { ErrorAlert, FieldError, Lozenge } from '../shared/ui';
import { AUDIT_EVENT_WORDS, describeRecord, makeNamer, repeatNote, type Tone } from '../shared/words';
import { PeopleContext, PersonLabel, useWantNames } from '../shared/people';

const OUTCOME: Record<string, Tone> = { accepted: 'success', refused: 'danger', noted: 'neutral' };
const PAGE = 50;

interface Filters {
  grantId: string;
  actor: string;
  event: string;
  outcome: '' | 'accepted' | 'refused' | 'noted';
  from: string;
  to: string;
}
const EMPTY: Filters = { grantId: '', actor: '', event: '', outcome: '', from: '', to: '' };

/** Downloads text as a file, without a round trip (Forge's Custom UI has no download API). */
export function download(filename: string, contentType: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: contentType }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function AuditTab({ zone, locale }: { zone: string; locale?: string }) {
  const [form, setForm] = useState<Filters>(EMPTY);
  const [query, setQuery] = useState<AuditQuery>({});
  const [records, setRecords] = useState<AuditRecord[] | null>(null);
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [page, setPage] = useState<AuditPage | null>(null);
  const names = useContext(PeopleContext);
  useWantNames((page?.records ?? []).map((r) => r.actor));
  const [error, setError] = useState<ErrorBody | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<'from' | 'to', string>>>({});
  const [loading, setLoading] = useState(false);
  const [exporting, setExporting] = useState<'csv' | 'json' | null>(null);
  const [status, setStatus] = useState('');

  async function fetchPage(q: AuditQuery, append: boolean) {
    setLoading(true);
    const answer = await adminCall('getAudit', { ...q, limit: PAGE });
    setLoading(false);
    if (!answer.ok) {
      setError(answer.error);
      return;
    }
    setError(null);
    setPage(answer.data);
    setRecords((old) => (append && old ? [...old, ...answer.data.records] : answer.data.records));
    setCounts((old) => ({ ...(append ? old : {}), ...(answer.data.refusalCounts ?? {}) }));
    setStatus(`${append ? 'Loaded' : 'Showing'} ${answer.data.records.length} record${answer.data.records.length === 1 ? '' : 's'}.`);
  }
  useEffect(() => {
    void fetchPage({}, false);
  }, []);

  function toQuery(f: Filters): AuditQuery | null {
    const q: AuditQuery = {};
    const errs: typeof fieldErrors = {};
    if (f.grantId.trim()) q.grantId = f.grantId.trim();
    if (f.actor.trim()) q.actor = f.actor.trim();
    if (f.event) q.event = f.event;
    if (f.outcome) q.outcome = f.outcome;
    for (const k of ['from', 'to'] as const) {
      if (!f[k]) continue;
      const t = fromLocalInput(f[k], zone);
      if (t.ok) q[k] = t.rfc3339;
      else errs[k] = t.reason === 'skipped' ? `That time does not exist in ${zone}; try ${t.suggestion.replace('T', ' ')}` : 'Enter a date and time';
    }
    setFieldErrors(errs);
    return Object.keys(errs).length ? null : q;
  }

  async function exportAs(format: 'csv' | 'json') {
    const q = toQuery(form) ?? query;
    setExporting(format);
    const answer = await adminCall('exportAudit', { ...q, format });
    setExporting(null);
    if (!answer.ok) {
      setError(answer.error);
      return;
    }
    download(answer.data.filename, answer.data.contentType, answer.data.content);
    setStatus(`Downloaded ${answer.data.filename}.`);
  }

  const v = page?.verification;
  const name = makeNamer(undefined, names.people);
  const time = (iso: string) => formatFull(iso, zone, locale);
  const set = (k: keyof Filters) => (e: Event) => setForm((f) => ({ ...f, [k]: (e.target as HTMLInputElement).value }));

  return (
    <div class="stack">
      {v ? (
        <div
          class={`verification message ${v.valid ? 'message-success' : 'message-error'}`}
          data-testid="audit-verification"
          data-valid={v.valid ? 'true' : 'false'}
          role={v.valid ? undefined : 'alert'}
        >
          {v.valid ? (
            <>
              <strong>✓ Audit chain verified</strong>
              <span>
                {v.verifiedThrough !== undefined ? (
                  <>
                    Every record up to #{v.verifiedThrough} links up unbroken from the first
                    {v.upToDate === false ? ' (newer records are checked on the next loads)' : ''}; this check re-read {v.checked} record
                    {v.checked === 1 ? '' : 's'}
                    {v.rescanned ? `, including #${v.rescanned.from}–#${v.rescanned.to} of the older ones` : ''}.
                  </>
                ) : (
                  <>
                    All {v.checked} record{v.checked === 1 ? '' : 's'} link up unbroken from the first; none was removed or edited.
                  </>
                )}
              </span>
            </>
          ) : (
            <>
              <strong>✗ Audit chain broken</strong>
              <span>
                {v.firstBroken ? (
                  <>
                    First broken link at record <strong>#{v.firstBroken.seq}</strong>: {v.firstBroken.reason}. Records from there on cannot be
                    trusted.
                  </>
                ) : (
                  `Checked ${v.checked} records; the chain does not verify.`
                )}
              </span>
            </>
          )}
        </div>
      ) : null}

      <form
        class="filters"
        aria-label="Audit filters"
        onSubmit={(e) => {
          e.preventDefault();
          const q = toQuery(form);
          if (!q) return;
          setQuery(q);
          void fetchPage(q, false);
        }}
      >
        <div class="field">
          <label for="af-grant">Grant (its issue key)</label>
          <input id="af-grant" type="text" data-testid="audit-filter-grant" value={form.grantId} onInput={set('grantId')} />
        </div>
        <div class="field">
          <label for="af-actor">Actor (account id or “system”)</label>
          <input id="af-actor" type="text" data-testid="audit-filter-actor" value={form.actor} onInput={set('actor')} />
        </div>
        <div class="field">
          <label for="af-event">Event</label>
          <select id="af-event" data-testid="audit-filter-event" value={form.event} onChange={set('event')}>
            <option value="">Any</option>
            {AUDIT_EVENTS.map((e) => (
              <option key={e} value={e}>
                {e} — {AUDIT_EVENT_WORDS[e]}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="af-outcome">Outcome</label>
          <select id="af-outcome" data-testid="audit-filter-outcome" value={form.outcome} onChange={set('outcome')}>
            <option value="">Any</option>
            <option value="accepted">accepted</option>
            <option value="refused">refused</option>
            <option value="noted">noted</option>
          </select>
        </div>
        <div class="field">
          <label for="af-from">From ({zone})</label>
          <input
            id="af-from"
            type="datetime-local"
            data-testid="audit-filter-from"
            value={form.from}
            onInput={set('from')}
            aria-invalid={fieldErrors.from ? 'true' : undefined}
            aria-describedby={fieldErrors.from ? 'af-from-error' : undefined}
          />
          <FieldError id="af-from-error" field="from" message={fieldErrors.from} />
        </div>
        <div class="field">
          <label for="af-to">To ({zone})</label>
          <input
            id="af-to"
            type="datetime-local"
            data-testid="audit-filter-to"
            value={form.to}
            onInput={set('to')}
            aria-invalid={fieldErrors.to ? 'true' : undefined}
            aria-describedby={fieldErrors.to ? 'af-to-error' : undefined}
          />
          <FieldError id="af-to-error" field="to" message={fieldErrors.to} />
        </div>
        <div class="row filter-buttons">
          <button type="submit" class="btn btn-primary" data-testid="audit-apply">
            Apply filters
          </button>
          <button
            type="button"
            class="btn btn-subtle"
            onClick={() => {
              setForm(EMPTY);
              setFieldErrors({});
              setQuery({});
              void fetchPage({}, false);
            }}
          >
            Clear
          </button>
          <span class="spacer" />
          <button type="button" class="btn" data-testid="audit-export-csv" disabled={exporting !== null} onClick={() => void exportAs('csv')}>
            {exporting === 'csv' ? 'Exporting…' : 'Export CSV'}
          </button>
          <button type="button" class="btn" data-testid="audit-export-json" disabled={exporting !== null} onClick={() => void exportAs('json')}>
            {exporting === 'json' ? 'Exporting…' : 'Export JSON'}
          </button>
        </div>
      </form>

      <div class="sr-only" role="status">
        {status}
      </div>
      <ErrorAlert error={error} title="The audit trail could not be loaded" />

      {records ? (
        <div class="table-wrap">
          <table data-testid="audit-table" aria-busy={loading ? 'true' : 'false'}>
            <caption>
              Newest first; times in {zone}. {records.length} shown{page?.nextBeforeSeq !== undefined ? ', more below' : ''}.
            </caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Event</th>
                <th scope="col">Outcome</th>
                <th scope="col">Issue / target</th>
              </tr>
            </thead>
            <tbody>
              {records.length === 0 ? (
                <tr>
                  <td colSpan={6} class="empty">
                    No records match.
                  </td>
                </tr>
              ) : null}
              {records.map((r) => {
                const broken = v && !v.valid && v.firstBroken && r.seq >= v.firstBroken.seq;
                return (
                  <tr key={r.seq} data-testid="audit-row" class={broken ? 'row-broken' : undefined}>
                    <td class="nowrap">{r.seq}</td>
                    <td class="nowrap">{time(r.at)}</td>
                    <td>
                      <PersonLabel accountId={r.actor} size={16} />
                    </td>
                    <td>
                      <span class="mono">{r.event}</span>
                      <div class="subtle event-words">{describeRecord(r, name, (iso) => formatDateTime(iso, zone, locale, false))}</div>
                      {repeatNote(r, counts) ? (
                        <div class="subtle" data-testid="audit-repeats">
                          {repeatNote(r, counts)}
                        </div>
                      ) : null}
                      {Object.keys(r.details ?? {}).length ? (
                        <details class="record-details">
                          <summary>Details</summary>
                          <pre>{JSON.stringify(r.details, null, 2)}</pre>
                        </details>
                      ) : null}
                    </td>
                    <td>
                      <Lozenge tone={OUTCOME[r.outcome] ?? 'neutral'}>{r.outcome}</Lozenge>
                    </td>
                    <td class="nowrap">
                      {r.issueKey ?? '—'}
                      {r.target ? <div class="subtle">{r.target}</div> : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {page?.nextBeforeSeq !== undefined ? (
        <button
          type="button"
          class="btn"
          data-testid="audit-older"
          disabled={loading}
          onClick={() => void fetchPage({ ...query, beforeSeq: page.nextBeforeSeq }, true)}
        >
          {loading ? 'Loading…' : 'Show older records'}
        </button>
      ) : null}
    </div>
  );
}
