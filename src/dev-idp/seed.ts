import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { GatehouseError } from '../errors.js';
import { SUPPORTED_SCOPES } from './accounts.js';
import { DEVIDP_SEED_INVALID, DEVIDP_SEED_JSON, DEVIDP_SEED_UNREADABLE } from './error-codes.js';

/**
 * The dev IdP's directory and app registrations, as JSON. Field names follow Okta where Okta
 * has one (user `status`, group `type`) and OAuth client metadata (RFC 7591) for clients, so a
 * seed reads like the Okta objects it stands in for.
 */

const OKTA_USER_ID = /^00u[A-Za-z0-9]+$/;
const OKTA_GROUP_ID = /^00g[A-Za-z0-9]+$/;
/** Authorization server ids become path segments and cookie names; `v1` would shadow the org server's routes. */
const AUTH_SERVER_ID = /^[A-Za-z0-9]+$/;

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

const absoluteUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });

export const seedUserSchema = z.object({
  id: z.string().regex(OKTA_USER_ID, "must look like an Okta user id ('00u…')"),
  login: z.string().min(1),
  email: z.email(),
  password: z.string().min(1),
  firstName: z.string().min(1),
  lastName: z.string().min(1),
  status: z.enum(['ACTIVE', 'DEPROVISIONED']).default('ACTIVE'),
  /** Names of the groups the user belongs to. */
  groups: z.array(z.string().min(1)).default([]),
});

export const seedGroupSchema = z.object({
  id: z.string().regex(OKTA_GROUP_ID, "must look like an Okta group id ('00g…')"),
  name: z.string().min(1),
  description: z.string().default(''),
  type: z.enum(['OKTA_GROUP', 'APP_GROUP', 'BUILT_IN']).default('OKTA_GROUP'),
});

export const seedClientSchema = z.object({
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  redirect_uris: z.array(absoluteUrl).min(1),
  post_logout_redirect_uris: z.array(absoluteUrl).default([]),
  initiate_login_uri: absoluteUrl.optional(),
  /** Okta's "Matches regex" groups filter: the whole group name must match. */
  groups_claim_filter: z.string().refine(isValidRegex, 'must be a valid regular expression').default('.*'),
  grant_types: z
    .array(z.enum(['authorization_code', 'refresh_token']))
    .min(1)
    .default(['authorization_code', 'refresh_token']),
  /** OpenID Connect Back-Channel Logout: where logout tokens are POSTed when a sign-in session ends. */
  backchannel_logout_uri: absoluteUrl.refine((url) => !url.includes('#'), 'must not contain a fragment').optional(),
  /** Whether the client needs `sid` in logout tokens; the stand-in always sends it (with `sub`), as Okta does. */
  backchannel_logout_session_required: z.boolean().default(false),
});

const authorizationServerId = z
  .string()
  .regex(AUTH_SERVER_ID, 'must be letters and digits only')
  .refine((id) => id !== 'v1', "'v1' is reserved for the org authorization server's routes")
  .refine((id) => id !== 'org', "'org' names the org authorization server");

/**
 * A custom authorization server and its groups claim. The claim's scopes are Okta's
 * "Include in" (its claims API calls them `conditions.scopes`): `[]` is "Any scope", so every
 * token of someone over the 100-group limit is refused whatever the scopes; `['groups']` is
 * "The following scopes: groups", the set-up where leaving the scope out avoids the error.
 * A bare id is a server whose groups claim is included in any scope (the Okta dialog's default).
 */
const authorizationServerObject = z.strictObject({
  id: authorizationServerId,
  groups_claim: z
    .strictObject({
      scopes: z
        .array(z.string().refine((scope) => SUPPORTED_SCOPES.includes(scope), `must be a scope the stand-in serves: ${SUPPORTED_SCOPES.join(', ')}`))
        .default([]),
    })
    .default({ scopes: [] }),
});

export const seedAuthorizationServerSchema = z.preprocess((value) => (typeof value === 'string' ? { id: value } : value), authorizationServerObject);

export const seedApiTokenSchema = z.union([
  z.string().min(1),
  z.object({ token: z.string().min(1), read_only: z.boolean().default(false) }),
]);

export const seedSchema = z
  .object({
    users: z.array(seedUserSchema).default([]),
    groups: z.array(seedGroupSchema).default([]),
    clients: z.array(seedClientSchema).default([]),
    /** SSWS tokens for the Management API; `{ token, read_only: true }` gets 403 E0000006 on writes. */
    api_tokens: z.array(seedApiTokenSchema).default([]),
    access_token_ttl: z.number().int().min(1).default(3600),
    id_token_ttl: z.number().int().min(1).default(3600),
    /** Okta's default refresh token lifetime is 90 days. */
    refresh_token_ttl: z.number().int().min(1).default(90 * 24 * 3600),
    /** Custom authorization servers, each served under `/oauth2/{id}`. The org server always exists. */
    authorization_servers: z.array(seedAuthorizationServerSchema).prefault(['default']),
    /** Management API requests per minute per API token, as Okta's rate limits. */
    management_api_rate_limit: z.number().int().min(1).default(600),
  })
  .superRefine((seed, ctx) => {
    const report = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const firstIndex = new Map<string, number>();
    const duplicate = (kind: string, key: string, path: (string | number)[]) => {
      const seen = firstIndex.get(`${kind}\0${key}`);
      if (seen !== undefined) {
        report(path, `duplicate ${kind} '${key}' (also at index ${seen})`);
        return;
      }
      firstIndex.set(`${kind}\0${key}`, Number(path[1]));
    };

    const groupNames = new Set(seed.groups.map((group) => group.name));
    seed.groups.forEach((group, i) => {
      duplicate('group id', group.id, ['groups', i, 'id']);
      duplicate('group name', group.name, ['groups', i, 'name']);
    });
    seed.users.forEach((user, i) => {
      duplicate('user id', user.id, ['users', i, 'id']);
      // Okta logins are unique regardless of case.
      duplicate('user login', user.login.toLowerCase(), ['users', i, 'login']);
      user.groups.forEach((name, j) => {
        if (!groupNames.has(name)) report(['users', i, 'groups', j], `unknown group '${name}'`);
      });
    });
    seed.clients.forEach((client, i) => duplicate('client id', client.client_id, ['clients', i, 'client_id']));
    seed.authorization_servers.forEach((server, i) =>
      duplicate('authorization server', server.id, ['authorization_servers', i]),
    );
    seed.api_tokens.forEach((token, i) =>
      duplicate('api token', typeof token === 'string' ? token : token.token, ['api_tokens', i]),
    );
  });

/** What a seed author writes (defaults may be left out). */
export type DevIdpSeed = Omit<z.input<typeof seedSchema>, 'authorization_servers'> & {
  authorization_servers?: Array<string | z.input<typeof authorizationServerObject>>;
};
/** A validated seed with every default filled in. */
export type NormalizedSeed = z.output<typeof seedSchema>;
export type SeedUser = NormalizedSeed['users'][number];
export type SeedGroup = NormalizedSeed['groups'][number];
export type SeedClient = NormalizedSeed['clients'][number];
export type SeedAuthorizationServer = NormalizedSeed['authorization_servers'][number];

export interface SeedProblem {
  /** Dotted path of the offending field, e.g. `users.0.email`. */
  path: string;
  message: string;
}

/** A seed that failed validation; `problems` lists every issue, not only the first. */
export class SeedError extends GatehouseError {
  readonly problems: SeedProblem[];

  constructor(code: string, message: string, problems: SeedProblem[], options: { cause?: unknown } = {}) {
    super(code, message, { status: 400, field: problems[0]?.path, cause: options.cause });
    this.name = 'SeedError';
    this.problems = problems;
  }
}

/** Validates a seed object and fills in defaults; throws SeedError listing every problem. */
export function parseSeed(input: unknown, source = 'seed'): NormalizedSeed {
  const result = seedSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  const lines = problems.map((problem) => `  - ${problem.path}: ${problem.message}`);
  throw new SeedError(
    DEVIDP_SEED_INVALID,
    `${source} is not a valid dev IdP seed (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    problems,
  );
}

/** Reads and validates a JSON seed file; every problem is reported at once. */
export async function loadSeedFile(path: string): Promise<NormalizedSeed> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new SeedError(DEVIDP_SEED_UNREADABLE, `cannot read dev IdP seed file ${path}`, [{ path: '(file)', message: String(cause) }], { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new SeedError(DEVIDP_SEED_JSON, `dev IdP seed file ${path} is not valid JSON: ${message}`, [{ path: '(root)', message }], { cause });
  }
  return parseSeed(json, `seed file ${path}`);
}
