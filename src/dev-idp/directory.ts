import { createHash, timingSafeEqual } from 'node:crypto';
import type { NormalizedSeed } from './seed.js';

/**
 * The stand-in's live user and group store: seeded once, then changed only through the
 * Management API slice (membership PUT/DELETE), exactly as tests change a real Okta org.
 * Sign-in, tokens and userinfo all read from here, so a membership change shows up in the
 * next token without any cache in between.
 */

export type UserStatus = 'ACTIVE' | 'DEPROVISIONED' | 'SUSPENDED';
export type GroupType = 'OKTA_GROUP' | 'APP_GROUP' | 'BUILT_IN';

export interface DirectoryUser {
  readonly id: string;
  readonly login: string;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  status: UserStatus;
  readonly created: Date;
  statusChanged: Date | null;
  lastUpdated: Date;
  lastLogin: Date | null;
}

export interface DirectoryGroup {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly type: GroupType;
  readonly created: Date;
  readonly lastUpdated: Date;
  lastMembershipUpdated: Date;
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page (Okta's `after`), absent on the last page. */
  nextAfter?: string;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class Directory {
  readonly #users = new Map<string, DirectoryUser>();
  readonly #usersByLogin = new Map<string, DirectoryUser>();
  readonly #passwordDigests = new Map<string, Buffer>();
  /** Insertion order is the seed order, which is the order groups are listed and claimed in. */
  readonly #groups = new Map<string, DirectoryGroup>();
  /** groupId -> member user ids */
  readonly #members = new Map<string, Set<string>>();

  constructor(seed: NormalizedSeed, now = new Date()) {
    for (const group of seed.groups) {
      this.#groups.set(group.id, { ...group, created: now, lastUpdated: now, lastMembershipUpdated: now });
      this.#members.set(group.id, new Set());
    }
    const groupIdByName = new Map(seed.groups.map((group) => [group.name, group.id]));
    for (const { password, groups, ...profile } of seed.users) {
      const user: DirectoryUser = { ...profile, created: now, statusChanged: null, lastUpdated: now, lastLogin: null };
      this.#users.set(user.id, user);
      this.#usersByLogin.set(user.login.toLowerCase(), user);
      // Only a digest is kept, so a heap dump or a stray log of the directory has no passwords.
      this.#passwordDigests.set(user.id, digest(password));
      for (const name of groups) {
        const groupId = groupIdByName.get(name);
        if (groupId) this.#members.get(groupId)?.add(user.id);
      }
    }
  }

  /** Okta resolves `/users/{id}` by id or by login (case-insensitive). */
  findUser(idOrLogin: string): DirectoryUser | undefined {
    return this.#users.get(idOrLogin) ?? this.#usersByLogin.get(idOrLogin.toLowerCase());
  }

  userById(id: string): DirectoryUser | undefined {
    return this.#users.get(id);
  }

  /** The user for a sign-in attempt, or undefined: unknown login, wrong password or not ACTIVE. */
  authenticate(username: string, password: string): DirectoryUser | undefined {
    const user =
      this.#usersByLogin.get(username.trim().toLowerCase()) ??
      [...this.#users.values()].find((candidate) => candidate.email.toLowerCase() === username.trim().toLowerCase());
    const expected = user ? this.#passwordDigests.get(user.id) : undefined;
    // Compare digests in constant time even for unknown users, so timing does not reveal logins.
    const matches = timingSafeEqual(expected ?? digest('\0no-such-user'), digest(password)) && expected !== undefined;
    if (!user || !matches || user.status !== 'ACTIVE') return undefined;
    user.lastLogin = new Date();
    return user;
  }

  /**
   * Okta's user lifecycle (deactivate/activate, suspend/unsuspend). Returns true when the status changed.
   * A deactivated user's tokens stop working at once: every check reads the status.
   */
  setStatus(userId: string, status: UserStatus): boolean {
    const user = this.#users.get(userId);
    if (!user || user.status === status) return false;
    const now = new Date();
    user.status = status;
    user.statusChanged = now;
    user.lastUpdated = now;
    return true;
  }

  findGroup(id: string): DirectoryGroup | undefined {
    return this.#groups.get(id);
  }

  /** The user's groups in directory order. */
  groupsOf(userId: string): DirectoryGroup[] {
    const groups: DirectoryGroup[] = [];
    for (const group of this.#groups.values()) {
      if (this.#members.get(group.id)?.has(userId)) groups.push(group);
    }
    return groups;
  }

  membersOf(groupId: string): DirectoryUser[] {
    const ids = this.#members.get(groupId) ?? new Set<string>();
    return [...this.#users.values()].filter((user) => ids.has(user.id));
  }

  /** Groups whose name starts with `q` (case-insensitive), as Okta's `q` search. */
  searchGroups(q: string | undefined): DirectoryGroup[] {
    const prefix = q?.toLowerCase() ?? '';
    return [...this.#groups.values()].filter((group) => group.name.toLowerCase().startsWith(prefix));
  }

  /** Returns true when the membership changed. */
  addMember(groupId: string, userId: string): boolean {
    const members = this.#members.get(groupId);
    if (!members || members.has(userId)) return false;
    members.add(userId);
    this.#touchMembership(groupId, userId);
    return true;
  }

  /** Returns true when the membership changed. */
  removeMember(groupId: string, userId: string): boolean {
    const members = this.#members.get(groupId);
    if (!members?.delete(userId)) return false;
    this.#touchMembership(groupId, userId);
    return true;
  }

  #touchMembership(groupId: string, userId: string): void {
    const now = new Date();
    const group = this.#groups.get(groupId);
    if (group) group.lastMembershipUpdated = now;
    const user = this.#users.get(userId);
    if (user) user.lastUpdated = now;
  }
}

/**
 * One page of `items`, Okta style: `after` is the id of the last item of the previous page.
 * An unknown cursor yields an empty page rather than restarting, so a client cannot loop.
 */
export function paginate<T extends { id: string }>(items: T[], limit: number, after: string | undefined): Page<T> {
  let start = 0;
  if (after !== undefined) {
    const index = items.findIndex((item) => item.id === after);
    if (index === -1) return { items: [] };
    start = index + 1;
  }
  const slice = items.slice(start, start + limit);
  const last = slice[slice.length - 1];
  return start + limit < items.length && last ? { items: slice, nextAfter: last.id } : { items: slice };
}
