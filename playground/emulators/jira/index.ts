/**
 * Jira Cloud emulator: the part of the Jira Cloud platform REST v3 API the app uses, served over
 * HTTP on 127.0.0.1, following the shapes of the published OpenAPI document
 * (`jira-platform.v3.json`): issues, comments (ADF bodies), transitions, issue properties, users,
 * groups, `myself` and `mypermissions` (for the calling user), with Jira's error shape `{"errorMessages": [...], "errors": {...}}` and its
 * documented limits.
 *
 * Besides HTTP it offers in-process helpers for the playground and tests: seed users, create and
 * transition issues as a user, read comments and properties, subscribe to "transition done" events
 * (shaped like Forge's workflow post-function event), inject faults, and export/import a JSON
 * snapshot.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { adfTextLength, adfToHtml, adfToPlainText, checkAdf, isAdfDoc } from './adf';
import { DEFAULT_REQUEST_WORKFLOW, STATUS_CATEGORIES, type JiraStatus, type JiraTransitionDef, type JiraWorkflow, type ValidatorFunctionEvent } from './workflow';
import { evaluateExpression, ExpressionError } from './expression';
import { jiraGate } from '../openapi/index';
import { AttachmentError, acceptUpload, attachmentBean, type AttachmentRec } from './attachments';

export { DEFAULT_REQUEST_WORKFLOW, type JiraWorkflow, type JiraStatus, type JiraTransitionDef, type JiraValidatorDef, type ValidatorFunctionEvent, type ValidatorFunctionResult } from './workflow';
export { adfToHtml, adfToPlainText, checkAdf } from './adf';

/** Header carrying the app identity. The local Forge runtime sends `Authorization: Bearer <appToken>`. */
export const APP_AUTH_HEADER = 'authorization';
/** Header the local Forge runtime adds for `api.asUser(accountId)` calls. */
export const ACT_AS_USER_HEADER = 'x-jit-emulator-act-as-user';

/** Documented limits (see the Jira REST v3 reference for each operation). */
export const JIRA_LIMITS = {
  /** PUT issue property: "The maximum length is 32768 characters." */
  propertyValueChars: 32_768,
  /** Entity property keys: at most 255 characters. */
  propertyKeyChars: 255,
  /** Text fields (comment bodies): Jira's default limit of 32,767 characters. */
  commentChars: 32_767,
  /** Per-issue comment limit (413 "per-issue limit has been breached"). */
  commentsPerIssue: 5_000,
} as const;

export type JiraLimits = { [K in keyof typeof JIRA_LIMITS]: number };

// ---------------------------------------------------------------------------------------------
// Route table (the single source of truth for dispatch and for the conformance test)

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface JiraRoute {
  method: HttpMethod;
  /** OpenAPI path template, exactly as in jira-platform.v3.json. */
  path: string;
  operation: string;
}

export const jiraRoutes: readonly JiraRoute[] = [
  { method: 'POST', path: '/rest/api/3/issue', operation: 'createIssue' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}', operation: 'getIssue' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/comment', operation: 'getComments' },
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/comment', operation: 'addComment' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/transitions', operation: 'getTransitions' },
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/transitions', operation: 'doTransition' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/properties', operation: 'getIssuePropertyKeys' },
  { method: 'GET', path: '/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}', operation: 'getIssueProperty' },
  { method: 'PUT', path: '/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}', operation: 'setIssueProperty' },
  { method: 'DELETE', path: '/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}', operation: 'deleteIssueProperty' },
  { method: 'GET', path: '/rest/api/3/user', operation: 'getUser' },
  { method: 'GET', path: '/rest/api/3/user/groups', operation: 'getUserGroups' },
  { method: 'GET', path: '/rest/api/3/myself', operation: 'getCurrentUser' },
  { method: 'GET', path: '/rest/api/3/mypermissions', operation: 'getMyPermissions' },
  { method: 'POST', path: '/rest/api/3/issue/{issueIdOrKey}/attachments', operation: 'addAttachment' },
  { method: 'GET', path: '/rest/api/3/attachment/{id}', operation: 'getAttachment' },
  { method: 'GET', path: '/rest/api/3/attachment/content/{id}', operation: 'getAttachmentContent' },
];

/**
 * Jira's built-in permissions (the keys "Get all permissions" lists), global and project. Any
 * other key in `mypermissions?permissions=` is a 400, as Jira documents.
 */
export const GLOBAL_PERMISSIONS: Record<string, string> = {
  ADMINISTER: 'Administer Jira',
  SYSTEM_ADMIN: 'Administer Jira (system)',
  USER_PICKER: 'Browse users and groups',
  CREATE_SHARED_OBJECTS: 'Share dashboards and filters',
  MANAGE_GROUP_FILTER_SUBSCRIPTIONS: 'Manage group filter subscriptions',
  BULK_CHANGE: 'Make bulk changes',
};
export const PROJECT_PERMISSIONS = [
  'ADMINISTER_PROJECTS', 'BROWSE_PROJECTS', 'VIEW_DEV_TOOLS', 'VIEW_READONLY_WORKFLOW', 'CREATE_ISSUES', 'EDIT_ISSUES',
  'TRANSITION_ISSUES', 'SCHEDULE_ISSUES', 'MOVE_ISSUES', 'ASSIGN_ISSUES', 'ASSIGNABLE_USER', 'RESOLVE_ISSUES', 'CLOSE_ISSUES',
  'MODIFY_REPORTER', 'DELETE_ISSUES', 'LINK_ISSUES', 'SET_ISSUE_SECURITY', 'VIEW_VOTERS_AND_WATCHERS', 'MANAGE_WATCHERS',
  'ADD_COMMENTS', 'EDIT_ALL_COMMENTS', 'EDIT_OWN_COMMENTS', 'DELETE_ALL_COMMENTS', 'DELETE_OWN_COMMENTS', 'CREATE_ATTACHMENTS',
  'DELETE_ALL_ATTACHMENTS', 'DELETE_OWN_ATTACHMENTS', 'WORK_ON_ISSUES', 'EDIT_OWN_WORKLOGS', 'EDIT_ALL_WORKLOGS',
  'DELETE_OWN_WORKLOGS', 'DELETE_ALL_WORKLOGS',
] as const;

/**
 * Which groups hold each global permission (Jira → Settings → System → Global permissions). Jira
 * Cloud grants Administer Jira to `site-admins` and the site's `jira-admins` group by default.
 */
export const DEFAULT_GLOBAL_PERMISSION_GROUPS: Record<string, string[]> = {
  ADMINISTER: ['site-admins', 'jira-admins', 'administrators'],
  SYSTEM_ADMIN: ['site-admins'],
  USER_PICKER: ['jira-users', 'site-admins', 'jira-admins'],
  CREATE_SHARED_OBJECTS: ['jira-users', 'site-admins', 'jira-admins'],
  MANAGE_GROUP_FILTER_SUBSCRIPTIONS: ['site-admins', 'jira-admins'],
  BULK_CHANGE: ['jira-users', 'site-admins', 'jira-admins'],
};

interface CompiledRoute extends JiraRoute {
  regex: RegExp;
  params: string[];
}

const compiledRoutes: CompiledRoute[] = jiraRoutes.map((r) => {
  const params: string[] = [];
  const pattern = r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { ...r, regex: new RegExp(`^${pattern}$`), params };
});

/** Finds the route for a method and a concrete path (used by the server and by tests). */
export function matchJiraRoute(method: string, pathname: string): { route: JiraRoute; params: Record<string, string> } | undefined {
  for (const r of compiledRoutes) {
    if (r.method !== method.toUpperCase()) continue;
    const m = r.regex.exec(pathname);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.params.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1]!)));
    return { route: r, params };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// State

export interface JiraGroupRef {
  name: string;
  groupId: string;
}

export interface JiraUserSeed {
  accountId: string;
  displayName: string;
  emailAddress?: string;
  active?: boolean;
  accountType?: 'atlassian' | 'app' | 'customer';
  timeZone?: string;
  /** Group names, or `{name, groupId}`; a bare name gets a stable generated group id. */
  groups?: Array<string | JiraGroupRef>;
}

interface UserRec {
  accountId: string;
  displayName: string;
  emailAddress?: string;
  active: boolean;
  accountType: 'atlassian' | 'app' | 'customer';
  timeZone: string;
  groups: JiraGroupRef[];
}

export interface JiraProject {
  id: string;
  key: string;
  name: string;
}

export interface JiraIssueType {
  id: string;
  name: string;
}

interface CommentRec {
  id: string;
  author: string;
  body: unknown;
  created: number;
  updated: number;
  visibility?: unknown;
}

interface IssueRec {
  id: string;
  key: string;
  projectId: string;
  issueTypeId: string;
  summary: string;
  description: unknown;
  statusId: string;
  reporter: string | null;
  created: number;
  updated: number;
  comments: CommentRec[];
  properties: Record<string, unknown>;
  /** Files attached (`attachments.ts`); absent on issues saved before attachments existed. */
  attachments?: AttachmentRec[];
  /** Keys the issue had before it moved to another project (Jira keeps them as aliases). */
  historicalKeys?: string[];
}

export interface JiraSnapshot {
  version: 1;
  counters: { issueId: number; commentId: number; changelogId: number; projectSeq: Record<string, number>; attachmentId?: number };
  projects: JiraProject[];
  users: UserRec[];
  issues: IssueRec[];
}

/** The event delivered to transition listeners: the shape of Forge's workflow post-function event. */
export interface PostFunctionEvent {
  issue: { id: string; key: string };
  transition: {
    transitionId: number;
    transitionName: string;
    from_status: string;
    to_status: string;
    /** Same value for every post function run by one issue transition. */
    executionId: string;
  };
  workflow: { workflowId: string; workflowName: string };
  /** The user who made the transition. */
  atlassianId: string;
  changelog: { id: string };
  /** Present when a comment was added on the transition. */
  comment?: { id: string };
  configuration: unknown;
  context: { cloudId: string; moduleKey: string };
}

export interface TransitionListenerOptions {
  /** The post function's configuration (delivered as `event.configuration`). */
  configuration?: unknown;
  /** Module key of the post function (delivered in `event.context.moduleKey`). */
  moduleKey?: string;
  /** Only these transition ids (default: every transition). */
  transitionIds?: string[];
}

export type TransitionListener = (event: PostFunctionEvent) => unknown;

export interface ValidatorRun {
  issueKey: string;
  transitionId: string;
  moduleKey: string;
  actor: string;
  passed: boolean;
  message?: string;
}

export interface JiraFault {
  status: number;
  /** How many matching requests fail (default 1). */
  times?: number;
  method?: string;
  /** Path prefix or pattern the fault applies to (default: every path). */
  path?: string | RegExp;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface JiraRequestLogEntry {
  method: string;
  path: string;
  query: string;
  /** The matched route template, when one matched. */
  route?: string;
  status: number;
  /** Parsed JSON request body, when there was one. */
  body?: unknown;
  principal?: string;
}

export interface JiraEmulatorOptions {
  port?: number;
  host?: string;
  /** Clock for timestamps (ms since epoch). Default `Date.now`. */
  now?: () => number;
  /** Bearer token that identifies the app (the local Forge runtime sends it). */
  appToken?: string;
  /** Account id of the app's own user (what `asApp()` calls act as; also `/myself`). */
  appAccountId?: string;
  appDisplayName?: string;
  cloudId?: string;
  projects?: JiraProject[];
  issueTypes?: JiraIssueType[];
  workflow?: JiraWorkflow;
  users?: JiraUserSeed[];
  snapshot?: JiraSnapshot;
  limits?: Partial<JiraLimits>;
  /** Global permission key → the group names that hold it (default DEFAULT_GLOBAL_PERMISSION_GROUPS). */
  globalPermissionGroups?: Record<string, string[]>;
  /** Called when a validator fails to evaluate (bad expression, throwing function). Default: console.error. */
  onValidatorError?: (error: unknown, moduleKey: string) => void;
  /** Called when a transition listener throws or rejects. Default: console.error. */
  onListenerError?: (error: unknown, event: PostFunctionEvent) => void;
}

export interface JiraEmulator {
  url: string;
  appToken: string;
  appAccountId: string;
  cloudId: string;
  workflow: JiraWorkflow;
  /** Every HTTP request served, in order. */
  requests: JiraRequestLogEntry[];
  close(): Promise<void>;
  seedUser(user: JiraUserSeed): void;
  createIssue(input: { summary: string; reporter?: string; projectKey?: string; issueType?: string; description?: string }): { id: string; key: string };
  issue(issueIdOrKey: string): { id: string; key: string; summary: string; status: string; reporter: string | null } | undefined;
  /** Comments of an issue, oldest first, with their ADF body, its plain text and its HTML (mentions by display name). */
  comments(issueIdOrKey: string): Array<{ id: string; author: string; body: unknown; text: string; html: string; created: number }>;
  property(issueIdOrKey: string, propertyKey: string): unknown;
  properties(issueIdOrKey: string): Record<string, unknown>;
  /** Files attached to an issue, oldest first, with their content. */
  attachments(issueIdOrKey: string): Array<{ id: string; filename: string; mimeType: string; author: string; created: number; size: number; content: string }>;
  /** Transitions an issue as a user (as the Jira UI would); fires transition listeners. */
  transition(issueIdOrKey: string, transitionIdOrName: string, options: { actor: string; comment?: string }): Promise<void>;
  /** Subscribes to "transition done" events. Returns the unsubscribe function. */
  onTransition(listener: TransitionListener, options?: TransitionListenerOptions): () => void;
  /** Resolves when every started transition listener has settled. */
  idle(): Promise<void>;
  /**
   * Registers the function behind a function validator's module key (the local Forge runtime's
   * invocation of the app's handler). Returns the unregister function.
   */
  registerValidatorFunction(moduleKey: string, fn: (event: ValidatorFunctionEvent) => unknown): () => void;
  /** Every validator run, in order (module key, transition, actor, passed, message). */
  validatorRuns: ValidatorRun[];
  injectFault(fault: JiraFault): void;
  clearFaults(): void;
  exportSnapshot(): JiraSnapshot;
  importSnapshot(snapshot: JiraSnapshot): void;
  /**
   * Moves an issue to another project (created when unknown): it keeps its id and gets the next
   * key there. Its old keys still find it, as Jira keeps them as historical keys (Atlassian KB,
   * "Migration of Jira's historical keys": old links redirect; Guess: the REST API resolves them
   * the same way) until an issue that currently has that key exists.
   */
  moveIssue(issueIdOrKey: string, projectKey: string): { id: string; key: string };
}

// ---------------------------------------------------------------------------------------------

class JiraHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorMessages: string[] = [],
    readonly errors: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(errorMessages[0] ?? Object.values(errors)[0] ?? `HTTP ${status}`);
  }
}

const notFoundIssue = () => new JiraHttpError(404, ['Issue does not exist or you do not have permission to see it.']);

/** Jira's timestamp format, e.g. 2026-01-01T09:00:00.000+0000 (UTC). */
export function jiraDate(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** A stable, UUID-shaped group id for a group seeded by name only. */
function groupIdFor(name: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x12345678;
  for (const ch of name) {
    h1 = Math.imul(h1 ^ ch.charCodeAt(0), 16777619) >>> 0;
    h2 = Math.imul(h2 ^ ch.charCodeAt(0), 2246822519) >>> 0;
  }
  const hex = (h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).repeat(2);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const DEFAULT_ISSUE_TYPES: JiraIssueType[] = [
  { id: '10001', name: 'Admin access request' },
  { id: '10002', name: 'Task' },
];

const DEFAULT_PROJECTS: JiraProject[] = [{ id: '10000', key: 'JIT', name: 'JIT Admin Requests' }];

/**
 * Starts the emulator on 127.0.0.1 (a free port unless `port` is given).
 */
export async function startJiraEmulator(options: JiraEmulatorOptions = {}): Promise<JiraEmulator> {
  const now = options.now ?? Date.now;
  const appToken = options.appToken ?? 'jira-emulator-app-token';
  const appAccountId = options.appAccountId ?? '557058:jit-admin-app';
  const cloudId = options.cloudId ?? '00000000-0000-4000-8000-00000000c10d';
  const workflow = options.workflow ?? DEFAULT_REQUEST_WORKFLOW;
  const issueTypes = options.issueTypes ?? DEFAULT_ISSUE_TYPES;
  const limits: JiraLimits = { ...JIRA_LIMITS, ...options.limits };
  const globalPermissionGroups = options.globalPermissionGroups ?? DEFAULT_GLOBAL_PERMISSION_GROUPS;
  const onListenerError =
    options.onListenerError ?? ((e: unknown) => console.error('[jira-emulator] transition listener failed:', e));

  let projects: JiraProject[] = [...(options.projects ?? DEFAULT_PROJECTS)];
  let users = new Map<string, UserRec>();
  let issues = new Map<string, IssueRec>(); // by id
  let counters: JiraSnapshot['counters'] = { issueId: 10000, commentId: 10000, changelogId: 10000, projectSeq: {} };
  const listeners = new Set<{ fn: TransitionListener; opts: TransitionListenerOptions }>();
  const validatorFunctions = new Map<string, (event: ValidatorFunctionEvent) => unknown>();
  const validatorRuns: ValidatorRun[] = [];
  const onValidatorError =
    options.onValidatorError ?? ((e: unknown, key: string) => console.error(`[jira-emulator] validator ${key} failed to evaluate:`, e));
  const pending = new Set<Promise<unknown>>();
  let faults: Array<JiraFault & { remaining: number }> = [];
  const requests: JiraRequestLogEntry[] = [];
  let baseUrl = '';

  const statusById = new Map(workflow.statuses.map((s) => [s.id, s]));

  // ---- users
  const toUserRec = (u: JiraUserSeed): UserRec => ({
    accountId: u.accountId,
    displayName: u.displayName,
    emailAddress: u.emailAddress,
    active: u.active ?? true,
    accountType: u.accountType ?? 'atlassian',
    timeZone: u.timeZone ?? 'UTC',
    groups: (u.groups ?? []).map((g) => (typeof g === 'string' ? { name: g, groupId: groupIdFor(g) } : { ...g })),
  });
  const seedUser = (u: JiraUserSeed) => users.set(u.accountId, toUserRec(u));
  seedUser({ accountId: appAccountId, displayName: options.appDisplayName ?? 'JIT Admin (app)', accountType: 'app' });
  for (const u of options.users ?? []) seedUser(u);

  const userDetails = (accountId: string | null) => {
    if (!accountId) return null;
    const u = users.get(accountId);
    return {
      self: `${baseUrl}/rest/api/3/user?accountId=${encodeURIComponent(accountId)}`,
      accountId,
      ...(u?.emailAddress ? { emailAddress: u.emailAddress } : {}),
      avatarUrls: avatarUrls(accountId),
      displayName: u?.displayName ?? accountId,
      active: u?.active ?? false,
      timeZone: u?.timeZone ?? 'UTC',
      accountType: u?.accountType ?? 'atlassian',
    };
  };
  const avatarUrls = (accountId: string) => {
    const base = `${baseUrl}/avatar/${encodeURIComponent(accountId)}`;
    return { '16x16': `${base}?s=16`, '24x24': `${base}?s=24`, '32x32': `${base}?s=32`, '48x48': `${base}?s=48` };
  };
  const userBean = (u: UserRec) => ({
    self: `${baseUrl}/rest/api/3/user?accountId=${encodeURIComponent(u.accountId)}`,
    accountId: u.accountId,
    accountType: u.accountType,
    ...(u.emailAddress ? { emailAddress: u.emailAddress } : {}),
    avatarUrls: avatarUrls(u.accountId),
    displayName: u.displayName,
    active: u.active,
    timeZone: u.timeZone,
    locale: 'en_US',
    groups: { size: u.groups.length, items: [] },
    applicationRoles: { size: 1, items: [] },
    expand: 'groups,applicationRoles',
  });

  // ---- issues
  const findIssue = (idOrKey: string): IssueRec | undefined => {
    const byId = issues.get(idOrKey);
    if (byId) return byId;
    const upper = idOrKey.toUpperCase();
    for (const i of issues.values()) if (i.key === upper) return i;
    // A current key wins over a historical one.
    for (const i of issues.values()) if (i.historicalKeys?.includes(upper)) return i;
    return undefined;
  };
  const requireIssue = (idOrKey: string): IssueRec => {
    const i = findIssue(idOrKey);
    if (!i) throw notFoundIssue();
    return i;
  };
  const statusBean = (s: JiraStatus) => ({
    self: `${baseUrl}/rest/api/3/status/${s.id}`,
    description: '',
    iconUrl: `${baseUrl}/images/icons/statuses/generic.png`,
    name: s.name,
    id: s.id,
    statusCategory: {
      self: `${baseUrl}/rest/api/3/statuscategory/${STATUS_CATEGORIES[s.category].id}`,
      ...STATUS_CATEGORIES[s.category],
    },
  });
  const projectBean = (p: JiraProject) => ({
    self: `${baseUrl}/rest/api/3/project/${p.id}`,
    id: p.id,
    key: p.key,
    name: p.name,
    projectTypeKey: 'software',
    simplified: false,
    avatarUrls: avatarUrls(`project-${p.id}`),
  });
  const issueTypeBean = (t: JiraIssueType) => ({
    self: `${baseUrl}/rest/api/3/issuetype/${t.id}`,
    id: t.id,
    description: '',
    iconUrl: `${baseUrl}/images/icons/issuetypes/task.svg`,
    name: t.name,
    subtask: false,
    hierarchyLevel: 0,
  });

  const createIssueRec = (input: {
    summary: string;
    projectId: string;
    issueTypeId: string;
    reporter: string | null;
    description?: unknown;
  }): IssueRec => {
    const project = projects.find((p) => p.id === input.projectId)!;
    const seq = (counters.projectSeq[project.key] ?? 0) + 1;
    counters.projectSeq[project.key] = seq;
    const id = String(++counters.issueId);
    const t = now();
    const rec: IssueRec = {
      id,
      key: `${project.key}-${seq}`,
      projectId: project.id,
      issueTypeId: input.issueTypeId,
      summary: input.summary,
      description: input.description ?? null,
      statusId: workflow.initialStatus,
      reporter: input.reporter,
      created: t,
      updated: t,
      comments: [],
      properties: {},
    };
    issues.set(id, rec);
    return rec;
  };

  const commentBean = (issue: IssueRec, c: CommentRec) => ({
    self: `${baseUrl}/rest/api/3/issue/${issue.id}/comment/${c.id}`,
    id: c.id,
    author: userDetails(c.author),
    body: c.body,
    updateAuthor: userDetails(c.author),
    created: jiraDate(c.created),
    updated: jiraDate(c.updated),
    jsdPublic: true,
    ...(c.visibility ? { visibility: c.visibility } : {}),
  });

  /** Validates an ADF comment body the way Jira v3 does; returns the text length. */
  const validateCommentBody = (body: unknown, field = 'comment') => {
    if (body === undefined || body === null) throw new JiraHttpError(400, [], { [field]: 'Comment body can not be empty!' });
    if (!isAdfDoc(body)) {
      throw new JiraHttpError(400, [], {
        [field]: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)',
      });
    }
    const check = checkAdf(body);
    if (!check.ok) throw new JiraHttpError(400, ['INVALID_INPUT'], {});
    const length = adfTextLength(body);
    if (length === 0) throw new JiraHttpError(400, [], { [field]: 'Comment body can not be empty!' });
    if (length > limits.commentChars) {
      throw new JiraHttpError(400, [], {
        [field]: `The entered text is too long. It exceeds the allowed limit of ${limits.commentChars.toLocaleString('en-US')} characters.`,
      });
    }
  };

  const addCommentRec = (issue: IssueRec, author: string, body: unknown, visibility?: unknown): CommentRec => {
    if (issue.comments.length >= limits.commentsPerIssue) {
      throw new JiraHttpError(413, [`The number of comments on this issue has reached the limit of ${limits.commentsPerIssue}.`]);
    }
    const t = now();
    const c: CommentRec = { id: String(++counters.commentId), author, body, created: t, updated: t, visibility };
    issue.comments.push(c);
    issue.updated = t;
    return c;
  };

  const availableTransitions = (issue: IssueRec) => workflow.transitions.filter((t) => t.from.includes(issue.statusId));

  /** Jira's message when a validator fails without one of its own. Guess: the docs give no text. */
  const DEFAULT_VALIDATOR_MESSAGE = 'The transition was refused by a workflow validator.';

  /**
   * Runs the transition's validators in order; the first failure is the refusal's message.
   * Expressions see `user`, `issue` (with its properties), `project`, `transition`; a function
   * receives Forge's validator payload. Anything that does not evaluate to `true` fails (a
   * string is the message), as the Forge docs describe.
   */
  const runValidators = async (issue: IssueRec, def: JiraTransitionDef, actor: string): Promise<string | null> => {
    for (const v of def.validators ?? []) {
      let outcome: unknown;
      let fallback: string | undefined;
      try {
        if (v.type === 'expression') {
          fallback = v.errorMessage;
          const u = users.get(actor);
          const project = projects.find((p) => p.id === issue.projectId);
          outcome = evaluateExpression(v.expression, {
            user: { accountId: actor, displayName: u?.displayName ?? actor, accountType: u?.accountType ?? 'atlassian', groups: (u?.groups ?? []).map((g) => g.name) },
            issue: { id: Number(issue.id), key: issue.key, summary: issue.summary, properties: structuredClone(issue.properties) },
            project: project ? { id: Number(project.id), key: project.key, name: project.name } : null,
            transition: { id: Number(def.id), name: def.name, from: { id: issue.statusId }, to: { id: def.to } },
          });
        } else {
          const fn = validatorFunctions.get(v.moduleKey);
          if (!fn) throw new Error(`no function is registered for ${v.moduleKey} (the app is not installed)`);
          const answer = (await fn({
            issue: { key: issue.key },
            configuration: {},
            transition: { from: { id: issue.statusId }, to: { id: def.to }, modifiedFields: {} },
          })) as { result?: unknown; errorMessage?: unknown } | undefined;
          outcome = answer?.result === true ? true : typeof answer?.errorMessage === 'string' && answer.errorMessage ? answer.errorMessage : false;
        }
      } catch (e) {
        if (!(e instanceof ExpressionError) && v.type === 'expression') throw e;
        onValidatorError(e, v.moduleKey);
        outcome = false;
      }
      const passed = outcome === true;
      const message = passed ? undefined : typeof outcome === 'string' && outcome ? outcome : (fallback ?? DEFAULT_VALIDATOR_MESSAGE);
      validatorRuns.push({ issueKey: issue.key, transitionId: def.id, moduleKey: v.moduleKey, actor, passed, ...(message ? { message } : {}) });
      if (validatorRuns.length > 10_000) validatorRuns.shift();
      if (!passed) return message!;
    }
    return null;
  };

  /**
   * Validates, then performs a transition and notifies listeners (without waiting for them). A
   * refused transition answers 400 with the validator's message in `errorMessages` (Guess: the
   * REST reference lists 400 for "the request is invalid for any other reason" without a body
   * example; ErrorCollection is Jira's error shape everywhere else).
   */
  const performTransition = async (issue: IssueRec, transitionId: string, actor: string, commentBody?: unknown) => {
    const offered = availableTransitions(issue).find((t) => t.id === transitionId);
    if (!offered) throw new JiraHttpError(400, [`Transition id '${transitionId}' is not valid for this issue.`]);
    if (commentBody !== undefined) validateCommentBody(commentBody);
    const refusal = await runValidators(issue, offered, actor);
    if (refusal !== null) throw new JiraHttpError(400, [refusal]);
    // The issue may have moved while the validators ran (Jira serialises transitions on an issue).
    const def = availableTransitions(issue).find((t) => t.id === transitionId);
    if (!def) throw new JiraHttpError(409, ['The issue was changed by another transition; reload it and try again.']);
    const from = statusById.get(issue.statusId)!;
    const to = statusById.get(def.to)!;
    const comment = commentBody !== undefined ? addCommentRec(issue, actor, commentBody) : undefined;
    issue.statusId = def.to;
    issue.updated = now();
    const changelogId = String(++counters.changelogId);
    const executionId = randomUUID();
    for (const l of listeners) {
      if (l.opts.transitionIds && !l.opts.transitionIds.includes(def.id)) continue;
      const event: PostFunctionEvent = {
        issue: { id: issue.id, key: issue.key },
        transition: {
          transitionId: Number(def.id),
          transitionName: def.name,
          from_status: from.name,
          to_status: to.name,
          executionId,
        },
        workflow: { workflowId: workflow.id, workflowName: workflow.name },
        atlassianId: actor,
        changelog: { id: changelogId },
        ...(comment ? { comment: { id: comment.id } } : {}),
        configuration: structuredClone(l.opts.configuration ?? {}),
        context: { cloudId, moduleKey: l.opts.moduleKey ?? 'jit-admin-post-function' },
      };
      // Post functions run after the transition, asynchronously, in no guaranteed order.
      const p = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => l.fn(event))
        .catch((e) => onListenerError(e, event));
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
  };

  // ---- HTTP handlers
  type Ctx = {
    params: Record<string, string>;
    query: URLSearchParams;
    body: unknown;
    hasBody: boolean;
    principal: string;
    /** The body as sent, and the request's headers (multipart uploads). */
    raw: string;
    headers: Record<string, string | string[] | undefined>;
  };
  type Result = { status: number; body?: unknown; headers?: Record<string, string>; text?: string };

  const findAttachment = (id: string): AttachmentRec => {
    for (const issue of issues.values()) {
      const a = issue.attachments?.find((x) => x.id === id);
      if (a) return a;
    }
    throw new JiraHttpError(404, [`The attachment with id '${id}' does not exist.`]);
  };

  const requireBody = (ctx: Ctx): Record<string, unknown> => {
    if (!ctx.hasBody || typeof ctx.body !== 'object' || ctx.body === null || Array.isArray(ctx.body)) {
      throw new JiraHttpError(400, ['The request body is missing or is not a JSON object.']);
    }
    return ctx.body as Record<string, unknown>;
  };

  const handlers: Record<string, (ctx: Ctx) => Result | Promise<Result>> = {
    createIssue(ctx) {
      const body = requireBody(ctx);
      const fields = (body.fields ?? {}) as Record<string, unknown>;
      const errors: Record<string, string> = {};
      const projectRef = fields.project as { id?: string; key?: string } | undefined;
      const project = projects.find(
        (p) => (projectRef?.id !== undefined && p.id === String(projectRef.id)) || (projectRef?.key !== undefined && p.key === projectRef.key),
      );
      if (!project) errors.project = 'Specify a valid project ID or key';
      const typeRef = fields.issuetype as { id?: string; name?: string } | undefined;
      const issueType = issueTypes.find(
        (t) => (typeRef?.id !== undefined && t.id === String(typeRef.id)) || (typeRef?.name !== undefined && t.name === typeRef.name),
      );
      if (!issueType) errors.issuetype = 'Specify an issue type';
      const summary = fields.summary;
      if (typeof summary !== 'string' || !summary.trim()) errors.summary = 'You must specify a summary of the issue.';
      else if (summary.length > 255) errors.summary = 'Summary must be less than 255 characters.';
      if (fields.description !== undefined && fields.description !== null && !isAdfDoc(fields.description)) {
        errors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
      }
      let reporter: string | null = ctx.principal;
      const reporterRef = fields.reporter as { accountId?: string } | undefined;
      if (reporterRef) {
        if (!reporterRef.accountId || !users.has(reporterRef.accountId)) errors.reporter = 'Specify a valid value for reporter';
        else reporter = reporterRef.accountId;
      }
      if (Object.keys(errors).length) throw new JiraHttpError(400, [], errors);
      const rec = createIssueRec({
        summary: summary as string,
        projectId: project!.id,
        issueTypeId: issueType!.id,
        reporter,
        description: fields.description ?? undefined,
      });
      return { status: 201, body: { id: rec.id, key: rec.key, self: `${baseUrl}/rest/api/3/issue/${rec.id}` } };
    },

    getIssue(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const all: Record<string, () => unknown> = {
        summary: () => issue.summary,
        status: () => statusBean(statusById.get(issue.statusId)!),
        reporter: () => userDetails(issue.reporter),
        issuetype: () => issueTypeBean(issueTypes.find((t) => t.id === issue.issueTypeId)!),
        project: () => projectBean(projects.find((p) => p.id === issue.projectId)!),
        created: () => jiraDate(issue.created),
        updated: () => jiraDate(issue.updated),
        description: () => issue.description,
        attachment: () => (issue.attachments ?? []).map((a) => attachmentBean(baseUrl, a, userDetails(a.author))),
      };
      const requested = (ctx.query.get('fields') ?? '*all')
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean);
      const wantAll = requested.length === 0 || requested.some((f) => f === '*all' || f === '*navigable');
      const fields: Record<string, unknown> = {};
      for (const [name, get] of Object.entries(all)) {
        if ((wantAll && !requested.includes(`-${name}`)) || requested.includes(name)) fields[name] = get();
      }
      const propKeys = (ctx.query.get('properties') ?? '')
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean);
      const properties: Record<string, unknown> = {};
      for (const k of propKeys) {
        if (k === '*all') Object.assign(properties, structuredClone(issue.properties));
        else if (k in issue.properties) properties[k] = structuredClone(issue.properties[k]);
      }
      return {
        status: 200,
        body: {
          expand: 'renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations',
          id: issue.id,
          self: `${baseUrl}/rest/api/3/issue/${issue.id}`,
          key: issue.key,
          ...(propKeys.length ? { properties } : {}),
          fields,
        },
      };
    },

    getComments(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const startAt = Math.max(0, Number(ctx.query.get('startAt') ?? 0) || 0);
      const maxResults = Math.min(5000, Math.max(0, Number(ctx.query.get('maxResults') ?? 5000) || 0));
      const orderBy = ctx.query.get('orderBy') ?? 'created';
      const sorted = [...issue.comments].sort((a, b) => a.created - b.created || Number(a.id) - Number(b.id));
      if (orderBy === '-created') sorted.reverse();
      return {
        status: 200,
        body: {
          startAt,
          maxResults,
          total: sorted.length,
          comments: sorted.slice(startAt, startAt + maxResults).map((c) => commentBean(issue, c)),
        },
      };
    },

    addAttachment(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const existing = issue.attachments ?? [];
      const added = acceptUpload(ctx.headers, ctx.raw, existing.length, (f) => ({
        id: String((counters.attachmentId = (counters.attachmentId ?? 20000) + 1)),
        filename: f.filename,
        mimeType: f.mimeType,
        author: ctx.principal,
        created: now(),
        content: f.content,
      }));
      issue.attachments = [...existing, ...added];
      return { status: 200, body: added.map((a) => attachmentBean(baseUrl, a, userDetails(a.author))) };
    },

    getAttachment(ctx) {
      const found = findAttachment(ctx.params.id!);
      // `AttachmentMetadata.id` is an integer, where the upload's `Attachment.id` is a string.
      return { status: 200, body: { ...attachmentBean(baseUrl, found, userDetails(found.author)), id: Number(found.id) } };
    },

    getAttachmentContent(ctx) {
      const found = findAttachment(ctx.params.id!);
      return { status: 200, text: found.content, headers: { 'content-type': `${found.mimeType}; charset=utf-8`, 'content-disposition': `attachment; filename="${found.filename.replace(/"/g, '_')}"` } };
    },

    addComment(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const body = requireBody(ctx);
      validateCommentBody(body.body);
      const c = addCommentRec(issue, ctx.principal, structuredClone(body.body), body.visibility);
      return { status: 201, body: commentBean(issue, c) };
    },

    getTransitions(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const only = ctx.query.get('transitionId');
      const list = availableTransitions(issue)
        .filter((t) => !only || t.id === only)
        .map((t) => ({
          id: t.id,
          name: t.name,
          to: statusBean(statusById.get(t.to)!),
          hasScreen: false,
          isGlobal: t.from.length === workflow.statuses.length,
          isInitial: false,
          isAvailable: true,
          isConditional: false,
          looped: false,
        }));
      return { status: 200, body: { expand: 'transitions', transitions: list } };
    },

    async doTransition(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const body = requireBody(ctx);
      const transition = body.transition as { id?: unknown } | undefined;
      if (!transition || transition.id === undefined || transition.id === null || transition.id === '') {
        throw new JiraHttpError(400, ["Missing 'transition' identifier"]);
      }
      const update = body.update as { comment?: Array<{ add?: { body?: unknown } }> } | undefined;
      const commentBody = update?.comment?.find((op) => op.add)?.add?.body;
      await performTransition(issue, String(transition.id), ctx.principal, commentBody === undefined ? undefined : structuredClone(commentBody));
      return { status: 204 };
    },

    getIssuePropertyKeys(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      return {
        status: 200,
        body: {
          keys: Object.keys(issue.properties).map((key) => ({
            self: `${baseUrl}/rest/api/3/issue/${issue.id}/properties/${encodeURIComponent(key)}`,
            key,
          })),
        },
      };
    },

    getIssueProperty(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const key = ctx.params.propertyKey!;
      if (!(key in issue.properties)) throw new JiraHttpError(404, [`The property with key '${key}' does not exist.`]);
      return { status: 200, body: { key, value: structuredClone(issue.properties[key]) } };
    },

    setIssueProperty(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const key = ctx.params.propertyKey!;
      if (key.length > limits.propertyKeyChars) {
        throw new JiraHttpError(400, [`The property key can not be longer than ${limits.propertyKeyChars} characters.`]);
      }
      if (!ctx.hasBody) throw new JiraHttpError(400, ['The property value can not be empty.']);
      const serialized = JSON.stringify(ctx.body);
      if (serialized.length > limits.propertyValueChars) {
        throw new JiraHttpError(400, [`The property value can not be longer than ${limits.propertyValueChars} characters.`]);
      }
      const existed = key in issue.properties;
      issue.properties[key] = structuredClone(ctx.body);
      return { status: existed ? 200 : 201 };
    },

    deleteIssueProperty(ctx) {
      const issue = requireIssue(ctx.params.issueIdOrKey!);
      const key = ctx.params.propertyKey!;
      if (!(key in issue.properties)) throw new JiraHttpError(404, [`The property with key '${key}' does not exist.`]);
      delete issue.properties[key];
      return { status: 204 };
    },

    getUser(ctx) {
      const accountId = ctx.query.get('accountId');
      if (!accountId) throw new JiraHttpError(400, ["The query parameter 'accountId' is required."]);
      const u = users.get(accountId);
      if (!u) throw new JiraHttpError(404, [`Specified user does not exist or you do not have required permissions`]);
      return { status: 200, body: userBean(u) };
    },

    getUserGroups(ctx) {
      const accountId = ctx.query.get('accountId');
      if (!accountId) throw new JiraHttpError(400, ["The query parameter 'accountId' is required."]);
      const u = users.get(accountId);
      if (!u) throw new JiraHttpError(404, [`Specified user does not exist or you do not have required permissions`]);
      return {
        status: 200,
        body: u.groups.map((g) => ({
          name: g.name,
          groupId: g.groupId,
          self: `${baseUrl}/rest/api/3/group?groupId=${encodeURIComponent(g.groupId)}`,
        })),
      };
    },

    getCurrentUser(ctx) {
      const u = users.get(ctx.principal);
      if (!u) throw new JiraHttpError(401, ['You are not authenticated. Authentication required to perform this operation.']);
      return { status: 200, body: userBean(u) };
    },

    /**
     * The CALLING user's permissions (the principal: the act-as-user account of an `asUser()`
     * call, the app's own user for `asApp()`). Global permissions come from the user's groups and
     * ignore the context; a project or issue named in the query must exist (404 otherwise).
     * Project permissions are held by every active licensed (`atlassian`) user: the emulated
     * site has one project with Jira's default permission scheme, which grants them to all users.
     */
    getMyPermissions(ctx) {
      const raw = ctx.query.get('permissions');
      const keys = (raw ?? '').split(',').map((k) => k.trim()).filter(Boolean);
      if (keys.length === 0) throw new JiraHttpError(400, ['The permissions parameter is required and must not be empty.']);
      const unknown = keys.filter((k) => !(k in GLOBAL_PERMISSIONS) && !(PROJECT_PERMISSIONS as readonly string[]).includes(k));
      if (unknown.length) throw new JiraHttpError(400, [`Unrecognized permission keys: ${unknown.join(', ')}.`]);
      const issueRef = ctx.query.get('issueId') ?? ctx.query.get('issueKey');
      if (issueRef && !findIssue(issueRef)) throw notFoundIssue();
      const projectId = ctx.query.get('projectId');
      const projectKey = ctx.query.get('projectKey');
      if ((projectId && !projects.some((p) => p.id === projectId)) || (!projectId && projectKey && !projects.some((p) => p.key === projectKey))) {
        throw new JiraHttpError(404, ['No project could be found with the given id or key.']);
      }
      const u = users.get(ctx.principal);
      const groups = new Set((u?.groups ?? []).map((g) => g.name));
      const permissions: Record<string, unknown> = {};
      for (const key of keys) {
        const global = key in GLOBAL_PERMISSIONS;
        const have = !!u?.active && (global ? (globalPermissionGroups[key] ?? []).some((g) => groups.has(g)) : u.accountType === 'atlassian');
        const id = global ? Object.keys(GLOBAL_PERMISSIONS).indexOf(key) + 1 : 100 + (PROJECT_PERMISSIONS as readonly string[]).indexOf(key);
        permissions[key] = {
          id: String(id),
          key,
          name: global ? GLOBAL_PERMISSIONS[key] : key.toLowerCase().replace(/_/g, ' '),
          type: global ? 'GLOBAL' : 'PROJECT',
          description: global ? GLOBAL_PERMISSIONS[key] : `Project permission ${key}`,
          havePermission: have,
        };
      }
      return { status: 200, body: { permissions } };
    },
  };

  // ---- server
  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 16 * 1024 * 1024) {
          reject(new JiraHttpError(413, ['Request entity too large']));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(text ? { 'content-type': 'application/json;charset=UTF-8' } : {}),
      'x-arequestid': randomUUID(),
      ...headers,
    });
    res.end(text);
  };

  const authenticate = (req: IncomingMessage): string => {
    const auth = req.headers[APP_AUTH_HEADER];
    if (auth !== `Bearer ${appToken}`) {
      throw new JiraHttpError(401, ['You are not authenticated. Authentication required to perform this operation.']);
    }
    const actAs = req.headers[ACT_AS_USER_HEADER];
    if (typeof actAs === 'string' && actAs) {
      if (!users.has(actAs)) throw new JiraHttpError(401, ['The user the request acts as does not exist.']);
      return actAs;
    }
    return appAccountId;
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const entry: JiraRequestLogEntry = { method: req.method ?? 'GET', path: url.pathname, query: url.search, status: 0 };
    if (requests.length >= 10_000) requests.shift();
    requests.push(entry);
    try {
      const matched = matchJiraRoute(entry.method, url.pathname);
      if (matched) entry.route = matched.route.path;
      const raw = await readBody(req);
      // Before anything else: a request the published spec does not allow is refused as Jira refuses it.
      const refused = jiraGate({ method: entry.method, url: req.url ?? '/', headers: req.headers, body: raw });
      if (refused) {
        entry.status = refused.status;
        send(res, refused.status, refused.body, refused.headers);
        return;
      }
      const principal = authenticate(req);
      entry.principal = principal;
      let body: unknown;
      const hasBody = raw.trim().length > 0;
      if (hasBody && matched?.route.operation !== 'addAttachment') {
        if (!String(req.headers['content-type'] ?? '').toLowerCase().includes('application/json')) {
          throw new JiraHttpError(415, ['Unsupported Media Type: send the body as application/json.']);
        }
        try {
          body = JSON.parse(raw);
          entry.body = body;
        } catch {
          throw new JiraHttpError(400, ['Unexpected character in the request body: it is not valid JSON.']);
        }
      }
      const fault = faults.find(
        (f) =>
          f.remaining > 0 &&
          (!f.method || f.method.toUpperCase() === entry.method) &&
          (!f.path || (typeof f.path === 'string' ? url.pathname.startsWith(f.path) : f.path.test(url.pathname))),
      );
      if (fault) {
        fault.remaining--;
        faults = faults.filter((f) => f.remaining > 0);
        entry.status = fault.status;
        send(res, fault.status, fault.body ?? { errorMessages: [`Injected fault (HTTP ${fault.status})`], errors: {} }, fault.headers);
        return;
      }
      if (!matched) {
        const pathExists = compiledRoutes.some((r) => r.regex.test(url.pathname));
        throw pathExists
          ? new JiraHttpError(405, [`Method ${entry.method} is not allowed for ${url.pathname}.`])
          : new JiraHttpError(404, [`No resource at ${url.pathname}.`]);
      }
      const result = await handlers[matched.route.operation]!({ params: matched.params, query: url.searchParams, body, hasBody, principal, raw, headers: req.headers });
      entry.status = result.status;
      if (result.text !== undefined) {
        res.writeHead(result.status, { 'x-arequestid': randomUUID(), ...result.headers });
        res.end(result.text);
        return;
      }
      send(res, result.status, result.body, result.headers);
    } catch (e) {
      if (e instanceof AttachmentError) {
        entry.status = e.status;
        send(res, e.status, { errorMessages: e.errorMessages, errors: {} });
      } else if (e instanceof JiraHttpError) {
        entry.status = e.status;
        send(res, e.status, { errorMessages: e.errorMessages, errors: e.errors }, e.headers);
      } else {
        entry.status = 500;
        send(res, 500, { errorMessages: [`Internal server error: ${(e as Error)?.message ?? String(e)}`], errors: {} });
      }
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  baseUrl = `http://${addr.address}:${addr.port}`;

  // ---- snapshot
  const exportSnapshot = (): JiraSnapshot =>
    structuredClone({
      version: 1 as const,
      counters,
      projects,
      users: [...users.values()],
      issues: [...issues.values()],
    });
  const importSnapshot = (snap: JiraSnapshot) => {
    if (snap.version !== 1) throw new Error(`unsupported Jira snapshot version ${String((snap as { version?: unknown }).version)}`);
    const s = structuredClone(snap);
    counters = s.counters;
    projects = s.projects;
    users = new Map(s.users.map((u) => [u.accountId, u]));
    if (!users.has(appAccountId)) seedUser({ accountId: appAccountId, displayName: options.appDisplayName ?? 'JIT Admin (app)', accountType: 'app' });
    issues = new Map(s.issues.map((i) => [i.id, i]));
  };
  if (options.snapshot) importSnapshot(options.snapshot);

  return {
    url: baseUrl,
    appToken,
    appAccountId,
    cloudId,
    workflow,
    requests,
    async close() {
      // Give running listeners a moment to finish; one parked on a virtual clock never would.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.allSettled([...pending]), new Promise((r) => (timer = setTimeout(r, 1000)))]);
      clearTimeout(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    seedUser,
    createIssue(input) {
      const project = input.projectKey ? projects.find((p) => p.key === input.projectKey) : projects[0];
      if (!project) throw new Error(`unknown project ${input.projectKey}`);
      const type = input.issueType ? issueTypes.find((t) => t.name === input.issueType || t.id === input.issueType) : issueTypes[0];
      if (!type) throw new Error(`unknown issue type ${input.issueType}`);
      if (input.reporter && !users.has(input.reporter)) throw new Error(`unknown reporter ${input.reporter}; seed the user first`);
      const rec = createIssueRec({
        summary: input.summary,
        projectId: project.id,
        issueTypeId: type.id,
        reporter: input.reporter ?? null,
        description: input.description ? textToAdf(input.description) : undefined,
      });
      return { id: rec.id, key: rec.key };
    },
    issue(idOrKey) {
      const i = findIssue(idOrKey);
      if (!i) return undefined;
      return { id: i.id, key: i.key, summary: i.summary, status: statusById.get(i.statusId)!.name, reporter: i.reporter };
    },
    comments(idOrKey) {
      const i = findIssue(idOrKey);
      if (!i) return [];
      const nameOf = (id: string) => users.get(id)?.displayName ?? id;
      return i.comments.map((c) => ({
        id: c.id,
        author: c.author,
        body: structuredClone(c.body),
        text: adfToPlainText(c.body),
        html: adfToHtml(c.body, nameOf),
        created: c.created,
      }));
    },
    property(idOrKey, key) {
      const i = findIssue(idOrKey);
      return i && key in i.properties ? structuredClone(i.properties[key]) : undefined;
    },
    properties(idOrKey) {
      const i = findIssue(idOrKey);
      return i ? structuredClone(i.properties) : {};
    },
    attachments(idOrKey) {
      const i = findIssue(idOrKey);
      return (i?.attachments ?? []).map((a) => ({ ...a, size: Buffer.byteLength(a.content) }));
    },
    async transition(idOrKey, transitionIdOrName, { actor, comment }) {
      if (!users.has(actor)) throw new Error(`unknown actor ${actor}; seed the user first`);
      const issue = findIssue(idOrKey);
      if (!issue) throw new Error(`unknown issue ${idOrKey}`);
      const def =
        availableTransitions(issue).find((t) => t.id === transitionIdOrName || t.name === transitionIdOrName) ??
        workflow.transitions.find((t) => t.id === transitionIdOrName || t.name === transitionIdOrName);
      if (!def) throw new Error(`unknown transition ${transitionIdOrName}`);
      try {
        await performTransition(issue, def.id, actor, comment === undefined ? undefined : textToAdf(comment));
      } catch (e) {
        if (e instanceof JiraHttpError) throw new Error(e.message);
        throw e;
      }
    },
    onTransition(listener, opts = {}) {
      const entry = { fn: listener, opts };
      listeners.add(entry);
      return () => listeners.delete(entry);
    },
    async idle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    registerValidatorFunction(moduleKey, fn) {
      validatorFunctions.set(moduleKey, fn);
      return () => {
        if (validatorFunctions.get(moduleKey) === fn) validatorFunctions.delete(moduleKey);
      };
    },
    validatorRuns,
    injectFault(fault) {
      faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    clearFaults() {
      faults = [];
    },
    exportSnapshot,
    importSnapshot,
    moveIssue(idOrKey, projectKey) {
      const issue = findIssue(idOrKey);
      if (!issue) throw new Error(`unknown issue ${idOrKey}`);
      const key = projectKey.toUpperCase();
      let project = projects.find((p) => p.key === key);
      if (!project) {
        project = { id: String(Math.max(10_000, ...projects.map((p) => Number(p.id) || 0)) + 1), key, name: key };
        projects.push(project);
      }
      if (project.id === issue.projectId) return { id: issue.id, key: issue.key };
      const seq = (counters.projectSeq[project.key] ?? 0) + 1;
      counters.projectSeq[project.key] = seq;
      issue.historicalKeys = [...(issue.historicalKeys ?? []), issue.key];
      issue.key = `${project.key}-${seq}`;
      issue.projectId = project.id;
      issue.updated = now();
      return { id: issue.id, key: issue.key };
    },
  };
}

/** Plain text → ADF, one paragraph per line (for the in-process helpers). */
function textToAdf(text: string) {
  return {
    type: 'doc',
    version: 1,
    content: text.split('\n').map((line) => ({ type: 'paragraph', content: line ? [{ type: 'text', text: line }] : [] })),
  };
}
