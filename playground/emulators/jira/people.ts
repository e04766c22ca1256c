/**
 * The Jira emulator's people directory: user and group lookups and searches, written from the
 * published operations of `jira-platform.v3.json` (`bulkGetUsers`, `findUsers`, `findGroups`,
 * `bulkGetGroups`) and the behaviour their descriptions document (docs/platform-rules.md, "Jira
 * users and groups"):
 *
 * - `GET /rest/api/3/user/bulk` needs at least one `accountId` (400), pages with `startAt` /
 *   `maxResults` (default 10) and answers a page bean; unknown ids are left out (an assumption:
 *   the docs are silent).
 * - `GET /rest/api/3/user/search` needs `query`, `accountId` or `property`, not `query` with
 *   `accountId` (400); matches the prefix of a word of the display name or of the email address;
 *   returns only active users, up to the thousandth; callers without *Browse users and groups*
 *   get an empty list.
 * - `GET /rest/api/3/groups/picker` finds groups whose names contain `query`; without *Browse
 *   users and groups* only an exact name matches; `excludeId`; the answer has Jira's header.
 * - `GET /rest/api/3/group/bulk` needs *Browse users and groups* (403); by `groupId` or
 *   `groupName`, paged (default 50).
 */

/** A user as the emulator stores it (the fields this module reads). */
export interface DirectoryUser {
  accountId: string;
  displayName: string;
  emailAddress?: string;
  active: boolean;
  accountType: 'atlassian' | 'app' | 'customer';
  groups: Array<{ name: string; groupId: string }>;
}

/** Limits and defaults of these operations. */
export const PEOPLE_LIMITS = {
  /** `bulkGetUsers`: `maxResults` default. */
  bulkUsersDefault: 10,
  /** `findUsers`: `maxResults` default, and "up to the thousandth user". */
  searchDefault: 50,
  searchCeiling: 1000,
  /** `findGroups`: `jira.ajax.autocomplete.limit` (Jira's default setting; the docs give no number). */
  groupPickerLimit: 20,
  /** `bulkGetGroups`: `maxResults` default. */
  bulkGroupsDefault: 50,
} as const;

export interface PeopleRequest {
  operation: string;
  query: URLSearchParams;
  /** The calling user (the app's own user for `asApp()` calls). */
  principal: string;
}

export interface PeopleDeps {
  users(): Iterable<DirectoryUser>;
  /** The user bean Jira answers for one user (avatars, self link, privacy applied). */
  userBean(user: DirectoryUser): Record<string, unknown>;
  /** Whether the caller holds the global permission *Browse users and groups* (`USER_PICKER`). */
  canBrowseUsers(principal: string): boolean;
  baseUrl(): string;
}

/** A refusal, in Jira's error shape. */
export class PeopleHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorMessages: string[],
  ) {
    super(errorMessages.join('; '));
  }
}

const int = (q: URLSearchParams, name: string, fallback: number): number => {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new PeopleHttpError(400, [`The value '${raw}' of ${name} is not a valid number.`]);
  return n;
};

const page = <T>(items: T[], startAt: number, maxResults: number, self: string) => {
  const values = items.slice(startAt, startAt + maxResults);
  return { self, maxResults, startAt, total: items.length, isLast: startAt + values.length >= items.length, values };
};

/** Whether `query` is the prefix of `text` or of one of its words (Jira's user search matches prefixes). */
const matchesPrefix = (text: string | undefined, query: string): boolean => {
  if (!text) return false;
  const lower = text.toLowerCase();
  return lower.startsWith(query) || lower.split(/[\s@._-]+/).some((word) => word.startsWith(query));
};

export function peopleHandlers(deps: PeopleDeps) {
  const allGroups = () => {
    const byId = new Map<string, { name: string; groupId: string }>();
    for (const u of deps.users()) for (const g of u.groups) byId.set(g.groupId, g);
    return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
  };

  return {
    bulkGetUsers({ query }: PeopleRequest) {
      const ids = query.getAll('accountId').filter(Boolean);
      if (ids.length === 0) throw new PeopleHttpError(400, ['You must specify at least one accountId.']);
      const wanted = new Set(ids);
      const found = [...deps.users()].filter((u) => wanted.has(u.accountId));
      const startAt = int(query, 'startAt', 0);
      const maxResults = int(query, 'maxResults', PEOPLE_LIMITS.bulkUsersDefault);
      return page(found.map(deps.userBean), startAt, maxResults, `${deps.baseUrl()}/rest/api/3/user/bulk`);
    },

    findUsers({ query, principal }: PeopleRequest) {
      const text = query.get('query');
      const accountId = query.get('accountId');
      const property = query.get('property');
      if (!text && !accountId && !property) throw new PeopleHttpError(400, ['One of query, accountId or property is required.']);
      if (text && accountId) throw new PeopleHttpError(400, ['query and accountId cannot both be specified.']);
      if (property) throw new PeopleHttpError(400, ['The property parameter is not valid.']);
      // "Anonymous calls or calls by users without the required permission return empty search results."
      if (!deps.canBrowseUsers(principal)) return [];
      const q = (text ?? '').trim().toLowerCase();
      const matched = [...deps.users()]
        .filter((u) => u.active && u.accountType !== 'app')
        .filter((u) => (accountId ? u.accountId === accountId : matchesPrefix(u.displayName, q) || matchesPrefix(u.emailAddress, q)))
        .sort((a, b) => a.displayName.localeCompare(b.displayName))
        .slice(0, PEOPLE_LIMITS.searchCeiling);
      const startAt = int(query, 'startAt', 0);
      const maxResults = int(query, 'maxResults', PEOPLE_LIMITS.searchDefault);
      return matched.slice(startAt, startAt + maxResults).map(deps.userBean);
    },

    findGroups({ query, principal }: PeopleRequest) {
      const text = (query.get('query') ?? '').trim();
      const caseInsensitive = query.get('caseInsensitive') === 'true';
      const excluded = new Set(query.getAll('excludeId'));
      const excludedNames = new Set(query.getAll('exclude'));
      if (excluded.size && excludedNames.size) throw new PeopleHttpError(400, ['exclude and excludeId cannot both be specified.']);
      const limit = Math.min(int(query, 'maxResults', PEOPLE_LIMITS.groupPickerLimit), PEOPLE_LIMITS.groupPickerLimit);
      const browse = deps.canBrowseUsers(principal);
      const norm = (s: string) => (caseInsensitive ? s.toLowerCase() : s);
      const matched = allGroups().filter(
        (g) =>
          !excluded.has(g.groupId) &&
          !excludedNames.has(g.name) &&
          // Without Browse users and groups, "calls where query is not an exact match to an existing group will return an empty list".
          (browse ? norm(g.name).includes(norm(text)) : g.name === text),
      );
      const shown = matched.slice(0, limit);
      const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      return {
        header: `Showing ${shown.length} of ${matched.length} matching groups`,
        total: matched.length,
        groups: shown.map((g) => ({
          name: g.name,
          groupId: g.groupId,
          html: text ? escape(g.name).replace(escape(text), `<b>${escape(text)}</b>`) : escape(g.name),
          labels: [],
        })),
      };
    },

    bulkGetGroups({ query, principal }: PeopleRequest) {
      if (!deps.canBrowseUsers(principal)) throw new PeopleHttpError(403, ['Browse users and groups permission is required to view groups.']);
      const ids = new Set(query.getAll('groupId').filter(Boolean));
      const names = new Set(query.getAll('groupName').filter(Boolean));
      const found = allGroups().filter((g) => (ids.size === 0 && names.size === 0) || ids.has(g.groupId) || names.has(g.name));
      const startAt = int(query, 'startAt', 0);
      const maxResults = int(query, 'maxResults', PEOPLE_LIMITS.bulkGroupsDefault);
      return page(found, startAt, maxResults, `${deps.baseUrl()}/rest/api/3/group/bulk`);
    },
  } satisfies Record<string, (req: PeopleRequest) => unknown>;
}
