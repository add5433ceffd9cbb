import { createHash, randomBytes } from 'node:crypto';

/**
 * Personal access tokens for the Admin API: `ghp_` followed by 32 random bytes in
 * base64url (43 characters). Only the SHA-256 of a token is stored; the token itself
 * is shown once, when it is created. A plain hash (no key, no salt) is enough: the
 * token has 256 bits of randomness, so it cannot be guessed from its hash.
 */

export const ACCESS_TOKEN_PREFIX = 'ghp_';
const TOKEN_PATTERN = /^ghp_[A-Za-z0-9_-]{43}$/;

/** Longest lifetime a token may be given, in seconds (one year), and the default (90 days). */
export const ACCESS_TOKEN_MAX_TTL = 365 * 24 * 3600;
export const ACCESS_TOKEN_DEFAULT_TTL = 90 * 24 * 3600;

export function generateAccessToken(): { token: string; hash: string; hint: string } {
  const token = `${ACCESS_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashAccessToken(token), hint: token.slice(-4) };
}

/** SHA-256, hex: what the store keeps and looks tokens up by. */
export function hashAccessToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether a bearer value has the shape of a personal access token (cheap check before a lookup). */
export function looksLikeAccessToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}
