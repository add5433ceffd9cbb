import type { RequestContext } from '../../plugin.js';
import { refreshTokenHeader } from './bearer.js';
import { claimValues } from './claims.js';
import type { Identity } from './identity.js';
import { hasQuery } from './query.js';
import type { OpenIdConnectConfig } from './schema.js';

/**
 * What the upstream receives about an authenticated request: the tokens and claims the
 * `upstream_*` settings name, worked out from the settings once; and the credentials
 * the gateway consumed, which stay at the gateway.
 */
export class UpstreamHeaders {
  readonly #config: OpenIdConnectConfig;
  readonly #accessToken: { name: string; prefix: string } | undefined;
  readonly #idToken: string | undefined;
  readonly #userinfo: string | undefined;
  readonly #claims: ReadonlyArray<{ claim: string; header: string }>;
  readonly #dropsAccessTokenArgument: boolean;

  constructor(config: OpenIdConnectConfig) {
    this.#config = config;
    const accessTokenHeader = config.upstream_access_token_header ? splitHeaderSetting(config.upstream_access_token_header) : undefined;
    this.#accessToken = accessTokenHeader
      ? { name: accessTokenHeader[0], prefix: accessTokenHeader[1] ? `${capitalize(accessTokenHeader[1])} ` : '' }
      : undefined;
    this.#idToken = config.upstream_id_token_header?.toLowerCase();
    this.#userinfo = config.upstream_user_info_header?.toLowerCase();
    this.#claims = (config.upstream_headers_claims ?? []).map((claim, index) => ({
      claim,
      header: config.upstream_headers_names![index]!.toLowerCase(),
    }));
    this.#dropsAccessTokenArgument = config.bearer_token_param_type.includes('query');
  }

  set(ctx: RequestContext, identity: Identity): void {
    const config = this.#config;
    const headers = ctx.upstreamHeaders;
    if (this.#accessToken) headers.set(this.#accessToken.name, this.#accessToken.prefix + identity.accessToken);
    if (this.#idToken && identity.idToken) headers.set(this.#idToken, identity.idToken);
    if (this.#userinfo && identity.userinfo) {
      headers.set(this.#userinfo, Buffer.from(JSON.stringify(identity.userinfo)).toString('base64url'));
    }
    for (const { claim, header } of this.#claims) {
      const values = claimValues(identity.sources, [claim]);
      headers.set(header, values === undefined ? null : values.join(' '));
    }
    // Credentials the gateway consumed stay at the gateway.
    if (identity.method === 'refresh_token') {
      headers.set(refreshTokenHeader(config.refresh_token_param_name), null);
      ctx.removeUpstreamQueryArgument(config.refresh_token_param_name);
    }
    if (this.#dropsAccessTokenArgument && hasQuery(ctx.request)) ctx.removeUpstreamQueryArgument('access_token');
  }
}

/** The upstream headers a configuration sets from the tokens (see `identityHeaders` in plugin.ts). */
export function configuredIdentityHeaders(config: OpenIdConnectConfig): string[] {
  return [
    ...(config.upstream_access_token_header ? [splitHeaderSetting(config.upstream_access_token_header)[0]] : []),
    ...[config.upstream_id_token_header, config.upstream_user_info_header, ...(config.upstream_headers_names ?? [])]
      .filter((name): name is string => name !== undefined)
      .map((name) => name.toLowerCase()),
  ];
}

/** Kong's `name:scheme` setting (`authorization:bearer`). */
function splitHeaderSetting(setting: string): [string, string | undefined] {
  const index = setting.indexOf(':');
  if (index === -1) return [setting.toLowerCase(), undefined];
  return [setting.slice(0, index).toLowerCase(), setting.slice(index + 1) || undefined];
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
