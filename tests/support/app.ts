/** Starting the whole app (emulators, local Forge runtime, real handlers) for a test. */
import { startLocalApp, type LocalApp, type LocalAppOptions } from '../../playground/local-app';
import { VirtualClock } from '../../playground/forge-runtime/index';
import { DEMO_ACCOUNTS as A } from '../../playground/demo';

export const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);

/** A started app on a virtual clock at T0, with the demo policy saved. */
export async function demoApp(options: Partial<LocalAppOptions> = {}): Promise<LocalApp & { clock: VirtualClock }> {
  const clock = new VirtualClock(T0);
  const app = await startLocalApp({ clock, ...options });
  try {
    await app.seedPolicy();
  } catch (e) {
    await app.close();
    throw e;
  }
  return app as LocalApp & { clock: VirtualClock };
}

/** The answer envelope of a resolver call. */
export type Answer = { ok: true; data: any } | { ok: false; error: { code: string; message: string; path?: string } };

export const answer = (value: unknown) => value as Answer;

/** Holders of the org-admin role in the emulator (the truth, including not-yet-visible writes). */
export const orgAdmins = (app: LocalApp) => app.org.holders().orgAdmins.slice().sort();

export async function requestOrgAdmin(app: LocalApp, as = A.alice, minutes = 60) {
  const issue = app.createIssue('Org admin to rotate the SAML certificate', as);
  const r = answer(await app.panel(as, issue.key, 'submitRequest', { target: 'org-admin', durationMinutes: minutes, justification: 'rotate the SAML certificate' }));
  if (!r.ok) throw new Error(`submit refused: ${r.error.code} ${r.error.message}`);
  return issue.key;
}

/** When the grant on `key`'s issue ends its window (ms since the epoch), as its requester sees it. */
export async function windowEnd(app: LocalApp, key: string, as = A.alice): Promise<number> {
  const view = answer(await app.panel(as, key, 'getView'));
  if (!view.ok) throw new Error(`getView refused: ${view.error.code}`);
  return Date.parse(view.data.view.grant.grant.window.end);
}

export async function activeOrgAdmin(app: LocalApp, as = A.alice, minutes = 60) {
  const key = await requestOrgAdmin(app, as, minutes);
  const approved = answer(await app.panel(A.bob, key, 'approve'));
  if (!approved.ok) throw new Error(`approve refused: ${approved.error.code}`);
  const activated = answer(await app.panel(as, key, 'activate'));
  if (!activated.ok) throw new Error(`activate refused: ${activated.error.code}`);
  return key;
}
