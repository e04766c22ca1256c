// Regenerates the trimmed OpenAPI subsets in specs/ from Atlassian's full published specs.
//
//   scripts/node22.sh scripts/refresh-specs.ts            (writes specs/*.json)
//   scripts/node22.sh scripts/refresh-specs.ts --check    (writes nothing; exit 1 if a subset is stale)
//
// Sources, first found: $ATLASSIAN_SPECS_DIR, the project's ../shared/specs, else a download from
// developer.atlassian.com into a cache outside the repo. The full specs are never committed (../shared/specs/SOURCES.md);
// the subsets hold only the operations our emulators, app, tests and the features coming next use, every component
// they `$ref` (transitively), their security and `x-atlassian-oauth2-scopes`, `x-experimental` flags and descriptions.
// Each subset says in `x-generated` which file it came from, that file's sha256 and the command that regenerates it;
// tests/spec-subsets.test.ts fails when one is stale against ../shared/specs.
//
// Three readers:
// - playground/emulators/openapi/ validates every request the org-admin and Jira emulators receive against them;
// - tests/support/openapi.ts checks the conformance tests' calls and answers against them;
// - scripts/lint-forge.ts gives the Jira subset (and an empty file for the other products) to @forge/lint's scope
//   check. That linter takes the FIRST path whose regex matches a call, so for each kept Jira path the subset also
//   keeps every earlier path of the full spec that would match it first (see `linterShadows`).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the generated subsets live (committed). */
export const SUBSETS_DIR = path.join(repoRoot, 'specs');
export const REFRESH_COMMAND = 'scripts/node22.sh scripts/refresh-specs.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** One kept operation: method (lower case) and the spec's path template, or every operation under a prefix. */
type Selector = { method: string; path: string; why: string } | { under: string; why: string };

export interface SubsetPlan {
  /** File written into specs/. */
  file: string;
  /** File name in ../shared/specs (and in the download cache). */
  source: string;
  url: string;
  select: Selector[];
  /** Keep the earlier paths @forge/lint's first-match lookup would pick instead of a kept one. */
  linterShadows: boolean;
}

const op = (method: string, p: string, why: string): Selector => ({ method, path: p, why });

/** Organizations API: what the org adapter calls, what the emulator serves, and what the next features read. */
const ORG_OPERATIONS: Selector[] = [
  op('get', '/v1/orgs', 'emulator; discovery of the key’s org'),
  op('get', '/v1/orgs/{orgId}', 'emulator; health check of the org id and key'),
  op('get', '/v1/orgs/{orgId}/events', 'app: evidence packs (an elevated person’s audit-log events); emulator'),
  op('get', '/v1/orgs/{orgId}/events-stream', 'next: audit-log polling'),
  op('get', '/v1/orgs/{orgId}/events/{eventId}', 'emulator: one audit event'),
  op('post', '/v1/orgs/{orgId}/users/{userId}/role-assignments/assign', 'app: grant org admin'),
  op('post', '/v1/orgs/{orgId}/users/{userId}/role-assignments/revoke', 'app: revoke org admin'),
  op('post', '/v1/orgs/{orgId}/users/{userId}/roles/assign', 'app: grant a role on a resource'),
  op('post', '/v1/orgs/{orgId}/users/{userId}/roles/revoke', 'app: revoke a role on a resource'),
  op('get', '/v2/orgs/{orgId}/directories', 'emulator; next: directory ids for writes'),
  { under: '/v2/orgs/{orgId}/directories/{directoryId}/groups', why: 'app: group memberships; next: group roles and discovery' },
  op('post', '/v2/orgs/{orgId}/directories/{directoryId}/users/search', 'app: holders of a role or group'),
  op('get', '/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/role-assignments', 'app: revoke read-back'),
  op('post', '/v2/orgs/{orgId}/workspaces', 'emulator; next: site and product resource ids'),
];

/** Jira Cloud platform REST v3: what the Jira adapter calls, what the emulator serves, and what the next features use. */
const JIRA_OPERATIONS: Selector[] = [
  op('post', '/rest/api/3/issue', 'emulator: create issue'),
  op('get', '/rest/api/3/issue/{issueIdOrKey}', 'app: read the request issue'),
  op('get', '/rest/api/3/issue/{issueIdOrKey}/comment', 'emulator; tests'),
  op('post', '/rest/api/3/issue/{issueIdOrKey}/comment', 'app: comment'),
  op('get', '/rest/api/3/issue/{issueIdOrKey}/comment/{id}', 'next: comments'),
  op('put', '/rest/api/3/issue/{issueIdOrKey}/comment/{id}', 'next: comments'),
  op('delete', '/rest/api/3/issue/{issueIdOrKey}/comment/{id}', 'next: comments'),
  op('get', '/rest/api/3/issue/{issueIdOrKey}/transitions', 'emulator; next: workflow'),
  op('post', '/rest/api/3/issue/{issueIdOrKey}/transitions', 'emulator; next: workflow'),
  op('get', '/rest/api/3/issue/{issueIdOrKey}/properties', 'emulator: issue properties'),
  op('get', '/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}', 'emulator: issue properties'),
  op('put', '/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}', 'app: the grant property'),
  op('delete', '/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}', 'emulator: issue properties'),
  op('post', '/rest/api/3/issue/{issueIdOrKey}/attachments', 'app: evidence-pack CSV and JSON'),
  op('get', '/rest/api/3/mypermissions', 'next: ADMINISTER check of resolver callers'),
  op('get', '/rest/api/3/myself', 'emulator'),
  op('get', '/rest/api/3/user', 'emulator; next: user details'),
  op('get', '/rest/api/3/user/bulk', 'next: user details'),
  op('get', '/rest/api/3/user/search', 'next: user picker'),
  op('get', '/rest/api/3/user/groups', 'app: eligibility by group'),
  op('get', '/rest/api/3/groups/picker', 'next: group picker'),
  op('get', '/rest/api/3/group/member', 'next: group members'),
  op('get', '/rest/api/3/attachment/{id}', 'emulator: attachment metadata'),
  op('get', '/rest/api/3/attachment/content/{id}', 'emulator; playground: download an evidence file'),
];

export const PLANS: readonly SubsetPlan[] = [
  {
    file: 'admin-organization.subset.json',
    source: 'admin-organization.v3.json',
    url: 'https://developer.atlassian.com/cloud/admin/organization/swagger.v3.json',
    select: ORG_OPERATIONS,
    linterShadows: false,
  },
  {
    file: 'jira-platform.subset.json',
    source: 'jira-platform.v3.json',
    url: 'https://developer.atlassian.com/cloud/jira/platform/swagger-v3.v3.json',
    select: JIRA_OPERATIONS,
    linterShadows: true,
  },
];

/** The file @forge/lint reads for the products the app never calls (JSM, JSW, Confluence v1/v2, Bitbucket). */
export const LINT_EMPTY_FILE = 'forge-lint-no-paths.json';

export const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** The same regex @forge/lint's PermissionLinter builds for a spec path (permission-linter.js `processPaths`). */
export const linterPathRegex = (template: string) => new RegExp(template.replace(/{(?<={)(.*?)(?=})}/g, '[^\\/\\s]*') + '\\/?$');
/** What @forge/lint sees for a call written as route`...${x}...`: each expression becomes `\S*`. */
export const linterSampleCall = (template: string) => template.replace(/\{[^}]+\}/g, '\\S*');

function pointerGet(doc: Json, ref: string): unknown {
  let cur: unknown = doc;
  for (const raw of ref.replace(/^#\/?/, '').split('/')) {
    if (!isObject(cur)) return undefined;
    cur = cur[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

/** Every internal `$ref` under a node. */
function collectRefs(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) {
    for (const x of node) collectRefs(x, out);
  } else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        if (!v.startsWith('#/')) throw new Error(`external $ref \`${v}\` is not supported`);
        out.add(v);
      } else collectRefs(v, out);
    }
  }
}

function selects(s: Selector, method: string, template: string): boolean {
  return 'under' in s ? template === s.under || template.startsWith(`${s.under}/`) : s.method === method && s.path === template;
}

/**
 * Builds one subset document from a full spec. Throws when a selector matches nothing (a renamed or removed
 * operation must be noticed, not silently dropped).
 */
export function buildSubset(plan: SubsetPlan, sourceText: string): Json {
  const full = JSON.parse(sourceText) as Json;
  const paths = isObject(full.paths) ? full.paths : {};
  const wanted = new Map<string, Set<string>>(); // template → methods
  const used = new Set<Selector>();
  for (const [template, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const method of HTTP_METHODS) {
      if (!isObject(item[method])) continue;
      const s = plan.select.find((x) => selects(x, method, template));
      if (!s) continue;
      used.add(s);
      if (!wanted.has(template)) wanted.set(template, new Set());
      wanted.get(template)!.add(method);
    }
  }
  const unused = plan.select.filter((s) => !used.has(s));
  if (unused.length) {
    throw new Error(`${plan.source}: no operation for ${unused.map((s) => ('under' in s ? `${s.under}/…` : `${s.method.toUpperCase()} ${s.path}`)).join(', ')}`);
  }

  // @forge/lint looks a call up by the first path regex that matches it, in the spec's order. A kept path that an
  // earlier path of the full spec would shadow must keep that path too (with all its methods, as the linter sees it),
  // or the subset would check a call against a different operation's scopes than the full spec does.
  const shadows: string[] = [];
  if (plan.linterShadows) {
    const order = Object.keys(paths);
    for (const template of [...wanted.keys()]) {
      const sample = linterSampleCall(template);
      const first = order.find((p) => linterPathRegex(p).test(sample));
      if (first && first !== template && !wanted.has(first)) {
        const item = paths[first] as Json;
        wanted.set(first, new Set(HTTP_METHODS.filter((m) => isObject(item[m]))));
        shadows.push(first);
      }
    }
  }

  const outPaths: Json = {};
  const otherMethods: Record<string, string[]> = {};
  for (const [template, item] of Object.entries(paths)) {
    const methods = wanted.get(template);
    if (!methods || !isObject(item)) continue;
    const kept: Json = {};
    for (const [k, v] of Object.entries(item)) {
      if ((HTTP_METHODS as readonly string[]).includes(k)) {
        if (methods.has(k)) kept[k] = v;
        else (otherMethods[template] ??= []).push(k);
      } else kept[k] = v; // path-level parameters, summary, description
    }
    outPaths[template] = kept;
  }

  // Components: everything the kept paths reference, transitively; security schemes are small and kept whole.
  const components = isObject(full.components) ? full.components : {};
  const keptRefs = new Set<string>();
  const queue = new Set<string>();
  collectRefs(outPaths, queue);
  while (queue.size) {
    const [ref] = queue;
    queue.delete(ref);
    if (keptRefs.has(ref)) continue;
    const target = pointerGet(full, ref);
    if (target === undefined) throw new Error(`${plan.source}: dangling $ref \`${ref}\``);
    if (!/^#\/components\/[^/]+\/[^/]+$/.test(ref)) throw new Error(`${plan.source}: unsupported $ref \`${ref}\` (not a component)`);
    keptRefs.add(ref);
    const found = new Set<string>();
    collectRefs(target, found);
    for (const r of found) if (!keptRefs.has(r)) queue.add(r);
  }
  const outComponents: Json = {};
  for (const [kind, entries] of Object.entries(components)) {
    if (!isObject(entries)) continue;
    const kept: Json = {};
    for (const [name, value] of Object.entries(entries)) {
      const ref = `#/components/${kind}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (kind === 'securitySchemes' || keptRefs.has(ref)) kept[name] = value;
    }
    if (Object.keys(kept).length) outComponents[kind] = kept;
  }

  const operations = Object.values(outPaths).reduce<number>(
    (n, item) => n + HTTP_METHODS.filter((m) => isObject((item as Json)[m])).length,
    0,
  );
  const out: Json = {
    'x-generated': {
      warning: `GENERATED by ${REFRESH_COMMAND}: do not edit. A trimmed subset of Atlassian's published spec, holding only the operations this project uses.`,
      source: plan.source,
      sourceUrl: plan.url,
      sourceSha256: sha256(sourceText),
      command: REFRESH_COMMAND,
      operations,
      ...(shadows.length ? { linterShadowPaths: shadows } : {}),
      // Methods the full spec has on a kept path but this subset leaves out: the validator tells "not emulated"
      // from "Atlassian has no such method" (405) with this.
      otherMethodsOnKeptPaths: otherMethods,
    },
  };
  for (const key of ['openapi', 'info', 'servers', 'security']) if (full[key] !== undefined) out[key] = full[key];
  out.paths = outPaths;
  out.components = outComponents;
  return out;
}

/** The smallest file @forge/lint's PermissionLinter accepts for a product: it only reads `paths`. */
export function lintEmptyFile(): Json {
  return {
    'x-generated': {
      warning: `GENERATED by ${REFRESH_COMMAND}: do not edit.`,
      purpose:
        'Given to @forge/lint for Jira Service Management, Jira Software, Confluence v1/v2 and Bitbucket, which the app does not call. ' +
        'scripts/lint-forge.ts fails on any product call that no path of the subsets matches, so a call to one of these products cannot pass unchecked.',
      command: REFRESH_COMMAND,
    },
    paths: {},
  };
}

/** The text of a generated file (stable: 2-space JSON and a final newline). */
export const render = (doc: Json) => `${JSON.stringify(doc, null, 2)}\n`;

/** Every generated file → its text, from a function that reads a source spec by file name. */
export function buildAll(readSource: (file: string) => string): Map<string, string> {
  const out = new Map<string, string>();
  for (const plan of PLANS) out.set(plan.file, render(buildSubset(plan, readSource(plan.source))));
  out.set(LINT_EMPTY_FILE, render(lintEmptyFile()));
  return out;
}

/** Where the full specs are read from: $ATLASSIAN_SPECS_DIR, else ../shared/specs; undefined when neither has them. */
export function localSpecsDir(): string | undefined {
  const complete = (dir: string) => PLANS.every((p) => fs.existsSync(path.join(dir, p.source)));
  const explicit = process.env.ATLASSIAN_SPECS_DIR;
  if (explicit) {
    if (complete(explicit)) return path.resolve(explicit);
    throw new Error(`ATLASSIAN_SPECS_DIR=${explicit} does not hold ${PLANS.map((p) => p.source).join(', ')}`);
  }
  const shared = path.resolve(repoRoot, '../shared/specs');
  return complete(shared) ? shared : undefined;
}

async function downloadedSpecsDir(): Promise<string> {
  const cache = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'jit-admin-for-atlassian', 'atlassian-specs');
  fs.mkdirSync(cache, { recursive: true });
  for (const plan of PLANS) {
    const target = path.join(cache, plan.source);
    if (fs.existsSync(target)) continue;
    console.error(`refresh-specs: downloading ${plan.url}`);
    const response = await fetch(plan.url, { signal: AbortSignal.timeout(120_000) });
    if (!response.ok) throw new Error(`${plan.url}: HTTP ${response.status}`);
    const body = await response.text();
    JSON.parse(body); // a captive portal's HTML page must not end up in the cache
    fs.writeFileSync(`${target}.part`, body);
    fs.renameSync(`${target}.part`, target);
  }
  return cache;
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const dir = localSpecsDir() ?? (await downloadedSpecsDir());
  const files = buildAll((file) => fs.readFileSync(path.join(dir, file), 'utf8'));
  let stale = 0;
  fs.mkdirSync(SUBSETS_DIR, { recursive: true });
  for (const [file, text] of files) {
    const target = path.join(SUBSETS_DIR, file);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (current === text) continue;
    stale++;
    if (check) console.error(`refresh-specs: specs/${file} is stale against ${dir}`);
    else {
      fs.writeFileSync(target, text);
      console.log(`refresh-specs: wrote specs/${file} (${text.length} bytes)`);
    }
  }
  console.log(`refresh-specs: ${files.size} files from ${dir}: ${stale} ${check ? 'stale' : 'updated'}`);
  return check && stale ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`refresh-specs: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(2);
    },
  );
}
