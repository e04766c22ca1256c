/**
 * The KVS emulator's HTTP side: the runtime's bearer token, one JSON `POST` per operation routed by the shared
 * router, bodies read by the shared limited reader, answers and errors in the store's `{code, message}` shape,
 * and the request log.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { BodyTooLarge, EMULATOR_BODY_LIMIT, readBody } from '../http/body';
import { RouteTable } from '../http/router';
import { KvsError, bad, type KvsRequestLogEntry } from './kvs-rules';

/** One KVS operation: parsed JSON body (and its size in bytes) in, answer out; errors are thrown as `KvsError`. */
export type KvsHandler = (body: unknown, rawSize: number) => { status: number; body?: unknown };

/** Serves `operations` (path → handler) on 127.0.0.1. */
export async function serveKvs(o: {
  token: string;
  port?: number;
  operations: Record<string, KvsHandler>;
  requests: KvsRequestLogEntry[];
  /** Runs before each operation (expiry). */
  beforeEach(): void;
}): Promise<{ server: Server; port: number }> {
  const send = (res: ServerResponse, status: number, body?: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), 'x-trace-id': randomUUID() });
    res.end(text);
  };

  const routes = new RouteTable<KvsHandler>();
  for (const [path, handler] of Object.entries(o.operations)) routes.add('POST', path, handler);

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const entry: KvsRequestLogEntry = { path, status: 0 };
    if (o.requests.length >= 10_000) o.requests.shift();
    o.requests.push(entry);
    try {
      if (req.headers.authorization !== `Bearer ${o.token}`) throw new KvsError(401, 'UNAUTHORIZED', 'Missing or invalid authorization.');
      const found = routes.lookup(req.method ?? 'GET', path);
      if (found.kind === 'none') throw new KvsError(404, 'NOT_FOUND', `No KVS operation at ${path}.`);
      if (found.kind === 'wrongMethod') throw new KvsError(405, 'METHOD_NOT_ALLOWED', 'KVS operations are POST requests.');
      const handler = found.value;
      let raw: Buffer;
      try {
        raw = await readBody(req, EMULATOR_BODY_LIMIT);
      } catch (e) {
        // Ours, not Forge's: no documented request-size answer; past every documented KVS limit anyway.
        throw e instanceof BodyTooLarge ? new KvsError(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${e.limit} bytes.`) : e;
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw bad('BAD_REQUEST', 'Provided request body is invalid');
      }
      o.beforeEach();
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
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
