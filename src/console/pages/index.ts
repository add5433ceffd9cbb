import type { ConsolePage } from '../page.js';
import { homePage } from './home.js';

/**
 * Every page of the console behind sign-in. Adding one: write `pages/NAME.ts`
 * exporting a `ConsolePage`, list it here; its navigation entry (navigation.ts)
 * turns from "coming soon" into a link by itself. See docs/console.md.
 */
export const PAGES: readonly ConsolePage[] = [homePage];
