import { LRUCache } from 'lru-cache';
import * as crypto from 'node:crypto';
import { nowSeconds } from './session-record.js';
import { TokenRejected } from '../../../oidc/token-verification.js';

export interface VerifiedToken {
  claims: Record<string, unknown>;
  /** Epoch seconds after which the answer must not be reused. */
  expiresAt: number;
}

/**
 * Answers about presented tokens (bearer, introspection, client refresh tokens).
 * Accepted tokens cost a map lookup until they expire; rejected ones are remembered
 * briefly, and identical tokens in flight share one provider call, so junk tokens cannot
 * make the gateway hammer the provider (and burn its rate limits).
 *
 * Accepted tokens are keyed by the token itself: a SHA-256 of a 1 KB token cost more
 * than the rest of a bearer request's authentication, and a token the provider issued
 * and this process verified is no more exposed here than the access tokens its session
 * store holds. Everything else is keyed by a hash, so a client's junk (up to the header
 * size limit) costs each entry 43 characters, and the cache never holds a token that
 * was not valid.
 */
export class TokenAttempts {
  readonly #accepted: LRUCache<string, VerifiedToken>;
  readonly #rejected: LRUCache<string, string>;
  readonly #inFlight = new Map<string, Promise<VerifiedToken>>();

  constructor(options: { max?: number; rejectedTtlMs?: number } = {}) {
    this.#accepted = new LRUCache({ max: options.max ?? 10_000 });
    this.#rejected = new LRUCache({ max: options.max ?? 10_000, ttl: options.rejectedTtlMs ?? 30_000 });
  }

  /**
   * The cached answer for `token`, or the result of `check` (run once for concurrent
   * callers). `cacheAccepted` false re-checks accepted tokens every time (Kong's
   * `cache_introspection=false`); rejections are always cached briefly.
   */
  async verify(token: string, check: () => Promise<VerifiedToken>, cacheAccepted = true): Promise<VerifiedToken> {
    const accepted = cacheAccepted ? this.#accepted.get(token) : undefined;
    if (accepted && accepted.expiresAt > nowSeconds()) return accepted;
    const key = tokenKey(token);
    const rejected = this.#rejected.get(key);
    if (rejected !== undefined) throw new TokenRejected(rejected);
    let running = this.#inFlight.get(key);
    if (!running) {
      running = check().then(
        (answer) => {
          // No detached copy (KeyRing does make one for cookies): a header's bearer token is a
          // slice of `Bearer <token>`, which keeps seven more characters alive, not a Cookie header.
          if (cacheAccepted && answer.expiresAt > nowSeconds()) this.#accepted.set(token, answer);
          return answer;
        },
        (error: unknown) => {
          if (error instanceof TokenRejected) this.#rejected.set(key, error.reason);
          throw error;
        },
      );
      this.#inFlight.set(key, running);
      void running.then(
        () => this.#inFlight.delete(key),
        () => this.#inFlight.delete(key),
      );
    }
    return running;
  }

  /**
   * The cached answer for an accepted, unexpired `token`, without waiting; `undefined`
   * for anything else (then call `verify`).
   */
  accepted(token: string): VerifiedToken | undefined {
    const accepted = this.#accepted.get(token);
    return accepted && accepted.expiresAt > nowSeconds() ? accepted : undefined;
  }
}

/**
 * SHA-256 of the token, with Node's one-shot `crypto.hash` where it exists (Node 20.12
 * and later): about half the cost of a Hash object.
 */
const tokenKey: (token: string) => string =
  typeof crypto.hash === 'function'
    ? (token) => crypto.hash('sha256', token, 'base64url')
    : (token) => crypto.createHash('sha256').update(token).digest('base64url');
