import type { ConsolePage } from '../page.js';
import { AUDIT_LOG_PAGES } from './audit-log.js';
import { GATEWAY_PAGES } from './gateway/index.js';
import { homePage } from './home.js';
import { IDENTITY_PAGES } from './identity.js';
import { ROLE_MAPPING_PAGES } from './role-mapping.js';
import { TOKENS_PAGES } from './tokens.js';
import { USERS_PAGES } from './users.js';

/**
 * Every page of the console behind sign-in. Adding one: write `pages/NAME.ts`
 * exporting its `ConsolePage`s, list them here; its navigation entry (navigation.ts)
 * turns from "coming soon" into a link by itself. See docs/console.md.
 */
export const PAGES: readonly ConsolePage[] = [
  homePage,
  ...USERS_PAGES,
  ...IDENTITY_PAGES,
  ...ROLE_MAPPING_PAGES,
  ...AUDIT_LOG_PAGES,
  ...GATEWAY_PAGES,
  ...TOKENS_PAGES,
];
