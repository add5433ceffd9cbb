import type { ConsolePage } from '../../page.js';
import { CONSUMER_PAGES } from './consumers.js';
import { gatewayOverviewPage } from './overview.js';
import { PLUGIN_PAGES } from './plugins.js';
import { ROUTE_PAGES } from './routes.js';
import { SERVICE_PAGES } from './services.js';

/**
 * Gateway (issue 4): services, routes, plugins and consumers, Kong's entities as the
 * Admin API serves them to the signed-in person's organization. `/gateway` is the
 * section's page; every other page is marked as part of it in the navigation.
 */
export const GATEWAY_PAGES: readonly ConsolePage[] = [gatewayOverviewPage, ...SERVICE_PAGES, ...ROUTE_PAGES, ...PLUGIN_PAGES, ...CONSUMER_PAGES];
