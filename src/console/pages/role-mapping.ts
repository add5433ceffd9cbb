import type { ConsolePage } from '../page.js';

/** Role mapping (issue 4): not written yet. */
export const ROLE_MAPPING_PAGES: readonly ConsolePage[] = [];
