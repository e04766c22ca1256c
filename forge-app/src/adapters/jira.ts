/**
 * Jira adapter: comments, the grant issue property, user groups and issue reads over the Jira
 * Cloud platform REST API v3, and the caller's own global permissions (asked as the caller).
 *
 * `request` is `api.asApp().requestJira` in Forge. It only accepts a `Route` made by `@forge/api`'s
 * `route` tag (`requireSafeUrl` throws on a plain string), so this adapter builds every path with
 * `route`, which also refuses path manipulation in parameters (`/`, `..`, `?`, `#`). Tests pass the
 * same function through the local Forge runtime, or any function taking a `Route`.
 */
import { route, type APIResponse, type RequestInit, type Route } from '@forge/api';
import type { CommentBlock } from '../decision/core';
import { multipartBody } from './multipart';
import { JiraLimitError, type JiraIssueSummary, type JiraPort } from '../ports';
import { again, done, retry, type Attempt } from '../shared/retry';

export { JiraLimitError, type JiraIssueSummary, type JiraPort } from '../ports';

export type JiraRequest = (path: Route, init?: RequestInit) => Promise<APIResponse>;

export const GRANT_PROPERTY_KEY = 'jit-admin-grant';
/** PUT issue property: "The maximum length is 32768 characters." */
export const PROPERTY_VALUE_MAX_CHARS = 32_768;
/** Jira's text field limit, applied to a comment's text. */
export const COMMENT_MAX_CHARS = 32_767;
const TRUNCATION_NOTE = '[… comment truncated to fit Jira’s 32,767-character limit]';

/** A Jira call that failed: HTTP status and Jira's `errorMessages` / `errors`. */
export class JiraError extends Error {
  override readonly name = 'JiraError';
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly errorMessages: string[] = [],
    readonly errors: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    const details = [...errorMessages, ...Object.entries(errors).map(([k, v]) => `${k}: ${v}`)].join('; ');
    super(`Jira ${method} ${path} failed${status ? ` with HTTP ${status}` : ''}${details ? `: ${details}` : ''}`, options);
  }
}

export interface JiraAdapterOptions {
  /** Wait between retries (default: setTimeout). */
  sleep?: (ms: number) => Promise<void>;
  /** Attempts per call, including the first (default 3). */
  maxAttempts?: number;
  /** First backoff delay (default 500 ms), doubled each retry unless Jira sends Retry-After. */
  baseDelayMs?: number;
  /** Upper bound for one wait (default 5 s), so a resolver stays within Forge's 25 s. */
  maxDelayMs?: number;
}

type AdfNode = Record<string, unknown>;
export type AdfDoc = { type: 'doc'; version: 1; content: AdfNode[] };

/**
 * The core's comment body → an ADF document. Nothing here parses text: the app's words and what
 * people typed become plain `text` nodes whatever they contain (mention markup, quotes, JSON that
 * looks like ADF), and a `mention` node is made only from a `mention` item of the core. What a
 * person typed goes in its own block: a bold label of the app's, then a `blockquote` holding only
 * plain text, so it cannot end the quotation and go on as the app. Text longer than `maxChars` in
 * all is cut, with a note (`truncated` says whether).
 */
export function commentToAdf(body: CommentBlock[], maxChars = COMMENT_MAX_CHARS): { doc: AdfDoc; chars: number; truncated: boolean } {
  // Jira counts a comment's text with one character between blocks: the note's block included.
  let budget = maxChars - TRUNCATION_NOTE.length - 1;
  let chars = 0;
  let truncated = false;
  /** Plain text nodes for `text`, one per line (ADF text has no line breaks), within the budget. */
  const texts = (text: string, marks?: AdfNode[]): AdfNode[] => {
    const out: AdfNode[] = [];
    for (const line of text.split(/\r\n|\r|\n/)) {
      if (truncated || !line) continue;
      const piece = line.length > budget ? line.slice(0, Math.max(budget, 0)) : line;
      if (piece.length < line.length) truncated = true;
      budget -= piece.length;
      chars += piece.length;
      if (piece) out.push({ type: 'text', text: piece, ...(marks ? { marks } : {}) });
    }
    return out;
  };
  const content: AdfNode[] = [];
  for (const block of body) {
    if (truncated) break;
    if (block.type === 'paragraph') {
      budget -= 1;
      const inline: AdfNode[] = [];
      for (const piece of block.content) {
        if (piece.type === 'mention') {
          // Jira shows a mention as the person's name: leave room for it in the size limit.
          inline.push({ type: 'mention', attrs: { id: piece.accountId } });
          budget -= 64;
          chars += 1;
        } else inline.push(...texts(piece.text));
      }
      if (inline.length) content.push({ type: 'paragraph', content: inline });
    } else {
      budget -= 1;
      const quoted = block.text
        .split(/\r\n|\r|\n/)
        .map((line) => {
          budget -= 1;
          return texts(line);
        })
        .filter((nodes) => nodes.length)
        .map((nodes) => ({ type: 'paragraph', content: nodes }));
      if (!quoted.length) continue;
      content.push({ type: 'paragraph', content: texts(`${block.label}:`, [{ type: 'strong' }]) });
      content.push({ type: 'blockquote', content: quoted });
    }
  }
  if (truncated) content.push({ type: 'paragraph', content: [{ type: 'text', text: TRUNCATION_NOTE, marks: [{ type: 'em' }] }] });
  return { doc: { type: 'doc', version: 1, content }, chars, truncated };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Headers of calls that send JSON. */
const JSON_HEADERS = { Accept: 'application/json', 'Content-Type': 'application/json' };
/** Headers of calls that only read. */
const READ_HEADERS = { Accept: 'application/json' };

/**
 * Every call below is written out as a literal `requestJira(route\`...\`, { method: ... })`: that is
 * the shape `@forge/lint`'s scope check recognises, so a missing scope fails `npm run lint:forge`.
 */
export function createJira(
  requestJira: JiraRequest,
  log?: (line: string) => void,
  options: JiraAdapterOptions = {},
  /** `api.asUser()` in Forge: Jira calls as the user the invocation runs for (absent: none). */
  asUser?: { requestJira: JiraRequest },
): JiraPort {
  const sleep = options.sleep ?? defaultSleep;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const baseDelay = options.baseDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 5_000;

  /** 429 is always safe to retry (not processed); 5xx only for idempotent methods. */
  const retryable = (method: string, status: number) =>
    status === 429 || (method !== 'POST' && (status === 500 || status === 502 || status === 503 || status === 504));

  const delayFor = (attempt: number, res?: APIResponse) => {
    const header = res?.headers.get('retry-after');
    const seconds = header !== null && header !== undefined ? Number(header) : NaN;
    const ms = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : baseDelay * 2 ** (attempt - 1);
    return Math.min(ms, maxDelay);
  };

  const toError = async (res: APIResponse, method: string, path: string) => {
    let messages: string[] = [];
    let errors: Record<string, string> = {};
    try {
      const body = (await res.json()) as { errorMessages?: unknown; errors?: unknown };
      if (Array.isArray(body.errorMessages)) messages = body.errorMessages.map(String);
      if (body.errors && typeof body.errors === 'object') {
        errors = Object.fromEntries(Object.entries(body.errors as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
      }
    } catch {
      messages = [res.statusText].filter(Boolean);
    }
    return new JiraError(res.status, method, path, messages, errors);
  };

  /** Runs one Jira call with retries; `call` makes the request afresh on every attempt. */
  const send = async (method: string, path: Route, call: () => Promise<APIResponse>): Promise<APIResponse> => {
    let why = '';
    let failure: unknown;
    const sent = await retry(
      { now: () => Date.now(), sleep },
      { attempts: maxAttempts, onRetry: (attempt, wait) => log?.(`jira: ${method} ${path.value} ${why}; retry ${attempt}/${maxAttempts - 1} in ${wait} ms`) },
      async (attempt): Promise<Attempt<APIResponse>> => {
        let res: APIResponse;
        try {
          res = await call();
        } catch (e) {
          failure = new JiraError(0, method, path.value, [(e as Error)?.message ?? String(e)], {}, { cause: e });
          // The request may or may not have reached Jira: retry only what is safe to repeat.
          if (method === 'POST') throw failure;
          why = `failed (${(e as Error)?.name ?? 'error'})`;
          return again(delayFor(attempt));
        }
        if (res.ok) return done(res);
        if (!retryable(method, res.status)) throw await toError(res, method, path.value);
        failure = res;
        why = `answered ${res.status}`;
        return again(delayFor(attempt, res));
      },
    );
    if (sent.ok) return sent.value;
    throw failure instanceof JiraError ? failure : await toError(failure as APIResponse, method, path.value);
  };

  return {
    async comment(issueKey, body) {
      const { doc, chars, truncated } = commentToAdf(body);
      if (chars === 0) throw new Error('jira: refusing to add an empty comment');
      if (truncated) log?.(`jira: comment on ${issueKey} is longer than ${COMMENT_MAX_CHARS} characters; truncated`);
      const payload = JSON.stringify({ body: doc });
      const path = route`/rest/api/3/issue/${issueKey}/comment`;
      await send('POST', path, () => requestJira(route`/rest/api/3/issue/${issueKey}/comment`, { method: 'POST', headers: JSON_HEADERS, body: payload }));
    },

    async setGrantProperty(issueKey, value) {
      const json = JSON.stringify(value);
      if (json === undefined) throw new Error('jira: the grant property value must be JSON-serialisable');
      if (json.length > PROPERTY_VALUE_MAX_CHARS) {
        throw new JiraLimitError(`issue property ${GRANT_PROPERTY_KEY} on ${issueKey}`, json.length, PROPERTY_VALUE_MAX_CHARS);
      }
      const path = route`/rest/api/3/issue/${issueKey}/properties/${GRANT_PROPERTY_KEY}`;
      await send('PUT', path, () =>
        requestJira(route`/rest/api/3/issue/${issueKey}/properties/${GRANT_PROPERTY_KEY}`, { method: 'PUT', headers: JSON_HEADERS, body: json }),
      );
    },

    async userGroups(accountId) {
      const path = route`/rest/api/3/user/groups?accountId=${accountId}`;
      const res = await send('GET', path, () => requestJira(route`/rest/api/3/user/groups?accountId=${accountId}`, { method: 'GET', headers: READ_HEADERS }));
      const groups = (await res.json()) as Array<{ name?: string; groupId?: string | null }>;
      const ids: string[] = [];
      for (const g of groups) {
        if (g.groupId) ids.push(g.groupId);
        else log?.(`jira: group "${g.name ?? '?'}" of ${accountId} has no group id; skipped`);
      }
      return ids;
    },

    async issue(issueKey) {
      let res: APIResponse;
      try {
        const path = route`/rest/api/3/issue/${issueKey}?fields=summary,status,reporter`;
        res = await send('GET', path, () => requestJira(route`/rest/api/3/issue/${issueKey}?fields=summary,status,reporter`, { method: 'GET', headers: READ_HEADERS }));
      } catch (e) {
        if (e instanceof JiraError && e.status === 404) return null;
        throw e;
      }
      const bean = (await res.json()) as {
        id: string;
        key: string;
        fields?: { summary?: string; status?: { name?: string; statusCategory?: { key?: string } }; reporter?: { accountId?: string } | null };
      };
      return {
        key: bean.key,
        id: bean.id,
        summary: bean.fields?.summary ?? '',
        ...(bean.fields?.reporter?.accountId ? { reporter: bean.fields.reporter.accountId } : {}),
        status: bean.fields?.status?.name ?? '',
        ...(bean.fields?.status?.statusCategory?.key ? { statusCategory: bean.fields.status.statusCategory.key } : {}),
      };
    },

    async callerHasGlobalPermission(permission) {
      if (!asUser) throw new Error('jira: no user context to ask about permissions');
      const path = route`/rest/api/3/mypermissions?permissions=${permission}`;
      const res = await send('GET', path, () => asUser.requestJira(route`/rest/api/3/mypermissions?permissions=${permission}`, { method: 'GET', headers: READ_HEADERS }));
      const body = (await res.json()) as { permissions?: Record<string, { havePermission?: unknown }> };
      const have = body.permissions?.[permission]?.havePermission;
      if (typeof have !== 'boolean') throw new Error(`jira: mypermissions did not answer for ${permission}`);
      return have;
    },

    async grantProperty(issueKey) {
      let res: APIResponse;
      try {
        const path = route`/rest/api/3/issue/${issueKey}/properties/${GRANT_PROPERTY_KEY}`;
        res = await send('GET', path, () =>
          requestJira(route`/rest/api/3/issue/${issueKey}/properties/${GRANT_PROPERTY_KEY}`, { method: 'GET', headers: READ_HEADERS }),
        );
      } catch (e) {
        if (e instanceof JiraError && e.status === 404) return null;
        throw e;
      }
      const body = (await res.json()) as { value?: unknown };
      return body.value ?? null;
    },

    async attach(issueKey, file) {
      const { body, contentType } = multipartBody([{ field: 'file', ...file }]);
      const headers = { Accept: 'application/json', 'Content-Type': contentType, 'X-Atlassian-Token': 'no-check' };
      const path = route`/rest/api/3/issue/${issueKey}/attachments`;
      await send('POST', path, () => requestJira(route`/rest/api/3/issue/${issueKey}/attachments`, { method: 'POST', headers, body }));
    },
  };
}
