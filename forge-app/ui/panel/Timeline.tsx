/**
 * The grant's history, from its audit records, oldest first (newest last), like a Jira activity list.
 * The resolver sends the newest page; "Show older" asks for the page before it, so a long history
 * (or a flood of refusals) never makes one answer large.
 */
import type { AuditRecord } from '../../src/shared/types';
import { formatFull, formatShort } from '../shared/time';
import { describeRecord, repeatNote, type Namer } from '../shared/words';

interface Props {
  records: AuditRecord[];
  zone: string;
  locale?: string;
  nowMs: number;
  name: Namer;
  requiredApprovals?: number;
  /** `details.coalesceKey` → refusals that record stands for. */
  counts?: Record<string, number>;
  /** Older records exist: show the control. */
  hasOlder?: boolean;
  loadingOlder?: boolean;
  onOlder?: () => void;
}

export function Timeline({ records, zone, locale, nowMs, name, requiredApprovals, counts, hasOlder, loadingOlder, onOlder }: Props) {
  const time = (iso: string) => formatShort(iso, zone, locale, nowMs);
  return (
    <section class="history" aria-labelledby="history-title">
      <h3 id="history-title">
        History <span class="subtlest">(oldest first)</span>
      </h3>
      {hasOlder ? (
        <button type="button" class="btn btn-subtle" data-testid="timeline-older" disabled={loadingOlder} onClick={onOlder}>
          {loadingOlder ? 'Loading…' : 'Show older'}
        </button>
      ) : null}
      <ol class="timeline" data-testid="timeline">
        {records.map((r) => {
          const repeats = repeatNote(r, counts);
          return (
            <li key={r.seq} class={`timeline-item outcome-${r.outcome}`} data-testid="timeline-item" data-event={r.event}>
              <time dateTime={r.at} title={formatFull(r.at, zone, locale)}>
                {time(r.at)}
              </time>
              <span class="timeline-text">
                {describeRecord(r, name, time, requiredApprovals)}
                {repeats ? <span class="subtle" data-testid="timeline-repeats">{` — ${repeats}`}</span> : null}
              </span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
