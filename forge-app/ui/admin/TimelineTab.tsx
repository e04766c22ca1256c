/**
 * Who held which admin target when (getHoldings), as an SVG chart: one row per (target, account), a bar per
 * holding. Still-held bars run to "now" and end in an arrow; break-glass bars are red and hatched. Bars take
 * the keyboard focus and show a tooltip on focus and hover; the same data is also a table, for screen readers.
 */
import { useContext, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ErrorBody, Holding } from '../../src/shared/types';
import { adminCall } from '../shared/api';
import { formatFull, formatMinutes, toLocalInput, zoneName } from '../shared/time';
import { ErrorAlert, Lozenge } from '../shared/ui';
import { displayName, PeopleContext, PersonLabel, useWantNames } from '../shared/people';

type Range = '24h' | '7d' | '30d';
const RANGES: Record<Range, { label: string; ms: number }> = {
  '24h': { label: '24 hours', ms: 24 * 3600_000 },
  '7d': { label: '7 days', ms: 7 * 24 * 3600_000 },
  '30d': { label: '30 days', ms: 30 * 24 * 3600_000 },
};

/** How each kind of holding is named in the table and the tooltips. */
const KIND_WORDS: Record<Holding['kind'], string> = {
  grant: 'grant',
  permanent: 'standing: permanent admin',
  standing: 'standing holder (policy)',
  drift: 'drift: held outside the app',
};

const ROW = 26;
const GROUP = 24;
const AXIS = 30;
const BAR = 14;
const RIGHT = 16;

interface Row {
  kind: 'group' | 'account';
  target: string;
  label: string;
  accountId?: string;
  holdings: Holding[];
  y: number;
}

/** Tick instants at local wall-clock boundaries in `zone` (every `hours` hours, or every `days` days at midnight). */
function ticks(from: number, to: number, zone: string, range: Range): Array<{ at: number; label: string; major: boolean }> {
  const out: Array<{ at: number; label: string; major: boolean }> = [];
  const step = 15 * 60_000;
  const start = Math.ceil(from / step) * step;
  for (let t = start; t <= to; t += step) {
    const local = toLocalInput(t, zone); // YYYY-MM-DDTHH:mm
    const hour = Number(local.slice(11, 13));
    const minute = Number(local.slice(14, 16));
    if (minute !== 0) continue;
    const day = Number(local.slice(8, 10));
    const month = Number(local.slice(5, 7));
    const mon = new Date(Date.UTC(2000, month - 1, 1)).toLocaleString('en', { month: 'short', timeZone: 'UTC' });
    if (range === '24h') {
      if (hour % 3 !== 0) continue;
      out.push({ at: t, label: hour === 0 ? `${mon} ${day}` : `${String(hour).padStart(2, '0')}:00`, major: hour === 0 });
    } else if (hour === 0) {
      if (range === '30d' && (day > 26 || (day - 1) % 5 !== 0)) continue;
      out.push({ at: t, label: `${mon} ${day}`, major: day === 1 || range === '7d' });
    }
  }
  return out;
}

function clip(text: string, px: number): string {
  const max = Math.max(4, Math.floor(px / 6.6));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function describe(h: Holding, zone: string, locale: string | undefined, now: number): string {
  const end = h.to ? Date.parse(h.to) : now;
  const dur = formatMinutes((end - Date.parse(h.from)) / 60000);
  const kind = h.kind === 'grant' ? h.issueKey : KIND_WORDS[h.kind];
  return `${h.targetLabel}: ${h.accountId}, from ${formatFull(h.from, zone, locale)} ${h.to ? `to ${formatFull(h.to, zone, locale)}` : 'and still held'} (${dur})${h.breakGlass ? ', break glass' : ''}, ${kind}`;
}

export function TimelineTab({ zone, locale }: { zone: string; locale?: string }) {
  const [range, setRange] = useState<Range>('7d');
  const [holdings, setHoldings] = useState<Holding[] | null>(null);
  const [serverNow, setServerNow] = useState<number>(Date.now());
  const [error, setError] = useState<ErrorBody | null>(null);
  const [width, setWidth] = useState(800);
  const [tip, setTip] = useState<{ h: Holding; x: number; y: number } | null>(null);
  const names = useContext(PeopleContext);
  useWantNames([...new Set((holdings ?? []).map((h) => h.accountId))]);
  const wrapRef = useRef<HTMLDivElement>(null);
  const tipRef = useRef<HTMLDivElement>(null);

  async function load(r: Range) {
    // The server chooses "now" (in the playground its clock is emulated), so ask for a range.
    const answer = await adminCall('getHoldings', { rangeMinutes: RANGES[r].ms / 60_000 });
    if (!answer.ok) {
      setError(answer.error);
      return;
    }
    setError(null);
    setHoldings(answer.data.holdings);
    setServerNow(Date.parse(answer.data.now));
  }
  useEffect(() => {
    void load(range);
  }, [range]);

  useLayoutEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(320, Math.floor(el.getBoundingClientRect().width)));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [holdings !== null]);

  useEffect(() => {
    const el = tipRef.current;
    if (!el || !tip) return;
    const w = el.offsetWidth;
    el.style.left = `${Math.min(Math.max(4, tip.x - w / 2), width - w - 4)}px`;
    el.style.top = `${tip.y}px`;
  });

  const now = serverNow;
  const from = now - RANGES[range].ms;
  const label = Math.min(240, Math.max(140, Math.round(width * 0.3)));
  const plot = width - label - RIGHT;
  const x = (t: number) => label + ((Math.min(Math.max(t, from), now) - from) / (now - from)) * plot;

  const rows = useMemo(() => {
    const byTarget = new Map<string, { label: string; accounts: Map<string, Holding[]> }>();
    for (const h of holdings ?? []) {
      const end = h.to ? Date.parse(h.to) : now;
      if (end < from || Date.parse(h.from) > now) continue;
      const t = byTarget.get(h.target) ?? { label: h.targetLabel || h.target, accounts: new Map() };
      t.accounts.set(h.accountId, [...(t.accounts.get(h.accountId) ?? []), h]);
      byTarget.set(h.target, t);
    }
    const out: Row[] = [];
    let y = AXIS;
    for (const [target, t] of [...byTarget].sort((a, b) => a[1].label.localeCompare(b[1].label))) {
      out.push({ kind: 'group', target, label: t.label, holdings: [], y });
      y += GROUP;
      for (const [accountId, hs] of [...t.accounts].sort((a, b) => a[0].localeCompare(b[0]))) {
        out.push({ kind: 'account', target, label: displayName(names, accountId), accountId, holdings: hs, y });
        y += ROW;
      }
    }
    return { rows: out, height: y + 8 };
  }, [holdings, from, now, names]);

  const visible = rows.rows.flatMap((r) => r.holdings);
  const held = visible.filter((h) => !h.to && h.kind === 'grant');
  const standing = visible.filter((h) => h.kind === 'permanent' || h.kind === 'standing');
  const drift = visible.filter((h) => h.kind === 'drift');
  const glass = visible.filter((h) => h.breakGlass);
  const tickList = useMemo(() => ticks(from, now, zone, range), [from, now, zone, range]);

  return (
    <div class="stack">
      <div class="row space-between">
        <div class="segmented" role="group" aria-label="Time range">
          {(Object.keys(RANGES) as Range[]).map((r) => (
            <button
              key={r}
              type="button"
              class="btn btn-small"
              aria-pressed={range === r ? 'true' : 'false'}
              data-testid={`timeline-range-${r}`}
              onClick={() => setRange(r)}
            >
              {RANGES[r].label}
            </button>
          ))}
        </div>
        <div class="legend" aria-hidden="true">
          <span class="legend-item">
            <svg width="18" height="10">
              <rect class="bar-rect" x="0" y="0" width="18" height="10" rx="2" />
            </svg>
            held through a grant
          </span>
          <span class="legend-item">
            <svg width="18" height="10">
              <rect class="bar-rect bar-glass" x="0" y="0" width="18" height="10" rx="2" />
            </svg>
            break glass
          </span>
          <span class="legend-item">
            <svg width="18" height="10">
              <rect class="bar-rect bar-held" x="0" y="0" width="18" height="10" rx="2" />
            </svg>
            still held
          </span>
          <span class="legend-item">
            <svg width="18" height="10">
              <rect class="bar-rect bar-permanent" x="0" y="0" width="18" height="10" rx="2" />
            </svg>
            standing (permanent)
          </span>
          <span class="legend-item">
            <svg width="18" height="10">
              <rect class="bar-rect bar-drift" x="0" y="0" width="18" height="10" rx="2" />
            </svg>
            drift
          </span>
        </div>
      </div>
      <ErrorAlert error={error} title="The holdings could not be loaded" />
      {holdings !== null ? (
        <p class="timeline-summary" id="timeline-summary">
          Last {RANGES[range].label}: {visible.length} holding{visible.length === 1 ? '' : 's'} of {rows.rows.filter((r) => r.kind === 'group').length}{' '}
          target{rows.rows.filter((r) => r.kind === 'group').length === 1 ? '' : 's'}.{' '}
          {held.length ? (
            <strong class="danger-text">
              {held.length} still held ({[...new Set(held.map((h) => `${h.accountId} → ${h.targetLabel}`))].join('; ')}).
            </strong>
          ) : (
            'Nothing is held right now.'
          )}{' '}
          {glass.length ? `${glass.length} break-glass use${glass.length === 1 ? '' : 's'}.` : ''}{' '}
          {standing.length ? `${standing.length} standing (permanent or allowed by the policy).` : ''}{' '}
          {drift.length ? <strong class="danger-text">{drift.length} held outside the app (drift).</strong> : null} Times in {zone} ({zoneName(now, zone, locale)}).
        </p>
      ) : (
        <p class="subtle">Loading…</p>
      )}

      <div class="chart-wrap" ref={wrapRef}>
        {holdings !== null && rows.rows.length === 0 ? <p class="empty">Nobody held an admin target through the app in this range.</p> : null}
        {holdings !== null && rows.rows.length > 0 ? (
          <svg
            class="chart"
            data-testid="timeline-chart"
            width={width}
            height={rows.height}
            viewBox={`0 0 ${width} ${rows.height}`}
            role="group"
            aria-label="Admin holdings over time"
            aria-describedby="timeline-summary"
          >
            <defs>
              <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                <rect class="hatch-bg" width="6" height="6" />
                <line class="hatch-line" x1="0" y1="0" x2="0" y2="6" />
              </pattern>
              <marker id="arrow" viewBox="0 0 8 8" refX="1" refY="4" markerWidth="6" markerHeight="6" orient="auto">
                <path class="arrow-head" d="M0,0 L8,4 L0,8 z" />
              </marker>
            </defs>
            {rows.rows.map((r, i) =>
              r.kind === 'account' && i % 2 === 0 ? <rect key={`z${i}`} class="row-zebra" x={0} y={r.y} width={width} height={ROW} /> : null,
            )}
            <g class="axis" aria-hidden="true">
              {tickList.map((t) => (
                <g key={t.at}>
                  <line class={t.major ? 'tick tick-major' : 'tick'} x1={x(t.at)} x2={x(t.at)} y1={AXIS - 6} y2={rows.height} />
                  {x(now) - x(t.at) > 48 ? (
                    <text class="tick-label" x={x(t.at)} y={AXIS - 10} text-anchor="middle">
                      {t.label}
                    </text>
                  ) : null}
                </g>
              ))}
              <line class="now-line" x1={x(now)} x2={x(now)} y1={AXIS - 6} y2={rows.height} />
              <text class="now-label" x={x(now) - 2} y={AXIS - 10} text-anchor="end">
                now
              </text>
            </g>
            {rows.rows.map((r) =>
              r.kind === 'group' ? (
                <text key={`g-${r.target}`} class="group-label" x={4} y={r.y + GROUP - 7}>
                  {clip(r.label, width - 8)}
                </text>
              ) : (
                <g key={`r-${r.target}-${r.accountId}`}>
                  <text class="row-label" x={16} y={r.y + ROW / 2 + 4}>
                    {clip(r.label, label - 20)}
                  </text>
                  {r.holdings.map((h) => {
                    const x1 = x(Date.parse(h.from));
                    const x2 = Math.max(x1 + 3, x(h.to ? Date.parse(h.to) : now));
                    const y = r.y + (ROW - BAR) / 2;
                    const text = describe(h, zone, locale, now);
                    const show = () => setTip({ h, x: (x1 + x2) / 2, y: y + BAR + 6 });
                    return (
                      <g
                        key={h.grantId + h.from}
                        class={`bar${h.breakGlass ? ' is-glass' : ''}${h.to ? '' : ' is-held'} kind-${h.kind}`}
                        tabIndex={0}
                        role="img"
                        aria-label={text}
                        data-testid="timeline-bar"
                        data-still-held={h.to ? 'false' : 'true'}
                        data-break-glass={h.breakGlass ? 'true' : 'false'}
                        data-kind={h.kind}
                        onMouseEnter={show}
                        onFocus={show}
                        onMouseLeave={() => setTip(null)}
                        onBlur={() => setTip(null)}
                      >
                        <rect
                          class={`bar-rect${h.breakGlass ? ' bar-glass' : ''}${h.kind === 'grant' ? (h.to ? '' : ' bar-held') : ` bar-${h.kind}`}`}
                          x={x1}
                          y={y}
                          width={x2 - x1}
                          height={BAR}
                          rx={2}
                        />
                        {h.to || h.kind !== 'grant' ? null : (
                          <line class="held-arrow" x1={x2 - 1} x2={x2 + 1} y1={y + BAR / 2} y2={y + BAR / 2} marker-end="url(#arrow)" />
                        )}
                      </g>
                    );
                  })}
                </g>
              ),
            )}
          </svg>
        ) : null}
        {tip ? (
          <div class="chart-tip" role="tooltip" ref={tipRef}>
            <strong>{tip.h.targetLabel}</strong>
            <PersonLabel accountId={tip.h.accountId} size={16} />
            <span>
              {formatFull(tip.h.from, zone, locale)} → {tip.h.to ? formatFull(tip.h.to, zone, locale) : <strong>still held</strong>}
            </span>
            <span class="subtle">
              {formatMinutes(((tip.h.to ? Date.parse(tip.h.to) : now) - Date.parse(tip.h.from)) / 60000)} ·{' '}
              {(tip.h.kind) === 'grant' ? tip.h.issueKey : KIND_WORDS[tip.h.kind]}
              {tip.h.breakGlass ? ' · break glass' : ''}
            </span>
          </div>
        ) : null}
      </div>

      {holdings !== null && visible.length ? (
        <details class="table-alt">
          <summary>Show the holdings as a table</summary>
          <div class="table-wrap">
            <table data-testid="timeline-table">
              <caption>Holdings in the last {RANGES[range].label}; times in {zone}</caption>
              <thead>
                <tr>
                  <th scope="col">Target</th>
                  <th scope="col">Account</th>
                  <th scope="col">From</th>
                  <th scope="col">To</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Issue</th>
                  <th scope="col">Kind</th>
                </tr>
              </thead>
              <tbody>
                {visible.map((h) => (
                  <tr key={h.grantId + h.from}>
                    <td>{h.targetLabel}</td>
                    <td>
                      <PersonLabel accountId={h.accountId} size={16} />
                    </td>
                    <td class="nowrap">{formatFull(h.from, zone, locale)}</td>
                    <td class="nowrap">{h.to ? formatFull(h.to, zone, locale) : <strong>still held</strong>}</td>
                    <td class="nowrap">{formatMinutes(((h.to ? Date.parse(h.to) : now) - Date.parse(h.from)) / 60000)}</td>
                    <td>{h.issueKey}</td>
                    <td>{h.breakGlass ? <Lozenge tone="danger">break glass</Lozenge> : KIND_WORDS[h.kind]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      ) : null}
    </div>
  );
}
