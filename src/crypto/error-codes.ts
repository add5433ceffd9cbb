/** The codes the key ring raises. */

/** At start (no HTTP status): `GATEHOUSE_KEYS` holds no secret. */
export const KEYS_EMPTY = 'GH-KEYS-EMPTY';
/** 500: a stored secret was encrypted with a key no longer in `GATEHOUSE_KEYS`. */
export const KEYS_UNKNOWN = 'GH-KEYS-UNKNOWN';
