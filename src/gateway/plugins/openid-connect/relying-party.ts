import type * as client from 'openid-client';
import type { Logger } from '../../../log.js';
import type { Provider } from '../../../oidc/provider-cache.js';
import type { OpenIdConnectConfig } from './schema.js';

/** One plugin instance as a client of its provider: the settings every part of the plugin shares, and its openid-client configuration. */
export class RelyingParty {
  readonly config: OpenIdConnectConfig;
  readonly clientId: string;
  readonly log: Logger;
  readonly #clientSecret: string | undefined;

  constructor(config: OpenIdConnectConfig, log: Logger) {
    this.config = config;
    this.clientId = config.client_id[0]!;
    this.#clientSecret = config.client_secret?.[0];
    this.log = log;
  }

  /** openid-client's configuration for this client (the provider caches one per set of settings). */
  client(provider: Provider): client.Configuration {
    const config = this.config;
    return provider.client({
      clientId: this.clientId,
      clientSecret: this.#clientSecret,
      authMethod: config.client_auth?.[0],
      timeoutSeconds: Math.ceil(config.timeout / 1000),
      introspectionEndpoint: config.introspection_endpoint,
    });
  }
}
