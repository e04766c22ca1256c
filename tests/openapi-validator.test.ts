// The generic OpenAPI 3 request validator (playground/emulators/openapi/validator.ts) on a small spec written for
// the purpose, so that every rule it enforces is shown failing and passing on its own, whatever the Atlassian
// subsets happen to use: path parameters (pattern, enum, format, length, integer), query parameters (required,
// types, arrays exploded or not, enums, bounds, unknown names, repeats), required headers, content types and JSON
// bodies (required, types, enums, additionalProperties: false, readOnly, nullable), routing (404/405/501) and the
// amendments for rules the spec writes only in prose.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenApiRequestValidator, type IncomingRequest, type Verdict } from '../playground/emulators/openapi/index';

const spec = {
  openapi: '3.0.1',
  info: { title: 'validator test', version: '1' },
  servers: [{ url: 'https://api.example.com/base' }],
  'x-generated': { otherMethodsOnKeptPaths: { '/things/{thingId}': ['delete'] } },
  paths: {
    '/things/{thingId}': {
      parameters: [{ name: 'thingId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Z]+-\\d+$', maxLength: 12 } }],
      get: {
        operationId: 'getThing',
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 50 } },
          { name: 'verbose', in: 'query', schema: { type: 'boolean' } },
          { name: 'tags', in: 'query', schema: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, maxItems: 2 } },
          { name: 'ids', in: 'query', explode: false, schema: { type: 'array', items: { type: 'integer' } } },
          { name: 'sort', in: 'query', required: true, schema: { type: 'string', enum: ['asc', 'desc'] } },
          { $ref: '#/components/parameters/traceHeader' },
        ],
        responses: { 200: { description: 'ok' } },
      },
      put: {
        operationId: 'putThing',
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
        responses: { 204: { description: 'ok' } },
      },
    },
    '/things/search': {
      post: {
        operationId: 'search',
        requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['query'], properties: { query: { type: 'string' } } } } } },
        responses: { 200: { description: 'ok' } },
      },
    },
    '/kinds/{kind}/{n}': {
      get: {
        operationId: 'getKind',
        parameters: [
          { name: 'kind', in: 'path', required: true, schema: { type: 'string', enum: ['red', 'blue'], minLength: 3 } },
          { name: 'n', in: 'path', required: true, schema: { type: 'integer', maximum: 9 } },
        ],
        responses: { 200: { description: 'ok' } },
      },
    },
    '/orgs/{orgId}': {
      delete: { operationId: 'deleteOrg', parameters: [{ name: 'orgId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }], responses: { 204: { description: 'ok' } } },
    },
    '/uploads': {
      post: {
        operationId: 'upload',
        requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'array', items: { type: 'string', format: 'binary' } } } } },
        responses: { 200: { description: 'ok' } },
      },
    },
  },
  components: {
    parameters: { traceHeader: { name: 'X-Trace-Id', in: 'header', required: true, schema: { type: 'string', format: 'uuid' } } },
    schemas: {
      Thing: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'id'],
        properties: {
          id: { type: 'string', readOnly: true },
          name: { type: 'string', minLength: 1 },
          colour: { type: 'string', enum: ['red', 'blue'], nullable: true },
          size: { type: 'integer', format: 'int32' },
          parts: { type: 'array', items: { $ref: '#/components/schemas/Part' } },
        },
      },
      Part: { type: 'object', required: ['n'], properties: { n: { type: 'number' } } },
    },
  },
};

const validator = new OpenApiRequestValidator(structuredClone(spec), [
  { kind: 'ignoreFormat', method: 'DELETE', template: '/orgs/{orgId}', parameter: 'orgId', format: 'uuid' },
  { kind: 'requireHeader', method: 'POST', template: '/uploads', header: 'X-Token', value: 'no-check', status: 403, message: 'XSRF check failed' },
]);
const TRACE = '0b9d2c3e-1f4a-4b5c-8d6e-7f8091a2b3c4';
const json = { 'content-type': 'application/json' };

function check(method: string, url: string, headers: IncomingRequest['headers'] = {}, body = ''): Verdict {
  return validator.check({ method, url, headers, body });
}
function problems(v: Verdict): string[] {
  assert.equal(v.kind, 'invalid', JSON.stringify(v));
  return (v as Extract<Verdict, { kind: 'invalid' }>).problems.map((p) => p.message);
}
const ok = (v: Verdict) => assert.equal(v.kind, 'ok', JSON.stringify(v));
const get = (url: string, headers: IncomingRequest['headers'] = { 'x-trace-id': TRACE }) => check('GET', `/base${url}`, headers);

test('validator_pathParameters_enforcePatternLengthEnumAndIntegerType', () => {
  ok(get('/things/ABC-12?sort=asc'));
  assert.deepEqual(problems(get('/things/abc-12?sort=asc')), ['path parameter `thingId` must match pattern "^[A-Z]+-\\d+$"']);
  assert.deepEqual(problems(get('/things/ABCDEFGHIJ-12?sort=asc')), ['path parameter `thingId` must NOT have more than 12 characters']);
  ok(check('GET', '/base/kinds/red/9'));
  assert.deepEqual(problems(check('GET', '/base/kinds/green/10')), [
    'path parameter `kind` must be one of `red`, `blue`',
    'path parameter `n` must be <= 9',
  ]);
  assert.deepEqual(problems(check('GET', '/base/kinds/red/x')), ['path parameter `n` must be integer']);
  // Percent-encoded values are decoded before they are checked.
  ok(check('GET', '/base/kinds/r%65d/1'));
});

test('validator_queryParameters_enforceRequiredTypesArraysEnumsBoundsAndRefuseUnknownOrRepeatedNames', () => {
  ok(get('/things/A-1?sort=desc&limit=50&verbose=true&tags=a&tags=b&ids=1,2,3'));
  assert.deepEqual(problems(get('/things/A-1')), ['query parameter `sort` is required']);
  assert.deepEqual(problems(get('/things/A-1?sort=up&limit=0&verbose=yes')), [
    'query parameter `sort` must be one of `asc`, `desc`',
    'query parameter `limit` must be >= 1',
    'query parameter `verbose` must be boolean',
  ]);
  assert.deepEqual(problems(get('/things/A-1?sort=asc&limit=5.5')), ['query parameter `limit` must be integer']);
  // explode (the default for form style): one value per repetition, so a comma list is ONE item.
  assert.deepEqual(problems(get('/things/A-1?sort=asc&tags=a,b')), ['query parameter `tags` item 0 must be one of `a`, `b`']);
  assert.deepEqual(problems(get('/things/A-1?sort=asc&tags=a&tags=b&tags=a')), ['query parameter `tags` must NOT have more than 2 items']);
  // explode: false: one comma-separated value.
  assert.deepEqual(problems(get('/things/A-1?sort=asc&ids=1,x')), ['query parameter `ids` item 1 must be integer']);
  assert.deepEqual(problems(get('/things/A-1?sort=asc&limit=1&limit=2')), ['query parameter `limit` is given 2 times but takes one value']);
  assert.deepEqual(problems(get('/things/A-1?sort=asc&limmit=1')), ['query parameter `limmit` is not defined for this operation']);
});

test('validator_headerParameters_requiredAndTyped_caseInsensitiveNames', () => {
  assert.deepEqual(problems(get('/things/A-1?sort=asc', {})), ['header `X-Trace-Id` is required']);
  assert.deepEqual(problems(get('/things/A-1?sort=asc', { 'x-trace-id': 'nope' })), ['header parameter `X-Trace-Id` must match format "uuid"']);
});

test('validator_jsonBodies_enforceRequiredTypesEnumsAdditionalPropertiesReadOnlyAndNullable', () => {
  const put = (body: unknown, headers: IncomingRequest['headers'] = json) => check('PUT', '/base/things/A-1', headers, typeof body === 'string' ? body : JSON.stringify(body));
  ok(put({ name: 'x', colour: null, size: 3, parts: [{ n: 1.5 }] }));
  ok(put({ name: 'x' }, { 'content-type': 'application/json; charset=UTF-8' }));
  // `id` is required but readOnly: not required in a request, and refused when sent.
  assert.deepEqual(problems(put({ name: 'x', id: 'T-1' })), ['`id` is read-only and may not be sent']);
  assert.deepEqual(problems(put({ colour: 'green', size: 2 ** 31, extra: 1, parts: [{}] })), [
    '`name` is required',
    '`extra` is not allowed',
    '`colour` must be one of `red`, `blue`, `null`',
    '`size` must match format "int32"',
    '`parts[0]`: `n` is required',
  ]);
  assert.deepEqual(problems(put('')), ['a request body is required']);
  assert.deepEqual(problems(put('{"name":')), ['the request body is not valid JSON']);
  assert.deepEqual(problems(put({ name: 'x' }, { 'content-type': 'text/plain' })), ['content type `text/plain` is not accepted; send `application/json`']);
  assert.deepEqual(problems(put({ name: 'x' }, {})), ['content type `(none)` is not accepted; send `application/json`']);
});

test('validator_optionalBodyWhoseSchemaRequiresProperties_isRequired_andNoBodyOperationsRefuseOne', () => {
  assert.deepEqual(problems(check('POST', '/base/things/search', json, '')), ['a request body is required (with `query`)']);
  ok(check('POST', '/base/things/search', json, '{"query":"q"}'));
  assert.deepEqual(problems(check('GET', '/base/kinds/red/1', json, '{"x":1}')), ['this operation takes no request body']);
});

test('validator_multipartBodies_needTheMediaTypeAndABoundary', () => {
  const token = { 'x-token': 'no-check' };
  ok(check('POST', '/base/uploads', { ...token, 'content-type': 'multipart/form-data; boundary=b' }, '--b--'));
  assert.deepEqual(problems(check('POST', '/base/uploads', { ...token, 'content-type': 'multipart/form-data' }, '--b--')), [
    'content type `multipart/form-data` has no multipart boundary',
  ]);
  assert.deepEqual(problems(check('POST', '/base/uploads', { ...token, ...json }, '[]')), ['content type `application/json` is not accepted; send `multipart/form-data`']);
});

test('validator_routing_literalSegmentsWin_unknownIs404_wrongMethodIs405_unemulatedIs501', () => {
  const search = check('POST', '/base/things/search', json, '{"query":"q"}');
  assert.equal(search.kind === 'ok' && search.op.operationId, 'search');
  assert.deepEqual(check('GET', '/base/nothing'), { kind: 'unknownPath', pathname: '/base/nothing' });
  assert.equal(check('GET', '/things/A-1?sort=asc').kind, 'unknownPath', 'the server prefix is part of the path');
  assert.equal(check('GET', '/base/things//').kind, 'unknownPath', 'an empty segment is no path parameter');
  assert.deepEqual(check('POST', '/base/things/A-1'), { kind: 'wrongMethod', pathname: '/base/things/A-1', allowed: ['GET', 'PUT', 'DELETE'] });
  assert.deepEqual(check('GET', '/base/things/search'), { kind: 'wrongMethod', pathname: '/base/things/search', allowed: ['POST'] });
  assert.deepEqual(check('DELETE', '/base/things/A-1'), { kind: 'notEmulated', pathname: '/base/things/A-1', template: '/things/{thingId}' });
});

test('validator_amendments_ignoreAFormatTheSpecGetsWrong_andRequireAHeaderItsProseDemands', () => {
  ok(check('DELETE', '/base/orgs/not-a-uuid'));
  const refused = check('POST', '/base/uploads', { 'content-type': 'multipart/form-data; boundary=b' }, '--b--');
  assert.equal(refused.kind, 'forbidden');
  assert.deepEqual(refused.kind === 'forbidden' && [refused.status, refused.message], [403, 'XSRF check failed']);
  assert.throws(
    () => new OpenApiRequestValidator(structuredClone(spec), [{ kind: 'ignoreFormat', method: 'GET', template: '/nope', parameter: 'x', format: 'uuid' }]),
    /no such operation/,
  );
});
