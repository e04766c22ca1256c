/**
 * The eligibility review as CSV, for a quarterly access review: one line per right the policy
 * gives, with the person's or group's name beside its id. Pure (no Wasm, no I/O): the admin page
 * builds the file from the review it shows.
 */
import type { PeopleNames, Review } from './types';

export const REVIEW_CSV_COLUMNS = [
  'target',
  'targetLabel',
  'role',
  'principalType',
  'principalId',
  'name',
  'lastUsed',
  'lastIssueKey',
  'uses',
  'idleDays',
  'idle',
  'attributionComplete',
] as const;

/** RFC 4180 cell; text a spreadsheet would run as a formula gets a leading `'`. */
function cell(value: string | number | undefined): string {
  let text = value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The review as CSV (CRLF lines, a header first). Names come from `names`; an unnamed id stays blank. */
export function reviewCsv(review: Review, names: PeopleNames): string {
  const lines: string[] = [REVIEW_CSV_COLUMNS.join(',')];
  for (const r of review.rows) {
    const id = r.principal.type === 'account' ? r.principal.accountId : r.principal.groupId;
    const name = r.principal.type === 'account' ? names.people[id]?.displayName : names.groups[id]?.name;
    lines.push(
      [
        r.target,
        r.targetLabel,
        r.role,
        r.principal.type,
        id,
        name,
        r.lastUsed,
        r.lastIssueKey,
        r.uses,
        r.idleDays,
        r.idle ? 'yes' : 'no',
        r.attributionComplete ? 'yes' : 'no',
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
