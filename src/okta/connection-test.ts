import * as client from 'openid-client';
import { z } from 'zod';
import { GatehouseError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { isLoopbackHost } from '../oidc/loopback.js';
import { describeNetworkError, OktaApiError } from './errors.js';
import { GROUPS_SCOPE, groupsClaimAvoidable, groupsClaimFix } from './groups-claim.js';
import { defaultOktaScopes, oktaAuthorizationServer, type OktaAuthorizationServer } from './issuer.js';
import { OktaManagementApi, type OktaClaim, type OktaManagementApiOptions, type OktaTokenCheck } from './management-api.js';

/**
 * "Test Configuration": before identity settings are saved, every part an admin typed is
 * tried against the provider, each as a named check that passes or fails with the reason,
 * the way Kong Konnect's Okta set-up does ("Configuration tested successfully").
 *
 *   discovery           the discovery document is reachable and names the configured issuer
 *   jwks                the key set is reachable and has at least one signing key
 *   client_credentials  the token endpoint authenticates the client ID and secret
 *   api_token           Okta's Management API accepts the API token (when one is set)
 *   mapped_groups       at least one mapped group exists in Okta (when a token and names are set)
 *   groups_claim        a custom authorization server's groups claim lets people in more than
 *                       100 groups sign in: it comes only with the `groups` scope (when a token is set)
 *
 * Checks that do not depend on each other run concurrently; a check whose input another
 * check failed to establish is reported as failed with "not checked" and the reason.
 * Secrets are sent only where they belong (the issuer's own token endpoint, the org's
 * Management API) and never appear in details, messages or logs.
 */

export const SUCCESS_MESSAGE = 'Configuration tested successfully';

/**
 * The authorization code the client_credentials check presents. It can never be valid, so
 * the token endpoint's answer tells only whether it authenticated the client first.
 */
export const CONNECTION_TEST_CODE = 'gatehouse-connection-test';

function isAllowedUrl(value: string, allowHttpOnLoopback: boolean): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && allowHttpOnLoopback && isLoopbackHost(url.hostname);
}

/** `null` from a JSON body means "not set", as an absent key does. */
const optionalString = z
  .string()
  .trim()
  .nullish()
  .transform((value) => value ?? undefined);

export const identityConnectionSettingsSchema = z
  .object({
    provider: z.enum(['okta', 'oidc'], { message: "provider must be 'okta' or 'oidc'" }),
    /** Okta: `dev-123.okta.com` (scheme and trailing slash optional). */
    okta_domain: optionalString,
    /** Okta: `default` when absent; `''` or `org` for the org authorization server. Kept untrimmed-empty on purpose. */
    authorization_server_id: z
      .string()
      .nullish()
      .transform((value) => value ?? undefined),
    /** oidc: the issuer exactly as the provider writes it. */
    issuer: optionalString
      .refine((value) => value === undefined || value === '' || (isAllowedUrl(value, true) && !/[?#]/.test(value)), {
        message: 'issuer must be an https URL without query or fragment (plain http only for loopback test servers)',
      })
      .refine((value) => !value?.includes('/.well-known/'), {
        message: 'issuer must be the issuer itself, not its discovery document: drop /.well-known/... from the URL',
      }),
    client_id: z.string().trim().min(1, 'client_id is required: copy it from the app in Okta (General > Client Credentials)'),
    client_secret: z.string().min(1, 'client_secret is required: copy it from the app in Okta (General > Client Credentials)'),
    /** Okta Management API token (SSWS); empty means none. */
    api_token: optionalString.transform((value) => (value === '' ? undefined : value)),
    /** Gatehouse's sign-in redirect URI, as registered in the app. */
    redirect_uri: z
      .string()
      .trim()
      .min(1, 'redirect_uri is required')
      .refine((value) => isAllowedUrl(value, true) && !value.includes('#'), {
        message: 'redirect_uri must be an absolute https URL without a fragment (plain http only on loopback), the one registered in the app',
      }),
    /** The scopes sign-in asks for; default: Okta's defaults for the authorization server. */
    scopes: z
      .array(z.string().trim().min(1, 'scope names must not be empty'))
      .nullish()
      .transform((value) => value ?? undefined),
    /** Okta group names the role mappings use. */
    mapped_groups: z
      .array(z.string().trim().min(1, 'group names must not be empty'))
      .max(500, 'at most 500 mapped groups can be tested')
      .nullish()
      .transform((value) => value ?? undefined),
    /**
     * How the client authenticates at the token endpoint, as registered in Okta (the app's
     * "Client authentication"); default `client_secret_basic`, Okta's default.
     */
    token_endpoint_auth_method: z
      .enum(['client_secret_basic', 'client_secret_post'])
      .nullish()
      .transform((value) => value ?? undefined),
  })
  .superRefine(
    (settings, ctx) => {
      // Runs even when other fields failed (see `when`), so every problem is reported at
      // once; fields that failed their own checks may hold raw input, hence the typeof.
      const domain = typeof settings.okta_domain === 'string' ? settings.okta_domain : undefined;
      const serverId = typeof settings.authorization_server_id === 'string' ? settings.authorization_server_id : undefined;
      if (settings.provider === 'okta') {
        if (!domain) {
          ctx.addIssue({ code: 'custom', path: ['okta_domain'], message: 'okta_domain is required for provider okta: enter e.g. dev-123.okta.com' });
        } else {
          try {
            oktaAuthorizationServer(domain, serverId);
          } catch (error) {
            if (!(error instanceof GatehouseError)) throw error;
            ctx.addIssue({ code: 'custom', path: [error.field ?? 'okta_domain'], message: error.message });
          }
        }
      } else if (settings.provider === 'oidc') {
        if (settings.issuer === undefined || settings.issuer === '') {
          ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'issuer is required for provider oidc: enter the issuer URL, e.g. https://login.example.com' });
        }
        if (settings.api_token) {
          ctx.addIssue({ code: 'custom', path: ['api_token'], message: "api_token is an Okta Management API token: remove it, or use provider 'okta'" });
        }
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

export type IdentityConnectionSettingsInput = z.input<typeof identityConnectionSettingsSchema>;
export type IdentityConnectionSettings = z.output<typeof identityConnectionSettingsSchema>;

/**
 * Validated settings, or GH-IDENTITY-SETTINGS-INVALID (400) naming every problem; the
 * first wrong field (in the schema's order) is the error's `field`. Values are never
 * echoed (secrets).
 */
export function parseIdentityConnectionSettings(input: unknown): IdentityConnectionSettings {
  const parsed = identityConnectionSettingsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  // In the form's field order, so `field` points at the first wrong field from the top.
  const order = Object.keys(identityConnectionSettingsSchema.shape);
  const rank = (path: PropertyKey[]) => {
    const index = order.indexOf(String(path[0]));
    return index === -1 ? order.length : index;
  };
  const issues = [...parsed.error.issues].sort((a, b) => rank(a.path) - rank(b.path));
  const describe = (issue: (typeof issues)[number]) => {
    const field = issue.path.join('.');
    return issue.message.startsWith(field) || field === '' ? issue.message : `${field}: ${issue.message}`;
  };
  const field = issues[0]?.path.join('.');
  throw new GatehouseError('GH-IDENTITY-SETTINGS-INVALID', `identity settings are invalid: ${issues.map(describe).join('; ')}`, {
    status: 400,
    ...(field ? { field } : {}),
  });
}

export type ConnectionCheckName = 'discovery' | 'jwks' | 'client_credentials' | 'api_token' | 'mapped_groups' | 'groups_claim';

export interface ConnectionCheck {
  name: ConnectionCheckName;
  passed: boolean;
  /**
   * Passed, with something to change in Okta that does not stop these values from
   * working (today's sign-ins succeed): the groups claim check. A warning never fails
   * the test, so it never keeps an administrator from saving.
   */
  warning?: true;
  detail: string;
}

export interface ConnectionTestResult {
  passed: boolean;
  /** `Configuration tested successfully`, or which checks failed. */
  message: string;
  /** In a fixed order: discovery, jwks, client_credentials, then api_token, mapped_groups and groups_claim when they apply. */
  checks: ConnectionCheck[];
  /** The issuer that was tested (derived from the Okta domain for provider okta). */
  issuer: string;
}

export interface ConnectionTestOptions {
  /** Per request (discovery, JWKS, token endpoint, each Management API call). Default 10 s. */
  timeoutMs?: number;
  /** Plain http for loopback hosts, as ProviderCache allows it (the stand-in). Default true. */
  allowHttpOnLoopback?: boolean;
  /**
   * Read the discovery document from here instead of `{issuer}/.well-known/openid-configuration`
   * (a provider that serves it elsewhere). Its `issuer` must still equal the configured one.
   */
  discoveryUrl?: string;
  /**
   * Management API tuning. An admin is waiting for the answer, so by default a 429 is
   * retried once after at most 5 s instead of the background job's patient waits.
   */
  managementApi?: Pick<OktaManagementApiOptions, 'maxRateLimitRetries' | 'maxRateLimitWaitMs' | 'pageSize' | 'maxPages'>;
  signal?: AbortSignal;
  log?: Logger;
}

interface Context {
  settings: IdentityConnectionSettings;
  timeoutMs: number;
  allowHttpOnLoopback: boolean;
  signal: AbortSignal | undefined;
  okta: OktaAuthorizationServer | undefined;
}

const pass = (name: ConnectionCheckName, detail: string): ConnectionCheck => ({ name, passed: true, detail });
const fail = (name: ConnectionCheckName, detail: string): ConnectionCheck => ({ name, passed: false, detail });
const warn = (name: ConnectionCheckName, detail: string): ConnectionCheck => ({ name, passed: true, warning: true, detail });

/** Runs every check that applies to `settings` (validated here; see parseIdentityConnectionSettings). */
export async function testIdentityConnection(input: IdentityConnectionSettingsInput, options: ConnectionTestOptions = {}): Promise<ConnectionTestResult> {
  const settings = parseIdentityConnectionSettings(input);
  const allowHttpOnLoopback = options.allowHttpOnLoopback ?? true;
  const timeoutMs = z.number().int().positive().default(10_000).parse(options.timeoutMs);
  const log = options.log ?? silentLogger();

  // Throws for settings that only the stricter http rule refuses: a settings error, not a check.
  const okta =
    settings.provider === 'okta' ? oktaAuthorizationServer(settings.okta_domain ?? '', settings.authorization_server_id, { allowHttpOnLoopback }) : undefined;
  const issuer = okta ? okta.issuer : (settings.issuer ?? '');
  if (!okta && !isAllowedUrl(issuer, allowHttpOnLoopback)) {
    throw new GatehouseError('GH-IDENTITY-SETTINGS-INVALID', 'issuer must be an https URL', { status: 400, field: 'issuer' });
  }
  // OpenID Connect Discovery 1.0 section 4: a terminating "/" is removed before appending.
  const discoveryUrl = options.discoveryUrl ?? okta?.discoveryUrl ?? `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const context: Context = { settings, timeoutMs, allowHttpOnLoopback, signal: options.signal, okta };

  // The Management API does not need discovery: start it at once. It never rejects (a
  // rejection while discovery is awaited would be unhandled); the catch is the net.
  const managementChecks: Promise<ConnectionCheck[]> =
    okta && settings.api_token
      ? runManagementChecks(context, okta, settings.api_token, options, log).catch((error: unknown) => [
          fail('api_token', `Could not complete the check: ${error instanceof GatehouseError ? error.message : describeNetworkError(error)}`),
        ])
      : Promise.resolve([]);

  const discovery = await guard('discovery', () => checkDiscovery(context, issuer, discoveryUrl));
  const metadata = discovery.metadata;
  const notChecked = (name: ConnectionCheckName) => fail(name, 'Not checked: needs a discovery document for the configured issuer (see the discovery check).');
  const [jwks, clientCredentials] = metadata
    ? await Promise.all([guard('jwks', () => checkJwks(context, metadata)), guard('client_credentials', () => checkClientCredentials(context, metadata))])
    : [{ check: notChecked('jwks') }, { check: notChecked('client_credentials') }];

  const checks: ConnectionCheck[] = [discovery.check, jwks.check, clientCredentials.check, ...(await managementChecks)];
  // Checks turn every failure into a result, an abort included; the caller who aborted gets the abort.
  options.signal?.throwIfAborted();
  const failed = checks.filter((check) => !check.passed).map((check) => check.name);
  const passed = failed.length === 0;
  const message = passed
    ? SUCCESS_MESSAGE
    : `Configuration test failed: ${failed.join(', ')} did not pass (${failed.length} of ${checks.length} checks); see each check's detail`;
  log.info({ provider: settings.provider, issuer, passed, failed }, 'identity connection test finished');
  return { passed, message, checks, issuer };
}

/** Runs a check so that an unexpected throw becomes a failed check, never a rejected test. */
async function guard<T extends { check: ConnectionCheck }>(name: ConnectionCheckName, run: () => Promise<T>): Promise<T | { check: ConnectionCheck; metadata?: undefined }> {
  try {
    return await run();
  } catch (error) {
    // Messages of Gatehouse's errors never hold secrets; others are reduced to their reason.
    const reason = error instanceof GatehouseError ? error.message : describeNetworkError(error);
    return { check: fail(name, `Could not complete the check: ${reason}`) };
  }
}

function requestSignal(context: Context): AbortSignal {
  const timeout = AbortSignal.timeout(context.timeoutMs);
  return context.signal ? AbortSignal.any([context.signal, timeout]) : timeout;
}

// ---------------------------------------------------------------------------------------
// discovery

function discoveryHint(context: Context, status: number | undefined): string {
  if (!context.okta) return status === 404 ? ' Check the issuer URL.' : '';
  if (status === 404) {
    return context.okta.kind === 'custom'
      ? ` Okta answers 404 for an authorization server that does not exist: check authorization_server_id (Okta Admin Console > Security > API > Authorization Servers), or leave it empty to use the org authorization server.`
      : ' Check okta_domain.';
  }
  return ' Check okta_domain (e.g. dev-123.okta.com) and that this host can reach it.';
}

async function checkDiscovery(context: Context, issuer: string, discoveryUrl: string): Promise<{ check: ConnectionCheck; metadata?: client.ServerMetadata }> {
  let url: URL;
  try {
    url = new URL(discoveryUrl);
  } catch {
    return { check: fail('discovery', `The discovery document address ${discoveryUrl} is not a URL.`) };
  }
  if (!isAllowedUrl(url.href, context.allowHttpOnLoopback)) {
    return { check: fail('discovery', `The discovery document must be fetched over https (plain http only on loopback): ${url.href}`) };
  }
  let metadata: client.ServerMetadata;
  try {
    const insecure = url.protocol === 'http:';
    // A /.well-known/ URL is fetched as is, so the issuer comparison below is ours and can
    // name both values; openid-client still validates the document's shape.
    const callerSignal = context.signal;
    const configuration = await client.discovery(url, context.settings.client_id, undefined, undefined, {
      timeout: context.timeoutMs / 1000,
      ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      // openid-client applies only its own timeout; the caller's abort is added here.
      ...(callerSignal
        ? { [client.customFetch]: (resource: string, init: client.CustomFetchOptions) => fetch(resource, { ...init, signal: init.signal ? AbortSignal.any([init.signal, callerSignal]) : callerSignal }) }
        : {}),
    });
    metadata = { ...configuration.serverMetadata() };
  } catch (error) {
    const response = (error as { cause?: unknown }).cause;
    const status = response instanceof Response ? response.status : undefined;
    const reason =
      status !== undefined
        ? `it answered HTTP ${status}`
        : (error as { code?: unknown }).code === 'OAUTH_RESPONSE_IS_NOT_JSON'
          ? 'it did not answer with JSON'
          : describeNetworkError(error, context.timeoutMs);
    return { check: fail('discovery', `Could not read the discovery document at ${url.href}: ${reason}.${discoveryHint(context, status)}`) };
  }
  // OpenID Connect Discovery 1.0 section 4.3: the issuer must be identical, character for character.
  if (metadata.issuer !== issuer) {
    const slash = metadata.issuer.replace(/\/$/, '') === issuer.replace(/\/$/, '') ? ' (they differ only by a trailing slash, which matters)' : '';
    const fix = context.okta
      ? ' Check okta_domain and authorization_server_id; if Okta uses a custom domain, enter that domain.'
      : ` Configure the issuer exactly as the provider states it: ${metadata.issuer}`;
    return {
      check: fail('discovery', `The discovery document at ${url.href} names the issuer ${metadata.issuer}, not the configured ${issuer}${slash}.${fix}`),
    };
  }
  const missing = (['token_endpoint', 'jwks_uri', 'authorization_endpoint'] as const).filter((key) => typeof metadata[key] !== 'string');
  if (missing.length > 0) {
    return { check: fail('discovery', `The discovery document at ${url.href} lacks ${missing.join(', ')}, which sign-in needs.`) };
  }
  const insecureEndpoints = (['token_endpoint', 'jwks_uri'] as const).filter((key) => !isAllowedUrl(metadata[key] as string, context.allowHttpOnLoopback));
  if (insecureEndpoints.length > 0) {
    return { check: fail('discovery', `The discovery document at ${url.href} gives ${insecureEndpoints.join(' and ')} without https; Gatehouse will not use them.`) };
  }
  return { check: pass('discovery', `The discovery document at ${url.href} names the issuer ${issuer}.`), metadata };
}

// ---------------------------------------------------------------------------------------
// jwks

const SIGNING_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);

const jwkSchema = z.looseObject({
  kty: z.string(),
  use: z.string().optional().catch(undefined),
  key_ops: z.array(z.string()).optional().catch(undefined),
  kid: z.string().optional().catch(undefined),
});

async function checkJwks(context: Context, metadata: client.ServerMetadata): Promise<{ check: ConnectionCheck }> {
  const jwksUri = metadata.jwks_uri as string;
  let status: number;
  let text: string;
  try {
    const response = await fetch(jwksUri, {
      headers: { Accept: 'application/jwk-set+json, application/json' },
      redirect: 'manual',
      signal: requestSignal(context),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    return { check: fail('jwks', `Could not read the key set at ${jwksUri}: ${describeNetworkError(error, context.timeoutMs)}.`) };
  }
  if (status !== 200) return { check: fail('jwks', `The key set at ${jwksUri} answered HTTP ${status}.`) };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { check: fail('jwks', `The key set at ${jwksUri} is not JSON.`) };
  }
  const set = z.object({ keys: z.array(z.unknown()) }).safeParse(body);
  if (!set.success) return { check: fail('jwks', `The document at ${jwksUri} is not a JWK Set (no "keys" array).`) };
  const keys = set.data.keys;
  // RFC 7517 4.2/4.3: a key is for signatures when `use` is `sig` or absent and `key_ops`, if any, allows verify.
  const signing = keys
    .map((key) => jwkSchema.safeParse(key))
    .filter((parsed) => parsed.success)
    .map((parsed) => parsed.data)
    .filter((key) => SIGNING_KEY_TYPES.has(key.kty) && (key.use === undefined || key.use === 'sig') && (key.key_ops === undefined || key.key_ops.includes('verify')));
  if (signing.length === 0) {
    return {
      check: fail('jwks', `The key set at ${jwksUri} has ${keys.length} key(s) but none for verifying signatures (kty RSA, EC or OKP with use "sig" or no use).`),
    };
  }
  const kids = signing.map((key) => key.kid).filter((kid): kid is string => !!kid);
  return {
    check: pass('jwks', `The key set at ${jwksUri} has ${signing.length} signing key(s)${kids.length ? ` (kid ${kids.join(', ')})` : ''}.`),
  };
}

// ---------------------------------------------------------------------------------------
// client_credentials

export type TokenEndpointVerdict =
  /** The client was not authenticated: wrong client ID or secret, or the wrong method. */
  | 'invalid_client'
  /** The client authenticated; only the test code (or another request detail) was refused. */
  | 'authenticated'
  /** The client authenticated but may not use the authorization code grant. */
  | 'grant_not_allowed'
  /** Tokens were issued for the made-up code: not an authorization server to trust. */
  | 'accepted_test_code'
  /** No OAuth answer (5xx, HTML, …): nothing can be concluded. */
  | 'unexpected';

export interface TokenEndpointAnswer {
  verdict: TokenEndpointVerdict;
  /** The OAuth `error` (or Okta's `errorCode` on its org-level error shape). */
  error?: string;
  description?: string;
}

const oauthErrorSchema = z.object({ error: z.string().min(1), error_description: z.string().optional().catch(undefined) });
/** Okta answers an unknown client_id in its API error shape: `{errorCode: "invalid_client", errorSummary}`. */
const oktaOauthErrorSchema = z.object({ errorCode: z.string().min(1), errorSummary: z.string().optional().catch(undefined) });

/**
 * What the token endpoint's answer to the test code says about the client credentials.
 * RFC 6749 section 5.2: `invalid_client` (401, or 400) means client authentication failed;
 * a server authenticates the client before it looks at the grant, so any other OAuth error
 * means the credentials were accepted. `unauthorized_client` is kept apart: the credentials
 * are fine but sign-in would still fail.
 */
export function interpretTokenEndpointAnswer(status: number, body: unknown): TokenEndpointAnswer {
  const oauth = oauthErrorSchema.safeParse(body);
  const okta = oauth.success ? undefined : oktaOauthErrorSchema.safeParse(body);
  const error = oauth.success ? oauth.data.error : okta?.success ? okta.data.errorCode : undefined;
  const description = oauth.success ? oauth.data.error_description : okta?.success ? okta.data.errorSummary : undefined;
  const said = { ...(error ? { error } : {}), ...(description ? { description } : {}) };

  if (status >= 200 && status < 300) {
    const issued = typeof body === 'object' && body !== null && 'access_token' in body;
    return issued ? { verdict: 'accepted_test_code' } : { verdict: 'unexpected' };
  }
  if (error === 'invalid_client') return { verdict: 'invalid_client', ...said };
  // A 401 from a token endpoint is a failed client authentication even without a body.
  if (error === undefined && status === 401) return { verdict: 'invalid_client' };
  if (error === 'unauthorized_client') return { verdict: 'grant_not_allowed', ...said };
  if (error !== undefined && status >= 400 && status < 500) return { verdict: 'authenticated', ...said };
  return { verdict: 'unexpected', ...said };
}

function quoted(answer: TokenEndpointAnswer): string {
  if (!answer.error) return '';
  return answer.description ? `${answer.error}: "${answer.description}"` : answer.error;
}

async function checkClientCredentials(context: Context, metadata: client.ServerMetadata): Promise<{ check: ConnectionCheck }> {
  const { settings } = context;
  const tokenEndpoint = metadata.token_endpoint as string;
  const method = settings.token_endpoint_auth_method ?? 'client_secret_basic';
  const body = new URLSearchParams({ grant_type: 'authorization_code', code: CONNECTION_TEST_CODE, redirect_uri: settings.redirect_uri });
  const headers = new Headers({ Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' });
  // openid-client's own client authentication, so the credentials are encoded exactly as
  // sign-in will send them (RFC 6749 2.3.1 form-encoding inside HTTP Basic).
  const authenticate = method === 'client_secret_post' ? client.ClientSecretPost(settings.client_secret) : client.ClientSecretBasic(settings.client_secret);
  authenticate(metadata, { client_id: settings.client_id }, body, headers);

  let status: number;
  let parsed: unknown;
  try {
    const response = await fetch(tokenEndpoint, {
      method: 'POST',
      headers,
      body,
      // A token endpoint that redirects must not get the credentials re-posted elsewhere.
      redirect: 'manual',
      signal: requestSignal(context),
    });
    status = response.status;
    const text = await response.text();
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  } catch (error) {
    return { check: fail('client_credentials', `Could not reach the token endpoint ${tokenEndpoint}: ${describeNetworkError(error, context.timeoutMs)}.`) };
  }

  const answer = interpretTokenEndpointAnswer(status, parsed);
  const where = context.okta ? 'the app in Okta (Applications > your app > General > Client Credentials)' : 'the client registered at the provider';
  switch (answer.verdict) {
    case 'invalid_client':
      return {
        check: fail(
          'client_credentials',
          `invalid_client: the token endpoint refused the client ID and secret (HTTP ${status}${answer.error ? `, ${quoted(answer)}` : ''}). Copy client_id and client_secret again from ${where}; its client authentication must be "client secret" sent as ${method === 'client_secret_post' ? 'POST parameters (client_secret_post)' : 'HTTP Basic (client_secret_basic)'}.`,
        ),
      };
    case 'authenticated':
      return {
        check: pass(
          'client_credentials',
          `The token endpoint accepted the client ID and secret: it answered ${quoted(answer)} for Gatehouse's made-up test code, not invalid_client.`,
        ),
      };
    case 'grant_not_allowed':
      return {
        check: fail(
          'client_credentials',
          `The client ID and secret were accepted, but the client may not use the authorization code grant (${quoted(answer)}), so sign-in would fail. In ${where}, allow the Authorization Code grant type (an OIDC Web application).`,
        ),
      };
    case 'accepted_test_code':
      return { check: fail('client_credentials', `The token endpoint issued tokens for a made-up authorization code; it cannot be trusted as an authorization server.`) };
    default:
      return {
        check: fail(
          'client_credentials',
          `Could not tell whether the client ID and secret are right: the token endpoint answered HTTP ${status}${answer.error ? ` (${quoted(answer)})` : ' without an OAuth error'}, neither invalid_client nor another OAuth error.`,
        ),
      };
  }
}

// ---------------------------------------------------------------------------------------
// api_token, mapped_groups

async function runManagementChecks(
  context: Context,
  okta: OktaAuthorizationServer,
  apiToken: string,
  options: ConnectionTestOptions,
  log: Logger,
): Promise<ConnectionCheck[]> {
  const groupNames = context.settings.mapped_groups ?? [];
  const wantsGroups = groupNames.length > 0;
  // The org server's groups claim always needs the groups scope: nothing to look at there.
  const claimServer = okta.kind === 'custom' ? okta.id : null;
  const signal = context.signal;
  const notChecked = (reason: string) => [
    ...(wantsGroups ? [fail('mapped_groups', `Not checked: ${reason}`)] : []),
    ...(claimServer ? [fail('groups_claim', `Not checked: ${reason}`)] : []),
  ];

  let api: OktaManagementApi;
  try {
    api = new OktaManagementApi({
      oktaDomain: okta.orgUrl,
      apiToken,
      timeoutMs: context.timeoutMs,
      allowHttpOnLoopback: context.allowHttpOnLoopback,
      maxRateLimitRetries: 1,
      maxRateLimitWaitMs: 5_000,
      ...options.managementApi,
      log,
    });
  } catch (error) {
    const reason = error instanceof GatehouseError ? error.message : 'the API token cannot be used';
    return [fail('api_token', reason), ...notChecked('needs an API token Okta accepts (see the api_token check).')];
  }

  let token: OktaTokenCheck | undefined;
  let tokenCheck: ConnectionCheck;
  try {
    token = await api.checkToken(signal ? { signal } : {});
    tokenCheck =
      token.status === 'valid'
        ? pass('api_token', `Okta's Management API at ${api.orgUrl} accepted the API token, and the token can read groups.`)
        : fail('api_token', token.error.message);
  } catch (error) {
    tokenCheck = fail('api_token', error instanceof OktaApiError ? error.message : `Could not check the API token: ${describeNetworkError(error)}`);
  }
  if (token?.status !== 'valid') return [tokenCheck, ...notChecked('needs an API token Okta accepts and that can read groups (see the api_token check).')];

  const [mappedGroups, groupsClaim] = await Promise.all([
    wantsGroups ? checkMappedGroups(api, groupNames, signal) : undefined,
    claimServer ? checkGroupsClaim(context, api, claimServer, signal) : undefined,
  ]);
  return [tokenCheck, ...(mappedGroups ? [mappedGroups] : []), ...(groupsClaim ? [groupsClaim] : [])];
}

async function checkMappedGroups(api: OktaManagementApi, groupNames: string[], signal: AbortSignal | undefined): Promise<ConnectionCheck> {
  try {
    const found = await api.groupsExist(groupNames, signal ? { signal } : {});
    const missing = found.missing.map((name) => (found.differentCase[name] ? `${name} (Okta has '${found.differentCase[name]}'; names are compared exactly)` : name));
    if (found.existing.length === 0) {
      return fail(
        'mapped_groups',
        `None of the mapped groups exists in Okta: ${missing.join(', ')}. Map at least one existing Okta group; names are compared exactly, including letter case.`,
      );
    }
    return pass('mapped_groups', `Found in Okta: ${found.existing.join(', ')}.${missing.length ? ` Not found: ${missing.join(', ')}.` : ''}`);
  } catch (error) {
    return fail('mapped_groups', error instanceof OktaApiError ? error.message : `Could not look the groups up: ${describeNetworkError(error)}`);
  }
}

/**
 * Whether people in more than 100 groups can sign in (see groups-claim.ts). Only Okta's claims
 * API tells how the groups claim is configured: no token request shows it short of someone
 * over the limit signing in (tokens for the client alone carry no user, hence no groups).
 * Without an API token it can only be found when it bites, at such a sign-in, whose refusal
 * then says what to change.
 */
async function checkGroupsClaim(context: Context, api: OktaManagementApi, server: string, signal: AbortSignal | undefined): Promise<ConnectionCheck> {
  const requested = context.settings.scopes ?? defaultOktaScopes(server);
  let claims: OktaClaim[];
  try {
    claims = await api.authorizationServerClaims(server, signal ? { signal } : {});
  } catch (error) {
    if (error instanceof OktaApiError && error.code === 'GH-OKTA-FORBIDDEN') {
      return warn(
        'groups_claim',
        `Okta did not let the API token read the claims of authorization server ${server}, so Gatehouse cannot tell whether people in more than 100 groups can sign in. Create the API token as an administrator who may read authorization servers (a read-only administrator may).`,
      );
    }
    return warn('groups_claim', error instanceof OktaApiError ? error.message : `Could not read the claims of authorization server ${server}: ${describeNetworkError(error)}`);
  }
  const groupClaims = claims.filter((claim) => claim.status === 'ACTIVE' && claim.valueType === 'GROUPS');
  if (groupClaims.length === 0) {
    return pass('groups_claim', `Authorization server ${server} has no groups claim: Gatehouse reads people’s groups from userinfo, else with the API token.`);
  }
  const blocking = groupClaims.filter((claim) => !groupsClaimAvoidable(claim.scopes, requested));
  const first = blocking[0];
  if (first) {
    const asked = new Set(requested);
    const described = blocking
      .map((claim) =>
        claim.scopes.length === 0
          ? `“${claim.name}” is included in any scope`
          : `“${claim.name}” is included with ${claim.scopes.filter((scope) => scope !== GROUPS_SCOPE && asked.has(scope)).join(', ')}, which Gatehouse always asks for`,
      )
      .join('; ');
    return warn(
      'groups_claim',
      `The groups claim of authorization server ${server} comes with every sign-in (${described}), so Okta refuses anyone in more than 100 matching groups, and signing in again without the ${GROUPS_SCOPE} scope cannot avoid it. ${groupsClaimFix(server, first.name)}`,
    );
  }
  const names = groupClaims.map((claim) => `“${claim.name}”`).join(', ');
  const advice = requested.includes(GROUPS_SCOPE)
    ? ''
    : ` Gatehouse does not ask for the ${GROUPS_SCOPE} scope (scopes: ${requested.join(' ')}), so tokens carry no groups and every sign-in reads them with the API token; add ${GROUPS_SCOPE} to the scopes to read them from the ID token.`;
  return pass(
    'groups_claim',
    `The groups claim ${names} of authorization server ${server} comes only with the ${GROUPS_SCOPE} scope: someone in more than 100 groups is signed in again without it, and their groups are read with the API token.${advice}`,
  );
}
