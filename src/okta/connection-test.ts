import { z } from 'zod';
import { GatehouseError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { fail, type CheckContext, type ConnectionCheck, type ConnectionCheckName } from './connection-checks/check.js';
import { checkClientCredentials } from './connection-checks/client-credentials.js';
import { checkDiscovery } from './connection-checks/discovery.js';
import { checkJwks } from './connection-checks/jwks.js';
import { runManagementChecks, type ManagementApiTuning } from './connection-checks/management-api.js';
import { isAllowedUrl, parseIdentityConnectionSettings, type IdentityConnectionSettingsInput } from './connection-settings.js';
import { describeNetworkError } from './errors.js';
import { oktaAuthorizationServer } from './issuer.js';
import { IDENTITY_SETTINGS_INVALID } from './error-codes.js';

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
  managementApi?: ManagementApiTuning;
  signal?: AbortSignal;
  log?: Logger;
}

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
    throw new GatehouseError(IDENTITY_SETTINGS_INVALID, 'issuer must be an https URL', { status: 400, field: 'issuer' });
  }
  // OpenID Connect Discovery 1.0 section 4: a terminating "/" is removed before appending.
  const discoveryUrl = options.discoveryUrl ?? okta?.discoveryUrl ?? `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const context: CheckContext = { settings, timeoutMs, allowHttpOnLoopback, signal: options.signal, okta };

  // The Management API does not need discovery: start it at once. It never rejects (a
  // rejection while discovery is awaited would be unhandled); the catch is the net.
  const managementChecks: Promise<ConnectionCheck[]> =
    okta && settings.api_token
      ? runManagementChecks(context, okta, settings.api_token, options.managementApi, log).catch((error: unknown) => [
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
