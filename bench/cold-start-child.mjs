// One cold start, in a fresh Node 22 process started WITHOUT tsx (bench/cold-start.ts runs it once
// per sample). Plain JavaScript on purpose: nothing but Node itself is loaded before the timed part.
//
//   node bench/cold-start-child.mjs bundle <config.json> <run>   the Forge bundle (see below)
//   node bench/cold-start-child.mjs core   <config.json>         the Wasm core alone
//   node bench/cold-start-child.mjs require <config.json>        require(index.cjs) and nothing else
//
// `bundle`: first starts what the Forge platform would provide (the local Forge runtime, and the
// Jira and org-admin emulators from the state bench/cold-start.ts saved), loading their TypeScript
// through tsx's namespaced API so that no hook is left on `require`; no Wasm is loaded by any of it.
// It then makes one request through each platform path the app will use (KVS, Jira, egress to the
// org API), so that loading Node's fetch (undici) and the local runtime's own first-call costs are
// not counted as the app's: on Forge the platform's side is not part of the app's bundle either.
// Then it times, in order:
//   requireMs    require() of the bundled index.cjs (the real @forge/bundler's output);
//   firstCallMs  the first resolver invocation, panelResolver `approve` on a requested grant: load
//                (KVS, Jira user groups), the first core.decide (which runs initSync: base64 decode,
//                compile, instantiate), save, the Jira comment and issue property, and core.view;
//   warmMs       the same invocation on other requested grants, afterwards.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [mode, configPath, runArg] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const out = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

if (mode === 'require') {
  const t = process.hrtime.bigint();
  createRequire(config.bundle)(config.bundle);
  out({ requireMs: ms(t) });
} else if (mode === 'core') {
  // The bytes as the bundle holds them: a base64 string constant (made before timing starts).
  const base64 = readFileSync(config.wasm).toString('base64');
  const input = config.decideInput;
  let t = process.hrtime.bigint();
  const glue = await import(config.glue);
  const glueMs = ms(t);
  t = process.hrtime.bigint();
  const bytes = Buffer.from(base64, 'base64');
  const decodeMs = ms(t);
  t = process.hrtime.bigint();
  const module = new WebAssembly.Module(bytes);
  const compileMs = ms(t);
  t = process.hrtime.bigint();
  glue.initSync({ module });
  const instantiateMs = ms(t);
  t = process.hrtime.bigint();
  const first = glue.decide(structuredClone(input));
  const firstDecideMs = ms(t);
  if (!first.ok) throw new Error(`first decide refused: ${JSON.stringify(first.error)}`);
  t = process.hrtime.bigint();
  glue.decide(structuredClone(input));
  const secondDecideMs = ms(t);
  out({ glueMs, decodeMs, compileMs, instantiateMs, firstDecideMs, secondDecideMs });
} else if (mode === 'bundle') {
  const run = config.runs[Number(runArg)];
  const { register } = await import('tsx/esm/api');
  const ts = register({ namespace: 'bench-cold-start', tsconfig: config.tsconfig });
  const rt = await ts.import('../playground/forge-runtime/index.ts', import.meta.url);
  const { startJiraEmulator } = await ts.import('../playground/emulators/jira/index.ts', import.meta.url);
  const { startOrgAdminEmulator } = await ts.import('../playground/emulators/org-admin/index.ts', import.meta.url);
  await ts.unregister();
  const clock = rt.realClock();
  const now = () => clock.now();
  const org = await startOrgAdminEmulator({ port: 0, orgId: config.orgId, apiKey: config.apiKey, now, snapshot: config.orgSnapshot });
  const jira = await startJiraEmulator({ port: 0, now, cloudId: config.cloudId, workflow: config.workflow, snapshot: config.jiraSnapshot });
  const runtime = await rt.startForgeRuntime({
    jiraUrl: jira.url,
    jiraAppToken: jira.appToken,
    orgAdminUrl: org.url,
    kvsPath: run.kvsPath,
    entities: config.entities,
    clock,
    cloudId: config.cloudId,
    env: config.env,
  });
  const approve = async (bundle, issue) => {
    const answer = await runtime.invokeResolver(bundle.panelResolver, {
      functionKey: 'approve',
      payload: {},
      context: { accountId: config.approver, moduleKey: 'jit-admin-panel', extension: { type: 'jira:issuePanel', issue } },
    });
    if (!answer?.ok) throw new Error(`approve ${issue.key} refused: ${JSON.stringify(answer)}`);
  };
  try {
    let t = process.hrtime.bigint();
    const json = { 'content-type': 'application/json' };
    await globalThis.__forge_fetch__({ type: 'kvs' }, '/api/v1/get', { method: 'POST', headers: json, body: JSON.stringify({ key: 'bench-warm-up' }) });
    await globalThis.__forge_fetch__({ type: 'fpp', provider: 'app', remote: 'jira' }, '/rest/api/3/myself', { method: 'GET' });
    await fetch(`https://api.atlassian.com/admin/v1/orgs/${config.orgId}`, { headers: { authorization: `Bearer ${config.apiKey}` } });
    const platformWarmUpMs = ms(t);
    t = process.hrtime.bigint();
    const bundle = createRequire(config.bundle)(config.bundle);
    const requireMs = ms(t);
    t = process.hrtime.bigint();
    await approve(bundle, run.cold);
    const firstCallMs = ms(t);
    const warmMs = [];
    for (const issue of run.warm) {
      t = process.hrtime.bigint();
      await approve(bundle, issue);
      warmMs.push(ms(t));
    }
    out({ platformWarmUpMs, requireMs, firstCallMs, warmMs });
  } finally {
    await runtime.close();
    await jira.close();
    await org.close();
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
