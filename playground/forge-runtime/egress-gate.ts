/**
 * The runtime's egress gate: answers requests past an invocation's egress limit as Forge does
 * (429 `Too Many Requests` with `forge-proxy-error: FETCH_LIMIT_EXCEEDED`, nothing sent; reported in
 * ECO-491), and holds slowed requests for their latency on the clock before forwarding them.
 *
 * Paths: `/fetch-limit` (any method), `/delay/{ms}/{base64url target URL}` (any method, forwarded).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTooLarge, EMULATOR_BODY_LIMIT, readBody } from '../http/body';
import { RouteTable } from '../http/router';
import { rawFetch, type EgressDecision } from './egress';
import { invocations } from './runtime-globals';
import type { TimerClock } from './clock';

type GateHandler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void>;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Starts the gate on a free port of 127.0.0.1. */
export async function startEgressGate(clock: TimerClock): Promise<{ origin: string; close(): Promise<void> }> {
  const routes = new RouteTable<GateHandler>();
  const fetchLimit: GateHandler = async (_req, res) => {
    res.writeHead(429, 'Too Many Requests', { 'forge-proxy-error': 'FETCH_LIMIT_EXCEEDED' });
    res.end();
  };
  const delay: GateHandler = async (req, res, params) => {
    if (!/^\d+$/.test(params.ms!) || !/^[A-Za-z0-9_-]+$/.test(params.target!)) {
      res.writeHead(404).end();
      return;
    }
    const aborted = new AbortController();
    res.on('close', () => aborted.abort());
    try {
      const body = await readBody(req, EMULATOR_BODY_LIMIT);
      await clock.sleep(Number(params.ms));
      if (aborted.signal.aborted) return;
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers.set(k, v);
      const upstream = await rawFetch(Buffer.from(params.target!, 'base64url').toString('utf8'), {
        method: req.method,
        headers,
        body: body.length ? new Uint8Array(body) : undefined,
        signal: aborted.signal,
      });
      const out: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (k !== 'content-encoding' && k !== 'transfer-encoding' && k !== 'connection' && k !== 'content-length') out[k] = v;
      });
      const text = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, upstream.statusText, out);
      res.end(text);
    } catch (e) {
      // Ours: an oversized body is refused before it is held or sent.
      if (e instanceof BodyTooLarge && !res.headersSent) {
        res.writeHead(413).end();
        return;
      }
      if (!res.headersSent) res.writeHead(502);
      res.destroy();
    }
  };
  for (const m of METHODS) {
    routes.add(m, '/fetch-limit', fetchLimit);
    routes.add(m, '/delay/{ms}/{target}', delay);
  }
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const found = routes.lookup(req.method ?? 'GET', new URL(req.url ?? '/', 'http://gate.local').pathname);
    if (found.kind !== 'match') {
      res.writeHead(404).end();
      return;
    }
    await found.value(req, res, found.params);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The runtime's egress decision for one allowed request: refused once its invocation has ended, sent to the
 * gate's `/fetch-limit` past the invocation's egress limit, held by the gate for an injected latency.
 */
export function egressDecider(
  gateOrigin: string,
  endedError: (what: string) => Error | null,
  latency: () => ((request: { url: string; method: string }) => number) | null,
): (request: { url: string; method: string; target: string }) => EgressDecision | undefined {
  return (request) => {
    const ended = endedError(`egress ${request.method} ${request.url}`);
    if (ended) return { refuse: ended };
    const inv = invocations.getStore();
    if (inv) {
      inv.record.egressRequests++;
      if (inv.record.egressRequests > inv.record.egressLimit) {
        inv.record.egressOverLimit++;
        return { redirect: { origin: gateOrigin, path: '/fetch-limit' } };
      }
    }
    const ms = latency()?.(request) ?? 0;
    if (ms > 0) return { redirect: { origin: gateOrigin, path: `/delay/${Math.round(ms)}/${Buffer.from(request.target).toString('base64url')}` } };
    return undefined;
  };
}
