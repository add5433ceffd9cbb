/** The codes the settings raise. */

/** At start or on SIGHUP (no HTTP status): the settings have problems; the message lists every one. */
export const CONFIG_INVALID = 'GH-CONFIG-INVALID';
