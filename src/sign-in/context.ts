import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseCookie, stringifySetCookie } from 'cookie';
import type * as client from 'openid-client';
import type { KeyRing } from '../crypto/keyring.js';
import type { AssertionSigner } from '../identity/assertion-signer.js';
import { SIGN_IN_ACTOR, userActor } from '../identity/audit.js';
import { auditEntry } from '../model/audit.js';
import type { IdentitySettings, Organization, User } from '../model/identity.js';
import type { IdentityStore } from '../store/repositories/identity/identity-store.js';
import { ORGANIZATION_SESSION_COOKIE, startOrganizationSession, type OrganizationSession } from '../identity/organization-session.js';
import type { Logger } from '../log.js';
import { isLoopbackHost } from '../oidc/loopback.js';
import { describe, type Provider, type ProviderCache } from '../oidc/provider-cache.js';
import type { SessionStore } from '../sessions/store.js';
import { page } from './pages.js';
import type { SignInThrottle } from './throttle.js';

/** How long an organization session lasts (Konnect and Okta's defaults are of this order). */
const SESSION_LIFETIME_SECONDS = 8 * 3600;

export interface SignInDependencies {
  store: IdentityStore;
  sessions: SessionStore;
  keyRing: KeyRing;
  providers: ProviderCache;
  signer: AssertionSigner;
  /** The proxy's public URL (`GATEHOUSE_PUBLIC_URL`): redirect URIs are built from it. Read on use: the port may be bound later. */
  publicUrl: () => string;
  /**
   * The console's public URL: sign-ins started without a page to return to land in the
   * console, and refusals of those sign-ins are explained on its sign-in page. Without
   * it, the proxy answers with its own minimal pages.
   */
  consoleUrl?: (() => string) | undefined;
  log: Logger;
  /** A user's groups from the Okta Management API (when the organization set an API token). */
  oktaGroups?: (settings: IdentitySettings, subject: string) => Promise<string[]>;
  /** Failed password sign-ins, counted in the store every process shares. */
  throttle: SignInThrottle;
}

/**
 * What the sign-in routes share: where the proxy and the console are, the cookies,
 * organizations and their providers, new sessions, refusals and the audit log.
 */
export class SignInContext {
  readonly deps: SignInDependencies;
  readonly log: Logger;
  #resolved: { url: URL; secure: boolean; redirectUri: string } | undefined;

  constructor(deps: SignInDependencies) {
    this.deps = deps;
    this.log = deps.log.child({ component: 'sign-in' });
  }

  /** The proxy's public URL, whether its cookies are Secure, and the one redirect URI of every organization. */
  site(): { url: URL; secure: boolean; redirectUri: string } {
    if (!this.#resolved) {
      const url = new URL(this.deps.publicUrl());
      this.#resolved = { url, secure: url.protocol === 'https:' || !isLoopbackHost(url.hostname), redirectUri: new URL('/login/callback', url).href };
    }
    return this.#resolved;
  }

  cookie(name: string, value: string, maxAge: number): string {
    return stringifySetCookie(name, value, { path: '/', httpOnly: true, secure: this.site().secure, sameSite: 'lax', maxAge: Math.max(0, Math.floor(maxAge)) });
  }

  /** Where a sign-in with no page to return to ends: the console's home, else the proxy's root. */
  defaultTarget(): string {
    return this.deps.consoleUrl ? new URL('/home', this.deps.consoleUrl()).href : '/';
  }

  /** The console's sign-in page for an organization, with `?error=` (fixed codes the console maps to messages) or `?signed_out`. */
  consoleSignIn(organization: Organization, extra: Record<string, string>): string {
    const url = new URL('/', this.deps.consoleUrl!());
    url.search = new URLSearchParams({ organization: organization.login_path, ...extra }).toString();
    return url.href;
  }

  /**
   * Refuses a sign-in: back to the console's sign-in page with the reason when the
   * sign-in started there, else the proxy's page (an application behind the gateway).
   */
  refuse(reply: FastifyReply, target: string, organization: Organization, code: string, status: number, title: string, message: string) {
    return this.#startedFromConsole(target) ? reply.redirect(this.consoleSignIn(organization, { error: code }), 303) : page(reply, status, title, message);
  }

  /** Whether a target the pending sign-in carries is a console URL: the sign-in started from the console. */
  #startedFromConsole(target: string): boolean {
    const origin = this.deps.consoleUrl ? new URL(this.deps.consoleUrl()).origin : undefined;
    return origin !== undefined && URL.canParse(target) && new URL(target).origin === origin;
  }

  async loadOrganization(loginPath: string): Promise<Organization | undefined> {
    const normalized = loginPath.replace(/^\/+/, '').toLowerCase();
    return /^[a-z0-9_-]{3,64}$/.test(normalized) ? this.deps.store.organizationByLoginPath(normalized) : undefined;
  }

  /** The organization's identity settings when it signs in with Okta. */
  async ssoReady(organization: Organization): Promise<IdentitySettings | undefined> {
    if (!organization.sso_enabled) return undefined;
    return this.deps.store.identitySettings(organization.id);
  }

  async providerFor(settings: IdentitySettings): Promise<Provider> {
    return this.deps.providers.get(settings.issuer);
  }

  /** The provider, or undefined (logged) when discovery fails: the caller answers with `unavailable`. */
  async reachableProvider(organization: Organization, settings: IdentitySettings): Promise<Provider | undefined> {
    try {
      return await this.providerFor(settings);
    } catch (error) {
      this.log.error({ organization: organization.id, err: describe(error) }, 'the identity provider is unreachable');
      return undefined;
    }
  }

  clientFor(provider: Provider, settings: IdentitySettings): client.Configuration {
    return provider.client({ clientId: settings.client_id, clientSecret: settings.client_secret });
  }

  /** A new organization session for a user who just proved who they are; the `Set-Cookie` of its sealed handle. */
  async startSession(
    organization: Organization,
    user: User,
    how: Pick<OrganizationSession, 'method' | 'groups' | 'id_token' | 'provider_sid'>,
  ): Promise<string> {
    const now = Date.now() / 1000;
    const handle = await startOrganizationSession(this.deps.sessions, this.deps.keyRing, {
      v: 1,
      organization_id: organization.id,
      organization_name: organization.name,
      login_path: organization.login_path,
      user_id: user.id,
      email: user.email,
      name: user.name,
      roles: user.roles.map((role) => role.role_name),
      ...how,
      created_at: now,
      expires_at: now + SESSION_LIFETIME_SECONDS,
    });
    return this.cookie(ORGANIZATION_SESSION_COOKIE, handle, SESSION_LIFETIME_SECONDS);
  }

  /** An audit entry of the sign-in itself (no user acting yet). */
  async audit(organization: Organization, action: string, outcome: 'success' | 'failure', reason: string | null, details?: Record<string, unknown>): Promise<void> {
    await this.deps.store.audit(auditEntry(SIGN_IN_ACTOR, organization.id, action, { outcome, reason, details: details ?? null }));
  }

  /** An audit entry of what a user did with their organization session (signed in, signed out). */
  async auditUser(user: { id: string; email: string }, organizationId: string, action: string, details?: Record<string, unknown>): Promise<void> {
    await this.deps.store.audit(auditEntry(userActor(user, 'session'), organizationId, action, { target: { type: 'user', id: user.id }, details: details ?? null }));
  }
}

export function cookiesOf(request: FastifyRequest): Record<string, string | undefined> {
  return request.headers.cookie ? parseCookie(request.headers.cookie) : {};
}
