import { EntityError } from '../store/errors.js';
import { ORG_LOGIN_PATH_INVALID, ORG_LOGIN_PATH_RESERVED } from './error-codes.js';

/**
 * An organization's `login_path`: the `{login_path}` of `/login/{login_path}`, its
 * sign-in URL. Unique across every organization of this Gatehouse regardless of case
 * (stored lower-case; the store refuses a taken one with LoginPathTakenError), 3 to 64
 * letters, digits, `-` and `_`; a leading `/` is ignored; words Gatehouse uses or may
 * use for its own paths are refused.
 */

export const LOGIN_PATH_MIN = 3;
export const LOGIN_PATH_MAX = 64;

/** Paths of Gatehouse's own, now or planned, plus words that would confuse people. */
export const RESERVED_LOGIN_PATHS: ReadonlySet<string> = new Set([
  'login',
  'logout',
  'signin',
  'sign-in',
  'signout',
  'sign-out',
  'api',
  'admin',
  'callback',
  'initiate',
  'well-known',
  '.well-known',
  'static',
  'assets',
  'console',
  'health',
  'status',
  'oauth',
  'oauth2',
  'oidc',
  'sso',
  'saml',
  'scim',
  'jwks',
  'backchannel-logout',
  'back-channel-logout',
  'frontchannel-logout',
  'logout-callback',
  'session',
  'sessions',
  'token',
  'tokens',
  'me',
  'user',
  'users',
  'organizations',
  'gatehouse',
  'demo',
  'default',
  'null',
  'undefined',
]);

const ALLOWED = /^[A-Za-z0-9_-]+$/;

/** A malformed or reserved login path: 400 naming `login_path` and the rule it breaks. */
export class LoginPathError extends EntityError {
  constructor(code: typeof ORG_LOGIN_PATH_INVALID | typeof ORG_LOGIN_PATH_RESERVED, message: string, field = 'login_path') {
    super(code, message, { status: 400, kongCode: 2, kongName: 'schema violation', fields: { [field]: message }, field });
    this.name = 'LoginPathError';
  }
}

/** The stored form (lower-case, no leading `/`) of a login path, or a LoginPathError saying which rule it breaks. */
export function normalizeLoginPath(input: unknown, field = 'login_path'): string {
  if (typeof input !== 'string') throw new LoginPathError(ORG_LOGIN_PATH_INVALID, `${field} must be a string such as "acme-corp"`, field);
  const path = input.trim().replace(/^\//, '');
  if (path.length < LOGIN_PATH_MIN || path.length > LOGIN_PATH_MAX) {
    throw new LoginPathError(
      ORG_LOGIN_PATH_INVALID,
      `${field} must be ${LOGIN_PATH_MIN} to ${LOGIN_PATH_MAX} characters long (letters, digits, '-' and '_'); '${truncate(path)}' has ${path.length}`,
      field,
    );
  }
  if (!ALLOWED.test(path)) {
    throw new LoginPathError(
      ORG_LOGIN_PATH_INVALID,
      `${field} may contain only letters, digits, '-' and '_' (a leading '/' is ignored); '${truncate(path)}' has other characters`,
      field,
    );
  }
  const lower = path.toLowerCase();
  if (RESERVED_LOGIN_PATHS.has(lower)) {
    throw new LoginPathError(ORG_LOGIN_PATH_RESERVED, `${field} '${lower}' is reserved for Gatehouse's own URLs; choose another, e.g. '${lower}-team'`, field);
  }
  return lower;
}

/** A login path suggested from an organization's name ("Acme Corp." → "acme-corp"), or undefined when none fits the rules. */
export function loginPathFromName(name: string): string | undefined {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, LOGIN_PATH_MAX)
    .replace(/[-_]+$/g, '');
  try {
    return normalizeLoginPath(slug);
  } catch {
    return undefined;
  }
}

function truncate(value: string): string {
  return value.length > 70 ? `${value.slice(0, 70)}...` : value;
}
