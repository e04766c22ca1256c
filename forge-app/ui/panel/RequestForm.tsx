/**
 * The request form: target, who, start, duration, justification. Hints come from the core's TargetOption;
 * nothing is blocked here that the core would judge: a refusal comes back with `error.path` and is shown at
 * its field. Only what cannot be sent at all (a start time that does not exist or is not filled in) is caught.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { PanelCalls, TargetOption } from '../../src/shared/types';
import { formatMinutes, fromLocalInput, toLocalInput, zoneName } from '../shared/time';
import { describedBy, FieldError } from '../shared/ui';

export type FieldErrors = Partial<Record<string, { message: string; code?: string } | undefined>>;

interface Props {
  options: TargetOption[];
  viewer: string;
  zone: string;
  locale?: string;
  nowMs: () => number;
  busy: boolean;
  errors: FieldErrors;
  onClearError: (field: string) => void;
  onSubmit: (payload: PanelCalls['submitRequest']) => Promise<boolean>;
}

const PRESETS = [30, 60, 120, 240, 480];

/** The duration presets a target allows: 30 min to 8 h up to its maximum, plus the maximum when it is in between. */
export function presetsFor(max: number): number[] {
  const fit = PRESETS.filter((m) => m <= max);
  if (max > 0 && max < PRESETS[PRESETS.length - 1]! && !fit.includes(max)) fit.push(max);
  return fit;
}

export function RequestForm({ options, viewer, zone, locale, nowMs, busy, errors, onClearError, onSubmit }: Props) {
  const [targetKey, setTargetKey] = useState(options[0]?.key ?? '');
  const target = options.find((o) => o.key === targetKey) ?? options[0];
  const [subject, setSubject] = useState('');
  const [startMode, setStartMode] = useState<'now' | 'later'>('now');
  const [startText, setStartText] = useState('');
  const [duration, setDuration] = useState(String(target?.defaultDurationMinutes ?? ''));
  const [justification, setJustification] = useState('');
  const [localErrors, setLocalErrors] = useState<FieldErrors>({});
  const refs = {
    target: useRef<HTMLSelectElement>(null),
    subject: useRef<HTMLSelectElement>(null),
    start: useRef<HTMLInputElement>(null),
    duration: useRef<HTMLInputElement>(null),
    justification: useRef<HTMLTextAreaElement>(null),
  };

  // A new target: its default duration, and "me" unless it lists the same service account.
  useEffect(() => {
    if (!target) return;
    setDuration(String(target.defaultDurationMinutes));
    if (subject && !target.serviceAccounts.some((s) => s.accountId === subject)) setSubject('');
  }, [target?.key]);

  const all: FieldErrors = { ...errors, ...localErrors };
  // The first field the core (or this form) complained about gets the focus.
  const firstError = ['target', 'subject', 'start', 'duration', 'justification'].find((f) => all[f]);
  useLayoutEffect(() => {
    if (firstError) (refs[firstError as keyof typeof refs].current as HTMLElement | null)?.focus();
  }, [errors]);

  const now = nowMs();
  const minStart = toLocalInput(now, zone);
  const maxStart = target ? toLocalInput(now + target.maxStartAheadMinutes * 60_000, zone) : undefined;
  const startPreview = useMemo(() => (startText ? fromLocalInput(startText, zone) : null), [startText, zone]);
  const minutes = Number(duration);

  if (!target) return null;
  const presets = presetsFor(target.maxDurationMinutes);
  const jLen = justification.trim().length;
  const jMin = target.justificationMinLength;

  function clear(field: string) {
    if (errors[field]) onClearError(field);
    if (localErrors[field]) setLocalErrors((e) => ({ ...e, [field]: undefined }));
  }

  async function submit(e: Event) {
    e.preventDefault();
    const payload: PanelCalls['submitRequest'] = { target: target!.key, justification };
    if (subject) payload.subject = subject;
    if (duration.trim() !== '') payload.durationMinutes = Number(duration);
    if (startMode === 'later') {
      const parsed = startPreview;
      if (!parsed || !parsed.ok) {
        const message = !parsed
          ? 'Pick a date and time, or choose “Now”'
          : parsed.reason === 'skipped'
            ? `That time does not exist in ${zone} (the clocks go forward); ${parsed.suggestion.replace('T', ' ')} is the next valid time`
            : 'Enter a date and time as YYYY-MM-DD HH:MM';
        setLocalErrors({ start: { message } });
        refs.start.current?.focus();
        return;
      }
      payload.start = parsed.rfc3339;
    }
    setLocalErrors({});
    const ok = await onSubmit(payload);
    if (ok) setJustification('');
  }

  const err = (f: string) => all[f];
  const startZone = zoneName(startPreview && startPreview.ok ? startPreview.ms : now, zone, locale);

  return (
    <form class="request-form" data-testid="request-form" noValidate onSubmit={submit} aria-labelledby="request-title">
      <h2 id="request-title">Request admin access</h2>

      <div class="field">
        <label for="rf-target">What</label>
        <select
          id="rf-target"
          data-testid="request-target"
          ref={refs.target}
          value={target.key}
          aria-invalid={err('target') ? 'true' : undefined}
          aria-describedby={describedBy('rf-target-info', err('target') && 'rf-target-error')}
          onChange={(e) => {
            setTargetKey((e.target as HTMLSelectElement).value);
            clear('target');
          }}
        >
          {options.map((o) => (
            <option key={o.key} value={o.key}>
              {o.label}
            </option>
          ))}
        </select>
        <div class="target-info hint" id="rf-target-info" data-testid="request-target-info">
          <span>Grants {target.description}.</span>{' '}
          <span>
            Up to {formatMinutes(target.maxDurationMinutes)} (default {formatMinutes(target.defaultDurationMinutes)})
            {target.maxStartAheadMinutes > 0 ? `; can start up to ${formatMinutes(target.maxStartAheadMinutes)} ahead` : '; starts now'}.
          </span>
          {target.breakGlass ? <span> You may break glass on this target (elevate before approval).</span> : null}
        </div>
        <FieldError id="rf-target-error" field="target" message={err('target')?.message} code={err('target')?.code} />
      </div>

      <div class="field">
        {target.serviceAccounts.length ? (
          <>
            <label for="rf-subject">Who</label>
            <select
              id="rf-subject"
              data-testid="request-subject"
              ref={refs.subject}
              value={subject}
              aria-invalid={err('subject') ? 'true' : undefined}
              aria-describedby={describedBy(err('subject') && 'rf-subject-error')}
              onChange={(e) => {
                setSubject((e.target as HTMLSelectElement).value);
                clear('subject');
              }}
            >
              <option value="">Me ({viewer})</option>
              {target.serviceAccounts.map((s) => (
                <option key={s.accountId} value={s.accountId}>
                  {s.label ? `${s.label} (${s.accountId})` : s.accountId} — service account
                </option>
              ))}
            </select>
          </>
        ) : (
          <>
            <span class="label">Who</span>
            <span data-testid="request-subject">Me ({viewer})</span>
          </>
        )}
        <FieldError id="rf-subject-error" field="subject" message={err('subject')?.message} code={err('subject')?.code} />
      </div>

      <fieldset class="field">
        <legend>Start</legend>
        <div class="row">
          <label class="choice">
            <input
              type="radio"
              name="rf-start-mode"
              value="now"
              data-testid="request-start-now"
              checked={startMode === 'now'}
              onChange={() => {
                setStartMode('now');
                clear('start');
              }}
            />
            Now
          </label>
          <label class="choice">
            <input
              type="radio"
              name="rf-start-mode"
              value="later"
              data-testid="request-start-later"
              checked={startMode === 'later'}
              disabled={target.maxStartAheadMinutes === 0}
              onChange={() => {
                setStartMode('later');
                clear('start');
                window.setTimeout(() => refs.start.current?.focus(), 0);
              }}
            />
            At
          </label>
          <label for="rf-start" class="sr-only">
            Start date and time ({zone})
          </label>
          <input
            id="rf-start"
            type="datetime-local"
            data-testid="request-start"
            ref={refs.start}
            value={startText}
            min={minStart}
            max={maxStart}
            step={60}
            disabled={target.maxStartAheadMinutes === 0}
            aria-invalid={err('start') ? 'true' : undefined}
            aria-describedby={describedBy('rf-start-zone', err('start') && 'rf-start-error')}
            onInput={(e) => {
              setStartText((e.target as HTMLInputElement).value);
              setStartMode('later');
              clear('start');
            }}
            onFocus={() => {
              if (!startText) setStartMode('later');
            }}
          />
        </div>
        <span class="hint" id="rf-start-zone">
          Times in {zone} ({startZone})
          {startMode === 'later' && startPreview?.ok ? (
            <>
              {' '}
              · sent as <span class="mono">{startPreview.rfc3339}</span>
              {startPreview.ambiguous ? ' (this time occurs twice as the clocks go back; the first is used)' : ''}
            </>
          ) : null}
        </span>
        <FieldError id="rf-start-error" field="start" message={err('start')?.message} code={err('start')?.code} />
      </fieldset>

      <div class="field">
        <label for="rf-duration">Duration (minutes)</label>
        <div class="row">
          <input
            id="rf-duration"
            type="number"
            inputMode="numeric"
            data-testid="request-duration"
            class="duration-input"
            ref={refs.duration}
            min={1}
            max={target.maxDurationMinutes}
            step={1}
            value={duration}
            aria-invalid={err('duration') ? 'true' : undefined}
            aria-describedby={describedBy('rf-duration-hint', err('duration') && 'rf-duration-error')}
            onInput={(e) => {
              setDuration((e.target as HTMLInputElement).value);
              clear('duration');
            }}
          />
          <div class="presets" role="group" aria-label="Duration presets">
            {presets.map((m) => (
              <button
                key={m}
                type="button"
                class="btn btn-small"
                aria-pressed={minutes === m ? 'true' : 'false'}
                data-testid={`request-duration-${m}`}
                onClick={() => {
                  setDuration(String(m));
                  clear('duration');
                }}
              >
                {formatMinutes(m)}
              </button>
            ))}
          </div>
        </div>
        <span class="hint" id="rf-duration-hint">
          {Number.isFinite(minutes) && minutes > 0 ? `${formatMinutes(minutes)}; ` : ''}at most {formatMinutes(target.maxDurationMinutes)}
        </span>
        <FieldError id="rf-duration-error" field="duration" message={err('duration')?.message} code={err('duration')?.code} />
      </div>

      <div class="field">
        <label for="rf-justification">Justification{target.justificationRequired ? '' : ' (optional)'}</label>
        <textarea
          id="rf-justification"
          data-testid="request-justification"
          ref={refs.justification}
          rows={3}
          value={justification}
          aria-required={target.justificationRequired ? 'true' : undefined}
          aria-invalid={err('justification') ? 'true' : undefined}
          aria-describedby={describedBy('rf-justification-hint', err('justification') && 'rf-justification-error')}
          onInput={(e) => {
            setJustification((e.target as HTMLTextAreaElement).value);
            clear('justification');
          }}
        />
        <span class={`hint${target.justificationRequired && jLen < jMin ? '' : ' hint-ok'}`} id="rf-justification-hint">
          {target.justificationRequired
            ? `Why you need it: at least ${jMin} characters (${jLen}/${jMin})`
            : `Why you need it (${jLen} characters)`}
        </span>
        <FieldError
          id="rf-justification-error"
          field="justification"
          message={err('justification')?.message}
          code={err('justification')?.code}
        />
      </div>

      <div class="row">
        <button type="submit" class="btn btn-primary" data-testid="request-submit" disabled={busy}>
          {busy ? <span class="spinner" aria-hidden="true" /> : null}
          Request access
        </button>
      </div>
    </form>
  );
}
