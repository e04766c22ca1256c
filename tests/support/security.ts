/**
 * Shared by the security tests: the authorization matrix read from SECURITY.md, the states it is
 * about, and small probes of the running app (its grant, its org-API writes, a raw resolver call).
 */
import { readFileSync } from 'node:fs';
import { PROBE_ACCOUNT_ID } from '../../forge-app/src/adapters/orgAdmin';
import { panelResolver } from '../../forge-app/src/index';
import type { LocalApp } from '../../playground/local-app';
import { ORG_ADMIN_ROUTES, routeKey } from '../../playground/emulators/org-admin/index';
import { answer, type Answer } from './app';

export const ACTIONS = [
  'submitRequest',
  'approve',
  'reject',
  'activate',
  'complete',
  'requestExtension',
  'approveExtension',
  'rejectExtension',
  'revoke',
  'cancel',
] as const;
export type Action = (typeof ACTIONS)[number];

export const ROLES = ['alice', 'bob', 'carol', 'dan', 'perm-1', 'mallory'] as const;
export type Role = (typeof ROLES)[number];

export const STATES = ['none', 'requested', 'approved', 'active', 'extension-pending', 'second-extension-pending', 'ended'] as const;
export type State = (typeof STATES)[number];

/** `✓` accepted and changed, `—` accepted as a no-op, or the core's error code. */
export type Cell = string;
export type Matrix = Record<State, Record<Role, Record<Action, Cell>>>;

/** The valid payloads the matrix is about. */
export const SUBMIT = { target: 'org-admin', durationMinutes: 60, justification: 'Rotate the SAML signing certificate (INC-4711)' };
export const EXTEND = { minutes: 30, justification: 'Certificate still propagating to two IdP apps' };
export const payloadFor = (action: Action): Record<string, unknown> => (action === 'submitRequest' ? { ...SUBMIT } : action === 'requestExtension' ? { ...EXTEND } : {});

export const SECURITY_MD = new URL('../../SECURITY.md', import.meta.url);

/**
 * Reads the matrix: after each `<!-- matrix:<state> -->` marker, the first markdown table; its
 * header names the actions (in backticks), each row a role (the account id in backticks).
 * Throws on anything missing, repeated or malformed, so the document cannot silently drift.
 */
export function parseMatrix(markdown: string): Matrix {
  const out: Partial<Matrix> = {};
  const marker = /<!--\s*matrix:([a-z-]+)\s*-->/g;
  const markers = [...markdown.matchAll(marker)];
  for (const [i, m] of markers.entries()) {
    const state = m[1] as State;
    if (!STATES.includes(state)) throw new Error(`SECURITY.md: unknown matrix state \`${state}\``);
    if (out[state]) throw new Error(`SECURITY.md: matrix state \`${state}\` appears twice`);
    const section = markdown.slice(m.index! + m[0].length, markers[i + 1]?.index ?? markdown.length);
    const lines = section.split('\n');
    const first = lines.findIndex((l) => l.trim().startsWith('|'));
    if (first < 0) throw new Error(`SECURITY.md: no table after the \`${state}\` marker`);
    const table: string[] = [];
    for (let j = first; j < lines.length && lines[j]!.trim().startsWith('|'); j++) table.push(lines[j]!.trim());
    const cells = (row: string) => row.replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
    const header = cells(table[0]!).slice(1).map((h) => h.replace(/`/g, ''));
    if (header.join(',') !== ACTIONS.join(',')) throw new Error(`SECURITY.md ${state}: columns must be ${ACTIONS.join(', ')}; found ${header.join(', ')}`);
    if (!/^[-| :]+$/.test(table[1] ?? '')) throw new Error(`SECURITY.md ${state}: the table has no separator row`);
    const rows: Partial<Record<Role, Record<Action, Cell>>> = {};
    for (const row of table.slice(2)) {
      const [label, ...values] = cells(row);
      const role = /`([^`]+)`/.exec(label ?? '')?.[1] as Role | undefined;
      if (!role || !ROLES.includes(role)) throw new Error(`SECURITY.md ${state}: row \`${label}\` names no known role`);
      if (rows[role]) throw new Error(`SECURITY.md ${state}: role ${role} appears twice`);
      if (values.length !== ACTIONS.length) throw new Error(`SECURITY.md ${state}/${role}: ${values.length} cells, expected ${ACTIONS.length}`);
      for (const v of values) {
        if (!/^(✓|—|[A-Z][A-Z_]+)$/.test(v)) throw new Error(`SECURITY.md ${state}/${role}: cell \`${v}\` is not ✓, — or an error code`);
      }
      rows[role] = Object.fromEntries(ACTIONS.map((a, k) => [a, values[k]!])) as Record<Action, Cell>;
    }
    for (const role of ROLES) if (!rows[role]) throw new Error(`SECURITY.md ${state}: no row for ${role}`);
    out[state] = rows as Record<Role, Record<Action, Cell>>;
  }
  for (const state of STATES) if (!out[state]) throw new Error(`SECURITY.md: no matrix for state \`${state}\``);
  return out as Matrix;
}

export const readMatrix = () => parseMatrix(readFileSync(SECURITY_MD, 'utf8'));

/** The grant stored for an issue, as a permanent admin's view shows it (reading changes nothing). */
export async function grantOf(app: LocalApp, issueKey: string): Promise<any | null> {
  const r = answer(await app.panel('perm-1', issueKey, 'getView'));
  if (!r.ok) throw new Error(`getView failed: ${r.error.code} ${r.error.message}`);
  return r.data.view.grant?.grant ?? null;
}

export async function viewOf(app: LocalApp, as: string, issueKey: string): Promise<any> {
  const r = answer(await app.panel(as, issueKey, 'getView'));
  if (!r.ok) throw new Error(`getView as ${as} failed: ${r.error.code} ${r.error.message}`);
  return r.data;
}

const WRITE_ROUTES = new Set(['assignOrgRole', 'revokeOrgRole', 'assignRole', 'revokeRole', 'addGroupMember', 'removeGroupMember']);
const WRITE_KEYS = ORG_ADMIN_ROUTES.filter((r) => WRITE_ROUTES.has(r.id)).map((r) => routeKey(r));

/**
 * How many org-API write calls (assign, revoke, membership changes) the emulator has received,
 * except the Health view's role-endpoint probe when it was answered 404: a revoke for an account
 * no organization has (`PROBE_ACCOUNT_ID`), which cannot change anything.
 */
export function orgWrites(app: LocalApp): number {
  const calls = app.org.stats().calls;
  const probes = app.org.requestLog().filter((e) => WRITE_ROUTES.has(e.route) && e.params.userId === PROBE_ACCOUNT_ID && e.status === 404).length;
  return WRITE_KEYS.reduce((n, k) => n + (calls[k] ?? 0), 0) - probes;
}

/**
 * Calls the panel resolver with exactly this payload (`app.panel` turns `null` into `{}`), as the
 * platform would: identity and issue from the context.
 */
export function rawPanel(app: LocalApp, accountId: string, issueKey: string, fn: string, payload: unknown): Promise<unknown> {
  const id = app.jira.issue(issueKey)?.id ?? '0';
  return app.runtime.invokeResolver(panelResolver as never, {
    functionKey: fn,
    payload,
    context: { accountId, moduleKey: 'jit-admin-panel', extension: { type: 'jira:issuePanel', issue: { key: issueKey, id } } },
  });
}

async function must(app: LocalApp, as: string, issueKey: string, fn: string, payload?: unknown): Promise<Answer & { ok: true }> {
  const r = answer(await app.panel(as, issueKey, fn, payload));
  if (!r.ok) throw new Error(`building the state: ${fn} by ${as} on ${issueKey} was refused: ${r.error.code} ${r.error.message}`);
  return r;
}

/** A new issue whose grant is in `state` (see SECURITY.md for what each state means). */
export async function buildState(app: LocalApp, state: State): Promise<string> {
  const { key } = app.createIssue(`JIT admin request (${state})`, 'alice');
  if (state === 'none') return key;
  await must(app, 'alice', key, 'submitRequest', SUBMIT);
  if (state === 'requested') return key;
  await must(app, 'bob', key, 'approve');
  if (state === 'approved') return key;
  await must(app, 'alice', key, 'activate');
  if (state === 'active') return key;
  if (state === 'ended') {
    await must(app, 'alice', key, 'complete');
    const g = await grantOf(app, key);
    if (g.status !== 'ended' || g.provisioning.state !== 'revoked') throw new Error(`building ended: ${g.status}/${g.provisioning.state}`);
    return key;
  }
  await must(app, 'alice', key, 'requestExtension', EXTEND);
  if (state === 'extension-pending') return key;
  await must(app, 'carol', key, 'approveExtension');
  await must(app, 'alice', key, 'requestExtension', EXTEND);
  return key;
}

/** Ends the issue's grant (if it is still open), so the requester may ask again elsewhere. */
export async function closeGrant(app: LocalApp, issueKey: string): Promise<void> {
  let g = await grantOf(app, issueKey);
  if (!g) return;
  if (g.status === 'requested' || g.status === 'approved') await must(app, 'alice', issueKey, 'cancel');
  if (g.status === 'active') await must(app, 'alice', issueKey, 'complete');
  g = await grantOf(app, issueKey);
  const finished = g.status === 'ended' && ['notGranted', 'revoked', 'retained'].includes(g.provisioning.state);
  if (!finished) throw new Error(`could not close ${issueKey}: ${g.status}/${g.provisioning.state}`);
}

// ---- The admin page's matrix (SECURITY.md, `<!-- admin-matrix -->`)

export const ADMIN_CALLS = [
  'getPolicy',
  'validatePolicy',
  'listGrants',
  'getAudit',
  'exportAudit',
  'getDrift',
  'getAlerts',
  'getHoldings',
  'savePolicy',
  'approvePolicyChange',
  'withdrawPolicyChange',
  'getHealth',
] as const;
export type AdminCallName = (typeof ADMIN_CALLS)[number];

/** A Jira admin who is nothing else, someone who is no Jira admin, the proposer, the second approver. */
export const ADMIN_ROLES = ['jade', 'mallory', 'perm-1', 'perm-2'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];
export type AdminMatrix = Record<AdminRole, Record<AdminCallName, Cell>>;

/**
 * Reads the admin page's matrix: the first table after `<!-- admin-matrix -->`, its header naming
 * the calls (in backticks), each row a role (the account id in backticks). Throws on anything
 * missing, repeated or malformed.
 */
export function parseAdminMatrix(markdown: string): AdminMatrix {
  const markers = [...markdown.matchAll(/<!--\s*admin-matrix\s*-->/g)];
  if (markers.length !== 1) throw new Error(`SECURITY.md: ${markers.length} admin-matrix markers, expected 1`);
  const lines = markdown.slice(markers[0]!.index! + markers[0]![0].length).split('\n');
  const first = lines.findIndex((l) => l.trim().startsWith('|'));
  if (first < 0) throw new Error('SECURITY.md: no table after the admin-matrix marker');
  const table: string[] = [];
  for (let j = first; j < lines.length && lines[j]!.trim().startsWith('|'); j++) table.push(lines[j]!.trim());
  const cells = (row: string) => row.replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
  const header = cells(table[0]!).slice(1).map((h) => h.replace(/`/g, ''));
  if (header.join(',') !== ADMIN_CALLS.join(',')) throw new Error(`SECURITY.md admin matrix: columns must be ${ADMIN_CALLS.join(', ')}; found ${header.join(', ')}`);
  if (!/^[-| :]+$/.test(table[1] ?? '')) throw new Error('SECURITY.md admin matrix: the table has no separator row');
  const rows: Partial<AdminMatrix> = {};
  for (const row of table.slice(2)) {
    const [label, ...values] = cells(row);
    const role = /`([^`]+)`/.exec(label ?? '')?.[1] as AdminRole | undefined;
    if (!role || !ADMIN_ROLES.includes(role)) throw new Error(`SECURITY.md admin matrix: row \`${label}\` names no known role`);
    if (rows[role]) throw new Error(`SECURITY.md admin matrix: role ${role} appears twice`);
    if (values.length !== ADMIN_CALLS.length) throw new Error(`SECURITY.md admin matrix ${role}: ${values.length} cells, expected ${ADMIN_CALLS.length}`);
    for (const v of values) if (!/^(✓|[A-Z][A-Z_]+)$/.test(v)) throw new Error(`SECURITY.md admin matrix ${role}: cell \`${v}\` is not ✓ or an error code`);
    rows[role] = Object.fromEntries(ADMIN_CALLS.map((c, k) => [c, values[k]!])) as Record<AdminCallName, Cell>;
  }
  for (const role of ADMIN_ROLES) if (!rows[role]) throw new Error(`SECURITY.md admin matrix: no row for ${role}`);
  return rows as AdminMatrix;
}

export const readAdminMatrix = () => parseAdminMatrix(readFileSync(SECURITY_MD, 'utf8'));
