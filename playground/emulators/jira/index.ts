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
import { AttachmentError } from './attachments';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { adfToHtml, adfToPlainText } from './adf';
import { jiraGate } from '../openapi/index';
import { BodyTooLarge, EMULATOR_BODY_LIMIT, readBody } from '../../http/body';
import { createJiraModel } from './model';
import { jiraHandlers, lookupJiraRoute, type JiraOperation } from './routes';
import { ACT_AS_USER_HEADER, APP_AUTH_HEADER, JiraHttpError, textToAdf, type JiraEmulator, type JiraEmulatorOptions, type JiraFault, type JiraRequestLogEntry } from './types';

export { DEFAULT_REQUEST_WORKFLOW, type JiraWorkflow, type JiraStatus, type JiraTransitionDef, type JiraValidatorDef, type ValidatorFunctionEvent, type ValidatorFunctionResult } from './workflow';
export { adfToHtml, adfToPlainText, checkAdf } from './adf';
export { jiraRoutes, matchJiraRoute, type HttpMethod, type JiraRoute } from './routes';
export {
  APP_AUTH_HEADER,
  ACT_AS_USER_HEADER,
  JIRA_LIMITS,
  GLOBAL_PERMISSIONS,
  PROJECT_PERMISSIONS,
  DEFAULT_GLOBAL_PERMISSION_GROUPS,
  jiraDate,
  type JiraLimits,
  type JiraGroupRef,
  type JiraUserSeed,
  type JiraProject,
  type JiraIssueType,
  type JiraSnapshot,
  type PostFunctionEvent,
  type TransitionListenerOptions,
  type TransitionListener,
  type ValidatorRun,
  type JiraFault,
  type JiraRequestLogEntry,
  type JiraEmulatorOptions,
  type JiraEmulator,
} from './types';

/**
 * Starts the emulator on 127.0.0.1 (a free port unless `port` is given).
 */
export async function startJiraEmulator(options: JiraEmulatorOptions = {}): Promise<JiraEmulator> {
  const m = createJiraModel(options);
  // Only functions and never-reassigned values are taken out; `projects`, `users`, `counters` and `baseUrl` are read through `m`.
  const { appToken, appAccountId, cloudId, workflow, issueTypes, now, listeners, validatorFunctions, validatorRuns, pending, statusById } = m;
  const { seedUser, findIssue, createIssueRec, availableTransitions, performTransition, exportSnapshot, importSnapshot } = m;
  const handlers = jiraHandlers(m);
  let faults: Array<JiraFault & { remaining: number }> = [];
  const requests: JiraRequestLogEntry[] = [];

  // ---- server
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
      if (!m.users.has(actAs)) throw new JiraHttpError(401, ['The user the request acts as does not exist.']);
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
      const found = lookupJiraRoute(entry.method, url.pathname);
      if (found.kind === 'match') entry.route = found.value.path;
      let raw: string;
      try {
        raw = (await readBody(req, EMULATOR_BODY_LIMIT)).toString('utf8');
      } catch (e) {
        throw e instanceof BodyTooLarge ? new JiraHttpError(413, ['Request entity too large']) : e;
      }
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
      if (hasBody && !(found.kind === 'match' && found.value.operation === 'addAttachment')) {
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
      if (found.kind !== 'match') {
        throw found.kind === 'wrongMethod'
          ? new JiraHttpError(405, [`Method ${entry.method} is not allowed for ${url.pathname}.`])
          : new JiraHttpError(404, [`No resource at ${url.pathname}.`]);
      }
      const result = await handlers[found.value.operation as JiraOperation]({ params: found.params, query: url.searchParams, body, hasBody, principal, raw, headers: req.headers });
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
  m.setBaseUrl(`http://${addr.address}:${addr.port}`);


  return {
    url: m.baseUrl,
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
      const project = input.projectKey ? m.projects.find((p) => p.key === input.projectKey) : m.projects[0];
      if (!project) throw new Error(`unknown project ${input.projectKey}`);
      const type = input.issueType ? issueTypes.find((t) => t.name === input.issueType || t.id === input.issueType) : issueTypes[0];
      if (!type) throw new Error(`unknown issue type ${input.issueType}`);
      if (input.reporter && !m.users.has(input.reporter)) throw new Error(`unknown reporter ${input.reporter}; seed the user first`);
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
      const nameOf = (id: string) => m.users.get(id)?.displayName ?? id;
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
      return (findIssue(idOrKey)?.attachments ?? []).map((a) => ({ ...a, size: Buffer.byteLength(a.content) }));
    },
    async transition(idOrKey, transitionIdOrName, { actor, comment }) {
      if (!m.users.has(actor)) throw new Error(`unknown actor ${actor}; seed the user first`);
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
      let project = m.projects.find((p) => p.key === key);
      if (!project) {
        project = { id: String(Math.max(10_000, ...m.projects.map((p) => Number(p.id) || 0)) + 1), key, name: key };
        m.projects.push(project);
      }
      if (project.id === issue.projectId) return { id: issue.id, key: issue.key };
      const seq = (m.counters.projectSeq[project.key] ?? 0) + 1;
      m.counters.projectSeq[project.key] = seq;
      issue.historicalKeys = [...(issue.historicalKeys ?? []), issue.key];
      issue.key = `${project.key}-${seq}`;
      issue.projectId = project.id;
      issue.updated = now();
      return { id: issue.id, key: issue.key };
    },
  };
}
