/**
 * Issue attachments, as "Add attachment" (`POST /rest/api/3/issue/{issueIdOrKey}/attachments`)
 * documents them: "The request must have a `X-Atlassian-Token: no-check` header, if not it is
 * blocked" (Jira answers 403 "XSRF check failed"), the body is `multipart/form-data` and "the name
 * of the multipart/form-data parameter that contains the attachments must be `file`"; 413 for
 * attachments over the maximum size, more than 60 files in a request, or the per-issue limit.
 * The answer is the list of `Attachment` beans. `GET /rest/api/3/attachment/{id}` and
 * `/attachment/content/{id}` read them back.
 */

import type { JiraModel } from './model';
import type { Ctx, Result } from './routes';
import { JiraHttpError } from './types';

/** Jira's documented or default limits (Guess for the sizes: Jira Cloud's default "maximum attachment size" is 10 MB in the emulator; the per-issue limit is not published, 2,000 here). */
export const ATTACHMENT_LIMITS = {
  filesPerRequest: 60,
  maxBytes: 10 * 1024 * 1024,
  perIssue: 2_000,
};

export interface AttachmentRec {
  id: string;
  filename: string;
  mimeType: string;
  author: string;
  created: number;
  content: string;
}

export class AttachmentError extends Error {
  constructor(
    readonly status: number,
    readonly errorMessages: string[],
  ) {
    super(errorMessages.join('; '));
  }
}

export interface UploadedFile {
  field: string;
  filename: string;
  mimeType: string;
  content: string;
}

/** The parts of a `multipart/form-data` body (RFC 7578): field name, file name, type and content. */
export function parseMultipart(raw: string, contentType: string): UploadedFile[] {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!/^multipart\/form-data/i.test(contentType.trim()) || !m) throw new AttachmentError(415, ['Unsupported Media Type: send multipart/form-data with a boundary.']);
  const boundary = m[1] ?? m[2]!;
  const delimiter = `--${boundary}`;
  const start = raw.indexOf(delimiter);
  const end = raw.indexOf(`${delimiter}--`);
  if (start < 0 || end < 0) throw new AttachmentError(400, ['The multipart body is malformed: its closing boundary is missing.']);
  const files: UploadedFile[] = [];
  for (const part of raw.slice(start + delimiter.length, end).split(delimiter)) {
    const body = part.replace(/^\r\n/, '');
    const headerEnd = body.indexOf('\r\n\r\n');
    if (headerEnd < 0) throw new AttachmentError(400, ['The multipart body is malformed: a part has no header block.']);
    const headers = body.slice(0, headerEnd);
    const content = body.slice(headerEnd + 4).replace(/\r\n$/, '');
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const field = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    if (field === undefined) throw new AttachmentError(400, ['The multipart body is malformed: a part has no field name.']);
    const mimeType = (/^content-type:\s*([^;\r\n]+)/im.exec(headers)?.[1] ?? 'application/octet-stream').trim();
    files.push({ field, filename: filename ?? '', mimeType, content });
  }
  return files;
}

/**
 * Checks an upload and returns the new attachment records (not yet stored). `headers` are the
 * request's, lower-cased as Node gives them.
 */
export function acceptUpload(
  headers: Record<string, string | string[] | undefined>,
  raw: string,
  existing: number,
  make: (f: UploadedFile) => AttachmentRec,
): AttachmentRec[] {
  if (String(headers['x-atlassian-token'] ?? '').toLowerCase() !== 'no-check') throw new AttachmentError(403, ['XSRF check failed']);
  const files = parseMultipart(raw, String(headers['content-type'] ?? '')).filter((f) => f.field === 'file' && f.filename !== '');
  if (files.length === 0) throw new AttachmentError(400, ['No file was attached: the multipart parameter must be named `file`.']);
  if (files.length > ATTACHMENT_LIMITS.filesPerRequest) throw new AttachmentError(413, [`More than ${ATTACHMENT_LIMITS.filesPerRequest} files were uploaded in one request.`]);
  if (existing + files.length > ATTACHMENT_LIMITS.perIssue) throw new AttachmentError(413, ['The per-issue limit for attachments has been breached.']);
  for (const f of files) {
    if (Buffer.byteLength(f.content) > ATTACHMENT_LIMITS.maxBytes) throw new AttachmentError(413, [`The file ${f.filename} is larger than the maximum attachment size.`]);
  }
  return files.map(make);
}

/** The spec's `Attachment` bean. */
export function attachmentBean(baseUrl: string, a: AttachmentRec, author: unknown) {
  return {
    self: `${baseUrl}/rest/api/3/attachments/${a.id}`,
    id: a.id,
    filename: a.filename,
    author,
    created: new Date(a.created).toISOString().replace('Z', '+0000'),
    size: Buffer.byteLength(a.content),
    mimeType: a.mimeType,
    content: `${baseUrl}/rest/api/3/attachment/content/${a.id}`,
  };
}

/** Attachment ids: the issue's id × 10,000 + the attachment's number on it (numeric, as Jira's are, and found without an index). */
const ID_FACTOR = 10_000;

/** The attachment operations over a model (routes.ts merges them into the handlers). */
export function attachmentHandlers(m: JiraModel) {
  const find = (id: string): AttachmentRec => {
    const n = Number(id);
    const issue = Number.isInteger(n) && n > 0 ? m.findIssue(String(Math.floor(n / ID_FACTOR))) : undefined;
    const found = issue?.attachments?.find((a) => a.id === id);
    if (!found) throw new JiraHttpError(404, [`The attachment with id '${id}' does not exist.`]);
    return found;
  };
  return {
    addAttachment(ctx: Ctx): Result {
      const issue = m.requireIssue(ctx.params.issueIdOrKey!);
      const existing = issue.attachments ?? [];
      let next = existing.length;
      const added = acceptUpload(ctx.headers, ctx.raw, existing.length, (f) => ({
        id: String(Number(issue.id) * ID_FACTOR + ++next),
        filename: f.filename,
        mimeType: f.mimeType,
        author: ctx.principal,
        created: m.now(),
        content: f.content,
      }));
      issue.attachments = [...existing, ...added];
      return { status: 200, body: added.map((a) => attachmentBean(m.baseUrl, a, m.userDetails(a.author))) };
    },
    getAttachment(ctx: Ctx): Result {
      const a = find(ctx.params.id!);
      // `AttachmentMetadata.id` is an integer, where the upload's `Attachment.id` is a string.
      return { status: 200, body: { ...attachmentBean(m.baseUrl, a, m.userDetails(a.author)), id: Number(a.id) } };
    },
    getAttachmentContent(ctx: Ctx): Result {
      const a = find(ctx.params.id!);
      return { status: 200, text: a.content, headers: { 'content-type': `${a.mimeType}; charset=utf-8`, 'content-disposition': `attachment; filename="${a.filename.replace(/"/g, '_')}"` } };
    },
  };
}
