import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { GatehouseError } from '../errors.js';
import { PASSWORD_WEAK } from './error-codes.js';

/**
 * Native passwords: scrypt (node:crypto) with a random 16-byte salt, stored as a
 * self-describing string so the cost can be raised later without breaking existing
 * hashes:
 *
 *   scrypt$N=32768,r=8,p=1$<salt, base64url>$<key, base64url>
 *
 * Passwords are never logged or returned; only the hash is stored.
 */

const PREFIX = 'scrypt';
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** OWASP's scrypt recommendation (N=2^15, r=8, p=1), about 32 MiB per hash. */
const DEFAULT_COST = { N: 32768, r: 8, p: 1 } as const;
/** Refused when reading a stored hash: a tampered row must not make a sign-in allocate gigabytes. */
const MAX_N = 1 << 20;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 16 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** The encoded hash of `password` with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, DEFAULT_COST);
  const { N, r, p } = DEFAULT_COST;
  return `${PREFIX}$N=${N},r=${r},p=${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

function parseHash(encoded: string): { cost: { N: number; r: number; p: number }; salt: Buffer; key: Buffer } | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 4 || parts[0] !== PREFIX) return undefined;
  const params = /^N=(\d+),r=(\d+),p=(\d+)$/.exec(parts[1]!);
  if (!params) return undefined;
  const cost = { N: Number(params[1]), r: Number(params[2]), p: Number(params[3]) };
  if (cost.N < 2 || cost.N > MAX_N || (cost.N & (cost.N - 1)) !== 0 || cost.r < 1 || cost.r > 32 || cost.p < 1 || cost.p > 16) return undefined;
  const salt = Buffer.from(parts[2]!, 'base64url');
  const key = Buffer.from(parts[3]!, 'base64url');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { cost, salt, key };
}

/**
 * Whether `password` matches `encoded`, compared in constant time. A missing or
 * malformed hash never matches (but still costs one derivation, so timing does not
 * tell accounts without a password apart).
 */
export async function verifyPassword(password: string, encoded: string | null | undefined): Promise<boolean> {
  const parsed = encoded ? parseHash(encoded) : undefined;
  if (!parsed) {
    await derive(password, randomBytes(SALT_LENGTH), DEFAULT_COST);
    return false;
  }
  const candidate = await derive(password, parsed.salt, parsed.cost);
  return candidate.length === parsed.key.length && timingSafeEqual(candidate, parsed.key);
}

/** Whether a stored hash was made with weaker parameters than today's (rehash after a successful sign-in). */
export function needsRehash(encoded: string): boolean {
  const parsed = parseHash(encoded);
  return !parsed || parsed.cost.N < DEFAULT_COST.N || parsed.cost.r < DEFAULT_COST.r;
}

/** A random password for a new owner: 24 characters of base64url (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Why a chosen password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters long; a passphrase of several words works well`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  if (password.trim() === '') return 'must not be only spaces';
  return undefined;
}

/** Throws a 400 naming `field` when the password is not acceptable. */
export function assertPasswordAcceptable(password: string, field = 'password'): void {
  const problem = passwordProblem(password);
  if (problem) throw new GatehouseError(PASSWORD_WEAK, `${field} ${problem}`, { status: 400, field });
}
