/**
 * Hostile input through the issue panel's resolver: wrong types, missing fields, huge strings,
 * odd Unicode, absurd durations, time-zone edge cases and payloads that are not objects. Each must
 * get a clear `{ok: false, error: {code, message, path}}` (the path naming the field where there
 * is one), the resolver must never throw, and nothing may change: no grant created or changed, no
 * org-API write, no comment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LocalApp } from '../playground/local-app';
import { answer, demoApp, orgAdmins, T0 } from './support/app';
import { buildState, closeGrant, grantOf, orgWrites, rawPanel, SUBMIT, type State } from './support/security';
import { act } from '../forge-app/src/handlers/act';
import { platform } from '../forge-app/src/platform';

const JUSTIFICATION = 'Rotate the SAML signing certificate (INC-4711)';
/**
 * Huge, but deliverable: Forge refuses front-end invoke payloads over 500 KB before any resolver
 * runs ("Invocation limits"; the local runtime does too), so 400 KB is the most a resolver can get.
 */
const MB = 'x'.repeat(400 * 1024);
const minutesFrom = (iso: string) => Math.floor((Date.parse(iso) - T0) / 60_000);

interface Case {
  name: string;
  payload: unknown;
  code: string;
  /** The field the error must name; `null` when the error is about no field. */
  path: string | null;
  /** Text the message must contain (proves what was understood). */
  says?: string;
}

/** Calls the resolver, never letting an exception escape: a throw is reported as a problem. */
async function call(app: LocalApp, as: string, key: string, fn: string, payload: unknown): Promise<{ result?: any; thrown?: unknown }> {
  try {
    return { result: await rawPanel(app, as, key, fn, payload) };
  } catch (thrown) {
    return { thrown };
  }
}

/** Checks one refused call's answer against the case; returns what is wrong, if anything. */
function judge(c: Case, outcome: { result?: any; thrown?: unknown }): string[] {
  if (outcome.thrown !== undefined) return [`threw: ${String(outcome.thrown).slice(0, 300)}`];
  const r = outcome.result;
  if (!r || typeof r !== 'object') return [`answered ${JSON.stringify(r)?.slice(0, 200)}, not an envelope`];
  if (r.ok !== false) return [`was accepted (expected ${c.code}${c.path ? ` at ${c.path}` : ''})`];
  const e = r.error ?? {};
  const wrong: string[] = [];
  if (e.code !== c.code) wrong.push(`code ${e.code} (${e.message}), expected ${c.code}`);
  if (c.path !== null && e.path !== c.path) wrong.push(`path ${e.path}, expected ${c.path}`);
  if (typeof e.message !== 'string' || e.message.trim() === '') wrong.push('no message');
  else if (e.message.length > 600) wrong.push(`a ${e.message.length}-character message (it echoes the input)`);
  if (c.says && !String(e.message).includes(c.says)) wrong.push(`message "${e.message}" does not say "${c.says}"`);
  return wrong;
}

/** What must not move: the grant on the issue, org-API writes and the issue's comments. */
async function snapshot(app: LocalApp, key: string) {
  return { grant: JSON.stringify(await grantOf(app, key)), writes: orgWrites(app), comments: app.jira.comments(key).length };
}

async function unchanged(app: LocalApp, key: string, before: Awaited<ReturnType<typeof snapshot>>): Promise<string[]> {
  const after = await snapshot(app, key);
  const wrong: string[] = [];
  if (after.grant !== before.grant) wrong.push(`changed the grant: ${after.grant.slice(0, 160)}`);
  if (after.writes !== before.writes) wrong.push(`made ${after.writes - before.writes} org-API write(s)`);
  if (after.comments !== before.comments) wrong.push('commented on the issue');
  return wrong;
}

/** Each case on a fresh issue without a grant, as alice (who may request org-admin). */
async function submitCases(app: LocalApp, cases: Case[]): Promise<string[]> {
  const problems: string[] = [];
  for (const c of cases) {
    const { key } = app.createIssue(`hostile: ${c.name}`, 'alice');
    const before = await snapshot(app, key);
    const wrong = [...judge(c, await call(app, 'alice', key, 'submitRequest', c.payload)), ...(await unchanged(app, key, before))];
    if (wrong.length) problems.push(`${c.name}: ${wrong.join('; ')}`);
    if (await grantOf(app, key)) await closeGrant(app, key); // an accepted case must not block the next
  }
  return problems;
}

const sub = (fields: Record<string, unknown>) => ({ target: 'org-admin', durationMinutes: 60, justification: JUSTIFICATION, ...fields });

test('submitRequest: wrong types and missing fields name the field', async () => {
  const app = await demoApp();
  try {
    const cases: Case[] = [
      { name: 'target number', payload: sub({ target: 42 }), code: 'INVALID_INPUT', path: 'event.target' },
      { name: 'target array', payload: sub({ target: ['org-admin'] }), code: 'INVALID_INPUT', path: 'event.target' },
      { name: 'target object', payload: sub({ target: { key: 'org-admin' } }), code: 'INVALID_INPUT', path: 'event.target' },
      { name: 'target boolean', payload: sub({ target: true }), code: 'INVALID_INPUT', path: 'event.target' },
      { name: 'durationMinutes string', payload: sub({ durationMinutes: '60' }), code: 'INVALID_INPUT', path: 'event.durationMinutes' },
      { name: 'durationMinutes array', payload: sub({ durationMinutes: [60] }), code: 'INVALID_INPUT', path: 'event.durationMinutes' },
      { name: 'durationMinutes object', payload: sub({ durationMinutes: { minutes: 60 } }), code: 'INVALID_INPUT', path: 'event.durationMinutes' },
      { name: 'durationMinutes boolean', payload: sub({ durationMinutes: true }), code: 'INVALID_INPUT', path: 'event.durationMinutes' },
      { name: 'justification number', payload: sub({ justification: 12345678901 }), code: 'INVALID_INPUT', path: 'event.justification' },
      { name: 'justification array', payload: sub({ justification: [JUSTIFICATION] }), code: 'INVALID_INPUT', path: 'event.justification' },
      { name: 'justification object', payload: sub({ justification: { text: JUSTIFICATION } }), code: 'INVALID_INPUT', path: 'event.justification' },
      { name: 'justification boolean', payload: sub({ justification: false }), code: 'INVALID_INPUT', path: 'event.justification' },
      { name: 'start number', payload: sub({ start: T0 + 3_600_000 }), code: 'INVALID_INPUT', path: 'event.start' },
      { name: 'start array', payload: sub({ start: ['now'] }), code: 'INVALID_INPUT', path: 'event.start' },
      { name: 'start object', payload: sub({ start: { at: 'now' } }), code: 'INVALID_INPUT', path: 'event.start' },
      { name: 'start boolean', payload: sub({ start: true }), code: 'INVALID_INPUT', path: 'event.start' },
      { name: 'subject number', payload: sub({ subject: 42 }), code: 'INVALID_INPUT', path: 'event.subject' },
      { name: 'subject array', payload: sub({ subject: ['alice'] }), code: 'INVALID_INPUT', path: 'event.subject' },
      { name: 'subject object', payload: sub({ subject: { accountId: 'alice' } }), code: 'INVALID_INPUT', path: 'event.subject' },
      { name: 'subject boolean', payload: sub({ subject: true }), code: 'INVALID_INPUT', path: 'event.subject' },
      { name: 'empty payload', payload: {}, code: 'INVALID_INPUT', path: 'event.target' },
      { name: 'target missing', payload: { durationMinutes: 60, justification: JUSTIFICATION }, code: 'INVALID_INPUT', path: 'event.target' },
      { name: 'target null', payload: sub({ target: null }), code: 'INVALID_INPUT', path: 'event.target' },
      { name: 'target empty', payload: sub({ target: '' }), code: 'INVALID_INPUT', path: 'event.target' },
      { name: 'target padded', payload: sub({ target: ' org-admin ' }), code: 'INVALID_INPUT', path: 'event.target' },
      { name: 'target unknown', payload: sub({ target: 'super-admin' }), code: 'UNKNOWN_TARGET', path: 'event.target' },
      { name: 'justification missing', payload: { target: 'org-admin', durationMinutes: 60 }, code: 'JUSTIFICATION_REQUIRED', path: 'event.justification' },
      { name: 'justification null', payload: sub({ justification: null }), code: 'INVALID_INPUT', path: 'event.justification' },
      { name: 'justification blank', payload: sub({ justification: ' \t\n '.repeat(10) }), code: 'JUSTIFICATION_REQUIRED', path: 'event.justification' },
      { name: 'subject empty', payload: sub({ subject: '' }), code: 'INVALID_INPUT', path: 'event.subject' },
    ];
    const problems = await submitCases(app, cases);
    if (problems.length) assert.fail(`${problems.length} of ${cases.length} cases:\n${problems.join('\n')}`);
  } finally {
    await app.close();
  }
});

test('submitRequest: huge strings and odd Unicode get a clear, short error', async () => {
  const app = await demoApp();
  try {
    const cases: Case[] = [
      { name: '400 KB justification', payload: sub({ justification: MB }), code: 'INVALID_INPUT', path: 'event.justification', says: '2000' },
      { name: '2001-character justification', payload: sub({ justification: 'j'.repeat(2001) }), code: 'INVALID_INPUT', path: 'event.justification' },
      { name: '100k-character target', payload: sub({ target: 't'.repeat(100_000) }), code: 'INVALID_INPUT', path: 'event.target', says: '128' },
      { name: '100k-character subject', payload: sub({ subject: 's'.repeat(100_000) }), code: 'INVALID_INPUT', path: 'event.subject' },
      { name: '100k-character start', payload: sub({ start: `2026-06-01T10:00:00Z${' '.repeat(100_000)}` }), code: 'INVALID_INPUT', path: 'event.start' },
      { name: 'target with RTL override', payload: sub({ target: 'org\u202Eadmin' }), code: 'UNKNOWN_TARGET', path: 'event.target' },
      { name: 'target with NUL', payload: sub({ target: 'org-admin\u0000' }), code: 'INVALID_INPUT', path: 'event.target' },
      { name: 'target with a lone surrogate', payload: sub({ target: 'org-admin\uD800' }), code: 'UNKNOWN_TARGET', path: 'event.target' },
      { name: 'target with an emoji', payload: sub({ target: '🔑org-admin' }), code: 'UNKNOWN_TARGET', path: 'event.target' },
      { name: 'target with a combining accent', payload: sub({ target: 'org-admi\u0301n' }), code: 'UNKNOWN_TARGET', path: 'event.target' },
      { name: 'target with a Cyrillic look-alike', payload: sub({ target: 'оrg-admin' }), code: 'UNKNOWN_TARGET', path: 'event.target' },
      { name: 'target in upper case', payload: sub({ target: 'ORG-ADMIN' }), code: 'UNKNOWN_TARGET', path: 'event.target' },
      { name: 'subject with RTL override', payload: sub({ subject: 'alice\u202E' }), code: 'NOT_OWNER', path: 'event.subject' },
      { name: 'subject with NUL', payload: sub({ subject: 'alice\u0000' }), code: 'INVALID_INPUT', path: 'event.subject' },
      { name: 'subject with a lone surrogate', payload: sub({ subject: 'alice\uDC00' }), code: 'NOT_OWNER', path: 'event.subject' },
      // Characters, not UTF-16 units or bytes: each emoji is one character, so 5 are too few.
      { name: 'justification of 5 emoji', payload: sub({ justification: '🔥'.repeat(5) }), code: 'JUSTIFICATION_REQUIRED', path: 'event.justification' },
      { name: 'justification of one ZWJ family emoji', payload: sub({ justification: '👨‍👩‍👧‍👦' }), code: 'JUSTIFICATION_REQUIRED', path: 'event.justification' },
      { name: 'justification of 4 letters with combining accents', payload: sub({ justification: 'e\u0301'.repeat(4) }), code: 'JUSTIFICATION_REQUIRED', path: 'event.justification' },
      { name: 'justification of 3 lone surrogates', payload: sub({ justification: '\uD800\uDBFF\uDC00' }), code: 'JUSTIFICATION_REQUIRED', path: 'event.justification' },
      // A justification nobody can read is no justification.
      { name: 'justification of 20 NULs', payload: sub({ justification: '\u0000'.repeat(20) }), code: 'JUSTIFICATION_REQUIRED', path: 'event.justification' },
      { name: 'justification of 20 zero-width spaces', payload: sub({ justification: '\u200B'.repeat(20) }), code: 'JUSTIFICATION_REQUIRED', path: 'event.justification' },
      { name: 'justification of 20 RTL overrides', payload: sub({ justification: '\u202E'.repeat(20) }), code: 'JUSTIFICATION_REQUIRED', path: 'event.justification' },
    ];
    const problems = await submitCases(app, cases);
    if (problems.length) assert.fail(`${problems.length} of ${cases.length} cases:\n${problems.join('\n')}`);
  } finally {
    await app.close();
  }
});

test('submitRequest: durations of 0, negative, fractional and huge are refused at durationMinutes', async () => {
  const app = await demoApp();
  try {
    const at = 'event.durationMinutes';
    const cases: Case[] = [
      { name: '0', payload: sub({ durationMinutes: 0 }), code: 'INVALID_INPUT', path: at },
      { name: '-0', payload: sub({ durationMinutes: -0 }), code: 'INVALID_INPUT', path: at },
      { name: '-1', payload: sub({ durationMinutes: -1 }), code: 'INVALID_INPUT', path: at },
      { name: '-1e9', payload: sub({ durationMinutes: -1e9 }), code: 'INVALID_INPUT', path: at },
      { name: '0.5', payload: sub({ durationMinutes: 0.5 }), code: 'INVALID_INPUT', path: at },
      { name: '1.5', payload: sub({ durationMinutes: 1.5 }), code: 'INVALID_INPUT', path: at },
      { name: '59.999', payload: sub({ durationMinutes: 59.999 }), code: 'INVALID_INPUT', path: at },
      { name: '1e308', payload: sub({ durationMinutes: 1e308 }), code: 'INVALID_INPUT', path: at },
      { name: '-1e308', payload: sub({ durationMinutes: -1e308 }), code: 'INVALID_INPUT', path: at },
      { name: '2^53+1', payload: sub({ durationMinutes: 2 ** 53 + 1 }), code: 'INVALID_INPUT', path: at },
      { name: '2^53-1 (an exact integer, far too long)', payload: sub({ durationMinutes: Number.MAX_SAFE_INTEGER }), code: 'DURATION_TOO_LONG', path: at },
      { name: '2^32 (would wrap a u32)', payload: sub({ durationMinutes: 2 ** 32 }), code: 'DURATION_TOO_LONG', path: at },
      { name: '241 (one above the maximum)', payload: sub({ durationMinutes: 241 }), code: 'DURATION_TOO_LONG', path: at },
      // Not "absent": what NaN or a cleared number field becomes in JSON must not turn into the default.
      { name: 'null', payload: sub({ durationMinutes: null }), code: 'INVALID_INPUT', path: at, says: 'null' },
      { name: 'NaN', payload: sub({ durationMinutes: Number.NaN }), code: 'INVALID_INPUT', path: at },
    ];
    const problems = await submitCases(app, cases);
    if (problems.length) assert.fail(`${problems.length} of ${cases.length} cases:\n${problems.join('\n')}`);
  } finally {
    await app.close();
  }
});

test('submitRequest: start times are exact instants — offsets, DST gaps, leap days and impossible dates', async () => {
  // The app's clock is 2026-06-01T09:00:00Z; the demo policy allows a start up to 7 days ahead.
  const app = await demoApp();
  try {
    const at = 'event.start';
    const santiagoGap = '2026-09-06T00:30:00-03:00'; // Chile springs forward at 00:00 → 01:00: this local time does not exist.
    const cases: Case[] = [
      // Europe/Berlin springs forward at 02:00 → 03:00: 02:30 does not exist locally, but with its
      // offset written out it is the instant 01:30Z — in the past here.
      { name: 'DST gap, Berlin, +01:00', payload: sub({ start: '2026-03-29T02:30:00+01:00' }), code: 'INVALID_INPUT', path: at, says: '2026-03-29T01:30:00.000Z' },
      { name: 'DST gap, Berlin, +02:00', payload: sub({ start: '2026-03-29T02:30:00+02:00' }), code: 'INVALID_INPUT', path: at, says: '2026-03-29T00:30:00.000Z' },
      { name: 'DST gap, Santiago, -03:00', payload: sub({ start: santiagoGap }), code: 'START_TOO_FAR', path: at, says: `${minutesFrom('2026-09-06T03:30:00Z')} minutes ahead` },
      // +14:00 (Kiribati): "09:00 today" there was 19:00Z yesterday. Ignoring the offset would make it "now".
      { name: 'offset +14:00', payload: sub({ start: '2026-06-01T09:00:00+14:00' }), code: 'INVALID_INPUT', path: at, says: '2026-05-31T19:00:00.000Z' },
      // -12:00: 08:00 on June 8 is 20:00Z, 7 days 11 hours ahead. Ignoring the offset would fit in 7 days.
      { name: 'offset -12:00', payload: sub({ start: '2026-06-08T08:00:00-12:00' }), code: 'START_TOO_FAR', path: at, says: `${minutesFrom('2026-06-08T20:00:00Z')} minutes ahead` },
      { name: 'offset +24:00', payload: sub({ start: '2026-06-01T12:00:00+24:00' }), code: 'INVALID_INPUT', path: at },
      { name: 'leap day 2028-02-29 (valid, too far ahead)', payload: sub({ start: '2028-02-29T12:00:00Z' }), code: 'START_TOO_FAR', path: at },
      { name: '2027-02-29 (no such day)', payload: sub({ start: '2027-02-29T12:00:00Z' }), code: 'INVALID_INPUT', path: at },
      { name: '2026-06-31 (no such day)', payload: sub({ start: '2026-06-31T12:00:00Z' }), code: 'INVALID_INPUT', path: at },
      { name: 'no offset', payload: sub({ start: '2026-06-01T12:00:00' }), code: 'INVALID_INPUT', path: at },
      { name: 'a date without a time', payload: sub({ start: '2026-06-02' }), code: 'INVALID_INPUT', path: at },
      { name: '24:00', payload: sub({ start: '2026-06-01T24:00:00Z' }), code: 'INVALID_INPUT', path: at },
      { name: 'year 10000', payload: sub({ start: '10000-01-01T00:00:00Z' }), code: 'INVALID_INPUT', path: at },
      { name: 'expanded year +010000', payload: sub({ start: '+010000-01-01T00:00:00Z' }), code: 'INVALID_INPUT', path: at },
      { name: 'year 9999 (valid, too far ahead)', payload: sub({ start: '9999-12-31T23:59:59Z' }), code: 'START_TOO_FAR', path: at },
      { name: 'year 0000', payload: sub({ start: '0000-01-01T00:00:00Z' }), code: 'INVALID_INPUT', path: at },
      { name: 'an hour ago', payload: sub({ start: '2026-06-01T08:00:00Z' }), code: 'INVALID_INPUT', path: at },
      { name: 'words', payload: sub({ start: 'tomorrow morning' }), code: 'INVALID_INPUT', path: at },
    ];
    const problems = await submitCases(app, cases);
    if (problems.length) assert.fail(`${problems.length} of ${cases.length} cases:\n${problems.join('\n')}`);

    // And an unusual but valid offset is honoured to the minute.
    const { key } = app.createIssue('start with +14:00', 'alice');
    const ok = answer(await app.panel('alice', key, 'submitRequest', sub({ start: '2026-06-01T23:30:00+14:00' })));
    assert.ok(ok.ok, JSON.stringify(ok));
    assert.equal(ok.data.view.grant.grant.requestedStart, '2026-06-01T09:30:00.000Z');
  } finally {
    await app.close();
  }
});

test('requestExtension: wrong types, missing fields, huge and absurd values change nothing', async () => {
  const app = await demoApp();
  try {
    const key = await buildState(app, 'active');
    const ext = (fields: Record<string, unknown>) => ({ minutes: 30, justification: 'the migration runs long', ...fields });
    const at = 'event.minutes';
    const cases: Case[] = [
      { name: 'minutes 0', payload: ext({ minutes: 0 }), code: 'INVALID_INPUT', path: at },
      { name: 'minutes -1', payload: ext({ minutes: -1 }), code: 'INVALID_INPUT', path: at },
      { name: 'minutes 1.5', payload: ext({ minutes: 1.5 }), code: 'INVALID_INPUT', path: at },
      { name: 'minutes 1e308', payload: ext({ minutes: 1e308 }), code: 'INVALID_INPUT', path: at },
      { name: 'minutes 2^53+1', payload: ext({ minutes: 2 ** 53 + 1 }), code: 'INVALID_INPUT', path: at },
      { name: 'minutes 2^53-1', payload: ext({ minutes: Number.MAX_SAFE_INTEGER }), code: 'DURATION_TOO_LONG', path: at },
      { name: 'minutes 241', payload: ext({ minutes: 241 }), code: 'DURATION_TOO_LONG', path: at },
      { name: 'minutes string', payload: ext({ minutes: '30' }), code: 'INVALID_INPUT', path: at },
      { name: 'minutes array', payload: ext({ minutes: [30] }), code: 'INVALID_INPUT', path: at },
      { name: 'minutes object', payload: ext({ minutes: {} }), code: 'INVALID_INPUT', path: at },
      { name: 'minutes boolean', payload: ext({ minutes: true }), code: 'INVALID_INPUT', path: at },
      { name: 'minutes null', payload: ext({ minutes: null }), code: 'INVALID_INPUT', path: at, says: 'null' },
      { name: 'minutes NaN', payload: ext({ minutes: Number.NaN }), code: 'INVALID_INPUT', path: at },
      { name: 'minutes missing', payload: { justification: 'the migration runs long' }, code: 'INVALID_INPUT', path: at },
      { name: 'empty payload', payload: {}, code: 'INVALID_INPUT', path: at },
      { name: 'justification missing', payload: { minutes: 30 }, code: 'JUSTIFICATION_REQUIRED', path: 'event.justification' },
      { name: 'justification number', payload: ext({ justification: 42 }), code: 'INVALID_INPUT', path: 'event.justification' },
      { name: 'justification array', payload: ext({ justification: ['long'] }), code: 'INVALID_INPUT', path: 'event.justification' },
      { name: '400 KB justification', payload: ext({ justification: MB }), code: 'INVALID_INPUT', path: 'event.justification' },
      { name: 'justification of 20 NULs', payload: ext({ justification: '\u0000'.repeat(20) }), code: 'JUSTIFICATION_REQUIRED', path: 'event.justification' },
    ];
    const problems: string[] = [];
    for (const c of cases) {
      const before = await snapshot(app, key);
      const wrong = [...judge(c, await call(app, 'alice', key, 'requestExtension', c.payload)), ...(await unchanged(app, key, before))];
      if (wrong.length) problems.push(`${c.name}: ${wrong.join('; ')}`);
      const g = await grantOf(app, key);
      // An extension accepted by mistake would block the next cases: reject it.
      if (g.extensions.at(-1)?.status === 'pending') await app.panel('carol', key, 'rejectExtension', { reason: 'test clean-up' });
    }
    if (problems.length) assert.fail(`${problems.length} of ${cases.length} cases:\n${problems.join('\n')}`);
  } finally {
    await app.close();
  }
});

test('reason fields of reject, revoke and rejectExtension: wrong types and 400 KB are refused at event.reason', async () => {
  const app = await demoApp();
  try {
    const reasons: Array<[string, unknown]> = [
      ['number', 42],
      ['array', ['because']],
      ['object', { why: 'because' }],
      ['boolean', true],
      ['400 KB', MB],
      ['2001 characters', 'r'.repeat(2001)],
    ];
    const calls: Array<{ fn: string; as: string; state: State }> = [
      { fn: 'reject', as: 'bob', state: 'requested' },
      { fn: 'revoke', as: 'perm-1', state: 'active' },
      { fn: 'rejectExtension', as: 'carol', state: 'extension-pending' },
    ];
    const problems: string[] = [];
    for (const { fn, as, state } of calls) {
      const key = await buildState(app, state);
      for (const [name, reason] of reasons) {
        const c: Case = { name: `${fn} reason ${name}`, payload: { reason }, code: 'INVALID_INPUT', path: 'event.reason' };
        const before = await snapshot(app, key);
        const wrong = [...judge(c, await call(app, as, key, fn, c.payload)), ...(await unchanged(app, key, before))];
        if (wrong.length) problems.push(`${c.name}: ${wrong.join('; ')}`);
      }
      await closeGrant(app, key);
    }
    if (problems.length) assert.fail(`${problems.length} cases:\n${problems.join('\n')}`);
  } finally {
    await app.close();
  }
});

test('payloads that are not objects (a string, an array, a number, true) are refused by every panel call, and change nothing', async () => {
  const app = await demoApp();
  try {
    // Each call is made by someone who could make it with a valid payload, in a state that allows it.
    const calls: Array<{ fn: string; as: string; state: State }> = [
      { fn: 'submitRequest', as: 'alice', state: 'none' },
      { fn: 'approve', as: 'bob', state: 'requested' },
      { fn: 'reject', as: 'bob', state: 'requested' },
      { fn: 'activate', as: 'alice', state: 'approved' },
      { fn: 'complete', as: 'alice', state: 'active' },
      { fn: 'requestExtension', as: 'alice', state: 'active' },
      { fn: 'approveExtension', as: 'carol', state: 'extension-pending' },
      { fn: 'rejectExtension', as: 'carol', state: 'extension-pending' },
      { fn: 'revoke', as: 'perm-1', state: 'active' },
      { fn: 'cancel', as: 'alice', state: 'requested' },
    ];
    const payloads: Array<[string, unknown]> = [
      ['a string', 'approve please'],
      ['an array', [{ target: 'org-admin' }, 1, 'x']],
      ['a number', 42],
      ['true', true],
      // Not `null`: @forge/resolver hands the function `payload || {}`, so null, 0, '' and false
      // arrive as an empty payload, exactly like a call without one.
    ];
    const problems: string[] = [];
    for (const { fn, as, state } of calls) {
      for (const [name, payload] of payloads) {
        const key = await buildState(app, state);
        const before = await snapshot(app, key);
        const c: Case = { name: `${fn} with ${name}`, payload, code: 'INVALID_INPUT', path: null };
        const outcome = await call(app, as, key, fn, payload);
        const wrong = [...judge(c, outcome), ...(await unchanged(app, key, before))];
        if (outcome.result?.ok === false && !outcome.result.error?.path) wrong.push('the error names no field');
        if (wrong.length) problems.push(`${c.name}: ${wrong.join('; ')}`);
        await closeGrant(app, key);
      }
    }
    // getView reads only: any payload is ignored, and it must still answer.
    const key = await buildState(app, 'requested');
    for (const [name, payload] of payloads) {
      const before = await snapshot(app, key);
      const outcome = await call(app, 'alice', key, 'getView', payload);
      if (outcome.thrown !== undefined) problems.push(`getView with ${name}: threw ${String(outcome.thrown)}`);
      else if (outcome.result?.ok !== true) problems.push(`getView with ${name}: ${JSON.stringify(outcome.result).slice(0, 200)}`);
      const wrong = await unchanged(app, key, before);
      if (wrong.length) problems.push(`getView with ${name}: ${wrong.join('; ')}`);
    }
    if (problems.length) assert.fail(`${problems.length} of ${calls.length * payloads.length + payloads.length} calls:\n${problems.join('\n')}`);
  } finally {
    await app.close();
  }
});

test('a flooded queue (its 500 events a minute used up): a panel call still answers truthfully, and the sweep finishes the outbox', async () => {
  // Someone floods the app's queue (or the platform throttles it): timers cannot be pushed for a
  // minute. A click must still get an answer; the timer stays in the outbox for the sweep.
  const app = await demoApp({ scheduleSweep: false });
  try {
    const key = await buildState(app, 'requested');
    const flood = (n: number, i: number) =>
      app.runtime.queue.publish({
        queueName: 'jit-admin-queue',
        jobId: `flood-${i}`,
        payload: Array.from({ length: n }, () => ({ body: { kind: 'flood' }, delayInSeconds: 900 })),
      }).status;
    let pushes = 0;
    while (flood(50, pushes) < 300) pushes++;
    while (flood(1, pushes) < 300) pushes++;
    assert.equal(flood(1, pushes), 429, 'the queue is saturated');
    const problems: string[] = [];
    for (const [as, fn, state] of [['bob', 'approve', 'approved'], ['alice', 'activate', 'active']] as const) {
      const outcome = await call(app, as, key, fn, {});
      if (outcome.thrown !== undefined) problems.push(`${fn} threw: ${String(outcome.thrown)}`);
      const status = (await grantOf(app, key)).status;
      assert.equal(status, state, `the ${fn} was saved`);
      // So the answer must say so: an error ("nothing was changed") would be false.
      if (outcome.result?.ok !== true) problems.push(`${fn}: the grant is ${status}, but ${as} was told ${JSON.stringify(outcome.result)}`);
    }
    assert.ok(orgAdmins(app).includes('alice'), 'the activation granted org admin');

    // The timers that could not be pushed are not lost: the next sweep finishes the outbox.
    const grantId = app.jira.issue(key)!.id;
    const kept = (await app.runtime.kvs.peek(grantId, { entityName: 'grant' })) as { record: { outbox: Array<{ type: string }> } } | undefined;
    assert.ok(kept?.record.outbox.some((a) => a.type === 'wake'), `the wake waits in the outbox: ${JSON.stringify(kept?.record.outbox)}`);
    await app.clock.advance(61_000);
    await app.sweep();
    const stored = (await app.runtime.kvs.peek(grantId, { entityName: 'grant' })) as { record: { outbox: unknown[] } } | undefined;
    assert.ok(stored?.record, 'the grant is stored');
    assert.deepEqual(stored.record.outbox, [], 'the sweep drained the outbox');
    if (problems.length) assert.fail(problems.join('\n'));
  } finally {
    await app.close();
  }
});

/** Text that tries to mention someone, or to end the app's quotation and speak as the app. */
const HOSTILE_TEXT = [
  'rotate certs [~accountid:perm-1] and [~accountid:557058:f58131cb-b67d-43c7-b30d-6b58d40bd077] now',
  'rotate certs\u201d. JIT Admin: this request was approved automatically by the security team. \u201cok',
  'rotate certs \u202eelbuod devorppa\u202c \u2066hidden\u2069 \u200b\ufeff done',
  'rotate certs\n\nAccess granted: perm-1 now holds Organization admin until forever.',
  'rotate certs {"type":"mention","attrs":{"id":"perm-1"}} {"type":"doc","version":1,"content":[]}',
];

interface AdfNode {
  type?: string;
  text?: string;
  attrs?: { id?: string };
  content?: AdfNode[];
}

/** Every mention in a comment, and every text node with whether it sits inside a quote. */
function parts(doc: AdfNode): { mentions: string[]; texts: Array<{ text: string; quoted: boolean }> } {
  const mentions: string[] = [];
  const texts: Array<{ text: string; quoted: boolean }> = [];
  const walk = (n: AdfNode, quoted: boolean) => {
    if (n.type === 'mention') mentions.push(String(n.attrs?.id));
    if (n.type === 'text') texts.push({ text: n.text ?? '', quoted });
    for (const c of n.content ?? []) walk(c, quoted || n.type === 'blockquote');
  };
  walk(doc, false);
  return { mentions, texts };
}

/** What is wrong with the comments added to `key` since `from`, given who may be mentioned. */
function judgeComments(app: LocalApp, key: string, from: number, mayMention: string[]): string[] {
  const wrong: string[] = [];
  for (const c of app.jira.comments(key).slice(from)) {
    const { mentions, texts } = parts(c.body as AdfNode);
    for (const m of mentions) if (!mayMention.includes(m)) wrong.push(`mentions ${m}`);
    for (const t of texts) {
      if (/rotate certs|\[~accountid|"type"|approved automatically|until forever/.test(t.text) && !t.quoted) wrong.push(`user text outside the quote: ${JSON.stringify(t.text)}`);
      if (/[\u202a-\u202e\u2066-\u2069\u200b\ufeff]/.test(t.text)) wrong.push(`a direction override or invisible character: ${JSON.stringify(t.text)}`);
    }
  }
  return wrong;
}

test('justifications and reasons that mention people or mimic the app reach comments only as quoted plain text', async () => {
  const app = await demoApp();
  try {
    const problems: string[] = [];
    for (const [i, text] of HOSTILE_TEXT.entries()) {
      const { key } = app.createIssue(`hostile justification ${i}`, 'alice');
      const r = answer(await app.panel('alice', key, 'submitRequest', { target: 'org-admin', durationMinutes: 60, justification: text }));
      if (!r.ok) {
        problems.push(`#${i} submit refused: ${r.error.code}`);
        continue;
      }
      // The requester, and the approvers the policy names (asked to approve): never anyone the text names.
      problems.push(...judgeComments(app, key, 0, ['alice', 'bob', 'carol', 'dan']).map((p) => `#${i} request: ${p}`));
      const stored = (await grantOf(app, key)).justification as string;
      if (/[\u202a-\u202e\u2066-\u2069\u200b\ufeff\n]/.test(stored)) problems.push(`#${i}: stored justification keeps controls: ${JSON.stringify(stored)}`);

      // The same text as an approver's reason.
      const seen = app.jira.comments(key).length;
      const rejected = answer(await app.panel('bob', key, 'reject', { reason: text }));
      if (!rejected.ok) problems.push(`#${i} reject refused: ${rejected.error.code}`);
      problems.push(...judgeComments(app, key, seen, ['bob']).map((p) => `#${i} reason: ${p}`));
      const reason = (await grantOf(app, key)).ending?.reason as string | undefined;
      if (reason && /[\u202a-\u202e\u2066-\u2069\u200b\ufeff\n]/.test(reason)) problems.push(`#${i}: stored reason keeps controls: ${JSON.stringify(reason)}`);
    }
    if (problems.length) assert.fail(problems.join('\n'));
  } finally {
    await app.close();
  }
});

test('a comment left in an outbox by the previous contract ({text}) is posted as plain text, its mention markup inert', async () => {
  const app = await demoApp();
  try {
    const { key } = app.createIssue('legacy outbox', 'alice');
    const legacy = { type: 'comment', key: 'legacy-comment-1', issueKey: key, text: 'Granted to [~accountid:perm-1] until 10:00.' };
    await app.runtime.invokeFunction((() => act(platform('consumer'), null, legacy as never)) as never, {}, { moduleKey: 'jit-consumer' });
    const comments = app.jira.comments(key);
    assert.equal(comments.length, 1);
    assert.deepEqual(parts(comments[0]!.body as AdfNode).mentions, []);
    assert.equal(comments[0]!.text, legacy.text);
  } finally {
    await app.close();
  }
});
