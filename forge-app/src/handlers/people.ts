/**
 * People, not account ids: display names and avatars for what the panel and the admin page show,
 * the policy editor's people and group pickers, and the eligibility review.
 *
 * Names are for showing only. Every decision keeps using account ids and group ids (the core never
 * sees a name), so a display name someone chose, hid or changed can never grant or refuse anything.
 * Names are asked of Jira as the app (`user/bulk`: any Jira user may see who acted on an issue they
 * can see), once per invocation (a small cache on the invocation's ports); searches and group
 * names as the caller, so Jira applies the caller's *Browse users and groups* permission and
 * people's profile visibility. A name that cannot be read is left out and the UI shows the id:
 * a Jira hiccup never fails a panel or an admin call.
 */
import { core, IDLE_AFTER_DAYS_DEFAULT, type Grant, type Membership, type ReviewInput } from '../decision/core';
import type { Ports } from '../ports';
import type { EligibilityReviewData, PeopleNames, Person, PersonGroup, Result } from '../shared/types';
import { iso } from './dispatch';

/** Results a picker shows. */
export const PICKER_RESULTS = 20;
/** The longest search text passed on to Jira. */
export const SEARCH_MAX_CHARS = 100;
/**
 * Group lookups the eligibility review makes for the people the core asks about: each is one
 * Jira call, and an invocation has 100 (Forge's egress limit) and 25 s.
 */
export const REVIEW_GROUP_LOOKUPS = 40;
/** How far back the review reads grants at least (more when the idle period is longer). */
export const REVIEW_LOOKBACK_DAYS = 365;

const DAY_MS = 24 * 3600_000;

interface Cache {
  people: Map<string, Person | null>;
  groups: Map<string, PersonGroup | null>;
}

/** One cache per invocation: the ports object is made afresh for each. */
const caches = new WeakMap<Ports, Cache>();

function cacheOf(ports: Ports): Cache {
  let c = caches.get(ports);
  if (!c) {
    c = { people: new Map(), groups: new Map() };
    caches.set(ports, c);
  }
  return c;
}

/**
 * Names for these account ids (and, asked as the caller, group ids). Ids already looked up in this
 * invocation are not asked again; ids Jira does not know, or a failed lookup, are left out.
 */
export async function namesFor(ports: Ports, accountIds: Iterable<string>, groupIds: Iterable<string> = []): Promise<PeopleNames> {
  const cache = cacheOf(ports);
  const wantPeople = [...new Set(accountIds)].filter((id) => id && id !== 'system' && !cache.people.has(id));
  if (wantPeople.length) {
    try {
      const found = await ports.jira.users(wantPeople);
      for (const id of wantPeople) cache.people.set(id, null);
      for (const p of found) cache.people.set(p.accountId, p);
    } catch (e) {
      ports.log.warn('could not read display names from Jira; showing account ids', { count: wantPeople.length, error: String(e) });
    }
  }
  const wantGroups = [...new Set(groupIds)].filter((id) => id && !cache.groups.has(id));
  if (wantGroups.length) {
    try {
      const found = await ports.jira.groups(wantGroups);
      for (const id of wantGroups) cache.groups.set(id, null);
      for (const g of found) cache.groups.set(g.groupId, g);
    } catch (e) {
      ports.log.warn('could not read group names from Jira; showing group ids', { count: wantGroups.length, error: String(e) });
    }
  }
  const out: PeopleNames = { people: {}, groups: {} };
  for (const id of new Set(accountIds)) {
    const p = cache.people.get(id);
    if (p) out.people[id] = p;
  }
  for (const id of new Set(groupIds)) {
    const g = cache.groups.get(id);
    if (g) out.groups[id] = g;
  }
  return out;
}

/** Every account id a grant names: requester, subject, approvers, who activated, ended or rejected. */
export function accountsOfGrant(g: Grant): string[] {
  const ids = [g.requester, g.subject, ...(g.approvals ?? []).map((a) => a.approver)];
  if (g.activation) ids.push(g.activation.by);
  if (g.ending) ids.push(g.ending.by);
  for (const x of g.extensions ?? []) {
    ids.push(...(x.approvals ?? []).map((a) => a.approver));
    if (x.rejectedBy) ids.push(x.rejectedBy);
  }
  return ids;
}

/** Reads a search text from a payload: 1 to `SEARCH_MAX_CHARS` characters after trimming. */
function searchText(payload: Record<string, unknown>): Result<string> {
  const q = typeof payload.query === 'string' ? payload.query.trim() : '';
  if (!q) return { ok: false, error: { code: 'INVALID_INPUT', message: 'type at least one character to search', path: 'payload.query' } };
  if (q.length > SEARCH_MAX_CHARS) return { ok: false, error: { code: 'INVALID_INPUT', message: `at most ${SEARCH_MAX_CHARS} characters`, path: 'payload.query' } };
  return { ok: true, data: q };
}

/** The policy editor's people picker: active people matching the text, as Jira shows them to the caller. */
export async function searchPeople(ports: Ports, payload: Record<string, unknown>): Promise<Result<{ people: Person[] }>> {
  const q = searchText(payload);
  if (!q.ok) return q;
  try {
    const people = await ports.jira.searchUsers(q.data, PICKER_RESULTS);
    // Picking an app's user or a portal customer as a requester or approver makes no sense.
    return { ok: true, data: { people: people.filter((p) => p.accountType === 'atlassian').slice(0, PICKER_RESULTS) } };
  } catch (e) {
    ports.log.warn('people search failed', { error: String(e) });
    return { ok: false, error: { code: 'JIRA_UNAVAILABLE', message: 'Jira did not answer the search; try again, or paste an account id' } };
  }
}

/** The policy editor's group picker. */
export async function searchGroups(ports: Ports, payload: Record<string, unknown>): Promise<Result<{ groups: PersonGroup[] }>> {
  const q = searchText(payload);
  if (!q.ok) return q;
  try {
    return { ok: true, data: { groups: (await ports.jira.searchGroups(q.data, PICKER_RESULTS)).slice(0, PICKER_RESULTS) } };
  } catch (e) {
    ports.log.warn('group search failed', { error: String(e) });
    return { ok: false, error: { code: 'JIRA_UNAVAILABLE', message: 'Jira did not answer the search; try again, or paste a group id' } };
  }
}

/** At most this many ids per `lookupPeople` call (a page's worth; the UI asks in batches). */
export const LOOKUP_MAX_IDS = 200;

/** Names for the ids a page shows (`lookupPeople {accountIds, groupIds}`). */
export async function lookupPeople(ports: Ports, payload: Record<string, unknown>): Promise<Result<PeopleNames>> {
  const ids = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 128) : []);
  const accountIds = ids(payload.accountIds);
  const groupIds = ids(payload.groupIds);
  if (accountIds.length + groupIds.length > LOOKUP_MAX_IDS) {
    return { ok: false, error: { code: 'INVALID_INPUT', message: `at most ${LOOKUP_MAX_IDS} ids per lookup`, path: 'payload' } };
  }
  return { ok: true, data: await namesFor(ports, accountIds, groupIds) };
}

/**
 * The eligibility review: the grants of the last year (or longer, for a longer idle period) as the
 * activity, asked of the core; the groups of the people the core asks about read from Jira (up to
 * `REVIEW_GROUP_LOOKUPS`) and the core asked again; names for every row.
 */
export async function eligibilityReview(ports: Ports): Promise<Result<EligibilityReviewData>> {
  const now = ports.clock.now();
  const [doc, first] = await Promise.all([ports.store.policy(), ports.store.auditFrom(1, 1)]);
  if (!doc) return { ok: false, error: { code: 'NO_POLICY', message: 'save a policy first: the review lists who it lets request and approve' } };
  const idleDays = doc.policy.idleAfterDays ?? IDLE_AFTER_DAYS_DEFAULT;
  const lookbackMs = Math.max(REVIEW_LOOKBACK_DAYS, idleDays + 1) * DAY_MS;
  const grants = (await ports.store.grantsUpdatedSince(now - lookbackMs)).map((s) => s.grant);
  // The activity read begins at the later of the lookback and the app's first record.
  const recordsFrom = first[0] ? Date.parse(first[0].at) : now;
  const input: ReviewInput = { policy: doc.policy, grants, memberships: [], historyFrom: iso(Math.max(now - lookbackMs, recordsFrom)), now: iso(now) };
  let answer = core.eligibilityReview(input);
  if (!answer.ok) return { ok: false, error: answer.error };
  let groupsUnread = 0;
  if (answer.needsGroupsOf.length) {
    const ask = answer.needsGroupsOf.slice(0, REVIEW_GROUP_LOOKUPS);
    groupsUnread = answer.needsGroupsOf.length - ask.length;
    const memberships: Membership[] = [];
    for (const accountId of ask) {
      try {
        memberships.push({ accountId, groupIds: await ports.jira.userGroups(accountId) });
      } catch (e) {
        groupsUnread++;
        ports.log.warn('could not read a user’s groups for the eligibility review', { accountId, error: String(e) });
      }
    }
    answer = core.eligibilityReview({ ...input, memberships });
    if (!answer.ok) return { ok: false, error: answer.error };
  }
  const { ok: _ok, ...review } = answer;
  const accounts = review.rows.flatMap((r) => (r.principal.type === 'account' ? [r.principal.accountId] : []));
  const groups = review.rows.flatMap((r) => (r.principal.type === 'group' ? [r.principal.groupId] : []));
  const names = await namesFor(ports, accounts, groups);
  return { ok: true, data: { review, ...names, policyVersion: doc.version, groupsUnread, now: iso(now) } };
}
