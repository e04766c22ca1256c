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
import { openKvsStore } from './kvs-store';
import { serveKvs, type KvsHandler } from './kvs-http';
import { attributeProblem, type AttributeType, bad, byteSize, comparable, compare, conflictError, decodeCursor, DEFAULT_CONFLICT_ANSWERS, encodeCursor, ENTITY_LIMITS, ENTITY_NAME_PATTERN, evaluate, type FilterGroup, isPlainObject, KVS_LIMITS, type KvsEmulator, type KvsEmulatorOptions, KvsError, type KvsRequestLogEntry, matchesGroup, type Row, type Space, ttlMs, validateEntityDefinitions, validateFilter, validateGroup, validateKey, validateValue } from './kvs-rules';

export {
  KVS_LIMITS,
  KEY_PATTERN,
  ENTITY_LIMITS,
  DEFAULT_CONFLICT_ANSWERS,
  attributeProblem,
  validateEntityDefinitions,
  type ConflictAnswer,
  type AttributeType,
  type EntityDefinition,
  type KvsEmulatorOptions,
  type KvsRequestLogEntry,
  type KvsEmulator,
} from './kvs-rules';
export async function startKvsEmulator(options: KvsEmulatorOptions): Promise<KvsEmulator> {
  const now = options.now ?? Date.now;
  const { db, stmt } = openKvsStore(options.path ?? ':memory:');

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

  const obj = (b: unknown): Record<string, unknown> => {
    if (!isPlainObject(b)) throw bad('BAD_REQUEST', 'Provided request body is invalid');
    return b;
  };
  // Adding an operation: one line here (every KVS operation is a JSON POST).
  const operations: Record<string, KvsHandler> = {
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

  const { server, port } = await serveKvs({ token: options.token, port: options.port, operations, requests, beforeEach: () => stmt.purge.run(now()) });
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    host: `127.0.0.1:${port}`,
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
