/**
 * The policy editor's people and group picker: the chosen accounts (or groups) as chips with their
 * names and avatars, and a combobox that searches Jira as you type (`searchPeople` /
 * `searchGroups`, asked by the server as the caller). What is stored is always the id. Enter with
 * no suggestion highlighted adds the typed text as it is, so a pasted account id or group id still
 * works; a list is also accepted pasted with commas or semicolons.
 */
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { PolicyProblem } from '../../src/shared/types';
import { adminCall } from '../shared/api';
import { Avatar, GroupLabel, NameRequestContext, PersonLabel, useWantNames } from '../shared/people';
import { describedBy } from '../shared/ui';
import { Chips, Problems } from './fields';
import { fieldId, problemsAt } from './policyModel';

/** One suggestion. */
interface Option {
  id: string;
  name: string;
  /** For people: what Jira gave (avatar). */
  avatarUrl?: string;
}

interface Props {
  path: string;
  label: string;
  problems: PolicyProblem[];
  hint?: string;
  class?: string;
  values: string[] | undefined;
  onChange: (v: string[]) => void;
  kind: 'people' | 'groups';
}

/** Characters typed before the picker searches. */
const MIN_QUERY = 2;
const DEBOUNCE_MS = 250;

export function PeoplePicker({ path, label, problems, hint, class: cls, values, onChange, kind }: Props) {
  const list = values ?? [];
  const id = fieldId(path);
  const listId = `${id}-options`;
  const here = problemsAt(problems, path, true);
  const bad = new Set(here.map((p) => p.path));
  const [text, setText] = useState('');
  const [options, setOptions] = useState<Option[]>([]);
  const [active, setActive] = useState(-1);
  const [searching, setSearching] = useState(false);
  const [searchError, setSearchError] = useState<string | null>(null);
  const seq = useRef(0);
  const want = useContext(NameRequestContext);
  useWantNames(kind === 'people' ? list : [], kind === 'groups' ? list : []);

  useEffect(() => {
    const q = text.trim();
    const mine = ++seq.current;
    if (q.length < MIN_QUERY || /[,;]/.test(q)) {
      setOptions([]);
      setSearching(false);
      return;
    }
    setSearching(true);
    const timer = window.setTimeout(async () => {
      const answer = kind === 'people' ? await adminCall('searchPeople', { query: q }) : await adminCall('searchGroups', { query: q });
      if (mine !== seq.current) return;
      setSearching(false);
      if (!answer.ok) {
        setSearchError(answer.error.message);
        setOptions([]);
        return;
      }
      setSearchError(null);
      const found: Option[] =
        'people' in answer.data
          ? answer.data.people.map((p) => ({ id: p.accountId, name: p.displayName, ...(p.avatarUrl ? { avatarUrl: p.avatarUrl } : {}) }))
          : answer.data.groups.map((g) => ({ id: g.groupId, name: g.name }));
      setOptions(found.filter((o) => !list.includes(o.id)));
      setActive(found.length ? 0 : -1);
    }, DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [text, kind]);

  function add(ids: string[]) {
    const fresh = ids.filter((x) => x && !list.includes(x));
    if (fresh.length) {
      onChange([...list, ...fresh]);
      if (kind === 'people') want(fresh);
      else want([], fresh);
    }
    setText('');
    setOptions([]);
    setActive(-1);
  }

  /** Typed text as ids: a pasted id, or a list of them. */
  const typed = () =>
    text
      .split(/[,;\s]+/)
      .map((s) => s.trim())
      .filter(Boolean);

  const open = options.length > 0;
  return (
    <div class={`field ${cls ?? ''}`}>
      <label for={id}>{label}</label>
      <div class={`chips${here.length ? ' chips-invalid' : ''}`}>
        <Chips
          label={label}
          path={path}
          list={list}
          bad={bad}
          inputId={id}
          onChange={onChange}
          render={(v) => (kind === 'people' ? <PersonLabel accountId={v} size={16} /> : <GroupLabel groupId={v} />)}
          testId="picker-chip"
        />
        <div class="picker">
          <input
            id={id}
            type="text"
            role="combobox"
            data-path={path}
            data-testid={`picker-input-${path}`}
            class="chip-input"
            value={text}
            autoComplete="off"
            placeholder={kind === 'people' ? 'Search people by name, or paste an account id' : 'Search groups by name, or paste a group id'}
            aria-autocomplete="list"
            aria-expanded={open ? 'true' : 'false'}
            aria-controls={listId}
            aria-activedescendant={open && active >= 0 ? `${listId}-${active}` : undefined}
            aria-invalid={here.length ? 'true' : undefined}
            aria-describedby={describedBy(hint && `${id}-hint`, here.length && `${id}-problems`)}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
            onKeyDown={(e) => {
              if (e.key === 'ArrowDown' && open) {
                e.preventDefault();
                setActive((a) => (a + 1) % options.length);
              } else if (e.key === 'ArrowUp' && open) {
                e.preventDefault();
                setActive((a) => (a <= 0 ? options.length - 1 : a - 1));
              } else if (e.key === 'Enter') {
                e.preventDefault();
                if (open && active >= 0) add([options[active]!.id]);
                else add(typed());
              } else if (e.key === 'Escape' && open) {
                e.preventDefault();
                setOptions([]);
              } else if (e.key === 'Backspace' && text === '' && list.length) {
                onChange(list.slice(0, -1));
              }
            }}
            onBlur={() => {
              // A pasted id is kept on leaving the field; a half-typed name is not an id: it stays for the user.
              if (!open && /[,;]/.test(text)) add(typed());
            }}
          />
          <ul id={listId} role="listbox" class="picker-options" aria-label={`${label}: suggestions`} hidden={!open} data-testid="picker-options">
            {options.map((o, i) => (
              <li
                key={o.id}
                id={`${listId}-${i}`}
                role="option"
                class={`picker-option${i === active ? ' picker-option-active' : ''}`}
                aria-selected={i === active ? 'true' : 'false'}
                data-testid="picker-option"
                data-id={o.id}
                // mousedown, not click: the input's blur must not close the list first.
                onMouseDown={(e) => {
                  e.preventDefault();
                  add([o.id]);
                }}
              >
                {kind === 'people' ? <Avatar person={o.avatarUrl ? { accountId: o.id, displayName: o.name, avatarUrl: o.avatarUrl, active: true, accountType: 'atlassian' } : undefined} name={o.name} /> : null}
                <span class="picker-name">{o.name}</span>
                <span class="picker-id subtlest">{o.id}</span>
              </li>
            ))}
          </ul>
        </div>
      </div>
      <span class="sr-only" role="status" aria-live="polite">
        {searching ? 'Searching…' : open ? `${options.length} suggestion${options.length === 1 ? '' : 's'}` : ''}
      </span>
      {searchError ? <span class="field-error">{searchError}</span> : null}
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
