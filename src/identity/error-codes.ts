/** The codes identity's rules raise; the Admin API answers them with the status given. */

/** 400 (field `login_path`): not 3 to 64 letters, digits, '-' or '_', or none can be made from the organization's name. */
export const ORG_LOGIN_PATH_INVALID = 'GH-ORG-LOGIN-PATH-INVALID';
/** 400 (field `login_path`): the path is one of Gatehouse's own URLs (`callback`, `backchannel-logout`, …). */
export const ORG_LOGIN_PATH_RESERVED = 'GH-ORG-LOGIN-PATH-RESERVED';
/** 400 (the password's field): a password too short, too long, or only spaces. */
export const PASSWORD_WEAK = 'GH-PASSWORD-WEAK';

/** 409: people cannot be added by hand while SSO is on; they get accounts from Okta at their first sign-in. */
export const IDENTITY_SSO_USERS = 'GH-IDENTITY-SSO-USERS';
/** 409 (field `roles`): an SSO user's roles come from their Okta groups; change the mapping or the groups. */
export const IDENTITY_SSO_ROLES = 'GH-IDENTITY-SSO-ROLES';
/** 409 (field `name`): an SSO user's name comes from Okta at each sign-in. */
export const IDENTITY_SSO_PROFILE = 'GH-IDENTITY-SSO-PROFILE';
/** 409 (field `roles`): roles of a deactivated user, unless the same request reactivates them. */
export const IDENTITY_USER_DEACTIVATED = 'GH-IDENTITY-USER-DEACTIVATED';
/** 409: deleting the last group mapping while SSO is on, which would let nobody sign in with Okta. */
export const IDENTITY_LAST_MAPPING = 'GH-IDENTITY-LAST-MAPPING';
/** 409 (field `api_token`): group suggestions need an Okta API token in the identity settings. */
export const IDENTITY_NO_API_TOKEN = 'GH-IDENTITY-NO-API-TOKEN';
/**
 * 409: saving identity settings that have not passed a connection test with exactly these values.
 * The console's browser script identity.js spells it too: scripts cannot import this module.
 */
export const IDENTITY_UNTESTED = 'GH-IDENTITY-UNTESTED';
/** 409 (field `sso_enabled`): SSO cannot be turned off once enabled. */
export const IDENTITY_SSO_IRREVERSIBLE = 'GH-IDENTITY-SSO-IRREVERSIBLE';
/** 409 (field `sso_enabled`): SSO is turned on only with `POST /organizations/{org}/identity/enable`, never as a side effect. */
export const IDENTITY_ENABLE_ENDPOINT = 'GH-IDENTITY-ENABLE-ENDPOINT';
/** 409: enabling SSO before identity settings are saved. */
export const IDENTITY_NOT_CONFIGURED = 'GH-IDENTITY-NOT-CONFIGURED';
/** 409: enabling SSO before at least one Okta group is mapped to a role. */
export const IDENTITY_NO_MAPPING = 'GH-IDENTITY-NO-MAPPING';

/**
 * Not answered over HTTP: carried by the error raised when a user's groups cannot be
 * read at sign-in; the sign-in is refused (502) and the reason goes to the audit log.
 */
export const SSO_GROUPS_UNAVAILABLE = 'GH-SSO-GROUPS-UNAVAILABLE';
