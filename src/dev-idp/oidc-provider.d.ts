/**
 * Minimal typings for oidc-provider v9, which ships none (and @types/oidc-provider is not
 * installed). They cover only what the dev IdP uses; anything wider stays `unknown` so a
 * wrong assumption fails the type check instead of compiling silently.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type UnknownObject = Record<string, unknown>;

  export interface CookieJarLike {
    get(name: string, options?: UnknownObject): string | undefined;
    set(name: string, value: string | null, options?: UnknownObject): void;
  }

  /** The parts of a Koa context the dev IdP reads or writes. */
  export interface KoaContextLike {
    req: IncomingMessage;
    res: ServerResponse;
    method: string;
    path: string;
    status: number;
    body: unknown;
    type: string;
    secure: boolean;
    headers: Record<string, string | string[] | undefined>;
    query: Record<string, string | string[] | undefined>;
    cookies: CookieJarLike;
    set(field: string, value: string | string[]): void;
    get(field: string): string;
    remove(field: string): void;
    accepts(...types: string[]): string | false;
    /** Present once oidc-provider's router has matched the request. */
    oidc?: OIDCContext;
  }

  export type Middleware = (ctx: KoaContextLike, next: () => Promise<void>) => Promise<void> | void;

  export interface OIDCContext {
    readonly route: string;
    readonly provider: Provider;
    readonly client?: Client;
    readonly account?: Account;
    readonly session: Session;
    /** Undefined until oidc-provider has assembled the request's parameters. */
    readonly params?: Record<string, string | undefined>;
    readonly entities: {
      AuthorizationCode?: BaseTokenModel & { authTime?: number; scope?: string };
      RefreshToken?: BaseTokenModel & { authTime?: number; scope?: string };
      AccessToken?: BaseTokenModel;
      [key: string]: unknown;
    };
    readonly result?: InteractionResults;
    readonly resourceServers: Record<string, unknown>;
    readonly requestParamScopes: Set<string>;
    readonly requestParamOIDCScopes: Set<string>;
  }

  export interface Client {
    readonly clientId: string;
    readonly clientSecret?: string;
    readonly redirectUris: string[];
    readonly postLogoutRedirectUris?: string[];
  }

  export interface ClientMetadata {
    client_id: string;
    client_secret?: string;
    redirect_uris?: string[];
    post_logout_redirect_uris?: string[];
    grant_types?: string[];
    response_types?: string[];
    token_endpoint_auth_method?: string;
    id_token_signed_response_alg?: string;
    require_auth_time?: boolean;
    initiate_login_uri?: string;
    [key: string]: unknown;
  }

  export type ClaimsUse = 'id_token' | 'userinfo';

  export interface Account {
    accountId: string;
    claims(use: ClaimsUse, scope: string, claims: UnknownObject, rejected: string[]): Promise<UnknownObject> | UnknownObject;
  }

  export type FindAccount = (ctx: KoaContextLike, sub: string, token?: unknown) => Promise<Account | undefined> | Account | undefined;

  export interface BaseTokenModel {
    jti: string;
    kind: string;
    clientId?: string;
    accountId?: string;
    iat?: number;
    exp?: number;
    scope?: string;
    aud?: string | string[];
    /** The `uid` of the sign-in session the token descends from (codes, refresh and access tokens). */
    sessionUid?: string;
    isValid?: boolean;
    destroy(): Promise<void>;
  }

  export interface AdapterPayload extends UnknownObject {
    grantId?: string;
    userCode?: string;
    uid?: string;
    consumed?: number;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface Session {
    readonly id: string;
    readonly uid: string;
    accountId?: string;
    loginTs?: number;
    amr?: string[];
    destroy(): Promise<void>;
    grantIdFor(clientId: string): string | undefined;
  }

  export interface Grant {
    readonly jti: string;
    accountId?: string;
    clientId?: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface GrantConstructor {
    new (properties: { accountId: string; clientId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  }

  export interface InteractionResults {
    login?: { accountId: string; amr?: string[]; acr?: string; ts?: number; remember?: boolean };
    consent?: { grantId?: string };
    error?: string;
    error_description?: string;
    [key: string]: unknown;
  }

  export interface PromptDetail {
    name: 'login' | 'consent' | string;
    reasons: string[];
    details: UnknownObject & {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
  }

  export interface Interaction {
    readonly uid: string;
    readonly prompt: PromptDetail;
    readonly params: Record<string, string | undefined>;
    readonly grantId?: string;
    readonly session?: { accountId?: string; uid?: string };
    readonly lastSubmission?: InteractionResults;
  }

  export interface ResourceServer {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg?: string; kid?: string } };
  }

  export interface StructuredToken {
    header?: UnknownObject;
    payload: UnknownObject;
  }

  export interface JWK extends UnknownObject {
    kty?: string;
    kid?: string;
  }

  export interface Configuration {
    adapter?: (name: string) => Adapter;
    clients?: ClientMetadata[];
    jwks?: { keys: JWK[] };
    cookies?: {
      keys?: Array<string | Buffer>;
      names?: { session?: string; interaction?: string; resume?: string };
      long?: UnknownObject;
      short?: UnknownObject;
    };
    routes?: Record<string, string>;
    scopes?: string[];
    claims?: Record<string, string[] | null>;
    conformIdTokenClaims?: boolean;
    clockTolerance?: number;
    features?: Record<string, UnknownObject>;
    extraParams?: Record<string, ((ctx: KoaContextLike, value: string | undefined, client: Client) => void | Promise<void>) | null>;
    findAccount?: FindAccount;
    loadExistingGrant?: (ctx: KoaContextLike) => Promise<Grant | undefined>;
    interactions?: {
      url?: (ctx: KoaContextLike, interaction: Interaction) => string | Promise<string>;
      policy?: unknown;
    };
    ttl?: Record<string, number | ((ctx: KoaContextLike | undefined, token: unknown, client: Client) => number)>;
    formats?: {
      customizers?: {
        jwt?: (ctx: KoaContextLike | undefined, token: BaseTokenModel, jwt: StructuredToken) => void | Promise<void>;
      };
    };
    issueRefreshToken?: (ctx: KoaContextLike, client: Client, code: unknown) => boolean | Promise<boolean>;
    rotateRefreshToken?: boolean | ((ctx: KoaContextLike) => boolean);
    renderError?: (ctx: KoaContextLike, out: Record<string, string>, error: Error) => void | Promise<void>;
    clientBasedCORS?: (ctx: KoaContextLike, origin: string, client: Client) => boolean;
    responseTypes?: string[];
    pkce?: { required?: (ctx: KoaContextLike, client: Client) => boolean };
    [key: string]: unknown;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    proxy: boolean;
    readonly Session: {
      get(ctx: KoaContextLike): Promise<Session>;
      find(id: string): Promise<Session | undefined>;
    };
    readonly Grant: GrantConstructor;
    readonly Client: { find(id: string): Promise<Client | undefined> };
    readonly RefreshToken: { find(value: string): Promise<BaseTokenModel | undefined> };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: Middleware): this;
    on(event: string, listener: (...args: any[]) => void): this;
    createContext(req: IncomingMessage, res: ServerResponse): KoaContextLike;
    cookieName(type: 'session' | 'interaction' | 'resume'): string;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
  }

  export default Provider;

  export namespace errors {
    class OIDCProviderError extends Error {
      error: string;
      error_description?: string;
      error_detail?: string;
      status: number;
      statusCode: number;
      expose: boolean;
    }
    class InvalidRequest extends OIDCProviderError {
      constructor(description?: string, code?: number);
    }
    class InvalidScope extends OIDCProviderError {
      constructor(description: string, scope: string);
    }
    class InvalidTarget extends OIDCProviderError {
      constructor(description?: string);
    }
    class AccessDenied extends OIDCProviderError {
      constructor(description?: string);
    }
    class SessionNotFound extends InvalidRequest {}
  }

  export namespace interactionPolicy {
    type CheckFunction = (ctx: KoaContextLike) => boolean | Promise<boolean>;
    class Check {
      static REQUEST_PROMPT: true;
      static NO_NEED_TO_PROMPT: false;
      constructor(reason: string, description: string, check: CheckFunction);
      constructor(reason: string, description: string, error: string, check: CheckFunction);
    }
    interface Prompt {
      name: string;
      checks: Check[];
    }
    interface Policy extends Array<Prompt> {
      get(name: string): Prompt | undefined;
      remove(name: string): void;
    }
    function base(): Policy;
  }
}
