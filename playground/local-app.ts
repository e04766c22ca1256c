/**
 * The whole app on one machine: the org-admin and Jira emulators, the local Forge runtime (KVS,
 * queue, egress) and the app's real handlers, wired exactly as Forge would call them. Used by the
 * playground server and by the integration, reliability and browser tests.
 */
import * as handlers from '../forge-app/src/index';
import { forgePorts, redactingLog } from '../forge-app/src/adapters/forge';
import { installPlatform, platform } from '../forge-app/src/platform';
import type { Log } from '../forge-app/src/ports';
import { core, type HolderSnapshot, type Holder, type Policy } from '../forge-app/src/decision/core';
import { grantsToWatch } from '../forge-app/src/handlers/sweep';
import { startOrgAdminEmulator, type OrgAdminEmulator, type EmulatorSnapshot, type FaultOptions } from './emulators/org-admin/index';
import { startJiraEmulator, type JiraEmulator, type JiraSnapshot, type PostFunctionEvent } from './emulators/jira/index';
import type { JiraWorkflow } from './emulators/jira/workflow';
import { startForgeRuntime, type ForgeRuntime, type TimerClock } from './forge-runtime/index';
import type { QueueFaults } from './forge-runtime/queue';

import { DEMO_ORG_ID, DEMO_CLOUD_ID, DEMO_API_KEY, DEMO_PEOPLE, DEMO_JIRA_ADMIN_GROUP, DEMO_JIRA_ADMINS, DEMO_JIRA_ADMINS_GROUP, DEMO_SCIM_GROUP, demoPolicy, TRANSITIONS, type TransitionName, RECORD_VALIDATOR, JIT_WORKFLOW, manifestEntities, manifestModules, demoOrgSeed } from './demo';

export {
  DEMO_ORG_ID,
  DEMO_CLOUD_ID,
  DEMO_SITE_ARI,
  DEMO_JIRA_ADMINS_GROUP,
  DEMO_SCIM_GROUP,
  DEMO_API_KEY,
  DEMO_PEOPLE,
  DEMO_JIRA_ADMIN_GROUP,
  DEMO_JIRA_ADMINS,
  demoPolicy,
  manifestValidators,
  TRANSITIONS,
  type TransitionName,
  RECORD_VALIDATOR,
  jitWorkflow,
  JIT_WORKFLOW,
  manifestEntities,
  manifestModules,
  demoOrgSeed,
} from './demo';

/** A key the emulated org knows as an API key WITH scopes (the read scopes admin.atlassian.com offers). */
export const DEMO_SCOPED_API_KEY = 'demo-scoped-org-api-key-0123456789abcdef';
/** A group id no organization has. */
export const MISSING_GROUP_ID = 'c1f3a5b7-2d4e-4f6a-8b1c-3d5e7f9a1bff';
/** The permanent admin a `permanentAdmin: 'revoked'` health fault takes org admin from. */
export const HEALTH_FAULT_ADMIN = 'perm-3';

/**
 * What the playground can break for the Health view, each the way it breaks in a real
 * installation: the deployer's variables (`forge variables set`), the policy (a change approved
 * under the two-person rule), the org (a role removed behind the app's back), the scheduler.
 */
export interface HealthFaults {
  /** `wrong`: ORG_API_KEY is a key the org does not know (401); `scoped`: a key with scopes (403). */
  key: 'ok' | 'wrong' | 'scoped';
  /** `wrong`: ORG_ID names another organization. */
  orgId: 'ok' | 'wrong';
  /** The policy's group target (`jira-admins`) names a group that does not exist, or a SCIM-synced one. */
  group: 'ok' | 'missing' | 'scim';
  /** `revoked`: `perm-3` loses org admin behind the app's back. */
  permanentAdmin: 'ok' | 'revoked';
  /** `stopped`: the five-minute sweep no longer runs. */
  sweep: 'running' | 'stopped';
}

export const HEALTHY: HealthFaults = { key: 'ok', orgId: 'ok', group: 'ok', permanentAdmin: 'ok', sweep: 'running' };

export interface LocalAppOptions {
  clock: TimerClock;
  /** SQLite file for the KVS emulator (`:memory:` by default). */
  kvsPath?: string;
  /** Emulator states to resume from (the playground's persistence). */
  orgSnapshot?: EmulatorSnapshot;
  jiraSnapshot?: JiraSnapshot;
  /** Port of the org-admin emulator (0: any). */
  orgPort?: number;
  jiraPort?: number;
  orgFaults?: FaultOptions;
  /** Requests the org emulator remembers (default 20 000: the reliability tests read them all). */
  orgRequestLogLimit?: number;
  /** The org emulator's largest page (default 3, so clients must paginate; the spec allows up to 100). */
  orgPageSize?: number;
  queueFaults?: QueueFaults;
  /** Org API eventual consistency (ms of clock time). */
  consistencyDelayMs?: number;
  /** Run the five-minute sweep on the clock. */
  scheduleSweep?: boolean;
  /** Register the queue consumer (default true; tests turn it off to lose every timer). */
  queueConsumer?: boolean;
  /** Where log lines go (default: dropped). */
  log?: (line: string) => void;
  /** The Jira workflow (default: the demo workflow with its validators). */
  workflow?: JiraWorkflow;
  seed?: number;
  /** Read-back polling of the org adapter (tests shorten it). */
  orgOptions?: { verifyAttempts?: number; verifyIntervalMs?: number; requestTimeoutMs?: number; random?: () => number };
}

export interface LocalApp {
  clock: TimerClock;
  org: OrgAdminEmulator;
  jira: JiraEmulator;
  runtime: ForgeRuntime;
  /** Every log line the handlers wrote (for the secret-leak check). */
  logLines: string[];
  /** Calls a panel resolver function as `accountId` on `issueKey`, exactly as the panel would. */
  panel(accountId: string, issueKey: string, fn: string, payload?: unknown): Promise<unknown>;
  /** Calls an admin-page resolver function as `accountId`. */
  admin(accountId: string, fn: string, payload?: unknown): Promise<unknown>;
  /** Runs a workflow transition as `accountId` (Jira transition + post-function delivery). */
  transition(accountId: string, issueKey: string, event: TransitionName): Promise<void>;
  /** Delivers a post-function event for `event` without a Jira transition (duplicates, retries). */
  deliverPostFunction(accountId: string, issueKey: string, event: TransitionName): Promise<unknown>;
  /** Runs the scheduled sweep once, as its scheduled trigger; rejects if the platform would record a failure. */
  sweep(): Promise<void>;
  createIssue(summary: string, reporter: string, description?: string): { key: string; id: string };
  /** Saves the demo policy as a permanent admin (bootstrapping an empty installation). */
  seedPolicy(policy?: Policy): Promise<void>;
  close(): Promise<void>;
  /**
   * Changes the policy as the two-person rule asks: `proposer` saves it and, when that only
   * proposed a guard-rail change, `approver` (another permanent admin) approves it. Throws on a
   * refusal. Returns the policy version in force afterwards.
   */
  changePolicy(policy: Policy, people?: { proposer?: string; approver?: string }): Promise<number>;
  /**
   * Who holds what in `snapshot`, and why, as the core explains it (`explainHolders`) from the same
   * inputs as the sweep: the stored policy, its former permanent admins and the grants the sweep
   * watches. Empty before a policy is saved.
   */
  explainHolders(snapshot: HolderSnapshot): Promise<Holder[]>;
  /** Breaks (or mends) what the Health view checks; answers the faults now in force. */
  setHealthFaults(faults: Partial<HealthFaults>): Promise<HealthFaults>;
  healthFaults(): Promise<HealthFaults>;
  /** The health faults kept outside the emulators' snapshots (the variables, the scheduler), for saving. */
  variableFaults(): Pick<HealthFaults, 'key' | 'orgId' | 'sweep'>;
  /**
   * Calls the service-management portal's resolver as `accountId` on the request `issueKey`, as
   * the portal's request page would: the context names the request by key only.
   */
  portal(accountId: string, issueKey: string, fn: string, payload?: unknown): Promise<unknown>;
}

export async function startLocalApp(options: LocalAppOptions): Promise<LocalApp> {
  const { clock } = options;
  const logLines: string[] = [];
  const write = (line: string) => {
    logLines.push(line);
    options.log?.(line);
  };

  const org = await startOrgAdminEmulator({
    port: options.orgPort ?? 0,
    orgId: DEMO_ORG_ID,
    apiKey: DEMO_API_KEY,
    now: () => clock.now(),
    consistencyDelayMs: options.consistencyDelayMs ?? 0,
    faults: options.orgFaults,
    requestLogLimit: options.orgRequestLogLimit,
    pageSize: options.orgPageSize,
    snapshot: options.orgSnapshot,
    seed: options.orgSnapshot ? undefined : demoOrgSeed(),
  });
  const jira = await startJiraEmulator({
    port: options.jiraPort ?? 0,
    now: () => clock.now(),
    cloudId: DEMO_CLOUD_ID,
    workflow: options.workflow ?? JIT_WORKFLOW,
    snapshot: options.jiraSnapshot,
    onValidatorError: (e, key) => write(`validator ${key} failed to evaluate: ${String(e)}`),
    users: options.jiraSnapshot
      ? undefined
      : Object.entries(DEMO_PEOPLE).map(([accountId, displayName]) => ({
          accountId,
          displayName,
          ...(DEMO_JIRA_ADMINS.includes(accountId) ? { groups: [DEMO_JIRA_ADMIN_GROUP] } : {}),
        })),
  });
  const runtime = await startForgeRuntime({
    jiraUrl: jira.url,
    jiraAppToken: jira.appToken,
    orgAdminUrl: org.url,
    kvsPath: options.kvsPath,
    entities: manifestEntities(),
    clock,
    cloudId: DEMO_CLOUD_ID,
    env: { ORG_API_KEY: DEMO_API_KEY, ORG_ID: DEMO_ORG_ID },
    queueFaults: options.queueFaults,
    seed: options.seed,
    modules: manifestModules(),
    // Every line an invocation writes (to the console, as in Forge) is counted against its limit.
    onLog: ({ line }) => write(line),
  });
  const log: Log = redactingLog((line) => runtime.log(line));

  // The same handlers as in Forge, with the shared clock.
  const previous = installPlatform((kind) => forgePorts(kind, { clock, log, orgOptions: options.orgOptions }));
  if (options.queueConsumer !== false) runtime.registerConsumer('jit-admin-queue', handlers.consumer as never, { moduleKey: 'jit-consumer' });

  const deliver = (event: PostFunctionEvent, name: TransitionName) =>
    runtime.deliverEvent(TRANSITIONS[name].handler as never, event as never, { moduleKey: TRANSITIONS[name].moduleKey });
  const unsubscribers = (Object.keys(TRANSITIONS) as TransitionName[]).map((name) =>
    jira.onTransition((event) => deliver(event, name), { transitionIds: [TRANSITIONS[name].transitionId], moduleKey: TRANSITIONS[name].moduleKey }),
  );

  // The function validator runs in the local Forge runtime, like every other function module.
  unsubscribers.push(
    jira.registerValidatorFunction(RECORD_VALIDATOR.moduleKey, (event) =>
      runtime.invokeFunction(RECORD_VALIDATOR.handler as never, event, { moduleKey: RECORD_VALIDATOR.moduleKey }),
    ),
  );

  let sweepTimer: (() => void) | null = null;
  const scheduleSweep = () => {
    const period = 5 * 60_000;
    const next = Math.floor(clock.now() / period) * period + period;
    sweepTimer = clock.setTimer(next, async () => {
      scheduleSweep();
      const run = await runtime.invokeScheduledTrigger(handlers.sweep as never, { moduleKey: 'jit-sweep' });
      if (!run.ok) write(`sweep failed: ${run.status} ${run.error ?? ''}`);
    });
  };
  if (options.scheduleSweep) scheduleSweep();
  let sweepStopped = false;

  const issueIds = new Map<string, string>();
  /** The stored policy, read inside the local Forge runtime (where the store adapter reaches the KVS). */
  const policyDoc = () =>
    runtime.invokeFunction((async () => platform('resolver').store.policy()) as never, {}, { moduleKey: 'jit-admin-admin' }) as Promise<{ policy: Policy } | null>;
  /** The group id of the policy's `jira-admins` target. */
  const currentGroupTarget = async () => {
    const access = (await policyDoc())?.policy.targets?.find((t) => t.key === 'jira-admins')?.access;
    return access?.type === 'groupMembership' ? access.groupId : undefined;
  };
  const app: LocalApp = {
    clock,
    org,
    jira,
    runtime,
    logLines,
    panel(accountId, issueKey, fn, payload) {
      const id = issueIds.get(issueKey) ?? jira.issue(issueKey)?.id ?? '0';
      return runtime.invokeResolver(handlers.panelResolver as never, {
        functionKey: fn,
        payload: payload ?? {},
        context: { accountId, moduleKey: 'jit-admin-panel', extension: { type: 'jira:issuePanel', issue: { key: issueKey, id } } },
      });
    },
    admin(accountId, fn, payload) {
      return runtime.invokeResolver(handlers.adminResolver as never, {
        functionKey: fn,
        payload: payload ?? {},
        context: { accountId, moduleKey: 'jit-admin-admin', extension: { type: 'jira:adminPage' } },
      });
    },
    async transition(accountId, issueKey, event) {
      await jira.transition(issueKey, TRANSITIONS[event].transitionId, { actor: accountId });
      await jira.idle();
    },
    async deliverPostFunction(accountId, issueKey, event) {
      const issue = jira.issue(issueKey);
      const postEvent: PostFunctionEvent = {
        issue: { id: issue?.id ?? '0', key: issueKey },
        transition: { transitionId: Number(TRANSITIONS[event].transitionId), transitionName: event, from_status: issue?.status ?? '', to_status: issue?.status ?? '', executionId: `exec-${clock.now()}` },
        workflow: { workflowId: JIT_WORKFLOW.id, workflowName: JIT_WORKFLOW.name },
        atlassianId: accountId,
        changelog: { id: '0' },
        configuration: {},
        context: { cloudId: DEMO_CLOUD_ID, moduleKey: TRANSITIONS[event].moduleKey },
      };
      return (await deliver(postEvent, event)).result;
    },
    async sweep() {
      const run = await runtime.invokeScheduledTrigger(handlers.sweep as never, { moduleKey: 'jit-sweep' });
      if (!run.ok) throw new Error(`the sweep failed (${run.status}): ${run.error ?? JSON.stringify(run.result)}`);
    },
    createIssue(summary, reporter, description) {
      const issue = jira.createIssue({ summary, reporter, ...(description ? { description } : {}) });
      issueIds.set(issue.key, issue.id);
      return issue;
    },
    async seedPolicy(policy = demoPolicy()) {
      const result = (await app.admin('perm-1', 'savePolicy', { policy })) as { ok: boolean; error?: { message: string } };
      if (!result.ok) throw new Error(`could not save the demo policy: ${result.error?.message}`);
    },
    variableFaults() {
      const key = process.env.ORG_API_KEY === DEMO_API_KEY ? 'ok' : process.env.ORG_API_KEY === DEMO_SCOPED_API_KEY ? 'scoped' : 'wrong';
      return { key, orgId: process.env.ORG_ID === DEMO_ORG_ID ? 'ok' : 'wrong', sweep: sweepStopped ? 'stopped' : 'running' };
    },
    async healthFaults() {
      const key = process.env.ORG_API_KEY === DEMO_API_KEY ? 'ok' : process.env.ORG_API_KEY === DEMO_SCOPED_API_KEY ? 'scoped' : 'wrong';
      const groupTarget = await currentGroupTarget();
      return {
        key,
        orgId: process.env.ORG_ID === DEMO_ORG_ID ? 'ok' : 'wrong',
        group: groupTarget === MISSING_GROUP_ID ? 'missing' : groupTarget === DEMO_SCIM_GROUP ? 'scim' : 'ok',
        permanentAdmin: org.holders('truth').orgAdmins.includes(HEALTH_FAULT_ADMIN) ? 'ok' : 'revoked',
        sweep: sweepStopped ? 'stopped' : 'running',
      };
    },
    async setHealthFaults(f) {
      // As `forge variables set` does: the next invocation reads the new value.
      if (f.key) {
        if (f.key === 'scoped') org.addApiKey(DEMO_SCOPED_API_KEY, { scopes: ['read:orgs:admin', 'read:directories:admin', 'read:workspaces:admin'] });
        process.env.ORG_API_KEY = f.key === 'ok' ? DEMO_API_KEY : f.key === 'scoped' ? DEMO_SCOPED_API_KEY : 'wrong-org-api-key-not-known-to-the-org';
      }
      if (f.orgId) process.env.ORG_ID = f.orgId === 'ok' ? DEMO_ORG_ID : '00000000-0000-4000-8000-00000000dead';
      if (f.permanentAdmin === 'revoked') org.revoke(HEALTH_FAULT_ADMIN, { type: 'orgRole', role: 'atlassian/org-admin' });
      if (f.permanentAdmin === 'ok') org.grant(HEALTH_FAULT_ADMIN, { type: 'orgRole', role: 'atlassian/org-admin' });
      if (f.sweep) {
        sweepStopped = f.sweep === 'stopped';
        if (sweepStopped) {
          sweepTimer?.();
          sweepTimer = null;
        } else if (!sweepTimer && options.scheduleSweep) scheduleSweep();
      }
      if (f.group) {
        const groupId = f.group === 'missing' ? MISSING_GROUP_ID : f.group === 'scim' ? DEMO_SCIM_GROUP : DEMO_JIRA_ADMINS_GROUP;
        const groupName = f.group === 'missing' ? 'no-such-group' : f.group === 'scim' ? 'idp-platform-admins' : 'jira-admins-demo';
        if ((await currentGroupTarget()) !== groupId) {
          const doc = await policyDoc();
          const target = doc?.policy.targets?.find((t) => t.key === 'jira-admins' && t.access.type === 'groupMembership');
          if (!doc || !target) throw new Error('the policy has no `jira-admins` group target to break');
          // A target's access is a guard rail: proposed by one permanent admin, approved by another.
          await app.changePolicy({
            ...doc.policy,
            targets: doc.policy.targets!.map((t) => (t === target ? { ...t, access: { type: 'groupMembership', groupId, groupName } } : t)),
          });
        }
      }
      return app.healthFaults();
    },
    async close() {
      sweepTimer?.();
      for (const u of unsubscribers) u();
      installPlatform(previous);
      await runtime.close();
      await jira.close();
      await org.close();
    },
    async explainHolders(snapshot) {
      const explain = async () => {
        const ports = platform('resolver');
        const doc = await ports.store.policy();
        if (!doc) return [];
        const { grants } = await grantsToWatch(ports);
        const answer = core.explainHolders({
          policy: doc.policy,
          grants,
          snapshot,
          now: new Date(clock.now()).toISOString(),
          formerPermanentAdmins: doc.formerPermanentAdmins ?? [],
        });
        if (!answer.ok) throw new Error(`the core refused to explain the holders: ${answer.error.code} ${answer.error.message}`);
        return answer.holders;
      };
      // Inside the local Forge runtime, where the store adapter reaches the KVS emulator.
      return (await runtime.invokeFunction(explain as never, {}, { moduleKey: 'jit-admin-admin' })) as Holder[];
    },
    async changePolicy(policy, { proposer = 'perm-1', approver = 'perm-2' } = {}) {
      type Saved = { ok: boolean; data?: { version: number; outcome?: string; pendingChange?: { id: string } }; error?: { code: string; message: string } };
      const saved = (await app.admin(proposer, 'savePolicy', { policy })) as Saved;
      if (!saved.ok || !saved.data) throw new Error(`savePolicy by ${proposer} refused: ${saved.error?.code} ${saved.error?.message}`);
      if (saved.data.outcome !== 'proposed') return saved.data.version;
      const approved = (await app.admin(approver, 'approvePolicyChange', { changeId: saved.data.pendingChange?.id })) as Saved;
      if (!approved.ok || !approved.data) throw new Error(`approvePolicyChange by ${approver} refused: ${approved.error?.code} ${approved.error?.message}`);
      return approved.data.version;
    },
    portal(accountId, issueKey, fn, payload) {
      return runtime.invokeResolver(handlers.portalResolver as never, {
        functionKey: fn,
        payload: payload ?? {},
        context: {
          accountId,
          moduleKey: 'jit-admin-portal',
          extension: { type: 'jiraServiceManagement:portalRequestDetail', page: 'view_request', portal: { id: 1 }, request: { key: issueKey, typeId: '1' } },
        },
      });
    },
  };
  return app;
}
