/** The grant on this issue: state, what it grants, to whom, why, approvals, window, countdown, access state. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Grant } from '../../src/shared/types';
import { formatClock, formatDateTime, formatFull, formatMinutes, formatRange, spokenRemaining } from '../shared/time';
import { Lozenge } from '../shared/ui';
import { PersonLabel } from '../shared/people';
import { describeAccess, grantTone, type Namer } from '../shared/words';
import { serverNow, type Snapshot } from './snapshot';

interface Props {
  snap: Snapshot;
  zone: string;
  locale?: string;
  name: Namer;
  /** Called once when the countdown reaches zero (the window opened or closed): the panel reloads. */
  onTimeUp: () => void;
}

/** Re-renders every `ms` while `on`. */
function useTick(ms: number, on: boolean): void {
  const [, set] = useState(0);
  useEffect(() => {
    if (!on) return;
    const id = window.setInterval(() => set((n) => n + 1), ms);
    return () => window.clearInterval(id);
  }, [ms, on]);
}

export function GrantDetails({ snap, zone, locale, name, onTimeUp }: Props) {
  const gv = snap.data.view.grant!;
  const g = gv.grant;
  // Secondary times without the zone (it is shown once, with the window); the full time is in the tooltip.
  const at = (iso: string | undefined) => formatDateTime(iso, zone, locale, false);
  const pending = (g.extensions ?? []).find((e) => e.status === 'pending');
  const subjectIsOther = g.subject !== g.requester;
  const viewer = snap.data.view.viewer.accountId;
  const you = (id: string) => (id === viewer ? '(you)' : undefined);

  return (
    <section class="grant" aria-labelledby="grant-title">
      <div class="grant-head">
        <Lozenge tone={grantTone(g)} testid="grant-state">
          {gv.state}
        </Lozenge>
        <h2 id="grant-title" class="grant-title">
          {g.targetLabel}
        </h2>
      </div>
      <p class="subtle grant-access">Grants {describeAccess(g.access)}</p>

      <dl class="facts">
        <dt>Requested by</dt>
        <dd>
          <PersonLabel accountId={g.requester} suffix={you(g.requester)} /> <span class="subtlest">{at(g.requestedAt)}</span>
        </dd>
        {subjectIsOther ? (
          <>
            <dt>For</dt>
            <dd>
              <PersonLabel accountId={g.subject} suffix={you(g.subject)} /> <span class="subtlest">(service account)</span>
            </dd>
          </>
        ) : null}
        <dt>Justification</dt>
        <dd class="justification">{g.justification || <span class="subtlest">none given</span>}</dd>
        <dt>Approvals</dt>
        <dd>
          <Approvals grant={g} you={you} at={at} />
        </dd>
        <dt>Window</dt>
        <dd>
          <WindowText grant={g} zone={zone} locale={locale} at={at} />
        </dd>
        {g.activation?.breakGlass ? (
          <>
            <dt>Break glass</dt>
            <dd>
              <Lozenge tone="danger">break glass</Lozenge> {name(g.activation.by)} elevated without approval at {at(g.activation.at)}
            </dd>
          </>
        ) : null}
        <dt>Access</dt>
        <dd data-testid="access-state">
          <AccessText grant={g} at={at} />
        </dd>
        {g.ending ? (
          <>
            <dt>Ended</dt>
            <dd data-testid="ending">
              {g.outcome ? `${g.outcome} ` : ''}by {name(g.ending.by)} {at(g.ending.at)}
              {g.ending.reason ? <span class="reason">: “{g.ending.reason}”</span> : null}
            </dd>
          </>
        ) : null}
      </dl>

      {gv.grant.status === 'active' || (gv.grant.status === 'approved' && gv.secondsUntilStart > 0) ? (
        <Countdown snap={snap} onTimeUp={onTimeUp} />
      ) : null}

      {pending ? (
        <div class="message message-info pending-extension" data-testid="pending-extension">
          <strong>
            {name(g.requester)} asked for {formatMinutes(pending.minutes)} more
          </strong>
          <span class="subtle">
            Extension {pending.number}, asked {at(pending.requestedAt)} · {(pending.approvals ?? []).length} approval
            {(pending.approvals ?? []).length === 1 ? '' : 's'} so far
          </span>
          {pending.justification ? <span class="justification">“{pending.justification}”</span> : null}
        </div>
      ) : null}
    </section>
  );
}

function Approvals({ grant, you, at }: { grant: Grant; you: (id: string) => string | undefined; at: (iso?: string) => string }) {
  const approvals = grant.approvals ?? [];
  const n = approvals.length;
  const of = `${n} of ${grant.requiredApprovals}`;
  if (n === 0) return <span>{of}</span>;
  return (
    <span>
      {of}:{' '}
      {approvals.map((a, i) => (
        <span key={a.approver + a.at}>
          {i ? ', ' : ''}
          <PersonLabel accountId={a.approver} suffix={you(a.approver)} /> <span class="subtlest">{at(a.at)}</span>
        </span>
      ))}
    </span>
  );
}

function WindowText({ grant, zone, locale, at }: { grant: Grant; zone: string; locale?: string; at: (iso?: string) => string }) {
  const w = grant.window;
  if (!w) {
    const starts = Date.parse(grant.requestedStart) - Date.parse(grant.requestedAt) > 60_000;
    return (
      <span>
        {formatMinutes(grant.durationMinutes)} {starts ? `from ${at(grant.requestedStart)}` : 'from approval'}
        {grant.status === 'requested' ? <span class="subtlest"> · approve by {at(grant.approvalDeadline)}</span> : null}
      </span>
    );
  }
  const startMs = Date.parse(w.start);
  return (
    <span>
      <span data-testid="window" title={`${formatFull(w.start, zone, locale)} → ${formatFull(w.end, zone, locale)}`}>
        {formatRange(w.start, w.end, zone, locale)}
      </span>{' '}
      <span class="subtlest">
        ({formatMinutes((Date.parse(w.end) - startMs) / 60000)}; times in {zone})
      </span>
    </span>
  );
}

function AccessText({ grant, at }: { grant: Grant; at: (iso?: string) => string }) {
  const p = grant.provisioning;
  switch (p.state) {
    case 'notGranted':
      return <span class="subtle">not granted{grant.status === 'ended' ? ' (nothing was held)' : ' yet'}</span>;
    case 'granting':
      return (
        <span>
          <Lozenge tone="info">granting</Lozenge> {(p.grantAttempts ?? 0) > 1 ? `attempt ${p.grantAttempts}` : 'in progress'}
          {p.lastError ? <LastError grant={grant} at={at} /> : null}
        </span>
      );
    case 'granted':
      return (
        <span>
          <Lozenge tone="success">granted</Lozenge> {p.grantedAt ? at(p.grantedAt) : ''}
        </span>
      );
    case 'revoking':
      return (
        <span>
          <Lozenge tone="warning">revoking</Lozenge>{' '}
          {(p.revokeAttempts ?? 0) > 1 || p.lastError ? `retrying (attempt ${p.revokeAttempts})` : 'in progress'}
          {p.lastError ? <LastError grant={grant} at={at} /> : null}
        </span>
      );
    case 'revoked':
      return (
        <span>
          <Lozenge tone="neutral">revoked</Lozenge> verified {p.revokedAt ? at(p.revokedAt) : ''}
        </span>
      );
    case 'retained':
      return (
        <span>
          <Lozenge tone="neutral">retained</Lozenge> the subject keeps the role (a permanent admin)
        </span>
      );
  }
  return <span>{p.state}</span>;
}

function LastError({ grant, at }: { grant: Grant; at: (iso?: string) => string }) {
  const p = grant.provisioning;
  if (!p.lastError) return null;
  return (
    <span class="last-error">
      {' '}
      · last error: {p.lastError.message} <span class="mono">({p.lastError.code})</span>
      {p.pending ? <span class="subtlest"> · next try {at(p.pending.retryAt)}</span> : null}
    </span>
  );
}

/**
 * The time-remaining bar. It counts from the server's figures (`secondsRemaining` at `PanelData.now`), using the
 * time elapsed since they arrived, so a wrong browser clock does not matter. The visible clock ticks every second;
 * the screen-reader text changes once a minute.
 */
function Countdown({ snap, onTimeUp }: { snap: Snapshot; onTimeUp: () => void }) {
  const gv = snap.data.view.grant!;
  const g = gv.grant;
  const elapsed = (serverNow(snap) - Date.parse(snap.data.now)) / 1000;
  const beforeStart = g.status === 'approved' && gv.secondsUntilStart > 0;
  const remaining = Math.max(0, (beforeStart ? gv.secondsUntilStart : gv.secondsRemaining) - elapsed);
  useTick(1000, remaining > 0);
  const total = g.window ? (Date.parse(g.window.end) - Date.parse(g.window.start)) / 1000 : gv.secondsRemaining;
  const fraction = beforeStart ? 1 : total > 0 ? Math.min(1, remaining / total) : 0;
  const spoken = beforeStart
    ? spokenRemaining(remaining).replace('remaining', 'until the window opens')
    : spokenRemaining(remaining);
  const low = !beforeStart && remaining <= 300;

  // The polite live text is to the minute, so it changes (and is announced) at most once a minute.
  const minuteText = remaining <= 0 ? (beforeStart ? 'The window is open' : 'Time is up') : spoken;

  // At zero the server has something new to say (the window opened, or the grant expired): reload once, and
  // again every 30 s until the view changes (this component is remounted with a new snapshot).
  // Only a countdown that crossed zero here reloads at once, so a view that still says 0 cannot loop.
  const timeUp = remaining <= 0;
  const startedAbove = (beforeStart ? gv.secondsUntilStart : gv.secondsRemaining) > 0;
  useEffect(() => {
    if (!timeUp) return;
    if (startedAbove) onTimeUp();
    const id = window.setInterval(onTimeUp, 30_000);
    return () => window.clearInterval(id);
  }, [timeUp, snap]);

  const barRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    barRef.current?.style.setProperty('width', `${(fraction * 100).toFixed(2)}%`);
  });

  return (
    <div class={`countdown${low ? ' countdown-low' : ''}${beforeStart ? ' countdown-pending' : ''}`}>
      <div class="countdown-row">
        <span class="countdown-label">{beforeStart ? 'Starts in' : 'Time remaining'}</span>
        <span class="countdown-clock" data-testid="time-remaining" aria-hidden="true">
          {remaining > 0 ? formatClock(remaining) : beforeStart ? 'starting…' : 'time is up'}
        </span>
      </div>
      <div
        class="bar"
        role="progressbar"
        aria-label={beforeStart ? 'Time until the window opens' : 'Time remaining'}
        aria-valuemin={0}
        aria-valuemax={Math.round(total / 60)}
        aria-valuenow={Math.ceil(remaining / 60)}
        aria-valuetext={minuteText}
      >
        <div class="bar-fill" ref={barRef} />
      </div>
      <span class="sr-only" aria-live="polite">
        {minuteText}
      </span>
    </div>
  );
}
