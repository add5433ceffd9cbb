import * as client from 'openid-client';
import { isAllowedUrl } from '../connection-settings.js';
import { describeNetworkError } from '../errors.js';
import { fail, pass, type CheckContext, type ConnectionCheck } from './check.js';

/** The discovery check: the discovery document is reachable and names the configured issuer. */

function discoveryHint(context: CheckContext, status: number | undefined): string {
  if (!context.okta) return status === 404 ? ' Check the issuer URL.' : '';
  if (status === 404) {
    return context.okta.kind === 'custom'
      ? ` Okta answers 404 for an authorization server that does not exist: check authorization_server_id (Okta Admin Console > Security > API > Authorization Servers), or leave it empty to use the org authorization server.`
      : ' Check okta_domain.';
  }
  return ' Check okta_domain (e.g. dev-123.okta.com) and that this host can reach it.';
}

export async function checkDiscovery(context: CheckContext, issuer: string, discoveryUrl: string): Promise<{ check: ConnectionCheck; metadata?: client.ServerMetadata }> {
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
