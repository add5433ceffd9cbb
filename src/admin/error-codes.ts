/**
 * The codes the Admin API answers about the request itself and its caller. Entity errors
 * (`GH-ADMIN-SCHEMA`, `GH-ADMIN-UNIQUE`, …) are raised by the store and live in
 * src/store/error-codes.ts; identity's in src/identity/error-codes.ts.
 */

// ---- the caller ---------------------------------------------------------------------------

/** 401 (with `WWW-Authenticate`): no credentials, or credentials Gatehouse does not know. */
export const ADMIN_UNAUTHENTICATED = 'GH-ADMIN-UNAUTHENTICATED';
/** 401 (with `WWW-Authenticate` saying `error="invalid_token"`): a bearer token that is unknown, revoked or expired, or whose user is deactivated. */
export const ADMIN_INVALID_TOKEN = 'GH-ADMIN-INVALID-TOKEN';
/** 403 (with `permission`): the caller's roles do not give the permission the call needs (or only the owner may delete the organization). */
export const ADMIN_FORBIDDEN = 'GH-ADMIN-FORBIDDEN';
/** 403: a state-changing request with a console session that another site started. */
export const ADMIN_CROSS_SITE = 'GH-ADMIN-CROSS-SITE';
/** 400: personal access tokens need a user; the bootstrap token has none. */
export const ADMIN_NOT_A_USER = 'GH-ADMIN-NOT-A-USER';

// ---- the request --------------------------------------------------------------------------

/** 404: no such entity (or not one the caller may see). */
export const ADMIN_NOT_FOUND = 'GH-ADMIN-NOT-FOUND';
/** 404: no Admin API endpoint at this path. */
export const ADMIN_UNKNOWN_PATH = 'GH-ADMIN-UNKNOWN-PATH';
/** 405 (with `Allow`): the endpoint does not accept this method. */
export const ADMIN_METHOD = 'GH-ADMIN-METHOD';
/** 415: a body that is neither JSON nor a form. */
export const ADMIN_MEDIA_TYPE = 'GH-ADMIN-MEDIA-TYPE';
/** 400: a JSON body that does not parse. */
export const ADMIN_INVALID_JSON = 'GH-ADMIN-INVALID-JSON';
/** 413: a body over the limit (1 MiB unless configured). */
export const ADMIN_BODY_TOO_LARGE = 'GH-ADMIN-BODY-TOO-LARGE';
/** 400: a body nested more than 32 levels deep. */
export const ADMIN_BODY_TOO_DEEP = 'GH-ADMIN-BODY-TOO-DEEP';
/** 400: a body with more than 1,000 fields (keys and list items together). */
export const ADMIN_BODY_TOO_MANY_FIELDS = 'GH-ADMIN-BODY-TOO-MANY-FIELDS';
/** 400: a form field name Gatehouse cannot read, or one given both as a value and as nested fields. */
export const ADMIN_FORM_KEY = 'GH-ADMIN-FORM-KEY';
/** 400: a path with invalid percent-encoding. */
export const ADMIN_BAD_URL = 'GH-ADMIN-BAD-URL';
/** 4xx (400 unless the problem has its own status): any other request the Admin API cannot read, e.g. a Content-Length that does not match the body. */
export const ADMIN_REQUEST = 'GH-ADMIN-REQUEST';
/** 500: an unexpected error; the reason is in the log, never in the answer. */
export const ADMIN_INTERNAL = 'GH-ADMIN-INTERNAL';
