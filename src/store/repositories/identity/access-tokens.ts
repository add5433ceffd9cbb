import { newId, nowSeconds } from '../shared.js';
import type { Db } from './shared.js';

/**
 * Personal access tokens. Only the SHA-256 of a token is stored (a database leak
 * gives no usable token) plus its last characters to tell tokens apart in lists.
 */

export interface AccessToken {
  id: string;
  user_id: string;
  name: string;
  /** The token's last characters. */
  token_hint: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

type Row = AccessToken & { token_hash: string };

function fromRow(row: Row): AccessToken {
  const { token_hash: _hash, ...token } = row;
  return token;
}

export async function insertAccessToken(
  db: Db,
  input: { user_id: string; name: string; token_hash: string; token_hint: string; expires_at: number | null },
): Promise<AccessToken> {
  const row: Row = { id: newId(), ...input, created_at: nowSeconds(), last_used_at: null, revoked_at: null };
  await db.insertInto('access_tokens').values(row).execute();
  return fromRow(row);
}

/** The user's tokens, newest first (revoked and expired ones included, marked as such). */
export async function listAccessTokens(db: Db, userId: string): Promise<AccessToken[]> {
  const rows = await db.selectFrom('access_tokens').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id').execute();
  return rows.map(fromRow);
}

export async function findAccessToken(db: Db, userId: string, id: string): Promise<AccessToken | undefined> {
  const row = await db.selectFrom('access_tokens').selectAll().where('user_id', '=', userId).where('id', '=', id.toLowerCase()).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** Revokes one token of the user (kept as revoked); false when there is no such token. */
export async function revokeAccessToken(db: Db, userId: string, id: string): Promise<AccessToken | undefined> {
  const token = await findAccessToken(db, userId, id);
  if (!token) return undefined;
  if (token.revoked_at !== null) return token;
  const now = nowSeconds();
  await db.updateTable('access_tokens').set({ revoked_at: now }).where('id', '=', token.id).execute();
  return { ...token, revoked_at: now };
}

/** Revokes every live token of the user; returns the ids revoked. */
export async function revokeAllAccessTokens(db: Db, userId: string): Promise<string[]> {
  const live = await db.selectFrom('access_tokens').select('id').where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
  if (live.length === 0) return [];
  await db.updateTable('access_tokens').set({ revoked_at: nowSeconds() }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
  return live.map((row) => row.id);
}

/** The unrevoked, unexpired token with this hash, if any. */
export async function findLiveAccessTokenByHash(db: Db, tokenHash: string, now = nowSeconds()): Promise<AccessToken | undefined> {
  const row = await db
    .selectFrom('access_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

/** Records a use, at most once a minute per token (no write per request). */
export async function touchAccessToken(db: Db, token: AccessToken, now = nowSeconds()): Promise<void> {
  if (token.last_used_at !== null && now - token.last_used_at < 60) return;
  await db
    .updateTable('access_tokens')
    .set({ last_used_at: now })
    .where('id', '=', token.id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - 60)]))
    .execute();
}
