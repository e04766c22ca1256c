// Verifies an audit export offline, WITHOUT the app's Wasm core: an independent implementation of the hash
// (RFC 8785 canonical JSON + SHA-256, core/CONTRACT.md "The audit chain"), so it also cross-checks the core.
//
//   npm run verify-audit -- <export.json> [--head <seq>:<hash>] [--checkpoint <seq>:<hash>]...
//   scripts/node22.sh scripts/verify-audit.ts <export.json> ...     (the same)
//   node --experimental-strip-types scripts/verify-audit.ts ...      (any Node ≥ 22.6: no dependency but node:*)
//
// <export.json>   the admin page's JSON export (an array of records), or `{"records": [...]}`.
// --head          the chain must END here: the head the app's storage shows (the audit page) or that you were given.
// --checkpoint    the chain must PASS here: the last seq/hash of an earlier export, kept where the app's admins cannot
//                 write. A chain recomputed from scratch verifies on its own; only a checkpoint shows it. Repeatable.
//
// Exit status: 0 the chain verifies; 1 it does not (the first broken record is named); 2 usage or unreadable file.
//
// Every record is checked like the core's `verifyAudit`: `seq` counts up by one, `prevHash` is the previous record's
// `hash` (64 zeros before seq 1), `hash` is the record's hash in its `hashVersion` (2: RFC 8785; absent: version 1,
// written before RFC 8785), and a chain never returns from version 2 to 1. It is stricter than the core in two ways
// that no record the app writes can trip: a member no hash covers, and an `at` not in the core's fixed form, are
// refused. An export that starts after seq 1 (the newest 10,000 records) is checked from its first record's
// `prevHash`, which is taken as given: a --checkpoint just before it checks that link too.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const GENESIS_HASH = '0'.repeat(64);
/** The `hashVersion` of every record the core writes now. */
export const HASH_VERSION = 2;
/** Records without `hashVersion`. */
export const LEGACY_HASH_VERSION = 1;

export interface Head {
  seq: number;
  hash: string;
}

/** A record as exported (loosely typed: the file is what is being checked). */
export type AuditRecordJson = Record<string, unknown>;

/** The members a hash covers; anything else in a record is refused. */
const OPTIONAL = ['grantId', 'issueKey', 'target'] as const;
const KNOWN = new Set(['seq', 'prevHash', 'hash', 'hashVersion', 'at', 'actor', 'event', 'outcome', ...OPTIONAL, 'details']);
/** `Date.prototype.toISOString()` of a year 0–9999: the only form the core writes `at` in. */
const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * RFC 8785 (JCS). ECMAScript's own `JSON.stringify` is what JCS specifies for literals, strings and numbers; objects
 * get their members sorted by UTF-16 code units (the default `sort`), written here rather than by `JSON.stringify`,
 * which would put integer-like names first.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} has no JSON form`);
    return JSON.stringify(value);
  }
  if (typeof value === 'string') {
    // JCS refuses a lone surrogate (it is not Unicode text); JSON.stringify would escape it.
    if (/\p{Cs}/u.test(value)) throw new Error('a string holds a lone surrogate');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const members = Object.keys(object)
      .sort()
      .map((k) => `${canonicalJson(k)}:${canonicalJson(object[k])}`);
    return `{${members.join(',')}}`;
  }
  throw new Error(`a ${typeof value} has no JSON form`);
}

/** Version 1: serde_json's compact JSON, members in a fixed order, objects in `details` sorted by code point. */
function legacyJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(legacyJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const byCodePoint = (a: string, b: string) => {
      const [x, y] = [Array.from(a, (c) => c.codePointAt(0)!), Array.from(b, (c) => c.codePointAt(0)!)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    };
    const members = Object.keys(object)
      .sort(byCodePoint)
      .map((k) => `${JSON.stringify(k)}:${legacyJson(object[k])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

const present = (v: unknown) => v !== undefined && v !== null;

/** The text a record's hash is taken over, in the given version. */
export function hashedText(record: AuditRecordJson, version: number): string {
  if (version === HASH_VERSION) {
    // The record without `hash`; absent (or null) optional members left out, as the core reads them.
    const body: Record<string, unknown> = {};
    for (const k of ['seq', 'prevHash', 'at', 'actor', 'event', 'outcome', ...OPTIONAL]) if (present(record[k])) body[k] = record[k];
    body.hashVersion = HASH_VERSION;
    body.details = record.details ?? {};
    return canonicalJson(body);
  }
  const parts = [
    `"seq":${JSON.stringify(record.seq)}`,
    `"prevHash":${JSON.stringify(record.prevHash)}`,
    `"at":${JSON.stringify(record.at)}`,
    `"actor":${JSON.stringify(record.actor)}`,
    `"event":${JSON.stringify(record.event)}`,
    `"outcome":${JSON.stringify(record.outcome)}`,
  ];
  for (const k of OPTIONAL) if (present(record[k])) parts.push(`"${k}":${JSON.stringify(record[k])}`);
  parts.push(`"details":${legacyJson(record.details ?? {})}`);
  return `{${parts.join(',')}}`;
}

/** SHA-256 (lower-case hex) of a record in the given version. */
export function recordHash(record: AuditRecordJson, version: number = HASH_VERSION): string {
  return createHash('sha256').update(hashedText(record, version), 'utf8').digest('hex');
}

/** Why a record cannot even be hashed (a member of the wrong type, or one no hash covers), if it cannot. */
function malformed(r: unknown): string | undefined {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return 'is not a JSON object';
  const record = r as AuditRecordJson;
  const unknown = Object.keys(record).filter((k) => !KNOWN.has(k));
  if (unknown.length) return `has ${unknown.map((k) => `\`${k}\``).join(', ')}, which no hash covers`;
  if (!Number.isSafeInteger(record.seq) || (record.seq as number) < 1) return '`seq` is not a positive integer';
  for (const k of ['prevHash', 'hash', 'actor', 'event'] as const) if (typeof record[k] !== 'string') return `\`${k}\` is not a string`;
  if (typeof record.at !== 'string' || !AT.test(record.at)) return '`at` is not a UTC time like 2026-06-01T09:00:00.000Z';
  if (!['accepted', 'refused', 'noted'].includes(record.outcome as string)) return '`outcome` is not accepted, refused or noted';
  for (const k of OPTIONAL) if (present(record[k]) && typeof record[k] !== 'string') return `\`${k}\` is not a string`;
  const details = record.details;
  if (details !== undefined && (details === null || typeof details !== 'object' || Array.isArray(details))) return '`details` is not an object';
  try {
    hashedText(record, HASH_VERSION);
  } catch (e) {
    return `cannot be canonicalised: ${(e as Error).message}`;
  }
  return undefined;
}

export interface Broken {
  /** Position in the file (from 0). */
  index: number;
  /** The record's `seq` as the file claims it (or the one expected, for a record without one). */
  seq: number;
  reason: string;
}

export interface Verdict {
  valid: boolean;
  /** Records whose every check passed, from the first. */
  checked: number;
  /** Where the verified part of the chain ends. */
  head: Head;
  /** Where it started: the genesis, or the link the first record's `prevHash` claims. */
  start: Head;
  /** How many verified records use each hash version. */
  versions: Record<number, number>;
  firstBroken?: Broken;
}

export interface Options {
  /** The chain must end here. */
  head?: Head;
  /** The chain must pass through each of these. */
  checkpoints?: Head[];
}

/** Verifies exported records, first to last; stops at the first broken one. */
export function verifyRecords(records: unknown[], options: Options = {}): Verdict {
  const first = records[0] as AuditRecordJson | undefined;
  const firstSeq = first && Number.isSafeInteger(first.seq) ? (first.seq as number) : 1;
  const start: Head =
    firstSeq > 1 && typeof first?.prevHash === 'string' ? { seq: firstSeq - 1, hash: first.prevHash } : { seq: 0, hash: GENESIS_HASH };
  let head = start;
  let newest = LEGACY_HASH_VERSION;
  const versions: Record<number, number> = {};
  const seen = new Map<number, string>([[start.seq, start.hash]]);
  const verdict = (firstBroken?: Broken): Verdict => ({ valid: !firstBroken, checked: head.seq - start.seq, head, start, versions, ...(firstBroken ? { firstBroken } : {}) });

  for (const [index, r] of records.entries()) {
    const expected = head.seq + 1;
    const record = r as AuditRecordJson;
    const seq = r !== null && typeof r === 'object' && Number.isSafeInteger(record.seq) ? (record.seq as number) : expected;
    const broken = (reason: string) => verdict({ index, seq, reason });
    const problem = malformed(r);
    if (problem) return broken(`the record ${problem}`);
    if (record.seq !== expected) return broken(`expected seq ${expected}, found ${record.seq}`);
    if (record.prevHash !== head.hash) return broken("prevHash does not match the previous record's hash");
    const version = present(record.hashVersion) ? record.hashVersion : LEGACY_HASH_VERSION;
    if (present(record.hashVersion) && record.hashVersion !== HASH_VERSION) {
      return broken(`unknown hashVersion ${JSON.stringify(record.hashVersion)} (records of version ${LEGACY_HASH_VERSION} carry none)`);
    }
    if ((version as number) < newest) {
      return broken(`hash version ${version} after version ${newest}: a chain never returns to an older hash form`);
    }
    if (recordHash(record, version as number) !== record.hash) return broken("the record's content does not match its hash");
    newest = version as number;
    versions[newest] = (versions[newest] ?? 0) + 1;
    head = { seq: record.seq as number, hash: record.hash as string };
    seen.set(head.seq, head.hash);
  }

  const at = (index: number, seq: number, reason: string) => verdict({ index, seq, reason });
  for (const c of options.checkpoints ?? []) {
    const hash = seen.get(c.seq);
    if (hash === undefined) {
      return at(records.length, c.seq, `the checkpoint ${c.seq}:${short(c.hash)} is outside this export (it holds seq ${start.seq + 1}–${head.seq})`);
    }
    if (hash !== c.hash) {
      const where = c.seq === start.seq ? `the link before seq ${c.seq + 1}` : `record seq ${c.seq}`;
      return at(Math.max(0, c.seq - start.seq - 1), c.seq, `${where} has hash ${short(hash)}, not the checkpoint's ${short(c.hash)}: the chain was rewritten since`);
    }
  }
  if (options.head && (options.head.seq !== head.seq || options.head.hash !== head.hash)) {
    const reason =
      options.head.seq > head.seq
        ? `the chain ends at seq ${head.seq} but its head is at seq ${options.head.seq}: records are missing from the end`
        : options.head.seq === head.seq
          ? `the chain ends at seq ${head.seq} with hash ${short(head.hash)}, not the expected ${short(options.head.hash)}`
          : `the chain goes on past the expected head (seq ${options.head.seq}) to seq ${head.seq}`;
    return at(Math.min(records.length, Math.max(0, options.head.seq - start.seq)), Math.min(head.seq, options.head.seq) + 1, reason);
  }
  return verdict();
}

const short = (hash: string) => (hash.length > 16 ? `${hash.slice(0, 12)}…` : hash);

/** `seq:hash`. */
export function parseHead(text: string, flag: string): Head {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} needs <seq>:<64 hex digits>, got \`${text}\``);
  return { seq: Number(m[1]), hash: m[2]! };
}

class UsageError extends Error {}

/** Reads an export: an array of records, or `{records: [...]}`. */
export function readExport(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new UsageError(`${file} is not JSON (${(e as Error).message}); the CSV export cannot be verified, export JSON`);
  }
  const records = Array.isArray(parsed) ? parsed : (parsed as { records?: unknown } | null)?.records;
  if (!Array.isArray(records)) throw new UsageError(`${file} holds neither an array of audit records nor {"records": [...]}`);
  return records;
}

/** The report printed for a verdict. */
export function report(file: string, records: unknown[], v: Verdict, options: Options): string {
  const lines = [`audit export: ${file}`];
  const count = records.length;
  const seqOf = (r: unknown) => (r !== null && typeof r === 'object' ? (r as AuditRecordJson).seq : undefined);
  const range = count ? `seq ${seqOf(records[0]) ?? '?'}–${seqOf(records[count - 1]) ?? '?'} in the file` : 'empty';
  const versions = Object.entries(v.versions)
    .map(([version, n]) => `${n} × version ${version}`)
    .join(', ');
  lines.push(`  records: ${count} (${range})${versions ? `; hashes: ${versions}` : ''}`);
  if (v.start.seq > 0) {
    lines.push(`  starts after seq ${v.start.seq}: its link (${short(v.start.hash)}) is taken from the file; a --checkpoint checks it`);
  }
  if (v.valid) {
    lines.push(`  head: ${v.head.seq}:${v.head.hash}`);
    const also = [options.head ? 'ends at the expected head' : '', options.checkpoints?.length ? `passes ${options.checkpoints.length} checkpoint(s)` : '']
      .filter(Boolean)
      .join(' and ');
    lines.push(`VALID: every hash and link checks out${also ? `, and the chain ${also}` : ''}.`);
    if (!options.head) lines.push('  (compare the head with the one the audit page shows, or pass it as --head)');
  } else {
    const b = v.firstBroken!;
    lines.push(`BROKEN at record seq ${b.seq} (position ${b.index + 1} in the file): ${b.reason}`);
    lines.push(`  verified before it: ${v.checked} record(s)${v.checked ? `, through ${v.head.seq}:${v.head.hash}` : ''}`);
  }
  return lines.join('\n');
}

/** The command line; returns the exit status. */
export function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): number {
  const usage = 'usage: npm run verify-audit -- <export.json> [--head <seq>:<hash>] [--checkpoint <seq>:<hash>]...';
  try {
    let file: string | undefined;
    const options: Options = { checkpoints: [] };
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      const value = () => {
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`${arg} needs a value`);
        return v;
      };
      if (arg === '--head') options.head = parseHead(value(), arg);
      else if (arg === '--checkpoint') options.checkpoints!.push(parseHead(value(), arg));
      else if (arg === '-h' || arg === '--help') {
        out(usage);
        return 0;
      } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
      else if (file === undefined) file = arg;
      else throw new UsageError(`one export at a time (got ${file} and ${arg})`);
    }
    if (file === undefined) throw new UsageError('which export? Give the JSON file the admin page exported');
    // `npm run` starts scripts in the package root; a relative path is the caller's.
    const resolved = path.resolve(process.env.INIT_CWD ?? process.cwd(), file);
    const records = readExport(resolved);
    const verdict = verifyRecords(records, options);
    out(report(file, records, verdict, options));
    return verdict.valid ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`verify-audit: ${e.message}\n${usage}`);
      return 2;
    }
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
