import * as client from 'openid-client';
import { randomBytes } from 'node:crypto';
import type { KeyRing } from '../../../crypto/keyring.js';
import type { SessionStore } from '../../../sessions/store.js';
import type { GatewayRequest } from '../../plugin.js';
import { sameOriginTarget } from './responses.js';
import { nowSeconds } from './session-record.js';

/**
 * The pending half of an authorization code flow, kept server-side between the
 * redirect to the provider and the callback. The browser holds only a sealed,
 * short-lived handle to it (the authorization cookie), and the record is taken
 * (read and deleted) on the callback, so state, nonce and verifier work once.
 */
export interface PendingAuthorization {
  issuer: string;
  client_id: string;
  state: string;
  nonce: string;
  code_verifier: string;
  redirect_uri: string;
  /** Same-origin path and query to return to after sign-in. */
  target: string;
  created_at: number;
}

const PENDING_PREFIX = 'authz:';

export function newId(): string {
  return randomBytes(32).toString('base64url');
}

/** The redirect URI for a request: the configured one, else the request's own URL without its query (Kong). */
export function redirectUriFor(request: GatewayRequest, configured: readonly string[] | undefined): string {
  if (configured && configured.length > 0) return configured[0]!;
  return `${request.scheme}://${request.host}${request.path}`;
}

export async function beginAuthorization(options: {
  request: GatewayRequest;
  configuration: client.Configuration;
  issuer: string;
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  sessions: SessionStore;
  keyRing: KeyRing;
  lifetimeSeconds: number;
  extraParameters?: Record<string, string>;
}): Promise<{ location: string; cookieValue: string; expiresAt: number }> {
  const { request, configuration, sessions, keyRing } = options;
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const now = nowSeconds();
  const expiresAt = Math.ceil(now + options.lifetimeSeconds);
  const pending: PendingAuthorization = {
    issuer: options.issuer,
    client_id: options.clientId,
    state,
    nonce,
    code_verifier: codeVerifier,
    redirect_uri: options.redirectUri,
    target: sameOriginTarget(request.url),
    created_at: now,
  };
  const id = newId();
  await sessions.set(PENDING_PREFIX + id, pending, expiresAt);
  const cookieValue = await keyRing.seal({ aid: id }, expiresAt);
  const location = client.buildAuthorizationUrl(configuration, {
    redirect_uri: options.redirectUri,
    scope: options.scopes.join(' '),
    state,
    nonce,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    ...options.extraParameters,
  });
  return { location: location.href, cookieValue, expiresAt };
}

/** Opens the authorization cookie and takes its pending record; undefined when missing, forged, expired or used. */
export async function takePendingAuthorization(
  cookieValue: string | undefined,
  sessions: SessionStore,
  keyRing: KeyRing,
): Promise<PendingAuthorization | undefined> {
  if (!cookieValue) return undefined;
  const claims = await keyRing.unseal(cookieValue);
  if (!claims || typeof claims.aid !== 'string') return undefined;
  return sessions.take<PendingAuthorization>(PENDING_PREFIX + claims.aid);
}

/** Whether the request is an authorization response: `state` with `code` or `error`. */
export function isAuthorizationResponse(request: GatewayRequest): boolean {
  const { query } = request;
  return query.has('state') && (query.has('code') || query.has('error'));
}

/**
 * The URL the provider redirected to, rebuilt from the registered redirect URI and
 * the request's query, so scheme and host are the ones the provider knows even
 * behind another proxy.
 */
export function callbackUrl(pending: PendingAuthorization, request: GatewayRequest): URL {
  const url = new URL(pending.redirect_uri);
  url.search = request.query.toString();
  return url;
}
