/**
 * The codes the web console answers itself, to clients that ask for JSON (browsers get
 * a page). Errors of the Admin API calls it makes keep their own codes.
 */

/** 403: a state-changing request without the console's CSRF token, or from another site. */
export const CONSOLE_CSRF = 'GH-CONSOLE-CSRF';
/** 404: there is no console page or endpoint at this address. */
export const CONSOLE_NOT_FOUND = 'GH-CONSOLE-NOT-FOUND';
/** 4xx (the status of the problem, e.g. 400 or 413): a request the console cannot read, such as a malformed or oversized body. */
export const CONSOLE_BAD_REQUEST = 'GH-CONSOLE-BAD-REQUEST';
/** 500: an unexpected error in the console; the reason is in the log. */
export const CONSOLE_INTERNAL = 'GH-CONSOLE-INTERNAL';
