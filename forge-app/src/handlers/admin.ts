/**
 * The admin page's resolver calls: the policy (validated and authorized by the core), grants,
 * drift, alerts, the audit log with its chain verification, exports and the holdings timeline.
 * The admin page is a `jira:adminPage`, which Jira shows to Jira admins only; saving the policy
 * is further limited by the core to the policy's permanent admins.
 */
import { core, type AuditRecord, type Grant, type Policy } from '../decision/core';
import type { Ports } from '../ports';
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
import { verifyAuditChain } from './auditVerification';
import { appendAudit, backoff, iso } from './dispatch';
import { actorFor } from './identity';
import { coalesceKeys } from './panel';

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
];

/** At most this many records go into one export (KVS reads and the resolver's 25 s). */
const EXPORT_LIMIT = 10_000;

type Payload = Record<string, unknown>;

export async function adminCall(ports: Ports, context: { accountId?: string }, call: AdminCall, payload: unknown): Promise<Result<unknown>> {
  if (!context.accountId) return { ok: false, error: { code: 'NOT_SIGNED_IN', message: 'sign in to Jira to use JIT Admin' } };
  const p = (payload && typeof payload === 'object' ? payload : {}) as Payload;
  switch (call) {
    case 'getPolicy':
      return getPolicy(ports);
    case 'validatePolicy': {
      const answer = core.validatePolicy({ policy: p.policy });
      if (!answer.ok) return { ok: false, error: answer.error };
      return { ok: true, data: { valid: answer.valid, problems: answer.problems } };
    }
    case 'savePolicy':
      return savePolicy(ports, context.accountId, p.policy, typeof p.expectedVersion === 'number' ? p.expectedVersion : undefined);
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
    default:
      return { ok: false, error: { code: 'UNKNOWN_CALL', message: `\`${String(call)}\` is not an admin call` } };
  }
}

async function getPolicy(ports: Ports): Promise<Result<PolicyData>> {
  const doc = await ports.store.policy();
  if (!doc) return { ok: true, data: { policy: null, version: 0, problems: [] } };
  const answer = core.validatePolicy({ policy: doc.policy });
  return {
    ok: true,
    data: {
      policy: doc.policy,
      version: doc.version,
      problems: answer.ok ? answer.problems : [],
      updatedAt: doc.updatedAt,
      updatedBy: doc.updatedBy,
    },
  };
}

async function savePolicy(ports: Ports, accountId: string, policy: unknown, expectedVersion?: number): Promise<Result<PolicyData>> {
  const actor = await actorFor(ports, accountId);
  for (let attempt = 1; attempt <= 8; attempt++) {
    const [current, head] = await Promise.all([ports.store.policy(), ports.store.auditHead()]);
    const answer = core.validatePolicy({
      policy,
      change: { actor, current: current?.policy ?? null, bootstrapAdmins: ports.bootstrapAdmins, now: iso(ports.clock.now()), auditHead: head },
    });
    if (!answer.ok) return { ok: false, error: answer.error };
    const review = answer.change;
    if (!review?.authorized) {
      // The refusal is audited like any other decision: a moved audit head means decide again.
      if (review?.audit.length && (await appendAudit(ports, review.audit, head)) === 'conflict') {
        await backoff(attempt);
        continue;
      }
      return {
        ok: false,
        error: review?.reason ?? { code: 'INVALID_POLICY', message: 'the policy is invalid' },
        problems: answer.problems,
      };
    }
    const currentVersion = current?.version ?? 0;
    if (expectedVersion !== undefined && expectedVersion !== currentVersion) {
      return {
        ok: false,
        error: { code: 'STALE_POLICY', message: `the policy was saved by someone else since you loaded it (version ${currentVersion}); reload and reapply your change` },
      };
    }
    const doc = { policy: policy as Policy, version: currentVersion + 1, updatedAt: iso(ports.clock.now()), updatedBy: accountId };
    if ((await ports.store.savePolicy(doc, currentVersion, review.audit, head)) === 'ok') {
      ports.log.info('policy saved', { version: doc.version, by: accountId });
      return { ok: true, data: { policy: doc.policy, version: doc.version, problems: [], updatedAt: doc.updatedAt, updatedBy: accountId } };
    }
    await backoff(attempt);
  }
  return { ok: false, error: { code: 'CONFLICT', message: 'the policy or the audit log kept changing; try again' } };
}

async function listGrants(ports: Ports, scope: 'open' | 'all'): Promise<Result<GrantList>> {
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

async function getAudit(ports: Ports, query: AuditQuery): Promise<Result<AuditPage>> {
  // Bounded work per call: the records since the last verified one, and a chunk of the older ones.
  const [page, verification] = await Promise.all([ports.store.auditPage(query), verifyAuditChain(ports)]);
  const refusalCounts = await ports.store.refusalCounts(coalesceKeys(page.records));
  return { ok: true, data: { ...page, refusalCounts, verification } };
}

async function exportAudit(ports: Ports, query: AuditQuery, format: 'csv' | 'json'): Promise<Result<AuditExport>> {
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

const CSV_COLUMNS = ['seq', 'at', 'actor', 'event', 'outcome', 'grantId', 'issueKey', 'target', 'details', 'prevHash', 'hash'] as const;

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

/**
 * Standing access as the last sweep saw it: every holder of a target who is not there through a
 * grant still held — permanent admins, the policy's standing holders, and drift. Its start is
 * not known before the range (or before the sweeps first saw the drift), so it is drawn from
 * there and still held.
 */
async function standingHoldings(ports: Ports, since: number, grantHoldings: Holding[]): Promise<Holding[]> {
  const [state, policyDoc] = await Promise.all([ports.store.sweepState(), ports.store.policy()]);
  if (!state || !policyDoc) return [];
  const policy = policyDoc.policy;
  const stillHeld = new Set(grantHoldings.filter((h) => !h.to).map((h) => `${h.target}\u0000${h.accountId}`));
  const out: Holding[] = [];
  for (const t of state.holders) {
    const target = policy.targets?.find((x) => x.key === t.target);
    for (const accountId of t.holders) {
      if (stillHeld.has(`${t.target}\u0000${accountId}`)) continue;
      const finding = state.findings.find((f) => f.target === t.target && f.accountId === accountId);
      const kind: Holding['kind'] = policy.permanentAdmins?.includes(accountId)
        ? 'permanent'
        : target?.standingHolders?.includes(accountId)
          ? 'standing'
          : finding
            ? 'drift'
            : 'grant';
      if (kind === 'grant') continue; // covered by a grant the range did not include
      const from = finding && Date.parse(finding.since) > since ? finding.since : iso(since);
      out.push({ kind, grantId: '', issueKey: '', target: t.target, targetLabel: target?.label ?? t.target, accountId, from, breakGlass: false });
    }
  }
  return out;
}

function clamp(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(Math.max(Math.trunc(value), min), max) : fallback;
}
