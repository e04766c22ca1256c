/**
 * What the local runtime needs from manifest.yml to run each module as Forge would: the kind of
 * invocation behind every module key, and the `timeoutSeconds` of its function.
 *
 * Forge's rules ("Invocation limits"; manifest reference, `function`): resolvers and post
 * functions run at most 25 s; a function referenced only by `consumer` or `scheduledTrigger`
 * modules runs 55 s by default and may declare `timeoutSeconds` up to 900. Any other function that
 * declares it is refused here, as `forge deploy` refuses it.
 */

/** How the platform invokes a function. */
export type InvocationKind = 'resolver' | 'postFunction' | 'consumer' | 'scheduledTrigger' | 'function';

export interface ModuleConfig {
  kind: InvocationKind;
  functionKey: string;
  /** The function's `timeoutSeconds`, when it declares one. */
  timeoutSeconds?: number;
}

/** The documented time limits, in seconds. */
export const TIME_LIMITS = {
  /** Resolvers (UI modules), web-less functions such as post functions. */
  defaultSeconds: 25,
  /** A function that serves only consumer and scheduled trigger modules, without `timeoutSeconds`. */
  longRunningDefaultSeconds: 55,
  maxTimeoutSeconds: 900,
} as const;

/** Kinds whose function may declare `timeoutSeconds`. */
const LONG_RUNNING: InvocationKind[] = ['consumer', 'scheduledTrigger'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Module key → kind, function and `timeoutSeconds`, from a parsed manifest. Throws when a function
 * declares a `timeoutSeconds` Forge would refuse.
 */
export function modulesFromManifest(manifest: unknown): Record<string, ModuleConfig> {
  const modules = isObject(manifest) && isObject(manifest.modules) ? manifest.modules : {};
  const functions = new Map<string, { timeoutSeconds?: unknown }>();
  for (const f of Array.isArray(modules.function) ? modules.function : []) {
    if (isObject(f) && typeof f.key === 'string') functions.set(f.key, f);
  }
  const out: Record<string, ModuleConfig> = {};
  const servedBy = new Map<string, Array<{ moduleKey: string; kind: InvocationKind; type: string }>>();
  const add = (type: string, moduleKey: unknown, functionKey: unknown, kind: InvocationKind) => {
    if (typeof moduleKey !== 'string' || typeof functionKey !== 'string') return;
    out[moduleKey] = { kind, functionKey };
    servedBy.set(functionKey, [...(servedBy.get(functionKey) ?? []), { moduleKey, kind, type }]);
  };
  for (const [type, list] of Object.entries(modules)) {
    if (type === 'function' || !Array.isArray(list)) continue;
    for (const m of list) {
      if (!isObject(m)) continue;
      const resolverFn = isObject(m.resolver) ? m.resolver.function : undefined;
      if (type === 'consumer') add(type, m.key, m.function ?? resolverFn, 'consumer');
      else if (type === 'scheduledTrigger') add(type, m.key, m.function, 'scheduledTrigger');
      else if (type === 'jira:workflowPostFunction') add(type, m.key, m.function, 'postFunction');
      else if (resolverFn !== undefined) add(type, m.key, resolverFn, 'resolver');
      else if (m.function !== undefined) add(type, m.key, m.function, 'function');
    }
  }
  for (const [functionKey, f] of functions) {
    if (f.timeoutSeconds === undefined) continue;
    const t = f.timeoutSeconds;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > TIME_LIMITS.maxTimeoutSeconds) {
      throw new Error(`function \`${functionKey}\`: timeoutSeconds must be a whole number of seconds from 1 to ${TIME_LIMITS.maxTimeoutSeconds}, got \`${String(t)}\``);
    }
    const users = servedBy.get(functionKey) ?? [];
    const other = users.find((u) => !LONG_RUNNING.includes(u.kind));
    if (other || users.length === 0) {
      throw new Error(
        `function \`${functionKey}\` declares timeoutSeconds but serves ${other ? `\`${other.moduleKey}\` (${other.type})` : 'no module'}: only a function referenced only by consumer or scheduledTrigger modules may`,
      );
    }
    for (const u of users) out[u.moduleKey]!.timeoutSeconds = t;
  }
  return out;
}

/** The time limit of one invocation of a module of this kind, in seconds. */
export function timeLimitSeconds(kind: InvocationKind, timeoutSeconds?: number): number {
  if (LONG_RUNNING.includes(kind)) return timeoutSeconds ?? TIME_LIMITS.longRunningDefaultSeconds;
  return TIME_LIMITS.defaultSeconds;
}
