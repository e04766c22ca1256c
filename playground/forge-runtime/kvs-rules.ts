/**
 * The Forge KVS / Custom Entity Store emulator's rules, without HTTP or storage: the documented limits, key,
 * value, TTL and filter validation, custom-entity attribute and definition checks, cursors, and the store's error
 * (`{code, message}`). kvs-emulator.ts applies them to the SQLite store and serves them over HTTP.
 */

export const KVS_LIMITS = {
  keyChars: 500,
  valueBytes: 240 * 1024,
  depth: 31,
  transactionOps: 25,
  transactionBytes: 4 * 1024 * 1024,
  batchItems: 25,
  pageSize: 100,
  defaultPageSize: 10,
  ttlMaxMs: 365 * 24 * 3600 * 1000,
} as const;

export const KEY_PATTERN = /^(?!\s+$)[a-zA-Z0-9:._\s-#]+$/;

/** Custom entity limits ("Storage limits", Custom Entity Store; `@forge/manifest` StorageValidator). */
export const ENTITY_LIMITS = {
  int32Min: -2_147_483_648,
  int32Max: 2_147_483_647,
  attributes: 50,
  attributeNameChars: 30,
  indexes: 7,
  indexNameMinChars: 3,
  indexNameMaxChars: 50,
  rangeBytes: 900,
  partitionBytes: 1700,
} as const;

/**
 * How the store answers a lost race. `raw` sends that text instead of a JSON body (the client then
 * reports `UNKNOWN_ERROR` with the status).
 */
export interface ConflictAnswer {
  status: number;
  code?: string;
  message?: string;
  raw?: string;
}

/**
 * Guesses (no page documents them): `@forge/storage` (the legacy client) names HTTP 409 "Conflicting
 * update occurred", and a published field test of `FAIL_IF_EXISTS` (forge/kvs 1.3+) saw 409
 * `KEY_CONFLICT` for every losing writer.
 */
export const DEFAULT_CONFLICT_ANSWERS: { condition: ConflictAnswer; keyExists: ConflictAnswer } = {
  condition: { status: 409, code: 'CONFLICT', message: 'Conflicting update occurred' },
  keyExists: { status: 409, code: 'KEY_CONFLICT', message: 'The key already exists.' },
};
export const ENTITY_NAME_PATTERN = /^(?![.-])(?!.*\.{2})[a-z0-9:\-.]*(?<![.])$/;

export type AttributeType = 'string' | 'integer' | 'float' | 'boolean' | 'any';

/** Custom entity definition, as in the manifest's `app.storage.entities`. */
export interface EntityDefinition {
  attributes?: Record<string, { type: AttributeType }>;
  indexes?: Array<string | { name: string; range: string[]; partition?: string[] }>;
}

export interface KvsEmulatorOptions {
  /** SQLite file path; `:memory:` (default) for tests. */
  path?: string;
  /** Bearer token every request must carry (the runtime's proxy token). */
  token: string;
  now?: () => number;
  entities?: Record<string, EntityDefinition>;
  port?: number;
  /** How lost races are answered (default `DEFAULT_CONFLICT_ANSWERS`). */
  conflicts?: Partial<typeof DEFAULT_CONFLICT_ANSWERS>;
}

export interface KvsRequestLogEntry {
  path: string;
  status: number;
  code?: string;
}

export interface KvsEmulator {
  url: string;
  /** Value for the `Host` header @forge/kvs sends (`__forge_runtime__.kvs.host`). */
  host: string;
  requests: KvsRequestLogEntry[];
  /** Reads a stored value directly (no HTTP), or undefined. */
  peek(key: string, where?: { entityName?: string; secret?: boolean }): unknown;
  /** All live plain keys (not secrets, not entities), sorted. */
  keys(): string[];
  close(): Promise<void>;
  /** Changes how lost races are answered (`null` restores the defaults). */
  setConflictAnswers(answers: Partial<typeof DEFAULT_CONFLICT_ANSWERS> | null): void;
}

export type Space = 'kv' | 'secret' | 'entity';

export interface Row {
  space: string;
  entity: string;
  key: string;
  value: string;
  created_at: number;
  updated_at: number;
  expire_at: number | null;
}

export class KvsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly context?: Record<string, unknown>,
    /** Sent as the body instead of `{code, message}` (an answer the client cannot parse). */
    readonly raw?: string,
  ) {
    super(message);
  }
}

export const conflictError = (answer: ConflictAnswer, fallbackMessage: string, context?: Record<string, unknown>) =>
  new KvsError(answer.status, answer.code ?? 'UNKNOWN_ERROR', answer.message ?? fallbackMessage, context, answer.raw);

export const bad = (code: string, message: string, context?: Record<string, unknown>) => new KvsError(400, code, message, context);

export type Filter = { property: string; condition: string; values: unknown[] };
export type FilterGroup = { and?: Filter[]; or?: Filter[] };

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + v.reduce<number>((m, c) => Math.max(m, depthOf(c)), 0);
  if (isPlainObject(v)) return 1 + Object.values(v).reduce<number>((m, c) => Math.max(m, depthOf(c)), 0);
  return 0;
}

export function validateKey(key: unknown, entity = false): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw entity ? bad('EMPTY_KEY', 'Key cannot be empty.') : bad('KEY_TOO_SHORT', 'The provided key needs to be at least one character.');
  }
  if (key.length > KVS_LIMITS.keyChars) throw bad('KEY_TOO_LONG', `The provided key has exceeded the maximum ${KVS_LIMITS.keyChars} characters.`);
  if (!KEY_PATTERN.test(key)) throw bad('INVALID_KEY', `The provided key does not match the regex: ${KEY_PATTERN}`);
  return key;
}

export function validateValue(value: unknown): string {
  if (value === undefined) throw bad('BAD_REQUEST', 'A value is required.');
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json, 'utf8') > KVS_LIMITS.valueBytes) {
    throw bad('MAX_SIZE', `The provided value has exceeded the maximum size limit (${KVS_LIMITS.valueBytes} bytes).`);
  }
  if (depthOf(value) > KVS_LIMITS.depth) throw bad('MAX_DEPTH', `The provided value has exceeded the maximum object depth (${KVS_LIMITS.depth}).`);
  return json;
}

export const TTL_UNITS: Record<string, number> = { SECONDS: 1000, MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000 };

export function ttlMs(options: unknown): number | null {
  if (!isPlainObject(options) || options.ttl === undefined) return null;
  const ttl = options.ttl;
  if (!isPlainObject(ttl) || typeof ttl.value !== 'number' || !Number.isInteger(ttl.value) || ttl.value <= 0 || !(String(ttl.unit) in TTL_UNITS)) {
    throw bad('INVALID_TTL', 'ttl must be {value: positive integer, unit: SECONDS|MINUTES|HOURS|DAYS}.');
  }
  const ms = ttl.value * TTL_UNITS[String(ttl.unit)]!;
  if (ms > KVS_LIMITS.ttlMaxMs) throw bad('INVALID_TTL', 'The maximum supported TTL is 1 year.');
  return ms;
}

export function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/**
 * Evaluates one condition against an attribute value (`undefined` when absent). An absent
 * attribute satisfies only NOT_EXISTS, NOT_EQUAL_TO and NOT_CONTAINS.
 */
export function evaluate(f: Filter, v: unknown): boolean {
  const [x, y] = f.values;
  switch (f.condition) {
    case 'EXISTS':
      return v !== undefined;
    case 'NOT_EXISTS':
      return v === undefined;
    case 'EQUAL_TO':
      return v !== undefined && v === x;
    case 'NOT_EQUAL_TO':
      return v === undefined || v !== x;
    case 'BEGINS_WITH':
      return typeof v === 'string' && v.startsWith(String(x));
    case 'CONTAINS':
      return (typeof v === 'string' && v.includes(String(x))) || (Array.isArray(v) && v.includes(x));
    case 'NOT_CONTAINS':
      return !((typeof v === 'string' && v.includes(String(x))) || (Array.isArray(v) && v.includes(x)));
    case 'GREATER_THAN':
      return v !== undefined && compare(v, x) > 0;
    case 'GREATER_THAN_EQUAL_TO':
      return v !== undefined && compare(v, x) >= 0;
    case 'LESS_THAN':
      return v !== undefined && compare(v, x) < 0;
    case 'LESS_THAN_EQUAL_TO':
      return v !== undefined && compare(v, x) <= 0;
    case 'BETWEEN':
      return v !== undefined && compare(v, x) >= 0 && compare(v, y) <= 0;
    default:
      throw bad('INVALID_FILTER_CONDITION', `The condition ${f.condition} is not supported.`);
  }
}

export const CONDITION_ARITY: Record<string, number> = {
  EXISTS: 1,
  NOT_EXISTS: 1,
  EQUAL_TO: 1,
  NOT_EQUAL_TO: 1,
  BEGINS_WITH: 1,
  CONTAINS: 1,
  NOT_CONTAINS: 1,
  GREATER_THAN: 1,
  GREATER_THAN_EQUAL_TO: 1,
  LESS_THAN: 1,
  LESS_THAN_EQUAL_TO: 1,
  BETWEEN: 2,
};

export function validateFilter(f: unknown): Filter {
  if (!isPlainObject(f) || typeof f.property !== 'string' || typeof f.condition !== 'string' || !Array.isArray(f.values)) {
    throw bad('BAD_REQUEST', 'A condition needs {property, condition, values}.');
  }
  const arity = CONDITION_ARITY[f.condition];
  if (arity === undefined) throw bad('INVALID_FILTER_CONDITION', `The condition ${f.condition} is not supported.`);
  if (f.values.length !== arity) {
    throw arity === 2
      ? bad('INSUFFICIENT_FILTER_VALUES', `The condition ${f.condition} needs ${arity} values.`)
      : bad('INVALID_FILTER_VALUES', `The condition ${f.condition} takes ${arity} value.`);
  }
  return f as unknown as Filter;
}

export function validateGroup(g: unknown): FilterGroup {
  if (!isPlainObject(g)) throw bad('BAD_REQUEST', 'conditions must be {and:[...]} or {or:[...]}.');
  if (g.and !== undefined && g.or !== undefined) {
    throw bad('INVALID_FILTER_OPERATORS_COMBINATION', 'Filter operators "and" and "or" cannot be present at the same level.');
  }
  const list = (g.and ?? g.or) as unknown;
  if (!Array.isArray(list) || list.length === 0) throw bad('EMPTY_FILTER_OPERATOR', 'Filter operators "and" and "or" cannot be empty.');
  const filters = list.map(validateFilter);
  return g.and !== undefined ? { and: filters } : { or: filters };
}

export function matchesGroup(g: FilterGroup, value: unknown): boolean {
  const attr = (p: string) => (isPlainObject(value) ? value[p] : undefined);
  if (g.and) return g.and.every((f) => evaluate(f, attr(f.property)));
  return (g.or ?? []).some((f) => evaluate(f, attr(f.property)));
}

/**
 * Why `v` is not a valid value of an attribute of `type`, or null. The store "strictly enforces"
 * attribute types ("Defining custom entities"); `string` must not be empty and only `any` takes null.
 */
export function attributeProblem(type: AttributeType, v: unknown): string | null {
  if (v === undefined) return 'is undefined';
  if (type === 'any') return null;
  if (v === null) return `is null (only \`any\` attributes may be null)`;
  switch (type) {
    case 'string':
      if (typeof v !== 'string') return 'is not a string';
      return v.length === 0 ? 'is an empty string' : null;
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) return 'is not an integer';
      return v < ENTITY_LIMITS.int32Min || v > ENTITY_LIMITS.int32Max
        ? `is outside the 32-bit signed integer range (${ENTITY_LIMITS.int32Min}..${ENTITY_LIMITS.int32Max})`
        : null;
    case 'float':
      return typeof v === 'number' && Number.isFinite(v) ? null : 'is not a finite number';
    case 'boolean':
      return typeof v === 'boolean' ? null : 'is not a boolean';
    default:
      return `has an unknown type \`${String(type)}\``;
  }
}

/** Whether a condition or range value can be compared with an attribute of `type` (same JSON type). */
export function comparable(type: AttributeType | undefined, v: unknown): boolean {
  switch (type) {
    case undefined:
    case 'any':
      return true;
    case 'string':
      return typeof v === 'string';
    case 'integer':
    case 'float':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
  }
}

export const byteSize = (v: unknown) => Buffer.byteLength(typeof v === 'string' ? v : JSON.stringify(v) ?? '', 'utf8');

export const ATTRIBUTE_TYPES: AttributeType[] = ['string', 'integer', 'float', 'boolean', 'any'];
export const ATTRIBUTE_NAME = /^[a-zA-Z][a-zA-Z0-9_]*$/;
export const INDEX_NAME = /^(?!\.)(?!.*\.\.)[a-zA-Z0-9:_.-]+(?<!\.)$/;

/**
 * Checks entity definitions as `forge deploy` does (manifest schema and `@forge/manifest`'s
 * StorageValidator; index names per "Storage limits"). Throws on the first problem.
 */
export function validateEntityDefinitions(entities: Record<string, EntityDefinition>): void {
  for (const [name, def] of Object.entries(entities)) {
    if (name.length < 3 || name.length > 60 || !ENTITY_NAME_PATTERN.test(name)) throw new Error(`entity \`${name}\`: invalid name`);
    const attrs = def.attributes ?? {};
    const attrNames = Object.keys(attrs);
    if (attrNames.length === 0) throw new Error(`entity \`${name}\`: must declare at least one attribute`);
    if (attrNames.length > ENTITY_LIMITS.attributes) throw new Error(`entity \`${name}\`: more than ${ENTITY_LIMITS.attributes} attributes`);
    for (const [attr, { type }] of Object.entries(attrs)) {
      if (!ATTRIBUTE_NAME.test(attr) || attr.length > ENTITY_LIMITS.attributeNameChars) throw new Error(`entity \`${name}\`: invalid attribute name \`${attr}\``);
      if (!ATTRIBUTE_TYPES.includes(type)) throw new Error(`entity \`${name}\` attribute \`${attr}\`: type must be one of ${ATTRIBUTE_TYPES.join('|')}, got \`${String(type)}\``);
    }
    const indexes = def.indexes ?? [];
    if (indexes.length > ENTITY_LIMITS.indexes) throw new Error(`entity \`${name}\`: more than ${ENTITY_LIMITS.indexes} indexes`);
    const seen = new Set<string>();
    for (const index of indexes) {
      const { name: indexName, range, partition } = typeof index === 'string' ? { name: index, range: [index], partition: [] } : { partition: [], ...index };
      if (indexName === 'by-key') throw new Error(`entity \`${name}\`: \`by-key\` is a reserved index name`);
      if (indexName.length < ENTITY_LIMITS.indexNameMinChars || indexName.length > ENTITY_LIMITS.indexNameMaxChars || !INDEX_NAME.test(indexName)) {
        throw new Error(`entity \`${name}\`: invalid index name \`${indexName}\``);
      }
      if (seen.has(indexName)) throw new Error(`entity \`${name}\`: index \`${indexName}\` declared twice`);
      seen.add(indexName);
      for (const attr of [...range, ...partition]) {
        if (!(attr in attrs)) throw new Error(`entity \`${name}\` index \`${indexName}\`: \`${attr}\` is not an attribute of the entity`);
      }
    }
  }
}

export const encodeCursor = (n: number) => Buffer.from(JSON.stringify({ o: n })).toString('base64url');
export function decodeCursor(c: unknown): number {
  if (c === undefined || c === null || c === '') return 0;
  try {
    const o = JSON.parse(Buffer.from(String(c), 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof o.o === 'number' && o.o >= 0) return o.o;
  } catch {
    /* fall through */
  }
  throw bad('INVALID_CURSOR', 'The cursor is not valid.');
}
