/**
 * The Jira emulator's state and its rules, without HTTP: users, issues, comments, properties, the workflow with
 * its validators, and the "transition done" events. handlers.ts serves it over HTTP, index.ts starts both.
 */
import { randomUUID } from 'node:crypto';
import { adfTextLength, checkAdf, isAdfDoc } from './adf';
import { DEFAULT_REQUEST_WORKFLOW, STATUS_CATEGORIES, type JiraStatus, type JiraTransitionDef, type ValidatorFunctionEvent } from './workflow';
import { evaluateExpression, ExpressionError } from './expression';
import {
  DEFAULT_GLOBAL_PERMISSION_GROUPS,
  DEFAULT_ISSUE_TYPES,
  DEFAULT_PROJECTS,
  JIRA_LIMITS,
  JiraHttpError,
  groupIdFor,
  jiraDate,
  notFoundIssue,
  type CommentRec,
  type IssueRec,
  type JiraEmulatorOptions,
  type JiraIssueType,
  type JiraLimits,
  type JiraProject,
  type JiraSnapshot,
  type JiraUserSeed,
  type PostFunctionEvent,
  type TransitionListener,
  type TransitionListenerOptions,
  type UserRec,
  type ValidatorRun,
} from './types';

/** A running emulator's state and rules. */
export type JiraModel = ReturnType<typeof createJiraModel>;

/** The emulator's state, seeded from `options` (or its snapshot). */
export function createJiraModel(options: JiraEmulatorOptions) {
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
    get projects() {
      return projects;
    },
    get users() {
      return users;
    },
    get counters() {
      return counters;
    },
    get baseUrl() {
      return baseUrl;
    },
    setBaseUrl(url: string) {
      baseUrl = url;
    },
    now,
    appToken,
    appAccountId,
    cloudId,
    workflow,
    issueTypes,
    limits,
    globalPermissionGroups,
    listeners,
    validatorFunctions,
    validatorRuns,
    pending,
    statusById,
    seedUser,
    userDetails,
    userBean,
    findIssue,
    requireIssue,
    statusBean,
    projectBean,
    issueTypeBean,
    createIssueRec,
    commentBean,
    validateCommentBody,
    addCommentRec,
    availableTransitions,
    performTransition,
    exportSnapshot,
    importSnapshot,
  };
}
