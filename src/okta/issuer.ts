import { GatehouseError } from '../errors.js';
import { isLoopbackHost } from '../oidc/loopback.js';
import { OKTA_AUTH_SERVER_INVALID, OKTA_DOMAIN_INVALID } from './error-codes.js';

/**
 * Issuers as Okta builds them. An Okta org has two kinds of authorization server:
 *
 *   org server      issuer https://{domain}                  endpoints /oauth2/v1/...
 *   custom server   issuer https://{domain}/oauth2/{id}      endpoints /oauth2/{id}/v1/...
 *                   (`default` is built in; others have ids like `aus1a2b3c4d5e6f7g8h9`)
 *
 * Admins type the domain in many shapes (`dev-123.okta.com`, `https://dev-123.okta.com/`,
 * the admin console's URL, the issuer itself), so the domain is normalised here and every
 * shape that cannot be meant is refused with a message that says what to enter instead.
 */

/** The authorization server Okta creates in every org with API Access Management. */
export const OKTA_DEFAULT_AUTHORIZATION_SERVER = 'default';

export interface OktaUrlOptions {
  /**
   * Whether plain http is allowed for loopback hosts (the stand-in at 127.0.0.1:9000),
   * as ProviderCache allows it. Default true. Other hosts are https only, always.
   */
  allowHttpOnLoopback?: boolean;
}

export interface OktaAuthorizationServer {
  kind: 'org' | 'custom';
  /** The custom server's id (`default`, `aus…`); null for the org server. */
  id: string | null;
  /** `https://{domain}`: the org URL, also the `iss` Okta sends for Okta-initiated sign-in. */
  orgUrl: string;
  /** The issuer exactly as Okta writes it in tokens and discovery documents. */
  issuer: string;
  /** OpenID Connect Discovery 1.0 section 4: `{issuer}/.well-known/openid-configuration`. */
  discoveryUrl: string;
}

/** Hosts Okta serves orgs on; only these get the admin-console check. */
const OKTA_HOST_SUFFIXES = ['.okta.com', '.oktapreview.com', '.okta-emea.com', '.okta-gov.com', '.okta.mil'];

/** Custom authorization server ids: `default` or Okta's generated `aus…` ids (letters and digits). */
const AUTHORIZATION_SERVER_ID = /^[A-Za-z0-9_-]{1,64}$/;

function domainError(message: string): GatehouseError {
  return new GatehouseError(OKTA_DOMAIN_INVALID, message, { status: 400, field: 'okta_domain' });
}

/**
 * The org URL (`https://dev-123.okta.com`) for an Okta domain given with or without
 * scheme and trailing slash. Throws OKTA_DOMAIN_INVALID for paths, queries,
 * credentials, plain http off loopback, and the admin console's `-admin` host.
 */
export function oktaOrgUrl(oktaDomain: string, options: OktaUrlOptions = {}): string {
  const allowHttp = options.allowHttpOnLoopback ?? true;
  const input = oktaDomain.trim();
  if (input === '') throw domainError('okta_domain is empty: enter your Okta domain, e.g. dev-123.okta.com');
  // Host names never contain these; URL() would silently drop an empty query or fragment.
  if (/[?#]/.test(input)) {
    throw domainError(`okta_domain must be a domain only, without a query or fragment: enter e.g. dev-123.okta.com, not ${input}`);
  }
  const hasScheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(input);
  let url: URL;
  try {
    url = new URL(hasScheme ? input : `https://${input}`);
  } catch {
    throw domainError(`okta_domain is not a domain name: ${input}; enter e.g. dev-123.okta.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw domainError(`okta_domain must be an https address, not ${url.protocol}; enter e.g. dev-123.okta.com`);
  }
  if (url.username || url.password) {
    throw domainError('okta_domain must not contain a user name or password; enter e.g. dev-123.okta.com');
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    const server = /^\/oauth2\/([^/]+)/.exec(url.pathname)?.[1];
    const hint =
      server === undefined
        ? ''
        : server === 'v1'
          ? ' (that is the org authorization server: leave authorization_server_id empty)'
          : ` and put ${server} in authorization_server_id`;
    throw domainError(`okta_domain must be the domain only, without a path: enter ${url.host}${hint}`);
  }
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol === 'http:' && !(loopback && allowHttp)) {
    throw domainError(`Okta is served over https only: enter https://${url.host} (plain http is accepted for loopback test servers only)`);
  }
  const host = url.hostname.toLowerCase();
  if (OKTA_HOST_SUFFIXES.some((suffix) => host.endsWith(suffix))) {
    const [label, ...rest] = host.split('.');
    if (label?.endsWith('-admin')) {
      throw domainError(`${host} is the Okta Admin Console's address, not the org's: enter ${label.slice(0, -'-admin'.length)}.${rest.join('.')}`);
    }
  }
  // Without a scheme, loopback means the stand-in, which speaks plain http.
  const protocol = hasScheme ? url.protocol : loopback && allowHttp ? 'http:' : 'https:';
  return `${protocol}//${url.host}`;
}

/** Whether an authorization server id names the org authorization server (`''` or `org`). */
export function isOrgAuthorizationServer(authorizationServerId?: string | null): boolean {
  if (authorizationServerId === undefined || authorizationServerId === null) return false;
  const id = authorizationServerId.trim();
  return id === '' || id.toLowerCase() === 'org';
}

/**
 * The authorization server an Okta domain and server id name: `default` when the id is
 * absent, the org server for `''` or `org`, otherwise the custom server with that id.
 */
export function oktaAuthorizationServer(
  oktaDomain: string,
  authorizationServerId?: string | null,
  options: OktaUrlOptions = {},
): OktaAuthorizationServer {
  const orgUrl = oktaOrgUrl(oktaDomain, options);
  if (isOrgAuthorizationServer(authorizationServerId)) {
    return { kind: 'org', id: null, orgUrl, issuer: orgUrl, discoveryUrl: `${orgUrl}/.well-known/openid-configuration` };
  }
  const id = (authorizationServerId ?? OKTA_DEFAULT_AUTHORIZATION_SERVER).trim();
  if (!AUTHORIZATION_SERVER_ID.test(id)) {
    const fromIssuer = /\/oauth2\/([A-Za-z0-9_-]+)\/?$/.exec(id)?.[1];
    throw new GatehouseError(
      OKTA_AUTH_SERVER_INVALID,
      fromIssuer
        ? `authorization_server_id must be the id only: enter ${fromIssuer}`
        : `authorization_server_id '${id}' is not an Okta authorization server id: enter default, an id such as aus1a2b3c4d5e6f7g8h9 (Okta Admin Console > Security > API > Authorization Servers), or leave it empty for the org authorization server`,
      { status: 400, field: 'authorization_server_id' },
    );
  }
  const issuer = `${orgUrl}/oauth2/${id}`;
  return { kind: 'custom', id, orgUrl, issuer, discoveryUrl: `${issuer}/.well-known/openid-configuration` };
}

/** The issuer Okta uses for a domain and authorization server id (see oktaAuthorizationServer). */
export function oktaIssuer(oktaDomain: string, authorizationServerId?: string | null, options: OktaUrlOptions = {}): string {
  return oktaAuthorizationServer(oktaDomain, authorizationServerId, options).issuer;
}

/**
 * Scopes Gatehouse asks for by default: `openid profile email`, plus `groups` on the org
 * server, whose groups claim needs the scope (a custom server's groups claim is usually
 * configured to be always included, and asking for an undefined scope fails there).
 */
export function defaultOktaScopes(authorizationServerId?: string | null): string[] {
  const scopes = ['openid', 'profile', 'email'];
  if (isOrgAuthorizationServer(authorizationServerId)) scopes.push('groups');
  return scopes;
}

/**
 * The `iss` values to accept for Okta-initiated sign-in (OpenID Connect Core section 4):
 * Okta sends the org URL even when the app signs in with a custom server, so both the
 * org URL and the issuer are accepted.
 */
export function oktaInitiateLoginIssuers(oktaDomain: string, authorizationServerId?: string | null, options: OktaUrlOptions = {}): string[] {
  const server = oktaAuthorizationServer(oktaDomain, authorizationServerId, options);
  return server.issuer === server.orgUrl ? [server.orgUrl] : [server.orgUrl, server.issuer];
}
