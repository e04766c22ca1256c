/**
 * A generic OpenAPI 3.0 request validator: which operation a method + path is, and every way a request breaks
 * what that operation allows (path, query and header parameters, content type, JSON body). It knows nothing of
 * Atlassian's error shapes; `refusals.ts` turns its verdicts into each API's answer.
 *
 *   const v = new OpenApiRequestValidator(JSON.parse(fs.readFileSync('specs/jira-platform.subset.json', 'utf8')));
 *   const verdict = v.check({ method: 'POST', url: '/rest/api/3/issue/JIT-1/comment', headers, body: '{"body":…}' });
 *   // verdict.kind: 'ok' | 'invalid' (with problems) | 'unknownPath' | 'wrongMethod' | 'notEmulated'
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ajvFragment, escapePointer, getPointer, isObject, pointerOf, resolvePointer, sanitizeSchema, type Json } from './schema';
import { RouteTable } from '../../http/router';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface SpecOperation {
  /** Upper case. */
  method: string;
  /** The spec's path key, e.g. `/v1/orgs/{orgId}`. */
  template: string;
  /** Server prefix + template, as requests arrive: `/admin/v1/orgs/{orgId}`. */
  servedTemplate: string;
  operationId?: string;
  /** JSON pointer of the operation object. */
  pointer: string;
}

export interface ParameterSpec {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  /** Pointer of the parameter's schema (after `$ref`s), when it has one. */
  schemaPointer?: string;
  style: string;
  explode: boolean;
}

/** What a request is, as the validator sees it. `body` is the raw text ('' when none). */
export interface IncomingRequest {
  method: string;
  /** Path and query, as on the request line (`/rest/api/3/user?accountId=…`), or an absolute URL. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Where a problem is: a parameter (with its name), the content type, or the body (with a JSON path). */
export type ProblemLocation = { in: 'path' | 'query' | 'header'; name: string } | { in: 'contentType' } | { in: 'body'; path: string };

export interface Problem {
  at: ProblemLocation;
  /** Lower case, no final period; names and values in backticks. */
  message: string;
}

export type Verdict =
  | { kind: 'ok'; op: SpecOperation; pathParams: Record<string, string>; body?: unknown }
  | { kind: 'invalid'; op: SpecOperation; problems: Problem[] }
  /** Refused before any parameter is looked at, by a rule of the operation's description (`requireHeader`). */
  | { kind: 'forbidden'; op: SpecOperation; status: number; message: string }
  /** No kept path matches: Atlassian has no such resource (or the subset does not hold it). */
  | { kind: 'unknownPath'; pathname: string }
  /** The path exists but not with this method. */
  | { kind: 'wrongMethod'; pathname: string; allowed: string[] }
  /** Atlassian's full spec has this method on the path, but the generated subset left it out. */
  | { kind: 'notEmulated'; pathname: string; template: string };

/**
 * A documented rule the spec's parameter list does not express (it sits in an operation's description), or a
 * statement of the spec the validator does not enforce. Each one is a line in docs/platform-rules.md.
 */
export type ValidatorAmendment =
  | { kind: 'requireHeader'; method: string; template: string; header: string; value: string; status: number; message: string }
  | { kind: 'ignoreFormat'; method: string; template: string; parameter: string; format: string };

const mediaType = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();

/** `instancePath` `/a/0/b` → `a[0].b`; '' for the root. */
function jsonPath(instancePath: string, extra?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

/** One Ajv error as a sentence about `subject`. */
function describe(e: ErrorObject, subject: string): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${subject ? `${subject}: ` : ''}\`${String(p.missingProperty)}\` is required`;
    case 'additionalProperties':
      return `${subject ? `${subject}: ` : ''}\`${String(p.additionalProperty)}\` is not allowed`;
    case 'enum':
      return `${subject} must be one of ${(p.allowedValues as unknown[]).map((v) => `\`${String(v)}\``).join(', ')}`;
    case 'false schema':
      return `${subject} is read-only and may not be sent`;
    default:
      return `${subject} ${e.message ?? 'is invalid'}`;
  }
}

export class OpenApiRequestValidator {
  readonly prefix: string;
  readonly operations: SpecOperation[] = [];
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  /** Every kept path (server prefix + template), whatever its methods: the value is the template. */
  private readonly paths = new RouteTable<string>();
  private readonly otherMethods: Record<string, string[]>;

  constructor(
    readonly doc: Json,
    private readonly amendments: readonly ValidatorAmendment[] = [],
  ) {
    this.prefix = OpenApiRequestValidator.serverPrefix(doc);
    const paths = isObject(doc.paths) ? doc.paths : {};
    for (const [template, item] of Object.entries(paths)) {
      if (!isObject(item)) continue;
      this.paths.add('GET', `${this.prefix}${template}`, template);
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
    const generated = isObject(doc['x-generated']) ? doc['x-generated'] : {};
    this.otherMethods = isObject(generated.otherMethodsOnKeptPaths) ? (generated.otherMethodsOnKeptPaths as Record<string, string[]>) : {};
    for (const a of amendments) {
      if (!this.operations.some((o) => o.method === a.method && o.template === a.template)) {
        throw new Error(`validator amendment for \`${a.method} ${a.template}\`: no such operation in the spec`);
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

  /**
   * Which kept path a concrete path is, by the shared router (a literal segment beats a parameter, so
   * `/groups/search` beats `/groups/{groupId}`), then the method on it. A path parameter never matches an empty segment.
   */
  route(method: string, pathname: string): Exclude<Verdict, { kind: 'ok' | 'invalid' | 'forbidden' }> | { kind: 'match'; op: SpecOperation; pathParams: Record<string, string> } {
    const found = this.paths.lookup('GET', pathname);
    const best = found.kind === 'match' ? { template: found.value, params: found.params } : undefined;
    if (!best) return { kind: 'unknownPath', pathname };
    const op = this.operations.find((o) => o.template === best.template && o.method === method.toUpperCase());
    if (op) return { kind: 'match', op, pathParams: best.params };
    if ((this.otherMethods[best.template] ?? []).includes(method.toLowerCase())) return { kind: 'notEmulated', pathname, template: best.template };
    const allowed = [
      ...this.operations.filter((o) => o.template === best.template).map((o) => o.method),
      ...(this.otherMethods[best.template] ?? []).map((m) => m.toUpperCase()),
    ];
    return { kind: 'wrongMethod', pathname, allowed };
  }

  /** Path-level and operation-level parameters of an operation (the operation's win), `$ref`s resolved. */
  parameters(op: SpecOperation): ParameterSpec[] {
    const itemPointer = op.pointer.slice(0, op.pointer.lastIndexOf('/'));
    const out = new Map<string, ParameterSpec>();
    for (const holder of [itemPointer, op.pointer]) {
      const list = getPointer(this.doc, `${holder}/parameters`);
      if (!Array.isArray(list)) continue;
      list.forEach((_, i) => {
        const { pointer, value } = resolvePointer(this.doc, `${holder}/parameters/${i}`);
        if (!isObject(value) || typeof value.name !== 'string' || typeof value.in !== 'string') return;
        const where = value.in as ParameterSpec['in'];
        const style = typeof value.style === 'string' ? value.style : where === 'query' || where === 'cookie' ? 'form' : 'simple';
        if (!['form', 'simple'].includes(style)) throw new Error(`parameter \`${value.name}\` of ${op.method} ${op.template}: style \`${style}\` is not supported`);
        out.set(`${where}:${where === 'header' ? value.name.toLowerCase() : value.name}`, {
          name: value.name,
          in: where,
          required: value.required === true || where === 'path',
          schemaPointer: value.schema === undefined ? undefined : resolvePointer(this.doc, `${pointer}/schema`).pointer,
          style,
          explode: typeof value.explode === 'boolean' ? value.explode : style === 'form',
        });
      });
    }
    return [...out.values()];
  }

  private validator(pointer: string): ValidateFunction {
    let v = this.validators.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `request#${ajvFragment(pointer)}` });
      this.validators.set(pointer, v);
    }
    return v;
  }

  /** The schema at a pointer with the amendments of this parameter applied (only `ignoreFormat` for now). */
  private parameterValidator(op: SpecOperation, p: ParameterSpec): ValidateFunction | undefined {
    if (!p.schemaPointer) return undefined;
    const ignored = this.amendments.filter(
      (a): a is Extract<ValidatorAmendment, { kind: 'ignoreFormat' }> =>
        a.kind === 'ignoreFormat' && a.method === op.method && a.template === op.template && a.parameter === p.name,
    );
    if (ignored.length === 0) return this.validator(p.schemaPointer);
    const key = `${op.pointer}|${p.in}:${p.name}|amended`;
    let v = this.validators.get(key);
    if (!v) {
      const schema = structuredClone(sanitizeSchema(getPointer(this.doc, p.schemaPointer), 'request')) as Json;
      for (const a of ignored) if (schema.format === a.format) delete schema.format;
      v = this.ajv.compile(schema);
      this.validators.set(key, v);
    }
    return v;
  }

  private schemaType(pointer: string | undefined): unknown {
    if (!pointer) return undefined;
    const s = resolvePointer(this.doc, pointer).value;
    return isObject(s) ? s.type : undefined;
  }

  /** A parameter's raw text as the JSON value its schema types (`'5'` → 5 for an integer); unparsable text stays text. */
  private coerce(raw: string, type: unknown): unknown {
    if (type === 'integer') return /^-?\d+$/.test(raw) ? Number(raw) : raw;
    if (type === 'number') return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
    return raw;
  }

  private checkValue(op: SpecOperation, p: ParameterSpec, raws: string[], problems: Problem[]): void {
    const at = { in: p.in as 'path' | 'query' | 'header', name: p.name };
    const schema = p.schemaPointer ? resolvePointer(this.doc, p.schemaPointer).value : undefined;
    const isArray = isObject(schema) && schema.type === 'array';
    let value: unknown;
    if (isArray) {
      const itemsPointer = p.schemaPointer && isObject(schema.items) ? resolvePointer(this.doc, `${p.schemaPointer}/items`).pointer : undefined;
      const items = p.explode ? raws : raws.flatMap((r) => r.split(','));
      value = items.map((r) => this.coerce(r, this.schemaType(itemsPointer)));
    } else {
      if (raws.length > 1) {
        problems.push({ at, message: `${p.in} parameter \`${p.name}\` is given ${raws.length} times but takes one value` });
        return;
      }
      value = this.coerce(raws[0]!, isObject(schema) ? schema.type : undefined);
    }
    const v = this.parameterValidator(op, p);
    if (v && !v(value)) {
      for (const e of v.errors ?? []) {
        const item = e.instancePath ? ` item ${e.instancePath.slice(1)}` : '';
        problems.push({ at, message: describe(e, `${p.in} parameter \`${p.name}\`${item}`) });
      }
    }
  }

  /** The verdict on one request. */
  check(req: IncomingRequest): Verdict {
    const url = new URL(req.url, 'http://emulator.invalid');
    const routed = this.route(req.method, url.pathname);
    if (routed.kind !== 'match') return routed;
    const { op, pathParams } = routed;
    const refused = this.requiredHeaderRefusal(op, req.headers);
    if (refused) return { kind: 'forbidden', op, ...refused };
    const problems: Problem[] = [];
    const params = this.parameters(op);

    for (const p of params.filter((x) => x.in === 'path')) {
      const raw = pathParams[p.name];
      if (raw === undefined) throw new Error(`${op.method} ${op.template}: path parameter \`${p.name}\` is not in the template`);
      this.checkValue(op, p, [raw], problems);
    }

    const query = url.searchParams;
    const queryParams = params.filter((x) => x.in === 'query');
    for (const p of queryParams) {
      if (p.required && !query.has(p.name)) problems.push({ at: { in: 'query', name: p.name }, message: `query parameter \`${p.name}\` is required` });
    }
    for (const name of new Set(query.keys())) {
      const p = queryParams.find((x) => x.name === name);
      if (!p) problems.push({ at: { in: 'query', name }, message: `query parameter \`${name}\` is not defined for this operation` });
      else this.checkValue(op, p, query.getAll(name), problems);
    }

    const header = (name: string): string | undefined => {
      const v = req.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    for (const p of params.filter((x) => x.in === 'header')) {
      const raw = header(p.name);
      if (raw === undefined) {
        if (p.required) problems.push({ at: { in: 'header', name: p.name }, message: `header \`${p.name}\` is required` });
      } else this.checkValue(op, p, [raw], problems);
    }

    const body = this.checkBody(op, req.body, header('content-type'), problems);
    if (problems.length) return { kind: 'invalid', op, problems };
    return { kind: 'ok', op, pathParams, ...(body === undefined ? {} : { body }) };
  }

  /** Requirements written in an operation's description (see `ValidatorAmendment`). */
  private requiredHeaderRefusal(op: SpecOperation, headers: IncomingRequest['headers']): { status: number; message: string } | undefined {
    for (const a of this.amendments) {
      if (a.kind !== 'requireHeader' || a.method !== op.method || a.template !== op.template) continue;
      const v = headers[a.header.toLowerCase()];
      const value = Array.isArray(v) ? v.join(', ') : v;
      if (value?.trim().toLowerCase() !== a.value.toLowerCase()) return { status: a.status, message: a.message };
    }
    return undefined;
  }

  /** Checks the body; returns the parsed JSON body when there is one. */
  private checkBody(op: SpecOperation, raw: string, contentType: string | undefined, problems: Problem[]): unknown {
    const present = raw.trim().length > 0;
    const { pointer: rbPointer, value: rb } = resolvePointer(this.doc, `${op.pointer}/requestBody`);
    if (!isObject(rb)) {
      if (present) problems.push({ at: { in: 'body', path: '' }, message: 'this operation takes no request body' });
      return undefined;
    }
    const content = isObject(rb.content) ? rb.content : {};
    const schemaPointerOf = (type: string) => (isObject(content[type]) && (content[type] as Json).schema !== undefined ? `${rbPointer}/content/${escapePointer(type)}/schema` : undefined);
    if (!present) {
      if (rb.required === true) {
        problems.push({ at: { in: 'body', path: '' }, message: 'a request body is required' });
        return undefined;
      }
      // The spec leaves the body optional, but a body schema with required properties cannot be satisfied by no body.
      const jsonType = Object.keys(content).find((t) => /json/i.test(t));
      const schema = jsonType ? resolvePointer(this.doc, schemaPointerOf(jsonType) ?? '#/nothing').value : undefined;
      if (isObject(schema) && Array.isArray(schema.required) && schema.required.length > 0) {
        problems.push({ at: { in: 'body', path: '' }, message: `a request body is required (with ${schema.required.map((r) => `\`${String(r)}\``).join(', ')})` });
      }
      return undefined;
    }
    const types = Object.keys(content);
    const sent = contentType ? mediaType(contentType) : undefined;
    const chosen = types.find((t) => t === '*/*' || (sent !== undefined && mediaType(t) === sent) || (sent !== undefined && t.endsWith('/*') && sent.startsWith(t.slice(0, -1))));
    if (!chosen) {
      problems.push({
        at: { in: 'contentType' },
        message: `content type \`${contentType ?? '(none)'}\` is not accepted; send ${types.map((t) => `\`${t}\``).join(' or ')}`,
      });
      return undefined;
    }
    if (!/json/i.test(chosen) && chosen !== '*/*') {
      if (/^multipart\//.test(chosen) && !/boundary=/i.test(contentType ?? '')) {
        problems.push({ at: { in: 'contentType' }, message: `content type \`${contentType}\` has no multipart boundary` });
      }
      return undefined; // non-JSON bodies: the media type is all the spec lets us check
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      problems.push({ at: { in: 'body', path: '' }, message: 'the request body is not valid JSON' });
      return undefined;
    }
    const schemaPointer = schemaPointerOf(chosen);
    if (schemaPointer) {
      const v = this.validator(schemaPointer);
      if (!v(parsed)) {
        for (const e of v.errors ?? []) {
          const params = e.params as Json;
          const extra = e.keyword === 'required' ? String(params.missingProperty) : e.keyword === 'additionalProperties' ? String(params.additionalProperty) : undefined;
          const at = jsonPath(e.instancePath, extra);
          const subject = e.keyword === 'required' || e.keyword === 'additionalProperties' ? (e.instancePath ? `\`${jsonPath(e.instancePath)}\`` : '') : `\`${jsonPath(e.instancePath) || 'body'}\``;
          problems.push({ at: { in: 'body', path: at }, message: describe(e, subject) });
        }
      }
    }
    return parsed;
  }
}
