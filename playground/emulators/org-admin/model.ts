/**
 * The organization the emulator serves: users, groups, sites and products, and who holds which role.
 *
 * Two copies of the world are kept. `truth` takes every write at once and is what write-side checks
 * (already assigned, last admin) look at. `visible` is what reads return: each write reaches it only
 * `consistencyDelayMs` of emulator-clock time later, which is how the real API's "changes may take up to
 * 30 seconds to be reflected" (spec: role-assignments assign/revoke) shows up to a client.
 *
 * Everything here is plain JSON, so a snapshot is `JSON.stringify` of the state.
 */

// The role names below are Atlassian's, from the published spec: the emulator models Atlassian (with roles
// the app never grants), so it keeps its own lists rather than the app's `RESOURCE_ROLES` (core-generated).
export const ORG_ADMIN_ROLE = 'atlassian/org-admin';
export const SITE_ADMIN_ROLE = 'atlassian/site-admin';

/** Every role the spec's `RoleApiRequest.role` enum allows. */
export const ROLE_API_ROLES = [
  'atlassian/user',
  'atlassian/user-access-admin',
  'atlassian/admin',
  'atlassian/guest',
  'atlassian/contributor',
  'atlassian/customer',
  'atlassian/basic',
  'atlassian/stakeholder',
  'atlassian/site-admin',
  'atlassian/org-admin',
] as const;

/** Every role the search and role-assignment reads accept in `roleIds` (spec `RoleId`). */
export const ROLE_IDS = [
  'atlassian/user',
  'atlassian/admin',
  'atlassian/guest',
  'atlassian/customer',
  'atlassian/user-access-admin',
  'atlassian/contributor',
  'atlassian/basic',
  'atlassian/stakeholder',
  'atlassian/org-admin',
  'atlassian/site-admin',
  'atlassian/ai-access',
] as const;

/** Roles the spec lists as `PlatformRole` (what `expand: ["platformRoles"]` returns). */
export const PLATFORM_ROLES = ['atlassian/org-admin', 'atlassian/site-admin', 'atlassian/user-access-admin', 'atlassian/ai-access'];

export type AssignmentMethod = 'direct' | 'group_direct' | 'inferred';

export interface UserRecord {
  accountId: string;
  name: string;
  nickname: string;
  email: string;
  accountStatus: 'active' | 'inactive' | 'closed';
  membershipStatus: 'active' | 'suspended' | 'no_membership';
  directoryId: string;
  addedToOrg: string;
}

export interface RoleRef {
  role: string;
  resource: string;
}

export interface GroupRecord {
  id: string;
  name: string;
  description: string;
  directoryId: string;
  /** Synced from an identity provider (SCIM): the API refuses membership changes. */
  externalSynced: boolean;
  members: string[];
  /** Roles the group grants its members (`group_direct`), e.g. a legacy org-admins group. */
  roles: RoleRef[];
}

export interface ProductRecord {
  key: string;
  name: string;
  ari: string;
}

export interface SiteRecord {
  cloudId: string;
  name: string;
  hostUrl: string;
  /** The site's own resource id, the `resource` of `atlassian/site-admin`. */
  ari: string;
  products: ProductRecord[];
}

export interface DirectAssignment {
  accountId: string;
  role: string;
  resource: string;
}

export interface World {
  users: UserRecord[];
  groups: GroupRecord[];
  sites: SiteRecord[];
  direct: DirectAssignment[];
}

/** A write, kept as data so pending writes survive a snapshot. */
export type Op =
  | { kind: 'assignRole'; accountId: string; role: string; resource: string }
  | { kind: 'revokeRole'; accountId: string; role: string; resource: string }
  | { kind: 'addMember'; groupId: string; accountId: string }
  | { kind: 'removeMember'; groupId: string; accountId: string };

export interface Directory {
  id: string;
  name: string;
}

/** Seed data: what the org looks like before the app touches it. */
export interface OrgSeed {
  orgName?: string;
  users?: Array<{
    accountId: string;
    name?: string;
    email?: string;
    nickname?: string;
    accountStatus?: UserRecord['accountStatus'];
    directoryId?: string;
  }>;
  groups?: Array<{
    id: string;
    name: string;
    description?: string;
    externalSynced?: boolean;
    members?: string[];
    directoryId?: string;
    roles?: Array<{ role: string; resource?: string }>;
  }>;
  /** Sites; each product gets the ARI `ari:cloud:<key>::site/<cloudId>`. */
  sites?: Array<{ cloudId: string; name: string; hostUrl?: string; products?: Array<string | { key: string; name?: string }> }>;
  /** Direct role assignments; `resource` defaults to the org (for `atlassian/org-admin`). */
  assignments?: Array<{ accountId: string; role: string; resource?: string }>;
}

export const orgAri = (orgId: string): string => `ari:cloud:platform::org/${orgId}`;
export const siteAri = (cloudId: string): string => `ari:cloud:platform::site/${cloudId}`;
export const productAri = (key: string, cloudId: string): string => `ari:cloud:${key}::site/${cloudId}`;

/**
 * The resource owners whose `ari:cloud:<owner>::site/<cloudId>` the spec uses for a SITE: the role-assign
 * example (`platform`), the role-assignment result example (`jira`) and the `ResourceId` example
 * (`jira-core`). GUESS: writes accept any of them for `atlassian/site-admin`.
 */
export const SITE_ARI_FORMS = ['platform', 'jira', 'jira-core'] as const;
export type SiteAriForm = (typeof SITE_ARI_FORMS)[number];
export const siteAriIn = (form: SiteAriForm, cloudId: string): string => `ari:cloud:${form}::site/${cloudId}`;

/** The cloud id of a site ARI in one of `SITE_ARI_FORMS`, or null. */
export function siteIdOf(ari: string): string | null {
  const m = /^ari:cloud:([a-z-]+)::site\/([^/\s]+)$/.exec(ari);
  return m && (SITE_ARI_FORMS as readonly string[]).includes(m[1]) ? m[2] : null;
}

/** The `resourceOwner` of a resource ARI (`ari:cloud:<owner>::...`). */
export function resourceOwnerOf(ari: string): string {
  const m = /^ari:cloud:([^:]+)::/.exec(ari);
  return m ? m[1] : 'unknown';
}

const PRODUCT_NAMES: Record<string, string> = {
  'jira-software': 'Jira',
  'jira-servicedesk': 'Jira Service Management',
  'jira-core': 'Jira Work Management',
  jira: 'Jira',
  confluence: 'Confluence',
};

export function emptyWorld(): World {
  return { users: [], groups: [], sites: [], direct: [] };
}

/** Adds seed data to a world (replacing records with the same id). */
export function seedWorld(world: World, seed: OrgSeed, ctx: { orgId: string; defaultDirectoryId: string; now: number }): void {
  const orgResource = orgAri(ctx.orgId);
  for (const u of seed.users ?? []) {
    const name = u.name ?? u.accountId;
    const record: UserRecord = {
      accountId: u.accountId,
      name,
      nickname: u.nickname ?? name.split(' ')[0],
      email: u.email ?? `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@example.com`,
      accountStatus: u.accountStatus ?? 'active',
      membershipStatus: 'active',
      directoryId: u.directoryId ?? ctx.defaultDirectoryId,
      addedToOrg: new Date(ctx.now).toISOString(),
    };
    world.users = world.users.filter((x) => x.accountId !== u.accountId).concat(record);
  }
  for (const s of seed.sites ?? []) {
    const record: SiteRecord = {
      cloudId: s.cloudId,
      name: s.name,
      hostUrl: s.hostUrl ?? `${s.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.atlassian.net`,
      ari: siteAri(s.cloudId),
      products: (s.products ?? []).map((p) => {
        const key = typeof p === 'string' ? p : p.key;
        const name = (typeof p === 'string' ? undefined : p.name) ?? PRODUCT_NAMES[key] ?? key;
        return { key, name, ari: productAri(key, s.cloudId) };
      }),
    };
    world.sites = world.sites.filter((x) => x.cloudId !== s.cloudId).concat(record);
  }
  for (const g of seed.groups ?? []) {
    const record: GroupRecord = {
      id: g.id,
      name: g.name,
      description: g.description ?? '',
      directoryId: g.directoryId ?? ctx.defaultDirectoryId,
      externalSynced: g.externalSynced ?? false,
      members: [...new Set(g.members ?? [])],
      roles: (g.roles ?? []).map((r) => ({ role: r.role, resource: canonicalResource(world, r.role, r.resource ?? orgResource) })),
    };
    world.groups = world.groups.filter((x) => x.id !== g.id).concat(record);
  }
  for (const a of seed.assignments ?? []) {
    applyOp(world, { kind: 'assignRole', accountId: a.accountId, role: a.role, resource: canonicalResource(world, a.role, a.resource ?? orgResource) });
  }
}

/**
 * The emulator keeps one id per resource: a site's `atlassian/site-admin` resource in any of the
 * `SITE_ARI_FORMS` is stored as the site's platform ARI (`SiteRecord.ari`); everything else as given.
 */
export function canonicalResource(world: World, role: string, resource: string): string {
  if (role !== SITE_ADMIN_ROLE) return resource;
  const cloudId = siteIdOf(resource);
  const site = cloudId === null ? undefined : world.sites.find((s) => s.cloudId === cloudId);
  return site ? site.ari : resource;
}

/** Applies a write. Returns whether anything changed. */
export function applyOp(world: World, op: Op): boolean {
  switch (op.kind) {
    case 'assignRole': {
      if (hasDirect(world, op.accountId, op.role, op.resource)) return false;
      world.direct.push({ accountId: op.accountId, role: op.role, resource: op.resource });
      return true;
    }
    case 'revokeRole': {
      const before = world.direct.length;
      world.direct = world.direct.filter(
        (a) => !(a.accountId === op.accountId && a.role === op.role && a.resource === op.resource),
      );
      return world.direct.length !== before;
    }
    case 'addMember': {
      const g = world.groups.find((x) => x.id === op.groupId);
      if (!g || g.members.includes(op.accountId)) return false;
      g.members.push(op.accountId);
      return true;
    }
    case 'removeMember': {
      const g = world.groups.find((x) => x.id === op.groupId);
      if (!g || !g.members.includes(op.accountId)) return false;
      g.members = g.members.filter((m) => m !== op.accountId);
      return true;
    }
  }
}

export function hasDirect(world: World, accountId: string, role: string, resource: string): boolean {
  return world.direct.some((a) => a.accountId === accountId && a.role === role && a.resource === resource);
}

export interface EffectiveAssignment {
  resource: string;
  role: string;
  methods: AssignmentMethod[];
}

/**
 * Every role a user holds, with how: `direct` (assigned to the user), `group_direct` (through a group's
 * role) and `inferred` (an org admin is a site admin of every site).
 */
export function assignmentsOf(world: World, orgId: string, accountId: string): EffectiveAssignment[] {
  const byKey = new Map<string, EffectiveAssignment>();
  const add = (resource: string, role: string, method: AssignmentMethod) => {
    const key = `${resource}\n${role}`;
    const entry = byKey.get(key) ?? { resource, role, methods: [] };
    if (!entry.methods.includes(method)) entry.methods.push(method);
    byKey.set(key, entry);
  };
  for (const a of world.direct) if (a.accountId === accountId) add(a.resource, a.role, 'direct');
  for (const g of world.groups) {
    if (!g.members.includes(accountId)) continue;
    for (const r of g.roles) add(r.resource, r.role, 'group_direct');
  }
  const orgResource = orgAri(orgId);
  if (byKey.has(`${orgResource}\n${ORG_ADMIN_ROLE}`)) {
    for (const s of world.sites) add(s.ari, SITE_ADMIN_ROLE, 'inferred');
  }
  return [...byKey.values()].sort((a, b) => a.resource.localeCompare(b.resource) || a.role.localeCompare(b.role));
}

export function isOrgAdmin(world: World, orgId: string, accountId: string): boolean {
  return assignmentsOf(world, orgId, accountId).some((a) => a.role === ORG_ADMIN_ROLE && a.resource === orgAri(orgId));
}

/** Everyone holding org admin, by any method. */
export function orgAdmins(world: World, orgId: string): string[] {
  return world.users.filter((u) => isOrgAdmin(world, orgId, u.accountId)).map((u) => u.accountId);
}

export interface StateSnapshot {
  truth: World;
  visible: World;
  pending: Array<{ at: number; op: Op }>;
}

/** The two copies of the world and the writes on their way from one to the other. */
export class OrgState {
  truth: World = emptyWorld();
  visible: World = emptyWorld();
  pending: Array<{ at: number; op: Op }> = [];

  constructor(
    private readonly now: () => number,
    public consistencyDelayMs: number,
  ) {}

  /** A write made through the API: true at once, visible to reads after the delay. */
  write(op: Op): boolean {
    const changed = applyOp(this.truth, op);
    this.pending.push({ at: this.now(), op });
    this.sync();
    return changed;
  }

  /** A change made outside the API (seeding, drift): true and visible at once. */
  direct(fn: (w: World) => void): void {
    fn(this.truth);
    fn(this.visible);
  }

  /** The world as reads see it now. */
  read(): World {
    this.sync();
    return this.visible;
  }

  sync(): void {
    const now = this.now();
    while (this.pending.length && this.pending[0].at + this.consistencyDelayMs <= now) {
      applyOp(this.visible, this.pending.shift()!.op);
    }
  }

  snapshot(): StateSnapshot {
    return structuredClone({ truth: this.truth, visible: this.visible, pending: this.pending });
  }

  restore(s: StateSnapshot): void {
    const copy = structuredClone(s);
    this.truth = copy.truth;
    this.visible = copy.visible;
    this.pending = copy.pending;
  }

  clear(): void {
    this.truth = emptyWorld();
    this.visible = emptyWorld();
    this.pending = [];
  }
}
