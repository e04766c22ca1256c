/**
 * Forge KVS / Custom Entity Store emulator: an HTTP server that answers the JSON `POST`s the real
 * `@forge/kvs` client sends (`out/storage-api.js`), backed by `node:sqlite`.
 *
 * Paths: /api/v1/get|set|delete|query, /api/v1/batch/get|set|delete, /api/v1/transaction,
 * /api/v1/entity/get|set|delete|query, /api/v1/secret/get|set|delete.
 * Errors: HTTP status with `{code, message}` (the shape `@forge/kvs` turns into `ForgeKvsAPIError`,
 * `out/utils/error-handling.js`).
 *
 * Limits enforced (Forge docs, "Storage limits" / KVS and Custom Entity Store error handling):
 * key ≤ 500 characters matching /^(?!\s+$)[a-zA-Z0-9:._\s-#]+$/, value ≤ 240 KiB (JSON, UTF-8),
 * object depth ≤ 31, TTL ≤ 1 year, query pages ≤ 100, transactions ≤ 25 operations on distinct
 * keys and ≤ 4 MB. Transactions are atomic; conditions are checked before anything is written.
 *
 * Custom entities ("Defining custom entities", "Storage limits"): values hold only the attributes
 * the manifest declares, each of its declared type — `integer` a 32-bit signed integer, `float` a
 * finite number, `boolean`, `string` a non-empty string, `any` any JSON value; `null` only for
 * `any`. Index values are bounded (range ≤ 900 bytes, partition ≤ 1,700 bytes per item), and the
 * entity definitions themselves are checked like `forge deploy` does.
 *
 * Lost races: neither a failed transaction condition nor a `FAIL_IF_EXISTS` set has a documented
 * answer. By default they answer 409 (`CONFLICT` and `KEY_CONFLICT`, see `DEFAULT_CONFLICT_ANSWERS`);
 * `setConflictAnswers` makes the store answer any other way, so tests can prove the app is safe
 * whatever the real store sends.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';

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
const ENTITY_NAME_PATTERN = /^(?![.-])(?!.*\.{2})[a-z0-9:\-.]*(?<![.])$/;

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

type Space = 'kv' | 'secret' | 'entity';

interface Row {
  space: string;
  entity: string;
  key: string;
  value: string;
  created_at: number;
  updated_at: number;
  expire_at: number | null;
}

class KvsError extends Error {
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

const conflictError = (answer: ConflictAnswer, fallbackMessage: string, context?: Record<string, unknown>) =>
  new KvsError(answer.status, answer.code ?? 'UNKNOWN_ERROR', answer.message ?? fallbackMessage, context, answer.raw);

const bad = (code: string, message: string, context?: Record<string, unknown>) => new KvsError(400, code, message, context);

type Filter = { property: string; condition: string; values: unknown[] };
type FilterGroup = { and?: Filter[]; or?: Filter[] };

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + v.reduce<number>((m, c) => Math.max(m, depthOf(c)), 0);
  if (isPlainObject(v)) return 1 + Object.values(v).reduce<number>((m, c) => Math.max(m, depthOf(c)), 0);
  return 0;
}

function validateKey(key: unknown, entity = false): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw entity ? bad('EMPTY_KEY', 'Key cannot be empty.') : bad('KEY_TOO_SHORT', 'The provided key needs to be at least one character.');
  }
  if (key.length > KVS_LIMITS.keyChars) throw bad('KEY_TOO_LONG', `The provided key has exceeded the maximum ${KVS_LIMITS.keyChars} characters.`);
  if (!KEY_PATTERN.test(key)) throw bad('INVALID_KEY', `The provided key does not match the regex: ${KEY_PATTERN}`);
  return key;
}

function validateValue(value: unknown): string {
  if (value === undefined) throw bad('BAD_REQUEST', 'A value is required.');
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json, 'utf8') > KVS_LIMITS.valueBytes) {
    throw bad('MAX_SIZE', `The provided value has exceeded the maximum size limit (${KVS_LIMITS.valueBytes} bytes).`);
  }
  if (depthOf(value) > KVS_LIMITS.depth) throw bad('MAX_DEPTH', `The provided value has exceeded the maximum object depth (${KVS_LIMITS.depth}).`);
  return json;
}

const TTL_UNITS: Record<string, number> = { SECONDS: 1000, MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000 };

function ttlMs(options: unknown): number | null {
  if (!isPlainObject(options) || options.ttl === undefined) return null;
  const ttl = options.ttl;
  if (!isPlainObject(ttl) || typeof ttl.value !== 'number' || !Number.isInteger(ttl.value) || ttl.value <= 0 || !(String(ttl.unit) in TTL_UNITS)) {
    throw bad('INVALID_TTL', 'ttl must be {value: positive integer, unit: SECONDS|MINUTES|HOURS|DAYS}.');
  }
  const ms = ttl.value * TTL_UNITS[String(ttl.unit)]!;
  if (ms > KVS_LIMITS.ttlMaxMs) throw bad('INVALID_TTL', 'The maximum supported TTL is 1 year.');
  return ms;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/**
 * Evaluates one condition against an attribute value (`undefined` when absent). An absent
 * attribute satisfies only NOT_EXISTS, NOT_EQUAL_TO and NOT_CONTAINS.
 */
function evaluate(f: Filter, v: unknown): boolean {
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

const CONDITION_ARITY: Record<string, number> = {
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

function validateFilter(f: unknown): Filter {
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

function validateGroup(g: unknown): FilterGroup {
  if (!isPlainObject(g)) throw bad('BAD_REQUEST', 'conditions must be {and:[...]} or {or:[...]}.');
  if (g.and !== undefined && g.or !== undefined) {
    throw bad('INVALID_FILTER_OPERATORS_COMBINATION', 'Filter operators "and" and "or" cannot be present at the same level.');
  }
  const list = (g.and ?? g.or) as unknown;
  if (!Array.isArray(list) || list.length === 0) throw bad('EMPTY_FILTER_OPERATOR', 'Filter operators "and" and "or" cannot be empty.');
  const filters = list.map(validateFilter);
  return g.and !== undefined ? { and: filters } : { or: filters };
}

function matchesGroup(g: FilterGroup, value: unknown): boolean {
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
function comparable(type: AttributeType | undefined, v: unknown): boolean {
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

const byteSize = (v: unknown) => Buffer.byteLength(typeof v === 'string' ? v : JSON.stringify(v) ?? '', 'utf8');

const ATTRIBUTE_TYPES: AttributeType[] = ['string', 'integer', 'float', 'boolean', 'any'];
const ATTRIBUTE_NAME = /^[a-zA-Z][a-zA-Z0-9_]*$/;
const INDEX_NAME = /^(?!\.)(?!.*\.\.)[a-zA-Z0-9:_.-]+(?<!\.)$/;

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

const encodeCursor = (n: number) => Buffer.from(JSON.stringify({ o: n })).toString('base64url');
function decodeCursor(c: unknown): number {
  if (c === undefined || c === null || c === '') return 0;
  try {
    const o = JSON.parse(Buffer.from(String(c), 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof o.o === 'number' && o.o >= 0) return o.o;
  } catch {
    /* fall through */
  }
  throw bad('INVALID_CURSOR', 'The cursor is not valid.');
}

export async function startKvsEmulator(options: KvsEmulatorOptions): Promise<KvsEmulator> {
  const now = options.now ?? Date.now;
  const db = new DatabaseSync(options.path ?? ':memory:');
  db.exec(`
    PRAGMA journal_mode = WAL;
    CREATE TABLE IF NOT EXISTS items (
      space TEXT NOT NULL,
      entity TEXT NOT NULL DEFAULT '',
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      expire_at INTEGER,
      PRIMARY KEY (space, entity, key)
    ) WITHOUT ROWID;
  `);
  const stmt = {
    get: db.prepare('SELECT * FROM items WHERE space = ? AND entity = ? AND key = ? AND (expire_at IS NULL OR expire_at > ?)'),
    upsert: db.prepare(`INSERT INTO items (space, entity, key, value, created_at, updated_at, expire_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (space, entity, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, expire_at = excluded.expire_at,
      created_at = CASE WHEN items.expire_at IS NOT NULL AND items.expire_at <= excluded.updated_at THEN excluded.created_at ELSE items.created_at END`),
    del: db.prepare('DELETE FROM items WHERE space = ? AND entity = ? AND key = ?'),
    purge: db.prepare('DELETE FROM items WHERE expire_at IS NOT NULL AND expire_at <= ?'),
    listPrefix: db.prepare(
      "SELECT * FROM items WHERE space = 'kv' AND entity = '' AND substr(key, 1, length(?)) = ? AND (expire_at IS NULL OR expire_at > ?) ORDER BY key LIMIT ? OFFSET ?",
    ),
    listEntity: db.prepare("SELECT * FROM items WHERE space = 'entity' AND entity = ? AND (expire_at IS NULL OR expire_at > ?)"),
    listEntityWhere: db.prepare(
      "SELECT * FROM items WHERE space = 'entity' AND entity = ? AND (expire_at IS NULL OR expire_at > ?) AND json_extract(value, ?) = ?",
    ),
    allKeys: db.prepare("SELECT key FROM items WHERE space = 'kv' AND entity = '' AND (expire_at IS NULL OR expire_at > ?) ORDER BY key"),
  };

  const entities = options.entities;
  if (entities) validateEntityDefinitions(entities);
  let conflicts = { ...DEFAULT_CONFLICT_ANSWERS, ...options.conflicts };
  const requests: KvsRequestLogEntry[] = [];

  const read = (space: Space, entity: string, key: string): Row | undefined =>
    stmt.get.get(space, entity, key, now()) as unknown as Row | undefined;

  const write = (space: Space, entity: string, key: string, json: string, ttl: number | null) => {
    const t = now();
    stmt.upsert.run(space, entity, key, json, t, t, ttl === null ? null : t + ttl);
  };

  const meta = (row: Row, fields: unknown): Record<string, unknown> => {
    const list = Array.isArray(fields) ? fields : [];
    return {
      ...(list.includes('CREATED_AT') ? { createdAt: row.created_at } : {}),
      ...(list.includes('UPDATED_AT') ? { updatedAt: row.updated_at } : {}),
      ...(list.includes('EXPIRE_TIME') && row.expire_at !== null ? { expireTime: new Date(row.expire_at).toISOString() } : {}),
    };
  };

  const validateEntityName = (name: unknown): string => {
    if (typeof name !== 'string') throw bad('INVALID_ENTITY_TYPE', 'entityName is required.');
    if (name.length < 3) throw bad('ENTITY_TYPE_TOO_SHORT', 'The entity name needs to be at least 3 characters.');
    if (name.length > 60) throw bad('ENTITY_TYPE_TOO_LARGE', 'The entity name has exceeded the maximum 60 characters.');
    if (!ENTITY_NAME_PATTERN.test(name)) throw bad('INVALID_ENTITY_TYPE', `The entity name does not match the regex: ${ENTITY_NAME_PATTERN}`);
    if (entities && !(name in entities)) throw bad('INVALID_ENTITY_TYPE', `The entity ${name} is not defined in the manifest.`);
    return name;
  };

  const validateEntityValue = (name: string, value: unknown) => {
    if (!isPlainObject(value)) throw bad('INVALID_ENTITY_VALUE', 'Entity values must be objects of attributes.');
    const def = entities?.[name];
    const attrs = def?.attributes;
    if (!attrs) return;
    for (const [attr, v] of Object.entries(value)) {
      const declared = attrs[attr];
      if (!declared) throw bad('INVALID_ENTITY_VALUE', `The attribute ${attr} is not defined for entity ${name}.`);
      const problem = attributeProblem(declared.type, v);
      if (problem) {
        throw bad('INVALID_ENTITY_VALUE', `Entity values must match one of the types defined in Custom Entities: ${name}.${attr} (${declared.type}) ${problem}.`);
      }
    }
    // Index key sizes ("Storage limits": combined range values ≤ 900 bytes, partition ≤ 1,700).
    for (const index of def.indexes ?? []) {
      const { name: indexName, range, partition = [] } = typeof index === 'string' ? { name: index, range: [index], partition: [] } : index;
      const size = (list: string[]) => list.reduce((n, a) => n + (value[a] === undefined ? 0 : byteSize(value[a])), 0);
      if (size(range) > ENTITY_LIMITS.rangeBytes) throw bad('INVALID_ENTITY_VALUE', `The range attributes of index ${indexName} exceed ${ENTITY_LIMITS.rangeBytes} bytes.`);
      if (size(partition) > ENTITY_LIMITS.partitionBytes) {
        throw bad('INVALID_ENTITY_VALUE', `The partition attributes of index ${indexName} exceed ${ENTITY_LIMITS.partitionBytes} bytes.`);
      }
    }
  };

  /** Condition values must be comparable with the declared attribute they test. */
  const checkComparable = (entity: string, property: string, values: unknown[]) => {
    const type = property === 'key' ? 'string' : entities?.[entity]?.attributes?.[property]?.type;
    for (const v of values) {
      if (!comparable(type as AttributeType | undefined, v)) {
        throw bad('INVALID_FILTER_VALUES', `The value ${JSON.stringify(v)} cannot be compared with ${entity}.${property} (${type}).`);
      }
    }
  };
  const checkGroup = (entity: string, group: FilterGroup | undefined) => {
    // EXISTS / NOT_EXISTS carry a placeholder `true` (`@forge/kvs` conditions.js), not a value.
    for (const f of group?.and ?? group?.or ?? []) if (f.condition !== 'EXISTS' && f.condition !== 'NOT_EXISTS') checkComparable(entity, f.property, f.values);
  };

  /** Validates a set of an item; returns [space, entity, key, json, ttl]. */
  const prepareSet = (space: Space, body: Record<string, unknown>) => {
    const entity = space === 'entity' ? validateEntityName(body.entityName) : '';
    const key = validateKey(body.key, space === 'entity');
    const json = validateValue(body.value);
    if (space === 'entity') validateEntityValue(entity, body.value);
    const ttl = ttlMs(body.options);
    return { entity, key, json, ttl };
  };

  const setOne = (space: Space, body: Record<string, unknown>) => {
    const { entity, key, json, ttl } = prepareSet(space, body);
    const opts = isPlainObject(body.options) ? body.options : {};
    const policy = opts.keyPolicy ?? 'OVERRIDE';
    if (policy !== 'OVERRIDE' && policy !== 'FAIL_IF_EXISTS') throw bad('BAD_REQUEST', 'keyPolicy must be OVERRIDE or FAIL_IF_EXISTS.');
    if (opts.returnValue !== undefined && policy !== 'OVERRIDE') throw bad('BAD_REQUEST', "returnValue requires keyPolicy 'OVERRIDE'.");
    if (opts.returnValue !== undefined && opts.returnValue !== 'PREVIOUS' && opts.returnValue !== 'LATEST') {
      throw bad('BAD_REQUEST', 'returnValue must be PREVIOUS or LATEST.');
    }
    if (opts.returnMetadataFields !== undefined && opts.returnValue === undefined) {
      throw bad('BAD_REQUEST', 'returnMetadataFields requires returnValue.');
    }
    const previous = read(space, entity, key);
    if (policy === 'FAIL_IF_EXISTS' && previous) {
      throw conflictError(conflicts.keyExists, 'The key already exists and keyPolicy is FAIL_IF_EXISTS.', { key, ...(entity ? { entityName: entity } : {}) });
    }
    write(space, entity, key, json, ttl);
    if (opts.returnValue === 'LATEST') {
      const row = read(space, entity, key)!;
      return { status: 200, body: { key, value: JSON.parse(row.value), ...meta(row, opts.returnMetadataFields) } };
    }
    if (opts.returnValue === 'PREVIOUS') {
      if (!previous) return { status: 204 };
      return { status: 200, body: { key, value: JSON.parse(previous.value), ...meta(previous, opts.returnMetadataFields) } };
    }
    return { status: 204 };
  };

  const getOne = (space: Space, body: Record<string, unknown>) => {
    const entity = space === 'entity' ? validateEntityName(body.entityName) : '';
    const key = validateKey(body.key, space === 'entity');
    const row = read(space, entity, key);
    if (!row) throw new KvsError(404, 'KEY_NOT_FOUND', 'Provided key does not exist');
    const opts = isPlainObject(body.options) ? body.options : {};
    return { status: 200, body: { key, value: JSON.parse(row.value), ...meta(row, opts.metadataFields) } };
  };

  const deleteOne = (space: Space, body: Record<string, unknown>) => {
    const entity = space === 'entity' ? validateEntityName(body.entityName) : '';
    const key = validateKey(body.key, space === 'entity');
    stmt.del.run(space, entity, key);
    return { status: 204 };
  };

  const transaction = (body: Record<string, unknown>, rawSize: number) => {
    if (rawSize > KVS_LIMITS.transactionBytes) throw bad('TRANSACTION_TOO_LARGE', 'Each transaction is limited to a payload size of 4MB.');
    const sets = (body.set ?? []) as unknown[];
    const deletes = (body.delete ?? []) as unknown[];
    const checks = (body.check ?? []) as unknown[];
    if (![sets, deletes, checks].every(Array.isArray)) throw bad('BAD_REQUEST', 'set, delete and check must be arrays.');
    const total = sets.length + deletes.length + checks.length;
    if (total === 0) throw bad('BAD_REQUEST', 'A transaction needs at least one operation.');
    if (total > KVS_LIMITS.transactionOps) {
      throw bad('TOO_MANY_OPERATIONS', `Each transaction can contain a maximum of ${KVS_LIMITS.transactionOps} operations (got ${total}).`);
    }
    type Op = { kind: 'set' | 'delete' | 'check'; entity: string; key: string; conditions?: FilterGroup; json?: string; ttl?: number | null };
    const ops: Op[] = [];
    const seen = new Set<string>();
    const prep = (kind: Op['kind'], raw: unknown): Op => {
      if (!isPlainObject(raw)) throw bad('BAD_REQUEST', `Invalid ${kind} operation.`);
      const isEntity = raw.entityName !== undefined && raw.entityName !== null;
      const entity = isEntity ? validateEntityName(raw.entityName) : '';
      const key = validateKey(raw.key, isEntity);
      const id = `${entity}\u0000${key}`;
      if (seen.has(id)) throw bad('DUPLICATE_KEYS', `Each key can only be used once in a transaction (${key}).`);
      seen.add(id);
      let conditions: FilterGroup | undefined;
      if (raw.conditions !== undefined && raw.conditions !== null) {
        if (!isEntity) throw bad('BAD_REQUEST', 'Conditions are only supported on custom entities (entityName is required).');
        conditions = validateGroup(raw.conditions);
        checkGroup(entity, conditions);
      }
      if (kind === 'check' && (!isEntity || !conditions)) throw bad('BAD_REQUEST', 'check needs entityName and conditions.');
      const op: Op = { kind, entity, key, conditions };
      if (kind === 'set') {
        op.json = validateValue(raw.value);
        if (isEntity) validateEntityValue(entity, raw.value);
        op.ttl = ttlMs(raw.options);
      }
      return op;
    };
    sets.forEach((r) => ops.push(prep('set', r)));
    deletes.forEach((r) => ops.push(prep('delete', r)));
    checks.forEach((r) => ops.push(prep('check', r)));

    db.exec('BEGIN IMMEDIATE');
    try {
      const failed: Array<{ key: string; entityName?: string; operation: string }> = [];
      for (const op of ops) {
        if (!op.conditions) continue;
        const row = read('entity', op.entity, op.key);
        const current = row ? JSON.parse(row.value) : {};
        if (!matchesGroup(op.conditions, current)) failed.push({ key: op.key, entityName: op.entity, operation: op.kind });
      }
      if (failed.length) {
        throw conflictError(conflicts.condition, 'A condition of the transaction was not met.', { failedConditions: failed });
      }
      for (const op of ops) {
        const space: Space = op.entity ? 'entity' : 'kv';
        if (op.kind === 'set') write(space, op.entity, op.key, op.json!, op.ttl ?? null);
        else if (op.kind === 'delete') stmt.del.run(space, op.entity, op.key);
      }
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
    return { status: 204 };
  };

  const query = (body: Record<string, unknown>) => {
    const limit = body.limit === undefined ? KVS_LIMITS.defaultPageSize : Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > KVS_LIMITS.pageSize) {
      throw bad('LIST_QUERY_LIMIT_EXCEEDED', `Limit for list query should be between 1 and ${KVS_LIMITS.pageSize}.`);
    }
    let prefix = '';
    if (body.where !== undefined) {
      if (!Array.isArray(body.where) || body.where.length > 1) throw bad('QUERY_WHERE_INVALID', 'KVS queries should contain only a single "where" clause.');
      const w = body.where[0];
      if (w !== undefined) {
        const f = validateFilter(w);
        if (f.property !== 'key') throw bad('QUERY_WHERE_FIELD_INVALID', 'Only the "key" field is supported in a where clause.');
        if (f.condition !== 'BEGINS_WITH') throw bad('INVALID_FILTER_CONDITION', 'Only BEGINS_WITH is supported in a where clause.');
        prefix = String(f.values[0]);
      }
    }
    const offset = decodeCursor(body.after);
    const rows = stmt.listPrefix.all(prefix, prefix, now(), limit + 1, offset) as unknown as Row[];
    const opts = isPlainObject(body.options) ? body.options : {};
    const data = rows.slice(0, limit).map((r) => ({ key: r.key, value: JSON.parse(r.value), ...meta(r, opts.metadataFields) }));
    return { status: 200, body: { data, ...(rows.length > limit ? { cursor: encodeCursor(offset + limit) } : {}) } };
  };

  const resolveIndex = (entity: string, indexName: string): { range: string; partition: string[] } => {
    const def = entities?.[entity]?.indexes?.find((i) => (typeof i === 'string' ? i : i.name) === indexName);
    if (def !== undefined) {
      if (typeof def === 'string') return { range: def, partition: [] };
      return { range: def.range[0] ?? 'key', partition: def.partition ?? [] };
    }
    if (entities?.[entity]) throw bad('INVALID_ENTITY_INDEX', `The index ${indexName} is not defined for entity ${entity}.`);
    // No definitions given: "by-key" is the key, any other name is taken as an attribute name.
    return { range: indexName === 'by-key' ? 'key' : indexName, partition: [] };
  };

  const entityQuery = (body: Record<string, unknown>) => {
    const entity = validateEntityName(body.entityName);
    if (typeof body.indexName !== 'string') throw bad('INVALID_ENTITY_INDEX', 'indexName is required.');
    const index = resolveIndex(entity, body.indexName);
    const limit = body.limit === undefined ? KVS_LIMITS.defaultPageSize : Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > KVS_LIMITS.pageSize) {
      throw bad('COMPLEX_QUERY_PAGE_LIMIT_NOT_IN_RANGE', `The page limit must be set between 1 and ${KVS_LIMITS.pageSize}.`);
    }
    const partition = body.partition === undefined ? [] : (body.partition as unknown[]);
    if (!Array.isArray(partition) || partition.length !== index.partition.length) {
      throw bad('BAD_REQUEST', `The index ${body.indexName} needs ${index.partition.length} partition value(s).`);
    }
    const range = body.range === undefined ? undefined : validateFilter({ property: index.range, ...(body.range as object) });
    const filters = body.filters === undefined ? undefined : validateGroup(body.filters);
    if (range && range.condition !== 'EXISTS' && range.condition !== 'NOT_EXISTS') checkComparable(entity, index.range, range.values);
    index.partition.forEach((p, i) => checkComparable(entity, p, [partition[i]]));
    checkGroup(entity, filters);
    const rangeValue = (key: string, value: unknown) => (index.range === 'key' ? key : isPlainObject(value) ? value[index.range] : undefined);
    // A string partition narrows the read in SQLite already (the filters below still decide).
    const first = index.partition[0];
    const narrowed = first !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(first) && typeof partition[0] === 'string';
    const stored = narrowed ? stmt.listEntityWhere.all(entity, now(), `$.${first}`, partition[0] as string) : stmt.listEntity.all(entity, now());
    const rows = (stored as unknown as Row[])
      .map((r) => ({ row: r, value: JSON.parse(r.value) as unknown }))
      // Like a sparse index: items without the range or partition attributes are not in it.
      .filter(({ row, value }) => rangeValue(row.key, value) !== undefined)
      .filter(({ value }) => index.partition.every((p, i) => isPlainObject(value) && value[p] === partition[i]))
      .filter(({ row, value }) => !range || evaluate(range, rangeValue(row.key, value)))
      .filter(({ value }) => !filters || matchesGroup(filters, value))
      .sort((a, b) => compare(rangeValue(a.row.key, a.value), rangeValue(b.row.key, b.value)) || compare(a.row.key, b.row.key));
    if (body.sort === 'DESC') rows.reverse();
    const offset = decodeCursor(body.cursor);
    const page = rows.slice(offset, offset + limit);
    const opts = isPlainObject(body.options) ? body.options : {};
    return {
      status: 200,
      body: {
        data: page.map(({ row, value }) => ({ key: row.key, value, ...meta(row, opts.metadataFields) })),
        ...(offset + limit < rows.length ? { cursor: encodeCursor(offset + limit) } : {}),
      },
    };
  };

  const batch = (op: 'get' | 'set' | 'delete', body: unknown) => {
    if (!Array.isArray(body)) throw bad('BAD_REQUEST', 'A batch request is an array of items.');
    if (body.length === 0 || body.length > KVS_LIMITS.batchItems) {
      throw bad('BAD_REQUEST', `A batch takes 1 to ${KVS_LIMITS.batchItems} items (got ${body.length}).`);
    }
    const successfulKeys: Array<Record<string, unknown>> = [];
    const failedKeys: Array<Record<string, unknown>> = [];
    for (const item of body) {
      const it = isPlainObject(item) ? item : {};
      const isEntity = it.entityName !== undefined && it.entityName !== null;
      const space: Space = isEntity ? 'entity' : 'kv';
      const ref = { key: it.key, ...(isEntity ? { entityName: it.entityName } : {}) };
      try {
        if (op === 'set') {
          setOne(space, { ...it, options: it.options });
          successfulKeys.push(ref);
        } else if (op === 'delete') {
          deleteOne(space, it);
          successfulKeys.push(ref);
        } else {
          const r = getOne(space, it).body;
          successfulKeys.push({ ...ref, ...r });
        }
      } catch (e) {
        if (!(e instanceof KvsError)) throw e;
        failedKeys.push({ ...ref, error: { code: e.code, message: e.message } });
      }
    }
    return { status: 200, body: { successfulKeys, failedKeys } };
  };

  type Handler = (body: unknown, rawSize: number) => { status: number; body?: unknown };
  const obj = (b: unknown): Record<string, unknown> => {
    if (!isPlainObject(b)) throw bad('BAD_REQUEST', 'Provided request body is invalid');
    return b;
  };
  const routes: Record<string, Handler> = {
    '/api/v1/get': (b) => getOne('kv', obj(b)),
    '/api/v1/set': (b) => setOne('kv', obj(b)),
    '/api/v1/delete': (b) => deleteOne('kv', obj(b)),
    '/api/v1/query': (b) => query(obj(b)),
    '/api/v1/batch/get': (b) => batch('get', b),
    '/api/v1/batch/set': (b) => batch('set', b),
    '/api/v1/batch/delete': (b) => batch('delete', b),
    '/api/v1/transaction': (b, size) => transaction(obj(b), size),
    '/api/v1/secret/get': (b) => getOne('secret', obj(b)),
    '/api/v1/secret/set': (b) => setOne('secret', obj(b)),
    '/api/v1/secret/delete': (b) => deleteOne('secret', obj(b)),
    '/api/v1/entity/get': (b) => getOne('entity', obj(b)),
    '/api/v1/entity/set': (b) => setOne('entity', obj(b)),
    '/api/v1/entity/delete': (b) => deleteOne('entity', obj(b)),
    '/api/v1/entity/query': (b) => entityQuery(obj(b)),
  };

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), 'x-trace-id': randomUUID() });
    res.end(text);
  };

  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const entry: KvsRequestLogEntry = { path, status: 0 };
    if (requests.length >= 10_000) requests.shift();
    requests.push(entry);
    try {
      if (req.headers.authorization !== `Bearer ${options.token}`) throw new KvsError(401, 'UNAUTHORIZED', 'Missing or invalid authorization.');
      const handler = routes[path];
      if (!handler) throw new KvsError(404, 'NOT_FOUND', `No KVS operation at ${path}.`);
      if (req.method !== 'POST') throw new KvsError(405, 'METHOD_NOT_ALLOWED', 'KVS operations are POST requests.');
      const raw = await readBody(req);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw bad('BAD_REQUEST', 'Provided request body is invalid');
      }
      stmt.purge.run(now());
      const out = handler(body, raw.length);
      entry.status = out.status;
      send(res, out.status, out.body);
    } catch (e) {
      if (e instanceof KvsError) {
        entry.status = e.status;
        entry.code = e.code;
        if (e.raw !== undefined) {
          res.writeHead(e.status, { 'content-type': 'text/plain', 'x-trace-id': randomUUID() });
          res.end(e.raw);
          return;
        }
        send(res, e.status, { code: e.code, message: e.message, ...(e.context ? { context: e.context } : {}) });
      } else {
        entry.status = 500;
        entry.code = 'INTERNAL_SERVER_ERROR';
        send(res, 500, { code: 'INTERNAL_SERVER_ERROR', message: `An internal server error has occurred: ${(e as Error)?.message ?? e}` });
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${addr.port}`;

  return {
    url,
    host: `127.0.0.1:${addr.port}`,
    requests,
    peek(key, where = {}) {
      const space: Space = where.entityName ? 'entity' : where.secret ? 'secret' : 'kv';
      const row = read(space, where.entityName ?? '', key);
      return row ? JSON.parse(row.value) : undefined;
    },
    keys() {
      return (stmt.allKeys.all(now()) as unknown as Array<{ key: string }>).map((r) => r.key);
    },
    setConflictAnswers(answers) {
      conflicts = { ...DEFAULT_CONFLICT_ANSWERS, ...answers };
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      db.close();
    },
  };
}
