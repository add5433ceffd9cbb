import type { ConsolePage } from '../page.js';

/** Audit log (issue 4): not written yet. */
export const AUDIT_LOG_PAGES: readonly ConsolePage[] = [];
