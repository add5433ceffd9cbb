/**
 * Codes of the rules every listener shares (src/web/same-site.ts), answered by more than
 * one room: here, below them all, so that each answers the same code for the same refusal.
 */

/** 403: a sign-out (`POST /logout`, or an `openid-connect` plugin's logout path) started from another site. */
export const SIGN_OUT_CROSS_SITE = 'GH-SIGN-OUT-CROSS-SITE';
