/**
 * The action buttons: exactly the core's `view.actions` with `allowed: true`, in the core's order.
 * Revoke, reject and reject-extension ask for an inline confirmation with an optional reason.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ActionOption, Grant } from '../../src/shared/types';
import { ACTION_LABELS } from '../shared/words';

export type ActionName = Exclude<ActionOption['action'], 'submitRequest'>;

const CONFIRM: Partial<Record<ActionName, { question: string; button: string }>> = {
  revoke: { question: 'Revoke this grant? The admin access is removed now.', button: 'Revoke' },
  reject: { question: 'Reject this request? The requester will have to ask again.', button: 'Reject' },
  rejectExtension: { question: 'Reject the extension? The window stays as it is.', button: 'Reject extension' },
};

const PRIMARY = new Set<string>(['approve', 'activate', 'approveExtension']);

interface Props {
  actions: ActionOption[];
  grantStatus: Grant['status'];
  busy: string | null;
  extensionOpen: boolean;
  onOpenExtension: () => void;
  onAct: (action: ActionName, reason?: string) => Promise<boolean>;
}

export function Actions({ actions, grantStatus, busy, extensionOpen, onOpenExtension, onAct }: Props) {
  const [confirming, setConfirming] = useState<ActionName | null>(null);
  const [reason, setReason] = useState('');
  const reasonRef = useRef<HTMLInputElement>(null);
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const allowed = actions.filter((a) => a.allowed && a.action !== 'submitRequest');
  // Why a button is missing, when the reason is about the viewer (not the grant's state); not on ended grants.
  const refused =
    grantStatus === 'ended'
      ? []
      : actions.filter((a) => !a.allowed && a.action !== 'submitRequest' && a.reason && a.reason.code !== 'INVALID_STATE');

  // Layout effect: the focus moves in the same task as the render, so keys typed right away land in the field.
  useLayoutEffect(() => {
    if (confirming) reasonRef.current?.focus();
  }, [confirming]);
  useEffect(() => {
    if (confirming && !allowed.some((a) => a.action === confirming)) setConfirming(null);
  });

  function close() {
    const was = confirming;
    setConfirming(null);
    setReason('');
    if (was) buttons.current.get(was)?.focus();
  }

  function click(name: ActionName) {
    if (name === 'requestExtension') return onOpenExtension();
    if (CONFIRM[name]) {
      setReason('');
      setConfirming(name);
      return;
    }
    void onAct(name);
  }

  const c = confirming ? CONFIRM[confirming] : undefined;
  return (
    <div class="actions-area">
      {allowed.length ? (
        <div class="actions" role="group" aria-label="Actions">
          {allowed.map((a) => {
            const name = a.action as ActionName;
            const kind = PRIMARY.has(name) ? 'btn-primary' : '';
            return (
              <button
                key={name}
                type="button"
                class={`btn ${kind}`}
                data-testid={`action-${name}`}
                ref={(el) => {
                  if (el) buttons.current.set(name, el);
                  else buttons.current.delete(name);
                }}
                disabled={busy !== null}
                aria-expanded={name === 'requestExtension' ? extensionOpen : CONFIRM[name] ? confirming === name : undefined}
                aria-busy={busy === name ? 'true' : undefined}
                onClick={() => click(name)}
              >
                {busy === name ? <span class="spinner" aria-hidden="true" /> : null}
                {ACTION_LABELS[name] ?? name}
              </button>
            );
          })}
        </div>
      ) : null}

      {allowed.some((a) => a.action === 'activate') && grantStatus === 'requested' ? (
        <p class="message message-warning break-glass-note">
          <span>
            <strong>Break glass:</strong> “Elevate now” grants the access without approval. It is recorded and the admins
            are alerted.
          </span>
        </p>
      ) : null}

      {confirming && c ? (
        <form
          class="confirm confirm-danger"
          aria-labelledby="confirm-question"
          onSubmit={async (e) => {
            e.preventDefault();
            const name = confirming;
            const ok = await onAct(name, reason.trim() || undefined);
            if (ok) {
              setConfirming(null);
              setReason('');
            }
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              close();
            }
          }}
        >
          <p id="confirm-question">
            <strong>{c.question}</strong>
          </p>
          <div class="field">
            <label for="confirm-reason">Reason (optional)</label>
            <input
              id="confirm-reason"
              type="text"
              data-testid="confirm-reason"
              ref={reasonRef}
              value={reason}
              maxLength={1000}
              onInput={(e) => setReason((e.target as HTMLInputElement).value)}
            />
          </div>
          <div class="row">
            <button type="submit" class="btn btn-danger" data-testid={`confirm-${confirming}`} disabled={busy !== null}>
              {busy === confirming ? <span class="spinner" aria-hidden="true" /> : null}
              {c.button}
            </button>
            <button type="button" class="btn btn-subtle" data-testid="confirm-dismiss" onClick={close}>
              Keep it
            </button>
          </div>
        </form>
      ) : null}

      {refused.length ? (
        <details class="why-not">
          <summary>Why can’t I do more here?</summary>
          <ul>
            {refused.map((a) => (
              <li key={a.action}>
                <strong>{ACTION_LABELS[a.action] ?? a.action}:</strong> {a.reason!.message}{' '}
                <span class="mono">({a.reason!.code})</span>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}
