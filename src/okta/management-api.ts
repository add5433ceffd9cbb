import { z } from 'zod';
import { GatehouseError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { describeNetworkError, OktaApiError, oktaApiErrorFromAnswer } from './errors.js';
import { oktaOrgUrl } from './issuer.js';
import { findLink } from './link-header.js';
import { readRateLimit, RESET_MARGIN_MS, retryDelayMs, sleep, type OktaRateLimit } from './rate-limit.js';
import {
  OKTA_API_ERROR,
  OKTA_ARGUMENT_INVALID,
  OKTA_FORBIDDEN,
  OKTA_INVALID_TOKEN,
  OKTA_PAGING_LIMIT,
  OKTA_RATE_LIMITED,
  OKTA_UNAVAILABLE,
} from './error-codes.js';

/**
 * The slice of Okta's Management API Gatehouse needs: a user's groups (roles at sign-in and
 * the background re-check), group search (name suggestions for mappings), group existence,
 * a custom authorization server's claims (both for the connection test) and a token check.
 * Authenticated with `Authorization: SSWS {token}`.
 *
 * - Paging follows `Link: <…>; rel="next"` and never trusts a `next` on another origin,
 *   which would receive the token.
 * - Rate limits: every answer's X-Rate-Limit-* headers are kept (`rateLimit()`); a 429 is
 *   retried after the announced reset, a bounded number of times, each wait capped.
 * - Errors are OktaApiError with an `OKTA_…` code (./error-codes.ts) chosen by Okta's
 *   `errorCode`; bad options or arguments (never sent to Okta) are OKTA_ARGUMENT_INVALID (400).
 * - The token is never logged and never part of an error message.
 */

export interface OktaGroup {
  /** `00g…` */
  id: string;
  /** `OKTA_GROUP`, `APP_GROUP` (imported from a directory or app) or `BUILT_IN` (Everyone). */
  type: string;
  profile: { name: string; description: string | null };
  /** ISO timestamp of the last membership change, when Okta sends one. */
  lastMembershipUpdated: string | null;
}

const groupSchema = z.object({
  id: z.string().min(1),
  type: z.string().catch('UNKNOWN'),
  profile: z.object({
    name: z.string(),
    description: z
      .string()
      .nullish()
      .catch(null)
      .transform((value) => value ?? null),
  }),
  lastMembershipUpdated: z
    .string()
    .nullish()
    .catch(null)
    .transform((value) => value ?? null),
});

const groupsSchema = z.array(groupSchema);

/** A token claim of a custom authorization server (`GET /api/v1/authorizationServers/{id}/claims`). */
export interface OktaClaim {
  name: string;
  /** `ACTIVE` or `INACTIVE`. */
  status: string;
  /** `IDENTITY` (ID token) or `RESOURCE` (access token). */
  claimType: string;
  /** `GROUPS` for a groups filter; `EXPRESSION`, `SYSTEM`, … */
  valueType: string;
  /** Okta's "Include in": the scopes the claim comes with; `[]` means any scope. */
  scopes: string[];
}

const claimsSchema = z.array(
  z
    .object({
      name: z.string(),
      status: z.string().catch('ACTIVE'),
      claimType: z.string().catch('UNKNOWN'),
      valueType: z.string().catch('UNKNOWN'),
      // Missing conditions read as "Any scope", the set-up that cannot be avoided: never the optimistic guess.
      conditions: z.object({ scopes: z.array(z.string()).catch([]) }).nullish().catch(null),
    })
    .transform(({ conditions, ...claim }) => ({ ...claim, scopes: conditions?.scopes ?? [] })),
);

export const oktaManagementApiOptionsSchema = z.object({
  /** The Okta domain (`dev-123.okta.com`, with or without `https://`). */
  oktaDomain: z.string().min(1),
  /** An SSWS API token; surrounding whitespace from a paste is dropped. */
  apiToken: z
    .string()
    .trim()
    .min(1, 'the Okta API token is empty')
    .regex(/^[\x21-\x7e]+$/, 'the Okta API token must be one word of printable characters; copy it again from Okta'),
  /** Per-request timeout, including the body. Default 10 s. */
  timeoutMs: z.number().int().positive().default(10_000),
  /** How many times a 429 is retried before OKTA_RATE_LIMITED. Default 3. */
  maxRateLimitRetries: z.number().int().min(0).max(20).default(3),
  /** The longest single wait for a rate-limit reset. Default 60 s (Okta's windows are one minute). */
  maxRateLimitWaitMs: z.number().int().min(0).default(60_000),
  /** Page size asked for when listing; Okta's documented maxima differ by endpoint, so always sent. Default 200. */
  pageSize: z.number().int().min(1).max(1000).default(200),
  /** The most pages followed for one listing, so a misbehaving `next` cannot loop forever. Default 50. */
  maxPages: z.number().int().min(1).default(50),
  /** Plain http for loopback hosts (the stand-in). Default true; other hosts are https only. */
  allowHttpOnLoopback: z.boolean().default(true),
});

export type OktaManagementApiOptions = z.input<typeof oktaManagementApiOptionsSchema> & { log?: Logger };

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface PagingOptions extends RequestOptions {
  /** Page size for this call; default the client's `pageSize`. */
  pageSize?: number;
  /** Page cap for this call; default the client's `maxPages`. */
  maxPages?: number;
}

export type OktaTokenCheck =
  | { status: 'valid' }
  /** E0000011: wrong, expired or revoked. */
  | { status: 'invalid'; error: OktaApiError }
  /** E0000006: a real token whose admin may not list groups. */
  | { status: 'forbidden'; error: OktaApiError };

export interface GroupsExistResult {
  /** Names that exist in Okta, exactly as given. */
  existing: string[];
  /** Names with no group of exactly that name. */
  missing: string[];
  /** For missing names that exist with other letter case: the name as Okta spells it. */
  differentCase: Record<string, string>;
}

/** A caller's mistake, not Okta's answer: a plain GatehouseError, never sent to Okta. */
function argumentError(message: string, field?: string): GatehouseError {
  return new GatehouseError(OKTA_ARGUMENT_INVALID, message, { status: 400, ...(field ? { field } : {}) });
}

function argument(value: string, name: string): string {
  const parsed = z.string().trim().min(1).safeParse(value);
  if (!parsed.success) throw argumentError(`${name} must be a non-empty string`);
  return parsed.data;
}

/** Option names as the identity settings call them, for the error's `field`. */
const SETTINGS_FIELD: Record<string, string> = { apiToken: 'api_token', oktaDomain: 'okta_domain' };

export class OktaManagementApi {
  /** `https://{domain}`: where the API lives. */
  readonly orgUrl: string;
  readonly #token: string;
  readonly #options: z.output<typeof oktaManagementApiOptionsSchema>;
  readonly #log: Logger;
  #rateLimit: OktaRateLimit | undefined;

  constructor(options: OktaManagementApiOptions) {
    const { log, ...rest } = options;
    const parsed = oktaManagementApiOptionsSchema.safeParse(rest);
    if (!parsed.success) {
      // Never echo the input: it holds the token.
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`).join('; ');
      const first = String(parsed.error.issues[0]?.path[0] ?? '');
      throw argumentError(`invalid Okta Management API options: ${problems}`, SETTINGS_FIELD[first]);
    }
    this.#options = parsed.data;
    this.orgUrl = oktaOrgUrl(parsed.data.oktaDomain, { allowHttpOnLoopback: parsed.data.allowHttpOnLoopback });
    this.#token = parsed.data.apiToken;
    this.#log = log ?? silentLogger();
  }

  /** The rate-limit state of the last answer that reported one (any endpoint). */
  rateLimit(): OktaRateLimit | undefined {
    const state = this.#rateLimit;
    return state ? { ...state, resetAt: new Date(state.resetAt), observedAt: new Date(state.observedAt) } : undefined;
  }

  /**
   * For background jobs: when the last answer left `reserve` or fewer calls in the window,
   * waits until the window resets (at most `maxRateLimitWaitMs`). Returns the milliseconds
   * waited, 0 when there was no need.
   */
  async waitIfNearLimit(reserve = 1, options: RequestOptions = {}): Promise<number> {
    const state = this.#rateLimit;
    if (!state || state.remaining > reserve) return 0;
    const needed = state.resetAt.getTime() - Date.now() + RESET_MARGIN_MS;
    if (needed <= 0) return 0;
    const wait = Math.min(needed, this.#options.maxRateLimitWaitMs);
    this.#log.debug({ waitMs: wait, remaining: state.remaining, limit: state.limit }, 'Okta rate limit nearly used: pausing');
    await sleep(wait, options.signal);
    // A full wait reached a new window; the next answer will report the real numbers.
    if (wait === needed && this.#rateLimit === state) this.#rateLimit = { ...state, remaining: state.limit };
    return wait;
  }

  /**
   * Every group of a user (`GET /api/v1/users/{id or login}/groups`), all pages. Throws
   * OKTA_PAGING_LIMIT rather than return a partial list: roles computed from part of a
   * user's groups would be wrong.
   */
  async listUserGroups(userIdOrLogin: string, options: PagingOptions = {}): Promise<OktaGroup[]> {
    const user = argument(userIdOrLogin, 'userIdOrLogin');
    const url = this.#url(`/api/v1/users/${encodeURIComponent(user)}/groups`, { limit: String(options.pageSize ?? this.#options.pageSize) });
    const page = await this.#collect(url, `the groups of user ${user}`, options);
    if (page.truncated) throw this.#pagingLimit(`the groups of user ${user}`, options);
    return page.items;
  }

  /**
   * Groups whose name starts with `prefix` (`GET /api/v1/groups?q=&limit=`), at most
   * `limit` of them, following `next` while fewer were found. An empty prefix lists all.
   */
  async searchGroups(prefix: string, limit = 20, options: PagingOptions = {}): Promise<OktaGroup[]> {
    const max = z.number().int().min(1).max(10_000).safeParse(limit);
    if (!max.success) throw argumentError('limit must be an integer from 1 to 10000', 'limit');
    const q = prefix.trim();
    const pageSize = options.pageSize ?? Math.min(max.data, this.#options.pageSize);
    const url = this.#url('/api/v1/groups', { ...(q ? { q } : {}), limit: String(pageSize) });
    // Suggestions may stop short: a truncated list is still a useful answer here.
    return (await this.#collect(url, `the groups starting with '${q}'`, options, max.data)).items;
  }

  /** The group named exactly `name` (case-sensitive, as mappings compare), if any. */
  async getGroupByName(name: string, options: PagingOptions = {}): Promise<OktaGroup | undefined> {
    return (await this.#findByName(argument(name, 'name'), options)).exact;
  }

  /** Which of `names` exist in Okta as groups (exact names), one search per distinct name. */
  async groupsExist(names: string[], options: PagingOptions = {}): Promise<GroupsExistResult> {
    const result: GroupsExistResult = { existing: [], missing: [], differentCase: {} };
    for (const name of new Set(names.map((entry) => entry.trim()).filter(Boolean))) {
      const found = await this.#findByName(name, options);
      if (found.exact) {
        result.existing.push(name);
      } else {
        result.missing.push(name);
        if (found.otherCase) result.differentCase[name] = found.otherCase.profile.name;
      }
    }
    return result;
  }

  /**
   * A user's lifecycle status (`ACTIVE`, `DEPROVISIONED`, `SUSPENDED`, …) from
   * `GET /api/v1/users/{id}`: Okta removes people by deactivating them, and a
   * deactivated user keeps their group memberships.
   */
  async userStatus(userIdOrLogin: string, options: RequestOptions = {}): Promise<string> {
    const user = argument(userIdOrLogin, 'userIdOrLogin');
    const answer = await this.#request(this.#url(`/api/v1/users/${encodeURIComponent(user)}`, {}), `user ${user}`, options.signal);
    const parsed = z.object({ status: z.string() }).safeParse(answer.body);
    if (!parsed.success) throw new OktaApiError(OKTA_API_ERROR, `Okta's answer for user ${user} has no status`);
    return parsed.data.status;
  }

  /**
   * The claims of a custom authorization server (`GET /api/v1/authorizationServers/{id}/claims`,
   * one answer: a server has a handful of claims). Needs a token whose admin may read
   * authorization servers (a read-only administrator may); else OKTA_FORBIDDEN.
   */
  async authorizationServerClaims(authorizationServerId: string, options: RequestOptions = {}): Promise<OktaClaim[]> {
    const id = argument(authorizationServerId, 'authorizationServerId');
    const what = `the claims of authorization server ${id}`;
    const answer = await this.#request(this.#url(`/api/v1/authorizationServers/${encodeURIComponent(id)}/claims`, {}), what, options.signal);
    const parsed = claimsSchema.safeParse(answer.body);
    if (!parsed.success) {
      throw new OktaApiError(OKTA_API_ERROR, `Okta answered ${what} with something other than a list of claims; is ${this.orgUrl} an Okta org?`, {
        httpStatus: answer.status,
      });
    }
    return parsed.data;
  }

  /**
   * A cheap authenticated call (`GET /api/v1/groups?limit=1`: the permission Gatehouse
   * needs) that tells a valid token from E0000011 and from a token that may not read
   * groups. Network failures and exhausted rate limits are thrown.
   */
  async checkToken(options: RequestOptions = {}): Promise<OktaTokenCheck> {
    try {
      await this.#request(this.#url('/api/v1/groups', { limit: '1' }), 'a group listing', options.signal);
      return { status: 'valid' };
    } catch (error) {
      if (error instanceof OktaApiError && error.code === OKTA_INVALID_TOKEN) return { status: 'invalid', error };
      if (error instanceof OktaApiError && error.code === OKTA_FORBIDDEN) return { status: 'forbidden', error };
      throw error;
    }
  }

  async #findByName(name: string, options: PagingOptions): Promise<{ exact?: OktaGroup; otherCase?: OktaGroup }> {
    // Okta's `q` is a case-insensitive prefix match; the exact name is picked out here.
    const url = this.#url('/api/v1/groups', { q: name, limit: String(options.pageSize ?? this.#options.pageSize) });
    const lower = name.toLowerCase();
    let otherCase: OktaGroup | undefined;
    const page = await this.#collect(url, `the group '${name}'`, options, undefined, (group) => {
      if (group.profile.name === name) return true;
      if (!otherCase && group.profile.name.toLowerCase() === lower) otherCase = group;
      return false;
    });
    const exact = page.items.find((group) => group.profile.name === name);
    if (!exact && page.truncated) throw this.#pagingLimit(`the group '${name}'`, options);
    return { ...(exact ? { exact } : {}), ...(otherCase ? { otherCase } : {}) };
  }

  #pagingLimit(what: string, options: PagingOptions): OktaApiError {
    const pages = options.maxPages ?? this.#options.maxPages;
    return new OktaApiError(OKTA_PAGING_LIMIT, `Okta had more than ${pages} pages of ${what}; raise maxPages (or pageSize) if that many are expected.`);
  }

  #url(path: string, query: Record<string, string>): URL {
    const url = new URL(path, this.orgUrl);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url;
  }

  /**
   * Follows `next` links from `first`, up to the page cap, `maxItems` items, or an item for
   * which `stop` answers true. `truncated` tells whether a `next` was left unfollowed.
   */
  async #collect(
    first: URL,
    what: string,
    options: PagingOptions,
    maxItems?: number,
    stop?: (group: OktaGroup) => boolean,
  ): Promise<{ items: OktaGroup[]; truncated: boolean }> {
    const maxPages = options.maxPages ?? this.#options.maxPages;
    const items: OktaGroup[] = [];
    const visited = new Set<string>();
    let url: URL | undefined = first;
    for (let pages = 0; url; pages += 1) {
      if (pages >= maxPages) return { items, truncated: true };
      visited.add(url.href);
      const answer = await this.#request(url, what, options.signal);
      const parsed = groupsSchema.safeParse(answer.body);
      if (!parsed.success) {
        throw new OktaApiError(OKTA_API_ERROR, `Okta answered ${what} with something other than a list of groups; is ${this.orgUrl} an Okta org?`, {
          httpStatus: answer.status,
        });
      }
      for (const group of parsed.data) {
        items.push(group);
        if (stop?.(group)) return { items, truncated: false };
        if (maxItems !== undefined && items.length >= maxItems) return { items, truncated: false };
      }
      url = this.#nextPage(answer.headers, url, what);
      // A `next` that points back to a page already read would loop: Okta never does that.
      if (url && visited.has(url.href)) return { items, truncated: false };
    }
    return { items, truncated: false };
  }

  #nextPage(headers: Headers, current: URL, what: string): URL | undefined {
    const next = findLink(headers.get('link'), 'next', current);
    if (next === undefined) return undefined;
    const url = new URL(next);
    if (url.origin !== new URL(this.orgUrl).origin) {
      throw new OktaApiError(
        OKTA_API_ERROR,
        `Okta's next page of ${what} is on ${url.origin}, not ${this.orgUrl}; Gatehouse does not send the API token elsewhere. Check the Okta domain.`,
      );
    }
    return url;
  }

  async #request(url: URL, what: string, signal: AbortSignal | undefined): Promise<{ status: number; headers: Headers; body: unknown }> {
    const { timeoutMs, maxRateLimitRetries, maxRateLimitWaitMs } = this.#options;
    for (let attempt = 0; ; attempt += 1) {
      signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      let status: number;
      let headers: Headers;
      let text: string;
      try {
        const response = await fetch(url, {
          method: 'GET',
          headers: { Accept: 'application/json', Authorization: `SSWS ${this.#token}`, 'User-Agent': 'gatehouse' },
          // Okta's API does not redirect; following one could carry the token elsewhere.
          redirect: 'manual',
          signal: combined,
        });
        status = response.status;
        headers = response.headers;
        text = await response.text();
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const reason = describeNetworkError(error, timeoutMs);
        this.#log.warn({ path: url.pathname, reason }, 'Okta Management API unreachable');
        throw new OktaApiError(OKTA_UNAVAILABLE, `Okta at ${this.orgUrl} could not be reached for ${what}: ${reason}. Check the Okta domain and this host's network access to it.`, {
          cause: error,
        });
      }

      const rateLimit = readRateLimit(headers);
      if (rateLimit) this.#rateLimit = rateLimit;
      this.#log.debug({ path: url.pathname, status, remaining: rateLimit?.remaining, limit: rateLimit?.limit }, 'Okta Management API answer');

      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (status >= 200 && status < 300) {
        if (body === undefined) {
          throw new OktaApiError(OKTA_API_ERROR, `Okta answered ${what} without a JSON body; is ${this.orgUrl} an Okta org?`, { httpStatus: status });
        }
        return { status, headers, body };
      }
      if (status >= 300 && status < 400) {
        throw new OktaApiError(
          OKTA_API_ERROR,
          `${this.orgUrl} redirected ${what} to ${headers.get('location') ?? 'another address'}; enter the Okta org's own domain (e.g. dev-123.okta.com).`,
          { httpStatus: status },
        );
      }

      const error = oktaApiErrorFromAnswer({ status, body, orgUrl: this.orgUrl, what, ...(rateLimit ? { retryAt: rateLimit.resetAt } : {}) });
      if (error.code !== OKTA_RATE_LIMITED || attempt >= maxRateLimitRetries) throw error;
      const wait = retryDelayMs(rateLimit, attempt, maxRateLimitWaitMs);
      this.#log.warn({ path: url.pathname, waitMs: wait, attempt: attempt + 1, errorId: error.oktaErrorId }, 'Okta rate limit hit: waiting for the reset');
      await sleep(wait, signal);
    }
  }
}
