/**
 * The Jira emulator's shapes: documented limits, permissions, seeds, stored records, snapshot, the emulator's
 * options and handle, and Jira's error (`{"errorMessages": [...], "errors": {...}}`).
 */
import type { AttachmentRec } from './attachments';
import type { JiraWorkflow, ValidatorFunctionEvent } from './workflow';

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

/** A stored user. */
export interface UserRec {
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

/** A stored comment. */
export interface CommentRec {
  id: string;
  author: string;
  body: unknown;
  created: number;
  updated: number;
  visibility?: unknown;
}

/** A stored issue. */
export interface IssueRec {
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
  /** Keys the issue had before it moved to another project (Jira keeps them as aliases). */
  historicalKeys?: string[];
  /** Files attached (`attachments.ts`); absent on issues saved before attachments existed. */
  attachments?: AttachmentRec[];
}

export interface JiraSnapshot {
  version: 1;
  counters: { issueId: number; commentId: number; changelogId: number; projectSeq: Record<string, number> };
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
  attachments(issueIdOrKey: string): Array<AttachmentRec & { size: number }>;
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

/** An error answered in Jira's shape. */
export class JiraHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorMessages: string[] = [],
    readonly errors: Record<string, string> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(errorMessages[0] ?? Object.values(errors)[0] ?? `HTTP ${status}`);
  }
}

export const notFoundIssue = () => new JiraHttpError(404, ['Issue does not exist or you do not have permission to see it.']);

/** Jira's timestamp format, e.g. 2026-01-01T09:00:00.000+0000 (UTC). */
export function jiraDate(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** A stable, UUID-shaped group id for a group seeded by name only. */
export function groupIdFor(name: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x12345678;
  for (const ch of name) {
    h1 = Math.imul(h1 ^ ch.charCodeAt(0), 16777619) >>> 0;
    h2 = Math.imul(h2 ^ ch.charCodeAt(0), 2246822519) >>> 0;
  }
  const hex = (h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).repeat(2);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const DEFAULT_ISSUE_TYPES: JiraIssueType[] = [
  { id: '10001', name: 'Admin access request' },
  { id: '10002', name: 'Task' },
];

export const DEFAULT_PROJECTS: JiraProject[] = [{ id: '10000', key: 'JIT', name: 'JIT Admin Requests' }];

/** Plain text → ADF, one paragraph per line (for the in-process helpers). */
export function textToAdf(text: string) {
  return {
    type: 'doc',
    version: 1,
    content: text.split('\n').map((line) => ({ type: 'paragraph', content: line ? [{ type: 'text', text: line }] : [] })),
  };
}
