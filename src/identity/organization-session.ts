import { randomBytes } from 'node:crypto';
import type { KeyRing } from '../crypto/keyring.js';
import type { SessionStore } from '../sessions/store.js';

/**
 * A person signed in to an organization (through Okta or with a password). The
 * browser holds a sealed handle in `gatehouse_session`; the record lives in the
 * session store under the user's subject, so deactivating a user ends every one of
 * their sessions at once.
 */
export interface OrganizationSession {
  v: 1;
  organization_id: string;
  organization_name: string;
  login_path: string;
  user_id: string;
  email: string;
  name: string | null;
  /** Role names at sign-in (or at the last sync that changed nothing). */
  roles: string[];
  groups: string[];
  method: 'sso' | 'password';
  /** For single logout: Okta's `id_token_hint`. */
  id_token?: string | undefined;
  /** The provider's session id (`sid`), for back-channel logout. */
  provider_sid?: string | undefined;
  created_at: number;
  expires_at: number;
}

export const ORGANIZATION_SESSION_COOKIE = 'gatehouse_session';
export const SIGN_IN_COOKIE = 'gatehouse_authorization';
const PREFIX = 'org:';
const BACKCHANNEL_PREFIX = 'org-sid:';

export function userSubject(userId: string): string {
  return `user:${userId}`;
}

export async function startOrganizationSession(
  sessions: SessionStore,
  keyRing: KeyRing,
  session: OrganizationSession,
): Promise<string> {
  const sid = randomBytes(32).toString('base64url');
  await sessions.set(PREFIX + sid, session, session.expires_at, userSubject(session.user_id));
  if (session.provider_sid) {
    // Back-channel logout names the provider's session: remember which of ours belong to
    // it (one provider session may sign in to Gatehouse several times). No subject: the
    // pointer is not a session, and ending a user's sessions must count only sessions.
    const key = BACKCHANNEL_PREFIX + `${session.organization_id}#${session.provider_sid}`;
    const known = (await sessions.get<{ sids: string[] }>(key))?.sids ?? [];
    await sessions.set(key, { sids: [...known.slice(-20), sid] }, session.expires_at);
  }
  return keyRing.seal({ osid: sid }, Math.ceil(session.expires_at));
}

export async function readOrganizationSession(
  sessions: SessionStore,
  keyRing: KeyRing,
  cookieValue: string | undefined,
): Promise<{ sid: string; session: OrganizationSession } | undefined> {
  if (!cookieValue) return undefined;
  const sealed = await keyRing.unseal(cookieValue);
  if (!sealed || typeof sealed.osid !== 'string') return undefined;
  const session = await sessions.get<OrganizationSession>(PREFIX + sealed.osid);
  if (!session || session.expires_at <= Date.now() / 1000) return undefined;
  return { sid: sealed.osid, session };
}

export async function endOrganizationSession(sessions: SessionStore, sid: string): Promise<OrganizationSession | undefined> {
  return sessions.take<OrganizationSession>(PREFIX + sid);
}

/** Ends the session that a provider's `sid` names (OpenID Connect Back-Channel Logout). */
export async function endProviderSession(sessions: SessionStore, organizationId: string, providerSid: string): Promise<number> {
  const pointer = await sessions.take<{ sids: string[] }>(BACKCHANNEL_PREFIX + `${organizationId}#${providerSid}`);
  let ended = 0;
  for (const sid of pointer?.sids ?? []) {
    if ((await sessions.take(PREFIX + sid)) !== undefined) ended += 1;
  }
  return ended;
}

/** Ends every session of a user (deactivation, role changes, back-channel logout by `sub`). */
export function endUserSessions(sessions: SessionStore, userId: string): Promise<number> {
  return sessions.deleteBySubject(userSubject(userId));
}
