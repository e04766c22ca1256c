/**
 * The playground's HTTP helpers: its error (`{error: {code, message}}`), JSON and file answers, and JSON bodies
 * read by the shared limited reader (1 MiB; larger bodies get 413 `TOO_LARGE`).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename } from 'node:path';
import { BodyTooLarge, readBody } from '../http/body';

/** Largest request body accepted. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** An HTTP error with a status and a stable code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
export const badRequest = (message: string) => new HttpError(400, 'BAD_REQUEST', message);

export type Json = Record<string, unknown>;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

export function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (e instanceof HttpError) sendJson(res, e.status, { error: { code: e.code, message: e.message } });
  else sendJson(res, 500, { error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } });
}


/** The request body, or a 413 `TOO_LARGE` past `MAX_BODY_BYTES`. */
export async function readPlaygroundBody(req: IncomingMessage): Promise<Buffer> {
  try {
    return await readBody(req, MAX_BODY_BYTES);
  } catch (e) {
    throw e instanceof BodyTooLarge ? new HttpError(413, 'TOO_LARGE', e.message) : e;
  }
}

/** The body as a JSON object, or a 400 that says what is wrong. */
export async function jsonBody(req: IncomingMessage, allowEmpty = false): Promise<Json> {
  const text = (await readPlaygroundBody(req)).toString('utf8');
  if (!text.trim()) {
    if (allowEmpty) return {};
    throw badRequest('the request body must be a JSON object, and it is empty');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw badRequest('the request body must be a JSON object');
  return value as Json;
}

export function str(body: Json, key: string, required = true): string | undefined {
  const v = body[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw badRequest(`\`${key}\` is required (a non-empty string)`);
    return undefined;
  }
  if (typeof v !== 'string') throw badRequest(`\`${key}\` must be a string`);
  return v;
}

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

export function sendFile(res: ServerResponse, path: string, transform?: (text: string) => string): void {
  if (!existsSync(path)) throw new HttpError(404, 'NOT_FOUND', `no file ${basename(path)}`);
  const ext = path.slice(path.lastIndexOf('.'));
  const type = CONTENT_TYPES[ext] ?? 'application/octet-stream';
  const data = transform ? transform(readFileSync(path, 'utf8')) : readFileSync(path);
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
  res.end(data);
}

/** Puts the bridge shim before the bundle's first script, so `window.__bridge` exists when the bundle loads. */
export function injectShim(html: string): string {
  const tag = '<script src="/__playground/bridge-shim.js"></script>';
  const i = html.search(/<script\b/i);
  if (i >= 0) return `${html.slice(0, i)}${tag}\n    ${html.slice(i)}`;
  return html.includes('</body>') ? html.replace('</body>', `${tag}\n</body>`) : `${html}\n${tag}`;
}

// ---------------------------------------------------------------------------------------------
