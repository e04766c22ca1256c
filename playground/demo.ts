/**
 * The playground's demo: the org, its people and groups, the JIT policy, and the Jira workflow with the app's
 * post functions and validators, read from the manifest as Forge would.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import * as handlers from '../forge-app/src/index';
import type { Policy } from '../forge-app/src/decision/core';
import { siteAri } from './emulators/org-admin/index';
import type { JiraValidatorDef, JiraWorkflow } from './emulators/jira/workflow';
import { modulesFromManifest, type EntityDefinition, type ModuleConfig } from './forge-runtime/index';

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
