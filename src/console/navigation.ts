import type { AdminPermission } from '../admin/auth.js';

/**
 * The console's navigation: every section issue 4 asks for, in order. An entry is a
 * link only when a page is registered at its path (src/console/pages/index.ts);
 * otherwise it is listed as "coming soon", so the menu never leads to a page that
 * does not exist. Entries the person's roles cannot read are not shown at all (the
 * Admin API would refuse them anyway).
 */
export interface NavigationEntry {
  label: string;
  path: string;
  /** Needed to see the entry; none: every signed-in person. */
  permission?: AdminPermission;
}

export const NAVIGATION: readonly NavigationEntry[] = [
  { label: 'Home', path: '/home' },
  { label: 'Users', path: '/users', permission: 'users:read' },
  { label: 'Identity Management', path: '/settings/identity', permission: 'identity:read' },
  { label: 'Role mapping', path: '/role-mapping', permission: 'roles:read' },
  { label: 'Audit log', path: '/audit-log', permission: 'audit:read' },
  { label: 'Gateway', path: '/gateway', permission: 'gateway:read' },
  { label: 'Tokens', path: '/tokens' },
];
