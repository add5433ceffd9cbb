import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CLIENT_ID, CLIENT_SECRET, startStack, type Stack, type StackOptions } from '../support/stack.js';
import { API_TOKEN, OWNER_PASSWORD } from '../sign-in/support.js';

/**
 * Browser tests drive Debian's Chromium (`apt-get install chromium`; `.ci/run` installs
 * it) through playwright-core: no browser download, nothing but loopback.
 */
export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export const browserUnavailable: string | undefined = existsSync(CHROMIUM)
  ? undefined
  : `browser tests skipped: ${CHROMIUM} does not exist; install Debian's chromium (apt-get install -y chromium), as .ci/run does`;

export const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

export interface Browser {
  context: BrowserContext;
  /** A fresh page (tab) with no cookies shared with other contexts. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Chromium headless with a fresh user data dir (removed at close), so no run sees another's cookies. */
export async function launchBrowser(): Promise<Browser> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-chromium-'));
  const context = await chromium.launchPersistentContext(dataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    viewport: { width: 1200, height: 800 },
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** What a console browser test runs against, filled in by the hooks `browserTestStack` registers. */
export interface BrowserTestStack {
  /** Gatehouse (proxy, Admin API, console), the Okta stand-in and an upstream, on loopback. */
  readonly stack: Stack;
  readonly consoleUrl: string;
  readonly browser: Browser;
  /** A new tab with no cookies: each test starts signed out (tests run one at a time in the one profile). */
  signedOutPage(): Promise<Page>;
  /** A new tab signed in through the console's sign-in form with a password. */
  signedInPage(organization: string, email: string, password: string): Promise<Page>;
}

/**
 * Registers the `before` and `after` hooks of a console browser test: the stack and
 * Chromium start before the suite's own `before` hooks (registered after this call)
 * and stop after its tests.
 */
export function browserTestStack(options: StackOptions = {}): BrowserTestStack {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  const started = <T>(value: T | undefined, what: string): T => {
    assert.ok(value !== undefined, `the ${what} starts in the suite's before hook`);
    return value;
  };
  const env: BrowserTestStack = {
    get stack() {
      return started(stack, 'stack');
    },
    get consoleUrl() {
      return started(stack, 'stack').gatehouse.consoleUrl;
    },
    get browser() {
      return started(browser, 'browser');
    },
    async signedOutPage() {
      const page = await env.browser.newPage();
      await page.context().clearCookies();
      return page;
    },
    async signedInPage(organization, email, password) {
      const page = await env.signedOutPage();
      await signInWithPassword(page, env.consoleUrl, organization, email, password);
      return page;
    },
  };
  before(async () => {
    stack = await startStack(options);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });
  return env;
}

/**
 * What the clipboard holds, read in the page. Chromium serves a clipboard read to the
 * focused page only, so the page is brought to the front first; and `page.evaluate` has
 * no timeout, so a read that does not answer fails the test instead of stalling the run.
 */
export async function clipboardText(page: Page, timeoutMs = 10_000): Promise<string> {
  await page.bringToFront();
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the page's clipboard did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([page.evaluate<string>('navigator.clipboard.readText()'), gaveUp]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Takes a screenshot of the page. With `GATEHOUSE_SCREENSHOTS=1` (`npm run screenshots`)
 * it replaces docs/screenshots/NAME.png, which the README and docs/console.md show;
 * otherwise it goes to a temporary folder, so an ordinary test run still proves the page
 * renders but leaves the working tree alone (times and ports differ on every run).
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const folder = process.env.GATEHOUSE_SCREENSHOTS === '1' ? SCREENSHOTS : join(tmpdir(), 'gatehouse-screenshots');
  mkdirSync(folder, { recursive: true });
  const image = await page.screenshot({ path: join(folder, `${name}.png`), fullPage: true });
  assert.ok(image.length > 1000, `the screenshot ${name} has content`);
}

/** An organization that signs in with passwords (SSO not enabled), its owner's password being OWNER_PASSWORD. */
export async function createNativeOrganization(stack: Stack, loginPath: string, name = `${loginPath} Inc`): Promise<{ id: string; ownerEmail: string }> {
  const ownerEmail = `owner@${loginPath}.example`;
  const organization = await stack.adminCall('POST', '/organizations', {
    name,
    login_path: loginPath,
    owner: { email: ownerEmail, password: OWNER_PASSWORD, name: 'Olive Owner' },
  });
  return { id: organization.id, ownerEmail };
}

/** A native (password) user; only possible before the organization enables SSO. */
export async function addNativeUser(stack: Stack, organizationId: string, email: string, password: string, roles = ['Viewer']): Promise<string> {
  const user = await stack.adminCall('POST', `/organizations/${organizationId}/users`, { email, password, roles });
  return user.id;
}

/**
 * Connects an existing organization to the Okta stand-in and enables SSO, as
 * test/sign-in/support.ts `setUpOrganization` does for a new one (which leaves no room to
 * add native users before SSO is on).
 */
export async function enableSso(stack: Stack, organizationId: string, mappings: Array<[string, string]>): Promise<void> {
  const base = `/organizations/${organizationId}`;
  const roles = (await stack.adminCall('GET', `${base}/roles`)).data as Array<{ id: string; name: string }>;
  for (const [group, roleName] of mappings) {
    const role = roles.find((candidate) => candidate.name === roleName);
    assert.ok(role, `role ${roleName} exists`);
    await stack.adminCall('POST', `${base}/role-mappings`, { group, role: role.id });
  }
  // The stand-in's default server sends groups for the groups scope only.
  await saveStandInSettings(stack, organizationId, { scopes: 'openid profile email groups' });
  await stack.adminCall('POST', `${base}/identity/enable`, { confirm: true });
}

/** Adds the stand-in's Management API token to an organization's identity settings. */
export async function withApiToken(stack: Stack, organizationId: string): Promise<void> {
  await saveStandInSettings(stack, organizationId, { api_token: API_TOKEN });
}

/** Identity settings for the stand-in's default authorization server, plus `extra`: tested first, as the Admin API requires, then saved. */
async function saveStandInSettings(stack: Stack, organizationId: string, extra: Record<string, unknown>): Promise<void> {
  const base = `/organizations/${organizationId}/identity`;
  const settings = {
    provider: 'okta',
    okta_domain: new URL(stack.idp.origin).host,
    authorization_server_id: 'default',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    ...extra,
  };
  const tested = await stack.adminCall('POST', `${base}/test`, settings);
  assert.equal(tested.message, 'Configuration tested successfully', JSON.stringify(tested));
  await stack.adminCall('PUT', base, settings);
}

/** Opens the console's sign-in page, fills in the form by its labels and presses "Sign in". */
export async function signInWithPassword(page: Page, consoleUrl: string, organization: string, email: string, password: string): Promise<void> {
  await page.goto(`${consoleUrl}/`);
  await page.getByLabel('Organization').fill(organization);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForLoadState('domcontentloaded');
}

/*
 * Code that runs in the page is passed as strings where it touches the DOM: the test
 * project is type-checked without the DOM library (it must not leak into src/).
 */

/** The id of the focused element. */
export function focusedId(page: Page): Promise<string | undefined> {
  return page.evaluate('document.activeElement?.id') as Promise<string | undefined>;
}

/** The text of the focused element. */
export function focusedText(page: Page): Promise<string | undefined> {
  return page.evaluate('document.activeElement?.textContent?.trim()') as Promise<string | undefined>;
}

/** Fixed ports for stacks whose pages are photographed (the pages show the proxy's and the stand-in's addresses). */
export const SCREENSHOT_PORTS = { proxy: 18000, idp: 19000 };
