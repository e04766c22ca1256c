/**
 * The Health view (`getHealth`): probes the live installation — the organizations API key and
 * organization, its directories, a role endpoint, every policy target and permanent admin, each
 * storage entity, the queue and the sweep — and hands what came back to the core
 * (`core.judgeHealth`), which judges each check and writes its code and fix. Nothing here decides
 * whether something is healthy.
 *
 * Budgets (a resolver has 25 s and 100 egress requests, docs/platform-rules.md): the probes run in
 * parallel, each bounded to `PROBE_MS` of the invocation's clock; the org adapter counts its
 * requests against its own budget (80). A probe that did not finish in time, or ran out of
 * requests, is reported `unfinished` (the core's `unknown`), never as a pass or a failure.
 */
import { core, type HealthInput, type HealthReport, type ProbeError, type ProbeOutcome, type TargetKind } from '../decision/core';
import type { OrgProbe, OrgProbeResult, Ports, StorageProbeResult } from '../ports';
import type { Result } from '../shared/types';
import { iso } from './dispatch';

/** How long one probe may take (one org-API operation is bounded to 5 s in a resolver). */
export const PROBE_MS = 8_000;
/**
 * Most targets and permanent admins probed in one run: each costs at least one org-API request, and
 * the adapter sends at most 80. Those past it are reported unfinished (`unknown`), not left out.
 */
const MAX_SUBJECTS = 25;

const UNFINISHED = Symbol('unfinished');

/** `work`, or `UNFINISHED` when it has not settled within `ms` of the invocation's clock. */
async function bounded<T>(ports: Ports, ms: number, work: () => Promise<T>): Promise<T | typeof UNFINISHED> {
  let settled = false;
  const timeout = ports.clock.sleep(ms).then((): typeof UNFINISHED => UNFINISHED);
  const result = work().finally(() => {
    settled = true;
  });
  const first = await Promise.race([result, timeout]);
  return settled ? await result : first;
}

/** Errors that mean "ran out of time or requests", not "the API said no". */
const OUT_OF_BUDGET = new Set(['BUDGET_EXHAUSTED', 'TIMEOUT']);

interface Probed {
  outcome: ProbeOutcome;
  error?: ProbeError;
  found?: Extract<OrgProbeResult, { ok: true }>;
}

async function org(ports: Ports, probe: OrgProbe): Promise<Probed> {
  const run = ports.org.probe;
  if (!run) return { outcome: 'unfinished' };
  const r = await bounded(ports, PROBE_MS, () => run(probe));
  if (r === UNFINISHED) return { outcome: 'unfinished' };
  if (r.ok) return { outcome: 'ok', found: r };
  const error = { code: r.error.code, message: r.error.message };
  return { outcome: OUT_OF_BUDGET.has(r.error.code) ? 'unfinished' : 'failed', error };
}

const described = (e: unknown): ProbeError => ({ code: 'ERROR', message: String(e instanceof Error ? e.message : e).slice(0, 300) });

/** Runs every probe, asks the core to judge them, and answers its report. */
export async function getHealth(ports: Ports): Promise<Result<HealthReport>> {
  const now = iso(ports.clock.now());
  const policyDoc = await ports.store.policy();
  const policy = policyDoc?.policy;
  const targets = policy?.targets ?? [];
  const admins = policy?.permanentAdmins ?? [];

  const [key, directory, roleEndpoints, targetProbes, adminProbes, storage, queue, sweep] = await Promise.all([
    org(ports, { kind: 'key' }),
    org(ports, { kind: 'directories' }),
    org(ports, { kind: 'roleEndpoint' }),
    Promise.all(
      targets.map(async (t, i) => {
        const kind: TargetKind = t.access.type;
        const subject = t.access.type === 'groupMembership' ? t.access.groupId : t.access.type === 'resourceRole' ? t.access.resource : '';
        if (t.access.type === 'orgRole') return { target: t.key, kind, subject, outcome: 'ok' as const, externallySynced: false };
        if (i >= MAX_SUBJECTS) return { target: t.key, kind, subject, outcome: 'unfinished' as const, externallySynced: false };
        const p = await org(
          ports,
          t.access.type === 'groupMembership' ? { kind: 'group', groupId: t.access.groupId } : { kind: 'resource', role: t.access.role, resource: t.access.resource },
        );
        return {
          target: t.key,
          kind,
          subject,
          outcome: p.outcome,
          ...(p.error ? { error: p.error } : {}),
          ...(p.found?.exists !== undefined ? { exists: p.found.exists } : {}),
          externallySynced: p.found?.externallySynced === true,
        };
      }),
    ),
    Promise.all(
      admins.map(async (accountId, i) => {
        if (i >= MAX_SUBJECTS) return { accountId, outcome: 'unfinished' as const };
        const p = await org(ports, { kind: 'orgAdmin', accountId });
        return { accountId, outcome: p.outcome, ...(p.error ? { error: p.error } : {}), ...(p.found?.holding ? { holding: p.found.holding } : {}) };
      }),
    ),
    probeStorage(ports),
    probeQueue(ports, now),
    probeSweep(ports),
  ]);

  const input: HealthInput = {
    now,
    key: {
      outcome: key.outcome,
      ...(key.error ? { error: key.error } : {}),
      orgIds: key.found?.orgIds ?? [],
      configuredOrgId: ports.orgId ?? '',
    },
    directory: { outcome: directory.outcome, ...(directory.error ? { error: directory.error } : {}), ...(directory.found?.count !== undefined ? { count: directory.found.count } : {}) },
    roleEndpoints: { outcome: roleEndpoints.outcome, ...(roleEndpoints.error ? { error: roleEndpoints.error } : {}) },
    targets: targetProbes,
    permanentAdmins: adminProbes,
    storage,
    queue,
    sweep: { ...sweep, ...(policyDoc ? { policySavedAt: policyDoc.updatedAt } : {}) },
  };
  const answer = core.judgeHealth(input);
  if (!answer.ok) throw new Error(`the core could not judge the health probes: ${answer.error.code} ${answer.error.message}`);
  const { ok: _ok, ...report } = answer;
  const failing = report.checks.filter((c) => c.status !== 'ok').map((c) => c.code);
  ports.log.info('health checks run', { status: report.status, failing, orgRequests: ports.org.requestUsage?.().used });
  return { ok: true, data: report };
}

async function probeStorage(ports: Ports): Promise<HealthInput['storage']> {
  const r = await bounded(ports, PROBE_MS, () => ports.store.probeStorage()).catch((e: unknown) => e);
  if (r === UNFINISHED) return [{ entity: 'storage', outcome: 'unfinished' }];
  if (!Array.isArray(r)) return [{ entity: 'storage', outcome: 'failed', error: described(r) }];
  return (r as StorageProbeResult[]).map((p) => ({ entity: p.entity, outcome: p.ok ? 'ok' : 'failed', ...(p.error ? { error: p.error } : {}) }));
}

/**
 * Reads the last probe's push and delivery, then pushes a new health event for the consumer to
 * record. The push time kept is the oldest one not yet delivered, so a queue that stopped shows as
 * late however often the checks run.
 */
async function probeQueue(ports: Ports, now: string): Promise<HealthInput['queue']> {
  const work = async (): Promise<HealthInput['queue']> => {
    const last = await ports.store.healthQueue();
    const delivered = last.deliveredAt && last.pushedAt && Date.parse(last.deliveredAt) >= Date.parse(last.pushedAt);
    const found = { ...(last.pushedAt ? { pushedAt: last.pushedAt } : {}), ...(last.deliveredAt ? { deliveredAt: last.deliveredAt } : {}) };
    const pushedAt = !last.pushedAt || delivered ? now : last.pushedAt;
    try {
      // Saved before the push: the consumer may deliver it before this call returns.
      await ports.store.saveHealthQueuePush(pushedAt);
      await ports.queue.push({ kind: 'health', pushedAt }, 0);
      return { push: 'ok', ...found };
    } catch (e) {
      return { push: 'failed', error: described(e), ...found };
    }
  };
  const r = await bounded(ports, PROBE_MS, work).catch((e: unknown) => ({ push: 'failed' as const, error: described(e) }));
  return r === UNFINISHED ? { push: 'unfinished' } : r;
}

async function probeSweep(ports: Ports): Promise<Omit<HealthInput['sweep'], 'policySavedAt'>> {
  const r = await bounded(ports, PROBE_MS, () => ports.store.sweepState()).catch((): typeof UNFINISHED => UNFINISHED);
  if (r === UNFINISHED) return { outcome: 'unfinished' };
  return { outcome: 'ok', ...(r?.at ? { lastRunAt: r.at } : {}) };
}
