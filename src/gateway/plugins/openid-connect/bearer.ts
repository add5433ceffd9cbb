import { describe, type Provider } from '../../../oidc/provider-cache.js';
import { refreshTokens } from '../../../oidc/token-refresh.js';
import { TokenRejected, introspect, looksLikeJwt, verifyProviderJwt } from '../../../oidc/token-verification.js';
import type { GatewayRequest } from '../../plugin.js';
import type { Failure, Identity } from './identity.js';
import { hasQuery } from './query.js';
import type { RelyingParty } from './relying-party.js';
import type { AuthMethod, OpenIdConnectConfig } from './schema.js';
import { accessTokenClaims, nowSeconds } from './session-record.js';
import type { TokenAttempts, VerifiedToken } from './token-attempts.js';

/**
 * The methods for tokens a client presents with each request: `bearer` (a JWT the
 * provider signed), `introspection` (any token, asked about at the provider) and
 * `refresh_token` (a client's refresh token, exchanged at the provider). Answers about
 * tokens are kept in `TokenAttempts`, shared across configuration snapshots.
 */
export class PresentedTokens {
  readonly #rp: RelyingParty;
  readonly #config: OpenIdConnectConfig;
  readonly #methods: ReadonlySet<AuthMethod>;
  readonly #tokens: TokenAttempts;

  constructor(rp: RelyingParty, methods: ReadonlySet<AuthMethod>, tokens: TokenAttempts) {
    this.#rp = rp;
    this.#config = rp.config;
    this.#methods = methods;
    this.#tokens = tokens;
  }

  /** The bearer token the client sent where the configuration looks for one (header, query). */
  bearerToken(request: GatewayRequest): string | undefined {
    const types = this.#config.bearer_token_param_type;
    if (types.includes('header')) {
      const match = /^\s*bearer\s+([^\s]+)\s*$/i.exec(request.headers.authorization ?? '');
      if (match) return match[1];
    }
    if (types.includes('query') && hasQuery(request)) {
      const token = request.query.get('access_token');
      if (token) return token;
    }
    return undefined;
  }

  /** The client's refresh token, where the configuration looks for one (header, query). */
  clientRefreshToken(request: GatewayRequest): string | undefined {
    const name = this.#config.refresh_token_param_name;
    const types = this.#config.refresh_token_param_type;
    if (types.includes('header')) {
      const value = request.headers[refreshTokenHeader(name)];
      if (typeof value === 'string' && value) return value;
    }
    if (types.includes('query') && hasQuery(request)) {
      const value = request.query.get(name);
      if (value) return value;
    }
    return undefined;
  }

  /** The identity of a bearer token accepted before and still cached; undefined when `bearer` must decide it. */
  acceptedBefore(token: string): Identity | undefined {
    const useJwt = this.#methods.has('bearer') && looksLikeJwt(token);
    if (!useJwt && !(this.#methods.has('introspection') && this.#config.cache_introspection)) return undefined;
    const verified = this.#tokens.accepted(token);
    return verified && bearerIdentity(useJwt, verified, token);
  }

  async bearer(provider: Provider, token: string): Promise<Identity | Failure> {
    const useJwt = this.#methods.has('bearer') && looksLikeJwt(token);
    if (!useJwt && !this.#methods.has('introspection')) {
      return { reason: 'the bearer token is not a JWT and introspection is not enabled', invalidToken: true };
    }
    try {
      const verified = await this.#tokens.verify(
        token,
        async (): Promise<VerifiedToken> => {
          const claims = useJwt
            ? await verifyProviderJwt(provider, token, { leeway: this.#config.leeway, accessTokenFor: this.#rp.clientId, origin: 'presented' })
            : await introspect(this.#rp.client(provider), token);
          const exp = typeof claims.exp === 'number' ? claims.exp : nowSeconds() + 60;
          return { claims, expiresAt: exp };
        },
        useJwt || this.#config.cache_introspection,
      );
      return bearerIdentity(useJwt, verified, token);
    } catch (error) {
      return this.#rejected('bearer token rejected', error);
    }
  }

  async refreshToken(provider: Provider, refreshToken: string): Promise<Identity | Failure> {
    try {
      const { tokens, idClaims } = await refreshTokens(provider, this.#rp.client(provider), refreshToken, { leeway: this.#config.leeway });
      return {
        method: 'refresh_token',
        sources: [accessTokenClaims(tokens.access_token, tokens.scope), idClaims ?? {}],
        accessToken: tokens.access_token,
        tokenType: tokens.token_type ?? 'Bearer',
        idToken: tokens.id_token,
      };
    } catch (error) {
      return this.#rejected(error instanceof TokenRejected ? 'refreshed tokens failed validation' : 'refresh token rejected', error);
    }
  }

  #rejected(message: string, error: unknown): Failure {
    const reason = error instanceof TokenRejected ? error.reason : describe(error);
    this.#rp.log.info({ reason }, message);
    return { reason, invalidToken: true };
  }
}

function bearerIdentity(useJwt: boolean, verified: VerifiedToken, token: string): Identity {
  return { method: useJwt ? 'bearer' : 'introspection', sources: [verified.claims], accessToken: token, tokenType: 'Bearer' };
}

/** Kong reads a client's refresh token from `Refresh-Token` (the parameter name with dashes). */
export function refreshTokenHeader(parameterName: string): string {
  return parameterName.toLowerCase().replace(/_/g, '-');
}
