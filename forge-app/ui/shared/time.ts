/**
 * Time for the UI: the server's clock (the browser's may be off), wall times in the viewer's zone, and the
 * conversion of a local date-time to RFC 3339 with that date's own offset (DST-correct).
 */

/** Milliseconds to add to the browser clock to get the server's, measured when `serverNow` arrived. */
export function clockOffset(serverNow: string | undefined, receivedAt: number = Date.now()): number {
  const at = serverNow ? Date.parse(serverNow) : NaN;
  return Number.isFinite(at) ? at - receivedAt : 0;
}

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

const partFormats = new Map<string, Intl.DateTimeFormat>();

function wallIn(ms: number, zone: string): Wall {
  let f = partFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partFormats.set(zone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour! % 24, mi: p.minute!, s: p.second! };
}

/** The zone's offset from UTC at instant `ms`, in minutes (e.g. +120 for CEST). */
export function zoneOffsetMinutes(ms: number, zone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  const w = wallIn(whole, zone);
  return Math.round((Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - whole) / 60000);
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  return `${sign}${pad(Math.trunc(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

/** `YYYY-MM-DDTHH:mm`, the value of an `<input type="datetime-local">`, for instant `ms` in `zone`. */
export function toLocalInput(ms: number, zone: string): string {
  const w = wallIn(ms, zone);
  return `${pad(w.y, 4)}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}`;
}

/** RFC 3339 with the zone's offset at that instant, e.g. `2026-03-29T03:30:00+02:00`. */
export function toRfc3339InZone(ms: number, zone: string): string {
  const w = wallIn(ms, zone);
  return `${pad(w.y, 4)}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}${offsetText(zoneOffsetMinutes(ms, zone))}`;
}

export type WallTimeResult =
  | { ok: true; ms: number; rfc3339: string; ambiguous: boolean }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'skipped'; suggestion: string };

/**
 * Reads a `datetime-local` value as a wall time in `zone`. Uses the offset in force on THAT date, not today's.
 * A time in the spring-forward gap does not exist (`skipped`, with the first valid wall time after it);
 * a time in the fall-back overlap exists twice (`ambiguous`; the earlier instant is taken).
 */
export function fromLocalInput(value: string, zone: string): WallTimeResult {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return { ok: false, reason: 'invalid' };
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  if (!Number.isFinite(asUtc)) return { ok: false, reason: 'invalid' };
  const check = new Date(asUtc);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return { ok: false, reason: 'invalid' };
  // The offsets in force half a day either side cover any single transition around this wall time.
  const offsets = new Set([zoneOffsetMinutes(asUtc - 12 * 3600_000, zone), zoneOffsetMinutes(asUtc + 12 * 3600_000, zone)]);
  const matches: number[] = [];
  for (const off of offsets) {
    const candidate = asUtc - off * 60_000;
    const w = wallIn(candidate, zone);
    if (w.y === y && w.mo === mo && w.d === d && w.h === h && w.mi === mi) matches.push(candidate);
  }
  if (matches.length === 0) {
    const before = zoneOffsetMinutes(asUtc - 12 * 3600_000, zone);
    return { ok: false, reason: 'skipped', suggestion: toLocalInput(asUtc - before * 60_000, zone) };
  }
  const ms = Math.min(...matches);
  return { ok: true, ms, rfc3339: toRfc3339InZone(ms, zone), ambiguous: matches.length > 1 };
}

const formats = new Map<string, Intl.DateTimeFormat>();

function fmt(locale: string | undefined, zone: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${zone}|${JSON.stringify(opts)}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, { timeZone: zone, ...opts });
    formats.set(key, f);
  }
  return f;
}

/** The zone's short name at an instant, e.g. `CEST`, `GMT+2`. */
export function zoneName(ms: number, zone: string, locale?: string): string {
  const part = fmt(locale, zone, { timeZoneName: 'short' }).formatToParts(ms).find((p) => p.type === 'timeZoneName');
  return part?.value ?? zone;
}

/** A date-time in the viewer's zone, with the zone: `Mon 1 Jun, 09:00 CEST`. */
export function formatDateTime(iso: string | number | undefined, zone: string, locale?: string, withZone = true): string {
  if (iso === undefined) return '—';
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  if (!Number.isFinite(ms)) return String(iso);
  return fmt(locale, zone, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: 'numeric',
    minute: '2-digit',
    ...(withZone ? { timeZoneName: 'short' } : {}),
  }).format(ms);
}

/** A time of day in the viewer's zone: `09:00`, `9:00 AM`, optionally with the zone. */
export function formatTime(iso: string | number, zone: string, locale?: string, withZone = false): string {
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  if (!Number.isFinite(ms)) return String(iso);
  return fmt(locale, zone, { hour: 'numeric', minute: '2-digit', ...(withZone ? { timeZoneName: 'short' } : {}) }).format(ms);
}

/** A window: `Thu 26 Nov, 12:06 → 13:06 CET`, or both dates when it spans days. The zone is shown once. */
export function formatRange(startIso: string, endIso: string, zone: string, locale?: string): string {
  const a = Date.parse(startIso);
  const b = Date.parse(endIso);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return `${startIso} → ${endIso}`;
  const sameDay = toLocalInput(a, zone).slice(0, 10) === toLocalInput(b, zone).slice(0, 10);
  const zoneA = zoneName(a, zone, locale);
  const zoneB = zoneName(b, zone, locale);
  const start = formatDateTime(a, zone, locale, zoneA !== zoneB);
  const end = sameDay ? formatTime(b, zone, locale, true) : formatDateTime(b, zone, locale, true);
  return `${start} → ${end}`;
}

/** A short time (or date-time when not today in `zone`) for lists: `09:00` / `1 Jun 09:00`. */
export function formatShort(iso: string | number, zone: string, locale: string | undefined, nowMs: number): string {
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  if (!Number.isFinite(ms)) return String(iso);
  const sameDay = toLocalInput(ms, zone).slice(0, 10) === toLocalInput(nowMs, zone).slice(0, 10);
  return fmt(locale, zone, sameDay ? { hour: 'numeric', minute: '2-digit' } : { day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' }).format(ms);
}

/** A full, unambiguous date-time for tooltips and tables: `2026-06-01 09:00:00 CEST`. */
export function formatFull(iso: string | number, zone: string, locale?: string): string {
  const ms = typeof iso === 'number' ? iso : Date.parse(iso);
  if (!Number.isFinite(ms)) return String(iso);
  const w = wallIn(ms, zone);
  return `${pad(w.y, 4)}-${pad(w.mo)}-${pad(w.d)} ${pad(w.h)}:${pad(w.mi)}:${pad(w.s)} ${zoneName(ms, zone, locale)}`;
}

/** `1 h 30 min`, `45 min`, `2 d 3 h`. */
export function formatMinutes(minutes: number): string {
  if (!Number.isFinite(minutes)) return '—';
  const m = Math.max(0, Math.round(minutes));
  if (m < 60) return `${m} min`;
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const r = m % 60;
  if (d > 0) return h ? `${d} d ${h} h` : `${d} d`;
  return r ? `${h} h ${r} min` : `${h} h`;
}

/** A countdown: `1:05:09` (h:mm:ss) or `4:09` (m:ss). */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/** The countdown for screen readers, to the minute: `1 hour 5 minutes remaining`. */
export function spokenRemaining(seconds: number): string {
  const total = Math.ceil(Math.max(0, seconds) / 60);
  if (total === 0) return 'less than a minute remaining';
  const h = Math.floor(total / 60);
  const m = total % 60;
  const parts = [];
  if (h) parts.push(`${h} hour${h === 1 ? '' : 's'}`);
  if (m) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  return `${parts.join(' ')} remaining`;
}
