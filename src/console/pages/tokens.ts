import type { ConsolePage } from '../page.js';

/** Personal access tokens (issue 4): not written yet. */
export const TOKENS_PAGES: readonly ConsolePage[] = [];
