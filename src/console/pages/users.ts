import type { ConsolePage } from '../page.js';

/** Users (issue 4): not written yet. */
export const USERS_PAGES: readonly ConsolePage[] = [];
