/**
 * The codes Okta's pieces raise: its Management API client (`OktaApiError`, chosen by
 * Okta's `errorCode`), the Okta domain and authorization server, and the identity
 * settings, which are validated here, below the identity layer that saves them.
 */

/** 400 (field `api_token`): Okta refused the API token (E0000011, or 401): wrong, expired or revoked. */
export const OKTA_INVALID_TOKEN = 'GH-OKTA-INVALID-TOKEN';
/** 400 (field `api_token`): Okta accepted the token but its admin may not do this (E0000006). */
export const OKTA_FORBIDDEN = 'GH-OKTA-FORBIDDEN';
/** 404: Okta found no such user or group (E0000007). */
export const OKTA_NOT_FOUND = 'GH-OKTA-NOT-FOUND';
/** 503: Okta's rate limit is exhausted (E0000047, or 429), still after the bounded retries. */
export const OKTA_RATE_LIMITED = 'GH-OKTA-RATE-LIMITED';
/** 502: Okta could not be reached, timed out, or failed (5xx without an Okta error code, E0000009, E0000010). */
export const OKTA_UNAVAILABLE = 'GH-OKTA-UNAVAILABLE';
/** 502: any other Okta error, or an answer that is not what the Management API sends. */
export const OKTA_API_ERROR = 'GH-OKTA-API-ERROR';
/** 502: paging went on past the configured page cap; a partial list is never used. */
export const OKTA_PAGING_LIMIT = 'GH-OKTA-PAGING-LIMIT';
/** 400: bad options or arguments of a Management API call (never sent to Okta). */
export const OKTA_ARGUMENT_INVALID = 'GH-OKTA-ARGUMENT-INVALID';
/** 400 (field `okta_domain`): not an Okta domain such as dev-123.okta.com. */
export const OKTA_DOMAIN_INVALID = 'GH-OKTA-DOMAIN-INVALID';
/** 400 (field `authorization_server_id`): not an Okta authorization server id. */
export const OKTA_AUTH_SERVER_INVALID = 'GH-OKTA-AUTH-SERVER-INVALID';

/** Every `GH-OKTA-…` code: the Admin API passes the messages of those that are 502 or 503 on, since they say what Okta did. */
export const OKTA_ERROR_CODES: ReadonlySet<string> = new Set([
  OKTA_INVALID_TOKEN,
  OKTA_FORBIDDEN,
  OKTA_NOT_FOUND,
  OKTA_RATE_LIMITED,
  OKTA_UNAVAILABLE,
  OKTA_API_ERROR,
  OKTA_PAGING_LIMIT,
  OKTA_ARGUMENT_INVALID,
  OKTA_DOMAIN_INVALID,
  OKTA_AUTH_SERVER_INVALID,
]);

/** 400: identity settings with problems (the message names every one, `field` the first); also an issuer that is not https. */
export const IDENTITY_SETTINGS_INVALID = 'GH-IDENTITY-SETTINGS-INVALID';
