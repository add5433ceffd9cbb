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
