/** "Ask for more time": minutes and a justification; the core's refusals are shown at their fields. */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { PanelCalls } from '../../src/shared/types';
import { formatMinutes } from '../shared/time';
import { describedBy, FieldError } from '../shared/ui';
import type { FieldErrors } from './RequestForm';

interface Props {
  busy: boolean;
  errors: FieldErrors;
  onClearError: (field: string) => void;
  onCancel: () => void;
  onSubmit: (payload: PanelCalls['requestExtension']) => Promise<boolean>;
}

const PRESETS = [15, 30, 60, 120];

export function ExtensionForm({ busy, errors, onClearError, onCancel, onSubmit }: Props) {
  const [minutes, setMinutes] = useState('30');
  const [justification, setJustification] = useState('');
  const minutesRef = useRef<HTMLInputElement>(null);
  const justificationRef = useRef<HTMLTextAreaElement>(null);

  useLayoutEffect(() => {
    minutesRef.current?.focus();
  }, []);
  useLayoutEffect(() => {
    if (errors.minutes) minutesRef.current?.focus();
    else if (errors.justification) justificationRef.current?.focus();
  }, [errors]);

  const n = Number(minutes);
  return (
    <form
      class="extension-form"
      data-testid="extension-form"
      noValidate
      aria-labelledby="extension-title"
      onSubmit={(e) => {
        e.preventDefault();
        void onSubmit({ minutes: minutes.trim() === '' ? 0 : Number(minutes), justification });
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onCancel();
        }
      }}
    >
      <h3 id="extension-title">Ask for more time</h3>
      <div class="field">
        <label for="ext-minutes">Extra minutes</label>
        <div class="row">
          <input
            id="ext-minutes"
            type="number"
            inputMode="numeric"
            class="duration-input"
            data-testid="extension-minutes"
            ref={minutesRef}
            min={1}
            step={1}
            value={minutes}
            aria-invalid={errors.minutes ? 'true' : undefined}
            aria-describedby={describedBy(errors.minutes && 'ext-minutes-error')}
            onInput={(e) => {
              setMinutes((e.target as HTMLInputElement).value);
              if (errors.minutes) onClearError('minutes');
            }}
          />
          <div class="presets" role="group" aria-label="Extra time presets">
            {PRESETS.map((m) => (
              <button
                key={m}
                type="button"
                class="btn btn-small"
                aria-pressed={n === m ? 'true' : 'false'}
                onClick={() => {
                  setMinutes(String(m));
                  if (errors.minutes) onClearError('minutes');
                }}
              >
                +{formatMinutes(m)}
              </button>
            ))}
          </div>
        </div>
        <FieldError id="ext-minutes-error" field="minutes" message={errors.minutes?.message} code={errors.minutes?.code} />
      </div>
      <div class="field">
        <label for="ext-justification">Why you need more time</label>
        <textarea
          id="ext-justification"
          data-testid="extension-justification"
          ref={justificationRef}
          rows={2}
          value={justification}
          aria-invalid={errors.justification ? 'true' : undefined}
          aria-describedby={describedBy(errors.justification && 'ext-justification-error')}
          onInput={(e) => {
            setJustification((e.target as HTMLTextAreaElement).value);
            if (errors.justification) onClearError('justification');
          }}
        />
        <FieldError
          id="ext-justification-error"
          field="justification"
          message={errors.justification?.message}
          code={errors.justification?.code}
        />
      </div>
      <div class="row">
        <button type="submit" class="btn btn-primary" data-testid="extension-submit" disabled={busy}>
          {busy ? <span class="spinner" aria-hidden="true" /> : null}
          Ask for {Number.isFinite(n) && n > 0 ? `${formatMinutes(n)} more` : 'more time'}
        </button>
        <button type="button" class="btn btn-subtle" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
