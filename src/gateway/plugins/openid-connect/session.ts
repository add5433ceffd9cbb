import type * as client from 'openid-client';
import type { KeyRing } from '../../../crypto/keyring.js';
import type { Logger } from '../../../log.js';
import { newId } from '../../../oidc/authorization-request.js';
import { describe, type Provider } from '../../../oidc/provider-cache.js';
import { refreshTokens } from '../../../oidc/token-refresh.js';
import type { SessionStore } from '../../../sessions/store.js';
import { addResponseHeader, type GatewayRequest, type RequestContext } from '../../plugin.js';
import { clearCookieHeader, readCookie, setCookieHeader, type CookieSettings } from './cookies.js';
import type { RelyingParty } from './relying-party.js';
import type { OpenIdConnectConfig } from './schema.js';
import { oidcSessionPacking } from './session-packing.js';
import {
  SESSION_PREFIX,
  SESSION_RULES,
  accessTokenClaims,
  belongsTo,
  isDue,
  markUse,
  nowSeconds,
  sessionExpiry,
  tokensFrom,
  touchSession,
  type OidcSession,
  type SessionRule,
} from './session-record.js';
import { endsSession, isSpent, refreshExclusively, refreshOnce, type RefreshOutcome } from './session-refresh.js';

/**
 * The browser sessions of one plugin instance, from sign-in to sign-out: the sealed
 * cookie handle, the server-side record, and the session rules (SESSION_RULES) on each
 * use — from this process's memory when nothing is due (`fromMemory`), else settled
 * one by one (`load`): a fresher copy from the store, renewed tokens, the clocks
 * written, the whole record read.
 */
export class BrowserSessions {
  readonly #rp: RelyingParty;
  readonly #config: OpenIdConnectConfig;
  readonly #clientId: string;
  readonly #log: Logger;
  readonly #sessions: SessionStore;
  readonly #keyRing: KeyRing;
  readonly #cookie: CookieSettings;

  constructor(rp: RelyingParty, sessions: SessionStore, keyRing: KeyRing, cookie: CookieSettings) {
    this.#rp = rp;
    this.#config = rp.config;
    this.#clientId = rp.clientId;
    this.#log = rp.log;
    this.#sessions = sessions;
    this.#keyRing = keyRing;
    this.#cookie = cookie;
    // Sent upstream with every request: memory copies must not leave it out.
    if (rp.config.upstream_id_token_header) oidcSessionPacking.keepIdTokens();
  }

  /**
   * The request's session when this process's memory holds it, it belongs to this
   * provider and client, and no session rule is due: what `load` would answer without
   * waiting for anything or writing anything. `undefined` otherwise (then call `load`).
   */
  fromMemory(request: GatewayRequest, provider: Provider): OidcSession | undefined {
    const handle = readCookie(request, this.#config.session_cookie_name);
    const claims = handle === undefined ? undefined : this.#keyRing.unsealKnown(handle);
    if (!claims || typeof claims.sid !== 'string') return undefined;
    const session = this.#sessions.peek<OidcSession>(SESSION_PREFIX + claims.sid);
    if (!session || !belongsTo(session, provider.issuer, this.#clientId)) return undefined;
    const now = nowSeconds();
    for (const rule of SESSION_RULES) if (isDue(rule, session, this.#config, now)) return undefined;
    markUse(session, now);
    return session;
  }

  /** The session for the request's cookie, after every due session rule is settled; `unavailable` when the provider must be asked and cannot be. */
  async load(ctx: RequestContext, provider: Provider): Promise<OidcSession | 'unavailable' | undefined> {
    const sid = await this.#sessionId(ctx.request);
    if (!sid) return undefined;
    let session = await this.#ownSession(sid, provider);
    if (!session) return undefined;
    for (const rule of SESSION_RULES) {
      if (!isDue(rule, session, this.#config)) continue;
      const settled = await this.#settle(rule, sid, session, provider);
      if (settled === 'unavailable') return settled;
      if (settled === 'ended') {
        await this.#endSession(ctx, sid);
        return undefined;
      }
      session = settled;
    }
    // The idle clock of the copy going on (a clock write due was settled above).
    markUse(session);
    return session;
  }

  /** Deals with a rule that is due (see SESSION_RULES): the session to go on with, or why there is none. */
  async #settle(rule: SessionRule, sid: string, session: OidcSession, provider: Provider): Promise<OidcSession | 'ended' | 'unavailable'> {
    switch (rule) {
      case 'ended': {
        // This process's copy may be older than the store's: another worker may have
        // used the session since (the idle clock). Ask the store before ending it.
        const latest = await this.#ownSession(sid, provider, { fresh: true });
        return latest && !isDue('ended', latest, this.#config) ? latest : 'ended';
      }
      case 'token-renewal': {
        const outcome = await this.#refreshSession(sid, session, provider);
        if (outcome.kind === 'ended') return 'ended';
        if (outcome.kind === 'refreshed') return outcome.session;
        // Cannot renew now: a token that is still valid serves, a spent one waits for a later request.
        return isSpent(session.tokens) ? 'unavailable' : session;
      }
      case 'use-write':
        touchSession(session, this.#config);
        // Ended by another process (a sign-out on another worker) since it was read.
        return (await this.#persistUse(sid, session)) ? session : 'ended';
      case 'whole-record': {
        // Packed before this route asked for ID tokens; from now on the memory copy keeps it.
        const whole = await this.#ownSession(sid, provider, { fresh: true });
        return whole ?? 'ended';
      }
    }
  }

  async #sessionId(request: GatewayRequest): Promise<string | undefined> {
    const handle = readCookie(request, this.#config.session_cookie_name);
    if (!handle) return undefined;
    const claims = await this.#keyRing.unseal(handle);
    return claims && typeof claims.sid === 'string' ? claims.sid : undefined;
  }

  /**
   * The session record, if it belongs to this provider and client (cookie names are shared
   * between plugins); `fresh` reads the store past this process's memory copy.
   */
  async #ownSession(sid: string, provider: Provider, options: { fresh?: boolean } = {}): Promise<OidcSession | undefined> {
    const key = SESSION_PREFIX + sid;
    const session = await this.#sessions.get<OidcSession>(key, options);
    return session && belongsTo(session, provider.issuer, this.#clientId) ? session : undefined;
  }

  async #endSession(ctx: RequestContext, sid: string): Promise<void> {
    await this.#sessions.delete(SESSION_PREFIX + sid);
    addResponseHeader(ctx, 'set-cookie', clearCookieHeader(ctx.request, this.#config.session_cookie_name, this.#cookie));
  }

  #refreshSession(sid: string, current: OidcSession, provider: Provider): Promise<RefreshOutcome> {
    if (!current.tokens.refresh_token || !this.#config.refresh_tokens) {
      // Without a way to renew, an expired access token ends the session, as in Kong.
      return Promise.resolve(isSpent(current.tokens) ? { kind: 'ended' } : { kind: 'refreshed', session: current });
    }
    return refreshOnce(sid, () =>
      refreshExclusively({
        sessions: this.#sessions,
        key: SESSION_PREFIX + sid,
        current,
        // Long enough for the provider call (its timeout) and the ID token's checks.
        leaseMs: this.#config.timeout + 5000,
        refresh: (latest) => this.#renew(sid, latest, provider),
      }),
    );
  }

  async #renew(sid: string, latest: OidcSession, provider: Provider): Promise<RefreshOutcome> {
    // Refreshed records are written whole: a memory copy without its ID token is completed first.
    const session = latest.tokens.id_token_in_store ? await this.#ownSession(sid, provider, { fresh: true }) : latest;
    if (!session) return { kind: 'ended' };
    const refreshToken = session.tokens.refresh_token;
    if (!refreshToken) return isSpent(session.tokens) ? { kind: 'ended' } : { kind: 'refreshed', session };
    try {
      // OIDC Core 12.2: a refreshed ID token is about the same person.
      const { tokens: response, idClaims } = await refreshTokens(provider, this.#client(provider), refreshToken, {
        leeway: this.#config.leeway,
        subject: session.sub,
      });
      const refreshed: OidcSession = {
        ...session,
        tokens: tokensFrom(response, session.tokens),
        claims: accessTokenClaims(response.access_token, response.scope ?? session.tokens.scope),
        id_claims: idClaims ?? session.id_claims,
      };
      // A sign-out elsewhere while the provider answered ended the session: it stays ended.
      if (!(await this.#storeSession(sid, refreshed, 'replace'))) return { kind: 'ended' };
      this.#log.debug('session tokens refreshed');
      return { kind: 'refreshed', session: refreshed };
    } catch (error) {
      // Another node (or an earlier request) may have refreshed with the same token first.
      const stored = await this.#ownSession(sid, provider, { fresh: true });
      if (stored && stored.tokens.obtained_at > session.tokens.obtained_at) return { kind: 'refreshed', session: stored };
      if (endsSession(error)) {
        this.#log.info({ reason: describe(error) }, 'the provider refused the refresh; the session ends');
        return { kind: 'ended' };
      }
      this.#log.warn({ reason: describe(error) }, 'session refresh failed; keeping the session and trying again later');
      return { kind: 'unavailable' };
    }
  }

  /**
   * Writes a session record: `create` at sign-in; `replace` for a live session, which
   * writes nothing (and answers false) once the record is gone — another process ended
   * the session, and a late write must not bring it back.
   */
  async #storeSession(sid: string, session: OidcSession, mode: 'create' | 'replace'): Promise<boolean> {
    if (session.tokens.id_token_in_store) throw new Error('a memory copy without its ID token must not be written back');
    const expiry = sessionExpiry(session, this.#config);
    if (expiry === 0) return false;
    const key = SESSION_PREFIX + sid;
    const subject = `${session.issuer}#${session.sub}`;
    if (mode === 'replace') return this.#sessions.replace(key, session, expiry, subject);
    await this.#sessions.set(key, session, expiry, subject);
    return true;
  }

  /**
   * Persists the idle and rolling clocks. What is written is the stored record with this
   * copy's clocks: the store's tokens may be newer (another worker refreshed them, and
   * with rotation the old refresh token is spent), and this copy may have left the ID
   * token out. The request goes on with the newer tokens too. A read and a write, at
   * most once a minute per session (see touchSession), never per request.
   */
  async #persistUse(sid: string, session: OidcSession): Promise<boolean> {
    const stored = await this.#sessions.get<OidcSession>(SESSION_PREFIX + sid, { fresh: true });
    if (!stored) return false;
    if (stored.tokens.obtained_at > session.tokens.obtained_at) {
      session.tokens = stored.tokens;
      session.claims = stored.claims;
      session.id_claims = stored.id_claims;
    }
    return this.#storeSession(sid, {
      ...stored,
      last_seen: Math.max(stored.last_seen, session.last_seen),
      rolled_at: Math.max(stored.rolled_at, session.rolled_at),
      persisted_seen: Math.max(stored.persisted_seen, session.persisted_seen),
    }, 'replace');
  }

  /**
   * Stores a new session for a browser that just signed in, replacing whatever session it
   * had; the `Set-Cookie` of its handle.
   */
  async start(request: GatewayRequest, session: OidcSession): Promise<string> {
    const sid = newId();
    // The handle lives as long as the session could: idle and rolling limits are
    // enforced on the server-side record, which every use extends.
    const absolute = this.#config.session_absolute_timeout;
    // Independent steps, each waiting on the crypto thread pool or the database: run
    // together, they cost the sign-in the longest of them rather than their sum.
    const [handle] = await Promise.all([
      this.#keyRing.seal({ sid }, Math.ceil(absolute > 0 ? session.created_at + absolute : session.created_at + 365 * 86400)),
      this.#storeSession(sid, session, 'create'),
      // A new sign-in replaces whatever session this browser had.
      this.#sessionId(request).then((previous) => (previous ? this.#sessions.delete(SESSION_PREFIX + previous) : undefined)),
    ]);
    return setCookieHeader(request, this.#config.session_cookie_name, handle, this.#cookie, absolute > 0 ? absolute : undefined);
  }

  /**
   * Ends the request's session at sign-out. Only this plugin's own session: the cookie
   * name may be shared with plugins of other providers. Answers the stored record: its
   * tokens are the newest, and it has the ID token for the provider's logout.
   */
  async remove(request: GatewayRequest, provider: Provider): Promise<OidcSession | undefined> {
    const sid = await this.#sessionId(request);
    const session = sid ? await this.#ownSession(sid, provider, { fresh: true }) : undefined;
    if (sid && session) await this.#sessions.delete(SESSION_PREFIX + sid);
    return session;
  }

  /** The `Set-Cookie` that removes the session cookie. */
  clearCookie(request: GatewayRequest): string {
    return clearCookieHeader(request, this.#config.session_cookie_name, this.#cookie);
  }

  #client(provider: Provider): client.Configuration {
    return this.#rp.client(provider);
  }
}
