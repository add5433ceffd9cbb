/**
 * The codes of an organization's password sign-in (`POST /login/{login_path}/password`),
 * answered as `{message, error_code}` to JSON clients (browsers get a page). The console
 * reads them to explain a refusal in its own words.
 */

/** 404: no organization signs in at this login path. */
export const SIGN_IN_UNKNOWN_ORGANIZATION = 'GH-SIGN-IN-UNKNOWN-ORGANIZATION';
/** 403: the sign-in was posted from another site. */
export const SIGN_IN_CROSS_SITE = 'GH-SIGN-IN-CROSS-SITE';
/** 429 (with `Retry-After`): too many failed sign-ins for this account or this client address. */
export const SIGN_IN_THROTTLED = 'GH-SIGN-IN-THROTTLED';
/** 401: wrong email or password (the answer does not tell which). */
export const SIGN_IN_INVALID = 'GH-SIGN-IN-INVALID';
/** 403: the account is deactivated. */
export const SIGN_IN_DEACTIVATED = 'GH-SIGN-IN-DEACTIVATED';
/** 403 (with `login_url`): the organization signs in with Okta; only its owner may use a password. */
export const SIGN_IN_SSO_ONLY = 'GH-SIGN-IN-SSO-ONLY';
