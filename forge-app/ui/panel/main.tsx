/**
 * The issue panel: shows the grant on this issue and the buttons the core allows this viewer, and asks the
 * resolver for everything. It never decides: buttons are exactly `view.actions` with `allowed: true`.
 */
import './panel.css';
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { AuditRecord, ErrorBody, PanelCalls } from '../../src/shared/types';
import { panelCall, startUi, type UiContext } from '../shared/api';
import { ErrorAlert } from '../shared/ui';
import { makeNamer } from '../shared/words';
import { PeopleContext } from '../shared/people';
import { Actions, type ActionName } from './Actions';
import { ExtensionForm } from './ExtensionForm';
import { GrantDetails } from './GrantDetails';
import { RequestForm, type FieldErrors } from './RequestForm';
import { serverNow, type Snapshot } from './snapshot';
import { Timeline } from './Timeline';

const DONE: Record<string, string> = {
  submitRequest: 'Request submitted.',
  approve: 'Approved.',
  reject: 'Request rejected.',
  activate: 'Elevation started.',
  complete: 'Done: access is being revoked.',
  requestExtension: 'More time requested.',
  approveExtension: 'Extension approved.',
  rejectExtension: 'Extension rejected.',
  revoke: 'Grant revoked.',
  cancel: 'Request cancelled.',
};

/** Which form a refusal's `path` belongs to, and the field it names (`event.durationMinutes` → `duration`). */
const REQUEST_FIELDS: Record<string, string> = {
  durationMinutes: 'duration',
  start: 'start',
  justification: 'justification',
  target: 'target',
  subject: 'subject',
};
const EXTENSION_FIELDS: Record<string, string> = { minutes: 'minutes', justification: 'justification' };

function fieldOf(path: string | undefined, fields: Record<string, string>): string | undefined {
  if (!path) return undefined;
  const m = /^event\.([A-Za-z]+)/.exec(path);
  return m ? fields[m[1]!] : undefined;
}

function App() {
  const [ctx, setCtx] = useState<UiContext | null>(null);
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const [loadError, setLoadError] = useState<ErrorBody | null>(null);
  const [error, setError] = useState<ErrorBody | null>(null);
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [requestErrors, setRequestErrors] = useState<FieldErrors>({});
  const [extensionErrors, setExtensionErrors] = useState<FieldErrors>({});
  const [extensionOpen, setExtensionOpen] = useState(false);
  // Older history pages the viewer asked for, oldest first, with where the next older one starts.
  const [older, setOlder] = useState<{ records: AuditRecord[]; before?: number; counts: Record<string, number> } | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const headingRef = useRef<HTMLHeadingElement>(null);

  const load = useCallback(async (quiet = false) => {
    const answer = await panelCall('getView', {});
    if (answer.ok) {
      setSnap({ data: answer.data, receivedAt: performance.now() });
      setLoadError(null);
    } else if (!quiet) {
      setLoadError(answer.error);
    }
    return answer.ok;
  }, []);

  useEffect(() => {
    void startUi().then((c) => {
      setCtx(c);
      void load();
    });
  }, [load]);

  // Keeps the panel current while something happens elsewhere: every 10 s while access is being granted or
  // revoked (the queue answers within seconds), every 60 s otherwise; not while the tab is hidden.
  const provisioning = snap?.data.view.grant?.grant.provisioning.state;
  const finished = snap?.data.view.grant?.finished;
  useEffect(() => {
    if (!snap || (finished && provisioning !== 'revoking')) return;
    const busyState = provisioning === 'granting' || provisioning === 'revoking';
    const id = window.setInterval(() => {
      if (document.visibilityState === 'visible' && !busy) void load(true);
    }, busyState ? 10_000 : 60_000);
    return () => window.clearInterval(id);
  }, [snap?.data.view.grant?.grant.version, provisioning, finished, busy, load]);

  // Closes the extension form when the core no longer offers it (e.g. someone else acted).
  const allowed = new Set((snap?.data.view.actions ?? []).filter((a) => a.allowed).map((a) => a.action));
  useEffect(() => {
    if (extensionOpen && !allowed.has('requestExtension')) setExtensionOpen(false);
  }, [extensionOpen, allowed.has('requestExtension')]);

  /** Runs one mutating call: the answer is the new view, or a refusal (then the view is reloaded). */
  async function act<K extends keyof PanelCalls>(name: K, payload: PanelCalls[K], fields?: Record<string, string>): Promise<boolean> {
    setBusy(name);
    setError(null);
    setStatus('');
    const answer = await panelCall(name, payload);
    if (answer.ok) {
      setSnap({ data: answer.data, receivedAt: performance.now() });
      setRequestErrors({});
      setExtensionErrors({});
      setStatus(DONE[name] ?? 'Done.');
      setBusy(null);
      headingRef.current?.focus();
      return true;
    }
    const field = fields ? fieldOf(answer.error.path, fields) : undefined;
    if (field) {
      const errors = { [field]: { message: answer.error.message, code: answer.error.code } };
      if (fields === REQUEST_FIELDS) setRequestErrors(errors);
      else setExtensionErrors(errors);
      setStatus(`Not accepted: ${answer.error.message}`);
    } else {
      setError(answer.error);
    }
    await load(true);
    setBusy(null);
    return false;
  }

  /** Fetches the page of history before the oldest one shown. */
  async function showOlder() {
    const first = snap?.data.timeline[0]?.seq;
    const fits = older && first !== undefined && (older.records.at(-1)?.seq ?? 0) >= first - 1;
    const before = fits ? older.before : snap?.data.timelineBefore;
    if (before === undefined) return;
    setLoadingOlder(true);
    const answer = await panelCall('getView', { timelineBefore: before });
    setLoadingOlder(false);
    if (!answer.ok) {
      setError(answer.error);
      return;
    }
    setOlder((o) => ({
      records: [...answer.data.timeline, ...(fits && o ? o.records : [])],
      before: answer.data.timelineBefore,
      counts: { ...(fits && o ? o.counts : {}), ...(answer.data.refusalCounts ?? {}) },
    }));
  }

  if (!snap) {
    return (
      <main class="panel">
        <ErrorAlert error={loadError} title="The panel could not load" />
        {loadError ? (
          <button type="button" class="btn" onClick={() => void load()}>
            Try again
          </button>
        ) : (
          <p class="subtle" role="status">
            Loading…
          </p>
        )}
      </main>
    );
  }

  const { data } = snap;
  const zone = ctx?.timezone ?? 'UTC';
  const locale = ctx?.locale;
  // Facts mark the viewer "(you)"; the history reads like the audit trail, with plain account ids.
  const name = makeNamer(data.view.viewer.accountId, data.people);
  const plainName = makeNamer(undefined, data.people);
  const names = { people: data.people ?? {}, groups: {} };
  const grant = data.view.grant;
  // Older pages still join the newest one (new records may have pushed it past them since).
  const firstShown = data.timeline[0]?.seq;
  const joined = older && firstShown !== undefined && (older.records.at(-1)?.seq ?? 0) >= firstShown - 1 ? older : null;

  return (
    <PeopleContext.Provider value={names}>
    <main class="panel" aria-busy={busy ? 'true' : 'false'}>
      <h2 class="sr-only" tabIndex={-1} ref={headingRef}>
        Just-in-time admin for {data.issueKey}
      </h2>
      {grant ? (
        <GrantDetails snap={snap} zone={zone} locale={locale} name={name} onTimeUp={() => void load(true)} />
      ) : allowed.has('submitRequest') ? null : (
        <p class="subtle">No admin access has been requested on this issue, and there is nothing you can request.</p>
      )}

      <ErrorAlert error={error} />
      <div class="sr-only" role="status" aria-live="polite" data-testid="status-message">
        {status}
      </div>

      {grant ? (
        <Actions
          actions={data.view.actions}
          grantStatus={grant.grant.status}
          busy={busy}
          extensionOpen={extensionOpen}
          onOpenExtension={() => setExtensionOpen(true)}
          onAct={(action: ActionName, reason?: string) => {
            const payload = (reason ? { reason } : {}) as never;
            return act(action, payload);
          }}
        />
      ) : null}

      {grant && extensionOpen && allowed.has('requestExtension') ? (
        <ExtensionForm
          busy={busy === 'requestExtension'}
          errors={extensionErrors}
          onClearError={(f) => setExtensionErrors((e) => ({ ...e, [f]: undefined }))}
          onCancel={() => {
            setExtensionOpen(false);
            setExtensionErrors({});
            document.querySelector<HTMLButtonElement>('[data-testid="action-requestExtension"]')?.focus();
          }}
          onSubmit={async (payload) => {
            const ok = await act('requestExtension', payload, EXTENSION_FIELDS);
            if (ok) setExtensionOpen(false);
            return ok;
          }}
        />
      ) : null}

      {!grant && allowed.has('submitRequest') ? (
        <RequestForm
          options={data.view.requestable}
          viewer={data.view.viewer.accountId}
          zone={zone}
          locale={locale}
          nowMs={() => serverNow(snap)}
          busy={busy === 'submitRequest'}
          errors={requestErrors}
          onClearError={(f) => setRequestErrors((e) => ({ ...e, [f]: undefined }))}
          onSubmit={(payload) => act('submitRequest', payload, REQUEST_FIELDS)}
        />
      ) : null}

      {data.timeline.length ? (
        <Timeline
          records={joined ? [...joined.records.filter((r) => r.seq < (firstShown ?? Infinity)), ...data.timeline] : data.timeline}
          zone={zone}
          locale={locale}
          nowMs={serverNow(snap)}
          name={plainName}
          requiredApprovals={grant?.grant.requiredApprovals}
          counts={{ ...(joined?.counts ?? {}), ...(data.refusalCounts ?? {}) }}
          hasOlder={joined ? joined.before !== undefined : data.timelineBefore !== undefined}
          loadingOlder={loadingOlder}
          onOlder={() => void showOlder()}
        />
      ) : null}
    </main>
    </PeopleContext.Provider>
  );
}

const root = document.getElementById('root');
if (root) render(<App />, root);
