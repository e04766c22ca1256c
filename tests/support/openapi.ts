/**
 * Checks HTTP calls against a published OpenAPI 3 spec: which operation a method + URL is, and
 * whether its query parameters, JSON request body and JSON response body fit that operation's schemas.
 *
 * Specs are the generated subsets in the repo's `specs/` (scripts/refresh-specs.ts; the full specs are never
 * copied in). The server prefix comes from the spec's first `servers` URL: `https://api.atlassian.com/admin`
 * gives `/admin` (so `/v1/orgs` is served as `/admin/v1/orgs`); Jira's `https://your-domain.atlassian.net`
 * gives none.
 *
 *   const spec = OpenApiSpec.load('admin-organization.subset.json');
 *   const { fetch, calls } = recordingFetch();
 *   ... run the code under test with `fetch` ...
 *   for (const c of calls) assert.deepEqual(spec.checkCall(c), []);
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { SPECS_DIR } from '../../playground/emulators/openapi/index';
import { getPointer, sanitizeSchema } from '../../playground/emulators/openapi/schema';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The repo's generated spec subsets. */
export function specsDir(): string {
  return SPECS_DIR;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

export interface SpecOperation {
  /** Upper case. */
  method: string;
  /** The spec's path key, e.g. `/v1/orgs/{orgId}`. */
  template: string;
  /** The path as served: server prefix + template, e.g. `/admin/v1/orgs/{orgId}`. */
  servedTemplate: string;
  operationId?: string;
  /** JSON pointer of the operation object in the spec. */
  pointer: string;
}

export interface MatchedCall {
  op: SpecOperation;
  pathParams: Record<string, string>;
}

/** A call as `recordingFetch` saw it. */
export interface RecordedCall {
  method: string;
  url: string;
  /** The request body, parsed as JSON when it is JSON. */
  body?: unknown;
  status?: number;
  responseBody?: unknown;
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const pointerOf = (...segments: string[]) => `#/${segments.map(escapePointer).join('/')}`;
const split = (p: string) => p.split('/').filter((s) => s !== '');
const isParam = (seg: string) => /^\{[^}]+\}$/.test(seg);

export class OpenApiSpec {
  readonly prefix: string;
  readonly operations: SpecOperation[] = [];
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(
    readonly doc: Json,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? OpenApiSpec.serverPrefix(doc);
    const paths = isObject(doc.paths) ? doc.paths : {};
    for (const [template, item] of Object.entries(paths)) {
      if (!isObject(item)) continue;
      for (const m of METHODS) {
        const op = item[m];
        if (!isObject(op)) continue;
        this.operations.push({
          method: m.toUpperCase(),
          template,
          servedTemplate: `${this.prefix}${template}`,
          operationId: typeof op.operationId === 'string' ? op.operationId : undefined,
          pointer: pointerOf('paths', template, m),
        });
      }
    }
    this.ajv = new Ajv({
      strict: false,
      allErrors: true,
      validateSchema: false,
      allowUnionTypes: true,
      logger: { log: () => undefined, warn: () => undefined, error: (...a: unknown[]) => console.error(...a) },
    });
    addFormats(this.ajv);
    this.ajv.addSchema(sanitizeSchema(doc, 'request') as Json, 'request');
    this.ajv.addSchema(sanitizeSchema(doc, 'response') as Json, 'response');
  }

  /** Loads `<specsDir>/<fileName>`. */
  static load(fileName: string, options: { prefix?: string } = {}): OpenApiSpec {
    const file = path.join(specsDir(), fileName);
    return new OpenApiSpec(JSON.parse(readFileSync(file, 'utf8')) as Json, options);
  }

  /** The path part of the first server URL (`https://api.atlassian.com/admin` → `/admin`). */
  static serverPrefix(doc: Json): string {
    const servers = Array.isArray(doc.servers) ? doc.servers : [];
    const first = servers.find(isObject);
    if (!first || typeof first.url !== 'string') return '';
    try {
      return new URL(first.url.replace(/\{[^}]+\}/g, 'x')).pathname.replace(/\/+$/, '');
    } catch {
      return '';
    }
  }

  /** The operation for a method and a served path template (parameter names don't matter). */
  findByTemplate(method: string, servedTemplate: string): SpecOperation | undefined {
    const want = split(servedTemplate);
    return this.operations.find((op) => {
      if (op.method !== method.toUpperCase()) return false;
      const have = split(op.servedTemplate);
      return have.length === want.length && have.every((s, i) => (isParam(s) && isParam(want[i])) || s === want[i]);
    });
  }

  /** The operation a concrete call hits (literal segments win over parameters), if any. */
  match(method: string, url: string): MatchedCall | undefined {
    const pathname = new URL(url, 'http://placeholder.invalid').pathname;
    const segs = split(pathname);
    let best: (MatchedCall & { literals: number }) | undefined;
    for (const op of this.operations) {
      if (op.method !== method.toUpperCase()) continue;
      const tpl = split(op.servedTemplate);
      if (tpl.length !== segs.length) continue;
      const pathParams: Record<string, string> = {};
      let literals = 0;
      let ok = true;
      for (let i = 0; i < tpl.length && ok; i++) {
        if (isParam(tpl[i])) {
          try {
            pathParams[tpl[i].slice(1, -1)] = decodeURIComponent(segs[i]);
          } catch {
            ok = false;
          }
        } else if (tpl[i] === segs[i]) literals++;
        else ok = false;
      }
      if (ok && (!best || literals > best.literals)) best = { op, pathParams, literals };
    }
    return best ? { op: best.op, pathParams: best.pathParams } : undefined;
  }

  private resolve(pointer: string): { pointer: string; value: unknown } {
    let p = pointer;
    let value = getPointer(this.doc, p);
    for (let i = 0; i < 10 && isObject(value) && typeof value.$ref === 'string'; i++) {
      p = value.$ref;
      value = getPointer(this.doc, p);
    }
    return { pointer: p, value };
  }

  private validator(pointer: string, direction: 'request' | 'response'): ValidateFunction {
    const key = `${direction}:${pointer}`;
    let v = this.validators.get(key);
    if (!v) {
      const fragment = pointer
        .replace(/^#/, '')
        .split('/')
        .map((s) => encodeURIComponent(s))
        .join('/');
      v = this.ajv.compile({ $ref: `${direction}#${fragment}` });
      this.validators.set(key, v);
    }
    return v;
  }

  private validate(pointer: string, value: unknown, label: string, direction: 'request' | 'response' = 'request'): string[] {
    const v = this.validator(pointer, direction);
    if (v(value)) return [];
    return (v.errors ?? []).map((e) => `${label}${e.instancePath || ''} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  }

  private parameters(op: SpecOperation): Array<{ name: string; in: string; required: boolean; schemaPointer?: string; schema?: Json }> {
    const opPointer = op.pointer;
    const itemPointer = opPointer.slice(0, opPointer.lastIndexOf('/'));
    const out = new Map<string, { name: string; in: string; required: boolean; schemaPointer?: string; schema?: Json }>();
    for (const holder of [itemPointer, opPointer]) {
      const list = getPointer(this.doc, `${holder}/parameters`);
      if (!Array.isArray(list)) continue;
      list.forEach((_, i) => {
        const { pointer, value } = this.resolve(`${holder}/parameters/${i}`);
        if (!isObject(value) || typeof value.name !== 'string' || typeof value.in !== 'string') return;
        const schema = isObject(value.schema) ? value.schema : undefined;
        out.set(`${value.in}:${value.name}`, {
          name: value.name,
          in: value.in,
          required: value.required === true,
          schemaPointer: schema ? `${pointer}/schema` : undefined,
          schema,
        });
      });
    }
    return [...out.values()];
  }

  /** Problems with a call's query string: unknown names, values that don't fit, missing required ones. */
  validateQuery(op: SpecOperation, query: URLSearchParams): string[] {
    const problems: string[] = [];
    const params = this.parameters(op).filter((p) => p.in === 'query');
    for (const p of params) if (p.required && !query.has(p.name)) problems.push(`query parameter \`${p.name}\` is required`);
    for (const name of new Set(query.keys())) {
      const p = params.find((x) => x.name === name);
      if (!p) {
        problems.push(`query parameter \`${name}\` is not defined for ${op.method} ${op.template}`);
        continue;
      }
      if (!p.schemaPointer || !p.schema) continue;
      const resolved = this.resolve(p.schemaPointer).value;
      const schema = isObject(resolved) ? resolved : {};
      const coerce = (raw: string, type: unknown) =>
        type === 'integer' || type === 'number' ? (raw.trim() !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw) : type === 'boolean' ? (raw === 'true' ? true : raw === 'false' ? false : raw) : raw;
      const values = query.getAll(name);
      const value =
        schema.type === 'array'
          ? values.map((v) => coerce(v, isObject(schema.items) ? (this.resolve(`${p.schemaPointer}/items`).value as Json | undefined)?.type : undefined))
          : coerce(values[0], schema.type);
      if (schema.type !== 'array' && values.length > 1) problems.push(`query parameter \`${name}\` is repeated but is not an array`);
      problems.push(...this.validate(p.schemaPointer, value, `query \`${name}\``));
    }
    return problems;
  }

  private jsonContentPointer(holderPointer: string): string | undefined {
    const { pointer, value } = this.resolve(holderPointer);
    if (!isObject(value) || !isObject(value.content)) return undefined;
    const type = Object.keys(value.content).find((t) => /json/i.test(t));
    if (!type) return undefined;
    const media = value.content[type];
    return isObject(media) && media.schema !== undefined ? `${pointer}/content/${escapePointer(type)}/schema` : undefined;
  }

  /** Problems with a JSON request body (undefined = no body sent). */
  validateRequestBody(op: SpecOperation, body: unknown): string[] {
    const rb = this.resolve(`${op.pointer}/requestBody`).value;
    if (!isObject(rb)) return body === undefined ? [] : [`${op.method} ${op.template} takes no request body`];
    if (body === undefined) return rb.required === true ? ['request body is required'] : [];
    // A multipart operation (add attachment) takes form data, which has no JSON schema to check:
    // the text must hold at least one part, each with a field name.
    const types = isObject(rb.content) ? Object.keys(rb.content) : [];
    if (typeof body === 'string' && types.some((t) => /^multipart\/form-data/i.test(t))) {
      return /^--\S+\r\nContent-Disposition: form-data; name="[^"]+"/i.test(body) ? [] : ['request body is not multipart form data'];
    }
    const schemaPointer = this.jsonContentPointer(`${op.pointer}/requestBody`);
    if (!schemaPointer) return ['request body is not JSON for this operation'];
    return this.validate(schemaPointer, body, 'body');
  }

  /** Problems with a response: undocumented status, or a JSON body that doesn't fit the documented schema. */
  validateResponse(op: SpecOperation, status: number, body: unknown): string[] {
    const responses = getPointer(this.doc, `${op.pointer}/responses`);
    if (!isObject(responses)) return [];
    const key = [String(status), `${String(status)[0]}XX`, `${String(status)[0]}xx`, 'default'].find((k) => responses[k] !== undefined);
    if (!key) return [`status ${status} is not documented for ${op.method} ${op.template} (documented: ${Object.keys(responses).join(', ')})`];
    if (body === undefined) return [];
    const schemaPointer = this.jsonContentPointer(`${op.pointer}/responses/${escapePointer(key)}`);
    return schemaPointer ? this.validate(schemaPointer, body, `response ${status}`, 'response') : [];
  }

  /** Every problem with one recorded call ([] when it conforms). Responses are checked when `responses` is set. */
  checkCall(call: RecordedCall, options: { responses?: boolean } = {}): string[] {
    const m = this.match(call.method, call.url);
    const where = `${call.method} ${new URL(call.url, 'http://placeholder.invalid').pathname}`;
    if (!m) {
      const other = this.operations.filter((op) => this.match(op.method, call.url)?.op === op).map((op) => op.method);
      return [`${where}: no operation in the spec${other.length ? ` for this method (the path exists for ${other.join(', ')})` : ''}`];
    }
    const url = new URL(call.url, 'http://placeholder.invalid');
    const problems = [...this.validateQuery(m.op, url.searchParams), ...this.validateRequestBody(m.op, call.body)];
    if (options.responses && call.status !== undefined) problems.push(...this.validateResponse(m.op, call.status, call.responseBody));
    return problems.map((p) => `${where} (${m.op.operationId ?? m.op.template}): ${p}`);
  }
}

/** Wraps a fetch so every call (and its response) is recorded. */
export function recordingFetch(inner: (url: string, init: RequestInit) => Promise<Response> = (u, i) => fetch(u, i)): {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  calls: RecordedCall[];
} {
  const calls: RecordedCall[] = [];
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
  return {
    calls,
    fetch: async (url, init) => {
      const call: RecordedCall = {
        method: (init.method ?? 'GET').toUpperCase(),
        url,
        body: typeof init.body === 'string' && init.body !== '' ? parse(init.body) : undefined,
      };
      calls.push(call);
      const res = await inner(url, init);
      call.status = res.status;
      const text = await res.clone().text();
      call.responseBody = text === '' ? undefined : parse(text);
      return res;
    },
  };
}
