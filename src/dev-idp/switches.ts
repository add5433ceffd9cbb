import { z } from 'zod';

/**
 * Test switches: knobs that make the stand-in misbehave the way Okta does (or the way an
 * attacker would), read on every request so a test can flip them between two calls.
 * In-process tests mutate `devIdp.switches`; tests in other processes use the loopback-only
 * control endpoint `POST /__dev/switches`, which validates with the schema below.
 */

/** How the groups claim behaves when more than 100 groups match the client's filter. */
export type GroupsOverLimit =
  /** /authorize redirects back with error=invalid_request (Okta's documented behaviour). */
  | 'error'
  /** /authorize succeeds but /token answers 400 invalid_request (the notes list both places). */
  | 'error-at-token'
  /** exactly the first 100 groups (silent truncation some integrators report). */
  | 'truncate'
  /** no groups claim at all. */
  | 'omit';

export type TamperSigning =
  /** The stand-in's current signing key: a validly signed token with wrong claims. */
  | 'own-key'
  /** An RSA key that is not in the JWKS (its own kid, unless `header.kid` says otherwise). */
  | 'foreign-key'
  /** The key the last rotation replaced, when the JWKS still publishes it (`keepPrevious`). */
  | 'previous-key'
  /** `alg: none`, no signature. */
  | 'none'
  /** HS256 with the client secret as key: the classic algorithm-confusion attack. */
  | 'hs256-client-secret';

export interface TamperIdToken {
  /** Claims to set; in-process, a value of `undefined` removes the claim. */
  claims?: Record<string, unknown>;
  /** Claims to remove (the JSON-friendly way to say `undefined`). */
  removeClaims?: string[];
  /** Protected header fields to set, e.g. `{ kid: 'unknown' }`. Ignored for `none`. */
  header?: Record<string, unknown>;
  /** Protected header fields to leave out, e.g. `['kid']` (`alg` stays). */
  removeHeader?: string[];
  signWith?: TamperSigning;
}

export interface DevIdpSwitches {
  /** Leave the groups claim out of ID tokens and userinfo. */
  omitGroupsClaim: boolean;
  groupsOverLimit: GroupsOverLimit;
  /** The next N Management API calls answer 429 E0000047. */
  rateLimitNextManagementCalls: number;
  /** Replaces the next ID token the token endpoint returns; consumed after one use. */
  tamperNextIdToken?: TamperIdToken;
  /** Access token lifetime in seconds, overriding the seed (refresh tests). */
  accessTokenTtl?: number;
  /** ID token lifetime in seconds, overriding the seed. */
  idTokenTtl?: number;
  /** Management API requests per minute per token, overriding the seed. */
  managementRateLimitPerMinute?: number;
  /** Userinfo answers name this subject instead of the token's user (relying-party tests). */
  userinfoSubject?: string;
  /**
   * Refresh token rotation (Okta's "rotate token after every use"): each refresh answers
   * a new refresh token, and presenting a used one again fails and revokes the grant.
   */
  rotateRefreshTokens?: boolean;
}

export function defaultSwitches(): DevIdpSwitches {
  return { omitGroupsClaim: false, groupsOverLimit: 'error', rateLimitNextManagementCalls: 0 };
}

const tamperSchema = z.strictObject({
  claims: z.record(z.string(), z.unknown()).optional(),
  removeClaims: z.array(z.string()).optional(),
  header: z.record(z.string(), z.unknown()).optional(),
  removeHeader: z.array(z.string()).optional(),
  signWith: z.enum(['own-key', 'foreign-key', 'previous-key', 'none', 'hs256-client-secret']).optional(),
});

/** A partial update; `null` clears an optional switch. */
export const switchesPatchSchema = z.strictObject({
  omitGroupsClaim: z.boolean().optional(),
  groupsOverLimit: z.enum(['error', 'error-at-token', 'truncate', 'omit']).optional(),
  rateLimitNextManagementCalls: z.number().int().min(0).optional(),
  tamperNextIdToken: tamperSchema.nullable().optional(),
  accessTokenTtl: z.number().int().min(1).nullable().optional(),
  idTokenTtl: z.number().int().min(1).nullable().optional(),
  managementRateLimitPerMinute: z.number().int().min(1).nullable().optional(),
  userinfoSubject: z.string().min(1).nullable().optional(),
  rotateRefreshTokens: z.boolean().nullable().optional(),
});

export type SwitchesPatch = z.infer<typeof switchesPatchSchema>;

export function applySwitchesPatch(switches: DevIdpSwitches, patch: SwitchesPatch): void {
  for (const [key, value] of Object.entries(patch) as [keyof DevIdpSwitches, unknown][]) {
    if (value === undefined) continue;
    if (value === null) {
      delete switches[key];
    } else {
      (switches as unknown as Record<string, unknown>)[key] = value;
    }
  }
}

/** Back to defaults, in place, so references held by tests stay valid. */
export function resetSwitches(switches: DevIdpSwitches): void {
  for (const key of Object.keys(switches) as (keyof DevIdpSwitches)[]) delete switches[key];
  Object.assign(switches, defaultSwitches());
}
