/**
 * The codes the data plane answers: the proxy's own errors (JSON `{message, code}` with
 * Kong's messages, or a page for browsers) and the plugins' refusals (JSON
 * `{message, error_code}`, or a page).
 */

// ---- the proxy ----------------------------------------------------------------------------

/** 400: a request the proxy cannot read (a malformed URL, a path not starting with `/`). */
export const PROXY_BAD_REQUEST = 'GH-PROXY-BAD-REQUEST';
/** 404: no route matches the request (Kong's "no Route matched with those values"). */
export const PROXY_NO_ROUTE = 'GH-PROXY-NO-ROUTE';
/** 426: the route accepts only HTTPS (`protocols: ["https"]`) and the request came over plain HTTP. */
export const PROXY_HTTPS_REQUIRED = 'GH-PROXY-HTTPS-REQUIRED';
/** 500: a plugin failed while handling the request; the reason is in the log. */
export const PROXY_PLUGIN_FAILED = 'GH-PROXY-PLUGIN-FAILED';
/** 500: a plugin of the route could not be set up from its configuration; the reason is in the log. */
export const PROXY_PLUGIN_UNAVAILABLE = 'GH-PROXY-PLUGIN-UNAVAILABLE';
/** 500: an unexpected error in the proxy; the reason is in the log. */
export const PROXY_INTERNAL = 'GH-PROXY-INTERNAL';
/** 502: the upstream could not be connected to (or the service's upstream URL is unusable). */
export const PROXY_UPSTREAM_UNAVAILABLE = 'GH-PROXY-UPSTREAM-UNAVAILABLE';
/** 502: the upstream reset the connection or sent an invalid response. */
export const PROXY_UPSTREAM_INVALID = 'GH-PROXY-UPSTREAM-INVALID';
/** 503: the matched route has no service. */
export const PROXY_NO_SERVICE = 'GH-PROXY-NO-SERVICE';
/** 504: the upstream did not answer in time. */
export const PROXY_UPSTREAM_TIMEOUT = 'GH-PROXY-UPSTREAM-TIMEOUT';
/** Not answered (499 in the log): the client closed the connection before the answer. */
export const PROXY_CLIENT_GONE = 'GH-PROXY-CLIENT-GONE';
/** At start or on reload (no HTTP status; field `trusted_ips`): an entry is not an IP address or CIDR range. */
export const PROXY_TRUSTED_IPS = 'GH-PROXY-TRUSTED-IPS';

// ---- the plugins --------------------------------------------------------------------------

/**
 * 401: the request carries no credentials a plugin accepts (`openid-connect`: no valid
 * token or session, with `WWW-Authenticate`; `sso`: no session of the organization, to
 * API clients; `acl`: no authenticated client).
 */
export const PLUGIN_UNAUTHORIZED = 'GH-PLUGIN-UNAUTHORIZED';
/**
 * 403: the client is known but may not use this route (`openid-connect`: a required
 * claim, scope or group is missing, or no consumer matches; `sso`: none of the required
 * roles; `acl`: its groups are not allowed).
 */
export const PLUGIN_FORBIDDEN = 'GH-PLUGIN-FORBIDDEN';
/** 500: a plugin's configuration names something that does not exist (the `anonymous` consumer of `openid-connect`). */
export const PLUGIN_MISCONFIGURED = 'GH-PLUGIN-MISCONFIGURED';
/** 502: `openid-connect` cannot reach its OpenID provider (discovery or keys) to check a sign-in or a token. */
export const OIDC_PROVIDER_UNAVAILABLE = 'GH-OIDC-PROVIDER-UNAVAILABLE';
/** 401: `openid-connect` got the provider's answer without a valid, unused sign-in cookie: the sign-in took too long, was already completed, or cookies are blocked. */
export const OIDC_SIGN_IN_EXPIRED = 'GH-OIDC-SIGN-IN-EXPIRED';
/** 403 when the person or provider denied access (`access_denied`), else 401: the provider refused the sign-in. */
export const OIDC_SIGN_IN_REFUSED = 'GH-OIDC-SIGN-IN-REFUSED';
/** 401: the provider's answer to a sign-in (code, tokens, ID token) failed validation; the reason is in the log. */
export const OIDC_CALLBACK_INVALID = 'GH-OIDC-CALLBACK-INVALID';
/** 503: the `sso` plugin names an organization that does not exist; the route serves nobody until it is fixed. */
export const SSO_ORGANIZATION_MISSING = 'GH-SSO-ORGANIZATION-MISSING';
