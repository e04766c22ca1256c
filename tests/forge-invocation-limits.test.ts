// The local Forge runtime ends and limits invocations as Forge does ("Invocation limits", "Async
// events limits", "Scheduled trigger events", product-event retries): time limits per module kind
// from the manifest, 100 egress requests and 100 log lines per runtime minute, nothing reachable
// after an invocation ended, at most four post-function retries, `retryData` ≤ 4 KB, scheduled
// triggers judged by their `statusCode`, and the queue's chain depth.
//
// The runtime module is imported first: @forge/api captures the global fetch when it loads.
import {
  FunctionTimeoutError,
  modulesFromManifest,
  startForgeRuntime,
  VirtualClock,
  type AsyncEvent,
  type ForgeRuntime,
  type InvocationRecord,
} from '../playground/forge-runtime/index';
import { startJiraEmulator, type JiraEmulator } from '../playground/emulators/jira/index';
import { manifestModules } from '../playground/local-app';
import { retryLater } from '../forge-app/src/adapters/forge';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import api, { getAppContext, route } from '@forge/api';
import { kvs } from '@forge/kvs';
import { InvocationError, InvocationErrorCode, InvocationLimitReachedError, PayloadTooBigError, Queue } from '@forge/events';
import ResolverImport from '@forge/resolver';

const Resolver = (ResolverImport as unknown as { default?: typeof ResolverImport }).default ?? ResolverImport;

const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);
let clock: VirtualClock;
let jira: JiraEmulator;
let org: Server;
let orgCalls = 0;
let rt: ForgeRuntime;
/** Log lines the invocations kept (the runtime hands them here instead of printing them). */
const kept: Array<{ line: string; moduleKey: string }> = [];

before(async () => {
  clock = new VirtualClock(T0);
  jira = await startJiraEmulator({ now: () => clock.now() });
  org = createServer((_req, res) => {
    orgCalls++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"data":[]}');
  });
  await new Promise<void>((r) => org.listen(0, '127.0.0.1', r));
  rt = await startForgeRuntime({
    jiraUrl: jira.url,
    jiraAppToken: jira.appToken,
    orgAdminUrl: `http://127.0.0.1:${(org.address() as AddressInfo).port}`,
    clock,
    onLog: ({ line, moduleKey }) => void kept.push({ line, moduleKey }),
    modules: {
      ...manifestModules(),
      'long-consumer': { kind: 'consumer', functionKey: 'long', timeoutSeconds: 120 },
      'plain-consumer': { kind: 'consumer', functionKey: 'plain' },
    },
  });
});

after(async () => {
  await rt.close();
  await jira.close();
  await new Promise<void>((r) => org.close(() => r()));
  clock.close();
});

const lastRecord = (moduleKey: string): InvocationRecord => rt.invocations.filter((r) => r.moduleKey === moduleKey).at(-1)!;

/** Advances the clock in steps until `p` settles. */
async function drive<T>(p: Promise<T>, stepMs = 1000, maxSteps = 2000): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < maxSteps && !settled; i++) {
    await new Promise((r) => setImmediate(r));
    if (!settled) await clock.advance(stepMs);
  }
  return p;
}

function resolverWith(fn: (req: { payload: unknown; context: Record<string, unknown> }) => unknown) {
  const resolver = new Resolver();
  resolver.define('go', fn as never);
  return resolver.getDefinitions();
}

// ---------------------------------------------------------------------------------------------- time

test('a resolver that runs past 25 s fails with a timeout, and what it does afterwards reaches nothing', async () => {
  let afterwards: unknown;
  const handler = resolverWith(async () => {
    await clock.sleep(30_000);
    try {
      await kvs.set('written-after-the-limit', 1);
      afterwards = 'written';
    } catch (e) {
      afterwards = e;
    }
    return 'too late';
  });
  const started = clock.now();
  await assert.rejects(drive(rt.invokeResolver(handler, { functionKey: 'go', context: { accountId: 'a', moduleKey: 'jit-admin-panel' } })), FunctionTimeoutError);
  const record = lastRecord('jit-admin-panel');
  assert.equal(record.outcome, 'timeout');
  assert.equal(record.limitMs, 25_000);
  assert.equal(record.endedAt! - started, 25_000, 'ended at its limit on the clock');
  await clock.advance(10_000);
  assert.match(String(afterwards), /has ended/, 'the store refused the write of an ended invocation');
  assert.equal(rt.kvs.peek('written-after-the-limit'), undefined);
});

test('time limits come from the manifest: 25 s for resolvers and post functions, timeoutSeconds for the consumer and the sweep', () => {
  const modules = manifestModules();
  assert.equal(modules['jit-admin-panel']?.kind, 'resolver');
  assert.equal(modules['jit-approve']?.kind, 'postFunction');
  assert.deepEqual(modules['jit-consumer'], { kind: 'consumer', functionKey: 'consumer', timeoutSeconds: 120 });
  assert.deepEqual(modules['jit-sweep'], { kind: 'scheduledTrigger', functionKey: 'sweep', timeoutSeconds: 300 });
  // Forge refuses timeoutSeconds on a function that serves anything else, and above 900.
  const manifest = (fn: Record<string, unknown>, module: Record<string, unknown>) => ({ modules: { function: [{ key: 'f', handler: 'index.f', ...fn }], ...module } });
  assert.throws(() => modulesFromManifest(manifest({ timeoutSeconds: 60 }, { 'jira:issuePanel': [{ key: 'p', resolver: { function: 'f' } }] })), /only a function referenced only by consumer or scheduledTrigger/);
  assert.throws(() => modulesFromManifest(manifest({ timeoutSeconds: 901 }, { consumer: [{ key: 'c', queue: 'q', function: 'f' }] })), /from 1 to 900/);
  assert.equal(modulesFromManifest(manifest({}, { consumer: [{ key: 'c', queue: 'q', function: 'f' }] })).c?.timeoutSeconds, undefined, '55 s by default');
});

test('a consumer without timeoutSeconds ends at 55 s and is retried as FUNCTION_TIME_OUT; with 120 s it may run two minutes', async () => {
  const seen: Array<{ module: string; retry?: AsyncEvent['retryContext'] }> = [];
  const slow = (module: string, ms: number) => async (event: AsyncEvent) => {
    seen.push({ module, retry: event.retryContext });
    if (!event.retryContext) await clock.sleep(ms);
  };
  rt.registerConsumer('q-plain', slow('plain', 60_000), { moduleKey: 'plain-consumer' });
  rt.registerConsumer('q-long', slow('long', 100_000), { moduleKey: 'long-consumer' });
  await new Queue({ key: 'q-plain' }).push({ body: { n: 1 } });
  await new Queue({ key: 'q-long' }).push({ body: { n: 1 } });
  await clock.advance(5 * 60_000);
  assert.equal(lastRecord('long-consumer').outcome, 'ok');
  assert.equal(lastRecord('long-consumer').limitMs, 120_000);
  const plain = rt.invocations.filter((r) => r.moduleKey === 'plain-consumer');
  assert.deepEqual(plain.map((r) => r.outcome), ['timeout', 'ok']);
  assert.equal(seen.filter((s) => s.module === 'plain')[1]?.retry?.retryReason, 'FUNCTION_TIME_OUT');
});

test('concurrent invocations each see their own module key, invocation id and remaining time', async () => {
  const seen: Array<{ moduleKey: string; invocationId: string; remaining: number }> = [];
  const handler = resolverWith(async ({ payload }) => {
    await clock.sleep((payload as { waitMs: number }).waitMs);
    const ctx = getAppContext();
    seen.push({ moduleKey: ctx.moduleKey, invocationId: ctx.invocationId, remaining: ctx.invocationRemainingTimeInMillis() });
  });
  const a = rt.invokeResolver(handler, { functionKey: 'go', payload: { waitMs: 2_000 }, context: { accountId: 'a', moduleKey: 'jit-admin-panel' } });
  const b = rt.invokeResolver(handler, { functionKey: 'go', payload: { waitMs: 5_000 }, context: { accountId: 'b', moduleKey: 'jit-admin-admin' } });
  await drive(Promise.all([a, b]));
  assert.deepEqual(
    seen.map((s) => [s.moduleKey, s.remaining]),
    [
      ['jit-admin-panel', 23_000],
      ['jit-admin-admin', 20_000],
    ],
  );
  assert.notEqual(seen[0]!.invocationId, seen[1]!.invocationId);
});

// ---------------------------------------------------------------------------------------------- egress and logs

test('the 101st egress request of an invocation is answered 429 FETCH_LIMIT_EXCEEDED without being sent; requestJira does not count', async () => {
  const before = orgCalls;
  const statuses: number[] = [];
  let proxyError: string | null = null;
  const handler = resolverWith(async () => {
    for (let i = 0; i < 20; i++) await api.asApp().requestJira(route`/rest/api/3/myself`);
    for (let i = 0; i < 102; i++) {
      const res = await api.fetch('https://api.atlassian.com/admin/v1/orgs');
      statuses.push(res.status);
      if (res.status === 429) proxyError = res.headers.get('forge-proxy-error');
      await res.text();
    }
  });
  await rt.invokeResolver(handler, { functionKey: 'go', context: { accountId: 'a', moduleKey: 'jit-admin-panel' } });
  assert.deepEqual(statuses.slice(0, 100), Array(100).fill(200));
  assert.deepEqual(statuses.slice(100), [429, 429]);
  assert.equal(proxyError, 'FETCH_LIMIT_EXCEEDED');
  assert.equal(orgCalls - before, 100, 'the requests past the limit never left');
  const record = lastRecord('jit-admin-panel');
  assert.deepEqual([record.egressRequests, record.egressLimit, record.egressOverLimit], [102, 100, 2]);
});

test('log lines past 100 per invocation (or past 200 KB) are dropped; a 300 s function may write 500', async () => {
  const handler = resolverWith(async ({ payload }) => {
    const { lines, size } = payload as { lines: number; size: number };
    for (let i = 0; i < lines; i++) console.log(`line ${i} ${'x'.repeat(size)}`);
  });
  const invoke = (lines: number, size: number) => rt.invokeResolver(handler, { functionKey: 'go', payload: { lines, size }, context: { accountId: 'a', moduleKey: 'jit-admin-panel' } });
  kept.length = 0;
  await invoke(130, 1);
  let record = lastRecord('jit-admin-panel');
  assert.deepEqual([record.logLines, record.logLimit, record.logsDropped], [130, 100, 30]);
  assert.deepEqual([kept.length, kept.at(-1)?.line.startsWith('line 99 ')], [100, true], 'the first hundred are kept');
  kept.length = 0;
  await invoke(50, 10_000);
  record = lastRecord('jit-admin-panel');
  assert.equal(kept.length, 20, 'twenty lines of 10 KB fill the 200 KB');
  assert.ok(record.logBytes <= 200 * 1024);
  await rt.invokeFunction((() => {
    for (let i = 0; i < 600; i++) console.log('sweeping');
  }) as never, {}, { moduleKey: 'jit-sweep' });
  assert.deepEqual([lastRecord('jit-sweep').logLimit, lastRecord('jit-sweep').logsDropped], [500, 100]);
});

// ---------------------------------------------------------------------------------------------- retries and answers

test('a post function is retried at most four times, whatever it asks; a timed-out one is retried as FUNCTION_TIME_OUT', async () => {
  const seen: Array<number | undefined> = [];
  const alwaysRetry = async (event: { retryContext?: { retryCount: number } }) => {
    seen.push(event.retryContext?.retryCount);
    return new InvocationError({ retryAfter: 10, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST });
  };
  const result = await drive(rt.deliverEvent(alwaysRetry as never, { issue: { id: '1', key: 'JIT-1' } }, { moduleKey: 'jit-approve', maxRetries: 10 }));
  assert.deepEqual(seen, [undefined, 1, 2, 3, 4]);
  assert.equal(result.attempts, 5);
  assert.equal(result.retriesExhausted, true);

  const reasons: Array<string | undefined> = [];
  const slowOnce = async (event: { retryContext?: { retryReason: string } }) => {
    reasons.push(event.retryContext?.retryReason);
    if (!event.retryContext) await clock.sleep(40_000);
  };
  const slow = await drive(rt.deliverEvent(slowOnce as never, { issue: { id: '1', key: 'JIT-1' } }, { moduleKey: 'jit-approve' }));
  assert.equal(slow.attempts, 2);
  assert.deepEqual(reasons, [undefined, 'FUNCTION_TIME_OUT']);
});

test('retryData over 4 KB is refused: a post function is not retried, a consumer fails; retryLater keeps it small', async () => {
  const big = 'x'.repeat(5000);
  const result = await drive(
    rt.deliverEvent((async () => new InvocationError({ retryAfter: 5, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST, retryData: { big } })) as never, {}, { moduleKey: 'jit-approve' }),
  );
  assert.equal(result.attempts, 1);
  assert.match(String(result.error), /RETRY_DATA_TOO_LARGE/);

  rt.registerConsumer('q-big-retry', () => new InvocationError({ retryAfter: 5, retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST, retryData: { big } }));
  await new Queue({ key: 'q-big-retry' }).push({ body: { n: 1 } });
  await clock.advance(0);
  const delivery = rt.queue.deliveries.filter((d) => d.queueName === 'q-big-retry')[0]!;
  assert.equal(delivery.outcome, 'failed');
  assert.match(String(delivery.error), /RETRY_DATA_TOO_LARGE/);

  const asked = retryLater(30, `storage unavailable: ${'a long error message '.repeat(2000)}`) as unknown as { retryOptions: { retryData: unknown } };
  assert.ok(Buffer.byteLength(JSON.stringify(asked.retryOptions.retryData)) <= 4096);
});

test('a scheduled trigger must return {statusCode}: without one the run is a 424 failure, and it is not retried', async () => {
  const before = rt.scheduledTriggerRuns.length;
  const none = await rt.invokeScheduledTrigger((async () => undefined) as never, { moduleKey: 'jit-sweep' });
  assert.deepEqual([none.status, none.ok], [424, false]);
  const fine = await rt.invokeScheduledTrigger((async (request: { context: { moduleKey: string } }) => {
    assert.equal(request.context.moduleKey, 'jit-sweep');
    return { statusCode: 200 };
  }) as never, { moduleKey: 'jit-sweep' });
  assert.deepEqual([fine.status, fine.ok], [200, true]);
  const thrown = await rt.invokeScheduledTrigger((async () => {
    throw new Error('boom');
  }) as never, { moduleKey: 'jit-sweep' });
  assert.deepEqual([thrown.status, thrown.ok], [500, false]);
  assert.equal(rt.scheduledTriggerRuns.length, before + 3, 'one run each: nothing retried');
});

test('the front end cannot send a resolver more than 500 KB', async () => {
  const handler = resolverWith(() => 'reached');
  await assert.rejects(
    rt.invokeResolver(handler, { functionKey: 'go', payload: { text: 'x'.repeat(501 * 1024) }, context: { accountId: 'a', moduleKey: 'jit-admin-panel' } }),
    /invoke payload is \d+ bytes; Forge accepts at most 512000/,
  );
  assert.equal(await rt.invokeResolver(handler, { functionKey: 'go', payload: { text: 'x'.repeat(400 * 1024) }, context: { accountId: 'a', moduleKey: 'jit-admin-panel' } }), 'reached');
});

// ---------------------------------------------------------------------------------------------- queue

test('a consumer chain deeper than 1,000 pushes is refused with InvocationLimitReachedError', async () => {
  const errors: unknown[] = [];
  rt.registerConsumer('q-cycle', async (event) => {
    try {
      await new Queue({ key: 'q-cycle' }).push({ body: { depth: (event.body.depth as number) + 1 } });
    } catch (e) {
      errors.push(e);
    }
  });
  // An event already 1,000 deep (as if pushed by a 999-deep consumer): its consumer may not push.
  assert.equal(rt.queue.publish({ queueName: 'q-cycle', jobId: 'deep', payload: [{ body: { depth: 1000 } }] }, { depth: 1000 }).status, 201);
  await clock.advance(0);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof InvocationLimitReachedError, String(errors[0]));
  assert.equal(rt.queue.publish({ queueName: 'q-cycle', jobId: 'too-deep', payload: [{ body: {} }] }, { depth: 1001 }).status, 405);
});

test('a long-running consumer (timeoutSeconds over 55) takes events of at most 100 KB each', async () => {
  rt.registerConsumer('q-long-big', () => undefined, { moduleKey: 'long-consumer' });
  await assert.rejects(new Queue({ key: 'q-long-big' }).push({ body: { big: 'x'.repeat(110 * 1024) } }), PayloadTooBigError);
  await new Queue({ key: 'q-long-big' }).push({ body: { big: 'x'.repeat(90 * 1024) } });
  rt.registerConsumer('q-plain-big', () => undefined, { moduleKey: 'plain-consumer' });
  await new Queue({ key: 'q-plain-big' }).push({ body: { big: 'x'.repeat(110 * 1024) } });
  await clock.advance(0);
});
