/**
 * Atlassian Document Format checks for the Jira emulator.
 *
 * Jira Cloud REST v3 takes rich text (comment bodies, descriptions) as an ADF document
 * `{type: 'doc', version: 1, content: [...]}` and rejects anything else with 400. This module checks
 * the structure the emulator needs (known node types, text nodes carry strings, marks are typed),
 * not every rule of the full ADF schema, and measures a document's text length for the
 * comment size limit.
 */

const BLOCK_NODES = new Set([
  'paragraph',
  'heading',
  'bulletList',
  'orderedList',
  'listItem',
  'codeBlock',
  'blockquote',
  'rule',
  'panel',
  'table',
  'tableRow',
  'tableHeader',
  'tableCell',
  'mediaSingle',
  'mediaGroup',
  'media',
  'expand',
  'nestedExpand',
  'taskList',
  'taskItem',
  'decisionList',
  'decisionItem',
  'blockCard',
]);

/** What a blockquote may hold (ADF "Node - blockquote"). */
const BLOCKQUOTE_CONTENT = new Set(['paragraph', 'orderedList', 'bulletList', 'codeBlock', 'mediaGroup', 'mediaSingle']);

const INLINE_NODES = new Set(['text', 'hardBreak', 'mention', 'emoji', 'inlineCard', 'status', 'date', 'mediaInline']);

const MARKS = new Set(['strong', 'em', 'code', 'strike', 'underline', 'link', 'subsup', 'textColor', 'backgroundColor']);

export type AdfCheck = { ok: true } | { ok: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when `body` looks like an ADF document at the top level (what Jira checks first). */
export function isAdfDoc(body: unknown): boolean {
  return isObject(body) && body.type === 'doc' && body.version === 1 && Array.isArray(body.content);
}

/** Full structural check of an ADF document. */
export function checkAdf(body: unknown): AdfCheck {
  if (!isAdfDoc(body)) return { ok: false, reason: 'not an ADF document {type:"doc",version:1,content:[...]}' };
  const doc = body as { content: unknown[] };
  const stack: Array<{ node: unknown; path: string }> = doc.content.map((node, i) => ({ node, path: `content[${i}]` }));
  let visited = 0;
  while (stack.length) {
    const { node, path } = stack.pop()!;
    if (++visited > 100_000) return { ok: false, reason: 'document too large' };
    if (!isObject(node) || typeof node.type !== 'string') return { ok: false, reason: `${path}: node without a type` };
    const type = node.type;
    if (!BLOCK_NODES.has(type) && !INLINE_NODES.has(type)) return { ok: false, reason: `${path}: unknown node type "${type}"` };
    if (type === 'text') {
      if (typeof node.text !== 'string' || node.text.length === 0) return { ok: false, reason: `${path}: text node needs a non-empty "text"` };
      if (node.content !== undefined) return { ok: false, reason: `${path}: text node cannot have content` };
    }
    if (type === 'mention') {
      if (!isObject(node.attrs) || typeof node.attrs.id !== 'string') return { ok: false, reason: `${path}: mention needs attrs.id` };
    }
    if (type === 'blockquote') {
      // "content must contain array of one or more of": paragraph, lists, code blocks, media.
      const content = Array.isArray(node.content) ? node.content : [];
      if (content.length === 0) return { ok: false, reason: `${path}: blockquote needs one or more nodes` };
      const bad = content.find((c) => !isObject(c) || typeof c.type !== 'string' || !BLOCKQUOTE_CONTENT.has(c.type));
      if (bad !== undefined) return { ok: false, reason: `${path}: blockquote cannot contain "${isObject(bad) ? String(bad.type) : typeof bad}"` };
    }
    if (node.marks !== undefined) {
      if (!Array.isArray(node.marks)) return { ok: false, reason: `${path}: marks must be an array` };
      for (const m of node.marks) {
        if (!isObject(m) || typeof m.type !== 'string' || !MARKS.has(m.type)) return { ok: false, reason: `${path}: unknown mark` };
      }
    }
    if (node.content !== undefined) {
      if (!Array.isArray(node.content)) return { ok: false, reason: `${path}: content must be an array` };
      if (INLINE_NODES.has(type)) return { ok: false, reason: `${path}: inline node "${type}" cannot have content` };
      node.content.forEach((child, i) => stack.push({ node: child, path: `${path}.content[${i}]` }));
    }
  }
  return { ok: true };
}

/**
 * Characters of text in a document: text nodes, mention texts, one per hard break and one
 * between blocks. Jira's comment limit (32,767 characters) is measured on the comment's text;
 * how Jira Cloud counts ADF exactly is not documented, so this is an approximation.
 */
export function adfTextLength(body: unknown): number {
  return adfToPlainText(body).length;
}

/** Plain text of a document, one line per block (used by the emulator's read helpers). */
export function adfToPlainText(body: unknown): string {
  if (!isAdfDoc(body)) return '';
  const lines: string[] = [];
  const inline = (nodes: unknown[]): string =>
    nodes
      .map((n) => {
        if (!isObject(n)) return '';
        if (n.type === 'text') return typeof n.text === 'string' ? n.text : '';
        if (n.type === 'hardBreak') return '\n';
        if (n.type === 'mention' && isObject(n.attrs)) return String(n.attrs.text ?? `@${String(n.attrs.id)}`);
        if (Array.isArray(n.content)) return inline(n.content);
        return '';
      })
      .join('');
  const block = (nodes: unknown[]): void => {
    for (const n of nodes) {
      if (!isObject(n)) continue;
      const content = Array.isArray(n.content) ? n.content : [];
      const hasBlocks = content.some((c) => isObject(c) && typeof c.type === 'string' && BLOCK_NODES.has(c.type));
      if (hasBlocks) block(content);
      else lines.push(inline(content));
    }
  };
  block((body as { content: unknown[] }).content);
  return lines.join('\n');
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const MARK_TAGS: Record<string, string> = { strong: 'strong', em: 'em', code: 'code', strike: 's', underline: 'u' };

/**
 * A document as HTML, the way Jira shows a comment (for the playground page): paragraphs, quotes,
 * lists and code blocks; text with its marks; a mention as `@name`. Every piece of text is escaped
 * and nothing is parsed from it, so what the page shows is what the ADF says — mentions exactly
 * where there are mention nodes, quotes exactly where there are quote nodes.
 */
export function adfToHtml(body: unknown, nameOf: (accountId: string) => string = (id) => id): string {
  if (!isAdfDoc(body)) return '';
  const render = (node: unknown, depth: number): string => {
    if (!isObject(node) || depth > 64) return '';
    const children = () => (Array.isArray(node.content) ? node.content.map((c) => render(c, depth + 1)).join('') : '');
    switch (node.type) {
      case 'text': {
        let html = escapeHtml(typeof node.text === 'string' ? node.text : '');
        for (const m of Array.isArray(node.marks) ? node.marks : []) {
          const tag = isObject(m) && typeof m.type === 'string' ? MARK_TAGS[m.type] : undefined;
          if (tag) html = `<${tag}>${html}</${tag}>`;
        }
        return html;
      }
      case 'mention': {
        const id = isObject(node.attrs) ? String(node.attrs.id ?? '') : '';
        return `<span class="mention" data-account-id="${escapeHtml(id)}">@${escapeHtml(nameOf(id))}</span>`;
      }
      case 'hardBreak':
        return '<br>';
      case 'paragraph':
        return `<p>${children()}</p>`;
      case 'blockquote':
        return `<blockquote>${children()}</blockquote>`;
      case 'bulletList':
        return `<ul>${children()}</ul>`;
      case 'orderedList':
        return `<ol>${children()}</ol>`;
      case 'listItem':
        return `<li>${children()}</li>`;
      case 'codeBlock':
        return `<pre><code>${children()}</code></pre>`;
      case 'heading':
        return `<p><strong>${children()}</strong></p>`;
      default:
        return `<div>${children()}</div>`;
    }
  };
  return (body as { content: unknown[] }).content.map((n) => render(n, 0)).join('');
}
