/** The grant's history, from its audit records, oldest first (newest last), like a Jira activity list. */
import type { AuditRecord } from '../../src/shared/types';
import { formatFull, formatShort } from '../shared/time';
import { describeRecord, type Namer } from '../shared/words';

interface Props {
  records: AuditRecord[];
  zone: string;
  locale?: string;
  nowMs: number;
  name: Namer;
  requiredApprovals?: number;
}

export function Timeline({ records, zone, locale, nowMs, name, requiredApprovals }: Props) {
  const time = (iso: string) => formatShort(iso, zone, locale, nowMs);
  return (
    <section class="history" aria-labelledby="history-title">
      <h3 id="history-title">
        History <span class="subtlest">(oldest first)</span>
      </h3>
      <ol class="timeline" data-testid="timeline">
        {records.map((r) => (
          <li key={r.seq} class={`timeline-item outcome-${r.outcome}`} data-testid="timeline-item" data-event={r.event}>
            <time dateTime={r.at} title={formatFull(r.at, zone, locale)}>
              {time(r.at)}
            </time>
            <span class="timeline-text">{describeRecord(r, name, time, requiredApprovals)}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
