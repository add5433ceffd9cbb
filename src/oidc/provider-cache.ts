import * as client from 'openid-client';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { GatehouseError } from '../errors.js';
import type { Logger } from '../log.js';
import { isLoopbackHost } from './loopback.js';

/**
 * One OpenID provider as Gatehouse knows it: its metadata from discovery and a key
 * set fetched from its `jwks_uri`, shared by every plugin and organization that
 * names the same issuer.
 */
export interface Provider {
  /** The issuer as the discovery document states it. */
  readonly issuer: string;
  readonly metadata: client.ServerMetadata;
  /** Keys for verifying tokens; refetched on an unknown `kid`, at most once per cool-down. */
  readonly keys: JWTVerifyGetKey;
  /** Asymmetric algorithms the provider signs ID tokens with; `none` and HMAC are never in it. */
  readonly signingAlgorithms: string[];
  /** Whether plain http is allowed for this provider (loopback only). */
  readonly insecure: boolean;
  /** An openid-client configuration for one client of this provider. */
  client(settings: ClientSettings): client.Configuration;
}

export interface ClientSettings {
  clientId: string;
  clientSecret?: string | undefined;
  /** `client_secret_basic` (default when a secret is set), `client_secret_post` or `none`. */
  authMethod?: 'client_secret_basic' | 'client_secret_post' | 'none' | undefined;
  /** Seconds before a provider call is abandoned. */
  timeoutSeconds?: number;
  /** Introspection endpoint to use instead of the discovered one (Kong's `introspection_endpoint`). */
  introspectionEndpoint?: string | undefined;
}

export interface ProviderCacheOptions {
  log: Logger;
  /** Minimum time between two JWKS downloads of one provider, so hostile tokens cannot hammer it. */
  jwksCooldownMs?: number;
  /** How long discovered metadata is trusted before it is fetched again. */
  metadataMaxAgeMs?: number;
  /** How long a failed discovery is remembered before trying again. */
  failureCooldownMs?: number;
  /** Seconds before discovery and key downloads are abandoned. */
  timeoutSeconds?: number;
}

const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;

interface Entry {
  promise: Promise<Provider>;
  /** The same provider once discovery has succeeded, for `peek`. */
  provider?: Provider;
  fetchedAt: number;
  failed: boolean;
}

/**
 * Discovery results and key sets per issuer. Requests on the proxy path never wait
 * for the provider once an entry exists; concurrent first uses share one discovery.
 */
export class ProviderCache {
  readonly #entries = new Map<string, Entry>();
  readonly #options: Required<Omit<ProviderCacheOptions, 'log'>> & { log: Logger };

  constructor(options: ProviderCacheOptions) {
    this.#options = {
      jwksCooldownMs: 30_000,
      metadataMaxAgeMs: 24 * 3600_000,
      failureCooldownMs: 5_000,
      timeoutSeconds: 10,
      ...options,
    };
  }

  /**
   * The provider for an issuer URL or a discovery document URL (Kong's `issuer`
   * accepts both).
   */
  get(issuerOrDiscoveryUrl: string): Promise<Provider> {
    const key = issuerOrDiscoveryUrl;
    const now = Date.now();
    const entry = this.#entries.get(key);
    if (entry) {
      const maxAge = entry.failed ? this.#options.failureCooldownMs : this.#options.metadataMaxAgeMs;
      if (now - entry.fetchedAt < maxAge) return entry.promise;
    }
    const fresh: Entry = { promise: this.#discover(issuerOrDiscoveryUrl), fetchedAt: now, failed: false };
    fresh.promise.then(
      (provider) => {
        fresh.provider = provider;
      },
      () => {
        fresh.failed = true;
      },
    );
    this.#entries.set(key, fresh);
    return fresh.promise;
  }

  /**
   * The provider without waiting, when `get` would answer it at once from a successful
   * discovery that is not due again; `undefined` otherwise (then call `get`).
   */
  peek(issuerOrDiscoveryUrl: string): Provider | undefined {
    const entry = this.#entries.get(issuerOrDiscoveryUrl);
    return entry?.provider !== undefined && Date.now() - entry.fetchedAt < this.#options.metadataMaxAgeMs ? entry.provider : undefined;
  }

  /** Drops a cached provider, e.g. after its configuration changed. */
  forget(issuerOrDiscoveryUrl: string): void {
    this.#entries.delete(issuerOrDiscoveryUrl);
  }

  async #discover(issuerOrDiscoveryUrl: string): Promise<Provider> {
    const { log, timeoutSeconds, jwksCooldownMs } = this.#options;
    let url: URL;
    try {
      url = new URL(issuerOrDiscoveryUrl);
    } catch {
      throw new GatehouseError('GH-OIDC-ISSUER-INVALID', `issuer is not a URL: ${issuerOrDiscoveryUrl}`, { field: 'issuer' });
    }
    const insecure = url.protocol === 'http:';
    if (insecure && !isLoopbackHost(url.hostname)) {
      throw new GatehouseError('GH-OIDC-ISSUER-INSECURE', 'plain-http issuers are accepted only on loopback hosts', {
        field: 'issuer',
      });
    }
    let discovered: client.Configuration;
    try {
      discovered = await client.discovery(url, 'gatehouse-discovery', undefined, undefined, {
        timeout: timeoutSeconds,
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      });
    } catch (error) {
      log.warn({ issuer: issuerOrDiscoveryUrl, err: describe(error) }, 'OpenID provider discovery failed');
      throw new GatehouseError('GH-OIDC-DISCOVERY-FAILED', `discovery of ${issuerOrDiscoveryUrl} failed: ${describe(error)}`, {
        cause: error,
        status: 502,
      });
    }
    // A plain copy: openid-client's metadata object carries helper methods.
    const metadata: client.ServerMetadata = { ...discovered.serverMetadata() };
    checkIssuerMatchesDiscoveryUrl(url, metadata.issuer);
    if (!metadata.jwks_uri) {
      throw new GatehouseError('GH-OIDC-NO-JWKS', `the provider ${metadata.issuer} publishes no jwks_uri`, { status: 502 });
    }
    const jwksUri = new URL(metadata.jwks_uri);
    if (jwksUri.protocol === 'http:' && !isLoopbackHost(jwksUri.hostname)) {
      throw new GatehouseError('GH-OIDC-ISSUER-INSECURE', 'the provider publishes a plain-http jwks_uri', { status: 502 });
    }
    const keys = createRemoteJWKSet(jwksUri, {
      cooldownDuration: jwksCooldownMs,
      timeoutDuration: timeoutSeconds * 1000,
    });
    const advertised = metadata.id_token_signing_alg_values_supported ?? ['RS256'];
    const signingAlgorithms = advertised.filter((alg) => ASYMMETRIC.test(alg));
    if (signingAlgorithms.length === 0) signingAlgorithms.push('RS256');
    log.info({ issuer: metadata.issuer }, 'OpenID provider discovered');

    const clients = new Map<string, client.Configuration>();
    return {
      issuer: metadata.issuer,
      metadata,
      keys,
      signingAlgorithms,
      insecure,
      client(settings: ClientSettings): client.Configuration {
        const authMethod = settings.authMethod ?? (settings.clientSecret ? 'client_secret_basic' : 'none');
        const cacheKey = JSON.stringify([
          settings.clientId,
          settings.clientSecret ?? '',
          authMethod,
          settings.timeoutSeconds ?? 0,
          settings.introspectionEndpoint ?? '',
        ]);
        let configuration = clients.get(cacheKey);
        if (!configuration) {
          const auth =
            authMethod === 'none'
              ? client.None()
              : authMethod === 'client_secret_post'
                ? client.ClientSecretPost(settings.clientSecret)
                : client.ClientSecretBasic(settings.clientSecret);
          configuration = new client.Configuration(
            settings.introspectionEndpoint ? { ...metadata, introspection_endpoint: settings.introspectionEndpoint } : metadata,
            settings.clientId,
            { id_token_signed_response_alg: signingAlgorithms[0]! },
            auth,
          );
          configuration.timeout = settings.timeoutSeconds ?? timeoutSeconds;
          if (insecure) client.allowInsecureRequests(configuration);
          clients.set(cacheKey, configuration);
        }
        return configuration;
      },
    };
  }
}

/**
 * OpenID Connect Discovery 4.3: the issuer in the document must be the one it was
 * fetched for. When a discovery URL was given, the issuer must be its prefix.
 */
function checkIssuerMatchesDiscoveryUrl(url: URL, issuer: string): void {
  const href = url.href;
  const marker = href.indexOf('/.well-known/');
  if (marker === -1) return; // openid-client compared issuer and URL itself
  const base = href.slice(0, marker);
  const suffix = href.slice(marker);
  const sameAsOidc = base === issuer.replace(/\/$/, '');
  // RFC 8414 places the well-known segment before the issuer's path.
  const issuerUrl = safeUrl(issuer);
  const sameAsOauth =
    issuerUrl !== undefined &&
    suffix.startsWith('/.well-known/oauth-authorization-server') &&
    `${issuerUrl.origin}/.well-known/oauth-authorization-server${issuerUrl.pathname.replace(/\/$/, '')}` === href.replace(/\/$/, '');
  if (!sameAsOidc && !sameAsOauth) {
    throw new GatehouseError(
      'GH-OIDC-ISSUER-MISMATCH',
      `the discovery document at ${href} names the issuer ${issuer}, which does not match its address`,
      { field: 'issuer', status: 502 },
    );
  }
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** A short description of an error for logs: never the request or response that may hold tokens. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
