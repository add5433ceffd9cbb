import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientMetadata, Configuration, KoaContextLike, Provider } from 'oidc-provider';
import { OidcProvider, errors, interactionPolicy } from './provider-library.js';
import type { Logger } from '../log.js';
import { createAccessTokenCustomizer, RevocationList } from './access-tokens.js';
import { SessionClients, sessionSid, type EndedSession } from './backchannel-logout.js';
import {
  createFindAccount,
  groupsClaimApplies,
  GROUPS_OVER_LIMIT_DESCRIPTION,
  ORG_SERVER_GROUPS_CLAIM_SCOPES,
  resolveGroupsClaim,
  scopeClaims,
  SUPPORTED_SCOPES,
  type ClaimsDeps,
  type GroupsClaimScopes,
  type ServerKind,
} from './accounts.js';
import { ModelStore } from './adapter.js';
import { handleSignIn } from './interactions.js';
import type { KeyRing } from './keys.js';
import { handleLogout } from './logout.js';
import { oktaCompat, recordErrors } from './okta-compat.js';
import type { NormalizedSeed, SeedClient } from './seed.js';
import { renderErrorPage } from './sign-in-page.js';
import { handleUserinfo } from './userinfo.js';

/**
 * One Okta authorization server (the org server or a custom one such as `default`): an
 * oidc-provider instance configured with Okta's paths, claims and token formats, plus the
 * endpoints the stand-in serves itself (sign-in page, userinfo, logout).
 *
 * oidc-provider is mounted under the issuer's path the way Express would mount it: the
 * request's `url` loses the prefix and `originalUrl` keeps the full path, from which
 * oidc-provider derives its mount path for the URLs it builds (discovery, redirects).
 */

export interface ServerDeps extends ClaimsDeps {
  seed: NormalizedSeed;
  clients: ReadonlyMap<string, SeedClient>;
  log: Logger;
  /** Keys for signing oidc-provider's cookies; shared by all servers of one stand-in. */
  cookieKeys: string[];
}

export type OktaRoutes = Record<
  'authorization' | 'token' | 'jwks' | 'userinfo' | 'end_session' | 'introspection' | 'revocation',
  string
> &
  Record<string, string>;

/** Okta's endpoint paths, relative to the issuer's path. */
function oktaRoutes(kind: ServerKind): OktaRoutes {
  const base = kind === 'org' ? '/oauth2/v1' : '/v1';
  return {
    authorization: `${base}/authorize`,
    token: `${base}/token`,
    jwks: `${base}/keys`,
    userinfo: `${base}/userinfo`,
    end_session: `${base}/logout`,
    introspection: `${base}/introspect`,
    revocation: `${base}/revoke`,
    pushed_authorization_request: `${base}/par`,
    registration: `${base}/clients`,
    device_authorization: `${base}/device/authorize`,
    code_verification: `${base}/device`,
    backchannel_authentication: `${base}/bc/authorize`,
    challenge: `${base}/challenge`,
    credential: `${base}/credential`,
  };
}

/** Okta: state is required and limited to these characters (support article on invalid 'state'). */
const STATE_PATTERN = /^[A-Za-z0-9,._-]+$/;
const SIGN_IN_PATH = /^\/signin\/([A-Za-z0-9_-]+)$/;
/** Okta's default sign-in session lifetime. */
const SESSION_TTL = 2 * 3600;
/** Okta authorization codes live 300 seconds. */
const AUTHORIZATION_CODE_TTL = 300;
const SESSION_COOKIE = { httpOnly: true, sameSite: 'lax', path: '/' };

export class AuthorizationServer {
  readonly kind: ServerKind;
  /** `org` for the org server, else the custom server's id. */
  readonly id: string;
  readonly issuer: string;
  /** The issuer's path ('' for the org server). */
  readonly prefix: string;
  readonly routes: OktaRoutes;
  /** `aud` of this server's access tokens: `api://{id}` for custom servers, the org URL for the org server. */
  readonly audience: string;
  #groupsClaimScopes: GroupsClaimScopes;
  readonly keys: KeyRing;
  readonly deps: ServerDeps;
  readonly store = new ModelStore();
  readonly revoked = new RevocationList();
  /** Which clients got tokens in which sign-in session (for back-channel logout). */
  readonly sessionClients = new SessionClients(SESSION_TTL);
  #provider: Provider | undefined;
  #callback: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;

  constructor(options: { kind: ServerKind; id: string; origin: string; keys: KeyRing; deps: ServerDeps; groupsClaimScopes?: GroupsClaimScopes }) {
    this.kind = options.kind;
    this.#groupsClaimScopes = options.kind === 'org' ? ORG_SERVER_GROUPS_CLAIM_SCOPES : (options.groupsClaimScopes ?? []);
    this.id = options.id;
    this.prefix = options.kind === 'org' ? '' : `/oauth2/${options.id}`;
    this.issuer = `${options.origin}${this.prefix}`;
    this.audience = options.kind === 'org' ? options.origin : `api://${options.id}`;
    this.routes = oktaRoutes(options.kind);
    this.keys = options.keys;
    this.deps = options.deps;
    this.build();
  }

  /** The scopes this server's groups claim is included in (Okta's "Include in"); empty: any scope. */
  get groupsClaimScopes(): GroupsClaimScopes {
    return this.#groupsClaimScopes;
  }

  /**
   * Changes the groups claim's "Include in", as an Okta admin does (through the claims API).
   * oidc-provider reads its scope-to-claims table once, so the instance is built again;
   * sessions, codes and grants live in `store` and survive.
   */
  setGroupsClaimScopes(scopes: GroupsClaimScopes): void {
    if (this.kind === 'org') throw new Error("the org server's groups claim always needs the groups scope");
    this.#groupsClaimScopes = [...scopes];
    this.build();
  }

  get provider(): Provider {
    if (!this.#provider) throw new Error('authorization server not built');
    return this.#provider;
  }

  /**
   * (Re)creates the oidc-provider instance. oidc-provider reads its keys once, at
   * construction, so a key rotation builds a new instance; sessions, codes and grants live in
   * `store` and survive.
   */
  build(): void {
    const provider = new OidcProvider(this.issuer, this.#configuration());
    recordErrors(provider, this.deps.log);
    provider.use(oktaCompat(this));
    this.#provider = provider;
    this.#callback = provider.callback();
  }

  /** True when `pathname` belongs to this server (custom servers only; the org server takes the rest). */
  owns(pathname: string): boolean {
    return this.prefix !== '' && (pathname === this.prefix || pathname.startsWith(`${this.prefix}/`));
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, allServers: readonly AuthorizationServer[]): Promise<void> {
    const path = url.pathname.slice(this.prefix.length) || '/';
    if (path === this.routes.userinfo) return handleUserinfo(req, res, this);
    if (path === this.routes.end_session) return handleLogout(req, res, url, this, allServers);
    const signIn = SIGN_IN_PATH.exec(path);
    if (signIn?.[1]) return handleSignIn(req, res, signIn[1], this, allServers);

    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url.pathname + url.search;
    req.url = path + url.search;
    await this.#callback?.(req, res);
  }

  /** The signed-in user of this server's session cookie, if any and still ACTIVE. */
  async browserSession(req: IncomingMessage, res: ServerResponse): Promise<{ accountId: string; loginTs?: number; amr?: string[] } | undefined> {
    const session = await this.provider.Session.get(this.provider.createContext(req, res));
    if (!session.accountId) return undefined;
    const user = this.deps.directory.userById(session.accountId);
    if (!user || user.status !== 'ACTIVE') return undefined;
    return { accountId: session.accountId, loginTs: session.loginTs, amr: session.amr };
  }

  /**
   * Ends this server's sign-in session for the browser of `req` and clears its cookie;
   * returns the session that ended, when someone was signed in to it.
   */
  async endBrowserSession(req: IncomingMessage, res: ServerResponse): Promise<EndedSession | undefined> {
    const ctx = this.provider.createContext(req, res);
    const name = this.provider.cookieName('session');
    if (ctx.cookies.get(name) === undefined) return undefined;
    const session = await this.provider.Session.get(ctx);
    const ended = session.accountId ? { uid: session.uid, accountId: session.accountId } : undefined;
    await session.destroy();
    ctx.cookies.set(name, null, SESSION_COOKIE);
    return ended;
  }

  /** The `sid` claim of the ID tokens issued in the sign-in session with this oidc-provider `uid`. */
  sessionSid(sessionUid: string): string {
    return sessionSid(this.deps.cookieKeys[0] ?? this.issuer, sessionUid);
  }

  accessTokenVerification() {
    return {
      keys: this.keys.verifier,
      issuer: this.issuer,
      audience: this.audience,
      revoked: this.revoked,
      directory: this.deps.directory,
    };
  }

  #configuration(): Configuration {
    const { deps, kind, audience } = this;
    const { seed, switches } = deps;
    const supportedScopes = new Set(SUPPORTED_SCOPES);
    const cookieSuffix = kind === 'org' ? '' : `_as_${this.id}`;

    const policy = interactionPolicy.base();
    // A session whose user was deactivated must sign in again (findAccount no longer finds them).
    policy.get('login')?.checks.push(
      new interactionPolicy.Check('account_inactive', 'the signed-in user can no longer sign in', (ctx) =>
        Boolean(ctx.oidc?.session.accountId) && !ctx.oidc?.account,
      ),
    );

    const clients: ClientMetadata[] = seed.clients.map((client) => ({
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: client.redirect_uris,
      post_logout_redirect_uris: client.post_logout_redirect_uris,
      grant_types: client.grant_types,
      response_types: ['code'],
      // client_secret_post is accepted too: oidc-provider treats the two secret methods alike.
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      // Okta's ID tokens always carry auth_time.
      require_auth_time: true,
      ...(client.initiate_login_uri ? { initiate_login_uri: client.initiate_login_uri } : {}),
    }));

    return {
      adapter: this.store.adapterFor,
      clients,
      jwks: this.keys.providerJwks(),
      cookies: {
        keys: deps.cookieKeys,
        names: {
          session: `okta_sid${cookieSuffix}`,
          interaction: `okta_interaction${cookieSuffix}`,
          resume: `okta_resume${cookieSuffix}`,
        },
        long: { ...SESSION_COOKIE },
        short: { httpOnly: true, sameSite: 'lax' },
      },
      routes: this.routes,
      scopes: SUPPORTED_SCOPES,
      claims: scopeClaims(this.groupsClaimScopes),
      // Okta's code-flow ID token carries the profile claims of the granted scopes, not only `sub`.
      conformIdTokenClaims: false,
      clockTolerance: 5,
      responseTypes: ['code'],
      // The seed's clients authenticate with their secret; discovery should not promise more.
      clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
      features: {
        devInteractions: { enabled: false },
        dPoP: { enabled: false },
        pushedAuthorizationRequests: { enabled: false },
        userinfo: { enabled: true },
        introspection: { enabled: true, allowedPolicy: ownTokensOnly },
        revocation: { enabled: true, allowedPolicy: ownTokensOnly },
        // Enabled for discovery and client metadata; the logout route itself is logout.ts.
        rpInitiatedLogout: { enabled: true },
        // Every access token is a JWT for this server's audience, as Okta's are.
        resourceIndicators: {
          enabled: true,
          defaultResource: () => audience,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: KoaContextLike, indicator: string) => {
            if (indicator !== audience) throw new errors.InvalidTarget();
            return { scope: SUPPORTED_SCOPES.join(' '), audience, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
          },
        },
      },
      extraParams: {
        state: (_ctx, value) => {
          if (!value || !STATE_PATTERN.test(value)) {
            throw new errors.InvalidRequest("The authentication request has an invalid 'state' parameter.");
          }
        },
        scope: (ctx, value, client) => {
          // Validated against the request as sent: oidc-provider has already dropped offline_access (below).
          const requested = typeof ctx.query.scope === 'string' ? ctx.query.scope.split(' ').filter(Boolean) : (value ?? '').split(' ');
          const unknown = requested.filter((scope) => scope && !supportedScopes.has(scope));
          if (unknown.length) {
            throw new errors.InvalidScope('One or more scopes are not configured for the authorization server resource.', unknown.join(' '));
          }
          // OpenID Connect Core 11 lets an OP ignore offline_access without prompt=consent, and
          // oidc-provider does; Okta does not, so it is put back when the app may refresh.
          const granted = new Set((value ?? '').split(' ').filter(Boolean));
          if (ctx.oidc?.params && requested.includes('offline_access') && !granted.has('offline_access') && deps.clients.get(client.clientId)?.grant_types.includes('refresh_token')) {
            ctx.oidc.params.scope = [...granted, 'offline_access'].join(' ');
          }
        },
      },
      findAccount: createFindAccount(deps, this.groupsClaimScopes),
      loadExistingGrant: (ctx) => this.#loadGrant(ctx),
      interactions: {
        url: (_ctx, interaction) => `${this.prefix}/signin/${interaction.uid}`,
        policy,
      },
      ttl: {
        AccessToken: () => switches.accessTokenTtl ?? seed.access_token_ttl,
        IdToken: () => switches.idTokenTtl ?? seed.id_token_ttl,
        AuthorizationCode: AUTHORIZATION_CODE_TTL,
        RefreshToken: seed.refresh_token_ttl,
        Grant: seed.refresh_token_ttl,
        Session: SESSION_TTL,
        Interaction: 3600,
      },
      formats: { customizers: { jwt: createAccessTokenCustomizer(deps.directory) } },
      // Okta web apps keep one refresh token for its lifetime unless rotation is configured (a test switch here).
      rotateRefreshToken: () => switches.rotateRefreshTokens === true,
      renderError: (ctx, out) => {
        ctx.type = 'html';
        ctx.body = renderErrorPage(out.error ?? 'server_error', out.error_description);
      },
      clientBasedCORS: () => false,
      // Back-Channel Logout 1.0 section 2.1. The logout tokens are the stand-in's own
      // (backchannel-logout.ts): oidc-provider's feature stays off, its sid is per client.
      discovery: {
        claim_types_supported: ['normal'],
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
      },
    };
  }

  /**
   * oidc-provider's `loadExistingGrant`, used as Okta's implicit consent for first-party
   * apps: whatever the app asks for is granted. It runs on /authorize once the user is known,
   * which is also where Okta refuses a groups claim over the limit.
   */
  async #loadGrant(ctx: KoaContextLike) {
    const oidc = ctx.oidc;
    const client = oidc?.client;
    const account = oidc?.account;
    if (!oidc || !client || !account) return undefined;
    const { directory, switches, groupsFilters } = this.deps;

    if (switches.groupsOverLimit === 'error' && groupsClaimApplies(this.groupsClaimScopes, oidc.requestParamScopes)) {
      const filter = groupsFilters.get(client.clientId);
      if (filter && resolveGroupsClaim(directory, account.accountId, filter, switches).outcome === 'over-limit') {
        throw new errors.InvalidRequest(GROUPS_OVER_LIMIT_DESCRIPTION);
      }
    }

    const { Grant } = oidc.provider;
    const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(client.clientId);
    const existing = grantId ? await Grant.find(grantId) : undefined;
    const grant =
      existing && existing.accountId === account.accountId && existing.clientId === client.clientId
        ? existing
        : new Grant({ accountId: account.accountId, clientId: client.clientId });
    const requested = [...oidc.requestParamScopes].join(' ');
    grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
    for (const resource of Object.keys(oidc.resourceServers)) grant.addResourceScope(resource, requested);
    await grant.save();
    return grant;
  }
}

function ownTokensOnly(_ctx: KoaContextLike, client: { clientId: string }, token: { clientId?: string }): boolean {
  return token.clientId === client.clientId;
}
