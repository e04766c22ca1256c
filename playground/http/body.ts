/**
 * The one request-body reader of the playground and its emulators, with a byte limit. Past the limit the rest of
 * the body is read and dropped (never buffered), so the client gets the server's 413 answer instead of a reset
 * connection; each server turns `BodyTooLarge` into its own error shape.
 */
import type { IncomingMessage } from 'node:http';

/** The emulators' limit (Jira's and the organizations API's): ours, as neither spec documents one. */
export const EMULATOR_BODY_LIMIT = 16 * 1024 * 1024;

/** The request body was larger than the reader's limit. */
export class BodyTooLarge extends Error {
  readonly status = 413;
  constructor(readonly limit: number) {
    super(`the request body is larger than ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/** Reads the whole body, or rejects with `BodyTooLarge` once it has seen more than `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on('end', () => (size > limit ? reject(new BodyTooLarge(limit)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}
