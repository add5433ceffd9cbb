import * as client from 'openid-client';
import type { JSONWebKeySet } from 'jose';
import { GatehouseError } from '../errors.js';
import type { Logger } from '../log.js';
import { isLoopbackHost } from './loopback.js';
import { ProviderKeys } from './provider-keys.js';
import { OIDC_DISCOVERY_FAILED, OIDC_ISSUER_INSECURE, OIDC_ISSUER_INVALID, OIDC_ISSUER_MISMATCH, OIDC_NO_JWKS } from './error-codes.js';

/**
 * One OpenID provider as Gatehouse knows it: its metadata from discovery and a key
 * set fetched from its `jwks_uri`, shared by every plugin and organization that
 * names the same issuer.
 */
export interface Provider {
  /** The issuer as the discovery document states it. */
  readonly issuer: string;
  readonly metadata: client.ServerMetadata;
  /** Keys for verifying tokens (see TokenOrigin for when an unknown key fetches them again). */
  readonly keys: ProviderKeys;
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

/** The last good copy of a provider, as the database keeps it (times in epoch milliseconds). */
export interface ProviderRecord {
  /** The issuer or discovery URL as a configuration names it. */
  key: string;
  discovery: Record<string, unknown>;
  discovered_at: number;
  jwks: { keys: unknown[] } | null;
  jwks_fetched_at: number | null;
}

/** Where the last good copies are kept: the store's `oidc_providers` repository, handed in by the runtime. */
export interface ProviderRecords {
  find(key: string): Promise<ProviderRecord | undefined>;
  save(record: ProviderRecord): Promise<void>;
}

export interface ProviderCacheOptions {
  log: Logger;
  /** The last good copies; without it nothing outlives the process. */
  records?: ProviderRecords | undefined;
  /** Minimum time between two JWKS downloads that presented tokens cause, so hostile tokens cannot hammer the provider. */
  jwksCooldownMs?: number;
  /** Age after which the JWKS is downloaded again in the background. */
  jwksMaxAgeMs?: number;
  /** How long discovered metadata is trusted before it is fetched again (in the background). */
  metadataMaxAgeMs?: number;
  /** How long a failed first discovery (nothing to serve instead) is remembered before trying again. */
  failureCooldownMs?: number;
  /** First and longest wait between background attempts while serving an older copy; doubling in between. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Seconds before discovery and key downloads are abandoned. */
  timeoutSeconds?: number;
}

const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;

interface Entry {
  /** The provider once discovered or loaded; a later failure never takes it away. */
  provider?: Provider;
  /** `provider`, as `get` answers it. */
  answer?: Promise<Provider>;
  /** When `provider`'s discovery document came from the provider. */
  discoveredAt: number;
  /** While there is no provider yet: the first discovery, in flight or failed. */
  first?: Promise<Provider>;
  firstFailedAt?: number;
  /** A background discovery in flight. */
  refreshing?: boolean;
  /** The next background attempt after a failed one, and the wait before it. */
  retry?: NodeJS.Timeout;
  retryDelayMs?: number;
  /** Writes to the database, one after another so the newest state is written last. */
  saving: Promise<void>;
}

/**
 * Discovery results and key sets per issuer (or discovery URL). Requests on the proxy
 * path never wait for the provider once an entry exists, and concurrent first uses
 * share one discovery. With `records`, the last good discovery document and JWKS are
 * kept in the database: a process starts from that copy and asks the provider in the
 * background, and when the provider cannot be reached (at start, or when the metadata
 * is due again) the copy it has keeps serving while attempts continue with back-off.
 */
export class ProviderCache {
  readonly #entries = new Map<string, Entry>();
  readonly #options: Required<Omit<ProviderCacheOptions, 'log' | 'records'>> & Pick<ProviderCacheOptions, 'log' | 'records'>;
  #closed = false;

  constructor(options: ProviderCacheOptions) {
    this.#options = {
      jwksCooldownMs: 30_000,
      jwksMaxAgeMs: 10 * 60_000,
      metadataMaxAgeMs: 24 * 3600_000,
      failureCooldownMs: 5_000,
      retryMinMs: 5_000,
      retryMaxMs: 5 * 60_000,
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
    const entry = this.#entries.get(key);
    if (entry?.provider) {
      if (this.#due(entry)) this.#refresh(key, entry);
      return entry.answer!;
    }
    if (entry?.first && (entry.firstFailedAt === undefined || Date.now() - entry.firstFailedAt < this.#options.failureCooldownMs)) {
      return entry.first;
    }
    const fresh: Entry = { discoveredAt: 0, saving: Promise.resolve() };
    this.#entries.set(key, fresh);
    fresh.first = this.#firstUse(key, fresh);
    fresh.first.catch(() => {
      fresh.firstFailedAt = Date.now();
    });
    return fresh.first;
  }

  /**
   * The provider without waiting, when `get` would answer it at once and nothing is due:
   * discovered and not due again, or due and already being asked again; `undefined`
   * otherwise (then call `get`).
   */
  peek(issuerOrDiscoveryUrl: string): Provider | undefined {
    const entry = this.#entries.get(issuerOrDiscoveryUrl);
    if (!entry?.provider) return undefined;
    return this.#due(entry) ? undefined : entry.provider;
  }

  /** Drops a cached provider, e.g. after its configuration changed. */
  forget(issuerOrDiscoveryUrl: string): void {
    const entry = this.#entries.get(issuerOrDiscoveryUrl);
    if (entry?.retry) clearTimeout(entry.retry);
    this.#entries.delete(issuerOrDiscoveryUrl);
  }

  /** Stops background attempts and waits for the copies being written. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const entry of this.#entries.values()) if (entry.retry) clearTimeout(entry.retry);
    await Promise.all([...this.#entries.values()].map((entry) => entry.saving));
  }

  /** Metadata past its age with no discovery in flight or scheduled. */
  #due(entry: Entry): boolean {
    return (
      Date.now() - entry.discoveredAt >= this.#options.metadataMaxAgeMs && !entry.refreshing && entry.retry === undefined && !this.#closed
    );
  }

  #settle(entry: Entry, provider: Provider, discoveredAt: number): void {
    entry.provider = provider;
    entry.answer = Promise.resolve(provider);
    entry.discoveredAt = discoveredAt;
    entry.first = undefined;
    entry.firstFailedAt = undefined;
  }

  /** First use in this process: the stored copy at once (asking the provider in the background), else a discovery. */
  async #firstUse(key: string, entry: Entry): Promise<Provider> {
    const stored = await this.#loadStored(key, entry);
    if (stored) {
      this.#settle(entry, stored.provider, stored.discoveredAt);
      this.#refresh(key, entry);
      return stored.provider;
    }
    const provider = await this.#discover(key, entry);
    this.#settle(entry, provider, Date.now());
    this.#save(key, entry);
    return provider;
  }

  /** Discovers again in the background; the provider held keeps serving whatever happens. */
  #refresh(key: string, entry: Entry): void {
    if (entry.refreshing || this.#closed) return;
    entry.refreshing = true;
    if (entry.retry) clearTimeout(entry.retry);
    entry.retry = undefined;
    this.#discover(key, entry, entry.provider).then(
      (provider) => {
        entry.refreshing = false;
        if (entry.retryDelayMs !== undefined) this.#options.log.info({ issuer: provider.issuer }, 'OpenID provider reachable again');
        entry.retryDelayMs = undefined;
        this.#settle(entry, provider, Date.now());
        this.#save(key, entry);
      },
      (error: unknown) => {
        entry.refreshing = false;
        if (this.#closed || this.#entries.get(key) !== entry) return;
        const delay = Math.min(entry.retryDelayMs === undefined ? this.#options.retryMinMs : entry.retryDelayMs * 2, this.#options.retryMaxMs);
        entry.retryDelayMs = delay;
        entry.retry = setTimeout(() => {
          entry.retry = undefined;
          this.#refresh(key, entry);
        }, delay).unref();
        this.#options.log.warn(
          {
            issuer: key,
            err: describe(error),
            discovered_at: new Date(entry.discoveredAt).toISOString(),
            retry_in_ms: delay,
          },
          'the OpenID provider cannot be reached: serving its last good discovery document and keys, and trying again in the background',
        );
      },
    );
  }

  /** The database's copy as a provider, or undefined (logged when the copy is unusable). */
  async #loadStored(key: string, entry: Entry): Promise<{ provider: Provider; discoveredAt: number } | undefined> {
    const records = this.#options.records;
    if (!records) return undefined;
    try {
      const record = await records.find(key);
      if (!record) return undefined;
      const url = parseProviderUrl(key);
      const stored =
        record.jwks && record.jwks_fetched_at !== null ? { jwks: record.jwks as unknown as JSONWebKeySet, fetchedAt: record.jwks_fetched_at } : undefined;
      const provider = this.#build(key, entry, url, record.discovery as client.ServerMetadata, stored);
      this.#options.log.info(
        { issuer: provider.issuer, discovered_at: new Date(record.discovered_at).toISOString() },
        'OpenID provider loaded from the database; asking the provider again in the background',
      );
      return { provider, discoveredAt: record.discovered_at };
    } catch (error) {
      this.#options.log.warn({ issuer: key, err: describe(error) }, 'the stored copy of the OpenID provider is unusable; discovering it');
      return undefined;
    }
  }

  /** Writes what the entry holds now (not when asked): the last write is the newest state. */
  #save(key: string, entry: Entry): void {
    const records = this.#options.records;
    // After close the database may be gone; what close waited for was written.
    if (!records || this.#closed) return;
    entry.saving = entry.saving.then(async () => {
      const provider = entry.provider;
      if (!provider) return;
      const keys = provider.keys.held();
      try {
        await records.save({
          key,
          discovery: { ...provider.metadata },
          discovered_at: entry.discoveredAt,
          jwks: keys ? (keys.jwks as unknown as { keys: unknown[] }) : null,
          jwks_fetched_at: keys ? keys.fetchedAt : null,
        });
      } catch (error) {
        this.#options.log.warn({ issuer: key, err: describe(error) }, 'the OpenID provider could not be stored');
      }
    });
  }

  /** Discovery from the network; `previous` lends its keys when the `jwks_uri` did not change. */
  async #discover(key: string, entry: Entry, previous?: Provider): Promise<Provider> {
    const { log, timeoutSeconds } = this.#options;
    const url = parseProviderUrl(key);
    let discovered: client.Configuration;
    try {
      discovered = await client.discovery(url, 'gatehouse-discovery', undefined, undefined, {
        timeout: timeoutSeconds,
        ...(url.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
      });
    } catch (error) {
      if (!previous) log.warn({ issuer: key, err: describe(error) }, 'OpenID provider discovery failed');
      throw new GatehouseError(OIDC_DISCOVERY_FAILED, `discovery of ${key} failed: ${describe(error)}`, {
        cause: error,
        status: 502,
      });
    }
    // A plain copy: openid-client's metadata object carries helper methods.
    const metadata: client.ServerMetadata = { ...discovered.serverMetadata() };
    const keys = previous && previous.metadata.jwks_uri === metadata.jwks_uri ? previous.keys : undefined;
    const provider = this.#build(key, entry, url, metadata, undefined, keys);
    log.info({ issuer: provider.issuer }, 'OpenID provider discovered');
    return provider;
  }

  /**
   * A provider from a discovery document, fetched now or stored earlier (the same checks
   * either way), with the keys of `keys`, or new ones seeded from `storedKeys`.
   */
  #build(
    key: string,
    entry: Entry,
    url: URL,
    metadata: client.ServerMetadata,
    storedKeys: { jwks: JSONWebKeySet; fetchedAt: number } | undefined,
    keys?: ProviderKeys,
  ): Provider {
    const { log, timeoutSeconds, jwksCooldownMs, jwksMaxAgeMs } = this.#options;
    const insecure = url.protocol === 'http:';
    if (typeof metadata.issuer !== 'string') throw new GatehouseError(OIDC_DISCOVERY_FAILED, `the discovery document of ${key} names no issuer`, { status: 502 });
    checkIssuerMatchesDiscoveryUrl(url, metadata.issuer);
    if (!metadata.jwks_uri) {
      throw new GatehouseError(OIDC_NO_JWKS, `the provider ${metadata.issuer} publishes no jwks_uri`, { status: 502 });
    }
    const jwksUri = new URL(metadata.jwks_uri);
    if (jwksUri.protocol === 'http:' && !isLoopbackHost(jwksUri.hostname)) {
      throw new GatehouseError(OIDC_ISSUER_INSECURE, 'the provider publishes a plain-http jwks_uri', { status: 502 });
    }
    keys ??= new ProviderKeys({
      jwksUri,
      cooldownMs: jwksCooldownMs,
      maxAgeMs: jwksMaxAgeMs,
      timeoutMs: timeoutSeconds * 1000,
      stored: storedKeys,
      onFetched: () => this.#save(key, entry),
      onRefreshFailed: (error) =>
        log.warn({ issuer: metadata.issuer, err: describe(error) }, 'the OpenID provider’s keys could not be downloaded again; keeping the ones held'),
    });
    const advertised = metadata.id_token_signing_alg_values_supported ?? ['RS256'];
    const signingAlgorithms = advertised.filter((alg) => ASYMMETRIC.test(alg));
    if (signingAlgorithms.length === 0) signingAlgorithms.push('RS256');

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

/** The configured issuer or discovery URL, refused unless https or plain http on loopback. */
function parseProviderUrl(issuerOrDiscoveryUrl: string): URL {
  let url: URL;
  try {
    url = new URL(issuerOrDiscoveryUrl);
  } catch {
    throw new GatehouseError(OIDC_ISSUER_INVALID, `issuer is not a URL: ${issuerOrDiscoveryUrl}`, { field: 'issuer' });
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new GatehouseError(OIDC_ISSUER_INSECURE, 'plain-http issuers are accepted only on loopback hosts', {
      field: 'issuer',
    });
  }
  return url;
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
      OIDC_ISSUER_MISMATCH,
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
