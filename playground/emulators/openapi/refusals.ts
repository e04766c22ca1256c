/**
 * How each Atlassian API answers a request its spec does not allow, from a validator verdict.
 *
 * - Organizations API: `{"errors":[{id,status,code,title,detail}]}`, with the 400 code the operation documents
 *   (in its 400 description, or as the `code` enum of its 400 schema), titles from the spec's code lists.
 * - Jira: `{"errorMessages":[...],"errors":{...}}`; a body field's problem is keyed by the field in `errors`.
 */
import { randomUUID } from 'node:crypto';
import { isObject, resolvePointer, type Json } from './schema';
import type { OpenApiRequestValidator, Problem, SpecOperation, Verdict } from './validator';

/** A refusal: what the emulator answers instead of serving the request. */
export interface Refusal {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const NOT_EMULATED_STATUS = 501;
const notEmulatedDetail = (pathname: string, template: string, subset: string) =>
  `\`${pathname}\` (${template}) exists in Atlassian's spec with this method, but ${subset} leaves it out, so no emulator serves it; ` +
  'add the operation to scripts/refresh-specs.ts and to the emulator';

const isContentTypeProblem = (p: Problem) => p.at.in === 'contentType';
const joined = (problems: Problem[]) => problems.map((p) => p.message).join('; ');

// ---------------------------------------------------------------------------------------------------------------
// Organizations API

/** `ADMIN-…` code → title, from every code list the spec documents (ApplicationError, ApiError, Error.*.Model). */
function codeTitles(doc: Json): Map<string, string> {
  const titles = new Map<string, string>();
  const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isObject(node)) return;
    if (typeof node.description === 'string') {
      for (const m of node.description.matchAll(/`(ADMIN-[A-Z0-9-]+)`\s+-\s+([^\n]+)/g)) titles.set(m[1]!, m[2]!.trim());
      for (const m of node.description.matchAll(/(ADMIN-[A-Z]+-\d{3}-\d+):\s*(.+?)(?=\s+-\s+ADMIN-|\s*$)/g)) titles.set(m[1]!, m[2]!.trim());
    }
    Object.values(node).forEach(walk);
  };
  walk(schemas);
  // Error.<Name>.Model: a description and one code enum.
  for (const schema of Object.values(schemas)) {
    if (!isObject(schema) || typeof schema.description !== 'string') continue;
    const codes = [...new Set(JSON.stringify(schema).match(/"enum":\["(ADMIN-[A-Z0-9-]+)"\]/g) ?? [])];
    if (codes.length === 1) titles.set(codes[0]!.replace(/^"enum":\["|"\]$/g, ''), schema.description);
  }
  return titles;
}

interface OrgCodes {
  /** For a body or content-type problem. */
  body: string;
  /** For a path, query or header problem. */
  parameter: string;
  /** For a problem with the `cursor` parameter, when the operation documents a cursor code. */
  cursor?: string;
  /** The operation's codes are the user-management family (`ADMIN-UAM-…`), which documents a 415 code. */
  uam: boolean;
}

/**
 * The 400 codes an operation documents. Listed in its 400 description ("Expected values for `ApiError.code`"):
 * the first listed, for every problem. As `code` enums of its 400 schema: the cursor code for the cursor, the
 * syntax code (ADMIN-400-19) for the rest. Neither (most v2 operations): ADMIN-400-24 "Invalid request body" for
 * bodies, ADMIN-400-19 "Request syntax is not valid" for parameters (a Guess in docs/platform-rules.md).
 */
function orgCodes(doc: Json, op: SpecOperation): OrgCodes {
  const { value: r400 } = resolvePointer(doc, `${op.pointer}/responses/400`);
  const listed = isObject(r400) && typeof r400.description === 'string' ? [...r400.description.matchAll(/`(ADMIN-[A-Z0-9-]*400-\d+)`/g)].map((m) => m[1]!) : [];
  if (listed.length) return { body: listed[0]!, parameter: listed[0]!, uam: listed[0]!.startsWith('ADMIN-UAM-') };
  // Codes in the schema, following $refs.
  const enumCodes = new Set<string>();
  const seen = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!isObject(node)) return;
    if (typeof node.$ref === 'string') {
      if (seen.has(node.$ref)) return;
      seen.add(node.$ref);
      return walk(resolvePointer(doc, node.$ref).value);
    }
    if (isObject(node.properties) && isObject(node.properties.code) && Array.isArray(node.properties.code.enum)) {
      for (const c of node.properties.code.enum) if (typeof c === 'string' && /^ADMIN-.*400-\d+$/.test(c)) enumCodes.add(c);
    }
    Object.values(node).forEach(walk);
  };
  walk(r400);
  if (enumCodes.size) {
    const syntax = enumCodes.has('ADMIN-400-19') ? 'ADMIN-400-19' : [...enumCodes][0]!;
    return { body: syntax, parameter: syntax, ...(enumCodes.has('ADMIN-400-1') ? { cursor: 'ADMIN-400-1' } : {}), uam: false };
  }
  return { body: 'ADMIN-400-24', parameter: 'ADMIN-400-19', uam: false };
}

/** The organizations API's refusals of requests its spec (the subset `subsetFile`) does not allow. */
export function createOrgApiRefuser(validator: OpenApiRequestValidator, subsetFile: string): (verdict: Verdict) => Refusal | null {
  const titles = codeTitles(validator.doc);
  const codesByOp = new Map<SpecOperation, OrgCodes>();
  const codesOf = (op: SpecOperation) => codesByOp.get(op) ?? codesByOp.set(op, orgCodes(validator.doc, op)).get(op)!;
  const error = (status: number, code: string, detail: string, headers?: Record<string, string>): Refusal => ({
    status,
    body: { errors: [{ id: randomUUID(), status: String(status), code, title: titles.get(code) ?? 'Bad Request', detail }] },
    ...(headers ? { headers } : {}),
  });
  return (verdict) => {
  switch (verdict.kind) {
    case 'ok':
      return null;
    case 'unknownPath':
      return error(404, 'ADMIN-404-1', `No resource at \`${verdict.pathname}\``);
    case 'wrongMethod':
      return error(405, 'ADMIN-405-1', `Method not supported on \`${verdict.pathname}\`; allowed: ${verdict.allowed.join(', ')}`, { allow: verdict.allowed.join(', ') });
    case 'notEmulated':
      return { status: NOT_EMULATED_STATUS, body: { errors: [{ id: randomUUID(), status: String(NOT_EMULATED_STATUS), code: 'EMULATOR-501', title: 'Not emulated', detail: notEmulatedDetail(verdict.pathname, verdict.template, subsetFile) }] } };
    case 'forbidden':
      return error(verdict.status, `ADMIN-${verdict.status}-1`, verdict.message);
    case 'invalid': {
      const codes = codesOf(verdict.op);
      const media = verdict.problems.filter(isContentTypeProblem);
      if (media.length && codes.uam) return error(415, 'ADMIN-UAM-415-1', joined(media));
      const onBody = verdict.problems.filter((p) => p.at.in === 'body' || p.at.in === 'contentType');
      const onCursor = verdict.problems.filter((p) => p.at.in === 'query' && p.at.name === 'cursor');
      const code = onCursor.length && codes.cursor ? codes.cursor : onBody.length === verdict.problems.length ? codes.body : codes.parameter;
      return error(400, code, joined(verdict.problems));
    }
  }
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Jira

const jiraError = (status: number, errorMessages: string[], errors: Record<string, string> = {}, headers?: Record<string, string>): Refusal => ({
  status,
  body: { errorMessages, errors },
  ...(headers ? { headers } : {}),
});

/** Jira's refusal of a request its spec does not allow (null when the verdict is ok). */
export function jiraRefusal(verdict: Verdict, subsetFile: string): Refusal | null {
  switch (verdict.kind) {
    case 'ok':
      return null;
    case 'unknownPath':
      return jiraError(404, [`No resource at \`${verdict.pathname}\``]);
    case 'wrongMethod':
      return jiraError(405, [`Method not allowed on \`${verdict.pathname}\`; allowed: ${verdict.allowed.join(', ')}`], {}, { allow: verdict.allowed.join(', ') });
    case 'notEmulated':
      return jiraError(NOT_EMULATED_STATUS, [notEmulatedDetail(verdict.pathname, verdict.template, subsetFile)]);
    case 'forbidden':
      return jiraError(verdict.status, [verdict.message]);
    case 'invalid': {
      const media = verdict.problems.filter(isContentTypeProblem);
      if (media.length) return jiraError(415, media.map((p) => p.message));
      // A body field's problem goes to `errors` under the field's top-level name, as Jira reports field errors;
      // everything else (parameters, the body as a whole) to `errorMessages`.
      const errors: Record<string, string> = {};
      const messages: string[] = [];
      for (const p of verdict.problems) {
        const field = p.at.in === 'body' ? p.at.path.split(/[.[]/)[0] : '';
        if (field) errors[field] = errors[field] ? `${errors[field]}; ${p.message}` : p.message;
        else messages.push(p.message);
      }
      return jiraError(400, messages, errors);
    }
  }
}
