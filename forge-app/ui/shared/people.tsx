/**
 * People on screen: a display name and an avatar wherever an account id would show, a group's
 * name wherever a group id would. Names come from the resolvers (the panel's data carries them;
 * the admin page asks `lookupPeople` in batches); an id without a name shows as itself, so
 * nothing depends on a name being there. The id stays in the tooltip and in `data-account-id`.
 */
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import type { PeopleNames, Person } from '../../src/shared/types';

export const NO_NAMES: PeopleNames = { people: {}, groups: {} };

/** The names known to this page. */
export const PeopleContext = createContext<PeopleNames>(NO_NAMES);

/** The account id's display name, or the id itself. */
export function displayName(names: PeopleNames, accountId: string): string {
  const p = names.people[accountId];
  if (!p) return accountId;
  return p.active ? p.displayName : `${p.displayName} (deactivated)`;
}

/** The group id's name, or the id itself. */
export function groupName(names: PeopleNames, groupId: string): string {
  return names.groups[groupId]?.name ?? groupId;
}

/** Up to two initials of a name (what Atlassian's default avatars show too). */
export function initials(name: string): string {
  const words = name.replace(/\(.*?\)/g, '').trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]!, words[words.length - 1]!] : words;
  return letters.map((w) => [...w][0] ?? '').join('').toUpperCase() || '?';
}

/** A round avatar: Jira's image, or the person's initials while it loads, when it fails or when there is none. */
export function Avatar({ person, name, size = 20 }: { person?: Person; name: string; size?: number }) {
  const [failed, setFailed] = useState(false);
  const url = person?.avatarUrl && !failed ? person.avatarUrl : undefined;
  return (
    <span class="avatar" style={{ width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.45)}px` }} aria-hidden="true">
      {url ? <img src={url} alt="" width={size} height={size} referrerPolicy="no-referrer" onError={() => setFailed(true)} /> : initials(name)}
    </span>
  );
}

/** A person: avatar and display name, the account id in the tooltip. `suffix` follows the name ("(you)"). */
export function PersonLabel({ accountId, suffix, size }: { accountId: string; suffix?: string; size?: number }) {
  const names = useContext(PeopleContext);
  if (accountId === 'system') return <span class="person">the app</span>;
  const name = displayName(names, accountId);
  return (
    <span class="person" title={accountId} data-testid="person" data-account-id={accountId}>
      <Avatar person={names.people[accountId]} name={name} size={size} />
      <span class="person-name">
        {name}
        {suffix ? ` ${suffix}` : ''}
      </span>
    </span>
  );
}

/** A group: its name, the group id in the tooltip. */
export function GroupLabel({ groupId }: { groupId: string }) {
  const names = useContext(PeopleContext);
  return (
    <span class="person group" title={groupId} data-testid="group" data-group-id={groupId}>
      <span class="avatar avatar-group" aria-hidden="true">
        ⛭
      </span>
      <span class="person-name">{groupName(names, groupId)}</span>
    </span>
  );
}

/**
 * The admin page's names: ids asked for by any component are looked up in one `lookupPeople`
 * call per tick (at most 200 ids each), once per page load; the answer re-renders the page.
 */
export function useNameLookup(lookup: (accountIds: string[], groupIds: string[]) => Promise<PeopleNames | null>) {
  const [names, setNames] = useState<PeopleNames>(NO_NAMES);
  const [asked] = useState(() => ({ people: new Set<string>(), groups: new Set<string>(), queue: { people: new Set<string>(), groups: new Set<string>() }, timer: 0 }));

  const flush = async () => {
    asked.timer = 0;
    const people = [...asked.queue.people].slice(0, 200);
    const groups = [...asked.queue.groups].slice(0, 200 - people.length);
    for (const id of people) asked.queue.people.delete(id);
    for (const id of groups) asked.queue.groups.delete(id);
    if (asked.queue.people.size || asked.queue.groups.size) asked.timer = window.setTimeout(() => void flush(), 0);
    if (!people.length && !groups.length) return;
    const answer = await lookup(people, groups);
    if (answer) setNames((n) => ({ people: { ...n.people, ...answer.people }, groups: { ...n.groups, ...answer.groups } }));
  };

  /** Asks for names of these ids (already asked ones are skipped). */
  const want = (accountIds: Iterable<string>, groupIds: Iterable<string> = []) => {
    for (const id of accountIds) {
      if (!id || id === 'system' || asked.people.has(id)) continue;
      asked.people.add(id);
      asked.queue.people.add(id);
    }
    for (const id of groupIds) {
      if (!id || asked.groups.has(id)) continue;
      asked.groups.add(id);
      asked.queue.groups.add(id);
    }
    if ((asked.queue.people.size || asked.queue.groups.size) && !asked.timer) asked.timer = window.setTimeout(() => void flush(), 0);
  };
  return { names, want };
}

/** What components of the admin page use to ask for names (`want`), next to the names themselves. */
export const NameRequestContext = createContext<(accountIds: Iterable<string>, groupIds?: Iterable<string>) => void>(() => undefined);

/** Asks for the names of these ids whenever they change (admin page). */
export function useWantNames(accountIds: string[], groupIds: string[] = []): void {
  const want = useContext(NameRequestContext);
  const key = `${accountIds.join(',')}|${groupIds.join(',')}`;
  useEffect(() => want(accountIds, groupIds), [key]);
}
