import type { ConsolePage } from '../../page.js';

/** Gateway: services, routes, plugins, consumers (issue 4): not written yet. */
export const GATEWAY_PAGES: readonly ConsolePage[] = [];
