/** Form fields of the policy editor, each tied to its policy path so a PolicyProblem shows at its field. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { PolicyProblem } from '../../src/shared/types';
import { describedBy } from '../shared/ui';
import { fieldId, problemsAt } from './policyModel';

/** The problems of one field, under it. */
export function Problems({
  path,
  problems,
  itemName,
}: {
  path: string;
  problems: PolicyProblem[];
  /** For a list: names the item a problem is about (`permanentAdmins[2]` → its value). */
  itemName?: (problemPath: string) => string | undefined;
}) {
  if (!problems.length) return null;
  return (
    <ul class="field-problems" id={`${fieldId(path)}-problems`}>
      {problems.map((p, i) => {
        const item = itemName?.(p.path);
        return (
          <li key={i} class="field-error" data-testid="policy-field-error" data-problem-path={p.path}>
            <span>
              {item ? <strong>{item}: </strong> : null}
              {p.message} <span class="sr-only">({p.code})</span>
            </span>
          </li>
        );
      })}
    </ul>
  );
}

interface Base {
  path: string;
  label: string;
  problems: PolicyProblem[];
  hint?: ComponentChildren;
  class?: string;
}

export function TextField({
  path,
  label,
  problems,
  hint,
  value,
  onChange,
  placeholder,
  readOnly,
  class: cls,
  mono,
}: Base & { value: string | undefined; onChange: (v: string | undefined) => void; placeholder?: string; readOnly?: boolean; mono?: boolean }) {
  const here = problemsAt(problems, path);
  const id = fieldId(path);
  return (
    <div class={`field ${cls ?? ''}`}>
      <label for={id}>{label}</label>
      <input
        id={id}
        type="text"
        data-path={path}
        class={mono ? 'mono-input' : undefined}
        value={value ?? ''}
        placeholder={placeholder}
        readOnly={readOnly}
        aria-invalid={here.length ? 'true' : undefined}
        aria-describedby={describedBy(hint && `${id}-hint`, here.length && `${id}-problems`)}
        onInput={(e) => {
          const v = (e.target as HTMLInputElement).value;
          onChange(v === '' ? undefined : v);
        }}
      />
      {hint ? (
        <span class="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      <Problems path={path} problems={here} />
    </div>
  );
}

/** A whole number; blank means "the core's default" (shown as the placeholder). */
export function NumberField({
  path,
  label,
  problems,
  hint,
  value,
  onChange,
  defaultValue,
  unit,
  class: cls,
}: Base & { value: number | undefined; onChange: (v: number | undefined) => void; defaultValue?: number | string; unit?: string }) {
  const here = problemsAt(problems, path);
  const id = fieldId(path);
  const [text, setText] = useState<string | null>(null);
  // Shows what the user typed while it is not a number yet; otherwise the draft's value.
  const shown = text ?? (value === undefined ? '' : String(value));
  return (
    <div class={`field ${cls ?? ''}`}>
      <label for={id}>
        {label}
        {unit ? <span class="unit"> ({unit})</span> : null}
      </label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        step={1}
        data-path={path}
        value={shown}
        placeholder={defaultValue !== undefined ? `default ${defaultValue}` : undefined}
        aria-invalid={here.length ? 'true' : undefined}
        aria-describedby={describedBy(hint && `${id}-hint`, here.length && `${id}-problems`)}
        onInput={(e) => {
          const raw = (e.target as HTMLInputElement).value;
          if (raw === '') {
            setText(null);
            onChange(undefined);
          } else if (Number.isFinite(Number(raw))) {
            setText(null);
            onChange(Number(raw));
          } else setText(raw);
        }}
        onBlur={() => setText(null)}
      />
      {hint ? (
        <span class="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      <Problems path={path} problems={here} />
    </div>
  );
}

export function CheckField({
  path,
  label,
  problems,
  hint,
  checked,
  onChange,
}: Base & { checked: boolean; onChange: (v: boolean) => void }) {
  const here = problemsAt(problems, path);
  const id = fieldId(path);
  return (
    <div class="field field-check">
      <label class="choice" for={id}>
        <input
          id={id}
          type="checkbox"
          data-path={path}
          checked={checked}
          aria-invalid={here.length ? 'true' : undefined}
          aria-describedby={describedBy(hint && `${id}-hint`, here.length && `${id}-problems`)}
          onChange={(e) => onChange((e.target as HTMLInputElement).checked)}
        />
        {label}
      </label>
      {hint ? (
        <span class="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      <Problems path={path} problems={here} />
    </div>
  );
}

export function SelectField<T extends string>({
  path,
  label,
  problems,
  hint,
  value,
  options,
  onChange,
}: Base & { value: T; options: Array<{ value: T; label: string }>; onChange: (v: T) => void }) {
  const here = problemsAt(problems, path);
  const id = fieldId(path);
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select
        id={id}
        data-path={path}
        value={value}
        aria-invalid={here.length ? 'true' : undefined}
        aria-describedby={describedBy(hint && `${id}-hint`, here.length && `${id}-problems`)}
        onChange={(e) => onChange((e.target as HTMLSelectElement).value as T)}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {hint ? (
        <span class="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      <Problems path={path} problems={here} />
    </div>
  );
}

/**
 * The chosen items of a list field, each with its remove button (which carries the item's path, so a
 * problem at `path[2]` marks and focuses that chip); removing one returns focus to the field's input.
 * `testId` marks each chip (with its value as `data-id`) for the browser tests.
 */
export function Chips({
  label,
  path,
  list,
  bad,
  inputId,
  onChange,
  render = (v) => v,
  testId,
}: {
  label: string;
  path: string;
  list: string[];
  bad: Set<string>;
  inputId: string;
  onChange: (v: string[]) => void;
  render?: (v: string) => ComponentChildren;
  testId?: string;
}) {
  if (!list.length) return null;
  return (
    <ul class="chip-list" aria-label={`${label}: ${list.length}`}>
      {list.map((v, i) => {
        const itemPath = `${path}[${i}]`;
        return (
          <li key={`${i}-${v}`} class={`chip${bad.has(itemPath) ? ' chip-invalid' : ''}`} data-testid={testId} data-id={testId ? v : undefined}>
            <span class="chip-text">{render(v)}</span>
            <button
              type="button"
              class="chip-remove"
              id={fieldId(itemPath)}
              data-path={itemPath}
              aria-label={`Remove ${v} from ${label}`}
              aria-invalid={bad.has(itemPath) ? 'true' : undefined}
              onClick={() => {
                onChange(list.filter((_, j) => j !== i));
                document.getElementById(inputId)?.focus();
              }}
            >
              ×
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * A list of ids as chips: type and press Enter (or comma, or leave the field) to add; paste several at once;
 * Backspace in the empty field removes the last. Problems at the list or at one item (`path[2]`) show here.
 */
export function ChipList({
  path,
  label,
  problems,
  hint,
  values,
  onChange,
  placeholder,
  class: cls,
}: Base & { values: string[] | undefined; onChange: (v: string[]) => void; placeholder?: string }) {
  const [text, setText] = useState('');
  const list = values ?? [];
  const id = fieldId(path);
  const here = problemsAt(problems, path, true);
  const bad = new Set(here.map((p) => p.path));

  function add(raw: string) {
    const parts = raw
      .split(/[\s,;]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (parts.length) onChange([...list, ...parts]);
    setText('');
  }

  return (
    <div class={`field ${cls ?? ''}`}>
      <label for={id}>{label}</label>
      <div class={`chips${here.length ? ' chips-invalid' : ''}`}>
        <Chips label={label} path={path} list={list} bad={bad} inputId={id} onChange={onChange} />
        <input
          id={id}
          type="text"
          data-path={path}
          class="chip-input"
          value={text}
          placeholder={placeholder ?? 'Add, then Enter'}
          aria-invalid={here.length ? 'true' : undefined}
          aria-describedby={describedBy(hint && `${id}-hint`, here.length && `${id}-problems`)}
          onInput={(e) => {
            const v = (e.target as HTMLInputElement).value;
            if (/[,;\s]/.test(v)) add(v);
            else setText(v);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add(text);
            } else if (e.key === 'Backspace' && text === '' && list.length) {
              onChange(list.slice(0, -1));
            }
          }}
          onBlur={() => {
            if (text.trim()) add(text);
          }}
        />
      </div>
      {hint ? (
        <span class="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      <Problems
        path={path}
        problems={here}
        itemName={(pp) => {
          const m = pp.startsWith(`${path}[`) ? /^\[(\d+)\]/.exec(pp.slice(path.length)) : null;
          return m ? list[Number(m[1])] : undefined;
        }}
      />
    </div>
  );
}
