/**
 * Paths into the policy draft, as the core's PolicyProblem paths spell them (`targets[0].maxDurationMinutes`,
 * `permanentAdmins[2]`), and immutable edits at a path. The form never fills in defaults: a blank field is left
 * out, so the core applies its own default (`POLICY_DEFAULTS`, generated from the core, shows it as a placeholder).
 */
import { ORG_ADMIN_ROLE, type EligibilityRole, type Principal } from '../../src/decision/contract';
import type { Policy, PolicyProblem, Target } from '../../src/shared/types';

export type Seg = string | number;

/** `['targets', 0, 'access', 'role']` → `targets[0].access.role`. */
export function pathText(segs: Seg[]): string {
  let out = '';
  for (const s of segs) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out;
}

/** `targets[0].access.role` → `['targets', 0, 'access', 'role']`. */
export function parsePath(text: string): Seg[] {
  const segs: Seg[] = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) segs.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return segs;
}

/** The path one level up: `targets[0].access.role` → `targets[0].access`; `permanentAdmins[2]` → `permanentAdmins`. */
export function parentPath(text: string): string | undefined {
  const segs = parsePath(text);
  if (segs.length <= 1) return undefined;
  return pathText(segs.slice(0, -1));
}

/** A DOM id for the field at a path. */
export function fieldId(path: string): string {
  return `pf-${path.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/** A copy of `obj` with `value` at `segs`; `undefined` removes the key (so the core's default applies). */
export function setIn<T>(obj: T, segs: Seg[], value: unknown): T {
  if (segs.length === 0) return value as T;
  const [head, ...rest] = segs;
  const base: unknown = obj ?? (typeof head === 'number' ? [] : {});
  if (Array.isArray(base)) {
    const copy = base.slice();
    const i = head as number;
    if (rest.length === 0 && value === undefined) copy.splice(i, 1);
    else copy[i] = setIn(copy[i], rest, value);
    return copy as T;
  }
  const copy = { ...(base as Record<string, unknown>) };
  const key = String(head);
  const next = rest.length ? setIn(copy[key], rest, value) : value;
  if (next === undefined) delete copy[key];
  else copy[key] = next;
  return copy as T;
}

/** JSON with sorted keys, to compare drafts regardless of key order. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function emptyPolicy(): Policy {
  return { permanentAdmins: [], serviceAccounts: [], targets: [] };
}

export function newTarget(existing: Target[]): Target {
  let n = existing.length + 1;
  while (existing.some((t) => t.key === `target-${n}`)) n++;
  return {
    key: `target-${n}`,
    label: '',
    access: { type: 'orgRole', role: ORG_ADMIN_ROLE },
    requesters: { accountIds: [], groupIds: [] },
    approvers: { accountIds: [], groupIds: [] },
  };
}

export function duplicateTarget(t: Target, existing: Target[]): Target {
  let key = `${t.key}-copy`;
  for (let n = 2; existing.some((x) => x.key === key); n++) key = `${t.key}-copy-${n}`;
  return { ...(JSON.parse(JSON.stringify(t)) as Target), key, label: t.label ? `${t.label} (copy)` : '' };
}

/** Whether a parsed JSON value can be shown in the form (the core still judges everything else). */
export function formEditable(v: unknown): v is Policy {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = v as Record<string, unknown>;
  const arrays = ['permanentAdmins', 'serviceAccounts', 'targets'];
  if (arrays.some((k) => p[k] !== undefined && !Array.isArray(p[k]))) return false;
  const targets = (p.targets as unknown[] | undefined) ?? [];
  return targets.every((t) => t && typeof t === 'object' && !Array.isArray(t) && (t as { access?: unknown }).access !== null);
}

/** Problems at exactly this path, or (deep) at it and below it. */
export function problemsAt(problems: PolicyProblem[], path: string, deep = false): PolicyProblem[] {
  return problems.filter(
    (p) => p.path === path || (deep && (p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`))),
  );
}

/**
 * The policy without one right of one principal: the eligibility review's removal. Only that id
 * leaves that list of that target; everything else is kept as it was (the save is validated and
 * authorized by the core like any other).
 */
export function withoutPrincipal(policy: Policy, target: string, role: EligibilityRole, principal: Principal): Policy {
  const next = structuredClone(policy);
  const t = (next.targets ?? []).find((x) => x.key === target);
  if (!t) return next;
  const id = principal.type === 'account' ? principal.accountId : principal.groupId;
  if (role === 'breakGlass') {
    if (principal.type === 'account') t.breakGlass = (t.breakGlass ?? []).filter((a) => a !== id);
    return next;
  }
  const list = role === 'requester' ? 'requesters' : 'approvers';
  const who = { ...(t[list] ?? {}) };
  if (principal.type === 'account') who.accountIds = (who.accountIds ?? []).filter((a) => a !== id);
  else who.groupIds = (who.groupIds ?? []).filter((g) => g !== id);
  t[list] = who;
  return next;
}
