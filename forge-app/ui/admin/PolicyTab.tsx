/**
 * The policy editor: a form over every field of `Policy`, or the raw JSON. Every edit is checked by the core
 * (`validatePolicy`, debounced 300 ms) and each PolicyProblem is shown at the field its `path` names, with a
 * summary that moves the focus there. Saving passes `expectedVersion`, so a newer save is never overwritten.
 * A save that changes a guard rail is only proposed: it shows above the form (PendingChange) until another
 * permanent admin approves it; the form keeps editing the policy in force.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ORG_ADMIN_ROLE, POLICY_DEFAULTS, RESOURCE_ROLES } from '../../src/decision/contract';
import type { Access, ErrorBody, Policy, PolicyData, PolicyProblem, Target } from '../../src/shared/types';

/** types.ts does not re-export the core's ServiceAccount (proposed); derived from Policy meanwhile. */
type ServiceAccount = NonNullable<Policy['serviceAccounts']>[number];
import { adminCall } from '../shared/api';
import { formatDateTime } from '../shared/time';
import { ErrorAlert, Lozenge } from '../shared/ui';
import { describeAccess } from '../shared/words';
import { CheckField, ChipList, NumberField, Problems, SelectField, TextField } from './fields';
import { EvidenceCard } from './EvidenceCard';
import { PendingChange } from './PendingChange';
import {
  duplicateTarget,
  emptyPolicy,
  fieldId,
  formEditable,
  newTarget,
  parentPath,
  problemsAt,
  setIn,
  stableJson,
  type Seg,
} from './policyModel';

interface Props {
  zone: string;
  locale?: string;
  onDirtyChange: (dirty: boolean) => void;
}

type Mode = 'form' | 'json';

export function PolicyTab({ zone, locale, onDirtyChange }: Props) {
  const [meta, setMeta] = useState<PolicyData | null>(null);
  const [loadError, setLoadError] = useState<ErrorBody | null>(null);
  const [saved, setSaved] = useState<unknown>(null);
  const [draft, setDraft] = useState<unknown>(null);
  const [mode, setMode] = useState<Mode>('form');
  const [jsonText, setJsonText] = useState('');
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [problems, setProblems] = useState<PolicyProblem[]>([]);
  const [checking, setChecking] = useState(false);
  const [checkError, setCheckError] = useState<ErrorBody | null>(null);
  const [saveError, setSaveError] = useState<ErrorBody | null>(null);
  const [saving, setSaving] = useState(false);
  const [status, setStatus] = useState('');
  /** The version the draft was made from: saves name it, so a change made since is never overwritten. */
  const [base, setBase] = useState(0);
  const edited = useRef(false);
  const seq = useRef(0);
  const jsonRef = useRef<HTMLTextAreaElement>(null);

  async function load() {
    const answer = await adminCall('getPolicy', {});
    if (!answer.ok) {
      setLoadError(answer.error);
      return;
    }
    const p = answer.data.policy ?? emptyPolicy();
    setMeta(answer.data);
    setBase(answer.data.version);
    setSaved(p);
    setDraft(p);
    setJsonText(JSON.stringify(p, null, 2));
    setJsonError(null);
    setProblems(answer.data.problems ?? []);
    setLoadError(null);
    edited.current = false;
  }
  useEffect(() => {
    void load();
  }, []);

  const dirty = useMemo(() => saved !== null && (jsonError !== null || stableJson(draft) !== stableJson(saved)), [draft, saved, jsonError]);
  useEffect(() => onDirtyChange(dirty), [dirty]);

  // The core checks every edit, 300 ms after the last keystroke; only the latest answer counts.
  useEffect(() => {
    if (!edited.current || jsonError !== null) return;
    const mine = ++seq.current;
    setChecking(true);
    const id = window.setTimeout(async () => {
      const answer = await adminCall('validatePolicy', { policy: draft });
      if (mine !== seq.current) return;
      setChecking(false);
      if (answer.ok) {
        setProblems(answer.data.problems);
        setCheckError(null);
      } else {
        setCheckError(answer.error);
        setProblems(answer.problems ?? []);
      }
    }, 300);
    return () => window.clearTimeout(id);
  }, [draft, jsonError]);

  function edit(segs: Seg[], value: unknown) {
    edited.current = true;
    setSaveError(null);
    setStatus('');
    setDraft((d: unknown) => {
      const next = setIn(d, segs, value);
      setJsonText(JSON.stringify(next, null, 2));
      return next;
    });
  }

  function switchMode(next: Mode) {
    if (next === mode) return;
    if (next === 'json') {
      setJsonText(JSON.stringify(draft, null, 2));
      setMode('json');
      window.setTimeout(() => jsonRef.current?.focus(), 0);
      return;
    }
    if (jsonError !== null || !formEditable(draft)) {
      setJsonError(jsonError ?? 'This JSON cannot be shown in the form (targets, serviceAccounts and permanentAdmins must be lists); fix it here first');
      jsonRef.current?.focus();
      return;
    }
    setMode('form');
  }

  async function save() {
    if (jsonError !== null) {
      jsonRef.current?.focus();
      return;
    }
    setSaving(true);
    setSaveError(null);
    setStatus('');
    const answer = await adminCall('savePolicy', { policy: draft, expectedVersion: base });
    setSaving(false);
    if (answer.ok) {
      // Applied, or (a guard-rail change) proposed: either way the form shows the policy in force.
      showInForce(answer.data);
      setStatus(
        answer.data.outcome === 'proposed'
          ? `Proposed: a guard-rail change waits for a second permanent admin (version ${answer.data.version} stays in force until then).`
          : `Saved: version ${answer.data.version}.`,
      );
    } else {
      setSaveError(answer.error);
      if (answer.problems) setProblems(answer.problems);
    }
  }

  /** Shows the policy in force as the server answered it, as a clean draft. */
  function showInForce(data: PolicyData) {
    setMeta(data);
    setBase(data.version);
    const p = data.policy ?? emptyPolicy();
    setSaved(p);
    setDraft(p);
    setJsonText(JSON.stringify(p, null, 2));
    setJsonError(null);
    setProblems(data.problems ?? []);
    edited.current = false;
  }

  /** After an approval or withdrawal: unsaved edits stay, still tied to the version they were made from. */
  function pendingDecided(data: PolicyData, what: string) {
    if (dirty) {
      setMeta(data);
      setStatus(`${what} Your unsaved edits are based on version ${base}; copy them and reload to build on version ${data.version}.`);
    } else {
      showInForce(data);
      setStatus(what);
    }
  }

  function revert() {
    edited.current = false;
    setDraft(saved);
    setJsonText(JSON.stringify(saved, null, 2));
    setJsonError(null);
    setSaveError(null);
    setProblems(meta?.problems ?? []);
    setStatus('Changes discarded.');
  }

  /** Moves the focus to the field a problem names, or the nearest field above it. */
  function focusProblem(path: string) {
    if (mode === 'json') {
      const ta = jsonRef.current;
      if (!ta) return;
      ta.focus();
      const key = /([A-Za-z]+)(\[\d+\])?$/.exec(path)?.[1];
      const at = key ? ta.value.indexOf(`"${key}"`) : -1;
      if (at >= 0) ta.setSelectionRange(at, at + key!.length + 2);
      return;
    }
    for (let p: string | undefined = path; p; p = parentPath(p)) {
      const el = document.querySelector<HTMLElement>(`[data-path="${CSS.escape(p)}"]`);
      if (!el) continue;
      for (let d = el.closest('details'); d; d = d.parentElement?.closest('details') ?? null) d.open = true;
      el.focus();
      el.scrollIntoView({ block: 'center' });
      return;
    }
  }

  if (loadError) {
    return (
      <div class="stack">
        <ErrorAlert error={loadError} title="The policy could not be loaded" />
        <button type="button" class="btn" onClick={() => void load()}>
          Try again
        </button>
      </div>
    );
  }
  if (draft === null) return <p class="subtle">Loading the policy…</p>;

  const policy = draft as Policy;
  const canForm = formEditable(draft);

  return (
    <div class="policy">
      <div class="toolbar" role="group" aria-label="Policy">
        <div class="toolbar-state">
          {dirty ? (
            <span class="unsaved" data-testid="policy-unsaved">
              ● Unsaved changes
            </span>
          ) : (
            <span class="subtle" data-testid="policy-saved-state">
              {meta?.policy ? `Version ${meta.version}` : 'No policy saved yet'}
              {meta?.updatedAt ? ` · saved ${formatDateTime(meta.updatedAt, zone, locale)}${meta.updatedBy ? ` by ${meta.updatedBy}` : ''}` : ''}
            </span>
          )}
          <span class="check-state" aria-live="polite" data-testid="policy-check-state">
            {jsonError !== null
              ? 'JSON not readable'
              : checking
                ? 'Checking…'
                : problems.length
                  ? `${problems.length} problem${problems.length === 1 ? '' : 's'}`
                  : 'No problems'}
          </span>
        </div>
        <div class="row">
          <button
            type="button"
            class="btn"
            aria-pressed={mode === 'json' ? 'true' : 'false'}
            data-testid="policy-json"
            onClick={() => switchMode(mode === 'json' ? 'form' : 'json')}
          >
            Edit as JSON
          </button>
          <button type="button" class="btn btn-subtle" disabled={!dirty || saving} onClick={revert}>
            Discard changes
          </button>
          <button
            type="button"
            class="btn btn-primary"
            data-testid="policy-save"
            disabled={!dirty || saving || !meta?.viewer.save.allowed}
            title={meta?.viewer.save.allowed ? undefined : meta?.viewer.save.reason?.message}
            onClick={() => void save()}
          >
            {saving ? 'Saving…' : 'Save policy'}
          </button>
        </div>
      </div>
      {meta && !meta.viewer.save.allowed ? (
        <p class="subtle" data-testid="policy-save-why-not">
          You can read the policy but not change it: {meta.viewer.save.reason?.message} <span class="code">({meta.viewer.save.reason?.code})</span>
        </p>
      ) : null}
      {meta?.approvedBy ? (
        <p class="subtle" data-testid="policy-approved-by">
          The change in force was proposed by <span class="mono">{meta.updatedBy}</span> and approved by <span class="mono">{meta.approvedBy}</span>.
        </p>
      ) : null}
      {meta ? <PendingChange meta={meta} zone={zone} locale={locale} onChanged={pendingDecided} /> : null}
      <div class="sr-only" role="status">
        {status}
      </div>
      {status ? (
        <p class="message message-success" aria-hidden="true" data-testid="policy-status">
          {status}
        </p>
      ) : null}

      <ErrorAlert error={saveError} title="The policy was not saved">
        {saveError?.code === 'CHANGE_PENDING' ? <span>The pending change above has to be approved or withdrawn first.</span> : null}
        {['STALE_POLICY', 'CONFLICT'].includes(saveError?.code ?? '') ? (
          <span>
            Someone saved a newer version. Copy your changes (Edit as JSON), then{' '}
            <button type="button" class="link-button" onClick={() => void load()}>
              load the latest policy
            </button>
            .
          </span>
        ) : null}
      </ErrorAlert>
      <ErrorAlert error={checkError} title="The policy could not be checked" />

      {problems.length ? (
        <section class="problem-summary message message-error" aria-labelledby="problems-title">
          <h3 id="problems-title">
            {problems.length} problem{problems.length === 1 ? '' : 's'} to fix
          </h3>
          <ul>
            {problems.map((p, i) => (
              <li key={`${p.path}-${i}`} data-testid="policy-problem" data-problem-path={p.path}>
                <button type="button" class="link-button" onClick={() => focusProblem(p.path)}>
                  <span class="mono">{p.path || '(policy)'}</span>
                </button>{' '}
                — {p.message} <span class="code">({p.code})</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {mode === 'json' || !canForm ? (
        <div class="field">
          <label for="policy-json">Policy (JSON)</label>
          <textarea
            id="policy-json"
            data-testid="policy-json-text"
            class="json-editor"
            ref={jsonRef}
            spellcheck={false}
            value={jsonText}
            rows={28}
            aria-invalid={jsonError !== null ? 'true' : undefined}
            aria-describedby={jsonError !== null ? 'policy-json-error' : undefined}
            onInput={(e) => {
              const text = (e.target as HTMLTextAreaElement).value;
              setJsonText(text);
              setSaveError(null);
              try {
                const parsed: unknown = JSON.parse(text);
                edited.current = true;
                setJsonError(null);
                setDraft(parsed);
              } catch (err) {
                setJsonError(err instanceof Error ? err.message : String(err));
              }
            }}
          />
          {jsonError !== null ? (
            <div class="field-error" id="policy-json-error" data-testid="policy-json-error">
              <span>Not readable JSON: {jsonError}</span>
            </div>
          ) : null}
        </div>
      ) : (
        <PolicyForm policy={policy} problems={problems} edit={edit} />
      )}
    </div>
  );
}

function PolicyForm({ policy, problems, edit }: { policy: Policy; problems: PolicyProblem[]; edit: (segs: Seg[], v: unknown) => void }) {
  const targets = policy.targets ?? [];
  const accounts = policy.serviceAccounts ?? [];
  const addRef = useRef<HTMLButtonElement>(null);
  return (
    <div class="policy-form">
      <section class="card" aria-labelledby="guard-title">
        <h3 id="guard-title">Guard rails</h3>
        <div class="grid">
          <ChipList
            class="span-all"
            path="permanentAdmins"
            label="Permanent admins (account ids)"
            problems={problems}
            values={policy.permanentAdmins}
            onChange={(v) => edit(['permanentAdmins'], v)}
            hint="They keep admin rights at all times and are never revoked."
          />
          <NumberField
            path="maxPermanentAdmins"
            label="Most permanent admins"
            problems={problems}
            value={policy.maxPermanentAdmins}
            defaultValue={POLICY_DEFAULTS.policy.maxPermanentAdmins}
            onChange={(v) => edit(['maxPermanentAdmins'], v)}
          />
          <NumberField
            path="minOrgAdmins"
            label="Fewest org admins (floor)"
            problems={problems}
            value={policy.minOrgAdmins}
            defaultValue={POLICY_DEFAULTS.policy.minOrgAdmins}
            onChange={(v) => edit(['minOrgAdmins'], v)}
          />
          <SelectField
            path="driftMode"
            label="Drift (admin rights held without a grant)"
            problems={problems}
            value={policy.driftMode ?? 'report'}
            options={[
              { value: 'report', label: 'Report only' },
              { value: 'enforce', label: 'Enforce: revoke' },
            ]}
            onChange={(v) => edit(['driftMode'], v)}
          />
          <TextField
            path="alertIssueKey"
            label="Alert issue key"
            problems={problems}
            value={policy.alertIssueKey}
            placeholder="e.g. OPS-42"
            onChange={(v) => edit(['alertIssueKey'], v)}
            hint="Alerts are commented on this issue."
          />
        </div>
      </section>

      <EvidenceCard policy={policy} problems={problems} edit={edit} />

      <section class="card" aria-labelledby="sa-title">
        <div class="card-head">
          <h3 id="sa-title">Service accounts</h3>
          <button
            type="button"
            class="btn btn-small"
            data-testid="policy-add-service-account"
            onClick={() => {
              edit(['serviceAccounts'], [...accounts, { accountId: '', label: '', owners: [] } satisfies ServiceAccount]);
              window.setTimeout(() => document.getElementById(fieldId(`serviceAccounts[${accounts.length}].accountId`))?.focus(), 0);
            }}
          >
            Add service account
          </button>
        </div>
        <Problems path="serviceAccounts" problems={problemsAt(problems, 'serviceAccounts')} />
        {accounts.length === 0 ? <p class="subtle">None. Owners of a service account may request admin rights for it.</p> : null}
        {accounts.map((sa, i) => {
          const at = `serviceAccounts[${i}]`;
          return (
            <div class="sa-row" key={i} role="group" aria-label={`Service account ${i + 1}`}>
              <TextField
                path={`${at}.accountId`}
                label="Account id"
                problems={problems}
                value={sa.accountId}
                mono
                onChange={(v) => edit(['serviceAccounts', i, 'accountId'], v ?? '')}
              />
              <TextField path={`${at}.label`} label="Label" problems={problems} value={sa.label} onChange={(v) => edit(['serviceAccounts', i, 'label'], v)} />
              <ChipList
                path={`${at}.owners`}
                label="Owners"
                problems={problems}
                values={sa.owners}
                onChange={(v) => edit(['serviceAccounts', i, 'owners'], v)}
              />
              <button
                type="button"
                class="btn btn-small btn-subtle sa-remove"
                aria-label={`Remove service account ${sa.label || sa.accountId || i + 1}`}
                onClick={() => edit(['serviceAccounts', i], undefined)}
              >
                Remove
              </button>
            </div>
          );
        })}
      </section>

      <section class="targets" aria-labelledby="targets-title">
        <div class="card-head">
          <h3 id="targets-title">Targets ({targets.length})</h3>
        </div>
        <Problems path="targets" problems={problemsAt(problems, 'targets')} />
        {targets.map((t, i) => (
          <TargetCard
            key={i}
            index={i}
            target={t}
            problems={problems}
            edit={edit}
            onDuplicate={() => {
              const copy = duplicateTarget(t, targets);
              edit(['targets'], [...targets.slice(0, i + 1), copy, ...targets.slice(i + 1)]);
              window.setTimeout(() => document.getElementById(fieldId(`targets[${i + 1}].key`))?.focus(), 0);
            }}
            onRemove={() => {
              edit(['targets', i], undefined);
              window.setTimeout(() => addRef.current?.focus(), 0);
            }}
          />
        ))}
        <button
          type="button"
          class="btn"
          ref={addRef}
          data-testid="policy-add-target"
          onClick={() => {
            edit(['targets'], [...targets, newTarget(targets)]);
            window.setTimeout(() => document.getElementById(fieldId(`targets[${targets.length}].key`))?.focus(), 0);
          }}
        >
          Add target
        </button>
      </section>
    </div>
  );
}

function accessOf(type: Access['type'], old: Access): Access {
  if (type === old.type) return old;
  switch (type) {
    case 'orgRole':
      return { type: 'orgRole', role: ORG_ADMIN_ROLE };
    case 'resourceRole':
      return { type: 'resourceRole', role: RESOURCE_ROLES[0], resource: '' };
    case 'groupMembership':
      return { type: 'groupMembership', groupId: '' };
  }
}

function TargetCard({
  index,
  target: t,
  problems,
  edit,
  onDuplicate,
  onRemove,
}: {
  index: number;
  target: Target;
  problems: PolicyProblem[];
  edit: (segs: Seg[], v: unknown) => void;
  onDuplicate: () => void;
  onRemove: () => void;
}) {
  const at = `targets[${index}]`;
  const set = (segs: Seg[]) => (v: unknown) => edit(['targets', index, ...segs], v);
  const mine = problemsAt(problems, at, true);
  const access = (t.access ?? { type: 'orgRole', role: ORG_ADMIN_ROLE }) as Access;
  return (
    <details class="card target-card" open data-testid="policy-target">
      <summary>
        <span class="target-summary">
          <strong>{t.label || <em>untitled</em>}</strong> <span class="mono">{t.key}</span>{' '}
          <span class="subtle">{access.type ? describeAccess(access) : ''}</span>
        </span>
        {mine.length ? <Lozenge tone="danger">{`${mine.length} problem${mine.length === 1 ? '' : 's'}`}</Lozenge> : null}
      </summary>
      <div class="target-body">
        <Problems path={at} problems={problemsAt(problems, at)} />
        <div class="grid">
          <TextField path={`${at}.key`} label="Key" problems={problems} value={t.key} mono onChange={(v) => set(['key'])(v ?? '')} />
          <TextField path={`${at}.label`} label="Label" problems={problems} value={t.label} onChange={(v) => set(['label'])(v ?? '')} />
        </div>

        <fieldset class="subsection" data-path={`${at}.access`} tabIndex={-1}>
          <legend>Access it grants</legend>
          <Problems path={`${at}.access`} problems={problemsAt(problems, `${at}.access`)} />
          <div class="grid">
            <SelectField
              path={`${at}.access.type`}
              label="Type"
              problems={problems}
              value={access.type}
              options={[
                { value: 'orgRole', label: 'Organization role' },
                { value: 'resourceRole', label: 'Role on a resource (site, product)' },
                { value: 'groupMembership', label: 'Group membership (product admin group)' },
              ]}
              onChange={(v) => set(['access'])(accessOf(v, access))}
            />
            {access.type === 'orgRole' ? (
              <TextField path={`${at}.access.role`} label="Role" problems={problems} value={access.role} readOnly mono onChange={() => undefined} />
            ) : null}
            {access.type === 'resourceRole' ? (
              <>
                <SelectField
                  path={`${at}.access.role`}
                  label="Role"
                  problems={problems}
                  value={access.role}
                  options={((RESOURCE_ROLES as readonly string[]).includes(access.role) ? [...RESOURCE_ROLES] : [...RESOURCE_ROLES, access.role]).map((r) => ({ value: r, label: r }))}
                  onChange={(v) => set(['access', 'role'])(v)}
                />
                <TextField
                  class="span-2"
                  path={`${at}.access.resource`}
                  label="Resource (ARI)"
                  problems={problems}
                  value={access.resource}
                  mono
                  placeholder="ari:cloud:jira::site/…"
                  onChange={(v) => set(['access', 'resource'])(v ?? '')}
                />
              </>
            ) : null}
            {access.type === 'groupMembership' ? (
              <>
                <TextField
                  path={`${at}.access.groupId`}
                  label="Group id"
                  problems={problems}
                  value={access.groupId}
                  mono
                  onChange={(v) => set(['access', 'groupId'])(v ?? '')}
                />
                <TextField
                  path={`${at}.access.groupName`}
                  label="Group name (optional)"
                  problems={problems}
                  value={access.groupName}
                  onChange={(v) => set(['access', 'groupName'])(v)}
                />
              </>
            ) : null}
          </div>
        </fieldset>

        <div class="grid grid-2">
          {(['requesters', 'approvers'] as const).map((who) => (
            <fieldset class="subsection" key={who} data-path={`${at}.${who}`} tabIndex={-1}>
              <legend>{who === 'requesters' ? 'Who may request' : 'Who may approve'}</legend>
              <Problems path={`${at}.${who}`} problems={problemsAt(problems, `${at}.${who}`)} />
              <ChipList
                path={`${at}.${who}.accountIds`}
                label="Accounts"
                problems={problems}
                values={t[who]?.accountIds}
                onChange={(v) => set([who, 'accountIds'])(v)}
              />
              <ChipList
                path={`${at}.${who}.groupIds`}
                label="Groups (ids)"
                problems={problems}
                values={t[who]?.groupIds}
                onChange={(v) => set([who, 'groupIds'])(v)}
              />
            </fieldset>
          ))}
        </div>

        <fieldset class="subsection">
          <legend>Limits</legend>
          <div class="grid grid-limits">
            <NumberField path={`${at}.defaultDurationMinutes`} label="Default duration" unit="min" problems={problems} value={t.defaultDurationMinutes} defaultValue={POLICY_DEFAULTS.target.defaultDurationMinutes} onChange={set(['defaultDurationMinutes'])} />
            <NumberField path={`${at}.maxDurationMinutes`} label="Longest duration" unit="min" problems={problems} value={t.maxDurationMinutes} defaultValue={POLICY_DEFAULTS.target.maxDurationMinutes} onChange={set(['maxDurationMinutes'])} />
            <NumberField path={`${at}.requiredApprovals`} label="Approvals needed" problems={problems} value={t.requiredApprovals} defaultValue={POLICY_DEFAULTS.target.requiredApprovals} onChange={set(['requiredApprovals'])} />
            <NumberField path={`${at}.maxExtensions`} label="Most extensions" problems={problems} value={t.maxExtensions} defaultValue={POLICY_DEFAULTS.target.maxExtensions} onChange={set(['maxExtensions'])} />
            <NumberField
              path={`${at}.maxTotalMinutes`}
              label="Longest total with extensions"
              unit="min"
              problems={problems}
              value={t.maxTotalMinutes}
              defaultValue="longest × (extensions + 1)"
              onChange={set(['maxTotalMinutes'])}
            />
            <NumberField path={`${at}.maxStartAheadMinutes`} label="Furthest start ahead" unit="min" problems={problems} value={t.maxStartAheadMinutes} defaultValue={POLICY_DEFAULTS.target.maxStartAheadMinutes} onChange={set(['maxStartAheadMinutes'])} />
            <NumberField path={`${at}.approvalDeadlineMinutes`} label="Approval deadline" unit="min" problems={problems} value={t.approvalDeadlineMinutes} defaultValue={POLICY_DEFAULTS.target.approvalDeadlineMinutes} onChange={set(['approvalDeadlineMinutes'])} />
          </div>
        </fieldset>

        <fieldset class="subsection">
          <legend>Notifications (Jira mentions)</legend>
          <div class="grid">
            <NumberField path={`${at}.maxApproversNotified`} label="Approvers mentioned at most" problems={problems} value={t.maxApproversNotified} defaultValue={POLICY_DEFAULTS.target.maxApproversNotified} onChange={set(['maxApproversNotified'])} />
            <NumberField path={`${at}.approvalReminderBeforeMinutes`} label="Remind approvers before the deadline (0: never)" unit="min" problems={problems} value={t.approvalReminderBeforeMinutes} defaultValue={POLICY_DEFAULTS.target.approvalReminderBeforeMinutes} onChange={set(['approvalReminderBeforeMinutes'])} />
            <NumberField path={`${at}.windowEndWarningMinutes`} label="Warn the requester before the window ends (0: never)" unit="min" problems={problems} value={t.windowEndWarningMinutes} defaultValue={POLICY_DEFAULTS.target.windowEndWarningMinutes} onChange={set(['windowEndWarningMinutes'])} />
          </div>
        </fieldset>

        <fieldset class="subsection">
          <legend>Justification</legend>
          <div class="grid">
            <CheckField
              path={`${at}.justification.required`}
              label="Required"
              problems={problems}
              checked={t.justification?.required ?? true}
              onChange={(v) => set(['justification', 'required'])(v)}
            />
            <NumberField
              path={`${at}.justification.minLength`}
              label="Shortest"
              unit="characters"
              problems={problems}
              value={t.justification?.minLength}
              defaultValue={POLICY_DEFAULTS.target.justification.minLength}
              onChange={(v) => set(['justification', 'minLength'])(v)}
            />
          </div>
        </fieldset>

        <fieldset class="subsection">
          <legend>Exceptions</legend>
          <div class="grid grid-2">
            <ChipList
              path={`${at}.breakGlass`}
              label="Break-glass accounts"
              problems={problems}
              values={t.breakGlass}
              onChange={set(['breakGlass'])}
              hint="May elevate before approval; every use alerts the admins."
            />
            <ChipList
              path={`${at}.standingHolders`}
              label="Standing holders"
              problems={problems}
              values={t.standingHolders}
              onChange={set(['standingHolders'])}
              hint="Expected to hold this access outside the app (not drift)."
            />
            <CheckField
              path={`${at}.autoActivate`}
              label="Activate automatically when approved"
              problems={problems}
              checked={t.autoActivate ?? false}
              onChange={(v) => set(['autoActivate'])(v || undefined)}
            />
          </div>
        </fieldset>

        <div class="row target-actions">
          <button type="button" class="btn btn-small" data-testid="policy-duplicate-target" onClick={onDuplicate}>
            Duplicate target
          </button>
          <button type="button" class="btn btn-small btn-subtle danger-text" data-testid="policy-remove-target" onClick={onRemove}>
            Remove target
          </button>
        </div>
      </div>
    </details>
  );
}
