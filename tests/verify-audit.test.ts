/**
 * The offline audit verifier (scripts/verify-audit.ts) against the core it cross-checks: both hash random records
 * alike (RFC 8785: unicode, escapes, names that sort differently in UTF-16, numbers of every kind); an export taken
 * from the playground verifies; tampering with it (one byte, a removed record, two records swapped, a record
 * re-hashed the old way) fails and names the record; a chain hashed the old way still verifies, on its own and
 * continued by the core; and the Python snippet core/CONTRACT.md gives auditors reproduces the hashes.
 * AUDIT_CASES=20000 runs the random part longer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { core, type AuditRecord } from '../forge-app/src/decision/core';
import { seededRandom } from '../playground/forge-runtime/queue';
import { rawFetch } from '../playground/forge-runtime/index';
import { startPlayground } from '../playground/server';
import {
  GENESIS_HASH,
  HASH_VERSION,
  LEGACY_HASH_VERSION,
  canonicalJson,
  main,
  recordHash,
  verifyRecords,
  type AuditRecordJson,
} from '../scripts/verify-audit';
import { DEMO_ACCOUNTS as A } from '../playground/demo';

const CASES = Number(process.env.AUDIT_CASES ?? 3000);
const root = join(import.meta.dirname, '..');
const LEGACY_FIXTURE = join(root, 'core/tests/fixtures/audit-chain-v1.json');

// ---- random records --------------------------------------------------------------------------------------------------

/** Characters where JCS implementations differ if they get it wrong. */
const ALPHABET = [
  'a', 'Z', '0', ' ', '"', '\\', '/', "'", '<', '&', '\u0000', '\u0001', '\b', '\t', '\n', '\u000b', '\f', '\r', '\u001f',
  '\u007f', '\u0080', '\u00e9', '\u00f6', '\u2028', '\u2029', '\u20ac', '\ue000', '\ufb33', '\ufeff', '\uffff', '\u{1f600}',
  '\u{1d11e}', '\u{10ffff}', 'e\u0301', '\u202e',
];

function randomString(r: () => number, max = 8): string {
  let s = '';
  for (let n = Math.floor(r() * max); n > 0; n--) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

/** Any finite double, from its bits; plus the values number formatting gets wrong first. */
function randomNumber(r: () => number): number {
  const special = [0, -0, 1, -1, 0.1, 0.5, 1e21, 1e20, 123e18, 1e-6, 1e-7, 9.999999999999997e-7, 5e-324, -5e-324, 2 ** 53, 2 ** 53 + 2, -(2 ** 60),
    1.7976931348623157e308, 333333333.3333333, 1424953923781206.2, 295147905179352830000, 4.35, 0.000001, 100, 1e300];
  const k = r();
  if (k < 0.25) return special[Math.floor(r() * special.length)]!;
  if (k < 0.5) return Math.floor(r() * 2 ** 40) - 2 ** 39;
  for (;;) {
    const bits = new DataView(new ArrayBuffer(8));
    bits.setUint32(0, Math.floor(r() * 2 ** 32));
    bits.setUint32(4, Math.floor(r() * 2 ** 32));
    const x = bits.getFloat64(0);
    if (Number.isFinite(x)) return x;
  }
}

function randomValue(r: () => number, depth: number): unknown {
  switch (Math.floor(r() * (depth > 2 ? 5 : 7))) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return randomNumber(r);
    case 3: case 4: return randomString(r, 12);
    case 5: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: return randomObject(r, depth + 1);
  }
}

function randomObject(r: () => number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  // Names include integer-like ones ("10" vs "9": JS objects put those first) and ones that sort differently by
  // UTF-16 code unit than by code point (U+E000..U+FFFF against U+10000 and up).
  for (let n = Math.floor(r() * 5); n > 0; n--) o[r() < 0.2 ? String(Math.floor(r() * 20)) : randomString(r, 4)] = randomValue(r, depth);
  return o;
}

/** A chain of random records hashed by the verifier (version 2). */
function randomChain(r: () => number, n: number): AuditRecordJson[] {
  const out: AuditRecordJson[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const record: AuditRecordJson = {
      seq,
      prevHash: prev,
      hashVersion: HASH_VERSION,
      at: new Date(Date.UTC(2000, 0, 1) + Math.floor(r() * 100 * 365 * 86_400_000)).toISOString(),
      actor: randomString(r) || 'system',
      event: randomString(r) || 'tick',
      outcome: ['accepted', 'refused', 'noted'][Math.floor(r() * 3)],
      details: randomObject(r, 0),
    };
    for (const k of ['grantId', 'issueKey', 'target']) if (r() < 0.6) record[k] = randomString(r, 6);
    record.hash = recordHash(record);
    prev = record.hash as string;
    out.push(record);
  }
  return out;
}

test('the core and the verifier hash random records alike (unicode, escapes, name order, numbers)', () => {
  const r = seededRandom(8785);
  const records = randomChain(r, CASES);
  const answer = core.verifyAudit({ records: records as unknown as AuditRecord[] });
  assert.ok(answer.ok, JSON.stringify(answer));
  if (!answer.valid) {
    const at = answer.firstBroken!.index;
    assert.fail(`the core disagrees with the verifier on record ${at + 1}: ${answer.firstBroken!.reason}\n${canonicalJson({ ...records[at], hash: undefined })}`);
  }
  assert.equal(answer.checked, CASES);
  assert.equal(answer.head.hash, records.at(-1)!.hash);
  // The verifier agrees with itself, and a change to any one record is seen by both.
  assert.equal(verifyRecords(records).valid, true);
  const victim = Math.floor(CASES / 2);
  const edited = records.map((x, i) => (i === victim ? { ...x, details: { ...(x.details as object), extra: 1 } } : x));
  assert.equal(verifyRecords(edited).firstBroken?.seq, victim + 1);
  const coreEdited = core.verifyAudit({ records: edited as unknown as AuditRecord[] });
  assert.ok(coreEdited.ok && coreEdited.firstBroken?.seq === victim + 1, JSON.stringify(coreEdited));
});

test('the verifier writes RFC 8785 as the RFC shows it (section 3.2.2, 3.2.3 and Appendix B)', () => {
  const sample = JSON.parse(
    '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
  );
  assert.equal(canonicalJson(sample), '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  const names = { '\u20ac': 1, '\r': 2, '\ufb33': 3, '1': 4, '\u{1f600}': 5, '\u0080': 6, '\u00f6': 7 };
  assert.equal(canonicalJson(names), '{"\\r":2,"1":4,"\u0080":6,"ö":7,"€":1,"\u{1f600}":5,"\ufb33":3}');
  assert.equal(canonicalJson([-0, 1e21, 1e-7, 2 ** 53]), '[0,1e+21,1e-7,9007199254740992]');
  assert.throws(() => canonicalJson({ a: '\ud800' }), /lone surrogate/);
});

// ---- the command line on a real export ------------------------------------------------------------------------------

/** Runs the command line in-process: status and output. */
function cli(...args: string[]): { status: number; out: string } {
  const lines: string[] = [];
  const status = main(args, (l) => lines.push(l), (l) => lines.push(l));
  return { status, out: lines.join('\n') };
}

/** Takes an export from the playground: a request approved, activated, an extension refused and granted, completed. */
async function playgroundExport(dataDir: string): Promise<{ records: AuditRecordJson[]; text: string }> {
  const pg = await startPlayground({ port: 0, dataDir, startAt: Date.UTC(2026, 5, 1, 9, 0, 0), log: () => undefined });
  try {
    const post = async (body: unknown) => {
      const res = await rawFetch(`${pg.url}/__playground/invoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as { ok: boolean; data?: any; error?: { code: string } };
    };
    const panel = (as: string, fn: string, payload: unknown = {}) => post({ as, issueKey: 'JIT-1', fn, payload });
    assert.ok((await panel(A.alice, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: 'rotate the SAML certificate «ü» 🔐' })).ok);
    assert.equal((await panel(A.alice, 'approve')).error?.code, 'SELF_APPROVAL');
    assert.ok((await panel(A.bob, 'approve')).ok);
    assert.ok((await panel(A.alice, 'activate')).ok);
    assert.ok((await panel(A.alice, 'requestExtension', { minutes: 30, justification: 'the IdP "metadata" is still\ncached' })).ok);
    assert.equal((await panel(A.bob, 'approveExtension')).error?.code, 'SAME_APPROVER');
    assert.ok((await panel(A.carol, 'approveExtension')).ok);
    assert.ok((await panel(A.alice, 'complete')).ok);
    const exported = await post({ as: A['perm-1'], module: 'admin', fn: 'exportAudit', payload: { format: 'json' } });
    assert.ok(exported.ok, JSON.stringify(exported));
    const text = exported.data.content as string;
    return { records: JSON.parse(text), text };
  } finally {
    await pg.close();
  }
}

test('a playground export verifies offline; tampering fails and names the record', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'jit-verify-audit-'));
  try {
    const { records, text } = await playgroundExport(join(tmp, 'data'));
    assert.ok(records.length >= 8, `${records.length} records`);
    assert.ok(records.every((r) => r.hashVersion === HASH_VERSION), 'the core writes version 2');
    const file = join(tmp, 'export.json');
    writeFileSync(file, text);
    const last = records.at(-1)!;
    const head = `${last.seq}:${last.hash}`;

    // The real command line, as an auditor runs it: exit status and verdict.
    const run = (...args: string[]) => spawnSync('bash', [join(root, 'scripts/node22.sh'), join(root, 'scripts/verify-audit.ts'), ...args], { encoding: 'utf8' });
    const ok = run(file, '--head', head);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /VALID: every hash and link checks out, and the chain ends at the expected head/);
    const wrongHead = run(file, '--head', `${last.seq}:${'f'.repeat(64)}`);
    assert.equal(wrongHead.status, 1, wrongHead.stdout);
    assert.match(wrongHead.stdout, /BROKEN .*not the expected f{12}/);
    assert.equal(run().status, 2, 'no file is a usage error');

    const broken = (mutated: unknown[], ...args: string[]) => {
      const f = join(tmp, 'mutated.json');
      writeFileSync(f, JSON.stringify(mutated, null, 2));
      return cli(f, ...args);
    };
    const k = 4; // an index inside the chain (seq 5)
    const seq = records[k]!.seq as number;

    // One altered byte of the file: a letter of record seq 5's actor.
    const at = text.indexOf(`"actor": "${records[k]!.actor}"`, text.indexOf(`"seq": ${seq},`));
    const byte = at + '"actor": "'.length;
    const altered = text.slice(0, byte) + (text[byte] === 'x' ? 'y' : 'x') + text.slice(byte + 1);
    writeFileSync(join(tmp, 'altered.json'), altered);
    let v = cli(join(tmp, 'altered.json'));
    assert.equal(v.status, 1, v.out);
    assert.match(v.out, new RegExp(`BROKEN at record seq ${seq} .*the record's content does not match its hash`));

    // A removed record: the next one names the gap.
    v = broken(records.filter((_, i) => i !== k));
    assert.equal(v.status, 1);
    assert.match(v.out, new RegExp(`BROKEN at record seq ${seq + 1} .*expected seq ${seq}, found ${seq + 1}`));

    // Two records swapped.
    const swapped = [...records];
    [swapped[k], swapped[k + 1]] = [swapped[k + 1]!, swapped[k]!];
    v = broken(swapped);
    assert.equal(v.status, 1);
    assert.match(v.out, new RegExp(`BROKEN at record seq ${seq + 1} \\(position ${k + 1} in the file\\): expected seq ${seq}, found ${seq + 1}`));

    // A downgrade: record seq 5 re-hashed the old way (no hashVersion), every later link recomputed to match, so
    // each hash and link holds. Only the rule that a chain never returns to the old form sees it.
    const downgraded = records.map((x) => ({ ...x }));
    delete downgraded[k]!.hashVersion;
    downgraded[k]!.hash = recordHash(downgraded[k]!, LEGACY_HASH_VERSION);
    for (let i = k + 1; i < downgraded.length; i++) {
      downgraded[i]!.prevHash = downgraded[i - 1]!.hash;
      downgraded[i]!.hash = recordHash(downgraded[i]!);
    }
    v = broken(downgraded);
    assert.equal(v.status, 1);
    assert.match(v.out, new RegExp(`BROKEN at record seq ${seq} .*hash version 1 after version 2`));
    const coreAnswer = core.verifyAudit({ records: downgraded as unknown as AuditRecord[] });
    assert.ok(coreAnswer.ok && coreAnswer.firstBroken?.seq === seq && /never returns/.test(coreAnswer.firstBroken.reason), JSON.stringify(coreAnswer));

    // The newest record removed: only the head shows it.
    assert.equal(broken(records.slice(0, -1)).status, 0, 'a chain cut at the end is still a chain');
    v = broken(records.slice(0, -1), '--head', head);
    assert.equal(v.status, 1);
    assert.match(v.out, new RegExp(`BROKEN at record seq ${last.seq} .*records are missing from the end`));

    // A chain recomputed from scratch after an edit verifies on its own; a checkpoint kept from before shows it.
    const rewritten = records.map((x) => ({ ...x }));
    rewritten[1]!.actor = A.carol;
    for (let i = 0; i < rewritten.length; i++) {
      rewritten[i]!.prevHash = i === 0 ? GENESIS_HASH : rewritten[i - 1]!.hash;
      rewritten[i]!.hash = recordHash(rewritten[i]!);
    }
    assert.equal(broken(rewritten).status, 0);
    v = broken(rewritten, '--checkpoint', `${records[3]!.seq}:${records[3]!.hash}`);
    assert.equal(v.status, 1);
    assert.match(v.out, /record seq 4 has hash .* the chain was rewritten since/);

    // An export of only the newest records starts from its first record's link; a checkpoint just before checks it.
    v = broken(records.slice(3), '--checkpoint', `${records[2]!.seq}:${records[2]!.hash}`);
    assert.equal(v.status, 0, v.out);
    assert.match(v.out, /starts after seq 3/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// ---- the old form ----------------------------------------------------------------------------------------------------

test('a chain hashed the old way still verifies, and the core continues it in the new form', () => {
  const legacy = JSON.parse(readFileSync(LEGACY_FIXTURE, 'utf8')) as AuditRecordJson[];
  assert.ok(legacy.every((r) => r.hashVersion === undefined));
  const v = cli(LEGACY_FIXTURE);
  assert.equal(v.status, 0, v.out);
  assert.match(v.out, /14 × version 1/);
  const coreAnswer = core.verifyAudit({ records: legacy as unknown as AuditRecord[] });
  assert.ok(coreAnswer.ok && coreAnswer.valid && coreAnswer.checked === legacy.length, JSON.stringify(coreAnswer));

  // The core appends to an installation's old chain: a refused approval by mallory is audited.
  const last = legacy.at(-1)!;
  const examples = join(root, 'core/contract/examples');
  const input = JSON.parse(readFileSync(join(examples, '02-approve.input.json'), 'utf8'));
  input.actor = { accountId: A.mallory, groupIds: [] };
  input.auditHead = { seq: last.seq, hash: last.hash };
  const refused = core.decide(input);
  assert.ok(!refused.ok && refused.audit?.length === 1, JSON.stringify(refused));
  const continued = [...legacy, ...(refused.audit as unknown as AuditRecordJson[])];
  const verdict = verifyRecords(continued);
  assert.equal(verdict.valid, true, JSON.stringify(verdict.firstBroken));
  assert.deepEqual(verdict.versions, { [LEGACY_HASH_VERSION]: legacy.length, [HASH_VERSION]: 1 });
  // One altered character in an old record is still seen.
  const edited = continued.map((x, i) => (i === 2 ? { ...x, actor: A.mallory } : x));
  assert.equal(verifyRecords(edited).firstBroken?.seq, 3);
});

// ---- the documented Python ---------------------------------------------------------------------------------------------

const python = spawnSync('python3', ['--version']).status === 0;

/** The fenced Python blocks of a page that use hashlib, without their list-item indentation. */
function pythonSnippets(page: string): string[] {
  return [...readFileSync(join(root, page), 'utf8').matchAll(/```python\n([\s\S]*?)\n\s*```/g)]
    .map((m) => m[1]!)
    .filter((block) => block.includes('hashlib'))
    .map((block) => {
      const lines = block.split('\n');
      const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
      return lines.map((l) => l.slice(indent)).join('\n');
    });
}

function runPython(script: string, records: AuditRecordJson[]): string[] {
  const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(records), encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim().split('\n');
}

test("the Python in CONTRACT.md and SECURITY.md reproduces the core's hashes", { skip: !python && 'python3 is not installed' }, () => {
  // Records the core wrote, Unicode and escapes included.
  const records = JSON.parse(readFileSync(join(root, 'core/contract/examples/24-verify-audit.input.json'), 'utf8')).records as AuditRecordJson[];
  const input = JSON.parse(readFileSync(join(root, 'core/contract/examples/01-submit.input.json'), 'utf8'));
  input.event.justification = 'Rotate the \u201cSAML\u201d cert \u00e9\u00e8 \u{1f510} \\ "quoted" / <b>';
  const submitted = core.decide(input);
  assert.ok(submitted.ok);
  records.push(...(submitted.audit as unknown as AuditRecordJson[]));

  const [contract] = pythonSnippets('core/CONTRACT.md');
  assert.ok(contract?.includes('def record_hash'), 'CONTRACT.md has the Python function');
  const lines = runPython(`${contract}\nimport json, sys\nfor r in json.load(sys.stdin):\n    print(record_hash(r) == r["hash"], r["seq"])\n`, records);
  assert.equal(lines.length, records.length);
  assert.ok(lines.every((l) => l.startsWith('True ')), lines.join('\n'));

  const [security] = pythonSnippets('SECURITY.md');
  assert.ok(security?.includes('hashlib.sha256'), 'SECURITY.md has the Python lines');
  const body = security!.split('\n').map((l) => `    ${l}`).join('\n');
  assert.deepEqual(runPython(`import json, sys\nfor record in json.load(sys.stdin):\n${body}\nprint("all checked")\n`, records), ['all checked']);
});
