/**
 * OpenAPI 3.0 schemas are almost JSON Schema; these helpers turn a spec document into what Ajv validates,
 * and resolve JSON pointers in it. Shared by the emulators' request validator and the conformance tests.
 */

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

/**
 * Which side of an exchange a schema checks. OpenAPI 3.0: a `readOnly` property "MAY be sent as part of a
 * response but SHOULD NOT be sent as part of the request" (and its `required` applies to responses only);
 * `writeOnly` is the reverse.
 */
export type SchemaDirection = 'request' | 'response';

/**
 * The Ajv form of an OpenAPI 3.0 document (or any node of one):
 * - siblings of `$ref` are ignored (OpenAPI semantics); `nullable` beside a `$ref` becomes "or null";
 * - `nullable` becomes "or null"; a `type` that is not a JSON type (a spec bug) is dropped;
 * - a boolean `required` (parameter style, misplaced in a schema) is dropped;
 * - in `request` direction a `readOnly` property may not be sent (`false`) and is not required; in `response`
 *   direction the same holds for `writeOnly`.
 */
export function sanitizeSchema(node: unknown, direction: SchemaDirection = 'response'): unknown {
  if (Array.isArray(node)) return node.map((x) => sanitizeSchema(x, direction));
  if (!isObject(node)) return node;
  if (typeof node.$ref === 'string') {
    const ref = { $ref: node.$ref };
    return node.nullable === true ? { anyOf: [ref, { type: 'null' }] } : ref;
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = sanitizeSchema(v, direction);
  if (typeof out.type === 'string' && !JSON_TYPES.has(out.type)) delete out.type;
  if (typeof out.required === 'boolean') delete out.required;
  const hidden = direction === 'request' ? 'readOnly' : 'writeOnly';
  if (isObject(node.properties) && isObject(out.properties)) {
    const props = out.properties;
    const hiddenNames = Object.entries(node.properties)
      .filter(([, schema]) => isObject(schema) && schema[hidden] === true && typeof schema.$ref !== 'string')
      .map(([name]) => name);
    for (const name of hiddenNames) props[name] = false;
    if (Array.isArray(out.required)) out.required = out.required.filter((name) => !hiddenNames.includes(String(name)));
  }
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  if (out.nullable === true && typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  delete out.nullable;
  return out;
}

export const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
export const pointerOf = (...segments: string[]) => `#/${segments.map(escapePointer).join('/')}`;

/** The node at a JSON pointer (`#/a/b`), or undefined. */
export function getPointer(doc: unknown, pointer: string): unknown {
  let cur: unknown = doc;
  for (const raw of pointer.replace(/^#\/?/, '').split('/').filter((s) => s !== '')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(cur) && !Array.isArray(cur)) return undefined;
    cur = (cur as Json)[key];
  }
  return cur;
}

/** Follows `$ref`s from a pointer: the final pointer and the node there. */
export function resolvePointer(doc: unknown, pointer: string): { pointer: string; value: unknown } {
  let p = pointer;
  let value = getPointer(doc, p);
  for (let i = 0; i < 16 && isObject(value) && typeof value.$ref === 'string'; i++) {
    p = value.$ref;
    value = getPointer(doc, p);
  }
  return { pointer: p, value };
}

/** A pointer as the fragment of an Ajv schema id (`spec#/paths/~1a/get`). */
export const ajvFragment = (pointer: string) =>
  pointer
    .replace(/^#/, '')
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
