/**
 * The admin page's resolver calls: the policy (validated, authorized and, for guard rails, held for
 * a second permanent admin by the core), grants, drift, alerts, the audit log with its chain
 * verification, exports, the holdings timeline and the Health checks (`./health`).
 *
 * Nothing documents that only Jira admins can invoke a `jira:adminPage`'s resolver, so every call
 * first asks Jira, AS THE CALLER, whether they hold the global permission ADMINISTER, and hands
 * that fact to the core (`authorizeAdmin`, `policyChange`), which decides. A failed lookup is
 * passed on as unknown and refused. The UI's buttons are only a convenience.
 */
import { core, ORG_ADMIN_ROLE, type AdminAccess, type Grant, type HolderReason, type Access, type OrgAdminsRead, type PendingPolicyChange, type PolicyChangeInput, type PolicyCommand } from '../decision/core';
import type { AuditLog, GrantStore, PolicyDoc, Ports } from '../ports';
import type {
  AdminCall,
  AlertRecord,
  AuditExport,
  AuditPage,
  AuditQuery,
  DriftReport,
  GrantList,
  Holding,
  HoldingsData,
  PolicyData,
  Result,
} from '../shared/types';
import type { AuditRecord } from '../decision/core';
import { again, conflictBackoff, done, retry, wallClock, type Attempt } from '../shared/retry';
import { verifyAuditChain } from './auditVerification';
import { iso } from './dispatch';
import { getHealth } from './health';
import { coalesceKeys } from './panel';
import { applyPolicyToOpenGrants } from './policyApply';

export const ADMIN_CALLS: AdminCall[] = [
  'getPolicy',
  'savePolicy',
  'validatePolicy',
  'listGrants',
  'getAudit',
  'exportAudit',
  'getDrift',
  'getAlerts',
  'getHoldings',
  'approvePolicyChange',
  'withdrawPolicyChange',
  'getHealth',
];

/** Calls that change the policy: decided (and their refusals audited) by `policyChange`. */
const POLICY_WRITES = new Set<AdminCall>(['savePolicy', 'approvePolicyChange', 'withdrawPolicyChange']);

const ORG_ADMIN: Access = { type: 'orgRole', role: ORG_ADMIN_ROLE };

/** At most this many records go into one export (KVS reads and the resolver's 25 s). */
const EXPORT_LIMIT = 10_000;

type Payload = Record<string, unknown>;

export async function adminCall(ports: Ports, context: { accountId?: string }, call: AdminCall, payload: unknown): Promise<Result<unknown>> {
  if (!context.accountId) return { ok: false, error: { code: 'NOT_SIGNED_IN', message: 'sign in to Jira to use JIT Admin' } };
  if (!ADMIN_CALLS.includes(call)) return { ok: false, error: { code: 'UNKNOWN_CALL', message: `\`${String(call)}\` is not an admin call` } };
  const actor = context.accountId;
  const p = (payload && typeof payload === 'object' ? payload : {}) as Payload;
  // The facts, looked up afresh on every call (never taken from the UI); the core decides.
  const jiraAdmin = await isJiraAdmin(ports, actor);
  if (POLICY_WRITES.has(call)) return changePolicy(ports, actor, jiraAdmin, command(call, p));
  const [current, slot] = await Promise.all([ports.store.policy(), ports.store.policyChangeSlot()]);
  const access = authorize(ports, call, actor, jiraAdmin, current, slot.change);
  if (!access.allowed) {
    ports.log.warn('admin call refused', { call, by: actor, code: access.reason?.code });
    return { ok: false, error: access.reason ?? { code: 'NOT_AUTHORIZED', message: 'not allowed' } };
  }
  switch (call) {
    case 'getPolicy':
      return { ok: true, data: policyData(current, slot.change, access) };
    case 'validatePolicy': {
      const answer = core.validatePolicy({ policy: p.policy });
      if (!answer.ok) return { ok: false, error: answer.error };
      return { ok: true, data: { valid: answer.valid, problems: answer.problems } };
    }
    case 'listGrants':
      return listGrants(ports, p.scope === 'all' ? 'all' : 'open');
    case 'getAudit':
      return getAudit(ports, auditQuery(p));
    case 'exportAudit':
      return exportAudit(ports, auditQuery(p), p.format === 'csv' ? 'csv' : 'json');
    case 'getDrift':
      return { ok: true, data: (await ports.store.sweepState()) ?? ({ findings: [], holders: [] } satisfies DriftReport) };
    case 'getAlerts':
      return { ok: true, data: await ports.store.alerts(clamp(p.limit, 1, 100, 50)) satisfies AlertRecord[] };
    case 'getHoldings':
      return getHoldings(
        ports,
        typeof p.from === 'string' ? p.from : undefined,
        typeof p.to === 'string' ? p.to : undefined,
        typeof p.rangeMinutes === 'number' && p.rangeMinutes > 0 ? p.rangeMinutes : undefined,
      );
    case 'getHealth':
      return getHealth(ports);
    default:
      return { ok: false, error: { code: 'UNKNOWN_CALL', message: `\`${String(call)}\` is not an admin call` } };
  }
}

/**
 * Jira's answer to "does the caller hold ADMINISTER?", asked as the caller; `null` when Jira could
 * not be asked, which the core refuses (`PERMISSION_UNKNOWN`) rather than guessing.
 */
async function isJiraAdmin(ports: Pick<Ports, 'jira' | 'log'>, accountId: string): Promise<boolean | null> {
  try {
    return await ports.jira.callerHasGlobalPermission('ADMINISTER');
  } catch (e) {
    ports.log.warn('could not ask Jira whether the caller is a Jira admin; refusing the admin call', { accountId, error: String(e) });
    return null;
  }
}

function authorize(ports: Ports, call: AdminCall, actor: string, jiraAdmin: boolean | null, current: PolicyDoc | null, pending: PendingPolicyChange | null): AdminAccess {
  const answer = core.authorizeAdmin({ call, actor, jiraAdmin, current, pending, bootstrapAdmins: ports.bootstrapAdmins, now: iso(ports.clock.now()) });
  if (!answer.ok) throw new Error(`the core could not read an admin authorization: ${answer.error.code} ${answer.error.message}`);
  return answer;
}

function command(call: AdminCall, p: Payload): PolicyCommand {
  const changeId = typeof p.changeId === 'string' ? p.changeId : '';
  switch (call) {
    case 'approvePolicyChange':
      return { type: 'approve', changeId };
    case 'withdrawPolicyChange':
      return { type: 'withdraw', changeId };
    default:
      return { type: 'save', policy: p.policy ?? null, ...(typeof p.expectedVersion === 'number' ? { expectedVersion: p.expectedVersion } : {}) };
  }
}

function policyData(doc: PolicyDoc | null, pending: PendingPolicyChange | null, access: AdminAccess): PolicyData {
  const checked = doc ? core.validatePolicy({ policy: doc.policy }) : null;
  return {
    policy: doc?.policy ?? null,
    version: doc?.version ?? 0,
    problems: checked?.ok ? checked.problems : [],
    ...(doc ? { updatedAt: doc.updatedAt, updatedBy: doc.updatedBy } : {}),
    ...(doc?.approvedBy ? { approvedBy: doc.approvedBy } : {}),
    ...(pending ? { pendingChange: pending } : {}),
    ...(access.pending ? { pendingStatus: access.pending } : {}),
    viewer: access.viewer,
  };
}

/**
 * A save, approval or withdrawal: load, ask the core (reading the org admins only if it asks, and
 * only until it is satisfied), then write what it decided in one conditional transaction with its
 * audit records. A refusal is audited like any other decision; a lost race decides again.
 */
async function changePolicy(ports: Ports, actor: string, jiraAdmin: boolean | null, cmd: PolicyCommand): Promise<Result<PolicyData>> {
  const changed = await retry(wallClock, { attempts: 8, delayMs: conflictBackoff }, async (): Promise<Attempt<Result<PolicyData>>> => {
    const [current, slot, head] = await Promise.all([ports.store.policy(), ports.store.policyChangeSlot(), ports.store.auditHead()]);
    const input: PolicyChangeInput = {
      command: cmd,
      actor,
      jiraAdmin,
      current,
      pending: slot.change,
      bootstrapAdmins: ports.bootstrapAdmins,
      now: iso(ports.clock.now()),
      auditHead: head,
    };
    let answer = core.policyChange(input);
    if (answer.ok && answer.outcome === 'needsOrgAdmins') {
      answer = core.policyChange({ ...input, orgAdmins: await readOrgAdmins(ports, input, answer.confirmFirst ?? []) });
    }
    if (!answer.ok) {
      const clear = answer.pending === 'clear';
      if (answer.audit?.length || clear) {
        const committed = await ports.store.commitPolicyChange({
          ...(clear ? { slot: { expectedSeq: slot.seq, change: null } } : {}),
          audit: answer.audit ?? [],
          expectedHead: head,
        });
        // A moved audit head or pending change: decide again, so the refusal's record is not lost.
        if (committed === 'conflict') return again();
      }
      ports.log.warn('policy change refused', { by: actor, code: answer.error.code });
      return done({ ok: false, error: answer.error, ...(answer.problems?.length ? { problems: answer.problems } : {}) });
    }
    if (answer.outcome === 'needsOrgAdmins') throw new Error('the core asked for the org admins again after they were read');
    const pending = answer.pending === 'keep' ? slot.change : answer.pending === 'set' ? (answer.change ?? null) : null;
    const committed = await ports.store.commitPolicyChange({
      ...(answer.policy ? { policy: { doc: answer.policy, expectedVersion: current?.version ?? 0 } } : {}),
      ...(answer.pending === 'keep' ? {} : { slot: { expectedSeq: slot.seq, change: pending } }),
      audit: answer.audit,
      expectedHead: head,
    });
    if (committed === 'ok') {
      const doc = answer.policy ?? current;
      ports.log.info(`policy change ${answer.outcome}`, { by: actor, version: doc?.version ?? 0, change: answer.change?.id });
      // The kill switch: grants of people or targets the new policy no longer allows end now,
      // not at the next sweep. It never throws; what it cannot finish, the sweep does.
      if (answer.policy) await applyPolicyToOpenGrants(ports);
      const access = authorize(ports, 'getPolicy', actor, jiraAdmin, doc, pending);
      return done({ ok: true, data: { ...policyData(doc, pending, access), outcome: answer.outcome } });
    }
    return again();
  });
  return changed.ok ? changed.value : { ok: false, error: { code: 'CONFLICT', message: 'the policy or the audit log kept changing; try again' } };
}

/**
 * The org admins, for the rules that need today's (the first policy's saver, a listed permanent
 * admin, a lone admin's approver): the accounts the core names are confirmed first, and the read
 * stops as soon as the core's answer no longer depends on the rest (each candidate costs a read).
 */
async function readOrgAdmins(ports: Ports, input: PolicyChangeInput, confirmFirst: string[]): Promise<OrgAdminsRead> {
  const snapshot = await ports.org.holders(ORG_ADMIN, {
    confirmFirst,
    enough: (confirmed) => {
      const early = core.policyChange({ ...input, orgAdmins: { complete: false, holders: [...confirmed] } });
      return early.ok || early.error.code !== 'ORG_ADMINS_UNKNOWN';
    },
  });
  if (snapshot.error) ports.log.warn('org admins read incomplete for a policy change', { code: snapshot.error.code });
  return { complete: snapshot.complete, holders: snapshot.holders };
}

async function listGrants(ports: Pick<Ports, 'clock'> & { store: GrantStore }, scope: 'open' | 'all'): Promise<Result<GrantList>> {
  const grants = scope === 'open' ? (await ports.store.openGrants()).map((s) => s.grant) : await ports.store.allGrants(100);
  return { ok: true, data: { grants, now: iso(ports.clock.now()) } };
}

function auditQuery(p: Payload): AuditQuery {
  const text = (k: string) => (typeof p[k] === 'string' && p[k] ? (p[k] as string) : undefined);
  const outcome = text('outcome');
  return {
    grantId: text('grantId'),
    actor: text('actor'),
    event: text('event'),
    outcome: outcome === 'accepted' || outcome === 'refused' || outcome === 'noted' ? outcome : undefined,
    from: text('from'),
    to: text('to'),
    beforeSeq: typeof p.beforeSeq === 'number' ? p.beforeSeq : undefined,
    limit: clamp(p.limit, 1, 100, 50),
  };
}

async function getAudit(ports: Pick<Ports, 'clock'> & { store: AuditLog }, query: AuditQuery): Promise<Result<AuditPage>> {
  // Bounded work per call: the records since the last verified one, and a chunk of the older ones.
  const [page, verification] = await Promise.all([ports.store.auditPage(query), verifyAuditChain(ports)]);
  const refusalCounts = await ports.store.refusalCounts(coalesceKeys(page.records));
  return { ok: true, data: { ...page, refusalCounts, verification } };
}

async function exportAudit(ports: Pick<Ports, 'clock'> & { store: AuditLog }, query: AuditQuery, format: 'csv' | 'json'): Promise<Result<AuditExport>> {
  const records: AuditRecord[] = [];
  let beforeSeq = query.beforeSeq;
  while (records.length < EXPORT_LIMIT) {
    const page = await ports.store.auditPage({ ...query, beforeSeq, limit: 100 });
    records.push(...page.records);
    if (page.nextBeforeSeq === undefined) break;
    beforeSeq = page.nextBeforeSeq;
  }
  records.sort((a, b) => a.seq - b.seq);
  const stamp = iso(ports.clock.now()).replace(/[:.]/g, '-');
  if (format === 'json') {
    return { ok: true, data: { filename: `jit-admin-audit-${stamp}.json`, contentType: 'application/json', content: JSON.stringify(records, null, 2) } };
  }
  return { ok: true, data: { filename: `jit-admin-audit-${stamp}.csv`, contentType: 'text/csv', content: toCsv(records) } };
}

const CSV_COLUMNS = ['seq', 'at', 'actor', 'event', 'outcome', 'grantId', 'issueKey', 'target', 'details', 'prevHash', 'hash', 'hashVersion'] as const;

/** RFC 4180 CSV. Cells that a spreadsheet would run as a formula are prefixed with `'`. */
export function toCsv(records: AuditRecord[]): string {
  const cell = (value: unknown) => {
    let text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of records) lines.push(CSV_COLUMNS.map((c) => cell(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Who held which target through the app, when: from each grant's confirmed grant to its confirmed revoke. */
async function getHoldings(ports: Ports, from?: string, to?: string, rangeMinutes?: number): Promise<Result<HoldingsData>> {
  const now = ports.clock.now();
  const since = from ? Date.parse(from) : now - (rangeMinutes ?? 30 * 24 * 60) * 60_000;
  const until = to ? Date.parse(to) : now;
  const grants: Grant[] = (await ports.store.grantsUpdatedSince(since - 30 * 24 * 3600_000)).map((s) => s.grant);
  const holdings: Holding[] = [];
  for (const g of grants) {
    const start = g.provisioning.grantedAt;
    if (!start) continue;
    const end = g.provisioning.revokedAt;
    if (Date.parse(start) > until || (end && Date.parse(end) < since)) continue;
    holdings.push({
      kind: 'grant',
      grantId: g.id,
      issueKey: g.issueKey,
      target: g.target,
      targetLabel: g.targetLabel,
      accountId: g.subject,
      from: start,
      to: end,
      breakGlass: g.activation?.breakGlass ?? false,
    });
  }
  holdings.push(...(await standingHoldings(ports, since, holdings)));
  holdings.sort((a, b) => a.from.localeCompare(b.from));
  return { ok: true, data: { holdings, now: iso(now), from: iso(since), to: iso(until) } };
}

/** How the timeline draws each of the core's reasons a holder holds a target; `null`: not standing access. */
const STANDING: Record<HolderReason['type'], Holding['kind'] | null> = {
  permanent: 'permanent',
  standing: 'standing',
  grace: 'drift',
  endedStillHeld: 'drift',
  drift: 'drift',
  // Drawn from the grant itself (above), when its confirmed grant falls in the range.
  grant: null,
  // Held through a group's role: the direct holders are drawn, as the sweep reads them.
  viaGroup: null,
};

/**
 * Standing access as the last sweep saw it, each holder with the core's reason (`explained`, from
 * `core.sweep`): permanent admins, the policy's standing holders, and drift. Its start is not known
 * before the range (or before the sweeps first saw the drift), so it is drawn from there and still
 * held.
 */
async function standingHoldings(ports: Ports, since: number, grantHoldings: Holding[]): Promise<Holding[]> {
  const [state, policyDoc] = await Promise.all([ports.store.sweepState(), ports.store.policy()]);
  if (!state?.explained) return [];
  const labels = new Map((policyDoc?.policy.targets ?? []).map((t) => [t.key, t.label]));
  const stillHeld = new Set(grantHoldings.filter((h) => !h.to).map((h) => `${h.target}\u0000${h.accountId}`));
  const out: Holding[] = [];
  for (const { target, accountId, reason } of state.explained) {
    const kind = STANDING[reason.type];
    if (!kind || stillHeld.has(`${target}\u0000${accountId}`)) continue;
    const finding = state.findings.find((f) => f.target === target && f.accountId === accountId);
    const from = finding && Date.parse(finding.since) > since ? finding.since : iso(since);
    out.push({ kind, grantId: '', issueKey: '', target, targetLabel: labels.get(target) ?? target, accountId, from, breakGlass: false });
  }
  return out;
}

function clamp(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(Math.max(Math.trunc(value), min), max) : fallback;
}
