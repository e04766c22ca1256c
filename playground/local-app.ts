/**
 * The whole app on one machine: the org-admin and Jira emulators, the local Forge runtime (KVS,
 * queue, egress) and the app's real handlers, wired exactly as Forge would call them. Used by the
 * playground server and by the integration, reliability and browser tests.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import * as handlers from '../forge-app/src/index';
import { forgePorts, redactingLog } from '../forge-app/src/adapters/forge';
import { installPlatform, platform } from '../forge-app/src/platform';
import type { Log } from '../forge-app/src/ports';
import { core, type HolderSnapshot, type Holder, type Policy } from '../forge-app/src/decision/core';
import { grantsToWatch } from '../forge-app/src/handlers/sweep';
import { startOrgAdminEmulator, siteAri, type OrgAdminEmulator, type EmulatorSnapshot, type FaultOptions } from './emulators/org-admin/index';
import { startJiraEmulator, type JiraEmulator, type JiraSnapshot, type PostFunctionEvent } from './emulators/jira/index';
import type { JiraValidatorDef, JiraWorkflow } from './emulators/jira/workflow';
import { modulesFromManifest, startForgeRuntime, type EntityDefinition, type ForgeRuntime, type ModuleConfig, type TimerClock } from './forge-runtime/index';
import type { QueueFaults } from './forge-runtime/queue';

export const DEMO_ORG_ID = '5a3c1e2d-7b4f-4c8a-9e1d-2f6b8a0c4d13';
export const DEMO_CLOUD_ID = '8e4c2a1f-3b5d-4f7a-9c1e-2d4f6a8b0c35';
export const DEMO_SITE_ARI = siteAri(DEMO_CLOUD_ID);
export const DEMO_JIRA_ADMINS_GROUP = 'c1f3a5b7-2d4e-4f6a-8b1c-3d5e7f9a1b01';
export const DEMO_SCIM_GROUP = 'c1f3a5b7-2d4e-4f6a-8b1c-3d5e7f9a1b03';
/** The emulated org's API key, printed by the playground (it is not a secret of anything real). */
export const DEMO_API_KEY = 'demo-org-api-key-0123456789abcdef';

/** Demo people: account id → display name. */
export const DEMO_PEOPLE: Record<string, string> = {
  'perm-1': 'Pat Permanent',
  'perm-2': 'Priya Permanent',
  'perm-3': 'Paulo Permanent',
  alice: 'Alice Requester',
  erin: 'Erin Requester',
  bob: 'Bob Approver',
  carol: 'Carol Approver',
  dan: 'Dan Approver',
  jade: 'Jade Jira-Admin',
  mallory: 'Mallory Outsider',
};

/** The Jira group that holds Jira's global permission ADMINISTER in the demo site (the emulator's default). */
export const DEMO_JIRA_ADMIN_GROUP = 'jira-admins';
/**
 * The demo's Jira admins: the permanent admins, and `jade`, a Jira admin who is neither a
 * permanent admin nor an org admin (the admin page's authorization matrix needs every role).
 */
export const DEMO_JIRA_ADMINS = ['perm-1', 'perm-2', 'perm-3', 'jade'];

/** The demo policy the playground starts with. */
export function demoPolicy(alertIssueKey?: string): Policy {
  return {
    permanentAdmins: ['perm-1', 'perm-2', 'perm-3'],
    maxPermanentAdmins: 3,
    minOrgAdmins: 1,
    driftMode: 'report',
    ...(alertIssueKey ? { alertIssueKey } : {}),
    serviceAccounts: [],
    targets: [
      {
        key: 'org-admin',
        label: 'Organization admin',
        access: { type: 'orgRole', role: 'atlassian/org-admin' },
        requesters: { accountIds: ['alice', 'erin'] },
        approvers: { accountIds: ['bob', 'carol', 'dan'] },
        defaultDurationMinutes: 60,
        maxDurationMinutes: 240,
        maxExtensions: 2,
        justification: { required: true, minLength: 10 },
      },
      {
        key: 'site-admin',
        label: 'Site admin (demo site)',
        access: { type: 'resourceRole', role: 'atlassian/site-admin', resource: DEMO_SITE_ARI },
        requesters: { accountIds: ['alice', 'erin'] },
        approvers: { accountIds: ['bob', 'carol', 'dan'] },
        defaultDurationMinutes: 60,
        maxDurationMinutes: 480,
      },
      {
        key: 'jira-admins',
        label: 'Jira admins (jira-admins-demo)',
        access: { type: 'groupMembership', groupId: DEMO_JIRA_ADMINS_GROUP, groupName: 'jira-admins-demo' },
        requesters: { accountIds: ['alice', 'erin'] },
        approvers: { accountIds: ['bob', 'carol', 'dan'] },
        defaultDurationMinutes: 60,
        maxDurationMinutes: 480,
      },
    ],
  };
}

const root = fileURLToPath(new URL('..', import.meta.url));

type ManifestValidator = { key: string; function?: string; expression?: string; errorMessage?: string };

/** The `jira:workflowValidator` modules of manifest.yml, as the emulator's validator definitions. */
export function manifestValidators(): Record<string, JiraValidatorDef> {
  const manifest = parseYaml(readFileSync(`${root}/manifest.yml`, 'utf8')) as { modules?: { 'jira:workflowValidator'?: ManifestValidator[] } };
  const out: Record<string, JiraValidatorDef> = {};
  for (const v of manifest.modules?.['jira:workflowValidator'] ?? []) {
    out[v.key] = v.function
      ? { type: 'function', moduleKey: v.key }
      : { type: 'expression', moduleKey: v.key, expression: v.expression ?? '', ...(v.errorMessage ? { errorMessage: v.errorMessage } : {}) };
  }
  return out;
}

/** Workflow events the playground can run: the transition, its validators and its post-function. */
export const TRANSITIONS = {
  approve: { transitionId: '21', moduleKey: 'jit-approve', handler: handlers.postApprove, validators: ['jit-record-current', 'jit-may-approve'] },
  reject: { transitionId: '31', moduleKey: 'jit-reject', handler: handlers.postReject, validators: ['jit-record-current', 'jit-may-reject'] },
  complete: { transitionId: '51', moduleKey: 'jit-complete', handler: handlers.postComplete, validators: ['jit-record-current', 'jit-may-complete'] },
  revoke: { transitionId: '61', moduleKey: 'jit-revoke', handler: handlers.postRevoke, validators: ['jit-record-current', 'jit-may-revoke'] },
  approveExtension: {
    transitionId: '71',
    moduleKey: 'jit-approve-extension',
    handler: handlers.postApproveExtension,
    validators: ['jit-record-current', 'jit-may-approve-extension'],
  },
} as const;
export type TransitionName = keyof typeof TRANSITIONS;

/** The function validator's module key, and the handler the local Forge runtime invokes for it. */
export const RECORD_VALIDATOR = { moduleKey: 'jit-record-current', handler: handlers.validateRecord } as const;

/**
 * The demo request workflow, configured as docs/deploy.md (step 6) tells a Jira admin:
 * every JIT transition carries the "record is current" function validator and its event's
 * expression validator, in front of its post-function. Its JIT transitions are global, so any of
 * them can be tried from any status. `withValidators: false` is the same workflow with none (a
 * team-managed workflow nobody configured).
 */
export function jitWorkflow({ withValidators = true } = {}): JiraWorkflow {
  const defs = withValidators ? manifestValidators() : {};
  const gated = (id: string) => {
    const t = Object.values(TRANSITIONS).find((x) => x.transitionId === id);
    if (!t || !withValidators) return {};
    return { validators: t.validators.map((key) => defs[key] ?? failMissing(key)) };
  };
  return {
    id: 'jit-admin-request-workflow',
    name: 'JIT admin request workflow',
    initialStatus: '10001',
    statuses: [
      { id: '10001', name: 'Waiting for approval', category: 'new' },
      { id: '10002', name: 'Approved', category: 'indeterminate' },
      { id: '3', name: 'In progress', category: 'indeterminate' },
      { id: '10003', name: 'Done', category: 'done' },
      { id: '10004', name: 'Rejected', category: 'done' },
      { id: '10006', name: 'Revoked', category: 'done' },
    ],
    transitions: [
      { id: '21', name: 'Approve', from: ['10001', '10002', '3'], to: '10002', ...gated('21') },
      { id: '31', name: 'Reject', from: ['10001', '10002'], to: '10004', ...gated('31') },
      { id: '41', name: 'Start progress', from: ['10002'], to: '3' },
      { id: '51', name: 'Done', from: ['10002', '3'], to: '10003', ...gated('51') },
      { id: '61', name: 'Revoke', from: ['10001', '10002', '3'], to: '10006', ...gated('61') },
      { id: '71', name: 'Approve extension', from: ['3', '10002'], to: '3', ...gated('71') },
    ],
  };
}

function failMissing(key: string): never {
  throw new Error(`manifest.yml declares no jira:workflowValidator \`${key}\``);
}

/** The demo workflow, validators included. */
export const JIT_WORKFLOW: JiraWorkflow = jitWorkflow();


const readManifest = () => parseYaml(readFileSync(`${root}/manifest.yml`, 'utf8')) as unknown;

/** The custom entities declared in manifest.yml, so the KVS emulator enforces the same schema. */
export function manifestEntities(): Record<string, EntityDefinition> {
  const manifest = readManifest() as {
    app?: { storage?: { entities?: Array<{ name: string } & EntityDefinition> } };
  };
  const out: Record<string, EntityDefinition> = {};
  for (const e of manifest.app?.storage?.entities ?? []) out[e.name] = { attributes: e.attributes, indexes: e.indexes };
  return out;
}

/** The modules declared in manifest.yml: what kind of invocation each is, and its time limit. */
export function manifestModules(): Record<string, ModuleConfig> {
  return modulesFromManifest(readManifest());
}

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

  const issueIds = new Map<string, string>();
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

/** The demo org: the three permanent org admins, the demo people, a site and the demo groups. */
export function demoOrgSeed() {
  return {
    orgName: 'Acme (demo)',
    users: Object.entries(DEMO_PEOPLE).map(([accountId, name]) => ({ accountId, name, email: `${accountId}@acme.example` })),
    sites: [{ cloudId: DEMO_CLOUD_ID, name: 'acme-demo', hostUrl: 'acme-demo.atlassian.net', products: ['jira-software', 'confluence'] }],
    groups: [
      { id: DEMO_JIRA_ADMINS_GROUP, name: 'jira-admins-demo', description: 'Jira administrators on the demo site' },
      { id: DEMO_SCIM_GROUP, name: 'idp-platform-admins', description: 'Synced from the identity provider', externalSynced: true },
    ],
    assignments: [
      { accountId: 'perm-1', role: 'atlassian/org-admin' },
      { accountId: 'perm-2', role: 'atlassian/org-admin' },
      { accountId: 'perm-3', role: 'atlassian/org-admin' },
    ],
  };
}
