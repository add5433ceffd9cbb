import type { ConsolePage } from '../page.js';

/** Settings → Identity Management (issue 4): not written yet. */
export const IDENTITY_PAGES: readonly ConsolePage[] = [];
