/**
 * The codes the dev IdP (the Okta stand-in) raises to the tests and commands that drive
 * it; its HTTP endpoints answer in OAuth's words (`error`, `error_description`) instead.
 */

/** 400 (field `authServer`): a key rotation or logout token names an authorization server the dev IdP does not have. */
export const DEVIDP_UNKNOWN_AUTH_SERVER = 'GH-DEVIDP-UNKNOWN-AUTH-SERVER';
/** 400 (field `clientId`): a logout token for a client that is not seeded. */
export const DEVIDP_UNKNOWN_CLIENT = 'GH-DEVIDP-UNKNOWN-CLIENT';
/** 400 (field `sub`): a logout token needs a `sub`, a `sid` or both. */
export const DEVIDP_LOGOUT_TOKEN = 'GH-DEVIDP-LOGOUT-TOKEN';
/** At start (no HTTP status): the dev IdP cannot listen on its host and port. */
export const DEVIDP_LISTEN = 'GH-DEVIDP-LISTEN';
/** At start (no HTTP status): the seed is not valid; the message lists every problem. */
export const DEVIDP_SEED_INVALID = 'GH-DEVIDP-SEED-INVALID';
/** At start (no HTTP status): the seed file cannot be read. */
export const DEVIDP_SEED_UNREADABLE = 'GH-DEVIDP-SEED-UNREADABLE';
/** At start (no HTTP status): the seed file is not valid JSON. */
export const DEVIDP_SEED_JSON = 'GH-DEVIDP-SEED-JSON';
