/**
 * A `multipart/form-data` body (RFC 7578) holding text files, built as one string so it passes
 * through `requestJira` unchanged on any runtime (Forge's docs use the `form-data` package; a
 * string body with its own boundary needs nothing beyond the platform's fetch).
 */
export interface TextFile {
  /** The form field: Jira's add-attachment operation reads only `file`. */
  field: string;
  filename: string;
  mediaType: string;
  content: string;
}

/** Quotes a file name for a Content-Disposition parameter: no quotes, CR or LF can break out. */
const quoted = (name: string) => `"${name.replace(/["\r\n\\]/g, '_')}"`;

export function multipartBody(files: readonly TextFile[], boundary = `jit-admin-${globalThis.crypto.randomUUID()}`): { body: string; contentType: string } {
  for (const f of files) {
    // A boundary that occurs in the content would end the part early: pick another.
    if (f.content.includes(boundary)) return multipartBody(files, `jit-admin-${globalThis.crypto.randomUUID()}`);
  }
  const parts = files.map(
    (f) =>
      `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(f.field)}; filename=${quoted(f.filename)}\r\n` +
      `Content-Type: ${f.mediaType}; charset=utf-8\r\n\r\n${f.content}\r\n`,
  );
  return { body: `${parts.join('')}--${boundary}--\r\n`, contentType: `multipart/form-data; boundary=${boundary}` };
}
