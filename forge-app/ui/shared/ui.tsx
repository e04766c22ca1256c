/** Small building blocks shared by the issue panel and the admin page. */
import type { ComponentChildren } from 'preact';
import type { ErrorBody } from '../../src/shared/types';
import type { Tone } from './words';

/** The alert region for a refused or failed call: the core's message and its stable code. */
export function ErrorAlert({ error, title, children }: { error: ErrorBody | null; title?: string; children?: ComponentChildren }) {
  if (!error) return null;
  return (
    <div class="message message-error" role="alert" data-testid="error-message">
      <strong>{title ?? 'That did not go through'}</strong>
      <span>
        {error.message} <span class="code">({error.code})</span>
      </span>
      {children}
    </div>
  );
}

/** A message under a field, tied to it with aria-describedby (`id`). */
export function FieldError({ id, field, message, code }: { id: string; field: string; message?: string; code?: string }) {
  if (!message) return null;
  return (
    <div class="field-error" id={id} data-testid={`field-error-${field}`}>
      <span>
        {message}
        {code ? <span class="sr-only"> ({code})</span> : null}
      </span>
    </div>
  );
}

export function Lozenge({ tone, children, testid }: { tone: Tone; children: ComponentChildren; testid?: string }) {
  return (
    <span class={`lozenge tone-${tone}`} data-testid={testid}>
      {children}
    </span>
  );
}

/** Joins ids for aria-describedby, dropping empty ones. */
export function describedBy(...ids: Array<string | number | bigint | false | undefined | null>): string | undefined {
  const list = ids.filter(Boolean).join(' ');
  return list || undefined;
}
